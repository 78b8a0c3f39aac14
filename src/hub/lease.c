/* SPDX-License-Identifier: MIT
 *
 * lease.c: leases in table work_leases (see lease.h). kv_lease_take looks without the write
 * lock first and, when the lease may be had, judges again inside a write transaction before
 * writing, so two nodes taking at once end with one holder. The set (struct kv_leases) keeps
 * the leases of a node's background passes: kv_leases_hold answers from memory while the last
 * renewal is recent and asks the database otherwise; a renewer thread renews every held lease
 * every third of the lease time. Lease times are real UTC milliseconds (never the test clock,
 * which each node moves on its own), so nodes need clocks agreeing to well within the lease
 * time (NTP).
 */
#include "hub/lease.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const char SQL_GET[] = "SELECT holder, until_ms FROM work_leases WHERE name = ?";
static const char SQL_INSERT[] =
    "INSERT INTO work_leases (name, holder, until_ms, taken_ms) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_UPDATE[] =
    "UPDATE work_leases SET taken_ms = CASE WHEN holder = ?2 THEN taken_ms ELSE ?4 END,"
    " holder = ?2, until_ms = ?3 WHERE name = ?1";
static const char SQL_DROP[] = "DELETE FROM work_leases WHERE name = ? AND holder = ?";

static int check_args(const char *name, const char *holder, struct kv_err *err)
{
    if (!name || !*name || strlen(name) >= KV_LEASE_NAME_MAX)
        return kv_err_set(err, KV_EINVAL, "lease name empty or over %d bytes",
                          KV_LEASE_NAME_MAX - 1);
    if (!holder || !*holder || strlen(holder) >= KV_LEASE_HOLDER_MAX)
        return kv_err_set(err, KV_EINVAL, "lease holder empty or over %d bytes",
                          KV_LEASE_HOLDER_MAX - 1);
    return 0;
}

/* Reads the lease row: *found 0 when none; else *mine (holder matches) and *live (not run
 * out at now_ms). */
static int look(struct kv_db *db, const char *name, const char *holder, int64_t now_ms,
                int *found, int *mine, int *live, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    *found = *mine = *live = 0;
    /* inside a write transaction the row stays locked until it ends (FOR UPDATE): two nodes
     * judging the same lease at once take turns */
    rc = kv_db_in_transaction(db) ? kv_db_prepare_for_update(db, SQL_GET, &s, err)
                                  : kv_db_prepare(db, SQL_GET, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, name, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *h = kv_stmt_col_text(s, 0);

        *found = 1;
        *mine = h && strcmp(h, holder) == 0;
        *live = kv_stmt_col_int64(s, 1) > now_ms;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_lease_take(struct kv_db *db, const char *name, const char *holder, int64_t now_ms,
                  int64_t ttl_ms, int *held, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int found, mine, live, rc;

    *held = 0;
    rc = check_args(name, holder, err);
    if (rc < 0)
        return rc;
    if (ttl_ms < 1)
        return kv_err_set(err, KV_EINVAL, "lease time must be positive");
    rc = look(db, name, holder, now_ms, &found, &mine, &live, err);
    if (rc < 0)
        return rc;
    if (found && !mine && live)
        return 0; /* someone else's, running: no write lock taken */
    /* Concurrent (docs/postgresql.md "Writes without the global lock"): the row is judged
     * again locked FOR UPDATE, so a concurrent taker waits and then sees this one's holder;
     * two first takers of a new lease race on its primary key, and the loser's insert fails
     * as a conflict: not held. */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        return rc;
    rc = look(db, name, holder, now_ms, &found, &mine, &live, err); /* again, locked */
    if (rc < 0 || (found && !mine && live))
        goto out;
    rc = kv_db_prepare(db, found ? SQL_UPDATE : SQL_INSERT, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, name, -1);
    kv_stmt_bind_text(s, 2, holder, -1);
    kv_stmt_bind_int64(s, 3, now_ms + ttl_ms);
    kv_stmt_bind_int64(s, 4, now_ms);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc == KV_ECONFLICT && !found) {
        rc = 0; /* another node inserted it first: theirs */
        goto out;
    }
    if (rc < 0)
        goto out;
    rc = kv_db_commit(db, err);
    if (rc == 0)
        *held = 1;
    return rc;
out:
    kv_db_rollback(db);
    return rc < 0 ? rc : 0;
}

int kv_lease_held(struct kv_db *db, const char *name, const char *holder, int64_t now_ms,
                  int *held, struct kv_err *err)
{
    int found, mine, live, rc;

    *held = 0;
    rc = check_args(name, holder, err);
    if (rc < 0)
        return rc;
    rc = look(db, name, holder, now_ms, &found, &mine, &live, err);
    if (rc == 0)
        *held = found && mine && live;
    return rc;
}

int kv_lease_drop(struct kv_db *db, const char *name, const char *holder, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = check_args(name, holder, err);
    if (rc < 0)
        return rc;
    rc = kv_db_begin_concurrent(db, err); /* one DELETE of its own row */
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_DROP, &s, err);
    if (rc == 0) {
        kv_stmt_bind_text(s, 1, name, -1);
        kv_stmt_bind_text(s, 2, holder, -1);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
    }
    if (rc < 0) {
        kv_db_rollback(db);
        return rc;
    }
    return kv_db_commit(db, err);
}

void kv_lease_default_holder(const char *data_dir, char *out, size_t n)
{
    char host[256];

    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    snprintf(out, n, "%s:%s", host, data_dir && *data_dir ? data_dir : "-");
}

/* ---- the set of a node's pass leases --------------------------------------------------- */

static int64_t real_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One held lease. */
struct held {
    char name[KV_LEASE_NAME_MAX]; /* "" when the slot is free */
    int64_t renewed_mono;         /* monotonic ms when the last successful take began */
};

struct kv_leases {
    struct kv_store *store;               /* borrowed */
    char holder[KV_LEASE_HOLDER_MAX];     /* this node */
    int64_t ttl_ms;                       /* lease time */
    pthread_mutex_t mu;                   /* guards the fields below */
    pthread_cond_t wake;                  /* stop */
    int stopping;                         /* stop requested */
    struct held held[KV_LEASE_SET_MAX];   /* leases held */
    pthread_t thread;                     /* the renewer */
};

/* Takes name now on a pooled connection; 1 held, 0 not, negative on error. */
static int take_now(struct kv_leases *ls, const char *name, struct kv_err *err)
{
    struct kv_db *db = NULL;
    int held = 0, rc;

    rc = kv_db_acquire(ls->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_lease_take(db, name, ls->holder, real_ms(), ls->ttl_ms, &held, err);
    kv_db_release(db);
    return rc < 0 ? rc : held;
}

static struct held *find(struct kv_leases *ls, const char *name)
{
    int i;

    for (i = 0; i < KV_LEASE_SET_MAX; i++)
        if (strcmp(ls->held[i].name, name) == 0)
            return &ls->held[i];
    return NULL;
}

/* Records the outcome of a take begun at start (under mu). */
static void note(struct kv_leases *ls, const char *name, int held, int64_t start)
{
    struct held *h = find(ls, name);

    if (held <= 0) {
        if (h && held == 0) /* lost (ran out and taken): forget it; an error keeps the slot */
            h->name[0] = '\0';
        return;
    }
    if (!h)
        h = find(ls, "");
    if (!h)
        return; /* more than KV_LEASE_SET_MAX names: kv_leases_hold asks the database */
    kv_str_copy(h->name, sizeof(h->name), name);
    if (start > h->renewed_mono)
        h->renewed_mono = start;
}

static void *renew_main(void *arg)
{
    struct kv_leases *ls = arg;
    char names[KV_LEASE_SET_MAX][KV_LEASE_NAME_MAX];
    int n, i;

    pthread_mutex_lock(&ls->mu);
    while (!ls->stopping) {
        struct timespec until;
        int64_t period = ls->ttl_ms / 3 > 0 ? ls->ttl_ms / 3 : 1;

        kv_clock_deadline(&until, CLOCK_MONOTONIC, period);
        while (!ls->stopping && pthread_cond_timedwait(&ls->wake, &ls->mu, &until) == 0) {
        }
        if (ls->stopping)
            break;
        n = 0;
        for (i = 0; i < KV_LEASE_SET_MAX; i++)
            if (ls->held[i].name[0])
                memcpy(names[n++], ls->held[i].name, KV_LEASE_NAME_MAX);
        pthread_mutex_unlock(&ls->mu);
        for (i = 0; i < n; i++) {
            struct kv_err err = {0, ""};
            int64_t start = mono_ms();
            int rc = take_now(ls, names[i], &err);

            if (rc < 0)
                kv_log(KV_LOG_WARN, "lease %s: renewal failed: %s", names[i], err.msg);
            else if (rc == 0)
                kv_log(KV_LOG_WARN, "lease %s: lost to another node", names[i]);
            pthread_mutex_lock(&ls->mu);
            note(ls, names[i], rc, start);
            pthread_mutex_unlock(&ls->mu);
        }
        pthread_mutex_lock(&ls->mu);
    }
    pthread_mutex_unlock(&ls->mu);
    return NULL;
}

int kv_leases_start(struct kv_store *st, const char *holder, int64_t ttl_ms,
                    struct kv_leases **out, struct kv_err *err)
{
    struct kv_leases *ls;
    pthread_condattr_t ca;

    *out = NULL;
    if (!holder || !*holder || strlen(holder) >= KV_LEASE_HOLDER_MAX)
        return kv_err_set(err, KV_EINVAL, "lease holder empty or over %d bytes",
                          KV_LEASE_HOLDER_MAX - 1);
    if (ttl_ms < 3)
        return kv_err_set(err, KV_EINVAL, "lease time too short");
    ls = kv_xcalloc(1, sizeof(*ls));
    ls->store = st;
    kv_str_copy(ls->holder, sizeof(ls->holder), holder);
    ls->ttl_ms = ttl_ms;
    pthread_mutex_init(&ls->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ls->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&ls->thread, NULL, renew_main, ls) != 0) {
        pthread_cond_destroy(&ls->wake);
        pthread_mutex_destroy(&ls->mu);
        free(ls);
        return kv_err_set(err, KV_EINTERNAL, "cannot start the lease renewer thread");
    }
    (void)pthread_setname_np(ls->thread, "kuvert-lease"); /* for top -H, perf --comm */
    *out = ls;
    return 0;
}

void kv_leases_stop(struct kv_leases *ls)
{
    struct kv_db *db = NULL;
    int i;

    if (!ls)
        return;
    pthread_mutex_lock(&ls->mu);
    ls->stopping = 1;
    pthread_cond_signal(&ls->wake);
    pthread_mutex_unlock(&ls->mu);
    pthread_join(ls->thread, NULL);
    /* Give the leases back, so another node takes over now rather than when they run out. */
    if (kv_db_acquire(ls->store, &db, NULL) == 0) {
        for (i = 0; i < KV_LEASE_SET_MAX; i++) {
            struct kv_err err = {0, ""};

            if (ls->held[i].name[0] && kv_lease_drop(db, ls->held[i].name, ls->holder, &err) < 0)
                kv_log(KV_LOG_WARN, "lease %s: not given back: %s", ls->held[i].name, err.msg);
        }
        kv_db_release(db);
    }
    pthread_cond_destroy(&ls->wake);
    pthread_mutex_destroy(&ls->mu);
    free(ls);
}

int kv_leases_hold(struct kv_leases *ls, const char *name, struct kv_err *err)
{
    struct held *h;
    int64_t start = mono_ms();
    int rc;

    if (!name || !*name || strlen(name) >= KV_LEASE_NAME_MAX)
        return kv_err_set(err, KV_EINVAL, "lease name empty or over %d bytes",
                          KV_LEASE_NAME_MAX - 1);
    pthread_mutex_lock(&ls->mu);
    h = find(ls, name);
    /* Renewed less than half a lease time ago: still ours for at least that long. */
    rc = h && start - h->renewed_mono < ls->ttl_ms / 2;
    pthread_mutex_unlock(&ls->mu);
    if (rc)
        return 1;
    rc = take_now(ls, name, err);
    pthread_mutex_lock(&ls->mu);
    note(ls, name, rc, start);
    pthread_mutex_unlock(&ls->mu);
    return rc;
}

const char *kv_leases_holder(const struct kv_leases *ls)
{
    return ls->holder;
}

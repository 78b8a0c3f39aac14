/* SPDX-License-Identifier: MIT
 *
 * store_pg_cred.c: the credentials generation (store.h kv_store_credentials_generation) of the
 * PostgreSQL backend, across processes and nodes. Every write of a credential row is followed,
 * in its own transaction, by a notification on `kuvert_credentials` whose payload is the
 * schema (KV__PG_CRED_NOTIFY, sent by store_pg.c); PostgreSQL
 * delivers it at COMMIT to every session that listens, on every node. A process that asks for
 * the generation starts one listener thread with a connection of its own (`LISTEN
 * kuvert_credentials`) that advances the process's counter for every notification of its own
 * schema. The
 * generation is -1 (nothing may be cached) until the listener listens, whenever its connection
 * is lost, and while a round trip on it (one `SELECT 1` a second) is unanswered for more than
 * PING_LATE_MS: notifications could then be late. A round trip unanswered for longer than the
 * drop bound closes the connection and a new one is made (a peer gone without closing, e.g. a
 * failed-over server or a cut network, would otherwise hold it half-open until the kernel's
 * keepalive ends it, hours by default). The drop bound adapts to a loaded server:
 * DROP_FACTOR times the slowest recent answer (which decays by an eighth at each answer),
 * never below DROP_MIN_MS nor above DROP_MAX_MS; a late answer before it only ends the -1, on
 * the same connection (a new one would cost every process a reconnect and every cache its
 * entries, which under heavy load happened every few seconds). On
 * (re)gaining the connection the counter advances, so nothing kept before counts. Connecting,
 * LISTEN and the schema's look-up are bounded together by CONNECT_MS and by stop, so a server
 * that accepts and then hangs never holds kv__pg_cred_free (a host name is still resolved by
 * libpq synchronously, before the first poll). A notification with an empty payload (a bare
 * `NOTIFY kuvert_credentials`, what an operator types after a change by hand) counts for every
 * schema: it costs other installations in the same database one reading of each entry. The generation also carries the current
 * minute of the monotonic clock: every kept entry is read again at least once a minute, the
 * bound for a change whose notification never went out (a node that lost its connection
 * between the change and the NOTIFY of a change made outside a transaction).
 *
 * What a cache then misses: a change committed on another node (or by the CLI) takes effect
 * here when its notification has arrived, milliseconds after the commit (docs/store.md
 * "Credentials generation").
 *
 * Ownership: kv__pg_cred_new returns an owned listener state (no thread until the first
 * kv__pg_cred_generation); kv__pg_cred_free stops the thread and frees it.
 */
#include "store/store_pg_cred.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "util/log.h"
#include "util/xmalloc.h"

#define CHANNEL "kuvert_credentials" /* as in KV__PG_CRED_NOTIFY */
#define TICK_MS 200       /* the thread looks at stop at least this often */
#define PING_EVERY_MS 1000 /* a round trip on the listening connection this often */
#define PING_LATE_MS 2000  /* unanswered this long: the generation is -1 until it is answered */
#define DROP_MIN_MS 15000  /* unanswered this long at the least: the connection is made again */
#define DROP_MAX_MS 30000  /* ... and at the most, however slow the answers have been */
#define DROP_FACTOR 5      /* the bound between: this many times the slowest recent answer */
#define RETRY_MS 1000      /* a failed connection is tried again after this */
#define AGE_S 60           /* every kept entry is read again within this */
#define CONNECT_MS 30000   /* connecting, LISTEN and the schema's look-up, together */

struct kv__pg_cred {
    char *conninfo;          /* owned */
    char schema[128];        /* the listener's current_schema(): notifications of others are
                                not for this store (listener thread only) */
    uint64_t gen;            /* the counter (store.c advances it too, __atomic) */
    atomic_int listening;    /* 1: notifications arrive and the last round trip was in time */
    atomic_int stop;         /* 1: the thread ends */
    pthread_mutex_t mu;      /* guards started */
    int started;             /* the thread exists */
    pthread_t thread;
};

static int64_t mono_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void bump(struct kv__pg_cred *c)
{
    (void)__atomic_add_fetch(&c->gen, 1, __ATOMIC_SEQ_CST);
}

/* Waits up to ms for fd to become readable (or writable when out), or stop. */
static void wait_fd(struct kv__pg_cred *c, int fd, int out, int ms)
{
    struct pollfd p = {.fd = fd, .events = out ? POLLOUT : POLLIN};

    if (fd < 0 || atomic_load(&c->stop)) {
        struct timespec t = {0, (long)(ms < TICK_MS ? ms : TICK_MS) * 1000000L};
        nanosleep(&t, NULL);
        return;
    }
    (void)poll(&p, 1, ms < TICK_MS ? ms : TICK_MS);
}

/* Runs sql on pc (nonblocking) until it is answered, stop, or until (mono_ms): the last
 * result (owned) or NULL. A connection left busy by NULL is only good for PQfinish. */
static PGresult *run_bounded(struct kv__pg_cred *c, PGconn *pc, const char *sql, int64_t until)
{
    PGresult *r, *last = NULL;
    int f;

    if (PQsendQuery(pc, sql) != 1)
        return NULL;
    while ((f = PQflush(pc)) == 1) {
        if (atomic_load(&c->stop) || mono_ms() >= until)
            return NULL;
        wait_fd(c, PQsocket(pc), 1, TICK_MS);
    }
    if (f < 0)
        return NULL;
    for (;;) {
        while (PQisBusy(pc)) {
            if (atomic_load(&c->stop) || mono_ms() >= until || !PQconsumeInput(pc)) {
                PQclear(last);
                return NULL;
            }
            if (PQisBusy(pc))
                wait_fd(c, PQsocket(pc), 0, TICK_MS);
        }
        r = PQgetResult(pc);
        if (!r)
            return last;
        PQclear(last);
        last = r;
    }
}

/* A connection that listens on CHANNEL, or NULL (stop, or it failed: the caller retries). */
static PGconn *connect_listening(struct kv__pg_cred *c)
{
    /* Named with the process id, so an operator (and a test) can tell it in pg_stat_activity. */
    char app[64];
    const char *const keys[] = {"dbname", "application_name", NULL};
    const char *vals[] = {c->conninfo, app, NULL};
    PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
    int64_t until = mono_ms() + CONNECT_MS;
    PGconn *pc;
    PGresult *r;

    snprintf(app, sizeof(app), "%s %ld", KV__PG_CRED_APP, (long)getpid());
    pc = PQconnectStartParams(keys, vals, 1);
    if (!pc)
        return NULL;
    while (PQstatus(pc) != CONNECTION_BAD && ps != PGRES_POLLING_OK &&
           ps != PGRES_POLLING_FAILED && !atomic_load(&c->stop) && mono_ms() < until) {
        wait_fd(c, PQsocket(pc), ps == PGRES_POLLING_WRITING, TICK_MS);
        ps = PQconnectPoll(pc);
    }
    if (ps != PGRES_POLLING_OK || atomic_load(&c->stop)) {
        PQfinish(pc);
        return NULL;
    }
    if (PQsetnonblocking(pc, 1) != 0) {
        PQfinish(pc);
        return NULL;
    }
    r = run_bounded(c, pc, "LISTEN " CHANNEL, until);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        PQclear(r);
        PQfinish(pc);
        return NULL;
    }
    PQclear(r);
    r = run_bounded(c, pc, "SELECT current_schema()", until);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        PQclear(r);
        PQfinish(pc);
        return NULL;
    }
    snprintf(c->schema, sizeof(c->schema), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return pc;
}

/* Advances the counter once if a notification of this store's schema, or one without a
 * payload (every schema's), arrived. */
static void drain_notifies(struct kv__pg_cred *c, PGconn *pc)
{
    PGnotify *n;
    int mine = 0;

    while ((n = PQnotifies(pc)) != NULL) {
        mine |= !n->extra || !n->extra[0] || strcmp(n->extra, c->schema) == 0;
        PQfreemem(n);
    }
    if (mine)
        bump(c);
}

static void *listener_main(void *arg)
{
    struct kv__pg_cred *c = arg;
    PGconn *pc = NULL;
    int64_t ping_sent = 0, last_ping = 0, now, slow = 0, drop_ms = DROP_MIN_MS;
    int warned = 0;

    while (!atomic_load(&c->stop)) {
        if (!pc || PQstatus(pc) != CONNECTION_OK) {
            atomic_store(&c->listening, 0);
            if (pc)
                PQfinish(pc);
            pc = connect_listening(c);
            if (!pc) {
                if (!warned++)
                    kv_log(KV_LOG_WARN, "credentials: cannot listen for changes on PostgreSQL: "
                                        "every authentication reads the database until it can");
                wait_fd(c, -1, 0, RETRY_MS);
                continue;
            }
            if (warned)
                kv_log(KV_LOG_INFO, "credentials: listening for changes on PostgreSQL again");
            warned = 0;
            ping_sent = 0;
            last_ping = mono_ms();
            bump(c); /* nothing kept while not listening may count */
            atomic_store(&c->listening, 1);
        }
        wait_fd(c, PQsocket(pc), 0, TICK_MS);
        if (!PQconsumeInput(pc))
            continue; /* lost: reconnect above */
        drain_notifies(c, pc);
        /* The round trip: its answer comes after every notification committed before it. */
        while (ping_sent && !PQisBusy(pc)) {
            PGresult *r = PQgetResult(pc);

            if (!r) {
                /* the slowest recent answer, decaying, sets how long a silence may last */
                now = mono_ms() - ping_sent;
                slow = now > slow - slow / 8 ? now : slow - slow / 8;
                drop_ms = DROP_FACTOR * slow;
                drop_ms = drop_ms < DROP_MIN_MS   ? DROP_MIN_MS
                          : drop_ms > DROP_MAX_MS ? DROP_MAX_MS
                                                  : drop_ms;
                ping_sent = 0;
                if (!atomic_load(&c->listening)) {
                    bump(c);
                    atomic_store(&c->listening, 1);
                }
                break;
            }
            PQclear(r);
        }
        drain_notifies(c, pc);
        now = mono_ms();
        if (ping_sent && now - ping_sent > PING_LATE_MS)
            atomic_store(&c->listening, 0); /* late: notifications may be too; until answered */
        if (ping_sent && now - ping_sent > drop_ms) {
            /* silent: a peer gone without closing would keep the connection half-open for
             * hours, so it is dropped and a new one made */
            kv_log(KV_LOG_WARN, "credentials: the PostgreSQL listener got no answer for %lld "
                                "ms: connecting again",
                   (long long)drop_ms);
            PQfinish(pc);
            pc = NULL;
            continue;
        }
        if (!ping_sent && now - last_ping >= PING_EVERY_MS) {
            if (PQsendQuery(pc, "SELECT 1") != 1) {
                PQfinish(pc);
                pc = NULL;
                continue;
            }
            (void)PQflush(pc);
            ping_sent = last_ping = now;
        }
    }
    atomic_store(&c->listening, 0);
    if (pc)
        PQfinish(pc);
    return NULL;
}

struct kv__pg_cred *kv__pg_cred_new(const char *conninfo)
{
    struct kv__pg_cred *c = kv_xcalloc(1, sizeof(*c));

    c->conninfo = kv_xstrdup(conninfo);
    atomic_init(&c->listening, 0);
    atomic_init(&c->stop, 0);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void kv__pg_cred_free(struct kv__pg_cred *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, 1);
    pthread_mutex_lock(&c->mu);
    if (c->started)
        pthread_join(c->thread, NULL);
    c->started = 0;
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_destroy(&c->mu);
    free(c->conninfo);
    free(c);
}

uint64_t *kv__pg_cred_counter(struct kv__pg_cred *c)
{
    return &c->gen;
}

int64_t kv__pg_cred_generation(struct kv__pg_cred *c)
{
    uint64_t g;
    int64_t minute;

    if (!atomic_load(&c->listening)) {
        pthread_mutex_lock(&c->mu);
        if (!c->started && !atomic_load(&c->stop)) {
            if (pthread_create(&c->thread, NULL, listener_main, c) == 0)
                c->started = 1;
            else
                kv_log(KV_LOG_WARN, "credentials: cannot start the PostgreSQL listener thread");
        }
        pthread_mutex_unlock(&c->mu);
        return -1;
    }
    g = __atomic_load_n(&c->gen, __ATOMIC_SEQ_CST);
    minute = mono_ms() / (AGE_S * 1000);
    /* Read after the flag: a loss noticed later still advances g before listening is 1. */
    return (int64_t)(((g << 20) | ((uint64_t)minute & 0xfffff)) & INT64_MAX);
}

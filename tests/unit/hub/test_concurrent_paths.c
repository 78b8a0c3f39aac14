/* SPDX-License-Identifier: MIT
 *
 * test_concurrent_paths.c: the write paths that left the exclusive write lock for concurrent
 * transactions (kv_db_begin_concurrent; docs/postgresql.md "Writes without the global
 * lock"), each run by two nodes at the same moment on one database. On PostgreSQL a node is
 * a forked process with its own store (the group commit runs one batch at a time per
 * process, as on one node); the two are interleaved deterministically: a third connection
 * holds a row lock both need, the test waits (bounded poll of pg_locks) until both nodes
 * wait for a lock, checks that neither waits for the store's write lock (an advisory lock:
 * what kv_db_begin would make them do), then lets go. Whatever the order, the outcome is
 * checked: nothing lost, nothing doubled. The same race with a read-then-write in place of
 * the guarded statements counts twice, so these tests fail on a path made concurrent
 * naively. On SQLite (one writer at a time) the same calls from two stores on two threads
 * give the same outcome.
 *
 * Paths: the group commit of the pull API's first fetch (kv_recipient_get: the mark, the
 * system's health and the delivery statistics); a print job marked printed (kv_print_mark);
 * value-date publication (kv_letters_publish_due); a web session signed out
 * (kv_web_session_revoke); a mailbox draft deleted (kv_mbox_draft_delete); the outcome of
 * a REST push (kv_recipient_push_drain's commit); a notice claimed by two senders, and the
 * outcome of a claim taken over (kv_notify_send_due); a contact group changed twice from one
 * version (kv_contact_group_update); two administrators revoking each other (kv_rights_revoke,
 * the last-administrator rule).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"
#include "unit/hub/store_helpers.h"
#include <microhttpd.h>

#include "http/http.h"
#include "notify/sender.h"
#include "hub/contact_points.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "hub/mailbox_drafts.h"
#include "hub/mailbox_send.h"
#include "hub/mailbox_view.h"
#include "hub/print.h"
#include "hub/recipient_push.h"
#include "hub/recipient_queue.h"
#include "identity/identity.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/conf.h"
#include "web/session.h"

#define AUTH "55133018" /* the recipient authority */
#define OTHER "12345674" /* the sending authority */
#define UUID1 "00000000-0000-4000-8000-0000000000a1"
#define WAIT_MS 60000 /* bound of every wait for the other processes */

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    struct kv_db *holder; /* the connection holding the row lock, or NULL */
    char sender[37], system[37];
    int64_t job; /* a print job */
    char draft[37]; /* a draft */
    char push[37]; /* a push system of AUTH (rx_start) */
    char group[37]; /* a contact group of AUTH */
    int64_t admin[2]; /* two administrators' privileges */
    int64_t qid; /* a queue row */
    int pg;
};

/* ---- a receiver (push receiver or gateway) -------------------------------------------------- */

/* An HTTP server on 127.0.0.1 in this process that answers every request `status` and
 * counts them (a forked node's requests reach it too: the daemon's thread stays here). */
static struct {
    struct MHD_Daemon *d;
    unsigned status;
    int n;       /* requests answered or being answered */
    int hold;    /* 1: the first request waits for rx_release before it is answered */
    int holding; /* 1 while it waits */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char url[64];
} rx = {NULL, 0, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, ""};

static enum MHD_Result rx_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (!*con_cls) { /* the headers: wait for the body */
        *con_cls = &rx;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* the body is not kept */
        return MHD_YES;
    }
    pthread_mutex_lock(&rx.mu);
    if (rx.n++ == 0 && rx.hold) {
        struct timespec until;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += WAIT_MS / 1000;
        rx.holding = 1;
        pthread_cond_broadcast(&rx.cv);
        while (rx.hold && pthread_cond_timedwait(&rx.cv, &rx.mu, &until) == 0)
            ;
        rx.holding = 0;
    }
    pthread_mutex_unlock(&rx.mu);
    resp = MHD_create_response_from_buffer(2, (void *)"no", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, rx.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Lets a held first request be answered. */
static void rx_release(void)
{
    pthread_mutex_lock(&rx.mu);
    rx.hold = 0;
    pthread_cond_broadcast(&rx.cv);
    pthread_mutex_unlock(&rx.mu);
}

/* Waits (bounded) until the first request is held. */
static void rx_until_holding(void)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&rx.mu);
    while (!rx.holding && pthread_cond_timedwait(&rx.cv, &rx.mu, &until) == 0)
        ;
    pthread_mutex_unlock(&rx.mu);
    assert_true(rx.holding);
}

static void rx_start(unsigned status, int hold)
{
    struct sockaddr_in a;
    const union MHD_DaemonInfo *info;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rx.status = status;
    rx.n = 0;
    rx.hold = hold;
    rx.holding = 0;
    rx.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, rx_request, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_END);
    assert_non_null(rx.d);
    info = MHD_get_daemon_info(rx.d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    snprintf(rx.url, sizeof(rx.url), "http://127.0.0.1:%u/in", (unsigned)info->port);
}

static int rx_count(void)
{
    int n;

    pthread_mutex_lock(&rx.mu);
    n = rx.n;
    pthread_mutex_unlock(&rx.mu);
    return n;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0};

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-conc-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    f->pg = strcmp(kv_store_backend(f->st), "postgresql") == 0;
    if (kv_org_add(f->db, AUTH, "Kommunen", &err) != 0 ||
        kv_org_add(f->db, OTHER, "Styrelsen", &err) != 0)
        return -1;
    assert_int_equal(kv_test_add_system(f->db, OTHER, "sender", NULL, f->sender), 0);
    assert_int_equal(kv_test_add_system(f->db, AUTH, "recipient", NULL, f->system), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (f->holder) { /* after a failed assertion: roll back, or the drop waits */
        if (kv_db_in_transaction(f->holder))
            kv_db_rollback(f->holder);
        kv_db_release(f->holder);
    }
    if (rx.d) {
        rx_release(); /* after a failed assertion: a held request would keep the stop waiting */
        MHD_stop_daemon(rx.d);
        rx.d = NULL;
    }
    return kv_test_fx_free(f, f->dir, f->st, f->db);
}

/* A letter from OTHER's sender system to AUTH, AVAILABLE, or AWAITING_DELAY with its value
 * date long past when awaiting; its id. */
static int64_t letter_row(struct fx *f, const char *uuid, int awaiting)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    int64_t id;

    assert_int_equal(
        kv_db_prepare(f->db,
                      "INSERT INTO letters (message_uuid, transmission_id, sender_system, "
                      "sender_cvr, recipient_type, recipient_id, label, message_type, "
                      "memo_version, body_sha256, body, size, state, receipt_status, created_ms, "
                      "available_ms) VALUES (?1, ?1, ?2, ?3, 'CVR', ?4, 'Brev', 'DIGITALPOST', "
                      "'1.2', 'x', ?5, ?6, ?7, 'RECEIVED', 1, ?8) RETURNING id",
                      &s, &err),
        0);
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, f->sender, -1);
    kv_stmt_bind_text(s, 3, OTHER, -1);
    kv_stmt_bind_text(s, 4, AUTH, -1);
    kv_stmt_bind_blob(s, 5, uuid, strlen(uuid));
    kv_stmt_bind_int64(s, 6, (int64_t)strlen(uuid));
    kv_stmt_bind_text(s, 7, awaiting ? "AWAITING_DELAY" : "AVAILABLE", -1);
    if (awaiting)
        kv_stmt_bind_int64(s, 8, 1000);
    else
        kv_stmt_bind_null(s, 8);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return id;
}

/* A letter queued for f->system (QUEUED, visible). */
static void queued_letter(struct fx *f, const char *uuid)
{
    struct kv_err err = {0};

    assert_int_equal(kv_recipient_queue_to(f->db, letter_row(f, uuid, 0), f->system, NULL, &err),
                     0);
}

/* ---- two nodes ---------------------------------------------------------------------------- */

/* What a node runs on its own connection (owned: it may release it; a process node ends
 * without releasing anything): 0 or a negative KV_E* code. */
typedef int (*node_fn)(struct fx *f, struct kv_db *db);

/* A node: a forked process (PostgreSQL) or a thread on a second store (SQLite). */
struct node {
    struct fx *f;
    node_fn fn;
    pid_t pid;            /* the process, 0 for a thread */
    int fd;               /* read end of its pipe (process) */
    int go;               /* write end of the pipe that lets it run fn (process) */
    pthread_t th;         /* the thread */
    struct kv_store *st;  /* the thread's store */
    int backend;          /* its server process id (PostgreSQL) */
    int rc;               /* its result */
};

static int write_all(int fd, const void *p, size_t n)
{
    return write(fd, p, n) == (ssize_t)n ? 0 : -1;
}

/* Reads n bytes from fd within WAIT_MS; 0 or -1. */
static int read_all(int fd, void *p, size_t n)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    size_t got = 0;

    while (got < n) {
        ssize_t k;

        if (poll(&pfd, 1, WAIT_MS) != 1)
            return -1;
        k = read(fd, (char *)p + got, n - got);
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

/* The child: its own store on the same database (opened before the holder takes its lock:
 * opening checks the migrations in an exclusive transaction), its backend's pid, then, once
 * told to go, fn's result. */
static void node_child(struct node *n, int fd, int go)
{
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    int pid = 0, rc;
    char c;

    if (kv_test_store_open(n->f->dir, &st, &err) != 0 || kv_db_acquire(st, &db, &err) != 0) {
        fprintf(stderr, "node: %s\n", err.msg);
        _exit(2);
    }
    pid = (int)kv_test_scalar(db, "SELECT pg_backend_pid()", NULL);
    if (write_all(fd, &pid, sizeof(pid)) < 0 || read_all(go, &c, 1) < 0)
        _exit(2);
    rc = n->fn(n->f, db);
    if (write_all(fd, &rc, sizeof(rc)) < 0)
        _exit(2);
    /* no cleanup: the parent's inherited connections must not be touched */
    _exit(0);
}

static void *node_thread(void *arg)
{
    struct node *n = arg;
    struct kv_db *db = NULL;
    struct kv_err err = {0};

    n->rc = kv_db_acquire(n->st, &db, &err);
    if (n->rc == 0)
        n->rc = n->fn(n->f, db); /* db is fn's now */
    return NULL;
}

/* Makes node n to run fn; on PostgreSQL returns once its connection is open (n->backend),
 * and fn runs at node_go. A thread (SQLite) starts at once. */
static void node_start(struct fx *f, struct node *n, node_fn fn)
{
    struct kv_err err = {0};
    int p[2], g[2];

    memset(n, 0, sizeof(*n));
    n->f = f;
    n->fn = fn;
    if (!f->pg) {
        assert_int_equal(kv_test_store_open(f->dir, &n->st, &err), 0);
        assert_int_equal(pthread_create(&n->th, NULL, node_thread, n), 0);
        return;
    }
    assert_int_equal(pipe(p), 0);
    assert_int_equal(pipe(g), 0);
    fflush(NULL);
    n->pid = fork();
    assert_true(n->pid >= 0);
    if (n->pid == 0) {
        close(p[0]);
        close(g[1]);
        node_child(n, p[1], g[0]);
    }
    close(p[1]);
    close(g[0]);
    n->fd = p[0];
    n->go = g[1];
    assert_int_equal(read_all(n->fd, &n->backend, sizeof(n->backend)), 0);
}

/* Lets a process node run its fn. */
static void node_go(struct node *n)
{
    if (n->pid)
        assert_int_equal(write_all(n->go, "g", 1), 0);
}

/* Waits for node n to end; returns its result. */
static int node_finish(struct node *n)
{
    int status = 0;

    if (!n->pid) {
        pthread_join(n->th, NULL);
        kv_store_close(n->st);
        return n->rc;
    }
    if (read_all(n->fd, &n->rc, sizeof(n->rc)) < 0)
        n->rc = -1000;
    close(n->fd);
    close(n->go);
    assert_int_equal(waitpid(n->pid, &status, 0), n->pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return n->rc;
}

/* PostgreSQL: 1 when node n's backend waits for a lock. */
static int waits(struct fx *f, const struct node *n)
{
    char sql[160];

    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND pid = %d",
             n->backend);
    return kv_test_scalar(f->db, sql, NULL) > 0;
}

/* 1 when process node n has reported its result (without reading it). */
static int reported(const struct node *n)
{
    struct pollfd pfd = {n->fd, POLLIN, 0};

    return poll(&pfd, 1, 0) == 1;
}

/* PostgreSQL: waits (bounded) until node n waits for a lock (want_done 0), or until it has
 * either finished or come to wait (want_done 1); returns 1 when it finished. */
static int until_waiting(struct fx *f, const struct node *n, int want_done)
{
    int i;

    for (i = 0; i < WAIT_MS / 10; i++) {
        struct timespec ts = {0, 10 * 1000000L};

        if (want_done && reported(n))
            return 1;
        if (waits(f, n))
            return 0;
        nanosleep(&ts, NULL); /* a bounded poll, not a synchronisation */
    }
    fail_msg("node %d neither waited nor finished within %d ms", n->backend, WAIT_MS);
    return 0;
}

/* PostgreSQL: waits (bounded) until both nodes' backends wait for a lock, then checks that
 * neither waits for the store's write lock (advisory): they meet on rows, not on the global
 * exclusion. */
static void both_wait_on_rows(struct fx *f, const struct node *a, const struct node *b)
{
    char sql[256];
    int i;

    snprintf(sql, sizeof(sql),
             "SELECT COUNT(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid IN (%d, %d)",
             a->backend, b->backend);
    for (i = 0; i < WAIT_MS / 10; i++) {
        struct timespec ts = {0, 10 * 1000000L};

        if (kv_test_scalar(f->db, sql, NULL) == 2)
            break;
        nanosleep(&ts, NULL); /* a bounded poll, not a synchronisation */
    }
    assert_int_equal(kv_test_scalar(f->db, sql, NULL), 2);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND pid IN (%d, %d) "
             "AND locktype = 'advisory'",
             a->backend, b->backend);
    assert_int_equal(kv_test_scalar(f->db, sql, NULL), 0);
}

/* PostgreSQL: f->holder takes the row lock of `SELECT ... WHERE id = ?` (FOR UPDATE; id
 * NULL: no parameter) in a concurrent transaction and keeps it. */
static void hold_row(struct fx *f, const char *select_sql, const char *id)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};

    assert_int_equal(kv_db_acquire(f->st, &f->holder, &err), 0);
    assert_int_equal(kv_db_begin_concurrent(f->holder, &err), 0);
    assert_int_equal(kv_db_prepare_for_update(f->holder, select_sql, &s, &err), 0);
    if (id)
        kv_stmt_bind_text(s, 1, id, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    kv_stmt_done(s);
}

/* Runs fa and fb on two nodes at once. PostgreSQL: while f->holder holds the row lock taken by
 * select_sql on id, both start, both are made to wait on rows (checked), then the lock goes.
 * rc[] gets their results. */
static void race_two(struct fx *f, node_fn fa, node_fn fb, const char *select_sql, const char *id,
                     int rc[2])
{
    struct node a, b;

    node_start(f, &a, fa);
    node_start(f, &b, fb);
    if (f->pg)
        hold_row(f, select_sql, id);
    node_go(&a);
    node_go(&b);
    if (f->pg) {
        both_wait_on_rows(f, &a, &b);
        assert_int_equal(kv_db_commit(f->holder, NULL), 0);
    }
    rc[0] = node_finish(&a);
    rc[1] = node_finish(&b);
}

/* race_two with fn on both nodes. */
static void race(struct fx *f, node_fn fn, const char *select_sql, const char *id, int rc[2])
{
    race_two(f, fn, fn, select_sql, id, rc);
}

/* ---- the pull API's first fetch (group commit) ---------------------------------------------- */

static int first_fetch(struct fx *f, struct kv_db *db)
{
    struct kv_err err = {0};
    char *body = NULL;
    size_t len = 0;
    int rc = kv_recipient_get(db, f->system, UUID1, &body, &len, &err);

    kv_db_release(db);

    if (rc == 0 && (len != strlen(UUID1) || memcmp(body, UUID1, len) != 0))
        rc = -999; /* the wrong body */
    if (rc < 0)
        fprintf(stderr, "first fetch: %d %s\n", rc, err.msg);
    free(body);
    return rc;
}

/* Two nodes fetch the same letter for the first time at once. On PostgreSQL the holder keeps
 * the system's row, which the mark's health update needs: the first node to mark waits there
 * holding the queue row, the second waits for that row. Both answer the letter; it is
 * marked fetched once and counted as one delivery (a mark that read QUEUED and wrote anyway
 * would count two). */
static void two_nodes_first_fetch(void **state)
{
    struct fx *f = *state;
    int rc[2];

    queued_letter(f, UUID1);
    race(f, first_fetch, "SELECT id FROM systems WHERE id = ?", f->system, rc);
    assert_int_equal(rc[0], 0);
    assert_int_equal(rc[1], 0);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM recipient_queue WHERE system_id = ? "
                            "AND state = 'DELIVERED' AND fetched_ms IS NOT NULL",
                            f->system),
                     1);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COALESCE(SUM(delivered), 0) FROM stats_deliveries "
                            "WHERE system_id = ?",
                            f->system),
                     1);
    assert_true(kv_test_scalar(f->db, "SELECT last_success_ms FROM systems WHERE id = ?", f->system) > 0);
}

/* ---- print jobs: marked printed ------------------------------------------------------------ */

static int mark_printed(struct fx *f, struct kv_db *db)
{
    struct kv_err err = {0};
    int rc = kv_print_mark(db, f->job, 1, NULL, "operator", &err);

    kv_db_release(db);
    return rc;
}

/* Two nodes mark one rendered print job printed at once (the operator's CLI on two nodes).
 * On PostgreSQL the holder keeps the job's row, so both wait for it. One mark wins; the other
 * finds the job printed already (409); one event and one receipt (a mark that read the state
 * first and then wrote would tell the sender twice). */
static void two_nodes_mark_printed(void **state)
{
    struct fx *f = *state;
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    char sql[128];
    int rc[2];

    assert_int_equal(kv_db_prepare(f->db,
                                   "INSERT INTO print_jobs (letter_id, state, created_ms, "
                                   "batch, pdf_path, pages, rendered_ms) VALUES (?, 'QUEUED', "
                                   "1, 'b1', '/nonexistent/job.pdf', 1, 1) RETURNING id",
                                   &s, &err),
                     0);
    kv_stmt_bind_int64(s, 1, letter_row(f, UUID1, 0));
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    f->job = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    snprintf(sql, sizeof(sql), "SELECT id FROM print_jobs WHERE id = %lld", (long long)f->job);
    race(f, mark_printed, sql, NULL, rc);
    assert_true((rc[0] == 0 && rc[1] == KV_ECONFLICT) || (rc[0] == KV_ECONFLICT && rc[1] == 0));
    assert_int_equal(kv_test_scalar(f->db, "SELECT COUNT(*) FROM print_jobs WHERE state = 'PRINTED'",
                            NULL),
                     1);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM events WHERE tag = 'PRINT_JOB_PRINTED' "
                            "AND message_uuid = ?",
                            UUID1),
                     1);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM receipts WHERE receipt_status = 'COMPLETED' "
                            "AND message_uuid = ?",
                            UUID1),
                     1);
}

/* ---- value-date publication ------------------------------------------------------------------ */

#define DUE 5 /* letters whose value date has come */

static int publish(struct fx *f, struct kv_db *db)
{
    struct kv_err err = {0};
    int n = 0, rc = kv_letters_publish_due(db, 2000, 100, &n, &err);

    (void)f;
    kv_db_release(db);
    if (rc < 0)
        fprintf(stderr, "publish: %s\n", err.msg);
    return rc < 0 ? rc : n;
}

/* Two nodes' schedulers publish the due letters at once. PostgreSQL: a gate (a trigger on
 * the letters' UPDATE that takes a shared advisory lock the test holds) stops the first
 * node after it has taken the due letters; the second then runs to the end while the first
 * still holds them — it neither waits for them nor for the store's write lock, and publishes
 * none of them — and the first publishes all once the gate opens. Every letter AVAILABLE
 * once with its two events (a publisher that read the letters without locking them would
 * wait for the first one's rows and then tell about them again: four events each). */
static void two_nodes_publish(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    struct node a, b;
    char uuid[37];
    int i, na, nb, b_first = 0;

    for (i = 0; i < DUE; i++) {
        snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012d", 100 + i);
        letter_row(f, uuid, 1);
    }
    node_start(f, &a, publish);
    node_start(f, &b, publish);
    if (f->pg) {
        assert_int_equal(kv_db_exec(f->db,
                                    "CREATE FUNCTION kvt_gate() RETURNS trigger LANGUAGE plpgsql "
                                    "AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared(4242); "
                                    "RETURN NEW; END $$",
                                    &err),
                         0);
        assert_int_equal(kv_db_exec(f->db,
                                    "CREATE TRIGGER kvt_gate BEFORE UPDATE ON letters FOR EACH "
                                    "ROW EXECUTE FUNCTION kvt_gate()",
                                    &err),
                         0);
        assert_int_equal(kv_db_acquire(f->st, &f->holder, &err), 0);
        assert_int_equal(kv_test_scalar(f->holder, "SELECT 1 FROM (SELECT pg_advisory_lock(4242)) g",
                                NULL),
                         1);
        node_go(&a);
        until_waiting(f, &a, 0); /* a holds the due letters, stopped at the gate */
        node_go(&b);
        b_first = until_waiting(f, &b, 1);
        assert_int_equal(kv_test_scalar(f->holder, "SELECT 1 FROM (SELECT pg_advisory_unlock(4242)) g",
                                NULL),
                         1);
    }
    na = node_finish(&a);
    nb = node_finish(&b);
    assert_true(na >= 0 && nb >= 0);
    assert_int_equal(na + nb, DUE);
    if (f->pg) {
        assert_true(b_first); /* b did not wait */
        assert_int_equal(nb, 0);
    }
    assert_int_equal(kv_test_scalar(f->db, "SELECT COUNT(*) FROM letters WHERE state = 'AVAILABLE'",
                            NULL),
                     DUE);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM events WHERE tag = 'DELAYED_MEMO_SEND_SENT'",
                            NULL),
                     DUE);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM events WHERE tag = "
                            "'MEMO_AVAILABLE_TO_RECIPIENT'",
                            NULL),
                     DUE);
}

/* ---- web sessions: sign-out ------------------------------------------------------------------ */

#define SESSION_HASH "5e55105e55105e55105e55105e55105e55105e55105e55105e55105e55105e55"

/* Signs out the session SESSION_HASH through kv_web_session_revoke, on a hub made of db's
 * store and a default configuration. db goes back to the pool first: revoke takes it again
 * (the pool hands out the connection released last), so the node's reported backend is the
 * one that writes. */
static int sign_out(struct fx *f, struct kv_db *db)
{
    struct kv_conf conf;
    struct kv_hub hub;
    struct kv_http_req req;
    struct kv_http_resp resp;
    struct kv_web_session sess;
    struct kv_err err = {0};
    int rc, i;

    (void)f;
    memset(&conf, 0, sizeof(conf));
    snprintf(conf.cookie_secure, sizeof(conf.cookie_secure), "off");
    memset(&hub, 0, sizeof(hub));
    hub.conf = &conf;
    hub.store = kv_db_store(db);
    memset(&req, 0, sizeof(req));
    req.hub = &hub;
    memset(&resp, 0, sizeof(resp));
    memset(&sess, 0, sizeof(sess));
    snprintf(sess.id_sha256, sizeof(sess.id_sha256), "%s", SESSION_HASH);
    snprintf(sess.subject_type, sizeof(sess.subject_type), "CPR");
    snprintf(sess.subject, sizeof(sess.subject), "2211771212");
    snprintf(sess.method, sizeof(sess.method), "test");
    kv_db_release(db);
    rc = kv_web_session_revoke(&req, &resp, &sess, &err);
    if (rc < 0)
        fprintf(stderr, "sign-out: %s\n", err.msg);
    else if (resp.n_hdrs != 1 || strcmp(resp.hdr_names[0], "Set-Cookie") != 0)
        rc = -999; /* the cookie is not cleared */
    for (i = 0; i < resp.n_hdrs; i++)
        free(resp.hdr_values[i]);
    return rc;
}

/* One session signed out on two nodes at once (two tabs behind a load balancer). On
 * PostgreSQL the holder keeps the session's row, so both wait for it. Both answer (the
 * cookie is cleared), the session is revoked, and USER_SIGNED_OUT is logged once (an UPDATE
 * without the revoked_ms guard changes the row twice and logs two). */
static void two_nodes_sign_out(void **state)
{
    struct fx *f = *state;
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    int rc[2];

    assert_int_equal(kv_db_prepare(f->db,
                                   "INSERT INTO web_sessions (id_sha256, subject_type, subject, "
                                   "name, csrf, method, user_agent, client, created_ms, "
                                   "last_used_ms, expires_ms, person_id) VALUES (?, 'CPR', "
                                   "'2211771212', 'Borger', 'c', 'test', '', '', 1, 1, "
                                   "9000000000000, 0)",
                                   &s, &err),
                     0);
    kv_stmt_bind_text(s, 1, SESSION_HASH, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);
    race(f, sign_out, "SELECT id_sha256 FROM web_sessions WHERE id_sha256 = ?", SESSION_HASH,
         rc);
    assert_int_equal(rc[0], 0);
    assert_int_equal(rc[1], 0);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM web_sessions WHERE id_sha256 = ? "
                            "AND revoked_ms IS NOT NULL",
                            SESSION_HASH),
                     1);
    assert_int_equal(kv_test_scalar(f->db, "SELECT COUNT(*) FROM events WHERE tag = 'USER_SIGNED_OUT'",
                            NULL),
                     1);
}

/* ---- mailbox drafts: deleted ----------------------------------------------------------------- */

#define DRAFT_CPR "2211771212"

static void draft_owner(struct kv_mbox_owner *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->type, sizeof(o->type), "CPR");
    snprintf(o->id, sizeof(o->id), DRAFT_CPR);
}

static int delete_draft(struct fx *f, struct kv_db *db)
{
    struct kv_mbox_owner o;
    struct kv_err err = {0};
    int rc;

    draft_owner(&o);
    rc = kv_mbox_draft_delete(db, &o, f->draft, &err);
    kv_db_release(db);
    return rc;
}

/* One draft deleted on two nodes at once (two tabs). On PostgreSQL the holder keeps the
 * draft's row, so both wait for it. One deletes it (0), the other finds nothing (404); the
 * mailbox's draft count ends at 0, not -1, and DRAFT_DELETED is logged once. */
static void two_nodes_delete_draft(void **state)
{
    struct fx *f = *state;
    struct kv_mbox_owner o;
    struct kv_mbox_draft d;
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    json_t *in, *out = NULL, *fes = NULL;
    char point[37];
    int rc[2];

    assert_int_equal(kv_db_prepare(f->db,
                                   "INSERT INTO mailboxes (owner_type, owner_id, status, "
                                   "created_ms) VALUES ('CPR', ?, 'REGISTERED', 1)",
                                   &s, &err),
                     0);
    kv_stmt_bind_text(s, 1, DRAFT_CPR, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);
    in = json_pack("{s:s,s:s,s:b}", "name", "Punkt", "systemId", f->system, "active", 1);
    assert_int_equal(kv_contact_point_create(f->db, AUTH, NULL, in, &out, &fes, &err), 0);
    assert_null(fes);
    snprintf(point, sizeof(point), "%s", json_string_value(json_object_get(out, "id")));
    json_decref(in);
    json_decref(out);
    draft_owner(&o);
    memset(&d, 0, sizeof(d));
    d.label = "Kladde";
    d.text = "tekst";
    d.text_len = 5;
    if (kv_mbox_draft_save(f->db, &o, NULL, point, &d, f->draft, &err) != 0)
        fail_msg("save: %s", err.msg);
    race(f, delete_draft, "SELECT id FROM mailbox_drafts WHERE id = ?", f->draft, rc);
    assert_true((rc[0] == 0 && rc[1] == KV_ENOTFOUND) || (rc[0] == KV_ENOTFOUND && rc[1] == 0));
    assert_int_equal(kv_test_scalar(f->db, "SELECT COUNT(*) FROM mailbox_drafts", NULL), 0);
    assert_int_equal(kv_test_scalar(f->db, "SELECT COALESCE(SUM(drafts), 0) FROM mailbox_draft_counts",
                            NULL),
                     0);
    assert_int_equal(kv_test_scalar(f->db, "SELECT COUNT(*) FROM events WHERE tag = 'DRAFT_DELETED'",
                            NULL),
                     1);
}

/* ---- REST push: the outcome of one push recorded by two nodes -------------------------------- */

/* A drain of the REST pusher (the node's connection db is the one that commits: db goes back
 * to the pool after a second connection, so the drain loads on that one and commits on db). */
static int push_drain(struct fx *f, struct kv_db *db)
{
    struct kv_recipient_push_opts o;
    struct kv_recipient_push_stats stats;
    struct kv_db *other = NULL;
    struct kv_err err = {0};
    int rc;

    (void)f;
    rc = kv_db_acquire(kv_db_store(db), &other, &err);
    kv_db_release(db);
    kv_db_release(other);
    if (rc < 0)
        return rc;
    memset(&o, 0, sizeof(o));
    o.total_timeout_ms = WAIT_MS;
    rc = kv_recipient_push_drain(kv_db_store(db), &o, &stats, &err);
    if (rc < 0)
        fprintf(stderr, "push: %d %s\n", rc, err.msg);
    return rc;
}

/* Two nodes push one letter at once and the receiver fails both (a lease taken over while
 * its old holder was still pushing; here the drains are called directly). On PostgreSQL the
 * holder keeps the queue row, so both have pushed and wait for it to record the outcome.
 * The attempt is counted once, with one FAILED event (a failure recorded by attempt-blind
 * UPDATE, the code before, counted two attempts and logged two: the test fails there; with
 * kv_db_begin both wait on the advisory lock: it fails too). */
static void two_nodes_push_failed(void **state)
{
    struct fx *f = *state;
    struct kv_system s;
    struct kv_err err = {0};
    char *tok = NULL;
    char qid[24];
    int rc[2];

    rx_start(503, 0);
    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", AUTH);
    snprintf(s.kind, sizeof(s.kind), "recipient");
    snprintf(s.name, sizeof(s.name), "push %s", AUTH);
    s.protocol = KV_PROTOCOL_PUSH;
    snprintf(s.push_url, sizeof(s.push_url), "%s", rx.url);
    assert_int_equal(kv_system_add(f->db, &s, &tok, &err), 0);
    free(tok);
    snprintf(f->push, sizeof(f->push), "%s", s.id);
    assert_int_equal(kv_recipient_queue_to(f->db, letter_row(f, UUID1, 0), f->push, NULL, &err),
                     0);
    f->qid = kv_test_scalar(f->db, "SELECT id FROM recipient_queue WHERE system_id = ?", f->push);
    snprintf(qid, sizeof(qid), "%lld", (long long)f->qid);
    race(f, push_drain, "SELECT id FROM recipient_queue WHERE id = CAST(? AS BIGINT)", qid, rc);
    assert_int_equal(rc[0], 0);
    assert_int_equal(rc[1], 0);
    assert_true(rx_count() >= 1);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT attempts FROM recipient_queue WHERE system_id = ? "
                            "AND state = 'QUEUED' AND next_ms IS NOT NULL",
                            f->push),
                     1);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM events WHERE tag = "
                            "'MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM_FAILED' AND message_uuid = ?",
                            UUID1),
                     1);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COALESCE(SUM(failed), 0) FROM stats_deliveries "
                            "WHERE system_id = ?",
                            f->push),
                     1);
    assert_true(kv_test_scalar(f->db, "SELECT failing_since_ms FROM systems WHERE id = ?", f->push) > 0);
}

/* ---- notices: the claim and the outcome ------------------------------------------------------ */

#define NOTICE_NOW 1000 /* the passes' time (the notice is due from 1) */

static void nemsms_notice(struct fx *f)
{
    struct kv_err err = {0};

    assert_int_equal(kv_db_exec(f->db,
                                "INSERT INTO notify_outbox (ukey, kind, channel, target, text, "
                                "state, attempts, next_ms, created_ms) VALUES ('NEMSMS:t1', "
                                "'NEMSMS', 'SMS', '+4512345678', 'Hej', 'PENDING', 0, 1, 1)",
                                &err),
                     0);
}

/* One pass of the notice sender at now_ms, SMS gateway rx; 0 or a negative code. */
static int notice_pass(struct kv_store *st, int64_t now_ms)
{
    struct kv_notify_opts o;
    struct kv_err err = {0};
    int done = 0, rc;

    memset(&o, 0, sizeof(o));
    o.sms_url = rx.url;
    o.timeout_ms = WAIT_MS;
    rc = kv_notify_send_due(st, &o, now_ms, &done, &err);
    if (rc < 0)
        fprintf(stderr, "notices: %d %s\n", rc, err.msg);
    return rc < 0 ? rc : 0;
}

static int send_notices(struct fx *f, struct kv_db *db)
{
    struct kv_store *st = kv_db_store(db);

    (void)f;
    kv_db_release(db); /* the pass takes it again for its claim */
    return notice_pass(st, NOTICE_NOW);
}

/* Two nodes' notice senders find one due NemSMS at once. On PostgreSQL the holder keeps its
 * outbox row, so both wait for it at the claim. One claims it and POSTs it; the other finds it
 * claimed and leaves it: the gateway gets one request, the row is SENT after one attempt, one
 * NEM_SMS_SENT_SUCCESSFULLY (a claim without the loaded state and next_ms in its WHERE hands
 * the row to both: two POSTs, two events -- the test fails; with kv_db_begin both wait on the
 * advisory lock -- it fails too). */
static void two_nodes_claim_notice(void **state)
{
    struct fx *f = *state;
    int rc[2];

    rx_start(200, 0);
    nemsms_notice(f);
    race(f, send_notices, "SELECT id FROM notify_outbox WHERE ukey = ?", "NEMSMS:t1", rc);
    assert_int_equal(rc[0], 0);
    assert_int_equal(rc[1], 0);
    assert_int_equal(rx_count(), 1);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM notify_outbox WHERE state = 'SENT' "
                            "AND attempts = 1",
                            NULL),
                     1);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM events WHERE tag = 'NEM_SMS_SENT_SUCCESSFULLY'",
                            NULL),
                     1);
}

struct pass_arg {
    struct kv_store *st;
    int rc;
};

static void *pass_main(void *arg)
{
    struct pass_arg *a = arg;

    a->rc = notice_pass(a->st, NOTICE_NOW);
    return NULL;
}

/* A node claims a NemSMS and POSTs it, and its request hangs past the claim's lease
 * (KV_NOTIFY_LEASE_MS); a second node takes the claim over, POSTs again (same reference) and
 * records SENT. When the first node's answer comes at last, its outcome is not recorded: the
 * row is no longer SENDING under its claim. One SENT after one attempt, one event (an outcome
 * recorded by id alone -- the code before -- counts two attempts and logs two events: the
 * test fails). The same on both backends: the first pass runs on a thread of this process. */
static void notice_outcome_after_takeover(void **state)
{
    struct fx *f = *state;
    struct pass_arg a = {f->st, -1};
    pthread_t th;

    rx_start(200, 1);
    nemsms_notice(f);
    assert_int_equal(pthread_create(&th, NULL, pass_main, &a), 0);
    rx_until_holding(); /* the first node has claimed and POSTed */
    assert_int_equal(notice_pass(f->st, NOTICE_NOW + KV_NOTIFY_LEASE_MS + 1), 0);
    assert_int_equal(kv_test_scalar(f->db, "SELECT COUNT(*) FROM notify_outbox WHERE state = 'SENT'",
                            NULL),
                     1);
    rx_release();
    pthread_join(th, NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(rx_count(), 2);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM notify_outbox WHERE state = 'SENT' "
                            "AND attempts = 1",
                            NULL),
                     1);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM events WHERE tag = 'NEM_SMS_SENT_SUCCESSFULLY'",
                            NULL),
                     1);
}

/* ---- contact structure: one version edited twice ------------------------------------------- */

static int rename_group(struct fx *f, struct kv_db *db)
{
    struct kv_err err = {0};
    json_t *in = json_pack("{s:s}", "name", "Omdøbt"), *out = NULL, *fes = NULL;
    int stale = 0;
    int rc = kv_contact_group_update(db, AUTH, NULL, f->group, 1, in, &out, &fes, &stale, &err);

    kv_db_release(db);
    if (rc == KV_ECONFLICT && !stale)
        rc = -999; /* a conflict that is not the version's */
    if (rc < 0 && rc != KV_ECONFLICT)
        fprintf(stderr, "rename: %d %s\n", rc, err.msg);
    json_decref(in);
    json_decref(out);
    json_decref(fes);
    return rc;
}

/* Two nodes change one contact group at once, both with If-Match version 1 (two
 * administrators, two nodes). On PostgreSQL the holder keeps the group's row: the first node
 * takes the organisation's contact-structure lock, finds version 1 and waits for the row to
 * write; the second waits for the lock. One change is made (version 2), the other is refused
 * as stale (412) -- not made on top of the first one unseen. One CONTACT_GROUP_CHANGED for it
 * (beside the creation's). A version read without the lock passes in both, and both writes
 * land (version 3: the first edit lost) -- the test fails; with kv_db_begin both wait on the
 * advisory lock -- it fails. */
static void two_nodes_rename_group(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    json_t *in = json_pack("{s:s}", "name", "Gruppe"), *out = NULL, *fes = NULL;
    int rc[2];

    assert_int_equal(kv_contact_group_create(f->db, AUTH, NULL, in, &out, &fes, &err), 0);
    assert_null(fes);
    snprintf(f->group, sizeof(f->group), "%s", json_string_value(json_object_get(out, "id")));
    json_decref(in);
    json_decref(out);
    race(f, rename_group, "SELECT id FROM contact_groups WHERE id = ?", f->group, rc);
    assert_true((rc[0] == 0 && rc[1] == KV_ECONFLICT) || (rc[0] == KV_ECONFLICT && rc[1] == 0));
    assert_int_equal(kv_test_scalar(f->db, "SELECT version FROM contact_groups WHERE id = ?", f->group),
                     2);
    assert_int_equal(kv_test_scalar(f->db,
                            "SELECT COUNT(*) FROM events WHERE tag = 'CONTACT_GROUP_CHANGED'",
                            NULL),
                     2);
}

/* ---- rights: the last administrator ---------------------------------------------------------- */

#define ADMIN_T "ORGANISATION_USER_ADMINISTRATOR"

static int revoke_admin(struct fx *f, struct kv_db *db, int i)
{
    struct kv_err err = {0};
    int rc = kv_rights_revoke(db, f->admin[i], "test", &err);

    kv_db_release(db);
    if (rc == KV_ECONFLICT && !strstr(err.msg, "without a rettighedsadministrator"))
        rc = -999; /* refused for another reason */
    return rc;
}

static int revoke_first(struct fx *f, struct kv_db *db)
{
    return revoke_admin(f, db, 0);
}

static int revoke_second(struct fx *f, struct kv_db *db)
{
    return revoke_admin(f, db, 1);
}

/* The organisation's two rettighedsadministratorer revoke each other's right at once, on two
 * nodes. On PostgreSQL the holder keeps the organisation's org_rights row, which both take
 * before they count, so both wait for it. One revocation goes through; the other, counting
 * after it, would leave no administrator and is refused (409): one administrator left, one
 * PRIVILEGES_REVOKED. (Counting before the lock -- or without it -- both see two, both
 * revoke: none left. With kv_db_begin both wait on the advisory lock -- the test fails.) */
static void two_nodes_revoke_admins(void **state)
{
    struct fx *f = *state;
    const char *rights[1] = {ADMIN_T};
    struct kv_person p;
    struct kv_employee e[2];
    struct kv_privilege pr;
    struct kv_err err = {0};
    int64_t n = 0;
    int rc[2], i;

    for (i = 0; i < 2; i++) {
        char name[24], mail[48];

        snprintf(name, sizeof(name), "Admin %d", i + 1);
        snprintf(mail, sizeof(mail), "admin%d@kommune.dk", i + 1);
        if (kv_identity_add_employee(f->db, AUTH, name, mail, NULL, rights, 1, "test", &p, &e[i],
                                     &err) != 0)
            fail_msg("employee: %s", err.msg);
        assert_int_equal(kv_rights_find_direct(f->db, e[i].id, AUTH, ADMIN_T, &pr, &err), 0);
        f->admin[i] = pr.id;
    }
    assert_int_equal(kv_rights_count_admins(f->db, AUTH, &n, &err), 0);
    assert_int_equal(n, 2);
    race_two(f, revoke_first, revoke_second, "SELECT cvr FROM org_rights WHERE cvr = ?", AUTH,
             rc);
    assert_true((rc[0] == 0 && rc[1] == KV_ECONFLICT) || (rc[0] == KV_ECONFLICT && rc[1] == 0));
    assert_int_equal(kv_rights_count_admins(f->db, AUTH, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(kv_test_scalar(f->db, "SELECT COUNT(*) FROM events WHERE tag = 'PRIVILEGES_REVOKED'",
                            NULL),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(two_nodes_first_fetch, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_mark_printed, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_publish, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_sign_out, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_delete_draft, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_push_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_claim_notice, setup, teardown),
        cmocka_unit_test_setup_teardown(notice_outcome_after_takeover, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_rename_group, setup, teardown),
        cmocka_unit_test_setup_teardown(two_nodes_revoke_admins, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

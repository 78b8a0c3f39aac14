/* SPDX-License-Identifier: MIT
 *
 * notify_bench.c: benchmark of the notices of new post (src/notify; NOT a test: it prints
 * figures and asserts nothing). A temporary SQLite store gets --letters letters, each to its own
 * citizen's mailbox whose owner has one confirmed SMS channel, all with the same value date;
 * then:
 *
 *   publish   the clock passes that midnight: kv_letters_publish_due in the scheduler's
 *             batches (500 per transaction) makes every letter AVAILABLE with its events and
 *             queues one notice per letter in the same transaction: letters/s;
 *   drain     kv_notify_send_due, as the notice worker runs it, POSTs every notice as JSON to a
 *             local SMS gateway (in-process libmicrohttpd on 127.0.0.1 answering 202 at once)
 *             and records the outcomes: notices/s, with the requests the gateway counted;
 *   overlap   a second set of --letters/4 letters is published while a thread drains the
 *             first set's leftovers and its own notices: the publication's letters/s next to
 *             the sender's, and whether publishing finished before the drain (it does not wait).
 *
 *   notify_bench [--letters N] [--db URL]
 *
 * --db URL: run on PostgreSQL (URL of an empty database or schema, as `kuvert serve --db`);
 * default a temporary SQLite store.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hub/letters.h"
#include "notify/sender.h"
#include "store/store.h"
#include "util/clock.h"

#define CVR "12345678"

static atomic_ulong posts;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct kv_err *err)
{
    fprintf(stderr, "notify_bench: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
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
    if (!*con_cls) {
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&posts, 1);
    resp = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, 202, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void exec_or_die(struct kv_db *db, const char *sql)
{
    struct kv_err err = {0, ""};
    if (kv_db_exec(db, sql, &err) < 0)
        die(sql, &err);
}

/* Seeds letters first..first+n-1 (mailboxes, settings, channels only when with_people). */
static void seed(struct kv_db *db, int64_t first, int64_t n, int64_t value_ms, int with_people)
{
    struct kv_err err = {0, ""};
    struct kv_stmt *s;
    int64_t i;
    char cpr[24], uuid[48], num[24];

    if (kv_db_begin(db, &err) < 0)
        die("begin", &err);
    for (i = first; i < first + n; i++) {
        snprintf(cpr, sizeof(cpr), "%010lld", (long long)(1000000000LL + i));
        snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012lld", (long long)i);
        if (with_people) {
            snprintf(num, sizeof(num), "%08lld", 20000000LL + i % 70000000LL);
            if (kv_db_prepare(db,
                              "INSERT INTO mailboxes (id, owner_type, owner_id, status, created_ms)"
                              " VALUES (?, 'CPR', ?, 'REGISTERED', 0)",
                              &s, &err) < 0)
                die("prepare", &err);
            kv_stmt_bind_int64(s, 1, i + 1);
            kv_stmt_bind_text(s, 2, cpr, -1);
            if (kv_stmt_step(s, &err) < 0)
                die("mailbox", &err);
            kv_stmt_done(s);
            if (kv_db_prepare(db,
                              "INSERT INTO notify_settings (id, mailbox_id, holder, updated_ms)"
                              " VALUES (?, ?, ?, 0)",
                              &s, &err) < 0)
                die("prepare", &err);
            kv_stmt_bind_int64(s, 1, i + 1);
            kv_stmt_bind_int64(s, 2, i + 1);
            snprintf(uuid, sizeof(uuid), "CPR:%s", cpr);
            kv_stmt_bind_text(s, 3, uuid, -1);
            if (kv_stmt_step(s, &err) < 0)
                die("settings", &err);
            kv_stmt_done(s);
            if (kv_db_prepare(db,
                              "INSERT INTO notify_channels (settings_id, kind, address,"
                              " confirmed_ms, created_ms) VALUES (?, 'SMS', ?, 0, 0)",
                              &s, &err) < 0)
                die("prepare", &err);
            kv_stmt_bind_int64(s, 1, i + 1);
            kv_stmt_bind_text(s, 2, num, -1);
            if (kv_stmt_step(s, &err) < 0)
                die("channel", &err);
            kv_stmt_done(s);
            snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012lld", (long long)i);
        } else {
            snprintf(uuid, sizeof(uuid), "00000000-0000-4000-9000-%012lld", (long long)i);
        }
        if (kv_db_prepare(db,
                          "INSERT INTO letters (message_uuid, transmission_id, sender_system,"
                          " sender_cvr, sender_label, recipient_type, recipient_id, mailbox_id,"
                          " label, message_type, memo_version, body_sha256, body, size, state,"
                          " receipt_status, available_ms, created_ms) VALUES (?, ?, 'bench', '"
                          CVR "', 'Kommunen', 'CPR', ?, ?, 'Brev', 'DIGITALPOST', '1.2', 'x',"
                          " 'x', 1, 'AWAITING_DELAY', 'RECEIVED', ?, 0)",
                          &s, &err) < 0)
            die("prepare", &err);
        kv_stmt_bind_text(s, 1, uuid, -1);
        kv_stmt_bind_text(s, 2, uuid, -1);
        kv_stmt_bind_text(s, 3, cpr, -1);
        kv_stmt_bind_int64(s, 4, (i % (with_people ? n + first : first)) + 1);
        kv_stmt_bind_int64(s, 5, value_ms);
        if (kv_stmt_step(s, &err) < 0)
            die("letter", &err);
        kv_stmt_done(s);
        if ((i - first) % 20000 == 19999) {
            if (kv_db_commit(db, &err) < 0 || kv_db_begin(db, &err) < 0)
                die("commit", &err);
        }
    }
    if (kv_db_commit(db, &err) < 0)
        die("commit", &err);
}

static int64_t publish_all(struct kv_db *db, int64_t at)
{
    struct kv_err err = {0, ""};
    int64_t total = 0;
    int n;

    int rounds = 0;

    do { /* as the scheduler: batches of 500, a passive checkpoint after each pass of 100 */
        if (kv_letters_publish_due(db, at, 500, &n, &err) < 0)
            die("publish", &err);
        total += n;
        if (++rounds % 100 == 0)
            (void)kv_db_checkpoint(db, KV_CHECKPOINT_PASSIVE, NULL);
    } while (n > 0);
    return total;
}

static int64_t count(struct kv_db *db, const char *sql)
{
    struct kv_err err = {0, ""};
    struct kv_stmt *s;
    int64_t v = -1;

    if (kv_db_prepare(db, sql, &s, &err) < 0)
        die(sql, &err);
    if (kv_stmt_step(s, &err) == KV_ROW)
        v = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return v;
}

struct drainer {
    struct kv_store *st;
    struct kv_notify_opts o;
    int64_t at;
    atomic_int stop;     /* 1: stop when nothing is due */
    double done_s;       /* when the drain finished */
    int64_t settled;
};

/* Drains until nothing is due (and, when stop is not set yet, keeps polling). */
static void *drain_main(void *arg)
{
    struct drainer *d = arg;
    struct kv_err err = {0, ""};
    int rc, got;

    for (;;) {
        rc = kv_notify_send_due(d->st, &d->o, d->at, &got, &err);
        if (rc < 0)
            die("send", &err);
        d->settled += got;
        if (rc == 0 && got == 0) {
            if (atomic_load(&d->stop))
                break;
            usleep(2000);
        }
    }
    d->done_s = now_s();
    return NULL;
}

int main(int argc, char **argv)
{
    struct kv_err err = {0, ""};
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct sockaddr_in addr;
    struct MHD_Daemon *mhd;
    const union MHD_DaemonInfo *info;
    struct drainer d;
    pthread_t th;
    char dir[] = "/tmp/kuvert-notify-bench-XXXXXX", url[64], cmd[128];
    const char *db_url = NULL;
    int64_t n = 1000000, n2, value_ms, value2_ms, published, queued, t_seed;
    double t0, t1, t_pub, t_drain, t_pub2, pub2_end;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--letters") == 0 && i + 1 < argc)
            n = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db_url = argv[++i];
        else {
            fprintf(stderr, "usage: notify_bench [--letters N] [--db URL]\n");
            return 2;
        }
    }
    if (n < 4 || n > 50000000) {
        fprintf(stderr, "notify_bench: --letters 4..50000000\n");
        return 2;
    }
    n2 = n / 4;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
                               MHD_USE_ERROR_LOG,
                           0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
                           (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, 1024,
                           MHD_OPTION_END);
    if (!mhd)
        die("cannot start the gateway sink", NULL);
    info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/sms", info ? info->port : 0);
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    if ((db_url ? kv_store_open_db(dir, db_url, &st, &err) : kv_store_open(dir, &st, &err)) < 0 ||
        kv_db_acquire(st, &db, &err) < 0)
        die("store", &err);
    exec_or_die(db, "INSERT INTO orgs (cvr, name, created_ms) VALUES ('" CVR "', 'Kommunen', 0)");
    value_ms = kv_clock_copenhagen_midnight_ms(2030, 1, 2);
    value2_ms = kv_clock_copenhagen_midnight_ms(2030, 1, 3);
    printf("notify_bench: %lld letters to %lld citizens with one confirmed SMS channel each, "
           "value date 2030-01-02; %s; SMS gateway %s (in-process libmicrohttpd, 202 at once)\n",
           (long long)n, (long long)n, kv_store_backend(st), url);
    fflush(stdout);
    t0 = now_s();
    seed(db, 0, n, value_ms, 1);
    seed(db, n, n2, value2_ms, 0);
    (void)kv_db_checkpoint(db, KV_CHECKPOINT_TRUNCATE, NULL); /* seeding's WAL out of the way */
    t_seed = (int64_t)(now_s() - t0);
    printf("  seeded in %lld s (+ %lld letters for the overlap case)\n", (long long)t_seed,
           (long long)n2);
    fflush(stdout);

    /* publish */
    t0 = now_s();
    published = publish_all(db, value_ms + 1000);
    t_pub = now_s() - t0;
    queued = count(db, "SELECT COUNT(*) FROM notify_outbox WHERE state = 'PENDING'");
    printf("  publish: %lld letters AVAILABLE in %.1f s = %.0f letters/s, %lld notices queued "
           "in the same transactions\n",
           (long long)published, t_pub, (double)published / t_pub, (long long)queued);
    fflush(stdout);

    /* drain */
    memset(&d, 0, sizeof(d));
    d.st = st;
    d.o.sms_url = url;
    d.o.push_url = url;
    d.o.public_url = "http://127.0.0.1:8080";
    d.o.timeout_ms = 10000;
    d.at = value_ms + 2000;
    atomic_store(&d.stop, 1);
    kv_db_release(db);
    db = NULL;
    t0 = now_s();
    drain_main(&d);
    t_drain = d.done_s - t0;
    printf("  drain:   %lld notices settled in %.1f s = %.0f notices/s (gateway counted %lu "
           "requests; %d in flight at most, batches of %d)\n",
           (long long)d.settled, t_drain, (double)d.settled / t_drain,
           atomic_load(&posts), KV_NOTIFY_PARALLEL, KV_NOTIFY_BATCH);
    fflush(stdout);

    /* overlap: publish the second set while a thread sends */
    if (kv_db_acquire(st, &db, &err) < 0)
        die("acquire", &err);
    memset(&d, 0, sizeof(d));
    d.st = st;
    d.o.sms_url = url;
    d.o.push_url = url;
    d.o.public_url = "";
    d.o.timeout_ms = 10000;
    d.at = value2_ms + 2000;
    atomic_store(&posts, 0);
    t0 = now_s();
    if (pthread_create(&th, NULL, drain_main, &d) != 0)
        die("thread", NULL);
    published = publish_all(db, value2_ms + 1000);
    pub2_end = now_s();
    t_pub2 = pub2_end - t0;
    atomic_store(&d.stop, 1);
    pthread_join(th, NULL);
    t1 = d.done_s - t0;
    printf("  overlap: %lld letters published in %.1f s = %.0f letters/s while the sender ran; "
           "its %lld notices all sent %.1f s after the start (publication %s)\n",
           (long long)published, t_pub2, (double)published / t_pub2, (long long)d.settled, t1,
           pub2_end <= d.done_s ? "finished first: it does not wait for sending"
                                : "finished after the sender");
    printf("  outbox: %lld SENT, %lld other\n",
           (long long)count(db, "SELECT COUNT(*) FROM notify_outbox WHERE state = 'SENT'"),
           (long long)count(db, "SELECT COUNT(*) FROM notify_outbox WHERE state <> 'SENT'"));
    kv_db_release(db);
    kv_store_close(st);
    MHD_stop_daemon(mhd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "notify_bench: could not remove %s\n", dir);
    return 0;
}

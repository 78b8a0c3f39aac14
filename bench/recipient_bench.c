/* SPDX-License-Identifier: MIT
 *
 * recipient_bench.c: benchmark of the recipient side (NOT a test; it prints figures and
 * asserts nothing). Two parts:
 *
 *   pull   REST pull throughput. A temporary data directory gets N letters (the official
 *          Minimum MeMo 1.2 example with a fresh messageUUID each, or the Full one with
 *          --full) routed with kv_recipient_route to K pull systems of one authority (one
 *          contact point per system). The real HTTP server runs in this process (hub, workers,
 *          libmicrohttpd, as `kuvert serve` starts them) and K client threads, one per system,
 *          each on one keep-alive libcurl connection, run the pull protocol:
 *            list+get                 GET /apis/v1/memos/?page=P&size=S for P = 0, 1, ... and
 *                                     GET /apis/v1/memos/{id} of every listed letter (the
 *                                     first fetch of each: the DELIVERED mark is written);
 *            refetch                  the same again (every letter already fetched: reads only);
 *            list+get+receipt+delete  GET page 0, then per letter GET, POST .../receipt
 *                                     (COMPLETED) and DELETE, until the list is empty.
 *          Each variant runs R times on the same letters (reset to QUEUED in between).
 *          Prints letters/s per variant (letters fully handled per second of wall time; best
 *          and median run) and the CPU time per letter of the whole process (server and
 *          clients together, user + system), which says more than letters/s on a machine
 *          that is busy with other work: on an idle machine with C cores, letters/s is at
 *          most C * 1e6 / (cpu us per letter).
 *
 *   sched  how the scheduler's queue work grows with the queue: for 10,000 and for
 *          1,000,000 queued letters (--big), the cost of one pass of what the scheduler runs
 *          over recipient_queue: the push drain (kv_recipient_push_drain) with nothing due,
 *          and alone the due selection through migration 008's index that the drain uses,
 *          the health check (kv_system_health_check, including the pull rule's oldest
 *          waiting letter per system) and the value-date publisher with nothing due. The
 *          backlog is what a real outage looks like (see SCALE_SYSTEMS): a pull system that
 *          stopped fetching, a deactivated push system, failing push systems whose letters
 *          back off, and letters waiting for a value date.
 *          Prints ms per pass (median of P passes) and the 1 M / 10 k ratio.
 *
 *   recipient_bench [--part pull|sched|all] [--letters N] [--clients K] [--size S] [--full]
 *                   [--only get|refetch|full] [--repeat R] [--big N] [--passes P]
 *
 * Run from the repository root (bench/run.sh does); the MeMo examples are read by relative
 * path. Temporary directories go under /tmp and are removed at the end.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "api/api.h"
#include "http/server.h"
#include "hub/contact_points.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "hub/recipient_push.h"
#include "hub/recipient_queue.h"
#include "hub/system_health.h"
#include "memo/memo.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/outbound.h"
#include "util/xmalloc.h"

#include "queue_letters.h"

#define MAX_CLIENTS 64
#define RESP_MAX (64u << 20) /* largest response body a client keeps */


/* CPU seconds (user + system) of this process so far: server and clients together. */
static double cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- letters ---- */




/* Everything a data directory's letters are made from. */
struct world {
    char dir[64];                 /* data directory */
    char sender[37];              /* sender system */
    int n_sys;                    /* recipient systems */
    char sys[MAX_CLIENTS][37];    /* their ids */
    char point[MAX_CLIENTS][37];  /* one contact point per system */
    char auth[MAX_CLIENTS][256];  /* "Authorization: Basic ..." header lines */
};

static int add_system(struct kv_db *db, const char *org, const char *kind, const char *protocol,
                      char id[37], char *auth, size_t authsz, struct kv_err *err)
{
    struct kv_system s;
    char *tok = NULL;
    int rc;

    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", org);
    snprintf(s.kind, sizeof(s.kind), "%s", kind);
    snprintf(s.name, sizeof(s.name), "bench %s", kind);
    if (protocol) {
        (void)kv_protocol_parse(protocol, &s.protocol);
        if (strcmp(protocol, "push") == 0)
            snprintf(s.push_url, sizeof(s.push_url), "http://127.0.0.1:9/never");
        snprintf(s.contact_email, sizeof(s.contact_email), "drift@example.dk");
    }
    rc = kv_system_add(db, &s, &tok, err);
    if (rc == 0) {
        snprintf(id, 37, "%s", s.id);
        if (auth)
            snprintf(auth, authsz, "Authorization: Basic %s", tok);
    }
    free(tok);
    return rc;
}

static int add_point(struct kv_db *db, const char *sys, char id[37], struct kv_err *err)
{
    json_t *in = json_pack("{s:s,s:s}", "name", "Bench", "systemId", sys);
    json_t *out = NULL, *fes = NULL;
    int rc = kv_contact_point_create(db, AUTH, NULL, in, &out, &fes, err);

    if (rc == 0)
        snprintf(id, 37, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(in);
    json_decref(out);
    json_decref(fes);
    return rc;
}

/* Organisations, the sender system and n_sys recipient systems of `protocol` with a contact
 * point each. */
static int setup_world(struct kv_db *db, struct world *w, int n_sys, const char *protocol,
                       struct kv_err *err)
{
    int rc, i;

    rc = kv_org_add(db, SENDER, "Styrelsen", err);
    if (rc == 0)
        rc = kv_org_add(db, AUTH, "Kommunen", err);
    if (rc == 0)
        rc = add_system(db, SENDER, "sender", NULL, w->sender, NULL, 0, err);
    for (i = 0; rc == 0 && i < n_sys; i++) {
        rc = add_system(db, AUTH, "recipient", protocol, w->sys[i], w->auth[i],
                        sizeof(w->auth[i]), err);
        if (rc == 0)
            rc = add_point(db, w->sys[i], w->point[i], err);
    }
    w->n_sys = n_sys;
    return rc;
}

/* Inserts n letters to AUTH, letter i routed to contact point points[i % n_points], in
 * transactions of 10,000. Body: t with the letter's uuid, or a short stand-in when t is
 * NULL. */


/* ---- pull: HTTP clients ---- */

enum variant { LIST_GET, REFETCH, LIST_GET_RECEIPT_DELETE };

/* One measured pull case. */
struct pull_run {
    const struct world *w; /* systems and their tokens */
    unsigned port;         /* server port */
    int size;              /* page size */
    enum variant v;        /* what the clients do */
    pthread_mutex_t mu;    /* guards the counters */
    unsigned long done;    /* letters fully handled */
    unsigned long errors;  /* unexpected answers */
    unsigned long lists;   /* list calls */
};

/* One client: its system index and its connection. */
struct client {
    struct pull_run *r; /* shared */
    int idx;            /* system index */
};

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
    return kv_buf_append(arg, p, sz * n) == 0 ? sz * n : 0;
}

/* Performs one request on handle h: method "GET", "POST" (body json) or "DELETE". Returns the
 * HTTP status (0 on transport failure); the body is in b. */
static long request(CURL *h, struct kv_buf *b, const char *method, const char *url,
                    const char *json)
{
    long code = 0;

    kv_buf_reset(b);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                         strcmp(method, "DELETE") == 0 ? "DELETE" : NULL);
    }
    if (curl_easy_perform(h) != CURLE_OK)
        return 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

static void count(struct pull_run *r, unsigned long done, unsigned long errors,
                  unsigned long lists)
{
    pthread_mutex_lock(&r->mu);
    r->done += done;
    r->errors += errors;
    r->lists += lists;
    pthread_mutex_unlock(&r->mu);
}

static void *pull_client(void *arg)
{
    struct client *c = arg;
    struct pull_run *r = c->r;
    struct curl_slist *hdr = NULL, *jhdr;
    struct kv_buf b;
    CURL *h = curl_easy_init();
    char url[256];
    unsigned long done = 0, errors = 0, lists = 0;
    int page = 0;

    kv_buf_init(&b, RESP_MAX);
    hdr = curl_slist_append(hdr, r->w->auth[c->idx]);
    jhdr = curl_slist_append(hdr, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, jhdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    for (;;) {
        json_t *p, *content;
        size_t i, n;

        snprintf(url, sizeof(url), "http://127.0.0.1:%u/apis/v1/memos/?page=%d&size=%d", r->port,
                 r->v == LIST_GET_RECEIPT_DELETE ? 0 : page, r->size);
        lists++;
        if (request(h, &b, "GET", url, NULL) != 200) {
            errors++;
            break;
        }
        p = json_loadb(b.buf, b.len, 0, NULL);
        content = json_object_get(p, "content");
        n = json_array_size(content);
        for (i = 0; i < n; i++) {
            const char *u = json_string_value(json_array_get(content, i));
            int ok;

            snprintf(url, sizeof(url), "http://127.0.0.1:%u/apis/v1/memos/%s", r->port, u);
            ok = request(h, &b, "GET", url, NULL) == 200 && b.len > 0;
            if (ok && r->v == LIST_GET_RECEIPT_DELETE) {
                snprintf(url, sizeof(url), "http://127.0.0.1:%u/apis/v1/memos/%s/receipt",
                         r->port, u);
                ok = request(h, &b, "POST", url, "{\"receiptStatus\":\"COMPLETED\"}") == 200;
                snprintf(url, sizeof(url), "http://127.0.0.1:%u/apis/v1/memos/%s", r->port, u);
                ok = ok && request(h, &b, "DELETE", url, NULL) == 204;
            }
            if (ok)
                done++;
            else if (++errors <= 3)
                fprintf(stderr, "recipient_bench: %s: %.200s\n", url, b.buf);
        }
        json_decref(p);
        if (n == 0 || errors > 100)
            break;
        page++;
    }
    count(r, done, errors, lists);
    curl_easy_cleanup(h);
    curl_slist_free_all(jhdr);
    kv_buf_release(&b);
    return NULL;
}

/* Puts every letter back in its first state (QUEUED, never fetched, no receipt), so a
 * variant can run again on the same data. */
static int reset_queue(struct kv_hub *hub)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    int rc = kv_db_acquire(hub->store, &db, &err);

    if (rc == 0)
        rc = kv_db_exec(db,
                        "UPDATE recipient_queue SET state = 'QUEUED', fetched_ms = NULL, "
                        "acknowledged_ms = NULL, receipt_status = NULL",
                        &err);
    if (rc == 0)
        rc = kv_db_checkpoint(db, KV_CHECKPOINT_TRUNCATE, &err);
    if (rc < 0)
        fprintf(stderr, "recipient_bench: reset: %s\n", err.msg);
    kv_db_release(db);
    return rc;
}

/* One run of variant v; returns letters/s and sets *out_cpu_us (CPU us per letter). */
static double pull_run_once(struct pull_run *r, enum variant v, int64_t n, double *out_cpu_us)
{
    pthread_t th[MAX_CLIENTS];
    struct client c[MAX_CLIENTS];
    double t0, c0, el, cpu;
    int i;

    r->v = v;
    r->done = r->errors = r->lists = 0;
    c0 = cpu_s();
    t0 = bench_now_s();
    for (i = 0; i < r->w->n_sys; i++) {
        c[i].r = r;
        c[i].idx = i;
        pthread_create(&th[i], NULL, pull_client, &c[i]);
    }
    for (i = 0; i < r->w->n_sys; i++)
        pthread_join(th[i], NULL);
    el = bench_now_s() - t0;
    cpu = cpu_s() - c0;
    *out_cpu_us = r->done ? cpu * 1e6 / (double)r->done : 0.0;
    if ((int64_t)r->done != n || r->errors)
        printf("  (run of variant %d: %lu of %lld letters handled, %lu errors)\n", (int)v,
               r->done, (long long)n, r->errors);
    return (double)r->done / el;
}

/* Runs variant v `repeat` times (resetting the queue before each run that needs it) and
 * prints the best and the median letters/s and the lowest CPU time per letter. */
static void pull_case(struct pull_run *r, struct kv_hub *hub, enum variant v, const char *label,
                      int64_t n, int repeat)
{
    double rate[32], cpu[32], best_cpu = 0;
    int i;

    if (repeat > 32)
        repeat = 32;
    for (i = 0; i < repeat; i++) {
        if ((v != REFETCH || i == 0) && reset_queue(hub) < 0)
            return;
        if (v == REFETCH && i == 0) { /* fetch everything once first */
            double ignore;
            (void)pull_run_once(r, LIST_GET, n, &ignore);
        }
        rate[i] = pull_run_once(r, v, n, &cpu[i]);
        if (i == 0 || cpu[i] < best_cpu)
            best_cpu = cpu[i];
    }
    qsort(rate, (size_t)repeat, sizeof(double), cmp_d);
    printf("%-26s %9.0f %9.0f %9.0f %9lu %7lu\n", label, rate[repeat - 1], rate[repeat / 2],
           best_cpu, r->lists, r->errors);
    fflush(stdout);
}

static int pull_bench(int64_t n, int clients, int size, const char *example, const char *only,
                      int repeat)
{
    struct world *w = kv_xcalloc(1, sizeof(*w));
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_conf *conf = kv_xcalloc(1, sizeof(*conf));
    struct kv_hub *hub = NULL;
    struct kv_http_server *srv = NULL;
    struct kv_err err = {0};
    struct pull_run r;
    struct tmpl t;
    double t0;
    int rc;

    if (bench_tmpl_load(example, &t) < 0) {
        fprintf(stderr, "recipient_bench: cannot read %s (run from the repository root)\n",
                example);
        free(w);
        free(conf);
        return -1;
    }
    snprintf(w->dir, sizeof(w->dir), "/tmp/kuvert-bench-pull-XXXXXX");
    if (!mkdtemp(w->dir)) {
        free(w);
        free(conf);
        free(t.buf);
        return -1;
    }
    t0 = bench_now_s();
    rc = kv_store_open(w->dir, &st, &err);
    if (rc == 0)
        rc = kv_db_acquire(st, &db, &err);
    if (rc == 0)
        rc = setup_world(db, w, clients, "pull", &err);
    if (rc == 0)
        rc = bench_insert_letters(db, w->sender, w->point, clients, n, &t,
                                  (uint64_t)time(NULL) * 2654435761u, &err);
    if (db)
        kv_db_release(db);
    kv_store_close(st);
    if (rc < 0) {
        fprintf(stderr, "recipient_bench: setup: %s\n", err.msg);
        goto out;
    }
    printf("pull: %lld letters (%zu bytes each) to %d pull systems, inserted in %.1f s\n",
           (long long)n, t.len, clients, bench_now_s() - t0);

    /* The server, in this process, as `kuvert serve` starts it. */
    kv_conf_init(conf);
    if (kv_conf_set(conf, "data", w->dir, KV_CONF_SRC_FLAG, &err) < 0 ||
        kv_conf_set(conf, "listen", "127.0.0.1:0", KV_CONF_SRC_FLAG, &err) < 0 ||
        kv_conf_set(conf, "access_log", "false", KV_CONF_SRC_FLAG, &err) < 0 ||
        kv_conf_set(conf, "log_level", "warn", KV_CONF_SRC_FLAG, &err) < 0) {
        fprintf(stderr, "recipient_bench: conf: %s\n", err.msg);
        rc = -1;
        goto out;
    }
    rc = kv_hub_open(conf, &hub, &err); /* takes conf */
    conf = NULL;
    if (rc == 0)
        rc = kv_hub_start_workers(hub, &err);
    if (rc == 0) {
        struct kv_http_config hc;
        kv_api_http_config(hub, &hc);
        rc = kv_http_server_start(&hc, &srv, &err);
    }
    if (rc < 0) {
        fprintf(stderr, "recipient_bench: server: %s\n", err.msg);
        goto out;
    }
    memset(&r, 0, sizeof(r));
    pthread_mutex_init(&r.mu, NULL);
    r.w = w;
    r.port = kv_http_server_port(srv);
    r.size = size;
    printf("%d clients (one per system, keep-alive), page size %d\n", clients,
           size);
    printf("%d runs per variant; letters/s best and median, lowest CPU us per letter\n",
           repeat);
    printf("%-26s %9s %9s %9s %9s %7s\n", "variant", "best l/s", "median", "cpu us/l", "lists",
           "errors");
    if (!only || strcmp(only, "get") == 0)
        pull_case(&r, hub, LIST_GET, "list+get (first fetch)", n, repeat);
    if (!only || strcmp(only, "refetch") == 0)
        pull_case(&r, hub, REFETCH, "list+get (refetch)", n, repeat);
    if (!only || strcmp(only, "full") == 0)
        pull_case(&r, hub, LIST_GET_RECEIPT_DELETE, "list+get+receipt+delete", n, repeat);
    pthread_mutex_destroy(&r.mu);
out:
    if (srv) {
        kv_http_server_quiesce(srv);
        (void)kv_http_server_drain(srv, 5000);
        kv_http_server_free(srv);
    }
    kv_hub_close(hub);
    free(conf);
    bench_remove_dir(w->dir);
    free(w);
    free(t.buf);
    return rc;
}

/* ---- sched: cost of one pass's queue work vs the queue length ---- */

/* Median ms of `passes` runs of one step. */
struct step_times {
    double push;    /* kv_recipient_push_drain, nothing due */
    double due;     /* the drain's due selection alone (recipient_queue_push_due, 008) */
    double health;  /* kv_system_health_check */
    double publish; /* kv_letters_publish_due, nothing due */
    double list0;   /* kv_recipient_page, page 0 of 100, of the idle pull system */
    double listend; /* its last page (the deepest OFFSET) */
};

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return v[n / 2];
}

/* Systems of the scale world, each with a fifth of the letters: 0 pull that stopped
 * fetching a day ago, 1 push deactivated, 2 push failing for an hour and backing off (its
 * next probe not yet due), 3 push failing for three hours whose next probe is due while
 * every letter of it backs off for another hour, 4 push healthy whose letters all wait for
 * a value date next week. Plus 5, a healthy push system with nothing queued. */
#define SCALE_SYSTEMS 6
#define SCALE_TROUBLED 5

/* Runs UPDATE sql bound (?1 = system id, ?2..?4 = a, b, c). */
static int set(struct kv_db *db, const char *sql, const char *id, int64_t a, int64_t b,
               int64_t c, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    kv_stmt_bind_int64(s, 2, a);
    kv_stmt_bind_int64(s, 3, b);
    kv_stmt_bind_int64(s, 4, c);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* The push due selection alone, as migration 008's index recipient_queue_push_due serves it
 * (the same WHERE and ORDER BY as the drain's load), for every push system a drain would
 * load rows for: the number of due rows found (0 in the scale world: nothing is due), or a
 * negative error. */
static int due_selection(struct kv_db *db, const struct world *w, int64_t now,
                         struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int i, rc = 0, due = 0;

    /* The systems a drain loads rows for: 3 (probe due), 4 and 5; 1 is deactivated and 2
     * backs off as a whole. */
    for (i = 3; i < SCALE_SYSTEMS && rc == 0; i++) {
        rc = kv_db_prepare(db,
                           "SELECT q.id, l.message_uuid FROM recipient_queue q "
                           "JOIN letters l ON l.id = q.letter_id "
                           "WHERE q.system_id = ? AND q.state = 'QUEUED' "
                           "AND max(COALESCE(q.next_ms, 0), q.visible_ms) <= ? "
                           "ORDER BY max(COALESCE(q.next_ms, 0), q.visible_ms), q.id LIMIT 512",
                           &s, err);
        if (rc < 0)
            break;
        kv_stmt_bind_text(s, 1, w->sys[i], -1);
        kv_stmt_bind_int64(s, 2, now);
        while ((rc = kv_stmt_step(s, err)) == KV_ROW)
            due++;
        kv_stmt_done(s);
    }
    return rc < 0 ? rc : due;
}

/* ms for one kv_recipient_page call (page of 100) of system_id; it must not be empty. */
static double list_ms(struct kv_db *db, const char *system_id, int64_t page, struct kv_err *err)
{
    json_t *p = NULL;
    double t0 = bench_now_s(), ms;
    int rc = kv_recipient_page(db, system_id, page, 100, 0, &p, err);

    ms = (bench_now_s() - t0) * 1e3;
    if (rc < 0 || json_array_size(json_object_get(p, "content")) == 0)
        fprintf(stderr, "recipient_bench: list page %lld: rc %d (%s)\n", (long long)page, rc,
                err->msg);
    json_decref(p);
    return ms;
}

/* The outage as the scheduler finds it (see SCALE_SYSTEMS). */
static int outage(struct kv_db *db, const struct world *w, int64_t now, struct kv_err *err)
{
    static const char sys_sql[] =
        "UPDATE systems SET status = CASE WHEN ?2 <> 0 THEN 'deactivated' ELSE 'active' END, "
        "failing_since_ms = NULLIF(?3, 0), last_failure_ms = NULLIF(?4, 0), "
        "last_fetch_ms = NULL WHERE id = ?1";
    static const char backoff_sql[] =
        "UPDATE recipient_queue SET attempts = 4, next_ms = ?2 WHERE system_id = ?1";
    static const char letters_sql[] =
        "UPDATE letters SET available_ms = ?2 + ?3 * 0 + ?4 * 0, state = CASE WHEN ?2 > "
        "created_ms THEN 'AWAITING_DELAY' ELSE state END WHERE id IN (SELECT letter_id FROM "
        "recipient_queue WHERE system_id = ?1)";
    const int64_t min = 60 * 1000, hour = 60 * min, day = 24 * hour;
    int rc;

    rc = set(db, letters_sql, w->sys[0], now - day, 0, 0, err);
    if (rc == 0)
        rc = set(db, sys_sql, w->sys[1], 1, 0, 0, err);
    if (rc == 0)
        rc = set(db, sys_sql, w->sys[2], 0, now - hour, now - min, err);
    if (rc == 0)
        rc = set(db, backoff_sql, w->sys[2], now + hour, 0, 0, err);
    if (rc == 0)
        rc = set(db, sys_sql, w->sys[3], 0, now - 3 * hour, now - 2 * hour, err);
    if (rc == 0)
        rc = set(db, backoff_sql, w->sys[3], now + hour, 0, 0, err);
    if (rc == 0)
        rc = set(db, letters_sql, w->sys[4], now + 7 * day, 0, 0, err);
    if (rc == 0)
        rc = kv_db_checkpoint(db, KV_CHECKPOINT_TRUNCATE, err);
    if (rc == 0)
        rc = kv_db_exec(db, "ANALYZE", err);
    return rc;
}

static int sched_world(int64_t n, struct step_times *out, int passes)
{
    struct world *w = kv_xcalloc(1, sizeof(*w));
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    struct kv_recipient_push_opts po;
    struct kv_recipient_push_stats ps;
    double *tp = kv_xcalloc((size_t)passes, sizeof(double));
    double *th = kv_xcalloc((size_t)passes, sizeof(double));
    double *tl = kv_xcalloc((size_t)passes, sizeof(double));
    double *td = kv_xcalloc((size_t)passes, sizeof(double));
    double *t0l = kv_xcalloc((size_t)passes, sizeof(double));
    double *tel = kv_xcalloc((size_t)passes, sizeof(double));
    char points[SCALE_TROUBLED][37];
    int64_t now = kv_clock_now_ms();
    double t0;
    int rc, i, published = 0, deact = 0;

    snprintf(w->dir, sizeof(w->dir), "/tmp/kuvert-bench-sched-XXXXXX");
    if (!mkdtemp(w->dir)) {
        rc = -1;
        goto out;
    }
    t0 = bench_now_s();
    rc = kv_store_open(w->dir, &st, &err);
    if (rc == 0)
        rc = kv_db_acquire(st, &db, &err);
    if (rc == 0)
        rc = kv_org_add(db, SENDER, "Styrelsen", &err);
    if (rc == 0)
        rc = kv_org_add(db, AUTH, "Kommunen", &err);
    if (rc == 0)
        rc = add_system(db, SENDER, "sender", NULL, w->sender, NULL, 0, &err);
    for (i = 0; rc == 0 && i < SCALE_SYSTEMS; i++) {
        rc = add_system(db, AUTH, "recipient", i == 0 ? "pull" : "push", w->sys[i],
                        w->auth[i], sizeof(w->auth[i]), &err);
        if (rc == 0)
            rc = add_point(db, w->sys[i], w->point[i], &err);
    }
    w->n_sys = SCALE_SYSTEMS;
    for (i = 0; i < SCALE_TROUBLED; i++)
        memcpy(points[i], w->point[i], 37);
    if (rc == 0)
        rc = bench_insert_letters(db, w->sender, points, SCALE_TROUBLED, n, NULL,
                                  (uint64_t)n * 7919u + 17u, &err);
    if (rc == 0)
        rc = outage(db, w, now, &err);
    if (rc < 0) {
        fprintf(stderr, "recipient_bench: sched setup (%lld): %s\n", (long long)n, err.msg);
        goto out;
    }
    printf("sched: %lld queued letters set up in %.1f s\n", (long long)n, bench_now_s() - t0);
    memset(&po, 0, sizeof(po));
    po.total_timeout_ms = 1000;
    po.budget_ms = 1000;
    for (i = 0; i < passes; i++) {
        t0 = bench_now_s();
        rc = kv_recipient_push_drain(st, &po, &ps, &err);
        tp[i] = (bench_now_s() - t0) * 1e3;
        if (rc < 0 || ps.delivered + ps.failed > 0)
            fprintf(stderr, "recipient_bench: push drain: rc %d, %lld delivered, %lld failed "
                    "(%s)\n", rc, (long long)ps.delivered, (long long)ps.failed, err.msg);
        t0 = bench_now_s();
        rc = kv_system_health_check(db, kv_clock_now_ms(), &deact, &err);
        th[i] = (bench_now_s() - t0) * 1e3;
        if (rc < 0 || deact)
            fprintf(stderr, "recipient_bench: health check: rc %d, %d deactivated (%s)\n", rc,
                    deact, err.msg);
        t0 = bench_now_s();
        rc = kv_letters_publish_due(db, kv_clock_now_ms(), 500, &published, &err);
        tl[i] = (bench_now_s() - t0) * 1e3;
        if (rc < 0)
            fprintf(stderr, "recipient_bench: publish: %s\n", err.msg);
        t0 = bench_now_s();
        rc = due_selection(db, w, kv_clock_now_ms(), &err);
        td[i] = (bench_now_s() - t0) * 1e3;
        if (rc != 0)
            fprintf(stderr, "recipient_bench: due selection: %d rows due (%s)\n", rc, err.msg);
        t0l[i] = list_ms(db, w->sys[0], 0, &err);
        tel[i] = list_ms(db, w->sys[0], (n / SCALE_TROUBLED - 1) / 100, &err);
    }
    out->push = median(tp, passes);
    out->health = median(th, passes);
    out->publish = median(tl, passes);
    out->due = median(td, passes);
    out->list0 = median(t0l, passes);
    out->listend = median(tel, passes);
    rc = 0;
out:
    if (db)
        kv_db_release(db);
    kv_store_close(st);
    if (w->dir[0])
        bench_remove_dir(w->dir);
    free(w);
    free(tp);
    free(th);
    free(tl);
    free(td);
    free(t0l);
    free(tel);
    return rc;
}

static int sched_bench(int64_t big, int passes)
{
    struct step_times small, large;

    if (sched_world(10000, &small, passes) < 0 || sched_world(big, &large, passes) < 0)
        return -1;
    printf("scheduler pass, queue work only (median of %d passes), ms:\n", passes);
    printf("%-34s %10s %10s %8s\n", "step", "10 k", big == 1000000 ? "1 M" : "big", "ratio");
    printf("%-34s %10.3f %10.3f %8.1f\n", "push drain (nothing due)", small.push, large.push,
           small.push > 0 ? large.push / small.push : 0.0);
    printf("%-34s %10.3f %10.3f %8.1f\n", "  its due selection alone (SQL)", small.due,
           large.due, small.due > 0 ? large.due / small.due : 0.0);
    printf("%-34s %10.3f %10.3f %8.1f\n", "health check (incl. pull rule)", small.health,
           large.health, small.health > 0 ? large.health / small.health : 0.0);
    printf("%-34s %10.3f %10.3f %8.1f\n", "value-date publish (nothing due)", small.publish,
           large.publish, small.publish > 0 ? large.publish / small.publish : 0.0);
    printf("%-34s %10.3f %10.3f %8.1f\n", "pass (drain + health + publish)",
           small.push + small.health + small.publish, large.push + large.health + large.publish,
           (large.push + large.health + large.publish) /
               (small.push + small.health + small.publish));
    printf("pull list of the idle pull system (a fifth of the queue), ms per call:\n");
    printf("%-34s %10.3f %10.3f %8.1f\n", "GET list page 0 (size 100)", small.list0,
           large.list0, small.list0 > 0 ? large.list0 / small.list0 : 0.0);
    printf("%-34s %10.3f %10.3f %8.1f\n", "GET list last page (size 100)", small.listend,
           large.listend, small.listend > 0 ? large.listend / small.listend : 0.0);
    return 0;
}

int main(int argc, char **argv)
{
    const char *part = "all", *only = NULL, *example = EX "Minimum_Example__memo-1.2.xml";
    int64_t n = 20000, big = 1000000;
    int clients = 8, size = 100, passes = 9, repeat = 3, i, rc = 0;
    struct kv_err err = {0};

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--part") == 0 && i + 1 < argc)
            part = argv[++i];
        else if (strcmp(argv[i], "--letters") == 0 && i + 1 < argc)
            n = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            clients = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--big") == 0 && i + 1 < argc)
            big = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
            passes = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--full") == 0)
            example = EX "Full_Example__memo-1.2.xml";
        else {
            fprintf(stderr, "usage: recipient_bench [--part pull|sched|all] [--letters N] "
                            "[--clients K] [--size S] [--full] [--only get|refetch|full] "
                            "[--repeat R] [--big N] [--passes P]\n");
            return 2;
        }
    }
    if (clients < 1 || clients > MAX_CLIENTS || n < 1 || size < 1 ||
        size > KV_RECIPIENT_PAGE_MAX || big < 10000 || passes < 1 || passes > 1000 ||
        repeat < 1 || repeat > 32) {
        fprintf(stderr, "recipient_bench: argument out of range\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (kv_memo_global_init(&err) < 0 || kv_outbound_init(&err) < 0) {
        fprintf(stderr, "recipient_bench: init: %s\n", err.msg);
        return 2;
    }
    if (strcmp(part, "pull") == 0 || strcmp(part, "all") == 0)
        rc = pull_bench(n, clients, size, example, only, repeat);
    if (rc == 0 && (strcmp(part, "sched") == 0 || strcmp(part, "all") == 0))
        rc = sched_bench(big, passes);
    curl_global_cleanup();
    return rc < 0 ? 1 : 0;
}

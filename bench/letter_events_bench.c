/* SPDX-License-Identifier: MIT
 *
 * letter_events_bench.c: the reads of one letter's events (NOT a test: it prints figures and
 * asserts nothing). A temporary SQLite store gets --letters MeMo 1.2 letters through the
 * send pipeline's writer (kv_letter_writer_run, batches of 32: each writes the send's three
 * events with the letter), and every fourth letter one event appended later by another path
 * (MESSAGE_READ, without a letter row id: the index events_msg). Then it times, --passes times
 * each on a random letter, the four readers of a letter's events:
 *
 *   verify   kv_events_verify_letter: the evidence page's chain check of the letter's events;
 *   query    kv_events_query by messageUUID (limit 100);
 *   search   kv_events_search by messageUUID as the sending system (the events API);
 *   org      kv_events_org_letter: the letter's events in Administrativ Adgang's event log;
 *
 * and three readers of many letters' events (through events_system, events_system_time and
 * events_time; session 12 measured with them what a send's events indexed once would cost
 * these reads: docs/send-api.md, "Session 12: a send's events indexed once, measured and not
 * landed"):
 *
 *   sys      kv_events_search of the sending system's events after a random seq, a page of 20
 *            and the count;
 *   systime  the same sorted by eventTime descending, a random page (0..9) of 20;
 *   period   kv_events_org_search of the organisation's events in a random 20 ms of the
 *            sending period, newest first, 50 of them;
 *
 * and prints p50/p99/max in microseconds per call, with the events read per call. --db URL
 * runs it on a PostgreSQL database instead (an empty one: the bench adds its organisation);
 * --profile full sends the MeMo 1.2 Full example (18 KB) instead of the Minimum one.
 *
 *   letter_events_bench [--letters N] [--passes P] [--db postgresql://...] [--profile min|full]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "hub/delegation.h"
#include "hub/directory.h"
#include "hub/events.h"
#include "hub/letters.h"
#include "hub/writer.h"
#include "mailbox_fill.h"
#include "store/store.h"
#include "util/xmalloc.h"

#define EX_DIR "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"
#define EX_MIN EX_DIR "Minimum_Example__memo-1.2.xml"
#define EX_FULL EX_DIR "Full_Example__memo-1.2.xml"
#define EX_UUID "8C2EA15D-61FB-4BA9-9366-42F8B194C114"
#define BATCH 32

static void die(const char *what, const struct kv_err *err)
{
    fprintf(stderr, "letter_events_bench: %s: %s\n", what, err ? err->msg : "");
    exit(2);
}

/* A fresh lowercase UUID v4 from the xorshift state *rng. */
static void fresh_uuid(char u[37], uint64_t *rng)
{
    static const char hex[] = "0123456789abcdef";
    int i;

    for (i = 0; i < 36; i++) {
        uint64_t x = *rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *rng = x;
        u[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[(x >> 32) & 15];
    }
    u[14] = '4';
    u[19] = hex[8 + ((*rng >> 40) & 3)];
    u[36] = '\0';
}

static char *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = kv_xmalloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static int count_row(void *arg, const struct kv_event_row *r)
{
    (void)r;
    ++*(size_t *)arg;
    return 0;
}

static void report(const char *name, double *t, int n, double events)
{
    qsort(t, (size_t)n, sizeof(*t), bench_cmp_ms);
    printf("  %-7s p50 %8.1f us   p99 %8.1f us   max %8.1f us   (%d calls, %.2f events each)\n",
           name, 1e3 * t[n / 2], 1e3 * t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1],
           1e3 * t[n - 1], n, events);
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/kuvert-letter-events-XXXXXX";
    long n_letters = 20000, i;
    const char *url = NULL, *path = EX_MIN;
    int passes = 2000, p, k;
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_mailbox mb;
    struct kv_err err = {0};
    struct kv_letter_writer *w = NULL;
    char sys_id[sizeof(sys.id)], *token = NULL, *tmpl, (*uuids)[37], *bufs[BATCH], *at[8];
    struct kv_letter ls[BATCH], *lp[BATCH];
    size_t len, n_at = 0;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    double *t[7], sum[7] = {0};
    int64_t max_seq = 0, t_min = 0, t_max = 0;
    int a;

    for (a = 1; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--letters") == 0)
            n_letters = atol(argv[a + 1]);
        else if (strcmp(argv[a], "--passes") == 0)
            passes = atoi(argv[a + 1]);
        else if (strcmp(argv[a], "--db") == 0)
            url = argv[a + 1];
        else if (strcmp(argv[a], "--profile") == 0)
            path = strcmp(argv[a + 1], "full") == 0 ? EX_FULL : EX_MIN;
    }
    if (n_letters < 1 || passes < 1)
        return 2;
    tmpl = load(path, &len);
    if (!tmpl) {
        fprintf(stderr, "letter_events_bench: run from the repository root\n");
        return 2;
    }
    for (char *q = tmpl; (q = strstr(q, EX_UUID)) != NULL && n_at < 8; q += 36)
        at[n_at++] = q;
    if (!mkdtemp(dir))
        return 2;
    if (kv_store_open_db(dir, url, &st, &err) < 0 || kv_db_acquire(st, &db, &err) < 0)
        die("store", &err);
    /* the Full example names 87654321 as Representative of 12345678 */
    if (kv_org_add(db, "12345678", "Kommunen", &err) < 0 ||
        kv_org_add(db, "87654321", "Repræsentant Kommune", &err) < 0 ||
        kv_delegation_add(db, "12345678", "87654321", NULL, &err) < 0)
        die("org", &err);
    memset(&sys, 0, sizeof(sys));
    snprintf(sys.org_cvr, sizeof(sys.org_cvr), "12345678");
    snprintf(sys.kind, sizeof(sys.kind), "sender");
    snprintf(sys.name, sizeof(sys.name), "bench");
    if (kv_system_add(db, &sys, &token, &err) < 0)
        die("system", &err);
    snprintf(sys_id, sizeof(sys_id), "%s", sys.id);
    if (kv_system_get(db, sys_id, &sys, &err) < 0)
        die("system", &err);
    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
    snprintf(mb.owner_id, sizeof(mb.owner_id), "2211771212");
    snprintf(mb.status, sizeof(mb.status), "REGISTERED");
    if (kv_mailbox_add(db, &mb, &err) < 0)
        die("mailbox", &err);
    if (kv_letter_writer_new(st, NULL, &w, &err) < 0)
        die("writer", &err);
    uuids = kv_xcalloc((size_t)n_letters, sizeof(*uuids));
    for (k = 0; k < BATCH; k++)
        bufs[k] = kv_xmalloc(len + 1);
    for (i = 0; i < n_letters;) {
        int m = n_letters - i < BATCH ? (int)(n_letters - i) : BATCH;

        for (k = 0; k < m; k++) {
            memcpy(bufs[k], tmpl, len + 1);
            fresh_uuid(uuids[i + k], &rng);
            for (size_t o = 0; o < n_at; o++)
                memcpy(bufs[k] + (at[o] - tmpl), uuids[i + k], 36);
            kv_letter_init(&ls[k], bufs[k], len);
            lp[k] = &ls[k];
            if (kv_letter_prepare(&ls[k], &sys, NULL, NULL, &err) < 0 ||
                ls[k].outcome != KV_LETTER_PENDING)
                die("prepare", &err);
        }
        if (kv_letter_writer_run(w, lp, (size_t)m, &err) < 0)
            die("store", &err);
        for (k = 0; k < m; k++) {
            if (ls[k].outcome != KV_LETTER_CREATED)
                die("letter not created", &ls[k].err);
            kv_letter_release(&ls[k]);
        }
        /* every fourth letter: an event of another path, appended later */
        if (kv_db_begin(db, &err) < 0)
            die("begin", &err);
        for (k = 0; k < m; k += 4) {
            struct kv_event ev;

            memset(&ev, 0, sizeof(ev));
            ev.tag = "MESSAGE_READ";
            ev.message_uuid = uuids[i + k];
            ev.actor = "cpr:2211771212";
            ev.subject = "cpr:2211771212";
            if (kv_events_append(db, &ev, &err) < 0)
                die("append", &err);
        }
        if (kv_db_commit(db, &err) < 0)
            die("commit", &err);
        i += m;
    }
    kv_letter_writer_stop(w);
    {
        struct kv_stmt *st2 = NULL;

        if (kv_db_prepare(db, "SELECT MAX(seq), MIN(time_ms), MAX(time_ms) FROM events", &st2,
                          &err) < 0 ||
            kv_stmt_step(st2, &err) != KV_ROW)
            die("range", &err);
        max_seq = kv_stmt_col_int64(st2, 0);
        t_min = kv_stmt_col_int64(st2, 1);
        t_max = kv_stmt_col_int64(st2, 2);
        kv_stmt_done(st2);
    }
    for (k = 0; k < 7; k++)
        t[k] = kv_xcalloc((size_t)passes, sizeof(double));
    for (p = 0; p < passes; p++) {
        const char *u = uuids[(size_t)((rng = rng * 6364136223846793005ull + 1442695040888963407ull) >> 33) %
                              (size_t)n_letters];
        int64_t count = 0, bad = 0, total = 0, until = 0;
        struct kv_event_query q;
        struct kv_event_search s;
        json_t *out = NULL;
        size_t n = 0;
        double t0;

        t0 = bench_ms();
        if (kv_events_verify_letter(db, u, &count, &bad, &err) < 0 || bad)
            die("verify", &err);
        t[0][p] = bench_ms() - t0;
        sum[0] += (double)count;

        memset(&q, 0, sizeof(q));
        q.message_uuid = u;
        q.limit = 100;
        t0 = bench_ms();
        if (kv_events_query(db, &q, &out, &err) < 0)
            die("query", &err);
        t[1][p] = bench_ms() - t0;
        sum[1] += (double)json_array_size(out);
        json_decref(out);

        memset(&s, 0, sizeof(s));
        s.caller_system_id = sys.id;
        s.caller_cvr = "12345678";
        s.message_uuid = u;
        s.size = 100;
        t0 = bench_ms();
        if (kv_events_search(db, &s, &out, &total, &until, &err) < 0)
            die("search", &err);
        t[2][p] = bench_ms() - t0;
        sum[2] += (double)json_array_size(out);
        json_decref(out);

        t0 = bench_ms();
        if (kv_events_org_letter(db, "12345678", u, count_row, &n, &n, &err) < 0)
            die("org", &err);
        t[3][p] = bench_ms() - t0;
        sum[3] += (double)n / 2; /* count_row and out_n both count */

        memset(&s, 0, sizeof(s));
        s.caller_system_id = sys.id;
        s.caller_cvr = "12345678";
        s.system_id = sys.id;
        s.after_seq = (int64_t)((rng >> 20) % (uint64_t)(max_seq > 0 ? max_seq : 1));
        s.size = 20;
        t0 = bench_ms();
        if (kv_events_search(db, &s, &out, &total, &until, &err) < 0)
            die("sys", &err);
        t[4][p] = bench_ms() - t0;
        sum[4] += (double)json_array_size(out);
        json_decref(out);

        s.after_seq = 0;
        s.sort[0] = KV_EVENT_SORT_TIME | KV_EVENT_SORT_DESC;
        s.n_sort = 1;
        s.page = p % 10;
        t0 = bench_ms();
        if (kv_events_search(db, &s, &out, &total, &until, &err) < 0)
            die("systime", &err);
        t[5][p] = bench_ms() - t0;
        sum[5] += (double)json_array_size(out);
        json_decref(out);

        {
            struct kv_event_org_search oq;

            memset(&oq, 0, sizeof(oq));
            oq.org = "12345678";
            oq.from_ms = t_min + (int64_t)((rng >> 24) % (uint64_t)(t_max - t_min + 1));
            oq.to_ms = oq.from_ms + 20;
            oq.limit = 50;
            n = 0;
            t0 = bench_ms();
            if (kv_events_org_search(db, &oq, count_row, &n, NULL, &err) < 0)
                die("period", &err);
            t[6][p] = bench_ms() - t0;
            sum[6] += (double)n;
        }
    }
    printf("letter_events_bench: %ld letters of %zu bytes (3 send events each, 1 in 4 one more), "
           "%d reads of each kind\n",
           n_letters, len, passes);
    report("verify", t[0], passes, sum[0] / passes);
    report("query", t[1], passes, sum[1] / passes);
    report("search", t[2], passes, sum[2] / passes);
    report("org", t[3], passes, sum[3] / passes);
    report("sys", t[4], passes, sum[4] / passes);
    report("systime", t[5], passes, sum[5] / passes);
    report("period", t[6], passes, sum[6] / passes);
    for (k = 0; k < 7; k++)
        free(t[k]);
    for (k = 0; k < BATCH; k++)
        free(bufs[k]);
    free(uuids);
    free(tmpl);
    free(token);
    kv_db_release(db);
    kv_store_close(st);
    bench_rmdir(dir);
    return 0;
}

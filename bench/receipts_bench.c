/* SPDX-License-Identifier: MIT
 *
 * receipts_bench.c: benchmark of the receipt pull API's reads (hub/receipts.h; NOT a test: it
 * prints figures and asserts nothing). A temporary SQLite store gets --receipts receipts of
 * --systems sender systems in turn (kv_receipt_insert, 500 per transaction, as a day of sends
 * leaves them), the older half of the measured system's deleted (the part its client has
 * fetched and deleted), then times, each over --reads calls on random receipts of the measured
 * system (median, mean and p90 of the thread's CPU time per call, microseconds, and the median
 * wall time, which on PostgreSQL includes the server's part and the round trips):
 *
 *   get         kv_receipt_get by GUID (GET /apis/v1/receipts/{id})
 *   get-404     kv_receipt_get of another system's GUID (404)
 *   list        kv_receipts_page_after, page 0 of 20 GUIDs (GET /apis/v1/receipts/)
 *   list-after  the same page after a cursor GUID (the `next` link's after:)
 *   bulk-after  kv_receipts_bulk_page, 100 whole receipts after a cursor (receipts-bulk)
 *
 * It calls the library as the API handlers do (src/api/receipts.c adds the HTTP around it), so
 * a build of another tree's library with the same source compares the store's read paths.
 *
 * With --db URL the store is that PostgreSQL database (its schema is made or migrated there and
 * left, with the receipts, for EXPLAIN; use a scratch database).
 *
 *   receipts_bench [--receipts N] [--systems K] [--reads R] [--db postgresql://...]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub/receipts.h"
#include "store/store.h"

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, const struct kv_err *err)
{
    fprintf(stderr, "receipts_bench: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A random one of the newer half of ids (n of them): a receipt not deleted. */
static const char *live(char (*ids)[37], int n)
{
    return ids[n / 2 + (int)(next_rand() % (uint64_t)(n - n / 2))];
}

static double wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double *wall; /* wall time per call, beside t's CPU time */
static double wall_at;

#define START() (wall_at = wall_us(), cpu_us())
#define STOP(t, i, a) ((t)[i] = cpu_us() - (a), wall[i] = wall_us() - wall_at)

static void report(const char *name, double *t, int n)
{
    double sum = 0;
    int i;

    for (i = 0; i < n; i++)
        sum += t[i];
    qsort(t, (size_t)n, sizeof(*t), cmp_double);
    qsort(wall, (size_t)n, sizeof(*wall), cmp_double);
    printf("%-11s CPU median %8.2f us  mean %8.2f us  p90 %8.2f us; wall median %8.2f us "
           "(%d calls)\n",
           name, t[n / 2], sum / n, t[n * 9 / 10], wall[n / 2], n);
}

int main(int argc, char **argv)
{
    int64_t receipts = 200000;
    int systems = 8, reads = 2000, i, k, mine_n = 0, other_n = 0;
    const char *url = NULL;
    char dir[] = "/tmp/receipts-bench-XXXXXX", cmd[128], sys[8][37];
    char (*mine)[37], (*other)[37];
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_stmt *s = NULL;
    double *t;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--receipts"))
            receipts = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--systems"))
            systems = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reads"))
            reads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--db"))
            url = argv[i + 1];
    }
    if (receipts < 1000 || systems < 2 || systems > 8 || reads < 10) {
        fprintf(stderr, "usage: receipts_bench [--receipts N>=1000] [--systems 2..8] "
                        "[--reads R>=10] [--db postgresql://...]\n");
        return 2;
    }
    mine = calloc((size_t)receipts, sizeof(*mine));
    other = calloc((size_t)receipts, sizeof(*other));
    t = calloc((size_t)reads, sizeof(*t));
    wall = calloc((size_t)reads, sizeof(*wall));
    if (!mine || !other || !t || !wall || !mkdtemp(dir))
        die("set-up", NULL);
    if ((url ? kv_store_open_db(dir, url, &st, &err) : kv_store_open(dir, &st, &err)) < 0 ||
        kv_db_acquire(st, &db, &err) < 0)
        die("store", &err);
    for (k = 0; k < systems; k++)
        snprintf(sys[k], sizeof(sys[k]), "5e0d0000-0000-4000-8000-%012d", k);

    for (i = 0; i < receipts; i++) {
        struct kv_receipt r;

        if (i % 500 == 0 && kv_db_begin(db, &err) < 0)
            die("begin", &err);
        memset(&r, 0, sizeof(r));
        k = (int)(i % systems);
        memcpy(r.system_id, sys[k], 37);
        snprintf(r.transmission_id, sizeof(r.transmission_id),
                 "7a000000-0000-4000-8000-%012d", i);
        memcpy(r.message_uuid, r.transmission_id, 37);
        snprintf(r.receipt_status, sizeof(r.receipt_status), "RECEIVED");
        r.time_ms = 1733450000000 + i;
        if (kv_receipt_insert(db, &r, 0, &err) < 0)
            die("insert", &err);
        if (k == 0)
            memcpy(mine[mine_n++], r.uuid, 37);
        else
            memcpy(other[other_n++], r.uuid, 37);
        if ((i % 500 == 499 || i == receipts - 1) && kv_db_commit(db, &err) < 0)
            die("commit", &err);
    }
    /* the older half of the measured system's receipts: fetched and deleted by its client */
    if (kv_db_prepare(db,
                      "UPDATE receipts SET deleted = 1 WHERE system_id = ? AND id IN (SELECT id "
                      "FROM receipts WHERE system_id = ? ORDER BY id LIMIT ?)",
                      &s, &err) < 0)
        die("prepare", &err);
    kv_stmt_bind_text(s, 1, sys[0], -1);
    kv_stmt_bind_text(s, 2, sys[0], -1);
    kv_stmt_bind_int64(s, 3, mine_n / 2);
    if (kv_stmt_step(s, &err) < 0)
        die("delete", &err);
    kv_stmt_done(s);
    printf("receipts_bench: %lld receipts of %d systems, %d of the measured one (%d deleted)\n",
           (long long)receipts, systems, mine_n, mine_n / 2);

    for (i = 0; i < reads; i++) { /* get: the measured system's live receipts */
        struct kv_receipt r;
        double a = START();
        if (kv_receipt_get(db, sys[0], live(mine, mine_n), 0, &r, &err) < 0)
            die("get", &err);
        STOP(t, i, a);
    }
    report("get", t, reads);
    for (i = 0; i < reads; i++) {
        struct kv_receipt r;
        double a = START();
        if (kv_receipt_get(db, sys[0], other[next_rand() % (uint64_t)other_n], 0, &r, &err) !=
            KV_ENOTFOUND)
            die("get-404", &err);
        STOP(t, i, a);
    }
    report("get-404", t, reads);
    for (i = 0; i < reads; i++) {
        json_t *page = NULL;
        double a = START();
        if (kv_receipts_page_after(db, sys[0], 0, 20, 0, NULL, 0, &page, &err) < 0)
            die("list", &err);
        STOP(t, i, a);
        json_decref(page);
    }
    report("list", t, reads);
    for (i = 0; i < reads; i++) {
        json_t *page = NULL;
        const char *after = live(mine, mine_n);
        double a = START();
        if (kv_receipts_page_after(db, sys[0], 1, 20, 0, after, 0, &page, &err) < 0)
            die("list-after", &err);
        STOP(t, i, a);
        json_decref(page);
    }
    report("list-after", t, reads);
    for (i = 0; i < reads; i++) {
        json_t *page = NULL;
        int more = 0, prev = 0;
        const char *after = live(mine, mine_n);
        double a = START();
        if (kv_receipts_bulk_page(db, sys[0], 1, 100, 0, after, 0, &more, &prev, &page, &err) < 0)
            die("bulk-after", &err);
        STOP(t, i, a);
        json_decref(page);
    }
    report("bulk-after", t, reads);

    kv_db_release(db);
    kv_store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "receipts_bench: could not remove %s\n", dir);
    free(mine);
    free(other);
    free(t);
    free(wall);
    return 0;
}

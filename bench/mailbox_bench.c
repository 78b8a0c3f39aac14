/* SPDX-License-Identifier: MIT
 *
 * mailbox_bench.c: the mailbox at /post/ with a very large mailbox (NOT a test: it prints
 * figures and asserts nothing). A temporary SQLite store gets --letters letters delivered to
 * one citizen's mailbox and --others letters spread over 1,000 other mailboxes (the rest of
 * the store), each with a real MeMo body (the MeMo 1.2 Minimum example), every tenth unread;
 * then it times, --passes times each, the hub calls one page of /post/ makes:
 *
 *   counts   kv_mbox_counts: letters and unread per folder (the folder navigation);
 *   page1    kv_mbox_list: the first page (20) of the inbox, newest first;
 *   page50   kv_mbox_list: the page after 1,000 letters (keyset cursor of page 50);
 *   open     kv_mbox_letter_load with the body + kv_mbox_letter_json of a random letter of
 *            the mailbox (opening a letter, without the HTML around it);
 *
 * and prints p50/p99/max server time in ms per call. Rows are inserted with plain SQL in
 * large transactions (the send pipeline's own speed is send_bench's business).
 *
 * --unread U leaves only the U oldest letters of the measured mailbox unread (a large mailbox
 * whose owner reads their post) and times, in alternated rounds A B A B ..., the first page
 * of the inbox with the unread filter without (A: the index dropped) and with (B) the
 * partial index letters_mailbox_unread (migration 066), printing each round's p50 and the
 * plan of each.
 *
 *   mailbox_bench [--letters N] [--others M] [--passes P] [--unread U [--rounds R]]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "hub/mailbox_folders.h"
#include "hub/mailbox_view.h"
#include "mailbox_fill.h"
#include "store/store.h"

#define BODY_FILE "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_Minimum_Example__memo-1.2.xml"

static void report(const char *name, double *t, int n)
{
    qsort(t, (size_t)n, sizeof(*t), bench_cmp_ms);
    printf("  %-8s p50 %8.3f ms   p99 %8.3f ms   max %8.3f ms   (%d calls)\n", name,
           t[n / 2], t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], t[n - 1], n);
}

static void exec_or_die(struct kv_db *db, const char *sql, struct kv_err *err)
{
    if (kv_db_exec(db, sql, err) < 0)
        bench_die(sql, err);
}

/* The query plan of the unread page, one line per step, on stdout. */
static void print_plan(struct kv_db *db, const char *label, struct kv_err *err)
{
    static char sql[4096];
    struct kv_stmt *s = NULL;

    snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", kv__mbox_list_folder_sql(0, 1));
    if (kv_db_prepare(db, sql, &s, err) < 0)
        bench_die("plan", err);
    while (kv_stmt_step(s, err) == KV_ROW)
        printf("    plan %s: %s\n", label, kv_stmt_col_text(s, 3));
    kv_stmt_done(s);
}

/* p50 in ms of passes first pages of the inbox, unread only. */
static double time_unread(struct kv_db *db, const struct kv_mbox_owner *owner, double *t,
                          int passes, size_t *items, struct kv_err *err)
{
    struct kv_mbox_query q;
    int k;

    memset(&q, 0, sizeof(q));
    q.folder = KV_MBOX_FOLDER_INBOX;
    q.unread = 1;
    q.limit = KV_MBOX_LIST_DEFAULT;
    for (k = 0; k < passes; k++) {
        json_t *list = NULL;
        double t0 = bench_ms();

        if (kv_mbox_list(db, owner, &q, &list, err) < 0)
            bench_die("list unread", err);
        t[k] = bench_ms() - t0;
        *items = json_array_size(json_object_get(list, "items"));
        json_decref(list);
    }
    qsort(t, (size_t)passes, sizeof(*t), bench_cmp_ms);
    return t[passes / 2];
}

/* --unread: the rounds A (no letters_mailbox_unread) B (with it) A B ... */
static void unread_rounds(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t mb,
                          int64_t unread, int rounds, int passes, struct kv_err *err)
{
    static const char create[] =
        "CREATE INDEX letters_mailbox_unread ON letters(mailbox_id, folder, "
        "COALESCE(available_ms, created_ms), id) WHERE state = 'AVAILABLE' AND read_ms IS NULL";
    char sql[256];
    double *t = calloc((size_t)passes, sizeof(*t)), a[64], b[64];
    size_t items = 0;
    int r;

    if (!t || rounds > 64)
        exit(1);
    snprintf(sql, sizeof(sql),
             "UPDATE letters SET read_ms = COALESCE(read_ms, available_ms + 5) WHERE "
             "mailbox_id = %" PRId64,
             mb);
    exec_or_die(db, sql, err);
    snprintf(sql, sizeof(sql),
             "UPDATE letters SET read_ms = NULL WHERE id IN (SELECT id FROM letters WHERE "
             "mailbox_id = %" PRId64 " ORDER BY id LIMIT %" PRId64 ")",
             mb, unread);
    exec_or_die(db, sql, err);
    exec_or_die(db, "ANALYZE", err);
    printf("  unread: the %" PRId64 " oldest letters of the mailbox unread, the rest read; "
           "first page of the inbox, unread only, %d rounds A/B of %d calls\n",
           unread, rounds, passes);
    for (r = 0; r < rounds; r++) {
        exec_or_die(db, "DROP INDEX IF EXISTS letters_mailbox_unread", err);
        if (r == 0)
            print_plan(db, "A", err);
        a[r] = time_unread(db, owner, t, passes, &items, err);
        exec_or_die(db, create, err);
        if (r == 0)
            print_plan(db, "B", err);
        b[r] = time_unread(db, owner, t, passes, &items, err);
        printf("  round %d: A (no index) p50 %9.3f ms   B (letters_mailbox_unread) p50 %9.3f ms"
               "   (%zu letters a page)\n",
               r + 1, a[r], b[r], items);
    }
    qsort(a, (size_t)rounds, sizeof(a[0]), bench_cmp_ms);
    qsort(b, (size_t)rounds, sizeof(b[0]), bench_cmp_ms);
    /* an even number of rounds: the mean of the two middle ones */
    printf("  unread   median of the rounds' p50: A %.3f ms, B %.3f ms\n",
           (a[(rounds - 1) / 2] + a[rounds / 2]) / 2, (b[(rounds - 1) / 2] + b[rounds / 2]) / 2);
    free(t);
}

static char *read_body(size_t *len)
{
    FILE *f = fopen(BODY_FILE, "rb");
    char *buf;
    long n;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "mailbox_bench: cannot read %s (run from the repository root)\n",
                BODY_FILE);
        exit(1);
    }
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Inserts n letters (numbered from first) into mailbox mb of cpr, 50,000 a transaction. */
static void fill(struct kv_db *db, int64_t mb, const char *cpr, int64_t first, int64_t n,
                 const char *body, size_t blen, struct kv_err *err)
{
    char label[64];
    int64_t i, t0 = 1700000000000LL;

    for (i = 0; i < n; i++) {
        if (i % 50000 == 0 && kv_db_begin(db, err) < 0)
            bench_die("begin", err);
        snprintf(label, sizeof(label), "Brev nummer %" PRId64, first + i);
        bench_letter(db, first + i, t0 + (first + i) * 1000, mb, cpr, label, body, blen, err);
        if ((i + 1) % 50000 == 0 || i + 1 == n) {
            if (kv_db_commit(db, err) < 0)
                bench_die("commit", err);
        }
    }
}

int main(int argc, char **argv)
{
    int64_t letters = 1000000, others = 1000000, unread = 0, i, mb;
    int passes = 200, rounds = 4, k;
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_mbox_owner owner;
    struct kv_mbox_query q;
    struct kv_mbox_counts c;
    char dir[] = "/tmp/kuvert-mailbox-bench.XXXXXX", cpr[11], cursor[256] = "", uuid[37];
    double *t, t0, tf;
    size_t blen;
    char *body = read_body(&blen);

    for (k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--letters") == 0 && k + 1 < argc)
            letters = strtoll(argv[++k], NULL, 10);
        else if (strcmp(argv[k], "--others") == 0 && k + 1 < argc)
            others = strtoll(argv[++k], NULL, 10);
        else if (strcmp(argv[k], "--passes") == 0 && k + 1 < argc)
            passes = atoi(argv[++k]);
        else if (strcmp(argv[k], "--unread") == 0 && k + 1 < argc)
            unread = strtoll(argv[++k], NULL, 10);
        else if (strcmp(argv[k], "--rounds") == 0 && k + 1 < argc)
            rounds = atoi(argv[++k]);
        else {
            fprintf(stderr, "usage: mailbox_bench [--letters N] [--others M] [--passes P] "
                            "[--unread U [--rounds R]]\n");
            return 2;
        }
    }
    if (letters < 1100 || others < 0 || passes < 10 || unread < 0 || unread > letters ||
        rounds < 1 || rounds > 64)
        return 2;
    if (!mkdtemp(dir) || kv_store_open(dir, &st, &err) < 0 || kv_db_acquire(st, &db, &err) < 0)
        bench_die("store", &err);
    srand(42);
    tf = bench_ms();
    mb = bench_mailbox(db, BENCH_OWNER, &err);
    fill(db, mb, BENCH_OWNER, 0, letters, body, blen, &err);
    for (i = 0; i < BENCH_OTHER_BOXES && others > 0; i++) {
        snprintf(cpr, sizeof(cpr), "02%08" PRId64, i);
        fill(db, bench_mailbox(db, cpr, &err), cpr, letters + i * (others / BENCH_OTHER_BOXES),
             others / BENCH_OTHER_BOXES, body, blen, &err);
    }
    printf("mailbox_bench: SQLite store with %" PRId64 " letters, %" PRId64
           " of them in one mailbox (every tenth unread; %zu-byte MeMo each); filled in %.0f s\n",
           letters + (others / BENCH_OTHER_BOXES) * BENCH_OTHER_BOXES, letters, blen,
           (bench_ms() - tf) / 1000);
    memset(&owner, 0, sizeof(owner));
    snprintf(owner.type, sizeof(owner.type), "CPR");
    snprintf(owner.id, sizeof(owner.id), BENCH_OWNER);
    t = calloc((size_t)passes, sizeof(*t));
    /* counts */
    for (k = 0; k < passes; k++) {
        t0 = bench_ms();
        if (kv_mbox_counts(db, &owner, &c, &err) < 0)
            bench_die("counts", &err);
        t[k] = bench_ms() - t0;
    }
    printf("  (counts: inbox %" PRId64 ", unread %" PRId64 ")\n", c.inbox, c.inbox_unread);
    report("counts", t, passes);
    /* first page and page 50 */
    memset(&q, 0, sizeof(q));
    q.folder = KV_MBOX_FOLDER_INBOX;
    q.unread = -1;
    q.limit = KV_MBOX_LIST_DEFAULT;
    for (k = 0; k < passes; k++) {
        json_t *list = NULL;

        t0 = bench_ms();
        if (kv_mbox_list(db, &owner, &q, &list, &err) < 0)
            bench_die("list", &err);
        t[k] = bench_ms() - t0;
        json_decref(list);
    }
    report("page1", t, passes);
    for (k = 0; k < 49; k++) { /* the cursor of page 50 */
        json_t *list = NULL;

        q.cursor = cursor[0] ? cursor : NULL;
        if (kv_mbox_list(db, &owner, &q, &list, &err) < 0)
            bench_die("list", &err);
        snprintf(cursor, sizeof(cursor), "%s",
                 json_string_value(json_object_get(list, "nextCursor")));
        json_decref(list);
    }
    q.cursor = cursor;
    for (k = 0; k < passes; k++) {
        json_t *list = NULL;

        t0 = bench_ms();
        if (kv_mbox_list(db, &owner, &q, &list, &err) < 0)
            bench_die("list page 50", &err);
        t[k] = bench_ms() - t0;
        json_decref(list);
    }
    report("page50", t, passes);
    /* open a random letter */
    for (k = 0; k < passes; k++) {
        struct kv_mbox_letter l;
        json_t *j = NULL;

        bench_uuid((int64_t)(rand() % letters), uuid);
        t0 = bench_ms();
        if (kv_mbox_letter_load(db, &owner, uuid, 1, &l, &err) < 0 ||
            kv_mbox_letter_json(&l, &j, &err) < 0)
            bench_die("open", &err);
        t[k] = bench_ms() - t0;
        json_decref(j);
        kv_mbox_letter_release(&l);
    }
    report("open", t, passes);
    if (unread > 0)
        unread_rounds(db, &owner, mb, unread, rounds, passes, &err);
    free(t);
    free(body);
    kv_db_release(db);
    kv_store_close(st);
    bench_rmdir(dir);
    return 0;
}

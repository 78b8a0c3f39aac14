/* SPDX-License-Identifier: MIT
 *
 * stats_bench.c: benchmark of the usage statistics (hub/stats.h; NOT a test: it prints figures
 * and asserts nothing). A temporary SQLite store gets the aggregate rows that a year of 10 M
 * letters (--letters) of one large authority leaves in stats_letters, next to the rows of
 * --orgs other organisations (noise that shares the table), then times:
 *
 *   upsert   kv_stats_letter_add, the one statement the send path adds per letter, in
 *            transactions of 500 (as the writer's group commit batches): us per letter;
 *   read     the figures of the whole year for the authority (median of --passes runs, wall
 *            and CPU time: on a machine shared with other work the CPU time is the figure):
 *            the overview with every dimension grouped, one row per day with every dimension
 *            collapsed, per sender system (the Afsendelse dashboard), received letters per
 *            contact point (the Modtagelse dashboard) and MeMo usage, each with the rows read
 *            back and the sum of their counts (which equals --letters for the sent views).
 *
 * The per-day combinations follow a large authority: 8 sender systems, each writing to citizens
 * and companies (counted by type) in 4 size ranges and 2 message types, and to 10 authorities
 * through 2 contact points each; 50 other organisations add 50 rows a day each, some of them
 * letters to the authority (its received letters).
 *
 *   stats_bench [--letters N] [--orgs K] [--passes P]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hub/stats.h"
#include "store/store.h"
#include "util/clock.h"

#define ORG "12345678"
#define DAYS 365

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct kv_err *err)
{
    fprintf(stderr, "stats_bench: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static const char SQL_ROW[] =
    "INSERT INTO stats_letters (sender, day, recipient, sender_system, recipient_system,"
    " sender_type, recipient_type, size_range, message_type, contact_point, n,"
    " custom_notification, custom_additional_notification, has_actions, has_recipient_label,"
    " has_recipient_attention, has_sender_attention, is_replyable, has_reply_data,"
    " has_content_data, has_sender_content_responsible)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, ?13, 0, 0, 0, ?14, 0, ?15, 0)"
    " ON CONFLICT (sender, day, recipient, sender_system, recipient_system, sender_type,"
    " recipient_type, size_range, message_type, contact_point, slot) DO UPDATE SET"
    " n = stats_letters.n + excluded.n";

struct combo {
    char sender[16], recipient[16], ss[48], rs[48], cp[48];
    const char *st, *rt, *size, *mt;
};

static int64_t row(struct kv_db *db, const struct combo *c, int64_t day, int64_t n)
{
    struct kv_stmt *s;
    struct kv_err err = {0, ""};

    if (kv_db_prepare(db, SQL_ROW, &s, &err) < 0)
        die("prepare", &err);
    kv_stmt_bind_text(s, 1, c->sender, -1);
    kv_stmt_bind_int64(s, 2, day);
    kv_stmt_bind_text(s, 3, c->recipient, -1);
    kv_stmt_bind_text(s, 4, c->ss, -1);
    kv_stmt_bind_text(s, 5, c->rs, -1);
    kv_stmt_bind_text(s, 6, c->st, -1);
    kv_stmt_bind_text(s, 7, c->rt, -1);
    kv_stmt_bind_text(s, 8, c->size, -1);
    kv_stmt_bind_text(s, 9, c->mt, -1);
    kv_stmt_bind_text(s, 10, c->cp, -1);
    kv_stmt_bind_int64(s, 11, n);
    kv_stmt_bind_int64(s, 12, n / 3);
    kv_stmt_bind_int64(s, 13, n / 5);
    kv_stmt_bind_int64(s, 14, n / 7);
    kv_stmt_bind_int64(s, 15, n / 2);
    if (kv_stmt_step(s, &err) < 0)
        die("insert", &err);
    kv_stmt_done(s);
    return n;
}

/* The authority's combinations of one day (sent letters), into out; returns how many:
 * per sender system, citizens and companies (counted by type) x 4 size ranges x 2 message
 * types, and 10 authorities written to through 2 contact points each x 2 size ranges. */
static size_t combos(struct combo *out, size_t max)
{
    static const char *const SZ[] = {"0-100KB", "100KB-1MB", "1-10MB", "10-40MB"};
    static const char *const MT[] = {"DIGITALPOST", "PHYSICAL_LETTER"};
    size_t n = 0;
    int s, r, z, m, a, p;

    for (s = 0; s < 8; s++) {
        for (r = 0; r < 2; r++)
            for (z = 0; z < 4; z++)
                for (m = 0; m < 2 && n < max; m++) {
                    struct combo *c = &out[n++];
                    memset(c, 0, sizeof(*c));
                    snprintf(c->sender, sizeof(c->sender), ORG);
                    snprintf(c->ss, sizeof(c->ss), "00000000-0000-4000-8000-%012d", s);
                    c->st = "AUTHORITY";
                    c->rt = r ? "COMPANY" : "CITIZEN";
                    c->size = SZ[z];
                    c->mt = MT[m];
                }
        for (a = 0; a < 10; a++)
            for (p = 0; p < 2; p++)
                for (z = 0; z < 2 && n < max; z++) {
                    struct combo *c = &out[n++];
                    memset(c, 0, sizeof(*c));
                    snprintf(c->sender, sizeof(c->sender), ORG);
                    snprintf(c->ss, sizeof(c->ss), "00000000-0000-4000-8000-%012d", s);
                    c->st = "AUTHORITY";
                    c->rt = "AUTHORITY";
                    c->size = SZ[z];
                    c->mt = "DIGITALPOST";
                    snprintf(c->recipient, sizeof(c->recipient), "2%07d", a);
                    snprintf(c->rs, sizeof(c->rs), "00000000-0000-4000-9000-%012d", a);
                    snprintf(c->cp, sizeof(c->cp), "00000000-0000-4000-a000-%06d%06d", a, p);
                }
    }
    return n;
}

static int count_row(void *arg, const struct kv_stats_row *r)
{
    int64_t *t = arg;
    t[0]++;
    t[1] += r->count;
    return 0;
}

static int count_memo(void *arg, const struct kv_stats_memo_row *r)
{
    int64_t *t = arg;
    t[0]++;
    t[1] += r->total;
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void time_view(struct kv_db *db, const char *name, enum kv_stats_dir dir, unsigned group,
                      int memo, int passes)
{
    struct kv_stats_query q = {0};
    struct kv_err err = {0, ""};
    double t[64], c[64];
    int64_t tot[2] = {0, 0};
    int i;
    int64_t today = kv_stats_day(kv_clock_now_ms());

    q.org = ORG;
    q.dir = dir;
    q.group = group;
    q.to_day = today;
    q.from_day = today - DAYS + 1;
    if (passes > 64)
        passes = 64;
    for (i = 0; i < passes; i++) {
        double t0 = now_s(), c0 = cpu_s();
        tot[0] = tot[1] = 0;
        if ((memo ? kv_stats_memo_usage(db, &q, count_memo, tot, &err)
                  : kv_stats_overview(db, &q, count_row, tot, &err)) < 0)
            die(name, &err);
        t[i] = now_s() - t0;
        c[i] = cpu_s() - c0;
    }
    qsort(t, (size_t)passes, sizeof(t[0]), cmp_d);
    qsort(c, (size_t)passes, sizeof(c[0]), cmp_d);
    printf("  %-36s %7.1f ms wall (best %6.1f)  %7.1f ms CPU  %7lld rows  %9lld letters\n",
           name, t[passes / 2] * 1e3, t[0] * 1e3, c[passes / 2] * 1e3, (long long)tot[0],
           (long long)tot[1]);
}

int main(int argc, char **argv)
{
    int64_t letters = 10000000, done = 0, day0, per_row, i;
    int orgs = 50, passes = 5, a;
    char dir[] = "/tmp/kuvert-stats-bench-XXXXXX", cmd[128];
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct combo *c = calloc(4096, sizeof(*c));
    size_t nc, k;
    double t0, t1;
    struct kv_stmt *s;
    int64_t rows = 0;

    for (a = 1; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--letters") == 0)
            letters = strtoll(argv[a + 1], NULL, 10);
        else if (strcmp(argv[a], "--orgs") == 0)
            orgs = atoi(argv[a + 1]);
        else if (strcmp(argv[a], "--passes") == 0)
            passes = atoi(argv[a + 1]);
    }
    if (!c || !mkdtemp(dir))
        die("setup", NULL);
    if (kv_store_open(dir, &st, &err) < 0 || kv_db_acquire(st, &db, &err) < 0)
        die("open", &err);
    kv_db_bulk_writer(db);
    nc = combos(c, 4096);
    day0 = kv_stats_day(kv_clock_now_ms()) - DAYS + 1;
    per_row = letters / (int64_t)(nc * DAYS);

    /* upsert: the send path's statement, one per letter, 500 letters per transaction */
    {
        struct kv_stats_letter l;
        int n = 200000;
        memset(&l, 0, sizeof(l));
        l.sender = "99999999";
        l.sender_type = "AUTHORITY";
        l.sender_system = "00000000-0000-4000-8000-999999999999";
        l.recipient_type = "CITIZEN";
        l.message_type = "DIGITALPOST";
        l.time_ms = kv_clock_now_ms();
        t0 = now_s();
        for (i = 0; i < n; i++) {
            if (i % 500 == 0 && kv_db_begin(db, &err) < 0)
                die("begin", &err);
            l.size = (size_t)(i % 4) * 300000;
            l.memo_flags = (unsigned)i & 0x3ffu;
            if (kv_stats_letter_add(db, &l, &err) < 0)
                die("upsert", &err);
            if (i % 500 == 499 && kv_db_commit(db, &err) < 0)
                die("commit", &err);
        }
        t1 = now_s();
        printf("stats_bench: upsert per letter (kv_stats_letter_add, 500 per transaction, "
               "commit included): %.2f us (%d letters)\n",
               (t1 - t0) * 1e6 / n, n);
        kv_db_exec(db, "DELETE FROM stats_letters WHERE sender = '99999999'", &err);
    }

    /* fill: the year of the authority, then the other organisations */
    t0 = now_s();
    if (kv_db_begin(db, &err) < 0)
        die("begin", &err);
    for (i = 0; i < DAYS; i++) {
        for (k = 0; k < nc; k++) {
            int64_t n = per_row;
            if (i == DAYS - 1 && k == nc - 1)
                n = letters - done; /* the remainder, so the year sums to --letters */
            done += row(db, &c[k], day0 + i, n);
            rows++;
        }
    }
    for (a = 0; a < orgs; a++) {
        struct combo o;
        memset(&o, 0, sizeof(o));
        snprintf(o.sender, sizeof(o.sender), "4%07d", a % 10000000);
        snprintf(o.ss, sizeof(o.ss), "00000000-0000-4000-b000-%012d", a);
        o.st = "AUTHORITY";
        o.mt = "DIGITALPOST";
        for (i = 0; i < DAYS; i++)
            for (k = 0; k < 50; k++) {
                static const char *const RT[] = {"CITIZEN", "COMPANY", "AUTHORITY"};
                static const char *const SZ[] = {"0-100KB", "100KB-1MB", "1-10MB", "10-40MB",
                                                 "40-60MB"};
                o.rt = RT[k % 3];
                if (k % 7 == 0)
                    o.rt = "AUTHORITY";
                o.size = SZ[k % 5];
                snprintf(o.recipient, sizeof(o.recipient), "%s", k % 7 == 0 ? ORG : "");
                snprintf(o.cp, sizeof(o.cp), "cp-%02d", (int)(k / 15));
                row(db, &o, day0 + i, 20);
                rows++;
            }
    }
    if (kv_db_commit(db, &err) < 0)
        die("commit", &err);
    if (kv_db_prepare(db, "SELECT COUNT(*) FROM stats_letters", &s, &err) < 0)
        die("count", &err);
    if (kv_stmt_step(s, &err) == KV_ROW)
        rows = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    kv_db_exec(db, "ANALYZE", &err);
    printf("stats_bench: %lld aggregate rows (%zu combinations a day of the authority's %lld "
           "letters in %d days, %d other organisations), filled in %.1f s\n",
           (long long)rows, nc, (long long)letters, DAYS, orgs, now_s() - t0);

    printf("stats_bench: one year for CVR %s (SQLite, median of %d):\n", ORG, passes);
    time_view(db, "overview, every dimension grouped", KV_STATS_BOTH, KV_STATS_G_ALL, 0, passes);
    time_view(db, "overview, one row per day", KV_STATS_BOTH, KV_STATS_G_DAY, 0, passes);
    time_view(db, "Afsendelse: letters per day", KV_STATS_SENT, KV_STATS_G_DAY, 0, passes);
    time_view(db, "Afsendelse: per sender system", KV_STATS_SENT, KV_STATS_G_SENDER_SYSTEM, 0,
              passes);
    time_view(db, "Modtagelse: per contact point", KV_STATS_RECEIVED, KV_STATS_G_CONTACT_POINT,
              0, passes);
    time_view(db, "MeMo usage per sender system", KV_STATS_SENT, 0, 1, passes);

    kv_db_release(db);
    kv_store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "stats_bench: could not remove %s\n", dir);
    free(c);
    return 0;
}

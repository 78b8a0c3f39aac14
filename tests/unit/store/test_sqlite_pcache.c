/* SPDX-License-Identifier: MIT
 *
 * test_sqlite_pcache.c: the page-cache wrapper (store/sqlite_pcache.c) behaves exactly as
 * SQLite's own page cache; it only leaves out truncations that have nothing to drop.
 *   - Its methods driven by hand on a real (wrapped) cache: a truncation is passed on whenever
 *     a page at or above the limit is cached (grown pages, a page parked at B-tree balancing's
 *     temporary number, moved back, discarded), and left out only when none is.
 *   - A workload of page splits (balance_nonroot renumbering), deletes that shrink an
 *     auto_vacuum=FULL database at COMMIT (pages moved down, the file cut), ROLLBACK, ROLLBACK TO
 *     SAVEPOINT followed by COMMIT, and another connection's commits, run here (wrapped) and
 *     in a re-executed copy of this program that does not install the wrapper (SQLite's own
 *     cache), SQLite's random numbers seeded alike: after every step the database and -wal
 *     files are equal byte for byte, every connection's cache holds as many pages
 *     (SQLITE_DBSTATUS_CACHE_USED: a truncation left out that should have dropped pages
 *     leaves more), and integrity_check passes.
 *   - After ROLLBACK TO SAVEPOINT and COMMIT the pages the rolled-back part had added beyond
 *     the end leave the cache (SQLITE_DBSTATUS_CACHE_USED falls).
 * Plain SQLite throughout (the wrapper is the SQLite backend's); the same under KUVERT_TEST_PG.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "unit/tmpdir.h"

#include "store/sqlite_pcache.h"

#define STEPS 36
#define TEMP_KEY 262145u /* balance_nonroot's temporary page number with 4 KiB pages */

static sqlite3_pcache_methods2 wrapped; /* the installed methods, read before SQLite starts */

static int setup(void **state)
{
    return kv_test_tmpdir_setup(state, "pcache");
}

/* ---- the methods by hand ---- */

static sqlite3_pcache_page *fetch(sqlite3_pcache *c, unsigned key, int create)
{
    return wrapped.xFetch(c, key, create);
}

/* Creates page key and unpins it (it stays cached). */
static void add(sqlite3_pcache *c, unsigned key)
{
    sqlite3_pcache_page *pg = fetch(c, key, 2);

    assert_non_null(pg);
    wrapped.xUnpin(c, pg, 0);
}

/* Moves the page at from to to, as sqlite3PcacheMove does (pinned, to's old page dropped). */
static sqlite3_pcache_page *move(sqlite3_pcache *c, unsigned from, unsigned to)
{
    sqlite3_pcache_page *pg = fetch(c, from, 0), *other = fetch(c, to, 0);

    assert_non_null(pg);
    if (other)
        wrapped.xUnpin(c, other, 1);
    wrapped.xRekey(c, pg, from, to);
    return pg;
}

/* xTruncate(limit): asserts whether it was passed on and the pages left. */
static void truncate_expect(sqlite3_pcache *c, unsigned limit, int passed_on, int pages)
{
    unsigned long long f0, s0, f1, s1;

    kv__sqlite_pcache_counts(&f0, &s0);
    wrapped.xTruncate(c, limit);
    kv__sqlite_pcache_counts(&f1, &s1);
    assert_int_equal(f1 - f0, passed_on ? 1 : 0);
    assert_int_equal(s1 - s0, passed_on ? 0 : 1);
    assert_int_equal(wrapped.xPagecount(c), pages);
}

static void test_methods_by_hand(void **state)
{
    sqlite3_pcache *c;
    sqlite3_pcache_page *a, *b, *pg;
    unsigned k;

    (void)state;
    assert_non_null(wrapped.xCreate);
    assert_int_equal(sqlite3_initialize(), SQLITE_OK);
    c = wrapped.xCreate(4096, 64, 1);
    assert_non_null(c);
    wrapped.xCachesize(c, 2000);
    for (k = 1; k <= 100; k++)
        add(c, k);
    assert_int_equal(wrapped.xPagecount(c), 100);
    truncate_expect(c, 101, 0, 100); /* nothing at or above 101 */
    truncate_expect(c, 100, 1, 99);  /* page 100 goes */
    assert_null(fetch(c, 100, 0));

    /* balance_nonroot's swap of pages 10 and 20 through the temporary number: afterwards no
     * page is above 99, and the truncation at COMMIT is left out */
    a = move(c, 10, TEMP_KEY);
    b = move(c, 20, 10);
    assert_ptr_equal(move(c, TEMP_KEY, 20), a);
    wrapped.xUnpin(c, a, 0);
    wrapped.xUnpin(c, b, 0);
    truncate_expect(c, 100, 0, 99);
    assert_ptr_equal(fetch(c, 10, 0), b);
    assert_ptr_equal(fetch(c, 20, 0), a);
    wrapped.xUnpin(c, a, 0);
    wrapped.xUnpin(c, b, 0);

    /* a page left at the temporary number is dropped by the next truncation */
    pg = move(c, 30, TEMP_KEY);
    wrapped.xUnpin(c, pg, 0);
    truncate_expect(c, 100, 1, 98);
    assert_null(fetch(c, TEMP_KEY, 0));
    assert_null(fetch(c, 30, 0));

    /* parked there, then discarded: nothing left to drop */
    pg = move(c, 40, TEMP_KEY);
    wrapped.xUnpin(c, pg, 1);
    truncate_expect(c, 100, 0, 97);

    /* parked, fetched back under its key, moved on above the end: dropped */
    pg = move(c, 50, TEMP_KEY);
    wrapped.xUnpin(c, pg, 0);
    pg = fetch(c, TEMP_KEY, 0);
    assert_non_null(pg);
    wrapped.xRekey(c, pg, TEMP_KEY, 150);
    wrapped.xUnpin(c, pg, 0);
    truncate_expect(c, 100, 1, 96);
    assert_null(fetch(c, 150, 0));

    /* two pages above the end at once, through rekeys */
    a = move(c, 60, TEMP_KEY);
    b = move(c, 61, 200);
    wrapped.xUnpin(c, a, 0);
    wrapped.xUnpin(c, b, 0);
    truncate_expect(c, 100, 1, 94);
    assert_null(fetch(c, TEMP_KEY, 0));
    assert_null(fetch(c, 200, 0));

    /* pages created above the limit: a transaction that grew the file to 121 pages commits
     * (nothing to drop) ... */
    add(c, 120);
    add(c, 121);
    truncate_expect(c, 122, 0, 96);
    truncate_expect(c, 100, 1, 94); /* ... or rolls back to 99 */

    /* a cache clear: everything goes */
    truncate_expect(c, 1, 1, 0);
    truncate_expect(c, 1, 0, 0);
    add(c, 7);
    truncate_expect(c, 1, 1, 0);
    wrapped.xDestroy(c);
}

/* ---- the same workload wrapped and unwrapped ---- */

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        fprintf(stderr, "%s: %s (extended %d, errno %d)\n", sql, msg ? msg : "?",
                sqlite3_extended_errcode(db), sqlite3_system_errno(db));
        abort();
    }
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix") !=
        SQLITE_OK) {
        fprintf(stderr, "cannot open %s\n", path);
        abort();
    }
    /* temp_store=MEMORY: statement journals and VACUUM's copy make no temporary files, whose
     * names SQLite draws from the PRNG this test seeds alike in both processes: running at the
     * same time, a name taken by the other process made one of them draw again, and the two
     * workloads then differed (or failed with EBADF on a write) */
    exec_ok(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;"
                "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY");
    return db;
}

static uint64_t file_digest(const char *path)
{
    uint64_t h = 0xcbf29ce484222325ull;
    unsigned char buf[65536];
    ssize_t n, i;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return 0;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        for (i = 0; i < n; i++)
            h = (h ^ buf[i]) * 0x100000001b3ull;
    close(fd);
    return h;
}

static int integrity_ok(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int ok;

    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
        return 0;
    ok = sqlite3_step(s) == SQLITE_ROW &&
         strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0 &&
         sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    return ok;
}

/* Bytes of a connection's page cache: its pages times their size, so the same pages cached
 * give the same figure. */
static long long cache_used(sqlite3 *db)
{
    int cur = 0, hi = 0;

    if (sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_USED, &cur, &hi, 0) != SQLITE_OK)
        abort();
    return cur;
}

/* Inserts n rows with random index keys and values of up to maxlen random bytes. */
static void grow(sqlite3 *db, int maxlen, int n)
{
    char sql[256];

    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE s (x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < %d)"
             " INSERT INTO t (key, v) SELECT randomblob(16 + abs(random()) %% 40),"
             " randomblob(abs(random()) %% %d) FROM s",
             n, maxlen);
    exec_ok(db, sql);
}

/* Step i on a (auto_vacuum=FULL) or b (no auto_vacuum), six steps each in turn; o: a second
 * connection to a. Keys and
 * values come from SQLite's random numbers (randomblob), seeded by the caller. */
static void step(sqlite3 *a, sqlite3 *b, sqlite3 *o, int i)
{
    char sql[256];
    sqlite3 *db = (i / 6) % 2 ? b : a;

    switch (i % 6) {
    case 0: /* page splits all over the index and the table */
    case 1:
        exec_ok(db, "BEGIN IMMEDIATE");
        grow(db, 600, 400);
        exec_ok(db, "COMMIT");
        break;
    case 2: /* grown, rolled back: the pages beyond the end must not come back */
        exec_ok(db, "BEGIN IMMEDIATE");
        grow(db, 5000, 300);
        exec_ok(db, "ROLLBACK");
        grow(db, 3000, 40); /* the file grows again */
        break;
    case 3: /* ROLLBACK TO a savepoint past new pages, then COMMIT, then grow */
        exec_ok(db, "BEGIN IMMEDIATE");
        grow(db, 600, 50);
        exec_ok(db, "SAVEPOINT s");
        grow(db, 6000, 200);
        exec_ok(db, "ROLLBACK TO s");
        grow(db, 300, 20);
        exec_ok(db, "RELEASE s");
        exec_ok(db, "COMMIT");
        grow(db, 4000, 60);
        break;
    case 4: /* deletes: auto_vacuum moves the last pages down and cuts the file at COMMIT */
        snprintf(sql, sizeof(sql), "DELETE FROM t WHERE id %% 3 = %d OR length(v) > 2000",
                 i % 3);
        exec_ok(db, sql);
        grow(db, 5000, 80);
        break;
    default: /* another connection commits: the first one's cache is cleared at its next
              * read, then it writes */
        grow(o, 2000, 30);
        exec_ok(a, "SELECT count(*), sum(length(v)) FROM t");
        grow(a, 2000, 30);
        break;
    }
}

/* Runs the workload in dir (a.db, b.db) and writes one line of digests per step to out. */
static void workload(const char *dir, FILE *out)
{
    char pa[128], pb[128], wa[140], wb[140];
    sqlite3 *a, *b, *o;
    int i;

    snprintf(pa, sizeof(pa), "%s/a.db", dir);
    snprintf(pb, sizeof(pb), "%s/b.db", dir);
    snprintf(wa, sizeof(wa), "%s-wal", pa);
    snprintf(wb, sizeof(wb), "%s-wal", pb);
    sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 4242, NULL);
    a = open_db(pa);
    b = open_db(pb);
    exec_ok(a, "PRAGMA auto_vacuum=FULL; VACUUM");
    exec_ok(a, "CREATE TABLE t (id INTEGER PRIMARY KEY, key BLOB, v BLOB);"
               "CREATE INDEX t_key ON t (key)");
    exec_ok(b, "CREATE TABLE t (id INTEGER PRIMARY KEY, key BLOB, v BLOB);"
               "CREATE INDEX t_key ON t (key); CREATE INDEX t_v ON t (v)");
    o = open_db(pa);
    for (i = 0; i < STEPS; i++) {
        sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 5000 + i, NULL);
        step(a, b, o, i);
        fprintf(out, "%d %016llx %016llx %016llx %016llx %lld %lld %lld %d %d\n", i,
                (unsigned long long)file_digest(pa), (unsigned long long)file_digest(wa),
                (unsigned long long)file_digest(pb), (unsigned long long)file_digest(wb),
                cache_used(a), cache_used(b), cache_used(o), integrity_ok(a), integrity_ok(b));
    }
    sqlite3_close(o);
    sqlite3_close(a);
    sqlite3_close(b);
}

static void test_same_bytes_as_sqlite_cache(void **state)
{
    struct kv_test_tmpdir *f = *state;
    char dw[128], dr[128], pw[160], pr[160], lw[256], lr[256];
    unsigned long long f0, s0, f1, s1;
    FILE *out, *ref;
    pid_t pid;
    int st, n = 0;

    snprintf(dw, sizeof(dw), "%s/wrapped", f->dir);
    snprintf(dr, sizeof(dr), "%s/sqlite", f->dir);
    assert_int_equal(mkdir(dw, 0700), 0);
    assert_int_equal(mkdir(dr, 0700), 0);
    snprintf(pw, sizeof(pw), "%s/steps", dw);
    snprintf(pr, sizeof(pr), "%s/steps", dr);
    /* SQLite's own cache: this program again, without the wrapper */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", "test_sqlite_pcache", "--unwrapped", dr, pr, (char *)NULL);
        _exit(127);
    }
    kv__sqlite_pcache_counts(&f0, &s0);
    out = fopen(pw, "w");
    assert_non_null(out);
    workload(dw, out);
    fclose(out);
    kv__sqlite_pcache_counts(&f1, &s1);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    out = fopen(pw, "r");
    ref = fopen(pr, "r");
    assert_non_null(out);
    assert_non_null(ref);
    while (fgets(lw, sizeof(lw), out)) {
        int step_no, ok_a, ok_b;

        assert_non_null(fgets(lr, sizeof(lr), ref));
        if (strcmp(lw, lr) != 0)
            fail_msg("files or cached pages differ from SQLite's own cache's (step, digests of"
                     " a.db, a.db-wal, b.db, b.db-wal, cache bytes of a, b, o, integrity of a,"
                     " b):\n  wrapped %s  sqlite  %s",
                     lw, lr);
        assert_int_equal(sscanf(lw, "%d %*s %*s %*s %*s %*s %*s %*s %d %d", &step_no, &ok_a,
                                &ok_b),
                         3);
        assert_int_equal(step_no, n);
        assert_int_equal(ok_a, 1);
        assert_int_equal(ok_b, 1);
        n++;
    }
    assert_null(fgets(lr, sizeof(lr), ref));
    fclose(out);
    fclose(ref);
    assert_int_equal(n, STEPS);
    /* the wrapper was in the path and left truncations out */
    assert_true(s1 - s0 >= STEPS);
    assert_true(f1 - f0 >= 1);
}

/* ---- pages beyond the end leave the cache ---- */

static void test_savepoint_pages_dropped(void **state)
{
    struct kv_test_tmpdir *f = *state;
    char path[128];
    sqlite3 *db;
    long long before, after;
    unsigned long long f0, s0, f1, s1;

    snprintf(path, sizeof(path), "%s/sp.db", f->dir);
    db = open_db(path);
    exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, key BLOB, v BLOB)");
    grow(db, 100, 200);
    exec_ok(db, "BEGIN IMMEDIATE; INSERT INTO t (v) VALUES (randomblob(100)); SAVEPOINT s;"
                "WITH RECURSIVE s (x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 2000)"
                " INSERT INTO t (v) SELECT randomblob(3000) FROM s");
    exec_ok(db, "ROLLBACK TO s; RELEASE s");
    before = cache_used(db);
    kv__sqlite_pcache_counts(&f0, &s0);
    exec_ok(db, "COMMIT");
    kv__sqlite_pcache_counts(&f1, &s1);
    after = cache_used(db);
    /* 2,000 pages of 4 KiB were added beyond the end; COMMIT's truncation drops those still
     * cached after ROLLBACK TO */
    assert_true(before > 2000 * 4096);
    assert_true(after * 4 < before);
    assert_true(f1 - f0 >= 1);
    /* and the file reads back whole */
    assert_true(integrity_ok(db));
    grow(db, 3000, 100);
    assert_true(integrity_ok(db));
    sqlite3_close(db);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_by_hand),
        cmocka_unit_test_setup_teardown(test_same_bytes_as_sqlite_cache, setup,
                                        kv_test_tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_savepoint_pages_dropped, setup,
                                        kv_test_tmpdir_teardown),
    };

    if (argc == 4 && strcmp(argv[1], "--unwrapped") == 0) {
        FILE *out = fopen(argv[3], "w");

        if (!out)
            return 1;
        workload(argv[2], out); /* SQLite's own page cache: the wrapper is never installed */
        return fclose(out) == 0 ? 0 : 1;
    }
    /* before anything starts SQLite */
    if (!kv__sqlite_pcache_install() ||
        sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &wrapped) != SQLITE_OK) {
        fprintf(stderr, "test_sqlite_pcache: the wrapper was not installed\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

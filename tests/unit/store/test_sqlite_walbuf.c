/* SPDX-License-Identifier: MIT
 *
 * test_sqlite_walbuf.c: the WAL-gathering VFS (store/sqlite_walbuf.c) writes exactly what
 * SQLite's own VFS writes, in order, before anyone can read it.
 *   - The same workload (small and large transactions, cache spills with frames rewritten in
 *     place, a rollback after a spill followed by another connection's commit, synchronous FULL and NORMAL, PASSIVE / RESTART /
 *     TRUNCATE checkpoints from a second connection) run through the shim and through "unix"
 *     with SQLite's random numbers seeded alike leaves the database and -wal files equal byte
 *     for byte after every step: a write dropped, moved, reordered or still held back when a
 *     statement returns makes them differ.
 *   - A reader on "unix" (its own file handles) reads every committed row right after each
 *     commit, in this process and in a forked one.
 *   - A writer killed (SIGKILL) in the middle of a transaction, frames gathered and not yet
 *     written: reopened, every committed transaction is there, nothing of the killed one,
 *     integrity_check passes, and writing goes on.
 *   - The store's own connections use the shim (frames gathered, far fewer writes).
 * Plain SQLite throughout (the shim is the SQLite backend's); runs the same under
 * KUVERT_TEST_PG, where the store part is skipped by its own check of the backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
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

#include "unit/hub/store_fixture.h"
#include "unit/tmpdir.h"

#include "store/sqlite_walbuf.h"
#include "store/store.h"

static int setup(void **state)
{
    return kv_test_tmpdir_setup(state, "walbuf");
}

static sqlite3 *open_db(const char *path, const char *vfs)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     vfs),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                      "PRAGMA busy_timeout=10000",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    return db;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* Deterministic row content: row k, n bytes. */
static void fill(unsigned char *p, size_t n, int64_t k)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1);
    size_t i;

    for (i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (unsigned char)x;
    }
}

/* Inserts rows [k0, k0 + n) of size bytes each, in the open transaction (or autocommit). */
static void insert_rows(sqlite3 *db, int64_t k0, int n, int size)
{
    sqlite3_stmt *s = NULL;
    unsigned char *b = malloc((size_t)size);
    int i;

    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t (k, v) VALUES (?, ?)", -1, &s, NULL),
                     SQLITE_OK);
    for (i = 0; i < n; i++) {
        fill(b, (size_t)size, k0 + i);
        sqlite3_bind_int64(s, 1, k0 + i);
        sqlite3_bind_blob(s, 2, b, size, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(s), SQLITE_DONE);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    free(b);
}

/* The whole content of a file (NULL and *n 0 when absent). */
static unsigned char *slurp(const char *path, size_t *n)
{
    struct stat sb;
    unsigned char *b;
    int fd = open(path, O_RDONLY);
    ssize_t got;

    *n = 0;
    if (fd < 0)
        return NULL;
    assert_int_equal(fstat(fd, &sb), 0);
    b = malloc((size_t)sb.st_size + 1);
    got = pread(fd, b, (size_t)sb.st_size, 0);
    close(fd);
    assert_int_equal(got, sb.st_size);
    *n = (size_t)sb.st_size;
    return b;
}

static void same_file(const char *a, const char *b, const char *step)
{
    size_t na, nb;
    unsigned char *pa = slurp(a, &na), *pb = slurp(b, &nb);

    if (na != nb || (na && memcmp(pa, pb, na) != 0)) {
        size_t i = 0;

        while (i < na && i < nb && pa[i] == pb[i])
            i++;
        fail_msg("%s: %s (%zu bytes) and %s (%zu bytes) differ at byte %zu", step, a, na, b, nb,
                 i);
    }
    free(pa);
    free(pb);
}

/* Every committed row, as the reader sees it: count and a checksum of every byte. */
static void expect_rows(sqlite3 *rd, int64_t n, int size_small, int size_large, int64_t large_from)
{
    sqlite3_stmt *s = NULL;
    unsigned char *want = malloc((size_t)(size_large > size_small ? size_large : size_small));
    int64_t k = 0;

    assert_int_equal(sqlite3_prepare_v2(rd, "SELECT k, v FROM t ORDER BY k", -1, &s, NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int size = k >= large_from ? size_large : size_small;

        assert_int_equal(sqlite3_column_int64(s, 0), k);
        assert_int_equal(sqlite3_column_bytes(s, 1), size);
        fill(want, (size_t)size, k);
        assert_memory_equal(sqlite3_column_blob(s, 1), want, (size_t)size);
        k++;
    }
    sqlite3_finalize(s);
    free(want);
    assert_int_equal(k, n);
}

/* One workload step on one side (db: writer, ck: a second connection for checkpoints). */
static void step(sqlite3 *db, sqlite3 *ck, int i)
{
    char sql[128];

    switch (i % 8) {
    case 0: /* one small row */
        insert_rows(db, 100000 + i, 1, 40);
        break;
    case 1: /* a large transaction: spills frames before COMMIT (cache of 8 pages) */
        exec_ok(db, "BEGIN IMMEDIATE");
        insert_rows(db, 200000 + i * 1000, 120, 1500);
        exec_ok(db, "COMMIT");
        break;
    case 2: /* spill, then rewrite spilled pages in place, then commit */
        exec_ok(db, "BEGIN IMMEDIATE");
        insert_rows(db, 300000 + i * 1000, 60, 900);
        snprintf(sql, sizeof(sql), "UPDATE t SET v = zeroblob(700) WHERE k >= %d AND k < %d",
                 300000 + i * 1000, 300000 + i * 1000 + 60);
        exec_ok(db, sql);
        exec_ok(db, "COMMIT");
        break;
    case 3: /* spill, then roll back: the frames stay in the file, unused; then another
             * connection commits (its frames where the rolled-back ones were) and the first
             * one reads: frames of the rollback still held back would land on the commit */
        if (i % 16 == 3) {
            exec_ok(db, "PRAGMA cache_size=8");
        } else { /* from an empty log: the rollback then reads nothing from it */
            exec_ok(ck, "PRAGMA wal_checkpoint(TRUNCATE)");
            exec_ok(db, "PRAGMA cache_size=40");
        }
        exec_ok(db, "BEGIN IMMEDIATE");
        insert_rows(db, 400000 + i * 1000, 150, 1200);
        exec_ok(db, "ROLLBACK");
        exec_ok(db, "PRAGMA cache_size=8");
        exec_ok(ck, "BEGIN IMMEDIATE");
        insert_rows(ck, 600000 + i * 1000, 200, 1200); /* more frames than the rollback's */
        exec_ok(ck, "COMMIT");
        exec_ok(db, "SELECT count(*), sum(length(v)) FROM t");
        break;
    case 4:
        exec_ok(ck, "PRAGMA wal_checkpoint(PASSIVE)");
        break;
    case 5: /* lazy durability: a commit without a sync */
        exec_ok(db, "PRAGMA synchronous=NORMAL");
        insert_rows(db, 500000 + i * 1000, 30, 300);
        exec_ok(db, "PRAGMA synchronous=FULL");
        break;
    case 6:
        exec_ok(ck, i % 16 == 6 ? "PRAGMA wal_checkpoint(RESTART)"
                                : "PRAGMA wal_checkpoint(TRUNCATE)");
        break;
    default: /* a delete across many pages */
        snprintf(sql, sizeof(sql), "DELETE FROM t WHERE k %% 7 = %d AND k >= 200000", i % 7);
        exec_ok(db, sql);
        break;
    }
}

static void test_same_bytes_as_unix_vfs(void **state)
{
    struct kv_test_tmpdir *f = *state;
    const char *vfs = kv__sqlite_walbuf_vfs();
    char p1[128], p2[128], w1[140], w2[140], what[64];
    sqlite3 *a, *ak, *b, *bk;
    unsigned long long g0, f0, g1, f1;
    int i;

    assert_non_null(vfs);
    snprintf(p1, sizeof(p1), "%s/shim.db", f->dir);
    snprintf(p2, sizeof(p2), "%s/unix.db", f->dir);
    snprintf(w1, sizeof(w1), "%s-wal", p1);
    snprintf(w2, sizeof(w2), "%s-wal", p2);
    kv__sqlite_walbuf_counts(&g0, &f0);
    /* the two sides step by step, SQLite's random numbers (WAL salts) seeded alike */
    a = open_db(p1, vfs);
    b = open_db(p2, "unix");
    ak = open_db(p1, vfs);
    bk = open_db(p2, "unix");
    sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 999, NULL);
    exec_ok(a, "PRAGMA cache_size=8; CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);"
               "CREATE INDEX t_v ON t (v)");
    sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 999, NULL);
    exec_ok(b, "PRAGMA cache_size=8; CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);"
               "CREATE INDEX t_v ON t (v)");
    for (i = 0; i < 48; i++) {
        sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 1000 + i, NULL);
        step(a, ak, i);
        sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 1000 + i, NULL);
        step(b, bk, i);
        snprintf(what, sizeof(what), "after step %d", i);
        same_file(w1, w2, what);
        same_file(p1, p2, what);
    }
    sqlite3_close(ak);
    sqlite3_close(bk);
    sqlite3_close(a);
    sqlite3_close(b);
    same_file(p1, p2, "after close");
    kv__sqlite_walbuf_counts(&g1, &f1);
    /* the shim was in the path (with a cache of 8 pages SQLite spills one frame at a time
     * and reads spilled frames back, each read writing the run first, so runs are short
     * here; test_store_uses_it measures the gathering of a group commit) */
    assert_true(g1 - g0 > 1000);
    assert_true(f1 - f0 < g1 - g0);
}

static void test_reader_sees_every_commit(void **state)
{
    struct kv_test_tmpdir *f = *state;
    char path[128];
    sqlite3 *w, *ck, *rd;
    int64_t n = 0;
    int i;
    pid_t pid;

    snprintf(path, sizeof(path), "%s/rd.db", f->dir);
    w = open_db(path, kv__sqlite_walbuf_vfs());
    ck = open_db(path, kv__sqlite_walbuf_vfs());
    rd = open_db(path, "unix");
    exec_ok(w, "PRAGMA cache_size=8; CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
    for (i = 0; i < 60; i++) {
        int large = i % 3 == 1, rows = large ? 150 : 1 + i % 4;

        exec_ok(w, i % 5 == 2 ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
        exec_ok(w, "BEGIN IMMEDIATE");
        insert_rows(w, n, rows, 2000);
        if (i % 7 == 3) { /* a rolled-back spill between commits */
            exec_ok(w, "ROLLBACK");
        } else {
            exec_ok(w, "COMMIT");
            n += rows;
        }
        expect_rows(rd, n, 2000, 2000, 0);
        if (i % 9 == 4)
            exec_ok(ck, i % 2 ? "PRAGMA wal_checkpoint(TRUNCATE)"
                              : "PRAGMA wal_checkpoint(PASSIVE)");
    }
    /* and a reader in another process, right after one more commit */
    insert_rows(w, n, 5, 2000);
    n += 5;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *c = NULL;
        sqlite3_stmt *s = NULL;
        int64_t got = -1;

        if (sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK &&
            sqlite3_prepare_v2(c, "SELECT count(*), sum(length(v)) FROM t", -1, &s, NULL) ==
                SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 1) == n * 2000)
            got = sqlite3_column_int64(s, 0);
        _exit(got == n ? 0 : 1);
    }
    {
        int st = 0;

        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    sqlite3_close(rd);
    sqlite3_close(ck);
    sqlite3_close(w);
}

static void test_killed_mid_transaction(void **state)
{
    struct kv_test_tmpdir *f = *state;
    char path[128];
    int p[2], committed = 0, round;
    sqlite3 *db, *rd;
    sqlite3_stmt *s = NULL;

    snprintf(path, sizeof(path), "%s/kill.db", f->dir);
    db = open_db(path, kv__sqlite_walbuf_vfs());
    exec_ok(db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
    sqlite3_close(db);
    for (round = 0; round < 3; round++) {
        pid_t pid;
        int st = 0;
        char c;

        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            sqlite3 *w = NULL;
            unsigned long long g, fl;
            int i;

            close(p[0]);
            w = open_db(path, kv__sqlite_walbuf_vfs());
            exec_ok(w, round == 1 ? "PRAGMA cache_size=8" : "PRAGMA cache_size=2000");
            for (i = 0; i < 10; i++) { /* ten committed transactions, reported one by one */
                exec_ok(w, "BEGIN IMMEDIATE");
                insert_rows(w, committed + i * 20, 20, 1000);
                exec_ok(w, "COMMIT");
                if (write(p[1], "c", 1) != 1)
                    _exit(3);
            }
            /* then one that dies with its frames gathered and not written */
            exec_ok(w, "BEGIN IMMEDIATE");
            insert_rows(w, 900000, 300, 1000);
            kv__sqlite_walbuf_counts(&g, &fl);
            if (write(p[1], "k", 1) != 1)
                _exit(3);
            raise(SIGKILL);
            _exit(4);
        }
        close(p[1]);
        while (read(p[0], &c, 1) == 1)
            if (c == 'c')
                committed += 20;
        close(p[0]);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        /* reopened (recovery), through the shim and, separately, through unix */
        rd = open_db(path, round % 2 ? "unix" : kv__sqlite_walbuf_vfs());
        assert_int_equal(sqlite3_prepare_v2(rd, "PRAGMA integrity_check", -1, &s, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
        sqlite3_finalize(s);
        expect_rows(rd, committed, 1000, 1000, 0);
        sqlite3_close(rd);
    }
    assert_int_equal(committed, 3 * 10 * 20);
}

/* The store's connections open through the shim. */
static void test_store_uses_it(void **state)
{
    struct kv_test_tmpdir *f = *state;
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    unsigned long long g0, f0, g1, f1;
    int i;

    if (kv_test_on_pg())
        return; /* the shim is the SQLite backend's */
    assert_int_equal(kv_test_store_open(f->dir, &st, &err), 0);
    assert_int_equal(kv_db_acquire(st, &db, &err), 0);
    assert_int_equal(kv_db_exec(db, "CREATE TABLE wb_t (k INTEGER PRIMARY KEY, v TEXT)", &err),
                     0);
    kv__sqlite_walbuf_counts(&g0, &f0);
    assert_int_equal(kv_db_begin(db, &err), 0);
    for (i = 0; i < 200; i++)
        assert_int_equal(kv_db_exec(db, "INSERT INTO wb_t (v) VALUES (printf('%.3000c', 'x'))",
                                    &err),
                         0);
    assert_int_equal(kv_db_commit(db, &err), 0);
    kv__sqlite_walbuf_counts(&g1, &f1);
    assert_true(g1 - g0 >= 300);
    assert_true((f1 - f0) * 10 < g1 - g0);
    kv_db_release(db);
    kv_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_bytes_as_unix_vfs, setup,
                                        kv_test_tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_reader_sees_every_commit, setup,
                                        kv_test_tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_killed_mid_transaction, setup,
                                        kv_test_tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_store_uses_it, setup, kv_test_tmpdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_sqlite_walbuf_fault.c: a write error of the WAL-gathering VFS (store/sqlite_walbuf.c)
 * is the error of the COMMIT whose frames it carried, as SQLite's own write's would have
 * been, so a commit that did not reach the -wal file is never reported as done.
 * The shim wraps SQLite's default VFS; this test makes that a fault-injecting VFS ("faulty",
 * forwarding to "unix") before the shim is first used, then makes -wal writes fail:
 *   - every -wal write (a full disk): the COMMIT fails, the row is not there afterwards
 *     (another connection, and the database reopened), writing goes on once the disk is back;
 *   - only the rewrite of a commit frame's header (a 24-byte write below the furthest write) (SQLite rewrites the headers of a
 *     transaction's frames from the first one it overwrote in place, the commit frame's
 *     last, at COMMIT), with synchronous NORMAL and FULL: the COMMIT fails, through the shim
 *     as through "faulty" alone (the control run shows the workload reaches that write).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/sqlite_walbuf.h"

enum { ARM_NONE, ARM_ALL, ARM_COMMIT_HEADER };

static int armed;          /* what -wal writes fail */
static int failures;       /* writes failed so far */
static sqlite3_vfs faulty; /* the fault-injecting VFS */
static sqlite3_vfs *unixv; /* the VFS it forwards to */

struct ff {
    sqlite3_file base;
    int wal;
    sqlite3_int64 hi; /* -wal: end of the furthest write so far */
};
#define FF_REAL(f) ((sqlite3_file *)((char *)(f) + ((sizeof(struct ff) + 15) & ~(size_t)15)))

static int ff_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
    struct ff *f = (struct ff *)file;
    const unsigned char *b = p;

    /* ARM_COMMIT_HEADER: a commit frame's header written again, below what was written */
    if (f->wal && (armed == ARM_ALL || (armed == ARM_COMMIT_HEADER && n == 24 &&
                                        (b[4] | b[5] | b[6] | b[7]) && off + n < f->hi))) {
        failures++;
        return SQLITE_IOERR_WRITE;
    }
    if (off + n > f->hi)
        f->hi = off + n;
    return FF_REAL(f)->pMethods->xWrite(FF_REAL(f), p, n, off);
}

#define FWD(name, proto, args)                                                           \
    static int ff_##name proto                                                           \
    {                                                                                    \
        return FF_REAL(file)->pMethods->x##name args;                                    \
    }
FWD(Close, (sqlite3_file * file), (FF_REAL(file)))
FWD(Read, (sqlite3_file * file, void *p, int n, sqlite3_int64 off), (FF_REAL(file), p, n, off))
static int ff_Truncate(sqlite3_file *file, sqlite3_int64 size)
{
    struct ff *f = (struct ff *)file;

    if (f->hi > size)
        f->hi = size;
    return FF_REAL(file)->pMethods->xTruncate(FF_REAL(file), size);
}
FWD(Sync, (sqlite3_file * file, int flags), (FF_REAL(file), flags))
FWD(FileSize, (sqlite3_file * file, sqlite3_int64 *size), (FF_REAL(file), size))
FWD(Lock, (sqlite3_file * file, int l), (FF_REAL(file), l))
FWD(Unlock, (sqlite3_file * file, int l), (FF_REAL(file), l))
FWD(CheckReservedLock, (sqlite3_file * file, int *out), (FF_REAL(file), out))
FWD(FileControl, (sqlite3_file * file, int op, void *arg), (FF_REAL(file), op, arg))
FWD(SectorSize, (sqlite3_file * file), (FF_REAL(file)))
FWD(DeviceCharacteristics, (sqlite3_file * file), (FF_REAL(file)))
FWD(ShmMap, (sqlite3_file * file, int pg, int sz, int ext, void volatile **pp),
    (FF_REAL(file), pg, sz, ext, pp))
FWD(ShmLock, (sqlite3_file * file, int off, int n, int flags), (FF_REAL(file), off, n, flags))
FWD(ShmUnmap, (sqlite3_file * file, int del), (FF_REAL(file), del))
FWD(Fetch, (sqlite3_file * file, sqlite3_int64 off, int n, void **pp), (FF_REAL(file), off, n, pp))
FWD(Unfetch, (sqlite3_file * file, sqlite3_int64 off, void *p), (FF_REAL(file), off, p))

static void ff_ShmBarrier(sqlite3_file *file)
{
    FF_REAL(file)->pMethods->xShmBarrier(FF_REAL(file));
}

static const sqlite3_io_methods ff_io = {
    .iVersion = 3,
    .xClose = ff_Close,
    .xRead = ff_Read,
    .xWrite = ff_write,
    .xTruncate = ff_Truncate,
    .xSync = ff_Sync,
    .xFileSize = ff_FileSize,
    .xLock = ff_Lock,
    .xUnlock = ff_Unlock,
    .xCheckReservedLock = ff_CheckReservedLock,
    .xFileControl = ff_FileControl,
    .xSectorSize = ff_SectorSize,
    .xDeviceCharacteristics = ff_DeviceCharacteristics,
    .xShmMap = ff_ShmMap,
    .xShmLock = ff_ShmLock,
    .xShmBarrier = ff_ShmBarrier,
    .xShmUnmap = ff_ShmUnmap,
    .xFetch = ff_Fetch,
    .xUnfetch = ff_Unfetch,
};

static int ff_open(sqlite3_vfs *v, const char *name, sqlite3_file *file, int flags, int *out)
{
    struct ff *f = (struct ff *)file;
    int rc;

    (void)v;
    memset(f, 0, sizeof(*f));
    rc = unixv->xOpen(unixv, name, FF_REAL(f), flags, out);
    if (FF_REAL(f)->pMethods)
        f->base.pMethods = &ff_io;
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    return rc;
}

static int install_faulty(void)
{
    unixv = sqlite3_vfs_find("unix");
    if (!unixv)
        return -1;
    faulty = *unixv;
    faulty.zName = "faulty";
    faulty.szOsFile = (int)((sizeof(struct ff) + 15) & ~(size_t)15) + unixv->szOsFile;
    faulty.xOpen = ff_open;
    faulty.pNext = NULL;
    return sqlite3_vfs_register(&faulty, 1) == SQLITE_OK ? 0 : -1; /* the default */
}

static char dir[64];

static sqlite3 *open_db(const char *vfs, const char *sync)
{
    char path[128], sql[256];
    sqlite3 *db = NULL;

    snprintf(path, sizeof(path), "%s/t.db", dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
                     SQLITE_OK);
    snprintf(sql, sizeof(sql),
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA cache_size=8; "
             "PRAGMA busy_timeout=10000; CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, "
             "v BLOB)",
             sync);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    return db;
}

static int64_t count(sqlite3 *db, const char *where)
{
    char sql[160];
    sqlite3_stmt *s = NULL;
    int64_t n;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM t WHERE %s", where);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* After a failed COMMIT: no transaction left open, the rows of k in [lo, hi) absent for db
 * and for a second connection, the file intact, and a new commit works. */
static void after_failure(sqlite3 *db, const char *vfs, int lo, int hi)
{
    char where[64];
    sqlite3 *other;

    if (!sqlite3_get_autocommit(db))
        assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    snprintf(where, sizeof(where), "k >= %d AND k < %d", lo, hi);
    assert_int_equal(count(db, where), 0);
    other = open_db(vfs, "FULL");
    assert_int_equal(count(other, where), 0);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO t (k, v) VALUES (-1, x'00')", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    assert_int_equal(count(other, "k = -1"), 1);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM t WHERE k = -1", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(other);
}

static void test_disk_full_fails_the_commit(void **state)
{
    const char *vfs = kv__sqlite_walbuf_vfs();
    sqlite3 *db;

    (void)state;
    assert_non_null(vfs);
    db = open_db(vfs, "FULL");
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO t (k, v) VALUES "
                                      "(1000, randomblob(300))",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    failures = 0;
    armed = ARM_ALL;
    assert_int_not_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    armed = ARM_NONE;
    assert_true(failures > 0);
    after_failure(db, vfs, 1000, 1001);
    sqlite3_close(db);
}

/* A transaction that spills frames, overwrites some of them in place, then commits: SQLite
 * rewrites the frame headers from the first overwritten one to the commit frame. */
static int rewrite_commit(const char *vfs, const char *sync, int k0)
{
    sqlite3 *db = open_db(vfs, sync);
    char sql[256];
    int rc;

    snprintf(sql, sizeof(sql),
             "BEGIN IMMEDIATE; WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
             "WHERE i < 59) INSERT INTO t (k, v) SELECT %d + i, randomblob(900) FROM n; "
             "UPDATE t SET v = zeroblob(700) WHERE k >= %d AND k < %d",
             k0, k0, k0 + 60);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    failures = 0;
    armed = ARM_COMMIT_HEADER;
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    armed = ARM_NONE;
    if (rc != SQLITE_OK)
        after_failure(db, vfs, k0, k0 + 60);
    sqlite3_close(db);
    return rc;
}

static void test_commit_header_rewrite_error_fails_the_commit(void **state)
{
    static const char *const syncs[] = {"NORMAL", "FULL"};
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        /* control: SQLite's own writes reach the failing header rewrite */
        assert_int_not_equal(rewrite_commit("faulty", syncs[i], 10000 + 1000 * (int)i),
                             SQLITE_OK);
        assert_true(failures > 0);
        /* through the shim the same failure is the COMMIT's */
        assert_int_not_equal(rewrite_commit(kv__sqlite_walbuf_vfs(), syncs[i],
                                            20000 + 1000 * (int)i),
                             SQLITE_OK);
        assert_true(failures > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full_fails_the_commit),
        cmocka_unit_test(test_commit_header_rewrite_error_fails_the_commit),
    };
    char cmd[128];
    int rc;

    snprintf(dir, sizeof(dir), "/tmp/kv-test-walbuf-fault-XXXXXX");
    if (!mkdtemp(dir) || install_faulty() < 0) /* before the shim wraps the default VFS */
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}

/* SPDX-License-Identifier: MIT
 *
 * test_store.c: the store interface (SQLite, or PostgreSQL with KUVERT_TEST_PG): migrations
 * applied once and recorded, reopen is idempotent, WAL journal, statement cache (same handle
 * back, nested use of one SQL, SQL rebuilt in one buffer prepared as written), constraint
 * violations as KV_ECONFLICT, rollback, two connections (threads) writing concurrently without
 * losing a row, and the write lock held per installation (another schema does not wait).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"
#include "unit/hub/store_helpers.h"

#include "memo/embed.h"
#include "store/store.h"

struct fx {
    char dir[64];
    struct kv_store *st;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0, ""};

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    if (kv_test_store_open(f->dir, &f->st, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    kv_store_close(f->st);
    if (kv_test_store_drop(f->dir) != 0)
        return -1;
    free(f);
    return 0;
}

static int64_t count(struct kv_db *db, const char *sql)
{
    return kv_test_count(db, sql);
}

static void test_migrations_once(void **state)
{
    struct fx *f = *state;
    struct kv_store *again = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    int v = 0;
    int64_t n;

    assert_string_equal(kv_store_backend(f->st), kv_test_on_pg() ? "postgresql" : "sqlite");
    assert_int_equal(kv_store_schema_version(f->st, &v, &err), 0);
    assert_true(v >= 3); /* 001_core, 002_letters, 003_receipts at least */
    assert_int_equal(kv_db_acquire(f->st, &db, &err), 0);
    n = count(db, "SELECT COUNT(*) FROM schema_migrations");
    /* numbers are assigned per branch, so there may be gaps below the highest one */
    assert_true(n >= 3 && n <= v);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM schema_migrations WHERE version = 1 AND "
                               "name = '001_core.sql'"),
                     1);
    kv_db_release(db);
    /* reopening applies nothing again (a re-run of 001 would fail on CREATE TABLE) */
    assert_int_equal(kv_test_store_open(f->dir, &again, &err), 0);
    assert_int_equal(kv_db_acquire(again, &db, &err), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM schema_migrations"), n);
    kv_db_release(db);
    kv_store_close(again);
}

/* A store that records a migration this build does not have (written by a newer kuvert) is
 * refused at open with an error that names it, before anything is applied (a migration of the
 * build's that the store lacks stays unapplied); once the row is gone it opens again and the
 * missing migration is applied. */
static void test_newer_store_refused(void **state)
{
    struct fx *f = *state;
    struct kv_store *again = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};

    /* a table the build's 001 migration would create is dropped with its record: the
     * reopening must not apply it before refusing */
    assert_int_equal(kv_db_acquire(f->st, &db, &err), 0);
    assert_int_equal(kv_db_exec(db, "INSERT INTO schema_migrations (version, name, applied_ms) "
                                    "VALUES (999, '999_from_the_future.sql', 0)",
                                &err),
                     0);
    assert_int_equal(kv_db_exec(db, "DELETE FROM schema_migrations WHERE version = 1", &err), 0);
    kv_db_release(db);
    assert_int_not_equal(kv_test_store_open(f->dir, &again, &err), 0);
    assert_null(again);
    assert_non_null(strstr(err.msg, "999_from_the_future.sql"));
    assert_non_null(strstr(err.msg, "newer kuvert"));
    assert_int_equal(kv_db_acquire(f->st, &db, &err), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM schema_migrations WHERE version = 999"), 1);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM schema_migrations WHERE version = 1"), 0);
    assert_int_equal(kv_db_exec(db, "DELETE FROM schema_migrations WHERE version = 999", &err), 0);
    assert_int_equal(kv_db_exec(db, "INSERT INTO schema_migrations (version, name, applied_ms) "
                                    "VALUES (1, '001_core.sql', 0)",
                                &err),
                     0);
    kv_db_release(db);
    assert_int_equal(kv_test_store_open(f->dir, &again, &err), 0);
    kv_store_close(again);
}

/* The durability settings every connection runs with. */
static void test_durable_settings(void **state)
{
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    struct stat sb;
    char path[128];

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    if (kv_test_on_pg()) {
        assert_int_equal(kv_db_prepare(db, "SHOW synchronous_commit", &s, NULL), 0);
        assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
        assert_string_equal(kv_stmt_col_text(s, 0), "on");
        kv_stmt_done(s);
        /* lazy for a while, FULL again once pooled */
        assert_int_equal(kv_db_durability(db, KV_DURABILITY_LAZY, NULL), 0);
        assert_int_equal(kv_db_prepare(db, "SHOW synchronous_commit", &s, NULL), 0);
        assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
        assert_string_equal(kv_stmt_col_text(s, 0), "off");
        kv_stmt_done(s);
        kv_db_release(db);
        assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
        assert_int_equal(kv_db_prepare(db, "SHOW synchronous_commit", &s, NULL), 0);
        assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
        assert_string_equal(kv_stmt_col_text(s, 0), "on");
        kv_stmt_done(s);
        kv_db_release(db);
        return;
    }
    assert_int_equal(kv_db_prepare(db, "PRAGMA journal_mode", &s, NULL), 0);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    assert_string_equal(kv_stmt_col_text(s, 0), "wal");
    kv_stmt_done(s);
    assert_int_equal(count(db, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(count(db, "PRAGMA foreign_keys"), 1);
    kv_db_release(db);
    assert_int_equal(stat(f->dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/kuvert.db-wal", f->dir);
    assert_int_equal(access(path, F_OK), 0);
}

/* SQLite creates the data directory (mode 0700, parents too); PostgreSQL leaves it alone. */
static void test_creates_nested_dir(void **state)
{
    struct fx *f = *state;
    struct kv_store *st = NULL;
    char dir[128];
    struct stat sb;

    snprintf(dir, sizeof(dir), "%s/a/b", f->dir);
    assert_int_equal(kv_test_store_open(dir, &st, NULL), 0);
    kv_store_close(st);
    if (kv_test_on_pg()) {
        assert_int_not_equal(stat(dir, &sb), 0);
        assert_int_equal(kv_test_store_drop(dir), 0);
        return;
    }
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
}

static const char SQL_INS[] = "INSERT INTO orgs (cvr, name, created_ms) VALUES (?, ?, ?)";
static const char SQL_SEL[] = "SELECT name FROM orgs WHERE cvr = ?";
static const char SQL_ALL[] = "SELECT cvr FROM orgs ORDER BY cvr";

static int insert_org(struct kv_db *db, const char *cvr, const char *name, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, SQL_INS, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, cvr, -1);
    kv_stmt_bind_text(s, 2, name, -1);
    kv_stmt_bind_int64(s, 3, 1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc;
}

static void test_statement_cache_and_conflict(void **state)
{
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_stmt *a = NULL, *b = NULL, *outer = NULL, *inner = NULL;
    struct kv_err err = {0, ""};
    int rows = 0;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(kv_db_prepare(db, SQL_SEL, &a, NULL), 0);
    kv_stmt_done(a);
    assert_int_equal(kv_db_prepare(db, SQL_SEL, &b, NULL), 0);
    assert_ptr_equal(a, b); /* cached by the SQL pointer */
    kv_stmt_done(b);

    assert_int_equal(insert_org(db, "11111111", "One", &err), KV_DONE);
    assert_int_equal(insert_org(db, "22222222", "Two", &err), KV_DONE);
    assert_int_equal(insert_org(db, "11111111", "Again", &err), KV_ECONFLICT);
    assert_non_null(strcasestr(err.msg, "UNIQUE"));
    /* the statement is usable after a failed step */
    assert_int_equal(insert_org(db, "33333333", "Three", &err), KV_DONE);
    assert_int_equal(kv_db_changes(db), 1);

    /* nested use of the same SQL gets a second statement */
    assert_int_equal(kv_db_prepare(db, SQL_ALL, &outer, NULL), 0);
    while (kv_stmt_step(outer, NULL) == KV_ROW) {
        assert_int_equal(kv_db_prepare(db, SQL_ALL, &inner, NULL), 0);
        assert_ptr_not_equal(inner, outer);
        assert_int_equal(kv_stmt_step(inner, NULL), KV_ROW);
        assert_string_equal(kv_stmt_col_text(inner, 0), "11111111");
        kv_stmt_done(inner);
        rows++;
    }
    kv_stmt_done(outer);
    assert_int_equal(rows, 3);

    /* NULL text binds SQL NULL: NOT NULL constraint -> conflict */
    assert_int_equal(insert_org(db, "44444444", NULL, &err), KV_ECONFLICT);
    /* a syntax error is a database error, not a conflict */
    assert_int_equal(kv_db_exec(db, "SELEKT 1", &err), KV_EDB);
    kv_db_release(db);
}

/* One step of the statement prepared from buf with ?1 = a, ?2 = b (when it has them). */
static int64_t eval_buf(struct kv_db *db, const char *buf, int64_t a, int64_t b)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0, ""};
    int64_t v = -1;

    assert_int_equal(kv_db_prepare(db, buf, &s, &err), 0);
    if (strstr(buf, "?1"))
        kv_stmt_bind_int64(s, 1, a);
    if (strstr(buf, "?2"))
        kv_stmt_bind_int64(s, 2, b);
    if (kv_stmt_step(s, &err) == KV_ROW)
        v = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return v;
}

/* The cache is keyed by the SQL's address: SQL rebuilt in one buffer must still run as written
 * (a stale statement at that address is replaced, or twinned while it is in use). */
static void test_statement_cache_reused_buffer(void **state)
{
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_stmt *held = NULL, *s = NULL;
    char buf[96];
    int i;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    snprintf(buf, sizeof(buf), "SELECT %d", 1);
    assert_int_equal(eval_buf(db, buf, 0, 0), 1);
    snprintf(buf, sizeof(buf), "SELECT %d", 2);
    assert_int_equal(eval_buf(db, buf, 0, 0), 2);
    /* a different parameter count at the same address */
    snprintf(buf, sizeof(buf), "SELECT ?1 + ?2");
    assert_int_equal(eval_buf(db, buf, 40, 2), 42);
    snprintf(buf, sizeof(buf), "SELECT ?1 * 3");
    assert_int_equal(eval_buf(db, buf, 5, 0), 15);
    /* the same text again is a cache hit: the same statement back */
    assert_int_equal(kv_db_prepare(db, buf, &held, NULL), 0);
    kv_stmt_done(held);
    assert_int_equal(kv_db_prepare(db, buf, &s, NULL), 0);
    assert_ptr_equal(s, held);
    kv_stmt_done(s);

    /* the stale statement still in use when the buffer changes */
    snprintf(buf, sizeof(buf), "SELECT %d", 10);
    assert_int_equal(kv_db_prepare(db, buf, &held, NULL), 0);
    snprintf(buf, sizeof(buf), "SELECT %d", 20);
    assert_int_equal(eval_buf(db, buf, 0, 0), 20);
    assert_int_equal(kv_stmt_step(held, NULL), KV_ROW);
    assert_int_equal(kv_stmt_col_int64(held, 0), 10);
    kv_stmt_done(held);
    assert_int_equal(eval_buf(db, buf, 0, 0), 20);

    /* many texts through one buffer, alternating back and forth */
    for (i = 0; i < 50; i++) {
        snprintf(buf, sizeof(buf), "SELECT %d + ?1", i % 7);
        assert_int_equal(eval_buf(db, buf, 100, 0), 100 + i % 7);
    }
    kv_db_release(db);
}

static void test_transactions(void **state)
{
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    const void *blob;
    size_t len = 0;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(kv_db_begin(db, NULL), KV_EINTERNAL); /* nested begin is a bug */
    assert_int_equal(insert_org(db, "55555555", "Gone", NULL), KV_DONE);
    kv_db_rollback(db);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '55555555'"), 0);
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(insert_org(db, "66666666", "Kept", NULL), KV_DONE);
    assert_int_equal(kv_db_commit(db, NULL), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '66666666'"), 1);
    /* a transaction left open is rolled back on release */
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(insert_org(db, "77777777", "Forgotten", NULL), KV_DONE);
    kv_db_release(db);
    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '77777777'"), 0);

    /* blobs and NULL columns */
    assert_int_equal(kv_db_exec(db,
                                kv_test_on_pg() ? "CREATE TEMP TABLE b (x BYTEA, y TEXT)"
                                                : "CREATE TEMP TABLE b (x BLOB, y TEXT)",
                                NULL),
                     0);
    assert_int_equal(kv_db_prepare(db, "INSERT INTO b VALUES (?, ?)", &s, NULL), 0);
    kv_stmt_bind_blob(s, 1, "a\0b", 3);
    kv_stmt_bind_null(s, 2);
    assert_int_equal(kv_stmt_step(s, NULL), KV_DONE);
    kv_stmt_done(s);
    assert_int_equal(kv_db_changes(db), 1);
    assert_int_equal(kv_db_prepare(db, "SELECT x, y FROM b", &s, NULL), 0);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    blob = kv_stmt_col_blob(s, 0, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(blob, "a\0b", 3);
    assert_true(kv_stmt_col_is_null(s, 1));
    assert_null(kv_stmt_col_text(s, 1));
    assert_int_equal(kv_stmt_step(s, NULL), KV_DONE);
    kv_stmt_done(s);
    kv_db_release(db);
}

/* A COMMIT reports whether the transaction's writes are stored. On PostgreSQL a statement
 * that fails inside a transaction aborts it, and the server answers the COMMIT with
 * "ROLLBACK" and no error: kv_db_commit must fail then. SQLite keeps the transaction alive
 * after a failed statement, so there the commit stores the earlier insert. */
static void test_commit_after_failed_statement(void **state)
{
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    int rc;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(insert_org(db, "88888888", "Before the failure", NULL), KV_DONE);
    assert_true(kv_db_exec(db, "UPDATE no_such_table SET x = 1", NULL) < 0);
    rc = kv_db_commit(db, &err);
    if (kv_test_on_pg()) {
        assert_int_equal(rc, KV_EDB);
        assert_non_null(strstr(err.msg, "rolled it back"));
    }
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '88888888'"), rc == 0 ? 1 : 0);
    /* the connection is usable afterwards */
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(insert_org(db, "88888889", "After", NULL), KV_DONE);
    assert_int_equal(kv_db_commit(db, NULL), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '88888889'"), 1);
    kv_db_release(db);
}

static void test_savepoints(void **state)
{
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    int i;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(kv_db_savepoint(db, &err), KV_EINTERNAL); /* outside a transaction */
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(kv_db_savepoint_release(db, &err), KV_EINTERNAL); /* none open */
    assert_int_equal(insert_org(db, "81000000", "Outer", NULL), KV_DONE);
    /* a rolled-back savepoint undoes only its own rows, also after a failed statement */
    assert_int_equal(kv_db_savepoint(db, &err), 0);
    assert_int_equal(insert_org(db, "81000001", "Undone", NULL), KV_DONE);
    assert_int_equal(insert_org(db, "81000000", "Clash", &err), KV_ECONFLICT);
    assert_int_equal(kv_db_savepoint_rollback(db, &err), 0);
    /* nested: the inner one released, the outer one kept */
    assert_int_equal(kv_db_savepoint(db, &err), 0);
    assert_int_equal(insert_org(db, "81000002", "Kept", NULL), KV_DONE);
    assert_int_equal(kv_db_savepoint(db, &err), 0);
    assert_int_equal(insert_org(db, "81000003", "Inner", NULL), KV_DONE);
    assert_int_equal(kv_db_savepoint_release(db, &err), 0);
    assert_int_equal(kv_db_savepoint_release(db, &err), 0);
    /* nesting is bounded */
    for (i = 0; i < KV_DB_SAVEPOINT_MAX; i++)
        assert_int_equal(kv_db_savepoint(db, &err), 0);
    assert_int_equal(kv_db_savepoint(db, &err), KV_EINTERNAL);
    for (i = 0; i < KV_DB_SAVEPOINT_MAX; i++)
        assert_int_equal(kv_db_savepoint_rollback(db, &err), 0);
    assert_int_equal(kv_db_commit(db, &err), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr LIKE '8100000_'"), 3);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '81000001'"), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '81000003'"), 1);
    /* a savepoint left open ends with its transaction */
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(kv_db_savepoint(db, &err), 0);
    kv_db_rollback(db);
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(kv_db_savepoint_release(db, &err), KV_EINTERNAL);
    kv_db_rollback(db);
    kv_db_release(db);
}

static void test_sticky_bind_error(void **state)
{
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    struct kv_err err = {0, ""};

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(kv_db_prepare(db, SQL_INS, &s, NULL), 0);
    assert_int_equal(kv_stmt_bind_text(s, 1, "82000000", -1), 0);
    assert_true(kv_stmt_bind_text(s, 9, "no such parameter", -1) < 0);
    assert_int_equal(kv_stmt_bind_text(s, 2, "Name", -1), 0); /* later binds do not clear it */
    assert_int_equal(kv_stmt_bind_int64(s, 3, 1), 0);
    assert_true(kv_stmt_step(s, &err) < 0);
    assert_non_null(strstr(err.msg, "parameter 9"));
    kv_stmt_done(s);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '82000000'"), 0);
    /* done forgets it: the same (cached) statement runs normally again */
    assert_int_equal(insert_org(db, "82000000", "Name", &err), KV_DONE);
    /* a negative length other than -1 is refused the same way */
    assert_int_equal(kv_db_prepare(db, SQL_INS, &s, NULL), 0);
    assert_int_equal(kv_stmt_bind_text(s, 1, "82000001", -2), KV_EINVAL);
    assert_int_equal(kv_stmt_bind_text(s, 2, "Name", -1), 0);
    assert_int_equal(kv_stmt_bind_int64(s, 3, 1), 0);
    assert_int_equal(kv_stmt_step(s, &err), KV_EINVAL);
    kv_stmt_done(s);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '82000001'"), 0);
    kv_db_release(db);
}

static void test_returning_durability_checkpoint(void **state)
{
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    struct kv_err err = {0, ""};
    int64_t first, second;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    /* INSERT ... RETURNING id gives the new row's id on every backend */
    assert_int_equal(kv_db_prepare(db,
                                   "INSERT INTO mailboxes (owner_type, owner_id, status, "
                                   "created_ms) VALUES ('CPR', ?, 'REGISTERED', 1) RETURNING id",
                                   &s, &err),
                     0);
    kv_stmt_bind_text(s, 1, "2211771212", -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    first = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    assert_int_equal(kv_db_prepare(db,
                                   "INSERT INTO mailboxes (owner_type, owner_id, status, "
                                   "created_ms) VALUES ('CPR', ?, 'REGISTERED', 1) RETURNING id",
                                   &s, &err),
                     0);
    kv_stmt_bind_text(s, 1, "0101701234", -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    second = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    assert_true(first > 0);
    assert_true(second > first);
    /* lazy durability commits like any other and is reset when the connection is pooled */
    assert_int_equal(kv_db_durability(db, KV_DURABILITY_LAZY, &err), 0);
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(kv_db_durability(db, KV_DURABILITY_FULL, &err), KV_EINTERNAL);
    assert_int_equal(insert_org(db, "83000000", "Lazy", NULL), KV_DONE);
    assert_int_equal(kv_db_commit(db, &err), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE cvr = '83000000'"), 1);
    assert_int_equal(kv_db_checkpoint(db, KV_CHECKPOINT_PASSIVE, &err), 0);
    assert_int_equal(kv_db_checkpoint(db, KV_CHECKPOINT_TRUNCATE, &err), 0);
    kv_db_bulk_writer(db);
    kv_db_release(db);
    if (strcmp(kv_store_backend(f->st), "sqlite") == 0) {
        assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
        assert_int_equal(count(db, "PRAGMA synchronous"), 2); /* FULL again */
        kv_db_release(db);
    }
}

/* kv_db_prepare_insert + kv_stmt_step_insert: the new row's id on every backend (SQLite: the
 * connection's last rowid, PostgreSQL: RETURNING id), the id of the row the statement itself
 * inserted even when a trigger of the table inserts rows elsewhere (SQLite), and a unique key
 * already taken is KV_ECONFLICT with no id. */
static void test_prepare_insert(void **state)
{
    static const char INS[] = "INSERT INTO mailboxes (owner_type, owner_id, status, created_ms) "
                              "VALUES ('CPR', ?, 'REGISTERED', 1)";
    static const char *const owners[] = {"2211771212", "0101701234", "0202802345"};
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    struct kv_err err = {0, ""};
    int64_t id = -1, prev = 0;
    char q[128];
    int i;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    for (i = 0; i < 3; i++) {
        assert_int_equal(kv_db_prepare_insert(db, INS, &s, &err), 0);
        kv_stmt_bind_text(s, 1, owners[i], -1);
        assert_int_equal(kv_stmt_step_insert(s, &id, &err), 0);
        kv_stmt_done(s);
        assert_true(id > prev);
        prev = id;
        snprintf(q, sizeof(q), "SELECT id FROM mailboxes WHERE owner_id = '%s'", owners[i]);
        assert_int_equal(count(db, q), id);
    }
    /* the same key again: a conflict, no id */
    assert_int_equal(kv_db_prepare_insert(db, INS, &s, &err), 0);
    kv_stmt_bind_text(s, 1, owners[0], -1);
    assert_int_equal(kv_stmt_step_insert(s, &id, &err), KV_ECONFLICT);
    assert_int_equal(id, 0);
    kv_stmt_done(s);
    if (strcmp(kv_store_backend(f->st), "sqlite") == 0) {
        /* a trigger that inserts into another table does not change the id returned */
        assert_int_equal(kv_db_exec(db,
                                    "CREATE TABLE ins_side (id INTEGER PRIMARY KEY, n INTEGER);"
                                    "INSERT INTO ins_side (id, n) VALUES (1000, 0);"
                                    "CREATE TRIGGER ins_side_t AFTER INSERT ON mailboxes BEGIN "
                                    "INSERT INTO ins_side (n) VALUES (NEW.id); END;",
                                    &err),
                         0);
        assert_int_equal(kv_db_prepare_insert(db, INS, &s, &err), 0);
        kv_stmt_bind_text(s, 1, "0303803456", -1);
        assert_int_equal(kv_stmt_step_insert(s, &id, &err), 0);
        kv_stmt_done(s);
        assert_true(id > prev && id < 1000);
        assert_int_equal(count(db, "SELECT id FROM mailboxes WHERE owner_id = '0303803456'"), id);
        assert_int_equal(count(db, "SELECT n FROM ins_side WHERE id = 1001"), id);
    }
    kv_db_release(db);
}

/* kv_stmt_step_insert_or_skip (the send's letters INSERT): a new key gives the row's id, a
 * taken key gives 0 and writes nothing, inside a transaction that goes on (no statement
 * failed: PostgreSQL would refuse every later statement of an aborted one), after another
 * INSERT (SQLite: no stale last rowid) and with a trigger on the table (SQLite: its own
 * inserts do not count as the statement's row). */
static void test_insert_or_skip(void **state)
{
    static const char INS[] = "INSERT INTO mailboxes (owner_type, owner_id, status, created_ms) "
                              "VALUES ('CPR', ?, 'REGISTERED', 1) "
                              "ON CONFLICT (owner_type, owner_id) DO NOTHING";
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    struct kv_err err = {0, ""};
    int64_t id = -1, first;
    int sqlite = strcmp(kv_store_backend(f->st), "sqlite") == 0;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    if (sqlite)
        assert_int_equal(kv_db_exec(db,
                                    "CREATE TABLE skip_side (id INTEGER PRIMARY KEY, n INTEGER);"
                                    "INSERT INTO skip_side (id, n) VALUES (5000, 0);"
                                    "CREATE TRIGGER skip_side_t AFTER INSERT ON mailboxes BEGIN "
                                    "INSERT INTO skip_side (n) VALUES (NEW.id); END;",
                                    &err),
                         0);
    assert_int_equal(kv_db_begin(db, &err), 0);
    assert_int_equal(kv_db_prepare_insert(db, INS, &s, &err), 0);
    kv_stmt_bind_text(s, 1, "2211771212", -1);
    assert_int_equal(kv_stmt_step_insert_or_skip(s, &id, &err), 0);
    kv_stmt_done(s);
    first = id;
    assert_true(first > 0 && first < 5000);
    assert_int_equal(count(db, "SELECT id FROM mailboxes WHERE owner_id = '2211771212'"), first);
    /* the same key: skipped, no id (not the last one), nothing written */
    id = -1;
    assert_int_equal(kv_db_prepare_insert(db, INS, &s, &err), 0);
    kv_stmt_bind_text(s, 1, "2211771212", -1);
    assert_int_equal(kv_stmt_step_insert_or_skip(s, &id, &err), 0);
    kv_stmt_done(s);
    assert_int_equal(id, 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM mailboxes"), 1);
    if (sqlite)
        assert_int_equal(count(db, "SELECT COUNT(*) FROM skip_side"), 2);
    /* the transaction goes on: a new key after the skip */
    assert_int_equal(kv_db_prepare_insert(db, INS, &s, &err), 0);
    kv_stmt_bind_text(s, 1, "0101701234", -1);
    assert_int_equal(kv_stmt_step_insert_or_skip(s, &id, &err), 0);
    kv_stmt_done(s);
    assert_true(id > first && id < 5000);
    assert_int_equal(kv_db_commit(db, &err), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM mailboxes"), 2);
    kv_db_release(db);
}

/* The portable SQL of docs/store.md means the same on every backend: `?` and `?N`
 * placeholders (a `?` inside a literal is no placeholder), RETURNING, ON CONFLICT DO NOTHING,
 * booleans read as 0/1, blobs with NUL bytes, text NULLs in `? IS NULL`, a parameter bound
 * NULL first and an integer later, and the two-argument max() with SQLite's NULL rule. */
static void test_portable_sql(void **state)
{
    struct fx *f = *state;
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    struct kv_err err = {0, ""};
    static const char blob[] = {'a', 0, 'b', (char)0xff, 0};
    const void *p;
    size_t len = 0;
    int i;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(kv_db_prepare(db, "SELECT ?2, '?' || ?1, ? /* ? */ -- ?\n", &s, &err), 0);
    assert_int_equal(kv_stmt_bind_text(s, 1, "one", -1), 0);
    assert_int_equal(kv_stmt_bind_int64(s, 2, 2), 0);
    assert_int_equal(kv_stmt_bind_text(s, 3, "three", -1), 0);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    assert_int_equal(kv_stmt_col_int64(s, 0), 2);
    assert_string_equal(kv_stmt_col_text(s, 1), "?one");
    assert_string_equal(kv_stmt_col_text(s, 2), "three");
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);

    assert_int_equal(kv_db_prepare(db, "SELECT 1 = 1, 1 = 0, ? IS NULL, ? <> 0", &s, &err), 0);
    kv_stmt_bind_text(s, 1, NULL, -1);
    kv_stmt_bind_int64(s, 2, 7);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    assert_int_equal(kv_stmt_col_int64(s, 0), 1);
    assert_int_equal(kv_stmt_col_int64(s, 1), 0);
    assert_int_equal(kv_stmt_col_int64(s, 2), 1);
    assert_int_equal(kv_stmt_col_int64(s, 3), 1);
    kv_stmt_done(s);

    assert_int_equal(kv_db_prepare(db,
                                   "SELECT max(COALESCE(?, 0), ?), max(5, NULL), max(3, 9)",
                                   &s, &err),
                     0);
    kv_stmt_bind_null(s, 1);
    kv_stmt_bind_int64(s, 2, 4);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    assert_int_equal(kv_stmt_col_int64(s, 0), 4);
    assert_true(kv_stmt_col_is_null(s, 1));
    assert_int_equal(kv_stmt_col_int64(s, 2), 9);
    kv_stmt_done(s);

    /* blobs, RETURNING, a NULL first and a value later in the same (cached) statement */
    /* (DDL is per dialect, as in the migrations) */
    assert_int_equal(kv_db_exec(db,
                                kv_test_on_pg() ? "CREATE TABLE portable_t (id BIGINT PRIMARY KEY, "
                                                  "b BYTEA, n BIGINT, t TEXT UNIQUE)"
                                                : "CREATE TABLE portable_t (id INTEGER PRIMARY KEY, "
                                                  "b BLOB, n INTEGER, t TEXT UNIQUE)",
                                &err),
                     0);
    for (i = 0; i < 3; i++) {
        static const char SQL[] = "INSERT INTO portable_t (id, b, n, t) VALUES (?, ?, ?, ?) "
                                  "RETURNING id";
        char t[16];

        assert_int_equal(kv_db_prepare(db, SQL, &s, &err), 0);
        kv_stmt_bind_int64(s, 1, 10 + i);
        kv_stmt_bind_blob(s, 2, blob, sizeof(blob));
        if (i == 0)
            kv_stmt_bind_null(s, 3);
        else
            kv_stmt_bind_int64(s, 3, (int64_t)i << 40);
        snprintf(t, sizeof(t), "t%d", i);
        kv_stmt_bind_text(s, 4, t, -1);
        assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
        assert_int_equal(kv_stmt_col_int64(s, 0), 10 + i);
        kv_stmt_done(s);
    }
    assert_int_equal(kv_db_prepare(db, "SELECT b, n FROM portable_t ORDER BY id", &s, &err), 0);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    p = kv_stmt_col_blob(s, 0, &len);
    assert_int_equal(len, sizeof(blob));
    assert_memory_equal(p, blob, sizeof(blob));
    assert_true(kv_stmt_col_is_null(s, 1));
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    assert_int_equal(kv_stmt_col_int64(s, 1), (int64_t)1 << 40);
    kv_stmt_done(s);
    /* ON CONFLICT DO NOTHING changes nothing and is no error */
    assert_int_equal(kv_db_prepare(db,
                                   "INSERT INTO portable_t (id, b, n, t) VALUES (99, ?, 0, 't1') "
                                   "ON CONFLICT DO NOTHING",
                                   &s, &err),
                     0);
    kv_stmt_bind_blob(s, 1, "", 0);
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);
    assert_int_equal(kv_db_changes(db), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM portable_t"), 3);
    kv_db_release(db);
}

/* Every SQLite migration has its PostgreSQL mirror under the same number (and the other way
 * round), and the schema a store ends up with is at the highest of them. */
static void test_migrations_mirrored(void **state)
{
    struct fx *f = *state;
    static const char SQ[] = "src/store/migrations/sqlite/";
    static const char PG[] = "src/store/migrations/postgresql/";
    int sq[256] = {0}, pg[256] = {0}, i, v, hi = 0;

    for (i = 0; kv_embed_files[i].name; i++) {
        const char *n = kv_embed_files[i].name;

        if (strncmp(n, SQ, strlen(SQ)) == 0 && (v = atoi(n + strlen(SQ))) > 0 && v < 256)
            sq[v] = 1;
        if (strncmp(n, PG, strlen(PG)) == 0 && (v = atoi(n + strlen(PG))) > 0 && v < 256)
            pg[v] = 1;
    }
    for (v = 1; v < 256; v++) {
        if (sq[v] != pg[v])
            fail_msg("migration %03d exists for %s only", v, sq[v] ? "sqlite" : "postgresql");
        if (sq[v])
            hi = v;
    }
    assert_int_equal(kv_store_schema_version(f->st, &v, NULL), 0);
    assert_int_equal(v, hi);
}

static int64_t read_max(struct kv_db *db)
{
    return count(db, "SELECT COALESCE(MAX(n), 0) FROM excl_t");
}

struct excl {
    struct kv_store *st;
    int failures;
};

/* Read-then-write in a write transaction: the max it read must still be the max. */
static void *excl_worker(void *arg)
{
    struct excl *x = arg;
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    int i;

    if (kv_db_acquire(x->st, &db, NULL) != 0) {
        x->failures = 100;
        return NULL;
    }
    for (i = 0; i < 100; i++) {
        int64_t n;

        if (kv_db_begin(db, NULL) != 0) {
            x->failures++;
            continue;
        }
        n = read_max(db);
        if (kv_db_prepare(db, "INSERT INTO excl_t (n) VALUES (?)", &s, NULL) != 0) {
            x->failures++;
            kv_db_rollback(db);
            continue;
        }
        kv_stmt_bind_int64(s, 1, n + 1);
        if (kv_stmt_step(s, NULL) != KV_DONE) {
            kv_stmt_done(s);
            x->failures++;
            kv_db_rollback(db);
            continue;
        }
        kv_stmt_done(s);
        if (kv_db_commit(db, NULL) != 0)
            x->failures++;
    }
    kv_db_release(db);
    return NULL;
}

/* Write transactions exclude each other, also across stores (processes, nodes). */
static void test_write_transactions_exclude(void **state)
{
    struct fx *f = *state;
    struct kv_store *other = NULL;
    struct kv_db *db = NULL;
    struct excl x[3];
    pthread_t t[3];
    int i;

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(kv_db_exec(db, "CREATE TABLE excl_t (n BIGINT PRIMARY KEY)", NULL), 0);
    kv_db_release(db);
    assert_int_equal(kv_test_store_open(f->dir, &other, NULL), 0);
    for (i = 0; i < 3; i++) {
        x[i] = (struct excl){i == 2 ? other : f->st, 0};
        assert_int_equal(pthread_create(&t[i], NULL, excl_worker, &x[i]), 0);
    }
    for (i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(x[i].failures, 0);
    }
    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(read_max(db), 300);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM excl_t"), 300);
    kv_db_release(db);
    kv_store_close(other);
}

/* The write lock is the installation's: while a write transaction of one installation holds
 * it, a second store of the same installation (another node) waits for it, and an installation
 * in another schema of the same PostgreSQL database (another directory on SQLite) does not.
 * The second store's lock wait is cut to 100 ms, so its wait ends in KV_EUNAVAIL instead of
 * after the 10 s of lock_timeout / busy timeout; the holder keeps the lock throughout, so the
 * outcome does not depend on timing. On PostgreSQL before the key was the schema's, the other
 * installation's begin waited for the lock too and failed. */
static void test_write_lock_is_the_installations(void **state)
{
    struct fx *f = *state;
    struct kv_store *same = NULL, *other = NULL;
    struct kv_db *holder = NULL, *node2 = NULL, *elsewhere = NULL;
    struct kv_err err = {0, ""};
    char dir2[64];
    int shared;

    snprintf(dir2, sizeof(dir2), "/tmp/kv-test-store-XXXXXX");
    assert_non_null(mkdtemp(dir2));
    assert_int_equal(kv_test_store_open(f->dir, &same, NULL), 0);
    assert_int_equal(kv_test_store_open(dir2, &other, NULL), 0);
    assert_int_equal(kv_db_acquire(f->st, &holder, NULL), 0);
    assert_int_equal(kv_db_acquire(same, &node2, NULL), 0);
    assert_int_equal(kv_db_acquire(other, &elsewhere, NULL), 0);
    assert_int_equal(kv_db_exec(node2, kv_test_on_pg() ? "SET lock_timeout TO '100ms'"
                                                       : "PRAGMA busy_timeout = 100",
                                NULL),
                     0);
    assert_int_equal(kv_db_begin(holder, NULL), 0);
    for (shared = 0; shared < 2; shared++) {
        /* another installation writes, exclusively or shared, while the lock is held */
        err.msg[0] = '\0';
        assert_int_equal(shared ? kv_db_begin_concurrent(elsewhere, &err)
                                : kv_db_begin(elsewhere, &err),
                         0);
        assert_int_equal(kv_db_exec(elsewhere, "INSERT INTO orgs (cvr, name, created_ms) "
                                               "VALUES ('11111111', 'x', 1)",
                                    NULL),
                         0);
        kv_db_rollback(elsewhere);
        /* a second node of this installation waits, and gives up after its 100 ms */
        assert_int_equal(kv_db_begin(node2, &err), KV_EUNAVAIL);
    }
    assert_int_equal(kv_db_commit(holder, NULL), 0);
    /* the lock released, the second node writes */
    assert_int_equal(kv_db_begin(node2, NULL), 0);
    assert_int_equal(kv_db_commit(node2, NULL), 0);
    kv_db_release(holder);
    kv_db_release(node2);
    kv_db_release(elsewhere);
    kv_store_close(same);
    kv_store_close(other);
    assert_int_equal(kv_test_store_drop(dir2), 0);
}

#define PER_THREAD 200

struct worker {
    struct kv_store *st;
    int base;
    int failures;
};

static void *writer(void *arg)
{
    struct worker *w = arg;
    struct kv_db *db = NULL;
    char cvr[16];
    int i;

    if (kv_db_acquire(w->st, &db, NULL) != 0) {
        w->failures = PER_THREAD;
        return NULL;
    }
    for (i = 0; i < PER_THREAD; i++) {
        snprintf(cvr, sizeof(cvr), "%08d", w->base + i);
        if (kv_db_begin(db, NULL) != 0 || insert_org(db, cvr, "t", NULL) != KV_DONE ||
            kv_db_commit(db, NULL) != 0) {
            kv_db_rollback(db);
            w->failures++;
        }
    }
    kv_db_release(db);
    return NULL;
}

static void test_two_connections_concurrently(void **state)
{
    struct fx *f = *state;
    struct kv_store *other = NULL;
    struct worker w[2];
    pthread_t t[2];
    struct kv_db *db = NULL;
    int i;

    /* the second writer has its own store, like a CLI command beside the server */
    assert_int_equal(kv_test_store_open(f->dir, &other, NULL), 0);
    w[0] = (struct worker){f->st, 10000000, 0};
    w[1] = (struct worker){other, 20000000, 0};
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, &w[i]), 0);
    for (i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(w[0].failures, 0);
    assert_int_equal(w[1].failures, 0);
    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM orgs WHERE name = 't'"), 2 * PER_THREAD);
    kv_db_release(db);
    kv_store_close(other);
}

/* kv_db_next_values_fenced: n values in ascending order with one draw; without sequences
 * (SQLite) the fallback's value and the ones above it, with sequences (PostgreSQL) nextvals
 * above every earlier draw, the first draw of the transaction holding the fence. And
 * kv_stmt_bind_text_static binds the caller's text (and NULL) as kv_stmt_bind_text does. */
static void test_next_values(void **state)
{
    struct fx *f = *state;
    static const char fallback[] = "SELECT COALESCE(MAX(seq), 0) + 1 FROM events";
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    int64_t a[KV_DB_NEXT_VALUES_MAX], b[1], c[4], h = 0;
    int pg = getenv("KUVERT_TEST_PG") && getenv("KUVERT_TEST_PG")[0], i;
    char text[8] = "abc";

    assert_int_equal(kv_db_acquire(f->st, &db, NULL), 0);
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(kv_db_next_values_fenced(db, "events_seq_seq", fallback, 0, a, NULL),
                     KV_EINVAL);
    assert_int_equal(kv_db_next_values_fenced(db, "events_seq_seq", fallback,
                                              KV_DB_NEXT_VALUES_MAX + 1, a, NULL),
                     KV_EINVAL);
    assert_int_equal(kv_db_next_values_fenced(db, "events_seq_seq", fallback, 3, a, NULL), 0);
    assert_int_equal(kv_db_next_values_fenced(db, "events_seq_seq", fallback, 1, b, NULL), 0);
    assert_int_equal(kv_db_next_values_fenced(db, "events_seq_seq", fallback, 4, c, NULL), 0);
    for (i = 1; i < 3; i++)
        assert_true(a[i] > a[i - 1]);
    for (i = 1; i < 4; i++)
        assert_true(c[i] > c[i - 1]);
    if (pg) { /* every draw above the last; the fence at or below the first */
        assert_true(b[0] > a[2]);
        assert_true(c[0] > b[0]);
        assert_int_equal(kv_db_sequence_horizon(db, "events_seq_seq", &h, NULL), 0);
        assert_true(h <= a[0]);
    } else { /* MAX(seq) + 1 of an empty log, and the ones above it */
        assert_int_equal(a[0], 1);
        assert_int_equal(a[2], 3);
        assert_int_equal(b[0], 1);
        assert_int_equal(c[3], 4);
    }
    assert_int_equal(kv_db_prepare(db, "SELECT ? || 'x', ? IS NULL", &s, NULL), 0);
    assert_int_equal(kv_stmt_bind_text_static(s, 1, text, -1), 0);
    assert_int_equal(kv_stmt_bind_text_static(s, 2, NULL, -1), 0);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    assert_string_equal(kv_stmt_col_text(s, 0), "abcx");
    assert_int_equal(kv_stmt_col_int64(s, 1), 1);
    kv_stmt_done(s);
    /* a blob bound without a copy (NULs inside, and empty), from the heap; freed after
     * kv_stmt_done, the cached statement run again with only its first parameter bound reads
     * the second as NULL: no pointer to the freed bytes is left in the statement (ASan) */
    {
        static const char sql[] = "SELECT length(?1), ?2, ?2 IS NULL";
        char *blob = malloc(5);
        const void *got;
        size_t len = 0;

        assert_non_null(blob);
        memcpy(blob, "a\0b\0c", 5);
        for (i = 0; i < 2; i++) {
            assert_int_equal(kv_db_prepare(db, sql, &s, NULL), 0);
            assert_int_equal(kv_stmt_bind_blob_static(s, 1, blob, i ? 0 : 5), 0);
            assert_int_equal(kv_stmt_bind_blob_static(s, 2, blob, 5), 0);
            assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
            assert_int_equal(kv_stmt_col_int64(s, 0), i ? 0 : 5);
            got = kv_stmt_col_blob(s, 1, &len);
            assert_int_equal(len, 5);
            assert_memory_equal(got, "a\0b\0c", 5);
            kv_stmt_done(s);
        }
        free(blob);
        assert_int_equal(kv_db_prepare(db, sql, &s, NULL), 0);
        assert_int_equal(kv_stmt_bind_blob(s, 1, "xy", 2), 0);
        assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
        assert_int_equal(kv_stmt_col_int64(s, 0), 2);
        assert_int_equal(kv_stmt_col_int64(s, 2), 1);
        kv_stmt_done(s);
    }
    kv_db_rollback(db);
    kv_db_release(db);
}

static void test_pool_reuses(void **state)
{
    struct fx *f = *state;
    struct kv_db *a = NULL, *b = NULL, *c = NULL;

    assert_int_equal(kv_db_acquire(f->st, &a, NULL), 0);
    assert_int_equal(kv_db_acquire(f->st, &b, NULL), 0);
    assert_ptr_not_equal(a, b);
    kv_db_release(a);
    assert_int_equal(kv_db_acquire(f->st, &c, NULL), 0);
    assert_ptr_equal(a, c); /* from the free list */
    kv_db_release(b);
    kv_db_release(c);
    kv_db_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_store_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_creates_nested_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_cache_and_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_cache_reused_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_savepoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_after_failed_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_portable_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrations_mirrored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_transactions_exclude, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_lock_is_the_installations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sticky_bind_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_returning_durability_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_or_skip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_connections_concurrently, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_reuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_values, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_deadlock_retry.c: a change of the contact structure (kv_contact_group_update) and of
 * rights (kv_rights_revoke) that loses a deadlock on PostgreSQL runs again (store.h
 * kv_db_run) and is made exactly once.
 *
 * The deadlock is provoked deterministically between the operation (on a thread, with its
 * own pooled connection) and a second connection, the holder: the holder locks the row the
 * operation writes last (FOR UPDATE); the operation takes its organisation's lock row
 * (contact_structure_locks, org_rights) and comes to wait for the holder's row -- the test
 * waits (bounded poll of pg_blocking_pids) until it does; then the holder updates the
 * organisation's lock row, which the operation holds: each waits for the other. The holder's
 * deadlock_timeout is 10 minutes and the operation's the server's (1 s), so PostgreSQL's
 * deadlock check runs in the operation's backend first and aborts the operation's transaction
 * (40P01), never the holder's. The holder's UPDATE returning proves it (it could only go on
 * once the operation let go of the lock row); it then rolls back. The operation must still
 * succeed, once: version 2 and one UPDATED event for the group; REVOKED and one
 * PRIVILEGES_REVOKED for the right. Without the retry the operation answers the deadlock as an
 * error and the test fails. On SQLite (one writer at a time, no deadlock) the operation runs
 * alone and the same outcome is checked.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"
#include "unit/hub/store_helpers.h"

#include "hub/contact_points.h"
#include "hub/directory.h"
#include "identity/identity.h"
#include "identity/rights.h"
#include "store/store.h"

#define ORG "12345678"
#define WAIT_MS 60000 /* bound of the wait for the operation to block */

enum op_kind { OP_GROUP_UPDATE, OP_REVOKE };

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    struct kv_db *holder; /* the second connection, or NULL */
    pthread_t thread;
    int started;          /* 1 while the operation's thread is to be joined */
    enum op_kind kind;
    int rc;               /* the operation's result */
    char msg[256];        /* its error message */
    char group[37];       /* a contact group of ORG, version 1 */
    int64_t priv;         /* a STATISTICS_ADMINISTRATOR right in ORG */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0, ""};

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-dlr-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, &err) != 0 ||
        kv_org_add(f->db, ORG, "Kommunen", &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (f->holder) { /* after a failed assertion: let the operation go, or the join waits */
        if (kv_db_in_transaction(f->holder))
            kv_db_rollback(f->holder);
        kv_db_release(f->holder);
    }
    if (f->started)
        pthread_join(f->thread, NULL);
    return kv_test_fx_free(f, f->dir, f->st, f->db);
}

static void *op_main(void *arg)
{
    struct fx *f = arg;
    struct kv_err err = {0, ""};
    struct kv_db *db = NULL;

    f->rc = kv_db_acquire(f->st, &db, &err);
    if (f->rc == 0 && f->kind == OP_GROUP_UPDATE) {
        json_t *in = json_pack("{s:s}", "name", "Omdøbt"), *out = NULL, *fes = NULL;
        int stale = 0;

        f->rc = kv_contact_group_update(db, ORG, "tester", f->group, 1, in, &out, &fes, &stale,
                                        &err);
        json_decref(in);
        json_decref(out);
        json_decref(fes);
    } else if (f->rc == 0) {
        f->rc = kv_rights_revoke(db, f->priv, "tester", &err);
    }
    if (db)
        kv_db_release(db);
    snprintf(f->msg, sizeof(f->msg), "%s", err.msg);
    return NULL;
}

/* Runs one statement with text parameter arg on db; its kv_stmt_step result. */
static int step1(struct kv_db *db, const char *sql, const char *arg, int for_update)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0, ""};
    int rc = for_update ? kv_db_prepare_for_update(db, sql, &s, &err)
                        : kv_db_prepare(db, sql, &s, &err);

    if (rc < 0)
        fail_msg("%s: %s", sql, err.msg);
    kv_stmt_bind_text(s, 1, arg, -1);
    rc = kv_stmt_step(s, &err);
    kv_stmt_done(s);
    if (rc < 0)
        fail_msg("%s: %d %s", sql, rc, err.msg);
    return rc;
}

/* Runs the operation kind into a deadlock with the holder: the holder locks the row of
 * row_sql (a SELECT of one row by row_key), the operation comes to wait for it, then the
 * holder runs lock_sql (an UPDATE of the organisation's lock row by ORG). Returns when the
 * operation has ended; its result is f->rc. */
static void deadlock(struct fx *f, enum op_kind kind, const char *row_sql, const char *row_key,
                     const char *lock_sql)
{
    struct kv_err err = {0, ""};
    char sql[160];
    int64_t holder_pid;
    int i;

    f->kind = kind;
    if (!kv_test_on_pg()) { /* SQLite: one writer at a time, no deadlock; the same outcome */
        op_main(f);
        if (f->rc != 0)
            fail_msg("the operation failed: %d %s", f->rc, f->msg);
        return;
    }
    assert_int_equal(kv_db_acquire(f->st, &f->holder, &err), 0);
    assert_int_equal(kv_db_begin_concurrent(f->holder, &err), 0);
    assert_int_equal(kv_db_exec(f->holder, "SET LOCAL deadlock_timeout = '10min'", &err), 0);
    holder_pid = kv_test_scalar(f->holder, "SELECT pg_backend_pid()", NULL);
    assert_int_equal(step1(f->holder, row_sql, row_key, 1), KV_ROW);
    assert_int_equal(pthread_create(&f->thread, NULL, op_main, f), 0);
    f->started = 1;
    /* until the operation waits for the holder's row (it holds the lock row by then) */
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM pg_stat_activity WHERE %lld = ANY(pg_blocking_pids(pid))",
             (long long)holder_pid);
    for (i = 0; i < WAIT_MS / 5 && kv_test_scalar(f->db, sql, NULL) == 0; i++) {
        struct timespec ts = {0, 5 * 1000000L};

        nanosleep(&ts, NULL); /* a bounded poll, not a synchronisation */
    }
    assert_int_equal(kv_test_scalar(f->db, sql, NULL), 1);
    /* the cycle: returns only once PostgreSQL has aborted the operation's transaction */
    assert_int_equal(step1(f->holder, lock_sql, ORG, 0), KV_DONE);
    assert_int_equal(kv_db_changes(f->holder), 1); /* the committed lock row: a real wait */
    kv_db_rollback(f->holder);
    kv_db_release(f->holder);
    f->holder = NULL;
    pthread_join(f->thread, NULL);
    f->started = 0;
    if (f->rc != 0)
        fail_msg("the operation failed after its deadlock: %d %s", f->rc, f->msg);
}

static void group_update_after_deadlock(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    json_t *in = json_pack("{s:s}", "name", "Gruppe"), *out = NULL, *fes = NULL;

    assert_int_equal(kv_contact_group_create(f->db, ORG, "tester", in, &out, &fes, &err), 0);
    snprintf(f->group, sizeof(f->group), "%s", json_string_value(json_object_get(out, "id")));
    json_decref(in);
    json_decref(out);
    deadlock(f, OP_GROUP_UPDATE, "SELECT id FROM contact_groups WHERE id = ?", f->group,
             "UPDATE contact_structure_locks SET changes = changes + 1 WHERE org_cvr = ?");
    /* made once: one version step, the new name, one UPDATED event beside the creation's */
    assert_int_equal(kv_test_scalar(f->db, "SELECT version FROM contact_groups WHERE id = ?",
                                    f->group),
                     2);
    assert_int_equal(kv_test_scalar(f->db,
                                    "SELECT COUNT(*) FROM contact_groups WHERE name = 'Omdøbt'",
                                    NULL),
                     1);
    assert_int_equal(kv_test_scalar(f->db,
                                    "SELECT COUNT(*) FROM events WHERE tag = "
                                    "'CONTACT_GROUP_CHANGED' AND props LIKE "
                                    "'%\"action\":\"UPDATED\"%'",
                                    NULL),
                     1);
}

static void revoke_after_deadlock(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    const char *rights[2] = {"ORGANISATION_USER_ADMINISTRATOR", "STATISTICS_ADMINISTRATOR"};
    struct kv_person p;
    struct kv_employee e;
    struct kv_privilege pr;
    char key[24];

    if (kv_identity_add_employee(f->db, ORG, "Ada Admin", "ada@kommune.dk", NULL, rights, 2,
                                 "test", &p, &e, &err) != 0)
        fail_msg("employee: %s", err.msg);
    assert_int_equal(kv_rights_find_direct(f->db, e.id, ORG, "STATISTICS_ADMINISTRATOR", &pr,
                                           &err),
                     0);
    f->priv = pr.id;
    snprintf(key, sizeof(key), "%lld", (long long)pr.id);
    assert_int_equal(kv_test_scalar(f->db, "SELECT COUNT(*) FROM org_rights WHERE cvr = ?", ORG),
                     1);
    deadlock(f, OP_REVOKE, "SELECT id FROM privileges WHERE id = CAST(? AS BIGINT)", key,
             "UPDATE org_rights SET version = version + 1 WHERE cvr = ?");
    assert_int_equal(kv_rights_get(f->db, f->priv, &pr, &err), 0);
    assert_string_equal(pr.status, "REVOKED");
    assert_int_equal(kv_test_scalar(f->db,
                                    "SELECT COUNT(*) FROM events WHERE tag = "
                                    "'PRIVILEGES_REVOKED'",
                                    NULL),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(group_update_after_deadlock, setup, teardown),
        cmocka_unit_test_setup_teardown(revoke_after_deadlock, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

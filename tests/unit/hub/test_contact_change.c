/* SPDX-License-Identifier: MIT
 *
 * test_contact_change.c: the helpers contact_groups.c and contact_points.c share around a
 * change (hub/contact_int.h), run as the contact structure runs them (store.h kv_db_run):
 * kv__cp_change_check refuses a missing or stale object (and says stale only then) and no
 * transaction stays open, the caller's write is rolled back unless it and its event
 * (kv__cp_event) succeed, and kv__cp_row answers KV_ROW, KV_DONE or the prepare's error with
 * a statement that may always be ended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"
#include "unit/hub/store_helpers.h"

#include "hub/contact_int.h"
#include "hub/contact_points.h"
#include "hub/directory.h"
#include "store/store.h"

#define ORG "12345678"
#define NO_SUCH "00000000-0000-4000-8000-000000000001"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    char id[37]; /* a group of ORG, version 1, named "G" */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0, ""};
    json_t *in = json_pack("{s:s}", "name", "G"), *out = NULL, *fes = NULL;

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-cpc-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0 ||
        kv_org_add(f->db, ORG, "Kommunen", NULL) != 0 ||
        kv_contact_group_create(f->db, ORG, "tester", in, &out, &fes, &err) != 0)
        return -1;
    snprintf(f->id, sizeof(f->id), "%s", json_string_value(json_object_get(out, "id")));
    json_decref(in);
    json_decref(out);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    return kv_test_fx_free(f, f->dir, f->st, f->db);
}

static int64_t updated_events(struct fx *f)
{
    return kv_test_count(f->db, "SELECT COUNT(*) FROM events WHERE tag = 'CONTACT_GROUP_CHANGED' AND "
                    "props LIKE '%\"action\":\"UPDATED\"%'");
}

static void rename_group(struct fx *f, const char *name)
{
    struct kv_stmt *s = NULL;

    assert_int_equal(kv_db_prepare(f->db, "UPDATE contact_groups SET name = ? WHERE id = ?", &s,
                                   NULL),
                     0);
    kv_stmt_bind_text(s, 1, name, -1);
    kv_stmt_bind_text(s, 2, f->id, -1);
    assert_int_equal(kv_stmt_step(s, NULL), KV_DONE);
    kv_stmt_done(s);
}

static int64_t named(struct fx *f, const char *name)
{
    struct kv_stmt *s = NULL;
    int64_t n = -1;

    assert_int_equal(kv_db_prepare(f->db, "SELECT COUNT(*) FROM contact_groups WHERE name = ?",
                                   &s, NULL),
                     0);
    kv_stmt_bind_text(s, 1, name, -1);
    if (kv_stmt_step(s, NULL) == KV_ROW)
        n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return n;
}

/* A change as contact_groups.c runs one (kv_db_run's body): the checks, then, when name is
 * set, the group renamed, a failure of the write (fail, 0 for none) and its event of id. */
struct change {
    struct fx *f;
    const char *org, *id, *name, *event_id;
    int64_t expect;
    int *stale;
    int fail;
};

static int change_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct change *c = arg;
    int rc = kv__cp_change_check(db, 0, c->org, c->id, c->expect, c->stale, err);

    if (rc < 0 || !c->name)
        return rc;
    assert_true(kv_db_in_transaction(db));
    rename_group(c->f, c->name);
    if (c->fail)
        return kv_err_set(err, c->fail, "the write failed");
    return kv__cp_event(db, 0, "UPDATED", c->org, "tester", c->event_id, err);
}

static void test_change_check_refusals_leave_no_transaction(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    int stale = 7;
    struct change c = {f, ORG, NO_SUCH, NULL, NULL, 0, &stale, 0};

    assert_int_equal(kv_db_run(f->db, 1, change_tx, &c, &err), KV_ENOTFOUND);
    assert_int_equal(stale, 0);
    assert_false(kv_db_in_transaction(f->db));
    /* another organisation's group is not found either */
    c.org = "87654321";
    c.id = f->id;
    assert_int_equal(kv_db_run(f->db, 1, change_tx, &c, &err), KV_ENOTFOUND);
    assert_false(kv_db_in_transaction(f->db));
    /* If-Match of another version: stale */
    c.org = ORG;
    c.expect = 2;
    assert_int_equal(kv_db_run(f->db, 1, change_tx, &c, &err), KV_ECONFLICT);
    assert_int_equal(stale, 1);
    assert_false(kv_db_in_transaction(f->db));
    /* without a stale flag to set */
    c.stale = NULL;
    assert_int_equal(kv_db_run(f->db, 1, change_tx, &c, &err), KV_ECONFLICT);
    assert_false(kv_db_in_transaction(f->db));
}

static void test_change_write_and_event_commit_together(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    int stale = 7;
    struct change c = {f, ORG, NULL, "Rolled back", NULL, 1, &stale, KV_EINVAL};

    /* the write failed: rolled back, no event */
    c.id = c.event_id = f->id;
    assert_int_equal(kv_db_run(f->db, 1, change_tx, &c, &err), KV_EINVAL);
    assert_int_equal(stale, 0);
    assert_false(kv_db_in_transaction(f->db));
    assert_int_equal(named(f, "Rolled back"), 0);
    assert_int_equal(updated_events(f), 0);
    /* the event itself fails (the row is gone, so it has no name to log): rolled back too */
    c.name = "Also rolled back";
    c.fail = 0;
    c.expect = 0;
    c.event_id = NO_SUCH;
    assert_int_equal(kv_db_run(f->db, 1, change_tx, &c, &err), KV_ENOTFOUND);
    assert_false(kv_db_in_transaction(f->db));
    assert_int_equal(named(f, "Also rolled back"), 0);
    assert_int_equal(updated_events(f), 0);
    /* success: the write and its event are committed together */
    c.name = "Kept";
    c.event_id = f->id;
    assert_int_equal(kv_db_run(f->db, 1, change_tx, &c, &err), 0);
    assert_false(kv_db_in_transaction(f->db));
    assert_int_equal(named(f, "Kept"), 1);
    assert_int_equal(updated_events(f), 1);
}

static void test_row(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_stmt *s = NULL;
    static const char sql[] = "SELECT id, name FROM contact_groups WHERE id = lower(?) AND "
                              "org_cvr = ?";
    char upper[37];
    size_t i;

    /* the id in capitals is the same group (lower() in the statement) */
    for (i = 0; f->id[i]; i++)
        upper[i] = (f->id[i] >= 'a' && f->id[i] <= 'f') ? (char)(f->id[i] - 'a' + 'A') : f->id[i];
    upper[i] = '\0';
    assert_int_equal(kv__cp_row(f->db, sql, upper, ORG, &s, &err), KV_ROW);
    assert_non_null(s);
    assert_string_equal(kv_stmt_col_text(s, 0), f->id);
    assert_string_equal(kv_stmt_col_text(s, 1), "G");
    kv_stmt_done(s);
    assert_int_equal(kv__cp_row(f->db, sql, NO_SUCH, ORG, &s, &err), KV_DONE);
    kv_stmt_done(s);
    assert_int_equal(kv__cp_row(f->db, sql, f->id, "87654321", &s, &err), KV_DONE);
    kv_stmt_done(s);
    /* a statement that cannot run: its error (from the prepare on SQLite, from the first step
     * on PostgreSQL, which prepares then), and a statement that can still be ended */
    assert_true(kv__cp_row(f->db, "SELECT nope FROM no_such_table WHERE a = ? AND b = ?", f->id,
                           ORG, &s, &err) < 0);
    kv_stmt_done(s);
    assert_int_equal(kv__cp_row(f->db, sql, f->id, ORG, &s, &err), KV_ROW);
    kv_stmt_done(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_change_check_refusals_leave_no_transaction, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_change_write_and_event_commit_together, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_row, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

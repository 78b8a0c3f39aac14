/* SPDX-License-Identifier: MIT
 *
 * test_delegation.c: who may send in whose name (hub/delegation.h): add (validation, unknown
 * organisations, duplicates), list by either side, allows, remove, the events, and the send
 * pipeline's hook: a letter marked on_behalf_of is refused (KV_EPERM SENDER_NOT_ALLOWED with
 * field SENDER_NOT_DELEGATED) until the Sender delegated to the system's organisation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/delegation.h"
#include "hub/directory.h"
#include "hub/letters.h"
#include "store/store.h"

#define B "12345678"
#define A "87654321"
#define C "55133018"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-dlg-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0 ||
        kv_org_add(f->db, B, "Kommunen", NULL) != 0 ||
        kv_org_add(f->db, A, "Leverandør", NULL) != 0 || kv_org_add(f->db, C, "Region", NULL) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

static int64_t count(struct fx *f, const char *sql)
{
    struct kv_stmt *s = NULL;
    int64_t n = -1;

    assert_int_equal(kv_db_prepare(f->db, sql, &s, NULL), 0);
    if (kv_stmt_step(s, NULL) == KV_ROW)
        n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return n;
}

static void test_add_list_remove(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_delegation d, *v = NULL;
    size_t n = 0;
    int ok = -1;

    assert_int_equal(kv_delegation_add(f->db, B, B, NULL, &err), KV_EINVAL);
    assert_int_equal(kv_delegation_add(f->db, "123", A, NULL, &err), KV_EINVAL);
    assert_int_equal(kv_delegation_add(f->db, B, NULL, NULL, &err), KV_EINVAL);
    assert_int_equal(kv_delegation_add(f->db, B, "11111111", NULL, &err), KV_ENOTFOUND);
    assert_non_null(strstr(err.msg, "11111111"));
    assert_int_equal(kv_delegation_add(f->db, "22222222", A, NULL, &err), KV_ENOTFOUND);
    assert_int_equal(kv_delegation_allows(f->db, B, A, &ok, &err), 0);
    assert_int_equal(ok, 0);
    assert_int_equal(kv_delegation_add(f->db, B, A, &d, &err), 0);
    assert_string_equal(d.org_cvr, B);
    assert_string_equal(d.delegate_cvr, A);
    assert_string_equal(d.delegate_name, "Leverandør");
    assert_true(d.created_ms > 0);
    assert_int_equal(kv_delegation_add(f->db, B, A, NULL, &err), KV_ECONFLICT);
    assert_int_equal(kv_delegation_add(f->db, C, A, NULL, &err), 0);
    assert_int_equal(kv_delegation_allows(f->db, B, A, &ok, &err), 0);
    assert_int_equal(ok, 1);
    assert_int_equal(kv_delegation_allows(f->db, A, B, &ok, &err), 0);
    assert_int_equal(ok, 0); /* one way only */
    assert_int_equal(kv_delegation_list(f->db, NULL, A, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].org_cvr, B); /* ordered by organisation */
    assert_string_equal(v[1].org_cvr, C);
    free(v);
    assert_int_equal(kv_delegation_list(f->db, B, NULL, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    free(v);
    assert_int_equal(kv_delegation_remove(f->db, B, A, &err), 0);
    assert_int_equal(kv_delegation_remove(f->db, B, A, &err), KV_ENOTFOUND);
    assert_int_equal(kv_delegation_remove(f->db, B, B, &err), KV_ENOTFOUND);
    assert_int_equal(kv_delegation_allows(f->db, B, A, &ok, &err), 0);
    assert_int_equal(ok, 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM events WHERE tag = 'DELEGATION_CREATED'"), 2);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM events WHERE tag = 'DELEGATION_REMOVED' AND "
                              "subject = 'cvr:" B "' AND props = '{\"delegateCvr\":\"" A "\"}'"),
                     1);
}

static void test_letter_hook(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_letter l;

    kv_letter_init(&l, "", 0);
    snprintf(l.system_org, sizeof(l.system_org), "%s", A);
    assert_int_equal(kv_delegation_check_letter(f->db, &l, &err), 0); /* sends as itself */
    assert_int_equal(l.outcome, KV_LETTER_PENDING);
    snprintf(l.on_behalf_of, sizeof(l.on_behalf_of), "%s", B);
    assert_int_equal(kv_delegation_check_letter(f->db, &l, &err), 1);
    assert_int_equal(l.outcome, KV_LETTER_REFUSED);
    assert_int_equal(l.refusal.kind, KV_EPERM);
    assert_string_equal(l.refusal.code, "SENDER_NOT_ALLOWED");
    assert_int_equal(l.refusal.n_fields, 1);
    assert_string_equal(l.refusal.fields[0].code, "SENDER_NOT_DELEGATED");
    assert_int_equal(l.log_refusal, 0);
    kv_letter_release(&l);

    assert_int_equal(kv_delegation_add(f->db, B, A, NULL, &err), 0);
    kv_letter_init(&l, "", 0);
    snprintf(l.system_org, sizeof(l.system_org), "%s", A);
    snprintf(l.on_behalf_of, sizeof(l.on_behalf_of), "%s", B);
    assert_int_equal(kv_delegation_check_letter(f->db, &l, &err), 0);
    assert_int_equal(l.outcome, KV_LETTER_PENDING);
    snprintf(l.system_org, sizeof(l.system_org), "%s", C); /* not C's to send */
    assert_int_equal(kv_delegation_check_letter(f->db, &l, &err), 1);
    kv_letter_release(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_list_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_letter_hook, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

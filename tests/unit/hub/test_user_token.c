/* SPDX-License-Identifier: MIT
 *
 * test_user_token.c: the life of user bearer tokens (hub/user_token.h): a new token revokes
 * the owner's earlier ones unless KV_USER_TOKEN_KEEP_OTHERS, tokens expire on the hub's clock,
 * listing (status, newest first, other owners apart), revocation by id (any case, idempotent)
 * and by owner, lifetime bounds, the events, and that only hashes are stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/directory.h"
#include "hub/user_token.h"
#include "store/store.h"
#include "util/clock.h"

#define CPR "2211771212"
#define CPR2 "0101701234"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_mailbox mb;
    const char *cprs[] = {CPR, CPR2};
    size_t i;

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-tok-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0)
        return -1;
    for (i = 0; i < 2; i++) {
        memset(&mb, 0, sizeof(mb));
        snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
        snprintf(mb.owner_id, sizeof(mb.owner_id), "%s", cprs[i]);
        if (kv_mailbox_add(f->db, &mb, NULL) != 0)
            return -1;
    }
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

/* KV_EAUTH or 0 for token, with the message in err. */
static int auth(struct fx *f, const char *token, struct kv_err *err)
{
    char hdr[128], type[4], id[11];

    snprintf(hdr, sizeof(hdr), "Bearer %s", token);
    return kv_user_authenticate(f->db, hdr, type, id, err);
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

static void test_new_token_replaces_old(void **state)
{
    struct fx *f = *state;
    struct kv_user_token_info a, b, c;
    struct kv_err err = {0, ""};
    char *ta = NULL, *tb = NULL, *tc = NULL;
    int revoked = -1;

    assert_int_equal(kv_user_token_issue(f->db, "CPR", CPR, 0, 0, &ta, &a, &revoked, &err), 0);
    assert_int_equal(revoked, 0);
    assert_int_equal(strlen(a.id), 16);
    assert_string_equal(a.status, "active");
    assert_true(a.expires_ms - a.created_ms == KV_USER_TOKEN_TTL_DEFAULT_MS);
    assert_int_equal(auth(f, ta, &err), 0);
    assert_int_equal(kv_user_token_issue(f->db, "CPR", CPR, 0, 0, &tb, &b, &revoked, &err), 0);
    assert_int_equal(revoked, 1);
    assert_int_equal(auth(f, ta, &err), KV_EAUTH);
    assert_non_null(strstr(err.msg, "revoked"));
    assert_int_equal(auth(f, tb, &err), 0);
    assert_int_equal(kv_user_token_issue(f->db, "CPR", CPR, 0, KV_USER_TOKEN_KEEP_OTHERS, &tc, &c,
                                         &revoked, &err),
                     0);
    assert_int_equal(revoked, 0);
    assert_int_equal(auth(f, tb, &err), 0);
    assert_int_equal(auth(f, tc, &err), 0);
    /* events: three created, one replaced */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM events WHERE tag = 'USER_TOKEN_CREATED'"), 3);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM events WHERE tag = 'USER_TOKEN_REVOKED' "
                              "AND props LIKE '%\"reason\":\"replaced\"%'"),
                     1);
    /* no mailbox, bad lifetimes */
    free(ta);
    assert_int_equal(kv_user_token_issue(f->db, "CPR", "1502851236", 0, 0, &ta, NULL, NULL, &err),
                     KV_ENOTFOUND);
    assert_int_equal(kv_user_token_issue(f->db, "CPR", CPR, 1000, 0, &ta, NULL, NULL, &err),
                     KV_EINVAL);
    assert_int_equal(kv_user_token_issue(f->db, "CPR", CPR, KV_USER_TOKEN_TTL_MAX_MS + 1, 0, &ta,
                                         NULL, NULL, &err),
                     KV_EINVAL);
    assert_null(ta);
    /* only hashes: no token text anywhere in the table */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM user_tokens WHERE token_sha256 LIKE 'kvu_%'"),
                     0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM user_tokens WHERE length(token_sha256) = 64 "
                              "AND id = substr(token_sha256, 1, 16)"),
                     3);
    free(tb);
    free(tc);
}

static void test_expiry(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_user_token_info *v = NULL;
    char *t1 = NULL, *t2 = NULL;
    size_t n = 0;

    assert_int_equal(kv_user_token_issue(f->db, "CPR", CPR, 3600 * 1000, 0, &t1, NULL, NULL, &err),
                     0);
    kv_clock_advance_ms(1); /* t2 strictly newer: the list orders by creation time */
    assert_int_equal(
        kv_user_token_issue(f->db, "CPR", CPR, 0, KV_USER_TOKEN_KEEP_OTHERS, &t2, NULL, NULL, &err),
        0);
    kv_clock_advance_ms(3600 * 1000 - 1000);
    assert_int_equal(auth(f, t1, &err), 0);
    kv_clock_advance_ms(2000);
    assert_int_equal(auth(f, t1, &err), KV_EAUTH);
    assert_non_null(strstr(err.msg, "expired"));
    assert_int_equal(auth(f, t2, &err), 0);
    assert_int_equal(kv_user_token_list(f->db, "CPR", CPR, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[1].status, "expired");
    assert_string_equal(v[0].status, "active");
    free(v);
    kv_clock_advance_ms(KV_USER_TOKEN_TTL_DEFAULT_MS);
    assert_int_equal(auth(f, t2, &err), KV_EAUTH);
    free(t1);
    free(t2);
}

static void test_list_and_revoke(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_user_token_info a, b, got, *v = NULL;
    char *ta = NULL, *tb = NULL, *tc = NULL, upper[17];
    size_t n = 0, i;
    int already = -1, revoked = -1;

    assert_int_equal(kv_user_token_issue(f->db, "CPR", CPR, 0, 0, &ta, &a, NULL, &err), 0);
    assert_int_equal(
        kv_user_token_issue(f->db, "CPR", CPR, 0, KV_USER_TOKEN_KEEP_OTHERS, &tb, &b, NULL, &err),
        0);
    assert_int_equal(kv_user_token_issue(f->db, "CPR", CPR2, 0, 0, &tc, NULL, NULL, &err), 0);
    assert_int_equal(kv_user_token_list(f->db, "CPR", CPR, &v, &n, &err), 0);
    assert_int_equal(n, 2); /* the other owner's token is not listed */
    free(v);
    for (i = 0; i < 16; i++)
        upper[i] = (char)(a.id[i] >= 'a' && a.id[i] <= 'f' ? a.id[i] - 'a' + 'A' : a.id[i]);
    upper[16] = '\0';
    assert_int_equal(kv_user_token_revoke(f->db, upper, &got, &already, &err), 0);
    assert_int_equal(already, 0);
    assert_string_equal(got.status, "revoked");
    assert_true(got.revoked_ms > 0);
    assert_int_equal(auth(f, ta, &err), KV_EAUTH);
    assert_int_equal(auth(f, tb, &err), 0);
    assert_int_equal(kv_user_token_revoke(f->db, a.id, &got, &already, &err), 0);
    assert_int_equal(already, 1);
    assert_int_equal(kv_user_token_revoke(f->db, "0000000000000000", NULL, NULL, &err),
                     KV_ENOTFOUND);
    assert_int_equal(kv_user_token_revoke(f->db, "zz", NULL, NULL, &err), KV_ENOTFOUND);
    assert_int_equal(kv_user_token_revoke(f->db, NULL, NULL, NULL, &err), KV_ENOTFOUND);
    assert_int_equal(kv_user_token_revoke_owner(f->db, "CPR", CPR, &revoked, &err), 0);
    assert_int_equal(revoked, 1);
    assert_int_equal(auth(f, tb, &err), KV_EAUTH);
    assert_int_equal(auth(f, tc, &err), 0); /* the other owner's token is untouched */
    assert_int_equal(kv_user_token_list(f->db, "CPR", "0000000000", &v, &n, &err), 0);
    assert_int_equal(n, 0);
    free(v);
    free(ta);
    free(tb);
    free(tc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_token_replaces_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_and_revoke, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

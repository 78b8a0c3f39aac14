/* SPDX-License-Identifier: MIT
 *
 * store_helpers.h: what the hub's unit tests do again and again on a test store
 * (store_fixture.h): read one integer, add an organisation's system or a mailbox, and free
 * the fixture. Header-only (static inline functions); include it after <cmocka.h> (the reads
 * assert, as the tests' own copies did) and store_fixture.h.
 *
 * Ownership: nothing is kept; ids are copied into the caller's buffers. kv_test_fx_free frees
 * the caller's fixture struct.
 */
#ifndef KV_TESTS_HUB_STORE_HELPERS_H
#define KV_TESTS_HUB_STORE_HELPERS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/directory.h"
#include "store/store.h"
#include "unit/hub/store_fixture.h"

/* The integer in the first column of sql's first row, or -1 when there is no row. Asserts
 * that sql prepares. */
static inline int64_t kv_test_count(struct kv_db *db, const char *sql)
{
    struct kv_stmt *s = NULL;
    int64_t n = -1;

    assert_int_equal(kv_db_prepare(db, sql, &s, NULL), 0);
    if (kv_stmt_step(s, NULL) == KV_ROW)
        n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return n;
}

/* The integer in the first column of sql's row, text bound to ?1 when not NULL. Asserts that
 * sql prepares and returns a row. */
static inline int64_t kv_test_scalar(struct kv_db *db, const char *sql, const char *text)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    int64_t v;

    assert_int_equal(kv_db_prepare(db, sql, &s, &err), 0);
    if (text)
        kv_stmt_bind_text(s, 1, text, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    v = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return v;
}

/* Adds a system of org: kind "sender" or "recipient" (a recipient system pulls and is the
 * organisation's default), named name (NULL: "<kind> <org>"); its id into id. 0 or -1. */
static inline int kv_test_add_system(struct kv_db *db, const char *org, const char *kind,
                                     const char *name, char id[37])
{
    struct kv_system s;
    char *tok = NULL;

    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", org);
    snprintf(s.kind, sizeof(s.kind), "%s", kind);
    if (name)
        snprintf(s.name, sizeof(s.name), "%s", name);
    else
        snprintf(s.name, sizeof(s.name), "%s %s", kind, org);
    if (strcmp(kind, "recipient") == 0) {
        s.protocol = KV_PROTOCOL_PULL;
        s.is_default = 1;
    }
    if (kv_system_add(db, &s, &tok, NULL) != 0)
        return -1;
    free(tok);
    snprintf(id, 37, "%s", s.id);
    return 0;
}

/* Adds the mailbox of owner (type "CPR" or "CVR") with status and postal address; its id into
 * *out_id when not NULL. 0 or -1. */
static inline int kv_test_add_mailbox(struct kv_db *db, const char *type, const char *owner,
                                      const char *status, const char *address, int64_t *out_id)
{
    struct kv_mailbox mb;

    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "%s", type);
    snprintf(mb.owner_id, sizeof(mb.owner_id), "%s", owner);
    snprintf(mb.status, sizeof(mb.status), "%s", status);
    snprintf(mb.address, sizeof(mb.address), "%s", address);
    if (kv_mailbox_add(db, &mb, NULL) != 0 || kv_mailbox_find(db, type, owner, &mb, NULL) != 0)
        return -1;
    if (out_id)
        *out_id = mb.id;
    return 0;
}

/* A teardown's end: releases db, closes st, removes dir (and its schema) and frees fx.
 * 0 or -1. */
static inline int kv_test_fx_free(void *fx, const char *dir, struct kv_store *st,
                                  struct kv_db *db)
{
    if (kv_test_store_free(dir, st, db) != 0)
        return -1;
    free(fx);
    return 0;
}

#endif

/* SPDX-License-Identifier: MIT
 *
 * test_receipts.c: unit tests of sender receipts (src/hub/receipts.c, receipt_push.c) on a real
 * store in a temporary directory: the retry schedule, pull paging (oldest first, bounds),
 * get / get+delete / delete scoped to the owning system, a list that waits for a receipt
 * committed late by a concurrent writer (PostgreSQL), and push outcomes that need no
 * network peer: a refused connection and a non-http scheme count as failed attempts with the
 * documented back-off, and a failure after 72 hours (test clock) gives up with the event
 * BUSINESS_RECEIPT_SEND_TO_SENDER_SYSTEM_FAILED.
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

#include "unit/hub/store_fixture.h"

#include "hub/directory.h"
#include "hub/events.h"
#include "hub/receipts.h"
#include "store/store.h"
#include "util/clock.h"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    char sys_a[37]; /* pull-only system */
    char sys_b[37]; /* push to a closed port */
    char sys_c[37]; /* push to an ftp URL */
    struct kv_db *held[2]; /* connections a test holds open; teardown ends them */
};

static void add_system(struct kv_db *db, const char *url, char out[37])
{
    struct kv_system s;
    char *tok = NULL;
    struct kv_err err = {0};

    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "12345674");
    snprintf(s.kind, sizeof(s.kind), "sender");
    snprintf(s.name, sizeof(s.name), "test");
    snprintf(s.receipt_url, sizeof(s.receipt_url), "%s", url);
    if (kv_system_add(db, &s, &tok, &err) != 0)
        fail_msg("kv_system_add: %s", err.msg);
    free(tok);
    memcpy(out, s.id, 37);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0};

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-receipts-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    if (kv_org_add(f->db, "12345674", "Kommunen", &err) != 0)
        return -1;
    add_system(f->db, "", f->sys_a);
    add_system(f->db, "http://127.0.0.1:1/receipt", f->sys_b);
    /* kv_system_add refuses an ftp URL (system_fields.c); one stored by other means (an
     * older version, a hand edit) must still only fail the push. */
    add_system(f->db, "http://127.0.0.1:1/receipt", f->sys_c);
    {
        struct kv_stmt *st = NULL;

        if (kv_db_prepare(f->db, "UPDATE systems SET receipt_url = 'ftp://127.0.0.1/receipt' "
                                 "WHERE id = ?", &st, &err) != 0)
            return -1;
        kv_stmt_bind_text(st, 1, f->sys_c, -1);
        if (kv_stmt_step(st, &err) < 0) {
            kv_stmt_done(st);
            return -1;
        }
        kv_stmt_done(st);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int i;

    for (i = 0; i < 2; i++) { /* after a failed assertion: roll back, or the drop waits */
        if (f->held[i] && kv_db_in_transaction(f->held[i]))
            kv_db_rollback(f->held[i]);
        if (f->held[i])
            kv_db_release(f->held[i]);
    }

    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

/* Inserts a receipt in db's open transaction; returns its row id and (when rid is not NULL)
 * its GUID. */
static int64_t insert_in_tx(struct kv_db *db, const char *sys, const char *uuid, int push,
                            char rid[37])
{
    struct kv_receipt r;
    struct kv_err err = {0};

    memset(&r, 0, sizeof(r));
    snprintf(r.system_id, sizeof(r.system_id), "%s", sys);
    snprintf(r.transmission_id, sizeof(r.transmission_id), "%s", uuid);
    snprintf(r.message_uuid, sizeof(r.message_uuid), "%s", uuid);
    snprintf(r.receipt_status, sizeof(r.receipt_status), "RECEIVED");
    assert_int_equal(kv_receipt_insert(db, &r, push, &err), 0);
    assert_true(r.id > 0);
    assert_int_equal(strlen(r.uuid), 36);
    assert_int_equal(r.uuid[14], '7'); /* time-ordered: v7, its millisecond first */
    assert_non_null(strchr("89ab", r.uuid[19]));
    if (rid)
        memcpy(rid, r.uuid, 37);
    return r.id;
}

/* Inserts a receipt in a transaction of its own; as insert_in_tx. */
static int64_t insert_id(struct kv_db *db, const char *sys, const char *uuid, int push,
                         char rid[37])
{
    struct kv_err err = {0};
    int64_t id;

    assert_int_equal(kv_db_begin(db, &err), 0);
    id = insert_in_tx(db, sys, uuid, push, rid);
    assert_int_equal(kv_db_commit(db, &err), 0);
    return id;
}

static int64_t insert(struct kv_db *db, const char *sys, const char *uuid, int push)
{
    return insert_id(db, sys, uuid, push, NULL);
}

static void test_retry_schedule(void **state)
{
    (void)state;
    assert_true(kv_receipt_retry_delay_ms(1) == 10000);
    assert_true(kv_receipt_retry_delay_ms(2) == 30000);
    assert_true(kv_receipt_retry_delay_ms(3) == 60000);
    assert_true(kv_receipt_retry_delay_ms(4) == 300000);
    assert_true(kv_receipt_retry_delay_ms(5) == 900000);
    assert_true(kv_receipt_retry_delay_ms(6) == 3600000);
    assert_true(kv_receipt_retry_delay_ms(7) == 3600000);
    assert_true(kv_receipt_retry_delay_ms(500) == 3600000);
    assert_true(kv_receipt_retry_delay_ms(0) == 10000);
}

static void test_pull(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    struct kv_receipt r;
    json_t *page = NULL, *rs;
    int more = 0, prev = 0;
    char ids[5][37], upper[37], row[24];
    char uuid[37];
    int64_t row0 = 0;
    int i;

    for (i = 0; i < 5; i++) {
        snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-00000000000%c", (char)('0' + i));
        if (i == 0)
            row0 = insert_id(f->db, f->sys_a, uuid, 0, ids[i]);
        else
            insert_id(f->db, f->sys_a, uuid, 0, ids[i]);
    }
    insert(f->db, f->sys_c, "00000000-0000-4000-8000-0000000000ff", 0);

    /* PagingResultUUID: the receipts' GUIDs; previous/next are PagingArguments */
    assert_int_equal(kv_receipts_page(f->db, f->sys_a, 1, 2, 0, &page, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(page, "totalElements")), 5);
    assert_int_equal(json_integer_value(json_object_get(page, "totalPages")), 3);
    assert_int_equal(json_array_size(json_object_get(page, "content")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(page, "content"), 0)),
                        ids[2]);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(page, "next"), "page")), 2);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(page, "previous"), "page")), 0);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(json_object_get(page, "next"),
                                                           "ordering"),
                                           0),
                            "property")),
                        "timeStamp");
    json_decref(page);
    /* newest first */
    assert_int_equal(kv_receipts_page(f->db, f->sys_a, 0, 2, 1, &page, &err), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(page, "content"), 0)),
                        ids[4]);
    json_decref(page);
    assert_int_equal(kv_receipts_page(f->db, f->sys_a, 0, 0, 0, &page, &err), KV_EINVAL);
    assert_int_equal(kv_receipts_page(f->db, f->sys_a, 0, 1001, 0, &page, &err), KV_EINVAL);
    assert_int_equal(kv_receipts_page(f->db, f->sys_a, -1, 10, 0, &page, &err), KV_EINVAL);

    /* ReceiptSearchResult: the same page as whole receipts, with their GUID ids */
    assert_int_equal(
        kv_receipts_bulk_page(f->db, f->sys_a, 2, 2, 0, NULL, 0, &more, &prev, &page, &err), 0);
    assert_int_equal(more, 0);
    assert_int_equal(prev, 1);
    assert_int_equal(json_integer_value(json_object_get(page, "currentPage")), 2);
    assert_int_equal(json_integer_value(json_object_get(page, "totalPages")), 3);
    assert_int_equal(json_integer_value(json_object_get(page, "elementsOnPage")), 1);
    assert_int_equal(json_integer_value(json_object_get(page, "totalElements")), 5);
    rs = json_object_get(page, "receipts");
    assert_int_equal(json_array_size(rs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rs, 0), "id")), ids[4]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rs, 0), "messageUUID")),
                        "00000000-0000-4000-8000-000000000004");
    json_decref(page);
    /* the keyset cursor: the two before the last one, and the one after the second */
    assert_int_equal(
        kv_receipts_bulk_page(f->db, f->sys_a, 1, 2, 0, ids[4], 1, &more, &prev, &page, &err), 0);
    rs = json_object_get(page, "receipts");
    assert_int_equal(json_array_size(rs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rs, 0), "id")), ids[2]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rs, 1), "id")), ids[3]);
    assert_int_equal(prev, 1);
    json_decref(page);
    assert_int_equal(
        kv_receipts_bulk_page(f->db, f->sys_a, 1, 2, 0, ids[1], 0, &more, &prev, &page, &err), 0);
    rs = json_object_get(page, "receipts");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rs, 0), "id")), ids[2]);
    assert_int_equal(more, 1);
    json_decref(page);

    /* scoping: another system sees nothing of it */
    assert_int_equal(kv_receipt_get(f->db, f->sys_c, ids[0], 0, &r, &err), KV_ENOTFOUND);
    assert_int_equal(kv_receipt_get(f->db, f->sys_c, ids[0], 1, &r, &err), KV_ENOTFOUND);
    assert_int_equal(kv_receipt_delete(f->db, f->sys_c, ids[0], &err), KV_ENOTFOUND);
    /* ids of neither form name nothing */
    assert_int_equal(kv_receipt_get(f->db, f->sys_a, "x", 0, &r, &err), KV_ENOTFOUND);
    assert_int_equal(kv_receipt_get(f->db, f->sys_a, "-1", 0, &r, &err), KV_ENOTFOUND);
    assert_int_equal(kv_receipt_delete(f->db, f->sys_a, "", &err), KV_ENOTFOUND);

    /* by GUID in any case, and by the old integer row id */
    for (i = 0; i < 37; i++)
        upper[i] = (char)(ids[0][i] >= 'a' && ids[0][i] <= 'f' ? ids[0][i] - 32 : ids[0][i]);
    assert_int_equal(kv_receipt_get(f->db, f->sys_a, upper, 0, &r, &err), 0);
    assert_string_equal(r.uuid, ids[0]);
    snprintf(row, sizeof(row), "%lld", (long long)row0);
    assert_int_equal(kv_receipt_get(f->db, f->sys_a, row, 0, &r, &err), 0);
    assert_string_equal(r.message_uuid, "00000000-0000-4000-8000-000000000000");
    assert_string_equal(r.receipt_status, "RECEIVED");
    assert_int_equal(kv_receipt_get(f->db, f->sys_a, ids[0], 1, &r, &err), 0);
    assert_int_equal(kv_receipt_get(f->db, f->sys_a, ids[0], 0, &r, &err), KV_ENOTFOUND);
    assert_int_equal(kv_receipt_delete(f->db, f->sys_a, ids[1], &err), 0);
    assert_int_equal(kv_receipt_delete(f->db, f->sys_a, ids[1], &err), KV_ENOTFOUND);
    assert_int_equal(kv_receipts_page(f->db, f->sys_a, 0, 20, 0, &page, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(page, "totalElements")), 3);
    assert_string_equal(json_string_value(json_array_get(json_object_get(page, "content"), 0)),
                        ids[2]);
    assert_true(json_is_null(json_object_get(page, "previous")));
    assert_true(json_is_null(json_object_get(page, "next")));
    json_decref(page);
}

/* The receipt GUIDs of sys's list after receipt after (NULL: from the start; desc: newest
 * first), as kv_receipts_page_after and kv_receipts_bulk_page both give them: into ids (up
 * to 8); their count. */
static size_t list_after(struct fx *f, const char *sys, const char *after, int desc,
                         char ids[8][37])
{
    struct kv_err err = {0};
    json_t *page = NULL, *c, *rs;
    int more = 0, prev = 0;
    size_t i, n;

    assert_int_equal(kv_receipts_page_after(f->db, sys, 0, 8, desc, after, 0, &page, &err), 0);
    c = json_object_get(page, "content");
    n = json_array_size(c);
    assert_true(n <= 8);
    for (i = 0; i < n; i++)
        snprintf(ids[i], 37, "%s", json_string_value(json_array_get(c, i)));
    json_decref(page);
    assert_int_equal(
        kv_receipts_bulk_page(f->db, sys, 0, 8, desc, after, 0, &more, &prev, &page, &err), 0);
    rs = json_object_get(page, "receipts");
    assert_int_equal(json_array_size(rs), n);
    for (i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(rs, i), "id")),
                            ids[i]);
    json_decref(page);
    return n;
}

/* totalElements of system_id's receipts list (GET /apis/v1/receipts). */
static int64_t list_total(struct fx *f, const char *system_id)
{
    struct kv_err err = {0};
    json_t *page = NULL;
    int64_t n;

    assert_int_equal(kv_receipts_page(f->db, system_id, 0, 10, 0, &page, &err), 0);
    n = (int64_t)json_integer_value(json_object_get(page, "totalElements"));
    json_decref(page);
    return n;
}

/* Concurrent writers (kv_db_begin_concurrent, PostgreSQL) commit receipt ids out of order: a
 * system that pages by `after` must not be handed a receipt while one with a smaller id is
 * still uncommitted (its next page, after the larger one, would step over the smaller one for
 * good). A holds its receipt open (after an event, so its transaction fences two sequences);
 * B inserts a larger id and commits; the list shows neither until A commits, then both in
 * order. The same with A rolled back: then B's appears. On SQLite one writer at a time commits
 * in id order: the horizon is unbounded. */
static void test_list_waits_for_delayed_commit(void **state)
{
    struct fx *f = *state;
    struct kv_db *a = NULL, *b = NULL;
    struct kv_event ev = {"MESSAGE_READ", NULL, NULL, "hub", NULL, NULL, 0};
    char first[37], ra[37], rb[37], rc2[37], rd[37], got[8][37];
    int64_t h = 0, ida, idb;

    insert_id(f->db, f->sys_a, "00000000-0000-4000-8000-000000000101", 0, first);
    assert_int_equal(kv_db_sequence_horizon(f->db, "receipts_id_seq", &h, NULL), 0);
    if (!kv_test_on_pg()) {
        assert_true(h == INT64_MAX);
        return;
    }
    assert_int_equal(kv_db_acquire(f->st, &a, NULL), 0);
    f->held[0] = a;
    assert_int_equal(kv_db_acquire(f->st, &b, NULL), 0);
    f->held[1] = b;
    assert_int_equal(kv_db_begin_concurrent(a, NULL), 0);
    assert_int_equal(kv_events_append(a, &ev, NULL), 0);
    ida = insert_in_tx(a, f->sys_a, "00000000-0000-4000-8000-000000000102", 0, ra);
    assert_int_equal(kv_db_begin_concurrent(b, NULL), 0);
    idb = insert_in_tx(b, f->sys_a, "00000000-0000-4000-8000-000000000103", 0, rb);
    assert_int_equal(kv_db_commit(b, NULL), 0);
    assert_true(idb > ida);
    assert_int_equal(kv_db_sequence_horizon(f->db, "receipts_id_seq", &h, NULL), 0);
    assert_true(h <= ida);
    /* B's receipt is committed, but A's smaller id may still come: in no order, by no
     * cursor */
    assert_int_equal(list_after(f, f->sys_a, first, 0, got), 0);
    assert_int_equal(list_after(f, f->sys_a, NULL, 0, got), 1);
    assert_string_equal(got[0], first);
    assert_int_equal(list_after(f, f->sys_a, NULL, 1, got), 1);
    assert_string_equal(got[0], first);
    /* totalElements counts what the pages show (before: 2, B's too) */
    assert_true(list_total(f, f->sys_a) == 1);
    assert_int_equal(kv_db_commit(a, NULL), 0);
    assert_true(list_total(f, f->sys_a) == 3);
    assert_int_equal(list_after(f, f->sys_a, first, 0, got), 2);
    assert_string_equal(got[0], ra);
    assert_string_equal(got[1], rb);

    /* rolled back instead: the larger one is listed once the smaller is gone */
    assert_int_equal(kv_db_begin_concurrent(a, NULL), 0);
    insert_in_tx(a, f->sys_a, "00000000-0000-4000-8000-000000000104", 0, rc2);
    assert_int_equal(kv_db_begin_concurrent(b, NULL), 0);
    insert_in_tx(b, f->sys_a, "00000000-0000-4000-8000-000000000105", 0, rd);
    assert_int_equal(kv_db_commit(b, NULL), 0);
    assert_int_equal(list_after(f, f->sys_a, rb, 0, got), 0);
    kv_db_rollback(a);
    assert_int_equal(list_after(f, f->sys_a, rb, 0, got), 1);
    assert_string_equal(got[0], rd);
    assert_int_equal(list_after(f, f->sys_a, NULL, 1, got), 4); /* newest first */
    assert_string_equal(got[0], rd);
    assert_string_equal(got[3], first);
    f->held[0] = f->held[1] = NULL;
    kv_db_release(b);
    kv_db_release(a);
}

/* Reads push state of receipt id. */
static void push_state(struct kv_db *db, int64_t id, char state[12], int *attempts,
                       int64_t *next_ms)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    assert_int_equal(kv_db_prepare(db,
                                   "SELECT push_state, push_attempts, push_next_ms, "
                                   "push_last_error FROM receipts WHERE id = ?",
                                   &s, &err),
                     0);
    kv_stmt_bind_int64(s, 1, id);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    snprintf(state, 12, "%s", kv_stmt_col_text(s, 0) ? kv_stmt_col_text(s, 0) : "");
    *attempts = (int)kv_stmt_col_int64(s, 1);
    *next_ms = kv_stmt_col_is_null(s, 2) ? 0 : kv_stmt_col_int64(s, 2);
    if (strcmp(state, "DONE") != 0)
        assert_non_null(kv_stmt_col_text(s, 3)); /* the reason is kept */
    kv_stmt_done(s);
}

static int64_t count_events(struct kv_db *db, const char *tag)
{
    struct kv_event_query q;
    json_t *arr = NULL;
    struct kv_err err = {0};
    int64_t n;

    memset(&q, 0, sizeof(q));
    q.tag = tag;
    q.limit = 1000;
    assert_int_equal(kv_events_query(db, &q, &arr, &err), 0);
    n = (int64_t)json_array_size(arr);
    json_decref(arr);
    return n;
}

static void test_push_failures_and_give_up(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    struct kv_receipt_push_opts o = {2000, 5000, NULL};
    char st[12];
    int attempts, done = -1;
    int64_t next, before, b, c, pending;

    b = insert(f->db, f->sys_b, "10000000-0000-4000-8000-000000000001", 1);
    c = insert(f->db, f->sys_c, "10000000-0000-4000-8000-000000000002", 1);
    assert_int_equal(kv_receipts_push_pending(f->db, &pending, &err), 0);
    assert_true(pending == 2);

    before = kv_clock_now_ms();
    assert_int_equal(kv_receipts_push_due(f->st, &o, &done, &err), 0);
    assert_int_equal(done, 2);
    push_state(f->db, b, st, &attempts, &next);
    assert_string_equal(st, "PENDING");
    assert_int_equal(attempts, 1);
    assert_true(next >= before + 10000 && next <= kv_clock_now_ms() + 10000);
    push_state(f->db, c, st, &attempts, &next);
    assert_string_equal(st, "PENDING");
    assert_int_equal(attempts, 1);

    /* nothing is due before the back-off has passed */
    assert_int_equal(kv_receipts_push_due(f->st, &o, &done, &err), 0);
    assert_int_equal(done, 0);

    kv_clock_advance_ms(10001);
    before = kv_clock_now_ms(); /* not "now - 5 s" afterwards: a loaded machine takes longer */
    assert_int_equal(kv_receipts_push_due(f->st, &o, &done, &err), 0);
    assert_int_equal(done, 2);
    push_state(f->db, b, st, &attempts, &next);
    assert_int_equal(attempts, 2);
    assert_true(next >= before + 30000 && next <= kv_clock_now_ms() + 30000);
    assert_int_equal(count_events(f->db, "BUSINESS_RECEIPT_SEND_TO_SENDER_SYSTEM_FAILED"), 0);

    /* past 72 hours the next failure is final */
    kv_clock_advance_ms(KV_RECEIPT_GIVE_UP_MS);
    assert_int_equal(kv_receipts_push_due(f->st, &o, &done, &err), 0);
    assert_int_equal(done, 2);
    push_state(f->db, b, st, &attempts, &next);
    assert_string_equal(st, "FAILED");
    assert_int_equal(attempts, 3);
    push_state(f->db, c, st, &attempts, &next);
    assert_string_equal(st, "FAILED");
    assert_int_equal(count_events(f->db, "BUSINESS_RECEIPT_SEND_TO_SENDER_SYSTEM_FAILED"), 2);
    assert_int_equal(kv_receipts_push_pending(f->db, &pending, &err), 0);
    assert_true(pending == 0);

    kv_clock_advance_ms(KV_RECEIPT_GIVE_UP_MS);
    assert_int_equal(kv_receipts_push_due(f->st, &o, &done, &err), 0);
    assert_int_equal(done, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_schedule),
        cmocka_unit_test_setup_teardown(test_pull, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_waits_for_delayed_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_failures_and_give_up, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

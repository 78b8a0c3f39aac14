/* SPDX-License-Identifier: MIT
 *
 * test_events.c: the hash-chained event log: append and query (filters, paging), verify on an
 * intact chain, then tampering through raw SQL (edit a field, delete a row, insert a forged
 * row, edit a hash and re-chain one link) makes verify fail naming the sequence number; one
 * letter's events checked on their own (kv_events_verify_letter).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/events.h"
#include "store/store.h"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
};

static const char *TAGS[] = {"MEMO_SEND_RECEIVED", "MEMO_SEND_VALIDATED",
                             "MEMO_AVAILABLE_TO_RECIPIENT", "MESSAGE_READ", "MEMO_SEND_RECEIVED"};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    size_t i;

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-events-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0)
        return -1;
    if (kv_db_begin(f->db, NULL) != 0)
        return -1;
    for (i = 0; i < 5; i++) {
        struct kv_event ev = {TAGS[i],
                              i < 4 ? "6f1c0a2e-7d7b-4c1e-9a57-0b2c7a6f0d11"
                                    : "0e9e1b52-5a43-4ff7-a0a4-3c2f9b3cf1a2",
                              "sys-1", "sys-1", "cpr:2211771212",
                              i == 3 ? "{\"read\":true}" : NULL,
                              (int64_t)1700000000000 + (int64_t)i * 1000};
        if (kv_events_append(f->db, &ev, NULL) != 0)
            return -1;
    }
    if (kv_db_commit(f->db, NULL) != 0)
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

static void expect_broken(struct fx *f, int64_t seq)
{
    struct kv_err err = {0, ""};
    char want[48];
    int64_t n = -1;

    assert_int_equal(kv_events_verify(f->db, &n, &err), KV_ECONFLICT);
    snprintf(want, sizeof(want), "at seq %lld:", (long long)seq);
    if (!strstr(err.msg, want))
        fail_msg("expected \"%s\" in \"%s\"", want, err.msg);
    assert_int_equal(n, seq - 1);
}

static void test_append_query_verify(void **state)
{
    struct fx *f = *state;
    struct kv_event_query q;
    json_t *arr = NULL, *e;
    int64_t n = 0;

    assert_int_equal(kv_events_verify(f->db, &n, NULL), 0);
    assert_int_equal(n, 5);

    memset(&q, 0, sizeof(q));
    q.limit = 1000;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    assert_int_equal(json_array_size(arr), 5);
    e = json_array_get(arr, 3);
    assert_int_equal(json_integer_value(json_object_get(e, "seq")), 4);
    assert_string_equal(json_string_value(json_object_get(e, "eventTag")), "MESSAGE_READ");
    assert_string_equal(json_string_value(json_object_get(e, "eventTime")),
                        "2023-11-14T22:13:23.000Z");
    assert_true(json_is_true(json_object_get(json_object_get(e, "eventProperties"), "read")));
    assert_int_equal(strlen(json_string_value(json_object_get(e, "hash"))), 64);
    assert_int_equal(strlen(json_string_value(json_object_get(e, "eventId"))), 36);
    json_decref(arr);

    q.tag = "MEMO_SEND_RECEIVED";
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    assert_int_equal(json_array_size(arr), 2);
    json_decref(arr);
    q.tag = NULL;
    q.message_uuid = "0e9e1b52-5a43-4ff7-a0a4-3c2f9b3cf1a2";
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
    q.message_uuid = NULL;
    q.date_from_ms = 1700000001000;
    q.date_to_ms = 1700000003000; /* exclusive */
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    assert_int_equal(json_array_size(arr), 2);
    json_decref(arr);
    memset(&q, 0, sizeof(q));
    q.after_seq = 3;
    q.limit = 1;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "seq")), 4);
    json_decref(arr);
    q.limit = 0;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), KV_EINVAL);
    /* an event must have a tag */
    {
        struct kv_event bad = {NULL, NULL, NULL, NULL, NULL, NULL, 0};

        assert_int_equal(kv_events_append(f->db, &bad, NULL), KV_EINVAL);
    }
}

static void test_edit_detected(void **state)
{
    struct fx *f = *state;

    assert_int_equal(kv_db_exec(f->db, "UPDATE events SET subject = 'cpr:0101701234' WHERE seq = 3",
                                NULL),
                     0);
    expect_broken(f, 3);
}

static void test_edit_props_detected(void **state)
{
    struct fx *f = *state;

    assert_int_equal(
        kv_db_exec(f->db, "UPDATE events SET props = '{\"read\":false}' WHERE seq = 4", NULL), 0);
    expect_broken(f, 4);
}

static void test_delete_detected(void **state)
{
    struct fx *f = *state;

    assert_int_equal(kv_db_exec(f->db, "DELETE FROM events WHERE seq = 2", NULL), 0);
    expect_broken(f, 2);
}

static void test_delete_first_detected(void **state)
{
    struct fx *f = *state;

    assert_int_equal(kv_db_exec(f->db, "DELETE FROM events WHERE seq = 1", NULL), 0);
    expect_broken(f, 1);
}

static void test_insert_detected(void **state)
{
    struct fx *f = *state;

    /* a forged event appended at the end with a made-up hash */
    assert_int_equal(kv_db_exec(f->db,
                                "INSERT INTO events (seq, event_id, time_ms, tag, prev_hash, hash)"
                                " SELECT 6, 'forged', 1, 'MEMO_MESSAGE_RECALLED', hash, "
                                "'0000000000000000000000000000000000000000000000000000000000000001'"
                                " FROM events WHERE seq = 5",
                                NULL),
                     0);
    expect_broken(f, 6);
}

static void test_insert_in_gap_detected(void **state)
{
    struct fx *f = *state;

    /* delete event 3 and put a forged one in its place, correctly linked to event 2 */
    assert_int_equal(kv_db_exec(f->db,
                                "DELETE FROM events WHERE seq = 3;"
                                "INSERT INTO events (seq, event_id, time_ms, tag, prev_hash, hash)"
                                " SELECT 3, 'forged', 1, 'MESSAGE_READ', hash, hash"
                                " FROM events WHERE seq = 2",
                                NULL),
                     0);
    expect_broken(f, 3);
}

static void test_rehash_breaks_next_link(void **state)
{
    struct fx *f = *state;

    /* replacing a stored hash (e.g. after editing) breaks the link of the next event */
    assert_int_equal(kv_db_exec(f->db,
                                "UPDATE events SET hash = "
                                "'1111111111111111111111111111111111111111111111111111111111111111'"
                                " WHERE seq = 2",
                                NULL),
                     0);
    expect_broken(f, 2);
    assert_int_equal(kv_db_exec(f->db,
                                "UPDATE events SET prev_hash = "
                                "'1111111111111111111111111111111111111111111111111111111111111111'"
                                " WHERE seq = 3",
                                NULL),
                     0);
    expect_broken(f, 2); /* still: event 2's own hash no longer matches its content */
}

static void test_append_after_verify_continues_chain(void **state)
{
    struct fx *f = *state;
    struct kv_event ev = {"MEMO_MESSAGE_RECALLED", NULL, NULL, "cli", NULL, NULL, 0};
    int64_t n = 0;

    assert_int_equal(kv_db_begin(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0);
    assert_int_equal(kv_db_commit(f->db, NULL), 0);
    assert_int_equal(kv_events_verify(f->db, &n, NULL), 0);
    assert_int_equal(n, 6);
}

/* One letter's events against the chain (the evidence page of Administrativ Adgang): intact,
 * then an edit of one of them, of another letter's event, and a deletion next to them. */
#define LETTER_A "6f1c0a2e-7d7b-4c1e-9a57-0b2c7a6f0d11"
#define LETTER_B "0e9e1b52-5a43-4ff7-a0a4-3c2f9b3cf1a2"

static void test_verify_letter(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    int64_t n = -1, bad = -1;

    assert_int_equal(kv_events_verify_letter(f->db, LETTER_A, &n, &bad, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(kv_events_verify_letter(f->db, LETTER_B, &n, &bad, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(kv_events_verify_letter(f->db, "no-such-letter", &n, &bad, &err), 0);
    assert_int_equal(n, 0);
    /* another letter's event edited: A still verifies, B does not */
    assert_int_equal(kv_db_exec(f->db, "UPDATE events SET actor = 'x' WHERE seq = 5", NULL), 0);
    assert_int_equal(kv_events_verify_letter(f->db, LETTER_A, &n, &bad, &err), 0);
    assert_int_equal(kv_events_verify_letter(f->db, LETTER_B, &n, &bad, &err), KV_ECONFLICT);
    assert_int_equal(bad, 5);
    /* one of A's events edited */
    assert_int_equal(kv_db_exec(f->db, "UPDATE events SET subject = 'cpr:0101701234' WHERE seq = 2",
                                NULL),
                     0);
    assert_int_equal(kv_events_verify_letter(f->db, LETTER_A, &n, &bad, &err), KV_ECONFLICT);
    assert_int_equal(bad, 2);
    assert_non_null(strstr(err.msg, "event 2"));
}

static void test_verify_letter_removed_and_relinked(void **state)
{
    struct fx *f = *state;
    int64_t n = -1, bad = -1;

    /* an event of A removed: the one after it no longer links */
    assert_int_equal(kv_db_exec(f->db, "DELETE FROM events WHERE seq = 3", NULL), 0);
    assert_int_equal(kv_events_verify_letter(f->db, LETTER_A, &n, &bad, NULL), KV_ECONFLICT);
    assert_int_equal(bad, 4);
}

static void test_verify_letter_neighbour_rehashed(void **state)
{
    struct fx *f = *state;
    int64_t n = -1, bad = -1;

    /* the event after A's last one claims another predecessor */
    assert_int_equal(kv_db_exec(f->db,
                                "UPDATE events SET prev_hash = "
                                "'2222222222222222222222222222222222222222222222222222222222222222'"
                                " WHERE seq = 5",
                                NULL),
                     0);
    assert_int_equal(kv_events_verify_letter(f->db, LETTER_A, &n, &bad, NULL), KV_ECONFLICT);
    assert_int_equal(bad, 4);
}

/* Stored tags are shown with NgDP's catalogue: its own tags as they are, kuvert's mapped,
 * anything else UNKNOWN. */
static void test_ngdp_tags(void **state)
{
    (void)state;
    assert_true(kv_event_tag_is_ngdp("MESSAGE_READ"));
    assert_true(kv_event_tag_is_ngdp("UNKNOWN"));
    assert_false(kv_event_tag_is_ngdp("SYSTEM_CREATED"));
    assert_false(kv_event_tag_is_ngdp(NULL));
    assert_string_equal(kv_event_tag_ngdp("MESSAGE_READ"), "MESSAGE_READ");
    assert_string_equal(kv_event_tag_ngdp("SYSTEM_CREATED"), "SYSTEM_CHANGED");
    assert_string_equal(kv_event_tag_ngdp("SYSTEM_DEFAULT_CHANGED"), "SYSTEM_CHANGED");
    assert_string_equal(kv_event_tag_ngdp("MEMO_SEND_NOT_ALLOWED"), "MEMO_SEND_VALIDATION_FAILED");
    assert_string_equal(kv_event_tag_ngdp("NO_SUCH_TAG"), "UNKNOWN");
    assert_true(kv_event_tag_is_ngdp(kv_event_tag_ngdp("USER_TOKEN_CREATED")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ngdp_tags),
        cmocka_unit_test_setup_teardown(test_append_query_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_props_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_first_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_in_gap_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rehash_breaks_next_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_after_verify_continues_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_letter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_letter_removed_and_relinked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_letter_neighbour_rehashed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

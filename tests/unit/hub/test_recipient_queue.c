/* SPDX-License-Identifier: MIT
 *
 * test_recipient_queue.c: routing letters to recipient systems (contact point's system, else
 * the organisation's default; unknown, inactive or foreign points fall back; no system at all
 * is KV_ENOTFOUND; routing twice is KV_ECONFLICT) and the pull operations on the queue
 * (paging, get marks the fetch, business receipt to the sender once, delete, queue length);
 * the copied visibility (migration 008: value date, publishing, recall through the trigger)
 * and the oldest waiting letter; pull health (a list records the poll, a first fetch is a
 * successful delivery); a pull list that waits for a letter queued late by a concurrent writer
 * (PostgreSQL); and many threads fetching, answering and deleting at once through
 * the group commit (every mark kept, one receipt per letter, failures isolated).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/contact_points.h"
#include "hub/directory.h"
#include "hub/events.h"
#include "hub/letters.h"
#include "hub/receipts.h"
#include "hub/recipient_queue.h"
#include "hub/system_health.h"
#include "store/store.h"
#include "util/clock.h"

#define AUTH "55133018" /* the authority letters go to */
#define OTHER "12345674"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    char sender[37];  /* sender system of OTHER */
    char dflt[37];    /* default recipient system of AUTH */
    char second[37];  /* another recipient system of AUTH */
    char foreign[37]; /* recipient system of OTHER (no default there) */
    char point[37];   /* active contact point of AUTH -> second */
    char idle[37];    /* inactive contact point of AUTH -> second */
    char opoint[37];  /* contact point of OTHER -> foreign */
    struct kv_db *held[2]; /* connections a test holds open; teardown ends them */
};

static void add_system(struct kv_db *db, const char *org, const char *kind, int dflt, char id[37])
{
    struct kv_system s;
    struct kv_err err = {0};
    char *tok = NULL;

    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", org);
    snprintf(s.kind, sizeof(s.kind), "%s", kind);
    snprintf(s.name, sizeof(s.name), "%s %s", kind, org);
    if (strcmp(kind, "recipient") == 0)
        s.protocol = KV_PROTOCOL_PULL;
    s.is_default = dflt;
    assert_int_equal(kv_system_add(db, &s, &tok, &err), 0);
    free(tok);
    snprintf(id, 37, "%s", s.id);
}

static void add_point(struct kv_db *db, const char *org, const char *sys, int active, char id[37])
{
    struct kv_err err = {0};
    json_t *in = json_pack("{s:s,s:s,s:b}", "name", "Punkt", "systemId", sys, "active", active);
    json_t *out = NULL, *fes = NULL;

    assert_int_equal(kv_contact_point_create(db, org, NULL, in, &out, &fes, &err), 0);
    assert_null(fes);
    snprintf(id, 37, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(in);
    json_decref(out);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0};

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-rq-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    if (kv_org_add(f->db, AUTH, "Kommunen", &err) != 0 ||
        kv_org_add(f->db, OTHER, "Styrelsen", &err) != 0)
        return -1;
    add_system(f->db, OTHER, "sender", 0, f->sender);
    add_system(f->db, AUTH, "recipient", 1, f->dflt);
    add_system(f->db, AUTH, "recipient", 0, f->second);
    add_system(f->db, OTHER, "recipient", 0, f->foreign);
    add_point(f->db, AUTH, f->second, 1, f->point);
    add_point(f->db, AUTH, f->second, 0, f->idle);
    add_point(f->db, OTHER, f->foreign, 1, f->opoint);
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

/* A letters row from f->sender to recipient CVR cvr; returns its id. */
static int64_t letter(struct fx *f, const char *uuid, const char *cvr)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    int64_t id;

    assert_int_equal(
        kv_db_prepare(f->db,
                      "INSERT INTO letters (message_uuid, transmission_id, sender_system, "
                      "sender_cvr, recipient_type, recipient_id, label, message_type, "
                      "memo_version, body_sha256, body, size, state, receipt_status, created_ms) "
                      "VALUES (?, ?, ?, ?, 'CVR', ?, 'Brev', 'DIGITALPOST', '1.2', 'x', ?, ?, "
                      "'AVAILABLE', 'RECEIVED', 1) RETURNING id",
                      &s, &err),
        0);
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, "11111111-1111-4111-8111-111111111111", -1);
    kv_stmt_bind_text(s, 3, f->sender, -1);
    kv_stmt_bind_text(s, 4, OTHER, -1);
    kv_stmt_bind_text(s, 5, cvr, -1);
    kv_stmt_bind_blob(s, 6, uuid, strlen(uuid));
    kv_stmt_bind_int64(s, 7, (int64_t)strlen(uuid));
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return id;
}

static void route(struct fx *f, int64_t id, const char *cp, const char *want, int want_used)
{
    struct kv_err err = {0};
    char sys[37] = "";
    int used = -1;

    assert_int_equal(kv_recipient_pick(f->db, AUTH, cp, sys, &used, &err), 0);
    assert_int_equal(kv_recipient_queue_to(f->db, id, sys, used ? cp : NULL, &err), 0);
    assert_string_equal(sys, want);
    assert_int_equal(used, want_used);
}

static void test_routing_choice(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    char upper[37];
    size_t i;

    route(f, letter(f, "00000000-0000-4000-8000-000000000001", AUTH), f->point, f->second, 1);
    route(f, letter(f, "00000000-0000-4000-8000-000000000002", AUTH), NULL, f->dflt, 0);
    route(f, letter(f, "00000000-0000-4000-8000-000000000003", AUTH),
          "99999999-9999-4999-8999-999999999999", f->dflt, 0);
    route(f, letter(f, "00000000-0000-4000-8000-000000000004", AUTH), f->idle, f->dflt, 0);
    route(f, letter(f, "00000000-0000-4000-8000-000000000005", AUTH), f->opoint, f->dflt, 0);
    snprintf(upper, sizeof(upper), "%s", f->point);
    for (i = 0; upper[i]; i++)
        if (upper[i] >= 'a' && upper[i] <= 'f')
            upper[i] = (char)(upper[i] - 'a' + 'A');
    route(f, letter(f, "00000000-0000-4000-8000-000000000006", AUTH), upper, f->second, 1);
    /* Routing twice is refused; an organisation without a default and without a usable
     * point cannot be routed to. */
    assert_int_equal(kv_recipient_route(f->db, 1, AUTH, NULL, &err), KV_ECONFLICT);
    assert_int_equal(kv_recipient_route(f->db, letter(f, "00000000-0000-4000-8000-000000000007",
                                                      OTHER),
                                        OTHER, NULL, &err),
                     KV_ENOTFOUND);
    assert_non_null(strstr(err.msg, "default recipient system"));
    /* ... but its contact point works. */
    assert_int_equal(kv_recipient_route(f->db, 7, OTHER, f->opoint, &err), 0);
}

static void test_pull_operations(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    json_t *page = NULL;
    char *body = NULL;
    size_t len = 0;
    int64_t n = -1, rid = 0;
    char rowid[24];
    struct kv_receipt r;
    int i, repeat = 0;
    char uuid[48];

    for (i = 0; i < 5; i++) {
        snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-00000000001%c", (char)('0' + i));
        assert_int_equal(kv_recipient_route(f->db, letter(f, uuid, AUTH), AUTH, NULL, &err), 0);
    }
    assert_int_equal(kv_recipient_queue_length(f->db, f->dflt, &n, &err), 0);
    assert_true(n == 5);
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 1, 2, 0, &page, &err), 0);
    assert_int_equal(json_array_size(json_object_get(page, "content")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(page, "content"), 0)),
                        "00000000-0000-4000-8000-000000000012");
    assert_int_equal(json_integer_value(json_object_get(page, "totalPages")), 3);
    /* previous/next are PagingArguments objects, as NgDP's generated client reads them */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(page, "next"), "page")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(page, "next"), "size")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(json_object_get(page, "previous"),
                                                           "ordering"),
                                           0),
                            "direction")),
                        "ASC");
    json_decref(page);
    /* newest first */
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 0, 2, 1, &page, &err), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(page, "content"), 0)),
                        "00000000-0000-4000-8000-000000000014");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(json_object_get(page, "next"),
                                                           "ordering"),
                                           0),
                            "direction")),
                        "DESC");
    assert_true(json_is_null(json_object_get(page, "previous")));
    json_decref(page);
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 0, 0, 0, &page, &err), KV_EINVAL);
    assert_int_equal(kv_recipient_page(f->db, f->dflt, -1, 5, 0, &page, &err), KV_EINVAL);

    /* peek (HEAD): the bytes, but the letter stays QUEUED; upper case finds it too */
    assert_int_equal(kv_recipient_peek(f->db, f->dflt, "00000000-0000-4000-8000-000000000010",
                                       &body, &len, &err),
                     0);
    assert_int_equal(len, 36);
    free(body);
    assert_int_equal(kv_recipient_queue_length(f->db, f->dflt, &n, &err), 0);
    assert_true(n == 5);
    assert_int_equal(kv_recipient_peek(f->db, f->second, "00000000-0000-4000-8000-000000000010",
                                       &body, &len, &err),
                     KV_ENOTFOUND);
    assert_null(body);

    /* get: the bytes, and the first fetch leaves the QUEUED count */
    assert_int_equal(kv_recipient_get(f->db, f->dflt, "00000000-0000-4000-8000-000000000010",
                                      &body, &len, &err),
                     0);
    assert_int_equal(len, 36);
    assert_memory_equal(body, "00000000-0000-4000-8000-000000000010", 36);
    free(body);
    assert_int_equal(kv_recipient_queue_length(f->db, f->dflt, &n, &err), 0);
    assert_true(n == 4);
    assert_int_equal(kv_recipient_get(f->db, f->second, "00000000-0000-4000-8000-000000000010",
                                      &body, &len, &err),
                     KV_ENOTFOUND);
    assert_null(body);

    /* receipt: once, for the sender, with the letter's transmission id */
    assert_int_equal(kv_recipient_receipt(f->db, f->dflt, "00000000-0000-4000-8000-000000000011",
                                          "RECEIVED", NULL, NULL, &rid, NULL, &err),
                     KV_EINVAL);
    assert_int_equal(kv_recipient_receipt(f->db, f->second, "00000000-0000-4000-8000-000000000011",
                                          "COMPLETED", NULL, NULL, &rid, NULL, &err),
                     KV_ENOTFOUND);
    assert_int_equal(kv_recipient_receipt(f->db, f->dflt, "00000000-0000-4000-8000-000000000011",
                                          "INVALID", "E1", "bad", &rid, NULL, &err),
                     0);
    snprintf(rowid, sizeof(rowid), "%lld", (long long)rid);
    assert_int_equal(kv_receipt_get(f->db, f->sender, rowid, 0, &r, &err), 0);
    assert_string_equal(r.receipt_status, "INVALID");
    assert_string_equal(r.error_code, "E1");
    assert_string_equal(r.transmission_id, "11111111-1111-4111-8111-111111111111");
    assert_string_equal(r.push_state, ""); /* the sender has no receipt URL: pull only */
    assert_int_equal(kv_recipient_receipt(f->db, f->dflt, "00000000-0000-4000-8000-000000000011",
                                          "COMPLETED", NULL, NULL, &rid, NULL, &err),
                     KV_ECONFLICT);
    /* the same receipt again is the client's retry: accepted, nothing new written */
    repeat = 0;
    assert_int_equal(kv_recipient_receipt(f->db, f->dflt, "00000000-0000-4000-8000-000000000011",
                                          "INVALID", "E2", NULL, &rid, &repeat, &err),
                     0);
    assert_int_equal(repeat, 1);
    assert_true(rid == 0);

    /* delete */
    assert_int_equal(kv_recipient_delete(f->db, f->second, "00000000-0000-4000-8000-000000000012",
                                         &err),
                     KV_ENOTFOUND);
    assert_int_equal(kv_recipient_delete(f->db, f->dflt, "00000000-0000-4000-8000-000000000012",
                                         &err),
                     0);
    assert_int_equal(kv_recipient_delete(f->db, f->dflt, "00000000-0000-4000-8000-000000000012",
                                         &err),
                     KV_ENOTFOUND);
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 0, 100, 0, &page, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(page, "totalElements")), 4);
    json_decref(page);

    /* A letter waiting for its value date and a recalled one are invisible to the system. */
    assert_int_equal(kv_db_exec(f->db,
                                "UPDATE letters SET available_ms = 9000000000000 WHERE "
                                "message_uuid = '00000000-0000-4000-8000-000000000013'; "
                                "UPDATE letters SET state = 'RECALLED' WHERE "
                                "message_uuid = '00000000-0000-4000-8000-000000000014'",
                                &err),
                     0);
    for (i = 3; i <= 4; i++) {
        snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-00000000001%c", (char)('0' + i));
        assert_int_equal(kv_recipient_get(f->db, f->dflt, uuid, &body, &len, &err), KV_ENOTFOUND);
        assert_int_equal(kv_recipient_receipt(f->db, f->dflt, uuid, "COMPLETED", NULL, NULL,
                                              &rid, NULL, &err),
                         KV_ENOTFOUND);
        assert_int_equal(kv_recipient_delete(f->db, f->dflt, uuid, &err), KV_ENOTFOUND);
    }
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 0, 100, 0, &page, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(page, "totalElements")), 2);
    json_decref(page);
}

/* totalElements of the default system's list. */
static int64_t total(struct fx *f)
{
    struct kv_err err = {0};
    json_t *page = NULL;
    int64_t n;

    assert_int_equal(kv_recipient_page(f->db, f->dflt, 0, 10, 0, &page, &err), 0);
    n = (int64_t)json_integer_value(json_object_get(page, "totalElements"));
    assert_int_equal(json_array_size(json_object_get(page, "content")), n < 10 ? n : 10);
    json_decref(page);
    return n;
}

static void exec_uuid(struct fx *f, const char *sql, int64_t v, const char *uuid)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};

    assert_int_equal(kv_db_prepare(f->db, sql, &s, &err), 0);
    kv_stmt_bind_int64(s, 1, v);
    kv_stmt_bind_text(s, 2, uuid, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);
}

static void test_visibility_and_oldest(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    int64_t now = kv_clock_now_ms(), oldest = -1, id;
    const char *a = "00000000-0000-4000-8000-000000000021";
    const char *b = "00000000-0000-4000-8000-000000000022";
    const char *c = "00000000-0000-4000-8000-000000000023";
    char *body = NULL;
    size_t len;

    assert_int_equal(kv_recipient_oldest_waiting(f->db, f->dflt, now, &oldest, &err), 0);
    assert_true(oldest == 0); /* nothing waits */
    /* a: available an hour ago; b: value date tomorrow (copied at routing); c: available now */
    id = letter(f, a, AUTH);
    exec_uuid(f, "UPDATE letters SET available_ms = ? WHERE message_uuid = ?", now - 3600000, a);
    assert_int_equal(kv_recipient_route(f->db, id, AUTH, NULL, &err), 0);
    id = letter(f, b, AUTH);
    exec_uuid(f, "UPDATE letters SET state = 'AWAITING_DELAY', available_ms = ? "
                 "WHERE message_uuid = ?", now + 86400000, b);
    assert_int_equal(kv_recipient_route(f->db, id, AUTH, NULL, &err), 0);
    id = letter(f, c, AUTH);
    assert_int_equal(kv_recipient_route(f->db, id, AUTH, NULL, &err), 0);
    assert_true(total(f) == 2);
    assert_int_equal(kv_recipient_get(f->db, f->dflt, b, &body, &len, &err), KV_ENOTFOUND);
    /* The oldest waiting is c, whose available_ms is NULL: available since it was created
     * (created_ms 1 in these rows); once c is fetched, a. */
    assert_int_equal(kv_recipient_oldest_waiting(f->db, f->dflt, now, &oldest, &err), 0);
    assert_true(oldest == 1);
    assert_int_equal(kv_recipient_get(f->db, f->dflt, c, &body, &len, &err), 0);
    free(body);
    assert_int_equal(kv_recipient_oldest_waiting(f->db, f->dflt, now, &oldest, &err), 0);
    assert_true(oldest == now - 3600000);
    assert_true(total(f) == 2);

    /* The value date passes (the publisher's update goes through the trigger)... */
    exec_uuid(f, "UPDATE letters SET state = 'AVAILABLE', available_ms = ? "
                 "WHERE message_uuid = ?", now - 1000, b);
    assert_true(total(f) == 3);
    assert_int_equal(kv_recipient_get(f->db, f->dflt, b, &body, &len, &err), 0);
    free(body);
    /* ... and a recall hides a letter at once, even one already fetched. */
    exec_uuid(f, "UPDATE letters SET state = 'RECALLED', available_ms = ? "
                 "WHERE message_uuid = ?", now - 1000, a);
    assert_true(total(f) == 2);
    exec_uuid(f, "UPDATE letters SET state = 'RECALLED', available_ms = ? "
                 "WHERE message_uuid = ?", now - 1000, c);
    assert_true(total(f) == 1);
    assert_int_equal(kv_recipient_oldest_waiting(f->db, f->dflt, now, &oldest, &err), 0);
    assert_true(oldest == 0); /* a, the only one waiting, is recalled */
    /* Routing refuses a letter that does not exist. */
    assert_int_equal(kv_recipient_route(f->db, 999999, AUTH, NULL, &err), KV_ENOTFOUND);
}

/* recipient_queue_counts (migration 055, what totalElements is computed from) matches a count
 * of the queue after every kind of change: routing, first fetch, deletion through the API,
 * a row moved to another system and a row removed. Returns the number of systems checked. */
static int counts_match(struct fx *f)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    int rc, n = 0;

    /* every system with rows: the kept count equals a count (missing row = 0) */
    assert_int_equal(kv_db_prepare(f->db,
                                   "SELECT q.system_id, COUNT(*), COALESCE((SELECT SUM(c.listed) "
                                   "FROM recipient_queue_counts c WHERE c.system_id = "
                                   "q.system_id), 0) FROM recipient_queue q WHERE q.state <> "
                                   "'DELETED' GROUP BY q.system_id",
                                   &s, &err),
                     0);
    while ((rc = kv_stmt_step(s, &err)) == KV_ROW) {
        assert_true(kv_stmt_col_int64(s, 1) == kv_stmt_col_int64(s, 2));
        n++;
    }
    assert_int_equal(rc, KV_DONE);
    kv_stmt_done(s);
    /* and no system without rows keeps a count other than 0 */
    assert_int_equal(kv_db_prepare(f->db,
                                   "SELECT COUNT(*) FROM (SELECT c.system_id FROM "
                                   "recipient_queue_counts c GROUP BY c.system_id HAVING "
                                   "SUM(c.listed) <> 0) c WHERE NOT EXISTS (SELECT 1 FROM "
                                   "recipient_queue q WHERE q.system_id = c.system_id AND "
                                   "q.state <> 'DELETED')",
                                   &s, &err),
                     0);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    assert_true(kv_stmt_col_int64(s, 0) == 0);
    kv_stmt_done(s);
    return n;
}

static void test_listed_counts(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    char uuid[37];
    char *body = NULL;
    size_t len;
    int i;

    for (i = 0; i < 6; i++) {
        snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-00000000004%c", (char)('0' + i));
        assert_int_equal(kv_recipient_route(f->db, letter(f, uuid, AUTH), AUTH, NULL, &err), 0);
    }
    assert_int_equal(counts_match(f), 1);
    assert_true(total(f) == 6);
    /* first fetch (QUEUED -> DELIVERED) keeps it listed */
    assert_int_equal(kv_recipient_get(f->db, f->dflt, "00000000-0000-4000-8000-000000000040",
                                      &body, &len, &err),
                     0);
    free(body);
    assert_true(total(f) == 6);
    /* deleted through the API: no longer listed */
    assert_int_equal(kv_recipient_delete(f->db, f->dflt, "00000000-0000-4000-8000-000000000041",
                                         &err),
                     0);
    assert_true(total(f) == 5);
    /* a row moved to the other system, one removed outright, one deleted row changed again */
    assert_int_equal(kv_db_exec(f->db,
                                "UPDATE recipient_queue SET system_id = (SELECT id FROM systems "
                                "WHERE name = 'recipient " AUTH "' AND is_default = 0) WHERE "
                                "letter_id = (SELECT id FROM letters WHERE message_uuid = "
                                "'00000000-0000-4000-8000-000000000042'); "
                                "DELETE FROM recipient_queue WHERE letter_id = (SELECT id FROM "
                                "letters WHERE message_uuid = "
                                "'00000000-0000-4000-8000-000000000043'); "
                                "UPDATE recipient_queue SET attempts = 1, state = 'DELETED' "
                                "WHERE letter_id = (SELECT id FROM letters WHERE message_uuid = "
                                "'00000000-0000-4000-8000-000000000041')",
                                &err),
                     0);
    assert_int_equal(counts_match(f), 2);
    assert_true(total(f) == 3);
}

static void test_pull_health(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    struct kv_system_health h;
    json_t *page = NULL;
    char *body = NULL;
    size_t len;
    int64_t t0;

    assert_int_equal(kv_recipient_route(f->db, letter(f, "00000000-0000-4000-8000-000000000031",
                                                      AUTH),
                                        AUTH, NULL, &err),
                     0);
    assert_int_equal(kv_system_health_get(f->db, f->dflt, &h, &err), 0);
    assert_true(h.last_fetch_ms == 0 && h.last_success_ms == 0 && h.queue_length == 1);
    /* A failing state, as the health check would have set it. */
    assert_int_equal(kv_db_exec(f->db, "UPDATE systems SET failing_since_ms = 5, "
                                       "warnings_sent = 1", &err), 0);
    t0 = kv_clock_now_ms();
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 0, 10, 0, &page, &err), 0);
    json_decref(page);
    assert_int_equal(kv_system_health_get(f->db, f->dflt, &h, &err), 0);
    assert_true(h.last_fetch_ms >= t0 && h.failing_since_ms == 0 && h.warnings_sent == 0);
    assert_true(h.queue_length == 1);
    /* Another system's poll records nothing for this one. */
    assert_int_equal(kv_system_health_get(f->db, f->second, &h, &err), 0);
    assert_true(h.last_fetch_ms == 0);

    /* The first fetch is a delivery: success time, and the letter leaves the queue. */
    assert_int_equal(kv_db_exec(f->db, "UPDATE systems SET last_success_ms = 1", &err), 0);
    assert_int_equal(kv_recipient_get(f->db, f->dflt, "00000000-0000-4000-8000-000000000031",
                                      &body, &len, &err),
                     0);
    free(body);
    assert_int_equal(kv_system_health_get(f->db, f->dflt, &h, &err), 0);
    assert_true(h.last_success_ms >= t0 && h.last_fetch_ms >= t0 && h.queue_length == 0);
    /* A refetch is not another delivery (success time unchanged, nothing written). */
    assert_int_equal(kv_db_exec(f->db, "UPDATE systems SET last_success_ms = 7", &err), 0);
    assert_int_equal(kv_recipient_get(f->db, f->dflt, "00000000-0000-4000-8000-000000000031",
                                      &body, &len, &err),
                     0);
    free(body);
    assert_int_equal(kv_system_health_get(f->db, f->dflt, &h, &err), 0);
    assert_true(h.last_success_ms == 7);
}

/* ---- many threads at once through the group commit ---- */

#define THREADS 8
#define PER_THREAD 40

struct worker {
    struct fx *f;    /* shared fixture (its store) */
    int idx;         /* thread number */
    int got;         /* letters fetched */
    int receipts;    /* receipts accepted for the shared letter */
    int conflicts;   /* repeats of the one accepted receipt for the shared letter */
    int deleted;     /* deletes accepted */
    int own;         /* receipts accepted for the thread's own letters */
};

static void uuid_n(int n, char out[37])
{
    snprintf(out, 37, "00000000-0000-4000-8000-%012d", 1000 + n);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    char uuid[37], *body;
    size_t len;
    int i, rc, repeat = 0;

    if (kv_db_acquire(w->f->st, &db, &err) != 0)
        return NULL;
    for (i = 0; i < PER_THREAD; i++) {
        uuid_n(w->idx * PER_THREAD + i, uuid);
        body = NULL;
        if (kv_recipient_get(db, w->f->dflt, uuid, &body, &len, &err) == 0 && len == 36 &&
            memcmp(body, uuid, 36) == 0)
            w->got++;
        free(body);
        /* Every thread answers the same letter: exactly one receipt is accepted. */
        rc = kv_recipient_receipt(db, w->f->dflt, "00000000-0000-4000-8000-000000000999",
                                  "COMPLETED", NULL, NULL, NULL, &repeat, &err);
        w->receipts += rc == 0 && !repeat;
        w->conflicts += rc == 0 && repeat; /* the others are retries of the same receipt */
        /* Every second letter is deleted again; the others get a receipt of their own, so
         * batches append several events (chained through the batch's head cache). */
        if (i % 2 == 0 && kv_recipient_delete(db, w->f->dflt, uuid, &err) == 0)
            w->deleted++;
        if (i % 2 == 1 && kv_recipient_receipt(db, w->f->dflt, uuid, "INVALID", "E1", NULL,
                                               NULL, NULL, &err) == 0)
            w->own++;
    }
    kv_db_release(db);
    return NULL;
}

static void test_concurrent_group_commit(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    struct worker w[THREADS];
    pthread_t th[THREADS];
    char uuid[37];
    int64_t n = -1, events = -1;
    int i, got = 0, receipts = 0, conflicts = 0, deleted = 0, own = 0;

    assert_int_equal(kv_db_begin(f->db, &err), 0);
    for (i = 0; i < THREADS * PER_THREAD; i++) {
        uuid_n(i, uuid);
        assert_int_equal(kv_recipient_route(f->db, letter(f, uuid, AUTH), AUTH, NULL, &err), 0);
    }
    assert_int_equal(kv_recipient_route(f->db, letter(f, "00000000-0000-4000-8000-000000000999",
                                                      AUTH),
                                        AUTH, NULL, &err),
                     0);
    assert_int_equal(kv_db_commit(f->db, &err), 0);
    for (i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].f = f;
        w[i].idx = i;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        got += w[i].got;
        receipts += w[i].receipts;
        conflicts += w[i].conflicts;
        deleted += w[i].deleted;
        own += w[i].own;
    }
    assert_int_equal(got, THREADS * PER_THREAD);
    assert_int_equal(receipts, 1);
    assert_int_equal(conflicts, THREADS * PER_THREAD - 1);
    assert_int_equal(deleted, THREADS * PER_THREAD / 2);
    /* Every mark was kept: nothing is QUEUED any more (the shared letter was acknowledged). */
    assert_int_equal(kv_recipient_queue_length(f->db, f->dflt, &n, &err), 0);
    assert_true(n == 0);
    assert_true(total(f) == THREADS * PER_THREAD / 2 + 1);
    /* One event per accepted receipt, and the hash chain is whole. */
    assert_int_equal(own, THREADS * PER_THREAD / 2);
    assert_int_equal(kv_events_verify(f->db, &events, &err), 0);
    assert_true(events >= own + 1);
}

/* The messageUUIDs of f->dflt's pull list after letter after (NULL: from the start; desc:
 * newest first) into uuids (up to 8); their count. The system's poll is first recorded as
 * just done and successful, so the list writes nothing (note_fetch) and never waits for the
 * write lock an open writer of the test holds. */
static size_t pull_after(struct fx *f, const char *after, int desc, char uuids[8][37])
{
    struct kv_err err = {0};
    struct kv_stmt *s = NULL;
    json_t *page = NULL, *c;
    size_t i, n;

    assert_int_equal(kv_db_prepare(f->db,
                                   "UPDATE systems SET last_fetch_ms = ?, last_success_ms = ?, "
                                   "failing_since_ms = NULL, warnings_sent = 0 WHERE id = ?",
                                   &s, &err),
                     0);
    kv_stmt_bind_int64(s, 1, kv_clock_now_ms());
    kv_stmt_bind_int64(s, 2, kv_clock_now_ms());
    kv_stmt_bind_text(s, 3, f->dflt, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);
    assert_int_equal(kv_recipient_page_after(f->db, f->dflt, 0, 8, desc, after, 0, &page, &err),
                     0);
    c = json_object_get(page, "content");
    n = json_array_size(c);
    assert_true(n <= 8);
    for (i = 0; i < n; i++)
        snprintf(uuids[i], 37, "%s", json_string_value(json_array_get(c, i)));
    json_decref(page);
    return n;
}

/* The queue id of letter letter_id as db sees it. */
static int64_t queue_id(struct kv_db *db, int64_t letter_id)
{
    struct kv_err err = {0};
    struct kv_stmt *s = NULL;
    int64_t id;

    assert_int_equal(
        kv_db_prepare(db, "SELECT id FROM recipient_queue WHERE letter_id = ?", &s, &err), 0);
    kv_stmt_bind_int64(s, 1, letter_id);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return id;
}

/* Moves the queue row of letter letter_id to system sys, in db's transaction. */
static void move_row(struct kv_db *db, int64_t letter_id, const char *sys)
{
    struct kv_err err = {0};
    struct kv_stmt *s = NULL;

    assert_int_equal(kv_db_prepare(db, "UPDATE recipient_queue SET system_id = ? "
                                       "WHERE letter_id = ?", &s, &err), 0);
    kv_stmt_bind_text(s, 1, sys, -1);
    kv_stmt_bind_int64(s, 2, letter_id);
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);
    assert_int_equal(kv_db_changes(db), 1);
}

/* Concurrent writers (kv_db_begin_concurrent, PostgreSQL) commit queue ids out of order: a
 * system that pages by `after` must not be handed a letter while one with a smaller queue id
 * is still uncommitted (its next page would step over that one for good). A queues a letter
 * and holds it open (after an event, so its transaction fences two sequences); B queues one
 * with a larger id and commits; the list shows neither until A commits, then both in order.
 * The same with A rolled back: then B's appears. A queues for another system first and moves
 * its row over once B has committed: two open inserts for one system meet on its counts row
 * (migration 055), which lets the second wait after drawing its id, in any order; this makes
 * the order fixed. On SQLite one writer at a time commits in id order: the horizon is
 * unbounded. */
static void test_pull_list_waits_for_delayed_commit(void **state)
{
    static const char U1[] = "00000000-0000-4000-8000-000000000201",
                      UA[] = "00000000-0000-4000-8000-000000000202",
                      UB[] = "00000000-0000-4000-8000-000000000203",
                      UC[] = "00000000-0000-4000-8000-000000000204",
                      UD[] = "00000000-0000-4000-8000-000000000205";
    struct fx *f = *state;
    struct kv_db *a = NULL, *b = NULL;
    struct kv_err err = {0};
    struct kv_event ev = {"MESSAGE_READ", NULL, NULL, "hub", NULL, NULL, 0};
    char got[8][37];
    int64_t h = 0, la, lb, lc, ld;

    assert_int_equal(kv_recipient_route(f->db, letter(f, U1, AUTH), AUTH, NULL, &err), 0);
    la = letter(f, UA, AUTH);
    lb = letter(f, UB, AUTH);
    lc = letter(f, UC, AUTH);
    ld = letter(f, UD, AUTH);
    assert_int_equal(kv_db_sequence_horizon(f->db, "recipient_queue_id_seq", &h, NULL), 0);
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
    assert_int_equal(kv_recipient_queue_to(a, la, f->second, NULL, &err), 0);
    assert_int_equal(kv_db_begin_concurrent(b, NULL), 0);
    assert_int_equal(kv_recipient_queue_to(b, lb, f->dflt, NULL, &err), 0);
    assert_int_equal(kv_db_commit(b, NULL), 0);
    move_row(a, la, f->dflt);
    assert_true(queue_id(a, la) < queue_id(a, lb)); /* A's own row, B's committed one */
    /* B's row is committed, but A's smaller queue id may still come: in no order, by no
     * cursor */
    assert_int_equal(pull_after(f, U1, 0, got), 0);
    assert_int_equal(pull_after(f, NULL, 0, got), 1);
    assert_string_equal(got[0], U1);
    assert_int_equal(pull_after(f, NULL, 1, got), 1);
    assert_string_equal(got[0], U1);
    /* and totalElements counts what the pages show: not B's yet (before, 2 against a page
     * of 1) */
    assert_true(total(f) == 1);
    assert_int_equal(kv_db_commit(a, NULL), 0);
    assert_true(total(f) == 3);
    assert_int_equal(pull_after(f, U1, 0, got), 2);
    assert_string_equal(got[0], UA);
    assert_string_equal(got[1], UB);

    /* rolled back instead: the larger one is listed once the smaller is gone */
    assert_int_equal(kv_db_begin_concurrent(a, NULL), 0);
    assert_int_equal(kv_recipient_queue_to(a, lc, f->second, NULL, &err), 0);
    assert_int_equal(kv_db_begin_concurrent(b, NULL), 0);
    assert_int_equal(kv_recipient_queue_to(b, ld, f->dflt, NULL, &err), 0);
    assert_int_equal(kv_db_commit(b, NULL), 0);
    move_row(a, lc, f->dflt);
    assert_int_equal(pull_after(f, UB, 0, got), 0);
    assert_true(total(f) == 3);
    kv_db_rollback(a);
    assert_true(total(f) == 4);
    assert_int_equal(pull_after(f, UB, 0, got), 1);
    assert_string_equal(got[0], UD);
    assert_int_equal(pull_after(f, NULL, 1, got), 4); /* newest first */
    assert_string_equal(got[0], UD);
    assert_string_equal(got[3], U1);
    f->held[0] = f->held[1] = NULL;
    kv_db_release(b);
    kv_db_release(a);
}

/* A value-dated letter (migration 064): neither visible nor listed while it waits; the
 * publisher (kv_letters_publish_due) gives its queue row a new id, so a system that paged
 * past the letters queued after it finds it after its cursor. On PostgreSQL the new id is
 * drawn under the fence: while the publishing transaction is open, a letter queued and
 * committed after it is listed by no cursor (it would let the system step past the
 * published one); then both, in order. */
static void test_value_date_takes_its_place_when_published(void **state)
{
    static const char UD[] = "00000000-0000-4000-8000-000000000301",
                      U1[] = "00000000-0000-4000-8000-000000000302",
                      U2[] = "00000000-0000-4000-8000-000000000303",
                      UE[] = "00000000-0000-4000-8000-000000000304",
                      UF[] = "00000000-0000-4000-8000-000000000305";
    struct fx *f = *state;
    struct kv_db *a = NULL, *b = NULL;
    struct kv_err err = {0};
    struct kv_stmt *s = NULL;
    char got[8][37], *body = NULL;
    size_t len;
    int64_t now = kv_clock_now_ms(), ld, le, lf, old_id;
    int n = 0;

    ld = letter(f, UD, AUTH);
    exec_uuid(f, "UPDATE letters SET state = 'AWAITING_DELAY', available_ms = ? "
                 "WHERE message_uuid = ?", now + 3600000, UD);
    assert_int_equal(kv_recipient_route(f->db, ld, AUTH, NULL, &err), 0);
    old_id = queue_id(f->db, ld);
    assert_int_equal(kv_recipient_route(f->db, letter(f, U1, AUTH), AUTH, NULL, &err), 0);
    assert_int_equal(kv_recipient_route(f->db, letter(f, U2, AUTH), AUTH, NULL, &err), 0);
    assert_int_equal(pull_after(f, NULL, 0, got), 2);
    assert_string_equal(got[1], U2);
    assert_int_equal(kv_recipient_get(f->db, f->dflt, UD, &body, &len, &err), KV_ENOTFOUND);
    /* its date passes: still not visible until it is published (no cursor could hold it) */
    exec_uuid(f, "UPDATE letters SET available_ms = ? WHERE message_uuid = ?", now - 1000, UD);
    assert_int_equal(pull_after(f, U2, 0, got), 0);
    assert_true(total(f) == 2);
    assert_int_equal(kv_letters_publish_due(f->db, now, 10, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(queue_id(f->db, ld) > old_id);
    assert_int_equal(pull_after(f, U2, 0, got), 1);
    assert_string_equal(got[0], UD);
    assert_true(total(f) == 3);
    assert_int_equal(pull_after(f, NULL, 1, got), 3); /* newest first: the published one */
    assert_string_equal(got[0], UD);
    assert_int_equal(kv_recipient_get(f->db, f->dflt, UD, &body, &len, &err), 0);
    free(body);
    body = NULL;
    if (!kv_test_on_pg())
        return;

    /* PostgreSQL: A publishes E (its new id drawn under the fence) and stays open; B queues
     * F, whose id is larger, and commits. */
    le = letter(f, UE, AUTH);
    exec_uuid(f, "UPDATE letters SET state = 'AWAITING_DELAY', available_ms = ? "
                 "WHERE message_uuid = ?", now + 3600000, UE);
    assert_int_equal(kv_recipient_route(f->db, le, AUTH, NULL, &err), 0);
    lf = letter(f, UF, AUTH);
    assert_int_equal(kv_db_acquire(f->st, &a, NULL), 0);
    f->held[0] = a;
    assert_int_equal(kv_db_acquire(f->st, &b, NULL), 0);
    f->held[1] = b;
    assert_int_equal(kv_db_begin_concurrent(a, NULL), 0);
    assert_int_equal(kv_db_prepare(a, "UPDATE letters SET state = 'AVAILABLE', available_ms = ? "
                                      "WHERE id = ?", &s, &err), 0);
    kv_stmt_bind_int64(s, 1, now - 1000);
    kv_stmt_bind_int64(s, 2, le);
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);
    assert_int_equal(kv_recipient_publish(a, le, &err), 0);
    assert_int_equal(kv_db_begin_concurrent(b, NULL), 0);
    assert_int_equal(kv_recipient_queue_to(b, lf, f->dflt, NULL, &err), 0);
    assert_int_equal(kv_db_commit(b, NULL), 0);
    assert_true(queue_id(a, le) < queue_id(f->db, lf)); /* drawn after E's */
    assert_int_equal(pull_after(f, UD, 0, got), 0);
    assert_int_equal(kv_db_commit(a, NULL), 0);
    assert_int_equal(pull_after(f, UD, 0, got), 2);
    assert_string_equal(got[0], UE);
    assert_string_equal(got[1], UF);
    f->held[0] = f->held[1] = NULL;
    kv_db_release(b);
    kv_db_release(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routing_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_operations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visibility_and_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listed_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_health, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_list_waits_for_delayed_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_value_date_takes_its_place_when_published, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

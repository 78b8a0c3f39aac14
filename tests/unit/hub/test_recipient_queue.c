/* SPDX-License-Identifier: MIT
 *
 * test_recipient_queue.c: routing letters to recipient systems (contact point's system, else
 * the organisation's default; unknown, inactive or foreign points fall back; no system at all
 * is KV_ENOTFOUND; routing twice is KV_ECONFLICT) and the pull operations on the queue
 * (paging, get marks the fetch, business receipt to the sender once, delete, queue length).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hub/contact_points.h"
#include "hub/directory.h"
#include "hub/receipts.h"
#include "hub/recipient_queue.h"
#include "store/store.h"

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
        snprintf(s.protocol, sizeof(s.protocol), "pull");
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

    assert_int_equal(kv_contact_point_create(db, org, in, &out, &fes, &err), 0);
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
    if (!mkdtemp(f->dir) || kv_store_open(f->dir, &f->st, &err) != 0 ||
        kv_db_acquire(f->st, &f->db, &err) != 0) {
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
    char cmd[128];

    kv_db_release(f->db);
    kv_store_close(f->st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* A letters row from f->sender to recipient CVR cvr; returns its id. */
static int64_t letter(struct fx *f, const char *uuid, const char *cvr)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};

    assert_int_equal(
        kv_db_prepare(f->db,
                      "INSERT INTO letters (message_uuid, transmission_id, sender_system, "
                      "sender_cvr, recipient_type, recipient_id, label, message_type, "
                      "memo_version, body_sha256, body, size, state, receipt_status, created_ms) "
                      "VALUES (?, ?, ?, ?, 'CVR', ?, 'Brev', 'DIGITALPOST', '1.2', 'x', ?, ?, "
                      "'AVAILABLE', 'RECEIVED', 1)",
                      &s, &err),
        0);
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, "11111111-1111-4111-8111-111111111111", -1);
    kv_stmt_bind_text(s, 3, f->sender, -1);
    kv_stmt_bind_text(s, 4, OTHER, -1);
    kv_stmt_bind_text(s, 5, cvr, -1);
    kv_stmt_bind_blob(s, 6, uuid, strlen(uuid));
    kv_stmt_bind_int64(s, 7, (int64_t)strlen(uuid));
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);
    return kv_db_last_insert_id(f->db);
}

static void route(struct fx *f, int64_t id, const char *cp, const char *want, int want_used)
{
    struct kv_err err = {0};
    char sys[37] = "";
    int used = -1;

    assert_int_equal(kv_recipient_route_ex(f->db, id, AUTH, cp, sys, &used, &err), 0);
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
    struct kv_receipt r;
    int i;
    char uuid[48];

    for (i = 0; i < 5; i++) {
        snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-00000000001%c", (char)('0' + i));
        assert_int_equal(kv_recipient_route(f->db, letter(f, uuid, AUTH), AUTH, NULL, &err), 0);
    }
    assert_int_equal(kv_recipient_queue_length(f->db, f->dflt, &n, &err), 0);
    assert_true(n == 5);
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 1, 2, &page, &err), 0);
    assert_int_equal(json_array_size(json_object_get(page, "content")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(page, "content"), 0)),
                        "00000000-0000-4000-8000-000000000012");
    assert_int_equal(json_integer_value(json_object_get(page, "totalPages")), 3);
    json_decref(page);
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 0, 0, &page, &err), KV_EINVAL);
    assert_int_equal(kv_recipient_page(f->db, f->dflt, -1, 5, &page, &err), KV_EINVAL);

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
                                          "RECEIVED", NULL, NULL, &rid, &err),
                     KV_EINVAL);
    assert_int_equal(kv_recipient_receipt(f->db, f->second, "00000000-0000-4000-8000-000000000011",
                                          "COMPLETED", NULL, NULL, &rid, &err),
                     KV_ENOTFOUND);
    assert_int_equal(kv_recipient_receipt(f->db, f->dflt, "00000000-0000-4000-8000-000000000011",
                                          "INVALID", "E1", "bad", &rid, &err),
                     0);
    assert_int_equal(kv_receipt_get(f->db, f->sender, rid, 0, &r, &err), 0);
    assert_string_equal(r.receipt_status, "INVALID");
    assert_string_equal(r.error_code, "E1");
    assert_string_equal(r.transmission_id, "11111111-1111-4111-8111-111111111111");
    assert_string_equal(r.push_state, ""); /* the sender has no receipt URL: pull only */
    assert_int_equal(kv_recipient_receipt(f->db, f->dflt, "00000000-0000-4000-8000-000000000011",
                                          "COMPLETED", NULL, NULL, &rid, &err),
                     KV_ECONFLICT);

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
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 0, 100, &page, &err), 0);
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
                                              &rid, &err),
                         KV_ENOTFOUND);
        assert_int_equal(kv_recipient_delete(f->db, f->dflt, uuid, &err), KV_ENOTFOUND);
    }
    assert_int_equal(kv_recipient_page(f->db, f->dflt, 0, 100, &page, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(page, "totalElements")), 2);
    json_decref(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routing_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_operations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

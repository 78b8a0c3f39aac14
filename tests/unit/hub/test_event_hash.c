/* SPDX-License-Identifier: MIT
 *
 * test_event_hash.c: the canonical forms of an event hash are fixed (events.c: version 1 for
 * the single chain written before partitions, version 2 since), so chains written by any
 * earlier build keep verifying. Rows whose hashes this test computes itself from the
 * documented forms (integers printed with printf, including negative and extreme times) must
 * verify, and appends chain on after them.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/events.h"
#include "store/store.h"
#include "util/crypto.h"

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

/* Appends one canonical field ("N" or "S<len>:<bytes>") to buf at *o. */
static void field(char *buf, size_t cap, size_t *o, const char *v)
{
    int n = v ? snprintf(buf + *o, cap - *o, "S%zu:%s", strlen(v), v)
              : snprintf(buf + *o, cap - *o, "N");

    assert_true(n > 0 && (size_t)n < cap - *o);
    *o += (size_t)n;
}

/* Inserts an event row with the hash of the documented canonical form; out = its hash.
 * pseq 0: version 1 (an event written before partitions: pseq NULL, partition 0); else
 * version 2 at position pseq of partition part. */
static void insert_row(struct kv_db *db, int64_t seq, int64_t part, int64_t pseq, const char *id,
                       int64_t time_ms, const char *props, const char *prev,
                       char out[KV_SHA256_HEX_LEN + 1])
{
    char buf[1024], num[4][32];
    size_t o = 0;
    struct kv_stmt *s;

    snprintf(num[0], sizeof(num[0]), "%" PRId64, seq);
    snprintf(num[1], sizeof(num[1]), "%" PRId64, time_ms);
    snprintf(num[2], sizeof(num[2]), "%" PRId64, part);
    snprintf(num[3], sizeof(num[3]), "%" PRId64, pseq);
    o = (size_t)snprintf(buf, sizeof(buf), pseq ? "kuvert-event-v2\n" : "kuvert-event-v1\n");
    field(buf, sizeof(buf), &o, num[0]);
    if (pseq) {
        field(buf, sizeof(buf), &o, num[2]);
        field(buf, sizeof(buf), &o, num[3]);
    }
    field(buf, sizeof(buf), &o, id);
    field(buf, sizeof(buf), &o, num[1]);
    field(buf, sizeof(buf), &o, "MEMO_SEND_RECEIVED");
    field(buf, sizeof(buf), &o, "8c2ea15d-61fb-4ba9-9366-42f8b194c114");
    field(buf, sizeof(buf), &o, NULL);
    field(buf, sizeof(buf), &o, "cli");
    field(buf, sizeof(buf), &o, "cpr:2211771212");
    field(buf, sizeof(buf), &o, props);
    field(buf, sizeof(buf), &o, prev);
    kv_sha256_hex(buf, o, out);
    assert_int_equal(kv_db_prepare(db,
                                   "INSERT INTO events (seq, event_id, time_ms, tag, message_uuid,"
                                   " system_id, actor, subject, props, prev_hash, hash, part,"
                                   " pseq) VALUES (?, ?, ?, 'MEMO_SEND_RECEIVED',"
                                   " '8c2ea15d-61fb-4ba9-9366-42f8b194c114', NULL, 'cli',"
                                   " 'cpr:2211771212', ?, ?, ?, ?, ?)",
                                   &s, NULL),
                     0);
    kv_stmt_bind_int64(s, 1, seq);
    kv_stmt_bind_text(s, 2, id, -1);
    kv_stmt_bind_int64(s, 3, time_ms);
    kv_stmt_bind_text(s, 4, props, -1);
    kv_stmt_bind_text(s, 5, prev, -1);
    kv_stmt_bind_text(s, 6, out, -1);
    kv_stmt_bind_int64(s, 7, part);
    if (pseq)
        kv_stmt_bind_int64(s, 8, pseq);
    else
        kv_stmt_bind_null(s, 8);
    assert_int_equal(kv_stmt_step(s, NULL), KV_DONE);
    kv_stmt_done(s);
}

/* Sets partition part's head row as an append would have. */
static void set_head(struct kv_db *db, int64_t part, int64_t pseq, int64_t seq, const char *hash)
{
    struct kv_stmt *s;

    assert_int_equal(
        kv_db_prepare(db, "UPDATE event_chains SET pseq = ?, seq = ?, hash = ? WHERE part = ?",
                      &s, NULL),
        0);
    kv_stmt_bind_int64(s, 1, pseq);
    kv_stmt_bind_int64(s, 2, seq);
    kv_stmt_bind_text(s, 3, hash, -1);
    kv_stmt_bind_int64(s, 4, part);
    assert_int_equal(kv_stmt_step(s, NULL), KV_DONE);
    kv_stmt_done(s);
}

/* Events of the single chain written before partitions (version 1, as migration 053 leaves
 * them: partition 0, its head their last) verify, and partition 0 continues after them. */
static void test_documented_form_verifies(void **state)
{
    char dir[] = "/tmp/kv-test-evhash-XXXXXX";
    char h1[KV_SHA256_HEX_LEN + 1], h2[KV_SHA256_HEX_LEN + 1], h3[KV_SHA256_HEX_LEN + 1];
    char h4[KV_SHA256_HEX_LEN + 1], h5[KV_SHA256_HEX_LEN + 1];
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_event ev = {"MESSAGE_READ", NULL, NULL, "hub", NULL, "{\"n\":1}", 1700000000000};
    int64_t n = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(kv_test_store_open(dir, &st, NULL), 0);
    assert_int_equal(kv_db_acquire(st, &db, NULL), 0);
    assert_int_equal(kv_db_exec(db, "DELETE FROM events", NULL), 0); /* setup's own, if any */
    assert_int_equal(kv_db_exec(db, "UPDATE event_chains SET pseq = 0, seq = 0, hash = '" ZERO64
                                    "'",
                                NULL),
                     0);
    assert_int_equal(kv_db_begin(db, NULL), 0);
    /* version 1: seq 1..3 of the single chain */
    insert_row(db, 1, 0, 0, "11111111-1111-4111-8111-111111111111", -5, NULL, ZERO64, h1);
    insert_row(db, 2, 0, 0, "22222222-2222-4222-8222-222222222222", INT64_MAX, "{\"a\":\"b\"}",
               h1, h2);
    insert_row(db, 3, 0, 0, "33333333-3333-4333-8333-333333333333", INT64_MIN, "", h2, h3);
    /* version 2: partition 0 goes on at position 4; partition 7 starts at position 1 */
    insert_row(db, 4, 0, 4, "44444444-4444-4444-8444-444444444444", 1, NULL, h3, h4);
    insert_row(db, 5, 7, 1, "55555555-5555-4555-8555-555555555555", 2, NULL, ZERO64, h5);
    set_head(db, 0, 4, 4, h4);
    set_head(db, 7, 1, 5, h5);
    assert_int_equal(kv_db_commit(db, NULL), 0);
    if (strcmp(kv_store_backend(st), "postgresql") == 0) /* rows written past the sequence */
        assert_int_equal(kv_db_exec(db, "SELECT setval('events_seq_seq', 5)", NULL), 0);
    if (kv_events_verify(db, &n, &err) != 0)
        fail_msg("documented form rejected: %s", err.msg);
    assert_int_equal(n, 5);

    /* Appends, with and without the writer's chain-head cache, chain on after them. */
    assert_int_equal(kv_db_begin(db, NULL), 0);
    assert_int_equal(kv_events_append(db, &ev, NULL), 0);
    kv_events_head_begin(db);
    assert_int_equal(kv_events_append(db, &ev, NULL), 0);
    assert_int_equal(kv_events_append(db, &ev, NULL), 0);
    assert_int_equal(kv_events_head_end(db, NULL), 0);
    assert_int_equal(kv_db_commit(db, NULL), 0);
    if (kv_events_verify(db, &n, &err) != 0)
        fail_msg("chain broken after appends: %s", err.msg);
    assert_int_equal(n, 8);

    /* a version-2 event changed into a version-1 one (pseq removed) no longer verifies */
    assert_int_equal(kv_db_exec(db, "UPDATE events SET pseq = NULL WHERE seq = 5", NULL), 0);
    assert_int_equal(kv_events_verify(db, &n, &err), KV_ECONFLICT);
    assert_non_null(strstr(err.msg, "seq 5"));

    kv_db_release(db);
    kv_store_close(st);
    assert_int_equal(kv_test_store_drop(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_form_verifies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

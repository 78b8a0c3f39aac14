/* SPDX-License-Identifier: MIT
 *
 * test_events.c: the hash-chained event log: append and query (filters, paging), verify on an
 * intact chain, then tampering through raw SQL (edit a field, delete a row, insert a forged
 * row, edit a hash and re-chain one link) makes verify fail naming the sequence number; one
 * letter's events checked on their own (kv_events_verify_letter). With events in several
 * partitions: a row moved to another partition, rows reordered, a row deleted in the middle,
 * the tail of one partition cut (found by its head, then by the checkpoint), a checkpoint
 * edited; and a second writer appending while the first holds its partition (PostgreSQL);
 * a reader that does not see a later seq while an earlier one is uncommitted, and an append
 * seen blocked on a lock when more transactions than partitions append at once (PostgreSQL).
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/events.h"
#include "hub/events_int.h"
#include "store/store.h"
#include "util/crypto.h"

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
    assert_int_equal(bad, 2); /* the event after 2 in its partition is gone */
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

/* ---- several partitions ---- */

struct thread_append {
    struct kv_store *st;
    const char *tag;
    int n;  /* events, in one transaction */
    int rc;
};

/* Appends in a thread of its own: each thread prefers another partition. */
static void *append_thread(void *arg)
{
    struct thread_append *t = arg;
    struct kv_db *db = NULL;
    int i;

    t->rc = kv_db_acquire(t->st, &db, NULL);
    if (t->rc == 0)
        t->rc = kv_db_begin(db, NULL);
    for (i = 0; t->rc == 0 && i < t->n; i++) {
        struct kv_event ev = {t->tag, LETTER_A, "sys-1", "sys-1", "cpr:2211771212", NULL, 0};

        t->rc = kv_events_append(db, &ev, NULL);
    }
    if (t->rc == 0)
        t->rc = kv_db_commit(db, NULL);
    if (db)
        kv_db_release(db);
    return NULL;
}

static void append_elsewhere(struct fx *f, const char *tag, int n)
{
    struct thread_append t = {f->st, tag, n, -1};
    pthread_t th;

    assert_int_equal(pthread_create(&th, NULL, append_thread, &t), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.rc, 0);
}

static int64_t col_at(struct fx *f, const char *sql, int64_t seq)
{
    struct kv_stmt *s;
    int64_t v = -1;

    assert_int_equal(kv_db_prepare(f->db, sql, &s, NULL), 0);
    kv_stmt_bind_int64(s, 1, seq);
    if (kv_stmt_step(s, NULL) == KV_ROW)
        v = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return v;
}

static void exec_seq(struct fx *f, const char *sql, int64_t a)
{
    struct kv_stmt *s;

    assert_int_equal(kv_db_prepare(f->db, sql, &s, NULL), 0);
    kv_stmt_bind_int64(s, 1, a);
    assert_int_equal(kv_stmt_step(s, NULL), KV_DONE);
    kv_stmt_done(s);
}

/* Setup's 5 events (one partition), then 3 in a second and 2 in a third, interleaved with
 * one more in the first: seq 1-5 P, 6-8 Q, 9-10 R, 11 P. */
static void spread(struct fx *f, struct kv_event_chain_report *rep)
{
    struct kv_err err = {0, ""};
    struct kv_event ev = {"MESSAGE_READ", LETTER_B, "sys-1", "hub", NULL, NULL, 0};

    append_elsewhere(f, "MESSAGE_READ", 3);
    append_elsewhere(f, "MESSAGE_UNREAD", 2);
    assert_int_equal(kv_db_begin(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0);
    assert_int_equal(kv_db_commit(f->db, NULL), 0);
    if (kv_events_verify_chains(f->db, rep, &err) != 0)
        fail_msg("intact log rejected: %s", err.msg);
}

static size_t parts_used(const struct kv_event_chain_report *rep)
{
    size_t i, n = 0;

    for (i = 0; i < rep->n_parts; i++)
        n += rep->parts[i].events > 0;
    return n;
}

static void expect_chain_broken(struct fx *f, int64_t seq, const char *what)
{
    struct kv_event_chain_report *rep = calloc(1, sizeof(*rep));
    struct kv_err err = {0, ""};

    assert_int_equal(kv_events_verify_chains(f->db, rep, &err), KV_ECONFLICT);
    if (rep->broken_seq != seq || !strstr(err.msg, what))
        fail_msg("expected seq %lld and \"%s\", got seq %lld: %s", (long long)seq, what,
                 (long long)rep->broken_seq, err.msg);
    free(rep);
}

static void test_partitions_verify(void **state)
{
    struct fx *f = *state;
    struct kv_event_chain_report *rep = calloc(1, sizeof(*rep));
    int64_t letter_n = 0, bad = 0;
    size_t i;

    spread(f, rep);
    assert_int_equal(rep->events, 11);
    assert_int_equal(rep->n_parts, 16);
    assert_int_equal(parts_used(rep), 3);
    for (i = 0; i < rep->n_parts; i++)
        if (rep->parts[i].events)
            assert_int_equal(rep->parts[i].head_pseq, rep->parts[i].events);
    /* seq 1 and 11 share a partition at positions 1 and 6 */
    assert_int_equal(col_at(f, "SELECT part FROM events WHERE seq = ?", 11),
                     col_at(f, "SELECT part FROM events WHERE seq = ?", 1));
    assert_int_equal(col_at(f, "SELECT pseq FROM events WHERE seq = ?", 11), 6);
    assert_int_equal(col_at(f, "SELECT pseq FROM events WHERE seq = ?", 8), 3);
    /* a letter whose events lie in several partitions verifies */
    assert_int_equal(kv_events_verify_letter(f->db, LETTER_A, &letter_n, &bad, NULL), 0);
    assert_int_equal(letter_n, 9);
    free(rep);
}

static void test_partition_row_moved(void **state)
{
    struct fx *f = *state;
    struct kv_event_chain_report *rep = calloc(1, sizeof(*rep));
    int64_t p;

    spread(f, rep);
    /* event 7 (second of its partition) moved to the partition of event 9 */
    p = col_at(f, "SELECT part FROM events WHERE seq = ?", 9);
    exec_seq(f, "UPDATE events SET part = (SELECT part FROM events WHERE seq = 9) WHERE seq = ?",
             7);
    assert_int_equal(col_at(f, "SELECT part FROM events WHERE seq = ?", 7), p);
    expect_chain_broken(f, 7, "hash mismatch");
    free(rep);
}

static void test_partition_rows_reordered(void **state)
{
    struct fx *f = *state;
    struct kv_event_chain_report *rep = calloc(1, sizeof(*rep));

    spread(f, rep);
    /* events 6 and 7 (positions 1 and 2 of their partition) swap places in the order */
    assert_int_equal(kv_db_exec(f->db,
                                "UPDATE events SET seq = 1000 WHERE seq = 6;"
                                "UPDATE events SET seq = 6 WHERE seq = 7;"
                                "UPDATE events SET seq = 7 WHERE seq = 1000",
                                NULL),
                     0);
    expect_chain_broken(f, 6, "hash mismatch");
    free(rep);
}

static void test_partition_middle_deleted(void **state)
{
    struct fx *f = *state;
    struct kv_event_chain_report *rep = calloc(1, sizeof(*rep));

    spread(f, rep);
    exec_seq(f, "DELETE FROM events WHERE seq = ?", 7);
    expect_chain_broken(f, 7, "missing (deleted)"); /* after event 6, its partition's last */
    free(rep);
}

/* The first event of a partition deleted, and one whose partition's previous event lies
 * several seqs back (others' events between): the verdict names the deleted seq itself, not
 * the seq after the partition's last (seq 1 before: the failed CI of 6c9a652). */
static void test_partition_first_deleted_named(void **state)
{
    struct fx *f = *state;
    struct kv_event_chain_report *rep = calloc(1, sizeof(*rep));

    spread(f, rep);
    exec_seq(f, "DELETE FROM events WHERE seq = ?", 9); /* partition R: 9, 10 */
    expect_chain_broken(f, 9, "missing (deleted)");
    free(rep);
}

static void test_partition_gap_deleted_named(void **state)
{
    struct fx *f = *state;
    struct kv_event_chain_report *rep = calloc(1, sizeof(*rep));
    struct kv_event ev = {"MESSAGE_READ", LETTER_B, "sys-1", "hub", NULL, NULL, 0};

    spread(f, rep);
    /* one more in P (seq 12 after 11): then P's seq 11 follows its seq 5, with Q and R between */
    assert_int_equal(kv_db_begin(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0);
    assert_int_equal(kv_db_commit(f->db, NULL), 0);
    assert_int_equal(col_at(f, "SELECT part FROM events WHERE seq = ?", 12),
                     col_at(f, "SELECT part FROM events WHERE seq = ?", 11));
    exec_seq(f, "DELETE FROM events WHERE seq = ?", 11);
    expect_chain_broken(f, 11, "missing (deleted)");
    free(rep);
}

/* The tail of one partition cut: its head row names the gone event; with the head row moved
 * back as well, the checkpoint written before names it; and a checkpoint edited breaks their
 * own chain. */
static void test_partition_tail_cut(void **state)
{
    struct fx *f = *state;
    struct kv_event_chain_report *rep = calloc(1, sizeof(*rep));
    struct kv_err err = {0, ""};
    int written = 0;

    spread(f, rep);
    assert_int_equal(kv_events_checkpoint(f->db, 1700000100000, 60000, &written, &err), 0);
    assert_int_equal(written, 1);
    /* too soon for the next, and nothing moved anyway */
    assert_int_equal(kv_events_checkpoint(f->db, 1700000100001, 60000, &written, &err), 0);
    assert_int_equal(written, 0);
    assert_int_equal(kv_events_verify_chains(f->db, rep, &err), 0);
    assert_int_equal(rep->checkpoints, 1);
    assert_int_equal(strlen(rep->checkpoint_hash), 64);

    /* partition R (events 9, 10) loses its last event */
    exec_seq(f, "DELETE FROM events WHERE seq = ?", 10);
    expect_chain_broken(f, 10, "tail cut");
    /* ... and its head row is set back to event 9: the checkpoint still names event 10 */
    exec_seq(f,
             "UPDATE event_chains SET pseq = 1, seq = 9, hash = (SELECT hash FROM events WHERE"
             " seq = 9) WHERE part = (SELECT part FROM events WHERE seq = ?)",
             9);
    expect_chain_broken(f, 10, "behind checkpoint 1");
    /* ... and a newer checkpoint written over the set-back head: the older still counts */
    assert_int_equal(kv_events_checkpoint(f->db, 1700000200000, 60000, &written, &err), 0);
    assert_int_equal(written, 1);
    expect_chain_broken(f, 10, "checkpoint 2: partition");
    /* ... and the checkpoint rewritten to match (its hash left as it was): edited */
    assert_int_equal(kv_db_exec(f->db, "UPDATE event_checkpoints SET heads = heads || ''",
                                NULL),
                     0);
    assert_int_equal(kv_db_exec(f->db,
                                "UPDATE event_checkpoints SET time_ms = time_ms + 1", NULL),
                     0);
    expect_chain_broken(f, 1, "checkpoint 1: hash mismatch");
    free(rep);
}

/* Writers do not wait for each other's chain head: while one write transaction holds a
 * partition, another transaction appends to another partition at once. On SQLite one write
 * transaction excludes the other, so there the second runs after the first. */
static void test_concurrent_writers_use_other_partitions(void **state)
{
    struct fx *f = *state;
    struct kv_db *other = NULL;
    struct kv_event ev = {"MESSAGE_READ", LETTER_B, "sys-1", "hub", NULL, NULL, 0};
    int64_t n = 0;

    assert_int_equal(kv_db_begin_concurrent(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0); /* seq 6, setup's partition */
    if (strcmp(kv_store_backend(f->st), "postgresql") == 0) {
        /* a second connection in a transaction of its own that does not take the write
         * lock: its append must neither wait for the first's head nor extend it */
        assert_int_equal(kv_db_acquire(f->st, &other, NULL), 0);
        assert_int_equal(kv_db_begin_concurrent(other, NULL), 0);
        assert_int_equal(kv_events_append(other, &ev, NULL), 0);
        assert_int_equal(kv_db_commit(other, NULL), 0);
        kv_db_release(other);
        assert_int_equal(kv_db_commit(f->db, NULL), 0);
        assert_int_not_equal(col_at(f, "SELECT part FROM events WHERE seq = ?", 7),
                             col_at(f, "SELECT part FROM events WHERE seq = ?", 6));
    } else {
        assert_int_equal(kv_db_commit(f->db, NULL), 0);
        append_elsewhere(f, "MESSAGE_READ", 1);
    }
    assert_int_equal(kv_events_verify(f->db, &n, NULL), 0);
    assert_int_equal(n, 7);
}

static int is_pg(struct fx *f)
{
    return strcmp(kv_store_backend(f->st), "postgresql") == 0;
}

/* The seqs kv_events_query returns after after_seq, into seqs (up to max); their count. */
static size_t query_seqs(struct fx *f, int64_t after_seq, int64_t *seqs, size_t max)
{
    struct kv_event_query q;
    json_t *arr = NULL;
    size_t i, n;

    memset(&q, 0, sizeof(q));
    q.limit = 1000;
    q.after_seq = after_seq;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    n = json_array_size(arr);
    for (i = 0; i < n && i < max; i++)
        seqs[i] = json_integer_value(json_object_get(json_array_get(arr, i), "seq"));
    json_decref(arr);
    return n;
}

/* Concurrent appends commit out of seq order: a reader paging by seq must not see a later
 * seq while an earlier one is still uncommitted (it would step over it for good). A holds
 * seq 6 open (a deliberately delayed commit); B appends seq 7 and commits; the query shows
 * neither until A commits, then both in order; the horizon is at 6 meanwhile. */
static void test_reader_waits_for_delayed_commit(void **state)
{
    struct fx *f = *state;
    struct kv_db *a = NULL, *b = NULL;
    struct kv_event ev = {"MESSAGE_READ", LETTER_B, "sys-1", "hub", NULL, NULL, 0};
    int64_t seqs[8], h = 0, n = 0;

    assert_int_equal(kv_events_horizon(f->db, &h, NULL), 0);
    if (!is_pg(f)) { /* one writer at a time: commit order is seq order */
        assert_true(h == INT64_MAX);
        return;
    }
    assert_int_equal(h, 6); /* nothing in flight: the next value */
    assert_int_equal(kv_db_acquire(f->st, &a, NULL), 0);
    assert_int_equal(kv_db_acquire(f->st, &b, NULL), 0);
    assert_int_equal(kv_db_begin_concurrent(a, NULL), 0);
    assert_int_equal(kv_events_append(a, &ev, NULL), 0); /* seq 6, not committed */
    assert_int_equal(kv_db_begin_concurrent(b, NULL), 0);
    assert_int_equal(kv_events_append(b, &ev, NULL), 0); /* seq 7 */
    assert_int_equal(kv_db_commit(b, NULL), 0);
    assert_int_equal(col_at(f, "SELECT COUNT(*) FROM events WHERE seq >= ?", 6), 1);
    assert_int_equal(kv_events_horizon(f->db, &h, NULL), 0);
    assert_true(h <= 6);
    assert_int_equal(query_seqs(f, 5, seqs, 8), 0); /* 7 is committed, but 6 may come */
    assert_int_equal(query_seqs(f, 0, seqs, 8), 5);
    assert_int_equal(seqs[4], 5);
    assert_int_equal(kv_db_commit(a, NULL), 0);
    assert_int_equal(kv_events_horizon(f->db, &h, NULL), 0);
    assert_int_equal(h, 8);
    assert_int_equal(query_seqs(f, 5, seqs, 8), 2);
    assert_int_equal(seqs[0], 6);
    assert_int_equal(seqs[1], 7);
    kv_db_release(b);
    kv_db_release(a);
    assert_int_equal(kv_events_verify(f->db, &n, NULL), 0);
    assert_int_equal(n, 7);
}

/* A concurrent appender in a thread of its own (kv_db_begin_concurrent) that says which
 * PostgreSQL backend it appends through (pid, before it begins) and when it is done. */
struct waiter {
    struct kv_store *st;
    _Atomic long long pid; /* its backend's pid; 0 until known, -1 when not */
    _Atomic int done;      /* 1 once its append returned */
    int rc;
};

static void *append_concurrent_thread(void *arg)
{
    struct waiter *t = arg;
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    struct kv_event ev = {"MESSAGE_READ", LETTER_A, "sys-1", "hub", NULL, NULL, 0};
    long long pid = -1;

    t->rc = kv_db_acquire(t->st, &db, NULL);
    if (t->rc == 0 && kv_db_prepare(db, "SELECT pg_backend_pid()", &s, NULL) == 0) {
        if (kv_stmt_step(s, NULL) == KV_ROW)
            pid = (long long)kv_stmt_col_int64(s, 0);
        kv_stmt_done(s);
    }
    atomic_store(&t->pid, pid);
    if (t->rc == 0)
        t->rc = kv_db_begin_concurrent(db, NULL);
    if (t->rc == 0)
        t->rc = kv_db_end(db, kv_events_append(db, &ev, NULL), NULL);
    if (db)
        kv_db_release(db);
    atomic_store(&t->done, 1);
    return NULL;
}

/* More concurrent appenders than partitions: with all 16 heads held by open transactions,
 * one more append waits for a partition (it failed before) and succeeds once the holders
 * commit; the log verifies. That it waited is proved, not assumed from timing: its backend is
 * seen blocked on a lock (pg_stat_activity, polled up to 60 s however loaded the machine) and
 * the append has not returned while every holder is still open. */
#define HOLDERS 16
static void test_append_waits_when_every_partition_held(void **state)
{
    struct fx *f = *state;
    struct kv_db *hold[HOLDERS] = {NULL};
    struct kv_event ev = {"MESSAGE_READ", LETTER_B, "sys-1", "hub", NULL, NULL, 0};
    struct waiter t = {f->st, 0, 0, -1};
    struct timespec nap = {0, 20 * 1000 * 1000};
    pthread_t th;
    int64_t n = 0, waiting = 0;
    int i, early;

    if (!is_pg(f)) { /* SQLite: one writer at a time, so a partition is always free */
        append_elsewhere(f, "MESSAGE_READ", HOLDERS + 1);
        assert_int_equal(kv_events_verify(f->db, &n, NULL), 0);
        assert_int_equal(n, 5 + HOLDERS + 1);
        return;
    }
    assert_int_equal(col_at(f, "SELECT COUNT(*) FROM event_chains WHERE 1 = ?", 1), HOLDERS);
    for (i = 0; i < HOLDERS; i++) {
        assert_int_equal(kv_db_acquire(f->st, &hold[i], NULL), 0);
        assert_int_equal(kv_db_begin_concurrent(hold[i], NULL), 0);
        assert_int_equal(kv_events_append(hold[i], &ev, NULL), 0);
    }
    assert_int_equal(pthread_create(&th, NULL, append_concurrent_thread, &t), 0);
    /* bounded: 3000 naps of 20 ms */
    for (i = 0; i < 3000 && !waiting && !atomic_load(&t.done); i++) {
        long long pid = atomic_load(&t.pid);

        if (pid > 0)
            waiting = col_at(f, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ? AND "
                                "wait_event_type = 'Lock'", pid);
        if (!waiting)
            nanosleep(&nap, NULL);
    }
    early = atomic_load(&t.done); /* 0: still waiting, every holder is open */
    for (i = 0; i < HOLDERS; i++) {
        assert_int_equal(kv_db_commit(hold[i], NULL), 0);
        kv_db_release(hold[i]);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(atomic_load(&t.pid) > 0);
    if (!waiting || early)
        fail_msg("the append did not wait for a partition (seen waiting %lld, returned %d)",
                 (long long)waiting, early);
    assert_int_equal(t.rc, 0);
    assert_int_equal(kv_events_verify(f->db, &n, NULL), 0);
    assert_int_equal(n, 5 + HOLDERS + 1);
}

/* The writer's run: the head row moves once, at the end; a savepoint rolled back in the
 * middle (and one around the run's first append) leaves the chain intact. */
static void test_run_moves_head_once(void **state)
{
    struct fx *f = *state;
    struct kv_event ev = {"MESSAGE_READ", LETTER_B, "sys-1", "hub", NULL, NULL, 0};
    int64_t n = 0, part, rows_seq;

    assert_int_equal(kv_db_begin(f->db, NULL), 0);
    kv_events_head_begin(f->db);
    assert_int_equal(kv_db_savepoint(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0); /* undone below */
    assert_int_equal(kv_db_savepoint_rollback(f->db, NULL), 0);
    kv_events_head_forget(f->db);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0);
    part = col_at(f, "SELECT part FROM events WHERE seq = (SELECT MAX(seq) FROM events) AND"
                     " 1 = ?", 1);
    /* not moved yet inside the run */
    rows_seq = col_at(f, "SELECT seq FROM event_chains WHERE part = ?", part);
    assert_true(rows_seq < col_at(f, "SELECT MAX(seq) FROM events WHERE 1 = ?", 1));
    assert_int_equal(kv_db_savepoint(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0);
    assert_int_equal(kv_db_savepoint_rollback(f->db, NULL), 0);
    kv_events_head_forget(f->db);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0);
    assert_int_equal(kv_db_savepoint(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &ev, NULL), 0);
    assert_int_equal(kv_db_savepoint_rollback(f->db, NULL), 0);
    kv_events_head_forget(f->db); /* the run ends right after a forget */
    assert_int_equal(kv_events_head_end(f->db, NULL), 0);
    assert_int_equal(kv_db_commit(f->db, NULL), 0);
    assert_int_equal(col_at(f, "SELECT seq FROM event_chains WHERE part = ?", part),
                     col_at(f, "SELECT MAX(seq) FROM events WHERE part = ?", part));
    if (kv_events_verify(f->db, &n, NULL) != 0)
        fail_msg("run broke the chain");
    assert_int_equal(n, 8);
}

/* Stored tags are shown with NgDP's catalogue: its own tags as they are, kuvert's mapped,
 * anything else UNKNOWN. */
/* Every stored field of every event, in seq order, as one text. */
static char *dump_events(struct kv_db *db)
{
    struct kv_stmt *s = NULL;
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    int rc, c;

    assert_int_equal(kv_db_prepare(db,
                                   "SELECT seq, event_id, time_ms, tag, message_uuid, system_id,"
                                   " actor, subject, props, prev_hash, hash, part, pseq, letter_id"
                                   " FROM events ORDER BY seq",
                                   &s, NULL),
                     0);
    while ((rc = kv_stmt_step(s, NULL)) == KV_ROW) {
        for (c = 0; c < 14; c++) {
            const char *v = kv_stmt_col_text(s, c);

            len += (size_t)snprintf(out + len, cap - len, "%s|", v ? v : "(null)");
            assert_true(len < cap);
        }
        len += (size_t)snprintf(out + len, cap - len, "\n");
    }
    kv_stmt_done(s);
    assert_int_equal(rc, KV_DONE);
    return out;
}

/* kv_events_append_n writes exactly the rows that appending the same events one at a time
 * writes (seqs, ids, partition positions, the chain of hashes, letter_id), on a second store
 * made alike; the chain verifies, and deleting or editing the middle one of the three is found. */
static void test_append_n_same_as_one_by_one(void **state)
{
    struct fx a = {0}, b = {0};
    struct kv_event evs[3] = {
        {"MEMO_SEND_RECEIVED", "6f1c0a2e-7d7b-4c1e-9a57-0b2c7a6f0d11", "sys-1", "sys-1",
         "cpr:2211771212", "{\"transmissionId\":\"t\",\"size\":12}", 1700000000000},
        {"MEMO_SEND_VALIDATED", "6f1c0a2e-7d7b-4c1e-9a57-0b2c7a6f0d11", "sys-1", "sys-1",
         "cpr:2211771212", NULL, 1700000000000},
        {"MEMO_AVAILABLE_TO_RECIPIENT", "6f1c0a2e-7d7b-4c1e-9a57-0b2c7a6f0d11", "sys-1",
         "sys-1", "cpr:2211771212", "{\"mailboxId\":7}", 1700000000001},
    };
    struct kv_event five[5], same[3], bare[3], mixed[4];
    struct kv_err err = {0, ""};
    char *da, *db_;
    int64_t n = 0;
    int i;

    (void)state;
    snprintf(a.dir, sizeof(a.dir), "/tmp/kv-test-events-XXXXXX");
    snprintf(b.dir, sizeof(b.dir), "/tmp/kv-test-events-XXXXXX");
    assert_int_equal(kv_test_store_new(a.dir, &a.st, &a.db, NULL), 0);
    assert_int_equal(kv_test_store_new(b.dir, &b.st, &b.db, NULL), 0);

    /* a: one call, inside a run of the writer's head cache, after one single event */
    assert_int_equal(kv_db_begin(a.db, NULL), 0);
    kv_events_head_begin(a.db);
    assert_int_equal(kv_events_append(a.db, &evs[2], NULL), 0);
    assert_int_equal(kv_events_append_n(a.db, evs, 3, 42, &err), 0);
    assert_int_equal(kv_events_head_end(a.db, NULL), 0);
    assert_int_equal(kv_db_commit(a.db, NULL), 0);
    /* b: the same events one by one, without the cache */
    assert_int_equal(kv_db_begin(b.db, NULL), 0);
    assert_int_equal(kv_events_append(b.db, &evs[2], NULL), 0);
    for (i = 0; i < 3; i++)
        assert_int_equal(kv_events_append_of_letter(b.db, &evs[i], 42, NULL), 0);
    assert_int_equal(kv_db_commit(b.db, NULL), 0);

    /* events that share time, messageUUID, system, actor and subject, as a send's three do
     * (one statement binding the shared fields once, events.c SQL_INSERT_SHARED): a send's
     * three, then three without a messageUUID or system, then four whose last has another
     * subject (a letter written in a mailbox: the general statement) */
    for (i = 0; i < 3; i++) {
        same[i] = evs[i];
        same[i].time_ms = 1700000000005;
        bare[i] = same[i];
        bare[i].message_uuid = NULL;
        bare[i].system_id = NULL;
        bare[i].actor = "cvr:12345678";
        mixed[i] = same[i];
    }
    mixed[3] = same[0];
    mixed[3].tag = "MAILBOX_MESSAGE_SENT";
    mixed[3].subject = "cvr:12345678";
    assert_int_equal(kv_db_begin(a.db, NULL), 0);
    assert_int_equal(kv_events_append_n(a.db, same, 3, 43, &err), 0);
    assert_int_equal(kv_events_append_n(a.db, bare, 3, 44, &err), 0);
    assert_int_equal(kv_events_append_n(a.db, mixed, 4, 45, &err), 0);
    assert_int_equal(kv_db_commit(a.db, NULL), 0);
    assert_int_equal(kv_db_begin(b.db, NULL), 0);
    for (i = 0; i < 3; i++)
        assert_int_equal(kv_events_append_of_letter(b.db, &same[i], 43, NULL), 0);
    for (i = 0; i < 3; i++)
        assert_int_equal(kv_events_append_of_letter(b.db, &bare[i], 44, NULL), 0);
    for (i = 0; i < 4; i++)
        assert_int_equal(kv_events_append_of_letter(b.db, &mixed[i], 45, NULL), 0);
    assert_int_equal(kv_db_commit(b.db, NULL), 0);

    da = dump_events(a.db);
    db_ = dump_events(b.db);
    assert_string_equal(da, db_);
    assert_non_null(strstr(da, "|MEMO_SEND_VALIDATED|"));
    assert_non_null(strstr(da, "|MAILBOX_MESSAGE_SENT|"));
    free(da);
    free(db_);
    assert_int_equal(kv_events_verify(a.db, &n, NULL), 0);
    assert_int_equal(n, 14);

    /* bounds: no events, or more than one statement takes */
    memset(five, 0, sizeof(five));
    for (i = 0; i < 5; i++)
        five[i] = evs[i % 3];
    assert_int_equal(kv_db_begin(a.db, NULL), 0);
    assert_int_equal(kv_events_append_n(a.db, five, 0, 0, NULL), KV_EINVAL);
    assert_int_equal(kv_events_append_n(a.db, five, KV_EVENTS_APPEND_MAX + 1, 0, NULL),
                     KV_EINVAL);
    assert_int_equal(kv_events_append_n(a.db, five, KV_EVENTS_APPEND_MAX, 0, NULL), 0);
    assert_int_equal(kv_db_commit(a.db, NULL), 0);
    assert_int_equal(kv_events_verify(a.db, &n, NULL), 0);
    assert_int_equal(n, 14 + KV_EVENTS_APPEND_MAX);

    /* the middle event of a shared statement's three (seq 6: its time, then its tag) edited:
     * found at seq 6, and the original restored */
    assert_int_equal(kv_db_exec(a.db, "UPDATE events SET time_ms = time_ms + 1 WHERE seq = 6",
                                NULL),
                     0);
    expect_broken(&a, 6);
    assert_int_equal(kv_db_exec(a.db, "UPDATE events SET time_ms = time_ms - 1,"
                                      " tag = 'MEMO_SEND_RECEIVED' WHERE seq = 6",
                                NULL),
                     0);
    expect_broken(&a, 6);
    assert_int_equal(kv_db_exec(a.db, "UPDATE events SET tag = 'MEMO_SEND_VALIDATED'"
                                      " WHERE seq = 6",
                                NULL),
                     0);
    assert_int_equal(kv_events_verify(a.db, &n, NULL), 0);
    /* the middle event of the three (seq 3) edited, then deleted: found at seq 3 */
    assert_int_equal(kv_db_exec(a.db, "UPDATE events SET subject = 'cpr:0101701234' WHERE seq = 3",
                                NULL),
                     0);
    expect_broken(&a, 3);
    assert_int_equal(kv_db_exec(a.db, "DELETE FROM events WHERE seq = 3", NULL), 0);
    expect_broken(&a, 3);
    assert_int_equal(kv_test_store_free(a.dir, a.st, a.db), 0);
    assert_int_equal(kv_test_store_free(b.dir, b.st, b.db), 0);
}

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

/* The canonical text of an event hash, written as events.c documents it with printf (length
 * prefixes "S%zu:", integers "%" PRId64), hashed with kv_sha256_hex: the reference that
 * kv__event_hash's table-driven digits and hex must match. */
static void reference_hash(const struct kv__event_row *r, char out[KV_SHA256_HEX_LEN + 1])
{
    const char *v[12];
    char num[4][32];
    size_t o, cap = 8192;
    char *buf = malloc(cap);
    int i, n = 0;

    assert_non_null(buf);
    snprintf(num[0], sizeof(num[0]), "%" PRId64, r->seq);
    snprintf(num[1], sizeof(num[1]), "%" PRId64, r->part);
    snprintf(num[2], sizeof(num[2]), "%" PRId64, r->pseq);
    snprintf(num[3], sizeof(num[3]), "%" PRId64, r->time_ms);
    v[n++] = num[0];
    if (r->pseq) {
        v[n++] = num[1];
        v[n++] = num[2];
    }
    v[n++] = r->event_id;
    v[n++] = num[3];
    v[n++] = r->tag;
    v[n++] = r->message_uuid;
    v[n++] = r->system_id;
    v[n++] = r->actor;
    v[n++] = r->subject;
    v[n++] = r->props;
    v[n++] = r->prev_hash;
    o = (size_t)snprintf(buf, cap, "%s", r->pseq ? "kuvert-event-v2\n" : "kuvert-event-v1\n");
    for (i = 0; i < n; i++) {
        int k = v[i] ? snprintf(buf + o, cap - o, "S%zu:%s", strlen(v[i]), v[i])
                     : snprintf(buf + o, cap - o, "N");

        assert_true(k > 0 && (size_t)k < cap - o);
        o += (size_t)k;
    }
    kv_sha256_hex(buf, o, out);
    free(buf);
}

/* kv__event_hash against the printf reference at the lengths where its digit writing changes
 * (1, 2, 3 and 4 digits; the stack buffer's end, 2048 bytes, and past it), for integers of 1 to
 * 19 digits, negative, zero and the extremes, version 1 and 2, and NULL fields. */
static void test_hash_matches_printf_reference(void **state)
{
    static const size_t lens[] = {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 1900, 2100};
    static const int64_t ints[] = {0,         1,          9,          10,        99,
                                   100,       12345,      -1,         -10,       -100,
                                   INT64_MAX, INT64_MIN,  1700000000001, -1700000000001,
                                   999999999, 1000000000, 4294967296};
    char *props = malloc(2200), got[KV_SHA256_HEX_LEN + 1], want[KV_SHA256_HEX_LEN + 1];
    struct kv__event_row r;
    size_t i, j;

    (void)state;
    assert_non_null(props);
    memset(props, 'p', 2199);
    props[2199] = '\0';
    memset(&r, 0, sizeof(r));
    r.event_id = "0b2c7a6f-0d11-4c1e-9a57-000000000007";
    r.tag = "MEMO_SEND_RECEIVED";
    r.message_uuid = "8c2ea15d-61fb-4ba9-9366-42f8b194c114";
    r.system_id = "sys-1";
    r.actor = "sys-1";
    r.subject = "cpr:2211771212";
    r.prev_hash = "0000000000000000000000000000000000000000000000000000000000000000";
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char saved = props[lens[i]];

        props[lens[i]] = '\0';
        for (j = 0; j < sizeof(ints) / sizeof(ints[0]); j++) {
            r.props = props;
            r.seq = ints[j];
            r.time_ms = ints[(j + 3) % (sizeof(ints) / sizeof(ints[0]))];
            r.part = ints[(j + 5) % (sizeof(ints) / sizeof(ints[0]))];
            r.pseq = (j % 3) ? ints[(j + 7) % (sizeof(ints) / sizeof(ints[0]))] : 0;
            r.message_uuid = (j % 4 == 1) ? NULL : "8c2ea15d-61fb-4ba9-9366-42f8b194c114";
            r.system_id = (j % 4 == 2) ? NULL : "sys-1";
            reference_hash(&r, want);
            assert_int_equal(kv__event_hash(&r, got), 0);
            assert_string_equal(got, want);
        }
        props[lens[i]] = saved;
    }
    free(props);
}

/* The events API's search by messageUUID (kv_events_search) on PostgreSQL: the generic plan
 * (what a prepared statement gets after 5 executions) of each of its statements reads the
 * letter's events through events_letter / events_msg; the primary key only to fetch those
 * seqs (seq = ...), never walked over a range of seqs (a bitmap or index scan of events_pkey
 * on seq > ?4 AND seq <= ?302 cost 52 ms a call at 20,000 letters, docs/events-api.md). */
static void test_search_by_letter_generic_plan(void **state)
{
    struct fx *f = *state;
    int count, unknown, sys, sorted, i;

    if (!is_pg(f)) {
        print_message("SQLite: no generic plans\n");
        return;
    }
    for (count = 0; count < 2; count++)
        for (unknown = 0; unknown < 2; unknown++)
            for (sys = 0; sys < 2; sys++)
                for (sorted = 0; sorted < 4; sorted++) {
                    const char *q = kv__event_search_sql(count, 1, unknown, sys, sorted);
                    size_t n = strlen(q) + 8192, o;
                    char *sql = malloc(n), *plan = calloc(1, 65536), *line;
                    struct kv_stmt *s = NULL;
                    struct kv_err err = {0, ""};
                    int rc;

                    assert_non_null(sql);
                    assert_non_null(plan);
                    o = (size_t)snprintf(sql, n, "PREPARE kvt_plan(");
                    for (i = 1; i <= 401; i++)
                        o += (size_t)snprintf(sql + o, n - o, "%s%s", i > 1 ? "," : "",
                                              i == 4 || i == 5 || i == 6 || i == 302 ||
                                                      i == 400 || i == 401
                                                  ? "bigint"
                                              : i == 7 || i == 301 || (i >= 360 && i <= 363)
                                                  ? "int"
                                                  : "text");
                    o += (size_t)snprintf(sql + o, n - o, ") AS ");
                    for (i = 0; q[i] && o + 1 < n; i++) /* the store's ?N are $N */
                        sql[o++] = q[i] == '?' ? '$' : q[i];
                    sql[o] = '\0';
                    assert_int_equal(kv_db_exec(f->db, "SET plan_cache_mode = force_generic_plan",
                                                NULL),
                                     0);
                    if (kv_db_exec(f->db, sql, &err) != 0)
                        fail_msg("PREPARE: %s", err.msg);
                    o = (size_t)snprintf(sql, n, "EXPLAIN (COSTS off) EXECUTE kvt_plan('x'");
                    for (i = 2; i <= 401; i++)
                        o += (size_t)snprintf(sql + o, n - o, ",NULL");
                    snprintf(sql + o, n - o, ")");
                    assert_int_equal(kv_db_prepare(f->db, sql, &s, NULL), 0);
                    while ((rc = kv_stmt_step(s, &err)) == KV_ROW) {
                        const char *d = kv_stmt_col_text(s, 0);
                        size_t l = strlen(plan);

                        snprintf(plan + l, 65536 - l, "%s\n", d ? d : "");
                    }
                    kv_stmt_done(s);
                    if (rc < 0)
                        fail_msg("%s", err.msg);
                    assert_int_equal(kv_db_exec(f->db, "DEALLOCATE kvt_plan", NULL), 0);
                    assert_int_equal(kv_db_exec(f->db, "RESET plan_cache_mode", NULL), 0);
                    if (!strstr(plan, "events_letter") || !strstr(plan, "events_msg"))
                        fail_msg("count %d unknown %d sys %d sorted %d: not through "
                                 "events_letter and events_msg:\n%s",
                                 count, unknown, sys, sorted, plan);
                    /* every use of the primary key fetches one seq of those */
                    for (line = strstr(plan, "events_pkey"); line;
                         line = strstr(line + 1, "events_pkey")) {
                        const char *next = strchr(line, '\n');

                        if (!next || !strstr(next, "Index Cond: (seq = ") ||
                            strchr(next + 1, '\n') < strstr(next, "Index Cond: (seq = "))
                            fail_msg("count %d unknown %d sys %d sorted %d: a walk of the "
                                     "primary key:\n%s",
                                     count, unknown, sys, sorted, plan);
                    }
                    free(plan);
                    free(sql);
                }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ngdp_tags),
        cmocka_unit_test(test_append_n_same_as_one_by_one),
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
        cmocka_unit_test_setup_teardown(test_partitions_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_row_moved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_rows_reordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_first_deleted_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_gap_deleted_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_middle_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_tail_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_use_other_partitions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_moves_head_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_by_letter_generic_plan, setup, teardown),
        cmocka_unit_test(test_hash_matches_printf_reference),
        cmocka_unit_test_setup_teardown(test_reader_waits_for_delayed_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_waits_when_every_partition_held, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

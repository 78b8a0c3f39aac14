/* SPDX-License-Identifier: MIT
 *
 * test_counter_slots.c: the striped counter rows of migration 056 (mailbox_counts,
 * recipient_queue_counts, stats_letters, stats_deliveries; docs/postgresql.md "Hot rows").
 * Every transaction here does what a letter's transaction does to them: a letters row in one
 * mailbox (trigger: mailbox_counts), its recipient_queue row for one recipient system
 * (trigger: recipient_queue_counts), its statistics row (kv_stats_letter_add) and a delivery
 * (kv_stats_delivery_add), all on the same keys. Checked: the readers (kv_mbox_counts,
 * kv_recipient_page's totalElements, kv_stats_overview, kv_stats_deliveries) give exactly the
 * letters written, whatever slots hold them; SQLite keeps one slot per key (slot 0);
 * PostgreSQL gives each session its own slot, so a second node's transaction adds to the same
 * keys and commits while the first still holds its transaction open (under a lock_timeout,
 * so a wait fails the test instead of hanging it), and a second transaction forced onto the
 * first one's slot does wait (the control: the check above could see a wait). Many threads
 * on two stores (two nodes) writing, reading letters (unread count down) and deleting queue
 * rows at once end with exact counts.
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
#include <jansson.h>

#include "unit/hub/store_fixture.h"

#include "hub/directory.h"
#include "hub/mailbox_folders.h"
#include "hub/recipient_queue.h"
#include "hub/stats.h"
#include "store/store.h"

#define AUTH "55133018"   /* the recipient authority */
#define SENDER "12345674" /* the sending authority */
#define CPR "2211771212"
#define T0 1796440000000LL /* the letters' time: one statistics day */

struct fx {
    char dir[64];
    struct kv_store *st, *st2; /* two stores on one database: two nodes */
    struct kv_db *db;
    char sender[37], system[37];
    int64_t mailbox;
    int next; /* letters numbered */
    pthread_mutex_t mu;
    int pg;
};

static void add_system(struct kv_db *db, const char *org, const char *kind, char id[37])
{
    struct kv_system s;
    struct kv_err err = {0};
    char *tok = NULL;

    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", org);
    snprintf(s.kind, sizeof(s.kind), "%s", kind);
    snprintf(s.name, sizeof(s.name), "%s %s", kind, org);
    if (strcmp(kind, "recipient") == 0) {
        s.protocol = KV_PROTOCOL_PULL;
        s.is_default = 1;
    }
    if (kv_system_add(db, &s, &tok, &err) != 0)
        fprintf(stderr, "system: %s\n", err.msg);
    assert_int_equal(err.code, 0);
    free(tok);
    snprintf(id, 37, "%s", s.id);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0};
    struct kv_stmt *s = NULL;

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-slots-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, &err) != 0 ||
        kv_test_store_open(f->dir, &f->st2, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    f->pg = strcmp(kv_store_backend(f->st), "postgresql") == 0;
    if (kv_org_add(f->db, AUTH, "Kommunen", &err) != 0 ||
        kv_org_add(f->db, SENDER, "Styrelsen", &err) != 0)
        return -1;
    add_system(f->db, SENDER, "sender", f->sender);
    add_system(f->db, AUTH, "recipient", f->system);
    if (kv_db_prepare(f->db,
                      "INSERT INTO mailboxes (owner_type, owner_id, status, created_ms) "
                      "VALUES ('CPR', ?, 'REGISTERED', 1) RETURNING id",
                      &s, &err) != 0)
        return -1;
    kv_stmt_bind_text(s, 1, CPR, -1);
    if (kv_stmt_step(s, &err) != KV_ROW)
        return -1;
    f->mailbox = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    pthread_mutex_init(&f->mu, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    pthread_mutex_destroy(&f->mu);
    kv_store_close(f->st2);
    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

static int next_number(struct fx *f)
{
    int n;

    pthread_mutex_lock(&f->mu);
    n = ++f->next;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* One letter's counter writes inside the caller's transaction: a letters row in the mailbox,
 * its queue row for the system, its statistics row and a delivery. 0 or a store error. */
static int letter_writes(struct fx *f, struct kv_db *db, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_stats_letter sl;
    char uuid[37];
    int64_t id = 0;
    int rc;

    snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012d", next_number(f));
    rc = kv_db_prepare(db,
                       "INSERT INTO letters (message_uuid, transmission_id, sender_system, "
                       "sender_cvr, recipient_type, recipient_id, mailbox_id, label, "
                       "message_type, memo_version, body_sha256, body, size, state, "
                       "receipt_status, available_ms, created_ms, folder) VALUES (?1, ?1, ?2, "
                       "?3, 'CPR', ?4, ?5, 'Brev', 'DIGITALPOST', '1.2', 'x', 'x', 1, "
                       "'AVAILABLE', 'RECEIVED', ?6, ?6, 'inbox') RETURNING id",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, f->sender, -1);
    kv_stmt_bind_text(s, 3, SENDER, -1);
    kv_stmt_bind_text(s, 4, CPR, -1);
    kv_stmt_bind_int64(s, 5, f->mailbox);
    kv_stmt_bind_int64(s, 6, T0);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db,
                       "INSERT INTO recipient_queue (letter_id, system_id, created_ms, "
                       "visible_ms) VALUES (?, ?, ?, ?)",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, id);
    kv_stmt_bind_text(s, 2, f->system, -1);
    kv_stmt_bind_int64(s, 3, T0);
    kv_stmt_bind_int64(s, 4, 1); /* visible since long ago: listed */
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    memset(&sl, 0, sizeof(sl));
    sl.time_ms = T0;
    sl.sender = SENDER;
    sl.sender_type = "AUTHORITY";
    sl.sender_system = f->sender;
    sl.recipient_type = "CITIZEN";
    sl.message_type = "DIGITALPOST";
    sl.size = 1;
    rc = kv_stats_letter_add(db, &sl, err);
    if (rc < 0)
        return rc;
    return kv_stats_delivery_add(db, f->system, T0, 1, err);
}

/* A whole letter transaction on db (begun concurrent: shared write lock on PostgreSQL), run
 * again after a deadlock or serialization failure like the letter store does. 0 or error. */
static int letter_tx(struct fx *f, struct kv_db *db, struct kv_err *err)
{
    int rc, tries;

    for (tries = 0; tries < 8; tries++) {
        rc = kv_db_begin_concurrent(db, err);
        if (rc < 0)
            return rc;
        rc = letter_writes(f, db, err);
        if (rc == 0)
            return kv_db_commit(db, err);
        if (!kv_db_retryable(db)) {
            kv_db_rollback(db);
            return rc;
        }
        kv_db_rollback(db);
    }
    return rc;
}

static int64_t scalar(struct kv_db *db, const char *sql)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    int64_t v = -1;

    assert_int_equal(kv_db_prepare(db, sql, &s, &err), 0);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    v = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return v;
}

static int sum_rows(void *arg, const struct kv_stats_row *r)
{
    *(int64_t *)arg += r->count;
    return 0;
}

static int sum_deliveries(void *arg, const struct kv_stats_delivery_row *r)
{
    *(int64_t *)arg += r->delivered;
    return 0;
}

/* Every reader gives the letters in the store: want in the mailbox (unread of them
 * want_unread), queued for the system, in the sender's statistics and as deliveries. */
static void readers_give(struct fx *f, int64_t want, int64_t want_unread, int64_t want_queued)
{
    struct kv_mbox_owner owner;
    struct kv_mbox_counts c;
    struct kv_stats_query q;
    struct kv_err err = {0};
    json_t *page = NULL;
    int64_t n = 0;

    memset(&owner, 0, sizeof(owner));
    snprintf(owner.type, sizeof(owner.type), "CPR");
    snprintf(owner.id, sizeof(owner.id), CPR);
    assert_int_equal(kv_mbox_counts(f->db, &owner, &c, &err), 0);
    assert_int_equal(c.inbox, want);
    assert_int_equal(c.inbox_unread, want_unread);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM letters WHERE mailbox_id IS NOT NULL"),
                     want);

    assert_int_equal(kv_recipient_page(f->db, f->system, 0, 1, 0, &page, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(page, "totalElements")), want_queued);
    json_decref(page);

    memset(&q, 0, sizeof(q));
    q.org = SENDER;
    q.dir = KV_STATS_SENT;
    q.from_day = kv_stats_day(T0);
    q.to_day = q.from_day;
    q.group = KV_STATS_G_ALL;
    assert_int_equal(kv_stats_overview(f->db, &q, sum_rows, &n, &err), 0);
    assert_int_equal(n, want);
    n = 0;
    q.org = AUTH;
    assert_int_equal(kv_stats_deliveries(f->db, &q, sum_deliveries, &n, &err), 0);
    assert_int_equal(n, want);
}

/* The counter rows (slots) of the mailbox's inbox key. */
static int64_t key_rows(struct fx *f)
{
    return scalar(f->db, "SELECT COUNT(*) FROM mailbox_counts WHERE folder = 'inbox'");
}

/* SQLite, one writer at a time: one slot (0) per key, whichever connection wrote. */
static void sqlite_one_slot_per_key(void **state)
{
    struct fx *f = *state;
    struct kv_db *other = NULL;
    struct kv_err err = {0};
    int i;

    assert_int_equal(kv_db_acquire(f->st2, &other, &err), 0);
    for (i = 0; i < 6; i++)
        assert_int_equal(letter_tx(f, i % 2 ? other : f->db, &err), 0);
    kv_db_release(other);
    readers_give(f, 6, 6, 6);
    assert_int_equal(key_rows(f), 1);
    assert_int_equal(scalar(f->db, "SELECT MAX(slot) FROM mailbox_counts"), 0);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM recipient_queue_counts"), 1);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM stats_letters"), 1);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM stats_deliveries"), 1);
    assert_int_equal(scalar(f->db, "SELECT MAX(slot) FROM stats_letters"), 0);
}

/* PostgreSQL: the first node's transaction adds to every key and stays open; the second
 * node's transaction adds to the same keys and commits meanwhile (lock_timeout 5 s: waiting
 * for the first one's row locks would fail it with KV_EUNAVAIL). Then the control: a third
 * transaction made to use the first one's slot waits for its row lock and fails at its
 * lock_timeout. The counts are exact afterwards. */
static void pg_second_writer_does_not_wait(void **state)
{
    struct fx *f = *state;
    struct kv_db *a = NULL, *b = NULL;
    struct kv_err err = {0};
    struct kv_stmt *s = NULL;
    int64_t slot_a, slot_b;
    char sql[128];

    assert_int_equal(kv_db_acquire(f->st, &a, &err), 0);
    assert_int_equal(kv_db_acquire(f->st2, &b, &err), 0);
    slot_a = scalar(a, "SELECT kv_counter_slot()");
    slot_b = scalar(b, "SELECT kv_counter_slot()");
    /* sessions get consecutive slots of 16: two sessions opened one after the other differ */
    assert_true(slot_a >= 0 && slot_a < 16 && slot_b >= 0 && slot_b < 16);
    assert_true(slot_a != slot_b);

    assert_int_equal(kv_db_begin_concurrent(a, &err), 0);
    assert_int_equal(letter_writes(f, a, &err), 0);
    assert_int_equal(kv_db_begin_concurrent(b, &err), 0);
    assert_int_equal(kv_db_exec(b, "SET LOCAL lock_timeout TO '5s'", &err), 0);
    assert_int_equal(letter_writes(f, b, &err), 0);
    assert_int_equal(kv_db_commit(b, &err), 0); /* while a is still open */

    /* the control: b on a's slot waits for a's row and gives up at its lock_timeout */
    assert_int_equal(kv_db_begin_concurrent(b, &err), 0);
    assert_int_equal(kv_db_exec(b, "SET LOCAL lock_timeout TO '1s'", &err), 0);
    snprintf(sql, sizeof(sql), "SELECT set_config('kuvert.counter_slot', '%lld', true)",
             (long long)slot_a);
    assert_int_equal(kv_db_prepare(b, sql, &s, &err), 0);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    kv_stmt_done(s);
    assert_int_equal(letter_writes(f, b, &err), KV_EUNAVAIL);
    kv_db_rollback(b);

    assert_int_equal(kv_db_commit(a, &err), 0);
    /* b's own slot is back after the rolled-back SET LOCAL */
    assert_int_equal(scalar(b, "SELECT kv_counter_slot()"), slot_b);
    kv_db_release(a);
    kv_db_release(b);
    readers_give(f, 2, 2, 2);
    /* two slots of the inbox's key hold one letter each */
    assert_int_equal(key_rows(f), 2);
    assert_int_equal(scalar(f->db, "SELECT MAX(total) FROM mailbox_counts"), 1);
}

/* ---- many writers at once ----------------------------------------------------------------- */

#define WRITERS 4
#define LETTERS 25

struct writer {
    struct fx *f;
    int id, errors;
};

/* Writes LETTERS letters; every fifth is then read (unread down) and its queue row deleted
 * (queued down), each in a transaction of its own, as the mailbox and the pull API do. */
static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    int i;

    if (kv_db_acquire(w->id % 2 ? w->f->st2 : w->f->st, &db, &err) < 0) {
        w->errors++;
        return NULL;
    }
    for (i = 0; i < LETTERS; i++) {
        if (letter_tx(w->f, db, &err) < 0) {
            fprintf(stderr, "writer %d: %s\n", w->id, err.msg);
            w->errors++;
            continue;
        }
        if (i % 5 != 4)
            continue;
        /* the newest letter of this connection: read it, delete its queue row */
        if (kv_db_begin_concurrent(db, &err) < 0 ||
            kv_db_exec(db,
                       "UPDATE letters SET read_ms = 1 WHERE id = (SELECT MAX(id) FROM letters "
                       "WHERE read_ms IS NULL)",
                       &err) < 0 ||
            kv_db_exec(db,
                       "UPDATE recipient_queue SET state = 'DELETED' WHERE id = (SELECT MAX(id) "
                       "FROM recipient_queue WHERE state <> 'DELETED')",
                       &err) < 0 ||
            kv_db_commit(db, &err) < 0) {
            kv_db_rollback(db);
            /* two writers picked the same newest row: one waited and changed nothing, or a
             * deadlock was broken; either way the triggers' counts stay exact, which is
             * what is checked, so only an error that is not a retryable one counts */
            if (!kv_db_retryable(db)) {
                fprintf(stderr, "writer %d: %s\n", w->id, err.msg);
                w->errors++;
            }
        }
    }
    kv_db_release(db);
    return NULL;
}

static void concurrent_writers_exact(void **state)
{
    struct fx *f = *state;
    struct writer w[WRITERS];
    pthread_t th[WRITERS];
    int i;
    int64_t read, deleted;

    for (i = 0; i < WRITERS; i++) {
        w[i].f = f;
        w[i].id = i;
        w[i].errors = 0;
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
    }
    for (i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].errors, 0);
    }
    read = scalar(f->db, "SELECT COUNT(*) FROM letters WHERE read_ms IS NOT NULL");
    deleted = scalar(f->db, "SELECT COUNT(*) FROM recipient_queue WHERE state = 'DELETED'");
    assert_true(read > 0 && deleted > 0);
    readers_give(f, WRITERS * LETTERS, WRITERS * LETTERS - read, WRITERS * LETTERS - deleted);
    /* SQLite: one row per key; PostgreSQL: at most one per session that wrote (16 slots) */
    if (!f->pg)
        assert_int_equal(key_rows(f), 1);
    else
        assert_true(key_rows(f) >= 1 && key_rows(f) <= 16);
}

int main(void)
{
    /* the backend decides which of the first two applies: SQLite has one slot and one
     * writer at a time (a second writer waits by design), PostgreSQL sixteen */
    const struct CMUnitTest sqlite_tests[] = {
        cmocka_unit_test_setup_teardown(sqlite_one_slot_per_key, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_writers_exact, setup, teardown),
    };
    const struct CMUnitTest pg_tests[] = {
        cmocka_unit_test_setup_teardown(pg_second_writer_does_not_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_writers_exact, setup, teardown),
    };

    if (kv_test_on_pg())
        return cmocka_run_group_tests(pg_tests, NULL, NULL);
    return cmocka_run_group_tests(sqlite_tests, NULL, NULL);
}

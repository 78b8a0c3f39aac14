/* SPDX-License-Identifier: MIT
 *
 * test_letter_batch.c: the group commit of kv_letters_store_batch. A letter that fails inside
 * a batch (a temporary trigger makes its receipt insert fail after its events were appended)
 * is rolled back alone: the others are stored, it leaves no row and no event, and the event
 * chain still verifies; resent, it is stored and chains on. Events appended by another
 * connection between two batches are chained on too (the writer's cached chain head lives
 * for one transaction only). Several writers storing the same messageUUIDs at once store
 * each letter exactly once (concurrent transactions on PostgreSQL). The usage statistics the
 * batch writes (one upsert per row key) count exactly the letters created: not the one rolled
 * back, not a replay, and batches add up. A stored letter's events carry its row id
 * (events.letter_id, migration 023) and are found by messageUUID together with the events of
 * the same uuid written without it (a refusal before, a read after), in seq order, page by
 * page; the letter's chain check reads them all. A receipt's id comes from kv_receipt_insert,
 * with no trigger or default filling it in (migration 067); the CHECK constraints of the send
 * path's tables refuse what they refused, without an IN list (migration 068). The writer's
 * group commit (kv_letters_store_group) leaves the search index to later on SQLite: a letter
 * is found by a search at once all the same, also one left unindexed by a store closed
 * without a flush; recalled and purged letters are not found, before or after the index takes
 * the letters; the index takes them when KV_SEARCH_DEFER_LETTERS are behind, at
 * kv_letters_search_flush, at any other caller's batch and when a writer stops. Runs from the
 * repository root (or $KUVERT_ROOT).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "unit/hub/store_fixture.h"
#include "unit/test_data.h"

#include "hub/delegation.h"
#include "hub/directory.h"
#include "hub/events.h"
#include "hub/events_int.h"
#include "hub/letters.h"
#include "hub/mailbox_activity.h"
#include "hub/mailbox_view.h"
#include "hub/stats.h"
#include "hub/writer.h"
#include "memo/memo.h"
#include "store/store.h"
#include "util/xmalloc.h"

#define MIN "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_" \
            "Minimum_Example__memo-1.2.xml"
#define EX_UUID "8C2EA15D-61FB-4BA9-9366-42F8B194C114"
#define N 3

struct fx {
    char dir[64];              /* temporary data directory */
    struct kv_store *st;       /* its store */
    struct kv_db *db;          /* the connection batches run on */
    struct kv_system sys;      /* the sender system */
    char *bytes[N];            /* the Minimum example with uuid[i] */
    size_t len;                /* their length */
    char uuid[N][37];          /* lower-case messageUUIDs */
    struct kv_letter l[N];     /* prepared letters */
};

static char *load(size_t *len)
{
    return kv_test_read_data(MIN, len);
}

static int setup(void **state)
{
    struct fx *f = kv_xcalloc(1, sizeof(*f));
    struct kv_system sys;
    struct kv_mailbox mb;
    char *token = NULL, *p;
    int i;

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-batch-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0 ||
        kv_org_add(f->db, "12345678", "K", NULL) != 0)
        return -1;
    memset(&sys, 0, sizeof(sys));
    snprintf(sys.org_cvr, sizeof(sys.org_cvr), "12345678");
    snprintf(sys.kind, sizeof(sys.kind), "sender");
    snprintf(sys.name, sizeof(sys.name), "batch");
    if (kv_system_add(f->db, &sys, &token, NULL) != 0 ||
        kv_system_get(f->db, sys.id, &f->sys, NULL) != 0)
        return -1;
    free(token);
    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
    snprintf(mb.owner_id, sizeof(mb.owner_id), "2211771212");
    snprintf(mb.status, sizeof(mb.status), "REGISTERED");
    if (kv_mailbox_add(f->db, &mb, NULL) != 0)
        return -1;
    for (i = 0; i < N; i++) {
        f->bytes[i] = load(&f->len);
        memcpy(f->uuid[i], "8c2ea15d-61fb-4ba9-9366-42f8b194c110", 37);
        f->uuid[i][35] = (char)('0' + i);
        for (p = f->bytes[i]; (p = strstr(p, EX_UUID)) != NULL; p += 36)
            memcpy(p, f->uuid[i], 36);
        kv_letter_init(&f->l[i], f->bytes[i], f->len);
        if (kv_letter_prepare(&f->l[i], &f->sys, NULL, NULL, NULL) != 0 ||
            f->l[i].outcome != KV_LETTER_PENDING)
            return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int i;

    for (i = 0; i < N; i++) {
        kv_letter_release(&f->l[i]);
        free(f->bytes[i]);
    }
    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

/* COUNT(*) of sql with one text parameter. */
static int64_t count(struct kv_db *db, const char *sql, const char *arg)
{
    struct kv_stmt *s;
    int64_t n;

    assert_int_equal(kv_db_prepare(db, sql, &s, NULL), 0);
    if (arg)
        kv_stmt_bind_text(s, 1, arg, -1);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return n;
}

/* SUM(n) of stats_letters (0 when empty). */
static int64_t stats_n(struct kv_db *db)
{
    return count(db, "SELECT COALESCE(SUM(n), 0) FROM stats_letters", NULL);
}

static void expect_chain(struct kv_db *db, int64_t n)
{
    struct kv_err err = {0, ""};
    int64_t got = -1;

    if (kv_events_verify(db, &got, &err) != 0)
        fail_msg("chain broken: %s", err.msg);
    assert_int_equal(got, n);
}

/* The mailbox search's text index holds exactly the stored letters (each under its rowid
 * mailbox_id * 2^36 + id, found by a word of its title), no deferral row is left behind (the
 * group commit indexes a batch's letters at its end, migration 060), and FTS5's own
 * integrity check passes. PostgreSQL's index is a GIN index on letters itself: only the
 * empty deferral table is checked there. */
static void expect_search_index(struct kv_db *db, int64_t letters)
{
    assert_int_equal(count(db, "SELECT COUNT(*) FROM letters_search_defer", NULL), 0);
    if (kv_test_on_pg())
        return;
    assert_int_equal(count(db, "SELECT COUNT(*) FROM letters_search", NULL), letters);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM letters l JOIN letters_search f"
                               " ON f.rowid = l.mailbox_id * 68719476736 + l.id",
                           NULL),
                     letters);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM letters_search WHERE letters_search"
                               " MATCH ?",
                           "pladsanvis"),
                     letters);
    assert_int_equal(kv_db_exec(db, "INSERT INTO letters_search(letters_search)"
                                    " VALUES ('integrity-check')",
                                NULL),
                     0);
}

static void test_failing_letter_rolled_back_alone(void **state)
{
    struct fx *f = *state;
    struct kv_letter *ls[N] = {&f->l[0], &f->l[1], &f->l[2]};
    int64_t base = count(f->db, "SELECT COUNT(*) FROM events", NULL); /* the setup's own */
    char sql[512];

    /* The second letter's receipt fails to insert (a trigger, in each dialect). */
    if (kv_test_on_pg())
        snprintf(sql, sizeof(sql),
                 "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$BEGIN RAISE EXCEPTION 'boom'; END$$; "
                 "CREATE TRIGGER boom BEFORE INSERT ON receipts FOR EACH ROW "
                 "WHEN (NEW.message_uuid = '%s') EXECUTE FUNCTION boom()",
                 f->uuid[1]);
    else
        snprintf(sql, sizeof(sql),
                 "CREATE TEMP TRIGGER boom BEFORE INSERT ON receipts WHEN NEW.message_uuid = '%s' "
                 "BEGIN SELECT RAISE(ABORT, 'boom'); END",
                 f->uuid[1]);
    assert_int_equal(kv_db_exec(f->db, sql, NULL), 0);
    assert_int_equal(kv_letters_store_batch(f->db, ls, N, NULL), 0);
    assert_int_equal(f->l[0].outcome, KV_LETTER_CREATED);
    assert_int_equal(f->l[1].outcome, KV_LETTER_FAILED);
    assert_int_equal(f->l[2].outcome, KV_LETTER_CREATED);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters WHERE message_uuid = ?",
                           f->uuid[1]), 0);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM events WHERE message_uuid = ?",
                           f->uuid[1]), 0);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters", NULL), 2);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM receipts", NULL), 2);
    assert_int_equal(stats_n(f->db), 2); /* the letter rolled back alone is not counted */
    expect_chain(f->db, base + 6);
    expect_search_index(f->db, 2); /* nor indexed for the search */

    /* Resent without the fault: stored, chained after the others. */
    assert_int_equal(kv_db_exec(f->db,
                                kv_test_on_pg() ? "DROP TRIGGER boom ON receipts"
                                                : "DROP TRIGGER temp.boom",
                                NULL),
                     0);
    f->l[1].outcome = KV_LETTER_PENDING;
    assert_int_equal(kv_letters_store_batch(f->db, &ls[1], 1, NULL), 0);
    assert_int_equal(f->l[1].outcome, KV_LETTER_CREATED);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM events WHERE message_uuid = ?",
                           f->uuid[1]), 3);
    assert_int_equal(stats_n(f->db), 3);
    expect_chain(f->db, base + 9);
    expect_search_index(f->db, 3);
}

static void test_other_writer_between_batches(void **state)
{
    struct fx *f = *state;
    struct kv_letter *ls[N] = {&f->l[0], &f->l[1], &f->l[2]};
    struct kv_db *other = NULL;
    struct kv_event ev = {"MESSAGE_READ", NULL, NULL, "cli", "cpr:2211771212", NULL, 0};
    int64_t base = count(f->db, "SELECT COUNT(*) FROM events", NULL);

    assert_int_equal(kv_letters_store_batch(f->db, &ls[0], 1, NULL), 0);
    assert_int_equal(kv_db_acquire(f->st, &other, NULL), 0);
    assert_ptr_not_equal(other, f->db);
    assert_int_equal(kv_db_begin(other, NULL), 0);
    assert_int_equal(kv_events_append(other, &ev, NULL), 0);
    assert_int_equal(kv_db_commit(other, NULL), 0);
    kv_db_release(other);
    assert_int_equal(kv_letters_store_batch(f->db, &ls[1], 2, NULL), 0);
    assert_int_equal(f->l[1].outcome, KV_LETTER_CREATED);
    assert_int_equal(f->l[2].outcome, KV_LETTER_CREATED);
    expect_chain(f->db, base + 10);
    expect_search_index(f->db, 3);
}

/* The same letter twice in one batch: the second is a replay of the first, nothing doubles. */
static void test_replay_inside_batch(void **state)
{
    struct fx *f = *state;
    struct kv_letter again, *ls[2] = {&f->l[0], &again};
    int64_t base = count(f->db, "SELECT COUNT(*) FROM events", NULL);

    kv_letter_init(&again, f->bytes[0], f->len);
    assert_int_equal(kv_letter_prepare(&again, &f->sys, NULL, NULL, NULL), 0);
    assert_int_equal(kv_letters_store_batch(f->db, ls, 2, NULL), 0);
    assert_int_equal(f->l[0].outcome, KV_LETTER_CREATED);
    assert_int_equal(again.outcome, KV_LETTER_REPLAYED);
    assert_string_equal(again.transmission_id, f->l[0].transmission_id);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters", NULL), 1);
    assert_int_equal(stats_n(f->db), 1); /* the replay is not counted again */
    expect_chain(f->db, base + 3);
    kv_letter_release(&again);
}

/* A prepared letter of bytes (the caller's copy) from sys: PENDING. */
static void prepare(struct kv_letter *l, const char *bytes, size_t len, const struct kv_system *sys)
{
    kv_letter_init(l, bytes, len);
    assert_int_equal(kv_letter_prepare(l, sys, NULL, NULL, NULL), 0);
    assert_int_equal(l->outcome, KV_LETTER_PENDING);
}

/* A taken messageUUID is found by the letters INSERT itself (ON CONFLICT DO NOTHING), not by a
 * look-up before it: in one batch, with a new letter before and after, in the batch's first
 * pass (no savepoints; on PostgreSQL no failed statement may abort the transaction), the same
 * bytes from the same system are the replay (the stored letter's transmission id and time),
 * other bytes and another system's use of the uuid are conflicts that leave the transmission
 * id they had and no receipt fields, and nothing of them is written: the new letters are
 * stored, each once, and the event chain verifies. */
static void test_taken_uuid_answered_by_the_insert(void **state)
{
    struct fx *f = *state;
    struct kv_system other;
    struct kv_letter resend, changed, foreign, *first[1] = {&f->l[0]};
    struct kv_letter *ls[5] = {&f->l[1], &resend, &changed, &foreign, &f->l[2]};
    char *token = NULL, *bytes = kv_xmalloc(f->len + 1), *p, tid_changed[37], tid_foreign[37];
    int64_t base;

    assert_int_equal(kv_letters_store_batch(f->db, first, 1, NULL), 0);
    assert_int_equal(f->l[0].outcome, KV_LETTER_CREATED);
    base = count(f->db, "SELECT COUNT(*) FROM events", NULL);
    memset(&other, 0, sizeof(other));
    snprintf(other.org_cvr, sizeof(other.org_cvr), "12345678");
    snprintf(other.kind, sizeof(other.kind), "sender");
    snprintf(other.name, sizeof(other.name), "other");
    assert_int_equal(kv_system_add(f->db, &other, &token, NULL), 0);
    free(token);
    base += count(f->db, "SELECT COUNT(*) FROM events", NULL) - base; /* the system's event */
    memcpy(bytes, f->bytes[0], f->len + 1);
    p = strstr(bytes, "Pladsanvisning");
    assert_non_null(p);
    p[0] = 'Q'; /* other bytes, the same uuid */
    prepare(&resend, f->bytes[0], f->len, &f->sys);
    prepare(&changed, bytes, f->len, &f->sys);
    prepare(&foreign, f->bytes[0], f->len, &other);
    snprintf(tid_changed, sizeof(tid_changed), "%s", changed.transmission_id);
    snprintf(tid_foreign, sizeof(tid_foreign), "%s", foreign.transmission_id);
    assert_int_equal(kv_letters_store_batch(f->db, ls, 5, NULL), 0);
    assert_int_equal(f->l[1].outcome, KV_LETTER_CREATED);
    assert_int_equal(f->l[2].outcome, KV_LETTER_CREATED);
    assert_int_equal(resend.outcome, KV_LETTER_REPLAYED);
    assert_string_equal(resend.transmission_id, f->l[0].transmission_id);
    assert_true(resend.time_ms == f->l[0].time_ms);
    assert_string_equal(resend.receipt_status, "RECEIVED");
    assert_string_equal(resend.state, "AVAILABLE");
    assert_int_equal(changed.outcome, KV_LETTER_CONFLICT);
    assert_int_equal(foreign.outcome, KV_LETTER_CONFLICT);
    assert_string_equal(changed.refusal.code, "DUPLICATE_MESSAGE_UUID");
    assert_string_equal(foreign.refusal.code, "DUPLICATE_MESSAGE_UUID");
    assert_string_equal(changed.transmission_id, tid_changed);
    assert_string_equal(foreign.transmission_id, tid_foreign);
    assert_string_equal(changed.receipt_status, "");
    assert_string_equal(changed.state, "");
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters", NULL), 3);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters WHERE message_uuid = ?",
                           f->uuid[0]), 1);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM receipts", NULL), 3);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM events WHERE message_uuid = ?",
                           f->uuid[0]), 3);
    assert_int_equal(stats_n(f->db), 3);
    expect_chain(f->db, base + 6);
    expect_search_index(f->db, 3);
    kv_letter_release(&resend);
    kv_letter_release(&changed);
    kv_letter_release(&foreign);
    free(bytes);
}

/* A letter that names a Representative is checked against the delegation (delegation.h), and
 * a resend of a stored one is answered from it as before the check, even after the
 * delegation ended (the look-up runs once the check refuses): the replay, not a refusal. A
 * new letter naming it, or the same uuid with other bytes, is refused (SENDER_NOT_ALLOWED,
 * the refusal first: it tells nothing about the stored letter). */
static void test_resend_answered_before_the_delegation_check(void **state)
{
    struct fx *f = *state;
    struct kv_letter resend, changed, *ls[1];
    char *bytes = kv_xmalloc(f->len + 1), *p;

    assert_int_equal(kv_org_add(f->db, "87654321", "R", NULL), 0);
    assert_int_equal(kv_delegation_add(f->db, "12345678", "87654321", NULL, NULL), 0);
    snprintf(f->l[0].representative, sizeof(f->l[0].representative), "87654321");
    ls[0] = &f->l[0];
    assert_int_equal(kv_letters_store_batch(f->db, ls, 1, NULL), 0);
    assert_int_equal(f->l[0].outcome, KV_LETTER_CREATED);
    assert_int_equal(kv_delegation_remove(f->db, "12345678", "87654321", NULL), 0);

    prepare(&resend, f->bytes[0], f->len, &f->sys);
    snprintf(resend.representative, sizeof(resend.representative), "87654321");
    ls[0] = &resend;
    assert_int_equal(kv_letters_store_batch(f->db, ls, 1, NULL), 0);
    assert_int_equal(resend.outcome, KV_LETTER_REPLAYED);
    assert_string_equal(resend.transmission_id, f->l[0].transmission_id);
    assert_int_equal(resend.refusal.n_fields, 0);

    memcpy(bytes, f->bytes[0], f->len + 1);
    p = strstr(bytes, "Pladsanvisning");
    assert_non_null(p);
    p[0] = 'Q';
    prepare(&changed, bytes, f->len, &f->sys);
    snprintf(changed.representative, sizeof(changed.representative), "87654321");
    ls[0] = &changed;
    assert_int_equal(kv_letters_store_batch(f->db, ls, 1, NULL), 0);
    assert_int_equal(changed.outcome, KV_LETTER_REFUSED);
    assert_string_equal(changed.refusal.code, "SENDER_NOT_ALLOWED");

    snprintf(f->l[1].representative, sizeof(f->l[1].representative), "87654321");
    ls[0] = &f->l[1];
    assert_int_equal(kv_letters_store_batch(f->db, ls, 1, NULL), 0);
    assert_int_equal(f->l[1].outcome, KV_LETTER_REFUSED);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters", NULL), 1);
    kv_letter_release(&resend);
    kv_letter_release(&changed);
    free(bytes);
}

/* NEW notices queued for letter uuid. */
static int64_t notices(struct kv_db *db, const char *uuid)
{
    return count(db, "SELECT COUNT(*) FROM notify_outbox o JOIN letters l ON l.id = o.letter_id"
                     " WHERE l.message_uuid = ? AND o.kind = 'NEW'",
                 uuid);
}

/* The send runs the notices' fan-out only when an access to the mailbox has a notification
 * settings row it has not opted out of (the recipient's mailbox look-up asks; the fan-out then
 * picks the confirmed channels): none without settings; a helper's
 * (MAILBOX_READ grant) confirmed push device when the owner has no settings at all; none when
 * the helper opted out and the owner's only channel is unconfirmed. */
static void test_notices_of_owner_and_helpers(void **state)
{
    struct fx *f = *state;
    struct kv_letter *ls[1];
    static const char *const setup_sql[] = {
        "INSERT INTO persons (name, cpr, created_ms) VALUES ('H', '0101010101', 0)",
        "INSERT INTO privileges (type, scope_type, scope_id, grantee_type, grantee_person_id,"
        " source, issuer, created_ms) SELECT 'MAILBOX_READ', 'CPR', '2211771212', 'PERSON', id,"
        " 'DIRECT', 'test', 0 FROM persons WHERE cpr = '0101010101'",
        "INSERT INTO notify_settings (mailbox_id, holder, updated_ms) SELECT id, 'CPR:0101010101',"
        " 0 FROM mailboxes WHERE owner_id = '2211771212'",
        "INSERT INTO notify_channels (settings_id, kind, address, device_id, provider,"
        " confirmed_ms, created_ms) SELECT id, 'PUSH', 'tok', 'dev', 'FCM', 1, 0"
        " FROM notify_settings WHERE holder = 'CPR:0101010101'",
    };
    size_t i;

    ls[0] = &f->l[0];
    assert_int_equal(kv_letters_store_batch(f->db, ls, 1, NULL), 0);
    assert_int_equal(f->l[0].outcome, KV_LETTER_CREATED);
    assert_int_equal(notices(f->db, f->uuid[0]), 0);

    for (i = 0; i < sizeof(setup_sql) / sizeof(setup_sql[0]); i++)
        assert_int_equal(kv_db_exec(f->db, setup_sql[i], NULL), 0);
    ls[0] = &f->l[1];
    assert_int_equal(kv_letters_store_batch(f->db, ls, 1, NULL), 0);
    assert_int_equal(f->l[1].outcome, KV_LETTER_CREATED);
    assert_int_equal(notices(f->db, f->uuid[1]), 1);

    assert_int_equal(kv_db_exec(f->db,
                                "UPDATE notify_settings SET opted_out_ms = 1;"
                                " INSERT INTO notify_settings (mailbox_id, holder, updated_ms)"
                                " SELECT id, 'CPR:2211771212', 0 FROM mailboxes"
                                " WHERE owner_id = '2211771212';"
                                " INSERT INTO notify_channels (settings_id, kind, address,"
                                " created_ms) SELECT id, 'EMAIL', 'a@b.dk', 0 FROM notify_settings"
                                " WHERE holder = 'CPR:2211771212'",
                                NULL),
                     0);
    ls[0] = &f->l[2];
    assert_int_equal(kv_letters_store_batch(f->db, ls, 1, NULL), 0);
    assert_int_equal(f->l[2].outcome, KV_LETTER_CREATED);
    assert_int_equal(notices(f->db, f->uuid[2]), 0);
}

/* One writer of test_concurrent_batches: its own connection and letters (the fixture's
 * messageUUIDs, in an order of its own). */
#define WRITERS 4
struct writer {
    struct fx *f;
    int k;                       /* writer number: rotates the order */
    pthread_barrier_t *start;    /* all writers begin together */
    struct kv_letter l[N];
    int rc;
};

static void *writer_thread(void *arg)
{
    struct writer *w = arg;
    struct kv_letter *ls[N];
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    int i;

    for (i = 0; i < N; i++) {
        int j = (i + w->k) % N;

        kv_letter_init(&w->l[i], w->f->bytes[j], w->f->len);
        ls[i] = &w->l[i];
        if (kv_letter_prepare(&w->l[i], &w->f->sys, NULL, NULL, NULL) != 0)
            w->rc = -1;
    }
    pthread_barrier_wait(w->start);
    if (w->rc == 0)
        w->rc = kv_db_acquire(w->f->st, &db, &err);
    if (w->rc == 0)
        w->rc = kv_letters_store_batch(db, ls, N, &err);
    if (w->rc != 0)
        fprintf(stderr, "writer %d: %s\n", w->k, err.msg);
    if (db)
        kv_db_release(db);
    return NULL;
}

/* Several writers store the same letters (same messageUUIDs, same bytes) at the same time,
 * each in its own concurrent transaction (on PostgreSQL nothing serialises them: the unique
 * key on messageUUID decides, and crossed orders may deadlock and be retried): every letter
 * is stored exactly once, every writer gets CREATED or the replay of it, exactly one CREATED
 * per messageUUID, and the event log verifies. */
static void test_concurrent_batches_same_uuids(void **state)
{
    struct fx *f = *state;
    struct writer w[WRITERS];
    pthread_t th[WRITERS];
    pthread_barrier_t start;
    int64_t base = count(f->db, "SELECT COUNT(*) FROM events", NULL);
    int i, k, created[N] = {0};

    assert_int_equal(pthread_barrier_init(&start, NULL, WRITERS), 0);
    memset(w, 0, sizeof(w));
    for (k = 0; k < WRITERS; k++) {
        w[k].f = f;
        w[k].k = k;
        w[k].start = &start;
        assert_int_equal(pthread_create(&th[k], NULL, writer_thread, &w[k]), 0);
    }
    for (k = 0; k < WRITERS; k++)
        assert_int_equal(pthread_join(th[k], NULL), 0);
    pthread_barrier_destroy(&start);
    for (k = 0; k < WRITERS; k++) {
        assert_int_equal(w[k].rc, 0);
        for (i = 0; i < N; i++) {
            int j = (i + k) % N;

            if (w[k].l[i].outcome == KV_LETTER_CREATED)
                created[j]++;
            else if (w[k].l[i].outcome != KV_LETTER_REPLAYED)
                fail_msg("writer %d letter %d: outcome %d", k, j, (int)w[k].l[i].outcome);
            assert_string_equal(w[k].l[i].uuid, f->uuid[j]);
        }
    }
    for (i = 0; i < N; i++) {
        assert_int_equal(created[i], 1);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters WHERE message_uuid = ?",
                               f->uuid[i]), 1);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM receipts WHERE message_uuid = ?",
                               f->uuid[i]), 1);
    }
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM events WHERE tag = ?",
                           "MEMO_SEND_RECEIVED"), N);
    assert_int_equal(stats_n(f->db), N); /* counted once each, whatever ran again */
    expect_chain(f->db, count(f->db, "SELECT COUNT(*) FROM events", NULL));
    expect_search_index(f->db, N); /* indexed once each */
    assert_true(count(f->db, "SELECT COUNT(*) FROM events", NULL) > base);
    for (k = 0; k < WRITERS; k++)
        for (i = 0; i < N; i++)
            kv_letter_release(&w[k].l[i]);
}

/* Letters of one key in one batch are one row with their sum; a later batch adds to it, the
 * MeMo usage counts too (the same as one upsert per letter would give). */
static void test_stats_summed_per_key(void **state)
{
    struct fx *f = *state;
    struct kv_letter *ls[N] = {&f->l[0], &f->l[1], &f->l[2]};

    /* MeMo usage as if letters 0 and 2 had Actions and letter 1 a ContentData */
    f->l[0].memo_flags = KV_MEMO_USES_ACTIONS;
    f->l[1].memo_flags = KV_MEMO_USES_CONTENT_DATA;
    f->l[2].memo_flags = KV_MEMO_USES_ACTIONS | KV_MEMO_USES_CONTENT_DATA;
    assert_int_equal(kv_letters_store_batch(f->db, &ls[0], 2, NULL), 0);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM stats_letters", NULL), 1);
    assert_int_equal(stats_n(f->db), 2);
    assert_int_equal(count(f->db, "SELECT SUM(has_actions) FROM stats_letters", NULL), 1);
    assert_int_equal(count(f->db, "SELECT SUM(has_content_data) FROM stats_letters", NULL), 1);
    assert_int_equal(count(f->db, "SELECT SUM(is_replyable) FROM stats_letters", NULL), 0);
    assert_int_equal(kv_letters_store_batch(f->db, &ls[2], 1, NULL), 0);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM stats_letters", NULL), 1);
    assert_int_equal(stats_n(f->db), 3);
    assert_int_equal(count(f->db, "SELECT SUM(has_actions) FROM stats_letters", NULL), 2);
    assert_int_equal(count(f->db, "SELECT SUM(has_content_data) FROM stats_letters", NULL), 2);
    assert_int_equal(count(f->db, "SELECT SUM(n) FROM stats_letters WHERE sender = '12345678'"
                                  " AND sender_type = 'AUTHORITY' AND recipient_type = 'CITIZEN'",
                           NULL),
                     3);
}

/* The eventTag strings of an EventLog array, joined by ",". */
static void tags_of(json_t *arr, char *out, size_t cap)
{
    size_t i, o = 0;

    out[0] = '\0';
    for (i = 0; i < json_array_size(arr); i++) {
        const char *t = json_string_value(json_object_get(json_array_get(arr, i), "eventTag"));
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", t ? t : "?");
        assert_true(o < cap);
    }
}

static void test_letter_events_by_uuid(void **state)
{
    struct fx *f = *state;
    struct kv_letter *ls[N] = {&f->l[0], &f->l[1], &f->l[2]};
    struct kv_event before = {"MEMO_SEND_VALIDATION_FAILED", f->uuid[0], f->sys.id, f->sys.id,
                              NULL, NULL, 0};
    struct kv_event after = {"MESSAGE_READ", f->uuid[0], NULL, "cpr:2211771212",
                             "cpr:2211771212", NULL, 0};
    struct kv_event_query q;
    json_t *arr = NULL;
    char tags[512], sql[256];
    int64_t n = 0, bad = -1;

    assert_int_equal(kv_db_begin(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &before, NULL), 0);
    assert_int_equal(kv_db_commit(f->db, NULL), 0);
    assert_int_equal(kv_letters_store_batch(f->db, ls, N, NULL), 0);
    assert_int_equal(kv_db_begin(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &after, NULL), 0);
    assert_int_equal(kv_db_commit(f->db, NULL), 0);

    /* the send's three events carry the letter's row id, the others none */
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM events WHERE letter_id = (SELECT id FROM letters WHERE "
             "message_uuid = ?)");
    assert_int_equal(count(f->db, sql, f->uuid[0]), 3);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM events WHERE message_uuid = ? AND "
                                  "letter_id IS NULL",
                           f->uuid[0]),
                     2);

    memset(&q, 0, sizeof(q));
    q.message_uuid = f->uuid[0];
    q.limit = 100;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    tags_of(arr, tags, sizeof(tags));
    assert_string_equal(tags, "MEMO_SEND_VALIDATION_FAILED,MEMO_SEND_RECEIVED,MEMO_SEND_VALIDATED,"
                              "MEMO_AVAILABLE_TO_RECIPIENT,MESSAGE_READ");
    json_decref(arr);

    /* page by page: 2, then the rest after the cursor */
    q.limit = 2;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    assert_int_equal(json_array_size(arr), 2);
    q.after_seq = json_integer_value(json_object_get(json_array_get(arr, 1), "seq"));
    json_decref(arr);
    q.limit = 100;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    tags_of(arr, tags, sizeof(tags));
    assert_string_equal(tags, "MEMO_SEND_VALIDATED,MEMO_AVAILABLE_TO_RECIPIENT,MESSAGE_READ");
    json_decref(arr);

    /* another letter's events stay apart */
    memset(&q, 0, sizeof(q));
    q.message_uuid = f->uuid[1];
    q.limit = 100;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    assert_int_equal(json_array_size(arr), 3);
    json_decref(arr);

    assert_int_equal(kv_events_verify_letter(f->db, f->uuid[0], &n, &bad, NULL), 0);
    assert_int_equal(n, 5);
    expect_chain(f->db, count(f->db, "SELECT COUNT(*) FROM events", NULL));
}

/* A letter's events are read through the two indexes, never by a scan of the log: the plans
 * of "message_uuid = ?1 AND seq IN (KV__EVENTS_MSG_SEQS)" (the events API) and of
 * KV__EVENTS_OF_MSG (kv_events_query, the letter's chain check, the event log page) name
 * events_letter and events_msg (EXPLAIN QUERY PLAN on SQLite; EXPLAIN with sequential scans
 * off on PostgreSQL, whose planner would scan a table this small). */
static void test_letter_events_plan(void **state)
{
    struct fx *f = *state;
    static const char *const sql_sq[2] = {
        "EXPLAIN QUERY PLAN SELECT seq, hash FROM events WHERE message_uuid = ?1 AND seq IN ("
        KV__EVENTS_MSG_SEQS("?1") ") ORDER BY seq",
        "EXPLAIN QUERY PLAN " KV__EVENTS_OF_MSG("seq, hash", "", "?1", "") " ORDER BY seq"};
    static const char *const sql_pg[2] = {
        "EXPLAIN SELECT seq, hash FROM events WHERE message_uuid = ?1 AND seq IN ("
        KV__EVENTS_MSG_SEQS("?1") ") ORDER BY seq",
        "EXPLAIN " KV__EVENTS_OF_MSG("seq, hash", "", "?1", "") " ORDER BY seq"};
    struct kv_stmt *s = NULL;
    int pg = kv_test_on_pg(), i;

    if (pg)
        assert_int_equal(kv_db_exec(f->db, "SET enable_seqscan = off", NULL), 0);
    for (i = 0; i < 2; i++) {
        int by_letter = 0, by_msg = 0, scan = 0;

        assert_int_equal(kv_db_prepare(f->db, pg ? sql_pg[i] : sql_sq[i], &s, NULL), 0);
        kv_stmt_bind_text(s, 1, f->uuid[0], -1);
        while (kv_stmt_step(s, NULL) == KV_ROW) {
            const char *d = kv_stmt_col_text(s, pg ? 0 : 3);

            if (!d)
                continue;
            by_letter |= strstr(d, "events_letter") != NULL;
            by_msg |= strstr(d, "events_msg") != NULL;
            scan |= strstr(d, pg ? "Seq Scan on events" : "SCAN events") != NULL;
        }
        kv_stmt_done(s);
        assert_true(by_letter);
        assert_true(by_msg);
        assert_false(scan);
    }
    if (pg)
        assert_int_equal(kv_db_exec(f->db, "RESET enable_seqscan", NULL), 0);
}

/* The send's events about its recipient have no entry in events_subject (migration 059), and
 * the one reader by subject, the mailbox's activity log, still finds its events there: every
 * activity tag is readable (KV__EVENTS_SUBJECTED names none), a send's tag is refused, the
 * activity event of the recipient is found among the send's events of the same subject, and
 * the statement reads through events_subject, not a scan of the log (both backends). */
/* What a letter's rows cost to write (issue 15, migration 067): its receipt gets its id from
 * kv_receipt_insert (a UUID v7), with no fill-in trigger on receipts (SQLite) or column default
 * (PostgreSQL) left; a trigger there gave every receipt INSERT a statement journal. */
static void test_receipt_insert_without_trigger(void **state)
{
    struct fx *f = *state;
    struct kv_letter *ls[N] = {&f->l[0], &f->l[1], &f->l[2]};
    int i;

    assert_int_equal(kv_letters_store_batch(f->db, ls, N, NULL), 0);
    for (i = 0; i < N; i++) {
        struct kv_stmt *s = NULL;

        assert_int_equal(f->l[i].outcome, KV_LETTER_CREATED);
        assert_int_equal(kv_db_prepare(f->db, "SELECT uuid FROM receipts WHERE message_uuid = ?",
                                       &s, NULL),
                         0);
        kv_stmt_bind_text(s, 1, f->uuid[i], -1);
        assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
        assert_non_null(kv_stmt_col_text(s, 0));
        assert_int_equal(strlen(kv_stmt_col_text(s, 0)), 36);
        assert_int_equal(kv_stmt_col_text(s, 0)[14], '7'); /* kv_uuid_v7 */
        kv_stmt_done(s);
    }
    if (kv_test_on_pg())
        assert_int_equal(count(f->db,
                               "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema"
                               " = current_schema() AND table_name = ? AND column_name = 'uuid'"
                               " AND column_default IS NOT NULL",
                               "receipts"),
                         0);
    else
        assert_int_equal(count(f->db,
                               "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND"
                               " tbl_name = ?",
                               "receipts"),
                         0);
}

/* Deferred search indexing (migrations 060, 073): a letter beyond the index's rowid range (a
 * mailbox id >= 2^27) is refused in a batch too, not left unindexed: letters_search_ins's WHEN
 * lets its range check run although the batch defers the letter. Each letter of the batch is
 * rolled back alone; with the mailbox's id back in range the same letters are stored, indexed
 * once each at the batch's end, and the deferral row is gone. */
static void test_search_range_checked_in_batch(void **state)
{
    struct fx *f = *state;
    struct kv_letter *ls[N] = {&f->l[0], &f->l[1], &f->l[2]};
    int i;

    if (kv_test_on_pg())
        return; /* a GIN index on letters: no rowid range */
    assert_int_equal(kv_db_exec(f->db, "UPDATE mailboxes SET id = 134217728"
                                       " WHERE owner_id = '2211771212'", NULL),
                     0);
    assert_int_equal(kv_letters_store_batch(f->db, ls, N, NULL), 0);
    for (i = 0; i < N; i++)
        assert_int_equal(f->l[i].outcome, KV_LETTER_FAILED);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters", NULL), 0);
    expect_search_index(f->db, 0);
    assert_int_equal(kv_db_exec(f->db, "UPDATE mailboxes SET id = 7"
                                       " WHERE owner_id = '2211771212'", NULL),
                     0);
    for (i = 0; i < N; i++)
        f->l[i].outcome = KV_LETTER_PENDING;
    assert_int_equal(kv_letters_store_batch(f->db, ls, N, NULL), 0);
    for (i = 0; i < N; i++)
        assert_int_equal(f->l[i].outcome, KV_LETTER_CREATED);
    expect_search_index(f->db, N);
}

/* The upgrade from a store at migration 069 (with letters) through 072 and 073: the schema
 * objects of 069 restored and both migrations forgotten, the store reopened applies them
 * again; letters_mailbox is gone (both backends), and on SQLite the letter stored before is
 * still indexed, the batches after are indexed at their end through the deferral row's
 * DELETE trigger, and FTS5's integrity check passes (expect_search_index). */
static void test_upgrade_from_069(void **state)
{
    struct fx *f = *state;
    struct kv_letter *ls[N] = {&f->l[0], &f->l[1], &f->l[2]};
    int pg = kv_test_on_pg();

    assert_int_equal(kv_letters_store_batch(f->db, ls, 1, NULL), 0);
    assert_int_equal(f->l[0].outcome, KV_LETTER_CREATED);
    assert_int_equal(kv_db_exec(f->db,
                                "CREATE INDEX letters_mailbox ON letters(mailbox_id, state,"
                                " available_ms)",
                                NULL),
                     0);
    if (!pg)
        assert_int_equal(
            kv_db_exec(f->db,
                       "DROP TRIGGER letters_search_defer_end; DROP TRIGGER letters_search_ins;"
                       " CREATE TRIGGER letters_search_ins AFTER INSERT ON letters"
                       " WHEN NEW.mailbox_id IS NOT NULL AND NEW.state IN ('AWAITING_DELAY',"
                       " 'AVAILABLE') AND NEW.folder <> 'purged' BEGIN"
                       " SELECT RAISE(ABORT, 'letters_search: letter or mailbox id beyond the"
                       " index range') WHERE NEW.id >= 68719476736 OR NEW.mailbox_id >= 134217728"
                       " OR NEW.mailbox_id < 0;"
                       " INSERT INTO letters_search (rowid, label, sender)"
                       " SELECT NEW.mailbox_id * 68719476736 + NEW.id, NEW.label,"
                       " COALESCE(NEW.sender_label, '') WHERE NOT EXISTS (SELECT 1 FROM"
                       " letters_search_defer WHERE NEW.id >= from_id); END",
                       NULL),
            0);
    assert_int_equal(kv_db_exec(f->db,
                                "DELETE FROM schema_migrations WHERE version IN (72, 73, 74)",
                                NULL),
                     0);
    kv_db_release(f->db);
    kv_store_close(f->st);
    f->db = NULL;
    assert_int_equal(kv_test_store_open(f->dir, &f->st, NULL), 0);
    assert_int_equal(kv_db_acquire(f->st, &f->db, NULL), 0);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM schema_migrations WHERE version IN"
                                  " (72, 73, 74)",
                           NULL),
                     3);
    assert_int_equal(count(f->db,
                           pg ? "SELECT COUNT(*) FROM pg_indexes WHERE schemaname ="
                                " current_schema() AND indexname = ?"
                              : "SELECT COUNT(*) FROM sqlite_schema WHERE name = ?",
                           "letters_mailbox"),
                     0);
    if (!pg)
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = ?",
                               "letters_search_defer_end"),
                         1);
    assert_int_equal(kv_letters_store_batch(f->db, &ls[1], 1, NULL), 0);
    assert_int_equal(kv_letters_store_batch(f->db, &ls[2], 1, NULL), 0);
    assert_int_equal(f->l[1].outcome, KV_LETTER_CREATED);
    assert_int_equal(f->l[2].outcome, KV_LETTER_CREATED);
    expect_search_index(f->db, N);
}

/* K letters of the Minimum example with messageUUIDs ...-0000000xxxxx (distinct from the
 * fixture's), prepared; bytes[i] owned by the caller as ls[i]'s buffer. */
static void group_letters(struct fx *f, int k, char **bytes, struct kv_letter *ls)
{
    int i;

    for (i = 0; i < k; i++) {
        char uuid[37];
        char *p;
        size_t len;

        snprintf(uuid, sizeof(uuid), "8c2ea15d-61fb-4ba9-9366-0000%08x", (unsigned)i);
        bytes[i] = load(&len);
        for (p = bytes[i]; (p = strstr(p, EX_UUID)) != NULL; p += 36)
            memcpy(p, uuid, 36);
        kv_letter_init(&ls[i], bytes[i], len);
        assert_int_equal(kv_letter_prepare(&ls[i], &f->sys, NULL, NULL, NULL), 0);
        assert_int_equal(ls[i].outcome, KV_LETTER_PENDING);
    }
}

/* Letters of the fixture's mailbox a search for text finds (every page). */
static int found(struct kv_db *db, const char *text)
{
    struct kv_mbox_owner o = {.type = "CPR", .id = "2211771212"};
    struct kv_mbox_query q = {.unread = -1, .limit = 100, .text = text};
    char cursor[256] = "";
    int n = 0;

    for (;;) {
        json_t *out = NULL, *next;
        struct kv_err err = {0, ""};

        q.cursor = cursor[0] ? cursor : NULL;
        if (kv_mbox_list(db, &o, &q, &out, &err) != 0)
            fail_msg("search: %s", err.msg);
        n += (int)json_array_size(json_object_get(out, "items"));
        next = json_object_get(out, "nextCursor");
        if (!json_is_string(next)) {
            json_decref(out);
            return n;
        }
        snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
        json_decref(out);
    }
}

/* Store k letters from ls in group commits of b. */
static void store_groups(struct kv_db *db, struct kv_letter *ls, int k, int b)
{
    struct kv_letter *p[32];
    int i, j;

    assert_true(b <= 32);
    for (i = 0; i < k; i += b) {
        int m = k - i < b ? k - i : b;

        for (j = 0; j < m; j++)
            p[j] = &ls[i + j];
        assert_int_equal(kv_letters_store_group(db, p, (size_t)m, NULL), 0);
        for (j = 0; j < m; j++)
            assert_int_equal(ls[i + j].outcome, KV_LETTER_CREATED);
    }
}

/* Letters left unindexed: those from the deferral row's from_id (0 without a row). */
static int64_t unindexed(struct kv_db *db)
{
    return count(db, "SELECT COUNT(*) FROM letters WHERE id >= (SELECT from_id FROM"
                     " letters_search_defer)",
                 NULL);
}

/* The writer's group commit leaves the index to later on SQLite (letters.h
 * kv_letters_store_group), and no search misses a letter for that. */
static void test_search_index_deferred(void **state)
{
    enum { K = KV_SEARCH_DEFER_LETTERS + 40 };
    struct fx *f = *state;
    char **bytes = kv_xcalloc(K, sizeof(*bytes));
    struct kv_letter *ls = kv_xcalloc(K, sizeof(*ls));
    struct kv_letter_writer *w = NULL;
    int pg = kv_test_on_pg(), i;

    group_letters(f, K, bytes, ls);
    /* 5 letters in three commits: found at once; on SQLite none indexed yet */
    store_groups(f->db, ls, 5, 2);
    assert_int_equal(found(f->db, "pladsanvis"), 5);
    assert_int_equal(found(f->db, "PLADSANVISNING"), 5);
    assert_int_equal(found(f->db, "no such title"), 0);
    assert_int_equal(found(f->db, "pl"), 5); /* the walk (no trigram) reads letters itself */
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters_search_defer", NULL), pg ? 0 : 1);
    if (!pg) {
        assert_int_equal(unindexed(f->db), 5);
        assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters_search", NULL), 0);
    }
    /* recalled and purged before the index took them: not found, now or later */
    assert_int_equal(kv_db_exec(f->db, "UPDATE letters SET state = 'RECALLED' WHERE message_uuid"
                                       " = '8c2ea15d-61fb-4ba9-9366-000000000001'", NULL),
                     0);
    assert_int_equal(kv_db_exec(f->db, "UPDATE letters SET folder = 'purged' WHERE message_uuid"
                                       " = '8c2ea15d-61fb-4ba9-9366-000000000003'", NULL),
                     0);
    assert_int_equal(found(f->db, "pladsanvis"), 3);
    /* the store closed with letters left unindexed (a crash before the flush) and reopened */
    kv_db_release(f->db);
    kv_store_close(f->st);
    f->db = NULL;
    assert_int_equal(kv_test_store_open(f->dir, &f->st, NULL), 0);
    assert_int_equal(kv_db_acquire(f->st, &f->db, NULL), 0);
    assert_int_equal(found(f->db, "pladsanvis"), 3);
    /* up to KV_SEARCH_DEFER_LETTERS - 1 behind: still deferred; the commit that brings them to
     * KV_SEARCH_DEFER_LETTERS indexes them all in one statement */
    store_groups(f->db, ls + 5, KV_SEARCH_DEFER_LETTERS - 6, 21);
    if (!pg)
        assert_int_equal(unindexed(f->db), KV_SEARCH_DEFER_LETTERS - 1);
    assert_int_equal(found(f->db, "pladsanvis"), KV_SEARCH_DEFER_LETTERS - 3);
    store_groups(f->db, ls + KV_SEARCH_DEFER_LETTERS - 1, 1, 1);
    expect_search_index(f->db, KV_SEARCH_DEFER_LETTERS - 2);
    assert_int_equal(found(f->db, "pladsanvis"), KV_SEARCH_DEFER_LETTERS - 2);
    /* deferred again; kv_letters_search_flush indexes them, and is cheap with nothing left */
    store_groups(f->db, ls + KV_SEARCH_DEFER_LETTERS, 10, 4);
    if (!pg)
        assert_int_equal(unindexed(f->db), 10);
    assert_int_equal(found(f->db, "pladsanvis"), KV_SEARCH_DEFER_LETTERS + 8);
    assert_int_equal(kv_letters_search_flush(f->db, NULL), 0);
    expect_search_index(f->db, KV_SEARCH_DEFER_LETTERS + 8);
    assert_int_equal(kv_letters_search_flush(f->db, NULL), 0);
    /* any other caller's batch indexes what the group commits left */
    store_groups(f->db, ls + KV_SEARCH_DEFER_LETTERS + 10, 10, 5);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters_search_defer", NULL), pg ? 0 : 1);
    {
        struct kv_letter *one = &f->l[0];

        assert_int_equal(kv_letters_store_batch(f->db, &one, 1, NULL), 0);
        assert_int_equal(f->l[0].outcome, KV_LETTER_CREATED);
    }
    expect_search_index(f->db, KV_SEARCH_DEFER_LETTERS + 19);
    /* a writer indexes what its batches left when it stops */
    assert_int_equal(kv_letter_writer_new(f->st, NULL, &w, NULL), 0);
    {
        struct kv_letter *p[20];

        for (i = 0; i < 20; i++)
            p[i] = &ls[KV_SEARCH_DEFER_LETTERS + 20 + i];
        assert_int_equal(kv_letter_writer_run(w, p, 20, NULL), 0);
        for (i = 0; i < 20; i++)
            assert_int_equal(p[i]->outcome, KV_LETTER_CREATED);
    }
    assert_int_equal(found(f->db, "pladsanvis"), KV_SEARCH_DEFER_LETTERS + 39);
    kv_letter_writer_stop(w);
    expect_search_index(f->db, KV_SEARCH_DEFER_LETTERS + 39);
    assert_int_equal(found(f->db, "pladsanvis"), KV_SEARCH_DEFER_LETTERS + 39);
    for (i = 0; i < K; i++) {
        kv_letter_release(&ls[i]);
        free(bytes[i]);
    }
    free(ls);
    free(bytes);
}

/* Milliseconds of the monotonic clock. */
static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A writer indexes, once idle for KV_SEARCH_FLUSH_MS, what its batches left, and at its start
 * what an earlier run left (a crash). */
static void test_search_index_writer_idle(void **state)
{
    enum { K = 30 };
    struct fx *f = *state;
    char **bytes = kv_xcalloc(K, sizeof(*bytes));
    struct kv_letter *ls = kv_xcalloc(K, sizeof(*ls));
    struct kv_letter_writer *w = NULL;
    struct kv_letter *p[K];
    int64_t t0;
    int i, waited;

    if (kv_test_on_pg()) { /* nothing is deferred there */
        free(ls);
        free(bytes);
        return;
    }
    group_letters(f, K, bytes, ls);
    store_groups(f->db, ls, 10, 5); /* left unindexed, as by a run that crashed */
    assert_int_equal(unindexed(f->db), 10);
    t0 = mono_ms();
    assert_int_equal(kv_letter_writer_new(f->st, NULL, &w, NULL), 0);
    for (waited = 0; waited < 10 * KV_SEARCH_FLUSH_MS && unindexed(f->db) > 0; waited += 20)
        usleep(20000);
    expect_search_index(f->db, 10);
    /* not at once: after the writer's idle wait (elapsed time, not the count of sleeps, which
     * a loaded machine stretches) */
    assert_true(mono_ms() - t0 >= KV_SEARCH_FLUSH_MS / 2);
    for (i = 0; i < 20; i++)
        p[i] = &ls[10 + i];
    assert_int_equal(kv_letter_writer_run(w, p, 20, NULL), 0);
    assert_int_equal(unindexed(f->db), 20);
    assert_int_equal(found(f->db, "pladsanvis"), 30);
    for (waited = 0; waited < 10 * KV_SEARCH_FLUSH_MS && unindexed(f->db) > 0; waited += 20)
        usleep(20000);
    expect_search_index(f->db, 30);
    kv_letter_writer_stop(w);
    for (i = 0; i < K; i++) {
        kv_letter_release(&ls[i]);
        free(bytes[i]);
    }
    free(ls);
    free(bytes);
}

/* A kuvert from before session 12 on a store where the writer's durable deferral row is left
 * (a crash, or a stop whose flush failed): its batch puts a row of its own without looking
 * (INSERT ... SELECT COALESCE(MAX(id), 0) + 1), stores its letters and removes every row at
 * its end. Both rows' DELETE triggers indexed the letters from the later row on, and FTS5
 * refused the second insert of a rowid ("constraint failed"): every batch of that build
 * failed. Since migration 074 each row's trigger indexes only what no other row still covers:
 * the batch commits, every letter is indexed once and found. Not on PostgreSQL (nothing
 * deferred there). */
static void test_search_defer_older_build(void **state)
{
    enum { K = 5 };
    struct fx *f = *state;
    char **bytes = kv_xcalloc(K, sizeof(*bytes));
    struct kv_letter *ls = kv_xcalloc(K, sizeof(*ls));
    struct kv_err err = {0, ""};
    int i, rc;

    if (kv_test_on_pg()) {
        free(ls);
        free(bytes);
        return;
    }
    group_letters(f, K, bytes, ls);
    store_groups(f->db, ls, K, 5); /* the writer's: left unindexed behind its row */
    assert_int_equal(unindexed(f->db), K);
    /* the older build's batch (its letter_store.c SQL_DEFER_ON, one letter, SQL_DEFER_OFF) */
    assert_int_equal(kv_db_begin(f->db, NULL), 0);
    assert_int_equal(kv_db_exec(f->db, "INSERT INTO letters_search_defer (from_id)"
                                       " SELECT COALESCE(MAX(id), 0) + 1 FROM letters",
                                NULL),
                     0);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters_search_defer", NULL), 2);
    assert_int_equal(
        kv_db_exec(f->db,
                   "INSERT INTO letters (message_uuid, transmission_id, sender_system,"
                   " sender_cvr, sender_label, recipient_type, recipient_id, mailbox_id,"
                   " message_id, label, message_type, memo_version, body_sha256, body, size,"
                   " state, receipt_status, error_code, error_message, available_ms,"
                   " created_ms, sender_mailbox_id, legal_notification, contact_point_id)"
                   " SELECT '8c2ea15d-61fb-4ba9-9366-00000000ffff', transmission_id,"
                   " sender_system, sender_cvr, sender_label, recipient_type, recipient_id,"
                   " mailbox_id, message_id, label, message_type, memo_version, body_sha256,"
                   " body, size, state, receipt_status, error_code, error_message,"
                   " available_ms, created_ms, sender_mailbox_id, legal_notification,"
                   " contact_point_id FROM letters WHERE id = (SELECT MAX(id) FROM letters)",
                   NULL),
        0);
    rc = kv_db_exec(f->db, "DELETE FROM letters_search_defer", &err);
    if (rc == 0)
        rc = kv_db_commit(f->db, &err);
    else
        kv_db_rollback(f->db);
    if (rc != 0)
        fail_msg("the older build's batch failed: %s", err.msg);
    expect_search_index(f->db, K + 1);
    assert_int_equal(found(f->db, "pladsanvis"), K + 1);
    for (i = 0; i < K; i++) {
        kv_letter_release(&ls[i]);
        free(bytes[i]);
    }
    free(ls);
    free(bytes);
}

/* Rows of the send path's tables whose CHECK constraints name a list of values (migration 068):
 * a value outside the list is still refused on both backends, one in it is taken, and SQLite
 * codes the checks as comparisons, without the ephemeral B-tree that an IN list of more than
 * two values costs every INSERT and UPDATE. */
static void test_check_constraints_without_in_lists(void **state)
{
    static const char *const upd[] = {
        "UPDATE letters SET state = ? WHERE message_uuid = ?",
        "UPDATE recipient_queue SET state = ? WHERE letter_id = 0 AND ? IS NOT NULL",
        "UPDATE notify_outbox SET state = ?, kind = 'NEW', channel = 'EMAIL' WHERE ukey = ?",
    };
    /* the send path's INSERT (letter_store.c); an UPDATE of letters runs letters_search_upd,
     * whose INSERT ... SELECT into the FTS5 table has an ephemeral table of its own */
    static const char *const explained[] = {
        "INSERT INTO letters (message_uuid, transmission_id, sender_system, sender_cvr, "
        "sender_label, recipient_type, recipient_id, mailbox_id, message_id, label, message_type, "
        "memo_version, body_sha256, body, size, state, receipt_status, error_code, error_message, "
        "available_ms, created_ms, sender_mailbox_id, legal_notification, contact_point_id) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        NULL,
        NULL,
    };
    char sql[640];
    struct fx *f = *state;
    struct kv_letter *ls[N] = {&f->l[0], &f->l[1], &f->l[2]};
    struct kv_stmt *s = NULL;
    int i;

    assert_int_equal(kv_letters_store_batch(f->db, ls, N, NULL), 0);
    assert_int_equal(f->l[0].outcome, KV_LETTER_CREATED);
    assert_int_equal(kv_db_prepare(f->db, upd[0], &s, NULL), 0);
    kv_stmt_bind_text(s, 1, "DELIVERED", -1);
    kv_stmt_bind_text(s, 2, f->uuid[0], -1);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ECONFLICT);
    kv_stmt_done(s);
    assert_int_equal(kv_db_prepare(f->db, upd[0], &s, NULL), 0);
    kv_stmt_bind_text(s, 1, "AVAILABLE", -1);
    kv_stmt_bind_text(s, 2, f->uuid[0], -1);
    assert_int_equal(kv_stmt_step(s, NULL), KV_DONE);
    kv_stmt_done(s);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM letters WHERE message_uuid = ? AND state ="
                                  " 'AVAILABLE'",
                           f->uuid[0]),
                     1);
    if (kv_test_on_pg())
        return;
    for (i = 0; i < 3; i++) {
        int ephemeral = 0, ops = 0;

        snprintf(sql, sizeof(sql), "EXPLAIN %s", explained[i] ? explained[i] : upd[i]);
        assert_int_equal(kv_db_prepare(f->db, sql, &s, NULL), 0);
        while (kv_stmt_step(s, NULL) == KV_ROW) {
            ops++;
            ephemeral += strcmp(kv_stmt_col_text(s, 1), "OpenEphemeral") == 0;
        }
        kv_stmt_done(s);
        assert_true(ops > 10);
        assert_int_equal(ephemeral, 0);
    }
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM sqlite_schema WHERE name = ? OR (name IN"
                                  " ('letters', 'recipient_queue', 'notify_outbox') AND sql LIKE"
                                  " '% IN (''%')",
                           "schema_reload_068"),
                     0);
}

static void test_subject_index_without_send_events(void **state)
{
    struct fx *f = *state;
    struct kv_letter *ls[N] = {&f->l[0], &f->l[1], &f->l[2]};
    struct kv_event read = {"MESSAGE_READ", f->uuid[0], NULL, "cpr:2211771212",
                            "cpr:2211771212", NULL, 0};
    const char *const send_tag[1] = {"MEMO_SEND_RECEIVED"};
    const char *const *tags;
    const char *const sql = kv_test_on_pg() ? "EXPLAIN " KV__EVENTS_OF_SUBJECT_SQL
                                            : "EXPLAIN QUERY PLAN " KV__EVENTS_OF_SUBJECT_SQL;
    struct kv_err err = {0, ""};
    struct kv_stmt *s = NULL;
    json_t *arr = NULL;
    int n_tags = 0, i, pg = kv_test_on_pg(), by_subject = 0, scan = 0;

    assert_int_equal(kv_letters_store_batch(f->db, ls, N, NULL), 0);
    assert_int_equal(kv_db_begin(f->db, NULL), 0);
    assert_int_equal(kv_events_append(f->db, &read, NULL), 0);
    assert_int_equal(kv_db_commit(f->db, NULL), 0);
    /* the three sends wrote nine events about the same subject */
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM events WHERE subject = ? AND letter_id"
                                  " IS NOT NULL",
                           "cpr:2211771212"),
                     3 * N);

    tags = kv_mbox_activity_tags(&n_tags);
    assert_true(n_tags > 16);
    for (i = 0; i < n_tags; i++) {
        assert_int_equal(kv_events_of_subject(f->db, "cpr:2211771212", tags + i, 1, 0, 10, &arr,
                                              &err),
                         0);
        assert_int_equal(json_array_size(arr), strcmp(tags[i], "MESSAGE_READ") == 0 ? 1 : 0);
        json_decref(arr);
        arr = NULL;
    }
    assert_int_equal(kv_events_of_subject(f->db, "cpr:2211771212", tags, 16, 0, 50, &arr, &err),
                     0);
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "eventTag")),
                        "MESSAGE_READ");
    json_decref(arr);
    arr = NULL;
    assert_int_equal(kv_events_of_subject(f->db, "cpr:2211771212", send_tag, 1, 0, 10, &arr,
                                          &err),
                     KV_EINVAL);
    assert_null(arr);

    if (pg)
        assert_int_equal(kv_db_exec(f->db, "SET enable_seqscan = off", NULL), 0);
    assert_int_equal(kv_db_prepare(f->db, sql, &s, NULL), 0);
    kv_stmt_bind_text(s, 1, "cpr:2211771212", -1);
    kv_stmt_bind_int64(s, 2, INT64_MAX);
    for (i = 0; i < 16; i++)
        kv_stmt_bind_text(s, 3 + i, "MESSAGE_READ", -1);
    kv_stmt_bind_int64(s, 19, 50);
    while (kv_stmt_step(s, NULL) == KV_ROW) {
        const char *d = kv_stmt_col_text(s, pg ? 0 : 3);

        if (!d)
            continue;
        by_subject |= strstr(d, "events_subject") != NULL;
        scan |= strstr(d, pg ? "Seq Scan on events" : "SCAN events") != NULL &&
                strstr(d, "USING") == NULL;
    }
    kv_stmt_done(s);
    if (pg)
        assert_int_equal(kv_db_exec(f->db, "RESET enable_seqscan", NULL), 0);
    assert_true(by_subject);
    assert_false(scan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failing_letter_rolled_back_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_writer_between_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_inside_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_taken_uuid_answered_by_the_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resend_answered_before_the_delegation_check, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_notices_of_owner_and_helpers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_batches_same_uuids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_summed_per_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_letter_events_by_uuid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_letter_events_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subject_index_without_send_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipt_insert_without_trigger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_constraints_without_in_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_range_checked_in_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_069, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_index_deferred, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_index_writer_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_defer_older_build, setup, teardown),
    };

    if (kv_memo_global_init(NULL) != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

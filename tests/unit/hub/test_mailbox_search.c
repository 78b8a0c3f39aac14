/* SPDX-License-Identifier: MIT
 *
 * test_mailbox_search.c: the mailbox search by text (hub/mailbox_search.c, the index of
 * migration 017), on whichever backend the unit tests run (SQLite, or PostgreSQL with
 * KUVERT_TEST_PG): substring in title or sender name, case-insensitive for ASCII and æøå;
 * texts of 1-2 characters; text with folder, unread, flagged and date range; keyset paging
 * with no letter lost or repeated; letters not visible (value date not passed, recalled,
 * purged, another mailbox's, another contact point's for a narrowed view) never found; a
 * deleted letter not found and gone from the index; the walk (a text too common for the
 * index, a page bound reached) giving the same answer as the index; the index kept equal to
 * the letters through moves, recall, purge, relabel and delete (SQLite: an id beyond the
 * index's rowid range refused); a migration applied to a store
 * that already has letters (the backfill); the query plans read the index.
 * Letters are inserted with plain SQL (the send path is not what is tested here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/mailbox_view.h"
#include "hub/mailbox_view_int.h"
#include "store/store.h"
#include "util/xmalloc.h"

#define T0 1700000000000LL
#define DAY 86400000LL

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    int64_t mb, other;
    int next;
};

static const struct kv_mbox_owner OWNER = {.type = "CPR", .id = "2211771212"};

static int64_t add_mailbox(struct kv_db *db, const char *cpr)
{
    struct kv_stmt *s;
    int64_t id = 0;

    assert_int_equal(kv_db_prepare(db,
                                   "INSERT INTO mailboxes (owner_type, owner_id, status, "
                                   "created_ms) VALUES ('CPR', ?, 'REGISTERED', 1) RETURNING id",
                                   &s, NULL),
                     0);
    kv_stmt_bind_text(s, 1, cpr, -1);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return id;
}

/* Inserts a letter (day d after T0) and returns its letters.id. */
static int64_t add(struct fx *f, int64_t mb, const char *label, const char *sender, int d,
                   const char *state, const char *folder, const char *point)
{
    struct kv_stmt *s;
    char uuid[37];
    int64_t id;

    snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012d", ++f->next);
    assert_int_equal(
        kv_db_prepare(f->db,
                      "INSERT INTO letters (message_uuid, transmission_id, sender_system, "
                      "sender_cvr, sender_label, recipient_type, recipient_id, mailbox_id, "
                      "label, message_type, memo_version, body_sha256, body, size, state, "
                      "receipt_status, available_ms, created_ms, folder, contact_point_id) "
                      "VALUES (?, ?, 's', '12345678', ?, 'CPR', '2211771212', ?, ?, "
                      "'DIGITALPOST', '1.2', 'x', 'x', 1, ?, 'RECEIVED', ?, ?, ?, ?) "
                      "RETURNING id",
                      &s, NULL),
        0);
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, uuid, -1);
    kv_stmt_bind_text(s, 3, sender, -1);
    kv_stmt_bind_int64(s, 4, mb);
    kv_stmt_bind_text(s, 5, label, -1);
    kv_stmt_bind_text(s, 6, state, -1);
    kv_stmt_bind_int64(s, 7, T0 + d * DAY);
    kv_stmt_bind_int64(s, 8, T0 + d * DAY);
    kv_stmt_bind_text(s, 9, folder, -1);
    kv_stmt_bind_text(s, 10, point, -1);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return id;
}

static void exec(struct fx *f, const char *sql)
{
    assert_int_equal(kv_db_exec(f->db, sql, NULL), 0);
}

static int setup(void **state)
{
    struct fx *f = kv_xcalloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-mbs-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0)
        return -1;
    f->mb = add_mailbox(f->db, "2211771212");
    f->other = add_mailbox(f->db, "0101701234");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    kv__mbox_search_cap = KV__MBOX_SEARCH_CAP;
    kv__mbox_scan_max = KV__MBOX_SCAN_MAX;
    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

/* All pages of a search: the titles found, newest first, joined by '/'; *pages = pages. */
static char *search_all(struct fx *f, const struct kv_mbox_owner *o, struct kv_mbox_query q,
                        int *pages)
{
    char *acc = kv_xstrdup(""), cursor[64];
    int n = 0;

    for (;;) {
        json_t *out = NULL, *it;
        const char *next;
        size_t i;

        assert_int_equal(kv_mbox_list(f->db, o, &q, &out, NULL), 0);
        assert_true(json_array_size(json_object_get(out, "items")) <= (size_t)q.limit);
        json_array_foreach(json_object_get(out, "items"), i, it) {
            char *more = kv_xasprintf("%s%s/", acc,
                                      json_string_value(json_object_get(it, "label")));
            free(acc);
            acc = more;
        }
        n++;
        next = json_string_value(json_object_get(out, "nextCursor"));
        if (!next) {
            json_decref(out);
            break;
        }
        snprintf(cursor, sizeof(cursor), "%s", next);
        json_decref(out);
        q.cursor = cursor;
        assert_true(n < 1000);
    }
    if (pages)
        *pages = n;
    return acc;
}

static char *find(struct fx *f, const char *folder, const char *text)
{
    struct kv_mbox_query q;

    memset(&q, 0, sizeof(q));
    q.folder = folder;
    q.unread = -1;
    q.limit = 20;
    q.text = text;
    return search_all(f, &OWNER, q, NULL);
}

static void expect(struct fx *f, const char *folder, const char *text, const char *want)
{
    char *got = find(f, folder, text);

    if (strcmp(got, want) != 0)
        fail_msg("search %s in %s: got \"%s\", want \"%s\"", text, folder ? folder : "(all)",
                 got, want);
    free(got);
}

/* A small mailbox with Danish titles and senders, and the same words elsewhere. */
static void fill_danish(struct fx *f)
{
    add(f, f->mb, "Årsopgørelse 2025", "Skattestyrelsen", 1, "AVAILABLE", "inbox", NULL);
    add(f, f->mb, "Varsel om ÆNDRING af ydelse", "Ærø Kommune", 2, "AVAILABLE", "inbox", NULL);
    add(f, f->mb, "Indkaldelse til tandlæge", "Tandplejen", 3, "AVAILABLE", "inbox", NULL);
    add(f, f->mb, "Kvittering 100% betalt", "Betaling_Service", 4, "AVAILABLE", "deleted",
        NULL);
    add(f, f->mb, "Ny årsopgørelse", "SKAT", 5, "AWAITING_DELAY", "inbox", NULL);
    add(f, f->mb, "Årsopgørelse tilbagekaldt", "SKAT", 6, "RECALLED", "inbox", NULL);
    add(f, f->mb, "Årsopgørelse slettet", "SKAT", 7, "AVAILABLE", "purged", NULL);
    add(f, f->other, "Årsopgørelse til en anden", "Skattestyrelsen", 8, "AVAILABLE", "inbox",
        NULL);
}

static void test_substring_case_danish(void **state)
{
    struct fx *f = *state;

    fill_danish(f);
    expect(f, "inbox", "årsopgør", "Årsopgørelse 2025/");
    expect(f, "inbox", "ÅRSOPGØR", "Årsopgørelse 2025/");
    expect(f, "inbox", "sopgørel", "Årsopgørelse 2025/");
    expect(f, "inbox", "ændring", "Varsel om ÆNDRING af ydelse/");
    expect(f, "inbox", "ærø komm", "Varsel om ÆNDRING af ydelse/"); /* the sender */
    expect(f, "inbox", "STYRELSEN", "Årsopgørelse 2025/");
    expect(f, NULL, "ÆRØ", "Varsel om ÆNDRING af ydelse/");
    expect(f, "inbox", "tandlæge", "Indkaldelse til tandlæge/");
    expect(f, "inbox", "tandlaege", "");
    expect(f, "inbox", "no such title", "");
    expect(f, "deleted", "100%", "Kvittering 100% betalt/"); /* no LIKE metacharacters */
    expect(f, "deleted", "0% b", "Kvittering 100% betalt/");
    expect(f, "deleted", "g_s", "Kvittering 100% betalt/");
    expect(f, "deleted", "1_0", "");
    expect(f, "inbox", "\"quoted\"", "");
    expect(f, NULL, "opgørelse", "Årsopgørelse 2025/");
    /* a title and sender are searched apart: no match across the two */
    expect(f, "inbox", "2025skat", "");
}

static void test_short_texts(void **state)
{
    struct fx *f = *state;

    fill_danish(f);
    expect(f, "inbox", "Æ", "Indkaldelse til tandlæge/Varsel om ÆNDRING af ydelse/");
    expect(f, "inbox", "ø", "Varsel om ÆNDRING af ydelse/Årsopgørelse 2025/");
    expect(f, "inbox", "25", "Årsopgørelse 2025/");
    expect(f, "inbox", "%", "");
    expect(f, "deleted", "%", "Kvittering 100% betalt/");
    expect(f, "inbox", "q", "");
}

static void test_filters_and_paging(void **state)
{
    struct fx *f = *state;
    struct kv_mbox_query q;
    char label[64], *got, want[4096] = "";
    int i, pages;

    for (i = 0; i < 45; i++) {
        snprintf(label, sizeof(label), "Faktura %02d", i);
        add(f, f->mb, label, i % 2 ? "Forsyning" : "El-selskab", i, "AVAILABLE", "inbox",
            NULL);
        add(f, f->mb, "Andet brev", "Kommunen", i, "AVAILABLE", "inbox", NULL);
        add(f, f->other, label, "Forsyning", i, "AVAILABLE", "inbox", NULL);
    }
    for (i = 44; i >= 0; i--) {
        snprintf(label, sizeof(label), "Faktura %02d/", i);
        strcat(want, label);
    }
    memset(&q, 0, sizeof(q));
    q.folder = "inbox";
    q.unread = -1;
    q.limit = 10;
    q.text = "FAKTURA";
    got = search_all(f, &OWNER, q, &pages);
    assert_string_equal(got, want);
    assert_int_equal(pages, 5);
    free(got);
    /* text + date range: days 10..19 (to is exclusive) */
    q.from_ms = T0 + 10 * DAY;
    q.to_ms = T0 + 20 * DAY;
    q.limit = 3;
    got = search_all(f, &OWNER, q, &pages);
    assert_string_equal(got, "Faktura 19/Faktura 18/Faktura 17/Faktura 16/Faktura 15/"
                             "Faktura 14/Faktura 13/Faktura 12/Faktura 11/Faktura 10/");
    assert_int_equal(pages, 4);
    free(got);
    /* text + date + sender text: odd days only */
    q.text = "forsyn";
    got = search_all(f, &OWNER, q, NULL);
    assert_string_equal(got, "Faktura 19/Faktura 17/Faktura 15/Faktura 13/Faktura 11/");
    free(got);
    /* unread and flagged */
    exec(f, "UPDATE letters SET read_ms = 1 WHERE label IN ('Faktura 11', 'Faktura 13')");
    exec(f, "UPDATE letters SET flagged = 1 WHERE label = 'Faktura 17'");
    q.unread = 1;
    got = search_all(f, &OWNER, q, NULL);
    assert_string_equal(got, "Faktura 19/Faktura 17/Faktura 15/");
    free(got);
    q.unread = -1;
    q.flagged = 1;
    got = search_all(f, &OWNER, q, NULL);
    assert_string_equal(got, "Faktura 17/");
    free(got);
    /* the same pages by the walk (the index's cap reached at once), and with a page bound
     * of 4 letters read: pages may be short, none is lost */
    q.flagged = 0;
    q.from_ms = q.to_ms = 0;
    q.text = "faktura";
    q.limit = 10;
    kv__mbox_search_cap = 1;
    got = search_all(f, &OWNER, q, &pages);
    assert_string_equal(got, want);
    assert_int_equal(pages, 5);
    free(got);
    kv__mbox_scan_max = 4;
    got = search_all(f, &OWNER, q, &pages);
    assert_string_equal(got, want);
    assert_true(pages >= 90 / 4);
    free(got);
}

static void test_invisible(void **state)
{
    struct fx *f = *state;
    struct kv_mbox_owner narrowed = OWNER;

    fill_danish(f);
    /* value date not passed, recalled, purged, another mailbox: never */
    expect(f, NULL, "årsopgørelse", "Årsopgørelse 2025/");
    expect(f, NULL, "tilbagekaldt", "");
    expect(f, NULL, "slettet", "");
    expect(f, NULL, "en anden", "");
    /* a narrowed employee sees the letters of their contact points only */
    add(f, f->mb, "Sag om byggetilladelse", "Borger", 9, "AVAILABLE", "inbox", "p-bygning");
    add(f, f->mb, "Sag om parkering", "Borger", 10, "AVAILABLE", "inbox", "p-vej");
    narrowed.narrowed = 1;
    narrowed.n_points = 1;
    snprintf(narrowed.points[0], sizeof(narrowed.points[0]), "p-vej");
    {
        struct kv_mbox_query q;
        char *got;

        memset(&q, 0, sizeof(q));
        q.folder = "inbox";
        q.unread = -1;
        q.limit = 20;
        q.text = "sag om";
        got = search_all(f, &narrowed, q, NULL);
        assert_string_equal(got, "Sag om parkering/");
        free(got);
        q.text = "om"; /* the walk too */
        got = search_all(f, &narrowed, q, NULL);
        assert_string_equal(got, "Sag om parkering/");
        free(got);
    }
    /* becomes visible when published; gone when recalled, moved to purged, deleted */
    exec(f, "UPDATE letters SET state = 'AVAILABLE' WHERE label = 'Ny årsopgørelse'");
    expect(f, "inbox", "årsopgørelse", "Ny årsopgørelse/Årsopgørelse 2025/");
    exec(f, "UPDATE letters SET state = 'RECALLED' WHERE label = 'Ny årsopgørelse'");
    expect(f, "inbox", "årsopgørelse", "Årsopgørelse 2025/");
    exec(f, "UPDATE letters SET folder = 'deleted' WHERE label = 'Årsopgørelse 2025'");
    expect(f, "inbox", "årsopgørelse", "");
    expect(f, "deleted", "årsopgørelse", "Årsopgørelse 2025/");
    exec(f, "UPDATE letters SET folder = 'purged' WHERE label = 'Årsopgørelse 2025'");
    expect(f, NULL, "årsopgørelse", "");
    exec(f, "DELETE FROM letters WHERE label = 'Indkaldelse til tandlæge'");
    expect(f, NULL, "tandlæge", "");
}

/* The index holds exactly the letters that may be visible, with their current text. */
static void test_index_follows_letters(void **state)
{
    struct fx *f = *state;
    struct kv_stmt *s;
    const char *sql;

    fill_danish(f);
    exec(f, "UPDATE letters SET state = 'AVAILABLE' WHERE label = 'Ny årsopgørelse'");
    exec(f, "UPDATE letters SET folder = 'deleted' WHERE label = 'Indkaldelse til tandlæge'");
    exec(f, "UPDATE letters SET folder = 'purged' WHERE label = 'Kvittering 100% betalt'");
    exec(f, "UPDATE letters SET state = 'RECALLED' WHERE label = 'Årsopgørelse 2025'");
    exec(f, "UPDATE letters SET label = 'Omdøbt brev' WHERE label LIKE 'Varsel om%'");
    exec(f, "DELETE FROM letters WHERE label = 'Årsopgørelse til en anden'");
    expect(f, NULL, "omdøbt", "Omdøbt brev/");
    expect(f, NULL, "varsel", "");
    if (kv_store_text_index(f->st) != KV_TEXT_FTS5)
        return; /* PostgreSQL's index is maintained by PostgreSQL itself */
    sql = "SELECT (SELECT COUNT(*) FROM letters_search), "
          "(SELECT COUNT(*) FROM letters l JOIN letters_search f "
          " ON f.rowid = l.mailbox_id * 68719476736 + l.id "
          " WHERE f.label = l.label AND f.sender = COALESCE(l.sender_label, '')), "
          "(SELECT COUNT(*) FROM letters WHERE mailbox_id IS NOT NULL "
          " AND state IN ('AWAITING_DELAY', 'AVAILABLE') AND folder <> 'purged')";
    assert_int_equal(kv_db_prepare(f->db, sql, &s, NULL), 0);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    assert_int_equal(kv_stmt_col_int64(s, 0), 3);
    assert_int_equal(kv_stmt_col_int64(s, 1), 3);
    assert_int_equal(kv_stmt_col_int64(s, 2), 3);
    kv_stmt_done(s);
    exec(f, "INSERT INTO letters_search(letters_search) VALUES ('integrity-check')");
    /* a letter id beyond the rowid range of its mailbox is refused, not left unindexed */
    assert_int_not_equal(kv_db_exec(f->db, "UPDATE letters SET id = 68719476736 "
                                           "WHERE label = 'Omdøbt brev'", NULL), 0);
    expect(f, NULL, "omdøbt", "Omdøbt brev/");
}

/* Migration 017 applied to a store that already holds letters indexes them. */
static void test_backfill(void **state)
{
    struct fx *f = *state;

    fill_danish(f);
    if (kv_store_text_index(f->st) == KV_TEXT_FTS5)
        exec(f, "DROP TRIGGER letters_search_ins; DROP TRIGGER letters_search_del; "
                "DROP TRIGGER letters_search_upd; DROP TABLE letters_search; "
                "DELETE FROM schema_migrations WHERE version = 17");
    else
        exec(f, "DROP INDEX letters_search; DROP FUNCTION kv_search_tokens(bigint, text, text); "
                "DELETE FROM schema_migrations WHERE version = 17");
    kv_db_release(f->db);
    kv_store_close(f->st);
    f->db = NULL;
    assert_int_equal(kv_test_store_open(f->dir, &f->st, NULL), 0);
    assert_int_equal(kv_db_acquire(f->st, &f->db, NULL), 0);
    expect(f, "inbox", "ÅRSOPGØR", "Årsopgørelse 2025/");
    expect(f, NULL, "ærø", "Varsel om ÆNDRING af ydelse/");
}

/* The plans: the probe reads the index only, the page starts from the index's candidates and
 * (SQLite) the letters not indexed yet, by their rowid range. */
static void test_plans(void **state)
{
    struct fx *f = *state;
    static char sql[2][2048];
    int gin = kv_store_text_index(f->st) == KV_TEXT_GIN, probe;

    if (gin) /* a few rows: make the planner show the index it would use on many */
        exec(f, "SET enable_seqscan = off");

    for (probe = 1; probe >= 0; probe--) {
        struct kv_stmt *s = NULL;
        char plan[4096] = "";

        snprintf(sql[probe], sizeof(sql[probe]), "EXPLAIN %s%s", gin ? "" : "QUERY PLAN ",
                 kv__mbox_search_sql(gin, probe));
        assert_int_equal(kv_db_prepare(f->db, sql[probe], &s, NULL), 0);
        if (gin) {
            kv_stmt_bind_int64(s, 1, 1);
            kv_stmt_bind_text(s, 2, "abc", -1);
        } else {
            kv_stmt_bind_text(s, 1, "\"abc\"", -1);
            kv_stmt_bind_int64(s, 2, 1);
        }
        for (int i = 3; i <= (probe ? 3 : 11); i++)
            if (i == 4)
                kv_stmt_bind_text(s, i, "inbox", -1);
            else
                kv_stmt_bind_int64(s, i, i == 3 ? 1000 : 0);
        struct kv_err err = {0, ""};
        int rc;

        while ((rc = kv_stmt_step(s, &err)) == KV_ROW) {
            const char *d = kv_stmt_col_text(s, gin ? 0 : 3);
            size_t n = strlen(plan);

            snprintf(plan + n, sizeof(plan) - n, "%s\n", d ? d : "");
        }
        kv_stmt_done(s);
        if (rc < 0)
            fail_msg("%s", err.msg);
        print_message("%s:\n%s", probe ? "probe" : "page", plan);
        if (gin) {
            assert_non_null(strstr(plan, "Bitmap Index Scan on letters_search"));
        } else {
            assert_non_null(strstr(plan, "SCAN f VIRTUAL TABLE INDEX 0:M"));
            if (!probe) {
                /* the letters the writer has not indexed yet: a rowid range of letters */
                assert_non_null(strstr(plan, "SEARCH p USING INTEGER PRIMARY KEY (rowid>?)"));
                assert_non_null(strstr(plan, "SEARCH l USING INTEGER PRIMARY KEY"));
            }
        }
    }
    if (gin)
        exec(f, "RESET enable_seqscan");
}

/* What may be searched: UTF-8, no control characters, at most 200 bytes. */
static void test_text_ok(void **state)
{
    char big[KV_MBOX_TEXT_MAX + 2];

    (void)state;
    assert_true(kv_mbox_text_ok("Årsopgørelse 100% \"x\""));
    assert_true(kv_mbox_text_ok("\xf0\x9f\x93\xac"));       /* U+1F4EC */
    assert_false(kv_mbox_text_ok("a\tb"));
    assert_false(kv_mbox_text_ok("\x7f"));
    assert_false(kv_mbox_text_ok("\xc2\x85"));                /* U+0085, a C1 control */
    assert_false(kv_mbox_text_ok("\xff\xfe"));
    assert_false(kv_mbox_text_ok("\xc3"));                     /* cut short */
    assert_false(kv_mbox_text_ok("\xc0\xaf"));                /* overlong */
    assert_false(kv_mbox_text_ok("\xe0\x80\xaf"));           /* overlong */
    assert_false(kv_mbox_text_ok("\xed\xa0\x80"));           /* a surrogate */
    assert_false(kv_mbox_text_ok("\xf4\x90\x80\x80"));       /* past U+10FFFF */
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_false(kv_mbox_text_ok(big));
    big[KV_MBOX_TEXT_MAX] = '\0';
    assert_true(kv_mbox_text_ok(big));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_ok),
        cmocka_unit_test_setup_teardown(test_substring_case_danish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_texts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters_and_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invisible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_follows_letters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backfill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plans, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_mailbox_folders.c: the mailbox domain behind the web mailbox (hub/mailbox_folders.h and
 * the search of kv_mbox_list): counts per folder follow read, unread and moves; a move to an
 * unknown folder is refused; permanent delete only from "deleted", after which the letter is
 * neither loaded nor listed nor counted; search matches the title, case-insensitively for
 * ASCII, with LIKE's metacharacters taken literally; own folders (mailbox_tree.h): nesting
 * depth, no cycles, the folder limit, counts of a letter moved in, delete only when empty;
 * the list of every folder at once pages like one ordered query over the mailbox.
 * Runs from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"
#include "unit/test_data.h"

#include "hub/directory.h"
#include "hub/letters.h"
#include "hub/mailbox_folders.h"
#include "hub/mailbox_tree.h"
#include "hub/mailbox_view.h"
#include "store/store.h"
#include "util/xmalloc.h"

#define MIN "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_" \
            "Minimum_Example__memo-1.2.xml"
#define EX_UUID "8C2EA15D-61FB-4BA9-9366-42F8B194C114"
#define N 2

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    struct kv_system sys;
    char uuid[N][37];
};

static const struct kv_mbox_owner OWNER = {.type = "CPR", .id = "2211771212"};

/* Delivers the Minimum example as letter uuid to the owner's mailbox. */
static int store_letter(struct fx *f, const char *uuid)
{
    struct kv_letter l, *lp = &l;
    size_t len;
    char *bytes = kv_test_read_data(MIN, &len), *p;
    int rc = 0;

    for (p = bytes; (p = strstr(p, EX_UUID)) != NULL; p += 36)
        memcpy(p, uuid, 36);
    kv_letter_init(&l, bytes, len);
    if (kv_letter_prepare(&l, &f->sys, NULL, NULL, NULL) != 0 ||
        kv_letters_store_batch(f->db, &lp, 1, NULL) != 0)
        rc = -1;
    kv_letter_release(&l);
    free(bytes);
    return rc;
}

static int setup(void **state)
{
    struct fx *f = kv_xcalloc(1, sizeof(*f));
    struct kv_system sys;
    struct kv_mailbox mb;
    char *token = NULL;
    int i;

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-mbf-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0 ||
        kv_org_add(f->db, "12345678", "K", NULL) != 0)
        return -1;
    memset(&sys, 0, sizeof(sys));
    snprintf(sys.org_cvr, sizeof(sys.org_cvr), "12345678");
    snprintf(sys.kind, sizeof(sys.kind), "sender");
    snprintf(sys.name, sizeof(sys.name), "mbf");
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
        memcpy(f->uuid[i], "8c2ea15d-61fb-4ba9-9366-42f8b194c110", 37);
        f->uuid[i][35] = (char)('0' + i);
        if (store_letter(f, f->uuid[i]) != 0)
            return -1;
    }
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

static void counts(struct fx *f, int64_t inbox, int64_t inbox_unread, int64_t deleted)
{
    struct kv_mbox_counts c;

    assert_int_equal(kv_mbox_counts(f->db, &OWNER, &c, NULL), 0);
    assert_int_equal(c.inbox, inbox);
    assert_int_equal(c.inbox_unread, inbox_unread);
    assert_int_equal(c.deleted, deleted);
    assert_int_equal(c.sent, 0);
}

static size_t listed(struct fx *f, const char *folder, const char *text)
{
    struct kv_mbox_query q;
    json_t *out = NULL;
    size_t n;

    memset(&q, 0, sizeof(q));
    q.folder = folder;
    q.unread = -1;
    q.limit = 10;
    q.text = text;
    assert_int_equal(kv_mbox_list(f->db, &OWNER, &q, &out, NULL), 0);
    n = json_array_size(json_object_get(out, "items"));
    json_decref(out);
    return n;
}

static void test_folders(void **state)
{
    struct fx *f = *state;
    struct kv_mbox_letter l;
    struct kv_err err = {0, ""};
    int first = 0;

    counts(f, N, N, 0);
    assert_int_equal(kv_mbox_letter_load(f->db, &OWNER, f->uuid[0], 0, &l, NULL), 0);
    assert_int_equal(kv_mbox_mark_read(f->db, &OWNER, &l, &first, NULL), 0);
    assert_int_equal(first, 1);
    counts(f, N, N - 1, 0);
    assert_int_equal(kv_mbox_mark_unread(f->db, &OWNER, &l, NULL), 0);
    counts(f, N, N, 0);
    assert_int_equal(kv_mbox_move(f->db, &OWNER, &l, "elsewhere", &err), KV_EINVAL);
    assert_int_equal(kv_mbox_purge(f->db, &OWNER, &l, &err), KV_ECONFLICT);
    assert_int_equal(kv_mbox_move(f->db, &OWNER, &l, KV_MBOX_FOLDER_DELETED, NULL), 0);
    kv_mbox_letter_release(&l);
    counts(f, N - 1, N - 1, 1);
    assert_int_equal(listed(f, KV_MBOX_FOLDER_DELETED, NULL), 1);
    assert_int_equal(kv_mbox_letter_load(f->db, &OWNER, f->uuid[0], 0, &l, NULL), 0);
    assert_string_equal(l.folder, "deleted");
    assert_int_equal(kv_mbox_purge(f->db, &OWNER, &l, NULL), 0);
    kv_mbox_letter_release(&l);
    assert_int_equal(kv_mbox_letter_load(f->db, &OWNER, f->uuid[0], 0, &l, NULL), KV_ENOTFOUND);
    counts(f, N - 1, N - 1, 0);
    assert_int_equal(listed(f, NULL, NULL), N - 1); /* all folders: not the purged one */
}

static void test_search(void **state)
{
    struct fx *f = *state;
    struct kv_mbox_letter l;
    char word[64];

    assert_int_equal(kv_mbox_letter_load(f->db, &OWNER, f->uuid[1], 0, &l, NULL), 0);
    snprintf(word, sizeof(word), "%.4s", l.label); /* the start of the title */
    kv_mbox_letter_release(&l);
    assert_int_equal(listed(f, NULL, word), N);
    for (char *p = word; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
        else if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    assert_int_equal(listed(f, NULL, word), N);
    assert_int_equal(listed(f, NULL, "%"), 0);
    assert_int_equal(listed(f, NULL, "_"), 0);
    assert_int_equal(listed(f, NULL, "no such title"), 0);
}

static void test_tree(void **state)
{
    struct fx *f = *state;
    struct kv_mbox_folder *v = NULL, one;
    struct kv_mbox_letter l;
    struct kv_err err = {0, ""};
    int64_t id[KV_MBOX_FOLDER_DEPTH_MAX + 1], extra;
    size_t n = 0;
    char key[24], name[16];
    int i;

    /* a chain as deep as allowed, then one more level is refused */
    for (i = 0; i < KV_MBOX_FOLDER_DEPTH_MAX; i++)
        assert_int_equal(kv_mbox_folder_create(f->db, &OWNER, i ? id[i - 1] : 0, "d", &id[i],
                                               NULL),
                         0);
    assert_int_equal(kv_mbox_folder_create(f->db, &OWNER, id[i - 1], "deep", NULL, &err),
                     KV_ECONFLICT);
    /* the top one under its own child: a cycle; a two-level subtree under level 3: too deep */
    assert_int_equal(kv_mbox_folder_update(f->db, &OWNER, id[0], "d", id[1], &err), KV_EINVAL);
    assert_int_equal(kv_mbox_folder_create(f->db, &OWNER, 0, "top", &extra, NULL), 0);
    assert_int_equal(kv_mbox_folder_create(f->db, &OWNER, extra, "sub", NULL, NULL), 0);
    assert_int_equal(kv_mbox_folder_update(f->db, &OWNER, extra, "top", id[2], &err),
                     KV_ECONFLICT);
    assert_int_equal(kv_mbox_folder_update(f->db, &OWNER, extra, "top", id[1], NULL), 0);
    /* tree order: parents before children, depth filled in */
    assert_int_equal(kv_mbox_folders(f->db, &OWNER, &v, &n, NULL), 0);
    assert_int_equal(n, KV_MBOX_FOLDER_DEPTH_MAX + 2);
    assert_int_equal(v[0].id, id[0]);
    assert_int_equal(v[0].depth, 1);
    for (i = 1; i < (int)n; i++)
        assert_true(v[i].depth <= v[i - 1].depth + 1);
    free(v);
    /* a letter moved in is counted there (trigger rows), and blocks the delete */
    kv_mbox_folder_key(id[3], key);
    assert_int_equal(kv_mbox_letter_load(f->db, &OWNER, f->uuid[0], 0, &l, NULL), 0);
    assert_int_equal(kv_mbox_move(f->db, &OWNER, &l, key, NULL), 0);
    kv_mbox_letter_release(&l);
    assert_int_equal(kv_mbox_folder_get(f->db, &OWNER, id[3], &one, NULL), 0);
    assert_int_equal(one.total, 1);
    assert_int_equal(one.unread, 1);
    assert_int_equal(kv_mbox_folder_delete(f->db, &OWNER, id[3], &err), KV_ECONFLICT);
    assert_int_equal(listed(f, key, NULL), 1);
    /* the limit of folders per mailbox */
    for (i = (int)n; i < KV_MBOX_FOLDERS_MAX; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(kv_mbox_folder_create(f->db, &OWNER, 0, name, NULL, NULL), 0);
    }
    assert_int_equal(kv_mbox_folder_create(f->db, &OWNER, 0, "one too many", NULL, &err),
                     KV_ECONFLICT);
    /* keys */
    assert_int_equal(kv_mbox_folder_parse("f0", &extra), KV_EINVAL);
    assert_int_equal(kv_mbox_folder_parse("f12x", &extra), KV_EINVAL);
    assert_int_equal(kv_mbox_folder_parse("inbox", &extra), KV_EINVAL);
    assert_int_equal(kv_mbox_folder_parse("f12", &extra), 0);
    assert_int_equal(extra, 12);
}

/* The page of a folder -- with a date range, from a cursor, flagged, unread or neither -- is
 * a seek in its index on both ends of the sort key, never a walk of the mailbox: SQLite's plan
 * names both bounds; PostgreSQL (sequential scans off, as for a large table) scans the index.
 * The flagged and the unread page read their partial indexes (migrations 050 and 066). */
static void test_page_plan(void **state)
{
    struct fx *f = *state;
    static char sql[3][4096];
    static const char *const index_of[3] = {"letters_mailbox_page", "letters_mailbox_flagged",
                                            "letters_mailbox_unread"};
    struct kv_stmt *s = NULL;
    int v, found, pg = strcmp(kv_store_backend(f->st), "sqlite") != 0;
    const char *index;

    if (pg)
        assert_int_equal(kv_db_exec(f->db, "SET enable_seqscan = off", NULL), 0);
    for (v = 0; v < 3; v++) { /* 0 every letter, 1 flagged, 2 unread */
        index = index_of[v];
        snprintf(sql[v], sizeof(sql[v]), "EXPLAIN %s%s", pg ? "" : "QUERY PLAN ",
                 kv__mbox_list_folder_sql(v == 1, v == 2));
        assert_int_equal(kv_db_prepare(f->db, sql[v], &s, NULL), 0);
        if (pg) { /* parameter types are inferred; give each a value (unread: 1 only for the
                   * unread page, else -1, both, which PostgreSQL folds into its plan) */
            for (int i = 1; i <= 14; i++)
                if (i == 1 || i == 2 || i == 3 || (i >= 10 && i <= 12))
                    kv_stmt_bind_text(s, i, i == 1 ? "CPR" : i == 3 ? "inbox" : "x", -1);
                else
                    kv_stmt_bind_int64(s, i, i == 14 ? 21 : (i >= 4 && i <= 6 && v != 2) ? -1 : 1);
        }
        found = 0;
        while (kv_stmt_step(s, NULL) == KV_ROW) {
            const char *d = kv_stmt_col_text(s, pg ? 0 : 3);

            if (!d || !strstr(d, index))
                continue;
            if (pg ? strstr(d, "Index Scan Backward") != NULL
                   : strstr(d, "SEARCH l USING INDEX") &&
                         strstr(d, "(mailbox_id=? AND folder=? AND <expr>>? AND <expr><?)"))
                found = 1;
        }
        kv_stmt_done(s);
        assert_true(found);
    }
    if (pg)
        assert_int_equal(kv_db_exec(f->db, "RESET enable_seqscan", NULL), 0);
}

/* The list of every folder at once (folder NULL: the mailbox API without ?folder=), which
 * merges the folders' own pages: paged two at a time it gives exactly the visible letters of
 * all folders -- inbox, deleted, an own folder; not the purged one -- newest first, each once,
 * as one query over the whole mailbox orders them; and so with the unread filter. */
static void all_pages(struct fx *f, int unread, char got[][37], size_t *n)
{
    struct kv_mbox_query q;
    char cursor[64] = "";
    json_t *out = NULL, *it;
    size_t i, pages = 0;

    *n = 0;
    do {
        memset(&q, 0, sizeof(q));
        q.unread = unread;
        q.limit = 2;
        q.cursor = cursor[0] ? cursor : NULL;
        assert_int_equal(kv_mbox_list(f->db, &OWNER, &q, &out, NULL), 0);
        assert_true(json_array_size(json_object_get(out, "items")) <= 2);
        json_array_foreach(json_object_get(out, "items"), i, it) {
            assert_true(*n < 16);
            snprintf(got[(*n)++], 37, "%s",
                     json_string_value(json_object_get(it, "messageUUID")));
        }
        it = json_object_get(out, "nextCursor");
        snprintf(cursor, sizeof(cursor), "%s", json_is_string(it) ? json_string_value(it) : "");
        json_decref(out);
        assert_true(++pages < 20);
    } while (cursor[0]);
}

static void test_all_folders(void **state)
{
    static const char *const oracle[2] = {
        "SELECT l.message_uuid FROM letters l JOIN mailboxes m ON m.id = l.mailbox_id "
        "WHERE m.owner_id = '2211771212' AND l.state = 'AVAILABLE' AND l.folder <> 'purged' "
        "ORDER BY COALESCE(l.available_ms, l.created_ms) DESC, l.id DESC",
        "SELECT l.message_uuid FROM letters l JOIN mailboxes m ON m.id = l.mailbox_id "
        "WHERE m.owner_id = '2211771212' AND l.state = 'AVAILABLE' AND l.folder <> 'purged' "
        "AND l.read_ms IS NULL ORDER BY COALESCE(l.available_ms, l.created_ms) DESC, l.id DESC"};
    struct fx *f = *state;
    struct kv_mbox_letter l;
    char uuid[7][37], key[24], got[16][37], want[16][37];
    int64_t fid;
    size_t n, nw, k;
    int i, u, first;

    for (i = 0; i < 7; i++) {
        if (i < N) {
            memcpy(uuid[i], f->uuid[i], 37);
            continue;
        }
        memcpy(uuid[i], "8c2ea15d-61fb-4ba9-9366-42f8b194c110", 37);
        uuid[i][35] = (char)('0' + i);
        assert_int_equal(store_letter(f, uuid[i]), 0);
    }
    assert_int_equal(kv_mbox_folder_create(f->db, &OWNER, 0, "A", &fid, NULL), 0);
    kv_mbox_folder_key(fid, key);
    for (i = 0; i < 7; i++) {
        assert_int_equal(kv_mbox_letter_load(f->db, &OWNER, uuid[i], 0, &l, NULL), 0);
        if (i == 1 || i == 3)
            assert_int_equal(kv_mbox_move(f->db, &OWNER, &l, KV_MBOX_FOLDER_DELETED, NULL), 0);
        if (i == 2 || i == 4)
            assert_int_equal(kv_mbox_move(f->db, &OWNER, &l, key, NULL), 0);
        if (i == 0 || i == 2 || i == 5)
            assert_int_equal(kv_mbox_mark_read(f->db, &OWNER, &l, &first, NULL), 0);
        kv_mbox_letter_release(&l);
    }
    assert_int_equal(kv_mbox_letter_load(f->db, &OWNER, uuid[3], 0, &l, NULL), 0);
    assert_int_equal(kv_mbox_purge(f->db, &OWNER, &l, NULL), 0);
    kv_mbox_letter_release(&l);
    for (u = 0; u < 2; u++) {
        struct kv_stmt *s = NULL;

        assert_int_equal(kv_db_prepare(f->db, oracle[u], &s, NULL), 0);
        for (nw = 0; kv_stmt_step(s, NULL) == KV_ROW && nw < 16; nw++)
            snprintf(want[nw], 37, "%s", kv_stmt_col_text(s, 0));
        kv_stmt_done(s);
        assert_int_equal(nw, u ? 3 : 6); /* unread: 1, 4, 6; all but the purged 3 */
        all_pages(f, u ? 1 : -1, got, &n);
        assert_int_equal(n, nw);
        for (k = 0; k < n; k++)
            assert_string_equal(got[k], want[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_folders, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_mailbox_folders.c: the mailbox domain behind the web mailbox (hub/mailbox_folders.h and
 * the search of kv_mbox_list): counts per folder follow read, unread and moves; a move to an
 * unknown folder is refused; permanent delete only from "deleted", after which the letter is
 * neither loaded nor listed nor counted; search matches the title, case-insensitively for
 * ASCII, with LIKE's metacharacters taken literally. Runs from the repository root.
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

static int setup(void **state)
{
    struct fx *f = kv_xcalloc(1, sizeof(*f));
    struct kv_system sys;
    struct kv_mailbox mb;
    char *token = NULL, *p;
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
        struct kv_letter l, *lp = &l;
        size_t len;
        char *bytes = kv_test_read_data(MIN, &len);

        memcpy(f->uuid[i], "8c2ea15d-61fb-4ba9-9366-42f8b194c110", 37);
        f->uuid[i][35] = (char)('0' + i);
        for (p = bytes; (p = strstr(p, EX_UUID)) != NULL; p += 36)
            memcpy(p, f->uuid[i], 36);
        kv_letter_init(&l, bytes, len);
        if (kv_letter_prepare(&l, &f->sys, NULL, NULL, NULL) != 0 ||
            kv_letters_store_batch(f->db, &lp, 1, NULL) != 0)
            return -1;
        kv_letter_release(&l);
        free(bytes);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

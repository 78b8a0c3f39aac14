/* SPDX-License-Identifier: MIT
 *
 * test_letter_exempt.c: the store's resolution of a letter to a citizen exempt from Digital
 * Post (letter_store.c resolve(), docs/send-api.md "Recipient resolution"). An authority's
 * letter is printed (state PRINT, a print_jobs row, PHYSICAL_LETTER_SENT); a letter a citizen
 * or company wrote in its mailbox to another's (kv_letter.to_mailbox, a forward) never is: it
 * is kept NOT_ALLOWED with errorCode RECIPIENT_EXEMPT, no print job, no mailbox, and
 * MEMO_SEND_NOT_ALLOWED in the event log. Runs on SQLite, or on PostgreSQL with
 * KUVERT_TEST_PG, from the repository root (or $KUVERT_ROOT).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"
#include "unit/hub/store_helpers.h"
#include "unit/test_data.h"

#include "hub/directory.h"
#include "hub/letters.h"
#include "memo/memo.h"
#include "store/store.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define MIN "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_" \
            "Minimum_Example__memo-1.2.xml"
#define EX_UUID "8C2EA15D-61FB-4BA9-9366-42F8B194C114"
#define EXEMPT "0202804444"
#define WRITER "2211771212"
#define ADDRESS "Fritagetvej 1, 8000 Aarhus C"

struct fx {
    char dir[64];            /* temporary data directory */
    struct kv_store *st;     /* its store */
    struct kv_db *db;        /* the connection letters are stored on */
    struct kv_system sys;    /* the authority's sender system */
    int64_t writer_mb;       /* the writing citizen's mailbox */
    char *bytes[2];          /* the Minimum example with its own uuid each */
    size_t len;              /* their length */
};

static int setup(void **state)
{
    struct fx *f = kv_xcalloc(1, sizeof(*f));
    char id[37], *p;
    int i;

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-exempt-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0 ||
        kv_org_add(f->db, "12345678", "K", NULL) != 0 ||
        kv_test_add_system(f->db, "12345678", "sender", "exempt", id) != 0 ||
        kv_system_get(f->db, id, &f->sys, NULL) != 0)
        return -1;
    if (kv_test_add_mailbox(f->db, "CPR", WRITER, "REGISTERED", ADDRESS, &f->writer_mb) != 0 ||
        kv_test_add_mailbox(f->db, "CPR", EXEMPT, "EXEMPT", ADDRESS, NULL) != 0)
        return -1;
    for (i = 0; i < 2; i++) {
        f->bytes[i] = kv_test_read_data(MIN, &f->len);
        if (!f->bytes[i])
            return -1;
        for (p = f->bytes[i]; (p = strstr(p, EX_UUID)) != NULL; p += 36)
            p[35] = (char)('0' + i);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    free(f->bytes[0]);
    free(f->bytes[1]);
    return kv_test_fx_free(f, f->dir, f->st, f->db);
}

/* Stores letter i to EXEMPT; written in the writer's mailbox (to_mailbox) or an authority's. */
static void store(struct fx *f, int i, int written, struct kv_letter *l)
{
    struct kv_letter *lp = l;
    struct kv_err err = {0, ""};

    kv_letter_init(l, f->bytes[i], f->len);
    assert_int_equal(kv_letter_prepare(l, &f->sys, NULL, NULL, &err), 0);
    assert_int_equal(l->outcome, KV_LETTER_PENDING);
    kv_str_copy(l->recipient_type, sizeof(l->recipient_type), "CPR");
    kv_str_copy(l->recipient_id, sizeof(l->recipient_id), EXEMPT);
    if (written) { /* as mailbox_send.c submit() marks a letter to another's mailbox */
        l->system_id[0] = '\0';
        l->sender_id[0] = '\0';
        l->sender_mailbox_id = f->writer_mb;
        l->to_mailbox = 1;
        kv_str_copy(l->actor, sizeof(l->actor), "cpr:" WRITER);
        kv_str_copy(l->writer_subject, sizeof(l->writer_subject), "cpr:" WRITER);
    }
    assert_int_equal(kv_letters_store_batch(f->db, &lp, 1, &err), 0);
    assert_int_equal(l->outcome, KV_LETTER_CREATED);
}

/* state, error_code, mailbox_id IS NULL and print jobs of letter uuid; events with tag. */
static void row(struct kv_db *db, const char *uuid, char *state, char *code, int *no_mailbox,
                int64_t *jobs)
{
    struct kv_stmt *s;

    assert_int_equal(kv_db_prepare(db,
                                   "SELECT l.state, COALESCE(l.error_code, ''), "
                                   "l.mailbox_id IS NULL, (SELECT COUNT(*) FROM print_jobs j "
                                   "WHERE j.letter_id = l.id) FROM letters l "
                                   "WHERE l.message_uuid = ?",
                                   &s, NULL),
                     0);
    kv_stmt_bind_text(s, 1, uuid, -1);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    kv_str_copy(state, 32, kv_stmt_col_text(s, 0));
    kv_str_copy(code, 64, kv_stmt_col_text(s, 1));
    *no_mailbox = (int)kv_stmt_col_int64(s, 2);
    *jobs = kv_stmt_col_int64(s, 3);
    kv_stmt_done(s);
}

static int64_t events(struct kv_db *db, const char *uuid, const char *tag)
{
    struct kv_stmt *s;
    int64_t n;

    assert_int_equal(kv_db_prepare(db,
                                   "SELECT COUNT(*) FROM events WHERE message_uuid = ? AND "
                                   "tag = ?",
                                   &s, NULL),
                     0);
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, tag, -1);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return n;
}

static void test_written_letter_to_exempt_not_printed(void **state)
{
    struct fx *f = *state;
    struct kv_letter l;
    char st[32], code[64];
    int no_mb;
    int64_t jobs;

    store(f, 0, 1, &l);
    assert_string_equal(l.state, "NOT_ALLOWED");
    row(f->db, l.uuid, st, code, &no_mb, &jobs);
    assert_string_equal(st, "NOT_ALLOWED");
    assert_string_equal(code, "RECIPIENT_EXEMPT");
    assert_int_equal(no_mb, 1);
    assert_int_equal(jobs, 0);
    assert_int_equal(events(f->db, l.uuid, "MEMO_SEND_NOT_ALLOWED"), 1);
    assert_int_equal(events(f->db, l.uuid, "PHYSICAL_LETTER_SENT"), 0);
    kv_letter_release(&l);
}

static void test_authority_letter_to_exempt_printed(void **state)
{
    struct fx *f = *state;
    struct kv_letter l;
    char st[32], code[64];
    int no_mb;
    int64_t jobs;

    store(f, 1, 0, &l);
    assert_string_equal(l.state, "PRINT");
    row(f->db, l.uuid, st, code, &no_mb, &jobs);
    assert_string_equal(st, "PRINT");
    assert_int_equal(no_mb, 0);
    assert_int_equal(jobs, 1);
    assert_int_equal(events(f->db, l.uuid, "PHYSICAL_LETTER_SENT"), 1);
    assert_int_equal(events(f->db, l.uuid, "MEMO_SEND_NOT_ALLOWED"), 0);
    kv_letter_release(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_written_letter_to_exempt_not_printed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_authority_letter_to_exempt_printed, setup,
                                        teardown),
    };
    if (kv_memo_global_init(NULL) != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_diag.c: the hub's cheap paths through libmemo. With kv_memo_diags.skip_warnings a check
 * counts warnings without storing them, and stores errors exactly as a full check does (rule,
 * line, column, path, message); KV_MEMO_READ_HEADER_ONLY reads the header a full read gives
 * and leaves the body out. Runs from the repository root (or $KUVERT_ROOT).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/test_data.h"

#include "memo/memo.h"
#include "memo/model.h"
#include "util/xmalloc.h"

#define ITK "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"

struct text {
    char *buf;  /* owned */
    size_t len; /* bytes */
};

static struct text load(const char *rel)
{
    struct text t;

    t.buf = kv_test_read_data(rel, &t.len);
    return t;
}

static void check(const struct text *t, int skip, struct kv_memo_diags *d)
{
    kv_memo_diags_init(d);
    d->skip_warnings = skip;
    assert_int_equal(kv_memo_check(t->buf, t->len, KV_MEMO_LEVEL_NGDP, NULL, d, NULL, NULL), 0);
}

/* Full 1.2 is valid with 8 warnings: counted either way, stored only without skip. */
static void test_skip_warnings_counts_only(void **state)
{
    struct text t = load(ITK "Full_Example__memo-1.2.xml");
    struct kv_memo_diags all, errs;
    size_t i;

    (void)state;
    check(&t, 0, &all);
    check(&t, 1, &errs);
    assert_int_equal(all.n_errors, 0);
    assert_int_equal(all.n_warnings, 8);
    assert_int_equal(all.n, 8);
    for (i = 0; i < all.n; i++)
        assert_int_equal(all.items[i].severity, KV_MEMO_WARNING);
    assert_int_equal(errs.n_errors, 0);
    assert_int_equal(errs.n_warnings, all.n_warnings);
    assert_int_equal(errs.n, 0);
    kv_memo_diags_release(&all);
    kv_memo_diags_release(&errs);
    free(t.buf);
}

/* Full 1.1 has an error among its warnings: the stored errors are the same either way. */
static void test_skip_warnings_keeps_errors(void **state)
{
    struct text t = load(ITK "Full_Example__memo-1.1.xml");
    struct kv_memo_diags all, errs;
    size_t i, k = 0;

    (void)state;
    check(&t, 0, &all);
    check(&t, 1, &errs);
    assert_true(all.n_errors > 0);
    assert_true(all.n_warnings > 0);
    assert_int_equal(errs.n_errors, all.n_errors);
    assert_int_equal(errs.n_warnings, all.n_warnings);
    assert_int_equal(errs.n, all.n_errors);
    for (i = 0; i < all.n; i++) {
        const struct kv_memo_diag *a = &all.items[i], *e;

        if (a->severity != KV_MEMO_ERROR)
            continue;
        e = &errs.items[k++];
        assert_int_equal(e->severity, KV_MEMO_ERROR);
        assert_string_equal(e->rule, a->rule);
        assert_int_equal(e->line, a->line);
        assert_int_equal(e->col, a->col);
        assert_string_equal(e->path, a->path);
        assert_string_equal(e->message, a->message);
    }
    assert_int_equal(k, errs.n);
    kv_memo_diags_release(&all);
    kv_memo_diags_release(&errs);
    free(t.buf);
}

static void test_read_header_only(void **state)
{
    struct text t = load(ITK "Full_Example__memo-1.2.xml");
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_memo_message *full = NULL, *head = NULL;

    (void)state;
    kv_memo_diags_init(&d);
    assert_int_equal(kv_memo_check(t.buf, t.len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc, NULL), 0);
    assert_non_null(doc);
    assert_int_equal(kv_memo_read(doc, KV_MEMO_READ_NO_CONTENT, &full, NULL), 0);
    assert_int_equal(
        kv_memo_read(doc, KV_MEMO_READ_NO_CONTENT | KV_MEMO_READ_HEADER_ONLY, &head, NULL), 0);
    assert_non_null(full->body);
    assert_null(head->body);
    assert_string_equal(head->memo_version, full->memo_version);
    assert_string_equal(head->header.message_uuid, full->header.message_uuid);
    assert_string_equal(head->header.label, full->header.label);
    assert_string_equal(head->header.sender.id, full->header.sender.id);
    assert_string_equal(head->header.recipient.id, full->header.recipient.id);
    assert_non_null(head->header.sender.representative);
    assert_string_equal(head->header.sender.representative->id,
                        full->header.sender.representative->id);
    kv_memo_message_free(full);
    kv_memo_message_free(head);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);
    free(t.buf);
}

/* 1 when s is well-formed UTF-8 (what JSON needs). */
static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3
                 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        size_t i;
        if (n == 0 || (n == 2 && *p < 0xC2))
            return 0;
        for (i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        p += n;
    }
    return 1;
}

/* Every diagnostic message is valid UTF-8. An XSD message quoting a long value of two-byte
 * characters was cut (at 1,024 bytes) inside a character: `kuvert memo validate --json` left
 * the error out of its problems and the send API showed "(not valid UTF-8)" instead of the
 * message with its line and column. */
static void test_messages_are_utf8(void **state)
{
    struct text min = load(ITK "Minimum_Example__memo-1.2.xml");
    struct kv_memo_diags d;
    char big[4200];
    size_t k, i;

    (void)state;
    /* through the check: an enumeration error quotes the whole value */
    for (k = 0; k < 3; k++) {
        const char *hit = strstr(min.buf, ">DIGITALPOST<");
        struct text v;
        size_t pre = (size_t)(hit - min.buf), o;

        assert_non_null(hit);
        v.buf = kv_xmalloc(min.len + 4200);
        memcpy(v.buf, min.buf, pre + 1);
        o = pre + 1;
        for (i = 0; i < k; i++)
            v.buf[o++] = 'x';
        for (i = 0; i < 2000; i++) {
            v.buf[o++] = '\xc3';
            v.buf[o++] = '\xa6'; /* æ */
        }
        memcpy(v.buf + o, hit + 12, min.len - pre - 12);
        v.len = o + min.len - pre - 12;
        v.buf[v.len] = '\0';
        check(&v, 0, &d);
        assert_int_equal(d.n_errors, 1);
        for (i = 0; i < d.n; i++) {
            assert_true(utf8_ok(d.items[i].message));
            if (d.items[i].severity == KV_MEMO_ERROR) {
                assert_string_equal(d.items[i].rule, "XSD");
                assert_int_equal(d.items[i].line, 4);
                assert_non_null(strstr(d.items[i].message, "memo:messageType"));
            }
        }
        kv_memo_diags_release(&d);
        free(v.buf);
    }
    /* directly: cut by the bound, a cut character, stray bytes */
    kv_memo_diags_init(&d);
    memset(big, 'a', 1);
    for (i = 1; i + 2 < sizeof(big); i += 2) {
        big[i] = '\xc3';
        big[i + 1] = '\xa6';
    }
    big[i] = '\0';
    kv_memo_diags_add(&d, KV_MEMO_ERROR, "XSD", 1, 1, "", "%s", big);
    kv_memo_diags_add(&d, KV_MEMO_ERROR, "XSD", 1, 1, "", "ab%s", "\xc3");
    kv_memo_diags_add(&d, KV_MEMO_ERROR, "XSD", 1, 1, "", "ab%s", "\xe2\x80");
    kv_memo_diags_add(&d, KV_MEMO_ERROR, "XSD", 1, 1, "", "a%sb%sc%sd", "\xff", "\xc0\xaf",
                      "\xed\xa0\x80");
    kv_memo_diags_add(&d, KV_MEMO_ERROR, "XSD", 1, 1, "", "%s", "æøå €𝄞");
    assert_int_equal(d.n, 5);
    for (i = 0; i < d.n; i++)
        assert_true(utf8_ok(d.items[i].message));
    assert_true(strlen(d.items[0].message) < 1024);
    assert_string_equal(d.items[0].message + strlen(d.items[0].message) - 3, "...");
    assert_string_equal(d.items[1].message, "ab...");
    assert_string_equal(d.items[2].message, "ab...");
    assert_string_equal(d.items[3].message, "a?b??c???d");
    assert_string_equal(d.items[4].message, "æøå €𝄞");
    kv_memo_diags_release(&d);
    free(min.buf);
}

/* Characters that change how the text around them is shown (C1 controls, bidirectional
 * formatting, line and paragraph separators) are written as \uXXXX in a message: a
 * right-to-left override in a quoted file name turned the rest of the message around, and
 * U+009B is CSI to some terminals (kuvert memo validate prints messages as they are). */
static void test_messages_escape_invisible(void **state)
{
    struct text min = load(ITK "Minimum_Example__memo-1.2.xml");
    struct kv_memo_diags d;
    char many[1600];
    size_t i;
    const char *hit = strstr(min.buf, "Pladsanvisning.pdf");
    struct text v;

    (void)state;
    /* through the check: NGDP-FILE-EXECUTABLE quotes the file name */
    assert_non_null(hit);
    v.buf = kv_xasprintf("%.*sfaktura\xe2\x80\xae" "fdp.exe%s", (int)(hit - min.buf), min.buf,
                         hit + strlen("Pladsanvisning.pdf"));
    v.len = strlen(v.buf);
    check(&v, 1, &d);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(d.items[0].rule, "NGDP-FILE-EXECUTABLE");
    assert_non_null(strstr(d.items[0].message, "\"faktura\\u202efdp.exe\""));
    assert_null(strstr(d.items[0].message, "\xe2\x80\xae"));
    kv_memo_diags_release(&d);
    free(v.buf);

    kv_memo_diags_init(&d);
    kv_memo_diags_add(&d, KV_MEMO_ERROR, "XSD", 1, 1, "", "a%sb", "\xe2\x80\xae");
    kv_memo_diags_add(&d, KV_MEMO_ERROR, "XSD", 1, 1, "", "%s",
                      "\xc2\x80\xc2\x9b\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa"
                      "\xe2\x81\xa6\xe2\x81\xa9");
    kv_memo_diags_add(&d, KV_MEMO_ERROR, "XSD", 1, 1, "", "%s",
                      "\xc3\xa6\xc2\xa0\xe2\x80\x8b\xe2\x80\xaf\xe2\x81\xa0"); /* kept */
    for (i = 0; i + 3 < sizeof(many); i += 3) {
        memcpy(many + i, "\xe2\x80\xae", 3);
    }
    many[i] = '\0';
    kv_memo_diags_add(&d, KV_MEMO_ERROR, "XSD", 1, 1, "", "%s", many);
    assert_string_equal(d.items[0].message, "a\\u202eb");
    assert_string_equal(d.items[1].message,
                        "\\u0080\\u009b\\u200e\\u200f\\u2028\\u2029\\u202a\\u2066\\u2069");
    assert_string_equal(d.items[2].message, "\xc3\xa6\xc2\xa0\xe2\x80\x8b\xe2\x80\xaf\xe2\x81\xa0");
    assert_true(strlen(d.items[3].message) < 1024);
    assert_true(strncmp(d.items[3].message, "\\u202e\\u202e", 12) == 0);
    assert_string_equal(d.items[3].message + strlen(d.items[3].message) - 3, "...");
    assert_null(strstr(d.items[3].message, "\xe2\x80\xae"));
    kv_memo_diags_release(&d);
    free(min.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skip_warnings_counts_only),
        cmocka_unit_test(test_skip_warnings_keeps_errors),
        cmocka_unit_test(test_read_header_only),
        cmocka_unit_test(test_messages_are_utf8),
        cmocka_unit_test(test_messages_escape_invisible),
    };

    if (kv_memo_global_init(NULL) != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

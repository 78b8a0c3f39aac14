/* SPDX-License-Identifier: MIT
 *
 * test_rules_files.c: unit tests of the file rules of layer (c) (src/memo/rules_files.c,
 * docs/memo-rules.md): file-name characters, the file-type allow-list, MIME/extension agreement,
 * the attachment count, base64 validity and the decoded-size limit. The base64 scanner itself
 * is tested in tests/unit/util/test_base64.c. Harness in rules_harness.h.
 */
#include "rules_harness.h"
/* ---------------------------------------------------------------- files */

#define FNAME "Pladsanvisning.pdf"
#define FNAME_PATH FILE1 "/memo:filename"

static void test_filename_chars(void **state)
{
    static const char *const good[] = {"Plads anvisning.pdf",
                                       "Pl\xc3\xa6"
                                       "ds.pdf",
                                       "a\xe2\x80\x8b"
                                       "b.pdf" /* U+200B is not listed */,
                                       "a\xe2\x80\x8f"
                                       "b.pdf",
                                       "a-b_c (1).pdf"};
    static const char *const bad[] = {"a&lt;b.pdf",
                                      "a>b.pdf",
                                      "a:b.pdf",
                                      "a\"b.pdf",
                                      "a&quot;b.pdf",
                                      "a/b.pdf",
                                      "a\\b.pdf",
                                      "a|b.pdf",
                                      "a?b.pdf",
                                      "a*b.pdf",
                                      "a&#13;b.pdf",
                                      "a&#10;b.pdf",
                                      "a\xc2\xa0"
                                      "b.pdf", /* U+00A0 */
                                      "a\xe2\x80\x80"
                                      "b.pdf", /* U+2000 */
                                      "a\xe2\x80\x8a"
                                      "b.pdf", /* U+200A */
                                      "a\xe2\x80\xa8"
                                      "b.pdf", /* U+2028 */
                                      "a\xe2\x81\x9f"
                                      "b.pdf", /* U+205F */
                                      "a\xe2\x81\xa0"
                                      "b.pdf", /* U+2060 */
                                      "a\xe3\x80\x80"
                                      "b.pdf"}; /* U+3000 */
    static const char *const bad_what[] = {
        "'<'", "'>'", "':'",    "'\"'",   "'\"'",   "'/'",    "'\\'",   "'|'",    "'?'",   "'*'",
        "CR",  "LF",  "U+00A0", "U+2000", "U+200A", "U+2028", "U+205F", "U+2060", "U+3000"};
    struct run r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        run_min(&r, FNAME, good[i]);
        expect_no_errors(&r);
        run_free(&r);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run_min(&r, FNAME, bad[i]);
        expect(&r, "NGDP-FILENAME-CHARS", KV_MEMO_ERROR, "<memo:filename>", FNAME_PATH);
        if (!strstr(find(&r, "NGDP-FILENAME-CHARS")->message, bad_what[i]))
            fail_msg("message for case %zu lacks %s: %s", i, bad_what[i],
                     find(&r, "NGDP-FILENAME-CHARS")->message);
        assert_non_null(strstr(find(&r, "NGDP-FILENAME-CHARS")->message, "position 2"));
        assert_int_equal(r.d.n_errors, 1);
        run_free(&r);
    }
    /* counts all of them and points at the first, by character position */
    run_min(&r, FNAME, "\xc3\xa6\xc3\xb8?x*y.pdf");
    assert_non_null(strstr(find(&r, "NGDP-FILENAME-CHARS")->message, "2 forbidden characters"));
    assert_non_null(strstr(find(&r, "NGDP-FILENAME-CHARS")->message, "position 3"));
    run_free(&r);
}

static void test_file_types(void **state)
{
    static const struct {
        const char *mime, *name;
    } good[] = {
        {"application/pdf", "a.PDF"},
        {"Application/PDF; charset=binary", "a.pdf"},
        {"text/plain", "a.txt"},
        {"text/html", "a.htm"},
        {"text/csv", "a.csv"},
        {"application/xml", "a.xml"},
        {"image/jpeg", "a.jpeg"},
        {"image/tiff", "a.tif"},
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a.docx"},
        {"application/vnd.oasis.opendocument.spreadsheet", "a.ods"},
    };
    struct run r;
    char *a, *b;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        a = min12();
        b = subst(a, "application/pdf", good[i].mime);
        free(a);
        a = subst(b, FNAME, good[i].name);
        run_str(&r, a);
        expect_no_errors(&r);
        run_free(&r);
        free(a);
        free(b);
    }
    run_min(&r, "application/pdf", "application/x-msdownload");
    expect(&r, "NGDP-FILE-MIME", KV_MEMO_ERROR, "<memo:encodingFormat>",
           FILE1 "/memo:encodingFormat");
    assert_int_equal(r.d.n_errors, 1);
    run_free(&r);

    run_min(&r, FNAME, "Pladsanvisning.pdf.exe");
    expect(&r, "NGDP-FILE-EXECUTABLE", KV_MEMO_ERROR, "<memo:filename>", FNAME_PATH);
    expect_none(&r, "NGDP-FILE-EXT");
    run_free(&r);
    run_min(&r, FNAME, "macro.XLSM");
    expect(&r, "NGDP-FILE-EXECUTABLE", KV_MEMO_ERROR, "<memo:filename>", FNAME_PATH);
    run_free(&r);
    run_min(&r, FNAME, "archive.zip");
    expect(&r, "NGDP-FILE-EXT", KV_MEMO_ERROR, "<memo:filename>", FNAME_PATH);
    expect_none(&r, "NGDP-FILE-TYPE-MISMATCH");
    run_free(&r);
    run_min(&r, FNAME, "Pladsanvisning");
    expect(&r, "NGDP-FILE-EXT", KV_MEMO_ERROR, "<memo:filename>", FNAME_PATH);
    run_free(&r);
    run_min(&r, FNAME, "Pladsanvisning.");
    expect(&r, "NGDP-FILE-EXT", KV_MEMO_ERROR, "<memo:filename>", FNAME_PATH);
    run_free(&r);

    run_min(&r, FNAME, "Pladsanvisning.docx");
    expect(&r, "NGDP-FILE-TYPE-MISMATCH", KV_MEMO_ERROR, "<memo:File>", FILE1);
    assert_non_null(strstr(find(&r, "NGDP-FILE-TYPE-MISMATCH")->message, ".pdf"));
    assert_int_equal(r.d.n_errors, 1);
    run_free(&r);
}

static void test_attachments(void **state)
{
    struct run r;
    char *base = min12(), *xml, *tmp, *acc;
    const char *doc = "<memo:AdditionalDocument><memo:File>"
                      "<memo:encodingFormat>text/plain</memo:encodingFormat>"
                      "<memo:filename>b.txt</memo:filename><memo:language>da</memo:language>"
                      "<memo:content>QQ==</memo:content></memo:File></memo:AdditionalDocument>\n";
    const char *tdoc = "<memo:TechnicalDocument><memo:File>"
                       "<memo:encodingFormat>text/xml</memo:encodingFormat>"
                       "<memo:filename>t.xml</memo:filename><memo:language>da</memo:language>"
                       "<memo:content>PGEvPg==</memo:content></memo:File>"
                       "</memo:TechnicalDocument>\n";
    int i;

    (void)state;
    /* 6 additional + 4 technical = 10: allowed */
    acc = kv_xstrdup("</memo:MainDocument>\n");
    for (i = 0; i < 10; i++) {
        tmp = kv_xasprintf("%s%s", acc, i < 6 ? doc : tdoc);
        free(acc);
        acc = tmp;
    }
    xml = subst(base, "</memo:MainDocument>", acc);
    run_str(&r, xml);
    expect_no_errors(&r);
    free(xml);
    run_free(&r);
    /* an 11th: the diagnostic sits on the 11th attachment, the 5th TechnicalDocument */
    tmp = kv_xasprintf("%s<memo:TechnicalDocument>\n<memo:File>"
                       "<memo:encodingFormat>text/xml</memo:encodingFormat>"
                       "<memo:filename>u.xml</memo:filename><memo:language>da</memo:language>"
                       "<memo:content>PGEvPg==</memo:content></memo:File>"
                       "</memo:TechnicalDocument>",
                       acc);
    free(acc);
    acc = tmp;
    xml = subst(base, "</memo:MainDocument>", acc);
    run_str(&r, xml);
    expect(&r, "NGDP-ATTACHMENTS-MAX", KV_MEMO_ERROR, "<memo:TechnicalDocument>\n",
           "/memo:Message/memo:MessageBody/memo:TechnicalDocument[5]");
    assert_non_null(strstr(find(&r, "NGDP-ATTACHMENTS-MAX")->message, "11 attachments"));
    assert_int_equal(r.d.n_errors, 1);
    free(xml);
    run_free(&r);
    free(acc);
    free(base);
}

/* ---------------------------------------------------------------- base64 and size */

#define CONTENT "VGhpcyBpcyBhIHRlc3Q="
#define CONTENT_PATH FILE1 "/memo:content"

static void test_base64_rule(void **state)
{
    static const char *const good[] = {"VGhpcyBp\n  cyBhIHRl\n  c3Q=", "",
                                       "<![CDATA[VGhpcyBp]]>cyBhIHRlc3Q=", "VGhp<!-- c -->cw=="};
    static const char *const bad[] = {"VGhpcyBpcyBhIHRlc3Q",
                                      "VGhp!cyBpcyBhIHRlc3Q=",
                                      "VGhpcyBpcyBhIHRlc3Q=A",
                                      "VGhpcw=A",
                                      "VGhpc===",
                                      "VGhp<x/>cw=="};
    struct run r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        run_min(&r, CONTENT, good[i]);
        expect_no_errors(&r);
        run_free(&r);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run_min(&r, CONTENT, bad[i]);
        expect(&r, "NGDP-BASE64", KV_MEMO_ERROR, "<memo:content>", CONTENT_PATH);
        assert_int_equal(r.d.n_errors, 1);
        run_free(&r);
    }
}

/* Exactly 99,500,000 decoded bytes pass; 99,500,001 fail. Same text length either way. */
static void test_total_size(void **state)
{
    const size_t n_b64 = 132666668; /* 4 * ceil(99,500,001 / 3) */
    char *base = min12(), *src;
    const char *at = strstr(base, CONTENT);
    size_t pre_len, post_len, len;
    struct run r;

    (void)state;
    assert_non_null(at);
    pre_len = (size_t)(at - base);
    post_len = strlen(at + strlen(CONTENT));
    len = pre_len + n_b64 + post_len;
    src = kv_xmalloc(len + 1);
    memcpy(src, base, pre_len);
    memset(src + pre_len, 'A', n_b64);
    memcpy(src + pre_len + n_b64, at + strlen(CONTENT), post_len + 1);

    src[pre_len + n_b64 - 2] = '=';
    src[pre_len + n_b64 - 1] = '=';
    run_src(&r, src, len);
    expect_no_errors(&r);
    r.src = NULL; /* keep src for the second run */
    run_free(&r);

    src[pre_len + n_b64 - 2] = 'A';
    src[pre_len + n_b64 - 1] = 'A';
    run_src(&r, src, len);
    expect(&r, "NGDP-SIZE-MAX", KV_MEMO_ERROR, "<memo:MessageBody>",
           "/memo:Message/memo:MessageBody");
    assert_non_null(strstr(find(&r, "NGDP-SIZE-MAX")->message, "99500001"));
    assert_int_equal(r.d.n_errors, 1);
    run_free(&r);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filename_chars), cmocka_unit_test(test_file_types),
        cmocka_unit_test(test_attachments),    cmocka_unit_test(test_base64_rule),    cmocka_unit_test(test_total_size),
    };
    int rc;

    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}

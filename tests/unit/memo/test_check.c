/* SPDX-License-Identifier: MIT
 *
 * test_check.c: kv_memo_check layers (a) hardened reader and (b) XSD: verdicts on the example
 * letters, all well-formedness errors reported with line and column, located XSD errors, every
 * hostile input refused with its rule code, limits honoured, the 1.2 schema's differences,
 * concurrent checks. Runs from the repository root (or $KUVERT_ROOT).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/test_data.h"

#include "memo/doc_int.h"
#include "memo/memo.h"
#include "memo/model.h"
#include "util/xmalloc.h"

#define EX "tests/data/examples/"
#define ITK EX "itk-dev-rpa_python-serviceplatformen__MeMo_"

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

/* t with the first occurrence of from replaced by to (owned result). */
static struct text replace(const struct text *t, const char *from, const char *to)
{
    const char *hit = strstr(t->buf, from);
    struct text r;
    size_t pre, fl = strlen(from), tl = strlen(to);

    assert_non_null(hit);
    pre = (size_t)(hit - t->buf);
    r.len = t->len - fl + tl;
    r.buf = kv_xmalloc(r.len + 1);
    memcpy(r.buf, t->buf, pre);
    memcpy(r.buf + pre, to, tl);
    memcpy(r.buf + pre + tl, hit + fl, t->len - pre - fl);
    r.buf[r.len] = '\0';
    return r;
}

/* Checks buf and asserts the invariants every result must satisfy: the call ran, every
 * diagnostic has a rule, a line and a message without a trailing newline. */
static void check(const char *buf, size_t len, enum kv_memo_level level,
                  const struct kv_memo_limits *lim, struct kv_memo_diags *d,
                  struct kv_memo_doc **doc)
{
    struct kv_err err = {0};
    size_t i;

    kv_memo_diags_init(d);
    assert_int_equal(kv_memo_check(buf, len, level, lim, d, doc, &err), 0);
    for (i = 0; i < d->n; i++) {
        size_t ml = strlen(d->items[i].message);
        assert_true(d->items[i].rule[0] != '\0');
        assert_true(d->items[i].line > 0);
        assert_true(ml > 0);
        assert_true(d->items[i].message[ml - 1] != '\n');
    }
}

static size_t count_rule(const struct kv_memo_diags *d, const char *rule)
{
    size_t i, n = 0;

    for (i = 0; i < d->n; i++)
        if (strcmp(d->items[i].rule, rule) == 0)
            n++;
    return n;
}

static void print_diags(const char *what, const struct kv_memo_diags *d)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        print_message("%s: %s %lu:%lu %s: %s\n", what, d->items[i].rule, d->items[i].line,
                      d->items[i].col, d->items[i].path, d->items[i].message);
}

static int setup(void **state)
{
    struct kv_err err = {0};

    (void)state;
    return kv_memo_global_init(&err);
}

static int teardown(void **state)
{
    (void)state;
    kv_memo_global_cleanup();
    return 0;
}

static void expect_valid(const char *rel, const char *version)
{
    struct text t = load(rel);
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;

    check(t.buf, t.len, KV_MEMO_LEVEL_XSD, NULL, &d, &doc);
    print_diags(rel, &d);
    assert_int_equal(d.n_errors, 0);
    assert_non_null(doc);
    assert_string_equal(kv_memo_doc_version(doc), version);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);
    free(t.buf);
}

static void test_examples_11_valid(void **state)
{
    (void)state;
    expect_valid(ITK "Full_Example__memo-1.1.xml", "1.1");
    expect_valid(ITK "Minimum_Example__memo-1.1.xml", "1.1");
    expect_valid(ITK "NemSMS__memo-1.1.xml", "1.1");
    expect_valid(ITK "with_attachment__memo-1.1.xml", "1.1");
}

static void test_examples_12_valid(void **state)
{
    (void)state;
    expect_valid(ITK "Full_Example__memo-1.2.xml", "1.2");
    expect_valid(ITK "Minimum_Example__memo-1.2.xml", "1.2");
    expect_valid(ITK "NemSMS__memo-1.2.xml", "1.2");
    expect_valid(ITK "with_attachment__memo-1.2.xml", "1.2");
}

/* One refused file: exactly the rule given, on the root, nothing from later layers. */
static void expect_refused(const char *rel, const char *rule, const char *version)
{
    struct text t = load(rel);
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;

    check(t.buf, t.len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(d.items[0].rule, rule);
    assert_string_equal(d.items[0].path, "/memo:Message");
    assert_int_equal(d.items[0].line, 2 + (version && strcmp(version, "1.0") == 0 ? 11 : 0));
    assert_int_equal(d.items[0].col, 1);
    assert_int_equal(count_rule(&d, "XSD"), 0);
    assert_non_null(doc); /* well-formed: the tree is still handed out */
    if (version) {
        assert_string_equal(kv_memo_doc_version(doc), version);
        assert_non_null(strstr(d.items[0].message, "only MeMo 1.1 and 1.2 are accepted"));
    } else {
        assert_null(kv_memo_doc_version(doc));
    }
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);
    free(t.buf);
}

static void test_other_examples_refused(void **state)
{
    (void)state;
    expect_refused(EX "itk-dev_serviceplatformen__testMeMoScenarie1Eksempel.xml", "MEMO-VERSION",
                   "1.0");
    expect_refused(EX "itk-dev_serviceplatformen__testNamespaces.xml", "MEMO-VERSION", NULL);
    expect_refused(EX "itk-dev_serviceplatformen__testSerializeEmptyMessage.xml", "MEMO-VERSION",
                   NULL);
}

/* The schema really is chosen by memoVersion: 1.2-only content fails when declared 1.1, and
 * what 1.2 relaxed is still enforced for 1.1. */
static void test_version_selects_schema(void **state)
{
    struct text full12 = load(ITK "Full_Example__memo-1.2.xml");
    struct text min11 = load(ITK "Minimum_Example__memo-1.1.xml");
    struct text as11, no_mandatory11, no_mandatory12, sch12, v110;
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;

    (void)state;
    as11 = replace(&full12, "memoVersion=\"1.2\"", "memoVersion=\"1.1\" memoSchVersion=\"1.1.0\"");
    check(as11.buf, as11.len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL);
    assert_true(count_rule(&d, "XSD") >= 2); /* Representative, originalRepresentative */
    kv_memo_diags_release(&d);

    no_mandatory11 = replace(&min11, "<memo:mandatory>false</memo:mandatory>", "");
    check(no_mandatory11.buf, no_mandatory11.len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL);
    assert_int_equal(count_rule(&d, "XSD"), 1);
    kv_memo_diags_release(&d);

    no_mandatory12 = replace(&no_mandatory11, "memoVersion=\"1.1\" memoSchVersion=\"1.1.0\"",
                             "memoVersion=\"1.2\"");
    check(no_mandatory12.buf, no_mandatory12.len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL);
    assert_int_equal(d.n_errors, 0);
    kv_memo_diags_release(&d);

    /* 1.2 tolerates a leftover memoSchVersion (schemas/memo-1.2/SOURCES.md). */
    sch12 = replace(&min11, "memoVersion=\"1.1\"", "memoVersion=\"1.2\"");
    check(sch12.buf, sch12.len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL);
    assert_int_equal(d.n_errors, 0);
    kv_memo_diags_release(&d);

    /* memoVersion is an xs:decimal: "1.10" is 1.1. */
    v110 = replace(&min11, "memoVersion=\"1.1\"", "memoVersion=\"1.10\"");
    check(v110.buf, v110.len, KV_MEMO_LEVEL_XSD, NULL, &d, &doc);
    assert_int_equal(d.n_errors, 0);
    assert_string_equal(kv_memo_doc_version(doc), "1.1");
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);

    free(full12.buf);
    free(min11.buf);
    free(as11.buf);
    free(no_mandatory11.buf);
    free(no_mandatory12.buf);
    free(sch12.buf);
    free(v110.buf);
}

static void test_malformed_all_errors(void **state)
{
    static const char doc[] =
        "<?xml version=\"1.0\"?>\n"
        "<memo:Message xmlns:memo=\"https://DigitalPost.dk/MeMo-1\" memoVersion=\"1.1\">\n"
        "  <memo:a>x</memo:b>\n"
        "  <memo:c attr=noquote/>\n"
        "  <memo:d>&undefined;</memo:d>\n"
        "  <x:e/>\n"
        "</memo:Message>\n";
    struct kv_memo_diags d;
    struct kv_memo_doc *out = (struct kv_memo_doc *)&d;
    size_t i;
    int seen3 = 0, seen4 = 0, seen5 = 0, seen6 = 0;

    (void)state;
    check(doc, sizeof(doc) - 1, KV_MEMO_LEVEL_NGDP, NULL, &d, &out);
    print_diags("malformed", &d);
    assert_null(out);
    assert_true(count_rule(&d, "XML-WF") >= 4);
    assert_int_equal(count_rule(&d, "XML-WF"), d.n_errors);
    for (i = 0; i < d.n; i++) {
        assert_true(d.items[i].col > 0);
        if (i > 0) /* sorted by position */
            assert_true(d.items[i - 1].line <= d.items[i].line);
        seen3 |= d.items[i].line == 3 && strstr(d.items[i].message, "mismatch") != NULL;
        seen4 |= d.items[i].line == 4;
        seen5 |= d.items[i].line == 5 && strstr(d.items[i].message, "undefined") != NULL;
        seen6 |= d.items[i].line == 6 && strstr(d.items[i].message, "Namespace prefix x") != NULL;
    }
    assert_true(seen3 && seen4 && seen5 && seen6);
    kv_memo_diags_release(&d);

    /* Empty input and garbage are refused, not crashed on. Empty input (also only a UTF-8
     * BOM and white space: an empty bulk member, an empty file) says so, where libxml2's push
     * parser said "Extra content at the end of the document". */
    {
        static const struct {
            const char *s;
            unsigned long line, col;
        } empty[] = {{"", 1, 1}, {" ", 1, 2}, {"\xef\xbb\xbf", 1, 4}, {"\xef\xbb\xbf\r\n\t", 2, 2}};
        for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
            check(empty[i].s, strlen(empty[i].s), KV_MEMO_LEVEL_NGDP, NULL, &d, &out);
            print_diags("empty", &d);
            assert_null(out);
            assert_int_equal(d.n, 1);
            assert_string_equal(d.items[0].rule, "XML-WF");
            assert_true(strncmp(d.items[0].message, "Document is empty", 17) == 0);
            assert_int_equal(d.items[0].line, empty[i].line);
            assert_int_equal(d.items[0].col, empty[i].col);
            kv_memo_diags_release(&d);
        }
    }
    check("\x00\xff<", 3, KV_MEMO_LEVEL_NGDP, NULL, &d, &out);
    assert_null(out);
    assert_true(d.n_errors >= 1);
    kv_memo_diags_release(&d);
}

static void test_xsd_error_located(void **state)
{
    struct text min11 = load(ITK "Minimum_Example__memo-1.1.xml");
    struct text bad;
    char label[400];
    struct kv_memo_diags d;
    size_t i;

    (void)state;
    memset(label, 'A', 300);
    memcpy(label, "<memo:label>", 12);
    label[300] = '\0';
    bad = replace(&min11, "<memo:label>", label); /* the header label: 300+ characters */
    check(bad.buf, bad.len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL);
    print_diags("xsd", &d);
    assert_true(d.n_errors >= 1);
    assert_string_equal(d.items[0].rule, "XSD");
    assert_int_equal(d.items[0].line, 18);
    assert_int_equal(d.items[0].col, 3);
    assert_string_equal(d.items[0].path, "/memo:Message/memo:MessageHeader/memo:label");
    assert_non_null(strstr(d.items[0].message, "memo:label: [facet 'maxLength']"));
    for (i = 0; i < d.n; i++) { /* plain messages: no "{namespace}" and no "Element '" */
        assert_null(strchr(d.items[i].message, '{'));
        assert_null(strstr(d.items[i].message, "Element '"));
    }
    kv_memo_diags_release(&d);
    free(bad.buf);

    /* Enumeration error on messageType. */
    bad = replace(&min11, "<memo:messageType>DIGITALPOST</memo:messageType>",
                  "<memo:messageType>BREV</memo:messageType>");
    check(bad.buf, bad.len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL);
    assert_int_equal(d.n_errors, 1);
    assert_int_equal(d.items[0].line, 16);
    assert_int_equal(d.items[0].col, 3);
    assert_string_equal(d.items[0].path, "/memo:Message/memo:MessageHeader/memo:messageType");
    assert_non_null(strstr(d.items[0].message, "memo:messageType: "));
    kv_memo_diags_release(&d);
    free(bad.buf);
    free(min11.buf);
}

/* The diagnostics of a letter written on one line (as most sender systems write it) point at
 * their own element: the column is the one of as many "<qname" on the line as elements of that
 * name come before it there. Each pointed at the first "<memo:url>" (or "<memo:label>") of the
 * line, so three Actions' NGDP-URL-HTTPS errors had one column between them. */
static void test_one_line_letter_located(void **state)
{
    struct text min = load(ITK "Minimum_Example__memo-1.2.xml");
    struct text v;
    char actions[2048], *line_start;
    const char *urls[] = {"http://a.dk", "http://b.dk", "http://c.dk"};
    struct kv_memo_diags d;
    unsigned long line = 0;
    size_t i, n_url = 0, o = 0;
    int n_xsd = 0;

    (void)state;
    for (i = 0; i < 3; i++)
        o += (size_t)snprintf(actions + o, sizeof(actions) - o,
                              "<memo:Action><memo:label>%s</memo:label>"
                              "<memo:actionCode>INFORMATION</memo:actionCode>"
                              "<memo:EntryPoint><memo:url>%s</memo:url></memo:EntryPoint>"
                              "</memo:Action>",
                              i == 1 ? "Lang xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                     : "Se",
                              urls[i]);
    snprintf(actions + o, sizeof(actions) - o, "</memo:MainDocument>");
    v = replace(&min, "</memo:File>\n\t\t</memo:MainDocument>", "</memo:File>");
    free(min.buf);
    min = v;
    v = replace(&min, "</memo:File>", "</memo:File>@");
    free(min.buf);
    min = v;
    v = replace(&min, "@", actions);
    check(v.buf, v.len, KV_MEMO_LEVEL_NGDP, NULL, &d, NULL);
    print_diags("one line", &d);
    for (i = 0; i < d.n; i++) {
        const struct kv_memo_diag *g = &d.items[i];
        const char *at;
        size_t k;

        if (g->severity != KV_MEMO_ERROR)
            continue;
        if (!line)
            line = g->line;
        assert_int_equal(g->line, line); /* all on the line of the Actions */
        for (line_start = v.buf, k = 1; k < line; k++)
            line_start = strchr(line_start, '\n') + 1;
        at = line_start + g->col - 1;
        if (strcmp(g->rule, "NGDP-URL-HTTPS") == 0) {
            char want[64];
            assert_true(n_url < 3);
            snprintf(want, sizeof(want), "<memo:url>%s<", urls[n_url]);
            assert_true(strncmp(at, want, strlen(want)) == 0);
            n_url++;
        } else {
            assert_string_equal(g->rule, "XSD"); /* the second Action's label: over 256 */
            assert_true(strncmp(at, "<memo:label>Lang x", 18) == 0);
            n_xsd++;
        }
    }
    assert_int_equal(n_url, 3);
    assert_int_equal(n_xsd, 1);
    kv_memo_diags_release(&d);
    free(v.buf);
    free(min.buf);
}

static void test_wrong_root(void **state)
{
    static const char other_ns[] = "<?xml version=\"1.0\"?>\n"
                                   "<x:Message xmlns:x=\"urn:other\" memoVersion=\"1.1\"/>";
    static const char no_ns[] = "<Message memoVersion=\"1.1\"/>";
    struct kv_memo_diags d;

    (void)state;
    check(other_ns, sizeof(other_ns) - 1, KV_MEMO_LEVEL_NGDP, NULL, &d, NULL);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(d.items[0].rule, "MEMO-ROOT");
    assert_int_equal(d.items[0].line, 2);
    kv_memo_diags_release(&d);
    check(no_ns, sizeof(no_ns) - 1, KV_MEMO_LEVEL_NGDP, NULL, &d, NULL);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(d.items[0].rule, "MEMO-ROOT");
    kv_memo_diags_release(&d);
}

/* Asserts that buf is refused with exactly one error, of rule. */
static void expect_rule(const char *buf, size_t len, const struct kv_memo_limits *lim,
                        const char *rule)
{
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;

    check(buf, len, KV_MEMO_LEVEL_NGDP, lim, &d, &doc);
    print_diags(rule, &d);
    assert_null(doc);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(d.items[0].rule, rule);
    kv_memo_diags_release(&d);
}

static void test_hostile_dtd(void **state)
{
    static const char bomb[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n<memo:Message xmlns:memo=\"https://DigitalPost.dk/MeMo-1\" "
        "memoVersion=\"1.1\">&lol9;</memo:Message>\n";
    static const char xxe[] = "<?xml version=\"1.0\"?>\n"
                              "<!DOCTYPE m [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
                              "<m>&xxe;</m>\n";
    static const char ext_dtd[] = "<!DOCTYPE m SYSTEM \"http://127.0.0.1:9/x.dtd\"><m/>";
    static const char param[] = "<!DOCTYPE m [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
                                "<m/>";
    struct kv_memo_diags d;

    (void)state;
    expect_rule(bomb, sizeof(bomb) - 1, NULL, "XML-DTD");
    expect_rule(xxe, sizeof(xxe) - 1, NULL, "XML-DTD");
    expect_rule(ext_dtd, sizeof(ext_dtd) - 1, NULL, "XML-DTD");
    expect_rule(param, sizeof(param) - 1, NULL, "XML-DTD");
    check(xxe, sizeof(xxe) - 1, KV_MEMO_LEVEL_NGDP, NULL, &d, NULL);
    assert_int_equal(d.items[0].line, 2);
    assert_null(strstr(d.items[0].message, "root:")); /* nothing of /etc/passwd leaked */
    kv_memo_diags_release(&d);
}

/* MeMo is UTF-8: any other declared or detected encoding is refused (XML-ENCODING) before a
 * tree exists; "utf-8" in any case, or no declaration, is fine. */
static void test_encoding_utf8_only(void **state)
{
    struct text min12 = load(ITK "Minimum_Example__memo-1.2.xml");
    static const char *bad[] = {"UTF-7", "ISO-8859-1", "US-ASCII", "windows-1252", "UTF-16"};
    /* "<?xml version="1.0"?><m/>" and "<m/>" in UTF-16LE with a byte-order mark. */
    static const char u16[] = "\xff\xfe<\0?\0x\0m\0l\0 \0v\0e\0r\0s\0i\0o\0n\0=\0\"\0"
                              "1\0.\0\x30\0\"\0?\0>\0<\0m\0/\0>\0";
    static const char u16_bare[] = "\xff\xfe<\0m\0/\0>\0";
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    const struct kv_memo_diag *e;
    char decl[64];
    size_t i;

    (void)state;
    assert_non_null(strstr(min12.buf, "encoding=\"UTF-8\""));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct text t;

        snprintf(decl, sizeof(decl), "encoding=\"%s\"", bad[i]);
        t = replace(&min12, "encoding=\"UTF-8\"", decl);
        check(t.buf, t.len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc);
        print_diags(bad[i], &d);
        assert_null(doc);
        /* "UTF-16" over UTF-8 bytes also gets libxml2's XML-WF; the rest only XML-ENCODING */
        assert_int_equal(count_rule(&d, "XML-ENCODING"), 1);
        assert_int_equal(d.n_errors, strcmp(bad[i], "UTF-16") == 0 ? 2 : 1);
        e = &d.items[d.n - 1];
        assert_string_equal(e->rule, "XML-ENCODING");
        assert_int_equal(e->line, 1);
        assert_non_null(strstr(e->message, bad[i]));
        assert_non_null(strstr(e->message, "must be UTF-8"));
        kv_memo_diags_release(&d);
        free(t.buf);
    }
    expect_rule(u16, sizeof(u16) - 1, NULL, "XML-ENCODING");
    expect_rule(u16_bare, sizeof(u16_bare) - 1, NULL, "XML-ENCODING");
    /* UTF-32 with and without a byte-order mark, UTF-16 without one: named as such, where
     * libxml2 said "switching encoding: encoder error", "Document is empty" or "Char 0x0 out
     * of allowed range" (XML-WF). */
    {
        static const struct {
            const char *bytes;
            size_t len;
            const char *name;
        } wide[] = {
            {"\xff\xfe\0\0<\0\0\0m\0\0\0/\0\0\0>\0\0\0", 20, "UTF-32LE"},
            {"<\0\0\0m\0\0\0/\0\0\0>\0\0\0", 16, "UTF-32LE"},
            {"\0\0\xfe\xff\0\0\0<\0\0\0m\0\0\0/\0\0\0>", 20, "UTF-32BE"},
            {"\0\0\0<\0\0\0m\0\0\0/\0\0\0>", 16, "UTF-32BE"},
            {"<\0m\0/\0>\0", 8, "UTF-16LE"},
            {"\0<\0m\0/\0>", 8, "UTF-16BE"},
        };
        /* other bytes with a NUL among the first four are not named an encoding: an LZMA
         * archive (16 MiB dictionary: 5D 00 00 00) sent as a letter stays XML-WF */
        static const char lzma16[] = "\x5d\0\0\0\x01\xff\xff\xff\xff\xff\xff\xff\xff\0<n";

        check(lzma16, sizeof(lzma16) - 1, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc);
        assert_null(doc);
        assert_int_equal(count_rule(&d, "XML-ENCODING"), 0);
        assert_true(count_rule(&d, "XML-WF") >= 1);
        kv_memo_diags_release(&d);
        for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
            check(wide[i].bytes, wide[i].len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc);
            print_diags(wide[i].name, &d);
            assert_null(doc);
            assert_int_equal(d.n, 1);
            assert_string_equal(d.items[0].rule, "XML-ENCODING");
            assert_non_null(strstr(d.items[0].message, wide[i].name));
            kv_memo_diags_release(&d);
        }
    }
    {
        struct text lower = replace(&min12, "encoding=\"UTF-8\"", "encoding=\"utf-8\"");
        struct text none = replace(&min12, " encoding=\"UTF-8\"", "");

        check(lower.buf, lower.len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc);
        assert_int_equal(d.n_errors, 0);
        assert_non_null(doc);
        kv_memo_doc_free(doc);
        kv_memo_diags_release(&d);
        check(none.buf, none.len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc);
        assert_int_equal(d.n_errors, 0);
        assert_non_null(doc);
        kv_memo_doc_free(doc);
        kv_memo_diags_release(&d);
        free(lower.buf);
        free(none.buf);
    }
    free(min12.buf);
}

static void test_hostile_structure(void **state)
{
    size_t n = 10000, i, len;
    char *deep = kv_xmalloc(n * 7 + 1), *p = deep, *many, *attrs;
    char *huge;

    (void)state;
    for (i = 0; i < n; i++, p += 3)
        memcpy(p, "<a>", 3);
    for (i = 0; i < n; i++, p += 4)
        memcpy(p, "</a>", 4);
    expect_rule(deep, (size_t)(p - deep), NULL, "XML-DEPTH");
    free(deep);

    len = 3 + 200001 * 4 + 4;
    many = kv_xmalloc(len);
    memcpy(many, "<m>", 3);
    for (i = 0; i < 200001; i++)
        memcpy(many + 3 + i * 4, "<a/>", 4);
    memcpy(many + len - 4, "</m>", 4);
    expect_rule(many, len, NULL, "XML-COUNT");
    free(many);

    /* 200,000 attributes on one tag: quadratic inside libxml2, refused before it runs. */
    len = 3 + 200000 * 9 + 2;
    attrs = kv_xmalloc(len);
    memcpy(attrs, "<m ", 3);
    for (i = 0; i < 200000; i++) {
        char a[16];
        int w = snprintf(a, sizeof(a), "a%05zu=\"\"", i % 100000);
        assert_int_equal(w, 9);
        memcpy(attrs + 3 + i * 9, a, 9);
    }
    memcpy(attrs + len - 2, "/>", 2);
    expect_rule(attrs, len, NULL, "XML-ATTRS");
    free(attrs);

    /* A 6 MB comment: libxml2 would hold (and rescan) all of it; refused past 4 MB. */
    len = 3 + 4 + (size_t)6 * 1000 * 1000 + 3 + 4;
    huge = kv_xmalloc(len);
    memcpy(huge, "<m><!--", 7);
    memset(huge + 7, 'x', len - 14);
    memcpy(huge + len - 7, "--></m>", 7);
    expect_rule(huge, len, NULL, "XML-SIZE");
    free(huge);

    /* 200 MB: refused on size before parsing; calloc'd pages are never touched. */
    len = (size_t)200 * 1000 * 1000;
    huge = kv_xcalloc(len, 1);
    expect_rule(huge, len, NULL, "XML-SIZE");
    free(huge);
}

static void test_limits_honoured(void **state)
{
    struct text min11 = load(ITK "Minimum_Example__memo-1.1.xml");
    struct kv_memo_limits lim;
    struct kv_memo_diags d;

    (void)state;
    kv_memo_limits_default(&lim);
    assert_int_equal(lim.max_bytes, KV_MEMO_DEFAULT_MAX_BYTES);
    assert_int_equal(lim.max_depth, KV_MEMO_DEFAULT_MAX_DEPTH);
    assert_int_equal(lim.max_elements, KV_MEMO_DEFAULT_MAX_ELEMENTS);

    /* Minimum example: depth 5 (Message/MessageBody/MainDocument/File/content), 22 elements. */
    lim.max_bytes = min11.len;
    lim.max_depth = 5;
    lim.max_elements = 22;
    check(min11.buf, min11.len, KV_MEMO_LEVEL_XSD, &lim, &d, NULL);
    assert_int_equal(d.n_errors, 0);
    kv_memo_diags_release(&d);

    lim.max_bytes = min11.len - 1;
    expect_rule(min11.buf, min11.len, &lim, "XML-SIZE");
    lim.max_bytes = min11.len;
    lim.max_depth = 4;
    expect_rule(min11.buf, min11.len, &lim, "XML-DEPTH");
    lim.max_depth = 5;
    lim.max_elements = 21;
    expect_rule(min11.buf, min11.len, &lim, "XML-COUNT");
    check(min11.buf, min11.len, KV_MEMO_LEVEL_XSD, &lim, &d, NULL);
    assert_string_equal(d.items[0].path,
                        "/memo:Message/memo:MessageBody/memo:MainDocument/memo:File/memo:content");
    assert_int_equal(d.items[0].line, 38);
    kv_memo_diags_release(&d);
    free(min11.buf);
}

/* A document larger than the reader's chunk, with two-byte UTF-8 characters across every
 * chunk boundary (odd and even offsets), parses like any other. */
static void test_chunk_boundaries(void **state)
{
    struct text min11 = load(ITK "Minimum_Example__memo-1.1.xml");
    const char *root = strstr(min11.buf, "<memo:Message");
    size_t pad, n = 1300000, head, k;

    (void)state;
    assert_non_null(root);
    head = (size_t)(root - min11.buf);
    for (pad = 0; pad < 2; pad++) {
        size_t len = head + 5 + pad + n * 2 + 4 + (min11.len - head);
        char *buf = kv_xmalloc(len), *p = buf;
        struct kv_memo_diags d;
        memcpy(p, min11.buf, head);
        p += head;
        memcpy(p, "<!-- ", 4 + 1);
        p += 5;
        if (pad)
            *p++ = ' ';
        for (k = 0; k < n; k++, p += 2)
            memcpy(p, "\xc3\xb8", 2); /* ø */
        memcpy(p, " -->", 4);
        p += 4;
        memcpy(p, root, min11.len - head);
        check(buf, len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL);
        print_diags("chunks", &d);
        assert_int_equal(d.n_errors, 0);
        kv_memo_diags_release(&d);
        free(buf);
    }
    free(min11.buf);
}

struct job {
    const struct text *good; /* borrowed valid letter */
    const struct text *bad;  /* borrowed letter with one XSD error */
    int failures;            /* iterations whose verdict was wrong */
};

/* Whitespace-only text runs touching an element on one side and with nothing in between. */
static size_t blank_runs_between_elements(const xmlNode *n)
{
    size_t count = 0;
    const xmlNode *c;

    for (c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            count += blank_runs_between_elements(c);
        } else if (c->type == XML_TEXT_NODE && c->content &&
                   strspn((const char *)c->content, " \t\r\n") ==
                       strlen((const char *)c->content) &&
                   ((c->next && c->next->type == XML_ELEMENT_NODE) ||
                    (c->prev && c->prev->type == XML_ELEMENT_NODE))) {
            count++;
        }
    }
    return count;
}

/* The header label of t as read from the checked tree (owned). */
static char *label_of(const struct text *t)
{
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_memo_message *msg = NULL;
    char *label;

    check(t->buf, t->len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc);
    assert_non_null(doc);
    assert_int_equal(kv_memo_read(doc, KV_MEMO_READ_HEADER_ONLY, &msg, NULL), 0);
    label = kv_xstrdup(msg->header.label);
    kv_memo_message_free(msg);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);
    return label;
}

/* The indentation between elements is not built into the tree (parse.c on_characters, a
 * cost of pretty-printed letters), while the text of a leaf element, whitespace included,
 * and the verdicts stay as they were. */
static void test_blank_text_between_elements(void **state)
{
    struct text full = load(ITK "Full_Example__memo-1.2.xml");
    struct text min = load(ITK "Minimum_Example__memo-1.2.xml");
    struct text v;
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    char *label;

    (void)state;
    /* The Full example is indented with tabs and newlines: none of it is in the tree. */
    check(full.buf, full.len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc);
    print_diags("full", &d);
    assert_int_equal(d.n_errors, 0);
    assert_non_null(doc);
    assert_true(strstr(full.buf, ">\n\t\t<") != NULL);
    assert_int_equal(blank_runs_between_elements((xmlNode *)doc->xml), 0);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);

    /* Whitespace inside a leaf is its value, also next to a comment or a CDATA section. */
    label = label_of(&min);
    assert_string_equal(label, "Pladsanvisning");
    free(label);
    v = replace(&min, "<memo:label>Pladsanvisning</memo:label>",
                "<memo:label> \t \n </memo:label>");
    label = label_of(&v);
    assert_string_equal(label, " \t \n ");
    free(label);
    free(v.buf);
    v = replace(&min, "<memo:label>Pladsanvisning</memo:label>",
                "<memo:label>\n  <!-- c -->  Plads<![CDATA[ x ]]>  </memo:label>");
    label = label_of(&v);
    assert_string_equal(label, "\n    Plads x   ");
    free(label);
    free(v.buf);
    v = replace(&min, "<memo:label>Pladsanvisning</memo:label>",
                "<memo:label>  <?pi x?>  </memo:label>");
    label = label_of(&v);
    assert_string_equal(label, "    ");
    free(label);
    free(v.buf);

    /* A leaf with an element child stays refused, with or without whitespace around it. */
    v = replace(&min, "<memo:label>Pladsanvisning</memo:label>",
                "<memo:label>\n\t<memo:label>x</memo:label>\n</memo:label>");
    check(v.buf, v.len, KV_MEMO_LEVEL_NGDP, NULL, &d, NULL);
    assert_true(d.n_errors >= 1);
    assert_true(count_rule(&d, "XSD") >= 1);
    kv_memo_diags_release(&d);
    free(v.buf);
    free(min.buf);
    free(full.buf);
}

/* Blanks around a value whose XSD type collapses white space (xs:date, the xs:long-derived
 * GLN and P-number types) are not part of the value: XML Schema and NgDP's validators accept
 * "<doNotDeliverUntilDate>\n  2025-09-15\n</doNotDeliverUntilDate>". libxml2 2.9 checks
 * these types without collapsing and refused it with XSD "is not a valid value of the atomic
 * type 'xs:date'" (parse.c collapsed_leaf). */
static void test_collapsed_whitespace_values(void **state)
{
    struct text full = load(ITK "Full_Example__memo-1.2.xml");
    struct text a, b, c, v;
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_memo_message *msg = NULL;
    int in_arena;

    (void)state;
    a = replace(&full, "<memo:doNotDeliverUntilDate>2025-09-15<",
                "<memo:doNotDeliverUntilDate>\n\t\t\t2025-09-15\n\t\t<");
    b = replace(&a, "<grd:productionUnitNumber>1234567890<",
                "<grd:productionUnitNumber> <!-- P --> 1234567890 <?pi?>\t<");
    c = replace(&b, "<gln:globalLocationNumber>5798000012345<",
                "<gln:globalLocationNumber><![CDATA[ 5798000012345]]>\r\n<");
    for (in_arena = 0; in_arena < 2; in_arena++) {
        if (in_arena)
            kv_memo_arena_enter();
        check(c.buf, c.len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc);
        print_diags("collapsed", &d);
        assert_int_equal(d.n_errors, 0);
        assert_non_null(doc);
        /* the reader sees the value as the schema means it */
        assert_int_equal(kv_memo_read(doc, KV_MEMO_READ_HEADER_ONLY, &msg, NULL), 0);
        assert_string_equal(msg->header.do_not_deliver_until, "2025-09-15");
        kv_memo_message_free(msg);
        msg = NULL;
        kv_memo_doc_free(doc);
        doc = NULL;
        kv_memo_diags_release(&d);
        if (in_arena)
            kv_memo_arena_leave();
    }

    /* Blanks only, or blanks inside the value, stay refused. */
    v = replace(&full, "<memo:doNotDeliverUntilDate>2025-09-15<",
                "<memo:doNotDeliverUntilDate> \n <");
    check(v.buf, v.len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL);
    assert_int_equal(count_rule(&d, "XSD"), 1);
    kv_memo_diags_release(&d);
    free(v.buf);
    v = replace(&full, "<memo:doNotDeliverUntilDate>2025-09-15<",
                "<memo:doNotDeliverUntilDate>2025-09 -15<");
    check(v.buf, v.len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL);
    assert_int_equal(count_rule(&d, "XSD"), 1);
    kv_memo_diags_release(&d);
    free(v.buf);
    /* A string type keeps its blanks: a UUID with blanks around it is still refused. */
    v = replace(&full, "<memo:messageUUID>", "<memo:messageUUID> ");
    check(v.buf, v.len, KV_MEMO_LEVEL_NGDP, NULL, &d, NULL);
    assert_int_equal(count_rule(&d, "XSD"), 1);
    assert_int_equal(count_rule(&d, "NGDP-UUID-V4"), 1);
    kv_memo_diags_release(&d);
    free(v.buf);
    free(c.buf);
    free(b.buf);
    free(a.buf);
    free(full.buf);
}

static void *worker(void *arg)
{
    struct job *j = arg;
    int i;

    for (i = 0; i < 40; i++) {
        struct kv_memo_diags d;
        struct kv_err err = {0};
        kv_memo_diags_init(&d);
        if (kv_memo_check(j->good->buf, j->good->len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL, &err) ||
            d.n_errors != 0)
            j->failures++;
        kv_memo_diags_release(&d);
        kv_memo_diags_init(&d);
        if (kv_memo_check(j->bad->buf, j->bad->len, KV_MEMO_LEVEL_XSD, NULL, &d, NULL, &err) ||
            d.n_errors != 1 || strcmp(d.items[0].rule, "XSD") != 0 || d.items[0].line != 16)
            j->failures++;
        kv_memo_diags_release(&d);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    struct text good = load(ITK "Full_Example__memo-1.1.xml");
    struct text min11 = load(ITK "Minimum_Example__memo-1.1.xml");
    struct text bad = replace(&min11, "DIGITALPOST", "BREV");
    struct job jobs[2] = {{&good, &bad, 0}, {&good, &bad, 0}};
    pthread_t th[2];
    int i;

    (void)state;
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(jobs[0].failures, 0);
    assert_int_equal(jobs[1].failures, 0);
    free(good.buf);
    free(min11.buf);
    free(bad.buf);
}

static void test_bad_arguments(void **state)
{
    struct kv_memo_diags d;
    struct kv_err err = {0};

    (void)state;
    kv_memo_diags_init(&d);
    assert_int_equal(kv_memo_check(NULL, 5, KV_MEMO_LEVEL_XSD, NULL, &d, NULL, &err), KV_EINVAL);
    assert_int_equal(kv_memo_check("<a/>", 4, (enum kv_memo_level)7, NULL, &d, NULL, &err),
                     KV_EINVAL);
    assert_int_equal(kv_memo_check("<a/>", 4, KV_MEMO_LEVEL_XSD, NULL, NULL, NULL, &err),
                     KV_EINVAL);
    assert_int_equal(d.n, 0);
    kv_memo_doc_free(NULL);
    assert_null(kv_memo_doc_version(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_11_valid),
        cmocka_unit_test(test_examples_12_valid),
        cmocka_unit_test(test_other_examples_refused),
        cmocka_unit_test(test_version_selects_schema),
        cmocka_unit_test(test_malformed_all_errors),
        cmocka_unit_test(test_xsd_error_located),
        cmocka_unit_test(test_one_line_letter_located),
        cmocka_unit_test(test_wrong_root),
        cmocka_unit_test(test_hostile_dtd),
        cmocka_unit_test(test_encoding_utf8_only),
        cmocka_unit_test(test_hostile_structure),
        cmocka_unit_test(test_limits_honoured),
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_blank_text_between_elements),
        cmocka_unit_test(test_collapsed_whitespace_values),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

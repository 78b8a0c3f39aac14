/* SPDX-License-Identifier: MIT
 *
 * test_html_check.c: kv_html_check (memo/html_check.h), the pre-check of an HTML body. Every
 * rule once approved and once rejected (with its rule code, where and line), plain links and
 * embedded images approved, malformed HTML (approved under LENIENT, rejected under STRICT),
 * nesting deeper than libxml2 reads and trees over the node bound (rejected, never approved
 * unread), non-UTF-8 bytes and declared encodings, the bounds, and the cap on kept findings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memo/html_check.h"
#include "memo/memo.h"
#include "util/buf.h"
#include "util/str.h"

/* Checks s (LENIENT unless strict) and returns how many findings carry rule. */
static size_t count_rule(const struct kv_html_result *r, const char *rule)
{
    size_t i, n = 0;

    for (i = 0; i < r->n; i++)
        if (strcmp(r->items[i].rule, rule) == 0)
            n++;
    return n;
}

static const struct kv_html_finding *find_rule(const struct kv_html_result *r, const char *rule)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        if (strcmp(r->items[i].rule, rule) == 0)
            return &r->items[i];
    return NULL;
}

static void run(const char *html, const char *charset, enum kv_html_policy policy,
                struct kv_html_result *r)
{
    struct kv_err err = {0};

    assert_int_equal(kv_html_check(html, strlen(html), charset, policy, r, &err), 0);
}

/* The body approved: no finding at all. */
static void approved(const char *html)
{
    struct kv_html_result r;
    size_t i;

    run(html, NULL, KV_HTML_LENIENT, &r);
    for (i = 0; i < r.n; i++)
        print_message("unexpected %s at %s line %lu: %s\n", r.items[i].rule, r.items[i].field,
                      r.items[i].line, r.items[i].message);
    assert_true(r.approved);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.total, 0);
    kv_html_result_release(&r);
}

/* The body rejected with rule at field (a substring of where) on line. */
static void rejected(const char *html, const char *rule, const char *field, unsigned long line)
{
    struct kv_html_result r;
    const struct kv_html_finding *f;

    run(html, NULL, KV_HTML_LENIENT, &r);
    assert_false(r.approved);
    f = find_rule(&r, rule);
    if (!f)
        print_message("no %s in: %s\n", rule, html);
    assert_non_null(f);
    if (field && !strstr(f->field, field))
        print_message("%s: field %s lacks %s\n", rule, f->field, field);
    if (field)
        assert_non_null(strstr(f->field, field));
    if (line)
        assert_int_equal(f->line, line);
    assert_true(f->message[0] != '\0');
    kv_html_result_release(&r);
}

static void test_plain_letter_approved(void **state)
{
    (void)state;
    approved("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Brev</title>"
             "<style>p { color: #333; font-family: sans-serif }</style></head>\n"
             "<body><h1>Kære borger</h1><p style=\"margin: 0 1em\">Læs mere på "
             "<a href=\"https://www.borger.dk/\">borger.dk</a> eller "
             "<a href=\"mailto:post@kommune.dk\">skriv</a>, <a href=\"#bund\">bund</a>.</p>\n"
             "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"logo\">"
             "<img srcset=\"data:image/png;base64,AAAA 1x, data:image/png;base64,BBBB 2x\">"
             "<div style=\"background: url(data:image/gif;base64,R0lGOD==)\">x</div>"
             "<section><article><p>HTML5</p></article></section><noscript>ok</noscript>"
             "<table><tr><td>1</td></tr></table></body></html>\n");
}

static void test_script(void **state)
{
    (void)state;
    rejected("<html><body>\n<p>a</p>\n<script>alert(1)</script></body></html>", "HTML-SCRIPT",
             "/script", 3);
    rejected("<p style=\"width: expression(alert(1))\">x</p>", "HTML-SCRIPT", "@style", 1);
    approved("<p>the word script and &lt;script&gt; as text</p>");
}

static void test_embedded(void **state)
{
    static const char *const tags[] = {"iframe", "frame", "object", "embed", "applet", NULL};
    char html[128];
    size_t i;

    (void)state;
    for (i = 0; tags[i]; i++) {
        snprintf(html, sizeof(html), "<body><%s src=\"x\"></%s></body>", tags[i], tags[i]);
        rejected(html, "HTML-EMBEDDED", tags[i], 1);
    }
    approved("<p>an iframe, in words</p>");
}

static void test_form(void **state)
{
    (void)state;
    rejected("<form action=\"https://x.example/\"><p>x</p></form>", "HTML-FORM", "form", 1);
    rejected("<p><input name=\"cpr\"></p>", "HTML-FORM", "input", 1);
    rejected("<p><button>OK</button></p>", "HTML-FORM", "button", 1);
    rejected("<p><select><option>a</option></select></p>", "HTML-FORM", "select", 1);
    rejected("<p><textarea>t</textarea></p>", "HTML-FORM", "textarea", 1);
    approved("<p>fill in the form on paper</p>");
}

static void test_meta_refresh_and_base(void **state)
{
    (void)state;
    rejected("<html><head>\n<meta http-equiv=\"Refresh\" content=\"0; url=https://x/\">"
             "</head><body>x</body></html>",
             "HTML-META-REFRESH", "@http-equiv", 2);
    rejected("<html><head><base href=\"https://x.example/\"></head><body>x</body></html>",
             "HTML-BASE", "base", 1);
    approved("<html><head><meta name=\"viewport\" content=\"width=device-width\">"
             "<meta http-equiv=\"content-type\" content=\"text/html; charset=UTF-8\">"
             "</head><body>x</body></html>");
}

static void test_stylesheet(void **state)
{
    (void)state;
    rejected("<html><head><link rel=\"stylesheet\" href=\"https://cdn.example/a.css\">"
             "</head><body>x</body></html>",
             "HTML-STYLESHEET", "link", 1);
    rejected("<html><head><link rel=\"Alternate StyleSheet\" href=\"a.css\"></head>"
             "<body>x</body></html>",
             "HTML-STYLESHEET", "link", 1);
    rejected("<style>@import url(https://x/a.css);</style><p>x</p>", "HTML-STYLESHEET", "style", 1);
    approved("<style>p { margin: 0 }</style><p>x</p>");
}

static void test_event_handlers(void **state)
{
    struct kv_html_result r;
    const struct kv_html_finding *f;

    (void)state;
    rejected("<p>\n<img src=\"data:image/png;base64,AA\" onerror=\"alert(1)\"></p>",
             "HTML-EVENT-HANDLER", "img/@onerror", 2);
    rejected("<body onload=\"go()\"><p>x</p></body>", "HTML-EVENT-HANDLER", "@onload", 1);
    rejected("<p ONCLICK=\"x()\">x</p>", "HTML-EVENT-HANDLER", "@onclick", 1);
    run("<a href=\"https://x/\" onmouseover=\"steal()\">x</a>", NULL, KV_HTML_LENIENT, &r);
    f = find_rule(&r, "HTML-EVENT-HANDLER");
    assert_non_null(f);
    assert_string_equal(f->value, "steal()");
    kv_html_result_release(&r);
    approved("<p title=\"online\" class=\"one\">x</p>");
}

static void test_script_urls(void **state)
{
    (void)state;
    rejected("<a href=\"javascript:alert(1)\">x</a>", "HTML-SCRIPT-URL", "a/@href", 1);
    rejected("<a href=\" JaVa\tScRiPt:alert(1)\">x</a>", "HTML-SCRIPT-URL", "@href", 1);
    rejected("<a href=\"&#106;avascript:alert(1)\">x</a>", "HTML-SCRIPT-URL", "@href", 1);
    rejected("<a href=\"vbscript:msgbox\">x</a>", "HTML-SCRIPT-URL", "@href", 1);
    /* HTML5 references libxml2 (HTML 4) leaves as written, a browser decodes */
    rejected("<a href=\"javascript&colon;alert(1)\">x</a>", "HTML-SCRIPT-URL", "@href", 1);
    rejected("<a href=\"java&Tab;script:alert(1)\">x</a>", "HTML-SCRIPT-URL", "@href", 1);
    rejected("<a href=\"&NewLine;javascript&colon;alert(1)\">x</a>", "HTML-SCRIPT-URL", "@href",
             1);
    rejected("<img src=\"https&colon;&sol;&sol;x/a.png\">", "HTML-EXTERNAL-RESOURCE", "@src", 1);
    rejected("<img src=\"&bsol;&bsol;x/a.png\">", "HTML-EXTERNAL-RESOURCE", "@src", 1);
    rejected("<img src=\"javascript:alert(1)\">", "HTML-SCRIPT-URL", "img/@src", 1);
    rejected("<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
             "HTML-SCRIPT-URL", "@xlink:href", 1);
    rejected("<svg><image xlink:href=\"https://x/a.png\"/></svg>", "HTML-EXTERNAL-RESOURCE",
             "@xlink:href", 1);
    rejected("<svg><a><set attributeName=\"href\" to=\"javascript:alert(1)\"/><text>x</text>"
             "</a></svg>",
             "HTML-SCRIPT-URL", "set/@to", 1);
    rejected("<svg><a><animate attributeName=\"xlink:href\" values=\"#a;javascript:alert(1)\"/>"
             "<text>x</text></a></svg>",
             "HTML-SCRIPT-URL", "animate/@values", 1);
    approved("<svg><a><animate attributeName=\"href\" values=\"#a;#b\"/><text>x</text></a>"
             "<rect><animate attributeName=\"x\" values=\"0;10\"/></rect></svg>");
    rejected("<form action=\"javascript:x()\"></form>", "HTML-SCRIPT-URL", "@action", 1);
    rejected("<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>", "HTML-DATA-URL", "@href", 1);
    rejected("<img src=\"data:text/html,x\">", "HTML-DATA-URL", "@src", 1);
    approved("<a href=\"https://www.borger.dk/x?y=1\">x</a><a href=\"tel:+4512345678\">t</a>"
             "<a href=\"/relative\">r</a><a href=\"data:image/png;base64,AA\">i</a>");
}

static void test_external_resources(void **state)
{
    (void)state;
    rejected("<p>\n\n<img src=\"https://tracker.example/p.gif\"></p>", "HTML-EXTERNAL-RESOURCE",
             "img/@src", 3);
    rejected("<img src=\"//tracker.example/p.gif\">", "HTML-EXTERNAL-RESOURCE", "@src", 1);
    rejected("<img src=\"http://x/p.gif\">", "HTML-EXTERNAL-RESOURCE", "@src", 1);
    rejected("<img src=\"logo.png\">", "HTML-EXTERNAL-RESOURCE", "@src", 1);
    rejected("<img srcset=\"data:image/png;base64,AA 1x, https://x/b.png 2x\">",
             "HTML-EXTERNAL-RESOURCE", "@srcset", 1);
    rejected("<table background=\"https://x/bg.png\"><tr><td>x</td></tr></table>",
             "HTML-EXTERNAL-RESOURCE", "@background", 1);
    rejected("<div style=\"background-image: url('https://x/bg.png')\">x</div>",
             "HTML-EXTERNAL-RESOURCE", "@style", 1);
    rejected("<div style=\"background: u\\72l(//x/bg.png)\">x</div>", "HTML-EXTERNAL-RESOURCE",
             "@style", 1);
    rejected("<style>\nbody { background: url(\"http://x/a.png\") }</style><p>x</p>",
             "HTML-EXTERNAL-RESOURCE", "style", 1);
    rejected("<video poster=\"https://x/p.png\"></video>", "HTML-EXTERNAL-RESOURCE", "@poster", 1);
    rejected("<html><head><link rel=\"icon\" href=\"https://x/f.ico\"></head><body>x</body>"
             "</html>",
             "HTML-EXTERNAL-RESOURCE", "link/@href", 1);
    approved("<div style=\"color: red; background: url(data:image/png;base64,AA)\">x</div>");
}

static void test_malformed_lenient_and_strict(void **state)
{
    const char *html = "<p>one\n<b>bold <i>both</b> italic</i>\n<p>two</div>";
    struct kv_html_result r;
    const struct kv_html_finding *f;

    (void)state;
    approved(html); /* LENIENT: repaired as a browser repairs it, nothing active */
    run(html, NULL, KV_HTML_STRICT, &r);
    assert_false(r.approved);
    f = find_rule(&r, "HTML-MALFORMED");
    assert_non_null(f);
    assert_true(f->line >= 1);
    assert_int_equal(r.n, 1);
    kv_html_result_release(&r);
    /* HTML5 elements unknown to libxml2 are no malformation, even under STRICT */
    run("<html><body><main><section><p>x</p></section></main></body></html>", NULL, KV_HTML_STRICT,
        &r);
    assert_true(r.approved);
    kv_html_result_release(&r);
    /* Garbage that is not HTML at all is text: nothing active in it */
    approved("<<<>>> &&& </ > <! <? ?>");
}

static void test_deep_nesting_not_approved_unread(void **state)
{
    struct kv_buf b;
    struct kv_html_result r;
    struct kv_err err = {0};
    int i;

    (void)state;
    /* 100 levels: read to the end, the script at the bottom is found */
    kv_buf_init(&b, 4096);
    for (i = 0; i < 100; i++)
        kv_buf_append(&b, "<div>", 5);
    kv_buf_append(&b, "<script>x()</script>", 20);
    assert_int_equal(kv_html_check(b.buf, b.len, NULL, KV_HTML_LENIENT, &r, &err), 0);
    assert_non_null(find_rule(&r, "HTML-SCRIPT"));
    assert_null(find_rule(&r, "HTML-UNREADABLE"));
    kv_html_result_release(&r);
    kv_buf_release(&b);
    /* 100,000 levels: libxml2 stops reading; the body is rejected, not approved unread */
    kv_buf_init(&b, 600000);
    for (i = 0; i < 100000; i++)
        kv_buf_append(&b, "<div>", 5);
    kv_buf_append(&b, "<script>x()</script>", 20);
    assert_int_equal(kv_html_check(b.buf, b.len, NULL, KV_HTML_LENIENT, &r, &err), 0);
    assert_false(r.approved);
    assert_non_null(find_rule(&r, "HTML-UNREADABLE"));
    kv_html_result_release(&r);
    /* under STRICT the same: the stop is not also reported as a repair */
    assert_int_equal(kv_html_check(b.buf, b.len, NULL, KV_HTML_STRICT, &r, &err), 0);
    assert_non_null(find_rule(&r, "HTML-UNREADABLE"));
    assert_null(find_rule(&r, "HTML-MALFORMED"));
    kv_html_result_release(&r);
    kv_buf_release(&b);
}

/* The tree is bounded: KV_HTML_CHECK_MAX_NODES elements, attributes and comments are read,
 * one more stops the parser and the body is rejected, not approved unread. */
static void test_node_bound(void **state)
{
    struct kv_buf b;
    struct kv_html_result r;
    struct kv_err err = {0};
    int i;

    (void)state;
    kv_buf_init(&b, 4 * 1000 * 1000);
    kv_buf_append(&b, "<html><body>", 12); /* 2 nodes; each <p class=x> below is 2 */
    for (i = 0; i < (KV_HTML_CHECK_MAX_NODES - 2) / 2; i++)
        kv_buf_append(&b, "<p class=x>a</p>", 16);
    assert_int_equal(kv_html_check(b.buf, b.len, NULL, KV_HTML_LENIENT, &r, &err), 0);
    assert_true(r.approved);
    kv_html_result_release(&r);
    kv_buf_append(&b, "<!---->", 7);
    assert_int_equal(kv_html_check(b.buf, b.len, NULL, KV_HTML_LENIENT, &r, &err), 0);
    assert_false(r.approved);
    assert_non_null(find_rule(&r, "HTML-UNREADABLE"));
    assert_non_null(strstr(find_rule(&r, "HTML-UNREADABLE")->message, "200000 elements"));
    kv_html_result_release(&r);
    kv_buf_release(&b);
}

static void test_encoding(void **state)
{
    struct kv_html_result r;
    struct kv_err err = {0};
    static const char latin1[] = "<p>K\xe6re borger</p>\n<p>\xf8</p>";
    static const char nul[] = "<p>a\0b</p>";

    (void)state;
    rejected("<p>ok</p>\n<p>\xc3\x28</p>", "HTML-ENCODING", "", 2); /* bad continuation */
    rejected("<p>\xed\xa0\x80</p>", "HTML-ENCODING", "", 1);        /* a surrogate */
    rejected("<p>\xc0\xaf</p>", "HTML-ENCODING", "", 1);            /* overlong */
    rejected("<p>\xf4\x90\x80\x80</p>", "HTML-ENCODING", "", 1);    /* past U+10FFFF */
    rejected("<p>\xe2\x82</p>", "HTML-ENCODING", "", 1);            /* cut short */
    assert_int_equal(kv_html_check(latin1, sizeof(latin1) - 1, NULL, KV_HTML_LENIENT, &r, &err), 0);
    assert_false(r.approved);
    assert_int_equal(find_rule(&r, "HTML-ENCODING")->line, 1);
    kv_html_result_release(&r);
    assert_int_equal(kv_html_check(nul, sizeof(nul) - 1, NULL, KV_HTML_LENIENT, &r, &err), 0);
    assert_non_null(find_rule(&r, "HTML-ENCODING"));
    kv_html_result_release(&r);
    /* a declared encoding other than UTF-8: in <meta>, or as the body's charset */
    rejected("<html><head><meta charset=\"iso-8859-1\"></head><body>x</body></html>",
             "HTML-ENCODING", "meta/@charset", 1);
    rejected("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
             "charset=windows-1252\"></head><body>x</body></html>",
             "HTML-ENCODING", "@content", 1);
    run("<p>x</p>", "ISO-8859-1", KV_HTML_LENIENT, &r);
    assert_non_null(find_rule(&r, "HTML-ENCODING"));
    kv_html_result_release(&r);
    run("<p>K\xc3\xa6re \xf0\x9f\x93\xac</p>", "\"UTF-8\"", KV_HTML_LENIENT, &r);
    assert_true(r.approved);
    kv_html_result_release(&r);
    /* a UTF-8 byte-order mark is fine */
    approved("\xef\xbb\xbf<p>x</p>");
}

static void test_bounds_and_cap(void **state)
{
    struct kv_html_result r;
    struct kv_err err = {0};
    struct kv_buf b;
    char *big;
    int i;

    (void)state;
    assert_int_equal(kv_html_check("", 0, NULL, KV_HTML_LENIENT, &r, &err), KV_EINVAL);
    assert_int_equal(r.n, 0);
    big = calloc(1, KV_HTML_CHECK_MAX_BYTES + 1);
    assert_non_null(big);
    memset(big, 'a', KV_HTML_CHECK_MAX_BYTES + 1);
    assert_int_equal(
        kv_html_check(big, KV_HTML_CHECK_MAX_BYTES + 1, NULL, KV_HTML_LENIENT, &r, &err),
        KV_ETOOBIG);
    /* exactly the bound is read, also as one text node (libxml2's largest without
     * XML_PARSE_HUGE) */
    assert_int_equal(kv_html_check(big, KV_HTML_CHECK_MAX_BYTES, NULL, KV_HTML_LENIENT, &r, &err),
                     0);
    if (!r.approved)
        print_message("%s: %s\n", r.items[0].rule, r.items[0].message);
    assert_true(r.approved);
    kv_html_result_release(&r);
    free(big);
    /* 300 findings: 100 kept, 300 counted */
    kv_buf_init(&b, 8192);
    for (i = 0; i < 300; i++)
        kv_buf_append(&b, "<p onclick=\"x\">a</p>\n", 21);
    assert_int_equal(kv_html_check(b.buf, b.len, NULL, KV_HTML_LENIENT, &r, &err), 0);
    assert_int_equal(r.n, KV_HTML_CHECK_MAX_FINDINGS);
    assert_int_equal(r.total, 300);
    assert_int_equal(count_rule(&r, "HTML-EVENT-HANDLER"), KV_HTML_CHECK_MAX_FINDINGS);
    assert_int_equal(r.items[99].line, 100);
    kv_html_result_release(&r);
    kv_html_result_release(&r); /* idempotent */
    kv_buf_release(&b);
}

static void test_long_value_cut_at_character(void **state)
{
    struct kv_buf b;
    struct kv_html_result r;
    struct kv_err err = {0};
    const struct kv_html_finding *f;
    int i;

    (void)state;
    kv_buf_init(&b, 2048);
    kv_buf_append(&b, "<p onclick=\"", 12);
    for (i = 0; i < 300; i++)
        kv_buf_append(&b, "\xc3\xa6", 2); /* æ: two bytes */
    kv_buf_append(&b, "\">x</p>", 7);
    assert_int_equal(kv_html_check(b.buf, b.len, NULL, KV_HTML_LENIENT, &r, &err), 0);
    f = find_rule(&r, "HTML-EVENT-HANDLER");
    assert_non_null(f);
    assert_true(strlen(f->value) <= KV_HTML_CHECK_MAX_VALUE);
    assert_int_equal(strlen(f->value) % 2, 0);
    kv_html_result_release(&r);
    kv_buf_release(&b);
}

/* 1 when s is well-formed UTF-8. */
static int is_utf8(const char *s)
{
    size_t i, n;

    for (i = 0; s[i]; i += n) {
        n = kv_str_utf8_char(s + i);
        if (n == 0)
            return 0;
    }
    return 1;
}

/* Every finding's message and value is UTF-8, so the answer's JSON can carry it: a message
 * cut to its bound inside a quoted value's character, and a charset declared with bytes that
 * are not UTF-8, once left the fieldError without its message (jansson refuses the string). */
static void test_messages_are_utf8(void **state)
{
    struct kv_buf b;
    struct kv_html_result r;
    struct kv_err err = {0};
    size_t i;
    int k, j;

    (void)state;
    for (k = 0; k < 2; k++) { /* k leading ASCII bytes: the cut falls inside a character once */
        kv_buf_init(&b, 4096);
        kv_buf_puts(&b, "<html><head><meta charset=\"");
        for (j = 0; j < k; j++)
            kv_buf_puts(&b, "x");
        for (j = 0; j < 400; j++)
            kv_buf_append(&b, "\xc3\xa6", 2);
        kv_buf_puts(&b, "\"></head><body><p>x</p></body></html>");
        assert_int_equal(kv_html_check(b.buf, b.len, NULL, KV_HTML_LENIENT, &r, &err), 0);
        assert_non_null(find_rule(&r, "HTML-ENCODING"));
        for (i = 0; i < r.n; i++) {
            assert_true(is_utf8(r.items[i].message));
            assert_true(!r.items[i].value || is_utf8(r.items[i].value));
        }
        kv_html_result_release(&r);
        kv_buf_release(&b);
    }
    /* a declared charset that is not UTF-8 text (a header's bytes) */
    assert_int_equal(kv_html_check("<p>x</p>", 8, "latin\xe6\xff", KV_HTML_LENIENT, &r, &err), 0);
    assert_non_null(find_rule(&r, "HTML-ENCODING"));
    for (i = 0; i < r.n; i++) {
        assert_true(is_utf8(r.items[i].message));
        assert_true(!r.items[i].value || is_utf8(r.items[i].value));
    }
    kv_html_result_release(&r);
}

static void test_policy_parse(void **state)
{
    enum kv_html_policy p = KV_HTML_LENIENT;

    (void)state;
    assert_int_equal(kv_html_policy_parse("strict", &p), 0);
    assert_int_equal(p, KV_HTML_STRICT);
    assert_int_equal(kv_html_policy_parse("LENIENT", &p), 0);
    assert_int_equal(p, KV_HTML_LENIENT);
    assert_int_equal(kv_html_policy_parse("loose", &p), KV_EINVAL);
    assert_int_equal(kv_html_policy_parse(NULL, &p), KV_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_letter_approved),
        cmocka_unit_test(test_script),
        cmocka_unit_test(test_embedded),
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_meta_refresh_and_base),
        cmocka_unit_test(test_stylesheet),
        cmocka_unit_test(test_event_handlers),
        cmocka_unit_test(test_script_urls),
        cmocka_unit_test(test_external_resources),
        cmocka_unit_test(test_malformed_lenient_and_strict),
        cmocka_unit_test(test_deep_nesting_not_approved_unread),
        cmocka_unit_test(test_node_bound),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_bounds_and_cap),
        cmocka_unit_test(test_long_value_cut_at_character),
        cmocka_unit_test(test_messages_are_utf8),
        cmocka_unit_test(test_policy_parse),
    };

    if (kv_memo_global_init(NULL) != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

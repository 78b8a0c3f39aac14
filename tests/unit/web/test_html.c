/* SPDX-License-Identifier: MIT
 *
 * test_html.c: the one escaping path of the web pages (text, attribute, URL, URL component,
 * catalog text), the template builder's placeholders, invalid UTF-8 and control characters,
 * the message catalogs (Danish default, English, fallback to the msgid), form-body decoding
 * and base64url.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"
#include "util/crypto.h"
#include "util/err.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/web.h"

static char *render_text(const char *in)
{
    static char out[1024];
    struct kv_buf b;

    kv_buf_init(&b, 4096);
    kv_html_esc_text(&b, in);
    snprintf(out, sizeof(out), "%s", b.buf);
    kv_buf_release(&b);
    return out;
}

static char *render_url(const char *in)
{
    static char out[1024];
    struct kv_buf b;

    kv_buf_init(&b, 4096);
    kv_html_esc_url(&b, in);
    snprintf(out, sizeof(out), "%s", b.buf);
    kv_buf_release(&b);
    return out;
}

static void test_text_escaping(void **state)
{
    (void)state;
    assert_string_equal(render_text("<script>alert('x')</script>"),
                        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    assert_string_equal(render_text("a & b \"q\""), "a &amp; b &quot;q&quot;");
    assert_string_equal(render_text("Ærø Å"), "Ærø Å");          /* UTF-8 kept */
    assert_string_equal(render_text("a\x01" "b\x7f" "c\td\n"), "abc\td\n"); /* controls dropped */
    assert_string_equal(render_text("x\xff" "y"), "x\xef\xbf\xbd" "y");   /* invalid -> U+FFFD */
    assert_string_equal(render_text("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong */
    assert_string_equal(render_text("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(render_text(NULL), "");
}

static void test_url_escaping(void **state)
{
    (void)state;
    assert_string_equal(render_url("/post/?a=1&b=2"), "/post/?a=1&amp;b=2");
    assert_string_equal(render_url("https://example.dk/x"), "https://example.dk/x");
    assert_string_equal(render_url("javascript:alert(1)"), "#");
    assert_string_equal(render_url("JaVaScRiPt:alert(1)"), "#");
    assert_string_equal(render_url("data:text/html,<b>"), "#");
    assert_string_equal(render_url("//evil.example/"), "#");
    assert_string_equal(render_url("/\\evil.example/"), "#");
    assert_string_equal(render_url("/a b"), "#");
    assert_string_equal(render_url("/\"onmouseover=x"), "/&quot;onmouseover=x");
    assert_string_equal(render_url(NULL), "#");
}

/* The redirect rule (kv_web_redirect, the sign-in's next): browsers drop tab, CR and LF
 * anywhere in a URL, so "/<TAB>/evil.example" is "//evil.example" to them. */
static void test_same_site_path(void **state)
{
    (void)state;
    assert_true(kv_html_same_site_path("/"));
    assert_true(kv_html_same_site_path("/post/?mappe=inbox&x=%2F%2Fy"));
    assert_false(kv_html_same_site_path(NULL));
    assert_false(kv_html_same_site_path(""));
    assert_false(kv_html_same_site_path("post/"));
    assert_false(kv_html_same_site_path("//evil.example/"));
    assert_false(kv_html_same_site_path("/\\evil.example/"));
    assert_false(kv_html_same_site_path("/\t/evil.example/"));
    assert_false(kv_html_same_site_path("/\t\\evil.example/"));
    assert_false(kv_html_same_site_path("/\n/evil.example/"));
    assert_false(kv_html_same_site_path("/\r\nSet-Cookie: a=b"));
    assert_false(kv_html_same_site_path("/a b"));
    assert_false(kv_html_same_site_path("/a\x7f"));
    assert_false(kv_html_same_site_path("https://evil.example/"));
    assert_string_equal(render_url("/\t/evil.example/"), "#");
}

static void test_builder_placeholders(void **state)
{
    struct kv_html h;

    (void)state;
    assert_int_equal(kv_i18n_init(NULL), 0);
    kv_html_init(&h, kv_i18n_find("da"));
    kv_html(&h, "<a href=\"%u?next=%q\" title=\"%a\">%t %m %d %D 100%%</a>", "/login",
            "/post/?x=1&y=<2>", "\"><img>", "<b>", "Sign in", 42, (int64_t)-7);
    assert_false(h.failed);
    assert_string_equal(h.b.buf,
                        "<a href=\"/login?next=%2Fpost%2F%3Fx%3D1%26y%3D%3C2%3E\" "
                        "title=\"&quot;&gt;&lt;img&gt;\">&lt;b&gt; Log ind 42 -7 100%</a>");
    kv_html_release(&h);
    kv_html_init(&h, NULL);
    kv_html(&h, "%z", "x"); /* unknown placeholder: marks the page failed */
    assert_true(h.failed);
    kv_html_release(&h);
}

static void test_catalogs(void **state)
{
    const struct kv_i18n_lang *da, *en;

    (void)state;
    assert_int_equal(kv_i18n_init(NULL), 0);
    da = kv_i18n_find("da");
    en = kv_i18n_find("en");
    assert_non_null(da);
    assert_non_null(en);
    assert_ptr_equal(kv_i18n_default(), da);
    assert_null(kv_i18n_find("de"));
    assert_null(kv_i18n_find(NULL));
    assert_string_equal(kv_i18n_get(da, "Sign out"), "Log ud");
    assert_string_equal(kv_i18n_get(en, "Sign out"), "Sign out");
    assert_string_equal(kv_i18n_get(da, "Page not found"), "Siden findes ikke");
    assert_string_equal(kv_i18n_get(da, "no such id in any catalog"), "no such id in any catalog");
    assert_string_equal(kv_i18n_code(en), "en");
}

static void test_form_decoding(void **state)
{
    const char *body = "subject=a%40b.dk&csrf=abc+def&next=%2Fpost%2F&bad=%zz&nul=%00&e=";
    char out[32];

    (void)state;
    assert_int_equal(kv_web_form_get(body, strlen(body), "subject", out, sizeof(out)), 0);
    assert_string_equal(out, "a@b.dk");
    assert_int_equal(kv_web_form_get(body, strlen(body), "csrf", out, sizeof(out)), 0);
    assert_string_equal(out, "abc def");
    assert_int_equal(kv_web_form_get(body, strlen(body), "next", out, sizeof(out)), 0);
    assert_string_equal(out, "/post/");
    assert_int_equal(kv_web_form_get(body, strlen(body), "bad", out, sizeof(out)), KV_EINVAL);
    assert_int_equal(kv_web_form_get(body, strlen(body), "nul", out, sizeof(out)), KV_EINVAL);
    assert_int_equal(kv_web_form_get(body, strlen(body), "e", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(kv_web_form_get(body, strlen(body), "missing", out, sizeof(out)),
                     KV_ENOTFOUND);
    assert_int_equal(kv_web_form_get(body, strlen(body), "subject", out, 4), KV_ETOOBIG);
    assert_int_equal(kv_web_form_get("x=%4", 4, "x", out, sizeof(out)), KV_EINVAL);
    /* bounded by len, not by the NUL */
    assert_int_equal(kv_web_form_get("a=12345", 4, "a", out, sizeof(out)), 0);
    assert_string_equal(out, "12");
}

static void test_base64url(void **state)
{
    char out[64];
    unsigned char bytes[32];

    (void)state;
    assert_int_equal(kv_b64url_encode("\xfb\xff", 2, out), 3);
    assert_string_equal(out, "-_8");
    assert_int_equal(kv_b64url_encode("abc", 3, out), 4);
    assert_string_equal(out, "YWJj");
    memset(bytes, 0xff, sizeof(bytes));
    assert_int_equal(kv_b64url_encode(bytes, 32, out), 43);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_escaping),    cmocka_unit_test(test_url_escaping),
        cmocka_unit_test(test_same_site_path),
        cmocka_unit_test(test_builder_placeholders), cmocka_unit_test(test_catalogs),
        cmocka_unit_test(test_form_decoding),    cmocka_unit_test(test_base64url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

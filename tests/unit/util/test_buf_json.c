/* SPDX-License-Identifier: MIT
 *
 * test_buf_json.c: kv_buf_json_str writes what jansson's encoder writes for the same string
 * (every byte 0x01-0x7f alone and in text, UTF-8, empty, NULL as null), and stops at the
 * buffer's bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/err.h"

/* jansson's text for s (a JSON string value), owned. */
static char *jansson_text(const char *s)
{
    json_t *v = s ? json_string(s) : json_null();
    char *t;

    assert_non_null(v);
    t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(v);
    assert_non_null(t);
    return t;
}

static void same_as_jansson(const char *s)
{
    struct kv_buf b;
    char *want = jansson_text(s);

    kv_buf_init(&b, 1 << 16);
    assert_int_equal(kv_buf_json_str(&b, s), 0);
    assert_string_equal(b.buf, want);
    assert_int_equal(b.len, strlen(want));
    kv_buf_release(&b);
    free(want);
}

static void test_every_ascii_byte(void **state)
{
    char s[8];
    int c;

    (void)state;
    for (c = 1; c < 0x80; c++) {
        s[0] = (char)c;
        s[1] = '\0';
        same_as_jansson(s);
        s[0] = 'a';
        s[1] = (char)c;
        s[2] = 'b';
        s[3] = (char)c;
        s[4] = '\0';
        same_as_jansson(s);
    }
}

static void test_texts(void **state)
{
    (void)state;
    same_as_jansson("");
    same_as_jansson(NULL);
    same_as_jansson("8c2ea15d-61fb-4ba9-9366-42f8b194c114");
    same_as_jansson("Bl\xc3\xa5" "b\xc3\xa6rgr\xc3\xb8" "d \xe2\x82\xac \xf0\x9f\x93\xa8");
    same_as_jansson("quote \" back \\ slash / tab \t nl \n cr \r ff \f bs \b nul-ish \x01\x1f");
    same_as_jansson("\"\"\\\\");
}

static void test_bound(void **state)
{
    struct kv_buf b;

    (void)state;
    kv_buf_init(&b, 8);
    assert_int_equal(kv_buf_json_str(&b, "abcdefghij"), KV_ETOOBIG);
    kv_buf_release(&b);
    kv_buf_init(&b, 8);
    assert_int_equal(kv_buf_json_str(&b, "abcdef"), 0); /* 6 + 2 quotes: exactly fits */
    assert_string_equal(b.buf, "\"abcdef\"");
    kv_buf_release(&b);
}

/* kv_buf_put_lit appends exactly the literal (its bytes, not the terminating NUL), and keeps the
 * buffer's bound as kv_buf_append does. */
static void test_put_lit(void **state)
{
    struct kv_buf b;

    (void)state;
    kv_buf_init(&b, 8);
    assert_int_equal(kv_buf_put_lit(&b, "{\"a\":"), 0);
    assert_int_equal(kv_buf_put_lit(&b, ""), 0);
    assert_int_equal(kv_buf_put_lit(&b, "1}"), 0);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.buf, "{\"a\":1}", 7);
    assert_int_equal(kv_buf_put_lit(&b, "xy"), KV_ETOOBIG); /* 9 > 8 */
    assert_int_equal(b.len, 7);
    kv_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_ascii_byte),
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_put_lit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

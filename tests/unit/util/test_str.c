/* SPDX-License-Identifier: MIT
 *
 * test_str.c: the bounded string copy: fits, cut at the field size, NULL as "", a field of
 * one byte, and a copy onto itself; the UTF-8 character reader and the copy for JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/str.h"

static void test_copy(void **state)
{
    char f[8];

    (void)state;
    memset(f, 'x', sizeof(f));
    assert_int_equal(kv_str_copy(f, sizeof(f), "abc"), 0);
    assert_string_equal(f, "abc");
    assert_int_equal(kv_str_copy(f, sizeof(f), "1234567"), 0); /* exactly fits */
    assert_string_equal(f, "1234567");
    assert_int_equal(kv_str_copy(f, sizeof(f), "12345678"), -1); /* one too many: cut */
    assert_string_equal(f, "1234567");
    assert_int_equal(kv_str_copy(f, sizeof(f), "a much longer text"), -1);
    assert_string_equal(f, "a much ");
    assert_int_equal(kv_str_copy(f, sizeof(f), NULL), 0);
    assert_string_equal(f, "");
    assert_int_equal(kv_str_copy(f, 1, "abc"), -1);
    assert_string_equal(f, "");
    assert_int_equal(kv_str_copy(f, 1, ""), 0);
}

static void test_overlap(void **state)
{
    char f[16] = "hello world";

    (void)state;
    assert_int_equal(kv_str_copy(f, sizeof(f), f), 0);
    assert_string_equal(f, "hello world");
    assert_int_equal(kv_str_copy(f, sizeof(f), f + 6), 0);
    assert_string_equal(f, "world");
}

static void test_utf8(void **state)
{
    static const struct {
        const char *s;
        size_t n;
    } chars[] = {
        {"a", 1},         {"\xc3\xa6", 2},       {"\xe2\x82\xac", 3}, {"\xf0\x9d\x84\x9e", 4},
        {"\x80", 0},      {"\xc0\xaf", 0},       {"\xc1\xbf", 0},     {"\xe0\x80\xaf", 0},
        {"\xed\xa0\x80", 0}, {"\xf4\x90\x80\x80", 0}, {"\xf5\x80\x80\x80", 0}, {"\xc3", 0},
        {"\xe2\x82", 0},  {"\xff", 0},
    };
    size_t i;
    char *c;

    (void)state;
    for (i = 0; i < sizeof(chars) / sizeof(chars[0]); i++)
        assert_int_equal(kv_str_utf8_char(chars[i].s), chars[i].n);
    c = kv_str_utf8_or_ascii("memos/brev-\xc3\xa6 \xe2\x82\xac.xml");
    assert_string_equal(c, "memos/brev-\xc3\xa6 \xe2\x82\xac.xml"); /* UTF-8: as it is */
    free(c);
    c = kv_str_utf8_or_ascii("brev-\xe6 \xc3\xa6.xml"); /* Latin-1 byte: every non-ASCII */
    assert_string_equal(c, "brev-? ??.xml");
    free(c);
    c = kv_str_utf8_or_ascii("");
    assert_string_equal(c, "");
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_str.c: the bounded string copy: fits, cut at the field size, NULL as "", a field of
 * one byte, and a copy onto itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_overlap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

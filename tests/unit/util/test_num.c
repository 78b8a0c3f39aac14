/* SPDX-License-Identifier: MIT
 *
 * test_num.c: the decimal writers of util/num.c against printf's text: kv_num_put_u64 and
 * kv_num_i64 at 0, one-, two- and three-digit edges, every power of ten and its neighbours,
 * the 64-bit extremes (INT64_MIN, INT64_MAX, UINT64_MAX) and negatives; that they write no
 * byte beyond the number (and kv_num_i64 exactly one NUL); kv_num_put_fixed at widths 0 to 20
 * (zero-padded, the last width digits of a longer number); and kv_parse_int64 reading back
 * what kv_num_i64 wrote.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/err.h"
#include "util/num.h"

#define GUARD 'Z' /* the bytes around a write, which must stay */

/* kv_num_put_u64(x) writes what "%" PRIu64 prints, and nothing beyond it. */
static void expect_u64(uint64_t x)
{
    char want[32], buf[KV_NUM_DEC_MAX + 8], *end;
    size_t n = (size_t)snprintf(want, sizeof(want), "%" PRIu64, x), i;

    memset(buf, GUARD, sizeof(buf));
    end = kv_num_put_u64(buf + 1, x);
    if ((size_t)(end - (buf + 1)) != n || memcmp(buf + 1, want, n) != 0)
        fail_msg("kv_num_put_u64(%s): got %.*s", want, (int)(end - (buf + 1)), buf + 1);
    assert_int_equal(buf[0], GUARD);
    for (i = n + 1; i < sizeof(buf); i++)
        assert_int_equal(buf[i], GUARD);
}

/* kv_num_i64(v) writes what "%" PRId64 prints, one NUL, and nothing beyond; returns its
 * length. */
static void expect_i64(int64_t v)
{
    char want[32], buf[KV_NUM_DEC_MAX + 8];
    size_t n = (size_t)snprintf(want, sizeof(want), "%" PRId64, v), got, i;

    memset(buf, GUARD, sizeof(buf));
    got = kv_num_i64(buf, v);
    if (got != n || strcmp(buf, want) != 0)
        fail_msg("kv_num_i64(%s): got %s (length %zu)", want, buf, got);
    assert_true(n + 1 <= KV_NUM_DEC_MAX);
    for (i = n + 1; i < sizeof(buf); i++)
        assert_int_equal(buf[i], GUARD);
}

static void test_u64_edges(void **state)
{
    static const uint64_t edges[] = {0, 1, 9, 10, 11, 42, 99, 100, 101, 255, 999, 1000, 1001,
                                     65535, 4294967295u, 4294967296u, INT64_MAX,
                                     (uint64_t)INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX};
    uint64_t p = 1;
    size_t i;
    int k;

    (void)state;
    for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        expect_u64(edges[i]);
    /* every power of ten that fits, and its neighbours: each changes the number of digits */
    for (k = 0; k < 20; k++) {
        expect_u64(p - 1);
        expect_u64(p);
        expect_u64(p + 1);
        if (k < 19)
            p *= 10;
    }
    for (i = 0; i < 1000; i++) /* every value below 1000: each table entry, in every place */
        expect_u64(i);
}

static void test_i64_edges(void **state)
{
    static const int64_t edges[] = {0,         1,         -1,        9,         -9,
                                    10,        -10,       99,        -99,       100,
                                    -100,      INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
                                    INT64_MAX - 1,        INT64_MIN + 1,
                                    1700000000123,        -1700000000123};
    int64_t p = 1;
    size_t i;
    int k;
    char out[KV_NUM_DEC_MAX];

    (void)state;
    for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        expect_i64(edges[i]);
    for (k = 0; k < 19; k++) {
        expect_i64(p - 1);
        expect_i64(p);
        expect_i64(-p);
        expect_i64(-(p - 1));
        if (k < 18)
            p *= 10;
    }
    /* the longest texts fill KV_NUM_DEC_MAX exactly */
    assert_int_equal(kv_num_i64(out, INT64_MIN), KV_NUM_DEC_MAX - 1);
    assert_string_equal(out, "-9223372036854775808");
    assert_int_equal(kv_num_i64(out, INT64_MAX), 19);
    assert_string_equal(out, "9223372036854775807");
}

/* kv_num_put_fixed(x, width) writes "%0*" PRIu64 of x mod 10^width and nothing beyond. */
static void expect_fixed(uint64_t x, size_t width, const char *want)
{
    char buf[40], *end;
    size_t i;

    memset(buf, GUARD, sizeof(buf));
    end = kv_num_put_fixed(buf + 1, x, width);
    assert_ptr_equal(end, buf + 1 + width);
    if (memcmp(buf + 1, want, width) != 0 || strlen(want) != width)
        fail_msg("kv_num_put_fixed(%" PRIu64 ", %zu): got %.*s, want %s", x, width, (int)width,
                 buf + 1, want);
    assert_int_equal(buf[0], GUARD);
    for (i = width + 1; i < sizeof(buf); i++)
        assert_int_equal(buf[i], GUARD);
}

static void test_fixed_widths(void **state)
{
    static const uint64_t values[] = {0, 1, 7, 10, 59, 99, 100, 999, 1000, 1970, 9999, 12345,
                                      86399999, INT64_MAX, UINT64_MAX};
    size_t i, w;

    (void)state;
    /* the UTC timestamp's fields, as kv_clock_format_utc writes them */
    expect_fixed(0, 4, "0000");
    expect_fixed(1970, 4, "1970");
    expect_fixed(9999, 4, "9999");
    expect_fixed(7, 2, "07");
    expect_fixed(59, 2, "59");
    expect_fixed(5, 3, "005");
    expect_fixed(999, 3, "999");
    expect_fixed(3, 1, "3");
    expect_fixed(12345, 0, "");
    /* more digits than the width: the last width digits */
    expect_fixed(12345, 3, "345");
    expect_fixed(100, 2, "00");
    expect_fixed(UINT64_MAX, 20, "18446744073709551615");
    expect_fixed(0, 20, "00000000000000000000");
    /* every width against printf */
    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        for (w = 0; w <= 20; w++) {
            char full[32];
            uint64_t m = 1;
            size_t k;

            for (k = 0; k < w && k < 19; k++)
                m *= 10;
            /* x mod 10^w; 10^20 does not fit: every uint64_t is below it */
            snprintf(full, sizeof(full), "%0*" PRIu64, (int)w,
                     w >= 20 ? values[i] : values[i] % m);
            if (w == 0)
                full[0] = '\0';
            expect_fixed(values[i], w, full);
        }
    }
}

/* What kv_num_i64 writes, kv_parse_int64 reads back, INT64_MIN included (until session 12
 * the parser gathered the magnitude in an int64_t and refused it); one past either end, a
 * 20-digit number, a lone '-', '+1', ' 1' and bounds narrower than the value are refused. */
static void test_round_trip(void **state)
{
    static const int64_t values[] = {0, -1, 1, 42, -42, INT64_MAX, INT64_MIN + 1, INT64_MIN};
    static const char *const bad[] = {"9223372036854775808", "-9223372036854775809",
                                      "10000000000000000000", "-", "+1", " 1", "1 ", "", "--1",
                                      "-0x1"};
    char text[KV_NUM_DEC_MAX];
    int64_t back;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        kv_num_i64(text, values[i]);
        back = values[i] == 0 ? 1 : 0;
        assert_int_equal(kv_parse_int64(text, INT64_MIN, INT64_MAX, &back), 0);
        assert_true(back == values[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(kv_parse_int64(bad[i], INT64_MIN, INT64_MAX, &back), KV_EINVAL);
    assert_int_equal(kv_parse_int64("-9223372036854775808", INT64_MIN + 1, INT64_MAX, &back),
                     KV_EINVAL);
    assert_int_equal(kv_parse_int64("5", 0, 4, &back), KV_EINVAL);
    assert_int_equal(kv_parse_int64("-5", -4, 4, &back), KV_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_edges),
        cmocka_unit_test(test_i64_edges),
        cmocka_unit_test(test_fixed_widths),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

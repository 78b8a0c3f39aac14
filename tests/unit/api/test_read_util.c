/* SPDX-License-Identifier: MIT
 *
 * test_read_util.c: unit tests of the read-side parameter parsers (src/api/read_util.c):
 * strict decimal integers with bounds, and ISO-8601 times and dates (UTC "Z", numeric
 * offsets, fractional seconds, bare dates as 00:00 Europe/Copenhagen, and a bare upper bound
 * meaning the end of that day), including what must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/read_util.h"
#include "util/err.h"

static void test_parse_int(void **state)
{
    int64_t v = -7;

    (void)state;
    assert_int_equal(kv__read_parse_int("0", 0, 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(kv__read_parse_int("1000", 1, 1000, &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(kv__read_parse_int("-5", -10, 10, &v), 0);
    assert_int_equal(v, -5);
    assert_int_equal(kv__read_parse_int("9223372036854775807", 0, INT64_MAX, &v), 0);
    assert_true(v == INT64_MAX);
    v = 42;
    assert_int_equal(kv__read_parse_int("1001", 1, 1000, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int("0", 1, 1000, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int("9223372036854775808", 0, INT64_MAX, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int("99999999999999999999999", 0, INT64_MAX, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int("", 0, 10, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int("-", -10, 10, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int("1x", 0, 10, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int(" 1", 0, 10, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int("+1", 0, 10, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int("2.5", 0, 10, &v), KV_EINVAL);
    assert_int_equal(kv__read_parse_int(NULL, 0, 10, &v), KV_EINVAL);
    assert_int_equal(v, 42); /* untouched on failure */
}

static void test_parse_time_utc(void **state)
{
    int64_t ms = 0;

    (void)state;
    assert_int_equal(kv__read_parse_time("1970-01-01T00:00:00Z", 0, &ms), 0);
    assert_true(ms == 0);
    assert_int_equal(kv__read_parse_time("2025-05-01T10:00:00Z", 0, &ms), 0);
    assert_true(ms == 1746093600000LL);
    assert_int_equal(kv__read_parse_time("2025-05-01T10:00:00.250Z", 0, &ms), 0);
    assert_true(ms == 1746093600250LL);
    assert_int_equal(kv__read_parse_time("2025-05-01T10:00:00.2Z", 0, &ms), 0);
    assert_true(ms == 1746093600200LL);
    assert_int_equal(kv__read_parse_time("2025-05-01T10:00Z", 0, &ms), 0);
    assert_true(ms == 1746093600000LL);
    assert_int_equal(kv__read_parse_time("2025-05-01T12:00:00+02:00", 0, &ms), 0);
    assert_true(ms == 1746093600000LL);
    assert_int_equal(kv__read_parse_time("2025-05-01T05:30:00-04:30", 0, &ms), 0);
    assert_true(ms == 1746093600000LL);
    assert_int_equal(kv__read_parse_time("2024-02-29T00:00:00Z", 0, &ms), 0);
    /* a '+' left unencoded in a query string arrives as a space */
    assert_int_equal(kv__read_parse_time("2025-05-01T12:00:00 02:00", 0, &ms), 0);
    assert_true(ms == 1746093600000LL);
}

static void test_parse_date(void **state)
{
    int64_t ms = 0;

    (void)state;
    /* summer: 00:00 CEST = 22:00 UTC the day before */
    assert_int_equal(kv__read_parse_time("2025-05-01", 0, &ms), 0);
    assert_true(ms == 1746050400000LL);
    /* as an upper bound: the end of that day = 00:00 of 2 May */
    assert_int_equal(kv__read_parse_time("2025-05-01", 1, &ms), 0);
    assert_true(ms == 1746050400000LL + 86400000LL);
    /* winter: 00:00 CET = 23:00 UTC the day before; month and year roll over */
    assert_int_equal(kv__read_parse_time("2024-12-31", 1, &ms), 0);
    assert_true(ms == 1735686000000LL);
    assert_int_equal(kv__read_parse_time("2024-02-28", 1, &ms), 0);
    assert_int_equal(kv__read_parse_time("2024-02-29", 0, &ms), 0);
}

/* A time without a zone is Europe/Copenhagen wall-clock time, what .NET clients send. */
static void test_parse_time_local(void **state)
{
    int64_t ms = 0;

    (void)state;
    /* summer (CEST, UTC+2) and winter (CET, UTC+1) */
    assert_int_equal(kv__read_parse_time("2025-05-01T12:00:00", 0, &ms), 0);
    assert_true(ms == 1746093600000LL);
    assert_int_equal(kv__read_parse_time("2026-01-01T00:00:00", 0, &ms), 0);
    assert_true(ms == 1767222000000LL);
    assert_int_equal(kv__read_parse_time("2026-01-01T00:00", 1, &ms), 0); /* no day rounding */
    assert_true(ms == 1767222000000LL);
    assert_int_equal(kv__read_parse_time("2025-05-01T12:00:00.5", 0, &ms), 0);
    assert_true(ms == 1746093600500LL);
    /* spring switch day 2025-03-30: 01:30 CET, 03:30 CEST; the skipped 02:30 reads as CET */
    assert_int_equal(kv__read_parse_time("2025-03-30T01:30:00", 0, &ms), 0);
    assert_true(ms == 1743294600000LL);
    assert_int_equal(kv__read_parse_time("2025-03-30T03:30:00", 0, &ms), 0);
    assert_true(ms == 1743298200000LL);
    assert_int_equal(kv__read_parse_time("2025-03-30T02:30:00", 0, &ms), 0);
    assert_true(ms == 1743298200000LL);
    /* autumn switch day 2025-10-26: 01:30 CEST; the repeated 02:30 is the later (CET) one */
    assert_int_equal(kv__read_parse_time("2025-10-26T01:30:00", 0, &ms), 0);
    assert_true(ms == 1761435000000LL);
    assert_int_equal(kv__read_parse_time("2025-10-26T02:30:00", 0, &ms), 0);
    assert_true(ms == 1761442200000LL);
    assert_int_equal(kv__read_parse_time("2025-10-26T03:00:00", 0, &ms), 0);
    assert_true(ms == 1761444000000LL);
    /* the last day of a month and of a year */
    assert_int_equal(kv__read_parse_time("2024-12-31T23:59:59", 0, &ms), 0);
    assert_true(ms == 1735685999000LL);
}

static void test_parse_time_refused(void **state)
{
    static const char *const bad[] = {
        "",           "yesterday",           "2025-5-01",           "2025-13-01",
        "2025-00-10", "2025-02-29",          "2025-04-31",          "1969-12-31",
        "2025-05-01T10:00:00+", "2025-05-01T10:00:00 ", "2025-05-01T24:00:00Z",
        "2025-05-01T10:60:00Z",
        "2025-05-01T10:00:61Z", "2025-05-01T10:00:00.Z", "2025-05-01T10:00:00Zjunk",
        "2025-05-01 10:00:00Z", "2025-05-01T10:00:00+0200", "2025-05-01T10:00:00+25:00",
        "2025-05-01x",
    };
    size_t i;
    int64_t ms = 0;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (kv__read_parse_time(bad[i], 0, &ms) != KV_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(kv__read_parse_time(NULL, 0, &ms), KV_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_time_local),
        cmocka_unit_test(test_parse_time_utc),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_parse_time_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

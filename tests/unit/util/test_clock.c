/* SPDX-License-Identifier: MIT
 *
 * test_clock.c: Copenhagen midnight in winter (23:00Z the day before) and summer (22:00Z),
 * on and around the DST change days (last Sundays of March and October), leap days; UTC
 * formatting; duration parsing; the test-clock offset; the UTC xs:dateTime parser (accepted
 * forms, round trips, and offsets, missing zones and impossible dates refused). No wall-clock
 * times are asserted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util/clock.h"
#include "util/err.h"

static void expect_midnight(int y, int m, int d, const char *utc)
{
    char out[32];

    kv_clock_format_utc(kv_clock_copenhagen_midnight_ms(y, m, d), out, sizeof(out));
    if (strcmp(out, utc) != 0)
        fail_msg("%04d-%02d-%02d: got %s, want %s", y, m, d, out, utc);
}

static void test_copenhagen_midnight(void **state)
{
    (void)state;
    expect_midnight(2024, 1, 15, "2024-01-14T23:00:00.000Z");  /* winter: CET */
    expect_midnight(2024, 7, 1, "2024-06-30T22:00:00.000Z");   /* summer: CEST */
    expect_midnight(2024, 1, 1, "2023-12-31T23:00:00.000Z");   /* year boundary */
    /* 2024: DST from Sunday 31 March 01:00Z to Sunday 27 October 01:00Z */
    expect_midnight(2024, 3, 30, "2024-03-29T23:00:00.000Z");
    expect_midnight(2024, 3, 31, "2024-03-30T23:00:00.000Z");  /* change day: still CET */
    expect_midnight(2024, 4, 1, "2024-03-31T22:00:00.000Z");   /* first CEST midnight */
    expect_midnight(2024, 10, 27, "2024-10-26T22:00:00.000Z"); /* change day: still CEST */
    expect_midnight(2024, 10, 28, "2024-10-27T23:00:00.000Z"); /* first CET midnight */
    /* 2025: 30 March and 26 October */
    expect_midnight(2025, 3, 30, "2025-03-29T23:00:00.000Z");
    expect_midnight(2025, 3, 31, "2025-03-30T22:00:00.000Z");
    expect_midnight(2025, 10, 26, "2025-10-25T22:00:00.000Z");
    expect_midnight(2025, 10, 27, "2025-10-26T23:00:00.000Z");
    expect_midnight(2024, 2, 29, "2024-02-28T23:00:00.000Z");  /* leap day */
    expect_midnight(2026, 3, 29, "2026-03-28T23:00:00.000Z");  /* 2026: 29 March */
    expect_midnight(2026, 3, 30, "2026-03-29T22:00:00.000Z");
}

static void test_format(void **state)
{
    char out[32];

    (void)state;
    kv_clock_format_utc(0, out, sizeof(out));
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    kv_clock_format_utc(1700000000123, out, sizeof(out));
    assert_string_equal(out, "2023-11-14T22:13:20.123Z");
    kv_clock_format_utc(-1, out, sizeof(out));
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    kv_clock_format_utc(951782400000, out, sizeof(out)); /* 2000-02-29 */
    assert_string_equal(out, "2000-02-29T00:00:00.000Z");
    kv_clock_format_utc(253402300799999LL, out, sizeof(out)); /* the last ms of year 9999 */
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    kv_clock_format_utc(253402300800000LL, out, sizeof(out)); /* year 10000: five digits */
    assert_string_equal(out, "10000-01-01T00:00:00.000Z");
    kv_clock_format_utc(-62167219200000LL, out, sizeof(out)); /* year 0 */
    assert_string_equal(out, "0000-01-01T00:00:00.000Z");
    kv_clock_format_utc(-62167219200001LL, out, sizeof(out)); /* year -1 */
    assert_string_equal(out, "-001-12-31T23:59:59.999Z");
    kv_clock_format_utc(0, out, 24); /* no room for the NUL: nothing rather than a part */
    assert_string_equal(out, "");
    kv_clock_format_utc(0, out, 25);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
}

/* Against gmtime_r over 200,000 instants spread over years 1900..9999 (a fixed LCG). */
static void test_format_sweep(void **state)
{
    uint64_t x = 88172645463325252ULL;
    const int64_t lo = -2208988800000LL, span = 253402300800000LL - lo;
    char out[32], want[48];
    int i;

    (void)state;
    for (i = 0; i < 200000; i++) {
        int64_t ms;
        time_t t;
        struct tm tm;

        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        ms = lo + (int64_t)((x >> 11) % (uint64_t)span);
        t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
        assert_non_null(gmtime_r(&t, &tm));
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(ms - (int64_t)t * 1000));
        kv_clock_format_utc(ms, out, sizeof(out));
        if (strcmp(out, want) != 0)
            fail_msg("%lld: got %s, want %s", (long long)ms, out, want);
    }
}

static void test_durations(void **state)
{
    int64_t ms = -1;

    (void)state;
    assert_int_equal(kv_clock_parse_duration("36h", &ms), 0);
    assert_int_equal(ms, 36 * 3600000LL);
    assert_int_equal(kv_clock_parse_duration("90m", &ms), 0);
    assert_int_equal(ms, 90 * 60000LL);
    assert_int_equal(kv_clock_parse_duration("7d", &ms), 0);
    assert_int_equal(ms, 7 * 86400000LL);
    assert_int_equal(kv_clock_parse_duration("15s", &ms), 0);
    assert_int_equal(ms, 15000);
    assert_int_equal(kv_clock_parse_duration("500ms", &ms), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(kv_clock_parse_duration("1d12h", &ms), 0);
    assert_int_equal(ms, 36 * 3600000LL);
    assert_int_equal(kv_clock_parse_duration("1m30s", &ms), 0);
    assert_int_equal(ms, 90000);
    assert_int_equal(kv_clock_parse_duration("0s", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(kv_clock_parse_duration("3650d", &ms), 0);
    assert_int_equal(kv_clock_parse_duration("4000d", &ms), KV_EINVAL); /* over 10 years */
    assert_int_equal(kv_clock_parse_duration("99999999999999999999s", &ms), KV_EINVAL);
    assert_int_equal(kv_clock_parse_duration("", &ms), KV_EINVAL);
    assert_int_equal(kv_clock_parse_duration("h", &ms), KV_EINVAL);
    assert_int_equal(kv_clock_parse_duration("12", &ms), KV_EINVAL);
    assert_int_equal(kv_clock_parse_duration("-1h", &ms), KV_EINVAL);
    assert_int_equal(kv_clock_parse_duration("1x", &ms), KV_EINVAL);
    assert_int_equal(kv_clock_parse_duration("1h ", &ms), KV_EINVAL);
    assert_int_equal(kv_clock_parse_duration(NULL, &ms), KV_EINVAL);
}

static void test_offset(void **state)
{
    int64_t before = kv_clock_offset_ms(), t0, t1;

    (void)state;
    t0 = kv_clock_now_ms();
    kv_clock_advance_ms(36 * 3600000LL);
    kv_clock_advance_ms(-5); /* negative deltas are ignored */
    assert_int_equal(kv_clock_offset_ms(), before + 36 * 3600000LL);
    t1 = kv_clock_now_ms();
    assert_true(t1 - t0 >= 36 * 3600000LL); /* moved at least by the offset */
}

/* The UTC xs:dateTime parser (replyByDateTime deadlines of hub/mailbox_send.c). */
static void expect_utc(const char *in, const char *formatted)
{
    char out[32];
    int64_t ms = -1;

    if (kv_clock_parse_utc(in, &ms) != 0)
        fail_msg("%s: refused", in);
    kv_clock_format_utc(ms, out, sizeof(out));
    if (strcmp(out, formatted) != 0)
        fail_msg("%s: got %s, want %s", in, out, formatted);
}

static void test_parse_valid(void **state)
{
    int64_t ms = -1;

    (void)state;
    assert_int_equal(kv_clock_parse_utc("1970-01-01T00:00:00Z", &ms), 0);
    assert_true(ms == 0);
    assert_int_equal(kv_clock_parse_utc("2024-05-03T12:00:00Z", &ms), 0);
    assert_true(ms == 1714737600000LL);
    expect_utc("2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000Z");
    expect_utc("2024-12-31T23:59:59.5Z", "2024-12-31T23:59:59.500Z");
    expect_utc("2000-02-29T06:07:08.123456Z", "2000-02-29T06:07:08.123Z");
    expect_utc(" 2030-01-02T03:04:05Z\n", "2030-01-02T03:04:05.000Z"); /* xs:dateTime collapses */
}

static void test_parse_refused(void **state)
{
    static const char *bad[] = {
        "2024-05-03T12:00:00",        /* no zone */
        "2024-05-03T12:00:00+00:00",  /* an offset, even a zero one */
        "2024-05-03T12:00:00+02:00",  /* an offset */
        "2023-02-29T12:00:00Z",       /* not a leap year */
        "2100-02-29T12:00:00Z",       /* not a leap year either */
        "2024-04-31T12:00:00Z",       /* April has 30 days */
        "2024-13-01T12:00:00Z",       /* month */
        "2024-05-03T24:00:00Z",       /* hour */
        "2024-05-03T12:60:00Z",       /* minute */
        "2024-05-03 12:00:00Z",       /* separator */
        "2024-05-03",                 /* a date only */
        "2024-05-03T12:00:00Zjunk",   /* trailing text */
        "",
    };
    size_t i;
    int64_t ms;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (kv_clock_parse_utc(bad[i], &ms) != KV_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
}

static void expect_date(const char *utc, const char *want)
{
    int64_t ms;
    char out[11];

    assert_int_equal(kv_clock_parse_utc(utc, &ms), 0);
    kv_clock_copenhagen_date(ms, out);
    if (strcmp(out, want) != 0)
        fail_msg("%s: got %s, want %s", utc, out, want);
}

/* The Copenhagen civil date of an instant (systems' active from/to compare against it). */
static void test_copenhagen_date(void **state)
{
    (void)state;
    expect_date("2024-01-14T22:59:59.999Z", "2024-01-14");
    expect_date("2024-01-14T23:00:00.000Z", "2024-01-15"); /* CET midnight */
    expect_date("2024-06-30T21:59:59Z", "2024-06-30");
    expect_date("2024-06-30T22:00:00Z", "2024-07-01");     /* CEST midnight */
    expect_date("2023-12-31T23:30:00Z", "2024-01-01");
    expect_date("2024-03-31T12:00:00Z", "2024-03-31");
    expect_date("1970-01-01T00:00:00Z", "1970-01-01");
}

static void test_date_valid(void **state)
{
    (void)state;
    assert_true(kv_clock_date_valid("2024-02-29"));
    assert_true(kv_clock_date_valid("2027-12-31"));
    assert_false(kv_clock_date_valid("2023-02-29"));
    assert_false(kv_clock_date_valid("2024-13-01"));
    assert_false(kv_clock_date_valid("2024-04-31"));
    assert_false(kv_clock_date_valid("2024-4-1"));
    assert_false(kv_clock_date_valid("2024-04-01T00:00:00Z"));
    assert_false(kv_clock_date_valid("1969-12-31"));
    assert_false(kv_clock_date_valid(""));
    assert_false(kv_clock_date_valid(NULL));
}

/* kv_clock_deadline: ms from now on the clock asked for, tv_nsec normalised below a second,
 * across the carry (999 ms) and whole seconds. */
static void test_deadline(void **state)
{
    static const int64_t ms[] = {0, 1, 999, 1000, 1500, 64000};
    struct timespec before, d, after;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        clock_gettime(CLOCK_MONOTONIC, &before);
        kv_clock_deadline(&d, CLOCK_MONOTONIC, ms[i]);
        clock_gettime(CLOCK_MONOTONIC, &after);
        assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
        int64_t dn = (int64_t)d.tv_sec * 1000000000LL + d.tv_nsec;
        int64_t bn = (int64_t)before.tv_sec * 1000000000LL + before.tv_nsec;
        int64_t an = (int64_t)after.tv_sec * 1000000000LL + after.tv_nsec;
        assert_true(dn >= bn + ms[i] * 1000000LL && dn <= an + ms[i] * 1000000LL);
    }
    clock_gettime(CLOCK_REALTIME, &before);
    kv_clock_deadline(&d, CLOCK_REALTIME, 200);
    assert_true(d.tv_sec >= before.tv_sec && d.tv_sec <= before.tv_sec + 1); /* not monotonic's */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copenhagen_midnight),
        cmocka_unit_test(test_copenhagen_date),
        cmocka_unit_test(test_date_valid),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_sweep),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_offset),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_mailbox_send.c: the replyByDateTime parser of hub/mailbox_send.h (the reply deadline
 * check depends on it): UTC date-times with and without fractions, round trips through
 * kv_clock_format_utc, leap days, and the forms it must refuse (offsets, no zone, impossible
 * dates and times). The HTTP behaviour is tested in tests/it/test_mailbox_send.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hub/mailbox_send.h"
#include "util/clock.h"
#include "util/err.h"

static void expect_utc(const char *in, const char *formatted)
{
    char out[32];
    int64_t ms = -1;

    if (kv_mbox_parse_utc(in, &ms) != 0)
        fail_msg("%s: refused", in);
    kv_clock_format_utc(ms, out, sizeof(out));
    if (strcmp(out, formatted) != 0)
        fail_msg("%s: got %s, want %s", in, out, formatted);
}

static void test_parse_valid(void **state)
{
    int64_t ms = -1;

    (void)state;
    assert_int_equal(kv_mbox_parse_utc("1970-01-01T00:00:00Z", &ms), 0);
    assert_true(ms == 0);
    assert_int_equal(kv_mbox_parse_utc("2024-05-03T12:00:00Z", &ms), 0);
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
        if (kv_mbox_parse_utc(bad[i], &ms) != KV_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

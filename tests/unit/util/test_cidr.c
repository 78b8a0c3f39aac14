/* SPDX-License-Identifier: MIT
 *
 * test_cidr.c: allowed-address lists: canonical form (inet_ntop spelling, duplicates gone,
 * any separator), refusals with the reason (not an address, host bits set, prefix out of
 * range, too many entries), and matching of IPv4, IPv6 and IPv4-mapped client addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/cidr.h"

static void test_canon(void **state)
{
    char out[KV_CIDR_TEXT_MAX], msg[160];

    (void)state;
    assert_int_equal(kv_cidr_list_canon(NULL, out, sizeof(out), msg, sizeof(msg)), 0);
    assert_string_equal(out, "");
    assert_int_equal(kv_cidr_list_canon(" \n, ", out, sizeof(out), msg, sizeof(msg)), 0);
    assert_string_equal(out, "");
    assert_int_equal(kv_cidr_list_canon("10.0.0.0/8,192.0.2.7\n2001:DB8:0:0::/32 192.0.2.7/32",
                                        out, sizeof(out), msg, sizeof(msg)),
                     0);
    assert_string_equal(out, "10.0.0.0/8, 192.0.2.7, 2001:db8::/32");
    assert_int_equal(kv_cidr_list_canon("0.0.0.0/0; ::/0", out, sizeof(out), msg, sizeof(msg)), 0);
    assert_string_equal(out, "0.0.0.0/0, ::/0");
}

static void test_refused(void **state)
{
    char out[KV_CIDR_TEXT_MAX], msg[160], big[64 * 20];
    int i;

    (void)state;
    assert_int_equal(kv_cidr_list_canon("10.0.0.1/8", out, sizeof(out), msg, sizeof(msg)), -1);
    assert_string_equal(msg, "host bits set in 10.0.0.1/8: did you mean 10.0.0.0/8?");
    assert_int_equal(kv_cidr_list_canon("10.0.0.0/33", out, sizeof(out), msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "must be 0-32"));
    assert_int_equal(kv_cidr_list_canon("2001:db8::/129", out, sizeof(out), msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "must be 0-128"));
    assert_int_equal(kv_cidr_list_canon("10.0.0.0/", out, sizeof(out), msg, sizeof(msg)), -1);
    assert_int_equal(kv_cidr_list_canon("10.0.0.0/-1", out, sizeof(out), msg, sizeof(msg)), -1);
    assert_int_equal(kv_cidr_list_canon("example.dk", out, sizeof(out), msg, sizeof(msg)), -1);
    assert_string_equal(msg, "not an IP address or range: example.dk");
    assert_int_equal(kv_cidr_list_canon("10.0.0", out, sizeof(out), msg, sizeof(msg)), -1);
    assert_int_equal(kv_cidr_list_canon("1.2.3.4, 300.1.1.1", out, sizeof(out), msg, sizeof(msg)),
                     -1);
    assert_non_null(strstr(msg, "300.1.1.1"));
    assert_string_equal(out, "");
    big[0] = '\0';
    for (i = 0; i < 65; i++)
        snprintf(big + strlen(big), sizeof(big) - strlen(big), "10.0.%d.0/24 ", i);
    assert_int_equal(kv_cidr_list_canon(big, out, sizeof(out), msg, sizeof(msg)), -1);
    assert_string_equal(msg, "more than 64 entries");
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(kv_cidr_list_canon(big, out, sizeof(out), msg, sizeof(msg)), -1);
}

static void test_allows(void **state)
{
    (void)state;
    assert_true(kv_cidr_list_allows("", "203.0.113.9"));
    assert_true(kv_cidr_list_allows(NULL, "::1"));
    assert_true(kv_cidr_list_allows("10.0.0.0/8", "10.255.1.2"));
    assert_false(kv_cidr_list_allows("10.0.0.0/8", "11.0.0.1"));
    assert_true(kv_cidr_list_allows("192.0.2.7", "192.0.2.7"));
    assert_false(kv_cidr_list_allows("192.0.2.7", "192.0.2.8"));
    assert_true(kv_cidr_list_allows("10.0.0.0/8, 127.0.0.1", "127.0.0.1"));
    assert_true(kv_cidr_list_allows("127.0.0.0/8", "::ffff:127.0.0.1"));
    assert_false(kv_cidr_list_allows("192.0.2.0/24", "::ffff:127.0.0.1"));
    assert_true(kv_cidr_list_allows("2001:db8::/32", "2001:db8:1::5"));
    assert_false(kv_cidr_list_allows("2001:db8::/32", "2001:db9::5"));
    assert_false(kv_cidr_list_allows("2001:db8::/32", "10.0.0.1"));
    assert_true(kv_cidr_list_allows("::1", "::1"));
    assert_false(kv_cidr_list_allows("::1", "127.0.0.1"));
    assert_true(kv_cidr_list_allows("0.0.0.0/0", "198.51.100.1"));
    assert_false(kv_cidr_list_allows("10.0.0.0/8", ""));
    assert_false(kv_cidr_list_allows("10.0.0.0/8", NULL));
    assert_false(kv_cidr_list_allows("10.0.0.0/8", "not-an-ip"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canon),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_allows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

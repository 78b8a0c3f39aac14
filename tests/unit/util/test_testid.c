/* SPDX-License-Identifier: MIT
 *
 * test_testid.c: the test number ranges: day 92..99 with a real month is a test CPR, every
 * real-looking or substitute CPR (days 01..31, 61..91) is not; a CVR with a leading 0 is a
 * test CVR, 10000000 and up are not; lengths, non-digits and NULL are never test numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "util/testid.h"

static void test_cpr(void **state)
{
    (void)state;
    assert_true(kv_testid_cpr("9201901234"));
    assert_true(kv_testid_cpr("9912001111"));
    assert_false(kv_testid_cpr("9100901234"));  /* month 00 */
    assert_false(kv_testid_cpr("9213901234"));  /* month 13 */
    assert_false(kv_testid_cpr("9101901234"));  /* a substitute number (day 31 + 60) */
    assert_false(kv_testid_cpr("6101901234"));  /* a substitute number */
    assert_false(kv_testid_cpr("2211771212"));  /* a real-looking one */
    assert_false(kv_testid_cpr("0101701234"));
    assert_false(kv_testid_cpr("920190123"));   /* 9 digits */
    assert_false(kv_testid_cpr("92019012345")); /* 11 digits */
    assert_false(kv_testid_cpr("920190-1234"));
    assert_false(kv_testid_cpr("92019O1234"));
    assert_false(kv_testid_cpr(NULL));
    assert_true(kv_testid_cpr_n("9201901234xyz", 10));
}

static void test_cvr(void **state)
{
    (void)state;
    assert_true(kv_testid_cvr("09000001"));
    assert_true(kv_testid_cvr("00000000"));
    assert_false(kv_testid_cvr("10000000"));
    assert_false(kv_testid_cvr("12345678"));
    assert_false(kv_testid_cvr("0900000"));
    assert_false(kv_testid_cvr("090000011"));
    assert_false(kv_testid_cvr("0900000a"));
    assert_false(kv_testid_cvr(NULL));
}

static void test_party(void **state)
{
    (void)state;
    assert_true(kv_testid_party("CPR", "9501801234"));
    assert_true(kv_testid_party("CVR", "09123456"));
    assert_false(kv_testid_party("CVR", "9501801234"));
    assert_false(kv_testid_party("CPR", "09123456"));
    assert_false(kv_testid_party("EAN", "09123456"));
    assert_false(kv_testid_party(NULL, "09123456"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpr),
        cmocka_unit_test(test_cvr),
        cmocka_unit_test(test_party),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

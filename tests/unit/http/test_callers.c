/* SPDX-License-Identifier: MIT
 *
 * test_callers.c: unit tests of the per-person body budget (src/http/callers.c): a person's
 * bytes in flight stay within the bound and are counted across requests, other persons are
 * counted apart, bytes given back make room again and free the slot, a full table refuses a
 * new person rather than letting them pass uncounted, and a bound near UINT64_MAX does not
 * wrap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_int.h"

static void test_bound_per_person(void **state)
{
    struct kv__http_callers *t = kv__http_callers_new(8);

    (void)state;
    assert_int_equal(kv__http_callers_take(t, "person:1", 60, 100), 0);
    assert_int_equal(kv__http_callers_take(t, "person:1", 41, 100), -1); /* 101 > 100 */
    assert_int_equal(kv__http_callers_take(t, "person:1", 40, 100), 0);  /* exactly 100 */
    assert_int_equal(kv__http_callers_take(t, "person:1", 1, 100), -1);
    /* another person is counted apart */
    assert_int_equal(kv__http_callers_take(t, "person:2", 100, 100), 0);
    assert_int_equal(kv__http_callers_take(t, "person:2", 1, 100), -1);
    /* one request alone larger than the bound */
    assert_int_equal(kv__http_callers_take(t, "person:3", 101, 100), -1);
    /* bytes given back make room again */
    kv__http_callers_give(t, "person:1", 60);
    assert_int_equal(kv__http_callers_take(t, "person:1", 60, 100), 0);
    assert_int_equal(kv__http_callers_take(t, "person:1", 1, 100), -1);
    /* nothing taken: always admitted */
    assert_int_equal(kv__http_callers_take(t, "person:1", 0, 100), 0);
    kv__http_callers_free(t);
}

static void test_slots_freed_and_full_table(void **state)
{
    struct kv__http_callers *t = kv__http_callers_new(2);

    (void)state;
    assert_int_equal(kv__http_callers_take(t, "a", 10, 100), 0);
    assert_int_equal(kv__http_callers_take(t, "b", 10, 100), 0);
    /* no slot for a third person: refused, not let through uncounted */
    assert_int_equal(kv__http_callers_take(t, "c", 10, 100), -1);
    /* a's bytes all given back: its slot is free for c */
    kv__http_callers_give(t, "a", 10);
    assert_int_equal(kv__http_callers_take(t, "c", 10, 100), 0);
    /* a is new again and finds no slot; giving back what an unknown key never took is a
     * no-op (b keeps its count) */
    kv__http_callers_give(t, "a", 10);
    assert_int_equal(kv__http_callers_take(t, "b", 91, 100), -1);
    assert_int_equal(kv__http_callers_take(t, "b", 90, 100), 0);
    kv__http_callers_free(t);
    kv__http_callers_free(NULL);
}

static void test_no_wrap(void **state)
{
    struct kv__http_callers *t = kv__http_callers_new(1);

    (void)state;
    assert_int_equal(kv__http_callers_take(t, "p", UINT64_MAX - 5, UINT64_MAX), 0);
    assert_int_equal(kv__http_callers_take(t, "p", 10, UINT64_MAX), -1); /* would wrap */
    kv__http_callers_free(t);
}

static void test_long_key_cut_consistently(void **state)
{
    char key[200];
    struct kv__http_callers *t = kv__http_callers_new(4);

    (void)state;
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    /* a key longer than a slot's is cut; take and give must still find the same slot */
    assert_int_equal(kv__http_callers_take(t, key, 50, 100), 0);
    assert_int_equal(kv__http_callers_take(t, key, 51, 100), -1);
    kv__http_callers_give(t, key, 50);
    assert_int_equal(kv__http_callers_take(t, key, 100, 100), 0);
    kv__http_callers_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_per_person),
        cmocka_unit_test(test_slots_freed_and_full_table),
        cmocka_unit_test(test_no_wrap),
        cmocka_unit_test(test_long_key_cut_consistently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_url.c: the one http(s) URL check: schemes in any case, a host required, no spaces or
 * control characters, other schemes refused; the https-only variant.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "util/url.h"

static void test_http(void **state)
{
    (void)state;
    assert_true(kv_url_is_http("http://example.dk/r"));
    assert_true(kv_url_is_http("https://example.dk"));
    assert_true(kv_url_is_http("HTTPS://Example.dk/x?y=1"));
    assert_true(kv_url_is_http("Http://127.0.0.1:8080/inbox"));
    assert_false(kv_url_is_http(NULL));
    assert_false(kv_url_is_http(""));
    assert_false(kv_url_is_http("ftp://example.dk/"));
    assert_false(kv_url_is_http("https://"));
    assert_false(kv_url_is_http("https:///path"));
    assert_false(kv_url_is_http("https//example.dk"));
    assert_false(kv_url_is_http("https://exa mple.dk"));
    assert_false(kv_url_is_http("https://example.dk/\r\nX-Injected: 1"));
    assert_false(kv_url_is_http(" https://example.dk"));
}

static void test_https(void **state)
{
    (void)state;
    assert_true(kv_url_is_https("https://example.dk"));
    assert_true(kv_url_is_https("HTTPS://example.dk"));
    assert_false(kv_url_is_https("http://example.dk"));
    assert_false(kv_url_is_https("https://"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http),
        cmocka_unit_test(test_https),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_devices.c: the device names the Adgangsportal derives from a User-Agent
 * (identity/devices.h kv_device_name_from_ua): common browsers and systems, other clients by
 * their first product token, control bytes replaced, output bounded, nothing for no agent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "identity/devices.h"

static const char *name(const char *ua)
{
    static char out[KV_DEVICE_NAME_MAX + 1];

    kv_device_name_from_ua(ua, out, sizeof(out));
    return out;
}

static void test_browsers(void **state)
{
    (void)state;
    assert_string_equal(name("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) "
                             "Gecko/20100101 Firefox/128.0"), "Firefox · Windows");
    assert_string_equal(name("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
                             "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
                             "Mobile/15E148 Safari/604.1"), "Safari · iPhone");
    assert_string_equal(name("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                             "(KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0"),
                        "Edge · Windows");
    assert_string_equal(name("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                             "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"),
                        "Chrome · Android");
    assert_string_equal(name("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
                             "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"),
                        "Safari · macOS");
}

static void test_other_clients(void **state)
{
    char small[6];

    (void)state;
    assert_string_equal(name("python-requests/2.28.1"), "python-requests");
    assert_string_equal(name("curl/7.88.1"), "curl");
    assert_string_equal(name("a\x01" "b/1"), "a?b");
    assert_string_equal(name(""), "");
    assert_string_equal(name(NULL), "");
    kv_device_name_from_ua("averyveryverylongclientname/1", small, sizeof(small));
    assert_string_equal(small, "avery");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_browsers),
        cmocka_unit_test(test_other_clients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

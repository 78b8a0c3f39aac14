/* SPDX-License-Identifier: MIT
 *
 * test_client_addr.c: the client address behind trusted proxies (http/client_addr.c): the
 * header is read only from a trusted peer; read from the right, trusted hops passed over, the
 * first untrusted address wins (what a client wrote itself stays unread); several header lines;
 * RFC 7239 Forwarded with quoted IPv6 and ports; malformed elements end the walk at the last
 * hop read well.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/http.h"

#define TRUSTED "127.0.0.2, 10.1.0.0/16, 2001:db8:ff::/48"

static const char *client(const char *peer, int kind, const char *header, int *rc)
{
    static char out[64];

    *rc = kv_http_forwarded_client(peer, TRUSTED, kind, header, out, sizeof(out));
    return out;
}

static void test_untrusted_peer_is_the_client(void **state)
{
    char out[64];
    int rc;

    (void)state;
    assert_string_equal(client("127.0.0.1", KV_PROXY_XFF, "198.51.100.7", &rc), "127.0.0.1");
    assert_int_equal(rc, 0);
    /* no proxy trusted at all: the header is never read */
    assert_int_equal(kv_http_forwarded_client("127.0.0.2", "", KV_PROXY_XFF, "198.51.100.7", out,
                                              sizeof(out)),
                     0);
    assert_string_equal(out, "127.0.0.2");
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, NULL, &rc), "127.0.0.2");
    assert_int_equal(rc, 0);
}

static void test_rightmost_untrusted(void **state)
{
    int rc;

    (void)state;
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "198.51.100.7", &rc), "198.51.100.7");
    assert_int_equal(rc, 1);
    /* a client that wrote its own header: the proxy appended the real address after it */
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "203.0.113.9, 198.51.100.7", &rc),
                        "198.51.100.7");
    /* a chain through a second trusted proxy */
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "203.0.113.9,198.51.100.7 ,10.1.2.3",
                               &rc),
                        "198.51.100.7");
    /* several header lines, joined in order */
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "198.51.100.7, 10.1.2.3", &rc),
                        "198.51.100.7");
    /* every hop trusted: the leftmost */
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "10.1.9.9, 10.1.2.3", &rc), "10.1.9.9");
    assert_int_equal(rc, 1);
    /* IPv6, written canonically; ports and brackets */
    assert_string_equal(client("2001:db8:ff::1", KV_PROXY_XFF, "2001:DB8:0::7", &rc),
                        "2001:db8::7");
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "[2001:db8::7]:4711", &rc),
                        "2001:db8::7");
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "198.51.100.7:4711", &rc),
                        "198.51.100.7");
    /* an IPv4-mapped peer is matched as its IPv4 address */
    assert_string_equal(client("::ffff:127.0.0.2", KV_PROXY_XFF, "198.51.100.7", &rc),
                        "198.51.100.7");
}

static void test_forwarded(void **state)
{
    int rc;

    (void)state;
    assert_string_equal(client("127.0.0.2", KV_PROXY_FORWARDED, "for=198.51.100.7;proto=https",
                               &rc),
                        "198.51.100.7");
    assert_string_equal(client("127.0.0.2", KV_PROXY_FORWARDED,
                               "for=203.0.113.9, For=\"[2001:db8::7]:4711\";by=10.1.0.1", &rc),
                        "2001:db8::7");
    assert_string_equal(client("127.0.0.2", KV_PROXY_FORWARDED,
                               "proto=https; for=198.51.100.7, for=10.1.2.3", &rc),
                        "198.51.100.7");
    assert_int_equal(rc, 1);
    /* a Forwarded element without for= is malformed */
    assert_string_equal(client("127.0.0.2", KV_PROXY_FORWARDED, "proto=https", &rc), "127.0.0.2");
    assert_int_equal(rc, -1);
    assert_string_equal(client("127.0.0.2", KV_PROXY_FORWARDED, "for=unknown", &rc), "127.0.0.2");
    assert_string_equal(client("127.0.0.2", KV_PROXY_FORWARDED, "for=_hidden, for=10.1.2.3", &rc),
                        "10.1.2.3");
    assert_int_equal(rc, -1);
}

static void test_malformed(void **state)
{
    char big[64 * 12 + 1];
    int rc, i;

    (void)state;
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "garbage", &rc), "127.0.0.2");
    assert_int_equal(rc, -1);
    /* what stands left of a bad element is not read */
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "198.51.100.7, unknown", &rc),
                        "127.0.0.2");
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "198.51.100.7, x, 10.1.2.3", &rc),
                        "10.1.2.3");
    assert_int_equal(rc, -1);
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "[2001:db8::7", &rc), "127.0.0.2");
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, "198.51.100.7/24", &rc), "127.0.0.2");
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, " , ", &rc), "127.0.0.2");
    assert_int_equal(rc, -1);
    /* a chain of more than 64 trusted hops is refused, not walked */
    big[0] = '\0';
    for (i = 0; i < 70; i++)
        strcat(big, i ? ",10.1.0.1" : "10.1.0.1");
    assert_string_equal(client("127.0.0.2", KV_PROXY_XFF, big, &rc), "10.1.0.1");
    assert_int_equal(rc, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untrusted_peer_is_the_client),
        cmocka_unit_test(test_rightmost_untrusted),
        cmocka_unit_test(test_forwarded),
        cmocka_unit_test(test_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

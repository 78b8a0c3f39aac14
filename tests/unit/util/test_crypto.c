/* SPDX-License-Identifier: MIT
 *
 * test_crypto.c: SHA-256 against the FIPS 180-2 vectors, random bytes, UUID v4 shape and
 * uniqueness, constant-time compare, base64 round trips with every padding length and
 * rejection of malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"
#include "util/crypto.h"
#include "util/err.h"

static void test_sha256(void **state)
{
    char hex[KV_SHA256_HEX_LEN + 1];

    (void)state;
    kv_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    kv_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    kv_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_random_and_uuid(void **state)
{
    unsigned char a[32], b[32];
    char u1[37], u2[37];
    int i;

    (void)state;
    assert_int_equal(kv_random_bytes(a, sizeof(a)), 0);
    assert_int_equal(kv_random_bytes(b, sizeof(b)), 0);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(kv_uuid_v4(u1), 0);
    assert_int_equal(kv_uuid_v4(u2), 0);
    assert_string_not_equal(u1, u2);
    assert_int_equal(strlen(u1), 36);
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(u1[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", u1[i]));
    }
    assert_int_equal(u1[14], '4');
    assert_non_null(strchr("89ab", u1[19]));
}

/* UUID v7: version 7, the RFC variant, the millisecond given in its first 48 bits (so ids of
 * later milliseconds sort after), random bits that differ between two ids of one millisecond. */
static void test_uuid_v7(void **state)
{
    char u1[37], u2[37], u3[37];
    int i;

    (void)state;
    assert_int_equal(kv_uuid_v7(1764912345678LL, u1), 0);
    assert_int_equal(kv_uuid_v7(1764912345678LL, u2), 0);
    assert_int_equal(kv_uuid_v7(1764912345679LL, u3), 0);
    assert_int_equal(strlen(u1), 36);
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(u1[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", u1[i]));
    }
    /* 1764912345678 = 0x019aecf9324e */
    assert_memory_equal(u1, "019aecf9-324e-7", 15);
    assert_non_null(strchr("89ab", u1[19]));
    assert_string_not_equal(u1, u2);
    assert_memory_equal(u1, u2, 15);
    assert_true(strcmp(u3, u1) > 0 && strcmp(u3, u2) > 0);
}

static void test_ct_equal(void **state)
{
    (void)state;
    assert_true(kv_ct_equal("abcdef", "abcdef", 6));
    assert_false(kv_ct_equal("abcdef", "abcdeg", 6));
    assert_false(kv_ct_equal("xbcdef", "abcdef", 6));
    assert_true(kv_ct_equal("abc", "abd", 2));
}

static void roundtrip(const char *plain, const char *enc)
{
    char *e = NULL;
    unsigned char *d = NULL;
    size_t n = 99;

    assert_int_equal(kv_b64_encode(plain, strlen(plain), 100, &e, &n), 0);
    assert_non_null(e);
    assert_string_equal(e, enc);
    assert_int_equal(kv_b64_decode(enc, strlen(enc), 100, &d, &n), 0);
    assert_int_equal(n, strlen(plain)); /* padding is not counted as data */
    assert_memory_equal(d, plain, n);
    free(e);
    free(d);
}

static void test_base64(void **state)
{
    unsigned char *d = NULL;
    size_t n = 0;
    const char *bad[] = {"Zg", "Zg=", "Z===", "Zm=v", "Zm9v!", "Zm 9v", "=Zm9", "Zg==Zg=="};
    size_t i;

    (void)state;
    roundtrip("", "");
    roundtrip("f", "Zg==");
    roundtrip("fo", "Zm8=");
    roundtrip("foo", "Zm9v");
    roundtrip("foob", "Zm9vYg==");
    roundtrip("fooba", "Zm9vYmE=");
    roundtrip("foobar", "Zm9vYmFy");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(kv_b64_decode(bad[i], strlen(bad[i]), 100, &d, &n), KV_EINVAL);
        assert_null(d);
    }
    /* binary with NUL bytes */
    {
        const unsigned char bin[] = {0, 255, 0, 1, 2};
        char *e = NULL;

        assert_int_equal(kv_b64_encode(bin, sizeof(bin), 100, &e, &n), 0);
        assert_int_equal(kv_b64_decode(e, strlen(e), 100, &d, &n), 0);
        assert_int_equal(n, sizeof(bin));
        assert_memory_equal(d, bin, n);
        free(e);
        free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_random_and_uuid),
        cmocka_unit_test(test_uuid_v7),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

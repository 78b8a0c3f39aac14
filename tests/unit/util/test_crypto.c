/* SPDX-License-Identifier: MIT
 *
 * test_crypto.c: SHA-256 against the FIPS 180-2 vectors (also one million and 1 MiB of 'a',
 * several hashes on one thread's kept context, and from threads that come and go: under ASan
 * a context not freed at its thread's end is a leak), HMAC-SHA-256 against RFC 4231, random
 * bytes, UUID v4 shape and uniqueness, constant-time compare, base64 round trips with every
 * padding length and rejection of malformed input.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

/* FIPS 180-2's long vector (one million 'a') and 1 MiB of 'a' (from Python's hashlib), then
 * the short ones again on the same thread: a kept context must start each hash afresh. */
static void test_sha256_long(void **state)
{
    const size_t mib = 1u << 20;
    char *a = malloc(mib), hex[KV_SHA256_HEX_LEN + 1];
    unsigned char raw[32];

    (void)state;
    assert_non_null(a);
    memset(a, 'a', mib);
    kv_sha256_hex(a, 1000000, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    kv_sha256_hex(a, mib, hex);
    assert_string_equal(hex, "9bc1b2a288b26af7257a36277ae3816a7d4f16e89c1e7e77d0a5c48bad62b360");
    kv_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    kv_sha256("", 0, raw);
    assert_int_equal(raw[0], 0xe3);
    assert_int_equal(raw[31], 0x55);
    free(a);
}

#define HASH_THREADS 8
#define HASH_ROUNDS 200

/* Each thread hashes its own input HASH_ROUNDS times; 0 when every result was right. */
static void *hash_thread(void *arg)
{
    static const char *const want[2] = {
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"};
    static const char *const in[2] = {
        "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
    intptr_t k = (intptr_t)arg, bad = 0;
    char hex[KV_SHA256_HEX_LEN + 1];
    int i;

    for (i = 0; i < HASH_ROUNDS; i++) {
        int j = (int)((k + i) % 2);
        kv_sha256_hex(in[j], strlen(in[j]), hex);
        bad += strcmp(hex, want[j]) != 0;
    }
    return (void *)bad;
}

/* Threads come and go (three waves), each with its own context, hashing at the same time. */
static void test_sha256_threads(void **state)
{
    pthread_t t[HASH_THREADS];
    void *bad;
    int w, i;

    (void)state;
    for (w = 0; w < 3; w++) {
        for (i = 0; i < HASH_THREADS; i++)
            assert_int_equal(pthread_create(&t[i], NULL, hash_thread, (void *)(intptr_t)i), 0);
        for (i = 0; i < HASH_THREADS; i++) {
            assert_int_equal(pthread_join(t[i], &bad), 0);
            assert_null(bad);
        }
    }
}

/* RFC 4231 test cases 1 and 2. */
static void test_hmac_sha256(void **state)
{
    static const unsigned char want1[32] = {
        0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8, 0xaf, 0xce,
        0xaf, 0x0b, 0xf1, 0x2b, 0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83, 0x3d, 0xa7,
        0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7};
    static const unsigned char want2[32] = {
        0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26,
        0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
        0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    unsigned char key1[20], mac[32];

    (void)state;
    memset(key1, 0x0b, sizeof(key1));
    kv_hmac_sha256(key1, sizeof(key1), "Hi There", 8, mac);
    assert_memory_equal(mac, want1, 32);
    kv_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    assert_memory_equal(mac, want2, 32);
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
        cmocka_unit_test(test_sha256_long),
        cmocka_unit_test(test_sha256_threads),
        cmocka_unit_test(test_hmac_sha256),
        cmocka_unit_test(test_random_and_uuid),
        cmocka_unit_test(test_uuid_v7),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

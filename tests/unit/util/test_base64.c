/* SPDX-License-Identifier: MIT
 *
 * test_base64.c: kuvert's one base64 validator (util/base64.h): the streaming scanner with and
 * without XML whitespace (cases, every length 0..299 across the sixteen- and eight-byte fast
 * paths, the offset of a bad byte, pieces split anywhere), kv_b64_valid against a plain
 * one-byte-at-a-time reference on random and mutated inputs, and decode agreeing with it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"
#include "util/err.h"
#include "util/xmalloc.h"

static int scan(const char *s, size_t len, uint64_t *size, size_t *bad, const char **why)
{
    struct kv_b64_scan b;
    int rc;

    kv_b64_scan_init(&b, KV_B64_XML_SPACE);
    kv_b64_scan_feed(&b, s, len);
    rc = kv_b64_scan_end(&b, size);
    *bad = (size_t)b.bad_at;
    *why = b.why;
    return rc;
}

/* The reference: RFC 4648 base64 without whitespace, one byte at a time. */
static int ref_valid(const unsigned char *s, size_t len, size_t *size)
{
    size_t i, pad = 0;

    if (len % 4)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = s[i];
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '+' || c == '/';

        if (c == '=') {
            if (i < len - 2)
                return 0;
            pad++;
        } else if (!alpha || pad) {
            return 0;
        }
    }
    if (pad == 2 && len >= 2 && s[len - 2] != '=')
        return 0;
    *size = len / 4 * 3 - pad;
    return 1;
}

static char *b64_encode(const unsigned char *p, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = kv_xmalloc((n + 2) / 3 * 4 + 1), *o = out;
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        *o++ = al[p[i] >> 2];
        *o++ = al[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
        *o++ = al[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
        *o++ = al[p[i + 2] & 63];
    }
    if (n - i == 1) {
        *o++ = al[p[i] >> 2];
        *o++ = al[(p[i] & 3) << 4];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {
        *o++ = al[p[i] >> 2];
        *o++ = al[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
        *o++ = al[(p[i + 1] & 15) << 2];
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

/* The scanner with XML whitespace allowed (as the MeMo file rules use it). */
static void test_scan_cases(void **state)
{
    static const struct {
        const char *s;
        int ok;
        uint64_t size;
    } cases[] = {
        {"", 1, 0},          {"TQ==", 1, 1},        {"TWE=", 1, 2},     {"TWFu", 1, 3},
        {"TW Fu\r\n", 1, 3}, {"TWFuTQ==\n", 1, 4},  {"TWF", 0, 0},      {"TWFuT", 0, 0},
        {"TQ=", 0, 0},       {"TQ===", 0, 0},       {"T===", 0, 0},     {"TQ==TWFu", 0, 0},
        {"TW=u", 0, 0},      {"TWFu-A==", 0, 0},    {"TWFu\x01", 0, 0}, {"TWE==", 0, 0},
        {"TWFu=", 0, 0},     {"\xc3\xa6TWF", 0, 0},
    };
    unsigned char raw[300];
    uint64_t size;
    size_t i, bad;
    const char *why;
    char *enc;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = scan(cases[i].s, strlen(cases[i].s), &size, &bad, &why);
        if ((rc == 0) != cases[i].ok)
            fail_msg("case %zu \"%s\": rc %d", i, cases[i].s, rc);
        if (rc == 0)
            assert_int_equal(size, cases[i].size);
        else
            assert_non_null(why);
    }
    /* round trip over every length 0..299 with varied bytes, across the 8-byte fast path */
    for (i = 0; i < sizeof(raw); i++)
        raw[i] = (unsigned char)(i * 37 + 11);
    for (i = 0; i < sizeof(raw); i++) {
        enc = b64_encode(raw, i);
        assert_int_equal(scan(enc, strlen(enc), &size, &bad, &why),
                         0);
        assert_int_equal(size, i);
        if (i >= 12) { /* an invalid byte deep inside is found at its offset */
            enc[i / 2 + 1] = '.';
            assert_int_equal(
                scan(enc, strlen(enc), &size, &bad, &why), -1);
            assert_int_equal(bad, i / 2 + 1);
        }
        free(enc);
    }
}

/* Pieces: the same text fed in two parts split at every position gives the same verdict
 * and size as fed whole. */
static void test_scan_pieces(void **state)
{
    unsigned char raw[64];
    size_t i, cut, n;
    char *enc;

    (void)state;
    for (i = 0; i < sizeof(raw); i++)
        raw[i] = (unsigned char)(i * 91 + 7);
    enc = b64_encode(raw, sizeof(raw));
    n = strlen(enc);
    for (cut = 0; cut <= n; cut++) {
        struct kv_b64_scan b;
        uint64_t size;

        kv_b64_scan_init(&b, 0);
        kv_b64_scan_feed(&b, enc, cut);
        kv_b64_scan_feed(&b, enc + cut, n - cut);
        assert_int_equal(kv_b64_scan_end(&b, &size), 0);
        assert_int_equal(size, sizeof(raw));
    }
    /* a bad byte in the second piece is reported at its offset over all pieces */
    {
        struct kv_b64_scan b;
        uint64_t size;

        kv_b64_scan_init(&b, 0);
        kv_b64_scan_feed(&b, enc, 40);
        kv_b64_scan_feed(&b, "AB$D", 4);
        assert_int_equal(kv_b64_scan_end(&b, &size), -1);
        assert_int_equal(b.bad_at, 42);
        assert_int_equal(size, 0);
    }
    free(enc);
}

/* kv_b64_valid (no whitespace) agrees with the reference on random strings over a small
 * alphabet that mixes good bytes, '=', whitespace and bad bytes, and on mutations of valid
 * encodings; decode agrees too and round-trips. Bounded: 200,000 cases, fixed seed. */
static void test_valid_matches_reference(void **state)
{
    static const char pool[] = "AZaz09+/====  \n.-_\x80\xff";
    unsigned char buf[80], raw[48];
    unsigned long long x = 0x9e3779b97f4a7c15ULL;
    size_t i, k, len, want_size, got_size;
    unsigned char *out;
    size_t out_len;

    (void)state;
    for (i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (i % 2) {
            len = (size_t)(x % 41);
            for (k = 0; k < len; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                buf[k] = (unsigned char)pool[x % (sizeof(pool) - 1)];
            }
        } else {
            char *enc;
            size_t n = (size_t)(x % sizeof(raw));

            for (k = 0; k < n; k++)
                raw[k] = (unsigned char)(x >> (k % 56));
            enc = b64_encode(raw, n);
            len = strlen(enc);
            memcpy(buf, enc, len);
            free(enc);
            if (len && (x >> 8) % 3 == 0) /* mutate one byte */
                buf[(x >> 16) % len] = (unsigned char)pool[(x >> 24) % (sizeof(pool) - 1)];
        }
        {
            int want = ref_valid(buf, len, &want_size);
            int got = kv_b64_valid((const char *)buf, len, &got_size);

            if (want != got)
                fail_msg("case %zu: reference %d, kv_b64_valid %d for \"%.*s\"", i, want, got,
                         (int)len, (const char *)buf);
            if (want)
                assert_int_equal(got_size, want_size);
            if (want) {
                assert_int_equal(kv_b64_decode((const char *)buf, len, 100, &out, &out_len), 0);
                assert_int_equal(out_len, want_size);
                free(out);
            } else {
                assert_int_equal(kv_b64_decode((const char *)buf, len, 100, &out, &out_len),
                                 KV_EINVAL);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_cases),
        cmocka_unit_test(test_scan_pieces),
        cmocka_unit_test(test_valid_matches_reference),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

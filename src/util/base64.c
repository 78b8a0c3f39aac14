/* SPDX-License-Identifier: MIT
 *
 * base64.c: bounded, validating base64 over OpenSSL's block codec (see base64.h). OpenSSL's
 * EVP_DecodeBlock accepts some malformed input (padding in the middle, surrounding
 * whitespace) and reports padding bytes as data, so input is validated here first and the
 * padding subtracted; both OpenSSL calls take int lengths, hence the chunking. Validation is
 * one streaming scanner (kv_b64_scan_*: sixteen bytes at a time with vector extensions), used
 * by kv_b64_valid and by the MeMo file rules (which feed a File's text nodes piece by piece).
 */
#include "util/base64.h"

#include <limits.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/err.h"
#include "util/xmalloc.h"

/* Chunk sizes: multiples of 4 encoded chars / 3 raw bytes, well below INT_MAX. */
#define DEC_CHUNK ((size_t)1 << 28)      /* encoded characters per EVP_DecodeBlock call */
#define ENC_CHUNK (((size_t)1 << 28) / 4 * 3) /* raw bytes per EVP_EncodeBlock call */

/* 1 alphabet, 2 XML whitespace, 4 '=', 0 anything else. */
static const unsigned char b64_class[256] = {
    ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1, ['+'] = 1,  ['/'] = 1,
    [' '] = 2,         ['\t'] = 2,        ['\r'] = 2,        ['\n'] = 2, ['='] = 4,
};

/* Sixteen bytes at a time with GCC/Clang vector extensions (SSE2 on x86-64, NEON on arm64,
 * plain code elsewhere): 1 when every byte of s[0..16) is in the base64 alphabet. The letters
 * are folded to lower case, so one range covers both cases. */
typedef unsigned char b64_u8x16 __attribute__((vector_size(16)));
typedef signed char b64_s8x16 __attribute__((vector_size(16)));

static int all_alphabet16(const unsigned char *s)
{
    b64_u8x16 v, low;
    b64_s8x16 ok;
    uint64_t h[2];

    memcpy(&v, s, sizeof(v));
    low = (v | 0x20) - 'a';
    ok = (low <= 25) | ((b64_u8x16)(v - '0') <= 9) | (v == '+') | (v == '/');
    memcpy(h, &ok, sizeof(h));
    return (h[0] & h[1]) == UINT64_MAX;
}

void kv_b64_scan_init(struct kv_b64_scan *b, int flags)
{
    memset(b, 0, sizeof(*b));
    b->flags = flags;
}

void kv_b64_scan_fail(struct kv_b64_scan *b, const char *why)
{
    if (b->why)
        return;
    b->why = why;
    b->bad_at = b->off;
}

void kv_b64_scan_feed(struct kv_b64_scan *b, const void *data, size_t len)
{
    const unsigned char *s = data;
    size_t i = 0, run;

    while (i < len && !b->why) {
        if (!b->n_pad) {
            /* fast path: runs of alphabet bytes, sixteen, then eight, then one at a time */
            run = i;
            while (i + 16 <= len && all_alphabet16(s + i))
                i += 16;
            while (i + 8 <= len &&
                   (b64_class[s[i]] & b64_class[s[i + 1]] & b64_class[s[i + 2]] &
                    b64_class[s[i + 3]] & b64_class[s[i + 4]] & b64_class[s[i + 5]] &
                    b64_class[s[i + 6]] & b64_class[s[i + 7]]) == 1)
                i += 8;
            while (i < len && b64_class[s[i]] == 1)
                i++;
            b->n_data += i - run;
            if (i == len)
                break;
        }
        switch (b64_class[s[i]]) {
        case 1:
            b->why = "data after the '=' padding";
            break;
        case 2:
            if (!(b->flags & KV_B64_XML_SPACE))
                b->why = "whitespace";
            break;
        case 4:
            if (++b->n_pad > 2)
                b->why = "more than two '=' padding characters";
            break;
        default:
            b->why = "a character outside the base64 alphabet";
            break;
        }
        if (b->why)
            b->bad_at = b->off + i;
        i++;
    }
    b->off += len;
}

int kv_b64_scan_end(struct kv_b64_scan *b, uint64_t *out_size)
{
    unsigned rem = (unsigned)(b->n_data % 4);

    *out_size = 0;
    if (b->why)
        return -1;
    if ((rem == 0 && b->n_pad != 0) || rem == 1 || (rem == 2 && b->n_pad != 2) ||
        (rem == 3 && b->n_pad != 1)) {
        b->why = b->n_pad ? "the '=' padding does not match the length"
                          : "the length is not a multiple of 4 (missing '=' padding?)";
        b->bad_at = b->off;
        return -1;
    }
    *out_size = b->n_data / 4 * 3 + (rem == 2 ? 1 : rem == 3 ? 2 : 0);
    return 0;
}

size_t kv_b64_encoded_len(size_t n, int *overflow)
{
    size_t groups = n / 3 + (n % 3 != 0);

    *overflow = 0;
    if (groups > SIZE_MAX / 4) {
        *overflow = 1;
        return 0;
    }
    return groups * 4;
}

int kv_b64_valid(const char *s, size_t len, size_t *out_size)
{
    struct kv_b64_scan b;
    uint64_t size;

    kv_b64_scan_init(&b, 0);
    kv_b64_scan_feed(&b, s, len);
    if (kv_b64_scan_end(&b, &size) < 0)
        return 0;
    if (out_size)
        *out_size = (size_t)size;
    return 1;
}

int kv_b64_encode(const void *data, size_t len, size_t max, char **out, size_t *out_len)
{
    const unsigned char *in = data;
    size_t enc, done = 0, w = 0;
    int overflow;
    char *buf;

    enc = kv_b64_encoded_len(len, &overflow);
    if (overflow || enc > max || enc == SIZE_MAX)
        return KV_ETOOBIG;
    buf = kv_xmalloc(enc + 1);
    while (done < len) {
        size_t n = len - done > ENC_CHUNK ? ENC_CHUNK : len - done;
        int r = EVP_EncodeBlock((unsigned char *)buf + w, in + done, (int)n);
        w += (size_t)r;
        done += n;
    }
    buf[w] = '\0';
    *out = buf;
    *out_len = w;
    return 0;
}

int kv_b64_decode(const char *s, size_t len, size_t max, unsigned char **out, size_t *out_len)
{
    size_t size, done = 0, w = 0;
    unsigned char *buf;

    if (!kv_b64_valid(s, len, &size))
        return KV_EINVAL;
    if (size > max)
        return KV_ETOOBIG;
    /* EVP_DecodeBlock writes 3 bytes per group including padding groups: room for that. */
    buf = kv_xmalloc(len / 4 * 3 + 1);
    while (done < len) {
        size_t n = len - done > DEC_CHUNK ? DEC_CHUNK : len - done;
        int r = EVP_DecodeBlock(buf + w, (const unsigned char *)s + done, (int)n);
        if (r < 0) {
            free(buf);
            return KV_EINVAL;
        }
        w += (size_t)r;
        done += n;
    }
    *out = buf;
    *out_len = size; /* w counts padding as data; size is exact */
    (void)w;
    return 0;
}

size_t kv_b64url_encode(const void *data, size_t len, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    size_t i, o = 0;
    uint32_t v;

    for (i = 0; i + 2 < len; i += 3) {
        v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (len - i == 1) {
        v = (uint32_t)p[i] << 16;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
    } else if (len - i == 2) {
        v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

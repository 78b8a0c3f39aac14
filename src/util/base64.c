/* SPDX-License-Identifier: MIT
 *
 * base64.c: bounded, validating base64 over OpenSSL's block codec (see base64.h). OpenSSL's
 * EVP_DecodeBlock accepts some malformed input (padding in the middle, surrounding
 * whitespace) and reports padding bytes as data, so input is validated here first and the
 * padding subtracted; both OpenSSL calls take int lengths, hence the chunking.
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

/* 1 for the 64 characters of the base64 alphabet (RFC 4648 section 4), by byte value: one
 * load per character instead of five range tests (attachments are tens of megabytes). */
static const unsigned char B64_ALPHABET[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

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
    const unsigned char *p = (const unsigned char *)s;
    size_t i, pad = 0;

    if (len % 4 != 0)
        return 0;
    if (len > 0 && p[len - 1] == '=') {
        pad = 1;
        if (p[len - 2] == '=')
            pad = 2;
    }
    {
        unsigned char all = 1;

        /* no early exit: the loop stays branch-free and vectorises; failure is rare */
        for (i = 0; i < len - pad; i++)
            all &= B64_ALPHABET[p[i]];
        if (!all)
            return 0;
    }
    if (out_size)
        *out_size = len / 4 * 3 - pad;
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

/* SPDX-License-Identifier: MIT
 *
 * crypto.c: the hub's small cryptographic helpers (see crypto.h) on OpenSSL's libcrypto:
 * EVP SHA-256, RAND_bytes, CRYPTO_memcmp. Base64 goes through util/base64.h, which wraps
 * EVP_EncodeBlock/EVP_DecodeBlock with strict validation and exact padding handling, so there
 * is one base64 implementation in the tree.
 */
#include "util/crypto.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/base64.h"
#include "util/err.h"

static const char HEX[] = "0123456789abcdef";

void kv_sha256_hex(const void *data, size_t len, char out[KV_SHA256_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;

    /* EVP_Digest only fails on allocation failure or a broken provider: treat as fatal. */
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        fprintf(stderr, "kuvert: fatal: SHA-256 unavailable\n");
        abort();
    }
    for (i = 0; i < 32; i++) {
        out[2 * i] = HEX[md[i] >> 4];
        out[2 * i + 1] = HEX[md[i] & 15];
    }
    out[KV_SHA256_HEX_LEN] = '\0';
}

int kv_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;

    while (len > 0) {
        int n = len > INT32_MAX ? INT32_MAX : (int)len;

        if (RAND_bytes(p, n) != 1)
            return KV_EINTERNAL;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int kv_uuid_v4(char out[37])
{
    unsigned char b[16];
    int i, o = 0;

    if (kv_random_bytes(b, sizeof(b)) < 0)
        return KV_EINTERNAL;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = HEX[b[i] >> 4];
        out[o++] = HEX[b[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

int kv_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

char *kv_base64_encode(const void *data, size_t len)
{
    char *out = NULL;
    size_t outlen;

    /* No practical bound for the small values this is for; SIZE_MAX only guards overflow. */
    if (kv_b64_encode(data, len, SIZE_MAX - 1, &out, &outlen) < 0)
        return NULL;
    return out;
}

int kv_base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
    int rc;

    *out = NULL;
    *out_len = 0;
    rc = kv_b64_decode(s, len, SIZE_MAX, out, out_len);
    return rc < 0 ? KV_EINVAL : 0;
}

/* SPDX-License-Identifier: MIT
 *
 * crypto.c: the hub's small cryptographic helpers (see crypto.h) on OpenSSL's libcrypto:
 * EVP SHA-256, RAND_bytes, CRYPTO_memcmp, HMAC. Base64 is not here: util/base64.h is the one
 * base64 API.
 *
 * Hot paths (every stored letter hashes its body and three events and draws several UUIDs):
 * SHA-256 uses an implementation fetched once (EVP_MD_fetch) instead of an implicit fetch per
 * call, and a digest context per thread (made on the thread's first hash, freed by a
 * pthread_key destructor when the thread ends) instead of EVP_Digest's context allocated and
 * freed per call. kv_uuid_v4 (and kv_uuid_v7) take their 16 bytes from a per-thread pool
 * refilled from RAND_bytes 512 bytes at a time (the same CSPRNG output, one call per 32
 * UUIDs). A pthread_atfork handler empties the pool in a forked child (whose only thread is
 * the forking one), so a child never repeats its parent's bytes.
 */
#include "util/crypto.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "util/base64.h"
#include "util/err.h"

/* "00" .. "ff": a byte's two lowercase hex digits per look-up, the one hex table of the hashes'
 * and UUIDs' text. Half the look-ups of a digit at a time and no shifts: an event hash (three
 * per stored letter) measured 95 instructions fewer with it than with a nibble table. */
static const char HEX2[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                           "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                           "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                           "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                           "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                           "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                           "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                           "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

#define POOL_BYTES 512u /* random bytes drawn per RAND_bytes call for UUIDs */

static pthread_once_t sha_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha_md; /* owned for the process lifetime; NULL: fall back to EVP_sha256() */
static pthread_key_t sha_key; /* this thread's EVP_MD_CTX, freed when the thread ends */
static int sha_key_ok;        /* 1 when sha_key was created */

/* Per-thread pool of random bytes for kv_uuid_v4 (no heap: nothing to free at thread exit). */
static _Thread_local unsigned char pool[POOL_BYTES]; /* unused bytes are pool[pool_off..] */
static _Thread_local size_t pool_off = POOL_BYTES;   /* POOL_BYTES = empty */
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_drop(void)
{
    OPENSSL_cleanse(pool, sizeof(pool));
    pool_off = POOL_BYTES;
}

static void pool_init(void)
{
    (void)pthread_atfork(NULL, NULL, pool_drop);
}

static void sha_ctx_free(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void sha_fetch(void)
{
    sha_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    sha_key_ok = sha_md && pthread_key_create(&sha_key, sha_ctx_free) == 0;
}

static void sha_fatal(void)
{
    /* Only an allocation failure or a broken provider gets here. */
    fprintf(stderr, "kuvert: fatal: SHA-256 unavailable\n");
    abort();
}

/* This thread's SHA-256 context, made on its first use; NULL when none can be kept (the
 * caller then takes EVP_Digest's path). glibc clears the key's slot before its destructor
 * runs, so a hash from a later thread-exit destructor makes (and frees) a context anew. */
static EVP_MD_CTX *sha_ctx(void)
{
    EVP_MD_CTX *ctx;

    if (!sha_key_ok)
        return NULL;
    ctx = pthread_getspecific(sha_key);
    if (ctx)
        return ctx;
    ctx = EVP_MD_CTX_new();
    if (ctx && pthread_setspecific(sha_key, ctx) != 0) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

void kv_sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;

    pthread_once(&sha_once, sha_fetch);
    ctx = sha_ctx();
    if (ctx) {
        /* The context and its reference to the digest are kept; OpenSSL 3.0 still frees
         * and allocates the provider's 112-byte SHA-256 state on every init. */
        if (EVP_DigestInit_ex2(ctx, sha_md, NULL) != 1 || EVP_DigestUpdate(ctx, data, len) != 1 ||
            EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
            sha_fatal();
    } else if (EVP_Digest(data, len, md, &mdlen, sha_md ? sha_md : EVP_sha256(), NULL) != 1 ||
               mdlen != 32) {
        sha_fatal();
    }
    memcpy(out, md, 32);
}

void kv_sha256_hex(const void *data, size_t len, char out[KV_SHA256_HEX_LEN + 1])
{
    unsigned char md[32];
    unsigned int i;

    kv_sha256(data, len, md);
    for (i = 0; i < 32; i++)
        memcpy(out + 2 * i, HEX2 + 2 * md[i], 2);
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

/* 16 random bytes from this thread's pool; 0 or KV_EINTERNAL. */
static int pool_take16(unsigned char b[16])
{
    pthread_once(&pool_once, pool_init);
    if (pool_off + 16 > POOL_BYTES) {
        if (kv_random_bytes(pool, sizeof(pool)) < 0)
            return KV_EINTERNAL;
        pool_off = 0;
    }
    memcpy(b, pool + pool_off, 16);
    OPENSSL_cleanse(pool + pool_off, 16); /* a used byte never serves twice */
    pool_off += 16;
    return 0;
}

/* b as a lowercase 8-4-4-4-12 UUID, after setting its version and the RFC 4122 variant. */
static void uuid_format(unsigned char b[16], unsigned version, char out[37])
{
    int i, o = 0;

    b[6] = (unsigned char)((b[6] & 0x0f) | (version << 4));
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        memcpy(out + o, HEX2 + 2 * b[i], 2);
        o += 2;
    }
    out[o] = '\0';
}

int kv_uuid_v4(char out[37])
{
    unsigned char b[16];

    if (pool_take16(b) < 0)
        return KV_EINTERNAL;
    uuid_format(b, 4, out);
    return 0;
}

int kv_uuid_v7(int64_t unix_ms, char out[37])
{
    unsigned char b[16];
    uint64_t ms = unix_ms < 0 ? 0 : (uint64_t)unix_ms;
    int i;

    if (pool_take16(b) < 0)
        return KV_EINTERNAL;
    for (i = 0; i < 6; i++) /* 48-bit big-endian timestamp, then 74 random bits */
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    uuid_format(b, 7, out);
    return 0;
}

int kv_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void kv_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[32])
{
    unsigned int n = 32;

    pthread_once(&sha_once, sha_fetch);
    if (!HMAC(sha_md ? sha_md : EVP_sha256(), key, (int)keylen, data, len, out, &n))
        memset(out, 0, 32);
}


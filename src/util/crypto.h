/* SPDX-License-Identifier: MIT
 *
 * crypto.h: thin wrappers over OpenSSL's libcrypto for what the hub needs: SHA-256 (hex),
 * cryptographically secure random bytes, UUID v4, constant-time comparison, HMAC-SHA-256.
 * (Base64 is util/base64.h.)
 * No primitive is implemented here.
 */
#ifndef KV_UTIL_CRYPTO_H
#define KV_UTIL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define KV_SHA256_HEX_LEN 64

/* Writes the SHA-256 of data (32 bytes) into out. */
void kv_sha256(const void *data, size_t len, unsigned char out[32]);
/* Writes the lowercase hex SHA-256 of data into out (KV_SHA256_HEX_LEN + 1 bytes). */
void kv_sha256_hex(const void *data, size_t len, char out[KV_SHA256_HEX_LEN + 1]);
/* Fills buf with random bytes; returns 0 or KV_EINTERNAL. */
int kv_random_bytes(void *buf, size_t len);
/* Writes a random lowercase UUID v4 into out (37 bytes). */
int kv_uuid_v4(char out[37]);
/* Writes a lowercase UUID v7 (RFC 9562) into out (37 bytes): unix_ms as its 48-bit big-endian
 * timestamp, then 74 random bits. Ids drawn in time order sort in time order, so an index on
 * them grows at its end instead of touching a random page per insert. 0 or KV_EINTERNAL. */
int kv_uuid_v7(int64_t unix_ms, char out[37]);
/* Constant-time equality of two equal-length buffers (1 if equal). */
int kv_ct_equal(const void *a, const void *b, size_t len);
/* HMAC-SHA-256 of data under key into out (32 bytes). */
void kv_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[32]);

#endif

/* SPDX-License-Identifier: MIT
 *
 * crypto.h: thin wrappers over OpenSSL's libcrypto for what the hub needs: SHA-256 (hex),
 * cryptographically secure random bytes, UUID v4, constant-time comparison, base64.
 * No primitive is implemented here.
 */
#ifndef KV_UTIL_CRYPTO_H
#define KV_UTIL_CRYPTO_H

#include <stddef.h>

#define KV_SHA256_HEX_LEN 64

/* Writes the SHA-256 of data (32 bytes) into out. */
void kv_sha256(const void *data, size_t len, unsigned char out[32]);
/* Writes the lowercase hex SHA-256 of data into out (KV_SHA256_HEX_LEN + 1 bytes). */
void kv_sha256_hex(const void *data, size_t len, char out[KV_SHA256_HEX_LEN + 1]);
/* Fills buf with random bytes; returns 0 or KV_EINTERNAL. */
int kv_random_bytes(void *buf, size_t len);
/* Writes a random lowercase UUID v4 into out (37 bytes). */
int kv_uuid_v4(char out[37]);
/* Constant-time equality of two equal-length buffers (1 if equal). */
int kv_ct_equal(const void *a, const void *b, size_t len);
/* HMAC-SHA-256 of data under key into out (32 bytes). */
void kv_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[32]);
/* base64url without padding (RFC 4648 section 5) of len bytes into out, which must hold
 * 4 * ((len + 2) / 3) + 1 bytes; returns the length written. */
size_t kv_base64url_encode(const void *data, size_t len, char *out);
/* Standard base64 encode; returns owned NUL-terminated string (free with free()). */
char *kv_base64_encode(const void *data, size_t len);
/* Decodes standard base64 (no whitespace) into an owned buffer; returns 0 or KV_EINVAL. */
int kv_base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len);

#endif

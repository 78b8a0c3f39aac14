/* SPDX-License-Identifier: MIT
 *
 * base64.h: bounded base64 (RFC 4648 standard alphabet, '=' padding) for MeMo file content,
 * on top of OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock. These add what OpenSSL leaves out:
 * strict validation (alphabet, length, padding only at the end), exact decoded sizes, a size
 * bound checked before allocating, and lengths beyond INT_MAX (processed in chunks).
 * Inputs here carry no whitespace; the MeMo reader strips XML whitespace first.
 * The one base64 API of kuvert: MeMo file content, API tokens, e-mail bodies, and (base64url)
 * session ids and OIDC state.
 */
#ifndef KV_UTIL_BASE64_H
#define KV_UTIL_BASE64_H

#include <stddef.h>

/* Length of the encoding of n bytes (4 * ceil(n / 3)), or 0 with *overflow = 1 when it does
 * not fit in size_t. */
size_t kv_b64_encoded_len(size_t n, int *overflow);

/* 1 when s[0..len) is valid base64 (length a multiple of 4, alphabet A-Z a-z 0-9 + /, at most
 * two '=' and only at the end), else 0. When valid and out_size is non-NULL, *out_size gets
 * the decoded size. The empty string is valid (size 0). */
int kv_b64_valid(const char *s, size_t len, size_t *out_size);

/* Encodes data[0..len) (borrowed) into *out (owned, NUL-terminated; free with free()), length
 * *out_len. Returns 0 or KV_ETOOBIG when the encoding would exceed max bytes. */
int kv_b64_encode(const void *data, size_t len, size_t max, char **out, size_t *out_len);

/* Decodes s[0..len) (borrowed) into *out (owned; free with free(); never NULL on success),
 * *out_len bytes. KV_EINVAL when not valid base64, KV_ETOOBIG when the decoded size exceeds
 * max (checked before allocating). */
int kv_b64_decode(const char *s, size_t len, size_t max, unsigned char **out, size_t *out_len);

/* base64url without padding (RFC 4648 section 5) of data[0..len) into out, which must hold
 * 4 * ((len + 2) / 3) + 1 bytes; returns the length written (NUL-terminated). */
size_t kv_b64url_encode(const void *data, size_t len, char *out);

#endif

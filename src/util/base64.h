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
#include <stdint.h>

/* Length of the encoding of n bytes (4 * ceil(n / 3)), or 0 with *overflow = 1 when it does
 * not fit in size_t. */
size_t kv_b64_encoded_len(size_t n, int *overflow);

/* 1 when s[0..len) is valid base64 (length a multiple of 4, alphabet A-Z a-z 0-9 + /, at most
 * two '=' and only at the end), else 0. When valid and out_size is non-NULL, *out_size gets
 * the decoded size. The empty string is valid (size 0). A kv_b64_scan without whitespace. */
int kv_b64_valid(const char *s, size_t len, size_t *out_size);

/* Streaming validation of base64 that may arrive in pieces (the text nodes of a MeMo File
 * content) and may carry XML whitespace between characters: sixteen bytes at a time, no
 * allocation. Init, feed every piece in order, then end. A plain value; nothing owned. */
#define KV_B64_XML_SPACE 1 /* flag: skip ' ', TAB, CR and LF anywhere */
struct kv_b64_scan {
    uint64_t n_data; /* alphabet characters seen */
    unsigned n_pad;  /* '=' characters seen */
    uint64_t off;    /* bytes fed so far (for error offsets) */
    int flags;       /* KV_B64_* */
    const char *why; /* static reason once invalid, else NULL */
    uint64_t bad_at; /* offset (over all pieces) of the problem */
};
void kv_b64_scan_init(struct kv_b64_scan *b, int flags);
void kv_b64_scan_feed(struct kv_b64_scan *b, const void *s, size_t len);
/* Marks the scan invalid with a static reason at the current offset (a caller that meets
 * something that is not text, e.g. markup inside the content). */
void kv_b64_scan_fail(struct kv_b64_scan *b, const char *why);
/* 0 and *out_size = the decoded size when everything fed is valid base64; -1 (and
 * *out_size = 0) otherwise, with b->why and b->bad_at saying what and where. */
int kv_b64_scan_end(struct kv_b64_scan *b, uint64_t *out_size);

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

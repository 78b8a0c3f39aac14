/* SPDX-License-Identifier: MIT
 *
 * buf.h: an owning, bounded, always NUL-terminated growable byte buffer (curl dynbuf / git
 * strbuf). Every buffer has a maximum size fixed at init; appends beyond it fail with
 * KV_ETOOBIG and leave the buffer unchanged.
 */
#ifndef KV_UTIL_BUF_H
#define KV_UTIL_BUF_H

#include <stddef.h>

struct kv_buf {
    char *buf;  /* NUL-terminated contents; never NULL after kv_buf_init */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard limit on len */
};

void kv_buf_init(struct kv_buf *b, size_t max);
/* Frees the contents; idempotent, leaves b re-usable after kv_buf_init. */
void kv_buf_release(struct kv_buf *b);
void kv_buf_reset(struct kv_buf *b);
/* Makes room for n more bytes without changing len; KV_ETOOBIG past max. */
int kv_buf_reserve(struct kv_buf *b, size_t n);
int kv_buf_append(struct kv_buf *b, const void *data, size_t len);
int kv_buf_puts(struct kv_buf *b, const char *s);
/* kv_buf_puts of a string literal, its length known at compile time (no strlen); lit must be
 * a literal (the "" pasting refuses anything else). */
#define kv_buf_put_lit(b, lit) kv_buf_append((b), "" lit "", sizeof("" lit "") - 1)
int kv_buf_printf(struct kv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s (UTF-8) as a JSON string literal, escaped as jansson's encoder escapes it without
 * flags: '"' and backslash, then \b \f \n \r \t, other bytes below 0x20 as \u00XX;
 * everything else as it is. NULL appends null. */
int kv_buf_json_str(struct kv_buf *b, const char *s);
/* Returns the owned contents (free with free()) and re-initialises b empty. */
char *kv_buf_detach(struct kv_buf *b, size_t *out_len);

#endif

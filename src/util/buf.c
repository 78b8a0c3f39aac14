/* SPDX-License-Identifier: MIT
 *
 * buf.c: bounded growable buffer. See buf.h for the invariants.
 */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/xmalloc.h"

static char empty_str[1];

void kv_buf_init(struct kv_buf *b, size_t max)
{
    b->buf = empty_str;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void kv_buf_release(struct kv_buf *b)
{
    if (b->cap)
        free(b->buf);
    b->buf = empty_str;
    b->len = 0;
    b->cap = 0;
}

void kv_buf_reset(struct kv_buf *b)
{
    b->len = 0;
    if (b->cap)
        b->buf[0] = '\0';
}

static int grow(struct kv_buf *b, size_t add)
{
    size_t need, cap;

    if (add > b->max || b->len > b->max - add)
        return KV_ETOOBIG;
    need = b->len + add + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap * 2 : 64;
    if (cap < need)
        cap = need; /* a large append or reserve allocates exactly what it needs */
    if (b->cap == 0) {
        b->buf = kv_xmalloc(cap);
        b->buf[0] = '\0';
    } else {
        b->buf = kv_xrealloc(b->buf, cap);
    }
    b->cap = cap;
    return 0;
}

int kv_buf_reserve(struct kv_buf *b, size_t n)
{
    return grow(b, n);
}

int kv_buf_append(struct kv_buf *b, const void *data, size_t len)
{
    int rc = grow(b, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(b->buf + b->len, data, len);
    b->len += len;
    if (b->cap)
        b->buf[b->len] = '\0';
    return 0;
}

int kv_buf_puts(struct kv_buf *b, const char *s)
{
    return kv_buf_append(b, s, strlen(s));
}

int kv_buf_printf(struct kv_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return KV_EINVAL;
    rc = grow(b, (size_t)n);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *kv_buf_detach(struct kv_buf *b, size_t *out_len)
{
    char *p;

    if (b->cap == 0) {
        p = kv_xstrdup("");
    } else {
        p = b->buf;
    }
    if (out_len)
        *out_len = b->len;
    b->buf = empty_str;
    b->len = 0;
    b->cap = 0;
    return p;
}

int kv_buf_json_str(struct kv_buf *b, const char *s)
{
    const char *run;
    char esc[8];
    int rc;

    if (!s)
        return kv_buf_puts(b, "null");
    rc = kv_buf_append(b, "\"", 1);
    while (rc == 0 && *s) {
        unsigned char c;

        for (run = s; *s && (unsigned char)*s >= 0x20 && *s != '"' && *s != '\\'; s++)
            ;
        if (s > run)
            rc = kv_buf_append(b, run, (size_t)(s - run));
        if (rc < 0 || !*s)
            break;
        c = (unsigned char)*s++;
        switch (c) {
        case '"':
            rc = kv_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            rc = kv_buf_append(b, "\\\\", 2);
            break;
        case '\b':
            rc = kv_buf_append(b, "\\b", 2);
            break;
        case '\f':
            rc = kv_buf_append(b, "\\f", 2);
            break;
        case '\n':
            rc = kv_buf_append(b, "\\n", 2);
            break;
        case '\r':
            rc = kv_buf_append(b, "\\r", 2);
            break;
        case '\t':
            rc = kv_buf_append(b, "\\t", 2);
            break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04X", c);
            rc = kv_buf_append(b, esc, 6);
        }
    }
    return rc == 0 ? kv_buf_append(b, "\"", 1) : rc;
}

/* SPDX-License-Identifier: MIT
 *
 * html.c: the HTML builder and its context-aware escaping (see html.h). Every dynamic value
 * on every page passes through esc_text, esc_url or esc_component here; nothing else in
 * src/web writes into a page buffer.
 */
#include "web/html.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"
#include "web/i18n.h"

void kv_html_init(struct kv_html *h, const struct kv_i18n_lang *lang)
{
    kv_buf_init(&h->b, KV_HTML_MAX);
    h->lang = lang;
    h->failed = 0;
}

void kv_html_release(struct kv_html *h)
{
    kv_buf_release(&h->b);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n, i;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void kv_html_esc_text(struct kv_buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n;

    while (*s) {
        switch (*s) {
        case '&': kv_buf_puts(b, "&amp;"); s++; continue;
        case '<': kv_buf_puts(b, "&lt;"); s++; continue;
        case '>': kv_buf_puts(b, "&gt;"); s++; continue;
        case '"': kv_buf_puts(b, "&quot;"); s++; continue;
        case '\'': kv_buf_puts(b, "&#39;"); s++; continue;
        default: break;
        }
        if (*s < 0x20 && *s != '\t' && *s != '\n') {
            s++;
            continue;
        }
        if (*s == 0x7f) {
            s++;
            continue;
        }
        n = utf8_len(s);
        if (n == 0) {
            kv_buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
            s++;
            continue;
        }
        kv_buf_append(b, s, n);
        s += n;
    }
}

int kv_html_same_site_path(const char *u)
{
    const char *p;

    if (!u || u[0] != '/' || u[1] == '/' || u[1] == '\\')
        return 0;
    for (p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* 1 when url is safe in an href/src/action: a same-site path, or an http(s)/mailto URL. */
static int url_safe(const char *u)
{
    if (u[0] == '/')
        return kv_html_same_site_path(u);
    if (u[0] == '?' || u[0] == '#')
        return 1;
    return strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0 ||
           strncasecmp(u, "mailto:", 7) == 0;
}

void kv_html_esc_url(struct kv_buf *b, const char *s)
{
    const char *p;

    if (!s || !url_safe(s)) {
        kv_buf_puts(b, "#");
        return;
    }
    for (p = s; *p; p++) /* no whitespace or controls in a URL attribute */
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            kv_buf_puts(b, "#");
            return;
        }
    kv_html_esc_text(b, s);
}

void kv_html_esc_component(struct kv_buf *b, const char *str)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    char enc[3];

    for (; *s; s++) {
        if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
            *s == '-' || *s == '.' || *s == '_' || *s == '~') {
            kv_buf_append(b, s, 1);
            continue;
        }
        enc[0] = '%';
        enc[1] = hex[*s >> 4];
        enc[2] = hex[*s & 15];
        kv_buf_append(b, enc, 3);
    }
}

void kv__html(struct kv_html *h, const char *tmpl, ...)
{
    va_list ap;
    const char *p = tmpl, *lit;
    char num[32];

    va_start(ap, tmpl);
    while (*p) {
        lit = p;
        while (*p && *p != '%')
            p++;
        if (p > lit && kv_buf_append(&h->b, lit, (size_t)(p - lit)) < 0)
            h->failed = 1;
        if (!*p)
            break;
        p++;
        switch (*p) {
        case 't':
        case 'a': kv_html_esc_text(&h->b, va_arg(ap, const char *)); break;
        case 'u': kv_html_esc_url(&h->b, va_arg(ap, const char *)); break;
        case 'q': kv_html_esc_component(&h->b, va_arg(ap, const char *)); break;
        case 'm': kv_html_esc_text(&h->b, kv_i18n_get(h->lang, va_arg(ap, const char *))); break;
        case 'd':
            snprintf(num, sizeof(num), "%d", va_arg(ap, int));
            kv_buf_puts(&h->b, num);
            break;
        case 'D':
            snprintf(num, sizeof(num), "%" PRId64, va_arg(ap, int64_t));
            kv_buf_puts(&h->b, num);
            break;
        case '%': kv_buf_puts(&h->b, "%"); break;
        default:
            /* A template bug: stop here rather than guess at the arguments. */
            kv_log(KV_LOG_ERROR, "html template has unknown placeholder %%%c", *p ? *p : '0');
            h->failed = 1;
            va_end(ap);
            return;
        }
        p++;
    }
    va_end(ap);
    if (h->b.len + 1 >= h->b.max)
        h->failed = 1;
}

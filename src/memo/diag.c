/* SPDX-License-Identifier: MIT
 *
 * diag.c: the bounded diagnostic list. See diag.h.
 */
#include "memo/diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"
#include "util/xmalloc.h"

void kv_memo_diags_init(struct kv_memo_diags *d)
{
    memset(d, 0, sizeof(*d));
}

void kv_memo_diags_release(struct kv_memo_diags *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        free(d->items[i].path);
        free(d->items[i].message);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

/* The code point of the UTF-8 character at s[0..n) when it is one that changes how the text
 * around it is shown: a C1 control (U+0080-U+009F; U+009B is CSI to some terminals), a
 * bidirectional formatting character (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069: a
 * right-to-left override in a quoted file name turns the rest of the message around) or a
 * line or paragraph separator (U+2028, U+2029); else 0. */
static unsigned invisible(const unsigned char *s, size_t n)
{
    if (n == 2 && s[0] == 0xC2 && s[1] <= 0x9F)
        return s[1];
    if (n == 3 && s[0] == 0xE2 && s[1] == 0x80 &&
        (s[2] == 0x8E || s[2] == 0x8F || (s[2] >= 0xA8 && s[2] <= 0xAE)))
        return 0x2000u + (s[2] - 0x80u);
    if (n == 3 && s[0] == 0xE2 && s[1] == 0x81 && s[2] >= 0xA6 && s[2] <= 0xA9)
        return 0x2040u + (s[2] - 0x80u);
    return 0;
}

/* Writes the characters of invisible() in msg[] (valid UTF-8, in a buffer of size bytes) as
 * "\uXXXX", so a message shows what the letter holds instead of acting on it; a message that
 * no longer fits is cut at a character and ends in "...". Nothing is copied when there is
 * nothing to escape (the usual case). */
static void escape_invisible(char *msg, size_t size)
{
    char out[1024];
    const unsigned char *s = (const unsigned char *)msg;
    size_t i, n, o = 0, len = strlen(msg);
    unsigned cp;
    int any = 0, cut = 0;

    for (i = 0; i < len && !any; i += n) {
        n = kv_str_utf8_char(msg + i);
        any = invisible(s + i, n) != 0;
    }
    if (!any || size > sizeof(out))
        return;
    for (i = 0; i < len; i += n) {
        char esc[12];
        const char *put = msg + i;
        size_t k;

        n = kv_str_utf8_char(msg + i);
        k = n;
        cp = invisible(s + i, n);
        if (cp) {
            snprintf(esc, sizeof(esc), "\\u%04x", cp);
            put = esc;
            k = 6;
        }
        if (o + k + 4 > size) { /* keep room for "..." and the NUL */
            cut = 1;
            break;
        }
        memcpy(out + o, put, k);
        o += k;
    }
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}

void kv_memo_diags_vadd(struct kv_memo_diags *d, enum kv_memo_severity sev, const char *rule,
                        unsigned long line, unsigned long col, const char *path, const char *fmt,
                        va_list ap)
{
    struct kv_memo_diag *g;
    char msg[1024];
    int cut;

    if (sev == KV_MEMO_ERROR)
        d->n_errors++;
    else
        d->n_warnings++;
    if (sev != KV_MEMO_ERROR && d->skip_warnings)
        return;
    if (d->n >= KV_MEMO_DIAGS_MAX) {
        d->n_dropped++;
        return;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->items = kv_xrealloc(d->items, d->cap * sizeof(*d->items));
    }
    /* every message valid UTF-8 (a cut inside a character, a stray byte of the letter's) */
    cut = vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg);
    kv_str_utf8_repair(msg, sizeof(msg), cut);
    escape_invisible(msg, sizeof(msg));
    g = &d->items[d->n++];
    g->severity = sev;
    snprintf(g->rule, sizeof(g->rule), "%s", rule);
    g->line = line;
    g->col = col;
    g->path = kv_xstrdup(path ? path : "");
    g->message = kv_xstrdup(msg);
}

void kv_memo_diags_add(struct kv_memo_diags *d, enum kv_memo_severity sev, const char *rule,
                       unsigned long line, unsigned long col, const char *path, const char *fmt,
                       ...)
{
    va_list ap;

    va_start(ap, fmt);
    kv_memo_diags_vadd(d, sev, rule, line, col, path, fmt, ap);
    va_end(ap);
}

/* Insertion sort: stable, and n is bounded by KV_MEMO_DIAGS_MAX. */
void kv_memo_diags_sort(struct kv_memo_diags *d)
{
    size_t i, j;

    for (i = 1; i < d->n; i++) {
        struct kv_memo_diag tmp = d->items[i];
        j = i;
        while (j > 0 && (d->items[j - 1].line > tmp.line ||
                         (d->items[j - 1].line == tmp.line && d->items[j - 1].col > tmp.col))) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = tmp;
    }
}

int kv_memo_diags_has(const struct kv_memo_diags *d, const char *rule)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        if (strcmp(d->items[i].rule, rule) == 0)
            return 1;
    return 0;
}

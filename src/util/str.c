/* SPDX-License-Identifier: MIT
 *
 * str.c: the bounded string copy and the UTF-8 character reader. See str.h.
 */
#include "util/str.h"

#include <string.h>

#include "util/xmalloc.h"

int kv_str_copy(char *dst, size_t dstsz, const char *src)
{
    size_t n = src ? strnlen(src, dstsz) : 0;
    int cut = n == dstsz;

    if (cut)
        n = dstsz - 1;
    memmove(dst, src ? src : "", n); /* dst may be src itself */
    dst[n] = '\0';
    return cut ? -1 : 0;
}

size_t kv_str_utf8_char(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned long cp;
    size_t n, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
        cp = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        cp = s[0] & 0x0Fu;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also the terminating NUL */
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

char *kv_str_utf8_or_ascii(const char *s)
{
    char *copy = kv_xstrdup(s);
    size_t i, n;

    for (i = 0; copy[i]; i += n) {
        n = kv_str_utf8_char(copy + i);
        if (n == 0)
            break;
    }
    if (copy[i] != '\0')
        for (i = 0; copy[i]; i++)
            if ((unsigned char)copy[i] >= 0x80)
                copy[i] = '?';
    return copy;
}

void kv_str_utf8_repair(char *msg, size_t size, int truncated)
{
    unsigned char *s = (unsigned char *)msg;
    size_t i = 0, n, len = strlen(msg), lead;

    /* a character cut at the end: back to its lead byte (at most 3 continuation bytes) */
    lead = len;
    while (lead > 0 && len - lead < 3 && (s[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead > 0 && s[lead - 1] >= 0xC2 && s[lead - 1] <= 0xF4 &&
        kv_str_utf8_char(msg + lead - 1) == 0) {
        size_t need = s[lead - 1] >= 0xF0 ? 4 : s[lead - 1] >= 0xE0 ? 3 : 2;
        if (len - (lead - 1) < need) {
            len = lead - 1;
            s[len] = '\0';
            truncated = 1;
        }
    }
    while (i < len) {
        n = kv_str_utf8_char(msg + i);
        if (n == 0) {
            s[i] = '?';
            n = 1;
        }
        i += n;
    }
    if (truncated) {
        while (len + 4 > size && len > 0) { /* room for "...": cut back to a character start */
            len--;
            while (len > 0 && (s[len] & 0xC0) == 0x80)
                len--;
        }
        if (len + 4 <= size)
            memcpy(msg + len, "...", 4);
    }
}

int kv_str_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

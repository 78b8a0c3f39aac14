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

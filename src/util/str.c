/* SPDX-License-Identifier: MIT
 *
 * str.c: the bounded string copy. See str.h.
 */
#include "util/str.h"

#include <string.h>

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

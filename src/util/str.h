/* SPDX-License-Identifier: MIT
 *
 * str.h: the one bounded string copy into a fixed-size field (struct members such as
 * `char id[37]`): what snprintf(dst, n, "%s", src) does, without printf, also when dst and
 * src overlap, and telling the caller whether it had to cut.
 *
 * Ownership: nothing is allocated; dst is the caller's, src is only read.
 */
#ifndef KV_UTIL_STR_H
#define KV_UTIL_STR_H

#include <stddef.h>

/* Copies src (NULL = "") into dst[0..dstsz), cut to dstsz - 1 bytes when longer, always
 * NUL-terminated (dstsz must be >= 1). Returns 0, or -1 when src did not fit (dst then holds
 * the cut copy). */
int kv_str_copy(char *dst, size_t dstsz, const char *src);

#endif

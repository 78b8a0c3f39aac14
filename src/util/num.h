/* SPDX-License-Identifier: MIT
 *
 * num.h: decimal integers in text, both ways. Parsing is strict, for outside input (query
 * parameters, CLI options): digits only, an optional leading '-', no spaces, no '+', no
 * overflow. Writing is the one decimal-digit writer of the hub's hot paths (the event hash's
 * canonical text, the UTC timestamps of receipts and events): two digits per table look-up,
 * no printf, the same text as printf's "%" PRIu64 / "%" PRId64 / "%0*u".
 *
 * Ownership: nothing is allocated; the writers write into the caller's buffer.
 */
#ifndef KV_UTIL_NUM_H
#define KV_UTIL_NUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes of the longest decimal text of a 64-bit integer with its NUL: "-9223372036854775808"
 * and "18446744073709551615" are 20 characters. */
#define KV_NUM_DEC_MAX 21

/* Parses s as a decimal integer in [min, max] into *out. 0 or KV_EINVAL (*out untouched). */
int kv_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Writes x in decimal (1 to 20 digits, no NUL) at p; returns the byte after the last digit. */
char *kv_num_put_u64(char *p, uint64_t x);
/* Writes v in decimal ("-" for a negative v, then its digits) with a NUL into out; returns
 * the length without the NUL (1 to 20). */
size_t kv_num_i64(char out[KV_NUM_DEC_MAX], int64_t v);

/* "00" .. "99" (num.c), for kv_num_put_fixed. */
extern const char kv__num_digits2[];

/* Writes the last width decimal digits of x at p, zero-padded on the left (x mod 10^width;
 * no NUL); returns p + width. Width 0 writes nothing. Inline: its callers pass a constant
 * width (a timestamp's fields), which unrolls it to a look-up or two per field.
 * kv_clock_format_utc measured 179 instructions per call with it, 502 with it out of line
 * and 315 with its own digit-at-a-time writer before. */
static inline char *kv_num_put_fixed(char *p, uint64_t x, size_t width)
{
    size_t i = width;

    while (i >= 2) {
        i -= 2;
        memcpy(p + i, kv__num_digits2 + 2 * (x % 100), 2);
        x /= 100;
    }
    if (i)
        p[0] = (char)('0' + x % 10);
    return p + width;
}

#endif

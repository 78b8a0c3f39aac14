/* SPDX-License-Identifier: MIT
 *
 * str.h: the one bounded string copy into a fixed-size field (struct members such as
 * `char id[37]`): what snprintf(dst, n, "%s", src) does, without printf, also when dst and
 * src overlap, and telling the caller whether it had to cut; and the one reading of UTF-8
 * characters (kv_str_utf8_char), with what is built on it for text that must be UTF-8 (JSON)
 * but comes as bytes (a file name, an archive member's path).
 *
 * Ownership: kv_str_copy allocates nothing (dst is the caller's, src is only read);
 * kv_str_utf8_or_ascii returns an owned copy.
 */
#ifndef KV_UTIL_STR_H
#define KV_UTIL_STR_H

#include <stddef.h>

/* Copies src (NULL = "") into dst[0..dstsz), cut to dstsz - 1 bytes when longer, always
 * NUL-terminated (dstsz must be >= 1). Returns 0, or -1 when src did not fit (dst then holds
 * the cut copy). */
int kv_str_copy(char *dst, size_t dstsz, const char *src);

/* Length (1-4) of the well-formed UTF-8 character at s, 0 when the bytes there are not one: a
 * stray continuation byte, an overlong form, a surrogate, a code point past U+10FFFF, or a
 * character cut short (by the NUL). s[0] must not be the NUL. */
size_t kv_str_utf8_char(const char *s);
/* The value of hex digit c (0-9, a-f, A-F), or -1. */
int kv_str_hex_digit(int c);

/* An owned copy (free()) of s fit for text that must be UTF-8: s as it is when it is UTF-8,
 * else s with every byte outside ASCII replaced by '?'. */
char *kv_str_utf8_or_ascii(const char *s);

/* Makes msg[] (a NUL-terminated text in a buffer of size bytes) valid UTF-8 in place, so it
 * can be shown and put into JSON (jansson refuses a string that is not UTF-8). A text cut
 * short (truncated: vsnprintf's bound, a value cut at a byte count) can end inside a
 * multi-byte character: that character is dropped and "..." marks the cut (the text cut back
 * to a character to make room). Any other byte that is not part of a character becomes '?'.
 * The one repair of diagnostic messages (memo/diag.c) and HTML check findings
 * (memo/html_check.c). */
void kv_str_utf8_repair(char *msg, size_t size, int truncated);

#endif

/* SPDX-License-Identifier: MIT
 *
 * num.h: strict parsing of decimal integers from outside input (query parameters, CLI
 * options): digits only, an optional leading '-', no spaces, no '+', no overflow.
 *
 * Ownership: nothing is allocated.
 */
#ifndef KV_UTIL_NUM_H
#define KV_UTIL_NUM_H

#include <stdint.h>

/* Parses s as a decimal integer in [min, max] into *out. 0 or KV_EINVAL (*out untouched). */
int kv_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif

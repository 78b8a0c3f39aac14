/* SPDX-License-Identifier: MIT
 *
 * num.c: strict decimal integer parsing shared by the API (query and path parameters) and the
 * CLI. See num.h.
 */
#include "util/num.h"

#include <string.h>

#include "util/err.h"

int kv_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    int neg = 0;
    int64_t v = 0;
    size_t i = 0;

    if (!s || !s[0])
        return KV_EINVAL;
    if (s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (!s[i] || i + 19 < strlen(s))
        return KV_EINVAL;
    for (; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return KV_EINVAL;
        if (v > (INT64_MAX - (s[i] - '0')) / 10)
            return KV_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return KV_EINVAL;
    *out = v;
    return 0;
}

/* SPDX-License-Identifier: MIT
 *
 * num.c: decimal integers in text (see num.h): the strict parser shared by the API (query and
 * path parameters) and the CLI, and the one decimal-digit writer, used by the event hash's
 * canonical text (hub/events.c) and the UTC timestamps (util/clock.c). The writer takes two
 * digits at a time from a table of "00" .. "99" (half the divisions of a digit at a time) and
 * writes a number from its last digit backwards, so its length comes out of the writing; the
 * fixed-width form is inline in num.h over the same table.
 */
#include "util/num.h"

#include <string.h>

#include "util/err.h"

int kv_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    int neg = 0;
    uint64_t v = 0, limit = (uint64_t)INT64_MAX; /* the magnitude's bound */
    int64_t x;
    size_t i = 0;

    if (!s || !s[0])
        return KV_EINVAL;
    if (s[0] == '-') {
        neg = 1;
        i = 1;
        limit = (uint64_t)INT64_MAX + 1; /* INT64_MIN's magnitude */
    }
    if (!s[i] || i + 19 < strlen(s))
        return KV_EINVAL;
    for (; s[i]; i++) {
        unsigned d = (unsigned)(s[i] - '0');

        if (s[i] < '0' || s[i] > '9')
            return KV_EINVAL;
        if (v > (limit - d) / 10)
            return KV_EINVAL;
        v = v * 10 + d;
    }
    /* -v without overflow: INT64_MIN's magnitude does not fit an int64_t */
    x = !neg ? (int64_t)v : v == limit ? INT64_MIN : -(int64_t)v;
    if (x < min || x > max)
        return KV_EINVAL;
    *out = x;
    return 0;
}

/* "00" .. "99": two decimal digits per look-up (also kv_num_put_fixed's, inline in num.h). */
const char kv__num_digits2[] = "000102030405060708091011121314151617181920212223242526272829"
                               "303132333435363738394041424344454647484950515253545556575859"
                               "606162636465666768697071727374757677787980818283848586878889"
                               "90919293949596979899";

/* x in decimal, written so that it ends just before end; returns where it starts. */
static char *put_before(char *end, uint64_t x)
{
    while (x >= 100) {
        end -= 2;
        memcpy(end, kv__num_digits2 + 2 * (x % 100), 2);
        x /= 100;
    }
    if (x >= 10) {
        end -= 2;
        memcpy(end, kv__num_digits2 + 2 * x, 2);
    } else {
        *--end = (char)('0' + x);
    }
    return end;
}

char *kv_num_put_u64(char *p, uint64_t x)
{
    char tmp[KV_NUM_DEC_MAX], *b;
    size_t n;

    if (x < 10) {
        *p = (char)('0' + x);
        return p + 1;
    }
    if (x < 100) {
        memcpy(p, kv__num_digits2 + 2 * x, 2);
        return p + 2;
    }
    b = put_before(tmp + sizeof(tmp), x);
    n = (size_t)(tmp + sizeof(tmp) - b);
    memcpy(p, b, n);
    return p + n;
}

size_t kv_num_i64(char out[KV_NUM_DEC_MAX], int64_t v)
{
    /* the magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64_t */
    uint64_t x = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = out;

    if (v < 0)
        *p++ = '-';
    p = kv_num_put_u64(p, x);
    *p = '\0';
    return (size_t)(p - out);
}

/* SPDX-License-Identifier: MIT
 *
 * clock.c: the hub's clock (see clock.h): real UTC time plus a process-wide test offset held
 * in a C11 atomic, ISO-8601 formatting, a small duration parser ("1d12h", "500ms") and
 * 00:00 Europe/Copenhagen for a civil date by the EU summer-time rule, computed without the
 * system's time-zone database so results do not depend on the host.
 */
#include "util/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/crypto.h"
#include "util/err.h"
#include "util/num.h"

#define MS_PER_S INT64_C(1000)
#define MS_PER_MIN (60 * MS_PER_S)
#define MS_PER_H (60 * MS_PER_MIN)
#define MS_PER_DAY (24 * MS_PER_H)
#define DURATION_MAX (3660 * MS_PER_DAY) /* 10 years (with leap days) */

static _Atomic int64_t offset_ms;

int64_t kv_clock_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * MS_PER_S + ts.tv_nsec / 1000000 +
           atomic_load_explicit(&offset_ms, memory_order_relaxed);
}

void kv_clock_advance_ms(int64_t delta_ms)
{
    if (delta_ms > 0)
        atomic_fetch_add_explicit(&offset_ms, delta_ms, memory_order_relaxed);
}

int64_t kv_clock_offset_ms(void)
{
    return atomic_load_explicit(&offset_ms, memory_order_relaxed);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int num(const char *s, int n, int *out)
{
    int i, v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int kv_clock_parse_utc(const char *s, int64_t *out_ms)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se, leap, ms = 0, scale = 100;
    size_t i = 19;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') /* xs:dateTime collapses */
        s++;
    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || num(s, 4, &y) < 0 || num(s + 5, 2, &mo) < 0 || num(s + 8, 2, &d) < 0 ||
        num(s + 11, 2, &h) < 0 || num(s + 14, 2, &mi) < 0 || num(s + 17, 2, &se) < 0)
        return KV_EINVAL;
    if (s[i] == '.') {
        for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
            ms += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (s[i] != 'Z')
        return KV_EINVAL;
    for (i++; s[i]; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return KV_EINVAL;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 ||
        mi > 59 || se > 59)
        return KV_EINVAL;
    *out_ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL + se * 1000LL + ms;
    return 0;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void kv_clock_format_utc(int64_t ms, char *out, size_t outlen)
{
    int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY, y;
    int m, d;
    char *p = out;

    if (rem < 0) {
        rem += MS_PER_DAY;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    if (outlen == 0)
        return;
    if (y < 0 || y > 9999 || outlen < 25) {
        /* Truncation cannot happen with the documented 32 bytes; fail safe otherwise. */
        if (snprintf(out, outlen, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
                     (int)(rem / MS_PER_H), (int)(rem / MS_PER_MIN % 60),
                     (int)(rem / MS_PER_S % 60), (int)(rem % MS_PER_S)) >= (int)outlen)
            out[0] = '\0';
        return;
    }
    /* The same text without snprintf: a receipt formats two of these per letter, and
     * snprintf was 1 % of a Minimum letter's server CPU (docs/send-api.md). */
    p = kv_num_put_fixed(p, (uint64_t)y, 4);
    *p++ = '-';
    p = kv_num_put_fixed(p, (uint64_t)m, 2);
    *p++ = '-';
    p = kv_num_put_fixed(p, (uint64_t)d, 2);
    *p++ = 'T';
    p = kv_num_put_fixed(p, (uint64_t)(rem / MS_PER_H), 2);
    *p++ = ':';
    p = kv_num_put_fixed(p, (uint64_t)(rem / MS_PER_MIN % 60), 2);
    *p++ = ':';
    p = kv_num_put_fixed(p, (uint64_t)(rem / MS_PER_S % 60), 2);
    *p++ = '.';
    p = kv_num_put_fixed(p, (uint64_t)(rem % MS_PER_S), 3);
    *p++ = 'Z';
    *p = '\0';
}

int kv_clock_parse_duration(const char *s, int64_t *out_ms)
{
    int64_t total = 0;
    const char *p = s;

    *out_ms = 0;
    if (!s || !*s)
        return KV_EINVAL;
    while (*p) {
        int64_t v = 0, unit;
        const char *start = p;

        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (*p - '0');
            if (v > DURATION_MAX)
                return KV_EINVAL;
            p++;
        }
        if (p == start)
            return KV_EINVAL;
        if (p[0] == 'm' && p[1] == 's') {
            unit = 1;
            p += 2;
        } else if (*p == 's') {
            unit = MS_PER_S;
            p++;
        } else if (*p == 'm') {
            unit = MS_PER_MIN;
            p++;
        } else if (*p == 'h') {
            unit = MS_PER_H;
            p++;
        } else if (*p == 'd') {
            unit = MS_PER_DAY;
            p++;
        } else {
            return KV_EINVAL;
        }
        if (v > DURATION_MAX / unit)
            return KV_EINVAL;
        total += v * unit;
        if (total > DURATION_MAX)
            return KV_EINVAL;
    }
    *out_ms = total;
    return 0;
}

/* Unix ms of 01:00 UTC on the last Sunday of month m (31 days: March or October) in year y. */
static int64_t last_sunday_0100z(int y, int m)
{
    int64_t days = days_from_civil(y, m, 31);
    int64_t wd = (days % 7 + 7 + 4) % 7; /* 1970-01-01 was a Thursday (4); 0 = Sunday */

    return (days - wd) * MS_PER_DAY + MS_PER_H;
}

int64_t kv_clock_copenhagen_midnight_ms(int y, int m, int d)
{
    int64_t local = days_from_civil(y, m, d) * MS_PER_DAY;
    int64_t utc = local - MS_PER_H; /* CET, UTC+1 */

    /* Midnight is never inside the 02:00-03:00 switch hours, so testing the CET candidate
     * against the summer-time interval decides the offset. */
    if (utc >= last_sunday_0100z(y, 3) && utc < last_sunday_0100z(y, 10))
        utc = local - 2 * MS_PER_H; /* CEST, UTC+2 */
    return utc;
}

void kv_clock_copenhagen_date(int64_t ms, char out[11])
{
    int64_t day = ms / MS_PER_DAY - (ms % MS_PER_DAY < 0 ? 1 : 0); /* UTC day of ms */
    int64_t y;
    int m, d;

    /* Local time is ahead of UTC: the Copenhagen date is the day after the UTC day when that
     * day's local midnight has passed, else the UTC day. */
    civil_from_days(day + 1, &y, &m, &d);
    if (kv_clock_copenhagen_midnight_ms((int)y, m, d) > ms)
        civil_from_days(day, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", (int)y, m, d);
}

int kv_clock_date_valid(const char *s)
{
    int y, m, d, i, mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)
        mdays[1] = 29;
    return y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1];
}

int64_t kv_clock_copenhagen_offset_ms(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (!gmtime_r(&t, &tm))
        return MS_PER_H;
    return ms >= last_sunday_0100z(tm.tm_year + 1900, 3) &&
                   ms < last_sunday_0100z(tm.tm_year + 1900, 10)
               ? 2 * MS_PER_H
               : MS_PER_H;
}

void kv_clock_deadline(struct timespec *out, int clock_id, int64_t ms)
{
    clock_gettime((clockid_t)clock_id, out);
    out->tv_sec += (time_t)(ms / 1000);
    out->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (out->tv_nsec >= 1000000000L) {
        out->tv_sec++;
        out->tv_nsec -= 1000000000L;
    }
}

void kv_clock_backoff(int attempt)
{
    uint32_t r = 0, ms;
    struct timespec ts;

    if (attempt < 0)
        attempt = 0;
    if (attempt > 8)
        attempt = 8;
    (void)kv_random_bytes(&r, sizeof(r));
    ms = 1 + r % (4u << attempt);
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

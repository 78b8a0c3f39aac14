/* SPDX-License-Identifier: MIT
 *
 * rules_time.c: date and time rules of layer (c). Every memoDateTimeType value must be a real
 * date-time in UTC written with a final "Z" (NGDP-DATETIME-INVALID, NGDP-DATETIME-UTC);
 * doNotDeliverUntilDate must be a real calendar date (NGDP-DATE-INVALID); an Action or
 * Reservation should not end before it starts (NGDP-INTERVAL, warning). Leading and trailing
 * XML whitespace is ignored, as the xs:dateTime and xs:date types collapse it.
 */
#include <string.h>

#include "memo/rules_int.h"

struct stamp {
    long year;          /* 1..9999 */
    int mon, day;       /* 1..12, 1..31 */
    int hour, min, sec; /* 0..23, 0..59, 0..59 */
    const char *frac;   /* digits after '.', borrowed, NULL when none */
    size_t frac_len;    /* number of fraction digits */
    int zone;           /* ZONE_* */
};

enum { ZONE_NONE, ZONE_Z, ZONE_OFFSET };

int kv__rules_valid_ymd(long y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap, max;

    if (m < 1 || m > 12 || d < 1)
        return 0;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    max = mdays[m - 1] + (m == 2 && leap);
    return d <= max;
}

/* Reads exactly n digits at s[*i]; returns the value or -1. */
static long digits(const char *s, size_t len, size_t *i, int n)
{
    long v = 0;
    int k;

    if (*i + (size_t)n > len)
        return -1;
    for (k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    return v;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i < len && s[*i] == c) {
        (*i)++;
        return 1;
    }
    return 0;
}

/* Parses "YYYY-MM-DD"; returns NULL or a static reason. */
static const char *parse_ymd(const char *s, size_t len, size_t *i, struct stamp *t)
{
    if (*i < len && (s[*i] == '-' || s[*i] == '+'))
        return "signed years are not accepted";
    if ((t->year = digits(s, len, i, 4)) < 0 || !expect(s, len, i, '-'))
        return "the year must have exactly four digits followed by '-'";
    if (t->year == 0)
        return "year 0000 does not exist";
    if ((t->mon = (int)digits(s, len, i, 2)) < 0 || !expect(s, len, i, '-'))
        return "the month must be two digits followed by '-'";
    if ((t->day = (int)digits(s, len, i, 2)) < 0)
        return "the day must be two digits";
    if (t->mon < 1 || t->mon > 12)
        return "the month is not 01-12";
    if (!kv__rules_valid_ymd(t->year, t->mon, t->day))
        return "that day does not exist in that month";
    return NULL;
}

/* Parses an optional zone at s[*i] to the end; returns NULL or a static reason. */
static const char *parse_zone(const char *s, size_t len, size_t *i, struct stamp *t)
{
    long hh, mm;

    t->zone = ZONE_NONE;
    if (*i == len)
        return NULL;
    if (s[*i] == 'Z') {
        (*i)++;
        t->zone = ZONE_Z;
    } else if (s[*i] == '+' || s[*i] == '-') {
        (*i)++;
        if ((hh = digits(s, len, i, 2)) < 0 || !expect(s, len, i, ':') ||
            (mm = digits(s, len, i, 2)) < 0)
            return "the time zone offset must be +hh:mm or -hh:mm";
        if (hh > 14 || mm > 59 || (hh == 14 && mm != 0))
            return "the time zone offset is out of range";
        t->zone = ZONE_OFFSET;
    } else {
        return "unexpected characters after the value";
    }
    if (*i != len)
        return "unexpected characters after the time zone";
    return NULL;
}

static const char *parse_datetime(const char *s, size_t len, struct stamp *t)
{
    const char *why;
    size_t i = 0;
    long v;

    memset(t, 0, sizeof(*t));
    if ((why = parse_ymd(s, len, &i, t)))
        return why;
    if (!expect(s, len, &i, 'T'))
        return "the date must be followed by 'T' and a time";
    if ((v = digits(s, len, &i, 2)) < 0 || !expect(s, len, &i, ':'))
        return "the hour must be two digits followed by ':'";
    t->hour = (int)v;
    if ((v = digits(s, len, &i, 2)) < 0 || !expect(s, len, &i, ':'))
        return "the minutes must be two digits followed by ':'";
    t->min = (int)v;
    if ((v = digits(s, len, &i, 2)) < 0)
        return "the seconds must be two digits";
    t->sec = (int)v;
    if (t->hour > 23)
        return "the hour is not 00-23";
    if (t->min > 59)
        return "the minutes are not 00-59";
    if (t->sec > 59)
        return "the seconds are not 00-59";
    if (expect(s, len, &i, '.')) {
        t->frac = s + i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        t->frac_len = (size_t)(s + i - t->frac);
        if (t->frac_len == 0)
            return "a '.' must be followed by fraction digits";
    }
    return parse_zone(s, len, &i, t);
}

void kv__rules_datetime(struct kv__rules *r, xmlNodePtr el)
{
    struct kv__rules_text txt;
    struct stamp t;
    const char *s, *why;
    size_t len;
    char q[96];

    kv__rules_text_get(el, &txt);
    s = txt.s;
    len = txt.len;
    kv__rules_trim(&s, &len);
    why = parse_datetime(s, len, &t);
    if (why || t.zone == ZONE_NONE || t.zone == ZONE_OFFSET)
        kv__rules_quote(q, sizeof(q), s, len); /* only when there is a message */
    if (why)
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-DATETIME-INVALID",
                           "%s %s is not a valid date-time (%s); expected "
                           "YYYY-MM-DDThh:mm:ssZ",
                           (const char *)el->name, q, why);
    else if (t.zone == ZONE_NONE)
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-DATETIME-UTC",
                           "%s %s has no time zone; NgDP requires UTC written with a final 'Z'",
                           (const char *)el->name, q);
    else if (t.zone == ZONE_OFFSET)
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-DATETIME-UTC",
                           "%s %s has a time zone offset; NgDP requires UTC written with a "
                           "final 'Z' (convert to UTC)",
                           (const char *)el->name, q);
    kv__rules_text_release(&txt);
}

void kv__rules_date(struct kv__rules *r, xmlNodePtr el)
{
    struct kv__rules_text txt;
    struct stamp t;
    const char *s, *why;
    size_t len, i = 0;
    char q[96];

    kv__rules_text_get(el, &txt);
    s = txt.s;
    len = txt.len;
    kv__rules_trim(&s, &len);
    memset(&t, 0, sizeof(t));
    why = parse_ymd(s, len, &i, &t);
    if (!why)
        why = parse_zone(s, len, &i, &t);
    if (why) {
        kv__rules_quote(q, sizeof(q), s, len);
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-DATE-INVALID",
                           "%s %s is not a valid calendar date (%s); expected YYYY-MM-DD",
                           (const char *)el->name, q, why);
    }
    kv__rules_text_release(&txt);
}

/* Compares two UTC stamps; <0, 0, >0. */
static int cmp_stamp(const struct stamp *a, const struct stamp *b)
{
    long av[6] = {a->year, a->mon, a->day, a->hour, a->min, a->sec};
    long bv[6] = {b->year, b->mon, b->day, b->hour, b->min, b->sec};
    size_t k, n;
    int i;

    for (i = 0; i < 6; i++)
        if (av[i] != bv[i])
            return av[i] < bv[i] ? -1 : 1;
    n = a->frac_len > b->frac_len ? a->frac_len : b->frac_len;
    for (k = 0; k < n; k++) {
        char ca = k < a->frac_len ? a->frac[k] : '0';
        char cb = k < b->frac_len ? b->frac[k] : '0';
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return 0;
}

/* Parses el's text as a UTC date-time; 0 on success. t->frac points into *txt. */
static int utc_of(xmlNodePtr el, struct kv__rules_text *txt, struct stamp *t)
{
    const char *s;
    size_t len;

    kv__rules_text_get(el, txt);
    s = txt->s;
    len = txt->len;
    kv__rules_trim(&s, &len);
    return parse_datetime(s, len, t) == NULL && t->zone == ZONE_Z ? 0 : -1;
}

void kv__rules_interval(struct kv__rules *r, xmlNodePtr el)
{
    xmlNodePtr start = kv__rules_child(el, KV_MEMO_NS, "startDateTime");
    xmlNodePtr end = kv__rules_child(el, KV_MEMO_NS, "endDateTime");
    struct kv__rules_text ts = {"", 0, NULL}, te = {"", 0, NULL};
    struct stamp a, b;
    int ok_a, ok_b;

    if (!start || !end)
        return;
    ok_a = utc_of(start, &ts, &a) == 0;
    ok_b = utc_of(end, &te, &b) == 0;
    if (ok_a && ok_b && cmp_stamp(&b, &a) < 0)
        kv__memo_diag_node(r->doc, r->d, end, KV_MEMO_WARNING, "NGDP-INTERVAL",
                           "%s ends (endDateTime) before it starts (startDateTime)",
                           (const char *)el->name);
    kv__rules_text_release(&ts);
    kv__rules_text_release(&te);
}

/* SPDX-License-Identifier: MIT
 *
 * read_util.c: connection, the authenticated caller and strict parameter parsing shared by
 * the handlers. See read_util.h.
 */
#include "api/read_util.h"

#include "api/gate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hub/directory.h"
#include "hub/hub.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/num.h"
#include "util/page.h"

int kv__read_db(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db **out)
{
    struct kv_err err = {0};
    int rc = kv_db_acquire(req->hub->store, out, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        *out = NULL;
    }
    return rc;
}

int kv__read_system_auth(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                         struct kv_system *out)
{
    const struct kv__principal *p = kv__principal(req, KV__PRINCIPAL_SYSTEM);

    (void)db;
    if (!p) { /* the route does not declare system access: a table error, refused */
        kv_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"kuvert\"");
        kv_http_resp_error(resp, 401, "UNAUTHORIZED", "a system token is required", NULL);
        return KV_EAUTH;
    }
    *out = p->system;
    return 0;
}

const struct kv_system *kv__read_sender_auth(struct kv_http_req *req, struct kv_http_resp *resp)
{
    const struct kv__principal *p = kv__principal(req, KV__PRINCIPAL_SYSTEM);

    if (!p) { /* the route does not declare system access: a table error, refused */
        kv_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"kuvert\"");
        kv_http_resp_error(resp, 401, "UNAUTHORIZED", "a system token is required", NULL);
        return NULL;
    }
    if (strcmp(p->system.kind, "sender") != 0) {
        kv_http_resp_error(resp, 403, "FORBIDDEN", "only sender systems may send letters", NULL);
        return NULL;
    }
    return &p->system;
}

int kv__read_user_auth(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                       char owner_type[4], char owner_id[11])
{
    const struct kv__principal *p = kv__principal(req, KV__PRINCIPAL_USER);

    (void)db;
    if (!p) {
        kv_http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"kuvert\"");
        kv_http_resp_error(resp, 401, "UNAUTHORIZED", "a user token is required", NULL);
        return KV_EAUTH;
    }
    memcpy(owner_type, p->owner_type, sizeof(p->owner_type));
    memcpy(owner_id, p->owner_id, sizeof(p->owner_id));
    return 0;
}

int kv__read_bad_param(struct kv_http_resp *resp, const char *name, const char *value,
                       const char *message)
{
    json_t *fe = json_array();
    json_t *e = json_object();

    json_object_set_new(e, "resource", json_string("query"));
    json_object_set_new(e, "field", json_string(name));
    json_object_set_new(e, "code", json_string("INVALID"));
    json_object_set_new(e, "message", json_string(message));
    json_object_set_new(e, "rejectedValue", value ? json_string(value) : json_null());
    if (!json_object_get(e, "rejectedValue")) /* value was not UTF-8 */
        json_object_set_new(e, "rejectedValue", json_null());
    json_array_append_new(fe, e);
    kv_http_resp_error(resp, 400, "INVALID_PARAMETER", message, fe);
    return KV_EINVAL;
}

int kv__read_repeated_param(struct kv_http_resp *resp, const char *name, const char *first)
{
    char msg[128];

    snprintf(msg, sizeof(msg), "%s is given more than once; give it once", name);
    return kv__read_bad_param(resp, name, first, msg);
}

int kv__read_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    return kv_parse_int64(s, min, max, out);
}

int kv__read_query_int(struct kv_http_req *req, struct kv_http_resp *resp, const char *name,
                       int64_t def, int64_t min, int64_t max, int64_t *out)
{
    const char *v = kv_http_req_query(req, name);
    char msg[128];

    if (!v) {
        *out = def;
        return 0;
    }
    if (kv_http_req_query_count(req, name) > 1)
        return kv__read_repeated_param(resp, name, v);
    if (kv__read_parse_int(v, min, max, out) == 0)
        return 0;
    snprintf(msg, sizeof(msg), "%s must be an integer between %lld and %lld", name,
             (long long)min, (long long)max);
    return kv__read_bad_param(resp, name, v, msg);
}

int kv__read_query_bool(struct kv_http_req *req, struct kv_http_resp *resp, const char *name,
                        int *out)
{
    const char *v = kv_http_req_query(req, name);
    char msg[96];

    *out = -1;
    if (!v)
        return 0;
    if (kv_http_req_query_count(req, name) > 1)
        return kv__read_repeated_param(resp, name, v);
    if (strcasecmp(v, "true") == 0) { /* "TRUE", "True": as Java and .NET clients write it */
        *out = 1;
        return 0;
    }
    if (strcasecmp(v, "false") == 0) {
        *out = 0;
        return 0;
    }
    snprintf(msg, sizeof(msg), "%s must be true or false", name);
    return kv__read_bad_param(resp, name, v, msg);
}

int kv__read_query_sort(struct kv_http_req *req, struct kv_http_resp *resp,
                        const char *const *names, struct kv_page_order *order)
{
    const char *v = kv_http_req_query(req, "sort");
    struct kv_err err = {0};

    if (kv_page_parse_sort(v, names, order, &err) < 0)
        return kv__read_bad_param(resp, "sort", v, err.msg);
    return 0;
}

int kv__read_query_after(struct kv_http_req *req, struct kv_http_resp *resp, char out[37],
                         const char **dst, int *before)
{
    const char *v, *plain = kv_http_req_query(req, "after");
    const char *plain_before = kv_http_req_query(req, "before");
    const char *name = plain ? "after" : "before", *prefix = plain ? KV_PAGE_AFTER : KV_PAGE_BEFORE;
    char with_prefix[64];
    int i, rc, b = 0;

    *dst = NULL;
    *before = 0;
    for (i = 0; i < 16 && (v = kv_http_req_query_nth(req, "sort", i)); i++) {
        rc = kv_page_parse_cursor(v, out, &b);
        if (rc < 0)
            return kv__read_bad_param(
                resp, "sort", v, "a cursor sort value is after:<UUID> or before:<UUID>[,ASC|DESC]");
        if (rc == 1) {
            *dst = out;
            *before = b;
            return 0;
        }
    }
    if (plain && plain_before)
        return kv__read_bad_param(resp, "before", plain_before,
                                  "after and before are not given together");
    if (!plain)
        plain = plain_before;
    if (!plain)
        return 0;
    snprintf(with_prefix, sizeof(with_prefix), "%s%.40s", prefix, plain);
    if (strlen(plain) > 40 || kv_page_parse_cursor(with_prefix, out, &b) != 1)
        return kv__read_bad_param(resp, name, plain, "the cursor is the UUID of a list element");
    *dst = out;
    *before = b;
    return 0;
}

/* Reads exactly n digits at *p into *out and advances *p. */
static int digits(const char **p, int n, int *out)
{
    int v = 0, i;
    for (i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return KV_EINVAL;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Unix ms of wall-clock time tod_ms after 00:00 on y-m-d in Europe/Copenhagen. On the two
 * switch days the offset changes at 01:00 UTC (02:00 CET -> 03:00 CEST in March, 03:00 CEST
 * -> 02:00 CET in October): the new offset applies when the time it gives is at or after
 * the switch. So a time in the skipped March hour (02:xx) is read with CET, the same instant
 * as 03:xx CEST, and a time in the repeated October hour (02:xx) is the later one, in CET. */
static int64_t copenhagen_local_ms(int y, int mo, int d, int64_t tod_ms)
{
    struct tm tm;
    int64_t day_ms, off_today, off_next, utc;
    int ny = y, nmo = mo, nd = d + 1;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    day_ms = (int64_t)timegm(&tm) * 1000;
    if (nd > days_in_month(y, mo)) {
        nd = 1;
        if (++nmo > 12) {
            nmo = 1;
            ny++;
        }
    }
    off_today = day_ms - kv_clock_copenhagen_midnight_ms(y, mo, d);
    off_next = day_ms + 86400000 - kv_clock_copenhagen_midnight_ms(ny, nmo, nd);
    if (off_today == off_next)
        return day_ms + tod_ms - off_today;
    utc = day_ms + tod_ms - off_next;
    return utc >= day_ms + 3600000 ? utc : day_ms + tod_ms - off_today;
}

int kv__read_parse_time(const char *s, int date_end, int64_t *out_ms)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0, ms = 0, oh = 0, om = 0, sign = 0, local = 0;
    struct tm tm;
    time_t t;

    if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return KV_EINVAL;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return KV_EINVAL;
    if (*p == '\0') {
        if (date_end) {
            if (++d > days_in_month(y, mo)) {
                d = 1;
                if (++mo > 12) {
                    mo = 1;
                    y++;
                }
            }
        }
        *out_ms = kv_clock_copenhagen_midnight_ms(y, mo, d);
        return 0;
    }
    if (*p++ != 'T' || digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
        return KV_EINVAL;
    if (*p == ':') {
        p++;
        if (digits(&p, 2, &se))
            return KV_EINVAL;
        if (*p == '.') {
            int scale = 100, n = 0;
            p++;
            while (*p >= '0' && *p <= '9' && n < 9) {
                ms += (*p - '0') * scale;
                scale /= 10;
                p++;
                n++;
            }
            if (n == 0)
                return KV_EINVAL;
        }
    }
    if (h > 23 || mi > 59 || se > 59)
        return KV_EINVAL;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-' || *p == ' ') {
        /* ' ' is a '+' that the client left unencoded in the query string, which the URL
         * decoding turned into a space: unambiguous before HH:MM. */
        sign = *p == '-' ? -1 : 1;
        p++;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
            return KV_EINVAL;
    } else if (*p == '\0') {
        local = 1; /* no zone: Europe/Copenhagen wall-clock time */
    } else {
        return KV_EINVAL;
    }
    if (*p != '\0')
        return KV_EINVAL;
    if (local) {
        *out_ms = copenhagen_local_ms(y, mo, d, ((int64_t)h * 3600 + mi * 60 + se) * 1000 + ms);
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    t = timegm(&tm);
    *out_ms = (int64_t)t * 1000 + ms - (int64_t)sign * (oh * 3600 + om * 60) * 1000;
    return 0;
}

void kv__read_add_param(struct kv_buf *b, const char *name, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";

    if (!v)
        return;
    kv_buf_printf(b, "&%s=", name);
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':')
            kv_buf_append(b, (const char *)&c, 1);
        else
            kv_buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
}

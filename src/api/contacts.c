/* SPDX-License-Identifier: MIT
 *
 * contacts.c (api): recipient lookup (NgDP "contacts", ngdp-interfaces.md §1a), answering
 * from the hub's mailboxes table.
 *   GET  /apis/v1/contacts/?cprNumber=|cvrNumber=|id=   NgDP's QueryContacts
 *   GET  /apis/v1/contacts/?isBulkLookup=true           NgDP's bulk form: numbers in the body
 *   POST /apis/v1/contacts/bulk                         our documented bulk form
 *   GET  /apis/v1/contacts/{id}                         NgDP's FetchContact: one Contact by id
 *   PUT  /apis/v1/contacts/{id}                         NgDP's UpdateContact, by its owner:
 *                                                       voluntary registration (put_one)
 * cprNumber, cvrNumber and id each take one or more values, comma-joined as NgDP's generated
 * clients send them ("cprNumber=a,b"); the answer holds the contacts of all of them. Bulk
 * bodies are JSON {"cprNumbers": [...], "cvrNumbers": [...]}. At most 1000 numbers per
 * request. An unknown number is simply absent from the answer; a malformed number is a 400
 * ErrorMessage naming it. Spaces and hyphens inside a number ("010170-1234") are ignored. A
 * query that names no number and no id answers only the calling system's own organisation's
 * Contact, as NgDP's appears to (an empty page when it has no mailbox): the register is not
 * listable (docs/openapi.yaml). Any active system token may look up. lastUpdated keeps the
 * contacts changed at or after that time; sortFields orders them (request order without);
 * page and size cut the result (default: one page of all).
 *
 * The answer is NgDP 1.68's ContactSearchResult {contacts, currentPage, totalPages,
 * elementsOnPage, totalElements} of Contact {id, version, type CITIZEN|COMPANY, cprNumber |
 * cvrNumber, eligibleForVoluntaryRegistration, mailboxSubscription {id, version,
 * registrationStatus, publicRegistrationStatus REGISTERED|EXEMPT|CLOSED,
 * exemptThroughPowerOfAttorney, exemptionStart (yyyy-MM-dd), startTime, endTime},
 * lastUpdated, createdDate, transactionId}. Absent values are left out, never null: the
 * generated client types them as non-nullable dates and enums and throws on null.
 * nemSmsSubscription is absent (NemSMS is not offered).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/query_view.h"
#include "api/read_util.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/testid.h"

#define BULK_MAX 1000 /* numbers per bulk request */

static int all_digits(const char *s, size_t n)
{
    size_t i;
    if (strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* 1 when s has the UUID layout (hex digits, dashes at 8, 13, 18, 23). */
static int is_uuid(const char *s)
{
    size_t i;

    if (strlen(s) != 36)
        return 0;
    for (i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23 ? c != '-' : !isxdigit((unsigned char)c))
            return 0;
    }
    return 1;
}

static void set_time(json_t *o, const char *key, int64_t ms)
{
    char ts[32];

    if (ms <= 0)
        return;
    kv_clock_format_utc(ms, ts, sizeof(ts));
    json_object_set_new(o, key, json_string(ts));
}

static void set_text(json_t *o, const char *key, const char *v)
{
    if (v && *v)
        json_object_set_new(o, key, json_string(v));
}

static json_t *contact_json(const struct kv_mailbox *mb)
{
    int citizen = strcmp(mb->owner_type, "CPR") == 0;
    int exempt = strcmp(mb->status, "EXEMPT") == 0;
    int registered = strcmp(mb->status, "REGISTERED") == 0;
    const char *reg = registered ? (mb->voluntary ? "VOLUNTARY_REGISTRATION"
                                                  : "AUTOMATIC_REGISTRATION")
                      : exempt   ? "EXEMPT_OTHER_REASON"
                                 : NULL;
    json_t *sub = json_object();
    json_t *c = json_object();

    set_text(sub, "id", mb->subscription_uuid);
    json_object_set_new(sub, "version", json_integer(mb->version > 0 ? mb->version : 1));
    set_text(sub, "registrationStatus", reg);
    json_object_set_new(sub, "publicRegistrationStatus", json_string(mb->status));
    json_object_set_new(sub, "exemptThroughPowerOfAttorney", json_false());
    if (exempt && mb->created_ms > 0) { /* a date, as NgDP's DateFormatConverter writes it */
        char ts[32];
        kv_clock_format_utc(mb->created_ms, ts, sizeof(ts));
        ts[10] = '\0';
        json_object_set_new(sub, "exemptionStart", json_string(ts));
    }
    set_time(sub, "startTime", mb->created_ms);
    set_time(sub, "endTime", mb->closed_ms);

    set_text(c, "id", mb->uuid);
    json_object_set_new(c, "version", json_integer(mb->version > 0 ? mb->version : 1));
    json_object_set_new(c, "type", json_string(citizen ? "CITIZEN" : "COMPANY"));
    set_text(c, "transactionId", mb->transaction_id);
    json_object_set_new(c, citizen ? "cprNumber" : "cvrNumber", json_string(mb->owner_id));
    json_object_set_new(c, "eligibleForVoluntaryRegistration",
                        json_boolean(citizen && !registered));
    json_object_set_new(c, "mailboxSubscription", sub);
    set_time(c, "lastUpdated", mb->updated_ms);
    set_time(c, "createdDate", mb->created_ms);
    return c;
}

/* Looks up one number and appends its contact to content when known and, with since_ms > 0
 * (lastUpdated), changed at or after since_ms. */
static int lookup(struct kv_db *db, const char *type, const char *number, int64_t since_ms,
                  json_t *content, struct kv_err *err)
{
    struct kv_mailbox mb;
    int rc = kv_mailbox_find(db, type, number, &mb, err);
    if (rc == KV_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    if (since_ms <= 0 || mb.updated_ms >= since_ms)
        json_array_append_new(content, contact_json(&mb));
    return 0;
}

/* Outside test mode (no --test-login) test identities (util/testid.h, docs/testportal.md)
 * are not there: their contacts are dropped from a lookup's content. */
static int test_hidden(const struct kv_http_req *req, const char *type, const char *id)
{
    return !(req->hub->conf && req->hub->conf->test_login) && kv_testid_party(type, id);
}

static void drop_test(const struct kv_http_req *req, json_t *content)
{
    size_t i = json_array_size(content);

    while (i-- > 0) {
        json_t *c = json_array_get(content, i);
        if (test_hidden(req, "CPR", json_string_value(json_object_get(c, "cprNumber"))) ||
            test_hidden(req, "CVR", json_string_value(json_object_get(c, "cvrNumber"))))
            json_array_remove(content, i);
    }
}

/* Contact members sortFields may name (dot notation for the subscription's). */
static const char *const SORTABLE[] = {
    "id", "version", "type", "cprNumber", "cvrNumber", "transactionId", "lastUpdated",
    "createdDate", "eligibleForVoluntaryRegistration", "mailboxSubscription.id",
    "mailboxSubscription.registrationStatus", "mailboxSubscription.publicRegistrationStatus",
    "mailboxSubscription.exemptionStart", "mailboxSubscription.startTime",
    "mailboxSubscription.endTime", NULL};

#define SORT_MAX 3

/* How a lookup's contacts are narrowed, ordered and cut (the generic query parameters). */
struct view {
    int64_t since_ms;       /* lastUpdated: changed at or after it; 0 = any */
    int64_t page, size;     /* zero-based page of size 1..BULK_MAX */
    const char *sort[SORT_MAX]; /* SORTABLE names */
    int desc[SORT_MAX];
    int n_sort;
    struct kv__view gen; /* any and fields (api/query_view.h) */
};

/* Reads lastUpdated (ISO-8601 time or date, a time without zone being Danish time, as for the
 * events API), page, size and sortFields ("field[:asc|:desc],...", at most SORT_MAX of
 * SORTABLE). Writes the 400 itself. */
static int view_params(struct kv_http_req *req, struct kv_http_resp *resp, struct view *v)
{
    static const char sort_msg[] =
        "sortFields is up to 3 Contact fields (id, version, type, cprNumber, cvrNumber, "
        "transactionId, lastUpdated, createdDate, eligibleForVoluntaryRegistration, "
        "mailboxSubscription.<id|registrationStatus|publicRegistrationStatus|exemptionStart|"
        "startTime|endTime>), each optionally followed by :asc or :desc";
    const char *lu = kv_http_req_query(req, "lastUpdated");
    const char *sf = kv_http_req_query(req, "sortFields"), *p, *e, *colon;

    memset(v, 0, sizeof(*v));
    if (kv__read_query_int(req, resp, "page", 0, 0, INT32_MAX, &v->page) < 0 ||
        kv__read_query_int(req, resp, "size", BULK_MAX, 1, BULK_MAX, &v->size) < 0)
        return KV_EINVAL;
    if (lu && kv__read_parse_time(lu, 0, &v->since_ms) < 0)
        return kv__read_bad_param(resp, "lastUpdated", lu,
                                  "lastUpdated must be an ISO-8601 date or time");
    for (p = sf; p; p = e ? e + 1 : NULL) {
        size_t len, flen, k;
        e = strchr(p, ',');
        len = e ? (size_t)(e - p) : strlen(p);
        colon = memchr(p, ':', len);
        flen = colon ? (size_t)(colon - p) : len;
        if (v->n_sort == SORT_MAX)
            return kv__read_bad_param(resp, "sortFields", sf, sort_msg);
        v->desc[v->n_sort] = 0;
        if (colon) {
            size_t dl = len - flen - 1;
            if (dl == 4 && strncasecmp(colon + 1, "desc", 4) == 0)
                v->desc[v->n_sort] = 1;
            else if (!(dl == 3 && strncasecmp(colon + 1, "asc", 3) == 0))
                return kv__read_bad_param(resp, "sortFields", sf, sort_msg);
        }
        for (k = 0; SORTABLE[k]; k++)
            if (strlen(SORTABLE[k]) == flen && memcmp(SORTABLE[k], p, flen) == 0)
                break;
        if (!SORTABLE[k])
            return kv__read_bad_param(resp, "sortFields", sf, sort_msg);
        v->sort[v->n_sort++] = SORTABLE[k];
    }
    return kv__view_parse(req, resp, NULL, &v->gen);
}

/* The member at dotted path name of contact c, or NULL. */
static json_t *member(json_t *c, const char *name)
{
    const char *dot = strchr(name, '.');
    char head[32];

    if (!dot)
        return json_object_get(c, name);
    snprintf(head, sizeof(head), "%.*s", (int)(dot - name), name);
    return json_object_get(json_object_get(c, head), dot + 1);
}

/* Orders two members: absent first, then numbers, booleans and strings by value (dates are
 * fixed-width UTC strings, so they order as times). */
static int cmp_member(json_t *a, json_t *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    if (json_is_boolean(a) || json_is_boolean(b))
        return json_is_true(a) - json_is_true(b);
    if (json_is_integer(a) && json_is_integer(b))
        return (json_integer_value(a) > json_integer_value(b)) -
               (json_integer_value(a) < json_integer_value(b));
    return 0;
}

struct sort_item {
    json_t *c;
    size_t pos; /* request order: the last tie-breaker, so the sort is stable */
};

static int cmp_items(const void *pa, const void *pb, void *arg)
{
    const struct sort_item *a = pa, *b = pb;
    const struct view *v = arg;
    int i, c;

    for (i = 0; i < v->n_sort; i++) {
        c = cmp_member(member(a->c, v->sort[i]), member(b->c, v->sort[i]));
        if (c)
            return v->desc[i] ? -c : c;
    }
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* NgDP's ContactSearchResult of content (taken): sorted by v's sortFields (request order
 * without), page v->page of size v->size. The set is the contacts of the numbers and ids the
 * request names, so a page number cuts the same set on every call (unless a contact's
 * lastUpdated passes the filter meanwhile). With with_next (a query-string lookup), "next"
 * is the relative URL of the next page with the same parameters. */
static json_t *page_of(struct kv_http_req *req, const struct view *v, json_t *content,
                       int with_next)
{
    static const char *const keep[] = {"id",         "cprNumber", "cvrNumber", "lastUpdated",
                                       "sortFields", "any",       "fields",    NULL};
    size_t n, i;
    int64_t pages;
    struct sort_item *items = NULL;
    json_t *o = json_object(), *slice = json_array();

    kv__view_filter_any(&v->gen, content);
    n = json_array_size(content);
    pages = ((int64_t)n + v->size - 1) / v->size;

    if (n > 0) {
        items = calloc(n, sizeof(*items));
        if (!items)
            abort();
        for (i = 0; i < n; i++) {
            items[i].c = json_array_get(content, i);
            items[i].pos = i;
        }
        if (v->n_sort > 0)
            qsort_r(items, n, sizeof(*items), cmp_items, (void *)v);
        for (i = (size_t)(v->page * v->size); i < n && i < (size_t)((v->page + 1) * v->size);
             i++)
            json_array_append(slice, items[i].c);
        free(items);
    }
    json_decref(content);
    kv__view_project(&v->gen, slice);
    json_object_set_new(o, "contacts", slice);
    json_object_set_new(o, "currentPage", json_integer(v->page));
    json_object_set_new(o, "totalPages", json_integer(pages));
    json_object_set_new(o, "elementsOnPage", json_integer((json_int_t)json_array_size(slice)));
    json_object_set_new(o, "totalElements", json_integer((json_int_t)n));
    if (with_next && v->page + 1 < pages) {
        struct kv_buf b;
        kv_buf_init(&b, 65536);
        kv_buf_printf(&b, "%s?page=%lld&size=%lld", req->path, (long long)(v->page + 1),
                      (long long)v->size);
        for (i = 0; keep[i]; i++)
            kv__read_add_param(&b, keep[i], kv_http_req_query(req, keep[i]));
        json_object_set_new(o, "next", json_stringn(b.buf, b.len));
        kv_buf_release(&b);
    }
    return o;
}


static int number_ok(const char *type, const char *v)
{
    return all_digits(v, strcmp(type, "CPR") == 0 ? 10 : 8);
}

/* The number v as written by people and some client systems ("010170-1234", "0101 70 1234",
 * " 33445566 "): spaces, tabs and hyphens are dropped; what is left must be the 10 (CPR) or
 * 8 (CVR) digits. Writes them NUL-terminated into out (at least 11 bytes). 1 when usable. */
static int normalize_number(const char *type, const char *v, char out[11])
{
    size_t want = strcmp(type, "CPR") == 0 ? 10 : 8, n = 0;

    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '-')
            continue;
        if (*v < '0' || *v > '9' || n == want)
            return 0;
        out[n++] = *v;
    }
    out[n] = '\0';
    return n == want && number_ok(type, out);
}

/* Field error for a bulk number that is not a string of the right length. */
static json_t *bulk_field_error(const char *field, size_t idx, json_t *value, const char *msg)
{
    char name[64];
    json_t *e = json_object();
    snprintf(name, sizeof(name), "%s[%zu]", field, idx);
    json_object_set_new(e, "resource", json_string("ContactBulkLookup"));
    json_object_set_new(e, "field", json_string(name));
    json_object_set_new(e, "code", json_string("INVALID"));
    json_object_set_new(e, "message", json_string(msg));
    json_object_set_new(e, "rejectedValue", value ? json_incref(value) : json_null());
    return e;
}

/* Checks one list of the bulk body, replacing each usable number by its normalized digits;
 * appends field errors to fe. Returns its length. */
static size_t check_list(json_t *arr, const char *field, const char *type, json_t *fe)
{
    char digits[11];
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || !normalize_number(type, json_string_value(v), digits))
            json_array_append_new(fe, bulk_field_error(field, i, v,
                                                       strcmp(type, "CPR") == 0
                                                           ? "a CPR number is 10 digits"
                                                           : "a CVR number is 8 digits"));
        else if (strcmp(digits, json_string_value(v)) != 0)
            json_array_set_new(arr, i, json_string(digits));
    }
    return json_array_size(arr);
}

static int run_list(struct kv_db *db, json_t *arr, const char *type, int64_t since_ms,
                    json_t *content, struct kv_err *err)
{
    size_t i, k;
    json_t *v;
    int rc;

    json_array_foreach(arr, i, v) {
        const char *num = json_string_value(v);
        int dup = 0;
        for (k = 0; k < i && !dup; k++)
            dup = strcmp(json_string_value(json_array_get(arr, k)), num) == 0;
        if (dup)
            continue;
        rc = lookup(db, type, num, since_ms, content, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void bulk(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db)
{
    json_t *body = NULL, *cpr, *cvr, *fe = NULL, *content = NULL;
    struct kv_err err = {0};
    struct view v;
    size_t n;
    int rc;

    if (view_params(req, resp, &v) < 0)
        goto out;
    if (kv_http_req_json_object(req, resp, "{\"cprNumbers\": [...], \"cvrNumbers\": [...]}",
                                &body) < 0)
        goto out;
    cpr = json_object_get(body, "cprNumbers");
    cvr = json_object_get(body, "cvrNumbers");
    if ((cpr && !json_is_array(cpr)) || (cvr && !json_is_array(cvr)) || (!cpr && !cvr)) {
        kv_http_resp_error(resp, 400, "INVALID_BODY",
                           "cprNumbers and cvrNumbers must be arrays of strings (at least one)",
                           NULL);
        goto out;
    }
    n = json_array_size(cpr) + json_array_size(cvr);
    if (n > BULK_MAX) {
        char msg[96];
        snprintf(msg, sizeof(msg), "at most %d numbers per bulk lookup (got %zu)", BULK_MAX, n);
        kv_http_resp_error(resp, 400, "TOO_MANY_NUMBERS", msg, NULL);
        goto out;
    }
    fe = json_array();
    if (cpr)
        check_list(cpr, "cprNumbers", "CPR", fe);
    if (cvr)
        check_list(cvr, "cvrNumbers", "CVR", fe);
    if (json_array_size(fe)) {
        kv_http_resp_error(resp, 400, "INVALID_NUMBER", "malformed CPR or CVR number", fe);
        fe = NULL;
        goto out;
    }
    content = json_array();
    rc = cpr ? run_list(db, cpr, "CPR", v.since_ms, content, &err) : 0;
    if (rc == 0 && cvr)
        rc = run_list(db, cvr, "CVR", v.since_ms, content, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    drop_test(req, content);
    kv_http_resp_json(resp, 200, page_of(req, &v, content, 0));
    content = NULL;
out:
    json_decref(content);
    json_decref(fe);
    json_decref(body);
}

/* Splits the comma-joined value v of parameter name into normalized numbers of type (or, for
 * "id", lower-case UUIDs) appended to out. Writes the 400 itself and returns KV_EINVAL on a
 * malformed value or when more than BULK_MAX values are given in all (*count). */
static int split_param(struct kv_http_resp *resp, const char *name, const char *type,
                       const char *v, json_t *out, size_t *count)
{
    char item[64], digits[11];
    const char *p = v, *e;

    for (;;) {
        size_t len;
        e = strchr(p, ',');
        len = e ? (size_t)(e - p) : strlen(p);
        if (++*count > BULK_MAX) {
            char msg[96];
            snprintf(msg, sizeof(msg), "at most %d numbers or ids per lookup", BULK_MAX);
            kv_http_resp_error(resp, 400, "TOO_MANY_NUMBERS", msg, NULL);
            return KV_EINVAL;
        }
        if (len >= sizeof(item))
            len = sizeof(item) - 1; /* too long for any valid value: refused below */
        memcpy(item, p, len);
        item[len] = '\0';
        if (!type) {
            size_t i;
            if (!is_uuid(item))
                return kv__read_bad_param(resp, name, item, "id is a Contact id (a UUID)");
            for (i = 0; item[i]; i++)
                item[i] = (char)(item[i] >= 'A' && item[i] <= 'F' ? item[i] + 32 : item[i]);
            json_array_append_new(out, json_string(item));
        } else if (!normalize_number(type, item, digits)) {
            return kv__read_bad_param(resp, name, item,
                                      strcmp(type, "CPR") == 0 ? "a CPR number is 10 digits"
                                                               : "a CVR number is 8 digits");
        } else {
            json_array_append_new(out, json_string(digits));
        }
        if (!e)
            return 0;
        p = e + 1;
    }
}

/* Looks up Contact ids (lower-case UUIDs), skipping repeats (since_ms as for lookup). */
static int run_ids(struct kv_db *db, json_t *ids, int64_t since_ms, json_t *content,
                   struct kv_err *err)
{
    size_t i, k;
    json_t *v;

    json_array_foreach(ids, i, v) {
        struct kv_mailbox mb;
        int dup = 0, rc;
        for (k = 0; k < i && !dup; k++)
            dup = json_equal(json_array_get(ids, k), v);
        if (dup)
            continue;
        rc = kv_mailbox_find_by_uuid(db, json_string_value(v), &mb, err);
        if (rc == KV_ENOTFOUND)
            continue;
        if (rc < 0)
            return rc;
        if (since_ms <= 0 || mb.updated_ms >= since_ms)
            json_array_append_new(content, contact_json(&mb));
    }
    return 0;
}

/* A query that names no number and no id answers the calling system's own organisation's
 * Contact (when it has a mailbox), as NgDP appears to: sjkp/digitalpost's README shows GET
 * contacts/ in production answering, by our reading, the calling company's own Contact. */
static int single(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                  const struct kv_system *sys)
{
    static const struct {
        const char *name, *type;
    } params[] = {{"cprNumber", "CPR"}, {"cvrNumber", "CVR"}, {"id", NULL}};
    json_t *lists[3] = {NULL, NULL, NULL}, *content = NULL;
    struct kv_err err = {0};
    struct view view;
    size_t count = 0;
    int rc = 0, i;

    rc = view_params(req, resp, &view);
    if (rc < 0)
        return rc;
    for (i = 0; i < 3; i++) {
        const char *v = kv_http_req_query(req, params[i].name);
        lists[i] = json_array();
        if (!v)
            continue;
        if (kv_http_req_query_count(req, params[i].name) > 1) {
            rc = kv__read_repeated_param(resp, params[i].name, v);
            goto out;
        }
        rc = split_param(resp, params[i].name, params[i].type, v, lists[i], &count);
        if (rc < 0)
            goto out;
    }
    if (count == 0 && !kv_http_req_query(req, "cprNumber") &&
        !kv_http_req_query(req, "cvrNumber") && !kv_http_req_query(req, "id"))
        json_array_append_new(lists[1], json_string(sys->org_cvr));
    content = json_array();
    rc = run_list(db, lists[0], "CPR", view.since_ms, content, &err);
    if (rc == 0)
        rc = run_list(db, lists[1], "CVR", view.since_ms, content, &err);
    if (rc == 0)
        rc = run_ids(db, lists[2], view.since_ms, content, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    drop_test(req, content);
    kv_http_resp_json(resp, 200, page_of(req, &view, content, 1));
    content = NULL;
out:
    json_decref(content);
    for (i = 0; i < 3; i++)
        json_decref(lists[i]);
    return rc;
}

static int get_contacts(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    int is_bulk;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0 ||
        kv__read_query_bool(req, resp, "isBulkLookup", &is_bulk) < 0)
        goto out;
    if (is_bulk == 1)
        bulk(req, resp, db);
    else
        single(req, resp, db, &sys);
out:
    kv_db_release(db);
    return 0;
}

static int post_bulk(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) == 0)
        bulk(req, resp, db);
    kv_db_release(db);
    return 0;
}

/* NgDP's FetchContact: the Contact with that id, 404 when there is none (also for an id that
 * is no UUID: the client's id is a Guid, and 404 is what it declares). */
static int get_one(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_mailbox mb;
    struct kv_err err = {0};
    char id[37];
    size_t i;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0)
        goto out;
    rc = is_uuid(req->params[0]) ? 0 : KV_ENOTFOUND;
    if (rc == 0) {
        for (i = 0; i < 36; i++)
            id[i] = (char)tolower((unsigned char)req->params[0][i]);
        id[36] = '\0';
        rc = kv_mailbox_find_by_uuid(db, id, &mb, &err);
    }
    if (rc == 0 && test_hidden(req, mb.owner_type, mb.owner_id))
        rc = KV_ENOTFOUND;
    if (rc == KV_ENOTFOUND)
        kv_http_resp_error(resp, 404, "NOT_FOUND", "no contact with that id", NULL);
    else if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 200, contact_json(&mb));
out:
    kv_db_release(db);
    return 0;
}

/* A fieldError of resource Contact. */
static json_t *contact_fe(const char *field, json_t *value, const char *msg)
{
    json_t *e = json_pack("{s:s,s:s,s:s,s:s}", "resource", "Contact", "field", field, "code",
                          "INVALID", "message", msg);

    json_object_set_new(e, "rejectedValue", value ? json_incref(value) : json_null());
    return e;
}

/* If-Match of UpdateContact: 0 for "*" or what NgDP's generated client sends ("<namespace>.ETag",
 * its member-less ETag class's name: it cannot name a version), else the version of "N",
 * W/"N" or N; -1 when it names none. */
static int64_t contact_if_match(const char *h)
{
    char num[24];
    size_t n;
    int64_t v;

    while (*h == ' ' || *h == '\t')
        h++;
    n = strcspn(h, " \t");
    if (n == 1 && h[0] == '*')
        return 0;
    if (n > 5 && n < 200 && strncmp(h + n - 5, ".ETag", 5) == 0 && !memchr(h, '"', n))
        return 0;
    if (n >= 2 && (h[0] == 'W' || h[0] == 'w') && h[1] == '/') {
        h += 2;
        n -= 2;
    }
    if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
        h++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof(num))
        return -1;
    memcpy(num, h, n);
    num[n] = '\0';
    return kv__read_parse_int(num, 1, INT64_MAX, &v) == 0 ? v : -1;
}

/* The status a Contact body asks for: "REGISTERED", "EXEMPT", "CLOSED", or NULL for no
 * change (members absent, null or UNKNOWN). mailboxSubscription.publicRegistrationStatus
 * names it; without it registrationStatus (AUTOMATIC_/VOLUNTARY_REGISTRATION, EXEMPT_*)
 * does (a client that edits one member of a fetched Contact sends the other unchanged, so
 * publicRegistrationStatus wins). Other members of the body are the server's (id, version, dates,
 * transactionId, eligibleForVoluntaryRegistration) or the owner's identity, which cannot
 * change: a different id, cprNumber or cvrNumber is a fieldError. Adds fieldErrors to fes. */
static const char *wanted_status(const json_t *body, const struct kv_mailbox *mb, json_t *fes)
{
    json_t *sub = json_object_get(body, "mailboxSubscription");
    const char *pub = json_string_value(json_object_get(sub, "publicRegistrationStatus"));
    const char *reg = json_string_value(json_object_get(sub, "registrationStatus"));
    const char *id = json_string_value(json_object_get(body, "id"));
    const char *own = strcmp(mb->owner_type, "CPR") == 0 ? "cprNumber" : "cvrNumber";
    const char *other = strcmp(mb->owner_type, "CPR") == 0 ? "cvrNumber" : "cprNumber";
    const char *num = json_string_value(json_object_get(body, own));
    const char *want = NULL, *from_reg = NULL;

    if (sub && !json_is_null(sub) && !json_is_object(sub))
        json_array_append_new(fes, contact_fe("mailboxSubscription", sub,
                                                    "must be a MailboxSubscription object"));
    if (id && strcmp(id, "00000000-0000-0000-0000-000000000000") != 0 &&
        strcasecmp(id, mb->uuid) != 0)
        json_array_append_new(fes, contact_fe("id", json_object_get(body, "id"),
                                                    "is the path's contact id or absent"));
    if (num && num[0] && strcmp(num, mb->owner_id) != 0)
        json_array_append_new(fes, contact_fe(own, json_object_get(body, own),
                                                    "a contact's number cannot change"));
    if (json_string_value(json_object_get(body, other)) &&
        json_string_value(json_object_get(body, other))[0])
        json_array_append_new(fes, contact_fe(other, json_object_get(body, other),
                                                    "a contact's number cannot change"));
    if (pub && strcmp(pub, "UNKNOWN") != 0) {
        if (strcmp(pub, "REGISTERED") == 0 || strcmp(pub, "EXEMPT") == 0 ||
            strcmp(pub, "CLOSED") == 0)
            want = pub;
        else
            json_array_append_new(
                fes, contact_fe("mailboxSubscription.publicRegistrationStatus",
                                json_object_get(sub, "publicRegistrationStatus"),
                                "is REGISTERED, EXEMPT or CLOSED"));
    }
    if (reg && strcmp(reg, "UNKNOWN") != 0) {
        if (strcmp(reg, "AUTOMATIC_REGISTRATION") == 0 ||
            strcmp(reg, "VOLUNTARY_REGISTRATION") == 0)
            from_reg = "REGISTERED";
        else if (strncmp(reg, "EXEMPT_", 7) == 0)
            from_reg = "EXEMPT";
        if (!want) /* publicRegistrationStatus wins: a fetched Contact edited in one member */
            want = from_reg;
    }
    return want;
}

/* NgDP's UpdateContact (PUT /apis/v1/contacts/{id}) by the contact's owner (a mailbox owner's
 * bearer token): the one change an owner can make is voluntary registration, an EXEMPT
 * mailbox becoming REGISTERED (registrationStatus VOLUNTARY_REGISTRATION). Asking for what
 * already is changes nothing (200); exemption and closing are not self-service (403, as the
 * client declares). Another's or an unknown contact is 404, so ids do not probe. If-Match is
 * required (428): the ETag "<version>", "*", or the generated client's "<namespace>.ETag"
 * (taken as "*"); a stale version is 412. The answer is the Contact with its ETag. */
static int put_one(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_mailbox mb;
    struct kv_err err = {0};
    const char *h = kv_http_req_header(req, "If-Match"), *want;
    char type[4], owner[11], id[37], tag[32];
    json_t *body = NULL, *fes = json_array();
    int64_t expect;
    int stale = 0, rc;
    size_t i;

    if (kv__read_db(req, resp, &db) < 0)
        goto out;
    if (kv__read_user_auth(req, resp, db, type, owner) < 0)
        goto out;
    rc = is_uuid(req->params[0]) ? 0 : KV_ENOTFOUND;
    if (rc == 0) {
        for (i = 0; i < 36; i++)
            id[i] = (char)tolower((unsigned char)req->params[0][i]);
        id[36] = '\0';
        rc = kv_mailbox_find_by_uuid(db, id, &mb, &err);
    }
    if (rc == 0 && (strcmp(mb.owner_type, type) != 0 || strcmp(mb.owner_id, owner) != 0))
        rc = KV_ENOTFOUND; /* another's contact: as if there were none */
    if (rc == KV_ENOTFOUND) {
        kv_http_resp_error(resp, 404, "NOT_FOUND", "no contact with that id", NULL);
        goto out;
    }
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    if (!h) {
        kv_http_resp_error(resp, 428, "PRECONDITION_REQUIRED",
                           "an update needs If-Match with the ETag of the current version", NULL);
        goto out;
    }
    expect = contact_if_match(h);
    if (expect < 0 || (expect > 0 && expect != mb.version)) {
        snprintf(tag, sizeof(tag), "\"%lld\"", (long long)mb.version);
        kv_http_resp_header(resp, "ETag", tag);
        kv_http_resp_error(resp, 412, "PRECONDITION_FAILED",
                           "If-Match does not name the contact's current version (its ETag)",
                           NULL);
        goto out;
    }
    if (kv_http_req_json_object(req, resp, "a Contact", &body) < 0)
        goto out;
    want = wanted_status(body, &mb, fes);
    if (json_array_size(fes) > 0) {
        kv_http_resp_error(resp, 400, "VALIDATION_FAILED", "invalid Contact", fes);
        fes = NULL;
        goto out;
    }
    if (strcmp(mb.status, "CLOSED") == 0 || (want && strcmp(want, "CLOSED") == 0 &&
                                             strcmp(mb.status, "CLOSED") != 0)) {
        kv_http_resp_error(resp, 403, "FORBIDDEN",
                           strcmp(mb.status, "CLOSED") == 0
                               ? "a closed mailbox cannot be changed"
                               : "a mailbox is closed by the operator, not through the API",
                           NULL);
        goto out;
    }
    if (want && strcmp(want, "EXEMPT") == 0 && strcmp(mb.status, "EXEMPT") != 0) {
        kv_http_resp_error(resp, 403, "FORBIDDEN",
                           "exemption from Digital Post is granted by the municipality "
                           "(borgerservice), not through the API",
                           NULL);
        goto out;
    }
    if (want && strcmp(want, "REGISTERED") == 0) {
        rc = kv_mailbox_register(db, mb.uuid, expect, &mb, &stale, &err);
        if (rc < 0) {
            if (stale)
                kv_http_resp_error(resp, 412, "PRECONDITION_FAILED", err.msg, NULL);
            else
                kv_http_resp_from_err(resp, rc, &err);
            goto out;
        }
    }
    snprintf(tag, sizeof(tag), "\"%lld\"", (long long)mb.version);
    kv_http_resp_header(resp, "ETag", tag);
    kv_http_resp_json(resp, 200, contact_json(&mb));
out:
    json_decref(fes);
    json_decref(body);
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_contacts_routes[] = {
    {"GET", "/apis/v1/contacts/", get_contacts, "contacts_lookup", 0, KV_ACCESS_SYSTEM},
    {"POST", "/apis/v1/contacts/bulk", post_bulk, "contacts_bulk", 0, KV_ACCESS_SYSTEM},
    {"GET", "/apis/v1/contacts/{id}", get_one, "contacts_fetch", 0, KV_ACCESS_SYSTEM},
    {"PUT", "/apis/v1/contacts/{id}", put_one, "contacts_update", 0, KV_ACCESS_MAILBOX_WRITE},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

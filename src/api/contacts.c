/* SPDX-License-Identifier: MIT
 *
 * contacts.c (api): recipient lookup (NgDP "contacts", ngdp-interfaces.md §1a), answering
 * from the hub's mailboxes table.
 *   GET  /apis/v1/contacts/?cprNumber=|cvrNumber=|id=   NgDP's QueryContacts
 *   GET  /apis/v1/contacts/?isBulkLookup=true           NgDP's bulk form: numbers in the body
 *   POST /apis/v1/contacts/bulk                         our documented bulk form
 *   GET  /apis/v1/contacts/{id}                         NgDP's FetchContact: one Contact by id
 * cprNumber, cvrNumber and id each take one or more values, comma-joined as NgDP's generated
 * clients send them ("cprNumber=a,b"); the answer holds the contacts of all of them. Bulk
 * bodies are JSON {"cprNumbers": [...], "cvrNumbers": [...]}. At most 1000 numbers per
 * request. An unknown number is simply absent from the answer; a malformed number is a 400
 * ErrorMessage naming it. Spaces and hyphens inside a number ("010170-1234") are ignored. A
 * query that names no number and no id matches no contact (200, empty page): the register is
 * not listable (docs/openapi.yaml). Any active system token may look up.
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
#include <string.h>

#include "api/api.h"
#include "api/read_util.h"
#include "hub/directory.h"
#include "store/store.h"
#include "util/clock.h"

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
    const char *reg = registered ? "AUTOMATIC_REGISTRATION"
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

/* Looks up one number and appends its contact to content when known. */
static int lookup(struct kv_db *db, const char *type, const char *number, json_t *content,
                  struct kv_err *err)
{
    struct kv_mailbox mb;
    int rc = kv_mailbox_find(db, type, number, &mb, err);
    if (rc == KV_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    json_array_append_new(content, contact_json(&mb));
    return 0;
}

/* NgDP's ContactSearchResult: everything found is one page (at most BULK_MAX contacts), so
 * "next" is absent. */
static json_t *page_of(json_t *content)
{
    size_t n = json_array_size(content);
    json_t *o = json_object();

    json_object_set_new(o, "contacts", content);
    json_object_set_new(o, "currentPage", json_integer(0));
    json_object_set_new(o, "totalPages", json_integer(n ? 1 : 0));
    json_object_set_new(o, "elementsOnPage", json_integer((json_int_t)n));
    json_object_set_new(o, "totalElements", json_integer((json_int_t)n));
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

static int run_list(struct kv_db *db, json_t *arr, const char *type, json_t *content,
                    struct kv_err *err)
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
        rc = lookup(db, type, num, content, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void bulk(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db)
{
    json_t *body = NULL, *cpr, *cvr, *fe = NULL, *content = NULL;
    struct kv_err err = {0};
    size_t n;
    int rc;

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
    rc = cpr ? run_list(db, cpr, "CPR", content, &err) : 0;
    if (rc == 0 && cvr)
        rc = run_list(db, cvr, "CVR", content, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    kv_http_resp_json(resp, 200, page_of(content));
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

/* Looks up Contact ids (lower-case UUIDs), skipping repeats. */
static int run_ids(struct kv_db *db, json_t *ids, json_t *content, struct kv_err *err)
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
        json_array_append_new(content, contact_json(&mb));
    }
    return 0;
}

static int single(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db)
{
    static const struct {
        const char *name, *type;
    } params[] = {{"cprNumber", "CPR"}, {"cvrNumber", "CVR"}, {"id", NULL}};
    json_t *lists[3] = {NULL, NULL, NULL}, *content = NULL;
    struct kv_err err = {0};
    size_t count = 0;
    int rc = 0, i;

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
    content = json_array();
    rc = run_list(db, lists[0], "CPR", content, &err);
    if (rc == 0)
        rc = run_list(db, lists[1], "CVR", content, &err);
    if (rc == 0)
        rc = run_ids(db, lists[2], content, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    kv_http_resp_json(resp, 200, page_of(content));
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
        single(req, resp, db);
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

const struct kv_http_route kv_api_contacts_routes[] = {
    {"GET", "/apis/v1/contacts/", get_contacts, "contacts_lookup", 0, KV_ACCESS_SYSTEM},
    {"POST", "/apis/v1/contacts/bulk", post_bulk, "contacts_bulk", 0, KV_ACCESS_SYSTEM},
    {"GET", "/apis/v1/contacts/{id}", get_one, "contacts_fetch", 0, KV_ACCESS_SYSTEM},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

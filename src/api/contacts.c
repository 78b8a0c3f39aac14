/* SPDX-License-Identifier: MIT
 *
 * contacts.c (api): recipient lookup (NgDP "contacts", ngdp-interfaces.md §1a), answering
 * from the hub's mailboxes table.
 *   GET  /apis/v1/contacts/?cprNumber=|cvrNumber=      page of 0..2 Contacts
 *   GET  /apis/v1/contacts/?isBulkLookup=true           NgDP's bulk form: numbers in the body
 *   POST /apis/v1/contacts/bulk                         our documented bulk form
 * Bulk bodies are JSON {"cprNumbers": [...], "cvrNumbers": [...]}, at most 1000 numbers in
 * all. An unknown number is simply absent from content (an empty page for a single lookup);
 * a malformed number is a 400 ErrorMessage naming it. Spaces and hyphens inside a number
 * ("010170-1234") are ignored. Any active system token may look up. The page carries the
 * contacts as "content" and, as the real NgDP names them, as "contacts".
 *
 * Contact = {type CITIZEN|COMPANY, cprNumber, cvrNumber, mailboxSubscription
 * {registrationStatus, publicRegistrationStatus REGISTERED|EXEMPT|CLOSED,
 * exemptThroughPowerOfAttorney, exemptionStart, exemptionEnd, startTime, endTime},
 * nemSmsSubscription (always null: NemSMS is not offered yet), eligibleForVoluntaryRegistration}.
 */
#include <stdio.h>
#include <string.h>

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

static json_t *time_or_null(int64_t ms)
{
    char ts[32];
    if (ms <= 0)
        return json_null();
    kv_clock_format_utc(ms, ts, sizeof(ts));
    return json_string(ts);
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

    json_object_set_new(sub, "registrationStatus", reg ? json_string(reg) : json_null());
    json_object_set_new(sub, "publicRegistrationStatus", json_string(mb->status));
    json_object_set_new(sub, "exemptThroughPowerOfAttorney", json_false());
    json_object_set_new(sub, "exemptionStart", exempt ? time_or_null(mb->created_ms) : json_null());
    json_object_set_new(sub, "exemptionEnd", json_null());
    json_object_set_new(sub, "startTime", time_or_null(mb->created_ms));
    json_object_set_new(sub, "endTime", time_or_null(mb->closed_ms));

    json_object_set_new(c, "type", json_string(citizen ? "CITIZEN" : "COMPANY"));
    json_object_set_new(c, "cprNumber", citizen ? json_string(mb->owner_id) : json_null());
    json_object_set_new(c, "cvrNumber", citizen ? json_null() : json_string(mb->owner_id));
    json_object_set_new(c, "mailboxSubscription", sub);
    json_object_set_new(c, "nemSmsSubscription", json_null());
    json_object_set_new(c, "eligibleForVoluntaryRegistration",
                        json_boolean(citizen && !registered));
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

/* The page, with the contacts under two names: "content" (kuvert's page shape, as on every
 * other list) and "contacts" with "currentPage"/"elementsOnPage" (the shape the real NgDP
 * answers, see docs/send-api.md "Client compatibility"), so clients of either read it. */
static json_t *page_of(json_t *content)
{
    size_t n = json_array_size(content);
    json_t *o = json_object();
    json_object_set(o, "contacts", content);
    json_object_set_new(o, "content", content);
    json_object_set_new(o, "number", json_integer(0));
    json_object_set_new(o, "currentPage", json_integer(0));
    json_object_set_new(o, "size", json_integer((json_int_t)n));
    json_object_set_new(o, "elementsOnPage", json_integer((json_int_t)n));
    json_object_set_new(o, "totalElements", json_integer((json_int_t)n));
    json_object_set_new(o, "totalPages", json_integer(n ? 1 : 0));
    json_object_set_new(o, "previous", json_null());
    json_object_set_new(o, "next", json_null());
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
    json_error_t jerr;
    json_t *body, *cpr, *cvr, *fe = NULL, *content = NULL;
    struct kv_err err = {0};
    size_t n;
    int rc;

    body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!body || !json_is_object(body)) {
        kv_http_resp_error(resp, 400, "INVALID_BODY",
                           "the body must be a JSON object {\"cprNumbers\": [...], "
                           "\"cvrNumbers\": [...]}",
                           NULL);
        goto out;
    }
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

static int single(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db)
{
    const char *cpr_q = kv_http_req_query(req, "cprNumber");
    const char *cvr_q = kv_http_req_query(req, "cvrNumber");
    const char *cpr = NULL, *cvr = NULL;
    char cpr_buf[11], cvr_buf[11];
    struct kv_err err = {0};
    json_t *content;
    int rc = 0;

    if (!cpr_q && !cvr_q)
        return kv__read_bad_param(resp, "cprNumber", NULL,
                                  "give cprNumber or cvrNumber (or isBulkLookup=true)");
    if (cpr_q && kv_http_req_query_count(req, "cprNumber") > 1)
        return kv__read_repeated_param(resp, "cprNumber", cpr_q);
    if (cvr_q && kv_http_req_query_count(req, "cvrNumber") > 1)
        return kv__read_repeated_param(resp, "cvrNumber", cvr_q);
    if (cpr_q && !normalize_number("CPR", cpr_q, cpr_buf))
        return kv__read_bad_param(resp, "cprNumber", cpr_q, "a CPR number is 10 digits");
    if (cvr_q && !normalize_number("CVR", cvr_q, cvr_buf))
        return kv__read_bad_param(resp, "cvrNumber", cvr_q, "a CVR number is 8 digits");
    cpr = cpr_q ? cpr_buf : NULL;
    cvr = cvr_q ? cvr_buf : NULL;
    content = json_array();
    if (cpr)
        rc = lookup(db, "CPR", cpr, content, &err);
    if (rc == 0 && cvr)
        rc = lookup(db, "CVR", cvr, content, &err);
    if (rc < 0) {
        json_decref(content);
        kv_http_resp_from_err(resp, rc, &err);
        return rc;
    }
    kv_http_resp_json(resp, 200, page_of(content));
    return 0;
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

const struct kv_http_route kv_api_contacts_routes[] = {
    {"GET", "/apis/v1/contacts/", get_contacts, "contacts_lookup", 0},
    {"POST", "/apis/v1/contacts/bulk", post_bulk, "contacts_bulk", 0},
    {NULL, NULL, NULL, NULL, 0},
};

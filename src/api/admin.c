/* SPDX-License-Identifier: MIT
 *
 * admin.c (api): the HTTP administration API beside the admin CLI, for scripting a setup
 * remotely. Same operations and validation as `kuvert org|system|mailbox ...`:
 *   POST /admin/v1/orgs              {cvr, name}                          -> 201 {cvr, name}
 *   POST /admin/v1/systems           {org, kind, name, receiptUrl?, protocol?, pushUrl?,
 *                                     contactEmail?, technicalContact?, supplier?,
 *                                     allowedIps?, activeFrom?, activeTo?, default?}
 *                                                                         -> 201 {id, token}
 *   GET  /admin/v1/systems/{id}                                           -> 200 system
 *   PATCH /admin/v1/systems/{id}     any of name, receiptUrl, protocol, pushUrl, contactEmail,
 *                                     technicalContact, supplier, allowedIps, activeFrom,
 *                                     activeTo (null or "" clears one)     -> 200 system
 * allowedIps is an array of addresses and CIDR ranges (a string with them separated by commas
 * is taken too); activeFrom / activeTo are dates YYYY-MM-DD (Copenhagen, inclusive).
 *   POST /admin/v1/systems/{id}/activate   (no body) -> 200 system + backlog (system_health.h)
 *   POST /admin/v1/systems/{id}/deactivate (no body) -> 200 system
 *   POST /admin/v1/systems/{id}/default    (no body) -> 200 system + previousDefault: makes a
 *        recipient system its organisation's one default (also .../makedefaultrecipient)
 * A recipient system's JSON includes its delivery health: lastSuccessfulDelivery,
 * queueLength, failingSince, lastFailure, lastError, lastFetch, warningsSent, deactivatedAt,
 * activatedAt (times ISO-8601 UTC or null).
 *   POST /admin/v1/mailboxes         {cpr | cvr, name?, exempt?, address?} -> 201 mailbox
 *   POST /admin/v1/mailboxes/close   {cpr | cvr}                          -> 200 mailbox
 * User tokens and system secret rotation are in admin_tokens.c.
 * Authenticated by the API gate (gate.c) before the body is read: `Authorization: Bearer
 * <admin_token>` (config key admin_token, compared in constant time). With admin_token unset
 * the API answers 403 ADMIN_API_DISABLED.
 */
#include <string.h>

#include <jansson.h>

#include "api/admin_int.h"
#include "api/api.h"
#include "api/gate.h"
#include "api/read_util.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/system_health.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/str.h"

#define BODY_MAX 65536 /* admin requests are small JSON objects */

/* The gate admitted the admin token (api/gate.c); a 401 otherwise. */
static int admin_auth(struct kv_http_req *req, struct kv_http_resp *resp)
{
    if (!kv__principal(req, KV__PRINCIPAL_ADMIN)) {
        kv_http_resp_error(resp, 401, "UNAUTHORIZED", "missing admin bearer token", NULL);
        return KV_EAUTH;
    }
    return 0;
}

/* Parses the body as a JSON object (owned on success); writes 400 otherwise. */
static int body_object(struct kv_http_req *req, struct kv_http_resp *resp, json_t **out)
{
    *out = NULL;
    if (req->body_len > BODY_MAX) {
        kv_http_resp_error(resp, 413, "PAYLOAD_TOO_LARGE", "admin request body over 64 KiB", NULL);
        return KV_ETOOBIG;
    }
    return kv_http_req_json_object(req, resp, NULL, out);
}

/* Reads optional string member name into dst (size n); 400 on wrong type or length. */
static int get_str(struct kv_http_resp *resp, json_t *o, const char *name, int required,
                   char *dst, size_t n)
{
    json_t *v = json_object_get(o, name);
    const char *s;
    char msg[128];

    dst[0] = '\0';
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        snprintf(msg, sizeof(msg), "%s is required", name);
    } else if (!json_is_string(v)) {
        snprintf(msg, sizeof(msg), "%s must be a string", name);
    } else if ((s = json_string_value(v)), strlen(s) >= n) {
        snprintf(msg, sizeof(msg), "%s is longer than %zu characters", name, n - 1);
    } else {
        memcpy(dst, s, strlen(s) + 1);
        return 0;
    }
    kv_http_resp_error(resp, 400, "INVALID_FIELD", msg,
                       json_pack("[{s:s,s:s,s:s,s:s}]", "resource", "admin", "field", name,
                                 "code", "INVALID_FIELD", "message", msg));
    return KV_EINVAL;
}

static int orgs_add(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_org org;
    json_t *o = NULL;
    char cvr[16], name[257];
    int rc;

    if (admin_auth(req, resp) < 0 || body_object(req, resp, &o) < 0)
        return 0;
    if (get_str(resp, o, "cvr", 1, cvr, sizeof(cvr)) < 0 ||
        get_str(resp, o, "name", 1, name, sizeof(name)) < 0)
        goto out;
    if (kv__read_db(req, resp, &db) < 0)
        goto out;
    rc = kv_org_add(db, cvr, name, &err);
    if (rc == 0)
        rc = kv_org_get(db, cvr, &org, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 201,
                          json_pack("{s:s,s:s,s:s}", "id", org.id, "cvr", cvr, "name", name));
out:
    kv_db_release(db);
    json_decref(o);
    return 0;
}

static json_t *opt_text(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *system_json(const struct kv_system *s)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:b,s:s}", "id", s->id, "org",
                          s->org_cvr, "kind", s->kind, "name", s->name, "receiptUrl",
                          s->receipt_url[0] ? s->receipt_url : NULL, "protocol",
                          s->protocol ? kv_protocol_name(s->protocol) : NULL, "pushUrl",
                          s->push_url[0] ? s->push_url : NULL, "contactEmail",
                          s->contact_email[0] ? s->contact_email : NULL, "default",
                          s->is_default, "status", s->status);
    json_t *ips = json_array();
    char buf[KV_CIDR_TEXT_MAX], *save = NULL, *tok;

    kv_str_copy(buf, sizeof(buf), s->allowed_ips);
    for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
        json_array_append_new(ips, json_string(tok));
    json_object_set_new(o, "technicalContact", opt_text(s->technical_contact));
    json_object_set_new(o, "supplier", opt_text(s->supplier));
    json_object_set_new(o, "allowedIps", ips);
    json_object_set_new(o, "activeFrom", opt_text(s->active_from));
    json_object_set_new(o, "activeTo", opt_text(s->active_to));
    return o;
}

/* allowedIps as the client sent it (an array of strings, or one string) as one text for the
 * system check, into buf; NULL when absent or null; a field error in p when malformed. */
static const char *member_ips(json_t *o, char *buf, size_t n, struct kv_problem *p)
{
    json_t *v = json_object_get(o, "allowedIps"), *e;
    size_t i, used = 0, len;

    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    if (!json_is_array(v)) {
        kv_problem_field_json(p, "System", "allowedIps", "INVALID_FIELD",
                              "must be an array of IP addresses and CIDR ranges", v);
        return NULL;
    }
    buf[0] = '\0';
    json_array_foreach(v, i, e) {
        if (!json_is_string(e)) {
            kv_problem_field_json(p, "System", "allowedIps", "INVALID_FIELD",
                                  "must be an array of IP addresses and CIDR ranges", v);
            return NULL;
        }
        len = strlen(json_string_value(e));
        if (used + len + 2 > n) {
            kv_problem_field(p, "System", "allowedIps", "INVALID_FIELD", "too long", NULL);
            return NULL;
        }
        if (used)
            buf[used++] = ',';
        memcpy(buf + used, json_string_value(e), len + 1);
        used += len;
    }
    return buf;
}

/* Member name of o as text for the system check: NULL when absent or null; a field error in
 * p when it is not a string. */
static const char *member_text(json_t *o, const char *name, struct kv_problem *p)
{
    json_t *v = json_object_get(o, name);

    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        kv_problem_field_json(p, "System", name, "INVALID_FIELD", "must be a string", v);
        return NULL;
    }
    return json_string_value(v);
}

static int systems_add(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_system sys;
    struct kv_system_input in;
    struct kv_problem problem;
    json_t *o = NULL, *def;
    char *token = NULL, ips[4 * KV_CIDR_TEXT_MAX];
    int rc;

    kv_problem_init(&problem);
    if (admin_auth(req, resp) < 0 || body_object(req, resp, &o) < 0)
        return 0;
    memset(&in, 0, sizeof(in));
    in.org = member_text(o, "org", &problem);
    in.kind = member_text(o, "kind", &problem);
    in.name = member_text(o, "name", &problem);
    in.receipt_url = member_text(o, "receiptUrl", &problem);
    in.protocol = member_text(o, "protocol", &problem);
    in.push_url = member_text(o, "pushUrl", &problem);
    in.contact_email = member_text(o, "contactEmail", &problem);
    in.technical_contact = member_text(o, "technicalContact", &problem);
    in.supplier = member_text(o, "supplier", &problem);
    in.allowed_ips = member_ips(o, ips, sizeof(ips), &problem);
    in.active_from = member_text(o, "activeFrom", &problem);
    in.active_to = member_text(o, "activeTo", &problem);
    def = json_object_get(o, "default");
    if (def && !json_is_null(def) && !json_is_boolean(def))
        kv_problem_field_json(&problem, "System", "default", "INVALID_FIELD",
                              "must be true or false", def);
    in.is_default = def && json_is_true(def);
    if (problem.n_fields > 0)
        kv_problem_set(&problem, KV_EINVAL, "INVALID_FIELD", "the system is not valid: %s: %s",
                       problem.fields[0].field, problem.fields[0].message);
    else
        (void)kv_system_check(&in, &sys, &problem);
    if (problem.kind) {
        kv_http_resp_problem(resp, &problem);
        goto out;
    }
    if (kv__read_db(req, resp, &db) < 0)
        goto out;
    rc = kv_system_add(db, &sys, &token, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    kv_http_resp_json(resp, 201, json_pack("{s:s,s:s}", "id", sys.id, "token", token));
out:
    kv_problem_release(&problem);
    if (token) {
        explicit_bzero(token, strlen(token));
        free(token);
    }
    kv_db_release(db);
    json_decref(o);
    return 0;
}

static void set_time(json_t *o, const char *key, int64_t ms)
{
    char ts[40];

    if (!ms) {
        json_object_set_new(o, key, json_null());
        return;
    }
    kv_clock_format_utc(ms, ts, sizeof(ts));
    json_object_set_new(o, key, json_string(ts));
}

/* The system as JSON, with the delivery health of a recipient system; NULL after an error
 * (written to resp). */
static json_t *system_health_json(struct kv_db *db, const struct kv_system *sys,
                                  struct kv_http_resp *resp)
{
    struct kv_err err = {0, ""};
    struct kv_system_health h;
    json_t *o;
    int rc;

    if (strcmp(sys->kind, "recipient") != 0)
        return system_json(sys);
    rc = kv_system_health_get(db, sys->id, &h, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        return NULL;
    }
    o = system_json(sys);
    set_time(o, "lastSuccessfulDelivery", h.last_success_ms);
    json_object_set_new(o, "queueLength", json_integer(h.queue_length));
    set_time(o, "failingSince", h.failing_since_ms);
    set_time(o, "lastFailure", h.last_failure_ms);
    json_object_set_new(o, "lastError", h.last_error[0] ? json_string(h.last_error) : json_null());
    set_time(o, "lastFetch", h.last_fetch_ms);
    json_object_set_new(o, "warningsSent", json_integer(h.warnings_sent));
    set_time(o, "deactivatedAt", h.deactivated_ms);
    set_time(o, "activatedAt", h.activated_ms);
    return o;
}

#define ACT_ACTIVATE 1
#define ACT_DEACTIVATE (-1)
#define ACT_DEFAULT 2

/* GET (action 0), or POST .../activate (backlog is added), .../deactivate and .../default
 * (previousDefault is added). */
static int systems_one(struct kv_http_req *req, struct kv_http_resp *resp, int action)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_system sys;
    char prev[37] = "", lid[37];
    int64_t backlog = 0;
    json_t *o;
    size_t i;
    int rc = 0;

    if (admin_auth(req, resp) < 0 || kv__read_db(req, resp, &db) < 0)
        return 0;
    /* Ids are lower-case UUIDs; one written in upper case names the same system. */
    for (i = 0; req->params[0][i] && i < sizeof(lid) - 1; i++)
        lid[i] = (char)(req->params[0][i] >= 'A' && req->params[0][i] <= 'Z'
                            ? req->params[0][i] - 'A' + 'a'
                            : req->params[0][i]);
    lid[i] = '\0';
    if (req->params[0][i])
        lid[0] = '\0'; /* too long to be an id: not found below */
    if (action == ACT_ACTIVATE)
        rc = kv_system_activate(db, lid, kv_clock_now_ms(), &backlog, &err);
    else if (action == ACT_DEACTIVATE)
        rc = kv_system_deactivate(db, lid, kv_clock_now_ms(), &err);
    else if (action == ACT_DEFAULT)
        rc = kv_system_set_default(db, lid, prev, &err);
    if (rc == 0)
        rc = kv_system_get(db, lid, &sys, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
    } else if ((o = system_health_json(db, &sys, resp)) != NULL) {
        if (action == ACT_ACTIVATE)
            json_object_set_new(o, "backlog", json_integer(backlog));
        if (action == ACT_DEFAULT)
            json_object_set_new(o, "previousDefault", prev[0] ? json_string(prev) : json_null());
        kv_http_resp_json(resp, 200, o);
    }
    kv_db_release(db);
    return 0;
}

/* PATCH /admin/v1/systems/{id}: the members given replace those fields (null or "" clears
 * one), the others stay; the one validation kv_system_check; event SYSTEM_CHANGED. */
static int systems_patch(struct kv_http_req *req, struct kv_http_resp *resp)
{
    static const char *const known[] = {"name", "receiptUrl", "protocol", "pushUrl",
                                        "contactEmail", "technicalContact", "supplier",
                                        "allowedIps", "activeFrom", "activeTo"};
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_system cur, sys;
    struct kv_system_input in;
    struct kv_problem problem;
    json_t *o = NULL, *v, *out;
    const char *key;
    char lid[37], ips[4 * KV_CIDR_TEXT_MAX];
    size_t i;
    int rc;

    kv_problem_init(&problem);
    if (admin_auth(req, resp) < 0 || body_object(req, resp, &o) < 0)
        return 0;
    json_object_foreach(o, key, v) {
        for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (strcmp(key, known[i]) == 0)
                break;
        if (i == sizeof(known) / sizeof(known[0]))
            kv_problem_field(&problem, "System", key, "INVALID_FIELD",
                             "unknown or not changeable here (kind, default and status have "
                             "their own calls)", NULL);
    }
    for (i = 0; req->params[0][i] && i < sizeof(lid) - 1; i++)
        lid[i] = (char)(req->params[0][i] >= 'A' && req->params[0][i] <= 'Z'
                            ? req->params[0][i] - 'A' + 'a'
                            : req->params[0][i]);
    lid[i] = '\0';
    if (req->params[0][i])
        lid[0] = '\0';
    if (kv__read_db(req, resp, &db) < 0)
        goto out;
    rc = kv_system_get(db, lid, &cur, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    kv_system_input_of(&cur, &in);
#define MEMBER(field, name)                                                                  \
    if (json_object_get(o, name))                                                            \
        in.field = json_is_null(json_object_get(o, name)) ? ""                               \
                                                           : member_text(o, name, &problem);
    MEMBER(name, "name")
    MEMBER(receipt_url, "receiptUrl")
    MEMBER(protocol, "protocol")
    MEMBER(push_url, "pushUrl")
    MEMBER(contact_email, "contactEmail")
    MEMBER(technical_contact, "technicalContact")
    MEMBER(supplier, "supplier")
    MEMBER(active_from, "activeFrom")
    MEMBER(active_to, "activeTo")
#undef MEMBER
    if (json_object_get(o, "allowedIps"))
        in.allowed_ips = json_is_null(json_object_get(o, "allowedIps"))
                             ? ""
                             : member_ips(o, ips, sizeof(ips), &problem);
    if (problem.n_fields > 0)
        kv_problem_set(&problem, KV_EINVAL, "INVALID_FIELD", "the system is not valid: %s: %s",
                       problem.fields[0].field, problem.fields[0].message);
    else
        (void)kv_system_check(&in, &sys, &problem);
    if (problem.kind) {
        kv_http_resp_problem(resp, &problem);
        goto out;
    }
    kv_str_copy(sys.id, sizeof(sys.id), cur.id);
    rc = kv_system_update(db, &sys, NULL, &err); /* the caller: "admin" (the gate) */
    if (rc == 0)
        rc = kv_system_get(db, cur.id, &sys, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else if ((out = system_health_json(db, &sys, resp)) != NULL)
        kv_http_resp_json(resp, 200, out);
out:
    kv_problem_release(&problem);
    kv_db_release(db);
    json_decref(o);
    return 0;
}

static int systems_get(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return systems_one(req, resp, 0);
}

static int systems_activate(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return systems_one(req, resp, ACT_ACTIVATE);
}

static int systems_deactivate(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return systems_one(req, resp, ACT_DEACTIVATE);
}

static int systems_default(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return systems_one(req, resp, ACT_DEFAULT);
}

static json_t *mailbox_json(const struct kv_mailbox *m)
{
    return json_pack("{s:s,s:s,s:s?,s:s,s:s?}", "ownerType", m->owner_type, "ownerId",
                     m->owner_id, "name", m->name[0] ? m->name : NULL, "status", m->status,
                     "address", m->address[0] ? m->address : NULL);
}

/* Reads {cpr} or {cvr} (exactly one) into mb's owner fields. */
static int get_owner(struct kv_http_resp *resp, json_t *o, struct kv_mailbox *mb)
{
    char cpr[16], cvr[16];

    if (get_str(resp, o, "cpr", 0, cpr, sizeof(cpr)) < 0 ||
        get_str(resp, o, "cvr", 0, cvr, sizeof(cvr)) < 0)
        return KV_EINVAL;
    if (!cpr[0] == !cvr[0]) {
        kv_http_resp_error(resp, 400, "INVALID_FIELD", "give exactly one of cpr and cvr", NULL);
        return KV_EINVAL;
    }
    if ((cpr[0] && !kv_cpr_valid(cpr)) || (cvr[0] && !kv_cvr_valid(cvr))) {
        kv_http_resp_error(resp, 400, "INVALID_FIELD",
                           cpr[0] ? "cpr must be 10 digits starting with a real DDMMYY date"
                                  : "cvr must be 8 digits", NULL);
        return KV_EINVAL;
    }
    memcpy(mb->owner_type, cpr[0] ? "CPR" : "CVR", 4);
    memcpy(mb->owner_id, cpr[0] ? cpr : cvr, strlen(cpr[0] ? cpr : cvr) + 1);
    return 0;
}

static int mailboxes_add(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_mailbox mb;
    json_t *o = NULL, *ex;
    int rc;

    memset(&mb, 0, sizeof(mb));
    if (admin_auth(req, resp) < 0 || body_object(req, resp, &o) < 0)
        return 0;
    if (get_owner(resp, o, &mb) < 0 || get_str(resp, o, "name", 0, mb.name, sizeof(mb.name)) < 0 ||
        get_str(resp, o, "address", 0, mb.address, sizeof(mb.address)) < 0)
        goto out;
    ex = json_object_get(o, "exempt");
    if (ex && !json_is_boolean(ex)) {
        kv_http_resp_error(resp, 400, "INVALID_FIELD", "exempt must be a boolean", NULL);
        goto out;
    }
    memcpy(mb.status, ex && json_is_true(ex) ? "EXEMPT" : "REGISTERED",
           ex && json_is_true(ex) ? 7 : 11);
    if (kv__read_db(req, resp, &db) < 0)
        goto out;
    rc = kv_mailbox_add(db, &mb, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 201, mailbox_json(&mb));
out:
    kv_db_release(db);
    json_decref(o);
    return 0;
}

static int mailboxes_close(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_mailbox mb;
    char type[4], id[11];
    json_t *o = NULL;
    int rc;

    memset(&mb, 0, sizeof(mb));
    if (admin_auth(req, resp) < 0 || body_object(req, resp, &o) < 0)
        return 0;
    if (get_owner(resp, o, &mb) < 0 || kv__read_db(req, resp, &db) < 0)
        goto out;
    memcpy(type, mb.owner_type, sizeof(type));
    memcpy(id, mb.owner_id, sizeof(id));
    rc = kv_mailbox_close(db, type, id, &err);
    if (rc == 0) /* find fills mb, so it must not also read its owner from mb */
        rc = kv_mailbox_find(db, type, id, &mb, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 200, mailbox_json(&mb));
out:
    kv_db_release(db);
    json_decref(o);
    return 0;
}

const struct kv_http_route kv_api_admin_routes[] = {
    {"POST", "/admin/v1/orgs", orgs_add, "admin_orgs_add", 0, KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/systems", systems_add, "admin_systems_add", 0, KV_ACCESS_ADMIN},
    {"GET", "/admin/v1/systems/{id}", systems_get, "admin_systems_get", 0, KV_ACCESS_ADMIN},
    {"PATCH", "/admin/v1/systems/{id}", systems_patch, "admin_systems_patch", 0, KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/systems/{id}/activate", systems_activate, "admin_systems_activate", 0,
     KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/systems/{id}/deactivate", systems_deactivate, "admin_systems_deactivate", 0,
     KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/systems/{id}/default", systems_default, "admin_systems_default", 0,
     KV_ACCESS_ADMIN},
    /* NgDP's name for the same call (ngdp-interfaces.md section 2) */
    {"POST", "/admin/v1/systems/{id}/makedefaultrecipient", systems_default,
     "admin_systems_default", 0, KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/mailboxes", mailboxes_add, "admin_mailboxes_add", 0, KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/mailboxes/close", mailboxes_close, "admin_mailboxes_close", 0,
     KV_ACCESS_ADMIN},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* ---- shared with the admin API's other files (admin_int.h) ---- */

int kv__admin_api_auth(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return admin_auth(req, resp);
}

int kv__admin_api_body(struct kv_http_req *req, struct kv_http_resp *resp, json_t **out)
{
    return body_object(req, resp, out);
}

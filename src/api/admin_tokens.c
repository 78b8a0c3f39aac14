/* SPDX-License-Identifier: MIT
 *
 * admin_tokens.c (api): credentials in the HTTP admin API, beside `kuvert user token ...` and
 * `kuvert system rotate-secret` (hub/user_token.h, kv_system_rotate_secret):
 *   POST   /admin/v1/user-tokens          {cpr | cvr, ttl?, keepOthers?}
 *          -> 201 {token, id, ownerType, ownerId, createdAt, expiresAt, revokedAt, status,
 *                  revokedOthers}; the owner's earlier tokens are revoked unless keepOthers
 *   GET    /admin/v1/user-tokens?cpr=|cvr=   -> 200 {ownerType, ownerId, items: [token...]}
 *   DELETE /admin/v1/user-tokens/{id}        -> 200 token + alreadyRevoked; 404 unknown id
 *   POST   /admin/v1/user-tokens/revoke   {cpr | cvr}  -> 200 {ownerType, ownerId, revoked}
 *   POST   /admin/v1/systems/{id}/rotate-secret (also .../renewapitoken, NgDP's name)
 *          -> 200 {id, token}: the old token stops working at once
 * A token's listing never holds the secret; the token itself is in the answer to its issue
 * only. ttl is a duration ("12h", "30d"; default 30d, at most 365d). Authenticated like the
 * rest of the admin API (admin_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "api/admin_int.h"
#include "api/read_util.h"
#include "hub/directory.h"
#include "hub/user_token.h"
#include "store/store.h"
#include "util/clock.h"

static int bad_field(struct kv_http_resp *resp, const char *field, const char *msg)
{
    kv_http_resp_error(resp, 400, "INVALID_FIELD", msg,
                       json_pack("[{s:s,s:s,s:s,s:s,s:n}]", "resource", "admin", "field", field,
                                 "code", "INVALID_FIELD", "message", msg, "rejectedValue"));
    return KV_EINVAL;
}

/* The owner from cpr / cvr (exactly one, valid); 400 otherwise. type gets "CPR"/"CVR". */
static int owner_of(struct kv_http_resp *resp, const char *cpr, const char *cvr, char type[4],
                    char id[11])
{
    if (!cpr == !cvr)
        return bad_field(resp, cpr ? "cvr" : "cpr", "give exactly one of cpr and cvr");
    if (cpr && !kv_cpr_valid(cpr))
        return bad_field(resp, "cpr", "cpr must be 10 digits starting with a real DDMMYY date");
    if (cvr && !kv_cvr_valid(cvr))
        return bad_field(resp, "cvr", "cvr must be 8 digits");
    snprintf(type, 4, "%s", cpr ? "CPR" : "CVR");
    snprintf(id, 11, "%s", cpr ? cpr : cvr);
    return 0;
}

/* Optional string member of o: NULL when absent or null; 400 when not a string. */
static int opt_str(struct kv_http_resp *resp, json_t *o, const char *name, const char **out)
{
    json_t *v = json_object_get(o, name);

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%s must be a string", name);
        return bad_field(resp, name, msg);
    }
    *out = json_string_value(v);
    return 0;
}

/* 1 when v is NULL or at most 128 bytes without control characters (a device's id or name). */
static int device_text(const char *v)
{
    size_t i;

    for (i = 0; v && v[i]; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f || i >= 128)
            return 0;
    return 1;
}

static json_t *info_json(const struct kv_user_token_info *t)
{
    char created[32], expires[32], revoked[32];

    kv_clock_format_utc(t->created_ms, created, sizeof(created));
    kv_clock_format_utc(t->expires_ms, expires, sizeof(expires));
    kv_clock_format_utc(t->revoked_ms, revoked, sizeof(revoked));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s}", "id", t->id, "ownerType", t->owner_type,
                     "ownerId", t->owner_id, "createdAt", created, "expiresAt", expires,
                     "revokedAt", t->revoked_ms ? revoked : NULL, "status", t->status);
}

static int tokens_issue(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_user_token_info info;
    const char *cpr, *cvr, *ttl, *devid, *devname;
    json_t *o = NULL, *keep, *out;
    char type[4], id[11], *token = NULL;
    int64_t ttl_ms = 0;
    int revoked = 0, rc;

    if (kv__admin_api_auth(req, resp) < 0 || kv__admin_api_body(req, resp, &o) < 0)
        return 0;
    keep = json_object_get(o, "keepOthers");
    if (opt_str(resp, o, "cpr", &cpr) < 0 || opt_str(resp, o, "cvr", &cvr) < 0 ||
        opt_str(resp, o, "ttl", &ttl) < 0 || opt_str(resp, o, "deviceId", &devid) < 0 ||
        opt_str(resp, o, "deviceName", &devname) < 0 || owner_of(resp, cpr, cvr, type, id) < 0)
        goto out;
    if (!device_text(devid) || !device_text(devname)) {
        bad_field(resp, devid && !device_text(devid) ? "deviceId" : "deviceName",
                  "deviceId and deviceName are at most 128 characters of text");
        goto out;
    }
    if (keep && !json_is_null(keep) && !json_is_boolean(keep)) {
        bad_field(resp, "keepOthers", "keepOthers must be true or false");
        goto out;
    }
    if (ttl && (kv_clock_parse_duration(ttl, &ttl_ms) < 0 || ttl_ms < KV_USER_TOKEN_TTL_MIN_MS ||
                ttl_ms > KV_USER_TOKEN_TTL_MAX_MS)) {
        bad_field(resp, "ttl", "ttl must be a duration from 1m to 365d, such as 12h or 30d");
        goto out;
    }
    if (kv__read_db(req, resp, &db) < 0)
        goto out;
    rc = kv_user_token_issue(db, type, id, ttl_ms,
                             json_is_true(keep) ? KV_USER_TOKEN_KEEP_OTHERS : 0, &token, &info,
                             &revoked, &err);
    /* an app sign-in names its device (docs/adgangsportal.md) */
    if (rc == 0 && (devid || devname))
        rc = kv_user_token_set_device(db, info.id, devid, devname, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    out = info_json(&info);
    json_object_set_new(out, "token", json_string(token));
    json_object_set_new(out, "revokedOthers", json_integer(revoked));
    kv_http_resp_header(resp, "Cache-Control", "no-store");
    kv_http_resp_json(resp, 201, out);
out:
    free(token);
    json_decref(o);
    kv_db_release(db);
    return 0;
}

static int tokens_list(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_user_token_info *v = NULL;
    json_t *items;
    char type[4], id[11];
    size_t n = 0, i;
    int rc;

    if (kv__admin_api_auth(req, resp) < 0)
        return 0;
    if (kv_http_req_query_count(req, "cpr") > 1 || kv_http_req_query_count(req, "cvr") > 1) {
        bad_field(resp, "cpr", "give cpr or cvr once");
        return 0;
    }
    if (owner_of(resp, kv_http_req_query(req, "cpr"), kv_http_req_query(req, "cvr"), type, id) <
            0 ||
        kv__read_db(req, resp, &db) < 0)
        return 0;
    rc = kv_user_token_list(db, type, id, &v, &n, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    items = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(items, info_json(&v[i]));
    kv_http_resp_json(resp, 200,
                      json_pack("{s:s,s:s,s:o}", "ownerType", type, "ownerId", id, "items", items));
out:
    free(v);
    kv_db_release(db);
    return 0;
}

static int tokens_revoke_one(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_user_token_info info;
    json_t *out;
    int already = 0, rc;

    if (kv__admin_api_auth(req, resp) < 0 || kv__read_db(req, resp, &db) < 0)
        return 0;
    rc = kv_user_token_revoke(db, req->params[0], &info, &already, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
    } else {
        out = info_json(&info);
        json_object_set_new(out, "alreadyRevoked", json_boolean(already));
        kv_http_resp_json(resp, 200, out);
    }
    kv_db_release(db);
    return 0;
}

static int tokens_revoke_owner(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    const char *cpr, *cvr;
    json_t *o = NULL;
    char type[4], id[11];
    int n = 0, rc;

    if (kv__admin_api_auth(req, resp) < 0 || kv__admin_api_body(req, resp, &o) < 0)
        return 0;
    if (opt_str(resp, o, "cpr", &cpr) < 0 || opt_str(resp, o, "cvr", &cvr) < 0 ||
        owner_of(resp, cpr, cvr, type, id) < 0 || kv__read_db(req, resp, &db) < 0)
        goto out;
    rc = kv_user_token_revoke_owner(db, type, id, &n, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(
            resp, 200, json_pack("{s:s,s:s,s:i}", "ownerType", type, "ownerId", id, "revoked", n));
out:
    json_decref(o);
    kv_db_release(db);
    return 0;
}

static int systems_rotate_secret(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    char id[37], *token = NULL;
    size_t i;
    int rc;

    if (kv__admin_api_auth(req, resp) < 0 || kv__read_db(req, resp, &db) < 0)
        return 0;
    /* Ids are lower-case UUIDs; one written in upper case names the same system. */
    for (i = 0; req->params[0][i] && i < sizeof(id) - 1; i++)
        id[i] = (char)(req->params[0][i] >= 'A' && req->params[0][i] <= 'Z'
                           ? req->params[0][i] - 'A' + 'a'
                           : req->params[0][i]);
    id[i] = '\0';
    if (req->params[0][i])
        rc = kv_err_set(&err, KV_ENOTFOUND, "no system with id %.40s", req->params[0]);
    else
        rc = kv_system_rotate_secret(db, id, &token, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
    } else {
        kv_http_resp_header(resp, "Cache-Control", "no-store");
        kv_http_resp_json(resp, 200, json_pack("{s:s,s:s}", "id", id, "token", token));
    }
    if (token)
        memset(token, 0, strlen(token));
    free(token);
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_admin_tokens_routes[] = {
    {"POST", "/admin/v1/user-tokens", tokens_issue, "admin_user_tokens_issue", 0, KV_ACCESS_ADMIN},
    {"GET", "/admin/v1/user-tokens", tokens_list, "admin_user_tokens_list", 0, KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/user-tokens/revoke", tokens_revoke_owner, "admin_user_tokens_revoke_owner",
     0, KV_ACCESS_ADMIN},
    {"DELETE", "/admin/v1/user-tokens/{id}", tokens_revoke_one, "admin_user_tokens_revoke", 0,
     KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/systems/{id}/rotate-secret", systems_rotate_secret,
     "admin_systems_rotate_secret", 0, KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/systems/{id}/renewapitoken", systems_rotate_secret,
     "admin_systems_renewapitoken", 0, KV_ACCESS_ADMIN},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

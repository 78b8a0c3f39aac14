/* SPDX-License-Identifier: MIT
 *
 * admin_delegations.c (api): which organisation may send in whose name, in the HTTP admin API
 * beside `kuvert delegation ...` (hub/delegation.h):
 *   GET    /admin/v1/orgs/{cvr}/delegations              -> 200 {org, items: [delegation]}
 *   POST   /admin/v1/orgs/{cvr}/delegations  {delegate}  -> 201 delegation
 *   DELETE /admin/v1/orgs/{cvr}/delegations/{delegate}   -> 200 {org, delegate, removed}
 * A delegation is {org, orgName, delegate, delegateName, createdAt}: the systems of
 * `delegate` may send letters whose Sender is `org` when they name `delegate` as
 * Sender/Representative. Authenticated like the rest of the admin API (admin_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "api/admin_int.h"
#include "api/read_util.h"
#include "hub/delegation.h"
#include "store/store.h"
#include "util/clock.h"

static json_t *delegation_json(const struct kv_delegation *d)
{
    char when[32];

    kv_clock_format_utc(d->created_ms, when, sizeof(when));
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "org", d->org_cvr, "orgName", d->org_name, "delegate",
                     d->delegate_cvr, "delegateName", d->delegate_name, "createdAt", when);
}

static int delegations_list(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_delegation *v = NULL;
    json_t *items;
    size_t n = 0, i;
    int rc;

    if (kv__admin_api_auth(req, resp) < 0 || kv__read_db(req, resp, &db) < 0)
        return 0;
    rc = kv_delegation_list(db, req->params[0], NULL, &v, &n, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
    } else {
        items = json_array();
        for (i = 0; i < n; i++)
            json_array_append_new(items, delegation_json(&v[i]));
        kv_http_resp_json(resp, 200, json_pack("{s:s,s:o}", "org", req->params[0], "items", items));
    }
    free(v);
    kv_db_release(db);
    return 0;
}

static int delegations_add(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_delegation d;
    json_t *o = NULL, *delegate;
    int rc;

    if (kv__admin_api_auth(req, resp) < 0 || kv__admin_api_body(req, resp, &o) < 0)
        return 0;
    delegate = json_object_get(o, "delegate");
    if (!json_is_string(delegate)) {
        const char *msg = "delegate is required: the CVR of the organisation that may send";
        kv_http_resp_error(resp, 400, "INVALID_FIELD", msg,
                           json_pack("[{s:s,s:s,s:s,s:s,s:n}]", "resource", "admin", "field",
                                     "delegate", "code", "INVALID_FIELD", "message", msg,
                                     "rejectedValue"));
        goto out;
    }
    if (kv__read_db(req, resp, &db) < 0)
        goto out;
    rc = kv_delegation_add(db, req->params[0], json_string_value(delegate), &d, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 201, delegation_json(&d));
out:
    json_decref(o);
    kv_db_release(db);
    return 0;
}

static int delegations_remove(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    int rc;

    if (kv__admin_api_auth(req, resp) < 0 || kv__read_db(req, resp, &db) < 0)
        return 0;
    rc = kv_delegation_remove(db, req->params[0], req->params[1], &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 200,
                          json_pack("{s:s,s:s,s:b}", "org", req->params[0], "delegate",
                                    req->params[1], "removed", 1));
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_admin_delegations_routes[] = {
    {"GET", "/admin/v1/orgs/{cvr}/delegations", delegations_list, "admin_delegations_list", 0,
     KV_ACCESS_ADMIN},
    {"POST", "/admin/v1/orgs/{cvr}/delegations", delegations_add, "admin_delegations_add", 0,
     KV_ACCESS_ADMIN},
    {"DELETE", "/admin/v1/orgs/{cvr}/delegations/{delegate}", delegations_remove,
     "admin_delegations_remove", 0, KV_ACCESS_ADMIN},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

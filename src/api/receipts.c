/* SPDX-License-Identifier: MIT
 *
 * receipts.c (api): the NgDP receipt pull API for sender systems.
 *   GET    /apis/v1/receipts/?page=&size=        page of the caller's receipts, oldest first
 *   GET    /apis/v1/receipts/{id}?delete=true    one receipt (deleted afterwards when asked;
 *                                                 never by HEAD)
 *   DELETE /apis/v1/receipts/{id}                204; 404 when not the caller's
 * Authenticated with the system's Basic token. A receipt of another system answers 404, as
 * if it did not exist. Semantics in docs/receipts.md; storage in src/hub/receipts.c.
 */
#include <string.h>

#include "api/read_util.h"
#include "hub/directory.h"
#include "hub/receipts.h"
#include "store/store.h"

static int parse_id(struct kv_http_req *req, struct kv_http_resp *resp, int64_t *out)
{
    if (kv__read_parse_int(req->params[0], 1, INT64_MAX, out) == 0)
        return 0;
    kv_http_resp_error(resp, 404, "NOT_FOUND", "no such receipt", NULL);
    return KV_ENOTFOUND;
}

static int list(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    int64_t page, size;
    json_t *out = NULL;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0)
        goto out;
    if (kv__read_query_int(req, resp, "page", 0, 0, INT32_MAX, &page) < 0 ||
        kv__read_query_int(req, resp, "size", KV_RECEIPTS_PAGE_DEFAULT, 1, KV_RECEIPTS_PAGE_MAX,
                           &size) < 0)
        goto out;
    rc = kv_receipts_page(db, sys.id, page, (int)size, &out, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 200, out);
out:
    kv_db_release(db);
    return 0;
}

static int get_one(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_receipt r;
    struct kv_err err = {0};
    int64_t id;
    int del, rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0)
        goto out;
    if (kv__read_query_bool(req, resp, "delete", &del) < 0 || parse_id(req, resp, &id) < 0)
        goto out;
    /* HEAD is routed as GET but must stay safe: it never deletes. */
    rc = kv_receipt_get(db, sys.id, id, del == 1 && strcmp(req->method, "HEAD") != 0, &r, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 200, kv_receipt_json(&r));
out:
    kv_db_release(db);
    return 0;
}

static int delete_one(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    int64_t id;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0 || parse_id(req, resp, &id) < 0)
        goto out;
    rc = kv_receipt_delete(db, sys.id, id, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        resp->status = 204;
out:
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_receipts_routes[] = {
    {"GET", "/apis/v1/receipts/", list, "receipts_list", 0},
    {"GET", "/apis/v1/receipts/{id}", get_one, "receipts_get", 0},
    {"DELETE", "/apis/v1/receipts/{id}", delete_one, "receipts_delete", 0},
    {NULL, NULL, NULL, NULL, 0},
};

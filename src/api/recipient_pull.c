/* SPDX-License-Identifier: MIT
 *
 * recipient_pull.c (api): REST pull for recipient systems (NgDP "modtagersystem", REST_PULL).
 *   GET    /apis/v1/memos/?page=&size=        page of messageUUIDs routed to the caller
 *   GET    /apis/v1/memos/{id}                the MeMo XML (application/xml)
 *   POST   /apis/v1/memos/{id}/receipt        business receipt {receiptStatus: COMPLETED |
 *                                             INVALID, errorCode?, errorMessage?} -> 201
 *   DELETE /apis/v1/memos/{id}                204
 * Authenticated with a recipient system's Basic token (401; 403 for a sender system). A
 * letter not routed to the caller answers 404. The send API shares the path
 * /apis/v1/memos/ with method POST (src/api/memos.c); the router picks by method. Semantics
 * in docs/recipient-side.md; storage in src/hub/recipient_queue.c.
 */
#include <stdlib.h>
#include <string.h>

#include "api/read_util.h"
#include "hub/directory.h"
#include "hub/recipient_queue.h"
#include "store/store.h"

#define RECEIPT_TEXT_MAX 1000 /* longest errorCode / errorMessage accepted */

static int recipient_auth(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                          struct kv_system *sys)
{
    if (kv__read_system_auth(req, resp, db, sys) < 0)
        return KV_EAUTH;
    if (strcmp(sys->kind, "recipient") != 0) {
        kv_http_resp_error(resp, 403, "FORBIDDEN",
                           "only recipient systems may fetch letters", NULL);
        return KV_EPERM;
    }
    return 0;
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
    if (recipient_auth(req, resp, db, &sys) < 0)
        goto out;
    if (kv__read_query_int(req, resp, "page", 0, 0, INT32_MAX, &page) < 0 ||
        kv__read_query_int(req, resp, "size", KV_RECIPIENT_PAGE_DEFAULT, 1,
                           KV_RECIPIENT_PAGE_MAX, &size) < 0)
        goto out;
    rc = kv_recipient_page(db, sys.id, page, (int)size, &out, &err);
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
    struct kv_err err = {0};
    char *body = NULL;
    size_t len = 0;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (recipient_auth(req, resp, db, &sys) < 0)
        goto out;
    rc = kv_recipient_get(db, sys.id, req->params[0], &body, &len, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_bytes(resp, 200, "application/xml", body, len);
out:
    free(body);
    kv_db_release(db);
    return 0;
}

/* Optional string member of the receipt body; 0, or KV_EINVAL with the 400 written. */
static int opt_text(struct kv_http_resp *resp, json_t *o, const char *name, const char **out)
{
    json_t *v = json_object_get(o, name);
    json_t *fe;

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v) && json_string_length(v) <= RECEIPT_TEXT_MAX) {
        *out = json_string_value(v);
        return 0;
    }
    fe = json_pack("[{s:s,s:s,s:s,s:s,s:O}]", "resource", "BusinessReceipt", "field", name,
                   "code", "INVALID", "message", "must be a string of at most 1000 characters",
                   "rejectedValue", v);
    kv_http_resp_error(resp, 400, "INVALID_RECEIPT", "invalid business receipt", fe);
    return KV_EINVAL;
}

static int post_receipt(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    json_error_t jerr;
    json_t *in = NULL, *st;
    const char *status, *code, *msg;
    int64_t rid = 0;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (recipient_auth(req, resp, db, &sys) < 0)
        goto out;
    in = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(in)) {
        kv_http_resp_error(resp, 400, "INVALID_JSON",
                           "the body must be a JSON object {receiptStatus, errorCode?, "
                           "errorMessage?}",
                           NULL);
        goto out;
    }
    st = json_object_get(in, "receiptStatus");
    status = json_string_value(st);
    if (!status || (strcmp(status, "COMPLETED") != 0 && strcmp(status, "INVALID") != 0)) {
        json_t *fe = json_pack("[{s:s,s:s,s:s,s:s,s:O}]", "resource", "BusinessReceipt", "field",
                               "receiptStatus", "code", "INVALID", "message",
                               "must be COMPLETED or INVALID", "rejectedValue",
                               st ? st : json_null());
        kv_http_resp_error(resp, 400, "INVALID_RECEIPT", "receiptStatus must be COMPLETED or "
                           "INVALID", fe);
        goto out;
    }
    if (opt_text(resp, in, "errorCode", &code) < 0 || opt_text(resp, in, "errorMessage", &msg) < 0)
        goto out;
    rc = kv_recipient_receipt(db, sys.id, req->params[0], status, code, msg, &rid, &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 201,
                          json_pack("{s:s,s:s}", "messageUUID", req->params[0], "receiptStatus",
                                    status));
out:
    json_decref(in);
    kv_db_release(db);
    return 0;
}

static int delete_one(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (recipient_auth(req, resp, db, &sys) < 0)
        goto out;
    rc = kv_recipient_delete(db, sys.id, req->params[0], &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        resp->status = 204;
out:
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_recipient_pull_routes[] = {
    {"GET", "/apis/v1/memos/", list, "recipient_memos_list", 0},
    {"GET", "/apis/v1/memos/{id}", get_one, "recipient_memos_get", 0},
    {"POST", "/apis/v1/memos/{id}/receipt", post_receipt, "recipient_memos_receipt", 0},
    {"DELETE", "/apis/v1/memos/{id}", delete_one, "recipient_memos_delete", 0},
    {NULL, NULL, NULL, NULL, 0},
};

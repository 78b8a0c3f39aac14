/* SPDX-License-Identifier: MIT
 *
 * recipient_pull.c (api): REST pull for recipient systems (NgDP "modtagersystem", REST_PULL).
 *   GET    /apis/v1/memos/?page=&size=&sort=  page of messageUUIDs routed to the caller
 *                                             (NgDP's PagingResultUUID, util/page.h)
 *   GET    /apis/v1/memos/{id}                the MeMo XML (application/xml; ETag and
 *                                             Content-Disposition; HEAD does not deliver)
 *   POST   /apis/v1/memos/{id}/receipt        business receipt {receiptStatus: COMPLETED |
 *                                             INVALID, errorCode?, errorMessage?} -> 200;
 *                                             the same receipt again -> 200 (idempotent),
 *                                             another status -> 409
 *   DELETE /apis/v1/memos/{id}                204
 * Authenticated with a recipient system's Basic token (401; 403 for a sender system). A
 * letter not routed to the caller answers 404. Receipt bodies are read leniently (member
 * names and status in any case, NgDP's other Receipt members ignored) but a messageUUID in
 * the body must be the path's (docs/recipient-side.md, "Client compatibility"). The send
 * API shares the path /apis/v1/memos/ with method POST (src/api/memos.c); the router picks
 * by method. Semantics in docs/recipient-side.md; storage in src/hub/recipient_queue.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/read_util.h"
#include "hub/directory.h"
#include "hub/recipient_queue.h"
#include "util/page.h"
#include "store/store.h"

/* Longest errorCode / errorMessage accepted, in bytes of UTF-8: what the sender's Receipt
 * stores (struct kv_receipt in hub/receipts.h: 64 and 1024 bytes with the NUL). A longer
 * text is refused rather than cut, which could split a character and spoil the receipt. */
#define RECEIPT_CODE_MAX 63
#define RECEIPT_MESSAGE_MAX 1023

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

/* Names the sort parameter may give for the list's one order (queue order = arrival). */
static const char *const sort_names[] = {KV_RECIPIENT_ORDER_PROPERTY, "timeStamp", "id", NULL};

static int list(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    struct kv_page_order order = {KV_RECIPIENT_ORDER_PROPERTY, 0};
    char cursor[37];
    const char *after = NULL;
    int64_t page, size;
    int before = 0;
    json_t *out = NULL;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (recipient_auth(req, resp, db, &sys) < 0)
        goto out;
    if (kv__read_query_int(req, resp, "page", 0, 0, INT32_MAX, &page) < 0 ||
        kv__read_query_int(req, resp, "size", KV_RECIPIENT_PAGE_DEFAULT, 1,
                           KV_RECIPIENT_PAGE_MAX, &size) < 0 ||
        kv__read_query_sort(req, resp, sort_names, &order) < 0)
        goto out;
    if (kv__read_query_after(req, resp, cursor, &after, &before) < 0)
        goto out;
    rc = kv_recipient_page_after(db, sys.id, page, (int)size, order.desc, after, before, &out,
                                 &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 200, out);
out:
    kv_db_release(db);
    return 0;
}

/* A path's messageUUID as stored (lower case) in out (37 bytes); a value that is not 36
 * bytes long is returned unchanged (it named no letter, so it is only echoed in errors). */
static const char *lower_uuid(const char *u, char out[37])
{
    size_t i;

    if (strlen(u) != 36)
        return u;
    for (i = 0; i < 36; i++)
        out[i] = (char)(u[i] >= 'A' && u[i] <= 'Z' ? u[i] - 'A' + 'a' : u[i]);
    out[36] = '\0';
    return out;
}

static int get_one(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    char *body = NULL, hdr[96];
    size_t len = 0;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (recipient_auth(req, resp, db, &sys) < 0)
        goto out;
    /* HEAD answers like GET without the body; nothing was delivered, so it does not count
     * as the first fetch (the letter stays QUEUED). */
    if (strcmp(req->method, "HEAD") == 0)
        rc = kv_recipient_peek(db, sys.id, req->params[0], &body, &len, &err);
    else
        rc = kv_recipient_get(db, sys.id, req->params[0], &body, &len, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    /* A letter never changes: its ETag is its messageUUID (as stored, lower case), and the
     * file name a client saving it should use is <messageUUID>.xml. */
    if (strlen(req->params[0]) == 36) {
        char id[37];
        lower_uuid(req->params[0], id);
        snprintf(hdr, sizeof(hdr), "\"%s\"", id);
        kv_http_resp_header(resp, "ETag", hdr);
        snprintf(hdr, sizeof(hdr), "inline; filename=\"%s.xml\"", id);
        kv_http_resp_header(resp, "Content-Disposition", hdr);
    }
    kv_http_resp_bytes(resp, 200, "application/xml", body, len);
out:
    free(body);
    kv_db_release(db);
    return 0;
}

/* Member name of o, matched exactly or else in any case ("ReceiptStatus", as Newtonsoft
 * writes a .NET property by default; "messageUuid"); borrowed, NULL when absent. */
static json_t *member(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    const char *key;

    if (v)
        return v;
    json_object_foreach(o, key, v) {
        if (strcasecmp(key, name) == 0)
            return v;
    }
    return NULL;
}

/* 400 INVALID_RECEIPT naming one field; returns KV_EINVAL. */
static int bad_field(struct kv_http_resp *resp, const char *field, const char *message,
                     json_t *rejected)
{
    json_t *fe = json_pack("[{s:s,s:s,s:s,s:s,s:O}]", "resource", "BusinessReceipt", "field",
                           field, "code", "INVALID", "message", message, "rejectedValue",
                           rejected ? rejected : json_null());
    kv_http_resp_error(resp, 400, "INVALID_RECEIPT", message, fe);
    return KV_EINVAL;
}

/* The body may carry the letter's messageUUID (NgDP's Receipt and BusinessReceipt models have
 * one). It must be the letter of the path; null, "" and the nil UUID (a .NET Guid left unset)
 * count as not given. 0, or KV_EINVAL with the 400 written. */
static int check_body_uuid(struct kv_http_resp *resp, json_t *in, const char *path_uuid)
{
    json_t *v = member(in, "messageUUID");
    const char *u;

    if (!v || json_is_null(v))
        return 0;
    u = json_string_value(v);
    if (u && (!u[0] || strcmp(u, "00000000-0000-0000-0000-000000000000") == 0 ||
              strcasecmp(u, path_uuid) == 0))
        return 0;
    return bad_field(resp, "messageUUID",
                     "messageUUID in the body must be the messageUUID of the path", v);
}

/* Optional string member of the receipt body, at most max bytes; 0, or KV_EINVAL with the
 * 400 written. */
static int opt_text(struct kv_http_resp *resp, json_t *o, const char *name, size_t max,
                    const char **out)
{
    json_t *v = member(o, name);
    char msg[160];

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v) && json_string_length(v) <= max) {
        *out = json_string_value(v);
        return 0;
    }
    if (json_is_string(v))
        snprintf(msg, sizeof(msg), "%s must be at most %zu bytes of UTF-8; this one is %zu bytes",
                 name, max, json_string_length(v));
    else
        snprintf(msg, sizeof(msg), "%s must be a string of at most %zu bytes of UTF-8", name,
                 max);
    return bad_field(resp, name, msg, v);
}

static int post_receipt(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    json_t *in = NULL, *st;
    const char *status, *code, *msg;
    int64_t rid = 0;
    char id[37];
    int repeat = 0, rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (recipient_auth(req, resp, db, &sys) < 0)
        goto out;
    if (kv_http_req_json_object(req, resp, "{receiptStatus, errorCode?, errorMessage?}", &in) < 0)
        goto out;
    /* The status in any case ("completed" from a client that lower-cases enum names). */
    st = member(in, "receiptStatus");
    status = json_string_value(st);
    if (status && strcasecmp(status, "COMPLETED") == 0) {
        status = "COMPLETED";
    } else if (status && strcasecmp(status, "INVALID") == 0) {
        status = "INVALID";
    } else {
        bad_field(resp, "receiptStatus",
                  "receiptStatus must be COMPLETED or INVALID (a recipient system's business "
                  "receipt)", st);
        goto out;
    }
    if (check_body_uuid(resp, in, req->params[0]) < 0 ||
        opt_text(resp, in, "errorCode", RECEIPT_CODE_MAX, &code) < 0 ||
        opt_text(resp, in, "errorMessage", RECEIPT_MESSAGE_MAX, &msg) < 0)
        goto out;
    rc = kv_recipient_receipt(db, sys.id, req->params[0], status, code, msg, &rid, &repeat,
                              &err);
    /* 200 (the only success NgDP's client accepts), also for a retry of the same receipt. */
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 200,
                          json_pack("{s:s,s:s}", "messageUUID", lower_uuid(req->params[0], id),
                                    "receiptStatus", status));
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
    {"GET", "/apis/v1/memos/", list, "recipient_memos_list", 0, KV_ACCESS_RECIPIENT},
    {"GET", "/apis/v1/memos/{id}", get_one, "recipient_memos_get", 0, KV_ACCESS_RECIPIENT},
    {"POST", "/apis/v1/memos/{id}/receipt", post_receipt, "recipient_memos_receipt", 0,
     KV_ACCESS_RECIPIENT},
    {"DELETE", "/apis/v1/memos/{id}", delete_one, "recipient_memos_delete", 0, KV_ACCESS_RECIPIENT},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

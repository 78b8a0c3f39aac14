/* SPDX-License-Identifier: MIT
 *
 * receipts.c (api): the NgDP receipt pull API for sender systems.
 *   GET    /apis/v1/receipts/?page=&size=&sort=   PagingResultUUID of the caller's receipt ids
 *                                                 (GUIDs), oldest first
 *   GET    /apis/v1/receipts-bulk/?page=&size=&sort=  ReceiptSearchResult: the same page as
 *                                                 whole receipts (BulkReceipt, with id)
 *   GET    /apis/v1/receipts/{id}?delete=true     one Receipt (deleted afterwards when asked;
 *                                                 never by HEAD)
 *   DELETE /apis/v1/receipts/{id}                 204; 404 when not the caller's
 * {id} is the receipt's GUID (the integer row id of kuvert before migration 010 is accepted
 * too). Authenticated with the system's Basic token. A receipt of another system answers 404,
 * as if it did not exist. Semantics in docs/receipts.md; storage in src/hub/receipts.c.
 */
#include <string.h>

#include "api/api.h"
#include "api/read_util.h"
#include "hub/directory.h"
#include "hub/receipts.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/page.h"

/* Names the sort parameter may give for the lists' one order (creation = row order). */
static const char *const sort_names[] = {KV_RECEIPTS_ORDER_PROPERTY, "createdDate", "id", NULL};

/* The relative link of ReceiptSearchResult's next (prefix "after") or previous ("before"):
 * the page number, size, the order when descending and the keyset cursor, the id of the
 * page's last or first receipt (a kuvert extension: NgDP's ReceiptSearchResult has no
 * links; docs/receipts.md "Deleting while paging"). */
static void bulk_link(struct kv_http_req *req, json_t *o, const char *member, int64_t page,
                      int64_t size, int desc, const char *cursor_name, json_t *r)
{
    struct kv_buf b;

    kv_buf_init(&b, 512);
    kv_buf_printf(&b, "%s?page=%lld&size=%lld", req->path, (long long)page, (long long)size);
    if (desc)
        kv__read_add_param(&b, "sort", KV_RECEIPTS_ORDER_PROPERTY ",DESC");
    kv__read_add_param(&b, cursor_name, json_string_value(json_object_get(r, "id")));
    json_object_set_new(o, member, json_stringn(b.buf, b.len));
    kv_buf_release(&b);
}

/* GET /apis/v1/receipts/ (bulk 0) and /apis/v1/receipts-bulk/ (bulk 1). */
static int list_impl(struct kv_http_req *req, struct kv_http_resp *resp, int bulk)
{
    struct kv_page_order order = {KV_RECEIPTS_ORDER_PROPERTY, 0};
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    char cursor[37];
    const char *after = NULL;
    int64_t page, size;
    json_t *out = NULL;
    int rc, before = 0, more = 0, prev = 0;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0)
        goto out;
    if (kv__read_query_int(req, resp, "page", 0, 0, INT32_MAX, &page) < 0 ||
        kv__read_query_int(req, resp, "size", KV_RECEIPTS_PAGE_DEFAULT, 1, KV_RECEIPTS_PAGE_MAX,
                           &size) < 0 ||
        kv__read_query_sort(req, resp, sort_names, &order) < 0)
        goto out;
    if (kv__read_query_after(req, resp, cursor, &after, &before) < 0)
        goto out;
    rc = bulk ? kv_receipts_bulk_page(db, sys.id, page, (int)size, order.desc, after, before,
                                      &more, &prev, &out, &err)
              : kv_receipts_page_after(db, sys.id, page, (int)size, order.desc, after, before,
                                       &out, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    if (bulk) {
        json_t *list = json_object_get(out, "receipts");
        size_t n = json_array_size(list);
        if (more && n > 0)
            bulk_link(req, out, "next", page + 1, size, order.desc, "after",
                      json_array_get(list, n - 1));
        if (prev && n > 0)
            bulk_link(req, out, "previous", page - 1, size, order.desc, "before",
                      json_array_get(list, 0));
    }
    kv_http_resp_json(resp, 200, out);
out:
    kv_db_release(db);
    return 0;
}

static int list(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return list_impl(req, resp, 0);
}

static int list_bulk(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return list_impl(req, resp, 1);
}

static int get_one(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_receipt r;
    struct kv_err err = {0};
    int del, rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0)
        goto out;
    if (kv__read_query_bool(req, resp, "delete", &del) < 0)
        goto out;
    /* HEAD is routed as GET but must stay safe: it never deletes. */
    rc = kv_receipt_get(db, sys.id, req->params[0], del == 1 && strcmp(req->method, "HEAD") != 0,
                        &r, &err);
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
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0)
        goto out;
    rc = kv_receipt_delete(db, sys.id, req->params[0], &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        resp->status = 204;
out:
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_receipts_routes[] = {
    {"GET", "/apis/v1/receipts/", list, "receipts_list", 0, KV_ACCESS_SYSTEM},
    {"GET", "/apis/v1/receipts-bulk/", list_bulk, "receipts_bulk", 0, KV_ACCESS_SYSTEM},
    {"GET", "/apis/v1/receipts/{id}", get_one, "receipts_get", 0, KV_ACCESS_SYSTEM},
    {"DELETE", "/apis/v1/receipts/{id}", delete_one, "receipts_delete", 0, KV_ACCESS_SYSTEM},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* SPDX-License-Identifier: MIT
 *
 * mailbox.c (api): the mailbox read API for portals and apps (docs/mailbox-api.md).
 *   GET  /api/mailbox/messages?cursor=&folder=&unread=&limit=&text=   the caller's letters,
 *                                                             newest first (text: search)
 *   GET  /api/mailbox/messages/{uuid}                           one letter: header, documents, actions
 *   GET  /api/mailbox/messages/{uuid}/files/{n}                 file n's decoded bytes
 *   POST /api/mailbox/messages/{uuid}/read                      204; event MESSAGE_READ the first time
 * Authenticated with "Authorization: Bearer <user token>" (kuvert user token). Someone else's
 * letter answers 404 exactly like a letter that does not exist. Logic in hub/mailbox_view.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/read_util.h"
#include "hub/mailbox_view.h"
#include "store/store.h"

/* Authenticates the caller into owner; writes the 401 on failure. */
static int owner_of(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                    struct kv_mbox_owner *owner)
{
    return kv__read_user_auth(req, resp, db, owner->type, owner->id);
}

static int list(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_mbox_owner owner = {.type = ""}; /* rep_* empty: the owner acts */
    struct kv_mbox_query q;
    struct kv_err err = {0};
    int64_t limit;
    json_t *out = NULL;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (owner_of(req, resp, db, &owner) < 0)
        goto out;
    memset(&q, 0, sizeof(q));
    if (kv__read_query_int(req, resp, "limit", KV_MBOX_LIST_DEFAULT, 1, KV_MBOX_LIST_MAX,
                           &limit) < 0 ||
        kv__read_query_bool(req, resp, "unread", &q.unread) < 0)
        goto out;
    q.limit = (int)limit;
    q.folder = kv_http_req_query(req, "folder");
    if (q.folder && (!q.folder[0] || strlen(q.folder) > 63)) {
        kv__read_bad_param(resp, "folder", q.folder, "folder must be 1 to 63 characters");
        goto out;
    }
    q.cursor = kv_http_req_query(req, "cursor");
    if (q.cursor && !q.cursor[0])
        q.cursor = NULL;
    q.text = kv_http_req_query(req, "text");
    if (q.text && !kv_mbox_text_ok(q.text)) {
        kv__read_bad_param(resp, "text", q.text,
                           "text must be UTF-8 without control characters, at most 200 bytes");
        goto out;
    }
    rc = kv_mbox_list(db, &owner, &q, &out, &err);
    if (rc == KV_EINVAL)
        kv__read_bad_param(resp, "cursor", q.cursor, err.msg);
    else if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 200, out);
out:
    kv_db_release(db);
    return 0;
}

/* Authenticates and loads the letter named by the first path parameter. Writes the response
 * (401/404/500) on failure. */
static int load(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                int with_body, struct kv_mbox_owner *owner, struct kv_mbox_letter *l)
{
    struct kv_err err = {0};
    int rc;

    memset(l, 0, sizeof(*l));
    rc = owner_of(req, resp, db, owner);
    if (rc < 0)
        return rc;
    rc = kv_mbox_letter_load(db, owner, req->params[0], with_body, l, &err);
    if (rc == KV_ENOTFOUND)
        kv_http_resp_error(resp, 404, "NOT_FOUND", "no such message", NULL);
    else if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    return rc;
}

static int get_one(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_mbox_owner owner = {.type = ""}; /* rep_* empty: the owner acts */
    struct kv_mbox_letter l;
    struct kv_err err = {0};
    json_t *out = NULL;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (load(req, resp, db, 1, &owner, &l) == 0) {
        rc = kv_mbox_letter_json(&l, &out, &err);
        if (rc < 0)
            kv_http_resp_from_err(resp, rc, &err);
        else
            kv_http_resp_json(resp, 200, out);
    }
    kv_mbox_letter_release(&l);
    kv_db_release(db);
    return 0;
}

/* 1 when mime is a plain "type/subtype" of RFC 7230 token characters that fits. */
static int mime_ok(const char *mime, size_t max)
{
    size_t i, slashes = 0, n = strlen(mime);

    if (n == 0 || n >= max)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)mime[i];
        if (c == '/') {
            if (i == 0 || i == n - 1 || slashes++)
                return 0;
            continue;
        }
        if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"[]?={}", c))
            return 0;
    }
    return slashes == 1;
}

/* Content-Disposition with an ASCII fallback name and the exact UTF-8 name (RFC 6266/8187). */
static char *disposition(const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    struct kv_buf b;
    size_t i;

    kv_buf_init(&b, 16384);
    kv_buf_puts(&b, "attachment; filename=\"");
    for (i = 0; name[i] && i < 200; i++) {
        unsigned char c = (unsigned char)name[i];
        char ch = (c >= 32 && c < 127 && c != '"' && c != '\\' && c != '%') ? (char)c : '_';
        kv_buf_append(&b, &ch, 1);
    }
    kv_buf_puts(&b, "\"; filename*=UTF-8''");
    for (i = 0; name[i] && i < 1000; i++) {
        unsigned char c = (unsigned char)name[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("!#$&+-.^_`|~", c)) {
            char ch = (char)c;
            kv_buf_append(&b, &ch, 1);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            kv_buf_append(&b, enc, 3);
        }
    }
    return kv_buf_detach(&b, NULL);
}

static int get_file(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_mbox_owner owner = {.type = ""}; /* rep_* empty: the owner acts */
    struct kv_mbox_letter l;
    struct kv_err err = {0};
    unsigned char *data = NULL;
    char *mime = NULL, *name = NULL, *disp;
    size_t len = 0;
    int64_t n;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (load(req, resp, db, 1, &owner, &l) < 0)
        goto out;
    if (kv__read_parse_int(req->params[1], 0, 100000, &n) < 0) {
        kv_http_resp_error(resp, 404, "NOT_FOUND", "no such file", NULL);
        goto out;
    }
    rc = kv_mbox_letter_file(&l, (size_t)n, &data, &len, &mime, &name, &err);
    if (rc == KV_ENOTFOUND) {
        kv_http_resp_error(resp, 404, "NOT_FOUND", "no such file", NULL);
        goto out;
    }
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    kv_http_resp_bytes(resp, 200,
                       mime_ok(mime, sizeof(resp->content_type)) ? mime
                                                                 : "application/octet-stream",
                       data, len);
    disp = disposition(name);
    kv_http_resp_header(resp, "Content-Disposition", disp);
    free(disp);
    kv_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    kv_http_resp_header(resp, "Content-Security-Policy", "sandbox");
out:
    free(data);
    free(mime);
    free(name);
    kv_mbox_letter_release(&l);
    kv_db_release(db);
    return 0;
}

static int mark_read(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_mbox_owner owner = {.type = ""}; /* rep_* empty: the owner acts */
    struct kv_mbox_letter l;
    struct kv_err err = {0};
    int first, rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (load(req, resp, db, 0, &owner, &l) == 0) {
        rc = kv_mbox_mark_read(db, &owner, &l, &first, &err);
        if (rc < 0)
            kv_http_resp_from_err(resp, rc, &err);
        else
            resp->status = 204;
    }
    kv_mbox_letter_release(&l);
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_mailbox_routes[] = {
    {"GET", "/api/mailbox/messages", list, "mailbox_list", 0, KV_ACCESS_MAILBOX},
    {"GET", "/api/mailbox/messages/{uuid}", get_one, "mailbox_get", 0, KV_ACCESS_MAILBOX},
    {"GET", "/api/mailbox/messages/{uuid}/files/{n}", get_file, "mailbox_file", 0,
     KV_ACCESS_MAILBOX},
    {"POST", "/api/mailbox/messages/{uuid}/read", mark_read, "mailbox_read", 0, KV_ACCESS_MAILBOX},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

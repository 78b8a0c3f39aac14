/* SPDX-License-Identifier: MIT
 *
 * memos.c (api): the NgDP send API and kuvert's recall extension.
 *   POST /apis/v1/memos/?memo-message-uuid=UUID   one letter (application/xml, text/xml)
 *   POST /apis/v1/memos/                          bulk: application/x-lzma (tar of MeMo files,
 *                                                 LZMA or xz) or multipart/form-data part `file`
 *                                                 (an XML part with memo-message-uuid is a
 *                                                 single send)
 *   POST /apis/v1/memos/{messageUUID}/recall      recall before the value date
 * Authenticated with a sender system's Basic token (401 otherwise; 403 for a recipient
 * system). Semantics, status codes and the bulk answer are in docs/send-api.md; the pipeline
 * is src/hub/letters.c + writer.c; the bulk send is src/api/bulk_send.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/gate.h"
#include "api/memos_bulk.h"
#include "api/read_util.h"
#include "http/http.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "hub/writer.h"
#include "memo/memo.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* 1 when s[0..n) is a UUID in its 8-4-4-4-12 hex form (either case). */
static int is_uuid_text(const char *s, size_t n)
{
    size_t i;

    if (n != 36)
        return 0;
    for (i = 0; i < n; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

/* Index of the first byte of b[0..n) after an optional UTF-8 BOM and XML white space. */
static size_t skip_bom_space(const char *b, size_t n)
{
    size_t i = 0;

    if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i;
}

/* 1 when the body holds nothing but an optional UTF-8 BOM and XML white space. */
static int body_is_empty(const char *b, size_t n)
{
    return skip_bom_space(b, n) == n;
}

/* 1 when data starts (after an optional UTF-8 BOM and white space) like an XML document, also
 * one in UTF-16 or UTF-32 (a byte-order mark, or '<' as a code unit of either): such a letter
 * is checked and refused as XML-ENCODING, where a multipart part of a generic type was taken
 * for an archive and answered "not an LZMA-compressed tar archive". An LZMA, xz or tar
 * archive never starts so. */
static int looks_like_xml(const char *b, size_t n)
{
    const unsigned char *u = (const unsigned char *)b;
    size_t i = skip_bom_space(b, n);

    if (i < n && b[i] == '<')
        return 1;
    if (n < 4)
        return 0;
    return (u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF) ||
           (u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF) ||
           (u[0] == '<' && u[1] == 0) || (u[0] == 0 && u[1] == '<') ||
           (u[0] == 0 && u[1] == 0 && u[2] == 0 && u[3] == '<');
}

/* 400 for a request error of a single send: ErrorMessage code with one fieldError on the
 * query parameter memo-message-uuid (rejectedValue value, null when absent or not UTF-8). */
static void uuid_param_error(struct kv_http_resp *resp, const char *code, const char *message,
                             const char *value)
{
    json_t *v = value ? json_string(value) : NULL;

    kv_http_resp_field_error(resp, 400, code, message, "request", "memo-message-uuid", v);
    json_decref(v);
}

/* The answer for a letter that went through the pipeline: 201 + its receipt, its refusal, or
 * 500 when it could not be stored. */
static void answer_letter(struct kv_http_resp *resp, const struct kv_letter *l)
{
    switch (l->outcome) {
    case KV_LETTER_CREATED:
    case KV_LETTER_REPLAYED: {
        /* The receipt written as text, not through a jansson object: a tenth of the handler's
         * CPU for a small letter went to packing and dumping it (docs/send-api.md). */
        /* One allocation, made before the (empty) body is set: a receipt is ~300 bytes,
         * and reserving after kv_http_resp_bytes grew a 64-byte buffer by realloc. */
        (void)kv_buf_reserve(&resp->body, 512);
        kv_http_resp_bytes(resp, 201, "application/json", "", 0);
        if (kv_letter_receipt_text(l, &resp->body) < 0)
            kv_http_resp_json(resp, 201, kv_letter_receipt_json(l));
        return;
    }
    case KV_LETTER_REFUSED:
    case KV_LETTER_CONFLICT:
        kv_http_resp_problem(resp, &l->refusal);
        return;
    default:
        kv_log(KV_LOG_ERROR, "letter %s not stored: %s", l->uuid, l->err.msg);
        kv_http_resp_error(resp, 500, "INTERNAL_ERROR",
                           "the letter could not be stored; nothing was kept, send it again",
                           NULL);
        return;
    }
}

/* One letter, data[0..len) (NUL-terminated): the request body, or the XML part of a form
 * sent with memo-message-uuid. */
static int send_single(struct kv_http_req *req, struct kv_http_resp *resp,
                       const struct kv_system *sys, const char *data, size_t len)
{
    const char *param = kv_http_req_query(req, "memo-message-uuid");
    struct kv_letter l;
    struct kv_err err = {0};
    char uuid[37];
    size_t ulen;
    int rc;

    if (!param || !param[0]) {
        uuid_param_error(resp, "MISSING_MESSAGE_UUID",
                         "query parameter memo-message-uuid is required for a single letter",
                         NULL);
        return 0;
    }
    if (kv_http_req_query_count(req, "memo-message-uuid") > 1) {
        uuid_param_error(resp, "INVALID_MESSAGE_UUID",
                         "query parameter memo-message-uuid is given more than once; give it "
                         "once",
                         param);
        return 0;
    }
    /* Surrounding blanks are harmless (a stray space in a configured URL); anything else
     * that is not a UUID is refused here, with the reason, rather than as a mismatch. */
    while (*param == ' ' || *param == '\t')
        param++;
    ulen = strlen(param);
    while (ulen > 0 && (param[ulen - 1] == ' ' || param[ulen - 1] == '\t'))
        ulen--;
    if (!is_uuid_text(param, ulen)) {
        uuid_param_error(resp, "INVALID_MESSAGE_UUID",
                         "query parameter memo-message-uuid is not a UUID (8-4-4-4-12 "
                         "hexadecimal digits, e.g. 8c2ea15d-61fb-4ba9-9366-42f8b194c114)",
                         kv_http_req_query(req, "memo-message-uuid"));
        return 0;
    }
    memcpy(uuid, param, 36);
    uuid[36] = '\0';
    if (body_is_empty(data, len)) {
        kv_http_resp_error(resp, 400, "EMPTY_BODY",
                           "the request body is empty; send the MeMo XML letter as the body",
                           NULL);
        return 0;
    }
    /* An idempotent resend is answered from the stored letter: by the writer, which looks
     * the uuid up first on its own connection (warm: its own commits do not drop its page
     * cache, as they drop a pooled connection's), or, when the check refuses the bytes now,
     * by kv_letter_submit before the refusal is answered (letters.h). */
    kv_letter_init(&l, data, len);
    kv_sha256_hex(data, len, l.sha256);
    rc = kv_letter_submit(req->hub, sys, &l, uuid, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    answer_letter(resp, &l);
out:
    kv_letter_release(&l);
    return 0;
}

static int memos_send(struct kv_http_req *req, struct kv_http_resp *resp)
{
    const struct kv_system *sys;
    struct kv_err err = {0};
    const char *ct = kv_http_req_header(req, "Content-Type");
    const char *part = NULL;
    char media[96], part_type[96];
    size_t part_len = 0;

    /* No store connection here: the send takes one only where it needs one (the writer's
     * own, or the resend look-up of a refused letter). */
    sys = kv__read_sender_auth(req, resp);
    if (!sys)
        return 0;
    kv__media_type(ct, media, sizeof(media));
    if (strcmp(media, "application/xml") == 0 || strcmp(media, "text/xml") == 0) {
        send_single(req, resp, sys, req->body, req->body_len);
        goto out;
    }
    if (strcmp(media, "application/x-lzma") == 0 || strcmp(media, "application/x-xz") == 0) {
        kv__bulk_send(req, resp, req->body, req->body_len, 0,
                      looks_like_xml(req->body, req->body_len), sys);
        goto out;
    }
    if (strcmp(media, "multipart/form-data") == 0) {
        int is_xml;
        if (kv__multipart_file(ct, req->body, req->body_len, &part, &part_len, part_type,
                               sizeof(part_type), &err) < 0) {
            kv_http_resp_error(resp, 400, "INVALID_MULTIPART", err.msg, NULL);
            goto out;
        }
        if (body_is_empty(part, part_len)) {
            kv_http_resp_error(resp, 400, "INVALID_MULTIPART",
                               "part \"file\" is empty; it must hold an application/x-lzma "
                               "archive of MeMo letters (or one MeMo letter)",
                               NULL);
            goto out;
        }
        /* One letter when the part says XML or, whatever type it was given (none,
         * application/octet-stream from a generic form library), when it is XML. */
        is_xml = strcmp(part_type, "application/xml") == 0 ||
                 strcmp(part_type, "text/xml") == 0 || looks_like_xml(part, part_len);
        if (is_xml && kv_http_req_query(req, "memo-message-uuid")) {
            /* NgDP's generated clients send one letter this way (part "file", type
             * application/xml, with memo-message-uuid): answered exactly as a single send. */
            char *copy = kv_xmalloc(part_len + 1);
            memcpy(copy, part, part_len);
            copy[part_len] = '\0';
            send_single(req, resp, sys, copy, part_len);
            free(copy);
            goto out;
        }
        kv__bulk_send(req, resp, part, part_len, is_xml, looks_like_xml(part, part_len), sys);
        goto out;
    }
    kv_http_resp_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE",
                       "Content-Type must be application/xml, text/xml (one letter), "
                       "application/x-lzma or multipart/form-data (bulk)",
                       NULL);
out:
    return 0;
}

static int memos_recall(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    const struct kv_system *sys;
    struct kv_err err = {0};
    int64_t when = 0;
    int already = 0, rc;
    char ts[32], uuid[37];
    size_t i;

    sys = kv__read_sender_auth(req, resp);
    if (!sys)
        return 0;
    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    rc = kv_letter_recall(db, sys->org_cvr, req->params[0], sys->id, sys->id, &when, &already,
                          &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    kv_clock_format_utc(when ? when : kv_clock_now_ms(), ts, sizeof(ts));
    /* Echoed lower-cased, as in every receipt, however the client spelled it in the path. */
    for (i = 0; i < sizeof(uuid) - 1 && req->params[0][i]; i++) {
        char c = req->params[0][i];
        uuid[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    uuid[i] = '\0';
    kv_http_resp_json(resp, 200,
                      json_pack("{s:s,s:s,s:b,s:s}", "messageUUID", uuid, "state", "RECALLED",
                                "alreadyRecalled", already, "timeStamp", ts));
out:
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_memos_routes[] = {
    {"POST", "/apis/v1/memos/", memos_send, "memos_send", 0, KV_ACCESS_SENDER},
    {"POST", "/apis/v1/memos/{messageUUID}/recall", memos_recall, "memos_recall", 0,
     KV_ACCESS_SENDER},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

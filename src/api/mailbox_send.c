/* SPDX-License-Identifier: MIT
 *
 * mailbox_send.c (api): citizens and companies writing to authorities (docs/mailbox-api.md,
 * "Writing to authorities").
 *   POST /api/mailbox/messages                 a new letter to a contact point
 *   POST /api/mailbox/messages/{uuid}/reply    a reply to a letter that allows replies
 * Authenticated with "Authorization: Bearer <user token>". The JSON body is
 *   {"contactPointId": "...", "label": "...", "text": "...",
 *    "attachments": [{"filename": "a.pdf", "mimeType": "application/pdf", "content": "<b64>"}]}
 * (a reply has no contactPointId and an optional label). This file checks the request's shape
 * and bounds and decodes the attachments; building, limits, checking and storing are in
 * hub/mailbox_send.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/gate.h"
#include "api/read_util.h"
#include "hub/mailbox_send.h"
#include "hub/mailbox_view.h"
#include "store/store.h"
#include "util/base64.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define BODY_MAX ((size_t)140000000) /* request body bytes: 100 MB of files in base64 + JSON */
#define MIME_MAX 127                 /* mimeType bytes */

/* A parsed request; release with request_release. */
struct request {
    json_t *in;                           /* owned parsed body */
    json_t *fe;                           /* owned fieldErrors collected while checking */
    const char *point_id;                 /* borrowed from in */
    struct kv_mbox_attachment *att;       /* owned array of n_att */
    unsigned char **data;                 /* owned decoded bytes of each attachment */
    struct kv_mbox_draft d;               /* what the hub gets (points into the above) */
};

static void request_release(struct request *r)
{
    size_t i;

    for (i = 0; r->data && i < r->d.n_att; i++)
        free(r->data[i]);
    free(r->data);
    free(r->att);
    json_decref(r->in);
    json_decref(r->fe);
    memset(r, 0, sizeof(*r));
}

static void add_fe(struct request *r, const char *field, const char *code, const char *message)
{
    json_array_append_new(r->fe, json_pack("{s:s,s:s,s:s,s:s,s:n}", "resource", "MailboxMessage",
                                           "field", field, "code", code, "message", message,
                                           "rejectedValue"));
}

/* UTF-8 characters in s (jansson strings are valid UTF-8). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

/* Optional string member name: NULL when absent or null; adds a fieldError when not a string. */
static const char *opt_string(struct request *r, const char *name)
{
    json_t *v = json_object_get(r->in, name);

    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        add_fe(r, name, "INVALID", "must be a string");
        return NULL;
    }
    return json_string_value(v);
}

/* Checks and decodes attachments[]. Returns 413 when the files are larger than any contact
 * point accepts, else 0 (problems as fieldErrors). */
static int take_attachments(struct request *r)
{
    json_t *arr = json_object_get(r->in, "attachments"), *a;
    char field[64];
    size_t i, n, size, total = 0;

    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr)) {
        add_fe(r, "attachments", "INVALID", "must be an array");
        return 0;
    }
    n = json_array_size(arr);
    if (n > KV_MBOX_SEND_ATTACH_MAX) {
        add_fe(r, "attachments", "TOO_MANY", "at most 100 attachments in one request");
        return 0;
    }
    r->att = kv_xcalloc(n ? n : 1, sizeof(*r->att));
    r->data = kv_xcalloc(n ? n : 1, sizeof(*r->data));
    json_array_foreach(arr, i, a) {
        json_t *fn = json_object_get(a, "filename"), *mt = json_object_get(a, "mimeType");
        json_t *ct = json_object_get(a, "content");

        if (!json_is_object(a)) {
            snprintf(field, sizeof(field), "attachments[%zu]", i);
            add_fe(r, field, "INVALID", "must be an object");
            continue;
        }
        if (!json_is_string(fn) || json_string_length(fn) == 0) {
            snprintf(field, sizeof(field), "attachments[%zu].filename", i);
            add_fe(r, field, "INVALID", "required, 1 to 255 bytes");
        } else if (json_string_length(fn) > KV_MBOX_SEND_FILENAME_MAX) {
            /* Bytes, not characters: 255 bytes is what the receiving systems' file systems
             * take, so a name of Danish letters (2 bytes each) has room for about 127. */
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "at most 255 bytes of UTF-8; this name is %zu bytes (%zu characters): "
                     "shorten it",
                     json_string_length(fn), utf8_chars(json_string_value(fn)));
            snprintf(field, sizeof(field), "attachments[%zu].filename", i);
            add_fe(r, field, "TOO_LONG", msg);
        }
        if (mt && !json_is_null(mt) &&
            (!json_is_string(mt) || json_string_length(mt) == 0 ||
             json_string_length(mt) > MIME_MAX)) {
            snprintf(field, sizeof(field), "attachments[%zu].mimeType", i);
            add_fe(r, field, "INVALID", "a MIME type of 1 to 127 bytes, or absent");
        }
        snprintf(field, sizeof(field), "attachments[%zu].content", i);
        if (!json_is_string(ct)) {
            add_fe(r, field, "INVALID", "required: the file's bytes in base64");
        } else if (!kv_b64_valid(json_string_value(ct), json_string_length(ct), &size)) {
            add_fe(r, field, "NGDP-BASE64", "not valid base64 (RFC 4648, padded, no whitespace)");
        } else {
            total += size;
            if (total > KV_MBOX_SEND_DECODED_MAX)
                return 413;
        }
    }
    if (json_array_size(r->fe) > 0)
        return 0;
    json_array_foreach(arr, i, a) {
        json_t *ct = json_object_get(a, "content");
        struct kv_mbox_attachment *x = &r->att[i];
        json_t *mt = json_object_get(a, "mimeType");

        if (kv_b64_decode(json_string_value(ct), json_string_length(ct), KV_MBOX_SEND_DECODED_MAX,
                          &r->data[i], &x->len) < 0) {
            snprintf(field, sizeof(field), "attachments[%zu].content", i);
            add_fe(r, field, "NGDP-BASE64", "not valid base64");
            return 0;
        }
        r->d.n_att = i + 1;
        x->data = r->data[i];
        x->filename = json_string_value(json_object_get(a, "filename"));
        x->mime = json_is_string(mt) ? json_string_value(mt) : NULL;
        json_object_del(a, "content"); /* the base64 text is no longer needed */
    }
    r->d.att = r->att;
    return 0;
}

/* Finds the top-level member key of the JSON object b[0..n) whose value is a string without
 * escapes shorter than outsz, and copies that value to out. 1 when found; 0 when not, or on
 * anything it does not follow (escapes in the key, another type of value, malformed input).
 * A bounded, linear look-ahead, not a parser: it only tells where a letter goes so that the
 * destination's size limit can be checked before jansson parses the body (which then
 * validates everything, duplicates included). */
static int top_level_string(const char *b, size_t n, const char *key, char *out, size_t outsz)
{
    size_t i, start, klen = strlen(key);
    int depth = 0, expect_key = 0, after_key = 0, match = 0, want_value = 0, esc;

    for (i = 0; i < n; i++) {
        char c = b[i];

        if (c == '"') {
            for (start = ++i, esc = 0; i < n && b[i] != '"'; i++)
                if (b[i] == '\\') {
                    esc = 1;
                    i++;
                }
            if (i >= n)
                return 0;
            if (depth == 1 && want_value) {
                if (esc || i - start >= outsz)
                    return 0;
                memcpy(out, b + start, i - start);
                out[i - start] = '\0';
                return 1;
            }
            if (depth == 1 && expect_key) {
                match = !esc && i - start == klen && memcmp(b + start, key, klen) == 0;
                expect_key = 0;
                after_key = 1;
            }
            continue;
        }
        if (want_value && c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return 0; /* the value is not a string */
        switch (c) {
        case '{':
        case '[':
            if (++depth == 1)
                expect_key = c == '{';
            break;
        case '}':
        case ']':
            if (--depth <= 0)
                return 0;
            break;
        case ',':
            if (depth == 1)
                expect_key = 1;
            break;
        case ':':
            if (depth == 1 && after_key) {
                after_key = 0;
                want_value = match;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

/* Refuses (413 CONTACT_POINT_SIZE_LIMIT) a request of size bytes larger than its
 * destination's size limit allows: point_id / reply_uuid as kv_mbox_send_body_max. Returns 0
 * to go on; a negative code when the answer is written. */
static int size_check(struct kv_http_req *req, struct kv_http_resp *resp, uint64_t size,
                      const struct kv_mbox_owner *owner, const char *point_id,
                      const char *reply_uuid)
{
    struct kv_err err = {0};
    char msg[256];
    uint64_t max = 0;
    int64_t max_mb = 0;
    int rc;

    rc = kv_mbox_send_body_max(req->hub, owner, point_id, reply_uuid, &max, &max_mb, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        return rc;
    }
    if (size <= max)
        return 0;
    if (max_mb > 0)
        snprintf(msg, sizeof(msg),
                 "the request is %llu bytes; the contact point accepts at most %lld MB of files "
                 "(%lld bytes), which a request of at most %llu bytes carries",
                 (unsigned long long)size, (long long)max_mb, (long long)max_mb * KV_MBOX_SEND_MB,
                 (unsigned long long)max);
    else
        snprintf(msg, sizeof(msg),
                 "the request is %llu bytes; no contact point accepts more than %d bytes of files "
                 "(a request of at most %llu bytes)",
                 (unsigned long long)size, KV_MBOX_SEND_DECODED_MAX, (unsigned long long)max);
    kv_http_resp_field_error(resp, 413, "CONTACT_POINT_SIZE_LIMIT", msg, "MailboxMessage",
                             "attachments", NULL);
    return KV_ETOOBIG;
}

/* After the body is read, before it is parsed: a 127 MB letter to a 10 MB contact point is
 * not turned into a JSON tree and decoded files first (the point from a look-ahead). */
static int size_gate(struct kv_http_req *req, struct kv_http_resp *resp, int reply,
                     const struct kv_mbox_owner *owner)
{
    char point[40];
    const char *point_id = NULL;

    if (!reply && top_level_string(req->body, req->body_len, "contactPointId", point,
                                   sizeof(point)) &&
        strlen(point) == 36)
        point_id = point;
    return size_check(req, resp, req->body_len, owner, point_id, reply ? req->params[0] : NULL);
}

int kv__mailbox_send_admit(struct kv_http_req *req, struct kv_http_resp *resp,
                           const char *owner_type, const char *owner_id)
{
    struct kv_mbox_owner owner = {.type = ""}; /* rep_* empty: the owner acts */
    const char *cl = kv_http_req_header(req, "Content-Length");
    int reply = strcmp(req->route->name, "mailbox_reply") == 0;
    uint64_t size = 0;
    size_t i;

    if (!cl || !*cl || strlen(cl) > 19)
        return 0; /* chunked, or refused by the server's framing checks */
    for (i = 0; cl[i]; i++) {
        if (cl[i] < '0' || cl[i] > '9')
            return 0;
        size = size * 10 + (uint64_t)(cl[i] - '0');
    }
    snprintf(owner.type, sizeof(owner.type), "%s", owner_type);
    snprintf(owner.id, sizeof(owner.id), "%s", owner_id);
    return size_check(req, resp, size, &owner, NULL, reply ? req->params[0] : NULL);
}

/* Parses and checks the body; writes the error answer itself and returns a negative code when
 * the request is refused. reply: no contactPointId, label optional. */
static int parse(struct kv_http_req *req, struct kv_http_resp *resp, int reply, struct request *r)
{
    const char *text;
    int st;

    memset(r, 0, sizeof(*r));
    if (req->body_len > BODY_MAX) {
        kv_http_resp_error(resp, 413, "BODY_TOO_LARGE", "the request body is too large", NULL);
        return KV_ETOOBIG;
    }
    if (kv_http_req_json_object(req, resp, NULL, &r->in) < 0)
        return KV_EINVAL;
    r->fe = json_array();
    if (!reply) {
        r->point_id = opt_string(r, "contactPointId");
        if (!r->point_id || strlen(r->point_id) != 36)
            add_fe(r, "contactPointId", "INVALID", "required: the contact point's id (a UUID)");
    }
    r->d.label = opt_string(r, "label");
    if ((!reply && !r->d.label) || (r->d.label && blank(r->d.label)))
        add_fe(r, "label", "INVALID", "required, not blank");
    else if (r->d.label && utf8_chars(r->d.label) > KV_MBOX_SEND_LABEL_MAX)
        add_fe(r, "label", "TOO_LONG", "at most 256 characters");
    text = opt_string(r, "text");
    if (!text || blank(text))
        add_fe(r, "text", "INVALID", "required, not blank");
    else if (strlen(text) > KV_MBOX_SEND_TEXT_MAX)
        add_fe(r, "text", "TOO_LONG", "at most 1000000 bytes");
    r->d.text = text;
    r->d.text_len = text ? strlen(text) : 0;
    st = json_array_size(r->fe) == 0 ? take_attachments(r) : 0;
    if (st == 413) {
        kv_http_resp_error(resp, 413, "CONTACT_POINT_SIZE_LIMIT",
                           "the files are larger than any contact point accepts (100 MB)", NULL);
        return KV_ETOOBIG;
    }
    if (json_array_size(r->fe) > 0) {
        kv_http_resp_error(resp, 400, "VALIDATION_FAILED", "the letter is not valid",
                           json_incref(r->fe));
        return KV_EINVAL;
    }
    return 0;
}

/* 201 {messageUUID, messageId, label, folder, size, createdAt, recipient {id, label},
 * contactPointId, inReplyTo} with Location. */
static void answer_sent(struct kv_http_resp *resp, const struct kv_mbox_sent *o)
{
    char loc[96], ts[32];

    kv_clock_format_utc(o->created_ms, ts, sizeof(ts));
    snprintf(loc, sizeof(loc), "/api/mailbox/messages/%s", o->uuid);
    kv_http_resp_header(resp, "Location", loc);
    kv_http_resp_json(resp, 201,
                      json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:{s:s,s:s},s:s?,s:s?}", "messageUUID",
                                o->uuid, "messageId", o->uuid, "label", o->label ? o->label : "",
                                "folder", KV_MBOX_FOLDER_SENT, "size", (json_int_t)o->size,
                                "createdAt", ts, "recipient", "id", o->org, "label",
                                o->org_label, "contactPointId",
                                o->point_id[0] ? o->point_id : NULL, "inReplyTo",
                                o->in_reply_to[0] ? o->in_reply_to : NULL));
}

static int write_letter(struct kv_http_req *req, struct kv_http_resp *resp, int reply)
{
    struct kv_db *db = NULL;
    struct kv_mbox_owner owner = {.type = ""}; /* rep_* empty: the owner acts */
    struct kv_mbox_sent sent;
    struct kv_problem refusal;
    struct request r;
    struct kv_err err = {0};
    int rc;

    memset(&r, 0, sizeof(r));
    memset(&sent, 0, sizeof(sent));
    kv_problem_init(&refusal);
    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    rc = kv__read_user_auth(req, resp, db, owner.type, owner.id);
    kv_db_release(db);
    if (rc < 0)
        return 0;
    if (size_gate(req, resp, reply, &owner) < 0 || parse(req, resp, reply, &r) < 0)
        goto out;
    if (reply)
        rc = kv_mbox_send_reply(req->hub, &owner, req->params[0], &r.d, &sent, &refusal, &err);
    else
        rc = kv_mbox_send_new(req->hub, &owner, r.point_id, &r.d, &sent, &refusal, &err);
    if (rc == 0)
        answer_sent(resp, &sent);
    else if (refusal.kind)
        kv_http_resp_problem(resp, &refusal);
    else
        kv_http_resp_from_err(resp, KV_EINTERNAL, &err);
out:
    kv_mbox_sent_release(&sent);
    kv_problem_release(&refusal);
    request_release(&r);
    return 0;
}

static int write_new(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return write_letter(req, resp, 0);
}

static int write_reply(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return write_letter(req, resp, 1);
}

const struct kv_http_route kv_api_mailbox_send_routes[] = {
    {"POST", "/api/mailbox/messages", write_new, "mailbox_write", 0, KV_ACCESS_MAILBOX_WRITE},
    {"POST", "/api/mailbox/messages/{uuid}/reply", write_reply, "mailbox_reply", 0,
     KV_ACCESS_MAILBOX_WRITE},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

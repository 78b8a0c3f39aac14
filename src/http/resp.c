/* SPDX-License-Identifier: MIT
 *
 * resp.c: building responses (JSON, raw bytes, headers, NgDP ErrorMessage bodies) and reading
 * request headers and query arguments. See http.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "http/http_int.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

void kv__http_resp_init(struct kv_http_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    kv_buf_init(&resp->body, KV__HTTP_RESP_MAX);
}

void kv__http_resp_release(struct kv_http_resp *resp)
{
    int i;

    kv_buf_release(&resp->body);
    for (i = 0; i < resp->n_hdrs; i++) {
        free(resp->hdr_values[i]);
        resp->hdr_values[i] = NULL;
    }
    resp->n_hdrs = 0;
}

const char *kv_http_req_header(const struct kv_http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *kv_http_req_query(const struct kv_http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_count {
    const char *name; /* argument name looked for */
    int n;            /* occurrences so far */
};

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    struct query_count *qc = cls;

    (void)kind;
    (void)value;
    if (key && strcasecmp(key, qc->name) == 0)
        qc->n++;
    return MHD_YES;
}

int kv_http_req_query_count(const struct kv_http_req *req, const char *name)
{
    struct query_count qc = {name, 0};

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, count_arg, &qc);
    return qc.n;
}

struct query_nth {
    const char *name;  /* argument name looked for */
    int n;             /* occurrences still to skip */
    const char *value; /* the one found, or NULL */
};

static enum MHD_Result nth_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    struct query_nth *q = cls;

    (void)kind;
    if (!key || strcasecmp(key, q->name) != 0)
        return MHD_YES;
    if (q->n-- > 0)
        return MHD_YES;
    q->value = value ? value : "";
    return MHD_NO;
}

const char *kv_http_req_query_nth(const struct kv_http_req *req, const char *name, int n)
{
    struct query_nth q = {name, n, NULL};

    if (n < 0)
        return NULL;
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, nth_arg, &q);
    return q.value;
}

static void set_type(struct kv_http_resp *resp, const char *ct)
{
    size_t n = strlen(ct);

    if (n >= sizeof(resp->content_type))
        n = sizeof(resp->content_type) - 1;
    memcpy(resp->content_type, ct, n);
    resp->content_type[n] = '\0';
}

void kv_http_resp_bytes(struct kv_http_resp *resp, int status, const char *content_type,
                        const void *data, size_t len)
{
    resp->status = status;
    set_type(resp, content_type);
    kv_buf_reset(&resp->body);
    if (kv_buf_append(&resp->body, data, len) < 0) {
        kv_log(KV_LOG_ERROR, "response body of %zu bytes over the limit", len);
        kv_http_resp_error(resp, 500, "INTERNAL_ERROR", "response too large", NULL);
    }
}

void kv_http_resp_json(struct kv_http_resp *resp, int status, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    json_decref(obj);
    if (!text) {
        resp->status = 500;
        set_type(resp, "application/json");
        kv_buf_reset(&resp->body);
        (void)kv_buf_puts(&resp->body, "{\"code\":\"INTERNAL_ERROR\",\"message\":\"cannot encode "
                                       "response\",\"fieldErrors\":[]}");
        return;
    }
    kv_http_resp_bytes(resp, status, "application/json", text, strlen(text));
    free(text);
}

void kv_http_resp_header_add(struct kv_http_resp *resp, const char *name, const char *value)
{
    if (resp->n_hdrs == KV_HTTP_MAX_HEADERS) {
        kv_log(KV_LOG_ERROR, "too many response headers; dropped %s", name);
        return;
    }
    resp->hdr_names[resp->n_hdrs] = name;
    resp->hdr_values[resp->n_hdrs] = kv_xstrdup(value);
    resp->n_hdrs++;
}

void kv_http_req_client(const struct kv_http_req *req, char *out, size_t outlen)
{
    if (req->client[0]) {
        (void)kv_str_copy(out, outlen, req->client); /* cut to fit, as snprintf "%s" */
        return;
    }
    kv_http_req_peer(req, out, outlen);
}

void kv_http_req_peer(const struct kv_http_req *req, char *out, size_t outlen)
{
    const union MHD_ConnectionInfo *ci =
        req->conn ? MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)
                  : NULL;
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    out[0] = '\0';
    if (!sa)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)outlen);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)outlen);
}

void kv_http_resp_header(struct kv_http_resp *resp, const char *name, const char *value)
{
    int i;

    for (i = 0; i < resp->n_hdrs; i++)
        if (strcasecmp(resp->hdr_names[i], name) == 0) { /* replace */
            free(resp->hdr_values[i]);
            resp->hdr_values[i] = kv_xstrdup(value);
            return;
        }
    kv_http_resp_header_add(resp, name, value);
}

/* The kind of a refusal -> HTTP status and the generic code used when none is given. */
static int status_of(int kind, const char **out_name)
{
    switch (kind) {
    case KV_EINVAL:
    case KV_EXML:
    case KV_EUSAGE: *out_name = "INVALID_REQUEST"; return 400;
    case KV_EAUTH: *out_name = "UNAUTHORIZED"; return 401;
    case KV_EPERM: *out_name = "FORBIDDEN"; return 403;
    case KV_ENOTFOUND: *out_name = "NOT_FOUND"; return 404;
    case KV_ECONFLICT: *out_name = "CONFLICT"; return 409;
    case KV_ETOOBIG: *out_name = "PAYLOAD_TOO_LARGE"; return 413;
    case KV_EUNAVAIL: *out_name = "UNAVAILABLE"; return 503;
    default: *out_name = "INTERNAL_ERROR"; return 500;
    }
}

/* A JSON string of s, or of a stand-in when s is not UTF-8 (json_string refuses it), so that
 * no member of an error body is ever lost. */
static json_t *text_or_placeholder(const char *s)
{
    json_t *v = json_string(s ? s : "");

    return v ? v : json_string("(not valid UTF-8)");
}

/* The one way a located message reads: "line L, column C: text" (owned). */
static char *located(unsigned long line, unsigned long col, const char *text)
{
    return kv_xasprintf("line %lu, column %lu: %s", line, col, text ? text : "");
}

/* One fieldError {resource, field, code, message, rejectedValue} in the one order and shape
 * every error body uses; message is prefixed with "line L, column C: " when located. */
static json_t *field_error(const char *resource, const char *field, const char *code,
                           const char *message, unsigned long line, unsigned long col,
                           json_t *rejected)
{
    json_t *e = json_object();

    json_object_set_new(e, "resource", text_or_placeholder(resource));
    json_object_set_new(e, "field", text_or_placeholder(field));
    json_object_set_new(e, "code", text_or_placeholder(code));
    if (line > 0) {
        char *m = located(line, col, message);
        json_object_set_new(e, "message", text_or_placeholder(m));
        free(m);
    } else {
        json_object_set_new(e, "message", text_or_placeholder(message));
    }
    json_object_set_new(e, "rejectedValue", rejected ? rejected : json_null());
    return e;
}

static const char *member_text(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_string(v) ? json_string_value(v) : "";
}

/* Rewrites field errors given as JSON into the one shape (missing members "" / null). */
static json_t *normalise_fields(json_t *in)
{
    json_t *out = json_array();
    size_t i;

    for (i = 0; json_is_array(in) && i < json_array_size(in); i++) {
        json_t *e = json_array_get(in, i);
        json_t *rej;

        if (!json_is_object(e))
            continue;
        rej = json_object_get(e, "rejectedValue");
        json_array_append_new(out, field_error(member_text(e, "resource"), member_text(e, "field"),
                                               member_text(e, "code"), member_text(e, "message"),
                                               0, 0, rej ? json_incref(rej) : NULL));
    }
    json_decref(in);
    return out;
}

json_t *kv_http_field_errors(const struct kv_problem *p)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; p && i < p->n_fields; i++) {
        const struct kv_problem_field *f = &p->fields[i];
        json_array_append_new(arr, field_error(f->resource, f->field, f->code, f->message,
                                               f->line, f->col,
                                               f->rejected ? json_incref(f->rejected) : NULL));
    }
    return arr;
}

/* The one ErrorMessage {code, message, fieldErrors}; fields already in the one shape. */
static void error_body(struct kv_http_resp *resp, int status, const char *code,
                       const char *message, json_t *fields)
{
    json_t *o = json_object();

    json_object_set_new(o, "code", text_or_placeholder(code && code[0] ? code : "ERROR"));
    json_object_set_new(o, "message", text_or_placeholder(message));
    json_object_set_new(o, "fieldErrors", fields ? fields : json_array());
    kv_http_resp_json(resp, status, o);
}

void kv_http_resp_error(struct kv_http_resp *resp, int status, const char *code,
                        const char *message, json_t *field_errors)
{
    error_body(resp, status, code, message, normalise_fields(field_errors));
}

void kv_http_resp_unavailable(struct kv_http_resp *resp)
{
    error_body(resp, 503, "UNAVAILABLE",
               "the database is not available at the moment: retry later", NULL);
    kv_http_resp_header(resp, "Retry-After", KV_HTTP_RETRY_AFTER);
}

void kv_http_resp_problem(struct kv_http_resp *resp, const struct kv_problem *p)
{
    const char *name;
    int status = status_of(p->kind, &name);

    if (status == 503 || (status == 500 && kv_err_unavail_seen())) {
        kv_log(KV_LOG_WARN, "database unavailable %s %s: %s", kv_err_name(p->kind), p->code,
               p->message);
        kv_http_resp_unavailable(resp);
        return;
    }
    if (status == 500) {
        /* Not a refusal: the detail goes to the log, not to the client. */
        kv_log(KV_LOG_ERROR, "internal error %s %s: %s", kv_err_name(p->kind), p->code,
               p->message);
        error_body(resp, 500, "INTERNAL_ERROR", "internal error", NULL);
        return;
    }
    error_body(resp, status, p->code[0] ? p->code : name,
               p->message[0] ? p->message : kv_err_name(p->kind), kv_http_field_errors(p));
}

void kv_http_resp_field_error(struct kv_http_resp *resp, int status, const char *code,
                              const char *message, const char *resource, const char *field,
                              const json_t *rejected)
{
    json_t *fields = json_array();

    json_array_append_new(fields, field_error(resource, field, code, message, 0, 0,
                                              rejected ? json_deep_copy(rejected) : NULL));
    error_body(resp, status, code, message, fields);
}

int kv_http_req_json_object(const struct kv_http_req *req, struct kv_http_resp *resp,
                            const char *shape, json_t **out)
{
    json_error_t jerr;
    json_t *o;
    char *msg;

    *out = NULL;
    o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        /* jansson's position: line and column of the submitted body, 1-based. */
        char text[JSON_ERROR_TEXT_LENGTH + 32];

        snprintf(text, sizeof(text), "the body is not JSON: %s", jerr.text);
        msg = jerr.line > 0 ? located((unsigned long)jerr.line, (unsigned long)jerr.column, text)
                            : kv_xstrdup(text);
        error_body(resp, 400, "INVALID_JSON", msg, NULL);
        free(msg);
        return KV_EINVAL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        msg = kv_xasprintf("the body must be a JSON object%s%s", shape ? " " : "",
                           shape ? shape : "");
        error_body(resp, 400, "INVALID_JSON", msg, NULL);
        free(msg);
        return KV_EINVAL;
    }
    *out = o;
    return 0;
}

void kv_http_resp_from_err(struct kv_http_resp *resp, int code, const struct kv_err *err)
{
    const char *name;
    const char *msg = (err && err->msg[0]) ? err->msg : NULL;
    int status = status_of(code, &name);

    if (status == 503 || (status == 500 && kv_err_unavail_seen())) {
        kv_log(KV_LOG_WARN, "database unavailable %s: %s", kv_err_name(code), msg ? msg : "");
        kv_http_resp_unavailable(resp);
        return;
    }
    if (status == 500) {
        /* Internal detail (SQL, paths) goes to the log, not to the client. */
        kv_log(KV_LOG_ERROR, "internal error %s: %s", kv_err_name(code), msg ? msg : "");
        msg = "internal error";
    }
    kv_http_resp_error(resp, status, name, msg ? msg : kv_err_name(code), NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * resp.c: building responses (JSON, raw bytes, headers, NgDP ErrorMessage bodies) and reading
 * request headers and query arguments. See http.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "http/http_int.h"
#include "util/log.h"
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
    if (resp->n_hdrs == KV_HTTP_MAX_HEADERS) {
        kv_log(KV_LOG_ERROR, "too many response headers; dropped %s", name);
        return;
    }
    resp->hdr_names[resp->n_hdrs] = name;
    resp->hdr_values[resp->n_hdrs] = kv_xstrdup(value);
    resp->n_hdrs++;
}

void kv_http_resp_error(struct kv_http_resp *resp, int status, const char *code,
                        const char *message, json_t *field_errors)
{
    json_t *o = json_object();

    if (!field_errors || !json_is_array(field_errors)) {
        json_decref(field_errors);
        field_errors = json_array();
    }
    json_object_set_new(o, "code", json_string(code ? code : "ERROR"));
    /* json_string refuses invalid UTF-8; fall back so an error body is never lost. */
    if (json_object_set_new(o, "message", json_string(message ? message : "")) < 0)
        json_object_set_new(o, "message", json_string("(message not valid UTF-8)"));
    json_object_set_new(o, "fieldErrors", field_errors);
    kv_http_resp_json(resp, status, o);
}

void kv_http_resp_from_err(struct kv_http_resp *resp, int code, const struct kv_err *err)
{
    int status;
    const char *name;
    const char *msg = (err && err->msg[0]) ? err->msg : NULL;

    switch (code) {
    case KV_EINVAL:
    case KV_EXML:
    case KV_EUSAGE: status = 400; name = "INVALID_REQUEST"; break;
    case KV_EAUTH: status = 401; name = "UNAUTHORIZED"; break;
    case KV_EPERM: status = 403; name = "FORBIDDEN"; break;
    case KV_ENOTFOUND: status = 404; name = "NOT_FOUND"; break;
    case KV_ECONFLICT: status = 409; name = "CONFLICT"; break;
    case KV_ETOOBIG: status = 413; name = "PAYLOAD_TOO_LARGE"; break;
    default: status = 500; name = "INTERNAL_ERROR"; break;
    }
    if (status == 500) {
        /* Internal detail (SQL, paths) goes to the log, not to the client. */
        kv_log(KV_LOG_ERROR, "internal error %s: %s", kv_err_name(code), msg ? msg : "");
        msg = "internal error";
    }
    kv_http_resp_error(resp, status, name, msg ? msg : kv_err_name(code), NULL);
}

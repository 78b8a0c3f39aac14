/* SPDX-License-Identifier: MIT
 *
 * validations.c (api): NgDP's pre-check of an HTML body (operation `Validate` of the NgDP
 * client, docs/send-api.md "Validating an HTML body").
 *   POST /apis/v1/validations/?fileName=&policy=STRICT|LENIENT   body: text/html
 *        -> 201 ErrorMessage {code: "APPROVED" | "REJECTED", message, fieldErrors}
 * Authenticated as the send route is (access key system:sender, checked by the gate before
 * the body is read; kv__read_sender_auth). A Content-Length over KV_HTML_CHECK_MAX_BYTES is
 * refused with 413 by kv__validations_admit, called by the gate, before any body byte is
 * read. The check itself is libmemo's kv_html_check (memo/html_check.h); this file only
 * reads the request and writes the answer. Nothing is stored and no event is recorded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/gate.h"
#include "api/memos_bulk.h"
#include "api/read_util.h"
#include "http/http.h"
#include "memo/html_check.h"
#include "util/base64.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* Longest fileName echoed as the findings' resource. */
#define FILE_NAME_MAX 255

/* 413 PAYLOAD_TOO_LARGE: the body is over the check's bound. */
static void too_large(struct kv_http_resp *resp)
{
    char msg[128];

    snprintf(msg, sizeof(msg), "an HTML body to validate may be at most %zu bytes (10 MB)",
             KV_HTML_CHECK_MAX_BYTES);
    kv_http_resp_error(resp, 413, "PAYLOAD_TOO_LARGE", msg, NULL);
}

int kv__validations_admit(struct kv_http_req *req, struct kv_http_resp *resp)
{
    const char *cl = kv_http_req_header(req, "Content-Length");
    uint64_t size = 0;
    size_t i;

    if (!cl || !*cl || strlen(cl) > 19)
        return 0; /* chunked (bounded by the handler), or refused by the framing checks */
    for (i = 0; cl[i]; i++) {
        if (cl[i] < '0' || cl[i] > '9')
            return 0;
        size = size * 10 + (uint64_t)(cl[i] - '0');
    }
    if (size <= KV_HTML_CHECK_MAX_BYTES)
        return 0;
    too_large(resp);
    return KV_ETOOBIG;
}

/* The charset parameter of a Content-Type value (quotes dropped) into out; "" when none. */
static void charset_param(const char *ct, char *out, size_t outlen)
{
    const char *p = ct ? strchr(ct, ';') : NULL;
    size_t o = 0;

    out[0] = '\0';
    while (p) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "charset", 7) == 0) {
            const char *v = p + 7;
            while (*v == ' ' || *v == '\t')
                v++;
            if (*v == '=') {
                v++;
                while (*v == ' ' || *v == '\t' || *v == '"')
                    v++;
                while (*v && *v != ';' && *v != '"' && *v != ' ' && *v != '\t' && o < outlen - 1)
                    out[o++] = *v++;
                out[o] = '\0';
                return;
            }
        }
        p = strchr(p, ';');
    }
}

/* 1 when b[0..n) holds nothing but an optional UTF-8 BOM and white space. */
static int body_is_empty(const char *b, size_t n)
{
    size_t i = n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n' || b[i] == '\f'))
        i++;
    return i == n;
}

/* NgDP's generated client (`ValidateAsync(fileName, policy, length, Body)`) serialises its
 * Body model, {"resource": <byte[]>}, as JSON: the file as base64 in member "resource", sent
 * as text/html. Such a body (an object with the one member "resource", valid base64) is
 * decoded and the file checked; *out owned by the caller. 1 when it was one, 0 when the body
 * is taken as the HTML itself. */
static int client_envelope(const char *b, size_t n, unsigned char **out, size_t *out_len)
{
    json_t *o, *res;
    size_t i = 0;
    int found = 0;

    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    if (i >= n || b[i] != '{')
        return 0;
    o = json_loadb(b, n, JSON_REJECT_DUPLICATES, NULL);
    res = json_object_get(o, "resource");
    if (json_is_object(o) && json_object_size(o) == 1 && json_is_string(res) &&
        kv_b64_decode(json_string_value(res), json_string_length(res), KV_HTML_CHECK_MAX_BYTES, out,
                      out_len) == 0)
        found = 1;
    json_decref(o);
    return found;
}

/* The answer: 201 ErrorMessage, code APPROVED or REJECTED, one fieldError per finding. */
static void answer(struct kv_http_resp *resp, const struct kv_html_result *r, const char *resource)
{
    json_t *fields = json_array();
    char msg[256];
    size_t i;

    for (i = 0; i < r->n; i++) {
        const struct kv_html_finding *f = &r->items[i];
        json_t *e = json_object();
        char *m =
            f->line ? kv_xasprintf("line %lu: %s", f->line, f->message) : kv_xstrdup(f->message);
        json_object_set_new(e, "resource", json_string(resource));
        json_object_set_new(e, "field", json_string(f->field));
        json_object_set_new(e, "code", json_string(f->rule));
        json_object_set_new(e, "message", json_string(m));
        json_object_set_new(e, "rejectedValue", f->value ? json_string(f->value) : json_null());
        json_array_append_new(fields, e);
        free(m);
    }
    if (r->approved)
        snprintf(msg, sizeof(msg), "the HTML is approved: the mailbox shows it as sent");
    else if (r->total > r->n)
        snprintf(msg, sizeof(msg), "the HTML is rejected: %zu findings, the first %zu listed",
                 r->total, r->n);
    else
        snprintf(msg, sizeof(msg), "the HTML is rejected: %zu finding%s", r->total,
                 r->total == 1 ? "" : "s");
    kv_http_resp_error(resp, 201, r->approved ? "APPROVED" : "REJECTED", msg, fields);
}

static int validations_post(struct kv_http_req *req, struct kv_http_resp *resp)
{
    const char *ct = kv_http_req_header(req, "Content-Type");
    const char *policy_text = kv_http_req_query(req, "policy");
    const char *file_name = kv_http_req_query(req, "fileName");
    enum kv_html_policy policy = KV_HTML_LENIENT;
    struct kv_html_result r;
    struct kv_err err = {0};
    unsigned char *decoded = NULL;
    const char *html = req->body;
    size_t html_len = req->body_len;
    char media[96], charset[64], *shown;
    int rc;

    kv_html_result_init(&r);
    if (!kv__read_sender_auth(req, resp))
        return 0;
    kv__media_type(ct, media, sizeof(media));
    if (strcmp(media, "text/html") != 0) {
        kv_http_resp_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE",
                           "Content-Type must be text/html (with or without charset): only "
                           "HTML bodies are validated",
                           NULL);
        return 0;
    }
    if (kv_http_req_query_count(req, "policy") > 1) {
        kv__read_repeated_param(resp, "policy", policy_text);
        return 0;
    }
    if (policy_text && kv_html_policy_parse(policy_text, &policy) < 0) {
        kv__read_bad_param(resp, "policy", policy_text,
                           "policy must be STRICT or LENIENT (the default)");
        return 0;
    }
    if (kv_http_req_query_count(req, "fileName") > 1) {
        kv__read_repeated_param(resp, "fileName", file_name);
        return 0;
    }
    if (file_name && strlen(file_name) > FILE_NAME_MAX) {
        kv__read_bad_param(resp, "fileName", NULL, "fileName may be at most 255 bytes");
        return 0;
    }
    if (html_len > KV_HTML_CHECK_MAX_BYTES) { /* a chunked body; a declared one is admitted */
        too_large(resp);
        return 0;
    }
    if (body_is_empty(html, html_len)) {
        kv_http_resp_error(resp, 400, "EMPTY_BODY",
                           "the request body is empty; send the HTML document as the body", NULL);
        return 0;
    }
    if (client_envelope(html, html_len, &decoded, &html_len)) {
        html = (const char *)decoded;
        if (body_is_empty(html, html_len)) {
            kv_http_resp_error(resp, 400, "EMPTY_BODY",
                               "member \"resource\" of the body is empty; it must hold the "
                               "HTML document (base64)",
                               NULL);
            goto out;
        }
    }
    charset_param(ct, charset, sizeof(charset));
    rc = kv_html_check(html, html_len, charset[0] ? charset : NULL, policy, &r, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    /* a fileName is bytes: shown with '?' for its non-ASCII bytes when not UTF-8 (JSON
     * cannot carry it; the findings' resource was "") */
    shown = kv_str_utf8_or_ascii(file_name && *file_name ? file_name : "html");
    answer(resp, &r, shown);
    free(shown);
out:
    kv_html_result_release(&r);
    free(decoded);
    return 0;
}

const struct kv_http_route kv_api_validations_routes[] = {
    {"POST", "/apis/v1/validations/", validations_post, "validations", 0, KV_ACCESS_SENDER},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

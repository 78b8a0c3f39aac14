/* SPDX-License-Identifier: MIT
 *
 * http.h: kuvert's HTTP layer, an adapter over libmicrohttpd. Per request the server:
 *   1. parses the request line and headers and checks the framing (one Content-Length, no
 *      Transfer-Encoding but chunked, no NUL in a header value or decoded into the target);
 *   2. routes by method + path pattern over the route tables it was given (404/405);
 *   3. calls the GATE (below) with the matched route, BEFORE any body byte is read: the gate
 *      authenticates the caller from the headers and decides from route->access whether the
 *      request may go on; a refusal is answered at once and the body is never read;
 *   4. reads the body into memory within max_body (413) and a global budget shared by every
 *      request in flight (503 with Retry-After when it is spent);
 *   5. calls the handler with a complete request and req->principal set by the gate.
 * Handlers fill a response; they never write error bodies ad hoc but call the ErrorMessage
 * builders below (kv_http_resp_problem for a refusal the hub reported). Every response carries
 * X-Content-Type-Options: nosniff and (unless the handler set one) Cache-Control: no-store.
 *
 * The gate (struct kv_http_config in server.h: gate, gate_ctx, principal_free):
 *   int gate(void *gate_ctx, const struct kv_http_route *route, struct kv_http_req *req,
 *            struct kv_http_resp *resp);
 * runs on the worker thread with req complete except body/body_len (not read yet). It returns
 * 0 to admit the request, optionally setting req->principal (an opaque pointer the server
 * hands to the handler and finally to principal_free); or a non-zero value after filling resp
 * with the refusal (401 with WWW-Authenticate, 403, or a 303 redirect to a sign-in page),
 * which is sent with "Connection: close". A negative value with resp untouched is a 500.
 * The http layer never looks inside a principal or an access key.
 *
 * Ownership: a struct kv_http_req and everything it points to are owned by the server and valid
 * only during the handler call. A handler owns nothing it did not allocate itself.
 * Threading: handlers run on libmicrohttpd's worker threads, concurrently.
 */
#ifndef KV_HTTP_HTTP_H
#define KV_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/problem.h"

struct kv_hub;
struct MHD_Connection;

#define KV_HTTP_MAX_PARAMS 4
#define KV_HTTP_MAX_HEADERS 16

struct kv_http_req {
    const char *method;                        /* "GET", "POST", ... */
    const char *path;                          /* URL path without query, e.g. "/apis/v1/memos/" */
    const char *params[KV_HTTP_MAX_PARAMS];    /* values of {name} path segments, in order */
    const char *body;                          /* request body (NUL-terminated), "" when none */
    size_t body_len;                           /* body length in bytes */
    const char *request_id;                    /* id logged with the request and sent as X-Request-Id */
    struct kv_hub *hub;                        /* the application's context, as given in
                                                  struct kv_http_config.app (opaque here) */
    struct MHD_Connection *conn;               /* for header and query lookups */
    const char *route_name;                    /* metrics label of the matched route */
    const struct kv_http_route *route;         /* the matched route (static) */
    void *principal;                           /* the caller, as the gate set it (opaque to
                                                  http; owned by the server), or NULL */
    char client[64];                           /* the client's address (kv_http_req_client),
                                                  set by the server before the gate */
    char caller[40];                           /* the signed-in person whose bodies in flight
                                                  count together (person_body_memory), set by
                                                  the gate; "" for everyone else */
};

struct kv_http_resp {
    int status;                                /* HTTP status code */
    struct kv_buf body;                        /* response body */
    char content_type[64];                     /* e.g. "application/json" */
    const char *hdr_names[KV_HTTP_MAX_HEADERS]; /* extra headers: names (static strings) */
    char *hdr_values[KV_HTTP_MAX_HEADERS];     /* owned values */
    int n_hdrs;                                /* extra headers in use */
};

/* Header (case-insensitive) or query argument of the request; borrowed, NULL when absent. */
const char *kv_http_req_header(const struct kv_http_req *req, const char *name);
const char *kv_http_req_query(const struct kv_http_req *req, const char *name);
/* How many times query argument name occurs (names compare case-insensitively, as in
 * kv_http_req_query, which returns the first). */
int kv_http_req_query_count(const struct kv_http_req *req, const char *name);
/* The n-th (zero-based) value of query argument name, NULL when there are fewer. */
const char *kv_http_req_query_nth(const struct kv_http_req *req, const char *name, int n);

/* Sets status and a JSON body; takes ownership of obj (decref'd). */
void kv_http_resp_json(struct kv_http_resp *resp, int status, json_t *obj);
/* Sets status and a raw body with a content type; copies data. */
void kv_http_resp_bytes(struct kv_http_resp *resp, int status, const char *content_type,
                        const void *data, size_t len);
/* Adds a response header; copies value. name must be a static string. */
void kv_http_resp_header(struct kv_http_resp *resp, const char *name, const char *value);
/* Adds a response header even when one of that name exists (Set-Cookie). */
void kv_http_resp_header_add(struct kv_http_resp *resp, const char *name, const char *value);
/* The client's IP address as text into out ("" when unknown): the TCP peer, or behind a
 * trusted proxy the address its forwarding header names (kv_http_forwarded_client). Every
 * use of "the client's address" (allowed IP addresses, the sign-in rate limit, a session's
 * device) goes through this. */
void kv_http_req_client(const struct kv_http_req *req, char *out, size_t outlen);
/* The peer's own address (the TCP connection's other end) into out ("" when unknown). */
void kv_http_req_peer(const struct kv_http_req *req, char *out, size_t outlen);

/* Which forwarding header trusted proxies write (config proxy_header). */
#define KV_PROXY_XFF 0       /* X-Forwarded-For: a, b, c */
#define KV_PROXY_FORWARDED 1 /* RFC 7239 Forwarded: for=a, for="[2001:db8::1]:4711" */
/* The client address behind trusted proxies (client_addr.c). peer is the TCP peer; trusted a
 * canonical CIDR list (util/cidr.h; "" = no proxy trusted); header all values of the kind's
 * header joined by ", " in the order received (NULL when absent). Unless peer is in trusted,
 * out is peer and the header is not read (a client cannot name itself). Otherwise the header
 * is read from the right: trusted hops are passed over, the first address that is not trusted
 * is the client; when every hop is trusted, the leftmost. Returns 1 when out comes from the
 * header, 0 when it is peer, -1 for a malformed header (an element that is not an address,
 * "unknown", an obfuscated name, more than 64 elements): out is then the last hop that was
 * read well (peer when none). */
int kv_http_forwarded_client(const char *peer, const char *trusted, int kind, const char *header,
                             char *out, size_t outlen);

/* ---- NgDP ErrorMessage: the one shape of every error response ----
 * {code, message, fieldErrors: [{resource, field, code, message, rejectedValue}]}: every
 * member always present (rejectedValue null when none is shown), fieldErrors [] when none; a
 * message about a place in a submitted document reads "line L, column C: text". Built only
 * by the functions below (resp.c). */

/* The ErrorMessage with status. field_errors may be NULL; the function takes ownership of it
 * (a JSON array of fieldError objects; members missing there become "" / null). */
void kv_http_resp_error(struct kv_http_resp *resp, int status, const char *code,
                        const char *message, json_t *field_errors);
/* The ErrorMessage with one fieldError (rejected is copied; NULL shows null). */
void kv_http_resp_field_error(struct kv_http_resp *resp, int status, const char *code,
                              const char *message, const char *resource, const char *field,
                              const json_t *rejected);
/* Seconds of the Retry-After every 503 carries (a spent body budget, the database
 * unavailable). */
#define KV_HTTP_RETRY_AFTER "5"
/* The 503 UNAVAILABLE ErrorMessage with Retry-After: the database is read-only, unreachable,
 * shutting down, locked or full for now (KV_EUNAVAIL, docs/errors.md). */
void kv_http_resp_unavailable(struct kv_http_resp *resp);
/* Renders a domain refusal: status from p->kind (EINVAL/EXML/EUSAGE 400, EAUTH 401, EPERM 403,
 * ENOTFOUND 404, ECONFLICT 409, ETOOBIG 413, EUNAVAIL 503 with Retry-After; anything else is
 * logged and answered as a bare 500, or as the 503 when this thread met KV_EUNAVAIL during
 * the request, kv_err_unavail_seen), code and message from p, one fieldError per field. */
void kv_http_resp_problem(struct kv_http_resp *resp, const struct kv_problem *p);
/* The fieldErrors array of p in the one shape (owned), e.g. for a bulk receipt. */
json_t *kv_http_field_errors(const struct kv_problem *p);
/* Maps a KV_E* code to a status as kv_http_resp_problem does, with a generic code
 * (INVALID_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, PAYLOAD_TOO_LARGE,
 * UNAVAILABLE, INTERNAL_ERROR) and err's message (500: "internal error", the detail logged). */
void kv_http_resp_from_err(struct kv_http_resp *resp, int code, const struct kv_err *err);

/* Parses the request body as a JSON object (duplicate keys refused) into *out (owned).
 * Otherwise answers 400 INVALID_JSON ("line L, column C: ..." for a syntax error; "the body
 * must be a JSON object <shape>" for another value; shape may be NULL) and returns
 * KV_EINVAL. */
int kv_http_req_json_object(const struct kv_http_req *req, struct kv_http_resp *resp,
                            const char *shape, json_t **out);

/* A handler returns 0 after filling resp (any status). A negative return is an internal
 * failure and becomes a 500 response. */
typedef int (*kv_http_handler)(struct kv_http_req *req, struct kv_http_resp *resp);

#define KV_ROUTE_TEST_ONLY 0x1 /* served only with --test-clock; otherwise 404 */
#define KV_ROUTE_PAGE 0x2      /* a web page or asset (src/web), not an API operation: HTML
                                  errors, not in docs/openapi.yaml */

/* A route. Tables of routes are arrays terminated by an entry with method NULL; the server is
 * given a NULL-terminated list of tables (struct kv_http_config.routes). */
struct kv_http_route {
    const char *method;   /* "GET", "POST", "DELETE", ... */
    const char *pattern;  /* "/apis/v1/memos/{id}/recall": {x} matches one non-empty segment;
                             a trailing slash in the pattern is optional in the request */
    kv_http_handler fn;   /* the handler */
    const char *name;     /* metrics label, e.g. "memos_send" */
    unsigned flags;       /* KV_ROUTE_* */
    const char *access;   /* access key the gate decides on (e.g. "system:sender"); its
                             meaning belongs to the gate, never NULL in a served table */
};

/* The gate: see the top of this file. */
typedef int (*kv_http_gate_fn)(void *gate_ctx, const struct kv_http_route *route,
                               struct kv_http_req *req, struct kv_http_resp *resp);

#endif

/* SPDX-License-Identifier: MIT
 *
 * server.h: lifecycle of kuvert's HTTP server (libmicrohttpd underneath). The server knows
 * nothing of the hub or the API: it is given its configuration, its route tables, its gate
 * and an application context (handed to handlers as req->hub) in struct kv_http_config.
 * `kuvert serve` fills one with kv_api_http_config (api/api.h).
 *
 * Connection handling (one thread per connection, so handlers may block on a durable commit):
 * at most max_connections at once and max_per_ip from one client address; the request line
 * and headers must arrive within header_timeout of the connection opening or the previous
 * response, the body within body_timeout of the headers, and a connection idle for
 * conn_timeout is closed. A connection past a deadline is shut down.
 *
 * Graceful shutdown is three calls: kv_http_server_quiesce (stop accepting; the listening
 * socket is closed), kv_http_server_drain (wait until in-flight requests have been answered,
 * bounded), kv_http_server_free (close every connection, join threads).
 *
 * Ownership: the server borrows everything the config points to (strings, route tables, gate
 * context, application context, metrics), which must outlive it.
 */
#ifndef KV_HTTP_SERVER_H
#define KV_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "util/err.h"

struct kv_http_server;
struct kv_metrics;

/* The largest body of a request the gate admitted without a caller (a public route: sign-in,
 * sign-out, a confirmation link, all small forms). Without it anyone could declare max_body
 * bytes on such a route and, idle for body_timeout, hold that much of body_memory: four such
 * connections held all 512 MiB, and every send and sign-in meanwhile got 503. */
#define KV_HTTP_PUBLIC_MAX_BODY ((size_t)64 << 10)

struct kv_http_config {
    const char *listen;               /* "HOST:PORT", "[v6]:PORT", "*:PORT" or ":PORT" */
    const char *model;                /* "per-connection" (default) or "pool" */
    unsigned threads;                 /* pool model: event-loop threads; 0 = 2 x CPUs */
    size_t max_body;                  /* largest request body, bytes (413 beyond) */
    uint64_t body_memory;             /* all request bodies in flight together, bytes (503) */
    uint64_t person_body_memory;      /* one person's bodies in flight together (req.caller),
                                         bytes (503); 0 = no such bound */
    unsigned max_connections;         /* connections at once */
    unsigned max_per_ip;              /* connections at once from one client address; 0 = no
                                         limit. Behind trusted proxies: requests at once from
                                         one forwarded client, the proxies themselves exempt */
    const char *trusted_proxies;      /* canonical CIDR list (util/cidr.h) of reverse proxies
                                         whose forwarding header names the client; ""/NULL:
                                         none (the TCP peer is the client) */
    int proxy_header;                 /* KV_PROXY_XFF or KV_PROXY_FORWARDED */
    int64_t conn_timeout_ms;          /* idle connection timeout */
    int64_t header_timeout_ms;        /* request line + headers deadline; 0 = none */
    int64_t body_timeout_ms;          /* body deadline after the headers; 0 = none */
    int access_log;                   /* 1: one log line per request */
    int test_routes;                  /* 1: serve routes flagged KV_ROUTE_TEST_ONLY */
    int trace_headers;                /* 1 (tests only): every answer carries the request's
                                         authorisation decisions (util/reqtrace.h) */
    const struct kv_http_route *const *routes; /* NULL-terminated list of route tables */
    kv_http_gate_fn gate;             /* decides every routed request; NULL admits all */
    void *gate_ctx;                   /* first argument of gate */
    void (*principal_free)(void *principal); /* frees what the gate put in req->principal */
    struct kv_hub *app;               /* handed to handlers as req->hub (opaque here) */
    kv_http_handler page_not_found;   /* answers a path no route serves outside the API
                                         prefixes (/api/, /apis/, /admin/, /test/, /metrics,
                                         /healthz): the web layer's HTML 404; NULL = JSON 404 */
    struct kv_metrics *metrics;       /* request counts and durations; may be NULL */
};

/* Binds and starts serving. Returns owned server (free with kv_http_server_free). */
int kv_http_server_start(const struct kv_http_config *cfg, struct kv_http_server **out,
                         struct kv_err *err);
/* The port actually bound (useful with port 0). */
unsigned kv_http_server_port(const struct kv_http_server *s);
/* Stops accepting new connections; requests already received are still served, and
 * responses from now on carry "Connection: close". */
void kv_http_server_quiesce(struct kv_http_server *s);
/* Waits until no request is in flight or grace_ms passed. Returns the number of requests
 * still in flight (0 = drained). */
int kv_http_server_drain(struct kv_http_server *s, int64_t grace_ms);
/* Stops the daemon and frees s (NULL-safe). */
void kv_http_server_free(struct kv_http_server *s);

#endif

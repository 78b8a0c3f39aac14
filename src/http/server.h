/* SPDX-License-Identifier: MIT
 *
 * server.h: lifecycle of kuvert's HTTP server (libmicrohttpd underneath), used by
 * `kuvert serve`. The server serves every route in kv_api_route_tables with the hub's
 * configuration (listen, max_body, http_model, threads, max_connections, conn_timeout).
 *
 * Graceful shutdown is three calls: kv_http_server_quiesce (stop accepting; the listening
 * socket is closed), kv_http_server_drain (wait until in-flight requests have been answered,
 * bounded), kv_http_server_free (close every connection, join threads).
 *
 * Ownership: the server borrows the hub, which must outlive it.
 */
#ifndef KV_HTTP_SERVER_H
#define KV_HTTP_SERVER_H

#include <stdint.h>

#include "util/err.h"

struct kv_hub;
struct kv_http_server;

/* Binds and starts serving. Returns owned server (free with kv_http_server_free). */
int kv_http_server_start(struct kv_hub *hub, struct kv_http_server **out, struct kv_err *err);
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

/* SPDX-License-Identifier: MIT
 *
 * reqtrace.h: per-request counters of the calling thread that tests read back: how many
 * authorisation decisions (identity/authz.c kv_authz_decide) a request made on its route's own
 * access key, and how many on other keys (a page asking "may this person also write?" or which
 * portal functions to offer). The HTTP server starts a request's count (a request is served by
 * one thread) and, when configured for tests (--test-login), reports it in the headers
 * X-Kuvert-Authz-Decisions and X-Kuvert-Authz-Other (docs/rights.md "One authorisation
 * decision"; tests/it/test_authz_matrix.py checks exactly one per request).
 *
 * Ownership: route_access is borrowed and must outlive the request (route tables are static).
 */
#ifndef KV_UTIL_REQTRACE_H
#define KV_UTIL_REQTRACE_H

/* Starts the calling thread's count for a request on a route with key route_access (NULL
 * before the request is routed). */
void kv_reqtrace_begin(const char *route_access);
/* Counts one decision on access. */
void kv_reqtrace_decision(const char *access);
/* Counts one decision among the other keys' whatever its key (what a page only offers, such
 * as the portal menu: identity/authz.h kv_authz_offered). */
void kv_reqtrace_other(void);
/* The counts since kv_reqtrace_begin: decisions on the route's key, on other keys. */
void kv_reqtrace_get(int *own, int *other);

#endif

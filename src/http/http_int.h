/* SPDX-License-Identifier: MIT
 *
 * http_int.h: internals shared by server.c, router.c and resp.c. Not for handlers.
 */
#ifndef KV_HTTP_HTTP_INT_H
#define KV_HTTP_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

#define KV__HTTP_RESP_MAX ((size_t)1 << 32) /* largest response body a handler may build */

/* Result of routing one request. */
struct kv__http_match {
    const struct kv_http_route *route; /* matched route (borrowed, static), or NULL */
    char allow[128];                   /* when no method matched: "GET, POST" of the path */
};

/* Routes method + path over tables (a NULL-terminated list of route tables). Test-only routes
 * are invisible unless test_clock. path_copy is a writable copy of path (same length) that receives the
 * NUL-terminated parameter values; params[] point into it. Returns 0 (match->route set),
 * KV_ENOTFOUND (no route has this path) or KV_EINVAL (path known, method not: match->allow
 * lists the methods). HEAD is routed as GET. */
int kv__http_route(const struct kv_http_route *const *tables, const char *method,
                   const char *path, int test_clock, char *path_copy,
                   const char *params[KV_HTTP_MAX_PARAMS], struct kv__http_match *match);

/* An index of the routes whose pattern has no parameter (a hash of method and pattern), so that
 * a request for such a path (POST /apis/v1/memos/, most pages) is routed by one look-up
 * instead of a scan of every table. Built once from the same tables and test_clock that
 * kv__http_route is given; owned (kv__http_index_free, NULL-safe). */
struct kv__http_index;
struct kv__http_index *kv__http_index_new(const struct kv_http_route *const *tables,
                                          int test_clock);
void kv__http_index_free(struct kv__http_index *ix);
/* kv__http_route with the same result: the index's route when method + path match a literal
 * pattern there, else (and when ix is NULL) the scan of kv__http_route. */
int kv__http_route_indexed(const struct kv__http_index *ix,
                           const struct kv_http_route *const *tables, const char *method,
                           const char *path, int test_clock, char *path_copy,
                           const char *params[KV_HTTP_MAX_PARAMS], struct kv__http_match *m);

/* The request-body bytes in flight per signed-in person (callers.c): owned
 * (kv__http_callers_free, NULL-safe), one slot per request that may hold a body at once.
 * _take adds n bytes to key's count when the count stays within max: 0, or -1 with nothing
 * added (over max, or no slot free). _give hands n bytes of key back. Thread-safe. */
struct kv__http_callers;
struct kv__http_callers *kv__http_callers_new(unsigned slots);
void kv__http_callers_free(struct kv__http_callers *t);
int kv__http_callers_take(struct kv__http_callers *t, const char *key, uint64_t n, uint64_t max);
void kv__http_callers_give(struct kv__http_callers *t, const char *key, uint64_t n);

/* Sets every field of resp to empty (status 200, no body). */
void kv__http_resp_init(struct kv_http_resp *resp);
/* Frees what resp owns; idempotent. */
void kv__http_resp_release(struct kv_http_resp *resp);

#endif

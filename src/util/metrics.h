/* SPDX-License-Identifier: MIT
 *
 * metrics.h: the hub's Prometheus metrics, rendered as text exposition format 0.0.4 at
 * GET /metrics:
 *   kuvert_http_requests_total{route,status}            counter
 *   kuvert_http_request_duration_seconds{route}         histogram
 *   kuvert_letters_accepted_total, kuvert_letters_refused_total, ... (enum kv_metric_counter)
 *   gauges registered by other modules (queue depths), each read by a callback at scrape time.
 *
 * Ownership: struct kv_metrics is owned by the hub (kv_metrics_new / kv_metrics_free).
 * Threading: every function may be called from any thread concurrently (a mutex guards the
 * per-route tables; plain counters are atomics). Gauge callbacks run on the scraping thread
 * without the mutex held.
 */
#ifndef KV_UTIL_METRICS_H
#define KV_UTIL_METRICS_H

#include <stdint.h>

#include "util/buf.h"

struct kv_metrics;

/* Process-wide counters other modules bump with kv_metrics_count. Add new ones at the end
 * (and their name/help in metrics.c). */
enum kv_metric_counter {
    KV_METRIC_LETTERS_ACCEPTED = 0, /* letters acknowledged with 201 and stored */
    KV_METRIC_LETTERS_REFUSED,      /* letters refused (validation, auth, conflict) */
    KV_METRIC_RECEIPTS_PUSHED,      /* receipts delivered to a sender's receipt URL */
    KV_METRIC_RECEIPT_PUSH_FAILURES,/* receipt push attempts that failed */
    KV_METRIC__COUNT
};

/* A gauge callback: writes the current value to *out and returns 0, or returns < 0 to omit
 * the sample this time. arg is the pointer given at registration (borrowed). */
typedef int (*kv_metrics_gauge_fn)(void *arg, double *out);

/* Returns owned metrics (free with kv_metrics_free; NULL-safe). */
struct kv_metrics *kv_metrics_new(void);
void kv_metrics_free(struct kv_metrics *m);

/* Records one finished HTTP request. route is the route's metrics name (borrowed; must be a
 * static string) or NULL for unmatched requests (label "unmatched"). */
void kv_metrics_observe_request(struct kv_metrics *m, const char *route, int status,
                                double seconds);
/* Adds n to a counter. m may be NULL (no-op), so code paths shared with the CLI can call it. */
void kv_metrics_count(struct kv_metrics *m, enum kv_metric_counter c, uint64_t n);
/* Registers a gauge: name (e.g. "kuvert_queue_depth"), an optional label set written verbatim
 * inside braces (e.g. "queue=\"receipts\"", or NULL), help text. All strings are copied; arg
 * is borrowed and must stay valid until kv_metrics_free. Returns 0 or KV_ETOOBIG when the
 * registry is full. */
int kv_metrics_gauge_register(struct kv_metrics *m, const char *name, const char *labels,
                              const char *help, kv_metrics_gauge_fn fn, void *arg);
/* Appends the whole exposition text to out. Returns 0 or KV_ETOOBIG. */
int kv_metrics_render(struct kv_metrics *m, struct kv_buf *out);

#endif

/* SPDX-License-Identifier: MIT
 *
 * hub.h: the running server's shared state, created by `kuvert serve` and passed to every
 * handler through struct kv_http_req. One owner: the serve command (kv_hub_open/kv_hub_close).
 * Every member is thread-safe to use from handler threads.
 */
#ifndef KV_HUB_HUB_H
#define KV_HUB_HUB_H

#include "util/err.h"

struct kv_conf;
struct kv_store;
struct kv_metrics;
struct kv_letter_writer;
struct kv_scheduler;

struct kv_hub {
    struct kv_conf *conf;             /* owned: merged configuration */
    struct kv_store *store;           /* owned: database */
    struct kv_metrics *metrics;       /* owned: Prometheus counters and histograms */
    struct kv_letter_writer *writer;  /* owned: group-commit writer for accepted letters */
    struct kv_scheduler *sched;       /* owned: value-date publisher and receipt pusher */
    int test_clock;                   /* 1 when --test-clock enabled /test/clock */
};

/* Opens the hub for a merged configuration: the store under conf->data (migrations applied)
 * and the metrics registry. Takes ownership of conf (freed by kv_hub_close, also on failure).
 * Returns owned hub (close with kv_hub_close). Workers are not started yet. */
int kv_hub_open(struct kv_conf *conf, struct kv_hub **out, struct kv_err *err);
/* Starts the background workers (letter writer, scheduler) and stops them again; stop is
 * idempotent and runs after the HTTP server has drained, so nothing acknowledged is lost. */
int kv_hub_start_workers(struct kv_hub *hub, struct kv_err *err);
void kv_hub_stop_workers(struct kv_hub *hub);
/* Stops workers if running, closes the store, frees everything (NULL-safe). */
void kv_hub_close(struct kv_hub *hub);

#endif

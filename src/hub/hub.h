/* SPDX-License-Identifier: MIT
 *
 * hub.h: the running server's shared state, created by `kuvert serve` and passed to every
 * handler through struct kv_http_req. One owner: the serve command (kv_hub_open/kv_hub_close).
 * Every member is thread-safe to use from handler threads.
 */
#ifndef KV_HUB_HUB_H
#define KV_HUB_HUB_H

#include "util/err.h"
#include "util/log.h"

struct kv_conf;
struct kv_store;
struct kv_metrics;
struct kv_letter_writer;
struct kv_scheduler;
struct kv_leases;
struct kv_system_cache;
struct kv_hub;

/* A scheduler hook run under a lease (kv_hub_add_leased_hook). */
struct kv_hub_leased_hook {
    struct kv_hub *hub; /* borrowed */
    const char *lease;  /* borrowed, static: lease name */
    int (*fn)(void *hub_arg);
    struct kv_log_streak held; /* failures to hold the lease (scheduler thread only) */
};
#define KV_HUB_LEASED_HOOKS 8

struct kv_hub {
    struct kv_conf *conf;             /* owned: merged configuration */
    struct kv_store *store;           /* owned: database */
    struct kv_system_cache *syscache; /* owned: the gate's system authentications */
    struct kv_metrics *metrics;       /* owned: Prometheus counters and histograms */
    struct kv_letter_writer *writer;  /* owned: group-commit writer for accepted letters */
    struct kv_scheduler *sched;       /* owned: value-date publisher and receipt pusher */
    struct kv_leases *leases;         /* owned: background-work leases of this node */
    struct kv_hub_leased_hook leased[KV_HUB_LEASED_HOOKS]; /* hooks run under a lease */
    int n_leased;                     /* slots of leased in use */
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
/* Registers fn(hub) as a scheduler hook that runs on a pass only while this node holds lease
 * `lease` (a static string naming the job, e.g. "mail"): of several nodes on one database
 * exactly one runs the job at a time; when it dies another takes over within lease_ttl (see
 * hub/lease.h, docs/postgresql.md). For work that must not be done twice, such as an outbox
 * whose sending is a side effect outside the database. Call from one thread (the serve
 * command), after the scheduler started (kv_hub_start_workers or later). KV_ETOOBIG when
 * full (KV_HUB_LEASED_HOOKS, or the scheduler's KV_SCHEDULER_MAX_HOOKS). */
int kv_hub_add_leased_hook(struct kv_hub *hub, const char *lease, int (*fn)(void *hub_arg));
/* Stops workers if running, closes the store, frees everything (NULL-safe). */
void kv_hub_close(struct kv_hub *hub);

#endif

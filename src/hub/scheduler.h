/* SPDX-License-Identifier: MIT
 *
 * scheduler.h: the server's periodic worker. One thread that, once a second and at once when
 * kicked (kv_scheduler_kick, called after POST /test/clock moves time), publishes letters whose
 * value date has come (kv_letters_publish_due: AWAITING_DELAY -> AVAILABLE with events
 * DELAYED_MEMO_SEND_SENT and MEMO_AVAILABLE_TO_RECIPIENT) and then runs the registered hooks
 * (the receipt pusher registers one). All its state is in the database, so a restart picks up
 * where it stopped: the first pass runs right after start.
 *
 * Ownership: the hub owns the scheduler (kv_scheduler_start / kv_scheduler_stop); hook args are
 * borrowed and must outlive the scheduler. Threading: kick and add_hook may be called from any
 * thread at any time; hooks run on the scheduler thread, one after another.
 */
#ifndef KV_HUB_SCHEDULER_H
#define KV_HUB_SCHEDULER_H

#include <stdint.h>

#include "util/err.h"

struct kv_hub;
struct kv_store;
struct kv_scheduler;

#define KV_SCHEDULER_MAX_HOOKS 8      /* registered hooks at most */
#define KV_SCHEDULER_PERIOD_MS 1000   /* pass interval */
#define KV_SCHEDULER_PUBLISH_BATCH 500 /* letters published per transaction */

/* A periodic hook; its return value is logged when negative. */
typedef int (*kv_scheduler_hook)(void *arg);

/* Starts a scheduler over st (borrowed). Returns owned scheduler (kv_scheduler_stop). */
int kv_scheduler_new(struct kv_store *st, struct kv_scheduler **out, struct kv_err *err);
/* The hub's form: kv_scheduler_new(hub->store, out, err). */
int kv_scheduler_start(struct kv_hub *hub, struct kv_scheduler **out, struct kv_err *err);
/* Finishes the current pass, stops the thread, frees s. NULL-safe. */
void kv_scheduler_stop(struct kv_scheduler *s);

/* Runs a pass now (NULL-safe). */
void kv_scheduler_kick(struct kv_scheduler *s);
/* Kicks and waits (at most timeout_ms) until the publishing step of a pass that began after
 * the kick has finished (hooks may still be running): when it returns 0, letters due at the
 * current time are published. KV_ETOOBIG on timeout. NULL-safe (returns 0). */
int kv_scheduler_kick_wait(struct kv_scheduler *s, int64_t timeout_ms);
/* Registers fn(arg) to run on every pass. KV_ETOOBIG past KV_SCHEDULER_MAX_HOOKS. */
int kv_scheduler_add_hook(struct kv_scheduler *s, kv_scheduler_hook fn, void *arg);

/* Passes completed since start (tests wait on it after a kick). */
uint64_t kv_scheduler_passes(struct kv_scheduler *s);

#endif

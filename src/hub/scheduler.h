/* SPDX-License-Identifier: MIT
 *
 * scheduler.h: the server's periodic worker. One thread that, once a second and at once when
 * kicked (kv_scheduler_kick_wait, called when POST /test/clock moves time), publishes letters
 * whose value date has come (kv_letters_publish_due: AWAITING_DELAY -> AVAILABLE with events
 * DELAYED_MEMO_SEND_SENT and MEMO_AVAILABLE_TO_RECIPIENT) and then runs the registered hooks
 * (hub.c registers the receipt pusher, the recipient pusher, the recipient-system health
 * check and the mail sender). All its state is in the database, so a restart picks up where
 * it stopped: the first pass runs right after start.
 *
 * Ownership: the hub owns the scheduler (kv_scheduler_start / kv_scheduler_stop); hook args are
 * borrowed and must outlive the scheduler. Threading: kick_wait and add_hook may be called
 * from any thread at any time; hooks run on the scheduler thread, one after another.
 */
#ifndef KV_HUB_SCHEDULER_H
#define KV_HUB_SCHEDULER_H

#include <stdint.h>

#include "util/err.h"

struct kv_hub;
struct kv_scheduler;

#define KV_SCHEDULER_MAX_HOOKS 8      /* registered hooks at most */
#define KV_SCHEDULER_PERIOD_MS 1000   /* pass interval */
#define KV_SCHEDULER_PUBLISH_BATCH 500 /* letters published per transaction */

/* A periodic hook; its return value is logged when negative. */
typedef int (*kv_scheduler_hook)(void *arg);

/* Starts a scheduler over hub->store (borrowed). Returns the owned scheduler
 * (kv_scheduler_stop). */
int kv_scheduler_start(struct kv_hub *hub, struct kv_scheduler **out, struct kv_err *err);
/* Finishes the current pass, stops the thread, frees s. NULL-safe. */
void kv_scheduler_stop(struct kv_scheduler *s);

/* Kicks and waits (at most timeout_ms) until the publishing step of a pass that began after
 * the kick has finished (hooks may still be running): when it returns 0, letters due at the
 * current time are published. KV_ETOOBIG on timeout. NULL-safe (returns 0). */
int kv_scheduler_kick_wait(struct kv_scheduler *s, int64_t timeout_ms);
/* Registers fn(arg) to run on every pass. KV_ETOOBIG past KV_SCHEDULER_MAX_HOOKS. */
int kv_scheduler_add_hook(struct kv_scheduler *s, kv_scheduler_hook fn, void *arg);

#endif

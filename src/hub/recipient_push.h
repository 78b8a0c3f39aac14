/* SPDX-License-Identifier: MIT
 *
 * recipient_push.h: REST push to recipient systems (issue 4 §4; docs/recipient-side.md
 * "REST push"). The scheduler runs kv_recipient_push_hook every pass. It takes the QUEUED
 * rows of recipient_queue that are due (next_ms NULL or passed) for systems of kind
 * 'recipient', protocol 'push', status 'active', whose letter is visible (available_ms passed,
 * not RECALLED: the same rule as REST pull), and POSTs each one to the system's push_url as
 * multipart/form-data (part `file`, file name = messageUUID, type application/xml, the MeMo
 * bytes exactly as submitted) with libcurl: TLS verified, no redirects, connect and total
 * timeouts, bounded response. Up to `parallel` transfers run at once through one curl multi
 * handle that keeps its connections for the whole drain. The outcomes of a batch (up to
 * KV_RECIPIENT_PUSH_BATCH letters) are committed in one transaction:
 *   2xx      state DELIVERED, fetched_ms, event MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM,
 *            kv_system_health_success;
 *   other    attempts + 1, last_error, next_ms = now + kv_recipient_push_delay_ms(attempts),
 *            event MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM_FAILED, kv_system_health_failure.
 * A system that fails gets no further letters in that drain; while it is failing
 * (systems.failing_since_ms set) it gets one probe letter at a time, no sooner than
 * kv_recipient_push_system_delay_ms after its last failure; the first success lets the whole
 * backlog go again. Delivery is at least once (a crash between the POST and the commit pushes
 * the letter again); receivers deduplicate by messageUUID.
 *
 * Threading: a drain uses two database connections of the store (one to load, one to commit)
 * and its own curl handles; while batch k commits on a short-lived helper thread, batch k+1
 * is loaded and pushed. Call it from one thread at a time per store (the scheduler thread).
 */
#ifndef KV_HUB_RECIPIENT_PUSH_H
#define KV_HUB_RECIPIENT_PUSH_H

#include <stdint.h>

#include "util/err.h"

struct kv_store;

#define KV_RECIPIENT_PUSH_BATCH 512                 /* rows per batch (one commit) */
#define KV_RECIPIENT_PUSH_BATCH_BYTES (64LL << 20)  /* MeMo bytes loaded per batch (>= 1 row) */
#define KV_RECIPIENT_PUSH_BUDGET_MS 2000            /* default time budget of one drain */
#define KV_RECIPIENT_PUSH_CONNECT_MS 10000          /* connect timeout (capped by the total) */
#define KV_RECIPIENT_PUSH_RESPONSE_MAX (1 << 20)    /* larger answers are a failure */

struct kv_recipient_push_opts {
    int64_t total_timeout_ms;   /* one POST, connect included; <= 0: 30 s */
    int64_t connect_timeout_ms; /* <= 0: KV_RECIPIENT_PUSH_CONNECT_MS (capped by the total) */
    int parallel;               /* transfers at once; <= 0: 16 */
    int64_t budget_ms;          /* a drain starts no batch after this long; <= 0: default */
    int batch;                  /* rows per batch; <= 0 or larger: KV_RECIPIENT_PUSH_BATCH */
};

/* What one drain did. */
struct kv_recipient_push_stats {
    int64_t delivered; /* letters accepted (2xx) and committed DELIVERED */
    int64_t failed;    /* failed attempts recorded */
    int64_t batches;   /* batches committed */
};

/* Delay before the next attempt of a letter after its n-th failed attempt (n >= 1):
 * 1 min, 5 min, 15 min, then 1 h for every further attempt. Never gives up. */
int64_t kv_recipient_push_delay_ms(int failures);
/* Delay before the next probe of a failing system, from how long it has been failing
 * (last failure - first failure): the same steps as kv_recipient_push_delay_ms measured from
 * the first failure, i.e. probes at +1 min, +6 min, +21 min, +81 min, then every hour. */
int64_t kv_recipient_push_system_delay_ms(int64_t failing_for_ms);

/* Pushes due letters in batches until none is due or opts->budget_ms has passed (a batch
 * that started is finished: at most the total timeout more). st is borrowed; opts may be NULL
 * (defaults); out (may be NULL) receives the counts. Returns 0, or the error of the batch that
 * could not be committed (its letters stay QUEUED and are pushed again later). */
int kv_recipient_push_drain(struct kv_store *st, const struct kv_recipient_push_opts *opts,
                            struct kv_recipient_push_stats *out, struct kv_err *err);

/* Scheduler hook: hub_arg is the struct kv_hub (borrowed); options from its configuration
 * (recipient_push_timeout, recipient_push_parallel). */
int kv_recipient_push_hook(void *hub_arg);

#endif

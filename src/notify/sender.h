/* SPDX-License-Identifier: MIT
 *
 * sender.h: delivering the notice outbox (notify/outbox.h) -- docs/notifications.md.
 *
 * A pass loads a batch of due rows, decides each one (channel gone, unconfirmed or opted out:
 * DROPPED; the letter recalled: DROPPED; inside the holder's quiet hours, Copenhagen time:
 * deferred to their end, SMS and push only), then in ONE transaction hands every e-mail notice
 * to the hub's mail outbox (hub/mail.h, sent over SMTP by its own hook) and claims every SMS
 * and push notice (state SENDING with a lease). The claimed ones are POSTed as JSON to the
 * gateways (config keys sms_gateway, push_gateway; `kuvert serve --sms-gateway URL
 * --push-gateway URL`) over libcurl's multi interface, many at once on kept-alive
 * connections, and the outcomes are recorded in one more transaction: 2xx SENT; 4xx other
 * than 408/429 FAILED at once (rejected; a push token answered 410 is stale and its channel
 * removed); anything else retried after 1, 5, 15 min, then hourly, FAILED after
 * KV_NOTIFY_MAX_ATTEMPTS. A row still SENDING when its lease ends (the process died between
 * POST and record) is sent again with the same "reference", the gateway's idempotency key,
 * so a gateway that honours it delivers each notice once; kuvert itself never creates a
 * second notice for one letter and channel (the outbox's unique key).
 *
 * The worker is one thread (kv_notify_worker_start) that drains the outbox whenever there is
 * something due, at least once a second and at once when kicked; the scheduler's hook
 * (kv_notify_hook) applies the reminder rule (under a lease: one node of several) and kicks
 * it, so publishing letters never waits
 * for sending.
 *
 * Ownership: opts strings are borrowed; the worker borrows the hub.
 */
#ifndef KV_NOTIFY_SENDER_H
#define KV_NOTIFY_SENDER_H

#include <stdint.h>

#include "util/err.h"

struct kv_hub;
struct kv_store;
struct kv_notify_worker;

#define KV_NOTIFY_MAX_ATTEMPTS 20    /* attempts before a notice is FAILED */
#define KV_NOTIFY_BATCH 1000         /* rows per pass */
#define KV_NOTIFY_PARALLEL 32        /* gateway requests in flight at once */
#define KV_NOTIFY_LEASE_MS (5 * 60 * 1000LL) /* a claimed row is resent after this */

struct kv_notify_opts {
    const char *sms_url;     /* "" or NULL: SMS notices wait */
    const char *push_url;    /* "" or NULL: push notices wait */
    const char *public_url;  /* base of the link in e-mails ("" = none) */
    int64_t timeout_ms;      /* per request */
};

/* One pass at now_ms: decides, hands over and sends up to KV_NOTIFY_BATCH due rows.
 * *out_done (may be NULL) gets the rows settled (sent, handed over, dropped or failed). */
int kv_notify_send_due(struct kv_store *st, const struct kv_notify_opts *o, int64_t now_ms,
                       int *out_done, struct kv_err *err);

/* The rendered texts (for the sender and the tests): the notice of a new letter or a reminder
 * from sender_name, never its content. Owned strings (free). */
char *kv_notify_text(const char *kind, const char *sender_name);

/* The worker thread over hub (borrowed; must outlive it). NULL-safe stop. */
int kv_notify_worker_start(struct kv_hub *hub, struct kv_notify_worker **out, struct kv_err *err);
void kv_notify_worker_stop(struct kv_notify_worker *w);
void kv_notify_worker_kick(struct kv_notify_worker *w);

#define KV_NOTIFY_REMINDER_LEASE "notify_reminders" /* lease of the reminder rule (hub/lease.h) */

/* Scheduler hook (arg: struct kv_notify_worker *): the reminder rule while this node holds
 * the lease KV_NOTIFY_REMINDER_LEASE, then a kick of the sender (on every node). */
int kv_notify_hook(void *worker_arg);

#endif

/* SPDX-License-Identifier: MIT
 *
 * system_health.h: delivery health of recipient systems and their automatic deactivation
 * (issue 4 §5; docs/recipient-side.md "Deactivation"). A recipient system that has had letters
 * to deliver and has accepted none for 7 days (168 h) is deactivated; warning e-mails go to
 * its contact address before that (after 1, 3 and 6 days of continuous failure) and on
 * deactivation. One successful delivery resets the clock.
 *   push  the pusher (recipient_push.h) reports every attempt's outcome with
 *         kv_system_health_success / kv_system_health_failure; failing_since_ms is the first
 *         failure after the last success.
 *   pull  a fetch (GET of the list or of a letter) counts as success; the system is failing
 *         while letters wait unfetched, since max(last fetch, the oldest waiting letter's
 *         availability).
 * kv_system_health_check (a scheduler hook) queues the mails (mail.h) and deactivates, in one
 * transaction per system. While deactivated, letters stay queued; kv_system_activate makes
 * the system active again and its whole backlog due at once.
 *
 * All functions take a borrowed connection. success/failure run inside the caller's write
 * transaction; check and activate run their own.
 */
#ifndef KV_HUB_SYSTEM_HEALTH_H
#define KV_HUB_SYSTEM_HEALTH_H

#include <stdint.h>

#include "util/err.h"

struct kv_db;

#define KV_HEALTH_DAY_MS (24LL * 3600 * 1000)
#define KV_HEALTH_DEACTIVATE_MS (7 * KV_HEALTH_DAY_MS) /* 168 h of failure */
#define KV_HEALTH_WARNINGS 3 /* warning mails per failure period: after 1, 3 and 6 days */

/* A successful delivery to system_id at now_ms (push 2xx, pull fetch): last_success_ms = now,
 * failing_since_ms cleared, warnings_sent reset. Inside the caller's transaction. */
int kv_system_health_success(struct kv_db *db, const char *system_id, int64_t now_ms,
                             struct kv_err *err);
/* A failed push attempt to system_id at now_ms with reason error (borrowed, may be NULL):
 * sets failing_since_ms when not set, last_failure_ms and last_error. Inside the caller's
 * transaction. */
int kv_system_health_failure(struct kv_db *db, const char *system_id, int64_t now_ms,
                             const char *error, struct kv_err *err);

/* A pull fetch by system_id at now_ms (GET /apis/v1/memos/ list or a letter): last_fetch_ms =
 * now and everything kv_system_health_success does. One UPDATE statement, so it works inside
 * the caller's transaction or on its own (autocommit). To spare a write per poll it skips the
 * write when the system is not failing and last_fetch_ms is less than
 * KV_HEALTH_FETCH_WRITE_MS old (so last_fetch_ms may lag by up to that much). */
#define KV_HEALTH_FETCH_WRITE_MS (60LL * 1000)
int kv_system_health_fetched(struct kv_db *db, const char *system_id, int64_t now_ms,
                             struct kv_err *err);

/* Evaluates every active recipient system at now_ms: queues warning mails for each
 * threshold passed and not yet warned, and deactivates (event SYSTEM_DEACTIVATED with
 * {"reason": "automatic"}, mail) at 168 h. *out_deactivated (may be NULL) gets how many were
 * deactivated. */
int kv_system_health_check(struct kv_db *db, int64_t now_ms, int *out_deactivated,
                           struct kv_err *err);
/* Scheduler hook (arg: struct kv_hub *): kv_system_health_check at kv_clock_now_ms(). */
int kv_system_health_hook(void *hub_arg);

/* Makes system_id active again (event SYSTEM_ACTIVATED), clears its failure state and makes
 * every queued letter of it due now, so the backlog is delivered by the next pass.
 * KV_ENOTFOUND for an unknown system. *out_backlog (may be NULL) gets the queued count. */
int kv_system_activate(struct kv_db *db, const char *system_id, int64_t now_ms,
                       int64_t *out_backlog, struct kv_err *err);
/* Deactivates system_id by hand (status deactivated, deactivated_ms = now, event
 * SYSTEM_DEACTIVATED {"status":"deactivated","reason":"manual"}; no mail). Nothing happens
 * when it is deactivated already. KV_ENOTFOUND for an unknown system. Own transaction. */
int kv_system_deactivate(struct kv_db *db, const char *system_id, int64_t now_ms,
                         struct kv_err *err);

/* What `kuvert system show` and the admin API print about a recipient system. */
struct kv_system_health {
    char status[16];          /* "active" | "deactivated" */
    int64_t last_success_ms;  /* 0 = never */
    int64_t failing_since_ms; /* 0 = not failing */
    int64_t last_failure_ms;  /* 0 = never */
    char last_error[256];     /* "" = none */
    int warnings_sent;        /* thresholds warned in this failure period */
    int64_t deactivated_ms;   /* 0 = never */
    int64_t queue_length;     /* letters waiting (state QUEUED) */
    int64_t last_fetch_ms;    /* pull: last fetch, 0 = never */
    int64_t activated_ms;     /* last reactivation by hand, 0 = never */
};

/* Fills *out for system_id. KV_ENOTFOUND for an unknown system. */
int kv_system_health_get(struct kv_db *db, const char *system_id, struct kv_system_health *out,
                         struct kv_err *err);

#endif

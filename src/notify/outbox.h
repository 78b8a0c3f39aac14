/* SPDX-License-Identifier: MIT
 *
 * outbox.h: the notice outbox (table notify_outbox, migration 038), the one part of the
 * notification domain that sits BELOW the hub: the send pipeline (hub/letter_store.c) calls it
 * inside the transaction that makes a letter visible, so a notice exists exactly when its
 * publication committed, and the value-date publisher does the same at midnight. Everything
 * else of src/notify (settings, NemSMS, the sender) sits above the hub and uses this file.
 *
 * Every row has a unique key (ukey): NEW:<letter>:<channel>, REMINDER:<letter>:<channel>,
 * PIN:<channel>:<n>, NEMSPIN:<cpr>:<n>, NEMSMS:<letter>. Inserting a key twice does nothing,
 * so no letter is ever noticed twice on one channel, whatever is retried. Only store/ and
 * util/ are used here.
 *
 * Ownership: all strings are borrowed.
 */
#ifndef KV_NOTIFY_OUTBOX_H
#define KV_NOTIFY_OUTBOX_H

#include <stdint.h>

#include "util/err.h"

struct kv_db;

#define KV_NOTIFY_SMS_MAX 160 /* characters of one SMS text (no concatenation) */

/* Queues one NEW notice per confirmed channel of every access to mailbox_id (its owner, and
 * each helper whose mailbox access is still active, or a company's employee) that has not
 * opted out, for letter_id, which became visible at now_ms. Inside the caller's transaction.
 * *out_n (may be NULL) gets the rows queued. */
int kv_notify_letter_visible(struct kv_db *db, int64_t letter_id, int64_t mailbox_id,
                             int64_t now_ms, int *out_n, struct kv_err *err);

/* A NemSMS letter for cpr: when cpr has a confirmed NemSMS subscription, queues the SMS
 * (key NEMSMS:<letter_id>) with text to its number and sets *out_subscribed to 1; else 0 and
 * nothing is queued. Inside the caller's transaction. */
int kv_notify_nemsms_letter(struct kv_db *db, int64_t letter_id, const char *cpr,
                            const char *text, int64_t now_ms, int *out_subscribed,
                            struct kv_err *err);

/* Queues one SMS that is not a letter's notice (a PIN): key ukey (unique), kind "PIN",
 * channel_id (0 = none), to an 8-digit number, text. Inside the caller's transaction. */
int kv_notify_queue_sms(struct kv_db *db, const char *ukey, int64_t channel_id, const char *to,
                        const char *text, int64_t now_ms, struct kv_err *err);

/* 1 when s is a Danish mobile number as NgDP accepts it: ^[2-9][0-9]{7}$. */
int kv_notify_mobile_ok(const char *s);

/* The reminder rule (docs/notifications.md): a letter whose NEW notices went out gets one
 * REMINDER per channel when it is still unread legal_after_ms (legalNotification letters) or
 * after_ms (all others; 0 = no reminders for them) after its notice was queued. Looks at up to
 * max notices, in its own transaction. *out_n gets the reminders queued. */
int kv_notify_queue_reminders(struct kv_db *db, int64_t now_ms, int64_t after_ms,
                              int64_t legal_after_ms, int max, int *out_n, struct kv_err *err);

#endif

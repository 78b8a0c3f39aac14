/* SPDX-License-Identifier: MIT
 *
 * nemsms.h: NemSMS subscriptions (docs/notifications.md "NemSMS"; portals.md §2.3, §7). A
 * citizen (CPR) subscribes one Danish mobile number (^[2-9][0-9]{7}$), which allows every
 * authority that uses NemSMS to send them short messages (MeMo messageType NEMSMS, delivered by
 * hub/letter_store.c through notify/outbox.h). Separate from new-post SMS notices, and
 * independent of the mailbox's state: an exempt citizen can subscribe too.
 *
 * Through the mailbox (API and pages) a number is confirmed by a 6-digit PIN sent to it by SMS
 * (hashed, 15 minutes, 5 attempts); a change keeps the old number until the new one is
 * confirmed. Citizen service (web/aa_nemsms.c) uses the same PIN step (the citizen at the desk
 * reads the PIN out); only an operator (CLI) sets a number without it. Events:
 * NEM_SMS_CREATED / NEM_SMS_UPDATED / NEM_SMS_ACTIVATED / NEM_SMS_DELETED and
 * PINCODE_SENT_TO_MOBILE_NEM_SMS, subject "cpr:<cpr>", actor as given ("cpr:...", "cli", ...).
 *
 * Each call is one transaction. Refusals: KV_EINVAL (bad number/PIN), KV_ENOTFOUND (no
 * subscription / nothing pending), KV_EPERM (PIN void). Ownership: strings borrowed.
 */
#ifndef KV_NOTIFY_NEMSMS_H
#define KV_NOTIFY_NEMSMS_H

#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct kv_db;

/* {"subscribed":bool, "mobileNumber"?, "confirmedDateTime"?, "pendingMobileNumber"?}
 * (owned). */
int kv_nemsms_json(struct kv_db *db, const char *cpr, json_t **out, struct kv_err *err);

/* Subscribes cpr with mobile, or changes the number. verified = 1 (operator's CLI):
 * active at once; 0: a PIN is sent and the number waits for kv_nemsms_confirm (out_pin, 7
 * bytes, may be NULL, gets it: tests only). */
int kv_nemsms_subscribe(struct kv_db *db, const char *cpr, const char *mobile, int verified,
                        const char *actor, int64_t now, char *out_pin, struct kv_err *err);

/* Confirms the waiting number with its PIN. */
int kv_nemsms_confirm(struct kv_db *db, const char *cpr, const char *pin, const char *actor,
                      int64_t now, struct kv_err *err);

/* Removes the subscription. KV_ENOTFOUND when there is none. */
int kv_nemsms_unsubscribe(struct kv_db *db, const char *cpr, const char *actor, int64_t now,
                          struct kv_err *err);

#endif

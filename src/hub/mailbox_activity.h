/* SPDX-License-Identifier: MIT
 *
 * mailbox_activity.h: a mailbox's activity log -- who read, moved, deleted, wrote and replied,
 * and who asked for, got or lost access to it, when -- as its owner and the helpers with
 * access see it at /post/aktivitet. It is a view of the one event log (hub/events.h): every
 * event whose subject is the mailbox's owner ("cpr:<n>"/"cvr:<n>") and whose tag is one of
 * KV_MBOX_ACTIVITY_TAGS. A helper's actions carry the helper as actor (mailbox_view.h
 * kv_mbox_actor). Opening a letter as a helper also records
 * MAILBOX_READ_BY_PARTY_REPRESENTATIVE (kv_mbox_log_representative_read), every time.
 *
 * All functions take a borrowed connection.
 */
#ifndef KV_HUB_MAILBOX_ACTIVITY_H
#define KV_HUB_MAILBOX_ACTIVITY_H

#include <stdint.h>

#include <jansson.h>

#include "hub/mailbox_view.h"
#include "util/err.h"

struct kv_db;

#define KV_MBOX_ACTIVITY_PAGE 50  /* entries per page */
#define KV_MBOX_ACTIVITY_ROUNDS 20 /* narrowed: batches of the log read for one page */

/* The tags shown (static, n_out gets how many). */
const char *const *kv_mbox_activity_tags(int *n_out);

/* One page of owner's activity, newest first, with seq < before_seq (0: the newest): *out =
 * {items: [{seq, eventTime, eventTag, messageUUID, actor, eventProperties}...],
 * nextBefore: seq | null} (owned). For an employee narrowed to contact points
 * (owner->narrowed) only the events of letters kv_mbox_letter_load lets them load are shown
 * -- nothing without a letter (folders, drafts, access) and nothing of other points' letters;
 * a page reads at most KV_MBOX_ACTIVITY_ROUNDS batches of KV_MBOX_ACTIVITY_PAGE events, so
 * it may hold fewer entries while nextBefore still leads on. */
int kv_mbox_activity(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t before_seq,
                     json_t **out, struct kv_err *err);

/* Records MAILBOX_READ_BY_PARTY_REPRESENTATIVE for letter l opened by the helper of owner
 * (owner->rep_cpr; nothing when the owner reads), in its own transaction. */
int kv_mbox_log_representative_read(struct kv_db *db, const struct kv_mbox_owner *owner,
                                    const struct kv_mbox_letter *l, struct kv_err *err);

#endif

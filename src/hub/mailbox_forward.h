/* SPDX-License-Identifier: MIT
 *
 * mailbox_forward.h: forwarding a received letter from a mailbox (NgDP ForwardCommand,
 * ../shared/docs/portals.md §5.2; docs/mailbox-web.md "Forwarding"). Three ways:
 *   to an authority  a new letter from the owner to a contact point open to the owner's
 *                    audience, through the mailbox send path (mailbox_send.h: limits of the
 *                    point, routing to its recipient system, listed in "sent"), then
 *                    MESSAGE_FORWARDED_TO_AUTHORITY on the original {"contactPointId",
 *                    "messageUUID" of the new letter}.
 *   to a person      a new letter from the owner to another citizen's (CPR) or company's (CVR)
 *                    mailbox, through the same send path (kv_mbox_send_person: delivered
 *                    when that mailbox is open, else kept NOT_ALLOWED, the same answer either
 *                    way; listed in the owner's "sent"), then
 *                    MESSAGE_FORWARDED_TO_TRUSTED on the original {"recipientIdType",
 *                    "recipientId", "messageUUID" of the new letter}.
 *   Both letters: title "Videresendt: <title>", the forwarder's comment and the original's
 *   sender, title, received time and messageUUID as its text, every file of the original as
 *   an attachment, and MeMo ForwardData {messageUUID, originalMessageDateTime,
 *   originalSender, comment}. A helper who forwards is the letter's Sender/Representative.
 *   The new letter is committed before the event is appended (its own transaction).
 *   to an e-mail     a notice only: who forwarded it, the sender, title and received time and
 *                    the comment -- never the letter's documents (plain e-mail is not a secure
 *                    channel, and the hub's mail sender carries plain text only), queued in
 *                    the mail outbox (mail.h, kind "MAILBOX_FORWARD") in the same transaction
 *                    as MESSAGE_FORWARDED_TO_EMAIL {"to"}.
 * Events: actor the one acting (a helper: "cpr:<helper>"), subject the owner. A sent letter
 * cannot be forwarded (KV_EINVAL). A legal-notification letter is forwarded like any other:
 * the rules found say nothing against it, and the copy is a plain letter (no
 * legalNotification), so the new recipient is never served by it.
 *
 * Ownership: everything borrowed; *out and *refusal as in mailbox_send.h.
 */
#ifndef KV_HUB_MAILBOX_FORWARD_H
#define KV_HUB_MAILBOX_FORWARD_H

#include "hub/mailbox_send.h"
#include "hub/mailbox_view.h"
#include "util/err.h"
#include "util/problem.h"

struct kv_db;
struct kv_hub;

#define KV_MBOX_FORWARD_COMMENT_MAX 512 /* bytes (MeMo ForwardData/comment) */

/* l must be loaded with its body. */
int kv_mbox_forward_authority(struct kv_hub *hub, struct kv_db *db,
                              const struct kv_mbox_owner *owner, const struct kv_mbox_letter *l,
                              const char *point_id, const char *comment,
                              struct kv_mbox_sent *out, struct kv_problem *refusal,
                              struct kv_err *err);

/* l must be loaded with its body; recipient_type "CPR" | "CVR" (refusals as
 * kv_mbox_send_person). */
int kv_mbox_forward_person(struct kv_hub *hub, struct kv_db *db,
                           const struct kv_mbox_owner *owner, const struct kv_mbox_letter *l,
                           const char *recipient_type, const char *recipient_id,
                           const char *comment, struct kv_mbox_sent *out,
                           struct kv_problem *refusal, struct kv_err *err);

/* who: the forwarder's name as the mail says it. KV_EINVAL for a bad address or comment. */
int kv_mbox_forward_email(struct kv_db *db, const struct kv_mbox_owner *owner,
                          const struct kv_mbox_letter *l, const char *who, const char *to,
                          const char *comment, struct kv_err *err);

#endif

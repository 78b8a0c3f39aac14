/* SPDX-License-Identifier: MIT
 *
 * mailbox_forward.h: forwarding a received letter from a mailbox (NgDP ForwardCommand,
 * ../shared/docs/portals.md §5.2; docs/mailbox-web.md "Forwarding"). Two ways:
 *   to an authority  a new letter from the owner to a contact point open to the owner's
 *                    audience, through the mailbox send path (mailbox_send.h: limits of the
 *                    point, routing to its recipient system, listed in "sent"): title
 *                    "Videresendt: <title>", the forwarder's comment and the original's
 *                    sender, title, received time and messageUUID as its text, every file of
 *                    the original as an attachment; then MESSAGE_FORWARDED_TO_AUTHORITY on the
 *                    original {"contactPointId", "messageUUID" of the new letter}.
 *   to an e-mail     a notice only: who forwarded it, the sender, title and received time and
 *                    the comment -- never the letter's documents (plain e-mail is not a secure
 *                    channel, and the hub's mail sender carries plain text only), queued in
 *                    the mail outbox (mail.h, kind "MAILBOX_FORWARD") in the same transaction
 *                    as MESSAGE_FORWARDED_TO_EMAIL {"to"}.
 * Events: actor the one acting (a helper: "cpr:<helper>"), subject the owner. A sent letter
 * cannot be forwarded (KV_EINVAL). Forwarding to another citizen's or company's mailbox does
 * not exist: a letter written in a mailbox goes to an authority's recipient system or nowhere.
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

/* who: the forwarder's name as the mail says it. KV_EINVAL for a bad address or comment. */
int kv_mbox_forward_email(struct kv_db *db, const struct kv_mbox_owner *owner,
                          const struct kv_mbox_letter *l, const char *who, const char *to,
                          const char *comment, struct kv_err *err);

#endif

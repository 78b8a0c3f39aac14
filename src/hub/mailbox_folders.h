/* SPDX-License-Identifier: MIT
 *
 * mailbox_folders.h: what an owner does with the letters in their mailbox besides reading them
 * (mailbox_view.h): counts per folder, mark unread again, move between the inbox, the
 * deleted folder and the owner's own folders (mailbox_tree.h, key "f<id>"), flag, legal
 * notification, and delete permanently from the deleted folder. Folders of received letters
 * are "inbox" (where letters are delivered), "deleted" and own folders; "sent" is computed
 * (letters the owner wrote) and cannot be moved into or out of. A letter deleted permanently goes to the
 * hidden folder "purged" (KV_MBOX_FOLDER_PURGED): it is never listed, loaded or counted again,
 * for the owner or through the mailbox API; the stored MeMo and its events stay in the hub's
 * store (the sender's record). Events: MESSAGE_MOVED {"folder": to} for a move,
 * MESSAGE_DELETED for a permanent delete, actor and subject "cpr:<n>"/"cvr:<n>" as
 * kv_mbox_mark_read.
 *
 * All functions take a borrowed connection and a letter loaded for the same owner with
 * kv_mbox_letter_load (which is what proves the owner may touch it); each write runs its own
 * transaction.
 */
#ifndef KV_HUB_MAILBOX_FOLDERS_H
#define KV_HUB_MAILBOX_FOLDERS_H

#include <stdint.h>

#include "hub/mailbox_view.h"
#include "util/err.h"

struct kv_db;

#define KV_MBOX_FOLDER_INBOX "inbox"
#define KV_MBOX_FOLDER_DELETED "deleted"

/* Letters per folder of an owner. */
struct kv_mbox_counts {
    int64_t inbox, inbox_unread;     /* received, in "inbox" */
    int64_t deleted, deleted_unread; /* received, in "deleted" */
    int64_t sent;                    /* written by the owner */
};

int kv_mbox_counts(struct kv_db *db, const struct kv_mbox_owner *owner,
                   struct kv_mbox_counts *out, struct kv_err *err);

/* Marks a received letter unread again (read_ms cleared; the next read is a new
 * MESSAGE_READ). A sent letter: KV_EINVAL. */
int kv_mbox_mark_unread(struct kv_db *db, const struct kv_mbox_owner *owner,
                        const struct kv_mbox_letter *l, struct kv_err *err);

/* Moves a received letter to folder "inbox", "deleted" or an own folder "f<id>" of the same
 * mailbox (KV_EINVAL for any other folder or a sent letter). Moving to where it is changes
 * nothing and records nothing. */
int kv_mbox_move(struct kv_db *db, const struct kv_mbox_owner *owner,
                 const struct kv_mbox_letter *l, const char *folder, struct kv_err *err);

/* Deletes a received letter permanently; only from "deleted" (KV_ECONFLICT otherwise: move it
 * there first). */
int kv_mbox_purge(struct kv_db *db, const struct kv_mbox_owner *owner,
                  const struct kv_mbox_letter *l, struct kv_err *err);

/* Sets (on 1) or clears (on 0) the reader's flag of a received letter (NgDP Message.flag,
 * "opfølgning"). No event: the flag is the reader's own note, not a step of the letter.
 * A sent letter: KV_EINVAL. */
int kv_mbox_flag(struct kv_db *db, const struct kv_mbox_owner *owner,
                 const struct kv_mbox_letter *l, int on, struct kv_err *err);

/* Legal notification (forkyndelse): a received letter whose MeMo says legalNotification=true
 * is legally notified the first time it is opened, by the owner or by a helper on the
 * owner's behalf. The first call sets legally_notified_ms and appends MESSAGE_LEGALLY_NOTIFIED
 * (actor the reader, subject the owner, props {"onBehalf": true} for a helper); later calls
 * change nothing. *out_ms gets the instant (the earlier one when already notified; 0 for a
 * letter that is not a legal notification). Runs its own transaction. */
int kv_mbox_mark_legally_notified(struct kv_db *db, const struct kv_mbox_owner *owner,
                                  const struct kv_mbox_letter *l, int64_t *out_ms,
                                  struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * mailbox_folders.h: what an owner does with the letters in their mailbox besides reading them
 * (mailbox_view.h): counts per folder, mark unread again, move between the inbox and the
 * deleted folder, and delete permanently from the deleted folder. Folders of received letters
 * are "inbox" (where letters are delivered) and "deleted"; "sent" is computed (letters the
 * owner wrote) and cannot be moved into or out of. A letter deleted permanently goes to the
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

/* Moves a received letter to folder "inbox" or "deleted" (KV_EINVAL for any other folder or a
 * sent letter). Moving to where it is changes nothing and records nothing. */
int kv_mbox_move(struct kv_db *db, const struct kv_mbox_owner *owner,
                 const struct kv_mbox_letter *l, const char *folder, struct kv_err *err);

/* Deletes a received letter permanently; only from "deleted" (KV_ECONFLICT otherwise: move it
 * there first). */
int kv_mbox_purge(struct kv_db *db, const struct kv_mbox_owner *owner,
                  const struct kv_mbox_letter *l, struct kv_err *err);

#endif

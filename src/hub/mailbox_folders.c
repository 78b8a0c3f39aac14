/* SPDX-License-Identifier: MIT
 *
 * mailbox_folders.c: counts per folder, unread, move and permanent delete of the letters in an
 * owner's mailbox, plus flag and legal notification (see mailbox_folders.h). Counts read the
 * rows mailbox_counts keeps (migration 037; summed over the slots of migration 056) plus one
 * count over the letters they wrote
 * (letters_sender_mailbox). Writes update the one letters row the caller loaded and append
 * the event in the same transaction.
 */
#include "hub/mailbox_folders.h"

#include <stdio.h>
#include <string.h>

#include "hub/mailbox_tree.h"
#include "store/store.h"
#include "util/clock.h"

int kv_mbox_counts(struct kv_db *db, const struct kv_mbox_owner *owner,
                   struct kv_mbox_counts *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_db_prepare(db,
                       owner->narrowed
                           /* per contact point, kept by triggers on letters (migration 051) */
                           ? "SELECT c.folder, SUM(c.total), SUM(c.unread) "
                             "FROM mailbox_point_counts c JOIN mailboxes m "
                             "ON m.id = c.mailbox_id WHERE m.owner_type = ? AND m.owner_id = ? "
                             "AND c.folder IN ('inbox', 'deleted') AND c.contact_point_id IN "
                             KV_MBOX_POINTS_IN " GROUP BY c.folder"
                           /* kept by triggers on letters (migration 037), summed
                            * over the slots of the key (056) */
                           : "SELECT c.folder, SUM(c.total), SUM(c.unread) "
                             "FROM mailbox_counts c JOIN mailboxes m ON m.id = c.mailbox_id "
                             "WHERE m.owner_type = ? AND m.owner_id = ? "
                             "AND c.folder IN ('inbox', 'deleted') GROUP BY c.folder",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner->type, -1);
    kv_stmt_bind_text(s, 2, owner->id, -1);
    if (owner->narrowed)
        kv_mbox_bind_points(s, 3, owner);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *f = kv_stmt_col_text(s, 0);
        int deleted = f && strcmp(f, KV_MBOX_FOLDER_DELETED) == 0;

        *(deleted ? &out->deleted : &out->inbox) = kv_stmt_col_int64(s, 1);
        *(deleted ? &out->deleted_unread : &out->inbox_unread) = kv_stmt_col_int64(s, 2);
    }
    kv_stmt_done(s);
    if (rc < 0 || owner->narrowed) /* a narrowed view has no "sent" */
        return rc < 0 ? rc : 0;
    rc = kv_db_prepare(db,
                       "SELECT COUNT(*) FROM letters l JOIN mailboxes m "
                       "ON m.id = l.sender_mailbox_id WHERE m.owner_type = ? AND m.owner_id = ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner->type, -1);
    kv_stmt_bind_text(s, 2, owner->id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        out->sent = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Runs sql (binds: ?1 text value or none, then the letter id) and, when it changed the row,
 * appends event tag with props; all in one transaction. */
static int update(struct kv_db *db, const struct kv_mbox_owner *owner,
                  const struct kv_mbox_letter *l, const char *sql, const char *value,
                  const char *tag, const char *props, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc, i = 1;

    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        goto fail;
    if (value)
        kv_stmt_bind_text(s, i++, value, -1);
    kv_stmt_bind_int64(s, i, l->id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto fail;
    if (tag && kv_db_changes(db) == 1) {
        rc = kv_mbox_event(db, owner, l, tag, props, kv_clock_now_ms(), err);
        if (rc < 0)
            goto fail;
    }
    return kv_db_commit(db, err);
fail:
    kv_db_rollback(db);
    return rc;
}

int kv_mbox_mark_unread(struct kv_db *db, const struct kv_mbox_owner *owner,
                        const struct kv_mbox_letter *l, struct kv_err *err)
{
    if (l->sent)
        return kv_err_set(err, KV_EINVAL, "a letter the owner wrote is always read");
    return update(db, owner, l, "UPDATE letters SET read_ms = NULL WHERE id = ?", NULL, NULL,
                  NULL, err);
}

int kv_mbox_move(struct kv_db *db, const struct kv_mbox_owner *owner,
                 const struct kv_mbox_letter *l, const char *folder, struct kv_err *err)
{
    char props[96];
    int64_t fid = 0;
    int rc;

    if (l->sent)
        return kv_err_set(err, KV_EINVAL, "a letter the owner wrote stays in \"sent\"");
    if (!folder)
        return kv_err_set(err, KV_EINVAL, "no folder");
    if (strcmp(folder, KV_MBOX_FOLDER_INBOX) != 0 && strcmp(folder, KV_MBOX_FOLDER_DELETED) != 0) {
        rc = kv_mbox_folder_parse(folder, &fid);
        if (rc == 0)
            rc = kv_mbox_folder_get(db, owner, fid, NULL, err);
        if (rc == KV_ENOTFOUND || rc == KV_EINVAL)
            return kv_err_set(err, KV_EINVAL, "no folder \"%.64s\"", folder);
        if (rc < 0)
            return rc;
    }
    if (strcmp(l->folder, folder) == 0)
        return 0;
    snprintf(props, sizeof(props), "{\"folder\":\"%s\",\"from\":\"%s\"}", folder, l->folder);
    /* an own folder is re-checked in the transaction: one deleted meanwhile is not a target */
    return update(db, owner, l,
                  "UPDATE letters SET folder = ?1 WHERE id = ?2 AND folder <> 'purged' "
                  "AND (?1 IN ('inbox', 'deleted') OR EXISTS (SELECT 1 FROM mailbox_folders f "
                  "WHERE 'f' || f.id = ?1 AND f.mailbox_id = letters.mailbox_id))",
                  folder, "MESSAGE_MOVED", props, err);
}

int kv_mbox_flag(struct kv_db *db, const struct kv_mbox_owner *owner,
                 const struct kv_mbox_letter *l, int on, struct kv_err *err)
{
    if (l->sent)
        return kv_err_set(err, KV_EINVAL, "a letter the owner wrote has no flag");
    return update(db, owner, l,
                  on ? "UPDATE letters SET flagged = 1 WHERE id = ?"
                     : "UPDATE letters SET flagged = 0 WHERE id = ?",
                  NULL, NULL, NULL, err);
}

int kv_mbox_mark_legally_notified(struct kv_db *db, const struct kv_mbox_owner *owner,
                                  const struct kv_mbox_letter *l, int64_t *out_ms,
                                  struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t now = kv_clock_now_ms();
    int first, rc;

    *out_ms = l->legally_notified_ms;
    if (l->sent || !l->legal_notification || l->legally_notified_ms)
        return 0;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_mbox_mark_once(db, owner, l,
                           "UPDATE letters SET legally_notified_ms = ? WHERE id = ? "
                           "AND legal_notification = 1 AND legally_notified_ms IS NULL",
                           "MESSAGE_LEGALLY_NOTIFIED",
                           owner->rep_cpr[0] ? "{\"onBehalf\":true}" : NULL, now, &first, err);
    if (rc < 0)
        goto fail;
    if (first) {
        *out_ms = now;
    } else { /* another request was first: read its instant */
        rc = kv_db_prepare(db, "SELECT legally_notified_ms FROM letters WHERE id = ?", &s, err);
        if (rc < 0)
            goto fail;
        kv_stmt_bind_int64(s, 1, l->id);
        rc = kv_stmt_step(s, err);
        if (rc == KV_ROW && !kv_stmt_col_is_null(s, 0))
            *out_ms = kv_stmt_col_int64(s, 0);
        kv_stmt_done(s);
        if (rc < 0)
            goto fail;
    }
    return kv_db_commit(db, err);
fail:
    kv_db_rollback(db);
    return rc;
}

int kv_mbox_purge(struct kv_db *db, const struct kv_mbox_owner *owner,
                  const struct kv_mbox_letter *l, struct kv_err *err)
{
    if (l->sent || strcmp(l->folder, KV_MBOX_FOLDER_DELETED) != 0)
        return kv_err_set(err, KV_ECONFLICT, "only a letter in \"deleted\" can be deleted "
                                             "permanently");
    return update(db, owner, l,
                  "UPDATE letters SET folder = 'purged' WHERE id = ? AND folder = 'deleted'", NULL,
                  "MESSAGE_DELETED", NULL, err);
}

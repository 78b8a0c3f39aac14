/* SPDX-License-Identifier: MIT
 *
 * mailbox_folders.c: counts per folder, unread, move and permanent delete of the letters in an
 * owner's mailbox (see mailbox_folders.h). Counts are one grouped query over the owner's
 * mailbox (index letters_mailbox) plus one over the letters they wrote
 * (letters_sender_mailbox). Writes update the one letters row the caller loaded and append
 * the event in the same transaction.
 */
#include "hub/mailbox_folders.h"

#include <stdio.h>
#include <string.h>

#include "hub/events.h"
#include "store/store.h"
#include "util/clock.h"

int kv_mbox_counts(struct kv_db *db, const struct kv_mbox_owner *owner,
                   struct kv_mbox_counts *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_db_prepare(db,
                       /* kept by triggers on letters (migration 037) */
                       "SELECT c.folder, c.total, c.unread "
                       "FROM mailbox_counts c JOIN mailboxes m ON m.id = c.mailbox_id "
                       "WHERE m.owner_type = ? AND m.owner_id = ? "
                       "AND c.folder IN ('inbox', 'deleted')",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner->type, -1);
    kv_stmt_bind_text(s, 2, owner->id, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *f = kv_stmt_col_text(s, 0);
        int deleted = f && strcmp(f, KV_MBOX_FOLDER_DELETED) == 0;

        *(deleted ? &out->deleted : &out->inbox) = kv_stmt_col_int64(s, 1);
        *(deleted ? &out->deleted_unread : &out->inbox_unread) = kv_stmt_col_int64(s, 2);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
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
    struct kv_event ev;
    char who[16], subj[16];
    int rc, i = 1;

    kv_mbox_actor(owner, who, sizeof(who));
    kv_mbox_subject(owner, subj, sizeof(subj));
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
        memset(&ev, 0, sizeof(ev));
        ev.tag = tag;
        ev.message_uuid = l->message_uuid;
        ev.system_id = l->sender_system[0] ? l->sender_system : NULL;
        ev.actor = who;
        ev.subject = subj;
        ev.props_json = props;
        ev.time_ms = kv_clock_now_ms();
        rc = kv_events_append(db, &ev, err);
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
    const char *props;

    if (l->sent)
        return kv_err_set(err, KV_EINVAL, "a letter the owner wrote stays in \"sent\"");
    if (!folder)
        return kv_err_set(err, KV_EINVAL, "no folder");
    if (strcmp(folder, KV_MBOX_FOLDER_INBOX) == 0)
        props = "{\"folder\":\"inbox\"}";
    else if (strcmp(folder, KV_MBOX_FOLDER_DELETED) == 0)
        props = "{\"folder\":\"deleted\"}";
    else
        return kv_err_set(err, KV_EINVAL, "no folder \"%.64s\"", folder);
    if (strcmp(l->folder, folder) == 0)
        return 0;
    return update(db, owner, l,
                  "UPDATE letters SET folder = ? WHERE id = ? AND folder IN ('inbox', 'deleted')",
                  folder, "MESSAGE_MOVED", props, err);
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

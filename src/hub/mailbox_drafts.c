/* SPDX-License-Identifier: MIT
 *
 * mailbox_drafts.c: saving, listing, loading and deleting the drafts of a mailbox (see
 * mailbox_drafts.h). Every statement names the owner's mailbox id, so one mailbox never sees
 * another's draft; the count per mailbox (mailbox_draft_counts) and the draft's event
 * (DRAFT_SAVED, DRAFT_DELETED, DRAFT_SENT) are written in the same transaction as the insert,
 * update or delete.
 */
#include "hub/mailbox_drafts.h"

#include <stdlib.h>
#include <string.h>

#include "hub/directory.h"
#include "hub/events.h"
#include "hub/mailbox_view.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/xmalloc.h"

void kv_mbox_saved_draft_release(struct kv_mbox_saved_draft *d)
{
    size_t i;

    if (!d)
        return;
    for (i = 0; i < d->n_files; i++) {
        free(d->files[i].filename);
        free(d->files[i].mime);
        free(d->files[i].data);
    }
    free(d->files);
    free(d->label);
    free(d->text);
    memset(d, 0, sizeof(*d));
}

/* The owner's mailbox id: 0 with *out set, or KV_ENOTFOUND. */
static int mailbox_id(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t *out,
                      struct kv_err *err)
{
    struct kv_mailbox mb;
    int rc = kv_mailbox_find(db, owner->type, owner->id, &mb, err);

    if (rc == 0)
        *out = mb.id;
    return rc;
}

int kv_mbox_drafts_count(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t *out,
                         struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t mb;
    int rc;

    *out = 0;
    rc = mailbox_id(db, owner, &mb, err);
    if (rc == KV_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, "SELECT drafts FROM mailbox_draft_counts WHERE mailbox_id = ?", &s,
                       err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, mb);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_mbox_drafts_list(struct kv_db *db, const struct kv_mbox_owner *owner, json_t **out,
                        struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    json_t *arr = NULL;
    int64_t mb;
    int rc;

    *out = NULL;
    rc = mailbox_id(db, owner, &mb, err);
    if (rc == KV_ENOTFOUND) {
        *out = json_array();
        return 0;
    }
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db,
                       "SELECT d.id, d.label, d.point_id, COALESCE(cp.name, ''), "
                       "COALESCE(o.name, ''), d.updated_ms, (SELECT COUNT(*) FROM "
                       "mailbox_draft_files f WHERE f.draft_id = d.id) FROM mailbox_drafts d "
                       "LEFT JOIN contact_points cp ON cp.id = d.point_id "
                       "LEFT JOIN orgs o ON o.cvr = cp.org_cvr WHERE d.mailbox_id = ? "
                       "ORDER BY d.updated_ms DESC, d.id DESC LIMIT ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, mb);
    kv_stmt_bind_int64(s, 2, KV_MBOX_DRAFTS_LIST_MAX);
    arr = json_array();
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "id", kv_stmt_col_text(s, 0),
                           "label", kv_stmt_col_text(s, 1), "pointId", kv_stmt_col_text(s, 2),
                           "pointName", kv_stmt_col_text(s, 3), "organisationName",
                           kv_stmt_col_text(s, 4), "updatedMs",
                           (json_int_t)kv_stmt_col_int64(s, 5), "files",
                           (json_int_t)kv_stmt_col_int64(s, 6)));
    kv_stmt_done(s);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* The files of draft id into d (with or without their bytes). */
static int load_files(struct kv_db *db, const char *id, int with_data,
                      struct kv_mbox_saved_draft *d, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    size_t cap = 0;
    int rc;

    rc = kv_db_prepare(db,
                       with_data ? "SELECT filename, mime, length(data), data FROM "
                                   "mailbox_draft_files WHERE draft_id = ? ORDER BY n"
                                 : "SELECT filename, mime, length(data) FROM "
                                   "mailbox_draft_files WHERE draft_id = ? ORDER BY n",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        struct kv_mbox_draft_file *f;

        if (d->n_files == cap) {
            cap = cap ? cap * 2 : 4;
            d->files = kv_xrealloc(d->files, cap * sizeof(*d->files));
        }
        f = &d->files[d->n_files++];
        memset(f, 0, sizeof(*f));
        f->filename = kv_xstrdup(kv_stmt_col_text(s, 0));
        f->mime = kv_xstrdup(kv_stmt_col_text(s, 1));
        f->len = (size_t)kv_stmt_col_int64(s, 2);
        if (with_data) {
            size_t n = 0;
            const void *p = kv_stmt_col_blob(s, 3, &n);

            f->data = kv_xmalloc(n ? n : 1);
            if (n)
                memcpy(f->data, p, n);
            f->len = n;
        }
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_mbox_draft_load(struct kv_db *db, const struct kv_mbox_owner *owner, const char *id,
                       int with_data, struct kv_mbox_saved_draft *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t mb;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!id || strlen(id) != 36)
        return kv_err_set(err, KV_ENOTFOUND, "no such draft");
    rc = mailbox_id(db, owner, &mb, err);
    if (rc < 0)
        return rc == KV_ENOTFOUND ? kv_err_set(err, KV_ENOTFOUND, "no such draft") : rc;
    rc = kv_db_prepare(db,
                       "SELECT id, point_id, label, body, created_ms, updated_ms FROM "
                       "mailbox_drafts WHERE id = lower(?) AND mailbox_id = ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    kv_stmt_bind_int64(s, 2, mb);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv_str_copy(out->id, sizeof(out->id), kv_stmt_col_text(s, 0));
        kv_str_copy(out->point_id, sizeof(out->point_id), kv_stmt_col_text(s, 1));
        out->label = kv_xstrdup(kv_stmt_col_text(s, 2));
        out->text = kv_xstrdup(kv_stmt_col_text(s, 3));
        out->created_ms = kv_stmt_col_int64(s, 4);
        out->updated_ms = kv_stmt_col_int64(s, 5);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        return kv_err_set(err, KV_ENOTFOUND, "no such draft");
    rc = load_files(db, out->id, with_data, out, err);
    if (rc < 0)
        kv_mbox_saved_draft_release(out);
    return rc;
}

/* Runs sql (binding text a, then int64 b) inside the open transaction. */
static int exec2(struct kv_db *db, const char *sql, const char *a, int64_t b,
                 struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, a, -1);
    kv_stmt_bind_int64(s, 2, b);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Moves mailbox mb's draft count by delta (inside the transaction). */
static int count_add(struct kv_db *db, int64_t mb, int64_t delta, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "INSERT INTO mailbox_draft_counts (mailbox_id, drafts) VALUES (?, ?) "
                           "ON CONFLICT (mailbox_id) DO UPDATE SET drafts = "
                           "mailbox_draft_counts.drafts + excluded.drafts",
                           &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, mb);
    kv_stmt_bind_int64(s, 2, delta);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Appends the draft event tag for draft id of owner's mailbox inside the open transaction:
 * actor the one acting, subject the owner, properties {"draftId", "contactPointId",
 * "attachments", "created"} (point_id NULL: only draftId; created < 0: left out);
 * message_uuid the letter a sent draft became, or NULL. */
static int draft_event(struct kv_db *db, const struct kv_mbox_owner *owner, const char *tag,
                       const char *id, const char *point_id, long n_att, int created,
                       const char *message_uuid, struct kv_err *err)
{
    struct kv_event ev;
    char who[32], subj[32];
    json_t *props = json_pack("{s:s}", "draftId", id);
    char *text;
    int rc;

    if (props && point_id) {
        json_object_set_new(props, "contactPointId", json_string(point_id));
        json_object_set_new(props, "attachments", json_integer(n_att));
    }
    if (props && created >= 0)
        json_object_set_new(props, "created", json_boolean(created));
    text = props ? json_dumps(props, JSON_COMPACT) : NULL;
    json_decref(props);
    if (!text)
        return kv_err_set(err, KV_ENOMEM, "out of memory");
    kv_mbox_actor(owner, who, sizeof(who));
    kv_mbox_subject(owner, subj, sizeof(subj));
    memset(&ev, 0, sizeof(ev));
    ev.tag = tag;
    ev.message_uuid = message_uuid;
    ev.actor = who;
    ev.subject = subj;
    ev.props_json = text;
    ev.time_ms = kv_clock_now_ms();
    rc = kv_events_append(db, &ev, err);
    free(text);
    return rc;
}

/* The saving itself, inside the transaction. */
static int save_tx(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t mb,
                   const char *id, const char *point_id, const struct kv_mbox_draft *d,
                   char out_id[37], struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char actor[32];
    int64_t now = kv_clock_now_ms();
    size_t i;
    int rc;

    kv_mbox_actor(owner, actor, sizeof(actor));
    if (id && id[0]) {
        rc = kv_db_prepare(db,
                           "UPDATE mailbox_drafts SET point_id = ?, label = ?, body = ?, "
                           "saved_by = ?, updated_ms = ? WHERE id = lower(?) AND mailbox_id = ?",
                           &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_text(s, 1, point_id, -1);
        kv_stmt_bind_text(s, 2, d->label ? d->label : "", -1);
        kv_stmt_bind_text(s, 3, d->text ? d->text : "", (long)d->text_len);
        kv_stmt_bind_text(s, 4, actor, -1);
        kv_stmt_bind_int64(s, 5, now);
        kv_stmt_bind_text(s, 6, id, -1);
        kv_stmt_bind_int64(s, 7, mb);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        if (kv_db_changes(db) != 1)
            return kv_err_set(err, KV_ENOTFOUND, "no such draft");
        kv_str_copy(out_id, 37, id);
        for (i = 0; out_id[i]; i++)
            if (out_id[i] >= 'A' && out_id[i] <= 'F')
                out_id[i] = (char)(out_id[i] - 'A' + 'a');
        rc = exec2(db,
                   "DELETE FROM mailbox_draft_files WHERE draft_id = ? AND draft_id IN (SELECT "
                   "id FROM mailbox_drafts WHERE mailbox_id = ?)",
                   out_id, mb, err);
    } else {
        rc = kv_uuid_v4(out_id);
        if (rc < 0)
            return kv_err_set(err, rc, "cannot generate a draft id");
        rc = kv_db_prepare(db,
                           "INSERT INTO mailbox_drafts (id, mailbox_id, point_id, label, body, "
                           "saved_by, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_text(s, 1, out_id, -1);
        kv_stmt_bind_int64(s, 2, mb);
        kv_stmt_bind_text(s, 3, point_id, -1);
        kv_stmt_bind_text(s, 4, d->label ? d->label : "", -1);
        kv_stmt_bind_text(s, 5, d->text ? d->text : "", (long)d->text_len);
        kv_stmt_bind_text(s, 6, actor, -1);
        kv_stmt_bind_int64(s, 7, now);
        kv_stmt_bind_int64(s, 8, now);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        rc = count_add(db, mb, 1, err);
    }
    for (i = 0; rc == 0 && i < d->n_att; i++) {
        const struct kv_mbox_attachment *a = &d->att[i];

        rc = kv_db_prepare(db,
                           "INSERT INTO mailbox_draft_files (draft_id, n, filename, mime, data) "
                           "VALUES (?, ?, ?, ?, ?)",
                           &s, err);
        if (rc < 0)
            break;
        kv_stmt_bind_text(s, 1, out_id, -1);
        kv_stmt_bind_int64(s, 2, (int64_t)i + 1);
        kv_stmt_bind_text(s, 3, a->filename, -1);
        kv_stmt_bind_text(s, 4, a->mime ? a->mime : "application/octet-stream", -1);
        kv_stmt_bind_blob(s, 5, a->data ? (const void *)a->data : "", a->len);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        rc = rc < 0 ? rc : 0;
    }
    if (rc == 0)
        rc = draft_event(db, owner, "DRAFT_SAVED", out_id, point_id, (long)d->n_att,
                         !(id && id[0]), NULL, err);
    return rc;
}

int kv_mbox_draft_save(struct kv_db *db, const struct kv_mbox_owner *owner, const char *id,
                       const char *point_id, const struct kv_mbox_draft *d, char out_id[37],
                       struct kv_err *err)
{
    int64_t mb;
    int rc;

    out_id[0] = '\0';
    if (id && id[0] && strlen(id) != 36)
        return kv_err_set(err, KV_ENOTFOUND, "no such draft");
    rc = mailbox_id(db, owner, &mb, err);
    if (rc == KV_ENOTFOUND)
        return kv_err_set(err, KV_EPERM, "no mailbox to keep drafts in");
    if (rc < 0)
        return rc;
    /* Concurrent (docs/postgresql.md "Writes without the global lock"): an existing draft is
     * changed by an UPDATE naming it (the row lock orders two saves: the later one's content
     * and files win, whole); a new one has a random key; the count is one upsert. */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        return rc;
    rc = save_tx(db, owner, mb, id, point_id, d, out_id, err);
    rc = kv_db_end(db, rc, err);
    if (rc < 0)
        out_id[0] = '\0';
    return rc;
}

/* Locks draft id of mailbox mb (FOR UPDATE; SQLite: the write transaction is the lock).
 * 0 also when there is none (the DELETE then finds nothing). */
static int lock_draft(struct kv_db *db, const char *id, int64_t mb, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare_for_update(db,
                                      "SELECT id FROM mailbox_drafts WHERE id = ? AND "
                                      "mailbox_id = ?",
                                      &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    kv_stmt_bind_int64(s, 2, mb);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Deletes draft id of owner's mailbox and records tag (DRAFT_DELETED, or DRAFT_SENT with
 * the letter's message_uuid). */
static int draft_remove(struct kv_db *db, const struct kv_mbox_owner *owner, const char *id,
                        const char *tag, const char *message_uuid, struct kv_err *err)
{
    char lower[37];
    int64_t mb;
    size_t i;
    int rc;

    if (!id || strlen(id) != 36)
        return kv_err_set(err, KV_ENOTFOUND, "no such draft");
    for (i = 0; i < 37; i++)
        lower[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ? id[i] - 'A' + 'a' : id[i]);
    rc = mailbox_id(db, owner, &mb, err);
    if (rc < 0)
        return rc == KV_ENOTFOUND ? kv_err_set(err, KV_ENOTFOUND, "no such draft") : rc;
    /* Concurrent: the draft's row is locked first (as a save does), so a save and a delete
     * of one draft at once queue instead of deadlocking on its files; of two deletes the
     * second finds nothing (404) and moves no count. */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        return rc;
    rc = lock_draft(db, lower, mb, err);
    /* files first (the foreign key), only of this mailbox's draft */
    if (rc == 0)
        rc = exec2(db,
               "DELETE FROM mailbox_draft_files WHERE draft_id IN (SELECT id FROM "
               "mailbox_drafts WHERE id = ? AND mailbox_id = ?)",
               lower, mb, err);
    if (rc == 0)
        rc = exec2(db, "DELETE FROM mailbox_drafts WHERE id = ? AND mailbox_id = ?", lower, mb,
                   err);
    if (rc == 0 && kv_db_changes(db) != 1)
        rc = kv_err_set(err, KV_ENOTFOUND, "no such draft");
    if (rc == 0)
        rc = count_add(db, mb, -1, err);
    if (rc == 0)
        rc = draft_event(db, owner, tag, lower, NULL, 0, -1, message_uuid, err);
    return kv_db_end(db, rc, err);
}

int kv_mbox_draft_delete(struct kv_db *db, const struct kv_mbox_owner *owner, const char *id,
                         struct kv_err *err)
{
    return draft_remove(db, owner, id, "DRAFT_DELETED", NULL, err);
}

int kv_mbox_draft_sent(struct kv_db *db, const struct kv_mbox_owner *owner, const char *id,
                       const char *message_uuid, struct kv_err *err)
{
    return draft_remove(db, owner, id, "DRAFT_SENT", message_uuid, err);
}

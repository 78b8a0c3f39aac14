/* SPDX-License-Identifier: MIT
 *
 * mailbox_tree.c: a mailbox's own, nested folders (see mailbox_tree.h). The tree is read in
 * one query (folders joined to their mailbox_counts rows) and ordered here; every write checks
 * its rules against that snapshot inside its own transaction and appends its FOLDER_* event
 * there.
 */
#include "hub/mailbox_tree.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hub/directory.h"
#include "hub/events.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/str.h"
#include "util/xmalloc.h"

void kv_mbox_folder_key(int64_t id, char out[24])
{
    snprintf(out, 24, "f%" PRId64, id);
}

int kv_mbox_folder_parse(const char *key, int64_t *out_id)
{
    int64_t v = 0;
    const char *p;

    if (!key || key[0] != 'f' || !key[1] || key[1] == '0' || strlen(key) > 19)
        return KV_EINVAL;
    for (p = key + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return KV_EINVAL;
        v = v * 10 + (*p - '0');
    }
    *out_id = v;
    return 0;
}

/* The owner's mailbox row id; KV_ENOTFOUND when there is none. */
static int mailbox_id(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t *out,
                      struct kv_err *err)
{
    struct kv_mailbox mb;
    int rc = kv_mailbox_find(db, owner->type, owner->id, &mb, err);

    if (rc == 0)
        *out = mb.id;
    return rc;
}

/* All folders of mailbox mid, unordered, with counts; *n_out entries. */
static int load_all(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t mid,
                    struct kv_mbox_folder **out, size_t *n_out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_mbox_folder *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    *n_out = 0;
    rc = kv_db_prepare(db,
                       owner && owner->narrowed
                           /* a narrowed view counts its contact points' letters only */
                           ? "SELECT f.id, f.parent_id, f.name, COALESCE(c.total, 0), "
                             "COALESCE(c.unread, 0) FROM mailbox_folders f "
                             "LEFT JOIN (SELECT folder, SUM(total) AS total, SUM(unread) AS "
                             "unread FROM mailbox_point_counts WHERE mailbox_id = ? AND "
                             "contact_point_id IN " KV_MBOX_POINTS_IN " GROUP BY folder) c "
                             "ON c.folder = 'f' || f.id WHERE f.mailbox_id = ? "
                             "ORDER BY f.name, f.id"
                           /* the slots of a folder's key summed (migration 056) */
                           : "SELECT f.id, f.parent_id, f.name, COALESCE(c.total, 0), "
                             "COALESCE(c.unread, 0) FROM mailbox_folders f "
                             "LEFT JOIN (SELECT folder, SUM(total) AS total, SUM(unread) AS "
                             "unread FROM mailbox_counts WHERE mailbox_id = ?1 GROUP BY folder) c "
                             "ON c.folder = 'f' || f.id WHERE f.mailbox_id = ?1 "
                             "ORDER BY f.name, f.id",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, mid);
    if (owner && owner->narrowed)
        kv_stmt_bind_int64(s, kv_mbox_bind_points(s, 2, owner), mid);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            v = kv_xrealloc(v, cap * sizeof(*v));
        }
        memset(&v[n], 0, sizeof(v[n]));
        v[n].id = kv_stmt_col_int64(s, 0);
        v[n].parent_id = kv_stmt_col_int64(s, 1);
        kv_str_copy(v[n].name, sizeof(v[n].name), kv_stmt_col_text(s, 2));
        v[n].total = kv_stmt_col_int64(s, 3);
        v[n].unread = kv_stmt_col_int64(s, 4);
        n++;
    }
    kv_stmt_done(s);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* Appends the children of parent (at depth) from in[] to out[] depth-first; in[] is sorted by
 * name. A folder whose parent is missing is shown at the top (never happens: parents are
 * deleted only when empty). */
static void order(const struct kv_mbox_folder *in, size_t n, int64_t parent, int depth,
                  struct kv_mbox_folder *out, size_t *k, char *used)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (used[i] || in[i].parent_id != parent)
            continue;
        used[i] = 1;
        out[*k] = in[i];
        out[*k].depth = depth;
        (*k)++;
        order(in, n, in[i].id, depth + 1, out, k, used);
    }
}

static int tree(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t mid,
                struct kv_mbox_folder **out, size_t *n_out, struct kv_err *err)
{
    struct kv_mbox_folder *all = NULL, *v;
    size_t n = 0, k = 0, i;
    char *used;
    int rc = load_all(db, owner, mid, &all, &n, err);

    *out = NULL;
    *n_out = 0;
    if (rc < 0 || n == 0)
        return rc;
    v = kv_xcalloc(n, sizeof(*v));
    used = kv_xcalloc(n, 1);
    order(all, n, 0, 1, v, &k, used);
    for (i = 0; i < n; i++) /* orphans (defensive) */
        if (!used[i]) {
            v[k] = all[i];
            v[k].depth = 1;
            k++;
            order(all, n, all[i].id, 2, v, &k, used);
        }
    free(used);
    free(all);
    *out = v;
    *n_out = k;
    return 0;
}

int kv_mbox_folders(struct kv_db *db, const struct kv_mbox_owner *owner,
                    struct kv_mbox_folder **out, size_t *n_out, struct kv_err *err)
{
    int64_t mid;
    int rc = mailbox_id(db, owner, &mid, err);

    *out = NULL;
    *n_out = 0;
    if (rc == KV_ENOTFOUND)
        return 0;
    return rc < 0 ? rc : tree(db, owner, mid, out, n_out, err);
}

static const struct kv_mbox_folder *find(const struct kv_mbox_folder *v, size_t n, int64_t id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i].id == id)
            return &v[i];
    return NULL;
}

int kv_mbox_folder_get(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t id,
                       struct kv_mbox_folder *out, struct kv_err *err)
{
    struct kv_mbox_folder *v = NULL;
    const struct kv_mbox_folder *f;
    size_t n = 0;
    int rc = kv_mbox_folders(db, owner, &v, &n, err);

    if (rc < 0)
        return rc;
    f = find(v, n, id);
    if (f && out)
        *out = *f;
    free(v);
    return f ? 0 : kv_err_set(err, KV_ENOTFOUND, "no such folder");
}

static int name_ok(const char *name, struct kv_err *err)
{
    size_t n = name ? strlen(name) : 0;
    const unsigned char *p;
    json_t *probe;

    if (n == 0 || n > KV_MBOX_FOLDER_NAME_MAX)
        return kv_err_set(err, KV_EINVAL, "a folder name has 1 to %d characters",
                          KV_MBOX_FOLDER_NAME_MAX);
    for (p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return kv_err_set(err, KV_EINVAL, "a folder name has no control characters");
    probe = json_string(name); /* NULL when not valid UTF-8 */
    if (!probe)
        return kv_err_set(err, KV_EINVAL, "a folder name must be UTF-8");
    json_decref(probe);
    if (name[0] == ' ' || name[n - 1] == ' ')
        return kv_err_set(err, KV_EINVAL, "a folder name does not start or end with a space");
    return 0;
}

/* Levels of the subtree under id, id itself counted (1 for a leaf). */
static int height(const struct kv_mbox_folder *v, size_t n, int64_t id)
{
    size_t i;
    int h = 0, c;

    for (i = 0; i < n; i++)
        if (v[i].parent_id == id && (c = height(v, n, v[i].id)) > h)
            h = c;
    return h + 1;
}

static int event(struct kv_db *db, const struct kv_mbox_owner *owner, const char *tag,
                 int64_t id, const char *name, int64_t parent, struct kv_err *err)
{
    struct kv_event ev;
    char who[16], subj[16], *props;
    json_t *o = json_pack("{s:I,s:s,s:I}", "folderId", (json_int_t)id, "name", name,
                          "parentId", (json_int_t)parent);
    int rc;

    kv_mbox_actor(owner, who, sizeof(who));
    kv_mbox_subject(owner, subj, sizeof(subj));
    props = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    memset(&ev, 0, sizeof(ev));
    ev.tag = tag;
    ev.actor = who;
    ev.subject = subj;
    ev.props_json = props;
    ev.time_ms = kv_clock_now_ms();
    rc = kv_events_append(db, &ev, err);
    free(props);
    return rc;
}

/* In a transaction: the mailbox id and its tree. */
static int begin(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t *mid,
                 struct kv_mbox_folder **v, size_t *n, struct kv_err *err)
{
    int rc = kv_db_begin(db, err);

    if (rc < 0)
        return rc;
    rc = mailbox_id(db, owner, mid, err);
    if (rc == 0)
        rc = tree(db, NULL, *mid, v, n, err); /* the rules see every letter */
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

static int finish(struct kv_db *db, int rc, struct kv_mbox_folder *v, struct kv_err *err)
{
    free(v);
    if (rc < 0) {
        kv_db_rollback(db);
        return rc;
    }
    return kv_db_commit(db, err);
}

static int sibling_clash(const struct kv_mbox_folder *v, size_t n, int64_t parent,
                         const char *name, int64_t self, struct kv_err *err)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i].parent_id == parent && v[i].id != self && strcmp(v[i].name, name) == 0)
            return kv_err_set(err, KV_ECONFLICT, "there is already a folder named \"%s\" here",
                              name);
    return 0;
}

int kv_mbox_folder_create(struct kv_db *db, const struct kv_mbox_owner *owner,
                          int64_t parent_id, const char *name, int64_t *out_id,
                          struct kv_err *err)
{
    struct kv_mbox_folder *v = NULL;
    const struct kv_mbox_folder *p = NULL;
    struct kv_stmt *s = NULL;
    size_t n = 0;
    int64_t mid = 0, id = 0;
    int rc;

    if ((rc = name_ok(name, err)) < 0)
        return rc;
    if ((rc = begin(db, owner, &mid, &v, &n, err)) < 0)
        return rc;
    if (parent_id && !(p = find(v, n, parent_id))) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no such folder");
        goto out;
    }
    if (n >= KV_MBOX_FOLDERS_MAX) {
        rc = kv_err_set(err, KV_ECONFLICT, "a mailbox has at most %d folders of its own",
                        KV_MBOX_FOLDERS_MAX);
        goto out;
    }
    if (p && p->depth >= KV_MBOX_FOLDER_DEPTH_MAX) {
        rc = kv_err_set(err, KV_ECONFLICT, "folders nest at most %d levels deep",
                        KV_MBOX_FOLDER_DEPTH_MAX);
        goto out;
    }
    if ((rc = sibling_clash(v, n, parent_id, name, 0, err)) < 0)
        goto out;
    rc = kv_db_prepare(db,
                       "INSERT INTO mailbox_folders (mailbox_id, parent_id, name, created_ms) "
                       "VALUES (?, ?, ?, ?) RETURNING id",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, mid);
    kv_stmt_bind_int64(s, 2, parent_id);
    kv_stmt_bind_text(s, 3, name, -1);
    kv_stmt_bind_int64(s, 4, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc == KV_ECONFLICT)
        rc = kv_err_set(err, KV_ECONFLICT, "there is already a folder named \"%s\" here", name);
    if (rc < 0)
        goto out;
    rc = event(db, owner, "FOLDER_CREATED", id, name, parent_id, err);
    if (rc == 0 && out_id)
        *out_id = id;
out:
    return finish(db, rc, v, err);
}

int kv_mbox_folder_update(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t id,
                          const char *name, int64_t parent_id, struct kv_err *err)
{
    struct kv_mbox_folder *v = NULL;
    const struct kv_mbox_folder *f, *p = NULL, *a;
    struct kv_stmt *s = NULL;
    size_t n = 0;
    int64_t mid = 0;
    int rc;

    if ((rc = name_ok(name, err)) < 0)
        return rc;
    if ((rc = begin(db, owner, &mid, &v, &n, err)) < 0)
        return rc;
    if (!(f = find(v, n, id)) || (parent_id && !(p = find(v, n, parent_id)))) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no such folder");
        goto out;
    }
    for (a = p; a; a = a->parent_id ? find(v, n, a->parent_id) : NULL)
        if (a->id == id) {
            rc = kv_err_set(err, KV_EINVAL, "a folder cannot be put inside itself");
            goto out;
        }
    if ((p ? p->depth : 0) + height(v, n, id) > KV_MBOX_FOLDER_DEPTH_MAX) {
        rc = kv_err_set(err, KV_ECONFLICT, "folders nest at most %d levels deep",
                        KV_MBOX_FOLDER_DEPTH_MAX);
        goto out;
    }
    if ((rc = sibling_clash(v, n, parent_id, name, id, err)) < 0)
        goto out;
    if (f->parent_id == parent_id && strcmp(f->name, name) == 0)
        goto out; /* nothing changes, nothing recorded */
    rc = kv_db_prepare(db, "UPDATE mailbox_folders SET name = ?, parent_id = ? WHERE id = ?", &s,
                       err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, name, -1);
    kv_stmt_bind_int64(s, 2, parent_id);
    kv_stmt_bind_int64(s, 3, id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc == KV_ECONFLICT)
        rc = kv_err_set(err, KV_ECONFLICT, "there is already a folder named \"%s\" here", name);
    if (rc < 0)
        goto out;
    if (f->parent_id != parent_id)
        rc = event(db, owner, "FOLDER_MOVED", id, name, parent_id, err);
    if (rc >= 0 && strcmp(f->name, name) != 0)
        rc = event(db, owner, "FOLDER_UPDATED", id, name, parent_id, err);
out:
    return finish(db, rc, v, err);
}

int kv_mbox_folder_delete(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t id,
                          struct kv_err *err)
{
    struct kv_mbox_folder *v = NULL;
    const struct kv_mbox_folder *f;
    struct kv_stmt *s = NULL;
    char name[KV_MBOX_FOLDER_NAME_MAX + 1];
    size_t n = 0, i;
    int64_t mid = 0, parent;
    int rc;

    if ((rc = begin(db, owner, &mid, &v, &n, err)) < 0)
        return rc;
    if (!(f = find(v, n, id))) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no such folder");
        goto out;
    }
    for (i = 0; i < n; i++)
        if (v[i].parent_id == id) {
            rc = kv_err_set(err, KV_ECONFLICT, "the folder has folders in it; delete or move "
                                               "them first");
            goto out;
        }
    if (f->total > 0) {
        rc = kv_err_set(err, KV_ECONFLICT, "the folder has letters in it; move them first");
        goto out;
    }
    kv_str_copy(name, sizeof(name), f->name);
    parent = f->parent_id;
    rc = kv_db_prepare(db, "DELETE FROM mailbox_folders WHERE id = ? AND mailbox_id = ?", &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, id);
    kv_stmt_bind_int64(s, 2, mid);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    rc = event(db, owner, "FOLDER_DELETED", id, name, parent, err);
out:
    return finish(db, rc, v, err);
}

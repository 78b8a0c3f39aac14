/* SPDX-License-Identifier: MIT
 *
 * mailbox_scope.c: which letters of an organisation's mailbox an employee may see (see
 * rights.h kv_rights_mailbox_scope): their active MESSAGE_BASIC privileges in the organisation
 * -- direct or through a user group, the same rows kv_rights_load reads --; one without a
 * narrowing opens the whole mailbox, otherwise the union of the contact points named and of
 * the points in the contact groups named and their sub-groups.
 */
#include "identity/rights.h"

#include <string.h>

#include "store/store.h"
#include "util/str.h"

static const char SQL_NARROW[] =
    "SELECT p.narrow_type, p.narrow_id FROM privileges p WHERE p.scope_type = 'CVR'"
    " AND p.scope_id = ? AND p.type = 'MESSAGE_BASIC'"
    " AND p.status = 'ACTIVE' AND (p.active_to_ms IS NULL OR p.active_to_ms > ?)"
    " AND (p.parent_id IS NULL OR EXISTS (SELECT 1 FROM privileges q WHERE q.id = p.parent_id"
    "  AND q.status = 'ACTIVE' AND (q.active_to_ms IS NULL OR q.active_to_ms > ?)))"
    " AND (p.grantee_employee_id IN (SELECT e.id FROM employees e WHERE e.person_id = ?"
    "  AND e.status = 'ACTIVE')"
    "  OR p.grantee_group_id IN (SELECT m.group_id FROM user_group_members m JOIN employees e"
    "  ON e.id = m.employee_id WHERE e.person_id = ? AND e.status = 'ACTIVE'))";

static void add_point(struct kv_mailbox_scope *out, const char *id)
{
    size_t i;

    if (!id || !*id)
        return;
    for (i = 0; i < out->n; i++)
        if (strcmp(out->points[i], id) == 0)
            return;
    if (out->n < KV_SCOPE_POINTS_MAX) /* more: the rest stay hidden (the safe side) */
        kv_str_copy(out->points[out->n++], sizeof(out->points[0]), id);
}

/* The points of group gid and of its sub-groups, at most depth levels down. */
static int add_group(struct kv_db *db, const char *cvr, const char *gid, int depth,
                     struct kv_mailbox_scope *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char sub[16][64];
    int rc, n = 0, i;

    rc = kv_db_prepare(db, "SELECT point_id FROM contact_point_groups WHERE group_id = ?", &s,
                       err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, gid, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        add_point(out, kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0 || depth <= 0)
        return rc < 0 ? rc : 0;
    rc = kv_db_prepare(db, "SELECT id FROM contact_groups WHERE parent_id = ? AND org_cvr = ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, gid, -1);
    kv_stmt_bind_text(s, 2, cvr, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        if (n < 16)
            kv_str_copy(sub[n++], sizeof(sub[0]), kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++)
        if ((rc = add_group(db, cvr, sub[i], depth - 1, out, err)) < 0)
            return rc;
    return 0;
}

int kv_rights_mailbox_scope(struct kv_db *db, int64_t person_id, const char *cvr,
                            int64_t now_ms, struct kv_mailbox_scope *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char groups[KV_SCOPE_POINTS_MAX][64];
    int rc, n_groups = 0, whole = 0, any = 0, i;

    memset(out, 0, sizeof(*out));
    rc = kv_db_prepare(db, SQL_NARROW, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, cvr, -1);
    kv_stmt_bind_int64(s, 2, now_ms);
    kv_stmt_bind_int64(s, 3, now_ms);
    kv_stmt_bind_int64(s, 4, person_id);
    kv_stmt_bind_int64(s, 5, person_id);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *type = kv_stmt_col_text(s, 0), *id = kv_stmt_col_text(s, 1);

        any = 1;
        if (!type || !*type || !id || !*id)
            whole = 1;
        else if (strcmp(type, "CONTACT_POINT") == 0)
            add_point(out, id);
        else if (n_groups < KV_SCOPE_POINTS_MAX)
            kv_str_copy(groups[n_groups++], sizeof(groups[0]), id);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (whole || !any) /* no MESSAGE_BASIC at all: the rule table refuses before this */
        return 0;
    out->narrowed = 1;
    for (i = 0; i < n_groups; i++)
        if ((rc = add_group(db, cvr, groups[i], 8, out, err)) < 0)
            return rc;
    return 0;
}

/* SPDX-License-Identifier: MIT
 *
 * grant.c: granting, revoking and ending privileges, and reading what a person holds (see
 * rights.h). Each change takes the scope's org_rights lock first, counts the organisation's
 * rettighedsadministratorer without end date, makes the change, and counts again: when there
 * was one before and none after, the whole transaction is rolled back with a message that
 * says why (kv__rights_check_admins). That is how "an organisation always keeps a
 * rettighedsadministrator" holds also when two administrators revoke each other at once: the
 * second transaction starts after the first committed and sees its effect.
 */
#include "identity/rights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/directory.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "store/store.h"
#include "util/clock.h"

#define ADMIN "ORGANISATION_USER_ADMINISTRATOR"

static const char SQL_INSERT[] =
    "INSERT INTO privileges (type, scope_type, scope_id, narrow_type, narrow_id, grantee_type,"
    " grantee_employee_id, grantee_group_id, grantee_cvr, grantee_person_id, source, parent_id,"
    " issuer, status, active_to_ms, notify_at_ms, created_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?, ?) RETURNING id";
static const char SQL_GET[] = "SELECT " KV__PRIV_COLS " FROM privileges p WHERE p.id = ?";
static const char SQL_DUP[] =
    "SELECT COUNT(*) FROM privileges WHERE type = ? AND scope_type = ? AND scope_id = ?"
    " AND COALESCE(narrow_type, '') = ? AND COALESCE(narrow_id, '') = ? AND status = 'ACTIVE'"
    " AND COALESCE(grantee_employee_id, 0) = ? AND COALESCE(grantee_group_id, 0) = ?"
    " AND COALESCE(grantee_cvr, '') = ? AND COALESCE(grantee_person_id, 0) = ?"
    " AND (active_to_ms IS NULL OR active_to_ms > ?)";
static const char SQL_FIND_DIRECT[] =
    "SELECT " KV__PRIV_COLS " FROM privileges p WHERE p.grantee_employee_id = ?"
    " AND p.scope_type = 'CVR' AND p.scope_id = ? AND p.type = ? AND p.status = 'ACTIVE'"
    " AND p.narrow_type IS NULL ORDER BY p.id LIMIT 1";
static const char SQL_END[] =
    "UPDATE privileges SET status = ?, ended_ms = ?, ended_by = ? WHERE id = ? AND status = 'ACTIVE'";
static const char SQL_END_CHILDREN[] =
    "UPDATE privileges SET status = ?, ended_ms = ?, ended_by = ? WHERE parent_id = ?"
    " AND status = 'ACTIVE'";
static const char SQL_SET_END[] =
    "UPDATE privileges SET active_to_ms = ?, notify_at_ms = ?, notified_ms = NULL WHERE id = ?";
static const char SQL_ADMINS[] =
    "SELECT COUNT(DISTINCT e.person_id) FROM privileges p"
    " JOIN employees e ON (e.id = p.grantee_employee_id OR e.id IN"
    "  (SELECT m.employee_id FROM user_group_members m WHERE m.group_id = p.grantee_group_id))"
    " JOIN persons s ON s.id = e.person_id"
    " WHERE p.type = '" ADMIN "' AND p.scope_type = 'CVR' AND p.scope_id = ?"
    " AND p.status = 'ACTIVE' AND p.active_to_ms IS NULL AND e.status = 'ACTIVE'"
    " AND s.status = 'ACTIVE' AND e.org_cvr = p.scope_id";
static const char SQL_LOAD[] =
    "SELECT DISTINCT p.type FROM privileges p WHERE p.scope_type = 'CVR' AND p.scope_id = ?"
    " AND p.status = 'ACTIVE' AND (p.active_to_ms IS NULL OR p.active_to_ms > ?)"
    " AND (p.parent_id IS NULL OR EXISTS (SELECT 1 FROM privileges q WHERE q.id = p.parent_id"
    "  AND q.status = 'ACTIVE' AND (q.active_to_ms IS NULL OR q.active_to_ms > ?)))"
    " AND (p.grantee_employee_id IN (SELECT e.id FROM employees e WHERE e.person_id = ?"
    "  AND e.status = 'ACTIVE')"
    "  OR p.grantee_group_id IN (SELECT m.group_id FROM user_group_members m JOIN employees e"
    "  ON e.id = m.employee_id WHERE e.person_id = ? AND e.status = 'ACTIVE'))";
static const char SQL_MBX[] =
    "SELECT MAX(CASE WHEN type = 'MAILBOX_READ_WRITE' THEN 2 ELSE 1 END) FROM privileges"
    " WHERE grantee_person_id = ? AND scope_type = ? AND scope_id = ? AND status = 'ACTIVE'"
    " AND type IN ('MAILBOX_READ', 'MAILBOX_READ_WRITE')"
    " AND (active_to_ms IS NULL OR active_to_ms > ?)";
static const char SQL_GROUP_ORG[] = "SELECT org_cvr FROM user_groups WHERE id = ?";
static const char SQL_CG_ORG[] = "SELECT org_cvr FROM contact_groups WHERE id = ?";
static const char SQL_CP_ORG[] = "SELECT org_cvr FROM contact_points WHERE id = ?";

void kv__priv_read(struct kv_stmt *s, int c, struct kv_privilege *out)
{
    const struct kv_priv_info *info;

    memset(out, 0, sizeof(*out));
    out->id = kv_stmt_col_int64(s, c + 0);
    info = kv_priv_find(kv_stmt_col_text(s, c + 1));
    out->type = info ? info->type : KV_PRIV__COUNT;
    kv__id_copy(out->scope_type, sizeof(out->scope_type), kv_stmt_col_text(s, c + 2));
    kv__id_copy(out->scope_id, sizeof(out->scope_id), kv_stmt_col_text(s, c + 3));
    kv__id_copy(out->narrow_type, sizeof(out->narrow_type), kv_stmt_col_text(s, c + 4));
    kv__id_copy(out->narrow_id, sizeof(out->narrow_id), kv_stmt_col_text(s, c + 5));
    kv__id_copy(out->grantee_type, sizeof(out->grantee_type), kv_stmt_col_text(s, c + 6));
    out->grantee_employee_id = kv_stmt_col_int64(s, c + 7);
    out->grantee_group_id = kv_stmt_col_int64(s, c + 8);
    kv__id_copy(out->grantee_cvr, sizeof(out->grantee_cvr), kv_stmt_col_text(s, c + 9));
    out->grantee_person_id = kv_stmt_col_int64(s, c + 10);
    kv__id_copy(out->source, sizeof(out->source), kv_stmt_col_text(s, c + 11));
    out->parent_id = kv_stmt_col_int64(s, c + 12);
    kv__id_copy(out->issuer, sizeof(out->issuer), kv_stmt_col_text(s, c + 13));
    kv__id_copy(out->status, sizeof(out->status), kv_stmt_col_text(s, c + 14));
    out->active_to_ms = kv_stmt_col_int64(s, c + 15);
    out->created_ms = kv_stmt_col_int64(s, c + 16);
}

int kv_rights_get(struct kv_db *db, int64_t id, struct kv_privilege *out, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_GET, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv__priv_read(s, 0, out);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no privilege %lld", (long long)id);
    }
    kv_stmt_done(s);
    return rc;
}

int kv_rights_find_direct(struct kv_db *db, int64_t employee_id, const char *scope_cvr,
                          const char *code, struct kv_privilege *out, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_FIND_DIRECT, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, employee_id);
    kv_stmt_bind_text(s, 2, scope_cvr, -1);
    kv_stmt_bind_text(s, 3, code, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv__priv_read(s, 0, out);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "the employee does not hold %s in %s", code,
                        scope_cvr);
    }
    kv_stmt_done(s);
    return rc;
}

int kv_rights_count_admins(struct kv_db *db, const char *cvr, int64_t *out, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_ADMINS, &s, err);

    *out = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, cvr, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        *out = kv_stmt_col_int64(s, 0);
        rc = 0;
    }
    kv_stmt_done(s);
    return rc;
}

int kv__rights_check_admins(struct kv_db *db, const char *cvr, int64_t before, const char *what,
                            struct kv_err *err)
{
    int64_t after = 0;
    int rc;

    if (before <= 0)
        return 0;
    rc = kv_rights_count_admins(db, cvr, &after, err);
    if (rc < 0)
        return rc;
    if (after == 0)
        return kv_err_set(err, KV_ECONFLICT,
                          "refused: %s would leave organisation %s without a"
                          " rettighedsadministrator; grant the right to someone else first",
                          what, cvr);
    return 0;
}

/* Reads one text column of a one-row query by text or integer key into out; KV_ENOTFOUND. */
static int lookup_text(struct kv_db *db, const char *sql, const char *key, int64_t ikey,
                       char *out, size_t n, const char *what, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    if (key)
        kv_stmt_bind_text(s, 1, key, -1);
    else
        kv_stmt_bind_int64(s, 1, ikey);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv__id_copy(out, n, kv_stmt_col_text(s, 0));
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no such %s", what);
    }
    kv_stmt_done(s);
    return rc;
}

static int grantee_count(const struct kv_grant *g)
{
    return (g->employee_id > 0) + (g->group_id > 0) + (g->partner_cvr && *g->partner_cvr) +
           (g->person_id > 0);
}

/* Checks an organisation-scoped grant; fills out_grantee_type and out_source. */
static int check_org_grant(struct kv_db *db, const struct kv_grant *g,
                           const struct kv_priv_info *info, const char **gtype,
                           const char **source, int64_t *max_end, struct kv_err *err)
{
    struct kv_employee e;
    struct kv_privilege parent;
    char org[16];
    int rc;

    if (!g->scope_cvr || !kv_cvr_valid(g->scope_cvr))
        return kv_err_set(err, KV_EINVAL, "the scope is an organisation's CVR (8 digits)");
    rc = kv__id_org_kind(db, g->scope_cvr, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return kv_err_set(err, KV_ENOTFOUND, "no organisation with CVR %s", g->scope_cvr);
    if (g->person_id > 0)
        return kv_err_set(err, KV_EINVAL, "%s is granted to an employee, a group or a partner",
                          info->code);
    if (g->narrow_type && *g->narrow_type) {
        const char *sql;

        if (!(info->flags & KV_PRIV_F_NARROW))
            return kv_err_set(err, KV_EINVAL, "only MESSAGE_* rights can be narrowed");
        if (strcmp(g->narrow_type, "CONTACT_GROUP") == 0)
            sql = SQL_CG_ORG;
        else if (strcmp(g->narrow_type, "CONTACT_POINT") == 0)
            sql = SQL_CP_ORG;
        else
            return kv_err_set(err, KV_EINVAL, "narrow to CONTACT_GROUP or CONTACT_POINT");
        if (!g->narrow_id || !*g->narrow_id || strlen(g->narrow_id) > 63)
            return kv_err_set(err, KV_EINVAL, "the contact group or point id is missing");
        rc = lookup_text(db, sql, g->narrow_id, 0, org, sizeof(org), "contact group or point",
                         err);
        if (rc < 0)
            return rc;
        if (strcmp(org, g->scope_cvr) != 0)
            return kv_err_set(err, KV_EINVAL, "the contact group or point belongs to another"
                                              " organisation");
    }
    *source = "DIRECT";
    if (g->employee_id > 0) {
        *gtype = "EMPLOYEE";
        rc = kv_employee_get(db, g->employee_id, &e, err);
        if (rc < 0)
            return rc;
        if (strcmp(e.status, "ACTIVE") != 0)
            return kv_err_set(err, KV_ECONFLICT, "the employee is deactivated");
        if (g->parent_id > 0) { /* a partner hands its appointed right on to its employee */
            rc = kv_rights_get(db, g->parent_id, &parent, err);
            if (rc < 0)
                return rc;
            if (strcmp(parent.grantee_type, "ORGANISATION") != 0 ||
                strcmp(parent.status, "ACTIVE") != 0 || parent.type != info->type ||
                strcmp(parent.scope_id, g->scope_cvr) != 0 ||
                strcmp(parent.grantee_cvr, e.org_cvr) != 0)
                return kv_err_set(err, KV_EINVAL, "the right can only be handed on to an"
                                                  " employee of the partner it was given to");
            *source = "APPOINTED";
            *max_end = parent.active_to_ms;
        } else if (strcmp(e.org_cvr, g->scope_cvr) != 0) {
            return kv_err_set(err, KV_EINVAL, "the employee works for %s, not %s", e.org_cvr,
                              g->scope_cvr);
        }
    } else if (g->group_id > 0) {
        *gtype = "GROUP";
        rc = lookup_text(db, SQL_GROUP_ORG, NULL, g->group_id, org, sizeof(org), "user group",
                         err);
        if (rc < 0)
            return rc;
        if (strcmp(org, g->scope_cvr) != 0)
            return kv_err_set(err, KV_EINVAL, "the user group belongs to another organisation");
    } else {
        *gtype = "ORGANISATION";
        *source = "APPOINTED";
        if (!(info->flags & KV_PRIV_F_PARTNER))
            return kv_err_set(err, KV_EINVAL, "%s cannot be given to an external partner",
                              info->code);
        if (!kv_cvr_valid(g->partner_cvr))
            return kv_err_set(err, KV_EINVAL, "a partner's CVR number is 8 digits");
        if (strcmp(g->partner_cvr, g->scope_cvr) == 0)
            return kv_err_set(err, KV_EINVAL, "a partner is another organisation");
        rc = kv__id_org_kind(db, g->partner_cvr, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return kv_err_set(err, KV_ENOTFOUND, "no organisation or company with CVR %s",
                              g->partner_cvr);
    }
    return 0;
}

/* Checks a mailbox-access grant (scope a mailbox owner, grantee a person). */
static int check_mailbox_grant(struct kv_db *db, const struct kv_grant *g, const char **gtype,
                               const char **source, struct kv_err *err)
{
    struct kv_mailbox mb;
    struct kv_person p;
    int rc;

    if (!g->scope_type || !g->scope_id)
        return kv_err_set(err, KV_EINVAL, "mailbox access names the mailbox owner");
    if (g->person_id <= 0 || grantee_count(g) != 1)
        return kv_err_set(err, KV_EINVAL, "mailbox access is granted to a person");
    if (g->narrow_type && *g->narrow_type)
        return kv_err_set(err, KV_EINVAL, "mailbox access cannot be narrowed");
    rc = kv_mailbox_find(db, g->scope_type, g->scope_id, &mb, err);
    if (rc < 0)
        return rc;
    rc = kv_person_get(db, g->person_id, &p, err);
    if (rc < 0)
        return rc;
    if (strcmp(p.status, "ACTIVE") != 0)
        return kv_err_set(err, KV_ECONFLICT, "the person is deactivated");
    if (strcmp(g->scope_type, "CPR") == 0 && strcmp(p.cpr, g->scope_id) == 0)
        return kv_err_set(err, KV_EINVAL, "a person already has access to their own mailbox");
    *gtype = "PERSON";
    *source = g->source ? g->source : "REQUEST";
    return 0;
}

static int dup_exists(struct kv_db *db, const char *type, const char *stype, const char *sid,
                      const struct kv_grant *g, int64_t now, struct kv_err *err)
{
    struct kv_stmt *s;
    int64_t n = 0;
    int rc = kv_db_prepare(db, SQL_DUP, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, type, -1);
    kv_stmt_bind_text(s, 2, stype, -1);
    kv_stmt_bind_text(s, 3, sid, -1);
    kv_stmt_bind_text(s, 4, g->narrow_type ? g->narrow_type : "", -1);
    kv_stmt_bind_text(s, 5, g->narrow_id && g->narrow_type ? g->narrow_id : "", -1);
    kv_stmt_bind_int64(s, 6, g->employee_id > 0 ? g->employee_id : 0);
    kv_stmt_bind_int64(s, 7, g->group_id > 0 ? g->group_id : 0);
    kv_stmt_bind_text(s, 8, g->partner_cvr ? g->partner_cvr : "", -1);
    kv_stmt_bind_int64(s, 9, g->person_id > 0 ? g->person_id : 0);
    kv_stmt_bind_int64(s, 10, now);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return n > 0 ? 1 : 0;
}

static void subject_of(const char *stype, const char *sid, char *out, size_t n)
{
    snprintf(out, n, "%s:%s", strcmp(stype, "CPR") == 0 ? "cpr" : "cvr", sid);
}

static int grant_in_txn(struct kv_db *db, const struct kv_grant *g, int64_t *out_id,
                        struct kv_err *err)
{
    const struct kv_priv_info *info = kv_priv_find(g->type);
    const char *gtype = NULL, *source = NULL, *stype, *sid;
    struct kv_privilege p;
    struct kv_stmt *s;
    int64_t now = kv_clock_now_ms(), admins = 0, max_end = 0, id = 0;
    char subject[24];
    int rc;

    if (!info)
        return kv_err_set(err, KV_EINVAL, "unknown right \"%.64s\" (see docs/rights.md)",
                          g->type ? g->type : "");
    if (grantee_count(g) != 1)
        return kv_err_set(err, KV_EINVAL, "name exactly one grantee");
    if (g->active_to_ms != 0 && g->active_to_ms <= now)
        return kv_err_set(err, KV_EINVAL, "the end date has passed");
    if (info->flags & KV_PRIV_F_MAILBOX) {
        stype = g->scope_type;
        sid = g->scope_id;
        rc = check_mailbox_grant(db, g, &gtype, &source, err);
    } else {
        stype = "CVR";
        sid = g->scope_cvr;
        rc = check_org_grant(db, g, info, &gtype, &source, &max_end, err);
    }
    if (rc < 0)
        return rc;
    if (max_end != 0 && (g->active_to_ms == 0 || g->active_to_ms > max_end))
        return kv_err_set(err, KV_EINVAL, "a handed-on right ends no later than the partner's"
                                          " (%lld)", (long long)max_end);
    rc = kv__rights_lock(db, sid, err);
    if (rc < 0)
        return rc;
    rc = dup_exists(db, info->code, stype, sid, g, now, err);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return kv_err_set(err, KV_ECONFLICT, "the grantee already holds %s here", info->code);
    if (info->type == KV_PRIV_ORGANISATION_USER_ADMINISTRATOR && g->active_to_ms != 0) {
        rc = kv_rights_count_admins(db, sid, &admins, err);
        if (rc < 0)
            return rc;
        if (admins == 0)
            return kv_err_set(err, KV_ECONFLICT,
                              "refused: the first rettighedsadministrator of %s cannot have an"
                              " end date",
                              sid);
    }
    rc = kv_db_prepare(db, SQL_INSERT, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, info->code, -1);
    kv_stmt_bind_text(s, 2, stype, -1);
    kv_stmt_bind_text(s, 3, sid, -1);
    kv_stmt_bind_text(s, 4, g->narrow_type && *g->narrow_type ? g->narrow_type : NULL, -1);
    kv_stmt_bind_text(s, 5, g->narrow_type && *g->narrow_type ? g->narrow_id : NULL, -1);
    kv_stmt_bind_text(s, 6, gtype, -1);
    if (g->employee_id > 0)
        kv_stmt_bind_int64(s, 7, g->employee_id);
    else
        kv_stmt_bind_null(s, 7);
    if (g->group_id > 0)
        kv_stmt_bind_int64(s, 8, g->group_id);
    else
        kv_stmt_bind_null(s, 8);
    kv_stmt_bind_text(s, 9, g->partner_cvr && *g->partner_cvr ? g->partner_cvr : NULL, -1);
    if (g->person_id > 0)
        kv_stmt_bind_int64(s, 10, g->person_id);
    else
        kv_stmt_bind_null(s, 10);
    kv_stmt_bind_text(s, 11, source, -1);
    if (g->parent_id > 0)
        kv_stmt_bind_int64(s, 12, g->parent_id);
    else
        kv_stmt_bind_null(s, 12);
    kv_stmt_bind_text(s, 13, g->issuer && *g->issuer ? g->issuer : "cli", -1);
    if (g->active_to_ms) {
        kv_stmt_bind_int64(s, 14, g->active_to_ms);
        kv_stmt_bind_int64(s, 15, g->active_to_ms - KV_RIGHTS_NOTIFY_BEFORE_MS);
    } else {
        kv_stmt_bind_null(s, 14);
        kv_stmt_bind_null(s, 15);
    }
    kv_stmt_bind_int64(s, 16, now);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    rc = kv_rights_get(db, id, &p, err);
    if (rc < 0)
        return rc;
    subject_of(stype, sid, subject, sizeof(subject));
    rc = kv__id_event(db, (info->flags & KV_PRIV_F_MAILBOX) ? "READ_ACCESS_CREATED"
                                                            : "PRIVILEGES_GRANTED",
                      g->issuer, subject, kv_rights_privilege_json(&p), err);
    if (rc == 0 && out_id)
        *out_id = id;
    return rc;
}

struct grant_run {
    const struct kv_grant *g;
    int64_t *out_id;
};

static int grant_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct grant_run *r = arg;

    return grant_in_txn(db, r->g, r->out_id, err);
}

int kv_rights_grant(struct kv_db *db, const struct kv_grant *g, int in_txn, int64_t *out_id,
                    struct kv_err *err)
{
    struct grant_run r = {g, out_id};

    if (in_txn)
        return grant_in_txn(db, g, out_id, err);
    /* exclusive (kv_db_begin), so it meets no other writer; kv_db_run all the same, as every
     * rights transaction */
    return kv_db_run(db, 0, grant_tx, &r, err);
}

/* Sets status (REVOKED / EXPIRED) on id and on what was handed on from it. */
/* Ends privilege id and its children; *changed is 1 when the privilege itself was still
 * ACTIVE (its UPDATE changed a row), 0 when someone ended it first. */
static int end_privilege(struct kv_db *db, int64_t id, const char *status, const char *actor,
                         int64_t now, int *changed, struct kv_err *err)
{
    struct kv_stmt *s;
    const char *sql[2] = {SQL_END, SQL_END_CHILDREN};
    int i, rc;

    *changed = 0;
    for (i = 0; i < 2; i++) {
        rc = kv_db_prepare(db, sql[i], &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_text(s, 1, status, -1);
        kv_stmt_bind_int64(s, 2, now);
        kv_stmt_bind_text(s, 3, actor && *actor ? actor : "cli", -1);
        kv_stmt_bind_int64(s, 4, id);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        if (i == 0)
            *changed = kv_db_changes(db) > 0;
    }
    return 0;
}

int kv__rights_end(struct kv_db *db, const struct kv_privilege *p, const char *status,
                   const char *actor, int64_t now, struct kv_err *err)
{
    int64_t before = 0;
    char subject[24];
    int mailbox = p->type < KV_PRIV__COUNT && (kv_priv_table()[p->type].flags & KV_PRIV_F_MAILBOX);
    int changed = 0, rc;

    rc = kv__rights_guard(db, p->scope_id, mailbox ? NULL : &before, err);
    if (rc == 0)
        rc = end_privilege(db, p->id, status, actor, now, &changed, err);
    /* Ended meanwhile (the sweep loads what is due outside its transaction; a revoke may have
     * come first): nothing changed, so no event -- the one who ended it logged its own. */
    if (rc == 0 && !changed)
        return 0;
    if (rc == 0 && !mailbox)
        rc = kv__rights_check_admins(db, p->scope_id, before,
                                     strcmp(status, "EXPIRED") == 0 ? "letting this right lapse"
                                                                    : "revoking this right",
                                     err);
    if (rc < 0)
        return rc;
    subject_of(p->scope_type, p->scope_id, subject, sizeof(subject));
    if (mailbox && strcmp(status, "REVOKED") == 0 && strcmp(p->source, "REQUEST") == 0) {
        rc = kv__id_event(db, "ACCESS_REQUEST_REVOKED", actor, subject,
                          kv_rights_privilege_json(p), err);
        if (rc < 0)
            return rc;
    }
    return kv__id_event(db,
                        mailbox ? "READ_ACCESS_DELETED"
                        : strcmp(status, "EXPIRED") == 0 ? "PRIVILEGES_EXPIRED"
                                                         : "PRIVILEGES_REVOKED",
                        actor, subject, kv_rights_privilege_json(p), err);
}

/* Privilege id into *p when it is active; KV_ENOTFOUND, or KV_ECONFLICT naming its status. */
static int get_active(struct kv_db *db, int64_t id, struct kv_privilege *p, struct kv_err *err)
{
    int rc = kv_rights_get(db, id, p, err);

    if (rc == 0 && strcmp(p->status, "ACTIVE") != 0)
        rc = kv_err_set(err, KV_ECONFLICT, "privilege %lld is %s, not active", (long long)id,
                        p->status);
    return rc;
}

/* Privilege id into *p when it is active, judged under its scope's lock: the scope is read
 * first, the lock taken, and the row read again, so a change committed meanwhile by another
 * node (a concurrent transaction) is seen. KV_ENOTFOUND or KV_ECONFLICT as get_active. */
static int get_active_locked(struct kv_db *db, int64_t id, struct kv_privilege *p,
                             struct kv_err *err)
{
    int rc = kv_rights_get(db, id, p, err);

    if (rc == 0)
        rc = kv__rights_lock(db, p->scope_id, err);
    if (rc == 0)
        rc = get_active(db, id, p, err);
    return rc;
}

/* Revoke and end date run as concurrent transactions (docs/postgresql.md "Writes without the
 * global lock"): everything they judge -- the privilege's status, the administrators before
 * and after -- is read after the scope's org_rights row is locked, and every other change of
 * that scope's rights takes the same row first (or is exclusive), so of two administrators
 * revoking each other at once the second counts after the first's commit. */
/* What revoke and set_end run on (kv_db_run's argument). */
struct end_run {
    int64_t id, active_to_ms;
    const char *actor;
};

static int revoke_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct end_run *r = arg;
    struct kv_privilege p;
    int rc = get_active_locked(db, r->id, &p, err);

    if (rc == 0)
        rc = kv__rights_end(db, &p, "REVOKED", r->actor, kv_clock_now_ms(), err);
    return rc;
}

/* Run by kv_db_run: a deadlock or serialization failure with another concurrent transaction
 * runs the whole transaction again (store.h), so the right is revoked once. */
int kv_rights_revoke(struct kv_db *db, int64_t id, const char *actor, struct kv_err *err)
{
    struct end_run r = {id, 0, actor};

    return kv_db_run(db, 1, revoke_tx, &r, err);
}

static int set_end_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct end_run *r = arg;
    struct kv_privilege p;
    struct kv_stmt *s;
    int64_t before = 0, now = kv_clock_now_ms(), id = r->id, active_to_ms = r->active_to_ms;
    const char *actor = r->actor;
    char subject[24];
    json_t *props;
    int rc;

    rc = get_active_locked(db, id, &p, err);
    if (rc < 0)
        goto out;
    if (active_to_ms != 0 && active_to_ms <= now) {
        rc = kv_err_set(err, KV_EINVAL, "the end date has passed");
        goto out;
    }
    rc = kv__rights_guard(db, p.scope_id, &before, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, SQL_SET_END, &s, err);
    if (rc < 0)
        goto out;
    if (active_to_ms) {
        kv_stmt_bind_int64(s, 1, active_to_ms);
        kv_stmt_bind_int64(s, 2, active_to_ms - KV_RIGHTS_NOTIFY_BEFORE_MS);
    } else {
        kv_stmt_bind_null(s, 1);
        kv_stmt_bind_null(s, 2);
    }
    kv_stmt_bind_int64(s, 3, id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc == 0)
        rc = kv__rights_check_admins(db, p.scope_id, before, "giving this right an end date",
                                     err);
    if (rc < 0)
        goto out;
    p.active_to_ms = active_to_ms;
    subject_of(p.scope_type, p.scope_id, subject, sizeof(subject));
    props = kv_rights_privilege_json(&p);
    rc = kv__id_event(db, "PRIVILEGES_UPDATED", actor, subject, props, err);
out:
    return rc;
}

int kv_rights_set_end(struct kv_db *db, int64_t id, int64_t active_to_ms, const char *actor,
                      struct kv_err *err)
{
    struct end_run r = {id, active_to_ms, actor};

    return kv_db_run(db, 1, set_end_tx, &r, err); /* see kv_rights_revoke */
}

int kv_rights_load(struct kv_db *db, int64_t person_id, const char *cvr, int64_t now_ms,
                   uint32_t *out, struct kv_err *err)
{
    struct kv_stmt *s;
    const struct kv_priv_info *info;
    int rc;

    *out = 0;
    if (!cvr || !*cvr) { /* one's own mailbox */
        *out = KV_PRIV_BIT(KV_PRIV_MAILBOX_READ) | KV_PRIV_BIT(KV_PRIV_MAILBOX_READ_WRITE);
        return 0;
    }
    rc = kv_db_prepare(db, SQL_LOAD, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, cvr, -1);
    kv_stmt_bind_int64(s, 2, now_ms);
    kv_stmt_bind_int64(s, 3, now_ms);
    kv_stmt_bind_int64(s, 4, person_id);
    kv_stmt_bind_int64(s, 5, person_id);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        info = kv_priv_find(kv_stmt_col_text(s, 0));
        if (info && (info->flags & KV_PRIV_F_ORG))
            *out |= KV_PRIV_BIT(info->type);
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_rights_mailbox_level(struct kv_db *db, int64_t person_id, const char *owner_type,
                            const char *owner_id, int64_t now_ms, int *out, struct kv_err *err)
{
    struct kv_person p;
    struct kv_stmt *s;
    int rc;

    *out = 0;
    rc = kv_person_get(db, person_id, &p, err);
    if (rc < 0)
        return rc;
    if (strcmp(p.status, "ACTIVE") != 0)
        return 0;
    if (strcmp(owner_type, "CPR") == 0 && p.cpr[0] && strcmp(p.cpr, owner_id) == 0) {
        *out = 2;
        return 0;
    }
    rc = kv_db_prepare(db, SQL_MBX, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, person_id);
    kv_stmt_bind_text(s, 2, owner_type, -1);
    kv_stmt_bind_text(s, 3, owner_id, -1);
    kv_stmt_bind_int64(s, 4, now_ms);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        *out = kv_stmt_col_is_null(s, 0) ? 0 : (int)kv_stmt_col_int64(s, 0);
        rc = 0;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* SPDX-License-Identifier: MIT
 *
 * groups.c: user groups (brugergrupper) of an organisation (see rights.h). A group is a name
 * in one organisation with members (its employees) and privileges granted to the group
 * (kv_rights_grant with group_id), which every active member holds. Removing the member who
 * is the organisation's last rettighedsadministrator is refused like a revocation.
 */
#include "identity/rights.h"

#include <stdio.h>
#include <string.h>

#include "identity/identity.h"
#include "identity/identity_int.h"
#include "store/store.h"
#include "util/clock.h"

static const char SQL_ADD[] =
    "INSERT INTO user_groups (org_cvr, name, description, created_ms) VALUES (?, ?, ?, ?) "
    "RETURNING id";
static const char SQL_FIND[] = "SELECT id FROM user_groups WHERE org_cvr = ? AND name = ?";
static const char SQL_ORG[] = "SELECT org_cvr FROM user_groups WHERE id = ?";
static const char SQL_MEMBER_ADD[] =
    "INSERT INTO user_group_members (group_id, employee_id, added_ms) VALUES (?, ?, ?)";
static const char SQL_MEMBER_DEL[] =
    "DELETE FROM user_group_members WHERE group_id = ? AND employee_id = ?";

int kv_group_add(struct kv_db *db, const char *org_cvr, const char *name, const char *description,
                 const char *actor, int64_t *out_id, struct kv_err *err)
{
    struct kv_stmt *s;
    char subject[16];
    int64_t id = 0;
    int rc;

    if (!kv_identity_name_ok(name))
        return kv_err_set(err, KV_EINVAL, "a group's name is 1-%d characters", KV_NAME_MAX);
    if (description && strlen(description) > 1000)
        return kv_err_set(err, KV_EINVAL, "a description is at most 1000 bytes");
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv__id_org_kind(db, org_cvr, err);
    if (rc == 0)
        rc = kv_err_set(err, KV_ENOTFOUND, "no organisation with CVR %.8s", org_cvr);
    if (rc < 0)
        goto out;
    rc = kv__rights_lock(db, org_cvr, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, SQL_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    kv_stmt_bind_text(s, 2, name, -1);
    kv_stmt_bind_text(s, 3, description && *description ? description : NULL, -1);
    kv_stmt_bind_int64(s, 4, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc == KV_ECONFLICT)
        rc = kv_err_set(err, KV_ECONFLICT, "the organisation has a group with this name");
    if (rc < 0)
        goto out;
    snprintf(subject, sizeof(subject), "cvr:%s", org_cvr);
    rc = kv__id_event(db, "PRIVILEGE_GROUP_CREATED", actor, subject,
                      json_pack("{s:I,s:s}", "groupId", (json_int_t)id, "name", name), err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc == 0 && out_id)
        *out_id = id;
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

int kv_group_find(struct kv_db *db, const char *org_cvr, const char *name, int64_t *out_id,
                  struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_FIND, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    kv_stmt_bind_text(s, 2, name, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        *out_id = kv_stmt_col_int64(s, 0);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no group \"%.64s\" in %.8s", name, org_cvr);
    }
    kv_stmt_done(s);
    return rc;
}

static int group_org(struct kv_db *db, int64_t group_id, char org[16], struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_ORG, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, group_id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv__id_copy(org, 16, kv_stmt_col_text(s, 0));
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no user group %lld", (long long)group_id);
    }
    kv_stmt_done(s);
    return rc;
}

/* What a membership change runs on (kv_db_run's argument). */
struct member_run {
    int64_t group_id, employee_id;
    int add;
    const char *actor;
};

/* Adds (add 1) or removes a member in the transaction of kv_db_run, under the lock and the
 * invariant. */
static int member_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct member_run *m = arg;
    struct kv_employee e;
    struct kv_stmt *s;
    char org[16], subject[24];
    int64_t before = 0, group_id = m->group_id, employee_id = m->employee_id;
    int add = m->add, rc;
    const char *actor = m->actor;

    rc = group_org(db, group_id, org, err);
    if (rc == 0)
        rc = kv_employee_get(db, employee_id, &e, err);
    if (rc < 0)
        goto out;
    if (strcmp(e.org_cvr, org) != 0) {
        rc = kv_err_set(err, KV_EINVAL, "the employee works for another organisation");
        goto out;
    }
    rc = kv__rights_guard(db, org, add ? NULL : &before, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, add ? SQL_MEMBER_ADD : SQL_MEMBER_DEL, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, group_id);
    kv_stmt_bind_int64(s, 2, employee_id);
    if (add)
        kv_stmt_bind_int64(s, 3, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc == KV_ECONFLICT)
        rc = kv_err_set(err, KV_ECONFLICT, "the employee is a member already");
    if (rc == 0 && !add && kv_db_changes(db) == 0)
        rc = kv_err_set(err, KV_ENOTFOUND, "the employee is not a member");
    if (rc == 0 && !add)
        rc = kv__rights_check_admins(db, org, before, "removing this member", err);
    if (rc < 0)
        goto out;
    snprintf(subject, sizeof(subject), "cvr:%s", org);
    rc = kv__id_event(db, add ? "PRIVILEGE_GROUP_MEMBER_ADDED" : "PRIVILEGE_GROUP_MEMBER_REMOVED",
                      actor, subject,
                      json_pack("{s:I,s:I}", "groupId", (json_int_t)group_id, "employeeId",
                                (json_int_t)employee_id),
                      err);
out:
    return rc;
}

/* Concurrent (docs/postgresql.md "Writes without the global lock"): the group's and the
 * employee's organisation never change; the membership is one INSERT (a duplicate fails on
 * its key) or one DELETE (judged by the rows it removed); the administrators are counted
 * under the organisation's org_rights lock, which every change of its rights takes first.
 * Run by kv_db_run: a deadlock or serialization failure runs it again. */
static int member_change(struct kv_db *db, int64_t group_id, int64_t employee_id, int add,
                         const char *actor, struct kv_err *err)
{
    struct member_run m = {group_id, employee_id, add, actor};

    return kv_db_run(db, 1, member_tx, &m, err);
}

int kv_group_member_add(struct kv_db *db, int64_t group_id, int64_t employee_id,
                        const char *actor, struct kv_err *err)
{
    return member_change(db, group_id, employee_id, 1, actor, err);
}

int kv_group_member_remove(struct kv_db *db, int64_t group_id, int64_t employee_id,
                           const char *actor, struct kv_err *err)
{
    return member_change(db, group_id, employee_id, 0, actor, err);
}

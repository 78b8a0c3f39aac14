/* SPDX-License-Identifier: MIT
 *
 * list.c: the JSON views of an organisation's rights (see rights.h): its employees, each
 * with the privileges they hold directly and through user groups, its user groups with
 * members and privileges, and the privileges it gave to external partners. `kuvert user list
 * --json` prints this, and the Rettighedsportal renders from the same data.
 */
#include "identity/rights.h"

#include <stdio.h>
#include <string.h>

#include "identity/identity.h"
#include "identity/identity_int.h"
#include "store/store.h"
#include "util/clock.h"

static const char SQL_EMPS[] =
    "SELECT e.id, e.person_id, s.name, s.email, e.status FROM employees e"
    " JOIN persons s ON s.id = e.person_id WHERE e.org_cvr = ? ORDER BY s.name, e.id";
static const char SQL_EMP_PRIVS[] =
    "SELECT " KV__PRIV_COLS " FROM privileges p WHERE p.grantee_employee_id = ?"
    " AND (? = 1 OR p.status = 'ACTIVE') ORDER BY p.id";
static const char SQL_EMP_GROUP_PRIVS[] =
    "SELECT " KV__PRIV_COLS ", g.id, g.name FROM privileges p"
    " JOIN user_group_members m ON m.group_id = p.grantee_group_id"
    " JOIN user_groups g ON g.id = m.group_id"
    " WHERE m.employee_id = ? AND (? = 1 OR p.status = 'ACTIVE') ORDER BY p.id";
static const char SQL_GROUPS[] =
    "SELECT id, name, COALESCE(description, '') FROM user_groups WHERE org_cvr = ? ORDER BY name";
static const char SQL_MEMBERS[] =
    "SELECT employee_id FROM user_group_members WHERE group_id = ? ORDER BY employee_id";
static const char SQL_GROUP_PRIVS[] =
    "SELECT " KV__PRIV_COLS " FROM privileges p WHERE p.grantee_group_id = ?"
    " AND (? = 1 OR p.status = 'ACTIVE') ORDER BY p.id";
static const char SQL_PARTNER_PRIVS[] =
    "SELECT " KV__PRIV_COLS " FROM privileges p WHERE p.scope_type = 'CVR' AND p.scope_id = ?"
    " AND p.grantee_type = 'ORGANISATION' AND (? = 1 OR p.status = 'ACTIVE') ORDER BY p.id";

static json_t *iso(int64_t ms)
{
    char buf[32];

    kv_clock_format_utc(ms, buf, sizeof(buf));
    return json_string(buf);
}

json_t *kv_rights_privilege_json(const struct kv_privilege *p)
{
    const struct kv_priv_info *info = p->type < KV_PRIV__COUNT ? &kv_priv_table()[p->type] : NULL;
    json_t *o = json_object(), *g = json_object();

    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "type", json_string(info ? info->code : "UNKNOWN"));
    json_object_set_new(o, "nameDa", json_string(info ? info->name_da : ""));
    json_object_set_new(o, "scope", json_pack("{s:s,s:s}", "type", p->scope_type, "id",
                                              p->scope_id));
    if (p->narrow_type[0])
        json_object_set_new(o, "narrow", json_pack("{s:s,s:s}", "type", p->narrow_type, "id",
                                                   p->narrow_id));
    json_object_set_new(g, "type", json_string(p->grantee_type));
    if (p->grantee_employee_id)
        json_object_set_new(g, "employeeId", json_integer(p->grantee_employee_id));
    if (p->grantee_group_id)
        json_object_set_new(g, "groupId", json_integer(p->grantee_group_id));
    if (p->grantee_cvr[0])
        json_object_set_new(g, "cvr", json_string(p->grantee_cvr));
    if (p->grantee_person_id)
        json_object_set_new(g, "personId", json_integer(p->grantee_person_id));
    json_object_set_new(o, "grantee", g);
    json_object_set_new(o, "source", json_string(p->source));
    if (p->parent_id)
        json_object_set_new(o, "parentId", json_integer(p->parent_id));
    json_object_set_new(o, "issuer", json_string(p->issuer));
    json_object_set_new(o, "status", json_string(p->status));
    if (p->active_to_ms)
        json_object_set_new(o, "activeTo", iso(p->active_to_ms));
    json_object_set_new(o, "created", iso(p->created_ms));
    return o;
}

/* Appends the privileges of query sql (bound: id, all) to arr; with_group adds "via". */
static int add_privs(struct kv_db *db, const char *sql, int64_t id, const char *text, int all,
                     int with_group, json_t *arr, struct kv_err *err)
{
    struct kv_privilege p;
    struct kv_stmt *s;
    json_t *o;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    if (text)
        kv_stmt_bind_text(s, 1, text, -1);
    else
        kv_stmt_bind_int64(s, 1, id);
    kv_stmt_bind_int64(s, 2, all ? 1 : 0);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        kv__priv_read(s, 0, &p);
        o = kv_rights_privilege_json(&p);
        if (with_group)
            json_object_set_new(o, "via",
                                json_pack("{s:I,s:s}", "groupId",
                                          (json_int_t)kv_stmt_col_int64(s, 17), "name",
                                          kv_stmt_col_text(s, 18) ? kv_stmt_col_text(s, 18) : ""));
        json_array_append_new(arr, o);
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int list_employees(struct kv_db *db, const char *cvr, int all, json_t *arr,
                          struct kv_err *err)
{
    struct kv_stmt *s;
    json_t *o, *rights;
    size_t i;
    int rc = kv_db_prepare(db, SQL_EMPS, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, cvr, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *email = kv_stmt_col_text(s, 3);

        o = json_pack("{s:I,s:I,s:s,s:s?,s:s}", "employeeId", (json_int_t)kv_stmt_col_int64(s, 0),
                      "personId", (json_int_t)kv_stmt_col_int64(s, 1), "name",
                      kv_stmt_col_text(s, 2) ? kv_stmt_col_text(s, 2) : "", "email", email,
                      "status", kv_stmt_col_text(s, 4) ? kv_stmt_col_text(s, 4) : "");
        json_array_append_new(arr, o);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    /* The statement is done before the nested queries run on the same connection. */
    json_array_foreach(arr, i, o) {
        int64_t eid = json_integer_value(json_object_get(o, "employeeId"));

        rights = json_array();
        json_object_set_new(o, "rights", rights);
        rc = add_privs(db, SQL_EMP_PRIVS, eid, NULL, all, 0, rights, err);
        if (rc == 0)
            rc = add_privs(db, SQL_EMP_GROUP_PRIVS, eid, NULL, all, 1, rights, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int list_groups(struct kv_db *db, const char *cvr, int all, json_t *arr,
                       struct kv_err *err)
{
    struct kv_stmt *s;
    json_t *o, *members, *rights;
    size_t i;
    int rc = kv_db_prepare(db, SQL_GROUPS, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, cvr, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        json_array_append_new(arr, json_pack("{s:I,s:s,s:s}", "groupId",
                                             (json_int_t)kv_stmt_col_int64(s, 0), "name",
                                             kv_stmt_col_text(s, 1), "description",
                                             kv_stmt_col_text(s, 2)));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    json_array_foreach(arr, i, o) {
        int64_t gid = json_integer_value(json_object_get(o, "groupId"));

        members = json_array();
        json_object_set_new(o, "members", members);
        rc = kv_db_prepare(db, SQL_MEMBERS, &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_int64(s, 1, gid);
        while ((rc = kv_stmt_step(s, err)) == KV_ROW)
            json_array_append_new(members, json_integer(kv_stmt_col_int64(s, 0)));
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        rights = json_array();
        json_object_set_new(o, "rights", rights);
        rc = add_privs(db, SQL_GROUP_PRIVS, gid, NULL, all, 0, rights, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int kv_rights_list_org(struct kv_db *db, const char *cvr, int all, json_t **out,
                       struct kv_err *err)
{
    json_t *o = json_object(), *emps = json_array(), *groups = json_array(),
           *partners = json_array();
    int rc;

    *out = NULL;
    json_object_set_new(o, "org", json_string(cvr));
    json_object_set_new(o, "employees", emps);
    json_object_set_new(o, "groups", groups);
    json_object_set_new(o, "partners", partners);
    rc = list_employees(db, cvr, all, emps, err);
    if (rc == 0)
        rc = list_groups(db, cvr, all, groups, err);
    if (rc == 0)
        rc = add_privs(db, SQL_PARTNER_PRIVS, 0, cvr, all, 0, partners, err);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

int kv_rights_list_appointed(struct kv_db *db, const char *cvr, json_t **out, struct kv_err *err)
{
    static const char sql[] =
        "SELECT " KV__PRIV_COLS ", COALESCE(o.name, '') FROM privileges p"
        " LEFT JOIN orgs o ON o.cvr = p.scope_id WHERE p.grantee_type = 'ORGANISATION'"
        " AND p.grantee_cvr = ? AND p.status = 'ACTIVE' ORDER BY p.scope_id, p.id";
    struct kv_privilege p;
    struct kv_stmt *s;
    json_t *arr = json_array(), *o;
    int rc = kv_db_prepare(db, sql, &s, err);

    *out = NULL;
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    kv_stmt_bind_text(s, 1, cvr, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        kv__priv_read(s, 0, &p);
        o = kv_rights_privilege_json(&p);
        json_object_set_new(o, "scopeName", json_string(kv_stmt_col_text(s, 17)));
        json_array_append_new(arr, o);
    }
    kv_stmt_done(s);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

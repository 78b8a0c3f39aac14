/* SPDX-License-Identifier: MIT
 *
 * requests.c: asking for a right (see rights.h). An employee asks for a privilege in their
 * organisation, or a helper asks for read / read-write access to a person's mailbox; the
 * request waits (SUBMITTED) until a rettighedsadministrator -- or the mailbox owner -- approves
 * it, which grants it (source REQUEST) in the same transaction, or rejects it. Who may decide
 * is the caller's check (authz.h); this file keeps the states and their events
 * (ACCESS_REQUEST_SUBMITTED, ACCESS_REQUEST_APPROVED, ACCESS_REQUEST_REJECTED).
 */
#include "identity/rights.h"

#include <stdio.h>
#include <string.h>

#include "hub/directory.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "store/store.h"
#include "util/clock.h"

static const char SQL_ADD[] =
    "INSERT INTO privilege_requests (requester_person_id, type, scope_type, scope_id,"
    " active_to_ms, note, state, created_ms) VALUES (?, ?, ?, ?, ?, ?, 'SUBMITTED', ?) RETURNING id";
static const char SQL_PENDING[] =
    "SELECT COUNT(*) FROM privilege_requests WHERE requester_person_id = ? AND type = ?"
    " AND scope_type = ? AND scope_id = ? AND state = 'SUBMITTED'";
static const char SQL_GET[] =
    "SELECT requester_person_id, type, scope_type, scope_id, active_to_ms, state"
    " FROM privilege_requests WHERE id = ?";
static const char SQL_DECIDE[] =
    "UPDATE privilege_requests SET state = ?, decided_by = ?, decided_ms = ?, privilege_id = ?"
    " WHERE id = ? AND state = 'SUBMITTED'";
static const char SQL_LIST[] =
    "SELECT r.id, r.requester_person_id, s.name, s.email, r.type, r.active_to_ms,"
    " COALESCE(r.note, ''), r.created_ms FROM privilege_requests r"
    " JOIN persons s ON s.id = r.requester_person_id"
    " WHERE r.scope_type = ? AND r.scope_id = ? AND r.state = 'SUBMITTED' ORDER BY r.id";

static void subject_of(const char *stype, const char *sid, char *out, size_t n)
{
    snprintf(out, n, "%s:%s", strcmp(stype, "CPR") == 0 ? "cpr" : "cvr", sid);
}

int kv_request_submit(struct kv_db *db, int64_t person_id, const char *code, const char *scope_type,
                      const char *scope_id, int64_t active_to_ms, const char *note,
                      int64_t *out_id, struct kv_err *err)
{
    const struct kv_priv_info *info = kv_priv_find(code);
    struct kv_employee e;
    struct kv_mailbox mb;
    struct kv_stmt *s;
    char subject[24], actor[32];
    int64_t n = 0, id = 0;
    int rc;

    if (!info)
        return kv_err_set(err, KV_EINVAL, "unknown right \"%.64s\"", code ? code : "");
    if (!scope_type || !scope_id ||
        (strcmp(scope_type, "CVR") != 0 && strcmp(scope_type, "CPR") != 0))
        return kv_err_set(err, KV_EINVAL, "the scope is a CVR or a CPR number");
    if ((info->flags & KV_PRIV_F_ORG) && strcmp(scope_type, "CVR") != 0)
        return kv_err_set(err, KV_EINVAL, "%s is asked for in an organisation", info->code);
    if (note && strlen(note) > 1000)
        return kv_err_set(err, KV_EINVAL, "a note is at most 1000 bytes");
    if (active_to_ms != 0 && active_to_ms <= kv_clock_now_ms())
        return kv_err_set(err, KV_EINVAL, "the end date has passed");
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    if (info->flags & KV_PRIV_F_ORG)
        rc = kv_employee_find(db, person_id, scope_id, &e, err);
    else
        rc = kv_mailbox_find(db, scope_type, scope_id, &mb, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, SQL_PENDING, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, person_id);
    kv_stmt_bind_text(s, 2, info->code, -1);
    kv_stmt_bind_text(s, 3, scope_type, -1);
    kv_stmt_bind_text(s, 4, scope_id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (n > 0) {
        rc = kv_err_set(err, KV_ECONFLICT, "the same request is waiting already");
        goto out;
    }
    rc = kv_db_prepare(db, SQL_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, person_id);
    kv_stmt_bind_text(s, 2, info->code, -1);
    kv_stmt_bind_text(s, 3, scope_type, -1);
    kv_stmt_bind_text(s, 4, scope_id, -1);
    if (active_to_ms)
        kv_stmt_bind_int64(s, 5, active_to_ms);
    else
        kv_stmt_bind_null(s, 5);
    kv_stmt_bind_text(s, 6, note && *note ? note : NULL, -1);
    kv_stmt_bind_int64(s, 7, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    subject_of(scope_type, scope_id, subject, sizeof(subject));
    snprintf(actor, sizeof(actor), "person:%lld", (long long)person_id);
    rc = kv__id_event(db, "ACCESS_REQUEST_SUBMITTED", actor, subject,
                      json_pack("{s:I,s:s}", "requestId", (json_int_t)id, "type", info->code),
                      err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc == 0 && out_id)
        *out_id = id;
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

int kv_request_decide(struct kv_db *db, int64_t request_id, int approve, const char *actor,
                      int64_t *out_privilege_id, struct kv_err *err)
{
    struct kv_stmt *s;
    struct kv_employee e;
    struct kv_grant g;
    char type[64], stype[4], sid[11], state[16], subject[24];
    int64_t person = 0, until = 0, pid = 0;
    int rc = kv_db_begin(db, err);

    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_GET, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, request_id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        person = kv_stmt_col_int64(s, 0);
        kv__id_copy(type, sizeof(type), kv_stmt_col_text(s, 1));
        kv__id_copy(stype, sizeof(stype), kv_stmt_col_text(s, 2));
        kv__id_copy(sid, sizeof(sid), kv_stmt_col_text(s, 3));
        until = kv_stmt_col_int64(s, 4);
        kv__id_copy(state, sizeof(state), kv_stmt_col_text(s, 5));
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no request %lld", (long long)request_id);
    }
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (strcmp(state, "SUBMITTED") != 0) {
        rc = kv_err_set(err, KV_ECONFLICT, "the request was %s already", state);
        goto out;
    }
    if (approve) {
        memset(&g, 0, sizeof(g));
        g.type = type;
        g.issuer = actor;
        g.active_to_ms = until > kv_clock_now_ms() ? until : 0;
        if (strcmp(stype, "CVR") == 0 && kv_priv_find(type) &&
            (kv_priv_find(type)->flags & KV_PRIV_F_ORG)) {
            rc = kv_employee_find(db, person, sid, &e, err);
            if (rc < 0)
                goto out;
            g.scope_cvr = sid;
            g.employee_id = e.id;
        } else {
            g.scope_type = stype;
            g.scope_id = sid;
            g.person_id = person;
            g.source = "REQUEST";
        }
        rc = kv_rights_grant(db, &g, 1, &pid, err);
        if (rc < 0)
            goto out;
    }
    rc = kv_db_prepare(db, SQL_DECIDE, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, approve ? "APPROVED" : "REJECTED", -1);
    kv_stmt_bind_text(s, 2, actor && *actor ? actor : "cli", -1);
    kv_stmt_bind_int64(s, 3, kv_clock_now_ms());
    if (pid)
        kv_stmt_bind_int64(s, 4, pid);
    else
        kv_stmt_bind_null(s, 4);
    kv_stmt_bind_int64(s, 5, request_id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    subject_of(stype, sid, subject, sizeof(subject));
    rc = kv__id_event(db, approve ? "ACCESS_REQUEST_APPROVED" : "ACCESS_REQUEST_REJECTED", actor,
                      subject,
                      json_pack("{s:I,s:s,s:I}", "requestId", (json_int_t)request_id, "type",
                                type, "personId", (json_int_t)person),
                      err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc == 0 && out_privilege_id)
        *out_privilege_id = pid;
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

int kv_request_list(struct kv_db *db, const char *scope_type, const char *scope_id, json_t **out,
                    struct kv_err *err)
{
    const struct kv_priv_info *info;
    struct kv_stmt *s;
    json_t *arr = json_array(), *o;
    char when[32];
    int rc = kv_db_prepare(db, SQL_LIST, &s, err);

    *out = NULL;
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    kv_stmt_bind_text(s, 1, scope_type, -1);
    kv_stmt_bind_text(s, 2, scope_id, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        info = kv_priv_find(kv_stmt_col_text(s, 4));
        kv_clock_format_utc(kv_stmt_col_int64(s, 7), when, sizeof(when));
        o = json_pack("{s:I,s:I,s:s,s:s?,s:s,s:s,s:s,s:s}", "id",
                      (json_int_t)kv_stmt_col_int64(s, 0), "personId",
                      (json_int_t)kv_stmt_col_int64(s, 1), "name",
                      kv_stmt_col_text(s, 2) ? kv_stmt_col_text(s, 2) : "", "email",
                      kv_stmt_col_text(s, 3), "type", info ? info->code : "UNKNOWN", "nameDa",
                      info ? info->name_da : "", "note", kv_stmt_col_text(s, 6), "created", when);
        if (!kv_stmt_col_is_null(s, 5)) {
            kv_clock_format_utc(kv_stmt_col_int64(s, 5), when, sizeof(when));
            json_object_set_new(o, "activeTo", json_string(when));
        }
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

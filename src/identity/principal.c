/* SPDX-License-Identifier: MIT
 *
 * principal.c: turning a signed-in person into the principal of a request (see identity.h):
 * which organisations they may act for (their active employments and every CVR where they
 * hold an active privilege, e.g. handed on from an external partner), the check that the
 * chosen context is one of them, the privilege bits held there, the actor text events record,
 * and the sign-in event. Callers re-run kv_principal_for_person on every request, so a revoked
 * right or a deactivated employee stops working at once.
 */
#include "identity/identity.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "identity/identity_int.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/str.h"

static const char SQL_CONTEXTS[] =
    "SELECT org_cvr FROM employees WHERE person_id = ? AND status = 'ACTIVE'"
    " UNION"
    " SELECT p.scope_id FROM privileges p WHERE p.scope_type = 'CVR' AND p.status = 'ACTIVE'"
    " AND (p.active_to_ms IS NULL OR p.active_to_ms > ?)"
    " AND (p.grantee_employee_id IN (SELECT e.id FROM employees e WHERE e.person_id = ?"
    "  AND e.status = 'ACTIVE')"
    "  OR p.grantee_group_id IN (SELECT m.group_id FROM user_group_members m JOIN employees e"
    "  ON e.id = m.employee_id WHERE e.person_id = ? AND e.status = 'ACTIVE'))"
    " ORDER BY 1";

static const char SQL_HAS_CONTEXT[] =
    "SELECT (SELECT COUNT(*) FROM employees WHERE person_id = ? AND org_cvr = ?"
    "  AND status = 'ACTIVE')"
    " + (SELECT COUNT(*) FROM privileges p WHERE p.scope_type = 'CVR' AND p.scope_id = ?"
    " AND p.status = 'ACTIVE' AND (p.active_to_ms IS NULL OR p.active_to_ms > ?)"
    " AND (p.grantee_employee_id IN (SELECT e.id FROM employees e WHERE e.person_id = ?"
    "  AND e.status = 'ACTIVE')"
    "  OR p.grantee_group_id IN (SELECT m.group_id FROM user_group_members m JOIN employees e"
    "  ON e.id = m.employee_id WHERE e.person_id = ? AND e.status = 'ACTIVE')))";

/* 1 when the person may act for cvr (an active employment or an active privilege there). */
static int has_context(struct kv_db *db, int64_t person_id, const char *cvr, int64_t now,
                       struct kv_err *err)
{
    struct kv_stmt *s;
    int64_t n = 0;
    int rc = kv_db_prepare(db, SQL_HAS_CONTEXT, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, person_id);
    kv_stmt_bind_text(s, 2, cvr, -1);
    kv_stmt_bind_text(s, 3, cvr, -1);
    kv_stmt_bind_int64(s, 4, now);
    kv_stmt_bind_int64(s, 5, person_id);
    kv_stmt_bind_int64(s, 6, person_id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return n > 0 ? 1 : 0;
}

const char *kv_principal_kind_name(enum kv_principal_kind kind)
{
    switch (kind) {
    case KV_PRINCIPAL_CITIZEN:
        return "citizen";
    case KV_PRINCIPAL_COMPANY_USER:
        return "company_user";
    case KV_PRINCIPAL_EMPLOYEE:
        return "employee";
    case KV_PRINCIPAL_SYSTEM:
        return "system";
    case KV_PRINCIPAL_ADMIN:
        return "admin";
    case KV_PRINCIPAL_NONE:
        break;
    }
    return "anonymous";
}

int kv_principal_contexts(struct kv_db *db, int64_t person_id, char (*out)[9], size_t max,
                          size_t *out_n, struct kv_err *err)
{
    struct kv_stmt *s;
    int64_t now = kv_clock_now_ms();
    int rc;

    *out_n = 0;
    rc = kv_db_prepare(db, SQL_CONTEXTS, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, person_id);
    kv_stmt_bind_int64(s, 2, now);
    kv_stmt_bind_int64(s, 3, person_id);
    kv_stmt_bind_int64(s, 4, person_id);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        if (*out_n < max)
            kv__id_copy(out[(*out_n)++], 9, kv_stmt_col_text(s, 0));
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_principal_for_person(struct kv_db *db, int64_t person_id, const char *org_cvr,
                            struct kv_principal *out, struct kv_err *err)
{
    struct kv_person p;
    char ctx[1][9];
    size_t n = 0;
    int rc, kind;

    memset(out, 0, sizeof(*out));
    rc = kv_person_get(db, person_id, &p, err);
    if (rc < 0)
        return rc;
    if (strcmp(p.status, "ACTIVE") != 0)
        return kv_err_set(err, KV_EPERM, "this person is deactivated");
    out->person_id = p.id;
    kv__id_copy(out->name, sizeof(out->name), p.name);
    kv__id_copy(out->email, sizeof(out->email), p.email);
    kv__id_copy(out->cpr, sizeof(out->cpr), p.cpr);
    out->loaded_ms = kv_clock_now_ms();
    if ((!org_cvr || !*org_cvr) && p.cpr[0]) {
        out->kind = KV_PRINCIPAL_CITIZEN;
        return kv_rights_load(db, p.id, NULL, out->loaded_ms, &out->privs, err);
    }
    if (!org_cvr || !*org_cvr) {
        rc = kv_principal_contexts(db, p.id, ctx, 1, &n, err);
        if (rc < 0)
            return rc;
        if (n == 0)
            return kv_err_set(err, KV_EPERM, "this person acts for no organisation");
        org_cvr = ctx[0];
    } else {
        rc = has_context(db, p.id, org_cvr, out->loaded_ms, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return kv_err_set(err, KV_EPERM, "this person does not act for %.8s", org_cvr);
    }
    kind = kv__id_org_kind(db, org_cvr, err);
    if (kind < 0)
        return kind;
    out->kind = kind == 2 ? KV_PRINCIPAL_COMPANY_USER : KV_PRINCIPAL_EMPLOYEE;
    kv__id_copy(out->org_cvr, sizeof(out->org_cvr), org_cvr);
    return kv_rights_load(db, p.id, org_cvr, out->loaded_ms, &out->privs, err);
}

int kv_principal_enter_mailbox(struct kv_db *db, struct kv_principal *p, const char *owner_type,
                               const char *owner_id, struct kv_err *err)
{
    int level = 0, rc;

    if (p->kind != KV_PRINCIPAL_CITIZEN || !owner_type || !owner_id)
        return kv_err_set(err, KV_EPERM, "only a citizen acts in another's mailbox");
    if (strcmp(owner_type, "CPR") == 0 && p->cpr[0] && strcmp(p->cpr, owner_id) == 0)
        return 0; /* their own */
    rc = kv_rights_mailbox_level(db, p->person_id, owner_type, owner_id, kv_clock_now_ms(),
                                 &level, err);
    if (rc < 0)
        return rc;
    if (level <= 0)
        return kv_err_set(err, KV_EPERM, "no access to this mailbox");
    p->privs = KV_PRIV_BIT(KV_PRIV_MAILBOX_READ);
    if (level >= 2)
        p->privs |= KV_PRIV_BIT(KV_PRIV_MAILBOX_READ_WRITE);
    kv__id_copy(p->mbox_type, sizeof(p->mbox_type), owner_type);
    kv__id_copy(p->mbox_id, sizeof(p->mbox_id), owner_id);
    return 0;
}

void kv_principal_actor(const struct kv_principal *p, char *out, size_t n)
{
    if (!p) {
        snprintf(out, n, "anonymous");
        return;
    }
    switch (p->kind) {
    case KV_PRINCIPAL_EMPLOYEE:
    case KV_PRINCIPAL_COMPANY_USER:
        snprintf(out, n, "employee:%" PRId64 "@%s", p->person_id, p->org_cvr);
        break;
    case KV_PRINCIPAL_CITIZEN:
        if (p->cpr[0])
            snprintf(out, n, "cpr:%s", p->cpr);
        else
            snprintf(out, n, "person:%" PRId64, p->person_id);
        break;
    case KV_PRINCIPAL_SYSTEM: /* every API request of a system: no printf */
        (void)kv_str_copy(out, n, p->system_id);
        break;
    case KV_PRINCIPAL_ADMIN:
        snprintf(out, n, "admin");
        break;
    case KV_PRINCIPAL_NONE:
        snprintf(out, n, "anonymous");
        break;
    }
}

int kv_principal_log_signin(struct kv_db *db, const struct kv_principal *p, const char *method,
                            int in, struct kv_err *err)
{
    char actor[64], subject[24];
    int rc;

    kv_principal_actor(p, actor, sizeof(actor));
    if (p->org_cvr[0])
        snprintf(subject, sizeof(subject), "cvr:%s", p->org_cvr);
    else if (p->cpr[0])
        snprintf(subject, sizeof(subject), "cpr:%s", p->cpr);
    else
        subject[0] = '\0';
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv__id_event(db, in ? "USER_SIGNED_IN" : "USER_SIGNED_OUT", actor,
                      subject[0] ? subject : NULL,
                      json_pack("{s:I,s:s,s:s}", "personId", (json_int_t)p->person_id, "method",
                                method ? method : "", "kind", kv_principal_kind_name(p->kind)),
                      err);
    return kv_db_end(db, rc, err);
}

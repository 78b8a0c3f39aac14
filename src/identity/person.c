/* SPDX-License-Identifier: MIT
 *
 * person.c: persons and their employment in organisations (see identity.h), the validation
 * of names and e-mail addresses, and the helpers the identity files share (event append,
 * organisation kind). Every write runs in one transaction with its event, so the event log
 * and the tables never disagree. E-mail addresses are stored lowercased; lookups lowercase
 * their argument, so "Anne@Kommune.DK" and "anne@kommune.dk" are one person.
 */
#include "identity/identity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hub/directory.h"
#include "hub/events.h"
#include "identity/identity_int.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"

static const char SQL_P_ADD[] =
    "INSERT INTO persons (name, email, cpr, ext_id, status, created_ms) VALUES (?, ?, ?, ?, 'ACTIVE', ?) RETURNING id";
#define P_COLS "id, name, email, cpr, ext_id, status, created_ms"
static const char SQL_P_GET[] = "SELECT " P_COLS " FROM persons WHERE id = ?";
static const char SQL_P_EMAIL[] = "SELECT " P_COLS " FROM persons WHERE email = ?";
static const char SQL_P_CPR[] = "SELECT " P_COLS " FROM persons WHERE cpr = ?";
static const char SQL_P_EXT[] = "SELECT " P_COLS " FROM persons WHERE ext_id = ?";
static const char SQL_P_TAKEN[] =
    "SELECT COUNT(*) FROM persons WHERE email = ? OR cpr = ? OR ext_id = ?";
#define E_COLS "id, person_id, org_cvr, status, created_ms"
static const char SQL_E_ADD[] =
    "INSERT INTO employees (person_id, org_cvr, status, created_ms) VALUES (?, ?, 'ACTIVE', ?) RETURNING id";
static const char SQL_E_GET[] = "SELECT " E_COLS " FROM employees WHERE id = ?";
static const char SQL_E_FIND[] = "SELECT " E_COLS " FROM employees WHERE person_id = ? AND org_cvr = ?";
static const char SQL_E_STATUS[] = "UPDATE employees SET status = ? WHERE id = ?";
static const char SQL_ORG_IS[] = "SELECT COUNT(*) FROM orgs WHERE cvr = ?";
static const char SQL_CO_IS[] =
    "SELECT COUNT(*) FROM mailboxes WHERE owner_type = 'CVR' AND owner_id = ?";
static const char SQL_LOCK_INS[] = "INSERT INTO org_rights (cvr, version) VALUES (?, 0) ON CONFLICT (cvr) DO NOTHING";
static const char SQL_LOCK_UPD[] = "UPDATE org_rights SET version = version + 1 WHERE cvr = ?";

/* ---- shared helpers ---- */

void kv__id_copy(char *dst, size_t n, const char *src)
{
    size_t l;

    if (!src)
        src = "";
    l = strlen(src);
    if (l >= n)
        l = n - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
}

int kv__id_event(struct kv_db *db, const char *tag, const char *actor, const char *subject,
                 json_t *props, struct kv_err *err)
{
    struct kv_event ev;
    char *pj = NULL;
    int rc;

    memset(&ev, 0, sizeof(ev));
    if (props) {
        pj = json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(props);
        if (!pj)
            return kv_err_set(err, KV_ENOMEM, "event properties");
    }
    ev.tag = tag;
    ev.actor = actor && *actor ? actor : "cli";
    ev.subject = subject;
    ev.props_json = pj;
    rc = kv_events_append(db, &ev, err);
    free(pj);
    return rc;
}

static int count1(struct kv_db *db, const char *sql, const char *arg, int64_t *out,
                  struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, arg, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        *out = kv_stmt_col_int64(s, 0);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_EDB, "count returned no row");
    }
    kv_stmt_done(s);
    return rc;
}

int kv__id_org_kind(struct kv_db *db, const char *cvr, struct kv_err *err)
{
    int64_t n = 0;
    int rc = count1(db, SQL_ORG_IS, cvr, &n, err);

    if (rc < 0)
        return rc;
    if (n > 0)
        return 1;
    rc = count1(db, SQL_CO_IS, cvr, &n, err);
    if (rc < 0)
        return rc;
    return n > 0 ? 2 : 0;
}

int kv__rights_lock(struct kv_db *db, const char *cvr, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc, i;
    const char *sql[2] = {SQL_LOCK_INS, SQL_LOCK_UPD};

    for (i = 0; i < 2; i++) {
        rc = kv_db_prepare(db, sql[i], &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_text(s, 1, cvr, -1);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int kv__rights_guard(struct kv_db *db, const char *cvr, int64_t *before, struct kv_err *err)
{
    int rc = kv__rights_lock(db, cvr, err);

    if (rc == 0 && before)
        rc = kv_rights_count_admins(db, cvr, before, err);
    return rc;
}

/* ---- validation ---- */

int kv_identity_name_ok(const char *name)
{
    size_t n;
    const unsigned char *p;

    if (!name)
        return 0;
    n = strlen(name);
    if (n == 0 || n > KV_NAME_MAX)
        return 0;
    for (p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    for (p = (const unsigned char *)name; *p == ' '; p++)
        ;
    return *p != '\0';
}

int kv_identity_email_ok(const char *email)
{
    const char *at;
    const unsigned char *p;
    size_t n;

    if (!email)
        return 0;
    n = strlen(email);
    if (n < 3 || n > KV_EMAIL_MAX)
        return 0;
    at = strchr(email, '@');
    if (!at || at == email || at[1] == '\0' || strchr(at + 1, '@'))
        return 0;
    for (p = (const unsigned char *)email; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("<>()[],;:\\\"", *p))
            return 0;
    return 1;
}

int kv_identity_email_norm(const char *email, char *out, struct kv_err *err)
{
    size_t i;

    if (!kv_identity_email_ok(email))
        return kv_err_set(err, KV_EINVAL, "not a valid e-mail address");
    for (i = 0; email[i]; i++)
        out[i] = (char)tolower((unsigned char)email[i]);
    out[i] = '\0';
    return 0;
}

/* ---- persons ---- */

static void read_person(struct kv_stmt *s, struct kv_person *out)
{
    memset(out, 0, sizeof(*out));
    out->id = kv_stmt_col_int64(s, 0);
    kv__id_copy(out->name, sizeof(out->name), kv_stmt_col_text(s, 1));
    kv__id_copy(out->email, sizeof(out->email), kv_stmt_col_text(s, 2));
    kv__id_copy(out->cpr, sizeof(out->cpr), kv_stmt_col_text(s, 3));
    kv__id_copy(out->ext_id, sizeof(out->ext_id), kv_stmt_col_text(s, 4));
    kv__id_copy(out->status, sizeof(out->status), kv_stmt_col_text(s, 5));
    out->created_ms = kv_stmt_col_int64(s, 6);
}

static int person_query(struct kv_db *db, const char *sql, const char *text, int64_t id,
                        struct kv_person *out, const char *what, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    if (text)
        kv_stmt_bind_text(s, 1, text, -1);
    else
        kv_stmt_bind_int64(s, 1, id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        read_person(s, out);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no person with this %s", what);
    }
    kv_stmt_done(s);
    return rc;
}

int kv_person_get(struct kv_db *db, int64_t id, struct kv_person *out, struct kv_err *err)
{
    return person_query(db, SQL_P_GET, NULL, id, out, "id", err);
}

int kv_person_find_email(struct kv_db *db, const char *email, struct kv_person *out,
                         struct kv_err *err)
{
    char norm[KV_EMAIL_MAX + 1];

    if (kv_identity_email_norm(email, norm, NULL) < 0)
        return kv_err_set(err, KV_ENOTFOUND, "no person with this e-mail address");
    return person_query(db, SQL_P_EMAIL, norm, 0, out, "e-mail address", err);
}

int kv_person_find_cpr(struct kv_db *db, const char *cpr, struct kv_person *out,
                       struct kv_err *err)
{
    if (!cpr || !kv_cpr_valid(cpr))
        return kv_err_set(err, KV_ENOTFOUND, "no person with this CPR number");
    return person_query(db, SQL_P_CPR, cpr, 0, out, "CPR number", err);
}

int kv_person_find_ext_id(struct kv_db *db, const char *ext_id, struct kv_person *out,
                          struct kv_err *err)
{
    if (!ext_id || !*ext_id || strlen(ext_id) > KV_EXTID_MAX)
        return kv_err_set(err, KV_ENOTFOUND, "no person with this employee id");
    return person_query(db, SQL_P_EXT, ext_id, 0, out, "employee id", err);
}

static const char *nz(const char *s)
{
    return s && *s ? s : NULL;
}

/* Inserts p inside the caller's transaction (values already validated/normalised). */
static int person_insert(struct kv_db *db, struct kv_person *p, const char *actor,
                         struct kv_err *err)
{
    struct kv_stmt *s;
    int64_t taken = 0;
    int rc;

    rc = kv_db_prepare(db, SQL_P_TAKEN, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, nz(p->email), -1);
    kv_stmt_bind_text(s, 2, nz(p->cpr), -1);
    kv_stmt_bind_text(s, 3, nz(p->ext_id), -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        taken = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (taken > 0)
        return kv_err_set(err, KV_ECONFLICT,
                          "a person with this e-mail address, CPR number or employee id exists");
    p->created_ms = kv_clock_now_ms();
    rc = kv_db_prepare(db, SQL_P_ADD, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, p->name, -1);
    kv_stmt_bind_text(s, 2, nz(p->email), -1);
    kv_stmt_bind_text(s, 3, nz(p->cpr), -1);
    kv_stmt_bind_text(s, 4, nz(p->ext_id), -1);
    kv_stmt_bind_int64(s, 5, p->created_ms);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        p->id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc == KV_ECONFLICT ? kv_err_set(err, KV_ECONFLICT, "the person exists") : rc;
    kv__id_copy(p->status, sizeof(p->status), "ACTIVE");
    return kv__id_event(db, "IDENTITY_CREATED", actor, NULL,
                        json_pack("{s:I}", "personId", (json_int_t)p->id), err);
}

/* Validates and normalises the identifying fields of p in place. */
static int person_check(struct kv_person *p, struct kv_err *err)
{
    char norm[KV_EMAIL_MAX + 1];

    if (!kv_identity_name_ok(p->name))
        return kv_err_set(err, KV_EINVAL, "a name is 1-%d characters without control characters",
                          KV_NAME_MAX);
    if (p->email[0]) {
        if (kv_identity_email_norm(p->email, norm, err) < 0)
            return KV_EINVAL;
        kv__id_copy(p->email, sizeof(p->email), norm);
    }
    if (p->cpr[0] && !kv_cpr_valid(p->cpr))
        return kv_err_set(err, KV_EINVAL, "a CPR number is 10 digits starting with a real date");
    if (!p->email[0] && !p->cpr[0] && !p->ext_id[0])
        return kv_err_set(err, KV_EINVAL, "a person needs an e-mail address, a CPR number or an"
                                          " employee id");
    return 0;
}

int kv_person_add(struct kv_db *db, struct kv_person *p, const char *actor, struct kv_err *err)
{
    int rc = person_check(p, err);

    if (rc < 0)
        return rc;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = person_insert(db, p, actor, err);
    return kv_db_end(db, rc, err);
}

/* ---- employees ---- */

static void read_employee(struct kv_stmt *s, struct kv_employee *out)
{
    memset(out, 0, sizeof(*out));
    out->id = kv_stmt_col_int64(s, 0);
    out->person_id = kv_stmt_col_int64(s, 1);
    kv__id_copy(out->org_cvr, sizeof(out->org_cvr), kv_stmt_col_text(s, 2));
    kv__id_copy(out->status, sizeof(out->status), kv_stmt_col_text(s, 3));
    out->created_ms = kv_stmt_col_int64(s, 4);
}

int kv_employee_get(struct kv_db *db, int64_t id, struct kv_employee *out, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_E_GET, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        read_employee(s, out);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no employee %lld", (long long)id);
    }
    kv_stmt_done(s);
    return rc;
}

int kv_employee_find(struct kv_db *db, int64_t person_id, const char *org_cvr,
                     struct kv_employee *out, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_E_FIND, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, person_id);
    kv_stmt_bind_text(s, 2, org_cvr, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        read_employee(s, out);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "not an employee of %s", org_cvr);
    }
    kv_stmt_done(s);
    return rc;
}

static int employee_insert(struct kv_db *db, int64_t person_id, const char *org_cvr,
                           const char *actor, struct kv_employee *out, struct kv_err *err)
{
    struct kv_employee e;
    struct kv_stmt *s;
    char subject[16];
    int rc;

    if (!org_cvr || !kv_cvr_valid(org_cvr))
        return kv_err_set(err, KV_EINVAL, "a CVR number is 8 digits");
    rc = kv__id_org_kind(db, org_cvr, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return kv_err_set(err, KV_ENOTFOUND,
                          "no organisation or company with CVR %s (kuvert org add)", org_cvr);
    rc = kv_employee_find(db, person_id, org_cvr, &e, NULL);
    if (rc == 0)
        return kv_err_set(err, KV_ECONFLICT, "already an employee of %s", org_cvr);
    rc = kv__rights_lock(db, org_cvr, err);
    if (rc < 0)
        return rc;
    memset(&e, 0, sizeof(e));
    e.person_id = person_id;
    kv__id_copy(e.org_cvr, sizeof(e.org_cvr), org_cvr);
    kv__id_copy(e.status, sizeof(e.status), "ACTIVE");
    e.created_ms = kv_clock_now_ms();
    rc = kv_db_prepare(db, SQL_E_ADD, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, person_id);
    kv_stmt_bind_text(s, 2, org_cvr, -1);
    kv_stmt_bind_int64(s, 3, e.created_ms);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        e.id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    snprintf(subject, sizeof(subject), "cvr:%s", org_cvr);
    rc = kv__id_event(db, "EMPLOYEE_ADDED", actor, subject,
                      json_pack("{s:I,s:I}", "personId", (json_int_t)person_id, "employeeId",
                                (json_int_t)e.id),
                      err);
    if (rc == 0 && out)
        *out = e;
    return rc;
}

int kv_employee_add(struct kv_db *db, int64_t person_id, const char *org_cvr, const char *actor,
                    int in_txn, struct kv_employee *out, struct kv_err *err)
{
    struct kv_person p;
    int rc;

    if (!in_txn) {
        rc = kv_db_begin(db, err);
        if (rc < 0)
            return rc;
    }
    rc = kv_person_get(db, person_id, &p, err);
    if (rc == 0)
        rc = employee_insert(db, person_id, org_cvr, actor, out, err);
    if (!in_txn) {
        if (rc == 0)
            rc = kv_db_commit(db, err);
        if (rc < 0)
            kv_db_rollback(db);
    }
    return rc;
}

/* What kv_employee_set_active runs on (kv_db_run's argument). */
struct active_run {
    int64_t employee_id;
    int active;
    const char *actor;
};

static int set_active_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct active_run *r = arg;
    struct kv_employee e;
    struct kv_stmt *s;
    int64_t before = 0, employee_id = r->employee_id;
    int active = r->active, rc;
    const char *actor = r->actor;
    char subject[16];

    rc = kv_employee_get(db, employee_id, &e, err);
    if (rc < 0)
        goto out;
    rc = kv__rights_guard(db, e.org_cvr, &before, err);
    if (rc == 0)
        rc = kv_employee_get(db, employee_id, &e, err);
    if (rc < 0)
        goto out;
    if (strcmp(e.status, active ? "ACTIVE" : "INACTIVE") == 0) {
        rc = kv_err_set(err, KV_ECONFLICT, "the employee is %s already",
                        active ? "active" : "inactive");
        goto out;
    }
    rc = kv_db_prepare(db, SQL_E_STATUS, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, active ? "ACTIVE" : "INACTIVE", -1);
    kv_stmt_bind_int64(s, 2, employee_id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (!active) {
        rc = kv__rights_check_admins(db, e.org_cvr, before, "deactivating this employee", err);
        if (rc < 0)
            goto out;
    }
    snprintf(subject, sizeof(subject), "cvr:%s", e.org_cvr);
    rc = kv__id_event(db, active ? "IDENTITY_REACTIVATED" : "IDENTITY_DEACTIVATED", actor,
                      subject,
                      json_pack("{s:I,s:I}", "personId", (json_int_t)e.person_id, "employeeId",
                                (json_int_t)e.id),
                      err);
out:
    return rc;
}

/* Concurrent (docs/postgresql.md "Writes without the global lock"): the employee's
 * organisation never changes; its status and the administrators are read again after the
 * organisation's org_rights lock, which every change of its rights takes first. Run by
 * kv_db_run: a deadlock or serialization failure runs it again. */
int kv_employee_set_active(struct kv_db *db, int64_t employee_id, int active, const char *actor,
                           struct kv_err *err)
{
    struct active_run r = {employee_id, active, actor};

    return kv_db_run(db, 1, set_active_tx, &r, err);
}

int kv_identity_add_employee(struct kv_db *db, const char *org_cvr, const char *name,
                             const char *email, const char *cpr, const char *const *rights,
                             size_t n_rights, const char *actor, struct kv_person *out_person,
                             struct kv_employee *out_employee, struct kv_err *err)
{
    struct kv_person p, found;
    struct kv_employee e;
    struct kv_grant g;
    size_t i;
    int rc;

    memset(&p, 0, sizeof(p));
    if (!email || !*email)
        return kv_err_set(err, KV_EINVAL, "an employee needs an e-mail address");
    kv__id_copy(p.name, sizeof(p.name), name);
    if (name && strlen(name) > KV_NAME_MAX)
        return kv_err_set(err, KV_EINVAL, "a name is at most %d bytes", KV_NAME_MAX);
    if (strlen(email) > KV_EMAIL_MAX)
        return kv_err_set(err, KV_EINVAL, "not a valid e-mail address");
    kv__id_copy(p.email, sizeof(p.email), email);
    kv__id_copy(p.cpr, sizeof(p.cpr), cpr);
    if (cpr && strlen(cpr) != 10)
        return kv_err_set(err, KV_EINVAL, "a CPR number is 10 digits starting with a real date");
    rc = person_check(&p, err);
    if (rc < 0)
        return rc;
    for (i = 0; i < n_rights; i++)
        if (!kv_priv_find(rights[i]) || !(kv_priv_find(rights[i])->flags & KV_PRIV_F_ORG))
            return kv_err_set(err, KV_EINVAL, "unknown right \"%.64s\" (see docs/rights.md)",
                              rights[i]);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_person_find_email(db, p.email, &found, NULL);
    if (rc == 0) {
        p = found;
        if (p.cpr[0] && cpr && *cpr && strcmp(p.cpr, cpr) != 0) {
            rc = kv_err_set(err, KV_ECONFLICT, "%s belongs to a person with another CPR number",
                            p.email);
            goto out;
        }
    } else {
        rc = person_insert(db, &p, actor, err);
        if (rc < 0)
            goto out;
    }
    rc = employee_insert(db, p.id, org_cvr, actor, &e, err);
    for (i = 0; rc == 0 && i < n_rights; i++) {
        memset(&g, 0, sizeof(g));
        g.type = rights[i];
        g.scope_cvr = org_cvr;
        g.employee_id = e.id;
        g.issuer = actor;
        rc = kv_rights_grant(db, &g, 1, NULL, err);
    }
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0) {
        kv_db_rollback(db);
        return rc;
    }
    if (out_person)
        *out_person = p;
    if (out_employee)
        *out_employee = e;
    return 0;
}

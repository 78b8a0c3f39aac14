/* SPDX-License-Identifier: MIT
 *
 * testdata.c: the Testportal's test identities (see testdata.h, docs/testportal.md). A
 * creation first checks every field (numbers in the test ranges of util/testid.h, names,
 * status, e-mail, organisation, rights) and that nothing with that number or e-mail exists
 * yet, so bad input writes nothing; then it makes the mailbox / organisation / person /
 * employee through the directory and identity layers (each in its own transaction) and last,
 * in one transaction, records the test_identities row, marks the persons made as test data and
 * logs TEST_DATA_CREATED.
 */
#include "hub/testdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hub/directory.h"
#include "hub/events.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/testid.h"

#define RES "TestIdentity"
#define DRAWS 32 /* random numbers tried before giving up */

static const char *const KIND[] = {"CITIZEN", "COMPANY", "AUTHORITY", "EMPLOYEE"};

/* What a company user and an authority's first employee may do. */
static const char *const COMPANY_RIGHTS[] = {"ORGANISATION_USER_ADMINISTRATOR", "MESSAGE_BASIC",
                                             "MESSAGE_WRITE"};
static const char *const AUTHORITY_RIGHTS[] = {
    "ORGANISATION_USER_ADMINISTRATOR", "SYSTEM_MANAGER", "CONTACT_ADMINISTRATOR",
    "MESSAGE_BASIC", "MESSAGE_WRITE", "MESSAGE_LOG_ADMINISTRATOR"};

static const char SQL_LIST[] =
    "SELECT t.id, t.kind, t.number, t.name, COALESCE(t.org_cvr, ''), COALESCE(m.status, ''), "
    "COALESCE(p.email, p.cpr, ''), t.created_ms FROM test_identities t "
    "JOIN persons p ON p.id = t.person_id "
    "LEFT JOIN mailboxes m ON m.owner_id = t.number AND "
    "m.owner_type = CASE t.kind WHEN 'CITIZEN' THEN 'CPR' ELSE 'CVR' END "
    "WHERE t.owner_cvr = ? ORDER BY t.id DESC LIMIT ?";
static const char SQL_ORGS[] =
    "SELECT t.id, t.kind, t.number, t.name, '', '', '', t.created_ms FROM test_identities t "
    "WHERE t.owner_cvr = ? AND t.kind IN ('COMPANY', 'AUTHORITY') ORDER BY t.name, t.id LIMIT ?";
static const char SQL_GET[] =
    "SELECT t.id, t.kind, t.number, t.name, COALESCE(t.org_cvr, ''), COALESCE(m.status, ''), "
    "COALESCE(p.email, p.cpr, ''), t.created_ms FROM test_identities t "
    "JOIN persons p ON p.id = t.person_id "
    "LEFT JOIN mailboxes m ON m.owner_id = t.number AND "
    "m.owner_type = CASE t.kind WHEN 'CITIZEN' THEN 'CPR' ELSE 'CVR' END "
    "WHERE t.owner_cvr = ? AND t.id = ?";
static const char SQL_ORG_OF[] =
    "SELECT 1 FROM test_identities WHERE owner_cvr = ? AND number = ? "
    "AND kind IN ('COMPANY', 'AUTHORITY')";
static const char SQL_ADD[] =
    "INSERT INTO test_identities (kind, number, name, person_id, org_cvr, status, owner_cvr, "
    "created_by, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
static const char SQL_MARK[] = "UPDATE persons SET is_test = 1 WHERE id = ?";
static const char SQL_IS_TEST[] = "SELECT is_test, COALESCE(cpr, '') FROM persons WHERE id = ?";
static const char SQL_CVR_USED[] =
    "SELECT 1 FROM orgs WHERE cvr = ?1 UNION ALL "
    "SELECT 1 FROM mailboxes WHERE owner_type = 'CVR' AND owner_id = ?1";

const char *kv_testdata_kind_name(enum kv_testdata_kind kind)
{
    return (unsigned)kind < 4 ? KIND[kind] : "";
}

static int kind_of(const char *s)
{
    int k;

    for (k = 0; k < 4; k++)
        if (s && strcmp(s, KIND[k]) == 0)
            return k;
    return 0;
}

static void row_of(struct kv_stmt *s, struct kv_testdata *t)
{
    memset(t, 0, sizeof(*t));
    t->id = kv_stmt_col_int64(s, 0);
    t->kind = (enum kv_testdata_kind)kind_of(kv_stmt_col_text(s, 1));
    kv_str_copy(t->number, sizeof(t->number), kv_stmt_col_text(s, 2));
    kv_str_copy(t->name, sizeof(t->name), kv_stmt_col_text(s, 3));
    kv_str_copy(t->org_cvr, sizeof(t->org_cvr), kv_stmt_col_text(s, 4));
    kv_str_copy(t->status, sizeof(t->status), kv_stmt_col_text(s, 5));
    kv_str_copy(t->login, sizeof(t->login), kv_stmt_col_text(s, 6));
    t->created_ms = kv_stmt_col_int64(s, 7);
}

static int list(struct kv_db *db, const char *sql, const char *owner_cvr,
                struct kv_testdata *out, size_t max, size_t *out_n, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    *out_n = 0;
    if (max > KV_TESTDATA_LIST_MAX)
        max = KV_TESTDATA_LIST_MAX;
    rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner_cvr, -1);
    kv_stmt_bind_int64(s, 2, (int64_t)max);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW && *out_n < max)
        row_of(s, &out[(*out_n)++]);
    kv_stmt_done(s);
    return rc == KV_ROW || rc == KV_DONE ? 0 : rc;
}

int kv_testdata_list(struct kv_db *db, const char *owner_cvr, struct kv_testdata *out,
                     size_t max, size_t *out_n, struct kv_err *err)
{
    return list(db, SQL_LIST, owner_cvr, out, max, out_n, err);
}

int kv_testdata_orgs(struct kv_db *db, const char *owner_cvr, struct kv_testdata *out,
                     size_t max, size_t *out_n, struct kv_err *err)
{
    return list(db, SQL_ORGS, owner_cvr, out, max, out_n, err);
}

int kv_testdata_get(struct kv_db *db, const char *owner_cvr, int64_t id, struct kv_testdata *out,
                    struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_prepare(db, SQL_GET, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner_cvr, -1);
    kv_stmt_bind_int64(s, 2, id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        row_of(s, out);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no such test identity");
    }
    kv_stmt_done(s);
    return rc;
}

int kv_testdata_person_is_test(struct kv_db *db, int64_t person_id, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_prepare(db, SQL_IS_TEST, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, person_id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        rc = kv_stmt_col_int64(s, 0) != 0 || kv_testid_cpr(kv_stmt_col_text(s, 1));
    else if (rc == KV_DONE)
        rc = 0;
    kv_stmt_done(s);
    return rc;
}

int kv_testdata_log(struct kv_db *db, const char *tag, const char *actor, const char *subject,
                    const char *props_json, struct kv_err *err)
{
    struct kv_event ev;
    int rc;

    memset(&ev, 0, sizeof(ev));
    ev.tag = tag;
    ev.actor = actor;
    ev.subject = subject;
    ev.props_json = props_json;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_events_append(db, &ev, err);
    return kv_db_end(db, rc, err);
}

/* ---- creation ---- */

static int rnd(unsigned mod)
{
    uint32_t r = 0;

    if (kv_random_bytes(&r, sizeof(r)) < 0)
        return -1;
    return (int)(r % mod);
}

/* A random test CPR (day 92..99) or test CVR (leading 0) into out. */
static int draw(int cpr, char *out, size_t n)
{
    int a = rnd(8), b = rnd(12), c = rnd(100), d = rnd(10000), e = rnd(10000000);

    if (a < 0 || b < 0 || c < 0 || d < 0 || e < 0)
        return -1;
    if (cpr)
        snprintf(out, n, "%02d%02d%02d%04d", 92 + a, 1 + b, c, d);
    else
        snprintf(out, n, "0%07d", e);
    return 0;
}

/* 1 when the CPR has a mailbox or a person, or the CVR an organisation or a mailbox. */
static int number_used(struct kv_db *db, int cpr, const char *number, struct kv_err *err)
{
    struct kv_mailbox mb;
    struct kv_person p;
    struct kv_stmt *s = NULL;
    int rc;

    if (cpr) {
        rc = kv_mailbox_find(db, "CPR", number, &mb, err);
        if (rc != KV_ENOTFOUND)
            return rc < 0 ? rc : 1;
        rc = kv_person_find_cpr(db, number, &p, err);
        return rc == KV_ENOTFOUND ? 0 : rc < 0 ? rc : 1;
    }
    rc = kv_db_prepare(db, SQL_CVR_USED, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, number, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc == KV_ROW ? 1 : rc == KV_DONE ? 0 : rc;
}

static void field(struct kv_problem *p, const char *f, const char *code, const char *msg,
                  const char *rejected)
{
    kv_problem_field(p, RES, f, code, msg, rejected);
}

/* The checks of every field; the number (drawn when empty) into number, the e-mail (made up
 * when empty, lower-cased) into email. 0, KV_EINVAL with p's fields, or a store error. */
static int check(struct kv_db *db, const char *owner_cvr, const struct kv_testdata_input *in,
                 char number[16], char email[KV_EMAIL_MAX + 1], struct kv_problem *p,
                 struct kv_err *err)
{
    int cpr = in->kind == KV_TEST_CITIZEN, org = in->kind != KV_TEST_EMPLOYEE, rc, i;
    const char *st = in->status && *in->status ? in->status : "REGISTERED";
    struct kv_person found;
    struct kv_stmt *s = NULL;
    char rnd_mail[40];
    size_t k;

    number[0] = email[0] = '\0';
    if (!in->name || !*in->name || !kv_identity_name_ok(in->name))
        field(p, "name", "INVALID_NAME", "must be given: at most 256 characters, no control "
              "characters", in->name);
    if (org && in->number && *in->number) {
        if (cpr ? !kv_testid_cpr(in->number) : !kv_testid_cvr(in->number))
            field(p, "number", cpr ? "NOT_A_TEST_CPR" : "NOT_A_TEST_CVR",
                  cpr ? "must be a test CPR number: 10 digits with day of month 92 to 99"
                      : "must be a test CVR number: 8 digits starting with 0",
                  in->number);
        else if ((rc = number_used(db, cpr, in->number, err)) != 0) {
            if (rc < 0)
                return rc;
            field(p, "number", "NUMBER_IN_USE", "is already in use", in->number);
        } else {
            kv_str_copy(number, 16, in->number);
        }
    } else if (org) {
        for (i = 0; i < DRAWS && !number[0]; i++) {
            if (draw(cpr, number, 16) < 0)
                return kv_err_set(err, KV_EINTERNAL, "no random bytes for a test number");
            rc = number_used(db, cpr, number, err);
            if (rc < 0)
                return rc;
            if (rc)
                number[0] = '\0';
        }
        if (!number[0])
            return kv_err_set(err, KV_EINTERNAL, "no free test number found");
    }
    if ((in->kind == KV_TEST_CITIZEN || in->kind == KV_TEST_COMPANY) &&
        strcmp(st, "REGISTERED") != 0 && strcmp(st, "EXEMPT") != 0 && strcmp(st, "CLOSED") != 0)
        field(p, "status", "INVALID_STATUS", "must be REGISTERED, EXEMPT or CLOSED", st);
    if (in->kind == KV_TEST_EMPLOYEE) {
        if (in->email && *in->email) {
            if (kv_identity_email_norm(in->email, email, NULL) < 0)
                field(p, "email", "INVALID_EMAIL", "must be an e-mail address", in->email);
        } else {
            if (draw(0, rnd_mail, sizeof(rnd_mail)) < 0)
                return kv_err_set(err, KV_EINTERNAL, "no random bytes for an e-mail");
            snprintf(email, KV_EMAIL_MAX + 1, "test-%s@testportal.invalid", rnd_mail + 1);
        }
        if (email[0]) {
            rc = kv_person_find_email(db, email, &found, err);
            if (rc == 0)
                field(p, "email", "EMAIL_IN_USE", "is already in use", email);
            else if (rc != KV_ENOTFOUND)
                return rc;
        }
        rc = kv_db_prepare(db, SQL_ORG_OF, &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_text(s, 1, owner_cvr, -1);
        kv_stmt_bind_text(s, 2, in->org_cvr ? in->org_cvr : "", -1);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        if (rc != KV_ROW)
            field(p, "org", "NOT_A_TEST_ORGANISATION",
                  "must be a test company or test authority made here", in->org_cvr);
        for (k = 0; k < in->n_rights; k++)
            if (!kv_priv_find(in->rights[k]) ||
                !(kv_priv_find(in->rights[k])->flags & KV_PRIV_F_ORG))
                field(p, "rights", "UNKNOWN_RIGHT", "must be rights of an organisation",
                      in->rights[k]);
    }
    if (p->n_fields)
        return kv_problem_set(p, KV_EINVAL, "INVALID_FIELD", "the test identity has %zu "
                              "error%s", p->n_fields, p->n_fields == 1 ? "" : "s");
    return 0;
}

/* The test_identities row, the persons' marks and the event, in one transaction. */
static int record(struct kv_db *db, const char *owner_cvr, const char *actor,
                  const struct kv_testdata_input *in, const char *number, int64_t person_id,
                  const char *status, struct kv_testdata *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_event ev;
    char subject[300], *props = NULL;
    json_t *pj;
    int64_t now = kv_clock_now_ms();
    int rc;

    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, KIND[in->kind], -1);
    kv_stmt_bind_text(s, 2, number, -1);
    kv_stmt_bind_text(s, 3, in->name, -1);
    kv_stmt_bind_int64(s, 4, person_id);
    kv_stmt_bind_text(s, 5, in->kind == KV_TEST_EMPLOYEE ? in->org_cvr : NULL, -1);
    kv_stmt_bind_text(s, 6, status, -1);
    kv_stmt_bind_text(s, 7, owner_cvr, -1);
    kv_stmt_bind_text(s, 8, actor, -1);
    kv_stmt_bind_int64(s, 9, now);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        out->id = kv_stmt_col_int64(s, 0);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_EDB, "test identity not recorded");
    }
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, SQL_MARK, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, person_id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    rc = 0;
    if (in->kind == KV_TEST_EMPLOYEE)
        snprintf(subject, sizeof(subject), "person:%lld", (long long)person_id);
    else
        snprintf(subject, sizeof(subject), "%s:%s", in->kind == KV_TEST_CITIZEN ? "cpr" : "cvr",
                 number);
    pj = json_pack("{s:s,s:s,s:s,s:s?,s:s?}", "kind", KIND[in->kind], "number", number, "name",
                   in->name, "org", in->kind == KV_TEST_EMPLOYEE ? in->org_cvr : NULL, "status",
                   status);
    props = pj ? json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(pj);
    memset(&ev, 0, sizeof(ev));
    ev.tag = "TEST_DATA_CREATED";
    ev.actor = actor;
    ev.subject = subject;
    ev.props_json = props;
    rc = kv_events_append(db, &ev, err);
    free(props);
out:
    rc = kv_db_end(db, rc, err);
    if (rc == 0) {
        out->kind = in->kind;
        kv_str_copy(out->number, sizeof(out->number), number);
        kv_str_copy(out->name, sizeof(out->name), in->name);
        kv_str_copy(out->status, sizeof(out->status), status ? status : "");
        out->created_ms = now;
    }
    return rc;
}

int kv_testdata_create(struct kv_db *db, const char *owner_cvr, const char *actor,
                       const struct kv_testdata_input *in, struct kv_testdata *out,
                       struct kv_problem *p, struct kv_err *err)
{
    char number[16], email[KV_EMAIL_MAX + 1];
    const char *st = in->status && *in->status ? in->status : "REGISTERED";
    struct kv_mailbox mb;
    struct kv_person person;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&person, 0, sizeof(person));
    if ((unsigned)in->kind > KV_TEST_EMPLOYEE)
        return kv_err_set(err, KV_EINVAL, "unknown kind of test identity");
    rc = check(db, owner_cvr, in, number, email, p, err);
    if (rc < 0)
        return rc == KV_EINVAL && p->kind ? kv_err_set(err, KV_EINVAL, "%s", p->message) : rc;
    if (in->kind == KV_TEST_CITIZEN || in->kind == KV_TEST_COMPANY) {
        memset(&mb, 0, sizeof(mb));
        kv_str_copy(mb.owner_type, sizeof(mb.owner_type),
                    in->kind == KV_TEST_CITIZEN ? "CPR" : "CVR");
        kv_str_copy(mb.owner_id, sizeof(mb.owner_id), number);
        kv_str_copy(mb.name, sizeof(mb.name), in->name);
        kv_str_copy(mb.status, sizeof(mb.status), strcmp(st, "EXEMPT") == 0 ? "EXEMPT"
                                                                            : "REGISTERED");
        if (strcmp(st, "EXEMPT") == 0)
            kv_str_copy(mb.address, sizeof(mb.address), "Testvej 1, 9999 Testby");
        rc = kv_mailbox_add(db, &mb, err);
        if (rc < 0)
            return rc;
    }
    switch (in->kind) {
    case KV_TEST_CITIZEN:
        kv_str_copy(person.name, sizeof(person.name), in->name);
        kv_str_copy(person.cpr, sizeof(person.cpr), number);
        rc = kv_person_add(db, &person, actor, err);
        break;
    case KV_TEST_COMPANY:
        snprintf(email, sizeof(email), "virksomhed-%s@testportal.invalid", number);
        rc = kv_identity_add_employee(db, number, in->name, email, NULL, COMPANY_RIGHTS,
                                      sizeof(COMPANY_RIGHTS) / sizeof(COMPANY_RIGHTS[0]), actor,
                                      &person, NULL, err);
        break;
    case KV_TEST_AUTHORITY:
        rc = kv_org_add(db, number, in->name, err);
        snprintf(email, sizeof(email), "myndighed-%s@testportal.invalid", number);
        if (rc == 0)
            rc = kv_identity_add_employee(db, number, in->name, email, NULL, AUTHORITY_RIGHTS,
                                          sizeof(AUTHORITY_RIGHTS) / sizeof(AUTHORITY_RIGHTS[0]),
                                          actor, &person, NULL, err);
        st = NULL;
        break;
    case KV_TEST_EMPLOYEE:
        kv_str_copy(number, sizeof(number), "");
        rc = kv_identity_add_employee(db, in->org_cvr, in->name, email, NULL,
                                      in->rights, in->n_rights, actor,
                                      &person, NULL, err);
        st = NULL;
        break;
    }
    if (rc == 0 && (in->kind == KV_TEST_CITIZEN || in->kind == KV_TEST_COMPANY) &&
        strcmp(st, "CLOSED") == 0)
        rc = kv_mailbox_close(db, in->kind == KV_TEST_CITIZEN ? "CPR" : "CVR", number, err);
    if (rc < 0)
        return rc;
    rc = record(db, owner_cvr, actor, in, in->kind == KV_TEST_EMPLOYEE ? email : number,
                person.id, st, out, err);
    if (rc == 0) {
        kv_str_copy(out->org_cvr, sizeof(out->org_cvr),
                    in->kind == KV_TEST_EMPLOYEE ? in->org_cvr : "");
        kv_str_copy(out->login, sizeof(out->login), in->kind == KV_TEST_CITIZEN ? number : email);
    }
    return rc;
}

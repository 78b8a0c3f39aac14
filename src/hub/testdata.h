/* SPDX-License-Identifier: MIT
 *
 * testdata.h: the Testportal's test identities (docs/testportal.md): test citizens (a test CPR
 * with a mailbox REGISTERED, EXEMPT or CLOSED), test companies (a test CVR with a mailbox and a
 * company user who signs in for it), test authorities (a test CVR in orgs with a
 * rettighedsadministrator) and test employees with rights in a test company or authority.
 * Numbers come from the ranges of util/testid.h (given, or drawn at random when left empty);
 * every row is recorded in test_identities under the organisation of the employee who made it
 * (owner_cvr: only that organisation lists it and signs in as it), every person made is marked
 * persons.is_test, and TEST_DATA_CREATED is logged with the employee as actor.
 *
 * Bad input is reported as fields of a struct kv_problem (field names as the Testportal's
 * forms name them) before anything is written.
 *
 * Ownership: plain values filled by the callee; connections borrowed. Thread-safe.
 */
#ifndef KV_HUB_TESTDATA_H
#define KV_HUB_TESTDATA_H

#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"
#include "util/err.h"
#include "util/problem.h"

struct kv_db;

enum kv_testdata_kind {
    KV_TEST_CITIZEN = 0,
    KV_TEST_COMPANY,
    KV_TEST_AUTHORITY,
    KV_TEST_EMPLOYEE
};

/* What a Testportal form asks for (texts borrowed; NULL or "" when not given). */
struct kv_testdata_input {
    enum kv_testdata_kind kind;
    const char *number;  /* CPR (citizen) or CVR (company, authority); "" = draw one */
    const char *name;    /* the citizen's, company's, authority's or employee's name */
    const char *status;  /* citizen, company: REGISTERED (default), EXEMPT or CLOSED */
    const char *email;   /* employee: e-mail to sign in by; "" = made up (.invalid) */
    const char *org_cvr; /* employee: a test company or authority of the owner */
    const char *const *rights; /* employee: privilege codes (rights.h), n_rights of them */
    size_t n_rights;
};

/* One test identity as listed. */
struct kv_testdata {
    int64_t id;
    enum kv_testdata_kind kind;
    char number[KV_EMAIL_MAX + 1]; /* CPR, CVR or e-mail */
    char name[KV_NAME_MAX + 1];
    char org_cvr[9];     /* employee: the organisation acted for */
    char status[12];     /* citizen, company: mailbox status now ("" if none) */
    char login[KV_EMAIL_MAX + 1]; /* the sign-in subject: a CPR, or an employee's e-mail */
    int64_t created_ms;
};

#define KV_TESTDATA_LIST_MAX 500

/* "CITIZEN", "COMPANY", "AUTHORITY", "EMPLOYEE". Static. */
const char *kv_testdata_kind_name(enum kv_testdata_kind kind);

/* Creates the test identity in (made by actor, an employee of owner_cvr). Bad input: KV_EINVAL
 * with p's fields (number, name, status, email, org, rights) and nothing written; a number or
 * e-mail already in use is a field error too. On success *out describes it. */
int kv_testdata_create(struct kv_db *db, const char *owner_cvr, const char *actor,
                       const struct kv_testdata_input *in, struct kv_testdata *out,
                       struct kv_problem *p, struct kv_err *err);

/* The test identities owner_cvr made, newest first, at most max into out. */
int kv_testdata_list(struct kv_db *db, const char *owner_cvr, struct kv_testdata *out,
                     size_t max, size_t *out_n, struct kv_err *err);
/* The test companies and authorities owner_cvr made (an employee's organisation choice). */
int kv_testdata_orgs(struct kv_db *db, const char *owner_cvr, struct kv_testdata *out,
                     size_t max, size_t *out_n, struct kv_err *err);
/* Test identity id of owner_cvr; KV_ENOTFOUND for another organisation's or none. */
int kv_testdata_get(struct kv_db *db, const char *owner_cvr, int64_t id, struct kv_testdata *out,
                    struct kv_err *err);

/* Appends event tag (TEST_IDENTITY_SIGNED_IN_AS, TEST_CLOCK_ADVANCED, ...) with actor,
 * subject (may be NULL) and props (a JSON object text, may be NULL) in its own transaction. */
int kv_testdata_log(struct kv_db *db, const char *tag, const char *actor, const char *subject,
                    const char *props_json, struct kv_err *err);

/* 1 when person_id is test data (persons.is_test, or a test CPR); 0 when not; negative on a
 * store error. A server without --test-login lets no such person sign in or act. */
int kv_testdata_person_is_test(struct kv_db *db, int64_t person_id, struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * identity.h: who is asking. A person (citizen or employee, table persons) is known by
 * e-mail, CPR and/or the identity provider's employee id; an employee is a person acting
 * for an organisation (table employees: person x CVR; a CVR in `orgs` makes an authority's
 * employee, any other CVR a company user). struct kv_principal is the authenticated caller of
 * one request -- a person in one organisation context, a system, the operator, or nobody --
 * with the privileges it holds in that context (rights.h), which the one authorisation
 * function (authz.h) decides on. docs/rights.md explains the model.
 *
 * All functions take a borrowed connection; writes run their own transaction and append
 * their event (IDENTITY_CREATED, EMPLOYEE_ADDED, IDENTITY_DEACTIVATED, ...) there, unless
 * marked "inside the caller's transaction". Structs are plain values filled by the callee.
 */
#ifndef KV_IDENTITY_IDENTITY_H
#define KV_IDENTITY_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_db;

#define KV_NAME_MAX 256  /* bytes of a person's or group's name */
#define KV_EMAIL_MAX 254 /* bytes of an e-mail address */
#define KV_EXTID_MAX 128 /* bytes of an identity provider's employee id */

enum kv_principal_kind {
    KV_PRINCIPAL_NONE = 0,     /* not signed in */
    KV_PRINCIPAL_CITIZEN,      /* a person acting for themself (CPR) */
    KV_PRINCIPAL_COMPANY_USER, /* a person acting for a company (CVR not in orgs) */
    KV_PRINCIPAL_EMPLOYEE,     /* a person acting for an authority (CVR in orgs) */
    KV_PRINCIPAL_SYSTEM,       /* a sender or recipient system (API token) */
    KV_PRINCIPAL_ADMIN         /* the operator (admin token, the CLI) */
};

struct kv_principal {
    enum kv_principal_kind kind;
    int64_t person_id;        /* persons.id; 0 for systems, admin, nobody */
    char name[KV_NAME_MAX + 1];
    char email[KV_EMAIL_MAX + 1]; /* "" when unknown */
    char cpr[11];             /* "" when unknown */
    char org_cvr[9];          /* context: the CVR acted for (employee, company user), a
                                 system's organisation; "" for citizens, admin, nobody */
    char system_id[37];       /* system principals */
    char system_kind[12];     /* "sender" | "recipient" */
    uint32_t privs;           /* privilege types held in org_cvr (citizens: in the mailbox
                                 shown -- their own, or mbox_*), bit (1u << enum kv_priv), as
                                 loaded */
    char mbox_type[4];        /* a citizen acting as a helper in another's mailbox (read or
                                 read-write access, rights.h): its owner type "CPR"/"CVR";
                                 "" when in their own mailbox */
    char mbox_id[11];         /* that owner's number */
    int64_t loaded_ms;        /* when privs was computed */
};

struct kv_person {
    int64_t id;
    char name[KV_NAME_MAX + 1];
    char email[KV_EMAIL_MAX + 1]; /* "" if none */
    char cpr[11];                 /* "" if none */
    char ext_id[KV_EXTID_MAX + 1]; /* "" if none */
    char status[10];              /* "ACTIVE" | "INACTIVE" */
    int64_t created_ms;
};

struct kv_employee {
    int64_t id;            /* employees.id */
    int64_t person_id;
    char org_cvr[9];
    char status[10];       /* "ACTIVE" | "INACTIVE" */
    int64_t created_ms;
};

/* Validation: a name is 1..KV_NAME_MAX bytes of UTF-8 without control characters; an e-mail
 * is 3..KV_EMAIL_MAX bytes, one '@' with text on both sides, no space, control or any of
 * <>()[],;:\" . Each returns 1 when valid. */
int kv_identity_name_ok(const char *name);
int kv_identity_email_ok(const char *email);
/* Lowercases an e-mail into out (KV_EMAIL_MAX + 1 bytes); KV_EINVAL when invalid. */
int kv_identity_email_norm(const char *email, char *out, struct kv_err *err);

/* Persons. kv_person_add creates one (email, cpr, ext_id may be NULL/"" but not all three);
 * KV_ECONFLICT when any of them already belongs to someone, KV_EINVAL on bad values. Event
 * IDENTITY_CREATED. p->id is written back. */
int kv_person_add(struct kv_db *db, struct kv_person *p, const char *actor, struct kv_err *err);
int kv_person_get(struct kv_db *db, int64_t id, struct kv_person *out, struct kv_err *err);
/* Lookups for sign-in (case-insensitive e-mail; CPR as 10 digits; provider id exact).
 * KV_ENOTFOUND when nobody has it. Inactive persons are found too (check status). */
int kv_person_find_email(struct kv_db *db, const char *email, struct kv_person *out,
                         struct kv_err *err);
int kv_person_find_cpr(struct kv_db *db, const char *cpr, struct kv_person *out,
                       struct kv_err *err);
int kv_person_find_ext_id(struct kv_db *db, const char *ext_id, struct kv_person *out,
                          struct kv_err *err);

/* Employees. kv_employee_add makes person an employee of org_cvr (an organisation in orgs or
 * a company with a CVR mailbox; KV_ENOTFOUND otherwise; KV_ECONFLICT when already one). Event
 * EMPLOYEE_ADDED. out (may be NULL) is filled. Inside the caller's transaction when
 * in_txn is 1. */
int kv_employee_add(struct kv_db *db, int64_t person_id, const char *org_cvr, const char *actor,
                    int in_txn, struct kv_employee *out, struct kv_err *err);
int kv_employee_get(struct kv_db *db, int64_t id, struct kv_employee *out, struct kv_err *err);
int kv_employee_find(struct kv_db *db, int64_t person_id, const char *org_cvr,
                     struct kv_employee *out, struct kv_err *err);
/* Deactivates or reactivates an employee (IDENTITY_DEACTIVATED / IDENTITY_REACTIVATED).
 * Deactivating the organisation's last rettighedsadministrator is refused (KV_ECONFLICT). */
int kv_employee_set_active(struct kv_db *db, int64_t employee_id, int active, const char *actor,
                           struct kv_err *err);

/* "user add" in one transaction: finds the person by e-mail or creates them (name; cpr may
 * be NULL), makes them an employee of org_cvr, and grants each of the n_rights privilege
 * type names in rights (scope org_cvr, no expiry). Any failure changes nothing. out_person /
 * out_employee (may be NULL) are filled. */
int kv_identity_add_employee(struct kv_db *db, const char *org_cvr, const char *name,
                             const char *email, const char *cpr, const char *const *rights,
                             size_t n_rights, const char *actor, struct kv_person *out_person,
                             struct kv_employee *out_employee, struct kv_err *err);

/* Principals. */
/* The principal of a person acting in context org_cvr (NULL or "" = as themself, a citizen
 * principal when the person has a CPR): checks that the person is ACTIVE and holds the
 * context (an active employee of org_cvr, or holding an active privilege scoped to it) and
 * loads privs at now. KV_EPERM when the context is not theirs, KV_ENOTFOUND for no person. */
int kv_principal_for_person(struct kv_db *db, int64_t person_id, const char *org_cvr,
                            struct kv_principal *out, struct kv_err *err);
/* The organisations the person may act for (context switcher): their active employments and
 * every CVR in which they hold an active privilege, sorted by CVR, at most max; *out_n gets
 * how many were written. Each entry is 9 bytes (8 digits + NUL). */
int kv_principal_contexts(struct kv_db *db, int64_t person_id, char (*out)[9], size_t max,
                          size_t *out_n, struct kv_err *err);
/* Turns citizen principal p (kv_principal_for_person) into a helper acting in the mailbox of
 * owner_type/owner_id: privs become what the person's access there allows at now
 * (MAILBOX_READ, plus MAILBOX_READ_WRITE for read-write access) and mbox_* name the owner.
 * The person's own mailbox leaves p as it is. KV_EPERM when p is not a citizen or holds no
 * active access there (p unchanged). */
int kv_principal_enter_mailbox(struct kv_db *db, struct kv_principal *p, const char *owner_type,
                               const char *owner_id, struct kv_err *err);
/* Actor text for events: "employee:<person id>@<cvr>", "cpr:<cpr>", "person:<id>", the
 * system id, "admin", or "anonymous". out has n bytes. */
void kv_principal_actor(const struct kv_principal *p, char *out, size_t n);
/* Appends USER_SIGNED_IN (or USER_SIGNED_OUT when in is 0) for p with the sign-in method
 * ("oidc", "test") in its own transaction. */
int kv_principal_log_signin(struct kv_db *db, const struct kv_principal *p, const char *method,
                            int in, struct kv_err *err);
/* Short English name of a kind ("citizen", "employee", ...). Static. */
const char *kv_principal_kind_name(enum kv_principal_kind kind);

#endif

/* SPDX-License-Identifier: MIT
 *
 * rights.h: what a person may do. A privilege is one row of table privileges: a type (enum
 * kv_priv, the NgDP names of ../shared/docs/portals.md §3.1), a scope (an organisation's CVR,
 * or for mailbox access the owner's CPR/CVR), optionally narrowed to a contact group or point
 * (MESSAGE_* only), a grantee (an employee, a user group of the scope organisation, another
 * organisation's CVR -- an external partner, whose own rettighedsadministrator hands it on to
 * named employees --, or a person for mailbox access), an issuer, and an optional end
 * (active_to: the privilege lapses at that instant; a warning mail is queued
 * KV_RIGHTS_NOTIFY_BEFORE_MS earlier).
 *
 * Invariant: an organisation that has a rettighedsadministrator (ORGANISATION_USER_ADMINISTRATOR
 * held by an active employee, directly or through a user group) always keeps one whose right
 * has no end date. Every change that would break it -- revoking, giving an end date,
 * deactivating the employee, removing them from the group, deleting the group -- is refused
 * with KV_ECONFLICT and a message saying so; so expiry can never remove the last one either.
 * The check runs inside the change's write transaction after the org_rights row of the
 * organisation is updated, which serialises concurrent changes of one organisation on SQLite
 * (BEGIN IMMEDIATE) and on a row-locking backend alike.
 *
 * Every write runs its own transaction and appends its event there (PRIVILEGES_GRANTED,
 * PRIVILEGES_REVOKED, PRIVILEGES_EXPIRED, PRIVILEGE_EXPIRATION_NOTIFIED,
 * PRIVILEGE_GROUP_CREATED, ..., ACCESS_REQUEST_SUBMITTED|APPROVED|REJECTED) with the actor the
 * caller names (identity.h kv_principal_actor, "cli", "hub").
 */
#ifndef KV_IDENTITY_RIGHTS_H
#define KV_IDENTITY_RIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct kv_db;
struct kv_store;

enum kv_priv {
    KV_PRIV_ORGANISATION_USER_ADMINISTRATOR = 0, /* rettighedsadministrator */
    KV_PRIV_MESSAGE_BASIC,                       /* basisadgang: read the org's post */
    KV_PRIV_MESSAGE_WRITE,                       /* avanceret adgang: write, move, delete */
    KV_PRIV_SYSTEM_MANAGER,                      /* systemadministrator */
    KV_PRIV_CONTACT_ADMINISTRATOR,               /* kontaktstrukturadministrator */
    KV_PRIV_RECALL_ADMINISTRATOR,
    KV_PRIV_STATISTICS_ADMINISTRATOR,
    KV_PRIV_MESSAGE_LOG_ADMINISTRATOR,
    KV_PRIV_ORGANISATION_ADMINISTRATOR,
    KV_PRIV_CITIZEN_SERVICE_EMPLOYEE,
    KV_PRIV_BUSINESS_SERVICE_EMPLOYEE,
    KV_PRIV_TEST_PORTAL,
    KV_PRIV_MAILBOX_READ,       /* læseadgang to a person's mailbox (scope CPR/CVR) */
    KV_PRIV_MAILBOX_READ_WRITE, /* læse- og skriveadgang */
    KV_PRIV__COUNT
};

#define KV_PRIV_BIT(t) (1u << (unsigned)(t))
#define KV_RIGHTS_NOTIFY_BEFORE_MS (7LL * 24 * 3600 * 1000) /* warning mail before the end */

struct kv_priv_info {
    enum kv_priv type;
    const char *code;    /* "ORGANISATION_USER_ADMINISTRATOR" */
    const char *name_da; /* "Rettighedsadministrator" */
    const char *name_en; /* "Rights administrator" */
    const char *what_da; /* one line: what it allows */
    unsigned flags;      /* KV_PRIV_F_* */
};
#define KV_PRIV_F_ORG 0x1      /* scoped to an organisation (CVR) */
#define KV_PRIV_F_MAILBOX 0x2  /* a person's access to a mailbox (scope CPR/CVR, grantee person) */
#define KV_PRIV_F_NARROW 0x4   /* may be narrowed to a contact group or point */
#define KV_PRIV_F_PARTNER 0x8  /* may be granted to an external partner (CVR) */

/* The table, in enum order (KV_PRIV__COUNT entries). Static. */
const struct kv_priv_info *kv_priv_table(void);
/* Looks a type up by its code (exact, or case-insensitive); NULL when unknown. */
const struct kv_priv_info *kv_priv_find(const char *code);

/* One privilege as stored. */
struct kv_privilege {
    int64_t id;
    enum kv_priv type;
    char scope_type[4];      /* "CVR" | "CPR" */
    char scope_id[11];
    char narrow_type[16];    /* "" | "CONTACT_GROUP" | "CONTACT_POINT" */
    char narrow_id[64];
    char grantee_type[16];   /* "EMPLOYEE" | "GROUP" | "ORGANISATION" | "PERSON" */
    int64_t grantee_employee_id;
    int64_t grantee_group_id;
    char grantee_cvr[9];
    int64_t grantee_person_id;
    char source[12];         /* "DIRECT" | "APPOINTED" | "REQUEST" | "MANUAL" */
    int64_t parent_id;       /* 0 when none */
    char issuer[128];
    char status[10];         /* "ACTIVE" | "REVOKED" | "EXPIRED" */
    int64_t active_to_ms;    /* 0 = until revoked */
    int64_t created_ms;
};

/* What to grant. Exactly one grantee (employee_id, group_id, partner_cvr, person_id). */
struct kv_grant {
    const char *type;         /* privilege code */
    const char *scope_cvr;    /* organisation scope (org privileges) */
    const char *scope_type;   /* mailbox access: "CPR" | "CVR"; NULL for org privileges */
    const char *scope_id;     /* mailbox access: the owner */
    const char *narrow_type;  /* NULL | "CONTACT_GROUP" | "CONTACT_POINT" */
    const char *narrow_id;
    int64_t employee_id;
    int64_t group_id;
    const char *partner_cvr;
    int64_t person_id;
    int64_t parent_id;        /* hand-on of a partner's APPOINTED privilege; 0 = none */
    const char *source;       /* NULL = DIRECT (APPOINTED for partners) */
    int64_t active_to_ms;     /* 0 = until revoked; else must be in the future */
    const char *issuer;       /* actor */
};

/* Grants g. KV_EINVAL (bad type/scope/grantee/narrowing/end), KV_ENOTFOUND (no such
 * employee/group/org), KV_ECONFLICT (the same active privilege exists; an end date on the
 * organisation's first rettighedsadministrator). out_id (may be NULL) gets the id. Inside the
 * caller's transaction when in_txn is 1 (the caller must have called kv__rights_lock). */
int kv_rights_grant(struct kv_db *db, const struct kv_grant *g, int in_txn, int64_t *out_id,
                    struct kv_err *err);
/* Revokes privilege id (status REVOKED), and the privileges handed on from it. KV_ENOTFOUND,
 * KV_ECONFLICT when not active or when the invariant forbids it. */
int kv_rights_revoke(struct kv_db *db, int64_t id, const char *actor, struct kv_err *err);
/* Sets or clears (active_to_ms 0) the end of privilege id; the invariant applies. */
int kv_rights_set_end(struct kv_db *db, int64_t id, int64_t active_to_ms, const char *actor,
                      struct kv_err *err);
int kv_rights_get(struct kv_db *db, int64_t id, struct kv_privilege *out, struct kv_err *err);
/* The active direct privilege of type code held by employee in scope scope_cvr (not
 * narrowed); KV_ENOTFOUND when none. */
int kv_rights_find_direct(struct kv_db *db, int64_t employee_id, const char *scope_cvr,
                          const char *code, struct kv_privilege *out, struct kv_err *err);

/* "YYYY-MM-DD", the last day a right holds, to its end instant: the following midnight in
 * Europe/Copenhagen. KV_EINVAL for anything else (also impossible dates). */
int kv_rights_parse_until(const char *date, int64_t *out_ms);
/* The reverse for display: the last day a right ending at active_to_ms holds (out 11 bytes). */
void kv_rights_format_until(int64_t active_to_ms, char out[11]);

/* Privilege bits person holds at now_ms in organisation scope cvr (through their active
 * employments, user groups and hand-ons), or -- cvr NULL -- in their own mailbox (mailbox
 * access to others is asked with kv_rights_mailbox_level). */
int kv_rights_load(struct kv_db *db, int64_t person_id, const char *cvr, int64_t now_ms,
                   uint32_t *out, struct kv_err *err);
/* A person's access to the mailbox of owner (owner_type "CPR"/"CVR"): 2 read-write, 1 read,
 * 0 none, at now_ms. */
int kv_rights_mailbox_level(struct kv_db *db, int64_t person_id, const char *owner_type,
                            const char *owner_id, int64_t now_ms, int *out, struct kv_err *err);
/* The part of organisation cvr's mailbox person may see at now_ms (mailbox_scope.c): when
 * every active MESSAGE_BASIC they hold there (directly or through a user group) is narrowed
 * to a contact group or point, narrowed = 1 and points[] are the contact points named and
 * those of the groups named and their sub-groups (at most KV_SCOPE_POINTS_MAX; more stay
 * hidden); one unnarrowed MESSAGE_BASIC gives narrowed = 0 (the whole mailbox). */
#define KV_SCOPE_POINTS_MAX 32
struct kv_mailbox_scope {
    int narrowed;
    size_t n;
    char points[KV_SCOPE_POINTS_MAX][37];
};
int kv_rights_mailbox_scope(struct kv_db *db, int64_t person_id, const char *cvr,
                            int64_t now_ms, struct kv_mailbox_scope *out, struct kv_err *err);
/* Persons holding the organisation's rettighedsadministrator right without end date. */
int kv_rights_count_admins(struct kv_db *db, const char *cvr, int64_t *out, struct kv_err *err);

/* JSON views (owned, json_decref). kv_rights_list_org: {"org": cvr, "employees": [{employeeId,
 * personId, name, email, status, rights: [privilege...]}], "groups": [{groupId, name,
 * members: [employeeId...], rights: [...]}], "partners": [privilege...]} where a privilege is
 * {id, type, nameDa, scope, narrow?, grantee, source, via?, issuer, status, activeTo?, created}.
 * Only active privileges unless all is 1. */
int kv_rights_list_org(struct kv_db *db, const char *cvr, int all, json_t **out,
                       struct kv_err *err);
/* The active privileges other organisations appointed to partner cvr (JSON array of the
 * privilege objects above, each with "scopeName"), for handing on to its employees. */
int kv_rights_list_appointed(struct kv_db *db, const char *cvr, json_t **out, struct kv_err *err);
/* One privilege as the JSON object above. */
json_t *kv_rights_privilege_json(const struct kv_privilege *p);

/* User groups of an organisation. */
int kv_group_add(struct kv_db *db, const char *org_cvr, const char *name, const char *description,
                 const char *actor, int64_t *out_id, struct kv_err *err);
int kv_group_find(struct kv_db *db, const char *org_cvr, const char *name, int64_t *out_id,
                  struct kv_err *err);
int kv_group_member_add(struct kv_db *db, int64_t group_id, int64_t employee_id,
                        const char *actor, struct kv_err *err);
int kv_group_member_remove(struct kv_db *db, int64_t group_id, int64_t employee_id,
                           const char *actor, struct kv_err *err);

/* Requests: an employee (or helper) asks for a privilege; an administrator (or the mailbox
 * owner) approves -- which grants it with source REQUEST -- or rejects. */
int kv_request_submit(struct kv_db *db, int64_t person_id, const char *code, const char *scope_type,
                      const char *scope_id, int64_t active_to_ms, const char *note,
                      int64_t *out_id, struct kv_err *err);
int kv_request_decide(struct kv_db *db, int64_t request_id, int approve, const char *actor,
                      int64_t *out_privilege_id, struct kv_err *err);
/* Submitted requests for scope (JSON array of {id, personId, name, email, type, nameDa,
 * activeTo?, note, created}). */
int kv_request_list(struct kv_db *db, const char *scope_type, const char *scope_id, json_t **out,
                    struct kv_err *err);

/* Helpers (mailbox_access.c): read (MAILBOX_READ) or read-write (MAILBOX_READ_WRITE) access
 * to a person's mailbox. kv_request_mailbox_access: person_id asks for code in the mailbox of
 * the citizen with CPR cpr, whom they name by first and last name (compared with the first
 * and last word of the owner's registered name, ignoring ASCII case); active_to_ms 0 = until
 * revoked. KV_EINVAL for bad input or one's own mailbox; KV_ENOTFOUND "no mailbox matches"
 * alike for an unknown CPR, a closed mailbox and a wrong name; KV_ECONFLICT when the same
 * request waits already. Event ACCESS_REQUEST_SUBMITTED. The owner decides with
 * kv_request_decide; either side ends it with kv_rights_revoke (READ_ACCESS_DELETED, and
 * ACCESS_REQUEST_REVOKED for an access that came from a request). */
int kv_request_mailbox_access(struct kv_db *db, int64_t person_id, const char *first,
                              const char *last, const char *cpr, const char *code,
                              int64_t active_to_ms, int64_t *out_id, struct kv_err *err);
struct kv_request_info {
    int64_t id, person_id;  /* the request, the person who asked */
    char type[40];          /* privilege code */
    char scope_type[4];     /* "CVR" | "CPR" */
    char scope_id[11];
    int64_t active_to_ms;   /* 0 = until revoked */
    char state[12];         /* "SUBMITTED" | "APPROVED" | "REJECTED" | "WITHDRAWN" */
};
int kv_request_get(struct kv_db *db, int64_t id, struct kv_request_info *out,
                   struct kv_err *err);
/* What the mailbox access page shows person_id (owned JSON): {askedByMe: [...], held: [...]}
 * and, when owner_id is given (their own mailbox), {waitingForMe: [...], given: [...]}; each
 * entry {id (request or privilege id), name, number (CPR), type, nameDa, activeToMs?,
 * created, numberType? (held)}. Active accesses only. */
int kv_mailbox_access_view(struct kv_db *db, int64_t person_id, const char *owner_type,
                           const char *owner_id, json_t **out, struct kv_err *err);

/* Lapse: marks every ACTIVE privilege whose end has passed at now_ms EXPIRED (event
 * PRIVILEGES_EXPIRED, actor "hub") and queues the warning mail (kind PRIVILEGE_EXPIRY, event
 * PRIVILEGE_EXPIRATION_NOTIFIED) of those ending within KV_RIGHTS_NOTIFY_BEFORE_MS, to the
 * grantee (an employee's or person's e-mail; a group's members; a partner's
 * rettighedsadministratorer). At most 200 of each per call. *out_expired / *out_notified (may
 * be NULL) get the counts. */
int kv_rights_sweep(struct kv_db *db, int64_t now_ms, int *out_expired, int *out_notified,
                    struct kv_err *err);
/* Scheduler hook (arg: struct kv_hub *): kv_rights_sweep at the hub's clock. */
int kv_rights_hook(void *hub_arg);

#endif

/* SPDX-License-Identifier: MIT
 *
 * identity_int.h: helpers shared by the files of src/identity/ (person.c, principal.c,
 * privtype.c, grant.c, groups.c, requests.c, lapse.c, list.c). Not for use outside
 * src/identity/.
 */
#ifndef KV_IDENTITY_IDENTITY_INT_H
#define KV_IDENTITY_IDENTITY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct kv_db;
struct kv_stmt;
struct kv_privilege;

/* Copies a column (NULL reads as "") into dst of size n, truncating. */
void kv__id_copy(char *dst, size_t n, const char *src);

/* Appends an event inside the caller's transaction: tag, actor (NULL = "cli"), subject
 * (e.g. "cvr:12345678"), props (owned JSON object, consumed; may be NULL). */
int kv__id_event(struct kv_db *db, const char *tag, const char *actor, const char *subject,
                 json_t *props, struct kv_err *err);

/* Takes the organisation's rights lock inside the caller's write transaction: creates the
 * org_rights row if missing and bumps its version. Every change of cvr's rights calls it
 * before reading what it checks. */
int kv__rights_lock(struct kv_db *db, const char *cvr, struct kv_err *err);
/* kv__rights_lock, then (before not NULL) the count of cvr's administrators before the change,
 * for kv__rights_check_admins after it. */
int kv__rights_guard(struct kv_db *db, const char *cvr, int64_t *before, struct kv_err *err);

/* Refuses (KV_ECONFLICT with a message naming what) when cvr had a rettighedsadministrator
 * without end date before the change (before > 0) and has none now. Inside the transaction. */
int kv__rights_check_admins(struct kv_db *db, const char *cvr, int64_t before, const char *what,
                            struct kv_err *err);

/* Ends active privilege p (status "REVOKED" or "EXPIRED") and what was handed on from it,
 * under the scope's lock and the invariant, with its event, inside the caller's transaction. */
int kv__rights_end(struct kv_db *db, const struct kv_privilege *p, const char *status,
                   const char *actor, int64_t now, struct kv_err *err);

/* 1 when cvr is an organisation (orgs) -- an authority --, 2 when it is a company (a CVR
 * mailbox and not in orgs), 0 when neither; negative on a database error. */
int kv__id_org_kind(struct kv_db *db, const char *cvr, struct kv_err *err);

/* Reads a privilege row selected by KV__PRIV_COLS from statement s into out. */
#define KV__PRIV_COLS                                                                          \
    "p.id, p.type, p.scope_type, p.scope_id, p.narrow_type, p.narrow_id, p.grantee_type,"      \
    " p.grantee_employee_id, p.grantee_group_id, p.grantee_cvr, p.grantee_person_id, p.source," \
    " p.parent_id, p.issuer, p.status, p.active_to_ms, p.created_ms"
void kv__priv_read(struct kv_stmt *s, int col0, struct kv_privilege *out);

#endif

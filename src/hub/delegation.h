/* SPDX-License-Identifier: MIT
 *
 * delegation.h: which organisation may send letters in whose name. MeMo 1.2 lets a letter
 * name its Sender (Sender/senderID, the authority the citizen sees and answers) and who
 * represents it (Sender/Representative). A sender system always sends as its own
 * organisation; it may send in the name of another organisation B only when B has delegated
 * that to the system's organisation A and the letter names A as Representative. This is
 * kuvert's counterpart of NgDP's delegatedCVR on a system (a vendor's CVR that may send on a
 * system's behalf): the delegation is recorded by B's administrator (`kuvert delegation add`,
 * POST /admin/v1/orgs/{cvr}/delegations), and every other letter in B's name is refused (403
 * SENDER_NOT_ALLOWED, fieldError code SENDER_NOT_DELEGATED). docs/send-api.md, "Sending on
 * behalf of another organisation".
 *
 * Events: DELEGATION_CREATED / DELEGATION_REMOVED {delegateCvr}, subject "cvr:<B>", actor
 * "admin".
 *
 * All functions take a borrowed connection; the writes run their own transaction, the check
 * runs inside the caller's (the send pipeline's) transaction. Structs are plain values.
 */
#ifndef KV_HUB_DELEGATION_H
#define KV_HUB_DELEGATION_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_db;
struct kv_letter;

#define KV_DELEGATION_LIST_MAX 1000 /* rows returned by kv_delegation_list */

struct kv_delegation {
    char org_cvr[9];         /* B: the organisation in whose name letters are sent */
    char org_name[257];      /* its name */
    char delegate_cvr[9];    /* A: the organisation whose systems may send them */
    char delegate_name[257]; /* its name */
    int64_t created_ms;      /* when it was recorded */
};

/* Lets delegate_cvr send in org_cvr's name. KV_EINVAL for a malformed CVR or org = delegate,
 * KV_ENOTFOUND when either organisation is unknown (err names which), KV_ECONFLICT when it
 * exists already. out (may be NULL) receives the row. */
int kv_delegation_add(struct kv_db *db, const char *org_cvr, const char *delegate_cvr,
                      struct kv_delegation *out, struct kv_err *err);
/* Ends it. Letters already sent stay as they are. KV_ENOTFOUND when there is none. */
int kv_delegation_remove(struct kv_db *db, const char *org_cvr, const char *delegate_cvr,
                         struct kv_err *err);
/* Delegations given by org_cvr and/or to delegate_cvr (either may be NULL = any), ordered by
 * organisation and delegate, at most KV_DELEGATION_LIST_MAX. *out owned (free()). */
int kv_delegation_list(struct kv_db *db, const char *org_cvr, const char *delegate_cvr,
                       struct kv_delegation **out, size_t *out_n, struct kv_err *err);
/* *out_allowed = 1 when delegate_cvr may send in org_cvr's name. */
int kv_delegation_allows(struct kv_db *db, const char *org_cvr, const char *delegate_cvr,
                         int *out_allowed, struct kv_err *err);

/* The send pipeline's hook (letter_store.c), inside its transaction: a letter whose
 * l->on_behalf_of is set (its system's organisation sends as Representative for that Sender)
 * is refused unless that Sender delegated sending to the system's organisation. Returns 0
 * when it may be stored, 1 when refused (l->outcome KV_LETTER_REFUSED, l->refusal a KV_EPERM
 * SENDER_NOT_ALLOWED problem with field code SENDER_NOT_DELEGATED), or a store error.
 * Likewise a letter in the system's own name that names another organisation R as
 * Representative (l->representative set) is refused unless the system's organisation
 * delegated sending to R (field code REPRESENTATIVE_NOT_DELEGATED): one delegation
 * (org, delegate) is what both ways of naming a Representative rest on. */
int kv_delegation_check_letter(struct kv_db *db, struct kv_letter *l, struct kv_err *err);

#endif

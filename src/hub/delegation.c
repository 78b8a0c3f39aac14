/* SPDX-License-Identifier: MIT
 *
 * delegation.c: the record of which organisation may send letters in whose name (see
 * delegation.h; table sender_delegations, migration 018): add, remove, list, and the send
 * pipeline's check of a letter that names another organisation as its Sender.
 */
#include "hub/delegation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/directory.h"
#include "hub/directory_int.h"
#include "hub/letters.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/problem.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define DELEGATION_COLS                                                                  \
    "d.org_cvr, o.name, d.delegate_cvr, a.name, d.created_ms FROM sender_delegations d " \
    "JOIN orgs o ON o.cvr = d.org_cvr JOIN orgs a ON a.cvr = d.delegate_cvr "

static void read_row(struct kv_stmt *s, struct kv_delegation *d)
{
    memset(d, 0, sizeof(*d));
    kv_str_copy(d->org_cvr, sizeof(d->org_cvr), kv_stmt_col_text(s, 0));
    kv_str_copy(d->org_name, sizeof(d->org_name), kv_stmt_col_text(s, 1));
    kv_str_copy(d->delegate_cvr, sizeof(d->delegate_cvr), kv_stmt_col_text(s, 2));
    kv_str_copy(d->delegate_name, sizeof(d->delegate_name), kv_stmt_col_text(s, 3));
    d->created_ms = kv_stmt_col_int64(s, 4);
}

static int check_pair(const char *org_cvr, const char *delegate_cvr, struct kv_err *err)
{
    if (!org_cvr || !kv_cvr_valid(org_cvr))
        return kv_err_set(err, KV_EINVAL, "\"%.20s\" is not a CVR number (8 digits)",
                          org_cvr ? org_cvr : "");
    if (!delegate_cvr || !kv_cvr_valid(delegate_cvr))
        return kv_err_set(err, KV_EINVAL, "delegate \"%.20s\" is not a CVR number (8 digits)",
                          delegate_cvr ? delegate_cvr : "");
    if (strcmp(org_cvr, delegate_cvr) == 0)
        return kv_err_set(err, KV_EINVAL,
                          "an organisation always sends in its own name; delegate to another");
    return 0;
}

/* One row or KV_ENOTFOUND, inside or outside a transaction. */
static int get(struct kv_db *db, const char *org_cvr, const char *delegate_cvr,
               struct kv_delegation *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_prepare(db, "SELECT " DELEGATION_COLS "WHERE d.org_cvr = ? AND d.delegate_cvr = ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    kv_stmt_bind_text(s, 2, delegate_cvr, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        read_row(s, out);
    kv_stmt_done(s);
    if (rc == KV_DONE)
        return kv_err_set(err, KV_ENOTFOUND, "organisation %s has not delegated sending to %s",
                          org_cvr, delegate_cvr);
    return rc < 0 ? rc : 0;
}

static int event(struct kv_db *db, const char *tag, const char *org_cvr, const char *delegate_cvr,
                 struct kv_err *err)
{
    char subject[16], props[48];

    snprintf(subject, sizeof(subject), "cvr:%s", org_cvr);
    snprintf(props, sizeof(props), "{\"delegateCvr\":\"%s\"}", delegate_cvr);
    return kv__dir_event(db, tag, NULL, subject, props, err);
}

int kv_delegation_add(struct kv_db *db, const char *org_cvr, const char *delegate_cvr,
                      struct kv_delegation *out, struct kv_err *err)
{
    struct kv_delegation d;
    struct kv_org org;
    struct kv_stmt *s = NULL;
    int rc = check_pair(org_cvr, delegate_cvr, err);

    if (rc < 0)
        return rc;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_org_get(db, org_cvr, &org, err);
    if (rc == 0) {
        rc = kv_org_get(db, delegate_cvr, &org, err);
        if (rc == KV_ENOTFOUND)
            kv_err_set(err, rc, "no organisation with CVR %s to delegate to", delegate_cvr);
    }
    if (rc < 0)
        goto out;
    rc = get(db, org_cvr, delegate_cvr, &d, NULL);
    if (rc == 0) {
        rc = kv_err_set(err, KV_ECONFLICT, "organisation %s has already delegated sending to %s",
                        org_cvr, delegate_cvr);
        goto out;
    }
    rc = kv_db_prepare(db,
                       "INSERT INTO sender_delegations (org_cvr, delegate_cvr, created_ms) "
                       "VALUES (?, ?, ?)",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    kv_stmt_bind_text(s, 2, delegate_cvr, -1);
    kv_stmt_bind_int64(s, 3, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    rc = event(db, "DELEGATION_CREATED", org_cvr, delegate_cvr, err);
    if (rc == 0 && out)
        rc = get(db, org_cvr, delegate_cvr, out, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

int kv_delegation_remove(struct kv_db *db, const char *org_cvr, const char *delegate_cvr,
                         struct kv_err *err)
{
    struct kv_delegation d;
    struct kv_stmt *s = NULL;
    int rc = check_pair(org_cvr, delegate_cvr, err);

    if (rc < 0)
        return rc == KV_EINVAL && org_cvr && delegate_cvr && strcmp(org_cvr, delegate_cvr) == 0
                   ? kv_err_set(err, KV_ENOTFOUND, "no such delegation")
                   : rc;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = get(db, org_cvr, delegate_cvr, &d, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, "DELETE FROM sender_delegations WHERE org_cvr = ? AND delegate_cvr = ?",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    kv_stmt_bind_text(s, 2, delegate_cvr, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc >= 0)
        rc = event(db, "DELEGATION_REMOVED", org_cvr, delegate_cvr, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc < 0 ? rc : 0;
}

int kv_delegation_list(struct kv_db *db, const char *org_cvr, const char *delegate_cvr,
                       struct kv_delegation **out, size_t *out_n, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_delegation *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    *out_n = 0;
    rc = kv_db_prepare(db,
                       "SELECT " DELEGATION_COLS "WHERE (? = '' OR d.org_cvr = ?) AND "
                       "(? = '' OR d.delegate_cvr = ?) ORDER BY d.org_cvr, d.delegate_cvr "
                       "LIMIT ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, org_cvr ? org_cvr : "", -1);
    kv_stmt_bind_text(s, 2, org_cvr ? org_cvr : "", -1);
    kv_stmt_bind_text(s, 3, delegate_cvr ? delegate_cvr : "", -1);
    kv_stmt_bind_text(s, 4, delegate_cvr ? delegate_cvr : "", -1);
    kv_stmt_bind_int64(s, 5, KV_DELEGATION_LIST_MAX);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            v = kv_xrealloc(v, cap * sizeof(*v));
        }
        read_row(s, &v[n++]);
    }
    kv_stmt_done(s);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *out_n = n;
    return 0;
}

int kv_delegation_allows(struct kv_db *db, const char *org_cvr, const char *delegate_cvr,
                         int *out_allowed, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    *out_allowed = 0;
    rc = kv_db_prepare(
        db, "SELECT 1 FROM sender_delegations WHERE org_cvr = ? AND delegate_cvr = ?", &s, err);
    if (rc < 0)
        return rc;
    /* the caller's arguments, alive until kv_stmt_done below (store.h's lifetime rule): a
     * send's delegation check binds the letter's CVRs without a copy */
    kv_stmt_bind_text_static(s, 1, org_cvr, -1);
    kv_stmt_bind_text_static(s, 2, delegate_cvr, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    *out_allowed = rc == KV_ROW;
    return 0;
}

/* Refuses l (returns 1) with SENDER_NOT_ALLOWED and field code `code` at `field`. */
static int refuse_letter(struct kv_letter *l, const char *field, const char *code,
                         const char *msg, const char *rejected)
{
    kv_problem_release(&l->refusal);
    kv_problem_set(&l->refusal, KV_EPERM, "SENDER_NOT_ALLOWED", "%s", msg);
    kv_problem_field(&l->refusal, "memo", field, code, msg, rejected);
    l->outcome = KV_LETTER_REFUSED;
    l->log_refusal = 0;
    return 1;
}

int kv_delegation_check_letter(struct kv_db *db, struct kv_letter *l, struct kv_err *err)
{
    char msg[320];
    int allowed = 0, rc;

    if (l->on_behalf_of[0]) {
        rc = kv_delegation_allows(db, l->on_behalf_of, l->system_org, &allowed, err);
        if (rc < 0 || allowed)
            return rc < 0 ? rc : 0;
        snprintf(msg, sizeof(msg),
                 "organisation %s may not send in the name of organisation %s "
                 "(Sender/senderID): %s has not delegated sending to %s",
                 l->system_org, l->on_behalf_of, l->on_behalf_of, l->system_org);
        return refuse_letter(l, "/memo:Message/memo:MessageHeader/memo:Sender/memo:senderID",
                             "SENDER_NOT_DELEGATED", msg, l->on_behalf_of);
    }
    if (l->representative[0]) {
        /* the letter says the representative sends for the system's own organisation: true
         * only when that organisation delegated sending to it */
        rc = kv_delegation_allows(db, l->system_org, l->representative, &allowed, err);
        if (rc < 0 || allowed)
            return rc < 0 ? rc : 0;
        snprintf(msg, sizeof(msg),
                 "organisation %s may not be named as Representative of organisation %s "
                 "(Sender/Representative/representativeID): %s has not delegated sending to %s",
                 l->representative, l->system_org, l->system_org, l->representative);
        return refuse_letter(l,
                             "/memo:Message/memo:MessageHeader/memo:Sender/memo:Representative/"
                             "memo:representativeID",
                             "REPRESENTATIVE_NOT_DELEGATED", msg, l->representative);
    }
    return 0;
}

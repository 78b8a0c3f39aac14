/* SPDX-License-Identifier: MIT
 *
 * mailbox_access.c: read and read-write access for helpers to a person's mailbox (see
 * rights.h, "Helpers"): a helper asks by naming the owner (first name, last name, CPR), the
 * request waits in the owner's mailbox, and the owner approves it (kv_request_decide grants
 * MAILBOX_READ or MAILBOX_READ_WRITE, source REQUEST) or rejects it; either side revokes it
 * with kv_rights_revoke. This file holds the naming check and the views the mailbox pages show
 * (the owner's waiting requests and given accesses, the helper's own requests and accesses).
 * The access itself is the rights model's: kv_rights_mailbox_level decides it on every request.
 */
#include "identity/rights.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "hub/directory.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "store/store.h"
#include "util/clock.h"

#define MBX_TYPES "('MAILBOX_READ', 'MAILBOX_READ_WRITE')"

static const char SQL_REQ_GET[] =
    "SELECT id, requester_person_id, type, scope_type, scope_id, COALESCE(active_to_ms, 0),"
    " state FROM privilege_requests WHERE id = ?";
static const char SQL_WAITING_FOR[] =
    "SELECT r.id, s.name, COALESCE(s.cpr, ''), r.type, COALESCE(r.active_to_ms, 0),"
    " r.created_ms FROM privilege_requests r JOIN persons s ON s.id = r.requester_person_id"
    " WHERE r.scope_type = ? AND r.scope_id = ? AND r.state = 'SUBMITTED'"
    " AND r.type IN " MBX_TYPES " ORDER BY r.id LIMIT 200";
static const char SQL_WAITING_BY[] =
    "SELECT r.id, COALESCE(m.name, ''), r.scope_id, r.type, COALESCE(r.active_to_ms, 0),"
    " r.created_ms FROM privilege_requests r LEFT JOIN mailboxes m"
    " ON m.owner_type = r.scope_type AND m.owner_id = r.scope_id"
    " WHERE r.requester_person_id = ? AND r.state = 'SUBMITTED' AND r.type IN " MBX_TYPES
    " ORDER BY r.id LIMIT 200";
static const char SQL_GIVEN[] =
    "SELECT p.id, s.name, COALESCE(s.cpr, ''), p.type, COALESCE(p.active_to_ms, 0),"
    " p.created_ms FROM privileges p JOIN persons s ON s.id = p.grantee_person_id"
    " WHERE p.scope_type = ? AND p.scope_id = ? AND p.status = 'ACTIVE'"
    " AND p.type IN " MBX_TYPES " AND (p.active_to_ms IS NULL OR p.active_to_ms > ?)"
    " ORDER BY p.id LIMIT 200";
static const char SQL_HELD[] =
    "SELECT p.id, COALESCE(m.name, ''), p.scope_id, p.type, COALESCE(p.active_to_ms, 0),"
    " p.created_ms, p.scope_type FROM privileges p LEFT JOIN mailboxes m"
    " ON m.owner_type = p.scope_type AND m.owner_id = p.scope_id"
    " WHERE p.grantee_person_id = ? AND p.status = 'ACTIVE' AND p.type IN " MBX_TYPES
    " AND (p.active_to_ms IS NULL OR p.active_to_ms > ?) ORDER BY p.id LIMIT 200";

/* The first and last word of name (out_first/out_last, n bytes each), "" when none. */
static void name_ends(const char *name, char *first, char *last, size_t n)
{
    const char *p = name, *w;
    size_t len;

    first[0] = last[0] = '\0';
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        w = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        len = (size_t)(p - w) < n - 1 ? (size_t)(p - w) : n - 1;
        if (!first[0]) {
            memcpy(first, w, len);
            first[len] = '\0';
        }
        memcpy(last, w, len);
        last[len] = '\0';
    }
}

/* Equal ignoring surrounding blanks and ASCII case (other bytes exactly). */
static int same_word(const char *a, const char *b)
{
    char wa[KV_NAME_MAX + 1], wb[KV_NAME_MAX + 1], x[KV_NAME_MAX + 1];
    size_t i;

    name_ends(a, wa, x, sizeof(wa));
    name_ends(b, wb, x, sizeof(wb));
    if (!wa[0] || strlen(wa) != strlen(wb))
        return 0;
    for (i = 0; wa[i]; i++)
        if (tolower((unsigned char)wa[i]) != tolower((unsigned char)wb[i]))
            return 0;
    return 1;
}

int kv_request_mailbox_access(struct kv_db *db, int64_t person_id, const char *first,
                              const char *last, const char *cpr, const char *code,
                              int64_t active_to_ms, int64_t *out_id, struct kv_err *err)
{
    const struct kv_priv_info *info = kv_priv_find(code);
    struct kv_person me, owner;
    struct kv_mailbox mb;
    char f[KV_NAME_MAX + 1], l[KV_NAME_MAX + 1];
    const char *name = NULL;
    int rc;

    if (!info || !(info->flags & KV_PRIV_F_MAILBOX))
        return kv_err_set(err, KV_EINVAL, "ask for read or read-write access");
    if (!first || !last || !*first || !*last || strlen(first) > 100 || strlen(last) > 100)
        return kv_err_set(err, KV_EINVAL, "give the person's first and last name");
    if (!cpr || strlen(cpr) != 10 || strspn(cpr, "0123456789") != 10)
        return kv_err_set(err, KV_EINVAL, "a CPR number is 10 digits");
    rc = kv_person_get(db, person_id, &me, err);
    if (rc < 0)
        return rc;
    if (me.cpr[0] && strcmp(me.cpr, cpr) == 0)
        return kv_err_set(err, KV_EINVAL, "this is your own mailbox");
    /* The same answer whether the CPR has no mailbox or the name does not match it, so the
     * form cannot be used to find out who has a mailbox. */
    rc = kv_mailbox_find(db, "CPR", cpr, &mb, err);
    if (rc == 0 && strcmp(mb.status, "CLOSED") != 0) {
        if (kv_person_find_cpr(db, cpr, &owner, err) == 0 && owner.name[0])
            name = owner.name;
        else if (mb.name[0])
            name = mb.name;
    }
    if (rc < 0 && rc != KV_ENOTFOUND)
        return rc;
    if (name)
        name_ends(name, f, l, sizeof(f));
    if (!name || !same_word(first, f) || !same_word(last, l))
        return kv_err_set(err, KV_ENOTFOUND,
                          "no mailbox matches this name and CPR number");
    return kv_request_submit(db, person_id, info->code, "CPR", cpr, active_to_ms, NULL, out_id,
                             err);
}

int kv_request_get(struct kv_db *db, int64_t id, struct kv_request_info *out,
                   struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_REQ_GET, &s, err);

    memset(out, 0, sizeof(*out));
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        out->id = kv_stmt_col_int64(s, 0);
        out->person_id = kv_stmt_col_int64(s, 1);
        kv__id_copy(out->type, sizeof(out->type), kv_stmt_col_text(s, 2));
        kv__id_copy(out->scope_type, sizeof(out->scope_type), kv_stmt_col_text(s, 3));
        kv__id_copy(out->scope_id, sizeof(out->scope_id), kv_stmt_col_text(s, 4));
        out->active_to_ms = kv_stmt_col_int64(s, 5);
        kv__id_copy(out->state, sizeof(out->state), kv_stmt_col_text(s, 6));
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no request %lld", (long long)id);
    }
    kv_stmt_done(s);
    return rc;
}

/* Runs sql (bound by the caller through bind) and turns each row (id, name, number, type,
 * active_to, created[, scope_type]) into {id, name, number, type, nameDa, activeTo?, created}. */
static int rows(struct kv_stmt *s, int with_type, json_t **out, struct kv_err *err)
{
    const struct kv_priv_info *info;
    json_t *arr = json_array(), *o;
    char when[32];
    int rc;

    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        info = kv_priv_find(kv_stmt_col_text(s, 3));
        kv_clock_format_utc(kv_stmt_col_int64(s, 5), when, sizeof(when));
        o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)kv_stmt_col_int64(s, 0),
                      "name", kv_stmt_col_text(s, 1) ? kv_stmt_col_text(s, 1) : "", "number",
                      kv_stmt_col_text(s, 2) ? kv_stmt_col_text(s, 2) : "", "type",
                      info ? info->code : "UNKNOWN", "nameDa", info ? info->name_da : "",
                      "created", when);
        if (kv_stmt_col_int64(s, 4) > 0)
            json_object_set_new(o, "activeToMs", json_integer(kv_stmt_col_int64(s, 4)));
        if (with_type)
            json_object_set_new(o, "numberType", json_string(kv_stmt_col_text(s, 6)));
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

int kv_mailbox_access_view(struct kv_db *db, int64_t person_id, const char *owner_type,
                           const char *owner_id, json_t **out, struct kv_err *err)
{
    struct kv_stmt *s;
    json_t *res = json_object(), *v = NULL;
    int64_t now = kv_clock_now_ms();
    int rc;

    *out = NULL;
    if (owner_id && *owner_id) {
        rc = kv_db_prepare(db, SQL_WAITING_FOR, &s, err);
        if (rc < 0)
            goto out;
        kv_stmt_bind_text(s, 1, owner_type, -1);
        kv_stmt_bind_text(s, 2, owner_id, -1);
        rc = rows(s, 0, &v, err);
        if (rc < 0)
            goto out;
        json_object_set_new(res, "waitingForMe", v);
        rc = kv_db_prepare(db, SQL_GIVEN, &s, err);
        if (rc < 0)
            goto out;
        kv_stmt_bind_text(s, 1, owner_type, -1);
        kv_stmt_bind_text(s, 2, owner_id, -1);
        kv_stmt_bind_int64(s, 3, now);
        rc = rows(s, 0, &v, err);
        if (rc < 0)
            goto out;
        json_object_set_new(res, "given", v);
    }
    rc = kv_db_prepare(db, SQL_WAITING_BY, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, person_id);
    rc = rows(s, 0, &v, err);
    if (rc < 0)
        goto out;
    json_object_set_new(res, "askedByMe", v);
    rc = kv_db_prepare(db, SQL_HELD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, person_id);
    kv_stmt_bind_int64(s, 2, now);
    rc = rows(s, 1, &v, err);
    if (rc < 0)
        goto out;
    json_object_set_new(res, "held", v);
out:
    if (rc < 0) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return 0;
}

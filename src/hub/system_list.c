/* SPDX-License-Identifier: MIT
 *
 * system_list.c: an organisation's systems for the Administrativ Adgang pages (see
 * system_list.h). One SELECT shape for both the list and the single lookup, always scoped
 * by org_cvr.
 */
#include "hub/system_list.h"

#include <ctype.h>
#include <string.h>

#include "store/store.h"
#include "util/str.h"


#define COLS                                                                                 \
    "SELECT id, kind, name, COALESCE(protocol, ''), COALESCE(receipt_url, ''),"             \
    " COALESCE(push_url, ''), COALESCE(contact_email, ''), is_default, status, created_ms," \
    " COALESCE(technical_contact, ''), COALESCE(supplier, ''), COALESCE(allowed_ips, ''),"  \
    " COALESCE(active_from, ''), COALESCE(active_to, '') FROM systems"

static const char SQL_LIST[] = COLS " WHERE org_cvr = ?1"
                                    " ORDER BY kind DESC, name, id LIMIT ?2";
static const char SQL_ONE[] = COLS " WHERE org_cvr = ?1 AND id = ?2";

static void row(struct kv_stmt *s, struct kv_system_summary *o)
{
    memset(o, 0, sizeof(*o));
    kv_str_copy(o->id, sizeof(o->id), kv_stmt_col_text(s, 0));
    kv_str_copy(o->kind, sizeof(o->kind), kv_stmt_col_text(s, 1));
    kv_str_copy(o->name, sizeof(o->name), kv_stmt_col_text(s, 2));
    if (kv_protocol_parse(kv_stmt_col_text(s, 3), &o->protocol) < 0)
        o->protocol = KV_PROTOCOL_NONE;
    kv_str_copy(o->receipt_url, sizeof(o->receipt_url), kv_stmt_col_text(s, 4));
    kv_str_copy(o->push_url, sizeof(o->push_url), kv_stmt_col_text(s, 5));
    kv_str_copy(o->contact_email, sizeof(o->contact_email), kv_stmt_col_text(s, 6));
    o->is_default = kv_stmt_col_int64(s, 7) != 0;
    kv_str_copy(o->status, sizeof(o->status), kv_stmt_col_text(s, 8));
    o->created_ms = kv_stmt_col_int64(s, 9);
    kv_str_copy(o->technical_contact, sizeof(o->technical_contact), kv_stmt_col_text(s, 10));
    kv_str_copy(o->supplier, sizeof(o->supplier), kv_stmt_col_text(s, 11));
    kv_str_copy(o->allowed_ips, sizeof(o->allowed_ips), kv_stmt_col_text(s, 12));
    kv_str_copy(o->active_from, sizeof(o->active_from), kv_stmt_col_text(s, 13));
    kv_str_copy(o->active_to, sizeof(o->active_to), kv_stmt_col_text(s, 14));
}

int kv_system_list_org(struct kv_db *db, const char *org_cvr, struct kv_system_summary *out,
                       size_t max, size_t *out_n, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    *out_n = 0;
    if (max > KV_SYSTEM_LIST_MAX)
        max = KV_SYSTEM_LIST_MAX;
    rc = kv_db_prepare(db, SQL_LIST, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    kv_stmt_bind_int64(s, 2, (int64_t)max);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW && *out_n < max)
        row(s, &out[(*out_n)++]);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_system_get_in_org(struct kv_db *db, const char *org_cvr, const char *id,
                         struct kv_system_summary *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char lid[37];
    size_t i, n = id ? strlen(id) : 0;
    int rc;

    if (n != 36)
        return kv_err_set(err, KV_ENOTFOUND, "no such system");
    for (i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)id[i]) && id[i] != '-')
            return kv_err_set(err, KV_ENOTFOUND, "no such system");
        lid[i] = (char)tolower((unsigned char)id[i]);
    }
    lid[n] = '\0';
    rc = kv_db_prepare(db, SQL_ONE, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    kv_stmt_bind_text(s, 2, lid, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        row(s, out);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no such system");
    }
    kv_stmt_done(s);
    return rc;
}

/* SPDX-License-Identifier: MIT
 *
 * recall_list.c: the letters an organisation can still recall -- waiting for their value date
 * (letters.h, kv_letters_waiting), for Administrativ Adgang's recall page. Scoped like the
 * recall itself: letters sent by one of the organisation's systems or naming it as Sender.
 * Uses the partial index letters_awaiting.
 */
#include "hub/letters.h"

#include <string.h>

#include "store/store.h"
#include "util/str.h"

static const char SQL[] =
    "SELECT l.message_uuid, l.label, l.recipient_type, l.recipient_id, l.sender_system,"
    " COALESCE(s.name, ''), l.available_ms, l.created_ms"
    " FROM letters l LEFT JOIN systems s ON s.id = l.sender_system"
    " WHERE l.state = 'AWAITING_DELAY' AND l.available_ms > ?2"
    " AND (s.org_cvr = ?1 OR l.sender_cvr = ?1)"
    " AND (?3 = '' OR l.message_uuid = lower(?3) OR l.recipient_id = ?3"
    "      OR l.sender_system = lower(?3))"
    " ORDER BY l.available_ms, l.id LIMIT ?4";

int kv_letters_waiting(struct kv_db *db, const char *org_cvr, const char *q, int64_t now_ms,
                       struct kv_waiting_letter *out, size_t max, size_t *out_n,
                       struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_waiting_letter *w;
    int rc;

    *out_n = 0;
    if (max > KV_WAITING_MAX)
        max = KV_WAITING_MAX;
    rc = kv_db_prepare(db, SQL, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    kv_stmt_bind_int64(s, 2, now_ms);
    kv_stmt_bind_text(s, 3, q ? q : "", -1);
    kv_stmt_bind_int64(s, 4, (int64_t)max);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW && *out_n < max) {
        w = &out[(*out_n)++];
        memset(w, 0, sizeof(*w));
        kv_str_copy(w->uuid, sizeof(w->uuid), kv_stmt_col_text(s, 0));
        kv_str_copy(w->label, sizeof(w->label), kv_stmt_col_text(s, 1));
        kv_str_copy(w->recipient_type, sizeof(w->recipient_type), kv_stmt_col_text(s, 2));
        kv_str_copy(w->recipient_id, sizeof(w->recipient_id), kv_stmt_col_text(s, 3));
        kv_str_copy(w->system_id, sizeof(w->system_id), kv_stmt_col_text(s, 4));
        kv_str_copy(w->system_name, sizeof(w->system_name), kv_stmt_col_text(s, 5));
        w->available_ms = kv_stmt_col_int64(s, 6);
        w->created_ms = kv_stmt_col_int64(s, 7);
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

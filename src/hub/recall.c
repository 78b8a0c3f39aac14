/* SPDX-License-Identifier: MIT
 *
 * recall.c: recalling a letter before its value date (kuvert's extension of the NgDP API,
 * POST /apis/v1/memos/{messageUUID}/recall, and `kuvert memo recall`). A letter can be recalled
 * while it is AWAITING_DELAY and its moment (00:00 Europe/Copenhagen of doNotDeliverUntilDate)
 * has not come; the state change and the events MEMO_MESSAGE_RECALLED and
 * DELAYED_MEMO_MESSAGE_RECALLED commit together. See letters.h.
 */
#include "hub/letters.h"

#include <stdio.h>
#include <string.h>

#include "hub/events.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/str.h"

/* The letter as far as recall needs it. */
struct recall_row {
    int64_t id;             /* letters.id */
    char state[16];         /* letters.state */
    char sender_cvr[16];    /* Sender/senderID */
    char system_org[16];    /* organisation of the sending system */
    char system_id[37];     /* sending system */
    char subject[32];       /* "cpr:..." */
    int64_t available_ms;   /* value date moment */
};

static int load(struct kv_db *db, const char *uuid, struct recall_row *r, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    rc = kv_db_prepare(db,
                       "SELECT l.id, l.state, l.sender_cvr, s.org_cvr, l.sender_system, "
                       "l.recipient_type, l.recipient_id, l.available_ms FROM letters l "
                       "LEFT JOIN systems s ON s.id = l.sender_system "
                       "WHERE l.message_uuid = lower(?)",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        r->id = kv_stmt_col_int64(s, 0);
        kv_str_copy(r->state, sizeof(r->state), kv_stmt_col_text(s, 1));
        kv_str_copy(r->sender_cvr, sizeof(r->sender_cvr), kv_stmt_col_text(s, 2));
        kv_str_copy(r->system_org, sizeof(r->system_org), kv_stmt_col_text(s, 3));
        kv_str_copy(r->system_id, sizeof(r->system_id), kv_stmt_col_text(s, 4));
        snprintf(r->subject, sizeof(r->subject), "%s:%s",
                 strcmp(kv_stmt_col_text(s, 5), "CVR") == 0 ? "cvr" : "cpr",
                 kv_stmt_col_text(s, 6));
        r->available_ms = kv_stmt_col_is_null(s, 7) ? 0 : kv_stmt_col_int64(s, 7);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no letter with messageUUID %s", uuid);
    }
    kv_stmt_done(s);
    return rc;
}

int kv_letter_recall(struct kv_db *db, const char *org_cvr, const char *uuid, const char *actor,
                     const char *system_id, int64_t *out_recalled_ms, int *out_already,
                     struct kv_err *err)
{
    struct recall_row r;
    struct kv_stmt *s;
    struct kv_event ev = {0};
    char props[96], lower[37];
    int64_t now;
    size_t i;
    int rc;

    *out_already = 0;
    *out_recalled_ms = 0;
    memset(&r, 0, sizeof(r));
    if (strlen(uuid) != 36)
        return kv_err_set(err, KV_ENOTFOUND, "no letter with messageUUID %s", uuid);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    now = kv_clock_now_ms();
    rc = load(db, uuid, &r, err);
    if (rc < 0)
        goto out;
    /* Another organisation's letter is answered exactly as an unknown one, so a recall
     * cannot be used to probe which messageUUIDs exist. */
    if (org_cvr && strcmp(org_cvr, r.system_org) != 0 && strcmp(org_cvr, r.sender_cvr) != 0) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no letter with messageUUID %s", uuid);
        goto out;
    }
    if (strcmp(r.state, "RECALLED") == 0) {
        *out_already = 1;
        rc = 0;
        goto out;
    }
    if (strcmp(r.state, "AWAITING_DELAY") != 0 || r.available_ms <= now) {
        if (strcmp(r.state, "AWAITING_DELAY") == 0 || strcmp(r.state, "AVAILABLE") == 0)
            rc = kv_err_set(err, KV_ECONFLICT,
                            "letter %s has already been published to its recipient", uuid);
        else
            rc = kv_err_set(err, KV_ECONFLICT, "letter %s cannot be recalled (state %s)", uuid,
                            r.state);
        goto out;
    }
    rc = kv_db_prepare(db,
                       "UPDATE letters SET state = 'RECALLED' WHERE id = ? AND "
                       "state = 'AWAITING_DELAY'",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, r.id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    snprintf(props, sizeof(props), "{\"previousState\":\"AWAITING_DELAY\"}");
    ev.system_id = system_id ? system_id : r.system_id;
    ev.actor = actor;
    ev.subject = r.subject;
    ev.props_json = props;
    ev.time_ms = now;
    for (i = 0; i < 36; i++)
        lower[i] = (uuid[i] >= 'A' && uuid[i] <= 'Z') ? (char)(uuid[i] - 'A' + 'a') : uuid[i];
    lower[36] = '\0';
    ev.message_uuid = lower;
    ev.tag = "MEMO_MESSAGE_RECALLED";
    rc = kv_events_append(db, &ev, err);
    if (rc < 0)
        goto out;
    ev.tag = "DELAYED_MEMO_MESSAGE_RECALLED";
    rc = kv_events_append(db, &ev, err);
    if (rc < 0)
        goto out;
    rc = kv_db_commit(db, err);
    if (rc < 0)
        goto out;
    *out_recalled_ms = now;
    return 0;
out:
    kv_db_rollback(db);
    return rc;
}

/* SPDX-License-Identifier: MIT
 *
 * recall.c: recalling a letter before its value date (kuvert's extension of the NgDP API,
 * POST /apis/v1/memos/{messageUUID}/recall, and `kuvert memo recall`). A letter can be recalled
 * while it is AWAITING_DELAY and its moment (00:00 Europe/Copenhagen of doNotDeliverUntilDate)
 * has not come; the state change and the events MEMO_MESSAGE_RECALLED and
 * DELAYED_MEMO_MESSAGE_RECALLED commit together; an administrator's recall (Administrativ
 * Adgang) takes the same path and adds MESSAGE_RECALLED_BY_ADMINISTRATOR and a receipt to the
 * sending system. See letters.h.
 */
#include "hub/letters.h"

#include <stdio.h>
#include <string.h>

#include "hub/events.h"
#include "hub/receipts.h"
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
    char transmission_id[37];
    char message_id[257];
    int push;               /* the sending system takes receipts by push */
};

static int load(struct kv_db *db, const char *uuid, struct recall_row *r, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    rc = kv_db_prepare(db,
                       "SELECT l.id, l.state, l.sender_cvr, s.org_cvr, l.sender_system, "
                       "l.recipient_type, l.recipient_id, l.available_ms, l.transmission_id, "
                       "COALESCE(l.message_id, ''), COALESCE(s.receipt_url, '') <> '' "
                       "FROM letters l "
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
        kv_str_copy(r->transmission_id, sizeof(r->transmission_id), kv_stmt_col_text(s, 8));
        kv_str_copy(r->message_id, sizeof(r->message_id), kv_stmt_col_text(s, 9));
        r->push = kv_stmt_col_int64(s, 10) != 0;
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no letter with messageUUID %s", uuid);
    }
    kv_stmt_done(s);
    return rc;
}

/* What an administrator's recall adds in the same transaction: the event
 * MESSAGE_RECALLED_BY_ADMINISTRATOR and a receipt to the sending system (NOT_ALLOWED with
 * error code MESSAGE_RECALLED_BY_ADMINISTRATOR: the letter will not reach its recipient). */
static int by_administrator(struct kv_db *db, const struct recall_row *r, struct kv_event *ev,
                            struct kv_err *err)
{
    struct kv_receipt rc_row;
    int rc;

    ev->tag = "MESSAGE_RECALLED_BY_ADMINISTRATOR";
    rc = kv_events_append(db, ev, err);
    if (rc < 0 || !r->system_id[0])
        return rc;
    memset(&rc_row, 0, sizeof(rc_row));
    kv_str_copy(rc_row.system_id, sizeof(rc_row.system_id), r->system_id);
    kv_str_copy(rc_row.transmission_id, sizeof(rc_row.transmission_id), r->transmission_id);
    kv_str_copy(rc_row.message_uuid, sizeof(rc_row.message_uuid), ev->message_uuid);
    kv_str_copy(rc_row.message_id, sizeof(rc_row.message_id), r->message_id);
    kv_str_copy(rc_row.receipt_status, sizeof(rc_row.receipt_status), "NOT_ALLOWED");
    kv_str_copy(rc_row.error_code, sizeof(rc_row.error_code),
                "MESSAGE_RECALLED_BY_ADMINISTRATOR");
    kv_str_copy(rc_row.error_message, sizeof(rc_row.error_message),
                "recalled by an administrator of the sending organisation before its value date");
    rc_row.time_ms = ev->time_ms;
    return kv_receipt_insert(db, &rc_row, r->push, err);
}

static int recall(struct kv_db *db, const char *org_cvr, const char *uuid, const char *actor,
                  const char *system_id, int admin, int64_t *out_recalled_ms, int *out_already,
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
    if (admin) {
        rc = by_administrator(db, &r, &ev, err);
        if (rc < 0)
            goto out;
    }
    rc = kv_db_commit(db, err);
    if (rc < 0)
        goto out;
    *out_recalled_ms = now;
    return 0;
out:
    kv_db_rollback(db);
    return rc;
}

int kv_letter_recall(struct kv_db *db, const char *org_cvr, const char *uuid, const char *actor,
                     const char *system_id, int64_t *out_recalled_ms, int *out_already,
                     struct kv_err *err)
{
    return recall(db, org_cvr, uuid, actor, system_id, 0, out_recalled_ms, out_already, err);
}

int kv_letter_recall_by_administrator(struct kv_db *db, const char *org_cvr, const char *uuid,
                                      const char *actor, int64_t *out_recalled_ms,
                                      int *out_already, struct kv_err *err)
{
    return recall(db, org_cvr, uuid, actor, NULL, 1, out_recalled_ms, out_already, err);
}

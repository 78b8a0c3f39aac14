/* SPDX-License-Identifier: MIT
 *
 * recipient_queue.c: routing letters to authorities' recipient systems and the REST pull
 * operations on the queue (list, get, business receipt, delete). See recipient_queue.h.
 */
#include "hub/recipient_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/events.h"
#include "hub/receipts.h"
#include "store/store.h"
#include "util/page.h"
#include "util/clock.h"
#include "util/xmalloc.h"

static void copy_col(char *dst, size_t dstsz, const char *s)
{
    snprintf(dst, dstsz, "%s", s ? s : "");
}

/* The recipient system of an active contact point of org; 0, or KV_ENOTFOUND. */
static int point_system(struct kv_db *db, const char *org, const char *point_id,
                        char out[37], struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT system_id FROM contact_points "
                           "WHERE id = lower(?) AND org_cvr = ? AND active = 1",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, point_id, -1);
    kv_stmt_bind_text(s, 2, org, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        copy_col(out, 37, kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return rc == KV_ROW ? 0 : KV_ENOTFOUND;
}

static int default_system(struct kv_db *db, const char *org, char out[37], struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT id FROM systems WHERE org_cvr = ? AND kind = 'recipient' "
                           "AND is_default = 1 ORDER BY created_ms LIMIT 1",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, org, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        copy_col(out, 37, kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        return kv_err_set(err, KV_ENOTFOUND,
                          "organisation %.8s has no default recipient system", org);
    return 0;
}

int kv_recipient_pick(struct kv_db *db, const char *recipient_cvr, const char *contact_point_id,
                      char out_system_id[37], int *out_used_point, struct kv_err *err)
{
    int rc;

    *out_used_point = 0;
    if (contact_point_id && contact_point_id[0]) {
        rc = point_system(db, recipient_cvr, contact_point_id, out_system_id, err);
        if (rc < 0 && rc != KV_ENOTFOUND)
            return rc;
        if (rc == 0) {
            *out_used_point = 1;
            return 0;
        }
    }
    return default_system(db, recipient_cvr, out_system_id, err);
}

int kv_recipient_route_ex(struct kv_db *db, int64_t letter_id, const char *recipient_cvr,
                          const char *contact_point_id, char out_system_id[37],
                          int *out_used_point, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char sys[37] = "";
    int used = 0, rc;

    rc = kv_recipient_pick(db, recipient_cvr, contact_point_id, sys, &used, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db,
                       "INSERT INTO recipient_queue (letter_id, system_id, contact_point_id, "
                       "state, created_ms) VALUES (?, ?, ?, 'QUEUED', ?)",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, letter_id);
    kv_stmt_bind_text(s, 2, sys, -1);
    if (used)
        kv_stmt_bind_text(s, 3, contact_point_id, -1);
    else
        kv_stmt_bind_null(s, 3);
    kv_stmt_bind_int64(s, 4, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc == KV_ECONFLICT)
        return kv_err_set(err, KV_ECONFLICT, "letter %lld is already routed",
                          (long long)letter_id);
    if (rc < 0)
        return rc;
    if (out_system_id)
        copy_col(out_system_id, 37, sys);
    if (out_used_point)
        *out_used_point = used;
    return 0;
}

int kv_recipient_route(struct kv_db *db, int64_t letter_id, const char *recipient_cvr,
                       const char *contact_point_id, struct kv_err *err)
{
    return kv_recipient_route_ex(db, letter_id, recipient_cvr, contact_point_id, NULL, NULL,
                                 err);
}

/* A routed letter is visible to its system once available and unless recalled (one
 * parameter: now). */
#define VISIBLE "AND l.state <> 'RECALLED' AND COALESCE(l.available_ms, 0) <= ? "

int kv_recipient_page(struct kv_db *db, const char *system_id, int64_t page, int size,
                      json_t **out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    json_t *content = NULL, *o;
    int64_t total = 0, now = kv_clock_now_ms();
    int rc;

    *out = NULL;
    if (page < 0 || page > INT64_MAX / KV_RECIPIENT_PAGE_MAX)
        return kv_err_set(err, KV_EINVAL, "page must be a number >= 0");
    if (size < 1 || size > KV_RECIPIENT_PAGE_MAX)
        return kv_err_set(err, KV_EINVAL, "size must be between 1 and %d", KV_RECIPIENT_PAGE_MAX);
    rc = kv_db_prepare(db,
                       "SELECT COUNT(*) FROM recipient_queue q JOIN letters l "
                       "ON l.id = q.letter_id WHERE q.system_id = ? AND q.state <> 'DELETED' "
                       VISIBLE,
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, now);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        total = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;

    content = json_array();
    rc = kv_db_prepare(db,
                       "SELECT l.message_uuid FROM recipient_queue q JOIN letters l "
                       "ON l.id = q.letter_id WHERE q.system_id = ? AND q.state <> 'DELETED' "
                       VISIBLE "ORDER BY q.id LIMIT ? OFFSET ?",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, now);
    kv_stmt_bind_int64(s, 3, size);
    kv_stmt_bind_int64(s, 4, page * size);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        json_array_append_new(content, json_string(kv_stmt_col_text(s, 0)));
    kv_stmt_done(s);
    if (rc < 0)
        goto out;

    o = kv_page_json(content, "/apis/v1/memos/", page, size, total);
    content = NULL;
    *out = o;
    rc = 0;
out:
    json_decref(content);
    return rc;
}

static int not_found(struct kv_err *err)
{
    return kv_err_set(err, KV_ENOTFOUND, "no such message");
}

int kv_recipient_get(struct kv_db *db, const char *system_id, const char *uuid, char **out_body,
                     size_t *out_len, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    const void *blob;
    size_t len = 0;
    int64_t qid = 0, fetched = 1;
    int rc;

    *out_body = NULL;
    *out_len = 0;
    rc = kv_db_prepare(db,
                       "SELECT q.id, q.fetched_ms IS NOT NULL, l.body FROM recipient_queue q "
                       "JOIN letters l ON l.id = q.letter_id WHERE l.message_uuid = lower(?) "
                       "AND q.system_id = ? AND q.state <> 'DELETED' " VISIBLE,
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, system_id, -1);
    kv_stmt_bind_int64(s, 3, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        qid = kv_stmt_col_int64(s, 0);
        fetched = kv_stmt_col_int64(s, 1);
        blob = kv_stmt_col_blob(s, 2, &len);
        *out_body = kv_xmalloc(len + 1);
        if (len)
            memcpy(*out_body, blob, len);
        (*out_body)[len] = '\0';
        *out_len = len;
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        return not_found(err);
    if (fetched)
        return 0;
    /* First fetch: record it (a lost race only means both readers wrote the same fact). */
    rc = kv_db_prepare(db,
                       "UPDATE recipient_queue SET state = 'DELIVERED', fetched_ms = ? "
                       "WHERE id = ? AND fetched_ms IS NULL",
                       &s, err);
    if (rc == 0) {
        kv_stmt_bind_int64(s, 1, kv_clock_now_ms());
        kv_stmt_bind_int64(s, 2, qid);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
    }
    if (rc < 0) {
        free(*out_body);
        *out_body = NULL;
        *out_len = 0;
        return rc;
    }
    return 0;
}

/* What a business receipt needs to know about the letter. */
struct target {
    int64_t qid;              /* recipient_queue.id */
    int acknowledged;         /* 1 when a receipt was given already */
    char uuid[37];            /* letters.message_uuid */
    char sender_system[37];   /* letters.sender_system */
    char transmission_id[37]; /* letters.transmission_id */
    char message_id[257];     /* letters.message_id, "" if none */
    int push;                 /* sender has a receipt URL */
};

static int load_target(struct kv_db *db, const char *system_id, const char *uuid,
                       struct target *t, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT q.id, q.acknowledged_ms IS NOT NULL, l.message_uuid, "
                           "l.sender_system, l.transmission_id, l.message_id, "
                           "COALESCE(sy.receipt_url, '') <> '' "
                           "FROM recipient_queue q JOIN letters l ON l.id = q.letter_id "
                           "LEFT JOIN systems sy ON sy.id = l.sender_system "
                           "WHERE l.message_uuid = lower(?) AND q.system_id = ? "
                           "AND q.state <> 'DELETED' " VISIBLE,
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, system_id, -1);
    kv_stmt_bind_int64(s, 3, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        t->qid = kv_stmt_col_int64(s, 0);
        t->acknowledged = (int)kv_stmt_col_int64(s, 1);
        copy_col(t->uuid, sizeof(t->uuid), kv_stmt_col_text(s, 2));
        copy_col(t->sender_system, sizeof(t->sender_system), kv_stmt_col_text(s, 3));
        copy_col(t->transmission_id, sizeof(t->transmission_id), kv_stmt_col_text(s, 4));
        copy_col(t->message_id, sizeof(t->message_id), kv_stmt_col_text(s, 5));
        t->push = (int)kv_stmt_col_int64(s, 6);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return rc == KV_ROW ? 0 : not_found(err);
}

int kv_recipient_receipt(struct kv_db *db, const char *system_id, const char *uuid,
                         const char *status, const char *error_code, const char *error_message,
                         int64_t *out_receipt_id, struct kv_err *err)
{
    struct target t;
    struct kv_receipt r;
    struct kv_event ev = {0};
    struct kv_stmt *s = NULL;
    json_t *props = NULL;
    char *props_txt = NULL;
    int64_t now = kv_clock_now_ms();
    int rc;

    if (!status || (strcmp(status, "COMPLETED") != 0 && strcmp(status, "INVALID") != 0))
        return kv_err_set(err, KV_EINVAL, "receiptStatus must be COMPLETED or INVALID");
    memset(&t, 0, sizeof(t));
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = load_target(db, system_id, uuid, &t, err);
    if (rc < 0)
        goto out;
    if (t.acknowledged) {
        rc = kv_err_set(err, KV_ECONFLICT, "a business receipt was already given for %s", t.uuid);
        goto out;
    }
    memset(&r, 0, sizeof(r));
    copy_col(r.system_id, sizeof(r.system_id), t.sender_system);
    copy_col(r.transmission_id, sizeof(r.transmission_id), t.transmission_id);
    copy_col(r.message_uuid, sizeof(r.message_uuid), t.uuid);
    copy_col(r.message_id, sizeof(r.message_id), t.message_id);
    copy_col(r.receipt_status, sizeof(r.receipt_status), status);
    copy_col(r.error_code, sizeof(r.error_code), error_code);
    copy_col(r.error_message, sizeof(r.error_message), error_message);
    r.time_ms = now;
    rc = kv_receipt_insert(db, &r, t.push, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db,
                       "UPDATE recipient_queue SET acknowledged_ms = ?, receipt_status = ?, "
                       "fetched_ms = COALESCE(fetched_ms, ?), state = 'DELIVERED' WHERE id = ?",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_text(s, 2, status, -1);
    kv_stmt_bind_int64(s, 3, now);
    kv_stmt_bind_int64(s, 4, t.qid);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    props = json_pack("{s:s,s:I,s:s?}", "receiptStatus", status, "receiptId", (json_int_t)r.id,
                      "errorCode", (error_code && error_code[0]) ? error_code : NULL);
    props_txt = props ? json_dumps(props, JSON_COMPACT) : NULL;
    ev.tag = "BUSINESS_RECEIPT_RECEIVED_BY_RECIPIENT_SYSTEM";
    ev.message_uuid = t.uuid;
    ev.system_id = system_id;
    ev.actor = system_id;
    ev.props_json = props_txt;
    ev.time_ms = now;
    rc = kv_events_append(db, &ev, err);
    if (rc < 0)
        goto out;
    rc = kv_db_commit(db, err);
    if (rc == 0 && out_receipt_id)
        *out_receipt_id = r.id;
    free(props_txt);
    json_decref(props);
    return rc;
out:
    kv_db_rollback(db);
    free(props_txt);
    json_decref(props);
    return rc;
}

int kv_recipient_delete(struct kv_db *db, const char *system_id, const char *uuid,
                        struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "UPDATE recipient_queue SET state = 'DELETED' WHERE system_id = ? "
                           "AND state <> 'DELETED' AND letter_id = "
                           "(SELECT id FROM letters l WHERE l.message_uuid = lower(?) " VISIBLE ")",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_text(s, 2, uuid, -1);
    kv_stmt_bind_int64(s, 3, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return kv_db_changes(db) == 1 ? 0 : not_found(err);
}

int kv_recipient_queue_length(struct kv_db *db, const char *system_id, int64_t *out,
                              struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT COUNT(*) FROM recipient_queue WHERE system_id = ? "
                           "AND state = 'QUEUED'",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    rc = kv_stmt_step(s, err);
    *out = rc == KV_ROW ? kv_stmt_col_int64(s, 0) : 0;
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

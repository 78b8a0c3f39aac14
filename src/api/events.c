/* SPDX-License-Identifier: MIT
 *
 * events.c (api): the event log for sender systems, NgDP's
 *   GET /apis/v1/events/?dateFrom=&dateTo=&eventTag=&messageUUID=&page=&size=&afterSeq=
 * Authenticated with a system's Basic token. Scope (docs/events-api.md):
 *   - without messageUUID: the events recorded against the calling system (every event about
 *     a letter it submitted, its receipts and their pushes carry its system id);
 *   - with messageUUID: every event of that letter, when the caller's organisation sent it
 *     (senderID) or received it (recipient CVR); otherwise an empty page, so the existence of
 *     other organisations' letters does not leak.
 * dateFrom is inclusive, dateTo exclusive; both ISO-8601 (a bare date means 00:00
 * Europe/Copenhagen, and a bare dateTo includes that whole day). Events come oldest first in a
 * page {content, number, size, totalElements, totalPages, previous, next}; afterSeq=N starts
 * after event N (cheap cursor paging for large logs). Rows come from kv_events_query.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/read_util.h"
#include "hub/directory.h"
#include "hub/events.h"
#include "store/store.h"
#include "util/page.h"

#define EVENTS_PAGE_MAX 1000
#define EVENTS_PAGE_DEFAULT 20

/* 1 when the caller's organisation sent or received the letter uuid. */
static int letter_in_scope(struct kv_db *db, const struct kv_system *sys, const char *uuid,
                           int *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT 1 FROM letters WHERE message_uuid = ? AND (sender_cvr = ? OR "
                           "(recipient_type = 'CVR' AND recipient_id = ?))",
                           &s, err);
    *out = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, sys->org_cvr, -1);
    kv_stmt_bind_text(s, 3, sys->org_cvr, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    *out = rc == KV_ROW;
    return 0;
}

/* Number of events matching q (ignoring limit). */
static int count_events(struct kv_db *db, const struct kv_event_query *q, int64_t *out,
                        struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT COUNT(*) FROM events WHERE seq > ? "
                           "AND (? = 0 OR time_ms >= ?) AND (? = 0 OR time_ms < ?) "
                           "AND (? = '' OR tag = ?) AND (? = '' OR message_uuid = ?) "
                           "AND (? = '' OR system_id = ?)",
                           &s, err);
    *out = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, q->after_seq);
    kv_stmt_bind_int64(s, 2, q->date_from_ms);
    kv_stmt_bind_int64(s, 3, q->date_from_ms);
    kv_stmt_bind_int64(s, 4, q->date_to_ms);
    kv_stmt_bind_int64(s, 5, q->date_to_ms);
    kv_stmt_bind_text(s, 6, q->tag ? q->tag : "", -1);
    kv_stmt_bind_text(s, 7, q->tag ? q->tag : "", -1);
    kv_stmt_bind_text(s, 8, q->message_uuid ? q->message_uuid : "", -1);
    kv_stmt_bind_text(s, 9, q->message_uuid ? q->message_uuid : "", -1);
    kv_stmt_bind_text(s, 10, q->system_id ? q->system_id : "", -1);
    kv_stmt_bind_text(s, 11, q->system_id ? q->system_id : "", -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        *out = kv_stmt_col_int64(s, 0);
        rc = 0;
    }
    kv_stmt_done(s);
    return rc;
}

/* Skips `skip` matching events by advancing q->after_seq. */
static int skip_events(struct kv_db *db, struct kv_event_query *q, int64_t skip,
                       struct kv_err *err)
{
    while (skip > 0) {
        json_t *arr = NULL, *last;
        size_t n;
        int rc;
        q->limit = skip > EVENTS_PAGE_MAX ? EVENTS_PAGE_MAX : (int)skip;
        rc = kv_events_query(db, q, &arr, err);
        if (rc < 0)
            return rc;
        n = json_array_size(arr);
        last = n ? json_array_get(arr, n - 1) : NULL;
        if (last)
            q->after_seq = json_integer_value(json_object_get(last, "seq"));
        json_decref(arr);
        if (n == 0)
            break;
        skip -= (int64_t)n;
    }
    return 0;
}

static int tag_ok(const char *t)
{
    size_t i, n = strlen(t);
    if (n == 0 || n > 64)
        return 0;
    for (i = 0; i < n; i++)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
            return 0;
    return 1;
}

static int list(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_event_query q;
    struct kv_err err = {0};
    const char *from = kv_http_req_query(req, "dateFrom");
    const char *to = kv_http_req_query(req, "dateTo");
    const char *tag = kv_http_req_query(req, "eventTag");
    const char *uuid = kv_http_req_query(req, "messageUUID");
    char lower[37];
    int64_t page, size, after, total = 0;
    json_t *content = NULL, *o;
    int in_scope = 1, rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0)
        goto out;
    memset(&q, 0, sizeof(q));
    if (kv__read_query_int(req, resp, "page", 0, 0, INT32_MAX, &page) < 0 ||
        kv__read_query_int(req, resp, "size", EVENTS_PAGE_DEFAULT, 1, EVENTS_PAGE_MAX, &size) <
            0 ||
        kv__read_query_int(req, resp, "afterSeq", 0, 0, INT64_MAX, &after) < 0)
        goto out;
    if (from && kv__read_parse_time(from, 0, &q.date_from_ms) < 0) {
        kv__read_bad_param(resp, "dateFrom", from, "dateFrom must be an ISO-8601 date or time");
        goto out;
    }
    if (to && kv__read_parse_time(to, 1, &q.date_to_ms) < 0) {
        kv__read_bad_param(resp, "dateTo", to, "dateTo must be an ISO-8601 date or time");
        goto out;
    }
    if (from && to && q.date_to_ms <= q.date_from_ms) {
        kv__read_bad_param(resp, "dateTo", to, "dateTo must be after dateFrom");
        goto out;
    }
    if (tag && !tag_ok(tag)) {
        kv__read_bad_param(resp, "eventTag", tag, "eventTag is an upper-case event name");
        goto out;
    }
    q.tag = tag;
    q.after_seq = after;
    if (uuid) {
        size_t i;
        if (strlen(uuid) != 36) {
            kv__read_bad_param(resp, "messageUUID", uuid, "messageUUID must be a UUID");
            goto out;
        }
        for (i = 0; i < 36; i++)
            lower[i] = (char)tolower((unsigned char)uuid[i]);
        lower[36] = '\0';
        q.message_uuid = lower;
        rc = letter_in_scope(db, &sys, lower, &in_scope, &err);
        if (rc < 0) {
            kv_http_resp_from_err(resp, rc, &err);
            goto out;
        }
    } else {
        q.system_id = sys.id;
    }

    if (in_scope) {
        rc = count_events(db, &q, &total, &err);
        if (rc == 0)
            rc = skip_events(db, &q, page * size, &err);
        if (rc == 0) {
            q.limit = (int)size;
            rc = kv_events_query(db, &q, &content, &err);
        }
        if (rc < 0) {
            kv_http_resp_from_err(resp, rc, &err);
            goto out;
        }
    }
    if (!content)
        content = json_array();
    o = kv_page_json(content, req->path, page, size, total);
    kv_http_resp_json(resp, 200, o);
out:
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_events_routes[] = {
    {"GET", "/apis/v1/events/", list, "events_list", 0},
    {NULL, NULL, NULL, NULL, 0},
};

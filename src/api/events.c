/* SPDX-License-Identifier: MIT
 *
 * events.c (api): the event log for sender and recipient systems, NgDP's
 *   GET /apis/v1/events/?dateFrom=&dateTo=&eventTag=&senderOrRecipient=
 *       &senderOrRecipientSystem=&ownerOrActor=&any=&sortFields=&messageUUID=&page=&size=
 *       &afterSeq=&untilSeq=
 * Authenticated with a system's Basic token. This file reads and checks the parameters and
 * writes the page; who sees what, the filters and the EventLog objects are the hub's
 * (kv_events_search, src/hub/event_search.c; docs/events-api.md):
 *   - without messageUUID and senderOrRecipientSystem: the events recorded against the calling
 *     system;
 *   - senderOrRecipientSystem=<id>: the events of that system, when it is one of the caller's
 *     organisation (another organisation's: an empty page);
 *   - messageUUID=<uuid>: every event of that letter, when the caller's organisation sent or
 *     received it; otherwise an empty page, so other organisations' letters do not leak;
 *   - senderOrRecipient=<CPR or CVR>: only events whose subject or actor is that person or
 *     company; ownerOrActor=<CPR, CVR or system id> narrows the same way (a system: events
 *     it caused, when it is one of the caller's organisation's);
 *   - any=<term,...>: events one of whose keywords equals one of the terms;
 *   - sortFields=<field[:asc|:desc],...>: the order (default: oldest first).
 * dateFrom is inclusive, dateTo exclusive; both ISO-8601 (a bare date means 00:00
 * Europe/Copenhagen, and a bare dateTo includes that whole day). Events come oldest first in
 * NgDP's EventLogSearchResult {events, currentPage, totalPages, elementsOnPage,
 * totalElements, next}; "next" (present when there is a next page) is the relative URL of it
 * with the same filters and untilSeq=<the newest event when page 0 was read>, so every page
 * of a walk cuts the same set (events are never changed or deleted). afterSeq=N starts after
 * event N (cheap cursor paging).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/query_view.h"
#include "api/read_util.h"
#include "hub/directory.h"
#include "hub/events.h"
#include "store/store.h"
#include "util/buf.h"

#define EVENTS_PAGE_MAX 1000
#define EVENTS_PAGE_DEFAULT 20

/* NgDP's EventLogSearchResult; takes events. until is the snapshot of this walk, which
 * "next" carries on. */
static json_t *result_json(struct kv_http_req *req, json_t *events, int64_t page, int64_t size,
                           int64_t total, const struct kv_event_search *q, int64_t until)
{
    int64_t pages = (total + size - 1) / size;
    json_t *o = json_object();

    json_object_set_new(o, "events", events);
    json_object_set_new(o, "currentPage", json_integer(page));
    json_object_set_new(o, "totalPages", json_integer(pages));
    json_object_set_new(o, "elementsOnPage", json_integer((json_int_t)json_array_size(events)));
    json_object_set_new(o, "totalElements", json_integer(total));
    if (page + 1 < pages) {
        struct kv_buf b;
        kv_buf_init(&b, 8192);
        kv_buf_printf(&b, "%s?page=%lld&size=%lld", req->path, (long long)(page + 1),
                      (long long)size);
        kv__read_add_param(&b, "dateFrom", kv_http_req_query(req, "dateFrom"));
        kv__read_add_param(&b, "dateTo", kv_http_req_query(req, "dateTo"));
        kv__read_add_param(&b, "eventTag", q->tag);
        kv__read_add_param(&b, "messageUUID", q->message_uuid);
        kv__read_add_param(&b, "senderOrRecipient", q->party ? q->party + 4 : NULL);
        kv__read_add_param(&b, "senderOrRecipientSystem", q->system_id);
        kv__read_add_param(&b, "ownerOrActor", q->owner_actor);
        kv__read_add_param(&b, "any", kv_http_req_query(req, "any"));
        kv__read_add_param(&b, "sortFields", kv_http_req_query(req, "sortFields"));
        kv__read_add_param(&b, "fields", kv_http_req_query(req, "fields"));
        if (q->after_seq > 0)
            kv_buf_printf(&b, "&afterSeq=%lld", (long long)q->after_seq);
        kv_buf_printf(&b, "&untilSeq=%lld", (long long)until);
        json_object_set_new(o, "next", json_stringn(b.buf, b.len));
        kv_buf_release(&b);
    }
    return o;
}

/* Lower-cases a UUID parameter into out; 0, or writes the 400 and returns KV_EINVAL. */
static int uuid_param(struct kv_http_req *req, struct kv_http_resp *resp, const char *name,
                      char out[37], const char **dst)
{
    const char *v = kv_http_req_query(req, name);
    size_t i;

    *dst = NULL;
    if (!v)
        return 0;
    if (strlen(v) != 36)
        return kv__read_bad_param(resp, name, v, "must be a UUID");
    for (i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? v[i] != '-' : !isxdigit((unsigned char)v[i]))
            return kv__read_bad_param(resp, name, v, "must be a UUID");
        out[i] = (char)tolower((unsigned char)v[i]);
    }
    out[36] = '\0';
    *dst = out;
    return 0;
}

/* A CPR (10 digits) or CVR (8 digits) number v of parameter name, spaces and hyphens
 * ignored, optionally written "cpr:..." / "cvr:..."; into out as "cpr:<digits>" /
 * "cvr:<digits>". 0, or writes the 400 and returns KV_EINVAL. */
static int party_value(struct kv_http_resp *resp, const char *name, const char *v, char out[16])
{
    static const char msg[] = "a CPR (10 digits) or CVR (8 digits) number";
    const char *p = v;
    char digits[12];
    size_t n = 0;

    if (strncasecmp(p, "cpr:", 4) == 0 || strncasecmp(p, "cvr:", 4) == 0)
        p += 4;
    for (; *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (!isdigit((unsigned char)*p) || n == 10)
            return kv__read_bad_param(resp, name, v, msg);
        digits[n++] = *p;
    }
    digits[n] = '\0';
    if ((n != 10 && n != 8) || (p - v > 4 && v[3] == ':' &&
                                ((n == 10) != (strncasecmp(v, "cpr", 3) == 0))))
        return kv__read_bad_param(resp, name, v, msg);
    snprintf(out, 16, "%s:%s", n == 10 ? "cpr" : "cvr", digits);
    return 0;
}

/* senderOrRecipient: a CPR or CVR number (party_value). */
static int party_param(struct kv_http_req *req, struct kv_http_resp *resp, char out[16],
                       const char **dst)
{
    const char *v = kv_http_req_query(req, "senderOrRecipient");

    *dst = NULL;
    if (!v)
        return 0;
    if (party_value(resp, "senderOrRecipient", v, out) < 0)
        return KV_EINVAL;
    *dst = out;
    return 0;
}

/* ownerOrActor (NgDP's generated client writes the name with a trailing space, "ownerOrActor "
 * -> "ownerOrActor%20"; both spellings are read): a CPR or CVR number (party_value), or the
 * id of a system, lower-cased into out. */
static int owner_param(struct kv_http_req *req, struct kv_http_resp *resp, char out[40],
                       const char **dst)
{
    const char *v = kv_http_req_query(req, "ownerOrActor ");
    size_t i;

    *dst = NULL;
    if (!v)
        v = kv_http_req_query(req, "ownerOrActor");
    if (!v)
        return 0;
    if (strlen(v) == 36) {
        for (i = 0; i < 36; i++) {
            int dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? v[i] != '-' : !isxdigit((unsigned char)v[i]))
                return kv__read_bad_param(resp, "ownerOrActor", v,
                                          "ownerOrActor is a CPR or CVR number or a system id");
            out[i] = (char)tolower((unsigned char)v[i]);
        }
        out[36] = '\0';
    } else if (party_value(resp, "ownerOrActor", v, out) < 0) {
        return KV_EINVAL;
    }
    *dst = out;
    return 0;
}

/* any: one or more comma-separated terms (at most KV_EVENT_ANY_MAX, each 1..KV_EVENT_ANY_LEN
 * bytes; empty ones between commas are skipped), copied into buf and pointed to by q->any.
 * A UUID-long term is lower-cased (ids are stored so). */
static int any_param(struct kv_http_req *req, struct kv_http_resp *resp,
                     char buf[KV_EVENT_ANY_MAX][KV_EVENT_ANY_LEN + 1], struct kv_event_search *q)
{
    const char *v = kv_http_req_query(req, "any"), *p, *e;
    size_t len, i;

    if (!v)
        return 0;
    for (p = v;; p = e + 1) {
        e = strchr(p, ',');
        len = e ? (size_t)(e - p) : strlen(p);
        if (len > 0) {
            if (q->n_any == KV_EVENT_ANY_MAX || len > KV_EVENT_ANY_LEN)
                return kv__read_bad_param(resp, "any", v,
                                          "any is at most 10 comma-separated terms of at most "
                                          "128 bytes each");
            memcpy(buf[q->n_any], p, len);
            buf[q->n_any][len] = '\0';
            for (i = 0; len == 36 && i < len; i++)
                buf[q->n_any][i] = (char)tolower((unsigned char)buf[q->n_any][i]);
            q->any[q->n_any] = buf[q->n_any];
            q->n_any++;
        }
        if (!e)
            break;
    }
    return 0;
}

/* sortFields: "field[:asc|:desc],..." (NgDP's syntax; the direction in any case), at most
 * KV_EVENT_SORT_MAX fields of kv_event_sort_field's names. */
static int sort_param(struct kv_http_req *req, struct kv_http_resp *resp,
                      struct kv_event_search *q)
{
    static const char msg[] =
        "sortFields is up to 3 of eventTime, created, eventTag, id, eventId, actor, subject, "
        "messageUUID, seq, each optionally followed by :asc or :desc";
    const char *v = kv_http_req_query(req, "sortFields"), *p, *e, *colon;
    size_t len, flen;

    if (!v)
        return 0;
    for (p = v;; p = e + 1) {
        int code, desc = 0;
        e = strchr(p, ',');
        len = e ? (size_t)(e - p) : strlen(p);
        colon = memchr(p, ':', len);
        flen = colon ? (size_t)(colon - p) : len;
        if (colon) {
            size_t dl = len - flen - 1;
            if (dl == 4 && strncasecmp(colon + 1, "desc", 4) == 0)
                desc = 1;
            else if (!(dl == 3 && strncasecmp(colon + 1, "asc", 3) == 0))
                return kv__read_bad_param(resp, "sortFields", v, msg);
        }
        code = kv_event_sort_field(p, flen);
        if (!code || q->n_sort == KV_EVENT_SORT_MAX)
            return kv__read_bad_param(resp, "sortFields", v, msg);
        q->sort[q->n_sort++] = code | (desc ? KV_EVENT_SORT_DESC : 0);
        if (!e)
            break;
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
    struct kv_event_search q;
    struct kv_err err = {0};
    const char *from = kv_http_req_query(req, "dateFrom");
    const char *to = kv_http_req_query(req, "dateTo");
    const char *tag = kv_http_req_query(req, "eventTag");
    char uuid[37], system[37], party[16], owner[40];
    char any[KV_EVENT_ANY_MAX][KV_EVENT_ANY_LEN + 1];
    int64_t total = 0, until = 0;
    json_t *events = NULL;
    struct kv__view view;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_system_auth(req, resp, db, &sys) < 0)
        goto out;
    memset(&q, 0, sizeof(q));
    memset(&view, 0, sizeof(view));
    if (kv__view_parse_fields(req, resp, &view) < 0)
        goto out;
    if (kv__read_query_int(req, resp, "page", 0, 0, INT32_MAX, &q.page) < 0 ||
        kv__read_query_int(req, resp, "size", EVENTS_PAGE_DEFAULT, 1, EVENTS_PAGE_MAX, &q.size) <
            0 ||
        kv__read_query_int(req, resp, "afterSeq", 0, 0, INT64_MAX, &q.after_seq) < 0 ||
        kv__read_query_int(req, resp, "untilSeq", 0, 0, INT64_MAX, &q.until_seq) < 0)
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
    if (uuid_param(req, resp, "messageUUID", uuid, &q.message_uuid) < 0 ||
        uuid_param(req, resp, "senderOrRecipientSystem", system, &q.system_id) < 0 ||
        party_param(req, resp, party, &q.party) < 0 ||
        owner_param(req, resp, owner, &q.owner_actor) < 0 || any_param(req, resp, any, &q) < 0 ||
        sort_param(req, resp, &q) < 0)
        goto out;
    q.tag = tag;
    q.caller_system_id = sys.id;
    q.caller_cvr = sys.org_cvr;
    rc = kv_events_search(db, &q, &events, &total, &until, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    kv__view_project(&view, events); /* fields */
    kv_http_resp_json(resp, 200, result_json(req, events, q.page, q.size, total, &q, until));
out:
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_events_routes[] = {
    {"GET", "/apis/v1/events/", list, "events_list", 0, KV_ACCESS_SYSTEM},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* SPDX-License-Identifier: MIT
 *
 * event_search.c: the event log as NgDP's GET /apis/v1/events/ shows it to a system (see
 * kv_events_search in events.h): who may see which events, the filters as SQL, the mapping of
 * kuvert's tags onto NgDP's EventLogEventTag catalogue, and the EventLog objects, in which
 * systems of other organisations appear by name only.
 *
 * Tags: an event keeps the tag it was stored with (the hash chain covers it). What a client
 * sees in eventTag is that tag when NgDP 1.68 knows it, else its entry in MAP (e.g.
 * SYSTEM_CREATED -> SYSTEM_CHANGED), else UNKNOWN; the stored tag is then in
 * eventProperties.kuvertTag. The eventTag filter takes an NgDP tag (matching every stored tag
 * shown as it) or a stored kuvert tag (matching exactly). A tag added to the hub that NgDP
 * does not know belongs in MAP.
 */
#include "hub/events.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/clock.h"

/* NgDP 1.68's EventLogEventTag (the generated client's enum, in its order). */
static const char *const NGDP_TAGS[] = {
    "UNKNOWN", "ACCESS_REQUEST_APPROVED", "ACCESS_REQUEST_REJECTED", "ACCESS_REQUEST_REVOKED",
    "ACCESS_REQUEST_SUBMITTED", "ACCESS_REQUEST_WITHDRAWN", "APP_ACCESS_CREATED",
    "APP_ACCESS_REMOVED", "BUSINESS_RECEIPT_CREATED", "BUSINESS_RECEIPT_RECEIVED",
    "BUSINESS_RECEIPT_RECEIVED_BY_RECIPIENT_SYSTEM", "BUSINESS_RECEIPT_SEND_TO_SENDER_SYSTEM",
    "BUSINESS_RECEIPT_SEND_TO_SENDER_SYSTEM_FAILED", "BUSINESS_RECEIPT_SENT", "CONSENT_REVOKED",
    "CONTACT_CPR_UPDATED", "CONTACT_CVR_UPDATED", "CONTACT_GROUP_CHANGED",
    "CONTACT_POINT_CHANGED", "CONTACT_REGISTRY_ACCESSED_CITIZEN", "CONTACT_SEARCHES",
    "CPR_LOOKED_UP", "CVR_LOOKED_UP", "DELAYED_MEMO_MESSAGE_RECALLED", "DELAYED_MEMO_SEND_SENT",
    "DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY", "DELEGATED_SUPPORT_ADMIN_PRIVILEGE_GRANTED",
    "DELEGATED_SUPPORT_ADMIN_PRIVILEGE_GRANTED_ON_BEHALF_OF",
    "DELEGATED_SUPPORT_ADMIN_PRIVILEGE_REVOKED",
    "DELEGATED_SUPPORT_ADMIN_PRIVILEGE_REVOKED_ON_BEHALF_OF", "DIGITAL_POST_EXEMPTED",
    "DIGITAL_POST_REGISTERED", "DIRECT_PRIVILEGE_READ", "DIRECT_PRIVILEGE_SEARCHES",
    "DRAFT_DELETED", "DRAFT_SAVED", "EMAIL_NOTIFICATION_SUBSCRIPTION_CREATED",
    "EMAIL_NOTIFICATION_SUBSCRIPTION_DELETED", "EMAIL_NOTIFICATION_SUBSCRIPTION_UPDATED",
    "EMAIL_NOTIFICATION_SUBSCRIPTION_VERIFIED", "EVENT_LOG_SEARCHES", "FLAG_CHANGED",
    "FOLDER_CREATED", "FOLDER_DELETED", "FOLDER_MOVED", "FOLDER_UPDATED",
    "IDENTITY_DEACTIVATED", "IDENTITY_REACTIVATED", "IDENTITY_READ", "IDENTITY_SEARCHES",
    "INTRODUCTION_COMPLETED", "MAILBOX_READ", "MAILBOX_READ_BY_PARTY_REPRESENTATIVE",
    "MEMO_ARCHIVE_REJECTED", "MEMO_AVAILABLE_TO_RECIPIENT", "MEMO_EXTRACTED",
    "MEMO_MASS_SEND_RECEIVED", "MEMO_MESSAGE_RECALLED", "MEMO_SEND_FAILED",
    "MEMO_SEND_FETCHED_BY_RECIPIENT_SYSTEM", "MEMO_SEND_READY_FOR_FETCH", "MEMO_SEND_RECALLED",
    "MEMO_SEND_RECEIVED", "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM",
    "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM_FAILED", "MEMO_SEND_VALIDATED",
    "MEMO_SEND_VALIDATION_FAILED", "MEMO_TRANSFORMATION_FAILED", "MESSAGE_CREATED",
    "MESSAGE_DELETED", "MESSAGE_FORWARDED_TO_AUTHORITY", "MESSAGE_FORWARDED_TO_EMAIL",
    "MESSAGE_FORWARDED_TO_TRUSTED", "MESSAGE_LEGALLY_NOTIFIED", "MESSAGE_MOVED", "MESSAGE_READ",
    "MESSAGE_RECALLED_BY_ADMINISTRATOR", "MESSAGE_RECEIVED", "MESSAGE_SENT",
    "MESSAGE_SENT_MAILBOX", "MESSAGE_UPDATED", "NEM_SMS_ACTIVATED", "NEM_SMS_CREATED",
    "NEM_SMS_DELETED", "NEM_SMS_SEND_FAILED", "NEM_SMS_SENT_AND_REJECTED",
    "NEM_SMS_SENT_SUCCESSFULLY", "NEM_SMS_UPDATED", "NOTIFICATION_DEVICE_TOKEN_STALE_FAILED",
    "NOTIFICATION_FAILED", "NOTIFICATION_PUSH_COMPLETED", "NOTIFICATION_SENT", "PERSON_SEARCHES",
    "PHYSICAL_LETTER_SENT", "PINCODE_SENT_TO_MOBILE_NEM_SMS", "PRIVILEGES_GRANTED",
    "PRIVILEGES_GRANTED_ON_BEHALF_OF", "PRIVILEGES_REVOKED", "PRIVILEGES_REVOKED_ON_BEHALF_OF",
    "PRIVILEGE_GROUP_READ", "PRIVILEGE_GROUP_SEARCHES", "PUSH_NOTIFICATION_SUBSCRIPTION_CREATED",
    "PUSH_NOTIFICATION_SUBSCRIPTION_DELETED", "PUSH_NOTIFICATION_SUBSCRIPTION_UPDATED",
    "READ_ACCESS_CREATED", "READ_ACCESS_DELETED", "SMS_NOTIFICATION_SUBSCRIPTION_CREATED",
    "SMS_NOTIFICATION_SUBSCRIPTION_DELETED", "SMS_NOTIFICATION_SUBSCRIPTION_UPDATED",
    "SMS_NOTIFICATION_SUBSCRIPTION_VERIFIED", "STATISTICAL_REPORT_CREATED",
    "STATISTICAL_REPORT_DELETED", "STATISTICAL_REPORT_DOWNLOADED",
    "STATISTICAL_REPORT_SUBSCRIPTION_CREATED", "STATISTICAL_REPORT_SUBSCRIPTION_DELETED",
    "STATISTICAL_REPORT_SUBSCRIPTION_READ", "STATISTICAL_REPORT_SUBSCRIPTION_SEARCH",
    "STATISTICAL_REPORT_SUBSCRIPTION_UPDATED", "STATISTICS_READ", "SYSTEM_CHANGED",
    "SYSTEM_FETCH_FINISHED", "SYSTEM_FETCH_STARTED", "SYSTEM_FETCH_STOPPED",
    "MEMO_SYSTEM_FETCHED", "TECHNICAL_RECEIPT_SENT", "TECHNICAL_RECEIPT_SENT_TO_SENDER_SYSTEM",
    "UNOPENED_MAIL_AS_PHYSICAL_POST", "UNOPENED_MAIL_NOT_AS_PHYSICAL_POST",
    "UNOPENED_MAIL_SENT_AS_PHYSICAL_POST", NULL};

/* kuvert's own tags and the NgDP tag each is shown as. */
static const struct {
    const char *kuvert, *ngdp;
} MAP[] = {
    {"MEMO_SEND_NOT_ALLOWED", "MEMO_SEND_VALIDATION_FAILED"}, /* refused: recipient, rights */
    {"SYSTEM_CREATED", "SYSTEM_CHANGED"},
    {"SYSTEM_ACTIVATED", "SYSTEM_CHANGED"},
    {"SYSTEM_DEACTIVATED", "SYSTEM_CHANGED"},
    {"SYSTEM_DEFAULT_CHANGED", "SYSTEM_CHANGED"},
    {"SYSTEM_WARNING", "SYSTEM_CHANGED"},
    {"SYSTEM_SECRET_ROTATED", "SYSTEM_CHANGED"},
    {"SYSTEM_TOKEN_ROTATED", "SYSTEM_CHANGED"},
    {"DELEGATION_CREATED", "SYSTEM_CHANGED"}, /* NgDP: delegatedCVR on a system */
    {"DELEGATION_REMOVED", "SYSTEM_CHANGED"},
    {"MAILBOX_CREATED", "DIGITAL_POST_REGISTERED"},
    {"MAILBOX_CLOSED", "IDENTITY_DEACTIVATED"},
    {"USER_TOKEN_CREATED", "APP_ACCESS_CREATED"},
    {"USER_TOKEN_REVOKED", "APP_ACCESS_REMOVED"},
    {"ORGANISATION_CREATED", "UNKNOWN"},
    {"PRIVILEGES_UPDATED", "PRIVILEGES_GRANTED"}, /* rights (src/identity/) */
    {"PRIVILEGE_GROUP_MEMBER_ADDED", "PRIVILEGES_GRANTED"},
    {"PRIVILEGES_EXPIRED", "PRIVILEGES_REVOKED"},
    {"PRIVILEGE_GROUP_MEMBER_REMOVED", "PRIVILEGES_REVOKED"},
    {"PRIVILEGE_EXPIRATION_NOTIFIED", "NOTIFICATION_SENT"},
    {NULL, NULL},
};

#define N_NGDP (sizeof(NGDP_TAGS) / sizeof(NGDP_TAGS[0]) - 1)
#define N_MAP (sizeof(MAP) / sizeof(MAP[0]) - 1)
#define TAG_SLOTS 16      /* ?8..?23: the stored tags one NgDP tag stands for */
#define P_NOT_IN 24       /* ?24..: every known tag, for UNKNOWN */
#define P_LIMIT 400       /* ?400, ?401: LIMIT, OFFSET */
#define SQL_MAX 4096

_Static_assert(P_NOT_IN + N_NGDP + N_MAP < P_LIMIT, "tag parameters run into LIMIT/OFFSET");

int kv_event_tag_is_ngdp(const char *tag)
{
    size_t i;

    for (i = 0; tag && NGDP_TAGS[i]; i++)
        if (strcmp(NGDP_TAGS[i], tag) == 0)
            return 1;
    return 0;
}

const char *kv_event_tag_ngdp(const char *tag)
{
    size_t i;

    if (kv_event_tag_is_ngdp(tag))
        return tag;
    for (i = 0; tag && MAP[i].kuvert; i++)
        if (strcmp(MAP[i].kuvert, tag) == 0)
            return MAP[i].ngdp;
    return "UNKNOWN";
}

/* The search statements, built once (the store caches statements by the address of their
 * text, so the text must live as long as the process): [count][by letter][tag UNKNOWN]
 * [by system]. A system scope is the plain term system_id = ?2 (not folded into an
 * "?2 IS NULL OR" term) so the planner can use the events_system index (migration 025);
 * without one ?2 is still bound and the term reads ?2 IS NULL.
 * Parameters: ?1 message_uuid, ?2 system_id or NULL, ?3 party or NULL, ?4 after seq,
 * ?5 from ms or 0, ?6 to ms or 0, ?7 1 when a tag filter applies, ?8..?23 the stored tags
 * it matches (unused slots NULL), ?24.. every tag NgDP knows or MAP names (UNKNOWN only),
 * ?400 LIMIT, ?401 OFFSET. */
static char SQL[2][2][2][2][SQL_MAX];
static pthread_once_t sql_once = PTHREAD_ONCE_INIT;

static void sql_init(void)
{
    int count, msg, unknown, sys, i;

    for (count = 0; count < 2; count++)
        for (msg = 0; msg < 2; msg++)
            for (unknown = 0; unknown < 2; unknown++)
            for (sys = 0; sys < 2; sys++) {
                char *b = SQL[count][msg][unknown][sys];
                size_t l;
                snprintf(b, SQL_MAX,
                         "SELECT %s FROM events WHERE %s %s"
                         " AND (?3 IS NULL OR subject = ?3 OR actor = ?3) AND seq > ?4"
                         " AND (?5 = 0 OR time_ms >= ?5) AND (?6 = 0 OR time_ms < ?6)"
                         " AND (?7 = 0 OR tag IN (?8",
                         count ? "COUNT(*)"
                               : "seq, event_id, time_ms, tag, message_uuid, system_id, actor,"
                                 " subject, props, hash",
                         msg ? "message_uuid = ?1 AND" : "",
                         sys ? "system_id = ?2" : "?2 IS NULL");
                for (i = 9; i < 8 + TAG_SLOTS; i++) {
                    l = strlen(b);
                    snprintf(b + l, SQL_MAX - l, ", ?%d", i);
                }
                l = strlen(b);
                snprintf(b + l, SQL_MAX - l, ")");
                if (unknown) {
                    l = strlen(b);
                    snprintf(b + l, SQL_MAX - l, " OR tag NOT IN (?%d", P_NOT_IN);
                    for (i = P_NOT_IN + 1; i < P_NOT_IN + (int)(N_NGDP + N_MAP); i++) {
                        l = strlen(b);
                        snprintf(b + l, SQL_MAX - l, ", ?%d", i);
                    }
                    l = strlen(b);
                    snprintf(b + l, SQL_MAX - l, ")");
                }
                l = strlen(b);
                snprintf(b + l, SQL_MAX - l, ")%s",
                         count ? "" : " ORDER BY seq LIMIT ?400 OFFSET ?401");
            }
}

/* Binds q's filters (see SQL). */
static void bind_filters(struct kv_stmt *s, const struct kv_event_search *q, const char *system)
{
    size_t i;
    int slot = 8;

    if (q->message_uuid)
        kv_stmt_bind_text(s, 1, q->message_uuid, -1);
    kv_stmt_bind_text(s, 2, system, -1);
    kv_stmt_bind_text(s, 3, q->party, -1);
    kv_stmt_bind_int64(s, 4, q->after_seq);
    kv_stmt_bind_int64(s, 5, q->date_from_ms > 0 ? q->date_from_ms : 0);
    kv_stmt_bind_int64(s, 6, q->date_to_ms > 0 ? q->date_to_ms : 0);
    kv_stmt_bind_int64(s, 7, q->tag ? 1 : 0);
    if (!q->tag)
        return;
    kv_stmt_bind_text(s, slot++, q->tag, -1);
    if (!kv_event_tag_is_ngdp(q->tag))
        return; /* a kuvert tag matches exactly */
    for (i = 0; MAP[i].kuvert && slot < 8 + TAG_SLOTS; i++)
        if (strcmp(MAP[i].ngdp, q->tag) == 0)
            kv_stmt_bind_text(s, slot++, MAP[i].kuvert, -1);
    if (strcmp(q->tag, "UNKNOWN") == 0) {
        slot = P_NOT_IN;
        for (i = 0; NGDP_TAGS[i]; i++)
            kv_stmt_bind_text(s, slot++, NGDP_TAGS[i], -1);
        for (i = 0; MAP[i].kuvert; i++)
            kv_stmt_bind_text(s, slot++, MAP[i].kuvert, -1);
    }
}

/* 1 when the single-row query sql with the two text parameters finds a row. */
static int exists(struct kv_db *db, const char *sql, const char *a, const char *b, int *out,
                  struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);

    *out = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, a, -1);
    kv_stmt_bind_text(s, 2, b, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    *out = rc == KV_ROW;
    return 0;
}

static const char SQL_LETTER_IN_SCOPE[] =
    "SELECT 1 FROM letters WHERE message_uuid = ?1 AND (sender_cvr = ?2 OR "
    "(recipient_type = 'CVR' AND recipient_id = ?2))";
static const char SQL_SYSTEM_OF_ORG[] = "SELECT 1 FROM systems WHERE id = ?1 AND org_cvr = ?2";

/* Who may see what: with messageUUID, the letter's events when the caller's organisation
 * sent or received it; with a system filter, that system's events when it is the caller
 * organisation's; otherwise the calling system's own events. *out_system is the system_id
 * to filter on (NULL = any); *out_visible 0 when q can see nothing. */
static int scope(struct kv_db *db, const struct kv_event_search *q, const char **out_system,
                 int *out_visible, struct kv_err *err)
{
    int ok = 1, rc;

    *out_visible = 0;
    *out_system = NULL;
    if (q->message_uuid) {
        rc = exists(db, SQL_LETTER_IN_SCOPE, q->message_uuid, q->caller_cvr, &ok, err);
        if (rc < 0 || !ok)
            return rc;
    }
    if (q->system_id) {
        rc = exists(db, SQL_SYSTEM_OF_ORG, q->system_id, q->caller_cvr, &ok, err);
        if (rc < 0 || !ok)
            return rc;
        *out_system = q->system_id;
    } else if (!q->message_uuid) {
        *out_system = q->caller_system_id;
    }
    *out_visible = 1;
    return 0;
}

static const char SQL_SYSTEM_NAME[] = "SELECT org_cvr, name FROM systems WHERE id = ?";

/* Name and organisation of systems met while building one page (a page names few). */
struct sys_cache {
    struct kv_stmt *s; /* the lookup statement while it is in use, else NULL */
    struct {
        char id[37], cvr[9], name[257];
        int known;
    } e[16];
    int n;
};

/* What one event needs to know of a system: whether it is one, its organisation and name. */
struct sys_info {
    int known;
    char cvr[9], name[257];
};

/* Looks id up (id may be any string) into *out, a copy (the cache may be reused by the next
 * lookup); out->known 0 when id is no system. */
static int sys_lookup(struct kv_db *db, struct sys_cache *c, const char *id,
                      struct sys_info *out, struct kv_err *err)
{
    int i, rc;

    memset(out, 0, sizeof(*out));
    if (!id || strlen(id) != 36)
        return 0;
    for (i = 0; i < c->n; i++) {
        if (strcmp(c->e[i].id, id) == 0) {
            out->known = c->e[i].known;
            memcpy(out->cvr, c->e[i].cvr, sizeof(out->cvr));
            memcpy(out->name, c->e[i].name, sizeof(out->name));
            return 0;
        }
    }
    rc = kv_db_prepare(db, SQL_SYSTEM_NAME, &c->s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(c->s, 1, id, -1);
    rc = kv_stmt_step(c->s, err);
    if (rc < 0) {
        kv_stmt_done(c->s);
        c->s = NULL;
        return rc;
    }
    out->known = rc == KV_ROW;
    if (rc == KV_ROW) {
        snprintf(out->cvr, sizeof(out->cvr), "%s", kv_stmt_col_text(c->s, 0));
        snprintf(out->name, sizeof(out->name), "%s", kv_stmt_col_text(c->s, 1));
    }
    kv_stmt_done(c->s);
    c->s = NULL;
    i = c->n < 16 ? c->n++ : 15; /* a full cache keeps recycling its last slot */
    snprintf(c->e[i].id, sizeof(c->e[i].id), "%s", id);
    c->e[i].known = out->known;
    memcpy(c->e[i].cvr, out->cvr, sizeof(out->cvr));
    memcpy(c->e[i].name, out->name, sizeof(out->name));
    return 0;
}

/* eventProperties as NgDP types them (string -> string): strings as they are, other values
 * as their JSON text, nulls left out; system ids of other organisations (members ending in
 * "SystemId") become "<prefix>SystemName". */
static int props_json(struct kv_db *db, struct sys_cache *c, const char *viewer_cvr,
                      const char *text, json_t *out, struct kv_err *err)
{
    json_t *in = text ? json_loads(text, 0, NULL) : NULL, *v;
    const char *k;
    int rc = 0;

    json_object_foreach(in, k, v) {
        size_t kl = strlen(k);
        if (json_is_null(v))
            continue;
        if (json_is_string(v)) {
            struct sys_info si = {0};
            if (kl > 8 && strcmp(k + kl - 8, "SystemId") == 0) {
                rc = sys_lookup(db, c, json_string_value(v), &si, err);
                if (rc < 0)
                    break;
            }
            if (si.known && strcmp(si.cvr, viewer_cvr) != 0) {
                char name[128];
                snprintf(name, sizeof(name), "%.*sSystemName", (int)(kl - 8), k);
                json_object_set_new(out, name, json_string(si.name));
            } else {
                json_object_set(out, k, v);
            }
        } else {
            char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            if (t)
                json_object_set_new(out, k, json_string(t));
            free(t);
        }
    }
    json_decref(in);
    return rc;
}

/* One EventLog object from the row (seq, event_id, time_ms, tag, message_uuid, system_id,
 * actor, subject, props, hash) as organisation viewer_cvr may see it. */
static int event_json(struct kv_db *db, struct kv_stmt *s, struct sys_cache *c,
                      const char *viewer_cvr, json_t **out, struct kv_err *err)
{
    const char *tag = kv_stmt_col_text(s, 3), *uuid = kv_stmt_col_text(s, 4);
    const char *sys = kv_stmt_col_text(s, 5), *actor = kv_stmt_col_text(s, 6);
    const char *subject = kv_stmt_col_text(s, 7), *ngdp = kv_event_tag_ngdp(tag);
    json_t *o = json_object(), *props = json_object();
    char ts[32];
    struct sys_info si, ai;
    int rc;

    kv_clock_format_utc(kv_stmt_col_int64(s, 2), ts, sizeof(ts));
    rc = sys_lookup(db, c, sys, &si, err);
    if (rc == 0)
        rc = sys_lookup(db, c, actor, &ai, err);
    if (rc == 0)
        rc = props_json(db, c, viewer_cvr, kv_stmt_col_text(s, 8), props, err);
    if (rc < 0) {
        json_decref(o);
        json_decref(props);
        return rc;
    }
    if (strcmp(ngdp, tag) != 0)
        json_object_set_new(props, "kuvertTag", json_string(tag));
    if (uuid)
        json_object_set_new(props, "messageUUID", json_string(uuid));
    json_object_set_new(o, "id", json_string(kv_stmt_col_text(s, 1)));
    json_object_set_new(o, "eventId", json_string(kv_stmt_col_text(s, 1)));
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "eventTime", json_string(ts));
    json_object_set_new(o, "created", json_string(ts));
    json_object_set_new(o, "eventTag", json_string(ngdp));
    if (sys) {
        json_t *so = json_object();
        if (si.known && strcmp(si.cvr, viewer_cvr) != 0) {
            json_object_set_new(so, "name", json_string(si.name));
        } else {
            json_object_set_new(so, "id", json_string(sys));
            if (si.known)
                json_object_set_new(so, "name", json_string(si.name));
        }
        json_object_set_new(o, "system", so);
    }
    if (actor) /* a system of another organisation acts under its name */
        json_object_set_new(o, "actor",
                            json_string(ai.known && strcmp(ai.cvr, viewer_cvr) != 0
                                            ? ai.name
                                            : actor));
    if (subject)
        json_object_set_new(o, "subject", json_string(subject));
    json_object_set_new(o, "eventProperties", props);
    /* kuvert's own members (not in NgDP's EventLog, so no client reads them wrongly) */
    json_object_set_new(o, "seq", json_integer(kv_stmt_col_int64(s, 0)));
    if (uuid)
        json_object_set_new(o, "messageUUID", json_string(uuid));
    json_object_set_new(o, "hash", json_string(kv_stmt_col_text(s, 9)));
    *out = o;
    return 0;
}

int kv_events_search(struct kv_db *db, const struct kv_event_search *q, json_t **out_events,
                     int64_t *out_total, struct kv_err *err)
{
    struct sys_cache cache;
    struct kv_stmt *s = NULL;
    const char *system = NULL;
    json_t *arr = NULL;
    int visible, msg = q->message_uuid != NULL, unknown, rc;

    *out_events = NULL;
    *out_total = 0;
    memset(&cache, 0, sizeof(cache));
    if (q->size < 1 || q->size > 1000 || q->page < 0 || q->page > INT32_MAX)
        return kv_err_set(err, KV_EINVAL, "size must be 1..1000 and page 0..2^31-1");
    pthread_once(&sql_once, sql_init);
    unknown = q->tag && strcmp(q->tag, "UNKNOWN") == 0;
    rc = scope(db, q, &system, &visible, err);
    if (rc < 0)
        return rc;
    arr = json_array();
    if (!visible)
        goto done;
    rc = kv_db_prepare(db, SQL[1][msg][unknown][system != NULL], &s, err);
    if (rc < 0)
        goto out;
    bind_filters(s, q, system);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out_total = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    s = NULL;
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, SQL[0][msg][unknown][system != NULL], &s, err);
    if (rc < 0)
        goto out;
    bind_filters(s, q, system);
    kv_stmt_bind_int64(s, P_LIMIT, q->size);
    kv_stmt_bind_int64(s, P_LIMIT + 1, q->page * q->size);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        json_t *e = NULL;
        rc = event_json(db, s, &cache, q->caller_cvr, &e, err);
        if (rc < 0)
            goto out;
        json_array_append_new(arr, e);
    }
    if (rc < 0)
        goto out;
done:
    rc = 0;
    *out_events = arr;
    arr = NULL;
out:
    if (s)
        kv_stmt_done(s);
    if (cache.s)
        kv_stmt_done(cache.s);
    json_decref(arr);
    return rc;
}

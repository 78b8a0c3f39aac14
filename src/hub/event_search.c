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
 *
 * NgDP's generic parameters: ownerOrActor and any= are more WHERE terms, sortFields picks
 * CASE terms of one ORDER BY, and every search is bounded by a snapshot sequence number
 * (until_seq) so that the pages of one walk cut the same set of the append-only log.
 */
#include "hub/events.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/events_int.h"
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
    {"PRINT_JOB_QUEUED", "PHYSICAL_LETTER_SENT"}, /* fjernprint (hub/print.h) */
    {"PRINT_JOB_PRINTED", "PHYSICAL_LETTER_SENT"},
    {"PRINT_JOB_FAILED", "MEMO_SEND_FAILED"},
    {NULL, NULL},
};

#define N_NGDP (sizeof(NGDP_TAGS) / sizeof(NGDP_TAGS[0]) - 1)
#define N_MAP (sizeof(MAP) / sizeof(MAP[0]) - 1)
#define TAG_SLOTS 16      /* ?8..?23: the stored tags one NgDP tag stands for */
#define P_NOT_IN 24       /* ?24..: every known tag, for UNKNOWN */
#define P_OWNER 300       /* ?300: ownerOrActor or NULL */
#define P_ANY 301         /* ?301: 1 when an any= filter applies */
#define P_UNTIL 302       /* ?302: snapshot bound (seq <= ?302) */
#define P_SELF 303        /* ?303: "cvr:" and the caller's CVR (its own mailbox's events) */
#define P_TERM 310        /* ?310..?319: the any= terms */
#define P_TERM_ALT 320    /* ?320..?329: a bare CPR/CVR term as "cpr:"/"cvr:" */
#define P_TERM_LIKE 330   /* ?330..?339: LIKE patterns of the terms over props */
#define P_TERM_TAGS 340   /* ?340..?359: stored tags of the NgDP tags among the terms */
#define ANY_TAG_SLOTS 20
#define P_SORT 360        /* ?360..?362: sort codes; ?363: 1 when the first is descending */
#define P_LIMIT 400       /* ?400, ?401: LIMIT, OFFSET */
#define SQL_MAX 16384

_Static_assert(P_NOT_IN + N_NGDP + N_MAP < P_OWNER, "tag parameters run into ownerOrActor");
_Static_assert(KV_EVENT_ANY_MAX <= 10 && KV_EVENT_SORT_MAX <= 3, "parameter slots too few");

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

/* sortFields names and the column each sorts by (index = KV_EVENT_SORT_* code). */
static const struct {
    const char *name, *alias, *col;
} SORTS[] = {
    {NULL, NULL, NULL},
    {"eventTime", "created", "time_ms"},
    {"eventTag", NULL, "tag"},
    {"id", "eventId", "event_id"},
    {"actor", NULL, "actor"},
    {"subject", NULL, "subject"},
    {"messageUUID", NULL, "message_uuid"},
    {"seq", NULL, "seq"},
};

_Static_assert(sizeof(SORTS) / sizeof(SORTS[0]) == KV_EVENT_SORT_N + 1, "SORTS and codes differ");

int kv_event_sort_field(const char *name, size_t len)
{
    int i;

    for (i = 1; i <= KV_EVENT_SORT_N; i++)
        if ((strlen(SORTS[i].name) == len && memcmp(SORTS[i].name, name, len) == 0) ||
            (SORTS[i].alias && strlen(SORTS[i].alias) == len &&
             memcmp(SORTS[i].alias, name, len) == 0))
            return i;
    return 0;
}

/* Appends printf output to the SQL text b. */
static void cat(char *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cat(char *b, const char *fmt, ...)
{
    size_t l = strlen(b);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(b + l, SQL_MAX - l, fmt, ap);
    va_end(ap);
}

/* " ?from, ?from+1, ..., ?to-1" */
static void cat_params(char *b, int from, int to)
{
    int i;

    for (i = from; i < to; i++)
        cat(b, "%s?%d", i == from ? "" : ", ", i);
}

/* The search statements, built once (the store caches statements by the address of their
 * text, so the text must live as long as the process): [count][by letter][tag UNKNOWN]
 * [by system][sorted]. A system scope is the plain term system_id = ?2 (not folded into an
 * "?2 IS NULL OR" term) so the planner can use the events_system index (migration 025);
 * without one ?2 is still bound and the term reads ?2 IS NULL. The unsorted statement keeps
 * ORDER BY seq, which the primary key delivers without sorting; the sorted one orders by
 * CASE terms chosen by ?360..?362, so one text serves every sortFields.
 * Parameters: ?1 message_uuid, ?2 system_id or NULL, ?3 party or NULL, ?4 after seq,
 * ?5 from ms or 0, ?6 to ms or 0, ?7 1 when a tag filter applies, ?8..?23 the stored tags
 * it matches (unused slots NULL), ?24.. every tag NgDP knows or MAP names (UNKNOWN only),
 * ?300.. ownerOrActor, any= and the snapshot (see P_*), ?360.. the sort, ?400 LIMIT,
 * ?401 OFFSET. The sorted dimension is SORTED_NONE, SORTED_CASE (the CASE terms) or, for
 * sortFields=eventTime alone (what a client reading the newest events first sends),
 * SORTED_TIME_ASC / SORTED_TIME_DESC: a plain ORDER BY time_ms, seq that the index
 * events_system_time (system_id, time_ms, seq; migration 043) delivers in order, so a page
 * reads only its own rows instead of sorting the system's whole log (docs/events-api.md). */
enum { SORTED_NONE, SORTED_CASE, SORTED_TIME_ASC, SORTED_TIME_DESC, SORTED_N };

static char SQL[2][2][2][2][SORTED_N][SQL_MAX];
static pthread_once_t sql_once = PTHREAD_ONCE_INIT;

static void sql_build(char *b, int count, int msg, int unknown, int sys, int sorted)
{
    int k, c;

    /* by time, the seq bounds are written +seq: a range on seq would otherwise lead the
     * planner to events_system (system_id, seq) and a sort of all the system's rows. By
     * letter too: PostgreSQL's generic plan (a prepared statement after 5 executions) cannot
     * see that a messageUUID has a handful of events, and a range on seq led it to a bitmap
     * walk of the primary key over the whole snapshot (seq > ?4 AND seq <= ?302), 52 ms a
     * call at 20,000 letters; written +seq, the seqs come from events_letter / events_msg
     * (docs/events-api.md "Plans"). */
    const char *seq = sorted >= SORTED_TIME_ASC || msg ? "+seq" : "seq";

    snprintf(b, SQL_MAX,
             "SELECT %s FROM events WHERE %s %s"
             " AND (?3 IS NULL OR subject = ?3 OR actor = ?3) AND %s > ?4"
             " AND (?5 = 0 OR time_ms >= ?5) AND (?6 = 0 OR time_ms < ?6)"
             " AND (?%d IS NULL OR subject = ?%d OR actor = ?%d) AND %s <= ?%d"
             " AND (tag NOT IN (" KV__MAILBOX_PRIVATE ") OR subject = ?%d)"
             " AND (?7 = 0 OR tag IN (",
             count ? "COUNT(*)"
                   : "seq, event_id, time_ms, tag, message_uuid, system_id, actor,"
                     " subject, props, hash",
             msg ? "message_uuid = ?1 AND seq IN (" KV__EVENTS_MSG_SEQS("?1") ") AND" : "",
             sys ? "system_id = ?2" : "?2 IS NULL", seq,
             P_OWNER, P_OWNER, P_OWNER, seq, P_UNTIL, P_SELF);
    cat_params(b, 8, 8 + TAG_SLOTS);
    cat(b, ")");
    if (unknown) {
        cat(b, " OR tag NOT IN (");
        cat_params(b, P_NOT_IN, P_NOT_IN + (int)(N_NGDP + N_MAP));
        cat(b, ")");
    }
    cat(b, ") AND (?%d = 0 OR tag IN (", P_ANY);
    cat_params(b, P_TERM, P_TERM + KV_EVENT_ANY_MAX);
    cat(b, ", ");
    cat_params(b, P_TERM_TAGS, P_TERM_TAGS + ANY_TAG_SLOTS);
    cat(b, ") OR event_id IN (");
    cat_params(b, P_TERM, P_TERM + KV_EVENT_ANY_MAX);
    cat(b, ") OR message_uuid IN (");
    cat_params(b, P_TERM, P_TERM + KV_EVENT_ANY_MAX);
    cat(b, ") OR system_id IN (");
    cat_params(b, P_TERM, P_TERM + KV_EVENT_ANY_MAX);
    cat(b, ") OR actor IN (");
    cat_params(b, P_TERM, P_TERM + KV_EVENT_ANY_MAX);
    cat(b, ", ");
    cat_params(b, P_TERM_ALT, P_TERM_ALT + KV_EVENT_ANY_MAX);
    cat(b, ") OR subject IN (");
    cat_params(b, P_TERM, P_TERM + KV_EVENT_ANY_MAX);
    cat(b, ", ");
    cat_params(b, P_TERM_ALT, P_TERM_ALT + KV_EVENT_ANY_MAX);
    cat(b, ")");
    for (k = 0; k < KV_EVENT_ANY_MAX; k++)
        cat(b, " OR props LIKE ?%d ESCAPE '\\'", P_TERM_LIKE + k);
    cat(b, ")");
    if (count)
        return;
    if (sorted == SORTED_NONE) {
        cat(b, " ORDER BY seq LIMIT ?%d OFFSET ?%d", P_LIMIT, P_LIMIT + 1);
        return;
    }
    if (sorted == SORTED_TIME_ASC || sorted == SORTED_TIME_DESC) {
        const char *dir = sorted == SORTED_TIME_DESC ? "DESC" : "ASC";
        cat(b, " ORDER BY time_ms %s, seq %s LIMIT ?%d OFFSET ?%d", dir, dir, P_LIMIT,
            P_LIMIT + 1);
        return;
    }
    cat(b, " ORDER BY");
    for (k = 0; k < KV_EVENT_SORT_MAX; k++)
        for (c = 1; c <= KV_EVENT_SORT_N; c++)
            cat(b,
                " CASE WHEN ?%d = %d THEN %s END ASC NULLS FIRST,"
                " CASE WHEN ?%d = %d THEN %s END DESC NULLS LAST,",
                P_SORT + k, c, SORTS[c].col, P_SORT + k, c | KV_EVENT_SORT_DESC, SORTS[c].col);
    cat(b, " CASE WHEN ?%d = 1 THEN seq END DESC, seq LIMIT ?%d OFFSET ?%d",
        P_SORT + KV_EVENT_SORT_MAX, P_LIMIT, P_LIMIT + 1);
}

static void sql_init(void)
{
    int count, msg, unknown, sys, sorted;

    for (count = 0; count < 2; count++)
        for (msg = 0; msg < 2; msg++)
            for (unknown = 0; unknown < 2; unknown++)
                for (sys = 0; sys < 2; sys++)
                    for (sorted = 0; sorted < SORTED_N; sorted++) {
                        char *b = SQL[count][msg][unknown][sys][sorted];
                        sql_build(b, count, msg, unknown, sys, sorted);
                        if (strlen(b) >= SQL_MAX - 1)
                            abort(); /* SQL_MAX too small: a programming error */
                    }
}

const char *kv__event_search_sql(int count, int msg, int unknown, int sys, int sorted)
{
    pthread_once(&sql_once, sql_init);
    return SQL[!!count][!!msg][!!unknown][!!sys][sorted < 0 || sorted >= SORTED_N ? 0 : sorted];
}

/* The bound texts of one search's any= terms (they must outlive the statement's steps). */
struct any_binds {
    char alt[KV_EVENT_ANY_MAX][16];
    char like[KV_EVENT_ANY_MAX][2 * KV_EVENT_ANY_LEN + 8];
    char self[32];
};

/* "%\"term\"%" for LIKE over the stored properties' JSON text, with \ escaping of % _ \;
 * "" (not bound) for a term that JSON would escape. */
static void like_term(const char *t, char *out, size_t n)
{
    size_t o = 0;

    out[0] = '\0';
    for (const char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\' || (unsigned char)*p >= 0x7f)
            return;
    out[o++] = '%';
    out[o++] = '"';
    for (; *t && o + 4 < n; t++) {
        if (*t == '%' || *t == '_')
            out[o++] = '\\';
        out[o++] = *t;
    }
    out[o++] = '"';
    out[o++] = '%';
    out[o] = '\0';
}

/* Binds q's filters (see SQL). */
static void bind_filters(struct kv_stmt *s, const struct kv_event_search *q, const char *system,
                         int64_t until, int sorted, struct any_binds *ab)
{
    size_t i;
    int slot = 8, k, n;

    if (q->message_uuid)
        kv_stmt_bind_text(s, 1, q->message_uuid, -1);
    kv_stmt_bind_text(s, 2, system, -1);
    kv_stmt_bind_text(s, 3, q->party, -1);
    kv_stmt_bind_int64(s, 4, q->after_seq);
    kv_stmt_bind_int64(s, 5, q->date_from_ms > 0 ? q->date_from_ms : 0);
    kv_stmt_bind_int64(s, 6, q->date_to_ms > 0 ? q->date_to_ms : 0);
    kv_stmt_bind_int64(s, 7, q->tag ? 1 : 0);
    kv_stmt_bind_text(s, P_OWNER, q->owner_actor, -1);
    kv_stmt_bind_int64(s, P_ANY, q->n_any > 0 ? 1 : 0);
    kv_stmt_bind_int64(s, P_UNTIL, until);
    snprintf(ab->self, sizeof(ab->self), "cvr:%.16s",
             q->caller_cvr ? q->caller_cvr : "");
    kv_stmt_bind_text(s, P_SELF, ab->self, -1);
    for (k = 0, n = 0; k < q->n_any && k < KV_EVENT_ANY_MAX; k++) {
        const char *t = q->any[k];
        size_t len = strlen(t);
        int digits = len == 10 || len == 8;
        kv_stmt_bind_text(s, P_TERM + k, t, -1);
        for (i = 0; digits && i < len; i++)
            digits = t[i] >= '0' && t[i] <= '9';
        if (digits) {
            snprintf(ab->alt[k], sizeof(ab->alt[k]), "%s:%s", len == 10 ? "cpr" : "cvr", t);
            kv_stmt_bind_text(s, P_TERM_ALT + k, ab->alt[k], -1);
        }
        like_term(t, ab->like[k], sizeof(ab->like[k]));
        if (ab->like[k][0])
            kv_stmt_bind_text(s, P_TERM_LIKE + k, ab->like[k], -1);
        for (i = 0; kv_event_tag_is_ngdp(t) && MAP[i].kuvert && n < ANY_TAG_SLOTS; i++)
            if (strcmp(MAP[i].ngdp, t) == 0)
                kv_stmt_bind_text(s, P_TERM_TAGS + n++, MAP[i].kuvert, -1);
    }
    for (k = 0; sorted && k < KV_EVENT_SORT_MAX; k++) /* only the sorted SELECT names them */
        kv_stmt_bind_int64(s, P_SORT + k, k < q->n_sort ? q->sort[k] : 0);
    if (sorted)
        kv_stmt_bind_int64(s, P_SORT + KV_EVENT_SORT_MAX,
                           q->n_sort > 0 && (q->sort[0] & KV_EVENT_SORT_DESC) ? 1 : 0);
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

/* A letter is in an organisation's scope when it sent or received it -- except, on the
 * sending side, a letter a company wrote in its mailbox to another citizen's or company's
 * mailbox (a forward: sender_mailbox_id set, and to a CPR, or delivered to a mailbox, or
 * NOT_ALLOWED; a letter written to an authority is routed to its recipient system, no
 * mailbox): whether it was delivered would tell the writer whether the number has Digital
 * Post, which the mailbox's answer does not tell either (docs/mailbox-web.md). */
static const char SQL_LETTER_IN_SCOPE[] =
    "SELECT 1 FROM letters WHERE message_uuid = ?1 AND ((sender_cvr = ?2 AND NOT "
    "(sender_mailbox_id IS NOT NULL AND (recipient_type = 'CPR' OR mailbox_id IS NOT NULL "
    "OR state = 'NOT_ALLOWED'))) OR (recipient_type = 'CVR' AND recipient_id = ?2))";
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
    if (q->owner_actor && strlen(q->owner_actor) == 36) { /* a system: the caller's own org */
        rc = exists(db, SQL_SYSTEM_OF_ORG, q->owner_actor, q->caller_cvr, &ok, err);
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
    /* eventProperties.messageUUID names the event's letter, unless the event's own
     * properties name one (a forward's MESSAGE_FORWARDED_TO_*: the new letter), which is
     * kept; the event's letter is always the top-level messageUUID (docs/events-api.md) */
    if (uuid && !json_object_get(props, "messageUUID"))
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

static const char SQL_HEAD[] = "SELECT COALESCE(MAX(seq), 0) FROM events";

int kv_events_search(struct kv_db *db, const struct kv_event_search *q, json_t **out_events,
                     int64_t *out_total, int64_t *out_until, struct kv_err *err)
{
    struct sys_cache cache;
    struct any_binds ab;
    struct kv_stmt *s = NULL;
    const char *system = NULL;
    json_t *arr = NULL;
    int visible, msg = q->message_uuid != NULL, unknown, sorted = SORTED_NONE, rc, k;
    int64_t until = q->until_seq;

    *out_events = NULL;
    *out_total = 0;
    if (out_until)
        *out_until = until;
    memset(&cache, 0, sizeof(cache));
    memset(&ab, 0, sizeof(ab));
    if (q->size < 1 || q->size > 1000 || q->page < 0 || q->page > INT32_MAX)
        return kv_err_set(err, KV_EINVAL, "size must be 1..1000 and page 0..2^31-1");
    if (q->n_any < 0 || q->n_any > KV_EVENT_ANY_MAX || q->n_sort < 0 ||
        q->n_sort > KV_EVENT_SORT_MAX || until < 0)
        return kv_err_set(err, KV_EINVAL, "at most %d any terms and %d sort fields",
                          KV_EVENT_ANY_MAX, KV_EVENT_SORT_MAX);
    for (k = 0; k < q->n_any; k++)
        if (!q->any[k] || !q->any[k][0] || strlen(q->any[k]) > KV_EVENT_ANY_LEN)
            return kv_err_set(err, KV_EINVAL, "an any term is 1..%d bytes", KV_EVENT_ANY_LEN);
    for (k = 0; k < q->n_sort; k++)
        if ((q->sort[k] & ~KV_EVENT_SORT_DESC) < 1 ||
            (q->sort[k] & ~KV_EVENT_SORT_DESC) > KV_EVENT_SORT_N)
            return kv_err_set(err, KV_EINVAL, "unknown sort field");
    if (q->n_sort == 1 && (q->sort[0] & ~KV_EVENT_SORT_DESC) == KV_EVENT_SORT_TIME)
        sorted = (q->sort[0] & KV_EVENT_SORT_DESC) ? SORTED_TIME_DESC : SORTED_TIME_ASC;
    else if (q->n_sort > 0)
        sorted = SORTED_CASE;
    pthread_once(&sql_once, sql_init);
    unknown = q->tag && strcmp(q->tag, "UNKNOWN") == 0;
    if (until == 0) { /* the snapshot of this walk: everything logged so far */
        int64_t horizon;

        /* no further than the horizon: below it every event that will ever be logged is
         * committed, so the pages of this walk see one fixed set (events.h) */
        rc = kv_events_horizon(db, &horizon, err);
        if (rc < 0)
            return rc;
        rc = kv_db_prepare(db, SQL_HEAD, &s, err);
        if (rc < 0)
            return rc;
        rc = kv_stmt_step(s, err);
        if (rc == KV_ROW)
            until = kv_stmt_col_int64(s, 0);
        kv_stmt_done(s);
        s = NULL;
        if (until >= horizon)
            until = horizon - 1;
        if (rc < 0)
            return rc;
        if (out_until)
            *out_until = until;
    }
    rc = scope(db, q, &system, &visible, err);
    if (rc < 0)
        return rc;
    arr = json_array();
    if (!visible)
        goto done;
    rc = kv_db_prepare(db, SQL[1][msg][unknown][system != NULL][0], &s, err);
    if (rc < 0)
        goto out;
    bind_filters(s, q, system, until, 0, &ab);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out_total = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    s = NULL;
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, SQL[0][msg][unknown][system != NULL][sorted], &s, err);
    if (rc < 0)
        goto out;
    bind_filters(s, q, system, until, sorted == SORTED_CASE, &ab);
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

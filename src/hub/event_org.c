/* SPDX-License-Identifier: MIT
 *
 * event_org.c: the event log as Administrativ Adgang shows it to an organisation's
 * MESSAGE_LOG_ADMINISTRATOR (see kv_events_org_search in events.h), and the check of one
 * letter's events against the hash chain (kv_events_verify_letter).
 *
 * An organisation's events: those of its systems, those of letters it sent (as Sender or
 * through one of its systems) or received (recipient CVR), and those with it as subject or
 * actor, including its employees ("employee:<id>@<cvr>"). A search is always bounded by a
 * period (the events_time index); a letter's events are read through events_letter and
 * events_msg (KV__EVENTS_OF_MSG). A system of
 * another organisation is shown by name, never by id (as system, as actor and in the
 * properties), as the events API does. What a mailbox's owner does with a letter
 * (KV__MAILBOX_PRIVATE: forwards and to whom, moves, deletes, a helper's reading) is left out
 * unless the owner is the organisation itself, as in the events API: a sender's log
 * administrator learns nothing of the recipient's own handling of the letter, such as the
 * CPR number or e-mail address it was forwarded to. The evidence page's chain check
 * (kv_events_verify_letter) still covers every event of the letter.
 */
#include "hub/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hub/events_int.h"
#include "store/store.h"

/* ?1 org, ?2 from ms, ?3 to ms, ?4 party or NULL, ?5 system or NULL, ?6 uuid or NULL,
 * ?7 tag or NULL, ?8 limit, ?9 offset. */
static const char SQL_SEARCH[] =
    "SELECT e.seq, e.event_id, e.time_ms, e.tag, e.message_uuid, e.system_id, e.actor,"
    " e.subject, e.props, e.prev_hash, e.hash,"
    " (SELECT CASE WHEN s.org_cvr = ?1 THEN s.id ELSE '' END || '|' || s.name FROM systems s"
    " WHERE s.id = e.system_id)"
    " FROM events e WHERE e.time_ms >= ?2 AND e.time_ms < ?3"
    " AND (?4 IS NULL OR e.subject = ?4 OR e.actor = ?4)"
    " AND (?5 IS NULL OR e.system_id = ?5)"
    " AND (?6 IS NULL OR e.message_uuid = ?6)"
    " AND (?7 IS NULL OR e.tag = ?7)"
    " AND (EXISTS (SELECT 1 FROM systems s WHERE s.id = e.system_id AND s.org_cvr = ?1)"
    " OR EXISTS (SELECT 1 FROM letters l WHERE l.message_uuid = e.message_uuid"
    " AND (l.sender_cvr = ?1 OR (l.recipient_type = 'CVR' AND l.recipient_id = ?1)"
    " OR l.sender_system IN (SELECT id FROM systems WHERE org_cvr = ?1)))"
    " OR e.subject = 'cvr:' || ?1 OR e.actor = 'cvr:' || ?1"
    " OR e.actor LIKE 'employee:%@' || ?1)"
    " AND (e.tag NOT IN (" KV__MAILBOX_PRIVATE ") OR e.subject = 'cvr:' || ?1)"
    " ORDER BY e.seq DESC LIMIT ?8 OFFSET ?9";

static const char SQL_LETTER_OF_ORG[] =
    "SELECT 1 FROM letters l WHERE l.message_uuid = ?1 AND (l.sender_cvr = ?2"
    " OR (l.recipient_type = 'CVR' AND l.recipient_id = ?2)"
    " OR l.sender_system IN (SELECT id FROM systems WHERE org_cvr = ?2))";

#define LETTER_EVENT_COLS                                                                       \
    "e.seq, e.event_id, e.time_ms, e.tag, e.message_uuid, e.system_id, e.actor, e.subject,"     \
    " e.props, e.prev_hash, e.hash, (SELECT CASE WHEN s.org_cvr = ?2 THEN s.id ELSE '' END ||"  \
    " '|' || s.name FROM systems s WHERE s.id = e.system_id)"

static const char SQL_LETTER_EVENTS[] =
    KV__EVENTS_OF_MSG(LETTER_EVENT_COLS, "e", "?1",
                      " AND (e.tag NOT IN (" KV__MAILBOX_PRIVATE ") OR e.subject = 'cvr:' || ?2)")
    " ORDER BY seq LIMIT ?3";

static const char SQL_SYSTEM[] = "SELECT org_cvr, name FROM systems WHERE id = ?";

/* props with every "<x>SystemId" naming another organisation's system replaced by
 * "<x>SystemName": its name (as the events API shows them). Owned, or NULL when props needs
 * no change (or is not a JSON object). */
static char *props_for(struct kv_db *db, const char *org, const char *props)
{
    json_t *in, *v, *out;
    const char *k;
    char *text = NULL;
    int changed = 0;

    if (!props || !strstr(props, "SystemId"))
        return NULL;
    in = json_loads(props, 0, NULL);
    if (!json_is_object(in)) {
        json_decref(in);
        return NULL;
    }
    out = json_object();
    json_object_foreach(in, k, v) {
        size_t kl = strlen(k);
        struct kv_stmt *s = NULL;
        int other = 0;
        char name[300] = "", key[160];

        if (kl > 8 && kl < 100 && strcmp(k + kl - 8, "SystemId") == 0 && json_is_string(v) &&
            kv_db_prepare(db, SQL_SYSTEM, &s, NULL) == 0) {
            kv_stmt_bind_text(s, 1, json_string_value(v), -1);
            if (kv_stmt_step(s, NULL) == KV_ROW) {
                const char *cvr = kv_stmt_col_text(s, 0), *n = kv_stmt_col_text(s, 1);
                other = cvr && strcmp(cvr, org) != 0;
                snprintf(name, sizeof(name), "%s", n ? n : "");
            }
            kv_stmt_done(s);
        }
        if (other) {
            snprintf(key, sizeof(key), "%.*sSystemName", (int)(kl - 8), k);
            json_object_set_new(out, key, json_string(name));
            changed = 1;
        } else {
            json_object_set(out, k, v);
        }
    }
    if (changed)
        text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(in);
    json_decref(out);
    return text;
}

static int rows(struct kv_db *db, const char *org, struct kv_stmt *s,
                int (*fn)(void *, const struct kv_event_row *), void *arg, size_t *out_n,
                struct kv_err *err)
{
    struct kv_event_row r;
    char sys[300], *clean;
    int rc, stop = 0;

    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *si = kv_stmt_col_text(s, 11), *bar;

        memset(&r, 0, sizeof(r));
        r.seq = kv_stmt_col_int64(s, 0);
        r.event_id = kv_stmt_col_text(s, 1);
        r.time_ms = kv_stmt_col_int64(s, 2);
        r.tag = kv_stmt_col_text(s, 3);
        r.ngdp_tag = kv_event_tag_ngdp(r.tag);
        r.message_uuid = kv_stmt_col_text(s, 4);
        r.actor = kv_stmt_col_text(s, 6);
        r.subject = kv_stmt_col_text(s, 7);
        r.props = kv_stmt_col_text(s, 8);
        r.prev_hash = kv_stmt_col_text(s, 9);
        r.hash = kv_stmt_col_text(s, 10);
        /* a system of the organisation by id and name; another organisation's by name */
        r.system_id = "";
        r.system_name = "";
        if (si && (bar = strchr(si, '|')) != NULL) {
            snprintf(sys, sizeof(sys), "%s", si);
            sys[bar - si] = '\0';
            r.system_id = sys;
            r.system_name = sys + (bar - si) + 1;
        } else if (kv_stmt_col_text(s, 5)) {
            r.system_name = "?";
        }
        /* a system of another organisation acting: by its name, never its id */
        if (r.actor && kv_stmt_col_text(s, 5) && !r.system_id[0] &&
            strcmp(r.actor, kv_stmt_col_text(s, 5)) == 0)
            r.actor = r.system_name;
        clean = props_for(db, org, r.props);
        if (clean)
            r.props = clean;
        if (out_n)
            (*out_n)++;
        stop = fn(arg, &r);
        free(clean);
        if (stop)
            break;
    }
    return rc < 0 ? rc : stop;
}

int kv_events_org_search(struct kv_db *db, const struct kv_event_org_search *q,
                         int (*fn)(void *arg, const struct kv_event_row *r), void *arg,
                         size_t *out_n, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    if (out_n)
        *out_n = 0;
    if (!q->org || !q->org[0] || q->to_ms <= q->from_ms || q->limit < 1 || q->limit > 1001 ||
        q->offset < 0)
        return kv_err_set(err, KV_EINVAL, "bad event search");
    rc = kv_db_prepare(db, SQL_SEARCH, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, q->org, -1);
    kv_stmt_bind_int64(s, 2, q->from_ms);
    kv_stmt_bind_int64(s, 3, q->to_ms);
    kv_stmt_bind_text(s, 4, q->party, -1);
    kv_stmt_bind_text(s, 5, q->system_id, -1);
    kv_stmt_bind_text(s, 6, q->message_uuid, -1);
    kv_stmt_bind_text(s, 7, q->tag, -1);
    kv_stmt_bind_int64(s, 8, q->limit);
    kv_stmt_bind_int64(s, 9, q->offset);
    rc = rows(db, q->org, s, fn, arg, out_n, err);
    kv_stmt_done(s);
    return rc;
}

int kv_events_org_letter(struct kv_db *db, const char *org, const char *uuid,
                         int (*fn)(void *arg, const struct kv_event_row *r), void *arg,
                         size_t *out_n, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    if (out_n)
        *out_n = 0;
    if (!uuid || strlen(uuid) != 36)
        return kv_err_set(err, KV_ENOTFOUND, "no such letter");
    rc = kv_db_prepare(db, SQL_LETTER_OF_ORG, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, org, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        return kv_err_set(err, KV_ENOTFOUND, "no such letter");
    rc = kv_db_prepare(db, SQL_LETTER_EVENTS, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, org, -1);
    kv_stmt_bind_int64(s, 3, 10000);
    rc = rows(db, org, s, fn, arg, out_n, err);
    kv_stmt_done(s);
    return rc;
}

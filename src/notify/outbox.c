/* SPDX-License-Identifier: MIT
 *
 * outbox.c: writing notices into notify_outbox (see outbox.h). The fan-out of a letter is one
 * INSERT ... SELECT over the mailbox's accesses and their confirmed channels, so publishing a
 * letter costs one indexed statement however many channels it has; the unique key turns any
 * repetition into nothing (ON CONFLICT DO NOTHING, the same text in SQLite and PostgreSQL).
 * The reminder rule walks NEW rows by their remind state (0, 1, 2; see migration 038).
 */
#include "notify/outbox.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

/* The accesses of mailbox m that may still receive notices: the owner itself, a person whose
 * MAILBOX_READ / MAILBOX_READ_WRITE grant on the owner is active, or an active employee of the
 * owning company. */
#define ACCESS_OK                                                                          \
    "(s.holder = m.owner_type || ':' || m.owner_id"                                          \
    " OR EXISTS (SELECT 1 FROM privileges p JOIN persons pe ON pe.id = p.grantee_person_id"  \
    "   WHERE p.scope_type = m.owner_type AND p.scope_id = m.owner_id AND p.status = 'ACTIVE'" \
    "   AND p.grantee_type = 'PERSON' AND p.type IN ('MAILBOX_READ', 'MAILBOX_READ_WRITE')"  \
    "   AND s.holder = 'CPR:' || pe.cpr)"                                                    \
    " OR EXISTS (SELECT 1 FROM employees e WHERE m.owner_type = 'CVR'"                        \
    "   AND e.org_cvr = m.owner_id AND e.status = 'ACTIVE'"                                  \
    "   AND s.holder = 'PERSON:' || CAST(e.person_id AS TEXT)))"

static const char SQL_FANOUT[] =
    "INSERT INTO notify_outbox (ukey, kind, channel, channel_id, letter_id, state, attempts,"
    " next_ms, created_ms, remind)"
    " SELECT ? || CAST(c.id AS TEXT), 'NEW', c.kind, c.id, ?, 'PENDING', 0, ?, ?, 0"
    " FROM notify_settings s JOIN notify_channels c ON c.settings_id = s.id"
    " JOIN mailboxes m ON m.id = s.mailbox_id"
    " WHERE s.mailbox_id = ? AND s.opted_out_ms IS NULL AND c.confirmed_ms IS NOT NULL"
    " AND " ACCESS_OK " ON CONFLICT (ukey) DO NOTHING";

int kv_notify_mobile_ok(const char *s)
{
    int i;

    if (!s || s[0] < '2' || s[0] > '9')
        return 0;
    for (i = 1; i < 8; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return s[8] == '\0';
}

int kv_notify_letter_visible(struct kv_db *db, int64_t letter_id, int64_t mailbox_id,
                             int64_t now_ms, int *out_n, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char prefix[40];
    int rc;

    if (out_n)
        *out_n = 0;
    if (mailbox_id <= 0)
        return 0;
    rc = kv_db_prepare(db, SQL_FANOUT, &s, err);
    if (rc < 0)
        return rc;
    snprintf(prefix, sizeof(prefix), "NEW:%lld:", (long long)letter_id);
    kv_stmt_bind_text_static(s, 1, prefix, -1); /* this frame's, until kv_stmt_done */
    kv_stmt_bind_int64(s, 2, letter_id);
    kv_stmt_bind_int64(s, 3, now_ms);
    kv_stmt_bind_int64(s, 4, now_ms);
    kv_stmt_bind_int64(s, 5, mailbox_id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (out_n)
        *out_n = (int)kv_db_changes(db);
    return 0;
}

/* Inserts one SMS row. */
static int insert_sms(struct kv_db *db, const char *ukey, const char *kind, int64_t channel_id,
                      int64_t letter_id, const char *to, const char *text, int64_t now_ms,
                      struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    if (!kv_notify_mobile_ok(to))
        return kv_err_set(err, KV_EINVAL, "not a Danish mobile number (8 digits, first 2-9)");
    rc = kv_db_prepare(db,
                       "INSERT INTO notify_outbox (ukey, kind, channel, channel_id, letter_id,"
                       " target, text, state, attempts, next_ms, created_ms)"
                       " VALUES (?, ?, 'SMS', ?, ?, ?, ?, 'PENDING', 0, ?, ?)"
                       " ON CONFLICT (ukey) DO NOTHING",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, ukey, -1);
    kv_stmt_bind_text(s, 2, kind, -1);
    if (channel_id > 0)
        kv_stmt_bind_int64(s, 3, channel_id);
    else
        kv_stmt_bind_null(s, 3);
    if (letter_id > 0)
        kv_stmt_bind_int64(s, 4, letter_id);
    else
        kv_stmt_bind_null(s, 4);
    kv_stmt_bind_text(s, 5, to, -1);
    kv_stmt_bind_text(s, 6, text, -1);
    kv_stmt_bind_int64(s, 7, now_ms);
    kv_stmt_bind_int64(s, 8, now_ms);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_notify_queue_sms(struct kv_db *db, const char *ukey, int64_t channel_id, const char *to,
                        const char *text, int64_t now_ms, struct kv_err *err)
{
    return insert_sms(db, ukey, "PIN", channel_id, 0, to, text, now_ms, err);
}

int kv_notify_nemsms_letter(struct kv_db *db, int64_t letter_id, const char *cpr,
                            const char *text, int64_t now_ms, int *out_subscribed,
                            struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char mobile[16] = "", ukey[48];
    int rc;

    *out_subscribed = 0;
    rc = kv_db_prepare(db,
                       "SELECT mobile FROM nemsms_subscriptions WHERE cpr = ?"
                       " AND confirmed_ms IS NOT NULL",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, cpr, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        snprintf(mobile, sizeof(mobile), "%s", kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (!mobile[0])
        return 0;
    snprintf(ukey, sizeof(ukey), "NEMSMS:%lld", (long long)letter_id);
    rc = insert_sms(db, ukey, "NEMSMS", 0, letter_id, mobile, text ? text : "", now_ms, err);
    if (rc == 0)
        *out_subscribed = 1;
    return rc;
}

/* One NEW row the reminder rule looks at. */
struct cand {
    int64_t id, letter_id, channel_id, created_ms;
    char channel[8];
    int unread;  /* letter still AVAILABLE, unread and not deleted permanently (purged) */
    int legal;   /* legalNotification letter */
};

static int set_remind(struct kv_db *db, int64_t id, int remind, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, "UPDATE notify_outbox SET remind = ? WHERE id = ?", &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, remind);
    kv_stmt_bind_int64(s, 2, id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int insert_reminder(struct kv_db *db, const struct cand *c, int64_t now_ms,
                           struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char ukey[64];
    int rc;

    snprintf(ukey, sizeof(ukey), "REMINDER:%lld:%lld", (long long)c->letter_id,
             (long long)c->channel_id);
    rc = kv_db_prepare(db,
                       "INSERT INTO notify_outbox (ukey, kind, channel, channel_id, letter_id,"
                       " state, attempts, next_ms, created_ms)"
                       " VALUES (?, 'REMINDER', ?, ?, ?, 'PENDING', 0, ?, ?)"
                       " ON CONFLICT (ukey) DO NOTHING",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, ukey, -1);
    kv_stmt_bind_text(s, 2, c->channel, -1);
    kv_stmt_bind_int64(s, 3, c->channel_id);
    kv_stmt_bind_int64(s, 4, c->letter_id);
    kv_stmt_bind_int64(s, 5, now_ms);
    kv_stmt_bind_int64(s, 6, now_ms);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Loads up to max NEW rows in remind state `state` queued at or before `before`. */
static int load_cands(struct kv_db *db, int state, int64_t before, struct cand *c, int max,
                      struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc, n = 0;

    rc = kv_db_prepare(db,
                       "SELECT o.id, o.letter_id, o.channel_id, o.created_ms, o.channel,"
                       " CASE WHEN l.state = 'AVAILABLE' AND l.read_ms IS NULL"
                       " AND l.folder <> 'purged' THEN 1 ELSE 0 END,"
                       " l.legal_notification"
                       " FROM notify_outbox o JOIN letters l ON l.id = o.letter_id"
                       " WHERE o.remind = ? AND o.created_ms <= ? ORDER BY o.created_ms, o.id"
                       " LIMIT ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, state);
    kv_stmt_bind_int64(s, 2, before);
    kv_stmt_bind_int64(s, 3, max);
    while (n < max && (rc = kv_stmt_step(s, err)) == KV_ROW) {
        c[n].id = kv_stmt_col_int64(s, 0);
        c[n].letter_id = kv_stmt_col_int64(s, 1);
        c[n].channel_id = kv_stmt_col_int64(s, 2);
        c[n].created_ms = kv_stmt_col_int64(s, 3);
        snprintf(c[n].channel, sizeof(c[n].channel), "%s", kv_stmt_col_text(s, 4));
        c[n].unread = (int)kv_stmt_col_int64(s, 5);
        c[n].legal = kv_stmt_col_int64(s, 6) != 0;
        n++;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : n;
}

#define REMIND_BATCH 200

int kv_notify_queue_reminders(struct kv_db *db, int64_t now_ms, int64_t after_ms,
                              int64_t legal_after_ms, int max, int *out_n, struct kv_err *err)
{
    struct cand c[REMIND_BATCH];
    int64_t first = legal_after_ms;
    int rc, n, i, queued = 0, pass;

    *out_n = 0;
    if (max > REMIND_BATCH)
        max = REMIND_BATCH;
    if (after_ms > 0 && (first <= 0 || after_ms < first))
        first = after_ms;
    if (first <= 0)
        return 0;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    for (pass = 0; pass < 2; pass++) {
        /* pass 0: rows never looked at, old enough for the shorter delay; pass 1: rows that
         * wait for the ordinary delay */
        if (pass == 1 && after_ms <= 0)
            break;
        rc = load_cands(db, pass, now_ms - (pass == 0 ? first : after_ms), c, max, err);
        if (rc < 0)
            goto out;
        n = rc;
        for (i = 0; i < n; i++) {
            int64_t wait = c[i].legal && legal_after_ms > 0 ? legal_after_ms : after_ms;
            int next = 2;

            if (c[i].unread && wait > 0) {
                if (c[i].created_ms <= now_ms - wait) {
                    rc = insert_reminder(db, &c[i], now_ms, err);
                    if (rc < 0)
                        goto out;
                    queued++;
                } else {
                    next = 1;
                }
            }
            rc = set_remind(db, c[i].id, next, err);
            if (rc < 0)
                goto out;
        }
    }
    rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    else
        *out_n = queued;
    return rc < 0 ? rc : 0;
}

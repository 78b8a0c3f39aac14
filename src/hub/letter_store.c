/* SPDX-License-Identifier: MIT
 *
 * letter_store.c: the database half of the send pipeline (see letters.h). Inside the caller's
 * write transaction it enforces idempotency (messageUUID is unique; the same system with the
 * same bytes gets its original receipt), resolves the recipient (an authority's recipient
 * system through recipient_queue.h, else a mailbox), and writes the letters row, the routing
 * queue row, the print job of an exempt recipient, the events and the receipt row, so that
 * either all of a letter exists after COMMIT or none of it. kv_letters_store_batch wraps a
 * batch of letters in one transaction with a savepoint per letter (the group commit of
 * writer.c) and writes the batch's usage statistics (one upsert per row key) before COMMIT;
 * the writer's kv_letters_store_group leaves the search index of its letters to a later
 * commit (SQLite, 256 letters at a time) and kv_letters_search_flush indexes what is left;
 * kv_letters_publish_due publishes letters whose value date has come.
 */
#include "hub/letters.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub/delegation.h"
#include "hub/directory.h"
#include "hub/events.h"
#include "hub/receipts.h"
#include "hub/recipient_queue.h"
#include "hub/stats.h"
#include "notify/outbox.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* Fills ev as an event of l (strings borrowed). */
static void letter_event(struct kv_event *ev, const char *tag, const struct kv_letter *l,
                         const char *subject, const char *props, int64_t now)
{
    memset(ev, 0, sizeof(*ev));
    ev->tag = tag;
    ev->message_uuid = l->uuid[0] ? l->uuid : NULL;
    ev->system_id = l->system_id[0] ? l->system_id : NULL;
    ev->actor = l->actor[0] ? l->actor : l->system_id;
    ev->subject = subject;
    ev->props_json = props;
    ev->time_ms = now;
}

/* An event of l; letter_id: its letters row when stored with it (the events_letter index key,
 * migration 023), 0 for a refusal. */
static int append_event(struct kv_db *db, const char *tag, const struct kv_letter *l,
                        int64_t letter_id, const char *subject, const char *props, int64_t now,
                        struct kv_err *err)
{
    struct kv_event ev;

    letter_event(&ev, tag, l, subject, props, now);
    return kv_events_append_of_letter(db, &ev, letter_id, err);
}

/* Looks uuid up. *out_found: 0 none, 1 same system and bytes (l filled as a replay), 2 same
 * system other bytes, 3 another system. uuid is bound without a copy (store.h's lifetime
 * rule): it may be l->uuid, so l->uuid is written only after kv_stmt_done. */
static int lookup(struct kv_db *db, const char *system_id, const char *uuid, const char *sha256,
                  struct kv_letter *l, int *out_found, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    *out_found = 0;
    rc = kv_db_prepare(db,
                       "SELECT sender_system, body_sha256, transmission_id, message_id, "
                       "receipt_status, error_code, error_message, created_ms, state "
                       "FROM letters WHERE message_uuid = lower(?)",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text_static(s, 1, uuid, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW && strcmp(kv_stmt_col_text(s, 0), system_id) != 0) {
        *out_found = 3;
    } else if (rc == KV_ROW && strcmp(kv_stmt_col_text(s, 1), sha256) != 0) {
        *out_found = 2;
    } else if (rc == KV_ROW) {
        *out_found = 1;
        kv_str_copy(l->transmission_id, sizeof(l->transmission_id), kv_stmt_col_text(s, 2));
        free(l->message_id);
        l->message_id = kv_stmt_col_is_null(s, 3) ? NULL : kv_xstrdup(kv_stmt_col_text(s, 3));
        kv_str_copy(l->receipt_status, sizeof(l->receipt_status), kv_stmt_col_text(s, 4));
        kv_str_copy(l->error_code, sizeof(l->error_code), kv_stmt_col_text(s, 5));
        kv_str_copy(l->error_message, sizeof(l->error_message), kv_stmt_col_text(s, 6));
        l->time_ms = kv_stmt_col_int64(s, 7);
        kv_str_copy(l->state, sizeof(l->state), kv_stmt_col_text(s, 8));
        l->outcome = KV_LETTER_REPLAYED;
    }
    kv_stmt_done(s);
    if (*out_found == 1) {
        kv_str_copy(l->uuid, sizeof(l->uuid), uuid);
        for (char *p = l->uuid; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
    return rc < 0 ? rc : 0;
}

int kv_letter_body(struct kv_db *db, int64_t letter_id, char **out, size_t *out_len,
                   struct kv_err *err)
{
    struct kv_stmt *s;
    const void *blob;
    size_t len = 0;
    int rc;

    *out = NULL;
    *out_len = 0;
    rc = kv_db_prepare(db, "SELECT body FROM letters WHERE id = ?", &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, letter_id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        blob = kv_stmt_col_blob(s, 0, &len);
        *out = kv_xmalloc(len + 1);
        if (len)
            memcpy(*out, blob, len);
        (*out)[len] = '\0';
        *out_len = len;
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return rc == KV_ROW ? 0
                        : kv_err_set(err, KV_ENOTFOUND, "letter %lld has gone", (long long)letter_id);
}

int kv_letter_find_replay(struct kv_db *db, const char *system_id, const char *uuid,
                          const char *sha256, struct kv_letter *l, struct kv_err *err)
{
    int found;

    return lookup(db, system_id, uuid, sha256, l, &found, err);
}

/* Conflict on l->uuid: sets the refusal (KV_ECONFLICT). The same words whoever used the
 * uuid first, so the answer does not tell a sender that another organisation's letter
 * exists. */
static void conflict(struct kv_letter *l)
{
    kv_problem_set(&l->refusal, KV_ECONFLICT, "DUPLICATE_MESSAGE_UUID",
                   "messageUUID %s is already used by another letter; a new letter needs a new "
                   "messageUUID",
                   l->uuid);
    kv_problem_field(&l->refusal, "memo", "/memo:Message/memo:MessageHeader/memo:messageUUID",
                     "DUPLICATE_MESSAGE_UUID", l->refusal.message, l->uuid);
    l->outcome = KV_LETTER_CONFLICT;
}

/* Where the letter goes. */
struct resolution {
    int64_t mailbox_id;    /* 0 = none */
    char address[512];     /* for print */
    const char *state;     /* letters.state */
    const char *tag;       /* last event */
    char system_id[37];    /* recipient system when routed to an authority, "" otherwise */
    int used_point;        /* 1: system_id is the named contact point's, 0: the default */
    int notices;           /* 1: an access to the mailbox has notification settings and has
                              not opted out (the notices' fan-out may queue something) */
};

/* The recipient's mailbox as the send reads it: its id, status and postal address, and
 * whether any access to it (the owner, a helper, a company's employee) has a notification
 * settings row that has not opted out, which is where kv_notify_letter_visible's fan-out
 * starts (its `s.mailbox_id = ? AND s.opted_out_ms IS NULL`, outbox.c): without one the
 * fan-out queues nothing and is not run; with one it decides, as before, which confirmed
 * channels of which accesses get a notice. One statement over the UNIQUE (owner_type,
 * owner_id) and notify_settings' UNIQUE (mailbox_id, holder), where kv_mailbox_find read all
 * fourteen columns of the row (directory.h) and the fan-out ran for every delivered letter. */
static const char SQL_RECIPIENT_MAILBOX[] =
    "SELECT m.id, m.status, m.address, EXISTS (SELECT 1 FROM notify_settings s"
    " WHERE s.mailbox_id = m.id AND s.opted_out_ms IS NULL)"
    " FROM mailboxes m WHERE m.owner_type = ? AND m.owner_id = ?";

/* Finds l's recipient mailbox: r->mailbox_id, r->address, r->notices and *status (the
 * mailbox's, "" when there is none; then KV_ENOTFOUND). */
static int recipient_mailbox(struct kv_db *db, const struct kv_letter *l, struct resolution *r,
                             char status[12], struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    status[0] = '\0';
    rc = kv_db_prepare(db, SQL_RECIPIENT_MAILBOX, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text_static(s, 1, l->recipient_type, -1); /* l's: until kv_stmt_done */
    kv_stmt_bind_text_static(s, 2, l->recipient_id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        r->mailbox_id = kv_stmt_col_int64(s, 0);
        kv_str_copy(status, 12, kv_stmt_col_text(s, 1));
        kv_str_copy(r->address, sizeof(r->address), kv_stmt_col_text(s, 2));
        r->notices = kv_stmt_col_int64(s, 3) != 0;
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = KV_ENOTFOUND;
    }
    kv_stmt_done(s);
    return rc;
}

/* A NemSMS letter (messageType NEMSMS) is not a mailbox letter: it goes as an SMS to the
 * number a citizen subscribed (notify/outbox.h), whatever the mailbox's state (an exempt
 * citizen may use NemSMS), or it is refused with a receipt that says there is none. */
static int resolve_nemsms(struct kv_db *db, struct kv_letter *l, struct resolution *r,
                          struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc, subscribed = 0;

    memset(r, 0, sizeof(*r));
    kv_str_copy(l->receipt_status, sizeof(l->receipt_status), "RECEIVED");
    if (strcmp(l->recipient_type, "CPR") == 0 && l->recipient_id[0]) {
        rc = kv_db_prepare(db,
                           "SELECT 1 FROM nemsms_subscriptions WHERE cpr = ? AND "
                           "confirmed_ms IS NOT NULL",
                           &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_text_static(s, 1, l->recipient_id, -1);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        subscribed = rc == KV_ROW;
    }
    if (subscribed) {
        r->state = "AVAILABLE"; /* mailbox_id NULL: in no mailbox; the SMS is its delivery */
        r->tag = NULL;
    } else {
        r->state = "NOT_ALLOWED";
        r->tag = "MEMO_SEND_NOT_ALLOWED";
        kv_str_copy(l->receipt_status, sizeof(l->receipt_status), "NOT_ALLOWED");
        kv_str_copy(l->error_code, sizeof(l->error_code), "NEMSMS_NOT_SUBSCRIBED");
        snprintf(l->error_message, sizeof(l->error_message),
                 "recipient %s %s has no NemSMS subscription; the SMS was not sent",
                 l->recipient_type, l->recipient_id);
    }
    kv_str_copy(l->state, sizeof(l->state), r->state);
    return 0;
}

static int is_nemsms(const struct kv_letter *l)
{
    return l->message_type && strcmp(l->message_type, "NEMSMS") == 0;
}

static int resolve(struct kv_db *db, struct kv_letter *l, int64_t now, struct resolution *r,
                   struct kv_err *err)
{
    char status[12] = "";
    int64_t mailbox_id;
    int known_type = strcmp(l->recipient_type, "CPR") == 0 || strcmp(l->recipient_type, "CVR") == 0;
    int rc = KV_ENOTFOUND;

    memset(r, 0, sizeof(*r));
    if (strcmp(l->recipient_type, "CVR") == 0 && l->recipient_id[0] && !l->to_mailbox) {
        /* a sender system writes for an authority: a contact point that does not target
         * authorities is not used (letters written in the mailbox were checked there) */
        rc = kv_recipient_pick_for(db, l->recipient_id, l->contact_point_id,
                                   l->system_id[0] != '\0', r->system_id, &r->used_point, err);
        if (rc < 0 && rc != KV_ENOTFOUND)
            return rc;
        if (rc == 0) { /* an authority: to its recipient system, not a mailbox */
            kv_str_copy(l->receipt_status, sizeof(l->receipt_status), "RECEIVED");
            r->state = l->value_ms > now ? "AWAITING_DELAY" : "AVAILABLE";
            r->tag = l->value_ms > now ? "DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY"
                                       : "MEMO_AVAILABLE_TO_RECIPIENT";
            kv_str_copy(l->state, sizeof(l->state), r->state);
            return 0;
        }
        if (l->sender_mailbox_id) /* a user's letter goes to a recipient system or nowhere */
            return rc;
        r->system_id[0] = '\0';
        rc = KV_ENOTFOUND; /* not an authority: resolve the CVR as a company mailbox */
    }
    if (known_type && l->recipient_id[0]) {
        rc = recipient_mailbox(db, l, r, status, err);
        if (rc < 0 && rc != KV_ENOTFOUND)
            return rc;
    }
    /* the mailbox's id and address are kept only where the letter goes into it */
    mailbox_id = r->mailbox_id;
    r->mailbox_id = 0;
    kv_str_copy(l->receipt_status, sizeof(l->receipt_status), "RECEIVED");
    if (rc == KV_ENOTFOUND) {
        r->state = "NOT_ALLOWED";
        r->tag = "MEMO_SEND_NOT_ALLOWED";
        kv_str_copy(l->receipt_status, sizeof(l->receipt_status), "NOT_ALLOWED");
        kv_str_copy(l->error_code, sizeof(l->error_code), "RECIPIENT_UNKNOWN");
        snprintf(l->error_message, sizeof(l->error_message),
                 "recipient %s %s has no Digital Post mailbox", l->recipient_type,
                 l->recipient_id);
    } else if (strcmp(status, "CLOSED") == 0) {
        r->state = "NOT_ALLOWED";
        r->tag = "MEMO_SEND_NOT_ALLOWED";
        kv_str_copy(l->receipt_status, sizeof(l->receipt_status), "NOT_ALLOWED");
        kv_str_copy(l->error_code, sizeof(l->error_code), "RECIPIENT_MAILBOX_CLOSED");
        snprintf(l->error_message, sizeof(l->error_message),
                 "the Digital Post mailbox of recipient %s %s is closed", l->recipient_type,
                 l->recipient_id);
    } else if (strcmp(status, "EXEMPT") == 0 && (l->to_mailbox || l->sender_mailbox_id)) {
        /* a letter a citizen or company wrote to another's mailbox (a forward) is never
         * printed and posted at the public's cost: only an authority's letter is */
        r->state = "NOT_ALLOWED";
        r->tag = "MEMO_SEND_NOT_ALLOWED";
        kv_str_copy(l->receipt_status, sizeof(l->receipt_status), "NOT_ALLOWED");
        kv_str_copy(l->error_code, sizeof(l->error_code), "RECIPIENT_EXEMPT");
        snprintf(l->error_message, sizeof(l->error_message),
                 "recipient %s %s is exempt from Digital Post; a letter written in a mailbox is "
                 "not printed",
                 l->recipient_type, l->recipient_id);
    } else if (strcmp(status, "EXEMPT") == 0) {
        r->mailbox_id = mailbox_id; /* r->address: the mailbox's, for the print job */
        r->state = "PRINT";
        r->tag = "PHYSICAL_LETTER_SENT";
        kv_str_copy(l->error_message, sizeof(l->error_message),
                    "the recipient is exempt from Digital Post; the letter is printed and sent "
                    "as a physical letter");
    } else {
        r->mailbox_id = mailbox_id;
        if (l->value_ms > now) {
            r->state = "AWAITING_DELAY";
            r->tag = "DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY";
        } else {
            r->state = "AVAILABLE";
            r->tag = "MEMO_AVAILABLE_TO_RECIPIENT";
        }
    }
    kv_str_copy(l->state, sizeof(l->state), r->state);
    return 0;
}

/* A text or NULL, bound without a copy: every caller binds the letter's own fields, its
 * resolution or literals, which live until its kv_stmt_done (store.h's lifetime rule). */
static void bind_opt(struct kv_stmt *s, int idx, const char *v)
{
    if (v && v[0])
        kv_stmt_bind_text_static(s, idx, v, -1);
    else
        kv_stmt_bind_null(s, idx);
}

/* The letters row of l: *out_id its id, or 0 when its messageUUID is taken (the row is then
 * skipped and nothing is written: the caller looks the uuid up). */
static int insert_letter(struct kv_db *db, struct kv_letter *l, const struct resolution *r,
                         int64_t now, int64_t *out_id, struct kv_err *err)
{
    struct kv_stmt *s;
    char cp[sizeof(l->contact_point_id)]; /* bound: lives until kv_stmt_done */
    int rc;

    rc = kv_db_prepare_insert(db,
                              "INSERT INTO letters (message_uuid, transmission_id, sender_system, "
                              "sender_cvr, sender_label, recipient_type, recipient_id, mailbox_id, "
                              "message_id, label, message_type, memo_version, body_sha256, body, "
                              "size, state, receipt_status, error_code, error_message, "
                              "available_ms, created_ms, sender_mailbox_id, legal_notification, "
                              "contact_point_id) "
                              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                              "ON CONFLICT (message_uuid) DO NOTHING",
                              &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text_static(s, 1, l->uuid, -1);
    kv_stmt_bind_text_static(s, 2, l->transmission_id, -1);
    kv_stmt_bind_text_static(s, 3, l->system_id, -1);
    kv_stmt_bind_text_static(s, 4, l->sender_id, -1);
    bind_opt(s, 5, l->sender_label);
    kv_stmt_bind_text_static(s, 6, l->recipient_type, -1);
    kv_stmt_bind_text_static(s, 7, l->recipient_id, -1);
    if (r->mailbox_id)
        kv_stmt_bind_int64(s, 8, r->mailbox_id);
    else
        kv_stmt_bind_null(s, 8);
    bind_opt(s, 9, l->message_id);
    kv_stmt_bind_text_static(s, 10, l->label ? l->label : "", -1);
    kv_stmt_bind_text_static(s, 11, l->message_type ? l->message_type : "DIGITALPOST", -1);
    kv_stmt_bind_text_static(s, 12, l->memo_version ? l->memo_version : "", -1);
    kv_stmt_bind_text_static(s, 13, l->sha256, -1);
    kv_stmt_bind_blob_static(s, 14, l->bytes, l->len); /* borrowed: outlives the batch */
    kv_stmt_bind_int64(s, 15, (int64_t)l->len);
    kv_stmt_bind_text_static(s, 16, r->state, -1);
    kv_stmt_bind_text_static(s, 17, l->receipt_status, -1);
    bind_opt(s, 18, l->error_code);
    bind_opt(s, 19, l->error_message);
    if (strcmp(r->state, "NOT_ALLOWED") == 0)
        kv_stmt_bind_null(s, 20);
    else
        kv_stmt_bind_int64(s, 20, l->value_ms > now ? l->value_ms : now);
    kv_stmt_bind_int64(s, 21, now);
    if (l->sender_mailbox_id)
        kv_stmt_bind_int64(s, 22, l->sender_mailbox_id);
    else
        kv_stmt_bind_null(s, 22);
    kv_stmt_bind_int64(s, 23, l->legal ? 1 : 0);
    /* the contact point named, for a letter in an organisation's mailbox: an employee whose
     * MESSAGE_BASIC is narrowed sees only its points' letters (migration 051) */
    if (r->mailbox_id && l->contact_point_id[0]) {
        size_t i;

        for (i = 0; l->contact_point_id[i] && i + 1 < sizeof(cp); i++)
            cp[i] = (char)tolower((unsigned char)l->contact_point_id[i]);
        cp[i] = '\0';
        kv_stmt_bind_text_static(s, 24, cp, -1);
    } else {
        kv_stmt_bind_null(s, 24);
    }
    rc = kv_stmt_step_insert_or_skip(s, out_id, err);
    kv_stmt_done(s);
    return rc;
}

static int insert_print_job(struct kv_db *db, int64_t letter_id, const char *address, int64_t now,
                            int64_t *out_id, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    rc = kv_db_prepare_insert(
        db, "INSERT INTO print_jobs (letter_id, address, created_ms) VALUES (?,?,?)", &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, letter_id);
    bind_opt(s, 2, address);
    kv_stmt_bind_int64(s, 3, now);
    rc = kv_stmt_step_insert(s, out_id, err);
    kv_stmt_done(s);
    return rc;
}

static int insert_receipt(struct kv_db *db, struct kv_letter *l, struct kv_err *err)
{
    struct kv_receipt r;

    memset(&r, 0, sizeof(r));
    kv_str_copy(r.system_id, sizeof(r.system_id), l->system_id);
    kv_str_copy(r.transmission_id, sizeof(r.transmission_id), l->transmission_id);
    kv_str_copy(r.message_uuid, sizeof(r.message_uuid), l->uuid);
    kv_str_copy(r.message_id, sizeof(r.message_id), l->message_id);
    kv_str_copy(r.receipt_status, sizeof(r.receipt_status), l->receipt_status);
    kv_str_copy(r.error_code, sizeof(r.error_code), l->error_code);
    kv_str_copy(r.error_message, sizeof(r.error_message), l->error_message);
    r.time_ms = l->time_ms;
    return kv_receipt_insert(db, &r, l->push, err);
}

/* The letter in the usage statistics (stats.h): added to the batch's sums, which
 * kv_letters_store_batch writes before COMMIT (one upsert per row key, not per letter). Only
 * authorities are named as sender or recipient; citizens and companies are counted by type
 * (never per person, and the aggregate rows stay few). */
static void count_letter(struct kv_stats_batch *stats, const struct kv_letter *l,
                         const struct resolution *r, int64_t now)
{
    struct kv_stats_letter st;
    int cvr = strcmp(l->recipient_type, "CVR") == 0;

    memset(&st, 0, sizeof(st));
    st.time_ms = now;
    if (!l->sender_mailbox_id) {
        st.sender_type = "AUTHORITY";
        st.sender = l->sender_id;
        st.sender_system = l->system_id;
    } else if (strncmp(l->actor, "cpr:", 4) == 0 || !l->sender_id[0]) {
        st.sender_type = "CITIZEN";
    } else {
        st.sender_type = "COMPANY";
    }
    st.recipient_cvr = r->system_id[0] ? l->recipient_id : NULL;
    st.recipient_type = r->system_id[0] ? "AUTHORITY" : cvr ? "COMPANY" : "CITIZEN";
    st.recipient_system = r->system_id;
    st.contact_point = r->system_id[0] && r->used_point ? l->contact_point_id : NULL;
    st.message_type = strcmp(r->state, "PRINT") == 0 ? "PHYSICAL_LETTER"
                      : l->message_type                 ? l->message_type
                                                        : "DIGITALPOST";
    st.size = l->len;
    st.memo_flags = l->memo_flags;
    kv_stats_batch_add(stats, &st);
}

/* l's messageUUID is taken (the letters INSERT skipped its row) or its resolution failed
 * with not_found (KV_ENOTFOUND; 0 after a skipped INSERT): looks the uuid up and answers l as
 * a resend (the stored letter's receipt, lookup()) or a conflict, as the look-up before the
 * resolution did. What store_one set on l before is put back for a conflict (the
 * transmission id and time it had, no receipt fields), and a KV_ENOTFOUND with no letter
 * under the uuid is returned as it was. A skipped row that the look-up does not see (a
 * concurrent writer's, PostgreSQL) is KV_ECONFLICT: store_pass looks again. */
static int taken(struct kv_db *db, struct kv_letter *l, int tid_made, int64_t time_before,
                 int not_found, struct kv_err *err)
{
    int found, rc;

    rc = lookup(db, l->system_id, l->uuid, l->sha256, l, &found, err);
    if (rc < 0 || found == 1)
        return rc < 0 ? rc : 0;
    if (found == 0 && not_found)
        return not_found; /* err: the resolution's (lookup leaves it when it finds nothing) */
    if (found == 0)
        return kv_err_set(err, KV_ECONFLICT, "messageUUID %s was taken by a concurrent letter",
                          l->uuid);
    if (tid_made)
        l->transmission_id[0] = '\0';
    l->time_ms = time_before;
    l->receipt_status[0] = l->error_code[0] = l->error_message[0] = l->state[0] = '\0';
    conflict(l);
    return 0;
}

/* Stores one prepared letter inside the caller's transaction: sets l->outcome (CREATED,
 * REPLAYED or CONFLICT) and the receipt fields, and adds a created letter to stats (only once
 * nothing of it can fail any more, so a letter rolled back alone is never counted). 0 or a
 * store error (the caller rolls back its savepoint). */
static int store_one(struct kv_db *db, struct kv_letter *l, struct kv_stats_batch *stats,
                     struct kv_err *err)
{
    struct resolution r;
    struct kv_event evs[KV_EVENTS_APPEND_MAX];
    char subject[32], props[320], outcome[320], sent[96];
    int64_t now = kv_clock_now_ms(), letter_id = 0, job_id = 0, time_before = l->time_ms;
    int rc, found, n_evs = 0, tid_made = 0;

    /* Idempotency: a resend by the same system with the same bytes is answered from the
     * stored letter (what the HTTP handler's look-up before the check used to answer), another
     * use of the uuid is a conflict. The letters INSERT tells whether the uuid is new (ON
     * CONFLICT DO NOTHING: no statement fails, which on PostgreSQL would abort the
     * transaction), and the uuid is looked up only where an answer depends on it (taken()),
     * where a look-up before every INSERT cost a statement per letter. The answers stay in
     * the look-up's order: a resend is answered from the stored letter even when the
     * delegation check refuses it now (below), the delegation check comes before anything
     * that would tell about another sender's letter (a refusal leaks nothing), and a resend
     * or conflict whose resolution fails (a user's letter to an authority without a recipient
     * system) is answered as such, not failed. */
    rc = kv_delegation_check_letter(db, l, err);
    if (rc < 0)
        return rc;
    if (rc == 1) { /* refused, unless it is a resend of the stored letter */
        rc = lookup(db, l->system_id, l->uuid, l->sha256, l, &found, err);
        if (rc < 0)
            return rc;
        if (found == 1) /* l->outcome KV_LETTER_REPLAYED and its receipt: lookup() */
            kv_problem_release(&l->refusal);
        return 0;
    }
    if (l->transmission_id[0] == '\0') {
        rc = kv_uuid_v4(l->transmission_id);
        if (rc < 0)
            return kv_err_set(err, rc, "cannot generate a transmission id");
        tid_made = 1;
    }
    l->time_ms = now;
    rc = is_nemsms(l) ? resolve_nemsms(db, l, &r, err) : resolve(db, l, now, &r, err);
    if (rc == KV_ENOTFOUND)
        return taken(db, l, tid_made, time_before, rc, err);
    if (rc < 0)
        return rc;
    rc = insert_letter(db, l, &r, now, &letter_id, err);
    if (rc < 0)
        return rc;
    if (letter_id == 0) /* the uuid is taken */
        return taken(db, l, tid_made, time_before, 0, err);
    if (r.system_id[0]) {
        rc = kv_recipient_queue_to(db, letter_id, r.system_id,
                                   r.used_point ? l->contact_point_id : NULL, err);
        if (rc < 0)
            return rc;
    }
    snprintf(subject, sizeof(subject), "%s:%s",
             strcmp(l->recipient_type, "CVR") == 0 ? "cvr" : "cpr", l->recipient_id);
    snprintf(props, sizeof(props), "{\"transmissionId\":\"%s\",\"size\":%zu}", l->transmission_id,
             l->len);
    /* the send's events in their order, appended with one statement (kv_events_append_n) */
    letter_event(&evs[n_evs++], "MEMO_SEND_RECEIVED", l, subject, props, now);
    letter_event(&evs[n_evs++], "MEMO_SEND_VALIDATED", l, subject, NULL, now);
    if (strcmp(r.state, "PRINT") == 0) {
        rc = insert_print_job(db, letter_id, r.address, now, &job_id, err);
        if (rc < 0)
            return rc;
        snprintf(outcome, sizeof(outcome), "{\"printJobId\":%lld}", (long long)job_id);
    } else if (strcmp(r.state, "AWAITING_DELAY") == 0) {
        char when[32];
        kv_clock_format_utc(l->value_ms, when, sizeof(when));
        snprintf(outcome, sizeof(outcome),
                 "{\"doNotDeliverUntilDate\":\"%s\",\"availableAt\":\"%s\"}", l->value_date,
                 when);
    } else if (strcmp(r.state, "NOT_ALLOWED") == 0) {
        snprintf(outcome, sizeof(outcome), "{\"errorCode\":\"%s\"}", l->error_code);
    } else if (r.system_id[0]) {
        snprintf(outcome, sizeof(outcome), "{\"recipientSystemId\":\"%s\"}", r.system_id);
    } else {
        snprintf(outcome, sizeof(outcome), "{\"mailboxId\":%lld}", (long long)r.mailbox_id);
    }
    if (r.tag)
        letter_event(&evs[n_evs++], r.tag, l, subject, outcome, now);
    if (l->sender_mailbox_id && l->writer_subject[0]) {
        snprintf(sent, sizeof(sent), "{\"recipient\":\"%s\"}", subject);
        letter_event(&evs[n_evs++], "MAILBOX_MESSAGE_SENT", l, l->writer_subject, sent, now);
    }
    rc = kv_events_append_n(db, evs, n_evs, letter_id, err);
    if (rc < 0)
        return rc;
    if (is_nemsms(l) && strcmp(r.state, "AVAILABLE") == 0) {
        int subscribed = 0;
        rc = kv_notify_nemsms_letter(db, letter_id, l->recipient_id, l->notification, now,
                                     &subscribed, err);
        if (rc < 0)
            return rc;
    } else if (strcmp(r.state, "AVAILABLE") == 0 && r.mailbox_id && r.notices) {
        /* the notices of the owner and helpers, in the letter's own transaction (not run when
         * no access has notification settings it has not opted out of: recipient_mailbox) */
        rc = kv_notify_letter_visible(db, letter_id, r.mailbox_id, now, NULL, err);
        if (rc < 0)
            return rc;
    }
    rc = l->sender_mailbox_id ? 0 : insert_receipt(db, l, err); /* no sender system to tell */
    if (rc < 0)
        return rc;
    if (strcmp(r.state, "NOT_ALLOWED") != 0)
        count_letter(stats, l, &r, now);
    l->outcome = KV_LETTER_CREATED;
    return 0;
}

/* Records MEMO_SEND_VALIDATION_FAILED for a refused letter, inside the caller's transaction. */
static int store_refusal(struct kv_db *db, struct kv_letter *l, struct kv_err *err)
{
    json_t *props;
    json_t *rules = json_array();
    char *text;
    size_t i;
    int rc;

    for (i = 0; i < l->refusal.n_fields && i < 20; i++)
        json_array_append_new(rules, json_string(l->refusal.fields[i].code));
    props = json_pack("{s:s,s:i,s:o,s:s}", "code", l->refusal.code, "errors",
                      (int)l->refusal.n_fields, "rules", rules, "bodySha256", l->sha256);
    text = json_dumps(props, JSON_COMPACT);
    json_decref(props);
    rc = append_event(db, "MEMO_SEND_VALIDATION_FAILED", l, 0, NULL, text, kv_clock_now_ms(), err);
    free(text);
    return rc;
}

#define PASS_RETRY 1 /* store_pass: a letter failed without a savepoint, or the transaction
                      * by a deadlock; roll back, rerun */
#define RETRIES 8    /* kv_letters_store_batch: runs again after a deadlock */

/* 1 when the batch stores (or logs) l: pending letters, and refusals that are logged. */
static int in_batch(const struct kv_letter *l)
{
    return l->outcome == KV_LETTER_PENDING || (l->outcome == KV_LETTER_REFUSED && l->log_refusal);
}

/* One pass over the batch inside the open transaction. With savepoints, a letter that fails
 * is rolled back alone and marked KV_LETTER_FAILED. Without them (the fast path: two
 * statements and the savepoint journal less per letter), the first failing letter ends the
 * pass with PASS_RETRY and the caller rolls the whole transaction back. Returns 0,
 * PASS_RETRY, or a statement error of the savepoint handling itself. */
static int store_pass(struct kv_db *db, struct kv_letter **ls, size_t n, int savepoints,
                      struct kv_stats_batch *stats, struct kv_err *err)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        struct kv_letter *l = ls[i];
        int lrc, tries = 0;

        if (!in_batch(l))
            continue;
    again:
        if (savepoints) {
            rc = kv_db_savepoint(db, err);
            if (rc < 0)
                return rc;
        }
        if (l->outcome == KV_LETTER_REFUSED)
            lrc = store_refusal(db, l, &l->err);
        else
            lrc = store_one(db, l, stats, &l->err);
        /* a deadlock or serialization failure (concurrent writers, PostgreSQL): the whole
         * batch again (the caller, bounded) */
        if (lrc < 0 && (!savepoints || kv_db_retryable(db)))
            return PASS_RETRY;
        if (lrc == KV_ECONFLICT && l->outcome == KV_LETTER_PENDING && ++tries <= 2) {
            /* a unique key taken by a concurrent transaction that has committed since
             * (the same messageUUID sent to two nodes at once): look again, which now finds
             * it and answers as a replay or a conflict */
            rc = kv_db_savepoint_rollback(db, err);
            if (rc < 0)
                return rc;
            kv_events_head_forget(db);
            goto again;
        }
        if (lrc < 0) {
            rc = kv_db_savepoint_rollback(db, err);
            if (rc < 0)
                return rc;
            kv_events_head_forget(db);
            if (l->outcome != KV_LETTER_REFUSED)
                l->outcome = KV_LETTER_FAILED;
        } else if (savepoints) {
            rc = kv_db_savepoint_release(db, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* The mailbox search's FTS5 index (SQLite) takes a batch's letters in one statement at its
 * end (migrations 060 and 073): FTS5 writes a segment at every savepoint and statement
 * journal, so a letter indexed by its INSERT's trigger cost a segment of its own.
 * search_defer_begin puts the row that makes the triggers leave letters unindexed (from_id:
 * the first letter id it can give) with one statement, unless a row is there already;
 * search_defer_end removes it with one, and the row's DELETE trigger (letters_search_defer_end)
 * indexes the letters with id >= from_id as they stand, as the triggers would have.
 * The writer's group commit (kv_letters_store_group, lazy) removes the row only once
 * KV_SEARCH_DEFER_LETTERS letters or more are behind it: FTS5 writes a segment and merges per
 * transaction that indexes, and that part is amortised only over the letters indexed together
 * (callgrind, the deferral's statements per Minimum letter: 38.8 k at 21 a transaction, 25.7 k
 * at 256, 27.6 k at 1,024; docs/send-api.md "Cuts of session 12"). The row then stays after
 * COMMIT: a durable "not indexed from" mark. *on: 1 when the batch ends with search_defer_end.
 * Nothing to do on PostgreSQL (a GIN index on letters). */
static const char SQL_DEFER_ON[] =
    "INSERT INTO letters_search_defer (from_id) SELECT m FROM"
    " (SELECT COALESCE(MAX(id), 0) + 1 AS m FROM letters)"
    " WHERE NOT EXISTS (SELECT 1 FROM letters_search_defer)";
static const char SQL_DEFER_OFF[] = "DELETE FROM letters_search_defer";
#define DEFER_STR2(x) #x
#define DEFER_STR(x) DEFER_STR2(x)
/* MAX(id) is the last entry of the rowid b-tree: letters from from_id up to it are behind. */
static const char SQL_DEFER_OFF_LAZY[] =
    "DELETE FROM letters_search_defer WHERE from_id <= (SELECT MAX(id) FROM letters) + 1 - "
    DEFER_STR(KV_SEARCH_DEFER_LETTERS);

static int search_defer_step(struct kv_db *db, const char *sql, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int search_defer_begin(struct kv_db *db, int *on, struct kv_err *err)
{
    int rc;

    *on = 0;
    if (kv_store_text_index(kv_db_store(db)) != KV_TEXT_FTS5)
        return 0;
    rc = search_defer_step(db, SQL_DEFER_ON, err);
    if (rc == 0)
        *on = 1;
    return rc;
}

static int search_defer_end(struct kv_db *db, int on, int lazy, struct kv_err *err)
{
    if (!on)
        return 0;
    return search_defer_step(db, lazy ? SQL_DEFER_OFF_LAZY : SQL_DEFER_OFF, err);
}

int kv_letters_search_flush(struct kv_db *db, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    if (kv_store_text_index(kv_db_store(db)) != KV_TEXT_FTS5)
        return 0;
    /* a look first, so that nothing left behind costs no write transaction */
    rc = kv_db_prepare(db, "SELECT 1 FROM letters_search_defer", &s, err);
    if (rc < 0)
        return rc;
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc <= 0)
        return rc;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = search_defer_step(db, SQL_DEFER_OFF, err);
    return kv_db_end(db, rc, err);
}

/* qsort order of letters by messageUUID. */
static int by_uuid(const void *a, const void *b)
{
    return strcmp((*(struct kv_letter *const *)a)->uuid, (*(struct kv_letter *const *)b)->uuid);
}

static int store_batch(struct kv_db *db, struct kv_letter **ls, size_t n, int lazy,
                       struct kv_err *err)
{
    enum kv_letter_outcome *was = kv_xmalloc((n ? n : 1) * sizeof(*was));
    struct kv_stats_batch stats = {0};
    size_t i;
    struct kv_letter **order = NULL; /* owned: ls by messageUUID, once retried */
    int deferred = 0;                /* search_defer_begin put its row */
    int rc, savepoints = 0, attempts = 0, sorted = 0;

    for (i = 0; i < n; i++)
        was[i] = ls[i]->outcome;
    /* Letters rarely fail one by one, so the batch first runs without a savepoint per letter;
     * when one does fail, everything is rolled back and the batch runs again with savepoints,
     * which isolates the failing letter exactly as before. Storing a letter is deterministic
     * given the database state, so the second pass reaches the same outcomes. */
    /* A concurrent transaction (kv_db_begin_concurrent: letters of other nodes and writers
     * are stored at the same time on PostgreSQL; docs/postgresql.md "Writes without the
     * global lock"). A deadlock or serialization failure between them runs the batch again,
     * at most RETRIES times. */
    for (;;) {
        if (attempts > 0 && !sorted) {
            /* after a deadlock, in messageUUID order: batches that all take their unique
             * keys in one order cannot deadlock on them again */
            order = kv_xmalloc(n * sizeof(*order));
            memcpy(order, ls, n * sizeof(*order));
            qsort(order, n, sizeof(*order), by_uuid);
            sorted = 1;
        }
        if (attempts > 0)
            kv_clock_backoff(attempts);
        rc = kv_db_begin_concurrent(db, err);
        if (rc < 0)
            goto fail;
        rc = search_defer_begin(db, &deferred, err);
        if (rc < 0)
            goto fail_tx;
        kv_events_head_begin(db);
        rc = store_pass(db, order ? order : ls, n, savepoints, &stats, err);
        if (rc == PASS_RETRY) {
            (void)kv_events_head_end(db, NULL); /* rolled back here */
            kv_db_rollback(db);
            kv_stats_batch_reset(&stats);
            for (i = 0; i < n; i++)
                ls[i]->outcome = was[i];
            if (kv_db_retryable(db) && attempts++ < RETRIES)
                continue;
            if (savepoints) { /* retries used up */
                rc = kv_err_set(err, KV_EUNAVAIL, "concurrent writers: store retried %d times",
                                RETRIES);
                goto fail;
            }
            savepoints = 1;
            continue;
        }
        /* the statistics of the letters stored, in their transaction: one upsert per row key
         * (a deadlock there runs the batch again, as one in a letter's statements would) */
        if (rc >= 0) {
            rc = kv_stats_batch_flush(db, &stats, err);
            if (rc < 0 && kv_db_retryable(db) && attempts++ < RETRIES) {
                (void)kv_events_head_end(db, NULL); /* rolled back here */
                kv_db_rollback(db);
                for (i = 0; i < n; i++)
                    ls[i]->outcome = was[i];
                continue;
            }
        }
        if (rc >= 0)
            rc = kv_events_head_end(db, err);
        else
            (void)kv_events_head_end(db, NULL);
        if (rc >= 0) /* last before COMMIT: any later statement journal would flush FTS5 */
            rc = search_defer_end(db, deferred, lazy, err);
        if (rc < 0)
            goto fail_tx;
        rc = kv_db_commit(db, err);
        if (rc < 0 && kv_db_retryable(db) && attempts++ < RETRIES) {
            for (i = 0; i < n; i++)
                ls[i]->outcome = was[i];
            continue;
        }
        if (rc < 0)
            goto fail_tx;
        break;
    }
    free(order);
    free(was);
    return 0;
fail_tx:
    kv_db_rollback(db);
fail:
    kv_stats_batch_reset(&stats);
    for (i = 0; i < n; i++) {
        if (ls[i]->outcome == KV_LETTER_REFUSED)
            continue;
        ls[i]->outcome = KV_LETTER_FAILED;
        kv_err_set(&ls[i]->err, rc, "%s", err ? err->msg : "transaction failed");
    }
    free(order);
    free(was);
    return rc;
}

int kv_letters_store_batch(struct kv_db *db, struct kv_letter **ls, size_t n, struct kv_err *err)
{
    return store_batch(db, ls, n, 0, err);
}

int kv_letters_store_group(struct kv_db *db, struct kv_letter **ls, size_t n, struct kv_err *err)
{
    return store_batch(db, ls, n, 1, err);
}

/* A letter whose value date has come. */
struct due {
    int64_t id;           /* letters.id */
    char uuid[37];        /* message uuid */
    char system_id[37];   /* sending system */
    char subject[32];     /* "cpr:..." */
    int64_t available_ms; /* value date moment */
    int64_t mailbox_id;   /* 0 = none (routed to an authority) */
};

int kv_letters_publish_due(struct kv_db *db, int64_t now_ms, int max, int *out_n,
                           struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct due *due = NULL;
    int n = 0, published = 0, rc, i;
    char props[128];

    *out_n = 0;
    if (max < 1 || max > 10000)
        return kv_err_set(err, KV_EINVAL, "publish batch out of range");
    /* Cheap look first, so an idle pass does not take the write lock. */
    rc = kv_db_prepare(db,
                       "SELECT 1 FROM letters WHERE state = 'AWAITING_DELAY' AND "
                       "available_ms <= ? LIMIT 1",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now_ms);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc <= 0)
        return rc;
    /* Concurrent (docs/postgresql.md "Writes without the global lock"): every node's
     * scheduler publishes at once. The due letters are taken with FOR UPDATE SKIP LOCKED, so
     * two nodes share them out instead of queueing on each other's rows, and a letter is
     * told about (events, notices) only by the UPDATE that moved it. */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        return rc;
    due = kv_xcalloc((size_t)max, sizeof(*due));
    rc = kv_db_prepare_skip_locked(db,
                                   "SELECT id, message_uuid, sender_system, recipient_type, "
                                   "recipient_id, available_ms, mailbox_id FROM letters "
                                   "WHERE state = 'AWAITING_DELAY' AND available_ms <= ? "
                                   "ORDER BY available_ms, id LIMIT ?",
                                   &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, now_ms);
    kv_stmt_bind_int64(s, 2, max);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW && n < max) {
        struct due *d = &due[n++];
        d->id = kv_stmt_col_int64(s, 0);
        kv_str_copy(d->uuid, sizeof(d->uuid), kv_stmt_col_text(s, 1));
        kv_str_copy(d->system_id, sizeof(d->system_id), kv_stmt_col_text(s, 2));
        snprintf(d->subject, sizeof(d->subject), "%s:%s",
                 strcmp(kv_stmt_col_text(s, 3), "CVR") == 0 ? "cvr" : "cpr",
                 kv_stmt_col_text(s, 4));
        d->available_ms = kv_stmt_col_int64(s, 5);
        d->mailbox_id = kv_stmt_col_is_null(s, 6) ? 0 : kv_stmt_col_int64(s, 6);
    }
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    for (i = 0; i < n; i++) {
        struct kv_event ev = {0};
        char when[32];

        rc = kv_db_prepare(db,
                           "UPDATE letters SET state = 'AVAILABLE' WHERE id = ? AND "
                           "state = 'AWAITING_DELAY'",
                           &s, err);
        if (rc < 0)
            goto out;
        kv_stmt_bind_int64(s, 1, due[i].id);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            goto out;
        if (kv_db_changes(db) != 1)
            continue; /* published by another node meanwhile: its events, not ours */
        published++;
        /* routed to an authority: its place in the pull list is taken now (recipient_queue.h) */
        if (!due[i].mailbox_id) {
            rc = kv_recipient_publish(db, due[i].id, err);
            if (rc < 0)
                goto out;
        }
        kv_clock_format_utc(due[i].available_ms, when, sizeof(when));
        snprintf(props, sizeof(props), "{\"availableAt\":\"%s\"}", when);
        ev.message_uuid = due[i].uuid;
        ev.system_id = due[i].system_id;
        ev.actor = "hub";
        ev.subject = due[i].subject;
        ev.props_json = props;
        ev.time_ms = now_ms;
        ev.tag = "DELAYED_MEMO_SEND_SENT";
        rc = kv_events_append(db, &ev, err);
        if (rc < 0)
            goto out;
        ev.tag = "MEMO_AVAILABLE_TO_RECIPIENT";
        rc = kv_events_append(db, &ev, err);
        if (rc < 0)
            goto out;
        /* the notices of the owner and helpers, in the publishing transaction */
        rc = kv_notify_letter_visible(db, due[i].id, due[i].mailbox_id, now_ms, NULL, err);
        if (rc < 0)
            goto out;
    }
    rc = kv_db_commit(db, err);
    if (rc == 0)
        *out_n = published;
out:
    if (rc < 0)
        kv_db_rollback(db);
    free(due);
    return rc < 0 ? rc : 0;
}

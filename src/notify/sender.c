/* SPDX-License-Identifier: MIT
 *
 * sender.c: the notice sender and its worker thread (see sender.h). One pass: load a batch of
 * due rows with what rendering needs (channel, access settings, letter, sending organisation),
 * decide each in C, write every decision and every e-mail handover plus the SENDING claims in
 * one transaction, POST the claimed SMS and push notices through one curl multi handle, and
 * record all outcomes in a second transaction (NemSMS outcomes also as NEM_SMS_* events).
 */
#include "notify/sender.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "hub/events.h"
#include "hub/hub.h"
#include "hub/lease.h"
#include "hub/mail.h"
#include "hub/scheduler.h"
#include "notify/outbox.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/outbound.h"
#include "util/xmalloc.h"

#define DEFAULT_TIMEOUT_MS 10000
#define ERROR_MAX 255
#define PASS_BUDGET_MS 5000 /* a worker round drains batches for at most this long */

static const int64_t retry_delays_ms[] = {60LL * 1000, 5 * 60LL * 1000, 15 * 60LL * 1000,
                                          60 * 60LL * 1000};

static const char SQL_DUE[] =
    "SELECT o.id, o.ukey, o.kind, o.channel, o.attempts, o.target, o.text, c.id, c.address,"
    " c.device_id, c.provider, c.confirmed_ms, s.quiet_from, s.quiet_to, s.opted_out_ms,"
    " l.state, COALESCE(l.sender_label, g.name, l.sender_cvr), l.message_uuid, l.sender_system,"
    " l.recipient_id"
    ", o.next_ms"
    " FROM notify_outbox o"
    " LEFT JOIN notify_channels c ON c.id = o.channel_id"
    " LEFT JOIN notify_settings s ON s.id = c.settings_id"
    " LEFT JOIN letters l ON l.id = o.letter_id"
    " LEFT JOIN orgs g ON g.cvr = l.sender_cvr"
    " WHERE o.state = ? AND o.next_ms <= ?"
    " ORDER BY o.next_ms LIMIT ?";

enum action { A_SEND, A_DROP, A_DEFER, A_MAIL, A_WAIT };

struct notice {
    int64_t id;
    char ukey[80];
    char kind[12];      /* NEW | REMINDER | PIN | NEMSMS */
    char channel[8];    /* EMAIL | SMS | PUSH */
    int attempts;
    char *to;           /* owned: address, number or device token */
    char *device_id;    /* owned or NULL */
    char *provider;     /* owned or NULL */
    char *text;         /* owned: what is sent (SMS text / push body / mail body) */
    char *subject;      /* owned or NULL (e-mail) */
    char msg_uuid[40];  /* letter's uuid ("" none) */
    char system_id[40]; /* letter's sender system */
    char cpr[16];       /* NemSMS recipient */
    const char *seen;   /* the state it was loaded in (static) */
    int64_t seen_next;  /* and its next_ms: the claim is taken only if both are unchanged */
    enum action act;
    enum action planned; /* act as decided (a claim that runs again starts from it) */
    int64_t claim_next; /* next_ms written by our claim: the outcome is recorded only while
                         * the row still holds it (a claim taken over has a later one) */
    int64_t defer_to;   /* A_DEFER */
    const char *why;    /* A_DROP reason */
    /* outcome of a POST */
    long status;        /* HTTP status, 0 = no answer */
    char error[ERROR_MAX + 1];
    char *body;         /* owned request body */
    struct curl_slist *hdrs;
    CURL *easy;
};

char *kv_notify_text(const char *kind, const char *sender_name)
{
    char buf[400];
    const char *from = sender_name && sender_name[0] ? sender_name : "en offentlig afsender";

    if (strcmp(kind, "REMINDER") == 0)
        snprintf(buf, sizeof(buf),
                 "Påmindelse: Du har ulæst Digital Post fra %.120s. Log på for at læse den.", from);
    else
        snprintf(buf, sizeof(buf), "Du har fået ny Digital Post fra %.120s. Log på for at læse den.",
                 from);
    return kv_xstrdup(buf);
}

static void free_notices(struct notice *n, int count)
{
    int i;

    for (i = 0; i < count; i++) {
        free(n[i].to);
        free(n[i].device_id);
        free(n[i].provider);
        free(n[i].text);
        free(n[i].subject);
        free(n[i].body);
        curl_slist_free_all(n[i].hdrs);
        if (n[i].easy)
            curl_easy_cleanup(n[i].easy);
    }
}

static char *dup_col(struct kv_stmt *s, int i)
{
    return kv_stmt_col_is_null(s, i) ? NULL : kv_xstrdup(kv_stmt_col_text(s, i));
}

/* Minutes after 00:00 Copenhagen of ms, and the ms of the next time that is minute m. */
static int cph_minute(int64_t ms)
{
    int64_t local = ms + kv_clock_copenhagen_offset_ms(ms);
    int64_t day = 24LL * 3600 * 1000;

    return (int)(((local % day) + day) % day / 60000);
}

/* 1 when minute-of-day now is in [from, to) (over midnight when to < from). */
static int in_quiet(int now, int from, int to)
{
    if (from == to)
        return 0;
    if (from < to)
        return now >= from && now < to;
    return now >= from || now < to;
}

/* The moment (UTC ms) after now at which Copenhagen's clock next shows minute `to`, now being
 * at minute m. Counting the minutes on the clock is not enough when the clocks change in
 * between (the last Sunday of March and of October, 02:00/03:00): the difference of the UTC
 * offsets is taken off, so the end of quiet hours is 07:00 on the clock after the change too. */
static int64_t quiet_end(int64_t now, int m, int to)
{
    int64_t at = now - (now % 60000) + (int64_t)((to - m + 1440) % 1440) * 60000;

    return at - (kv_clock_copenhagen_offset_ms(at) - kv_clock_copenhagen_offset_ms(now));
}

/* Decides one loaded row. */
static void decide(struct notice *n, struct kv_stmt *s, int64_t now, const char *public_url)
{
    int letter_notice = strcmp(n->kind, "NEW") == 0 || strcmp(n->kind, "REMINDER") == 0;

    n->act = A_SEND;
    if (!letter_notice) {
        n->to = dup_col(s, 5);
        n->text = dup_col(s, 6);
        if (!n->to || !n->text) {
            n->act = A_DROP;
            n->why = "nothing to send";
        }
        return;
    }
    if (kv_stmt_col_is_null(s, 7) || kv_stmt_col_is_null(s, 11)) {
        n->act = A_DROP;
        n->why = "channel removed or not confirmed";
        return;
    }
    if (!kv_stmt_col_is_null(s, 14)) {
        n->act = A_DROP;
        n->why = "opted out of notifications";
        return;
    }
    if (kv_stmt_col_is_null(s, 15) || strcmp(kv_stmt_col_text(s, 15), "AVAILABLE") != 0) {
        n->act = A_DROP;
        n->why = "letter no longer available";
        return;
    }
    n->to = dup_col(s, 8);
    n->device_id = dup_col(s, 9);
    n->provider = dup_col(s, 10);
    n->text = kv_notify_text(n->kind, kv_stmt_col_text(s, 16));
    if (strcmp(n->channel, "EMAIL") == 0) {
        char subj[256], *body;
        size_t len;
        const char *from = kv_stmt_col_text(s, 16);

        snprintf(subj, sizeof(subj), "%s Digital Post fra %.120s",
                 strcmp(n->kind, "REMINDER") == 0 ? "Påmindelse: ulæst" : "Ny",
                 from && from[0] ? from : "en offentlig afsender");
        n->subject = kv_xstrdup(subj);
        len = strlen(n->text) + strlen(public_url) + 200;
        body = kv_xmalloc(len);
        snprintf(body, len,
                 "%s\n\n%s%s%s\nDu kan ændre dine notifikationer under Indstillinger.\n",
                 n->text, public_url[0] ? "Læs den her: " : "", public_url,
                 public_url[0] ? "/post/\n" : "");
        free(n->text);
        n->text = body;
        n->act = A_MAIL;
        return;
    }
    if (!kv_stmt_col_is_null(s, 12) && !kv_stmt_col_is_null(s, 13)) {
        int from = (int)kv_stmt_col_int64(s, 12), to = (int)kv_stmt_col_int64(s, 13);
        int m = cph_minute(now);

        if (in_quiet(m, from, to)) {
            n->act = A_DEFER;
            n->defer_to = quiet_end(now, m, to);
        }
    }
}

static int load_due(struct kv_db *db, int64_t now, const char *public_url, struct notice *n,
                    int max, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc, count = 0;

    static const char *const states[] = {"SENDING", "PENDING"};
    int pass;

    /* One state at a time, so the index (state, next_ms) hands out the rows in order without
     * sorting every due row: first the claims whose lease ran out, then the pending ones. */
    for (pass = 0; pass < 2 && count < max; pass++) {
    rc = kv_db_prepare(db, SQL_DUE, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, states[pass], -1);
    kv_stmt_bind_int64(s, 2, now);
    kv_stmt_bind_int64(s, 3, max - count);
    while (count < max && (rc = kv_stmt_step(s, err)) == KV_ROW) {
        struct notice *x = &n[count++];
        memset(x, 0, sizeof(*x));
        x->id = kv_stmt_col_int64(s, 0);
        snprintf(x->ukey, sizeof(x->ukey), "%s", kv_stmt_col_text(s, 1));
        snprintf(x->kind, sizeof(x->kind), "%s", kv_stmt_col_text(s, 2));
        snprintf(x->channel, sizeof(x->channel), "%s", kv_stmt_col_text(s, 3));
        x->attempts = (int)kv_stmt_col_int64(s, 4);
        if (!kv_stmt_col_is_null(s, 17))
            snprintf(x->msg_uuid, sizeof(x->msg_uuid), "%s", kv_stmt_col_text(s, 17));
        if (!kv_stmt_col_is_null(s, 18))
            snprintf(x->system_id, sizeof(x->system_id), "%s", kv_stmt_col_text(s, 18));
        if (!kv_stmt_col_is_null(s, 19))
            snprintf(x->cpr, sizeof(x->cpr), "%s", kv_stmt_col_text(s, 19));
        x->seen = states[pass];
        x->seen_next = kv_stmt_col_int64(s, 20);
        decide(x, s, now, public_url);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    }
    return count;
}

static int exec_row(struct kv_db *db, const char *sql, int64_t a, int64_t b, const char *t,
                    int64_t id, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, a);
    kv_stmt_bind_int64(s, 2, b);
    if (t)
        kv_stmt_bind_text(s, 3, t, -1);
    else
        kv_stmt_bind_null(s, 3);
    kv_stmt_bind_int64(s, 4, id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* As exec_row, for a row as loaded: only while it is still in the state and at the next_ms
 * it was loaded with (the same transaction judges it), so that of two senders that loaded the
 * same due row -- two nodes, or two passes -- exactly one takes it. *took = 1 when it did. */
static int exec_seen(struct kv_db *db, const char *sql, int64_t a, int64_t b, const char *t,
                     const struct notice *x, int *took, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);

    *took = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, a);
    kv_stmt_bind_int64(s, 2, b);
    if (t)
        kv_stmt_bind_text(s, 3, t, -1);
    else
        kv_stmt_bind_null(s, 3);
    kv_stmt_bind_int64(s, 4, x->id);
    kv_stmt_bind_text(s, 5, x->seen, -1);
    kv_stmt_bind_int64(s, 6, x->seen_next);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    *took = kv_db_changes(db) == 1;
    return 0;
}

#define IF_SEEN " AND state = ? AND next_ms = ?"

/* Sets a row's state: state as text via a small fixed set of statements. */
#define SQL_CLAIM                                                                                \
    "UPDATE notify_outbox SET state = 'SENDING', next_ms = ?, attempts = attempts + ?, "        \
    "last_error = ? WHERE id = ?"
#define SQL_DEFER                                                                                \
    "UPDATE notify_outbox SET state = 'PENDING', next_ms = ?, attempts = attempts + ?, "        \
    "last_error = ? WHERE id = ?"
#define SQL_SENT                                                                                 \
    "UPDATE notify_outbox SET state = 'SENT', sent_ms = ?, attempts = attempts + ?, "           \
    "last_error = ? WHERE id = ?"
#define SQL_DROP                                                                                 \
    "UPDATE notify_outbox SET state = 'DROPPED', next_ms = ?, attempts = attempts + ?, "        \
    "last_error = ? WHERE id = ?"
#define SQL_FAIL                                                                                 \
    "UPDATE notify_outbox SET state = 'FAILED', next_ms = ?, attempts = attempts + ?, "         \
    "last_error = ? WHERE id = ?"

static int nemsms_event(struct kv_db *db, const struct notice *n, const char *tag, int64_t now,
                        struct kv_err *err)
{
    struct kv_event ev = {0};
    char subject[32], props[400];
    json_t *o;
    char *txt;

    if (strcmp(n->kind, "NEMSMS") != 0)
        return 0;
    snprintf(subject, sizeof(subject), "cpr:%s", n->cpr);
    o = json_pack("{s:s,s:s}", "mobileNumber", n->to ? n->to : "", "reference", n->ukey);
    if (n->error[0])
        json_object_set_new(o, "error", json_string(n->error));
    txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    snprintf(props, sizeof(props), "%s", txt ? txt : "{}");
    free(txt);
    ev.tag = tag;
    ev.message_uuid = n->msg_uuid[0] ? n->msg_uuid : NULL;
    ev.system_id = n->system_id[0] ? n->system_id : NULL;
    ev.actor = "hub";
    ev.subject = subject;
    ev.props_json = props;
    ev.time_ms = now;
    return kv_events_append(db, &ev, err);
}

/* What settle_tx and record_tx run on (kv_db_run's argument); done is counted anew by each
 * run and added to the caller's count once the transaction committed. */
struct tx_arg {
    struct notice *n;
    int count;
    int64_t now;
    const struct kv_notify_opts *o; /* settle_tx only */
    int done;
};

/* Transaction 1, run by kv_db_run (again after a deadlock or serialization failure): drops,
 * deferrals, e-mail handover, claims. Concurrent (docs/postgresql.md "Writes without the global lock"): every change is
 * exec_seen's UPDATE guarded by the state and next_ms the row was loaded with, so of two
 * senders that loaded one row (two nodes' workers) the first takes it and the second's
 * statement, run after the first commits, matches nothing; only a sender that took a row
 * hands its mail over or POSTs it. The rows go in id order (kv_notify_send_due sorts them),
 * so two such transactions queue on them rather than deadlock. */
static int settle_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct tx_arg *a = arg;
    struct notice *n = a->n;
    const struct kv_notify_opts *o = a->o;
    int64_t now = a->now;
    int rc = 0, i, done = 0;

    for (i = 0; i < a->count && rc == 0; i++) {
        struct notice *x = &n[i];
        const char *gw = strcmp(x->channel, "SMS") == 0 ? o->sms_url : o->push_url;
        int took = 0;

        x->act = x->planned;
        switch (x->act) {
        case A_DROP:
            rc = exec_seen(db, SQL_DROP IF_SEEN, now, 0, x->why, x, &took, err);
            done += took;
            break;
        case A_DEFER:
            rc = exec_seen(db, SQL_DEFER IF_SEEN, x->defer_to, 0, "quiet hours", x, &took, err);
            break;
        case A_MAIL:
            /* SENT first: only the sender that takes the row hands the mail over */
            rc = exec_seen(db, SQL_SENT IF_SEEN, now, 1, NULL, x, &took, err);
            if (rc == 0 && took) {
                rc = kv_mail_queue(db, x->to, x->subject, x->text, "NOTIFICATION", NULL, now,
                                   NULL, err);
                if (rc == KV_EINVAL || rc == KV_ETOOBIG)
                    rc = exec_row(db, SQL_FAIL, now, 0, err->msg, x->id, err);
            }
            done += took;
            break;
        case A_SEND:
            if (!gw || !gw[0]) { /* no gateway configured: wait for one */
                x->act = A_WAIT;
                rc = exec_seen(db, SQL_DEFER IF_SEEN, now + 60000, 0, "no gateway configured",
                               x, &took, err);
                break;
            }
            x->claim_next = now + KV_NOTIFY_LEASE_MS;
            rc = exec_seen(db, SQL_CLAIM IF_SEEN, x->claim_next, 0, NULL, x, &took, err);
            if (rc == 0 && !took)
                x->act = A_WAIT; /* another sender has it */
            break;
        case A_WAIT:
            break;
        }
    }
    a->done = done;
    return rc;
}

/* Transaction 1 (settle_tx), committed. */
static int settle_and_claim(struct kv_db *db, struct notice *n, int count, int64_t now,
                            const struct kv_notify_opts *o, int *out_done, struct kv_err *err)
{
    struct tx_arg a = {n, count, now, o, 0};
    int rc = kv_db_run(db, 1, settle_tx, &a, err);

    if (rc == 0)
        *out_done += a.done;
    return rc < 0 ? rc : 0;
}

static size_t discard_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb; /* the gateway's answer body is not needed */
}

/* The JSON request of one claimed notice. */
static char *request_body(const struct notice *x)
{
    json_t *o;
    char ref[96];
    char *s;

    snprintf(ref, sizeof(ref), "kuvert:%s", x->ukey);
    if (strcmp(x->channel, "SMS") == 0)
        o = json_pack("{s:s,s:s,s:s,s:s}", "to", x->to ? x->to : "", "text",
                      x->text ? x->text : "", "reference", ref, "kind", x->kind);
    else
        o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "provider",
                      x->provider ? x->provider : "", "deviceId",
                      x->device_id ? x->device_id : "", "deviceToken", x->to ? x->to : "",
                      "title", "Digital Post", "body", x->text ? x->text : "", "reference", ref,
                      "kind", x->kind);
    if (!o)
        return NULL;
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* POSTs every claimed notice, KV_NOTIFY_PARALLEL at a time, on one multi handle. */
static void post_all(struct notice *n, int count, const struct kv_notify_opts *o)
{
    CURLM *multi = curl_multi_init();
    int64_t timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    int next = 0, running = 0, inflight = 0, i;

    if (!multi)
        return;
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)KV_NOTIFY_PARALLEL);
    for (;;) {
        CURLMsg *m;
        int left;

        while (inflight < KV_NOTIFY_PARALLEL && next < count) {
            struct notice *x = &n[next++];
            const char *url;

            if (x->act != A_SEND)
                continue;
            url = strcmp(x->channel, "SMS") == 0 ? o->sms_url : o->push_url;
            x->body = request_body(x);
            x->easy = curl_easy_init();
            if (!x->body || !x->easy) {
                snprintf(x->error, sizeof(x->error), "out of memory");
                continue;
            }
            kv_outbound_http_setup(x->easy, url, timeout, timeout);
            x->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
            curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
            curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
            curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
            curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, discard_cb);
            curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
            curl_multi_add_handle(multi, x->easy);
            inflight++;
        }
        if (inflight == 0 && next >= count)
            break;
        curl_multi_perform(multi, &running);
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            struct notice *x;
            char *priv = NULL;

            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
            x = (struct notice *)(void *)priv;
            if (m->data.result == CURLE_OK)
                curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &x->status);
            else
                snprintf(x->error, sizeof(x->error), "%s", curl_easy_strerror(m->data.result));
            curl_multi_remove_handle(multi, m->easy_handle);
            inflight--;
        }
        if (inflight > 0)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    for (i = 0; i < count; i++)
        if (n[i].easy) {
            curl_easy_cleanup(n[i].easy);
            n[i].easy = NULL;
        }
    curl_multi_cleanup(multi);
}

/* Removes a push channel whose token the gateway called stale (HTTP 410). */
static int drop_stale_push(struct kv_db *db, const struct notice *x, int64_t now,
                           struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_event ev = {0};
    int rc;

    rc = kv_db_prepare(db,
                       "DELETE FROM notify_channels WHERE kind = 'PUSH' AND address = ? AND"
                       " id IN (SELECT channel_id FROM notify_outbox WHERE id = ?)",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, x->to ? x->to : "", -1);
    kv_stmt_bind_int64(s, 2, x->id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    ev.tag = "NOTIFICATION_DEVICE_TOKEN_STALE_FAILED";
    ev.actor = "hub";
    ev.props_json = "{\"channel\":\"PUSH\"}";
    ev.time_ms = now;
    return kv_events_append(db, &ev, err);
}

/* As exec_row, for the outcome of our claim: only while the row is SENDING under that claim
 * (next_ms as our claim wrote it). *took = 1 when it changed the row. */
static int exec_claimed(struct kv_db *db, const char *sql, int64_t a, const char *t,
                        const struct notice *x, int *took, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);

    *took = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, a);
    kv_stmt_bind_int64(s, 2, 1);
    if (t)
        kv_stmt_bind_text(s, 3, t, -1);
    else
        kv_stmt_bind_null(s, 3);
    kv_stmt_bind_int64(s, 4, x->id);
    kv_stmt_bind_text(s, 5, "SENDING", -1);
    kv_stmt_bind_int64(s, 6, x->claim_next);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    *took = kv_db_changes(db) == 1;
    return 0;
}

/* Transaction 2, the outcomes of the POSTs, run by kv_db_run (again after a deadlock or
 * serialization failure). Concurrent: each
 * outcome is one UPDATE guarded by our claim (exec_claimed), so a sender whose claim ran out
 * and was taken over by another node (which POSTs again with the same reference) records
 * nothing, and the taker's outcome stands; its NemSMS event and a stale push channel's
 * removal only go with an UPDATE that changed the row. */
static int record_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct tx_arg *a = arg;
    struct notice *n = a->n;
    int64_t now = a->now;
    int rc = 0, i, done = 0;

    for (i = 0; i < a->count && rc == 0; i++) {
        struct notice *x = &n[i];
        int ok = x->status >= 200 && x->status < 300;
        int rejected = x->status >= 400 && x->status < 500 && x->status != 408 &&
                       x->status != 429;
        int took = 0;

        if (x->act != A_SEND)
            continue;
        if (ok) {
            rc = exec_claimed(db, SQL_SENT IF_SEEN, now, NULL, x, &took, err);
            if (rc == 0 && took)
                rc = nemsms_event(db, x, "NEM_SMS_SENT_SUCCESSFULLY", now, err);
            done += took;
            continue;
        }
        if (!x->error[0])
            snprintf(x->error, sizeof(x->error), "gateway answered HTTP %ld", x->status);
        if (rejected || x->attempts + 1 >= KV_NOTIFY_MAX_ATTEMPTS) {
            rc = exec_claimed(db, SQL_FAIL IF_SEEN, now, x->error, x, &took, err);
            if (rc == 0 && took)
                rc = nemsms_event(db, x,
                                  rejected ? "NEM_SMS_SENT_AND_REJECTED" : "NEM_SMS_SEND_FAILED",
                                  now, err);
            if (rc == 0 && took && x->status == 410 && strcmp(x->channel, "PUSH") == 0)
                rc = drop_stale_push(db, x, now, err);
            done += took;
            if (took)
                kv_log(KV_LOG_WARN, "notice %s: %s (giving up)", x->ukey, x->error);
        } else {
            rc = exec_claimed(db, SQL_DEFER IF_SEEN,
                              now + kv_outbound_delay_ms(retry_delays_ms,
                                                         sizeof(retry_delays_ms) /
                                                             sizeof(retry_delays_ms[0]),
                                                         x->attempts + 1),
                              x->error, x, &took, err);
        }
    }
    a->done = done;
    return rc;
}

/* Transaction 2 (record_tx), committed. */
static int record_all(struct kv_db *db, struct notice *n, int count, int64_t now, int *out_done,
                      struct kv_err *err)
{
    struct tx_arg a = {n, count, now, NULL, 0};
    int rc = kv_db_run(db, 1, record_tx, &a, err);

    if (rc == 0)
        *out_done += a.done;
    return rc < 0 ? rc : 0;
}

static int by_id(const void *a, const void *b)
{
    int64_t x = ((const struct notice *)a)->id, y = ((const struct notice *)b)->id;

    return x < y ? -1 : x > y;
}

int kv_notify_send_due(struct kv_store *st, const struct kv_notify_opts *o, int64_t now_ms,
                       int *out_done, struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct notice *n = NULL;
    int rc, count = 0, done = 0, i, posts = 0;

    if (out_done)
        *out_done = 0;
    if (kv_outbound_init(err) < 0)
        return KV_EINTERNAL;
    rc = kv_db_acquire(st, &db, err);
    if (rc < 0)
        return rc;
    n = kv_xcalloc(KV_NOTIFY_BATCH, sizeof(*n));
    rc = load_due(db, now_ms, o->public_url ? o->public_url : "", n, KV_NOTIFY_BATCH, err);
    if (rc <= 0)
        goto out;
    count = rc;
    for (i = 0; i < count; i++)
        n[i].planned = n[i].act;
    qsort(n, (size_t)count, sizeof(*n), by_id); /* the order the transactions lock rows in */
    rc = settle_and_claim(db, n, count, now_ms, o, &done, err);
    if (rc < 0)
        goto out;
    for (i = 0; i < count; i++)
        posts += n[i].act == A_SEND;
    if (posts > 0) {
        kv_db_release(db); /* no connection held while waiting for gateways */
        db = NULL;
        post_all(n, count, o);
        rc = kv_db_acquire(st, &db, err);
        if (rc < 0)
            goto out;
        rc = record_all(db, n, count, kv_clock_now_ms() > now_ms ? kv_clock_now_ms() : now_ms,
                        &done, err);
    }
out:
    if (n) {
        free_notices(n, count);
        free(n);
    }
    kv_db_release(db);
    if (rc >= 0 && out_done)
        *out_done = done;
    if (rc >= 0 && count == KV_NOTIFY_BATCH)
        return 1; /* more may be due */
    return rc < 0 ? rc : 0;
}

/* ---- the worker ---------------------------------------------------------------------------- */

struct kv_notify_worker {
    struct kv_hub *hub;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int kicked, stopping;
    pthread_t thread;
    struct kv_log_streak reminders; /* kv_notify_hook's failures (scheduler thread only) */
};

static void *worker_main(void *arg)
{
    struct kv_notify_worker *w = arg;
    struct kv_notify_opts o;
    struct kv_conf *c = w->hub->conf;
    char base[KV_CONF_STR_MAX + 16];

    memset(&o, 0, sizeof(o));
    o.sms_url = c->sms_gateway;
    o.push_url = c->push_gateway;
    /* the base of the link in e-mails: public_url, else http://LISTEN (as the API's links) */
    snprintf(base, sizeof(base), "%s%s", c->public_url[0] ? "" : "http://",
             c->public_url[0] ? c->public_url : c->listen);
    if (base[0] && base[strlen(base) - 1] == '/')
        base[strlen(base) - 1] = '\0';
    o.public_url = base;
    o.timeout_ms = DEFAULT_TIMEOUT_MS;
    for (;;) {
        struct timespec until, t0, t1;
        struct kv_err err = {0, ""};
        int rc, rounds = 0;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        do { /* drain while batches come back full, within the budget */
            rc = kv_notify_send_due(w->hub->store, &o, kv_clock_now_ms(), NULL, &err);
            if (rc < 0)
                kv_log(KV_LOG_WARN, "notice sender: %s", err.msg);
            clock_gettime(CLOCK_MONOTONIC, &t1);
        } while (rc == 1 && ++rounds < 100000 &&
                 (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 <
                     PASS_BUDGET_MS);
        pthread_mutex_lock(&w->mu);
        if (rc == 1 && !w->stopping) { /* more due: go on at once */
            pthread_mutex_unlock(&w->mu);
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        while (!w->kicked && !w->stopping)
            if (pthread_cond_timedwait(&w->wake, &w->mu, &until) != 0)
                break;
        w->kicked = 0;
        if (w->stopping) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

int kv_notify_worker_start(struct kv_hub *hub, struct kv_notify_worker **out, struct kv_err *err)
{
    struct kv_notify_worker *w = kv_xcalloc(1, sizeof(*w));
    pthread_condattr_t ca;

    *out = NULL;
    w->hub = hub;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return kv_err_set(err, KV_EINTERNAL, "cannot start the notice sender thread");
    }
    (void)pthread_setname_np(w->thread, "kuvert-notify"); /* for top -H, perf --comm */
    *out = w;
    return 0;
}

void kv_notify_worker_kick(struct kv_notify_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->kicked = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

void kv_notify_worker_stop(struct kv_notify_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

int kv_notify_hook(void *worker_arg)
{
    struct kv_notify_worker *w = worker_arg;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    int rc, n = 0;

    /* The reminder rule under a lease, so that of several nodes on one database one applies
     * it per pass (its unique keys would also stop a second reminder, but two nodes would
     * walk the same rows and contend for the write lock). Without a lease set (no workers
     * started) the node is alone. The sender itself runs on every node: it claims rows. */
    rc = w->hub->leases ? kv_leases_hold(w->hub->leases, KV_NOTIFY_REMINDER_LEASE, &err) : 1;
    if (rc == 1) {
        rc = kv_db_acquire(w->hub->store, &db, &err);
        if (rc == 0)
            rc = kv_notify_queue_reminders(db, kv_clock_now_ms(), w->hub->conf->notify_reminder,
                                           w->hub->conf->notify_legal_reminder, 200, &n, &err);
        kv_db_release(db);
    }
    if (rc < 0) {
        long long k = kv_log_streak_fail(&w->reminders);

        if (k == 1)
            kv_log(KV_LOG_WARN, "reminders: %s", err.msg);
        else if (k > 1)
            kv_log(KV_LOG_WARN, "reminders: %s (%lld passes in a row; logged at most once a "
                   "minute)", err.msg, k);
    } else if (kv_log_streak_ok(&w->reminders) > 0) {
        kv_log(KV_LOG_INFO, "reminders: applied again");
    }
    kv_notify_worker_kick(w);
    return rc < 0 ? rc : 0;
}

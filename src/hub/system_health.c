/* SPDX-License-Identifier: MIT
 *
 * system_health.c: delivery health of recipient systems (see system_health.h and
 * docs/recipient-side.md "Deactivation and warning e-mails"). The state lives in the systems
 * row (migration 005): last_success_ms, failing_since_ms, last_failure_ms, last_error,
 * warnings_sent, last_fetch_ms, deactivated_ms. The pusher and the pull API report outcomes;
 * kv_system_health_check (a scheduler hook) turns elapsed failure time into warning mails
 * (mail.h) and the automatic deactivation; kv_system_activate undoes it.
 */
#include "hub/system_health.h"

#include <stdio.h>
#include <string.h>

#include "hub/directory.h"
#include "hub/directory_int.h"
#include "hub/events.h"
#include "hub/hub.h"
#include "hub/mail.h"
#include "hub/recipient_queue.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

static const char SQL_SUCCESS[] =
    "UPDATE systems SET last_success_ms = ?2, failing_since_ms = NULL, warnings_sent = 0"
    " WHERE id = ?1";
static const char SQL_FAILURE[] =
    "UPDATE systems SET failing_since_ms = COALESCE(failing_since_ms, ?2),"
    " last_failure_ms = ?2, last_error = ?3 WHERE id = ?1";
/* A pull fetch: written only when something changes or the stored time is over a minute old,
 * so a system polling its list many times a second does not write (and fsync) every time. */
static const char SQL_FETCHED[] =
    "UPDATE systems SET last_fetch_ms = ?2, last_success_ms = ?2, failing_since_ms = NULL,"
    " warnings_sent = 0 WHERE id = ?1 AND (last_fetch_ms IS NULL OR last_success_ms IS NULL"
    " OR failing_since_ms IS NOT NULL OR warnings_sent <> 0 OR last_fetch_ms > ?2"
    " OR last_fetch_ms <= ?2 - ?3)";

#define ERROR_TEXT_MAX 255 /* bytes of last_error kept */

/* Runs a one-statement UPDATE bound (id, now[, text]). */
static int update(struct kv_db *db, const char *sql, const char *system_id, int64_t now_ms,
                  const char *text, int64_t extra, int nparams, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, now_ms);
    if (nparams >= 3 && text)
        kv_stmt_bind_text(s, 3, text, -1);
    else if (nparams >= 3)
        kv_stmt_bind_int64(s, 3, extra);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_system_health_success(struct kv_db *db, const char *system_id, int64_t now_ms,
                             struct kv_err *err)
{
    if (!system_id)
        return kv_err_set(err, KV_EINVAL, "no system id");
    return update(db, SQL_SUCCESS, system_id, now_ms, NULL, 0, 2, err);
}

int kv_system_health_failure(struct kv_db *db, const char *system_id, int64_t now_ms,
                             const char *error, struct kv_err *err)
{
    char text[ERROR_TEXT_MAX + 1];
    size_t n;

    if (!system_id)
        return kv_err_set(err, KV_EINVAL, "no system id");
    n = error ? strlen(error) : 0;
    if (n > ERROR_TEXT_MAX) {
        n = ERROR_TEXT_MAX;
        while (n > 0 && ((unsigned char)error[n] & 0xC0) == 0x80) /* keep UTF-8 whole */
            n--;
    }
    if (n)
        memcpy(text, error, n);
    text[n] = '\0';
    return update(db, SQL_FAILURE, system_id, now_ms, n ? text : "delivery failed", 0, 3, err);
}

int kv_system_health_fetched(struct kv_db *db, const char *system_id, int64_t now_ms,
                             struct kv_err *err)
{
    if (!system_id)
        return kv_err_set(err, KV_EINVAL, "no system id");
    return update(db, SQL_FETCHED, system_id, now_ms, NULL, KV_HEALTH_FETCH_WRITE_MS, 3, err);
}

/* ---- evaluation -------------------------------------------------------------------------- */

static const int64_t warn_after_ms[KV_HEALTH_WARNINGS] = {1 * KV_HEALTH_DAY_MS,
                                                          3 * KV_HEALTH_DAY_MS,
                                                          6 * KV_HEALTH_DAY_MS};

/* What the check needs of one system: its row and its oldest waiting letter. */
struct row {
    char id[37];             /* system id */
    char org_cvr[9];         /* organisation */
    char name[257];          /* display name */
    enum kv_protocol protocol; /* how it receives (protocol.h) */
    char email[257];         /* contact e-mail, "" = none */
    int64_t failing_since;   /* stored, 0 = NULL */
    int warnings_sent;       /* stored */
    int64_t last_fetch;      /* 0 = never */
    int64_t activated;       /* 0 = never reactivated */
    int64_t created;         /* created_ms */
    int64_t last_success;    /* last_success_ms, 0 = never */
    int64_t oldest_waiting;  /* availability of the oldest waiting letter, 0 = none waiting
                              * (kv_recipient_oldest_waiting) */
};

static const char SQL_ROWS[] =
    "SELECT id, org_cvr, name, protocol, contact_email, failing_since_ms, warnings_sent,"
    " last_fetch_ms, activated_ms, created_ms, last_success_ms FROM systems WHERE kind = 'recipient'"
    " AND status = 'active' AND id > ?1 ORDER BY id LIMIT ?2";
static const char SQL_ROW_ONE[] =
    "SELECT id, org_cvr, name, protocol, contact_email, failing_since_ms, warnings_sent,"
    " last_fetch_ms, activated_ms, created_ms, last_success_ms FROM systems WHERE kind = 'recipient'"
    " AND status = 'active' AND id = ?1";
static const char SQL_SET_FAILING[] =
    "UPDATE systems SET failing_since_ms = ?2, warnings_sent = ?3 WHERE id = ?1";
static const char SQL_DEACTIVATE[] =
    "UPDATE systems SET status = 'deactivated', deactivated_ms = ?2, failing_since_ms = ?3,"
    " warnings_sent = ?4 WHERE id = ?1 AND status = 'active'";

#define CHECK_PAGE 64 /* systems read per statement */

static void read_row(struct kv_stmt *s, struct row *r)
{
    memset(r, 0, sizeof(*r));
    kv_str_copy(r->id, sizeof(r->id), kv_stmt_col_text(s, 0));
    kv_str_copy(r->org_cvr, sizeof(r->org_cvr), kv_stmt_col_text(s, 1));
    kv_str_copy(r->name, sizeof(r->name), kv_stmt_col_text(s, 2));
    if (kv_protocol_parse(kv_stmt_col_text(s, 3), &r->protocol) < 0)
        r->protocol = KV_PROTOCOL_NONE;
    kv_str_copy(r->email, sizeof(r->email), kv_stmt_col_text(s, 4));
    r->failing_since = kv_stmt_col_is_null(s, 5) ? 0 : kv_stmt_col_int64(s, 5);
    r->warnings_sent = (int)kv_stmt_col_int64(s, 6);
    r->last_fetch = kv_stmt_col_is_null(s, 7) ? 0 : kv_stmt_col_int64(s, 7);
    r->activated = kv_stmt_col_is_null(s, 8) ? 0 : kv_stmt_col_int64(s, 8);
    r->created = kv_stmt_col_int64(s, 9);
    r->last_success = kv_stmt_col_is_null(s, 10) ? 0 : kv_stmt_col_int64(s, 10);
}

/* Fills r->oldest_waiting (recipient_queue.h: one index seek). */
static int waiting(struct kv_db *db, struct row *r, int64_t now, struct kv_err *err)
{
    return kv_recipient_oldest_waiting(db, r->id, now, &r->oldest_waiting, err);
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* The decision for one system at now: the failing_since to store (0 = not failing), how many
 * warnings are due in total, and whether it is to be deactivated. */
struct verdict {
    int64_t failing_since; /* 0 = not failing */
    int warnings;          /* thresholds passed (0..KV_HEALTH_WARNINGS) */
    int deactivate;        /* 1 at KV_HEALTH_DEACTIVATE_MS */
};

static void judge(const struct row *r, int64_t now, struct verdict *v)
{
    int i;

    memset(v, 0, sizeof(*v));
    if (!r->oldest_waiting) /* nothing to deliver: nothing can fail */
        return;
    if (kv_protocol_info(r->protocol)->hub_delivers) /* recorded by the hub's own attempts */
        v->failing_since = r->failing_since;
    else /* the system fetches (pull): letters wait unfetched since the latest of the last
          * fetch or successful delivery (a delete or receipt after the fetch), the oldest
          * waiting letter's availability and the last reactivation (not before creation) */
        v->failing_since = max64(max64(max64(r->last_fetch, r->last_success), r->oldest_waiting),
                                 max64(r->activated, r->created));
    if (!v->failing_since || v->failing_since > now)
        return; /* a push system that has not failed yet, or a clock set back */
    for (i = 0; i < KV_HEALTH_WARNINGS; i++)
        if (now - v->failing_since >= warn_after_ms[i])
            v->warnings = i + 1;
    v->deactivate = now - v->failing_since >= KV_HEALTH_DEACTIVATE_MS;
}

/* Does the verdict change anything stored? */
static int changes(const struct row *r, const struct verdict *v)
{
    if (v->deactivate || v->warnings > r->warnings_sent)
        return 1;
    if (!v->failing_since) /* not failing: clear what is stored */
        return r->failing_since != 0 || r->warnings_sent != 0;
    return !kv_protocol_info(r->protocol)->hub_delivers && v->failing_since != r->failing_since;
}

static void human_days(int64_t ms, char *out, size_t n)
{
    int64_t h = ms / (3600 * 1000);

    if (h % 24 == 0)
        snprintf(out, n, "%lld day%s", (long long)(h / 24), h == 24 ? "" : "s");
    else
        snprintf(out, n, "%lld days %lld hours", (long long)(h / 24), (long long)(h % 24));
}

/* Queues one mail about r (its contact address) inside the transaction; none without one. */
static int queue_mail(struct kv_db *db, const struct row *r, int warning, int64_t failing_since,
                      int64_t now, struct kv_err *err)
{
    struct kv_buf subj, body;
    char since[40], when[40], deadline[40], span[48];
    int rc;

    if (!r->email[0] || !kv_mail_addr_ok(r->email))
        return 0;
    kv_clock_format_utc(failing_since, since, sizeof(since));
    kv_clock_format_utc(now, when, sizeof(when));
    kv_clock_format_utc(failing_since + KV_HEALTH_DEACTIVATE_MS, deadline, sizeof(deadline));
    kv_buf_init(&subj, KV_MAIL_SUBJECT_MAX - 1);
    kv_buf_init(&body, KV_MAIL_BODY_MAX - 1);
    if (warning >= 0) {
        human_days(warn_after_ms[warning], span, sizeof(span));
        rc = kv_buf_printf(&subj, "kuvert: recipient system \"%s\" has not received post for %s",
                           r->name, span);
        if (rc == 0)
            rc = kv_buf_printf(
                &body,
                "Warning %d of %d.\n\n"
                "The recipient system \"%s\" (id %s, organisation CVR %s) has not received any\n"
                "post since %s, although letters are waiting for it (%s).\n\n"
                "If it receives nothing for 7 days (168 hours) in all, it will be deactivated\n"
                "automatically, at %s. Its letters stay queued; after\n"
                "reactivation (kuvert system activate %s) they are delivered.\n\n"
                "One successful delivery (a push the system accepts, or a fetch) resets this.\n",
                warning + 1, KV_HEALTH_WARNINGS, r->name, r->id, r->org_cvr, since,
                kv_protocol_info(r->protocol)->failing_text,
                deadline, r->id);
    } else {
        rc = kv_buf_printf(&subj, "kuvert: recipient system \"%s\" has been deactivated",
                           r->name);
        if (rc == 0)
            rc = kv_buf_printf(
                &body,
                "The recipient system \"%s\" (id %s, organisation CVR %s) was deactivated\n"
                "automatically at %s: it has not received any post since %s (7 days).\n\n"
                "Letters for it stay queued and nothing is lost. When the system can receive\n"
                "again, reactivate it (kuvert system activate %s, or\n"
                "POST /admin/v1/systems/%s/activate) and the backlog is delivered.\n",
                r->name, r->id, r->org_cvr, when, since, r->id, r->id);
    }
    if (rc == 0)
        rc = kv_mail_queue(db, r->email, subj.buf, body.buf,
                           warning >= 0 ? "SYSTEM_WARNING" : "SYSTEM_DEACTIVATED", r->id, now,
                           NULL, err);
    else
        rc = kv_err_set(err, rc, "mail text too long");
    kv_buf_release(&subj);
    kv_buf_release(&body);
    return rc;
}

static int deactivation_event(struct kv_db *db, const struct row *r, int64_t failing_since,
                              int64_t now, struct kv_err *err)
{
    struct kv_event ev;
    char subject[16], since[40], props[160];

    kv_clock_format_utc(failing_since, since, sizeof(since));
    snprintf(subject, sizeof(subject), "cvr:%s", r->org_cvr);
    snprintf(props, sizeof(props),
             "{\"status\":\"deactivated\",\"reason\":\"automatic\",\"failingSince\":\"%s\"}",
             since);
    memset(&ev, 0, sizeof(ev));
    ev.tag = "SYSTEM_DEACTIVATED";
    ev.system_id = r->id;
    ev.actor = "hub";
    ev.subject = subject;
    ev.props_json = props;
    ev.time_ms = now;
    return kv_events_append(db, &ev, err);
}

/* Re-reads system id inside a write transaction and applies the verdict. *out_deactivated
 * is set to 1 when it was deactivated. */
static int apply(struct kv_db *db, const char *id, int64_t now, int *out_deactivated,
                 struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct row r;
    struct verdict v;
    int rc, i, warned;

    *out_deactivated = 0;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_ROW_ONE, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        read_row(s, &r);
    kv_stmt_done(s);
    if (rc != KV_ROW) { /* gone, or no longer active */
        kv_db_rollback(db);
        return rc < 0 ? rc : 0;
    }
    rc = waiting(db, &r, now, err);
    if (rc < 0)
        goto out;
    judge(&r, now, &v);
    if (!changes(&r, &v)) {
        kv_db_rollback(db);
        return 0;
    }
    warned = v.failing_since ? r.warnings_sent : 0;
    if (warned < 0)
        warned = 0;
    /* Every threshold passed and not yet warned gets its mail, also several at once after a
     * jump of the clock, and before the deactivation mail. */
    for (i = warned; rc >= 0 && i < v.warnings; i++)
        rc = queue_mail(db, &r, i, v.failing_since, now, err);
    if (rc >= 0 && v.warnings > warned) {
        if (!r.email[0])
            kv_log(KV_LOG_WARN,
                   "recipient system %s has not received post for %lld h and has no contact "
                   "e-mail: no warning sent",
                   r.id, (long long)((now - v.failing_since) / 3600000));
        warned = v.warnings;
    }
    if (rc >= 0 && v.deactivate) {
        rc = queue_mail(db, &r, -1, v.failing_since, now, err);
        if (rc >= 0)
            rc = kv_db_prepare(db, SQL_DEACTIVATE, &s, err);
        if (rc >= 0) {
            kv_stmt_bind_text(s, 1, r.id, -1);
            kv_stmt_bind_int64(s, 2, now);
            kv_stmt_bind_int64(s, 3, v.failing_since);
            kv_stmt_bind_int64(s, 4, warned);
            rc = kv_stmt_step(s, err);
            kv_stmt_done(s);
            kv_db_credentials_changed(db); /* the gate's cache (hub/system_cache.h) */
        }
        if (rc >= 0)
            rc = deactivation_event(db, &r, v.failing_since, now, err);
        if (rc >= 0) {
            char since[40];
            kv_clock_format_utc(v.failing_since, since, sizeof(since));
            *out_deactivated = 1;
            kv_log(KV_LOG_WARN,
                   "recipient system %s (CVR %s) deactivated: no successful delivery since %s%s",
                   r.id, r.org_cvr, since,
                   r.email[0] ? "" : "; it has no contact e-mail, no mail sent");
        }
    } else if (rc >= 0) {
        rc = kv_db_prepare(db, SQL_SET_FAILING, &s, err);
        if (rc >= 0) {
            kv_stmt_bind_text(s, 1, r.id, -1);
            if (v.failing_since)
                kv_stmt_bind_int64(s, 2, v.failing_since);
            else
                kv_stmt_bind_null(s, 2);
            kv_stmt_bind_int64(s, 3, warned);
            rc = kv_stmt_step(s, err);
            kv_stmt_done(s);
        }
    }
    if (rc >= 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0) {
        kv_db_rollback(db);
        *out_deactivated = 0;
    }
    return rc < 0 ? rc : 0;
}

int kv_system_health_check(struct kv_db *db, int64_t now_ms, int *out_deactivated,
                           struct kv_err *err)
{
    char ids[CHECK_PAGE][37], last[37] = "";
    struct kv_stmt *s = NULL;
    struct row r;
    struct verdict v;
    int rc, n, rows, i, total = 0, one;

    if (out_deactivated)
        *out_deactivated = 0;
    do {
        /* Judge a page of systems without a write lock; only those whose state changes get a
         * (short) write transaction, in which they are judged again. */
        n = 0;
        rows = 0;
        rc = kv_db_prepare(db, SQL_ROWS, &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_text(s, 1, last, -1);
        kv_stmt_bind_int64(s, 2, CHECK_PAGE);
        while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
            read_row(s, &r);
            rows++;
            kv_str_copy(last, sizeof(last), r.id);
            rc = waiting(db, &r, now_ms, err);
            if (rc < 0)
                break;
            judge(&r, now_ms, &v);
            if (changes(&r, &v))
                kv_str_copy(ids[n++], sizeof(ids[0]), r.id);
        }
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        for (i = 0; i < n; i++) {
            rc = apply(db, ids[i], now_ms, &one, err);
            if (rc < 0)
                return rc;
            total += one;
        }
    } while (rows == CHECK_PAGE);
    if (out_deactivated)
        *out_deactivated = total;
    return 0;
}

int kv_system_health_hook(void *hub_arg)
{
    struct kv_hub *hub = hub_arg;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    int rc;

    rc = kv_db_acquire(hub->store, &db, &err);
    if (rc == 0)
        rc = kv_system_health_check(db, kv_clock_now_ms(), NULL, &err);
    kv_db_release(db);
    if (rc < 0)
        kv_log(KV_LOG_WARN, "system health check: %s", err.msg);
    return rc;
}

/* ---- activation -------------------------------------------------------------------------- */

static const char SQL_ACTIVATE[] =
    "UPDATE systems SET status = 'active', failing_since_ms = NULL, warnings_sent = 0,"
    " activated_ms = ?2 WHERE id = ?1";
static const char SQL_BACKLOG_DUE[] =
    "UPDATE recipient_queue SET next_ms = CASE WHEN next_ms IS NULL OR next_ms > ?2 THEN ?2"
    " ELSE next_ms END WHERE system_id = ?1 AND state = 'QUEUED'";
static const char SQL_DEACTIVATE_MANUAL[] =
    "UPDATE systems SET status = 'deactivated', deactivated_ms = ?2 WHERE id = ?1";

static int run2(struct kv_db *db, const char *sql, const char *id, int64_t now,
                struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    kv_stmt_bind_int64(s, 2, now);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    kv_db_credentials_changed(db); /* the gate's cache (hub/system_cache.h) */
    return rc < 0 ? rc : 0;
}

int kv_system_activate(struct kv_db *db, const char *system_id, int64_t now_ms,
                       int64_t *out_backlog, struct kv_err *err)
{
    struct kv_system sys;
    char subject[16], props[96];
    int64_t backlog = 0;
    int rc;

    if (out_backlog)
        *out_backlog = 0;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_system_get(db, system_id, &sys, err);
    if (rc < 0)
        goto out;
    rc = run2(db, SQL_ACTIVATE, system_id, now_ms, err);
    if (rc == 0)
        rc = run2(db, SQL_BACKLOG_DUE, system_id, now_ms, err);
    if (rc < 0)
        goto out;
    backlog = kv_db_changes(db);
    if (strcmp(sys.status, "active") != 0) { /* an event only when the status changes */
        snprintf(subject, sizeof(subject), "cvr:%s", sys.org_cvr);
        snprintf(props, sizeof(props), "{\"status\":\"active\",\"backlog\":%lld}",
                 (long long)backlog);
        rc = kv__dir_event(db, "SYSTEM_ACTIVATED", system_id, subject, props, err);
    }
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    else if (out_backlog)
        *out_backlog = backlog;
    return rc;
}

int kv_system_deactivate(struct kv_db *db, const char *system_id, int64_t now_ms,
                         struct kv_err *err)
{
    struct kv_system sys;
    char subject[16];
    int rc;

    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_system_get(db, system_id, &sys, err);
    if (rc < 0)
        goto out;
    if (strcmp(sys.status, "deactivated") == 0) { /* nothing changes, nothing logged */
        kv_db_rollback(db);
        return 0;
    }
    rc = run2(db, SQL_DEACTIVATE_MANUAL, system_id, now_ms, err);
    if (rc == 0) {
        snprintf(subject, sizeof(subject), "cvr:%s", sys.org_cvr);
        rc = kv__dir_event(db, "SYSTEM_DEACTIVATED", system_id, subject,
                           "{\"status\":\"deactivated\",\"reason\":\"manual\"}", err);
    }
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

/* ---- reading ----------------------------------------------------------------------------- */

static const char SQL_GET[] =
    "SELECT status, last_success_ms, failing_since_ms, last_failure_ms, last_error,"
    " warnings_sent, deactivated_ms, last_fetch_ms, activated_ms,"
    " (SELECT COUNT(*) FROM recipient_queue q WHERE q.system_id = systems.id"
    "  AND q.state = 'QUEUED')"
    " FROM systems WHERE id = ?";

static int64_t col_ms(struct kv_stmt *s, int i)
{
    return kv_stmt_col_is_null(s, i) ? 0 : kv_stmt_col_int64(s, i);
}

int kv_system_health_get(struct kv_db *db, const char *system_id, struct kv_system_health *out,
                         struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_db_prepare(db, SQL_GET, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv_str_copy(out->status, sizeof(out->status), kv_stmt_col_text(s, 0));
        out->last_success_ms = col_ms(s, 1);
        out->failing_since_ms = col_ms(s, 2);
        out->last_failure_ms = col_ms(s, 3);
        kv_str_copy(out->last_error, sizeof(out->last_error), kv_stmt_col_text(s, 4));
        out->warnings_sent = (int)kv_stmt_col_int64(s, 5);
        out->deactivated_ms = col_ms(s, 6);
        out->last_fetch_ms = col_ms(s, 7);
        out->activated_ms = col_ms(s, 8);
        out->queue_length = kv_stmt_col_int64(s, 9);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no system with id %.40s", system_id ? system_id : "");
    }
    kv_stmt_done(s);
    return rc;
}

/* SPDX-License-Identifier: MIT
 *
 * lapse.c: privileges with an end date (see rights.h). The scheduler's hook runs
 * kv_rights_sweep every pass: it queues a warning mail (hub/mail.c's outbox, kind
 * PRIVILEGE_EXPIRY) KV_RIGHTS_NOTIFY_BEFORE_MS before a privilege ends (for mailbox access to
 * the helper and to the owner), and marks ended ones
 * EXPIRED with event PRIVILEGES_EXPIRED (READ_ACCESS_DELETED for mailbox access). A privilege
 * stops counting at its end instant whether or not the sweep has run (rights are read with
 * "active_to_ms > now"); the sweep makes the log and the tables say so. Each privilege is
 * handled in its own transaction, so one failure does not hold back the others.
 */
#include "identity/citizen.h"
#include "identity/rights.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub.h"
#include "hub/mail.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define SWEEP_MAX 200

static const char SQL_DUE_NOTIFY[] =
    "SELECT " KV__PRIV_COLS " FROM privileges p WHERE p.status = 'ACTIVE'"
    " AND p.notify_at_ms IS NOT NULL AND p.notify_at_ms <= ? AND p.notified_ms IS NULL"
    " AND p.active_to_ms > ? ORDER BY p.notify_at_ms LIMIT 200";
static const char SQL_DUE_EXPIRE[] =
    "SELECT " KV__PRIV_COLS " FROM privileges p WHERE p.status = 'ACTIVE'"
    " AND p.active_to_ms IS NOT NULL AND p.active_to_ms <= ? ORDER BY p.active_to_ms LIMIT 200";
static const char SQL_NOTIFIED[] = "UPDATE privileges SET notified_ms = ? WHERE id = ?";
/* E-mail addresses of the grantee: an employee or person, a group's active members, or a
 * partner organisation's rettighedsadministratorer. */
static const char SQL_RCPT[] =
    "SELECT DISTINCT s.email FROM persons s WHERE s.email IS NOT NULL AND s.status = 'ACTIVE'"
    " AND (s.id = ?"
    "  OR s.id IN (SELECT e.person_id FROM employees e WHERE e.id = ? AND e.status = 'ACTIVE')"
    "  OR s.id IN (SELECT e.person_id FROM user_group_members m JOIN employees e"
    "   ON e.id = m.employee_id WHERE m.group_id = ? AND e.status = 'ACTIVE')"
    "  OR s.cpr = ?"
    "  OR s.id IN (SELECT e.person_id FROM privileges q JOIN employees e"
    "   ON e.id = q.grantee_employee_id WHERE q.type = 'ORGANISATION_USER_ADMINISTRATOR'"
    "   AND q.status = 'ACTIVE' AND q.scope_type = 'CVR' AND q.scope_id = ?"
    "   AND e.status = 'ACTIVE'))"
    " ORDER BY s.email LIMIT 50";

/* Reads up to SWEEP_MAX privileges of a query bound with now (n_now times). */
static int due(struct kv_db *db, const char *sql, int n_now, int64_t now,
               struct kv_privilege *out, int *n, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, sql, &s, err), i;

    *n = 0;
    if (rc < 0)
        return rc;
    for (i = 1; i <= n_now; i++)
        kv_stmt_bind_int64(s, i, now);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW && *n < SWEEP_MAX)
        kv__priv_read(s, 0, &out[(*n)++]);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int notify_one(struct kv_db *db, const struct kv_privilege *p, int64_t now,
                      struct kv_err *err)
{
    const struct kv_priv_info *info = &kv_priv_table()[p->type];
    char addrs[50][KV_EMAIL_MAX + 1], when[32], subject_ev[24], subj[256];
    int mailbox = (info->flags & KV_PRIV_F_MAILBOX) != 0;
    struct kv_buf body;
    struct kv_stmt *s;
    int n = 0, i, rc;

    rc = kv_db_prepare(db, SQL_RCPT, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, p->grantee_person_id ? p->grantee_person_id : -1);
    kv_stmt_bind_int64(s, 2, p->grantee_employee_id ? p->grantee_employee_id : -1);
    kv_stmt_bind_int64(s, 3, p->grantee_group_id ? p->grantee_group_id : -1);
    /* mailbox access: the owner gets the notice too */
    kv_stmt_bind_text(s, 4, mailbox && strcmp(p->scope_type, "CPR") == 0 ? p->scope_id : "-",
                      -1);
    kv_stmt_bind_text(s, 5, p->grantee_cvr[0] ? p->grantee_cvr : "-", -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW && n < 50)
        kv__id_copy(addrs[n++], sizeof(addrs[0]), kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    kv_clock_format_utc(p->active_to_ms, when, sizeof(when));
    snprintf(subj, sizeof(subj), "Din rettighed udløber: %s", info->name_da);
    kv_buf_init(&body, KV_MAIL_BODY_MAX);
    if (mailbox)
        kv_buf_printf(&body,
                      "%s til postkassen %s %s udløber %s (UTC). Skal adgangen fortsætte, kan "
                      "hjælperen bede om den igen under Post > Adgang til post.\n\n"
                      "%s to the mailbox %s %s ends at %s (UTC). To keep it, the helper can ask "
                      "for it again under Post > Access to post.\n",
                      info->name_da, p->scope_type, p->scope_id, when, info->name_en,
                      p->scope_type, p->scope_id, when);
    else
        kv_buf_printf(&body,
                      "Rettigheden \"%s\" (%s) i %s %s udløber %s (UTC).\n\n"
                      "Har du stadig brug for den, så bed din rettighedsadministrator om at forlænge"
                      " den i Rettighedsportalen.\n\n"
                      "The right \"%s\" (%s) in %s %s ends at %s (UTC). If you still need it, ask your"
                      " rights administrator to extend it in the Rettighedsportal.\n",
                      info->name_da, info->code, p->scope_type, p->scope_id, when, info->name_en,
                      info->code, p->scope_type, p->scope_id, when);
    for (i = 0; i < n && rc == 0; i++) {
        if (!kv_mail_addr_ok(addrs[i]))
            continue;
        rc = kv_mail_queue(db, addrs[i], subj, body.buf, "PRIVILEGE_EXPIRY", NULL, now,
                           NULL, err);
    }
    kv_buf_release(&body);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_NOTIFIED, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_int64(s, 2, p->id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    snprintf(subject_ev, sizeof(subject_ev), "%s:%s",
             strcmp(p->scope_type, "CPR") == 0 ? "cpr" : "cvr", p->scope_id);
    return kv__id_event(db, "PRIVILEGE_EXPIRATION_NOTIFIED", "hub", subject_ev,
                        json_pack("{s:I,s:s,s:i}", "privilegeId", (json_int_t)p->id, "type",
                                  info->code, "mails", n),
                        err);
}

/* Runs fn-like step for one privilege in its own transaction; logs and counts. */
static int one_txn(struct kv_db *db, const struct kv_privilege *p, int expire, int64_t now,
                   struct kv_err *err)
{
    int rc = kv_db_begin(db, err);

    if (rc < 0)
        return rc;
    rc = expire ? kv__rights_end(db, p, "EXPIRED", "hub", now, err) : notify_one(db, p, now, err);
    return kv_db_end(db, rc, err);
}

int kv_rights_sweep(struct kv_db *db, int64_t now_ms, int *out_expired, int *out_notified,
                    struct kv_err *err)
{
    struct kv_err e1 = {0, ""};
    int n = 0, i, pass, done[2] = {0, 0}, rc;

    for (pass = 0; pass < 2; pass++) {
        struct kv_privilege *buf = kv_xcalloc(SWEEP_MAX, sizeof(*buf));

        rc = pass == 0 ? due(db, SQL_DUE_NOTIFY, 2, now_ms, buf, &n, err)
                       : due(db, SQL_DUE_EXPIRE, 1, now_ms, buf, &n, err);
        for (i = 0; rc == 0 && i < n; i++) {
            if (one_txn(db, &buf[i], pass == 1, now_ms, &e1) == 0)
                done[pass]++;
            else
                kv_log(KV_LOG_WARN, "privilege %" PRId64 ": %s", buf[i].id, e1.msg);
        }
        free(buf);
        if (rc < 0)
            return rc;
    }
    if (out_notified)
        *out_notified = done[0];
    if (out_expired)
        *out_expired = done[1];
    return 0;
}

int kv_rights_hook(void *hub_arg)
{
    struct kv_hub *hub = hub_arg;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    int rc;

    rc = kv_db_acquire(hub->store, &db, &err);
    if (rc == 0)
        rc = kv_rights_sweep(db, kv_clock_now_ms(), NULL, NULL, &err);
    if (rc == 0) /* companies' limited exemptions (citizen.h) end the same way */
        rc = kv_cs_sweep(db, kv_clock_now_ms(), NULL, &err);
    kv_db_release(db);
    if (rc < 0)
        kv_log(KV_LOG_WARN, "rights sweep: %s", err.msg);
    return rc;
}

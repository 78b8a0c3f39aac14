/* SPDX-License-Identifier: MIT
 *
 * system_edit.c: changing an existing sender or recipient system's fields (directory.h,
 * kv_system_update) -- name, receipt URL, protocol, push URL, contact e-mail, technical
 * contact, supplier, allowed IP addresses and active from / to. The same
 * rules as a new system (kv_system_check_fields); kind, default and status have their own
 * operations. One transaction: the UPDATE, scoped by the owning organisation, and the event
 * SYSTEM_CHANGED with the new values and the actor.
 */
#include "hub/event_actor.h"
#include "hub/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hub/events.h"
#include "store/store.h"

static const char SQL_UPDATE[] =
    "UPDATE systems SET name = ?1, receipt_url = ?2, protocol = ?3, push_url = ?4,"
    " contact_email = ?5, technical_contact = ?8, supplier = ?9, allowed_ips = ?10,"
    " active_from = ?11, active_to = ?12 WHERE id = ?6 AND org_cvr = ?7";

static const char *nz(const char *s)
{
    return s[0] ? s : NULL;
}

int kv_system_update(struct kv_db *db, const struct kv_system *sys, const char *actor,
                     struct kv_err *err)
{
    struct kv_problem problem;
    struct kv_stmt *s = NULL;
    struct kv_event ev;
    json_t *props = NULL;
    char *props_txt = NULL, subject[16];
    int rc;

    kv_problem_init(&problem);
    rc = kv_system_check_fields(sys, &problem);
    if (rc < 0)
        kv_err_set(err, rc, "%s", problem.message);
    kv_problem_release(&problem);
    if (rc < 0)
        return rc;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_UPDATE, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, sys->name, -1);
    kv_stmt_bind_text(s, 2, nz(sys->receipt_url), -1);
    kv_stmt_bind_text(s, 3, nz(kv_protocol_name(sys->protocol)), -1);
    kv_stmt_bind_text(s, 4, nz(sys->push_url), -1);
    kv_stmt_bind_text(s, 5, nz(sys->contact_email), -1);
    kv_stmt_bind_text(s, 6, sys->id, -1);
    kv_stmt_bind_text(s, 7, sys->org_cvr, -1);
    kv_stmt_bind_text(s, 8, nz(sys->technical_contact), -1);
    kv_stmt_bind_text(s, 9, nz(sys->supplier), -1);
    kv_stmt_bind_text(s, 10, nz(sys->allowed_ips), -1);
    kv_stmt_bind_text(s, 11, nz(sys->active_from), -1);
    kv_stmt_bind_text(s, 12, nz(sys->active_to), -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    kv_db_credentials_changed(db); /* the gate's cache (hub/system_cache.h) */
    if (rc < 0)
        goto out;
    if (kv_db_changes(db) != 1) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no such system");
        goto out;
    }
    props = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", sys->name,
                      "receiptUrl", sys->receipt_url, "protocol", kv_protocol_name(sys->protocol),
                      "pushUrl", sys->push_url, "contactEmail", sys->contact_email,
                      "technicalContact", sys->technical_contact, "supplier", sys->supplier,
                      "allowedIps", sys->allowed_ips, "activeFrom", sys->active_from,
                      "activeTo", sys->active_to);
    props_txt = props ? json_dumps(props, JSON_COMPACT) : NULL;
    if (!props_txt) {
        rc = kv_err_set(err, KV_EINTERNAL, "out of memory");
        goto out;
    }
    snprintf(subject, sizeof(subject), "cvr:%s", sys->org_cvr);
    memset(&ev, 0, sizeof(ev));
    ev.tag = "SYSTEM_CHANGED";
    ev.system_id = sys->id;
    ev.actor = actor && actor[0] ? actor : kv_event_actor();
    ev.subject = subject;
    ev.props_json = props_txt;
    rc = kv_events_append(db, &ev, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    json_decref(props);
    free(props_txt);
    return rc;
}

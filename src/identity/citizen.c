/* SPDX-License-Identifier: MIT
 *
 * citizen.c: citizen and business service (see citizen.h): look-up by number and full name,
 * status with the accesses granted, exemption (with unopened letters sent as paper),
 * re-registration, a helper's mailbox access with the power of attorney, and the end of
 * companies' limited exemptions. Each change is one transaction with its events.
 */
#include "identity/citizen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hub/directory.h"
#include "hub/events.h"
#include "identity/identity.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"

/* Lower-case of one character at s (ASCII and Latin-1 letters in UTF-8); *adv its bytes. */
static unsigned fold(const unsigned char *s, size_t *adv)
{
    if (s[0] == 0xc3 && s[1] >= 0x80 && s[1] <= 0x9e && s[1] != 0x97) {
        *adv = 2;
        return 0xc300u | (unsigned)(s[1] + 0x20);
    }
    if (s[0] >= 0x80 && s[1]) {
        *adv = 2;
        return ((unsigned)s[0] << 8) | s[1];
    }
    *adv = 1;
    return (s[0] >= 'A' && s[0] <= 'Z') ? (unsigned)(s[0] + 32) : s[0];
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1 when a and b are the same name: case-insensitive, runs of white space as one, ends
 * trimmed. */
static int names_equal(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

    while (is_space(*p))
        p++;
    while (is_space(*q))
        q++;
    for (;;) {
        size_t ap, aq;
        int sp = 0, sq = 0;
        while (is_space(*p)) {
            p++;
            sp = 1;
        }
        while (is_space(*q)) {
            q++;
            sq = 1;
        }
        if (!*p || !*q)
            return !*p && !*q;
        if (sp != sq)
            return 0;
        if (fold(p, &ap) != fold(q, &aq))
            return 0;
        p += ap;
        q += aq;
    }
}

static void subject_of(const struct kv_cs_status *st, char *out, size_t n)
{
    snprintf(out, n, "%s:%s", strcmp(st->owner_type, "CVR") == 0 ? "cvr" : "cpr", st->owner_id);
}

/* An event of an action: actor the organisation, the employee in props (consumed). */
static int action_event(struct kv_db *db, const struct kv_cs_actor *who, const char *tag,
                        const char *subject, json_t *props, int64_t now, struct kv_err *err)
{
    struct kv_event ev = {0};
    char actor[16];
    char *text;
    int rc;

    snprintf(actor, sizeof(actor), "cvr:%s", who->org_cvr);
    json_object_set_new(props, "employee", json_string(who->employee));
    text = json_dumps(props, JSON_COMPACT);
    json_decref(props);
    ev.tag = tag;
    ev.actor = actor;
    ev.subject = subject;
    ev.props_json = text;
    ev.time_ms = now;
    rc = kv_events_append(db, &ev, err);
    free(text);
    return rc;
}

static int load_accesses(struct kv_db *db, struct kv_cs_status *st, int64_t now,
                         struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    st->n_access = 0;
    rc = kv_db_prepare(db,
                       "SELECT p.id, p.type, pe.name, COALESCE(pe.cpr, ''), "
                       "COALESCE(p.active_to_ms, 0), "
                       "(SELECT COUNT(*) FROM powers_of_attorney a WHERE a.privilege_id = p.id) "
                       "FROM privileges p JOIN persons pe ON pe.id = p.grantee_person_id "
                       "WHERE p.scope_type = ? AND p.scope_id = ? AND p.status = 'ACTIVE' "
                       "AND p.type IN ('MAILBOX_READ', 'MAILBOX_READ_WRITE') "
                       "AND (p.active_to_ms IS NULL OR p.active_to_ms > ?) ORDER BY p.id",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, st->owner_type, -1);
    kv_stmt_bind_text(s, 2, st->owner_id, -1);
    kv_stmt_bind_int64(s, 3, now);
    while (st->n_access < KV_CS_MAX_ACCESS && (rc = kv_stmt_step(s, err)) == KV_ROW) {
        struct kv_cs_access *a = &st->access[st->n_access++];
        a->privilege_id = kv_stmt_col_int64(s, 0);
        kv_str_copy(a->type, sizeof(a->type), kv_stmt_col_text(s, 1));
        kv_str_copy(a->helper_name, sizeof(a->helper_name), kv_stmt_col_text(s, 2));
        kv_str_copy(a->helper_cpr, sizeof(a->helper_cpr), kv_stmt_col_text(s, 3));
        a->active_to_ms = kv_stmt_col_int64(s, 4);
        a->has_poa = kv_stmt_col_int64(s, 5) > 0;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int load_exemption(struct kv_db *db, struct kv_cs_status *st, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    rc = kv_db_prepare(db,
                       "SELECT reason, channel, from_ms, COALESCE(until_ms, 0), "
                       "COALESCE(forward_from, '') FROM exemptions "
                       "WHERE mailbox_id = ? AND ended_ms IS NULL ORDER BY id DESC LIMIT 1",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, st->mailbox_id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv_str_copy(st->reason, sizeof(st->reason), kv_stmt_col_text(s, 0));
        kv_str_copy(st->channel, sizeof(st->channel), kv_stmt_col_text(s, 1));
        st->exempt_from_ms = kv_stmt_col_int64(s, 2);
        st->exempt_until_ms = kv_stmt_col_int64(s, 3);
        kv_str_copy(st->forward_from, sizeof(st->forward_from), kv_stmt_col_text(s, 4));
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_cs_load(struct kv_db *db, const char *owner_type, const char *owner_id, const char *name,
               struct kv_cs_status *out, struct kv_err *err)
{
    struct kv_mailbox mb;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!name || !name[0] || !owner_id || !owner_id[0])
        return kv_err_set(err, KV_ENOTFOUND, "no match");
    rc = kv_mailbox_find(db, owner_type, owner_id, &mb, err);
    if (rc == KV_ENOTFOUND || (rc == 0 && (!mb.name[0] || !names_equal(mb.name, name))))
        return kv_err_set(err, KV_ENOTFOUND, "no match");
    if (rc < 0)
        return rc;
    out->mailbox_id = mb.id;
    kv_str_copy(out->owner_type, sizeof(out->owner_type), mb.owner_type);
    kv_str_copy(out->owner_id, sizeof(out->owner_id), mb.owner_id);
    kv_str_copy(out->name, sizeof(out->name), mb.name);
    kv_str_copy(out->status, sizeof(out->status), mb.status);
    kv_str_copy(out->address, sizeof(out->address), mb.address);
    rc = load_exemption(db, out, err);
    if (rc == 0)
        rc = load_accesses(db, out, kv_clock_now_ms(), err);
    return rc;
}

int kv_cs_lookup(struct kv_db *db, const struct kv_cs_actor *who, const char *owner_type,
                 const char *owner_id, const char *name, int *out_match,
                 struct kv_cs_status *out, struct kv_err *err)
{
    struct kv_event ev = {0};
    char subject[24], props[160];
    int rc;

    *out_match = 0;
    rc = kv_cs_load(db, owner_type, owner_id, name, out, err);
    if (rc < 0 && rc != KV_ENOTFOUND)
        return rc;
    *out_match = rc == 0;
    snprintf(subject, sizeof(subject), "%s:%.10s", strcmp(owner_type, "CVR") == 0 ? "cvr" : "cpr",
             owner_id ? owner_id : "");
    snprintf(props, sizeof(props), "{\"organisation\":\"%s\",\"matched\":%s}", who->org_cvr,
             *out_match ? "true" : "false");
    ev.tag = strcmp(owner_type, "CVR") == 0 ? "CVR_LOOKED_UP" : "CPR_LOOKED_UP";
    ev.actor = who->employee;
    ev.subject = subject;
    ev.props_json = props;
    rc = kv_db_begin(db, err);
    if (rc == 0)
        rc = kv_events_append(db, &ev, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

/* Unopened letters of the mailbox made available from from_ms become print jobs (not those
 * the owner deleted permanently: folder purged). */
static int forward(struct kv_db *db, const struct kv_cs_actor *who, const struct kv_cs_status *st,
                   int64_t from_ms, const char *address, int64_t now, int *out_n,
                   struct kv_err *err)
{
    struct kv_stmt *s;
    int64_t ids[KV_CS_FORWARD_MAX];
    char uuids[KV_CS_FORWARD_MAX][37], subject[24];
    int rc, n = 0, i;

    *out_n = 0;
    rc = kv_db_prepare(db,
                       "SELECT l.id, l.message_uuid FROM letters l WHERE l.mailbox_id = ? "
                       "AND l.state = 'AVAILABLE' AND l.read_ms IS NULL AND l.available_ms >= ? "
                       "AND l.folder <> 'purged' AND NOT EXISTS (SELECT 1 FROM print_jobs pj WHERE pj.letter_id = l.id) "
                       "ORDER BY l.id LIMIT ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, st->mailbox_id);
    kv_stmt_bind_int64(s, 2, from_ms);
    kv_stmt_bind_int64(s, 3, KV_CS_FORWARD_MAX);
    while (n < KV_CS_FORWARD_MAX && (rc = kv_stmt_step(s, err)) == KV_ROW) {
        ids[n] = kv_stmt_col_int64(s, 0);
        kv_str_copy(uuids[n], sizeof(uuids[n]), kv_stmt_col_text(s, 1));
        n++;
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    subject_of(st, subject, sizeof(subject));
    for (i = 0; i < n; i++) {
        struct kv_event ev = {0};
        char props[128], actor[16];
        int64_t job = 0;
        rc = kv_db_prepare(db,
                           "INSERT INTO print_jobs (letter_id, address, created_ms, origin) "
                           "VALUES (?, ?, ?, 'FORWARDED') RETURNING id",
                           &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_int64(s, 1, ids[i]);
        kv_stmt_bind_text(s, 2, address, -1);
        kv_stmt_bind_int64(s, 3, now);
        rc = kv_stmt_step(s, err);
        if (rc == KV_ROW)
            job = kv_stmt_col_int64(s, 0);
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        snprintf(props, sizeof(props), "{\"printJobId\":%lld,\"organisation\":\"%s\"}",
                 (long long)job, who->org_cvr);
        snprintf(actor, sizeof(actor), "cvr:%s", who->org_cvr);
        ev.tag = "UNOPENED_MAIL_SENT_AS_PHYSICAL_POST";
        ev.message_uuid = uuids[i];
        ev.actor = actor;
        ev.subject = subject;
        ev.props_json = props;
        ev.time_ms = now;
        rc = kv_events_append(db, &ev, err);
        if (rc < 0)
            return rc;
    }
    *out_n = n;
    return 0;
}

static int set_status(struct kv_db *db, int64_t mailbox_id, const char *status,
                      const char *address, int64_t now, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    rc = kv_db_prepare(db,
                       address ? "UPDATE mailboxes SET status = ?, address = ?, "
                                 "version = version + 1, updated_ms = ? WHERE id = ?"
                               : "UPDATE mailboxes SET status = ?, version = version + 1, "
                                 "updated_ms = ? WHERE id = ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, status, -1);
    if (address) {
        kv_stmt_bind_text(s, 2, address, -1);
        kv_stmt_bind_int64(s, 3, now);
        kv_stmt_bind_int64(s, 4, mailbox_id);
    } else {
        kv_stmt_bind_int64(s, 2, now);
        kv_stmt_bind_int64(s, 3, mailbox_id);
    }
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* A postal address: 1..500 bytes, lines separated by \n, no other control characters. */
static int address_ok(const char *a)
{
    size_t i;

    if (!a || !a[0] || strlen(a) > 500)
        return 0;
    for (i = 0; a[i]; i++)
        if ((unsigned char)a[i] < 0x20 && a[i] != '\n')
            return 0;
    return 1;
}

int kv_cs_exempt(struct kv_db *db, const struct kv_cs_actor *who, const struct kv_cs_status *st,
                 const struct kv_cs_exemption *ex, int *out_forwarded, struct kv_err *err)
{
    struct kv_stmt *s;
    int64_t now = kv_clock_now_ms(), until_ms = 0, fwd_ms = 0;
    int company = strcmp(st->owner_type, "CVR") == 0, n = 0, y, m, d, rc;
    char subject[24], today[11];
    json_t *props;

    *out_forwarded = 0;
    if (!ex->reason || (strcmp(ex->reason, "LEFT_THE_COUNTRY") != 0 && strcmp(ex->reason, "OTHER") != 0))
        return kv_err_set(err, KV_EINVAL, "reason");
    if (!ex->channel || (strcmp(ex->channel, "IN_PERSON") != 0 && strcmp(ex->channel, "PROXY") != 0))
        return kv_err_set(err, KV_EINVAL, "channel");
    if (!address_ok(ex->address))
        return kv_err_set(err, KV_EINVAL, "address");
    kv_clock_copenhagen_date(now, today);
    if (company) {
        if (!ex->until || kv_rights_parse_until(ex->until, &until_ms) < 0 ||
            strcmp(ex->until, today) < 0)
            return kv_err_set(err, KV_EINVAL, "until");
    } else if (ex->until && ex->until[0]) {
        return kv_err_set(err, KV_EINVAL, "until");
    }
    if (ex->forward_from && ex->forward_from[0]) {
        if (!kv_clock_date_valid(ex->forward_from) || strcmp(ex->forward_from, today) > 0 ||
            sscanf(ex->forward_from, "%4d-%2d-%2d", &y, &m, &d) != 3)
            return kv_err_set(err, KV_EINVAL, "forward_from");
        fwd_ms = kv_clock_copenhagen_midnight_ms(y, m, d);
    }
    if (strcmp(st->status, "REGISTERED") != 0)
        return kv_err_set(err, KV_ECONFLICT, "the mailbox is %s, not REGISTERED", st->status);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = set_status(db, st->mailbox_id, "EXEMPT", ex->address, now, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db,
                       "INSERT INTO exemptions (mailbox_id, reason, channel, from_ms, until_ms, "
                       "forward_from, forward_address, org_cvr, actor, created_ms) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, st->mailbox_id);
    kv_stmt_bind_text(s, 2, ex->reason, -1);
    kv_stmt_bind_text(s, 3, ex->channel, -1);
    kv_stmt_bind_int64(s, 4, now);
    if (until_ms)
        kv_stmt_bind_int64(s, 5, until_ms);
    else
        kv_stmt_bind_null(s, 5);
    kv_stmt_bind_text(s, 6, fwd_ms ? ex->forward_from : NULL, -1);
    kv_stmt_bind_text(s, 7, fwd_ms ? ex->address : NULL, -1);
    kv_stmt_bind_text(s, 8, who->org_cvr, -1);
    kv_stmt_bind_text(s, 9, who->employee, -1);
    kv_stmt_bind_int64(s, 10, now);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (fwd_ms) {
        rc = forward(db, who, st, fwd_ms, ex->address, now, &n, err);
        if (rc < 0)
            goto out;
    }
    subject_of(st, subject, sizeof(subject));
    props = json_pack("{s:s,s:s,s:s,s:i}", "reason",
                      strcmp(ex->reason, "OTHER") == 0 ? "EXEMPT_OTHER_REASON"
                                                       : "EXEMPT_LEFT_THE_COUNTRY",
                      "channel", ex->channel, "organisation", who->org_cvr, "forwarded", n);
    if (until_ms)
        json_object_set_new(props, "until", json_string(ex->until));
    if (fwd_ms)
        json_object_set_new(props, "forwardFrom", json_string(ex->forward_from));
    rc = action_event(db, who, "DIGITAL_POST_EXEMPTED", subject, props, now, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    else
        *out_forwarded = n;
    return rc < 0 ? rc : 0;
}

static int end_exemption(struct kv_db *db, int64_t mailbox_id, const char *by, int64_t now,
                         struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    rc = kv_db_prepare(db,
                       "UPDATE exemptions SET ended_ms = ?, ended_by = ? "
                       "WHERE mailbox_id = ? AND ended_ms IS NULL",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_text(s, 2, by, -1);
    kv_stmt_bind_int64(s, 3, mailbox_id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_cs_register(struct kv_db *db, const struct kv_cs_actor *who,
                   const struct kv_cs_status *st, struct kv_err *err)
{
    int64_t now = kv_clock_now_ms();
    char subject[24];
    int rc;

    if (strcmp(st->status, "EXEMPT") != 0)
        return kv_err_set(err, KV_ECONFLICT, "the mailbox is %s, not EXEMPT", st->status);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = set_status(db, st->mailbox_id, "REGISTERED", NULL, now, err);
    if (rc == 0)
        rc = end_exemption(db, st->mailbox_id, who->employee, now, err);
    subject_of(st, subject, sizeof(subject));
    if (rc == 0)
        rc = action_event(db, who, "DIGITAL_POST_REGISTERED", subject,
                          json_pack("{s:s}", "organisation", who->org_cvr), now, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc < 0)
        kv_db_rollback(db);
    return rc < 0 ? rc : 0;
}

static int cpr_ok(const char *s)
{
    size_t i;

    for (i = 0; s && s[i]; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return s && i == 10;
}

int kv_cs_grant_access(struct kv_db *db, const struct kv_cs_actor *who,
                       const struct kv_cs_status *st, const struct kv_cs_helper *h,
                       int64_t *out_privilege_id, struct kv_err *err)
{
    struct kv_person p;
    struct kv_grant g;
    struct kv_stmt *s;
    char sha[KV_SHA256_HEX_LEN + 1], subject[24], fname[200];
    int64_t now = kv_clock_now_ms(), until_ms = 0, id = 0;
    int rc;

    if (strcmp(st->owner_type, "CPR") != 0)
        return kv_err_set(err, KV_EINVAL, "owner");
    if (!cpr_ok(h->cpr) || strcmp(h->cpr, st->owner_id) == 0)
        return kv_err_set(err, KV_EINVAL, "helper_cpr");
    if (!h->name || !kv_identity_name_ok(h->name))
        return kv_err_set(err, KV_EINVAL, "helper_name");
    if (h->until && h->until[0] && kv_rights_parse_until(h->until, &until_ms) < 0)
        return kv_err_set(err, KV_EINVAL, "until");
    if (until_ms && until_ms <= now)
        return kv_err_set(err, KV_EINVAL, "until");
    if (!h->pdf || h->pdf_len == 0)
        return kv_err_set(err, KV_EINVAL, "poa_missing");
    if (h->pdf_len > KV_CS_POA_MAX)
        return kv_err_set(err, KV_EINVAL, "poa_too_big");
    if (h->pdf_len < 5 || memcmp(h->pdf, "%PDF-", 5) != 0)
        return kv_err_set(err, KV_EINVAL, "poa_not_pdf");
    rc = kv_person_find_cpr(db, h->cpr, &p, err);
    if (rc == KV_ENOTFOUND) {
        memset(&p, 0, sizeof(p));
        kv_str_copy(p.name, sizeof(p.name), h->name);
        kv_str_copy(p.cpr, sizeof(p.cpr), h->cpr);
        rc = kv_person_add(db, &p, who->employee, err);
    } else if (rc == 0 && !names_equal(p.name, h->name)) {
        return kv_err_set(err, KV_EINVAL, "helper_name_mismatch");
    }
    if (rc < 0)
        return rc;
    snprintf(fname, sizeof(fname), "%s", h->filename && h->filename[0] ? h->filename : "fuldmagt.pdf");
    kv_sha256_hex(h->pdf, h->pdf_len, sha);
    memset(&g, 0, sizeof(g));
    g.type = h->write ? "MAILBOX_READ_WRITE" : "MAILBOX_READ";
    g.scope_type = "CPR";
    g.scope_id = st->owner_id;
    g.person_id = p.id;
    g.active_to_ms = until_ms;
    g.issuer = who->employee;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_rights_grant(db, &g, 1, &id, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db,
                       "INSERT INTO powers_of_attorney (privilege_id, filename, pdf, size, sha256, "
                       "org_cvr, actor, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, id);
    kv_stmt_bind_text(s, 2, fname, -1);
    kv_stmt_bind_blob(s, 3, h->pdf, h->pdf_len);
    kv_stmt_bind_int64(s, 4, (int64_t)h->pdf_len);
    kv_stmt_bind_text(s, 5, sha, -1);
    kv_stmt_bind_text(s, 6, who->org_cvr, -1);
    kv_stmt_bind_text(s, 7, who->employee, -1);
    kv_stmt_bind_int64(s, 8, now);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    subject_of(st, subject, sizeof(subject));
    rc = action_event(db, who, "PRIVILEGES_GRANTED_ON_BEHALF_OF", subject,
                      json_pack("{s:I,s:s,s:s,s:s,s:s}", "privilegeId", (json_int_t)id, "type",
                                g.type, "helperCpr", h->cpr, "powerOfAttorneySha256", sha,
                                "organisation", who->org_cvr),
                      now, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    else if (out_privilege_id)
        *out_privilege_id = id;
    return rc < 0 ? rc : 0;
}

int kv_cs_sweep(struct kv_db *db, int64_t now_ms, int *out_n, struct kv_err *err)
{
    struct kv_stmt *s;
    int64_t ids[64];
    char owners[64][24];
    int rc, n = 0, i, done = 0;

    if (out_n)
        *out_n = 0;
    rc = kv_db_prepare(db,
                       "SELECT e.mailbox_id, m.owner_type, m.owner_id FROM exemptions e "
                       "JOIN mailboxes m ON m.id = e.mailbox_id WHERE e.ended_ms IS NULL "
                       "AND e.until_ms IS NOT NULL AND e.until_ms <= ? AND m.status = 'EXEMPT' "
                       "ORDER BY e.id LIMIT 64",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now_ms);
    while (n < 64 && (rc = kv_stmt_step(s, err)) == KV_ROW) {
        ids[n] = kv_stmt_col_int64(s, 0);
        snprintf(owners[n], sizeof(owners[n]), "%s:%s",
                 strcmp(kv_stmt_col_text(s, 1), "CVR") == 0 ? "cvr" : "cpr",
                 kv_stmt_col_text(s, 2));
        n++;
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++) {
        struct kv_event ev = {0};
        rc = kv_db_begin(db, err);
        if (rc < 0)
            return rc;
        rc = set_status(db, ids[i], "REGISTERED", NULL, now_ms, err);
        if (rc == 0)
            rc = end_exemption(db, ids[i], "hub", now_ms, err);
        ev.tag = "DIGITAL_POST_REGISTERED";
        ev.actor = "hub";
        ev.subject = owners[i];
        ev.props_json = "{\"reason\":\"the limited exemption ended\"}";
        ev.time_ms = now_ms;
        if (rc == 0)
            rc = kv_events_append(db, &ev, err);
        if (rc == 0)
            rc = kv_db_commit(db, err);
        if (rc < 0) {
            kv_db_rollback(db);
            return rc;
        }
        done++;
    }
    if (out_n)
        *out_n = done;
    return 0;
}

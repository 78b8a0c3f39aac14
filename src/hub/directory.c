/* SPDX-License-Identifier: MIT
 *
 * directory.c: organisations and mailboxes of the hub's directory (see directory.h), the CPR
 * and CVR number checks, and the helpers the other directory files share. Every write runs in
 * its own transaction and appends its event there (ORGANISATION_CREATED, MAILBOX_CREATED,
 * MAILBOX_CLOSED), so the log and the directory never disagree. Organisations and mailboxes
 * carry the stable UUIDs NgDP clients address them by (migration 009): an organisation's id,
 * a mailbox's Contact id and MailboxSubscription id, and per mailbox write a version and a
 * transaction id that also stands in the write's event.
 *
 * CPR: 10 digits DDMMYYSSSS whose first six are a real date; the century comes from the 7th
 * digit as the CPR office defines it (0-3: 19xx; 4, 9: 20xx for YY <= 36 else 19xx; 5-8: 20xx
 * for YY <= 57 else 18xx), which matters only for 29 February. The modulus-11 check was
 * abandoned in 2007 and is not applied. CVR: 8 digits.
 */
#include "hub/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "hub/directory_int.h"
#include "hub/event_actor.h"
#include "hub/events.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/testid.h"

static const char SQL_ORG_ADD[] =
    "INSERT INTO orgs (cvr, name, created_ms, uuid) VALUES (?, ?, ?, ?)";
static const char SQL_ORG_GET[] = "SELECT cvr, name, uuid, created_ms FROM orgs WHERE cvr = ?";
static const char SQL_ORG_BY_UUID[] =
    "SELECT cvr, name, uuid, created_ms FROM orgs WHERE uuid = lower(?)";
static const char SQL_MB_ADD[] =
    "INSERT INTO mailboxes (owner_type, owner_id, name, status, address, created_ms, uuid,"
    " subscription_uuid, version, updated_ms, transaction_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
    " 1, ?, ?) RETURNING id";
static const char SQL_MB_FIND[] =
    "SELECT id, owner_type, owner_id, name, status, address, created_ms, closed_ms, uuid,"
    " subscription_uuid, version, updated_ms, transaction_id, voluntary"
    " FROM mailboxes WHERE owner_type = ? AND owner_id = ?";
static const char SQL_MB_BY_UUID[] =
    "SELECT id, owner_type, owner_id, name, status, address, created_ms, closed_ms, uuid,"
    " subscription_uuid, version, updated_ms, transaction_id, voluntary FROM mailboxes"
    " WHERE uuid = ?";
static const char SQL_MB_CLOSE[] =
    "UPDATE mailboxes SET status = 'CLOSED', closed_ms = ?, updated_ms = ?,"
    " version = version + 1, transaction_id = ? WHERE id = ?";
static const char SQL_MB_REGISTER[] =
    "UPDATE mailboxes SET status = 'REGISTERED', voluntary = 1, updated_ms = ?,"
    " version = version + 1, transaction_id = ? WHERE id = ? AND status = 'EXEMPT'";

/* ---- shared helpers ---- */

void kv__dir_hex(const unsigned char *b, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * len] = '\0';
}

const char *kv__dir_auth_param(const char *header, const char *scheme)
{
    size_t n = strlen(scheme);

    if (!header)
        return NULL;
    while (*header == ' ')
        header++;
    if (strncasecmp(header, scheme, n) != 0 || header[n] != ' ')
        return NULL;
    header += n;
    while (*header == ' ')
        header++;
    return *header ? header : NULL;
}

int kv__dir_event(struct kv_db *db, const char *tag, const char *system_id, const char *subject,
                  const char *props_json, struct kv_err *err)
{
    struct kv_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.tag = tag;
    ev.system_id = system_id;
    ev.actor = kv_event_actor(); /* the caller of this request, "cli" or "hub" */
    ev.subject = subject;
    ev.props_json = props_json;
    return kv_events_append(db, &ev, err);
}

/* ---- numbers ---- */

static int all_digits(const char *s, size_t n)
{
    size_t i;

    if (!s || strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int kv_cvr_valid(const char *cvr)
{
    return all_digits(cvr, 8);
}

int kv_cpr_valid(const char *cpr)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dd, mm, yy, c7, year;

    if (!all_digits(cpr, 10))
        return 0;
    if (kv_testid_cpr(cpr))
        return 1; /* a test CPR (util/testid.h); refused outside test mode by the hub */
    dd = (cpr[0] - '0') * 10 + (cpr[1] - '0');
    mm = (cpr[2] - '0') * 10 + (cpr[3] - '0');
    yy = (cpr[4] - '0') * 10 + (cpr[5] - '0');
    c7 = cpr[6] - '0';
    if (mm < 1 || mm > 12 || dd < 1 || dd > mdays[mm - 1])
        return 0;
    if (c7 <= 3)
        year = 1900 + yy;
    else if (c7 == 4 || c7 == 9)
        year = (yy <= 36 ? 2000 : 1900) + yy;
    else
        year = (yy <= 57 ? 2000 : 1800) + yy;
    if (mm == 2 && dd == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return 0;
    return 1;
}

static int owner_valid(const char *type, const char *id, struct kv_err *err)
{
    if (!type || (strcmp(type, "CPR") != 0 && strcmp(type, "CVR") != 0))
        return kv_err_set(err, KV_EINVAL, "owner type must be CPR or CVR");
    if (strcmp(type, "CPR") == 0 && !kv_cpr_valid(id))
        return kv_err_set(err, KV_EINVAL,
                          "\"%.20s\" is not a CPR number (10 digits, DDMMYY a real date)",
                          id ? id : "");
    if (strcmp(type, "CVR") == 0 && !kv_cvr_valid(id))
        return kv_err_set(err, KV_EINVAL, "\"%.20s\" is not a CVR number (8 digits)",
                          id ? id : "");
    return 0;
}

/* ---- organisations ---- */

int kv_org_add(struct kv_db *db, const char *cvr, const char *name, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    json_t *props = NULL;
    char *props_txt = NULL, subject[16], uuid[37];
    int rc;

    if (kv_uuid_v4(uuid) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes for an organisation id");
    if (!kv_cvr_valid(cvr))
        return kv_err_set(err, KV_EINVAL, "\"%.20s\" is not a CVR number (8 digits)",
                          cvr ? cvr : "");
    if (!name || !*name || strlen(name) > 256)
        return kv_err_set(err, KV_EINVAL, "organisation name must be 1..256 bytes");
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_ORG_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, cvr, -1);
    kv_stmt_bind_text(s, 2, name, -1);
    kv_stmt_bind_int64(s, 3, kv_clock_now_ms());
    kv_stmt_bind_text(s, 4, uuid, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc == KV_ECONFLICT) {
        rc = kv_err_set(err, KV_ECONFLICT, "organisation %s already exists", cvr);
        goto out;
    }
    if (rc < 0)
        goto out;
    props = json_pack("{s:s,s:s,s:s}", "cvr", cvr, "name", name, "organisationId", uuid);
    props_txt = json_dumps(props, JSON_COMPACT);
    snprintf(subject, sizeof(subject), "cvr:%s", cvr);
    rc = kv__dir_event(db, "ORGANISATION_CREATED", NULL, subject, props_txt, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    json_decref(props);
    free(props_txt);
    return rc;
}

/* Runs sql (one text parameter) and reads the organisation row. */
static int org_read(struct kv_db *db, const char *sql, const char *key, struct kv_org *out,
                    struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, key, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv_str_copy(out->cvr, sizeof(out->cvr), kv_stmt_col_text(s, 0));
        kv_str_copy(out->name, sizeof(out->name), kv_stmt_col_text(s, 1));
        kv_str_copy(out->id, sizeof(out->id), kv_stmt_col_text(s, 2));
        out->created_ms = kv_stmt_col_int64(s, 3);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no organisation %.40s", key ? key : "");
    }
    kv_stmt_done(s);
    return rc;
}

int kv_org_get(struct kv_db *db, const char *cvr, struct kv_org *out, struct kv_err *err)
{
    int rc = org_read(db, SQL_ORG_GET, cvr, out, err);

    if (rc == KV_ENOTFOUND)
        kv_err_set(err, KV_ENOTFOUND, "no organisation with CVR %.20s", cvr ? cvr : "");
    return rc;
}

/* 1 when s has the UUID layout (36 characters, hex digits and dashes at 8, 13, 18, 23). */
static int uuid_shaped(const char *s)
{
    size_t i;

    if (!s || strlen(s) != 36)
        return 0;
    for (i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

int kv_org_resolve(struct kv_db *db, const char *ref, struct kv_org *out, struct kv_err *err)
{
    memset(out, 0, sizeof(*out));
    if (kv_cvr_valid(ref))
        return kv_org_get(db, ref, out, err);
    if (uuid_shaped(ref))
        return org_read(db, SQL_ORG_BY_UUID, ref, out, err);
    return kv_err_set(err, KV_ENOTFOUND, "no organisation %.40s (give its UUID or CVR)",
                      ref ? ref : "");
}

/* ---- mailboxes ---- */

/* Runs sql (text parameters a and b, b may be NULL) and reads the mailbox row. */
static int mailbox_read(struct kv_db *db, const char *sql, const char *a, const char *b,
                        struct kv_mailbox *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    /* the caller's arguments, alive until kv_stmt_done below (store.h's lifetime rule); none
     * may point into *out, which the memset above clears and the row then fills */
    kv_stmt_bind_text_static(s, 1, a, -1);
    if (b)
        kv_stmt_bind_text_static(s, 2, b, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        out->id = kv_stmt_col_int64(s, 0);
        kv_str_copy(out->owner_type, sizeof(out->owner_type), kv_stmt_col_text(s, 1));
        kv_str_copy(out->owner_id, sizeof(out->owner_id), kv_stmt_col_text(s, 2));
        kv_str_copy(out->name, sizeof(out->name), kv_stmt_col_text(s, 3));
        kv_str_copy(out->status, sizeof(out->status), kv_stmt_col_text(s, 4));
        kv_str_copy(out->address, sizeof(out->address), kv_stmt_col_text(s, 5));
        out->created_ms = kv_stmt_col_int64(s, 6);
        out->closed_ms = kv_stmt_col_int64(s, 7);
        kv_str_copy(out->uuid, sizeof(out->uuid), kv_stmt_col_text(s, 8));
        kv_str_copy(out->subscription_uuid, sizeof(out->subscription_uuid), kv_stmt_col_text(s, 9));
        out->version = kv_stmt_col_int64(s, 10);
        out->updated_ms = kv_stmt_col_int64(s, 11);
        kv_str_copy(out->transaction_id, sizeof(out->transaction_id), kv_stmt_col_text(s, 12));
        out->voluntary = (int)kv_stmt_col_int64(s, 13);
        if (out->updated_ms <= 0)
            out->updated_ms = out->closed_ms > 0 ? out->closed_ms : out->created_ms;
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = KV_ENOTFOUND;
    }
    kv_stmt_done(s);
    return rc;
}

int kv_mailbox_find(struct kv_db *db, const char *owner_type, const char *owner_id,
                    struct kv_mailbox *out, struct kv_err *err)
{
    int rc = mailbox_read(db, SQL_MB_FIND, owner_type, owner_id, out, err);

    if (rc == KV_ENOTFOUND)
        kv_err_set(err, KV_ENOTFOUND, "no mailbox for %.3s %.20s", owner_type ? owner_type : "",
                   owner_id ? owner_id : "");
    return rc;
}

int kv_mailbox_find_by_uuid(struct kv_db *db, const char *uuid, struct kv_mailbox *out,
                            struct kv_err *err)
{
    int rc = mailbox_read(db, SQL_MB_BY_UUID, uuid, NULL, out, err);

    if (rc == KV_ENOTFOUND)
        kv_err_set(err, KV_ENOTFOUND, "no contact %.40s", uuid ? uuid : "");
    return rc;
}

static int mailbox_event(struct kv_db *db, const char *tag, const struct kv_mailbox *mb,
                         struct kv_err *err)
{
    json_t *props;
    char *txt, subject[24];
    int rc;

    props = json_pack("{s:s,s:s,s:I,s:s,s:I}", "ownerType", mb->owner_type, "status",
                      mb->status, "mailboxId", (json_int_t)mb->id, "transactionId",
                      mb->transaction_id, "version", (json_int_t)mb->version);
    txt = json_dumps(props, JSON_COMPACT);
    snprintf(subject, sizeof(subject), "%s:%s", strcmp(mb->owner_type, "CPR") == 0 ? "cpr" : "cvr",
             mb->owner_id);
    rc = kv__dir_event(db, tag, NULL, subject, txt, err);
    free(txt);
    json_decref(props);
    return rc;
}

int kv_mailbox_add(struct kv_db *db, struct kv_mailbox *mb, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = owner_valid(mb->owner_type, mb->owner_id, err);
    if (rc < 0)
        return rc;
    if (!mb->status[0])
        kv_str_copy(mb->status, sizeof(mb->status), "REGISTERED");
    if (strcmp(mb->status, "REGISTERED") != 0 && strcmp(mb->status, "EXEMPT") != 0)
        return kv_err_set(err, KV_EINVAL, "a new mailbox is REGISTERED or EXEMPT");
    mb->created_ms = kv_clock_now_ms();
    mb->closed_ms = 0;
    mb->updated_ms = mb->created_ms;
    mb->version = 1;
    if (kv_uuid_v4(mb->uuid) < 0 || kv_uuid_v4(mb->subscription_uuid) < 0 ||
        kv_uuid_v4(mb->transaction_id) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes for a mailbox id");
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_MB_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, mb->owner_type, -1);
    kv_stmt_bind_text(s, 2, mb->owner_id, -1);
    kv_stmt_bind_text(s, 3, mb->name[0] ? mb->name : NULL, -1);
    kv_stmt_bind_text(s, 4, mb->status, -1);
    kv_stmt_bind_text(s, 5, mb->address[0] ? mb->address : NULL, -1);
    kv_stmt_bind_int64(s, 6, mb->created_ms);
    kv_stmt_bind_text(s, 7, mb->uuid, -1);
    kv_stmt_bind_text(s, 8, mb->subscription_uuid, -1);
    kv_stmt_bind_int64(s, 9, mb->updated_ms);
    kv_stmt_bind_text(s, 10, mb->transaction_id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        mb->id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc == KV_ECONFLICT) {
        rc = kv_err_set(err, KV_ECONFLICT, "a mailbox for %s %s already exists", mb->owner_type,
                        mb->owner_id);
        goto out;
    }
    if (rc < 0)
        goto out;
    rc = mailbox_event(db, "MAILBOX_CREATED", mb, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

int kv_mailbox_close(struct kv_db *db, const char *owner_type, const char *owner_id,
                     struct kv_err *err)
{
    struct kv_mailbox mb;
    struct kv_stmt *s = NULL;
    char txid[37];
    int64_t now = kv_clock_now_ms();
    int rc;

    if (kv_uuid_v4(txid) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes for a transaction id");
    rc = owner_valid(owner_type, owner_id, err);
    if (rc < 0)
        return rc;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_mailbox_find(db, owner_type, owner_id, &mb, err);
    if (rc < 0)
        goto out;
    if (strcmp(mb.status, "CLOSED") == 0) {
        rc = kv_err_set(err, KV_ECONFLICT, "the mailbox for %s %s is already closed", owner_type,
                        owner_id);
        goto out;
    }
    rc = kv_db_prepare(db, SQL_MB_CLOSE, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_int64(s, 2, now);
    kv_stmt_bind_text(s, 3, txid, -1);
    kv_stmt_bind_int64(s, 4, mb.id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    kv_str_copy(mb.status, sizeof(mb.status), "CLOSED");
    kv_str_copy(mb.transaction_id, sizeof(mb.transaction_id), txid);
    mb.version++;
    rc = mailbox_event(db, "MAILBOX_CLOSED", &mb, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

int kv_mailbox_register(struct kv_db *db, const char *uuid, int64_t expect_version,
                        struct kv_mailbox *out, int *out_stale, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_event ev;
    char txid[37], actor[24], id[37];
    char *props = NULL;
    json_t *pj;
    int64_t now = kv_clock_now_ms();
    int rc;

    if (out_stale)
        *out_stale = 0;
    if (kv_uuid_v4(txid) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes for a transaction id");
    kv_str_copy(id, sizeof(id), uuid); /* uuid may point into *out, which the find clears */
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_mailbox_find_by_uuid(db, id, out, err);
    if (rc < 0)
        goto out;
    if (expect_version > 0 && expect_version != out->version) {
        if (out_stale)
            *out_stale = 1;
        rc = kv_err_set(err, KV_ECONFLICT, "the contact was changed (version %lld, If-Match %lld)",
                        (long long)out->version, (long long)expect_version);
        goto out;
    }
    if (strcmp(out->status, "CLOSED") == 0) {
        rc = kv_err_set(err, KV_EPERM, "the mailbox is closed");
        goto out;
    }
    if (strcmp(out->status, "EXEMPT") != 0) { /* registered already: nothing to do */
        rc = kv_db_commit(db, err);
        return rc;
    }
    rc = kv_db_prepare(db, SQL_MB_REGISTER, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_text(s, 2, txid, -1);
    kv_stmt_bind_int64(s, 3, out->id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    kv_str_copy(out->status, sizeof(out->status), "REGISTERED");
    kv_str_copy(out->transaction_id, sizeof(out->transaction_id), txid);
    out->voluntary = 1;
    out->version++;
    out->updated_ms = now;
    snprintf(actor, sizeof(actor), "%s:%s", strcmp(out->owner_type, "CPR") == 0 ? "cpr" : "cvr",
             out->owner_id);
    pj = json_pack("{s:s,s:s,s:I,s:s,s:I,s:s}", "ownerType", out->owner_type, "status",
                   out->status, "mailboxId", (json_int_t)out->id, "transactionId", txid,
                   "version", (json_int_t)out->version, "registrationStatus",
                   "VOLUNTARY_REGISTRATION");
    props = json_dumps(pj, JSON_COMPACT);
    json_decref(pj);
    memset(&ev, 0, sizeof(ev));
    ev.tag = "DIGITAL_POST_REGISTERED";
    ev.actor = actor; /* the owner registered themself */
    ev.subject = actor;
    ev.props_json = props;
    rc = kv_events_append(db, &ev, err);
    free(props);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

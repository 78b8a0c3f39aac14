/* SPDX-License-Identifier: MIT
 *
 * nemsms.c: NemSMS subscriptions (see nemsms.h): table nemsms_subscriptions (migration 038),
 * one row per citizen; `mobile` is the number in use once confirmed_ms is set, `pending_mobile`
 * a number waiting for its PIN.
 */
#include "notify/nemsms.h"

#include <stdio.h>
#include <string.h>

#include "hub/events.h"
#include "notify/outbox.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"

#define PIN_TTL_MS (15 * 60 * 1000LL)
#define PIN_ATTEMPTS 5

struct sub {
    int found;
    char mobile[16], pending[16], pin_hash[65];
    int64_t pin_expires, attempts, confirmed_ms;
};

static int cpr_ok(const char *cpr)
{
    return cpr && strlen(cpr) == 10 && strspn(cpr, "0123456789") == 10;
}

static int load(struct kv_db *db, const char *cpr, struct sub *u, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    memset(u, 0, sizeof(*u));
    rc = kv_db_prepare(db,
                       "SELECT mobile, pending_mobile, pin_sha256, pin_expires_ms, attempts,"
                       " confirmed_ms FROM nemsms_subscriptions WHERE cpr = ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, cpr, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        u->found = 1;
        kv_str_copy(u->mobile, sizeof(u->mobile), kv_stmt_col_text(s, 0));
        if (!kv_stmt_col_is_null(s, 1))
            kv_str_copy(u->pending, sizeof(u->pending), kv_stmt_col_text(s, 1));
        if (!kv_stmt_col_is_null(s, 2))
            kv_str_copy(u->pin_hash, sizeof(u->pin_hash), kv_stmt_col_text(s, 2));
        u->pin_expires = kv_stmt_col_is_null(s, 3) ? 0 : kv_stmt_col_int64(s, 3);
        u->attempts = kv_stmt_col_int64(s, 4);
        u->confirmed_ms = kv_stmt_col_is_null(s, 5) ? 0 : kv_stmt_col_int64(s, 5);
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int event(struct kv_db *db, const char *tag, const char *cpr, const char *actor,
                 const char *mobile, int64_t now, struct kv_err *err)
{
    struct kv_event ev = {0};
    char subject[24], props[64];

    snprintf(subject, sizeof(subject), "cpr:%s", cpr);
    snprintf(props, sizeof(props), "{\"mobileNumber\":\"%s\"}", mobile ? mobile : "");
    ev.tag = tag;
    ev.actor = actor;
    ev.subject = subject;
    ev.props_json = mobile ? props : NULL;
    ev.time_ms = now;
    return kv_events_append(db, &ev, err);
}

int kv_nemsms_json(struct kv_db *db, const char *cpr, json_t **out, struct kv_err *err)
{
    struct sub u;
    char when[32];
    json_t *o;
    int rc;

    *out = NULL;
    rc = load(db, cpr, &u, err);
    if (rc < 0)
        return rc;
    o = json_pack("{s:b}", "subscribed", u.found && u.confirmed_ms);
    if (u.found && u.confirmed_ms) {
        kv_clock_format_utc(u.confirmed_ms, when, sizeof(when));
        json_object_set_new(o, "mobileNumber", json_string(u.mobile));
        json_object_set_new(o, "confirmedDateTime", json_string(when));
    }
    if (u.found && u.pending[0])
        json_object_set_new(o, "pendingMobileNumber", json_string(u.pending));
    *out = o;
    return 0;
}

static int finish(struct kv_db *db, int rc, struct kv_err *err)
{
    if (rc >= 0)
        rc = kv_db_commit(db, err);
    if (rc < 0)
        kv_db_rollback(db);
    return rc < 0 ? rc : 0;
}

/* Binds text (NULL -> SQL NULL) or int64 parameters in order: fmt "t" or "i" per parameter. */
static int run(struct kv_db *db, const char *sql, const char *fmt, const char *const *t,
               const int64_t *v, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err), n, ti = 0, vi = 0;

    if (rc < 0)
        return rc;
    for (n = 0; fmt[n]; n++) {
        if (fmt[n] == 't') {
            if (t[ti])
                kv_stmt_bind_text(s, n + 1, t[ti], -1);
            else
                kv_stmt_bind_null(s, n + 1);
            ti++;
        } else {
            kv_stmt_bind_int64(s, n + 1, v[vi++]);
        }
    }
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_nemsms_subscribe(struct kv_db *db, const char *cpr, const char *mobile, int verified,
                        const char *actor, int64_t now, char *out_pin, struct kv_err *err)
{
    struct sub u;
    unsigned char r[4];
    char pin[7] = "", hash[65] = "", ukey[64], text[160];
    int rc;

    if (!cpr_ok(cpr))
        return kv_err_set(err, KV_EINVAL, "cpr must be 10 digits");
    if (!kv_notify_mobile_ok(mobile))
        return kv_err_set(err, KV_EINVAL,
                          "mobile must be a Danish mobile number: 8 digits, the first 2-9, no "
                          "country code");
    if (!verified) {
        if (kv_random_bytes(r, sizeof(r)) < 0)
            return kv_err_set(err, KV_EINTERNAL, "no randomness");
        snprintf(pin, sizeof(pin), "%06u",
                 (unsigned)(((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 |
                             r[3]) %
                            1000000u));
        kv_sha256_hex(pin, 6, hash);
    }
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = load(db, cpr, &u, err);
    if (rc == 0 && verified) {
        const int64_t v[] = {now, now};
        const char *t2[] = {cpr, mobile};
        const int64_t v2[] = {now, now, now};

        if (u.found)
            rc = run(db,
                     "UPDATE nemsms_subscriptions SET mobile = ?, pending_mobile = NULL,"
                     " pin_sha256 = NULL, pin_expires_ms = NULL, attempts = 0, confirmed_ms = ?,"
                     " updated_ms = ? WHERE cpr = ?",
                     "tiit", (const char *const[]){mobile, cpr}, v, err);
        else
            rc = run(db,
                     "INSERT INTO nemsms_subscriptions (cpr, mobile, confirmed_ms, created_ms,"
                     " updated_ms) VALUES (?, ?, ?, ?, ?)",
                     "ttiii", t2, v2, err);
        if (rc == 0)
            rc = event(db, u.found && u.confirmed_ms ? "NEM_SMS_UPDATED" : "NEM_SMS_CREATED", cpr,
                       actor, mobile, now, err);
        if (rc == 0)
            rc = event(db, "NEM_SMS_ACTIVATED", cpr, actor, mobile, now, err);
    } else if (rc == 0) {
        const int64_t v[] = {now + PIN_TTL_MS, now};

        if (u.found)
            rc = run(db,
                     "UPDATE nemsms_subscriptions SET pending_mobile = ?, pin_sha256 = ?,"
                     " pin_expires_ms = ?, attempts = 0, updated_ms = ? WHERE cpr = ?",
                     "ttiit", (const char *const[]){mobile, hash, cpr}, v, err);
        else
            rc = run(db,
                     "INSERT INTO nemsms_subscriptions (cpr, mobile, pending_mobile, pin_sha256,"
                     " pin_expires_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     "ttttiii", (const char *const[]){cpr, mobile, mobile, hash},
                     (const int64_t[]){now + PIN_TTL_MS, now, now}, err);
        if (rc == 0)
            rc = event(db, u.found && u.confirmed_ms ? "NEM_SMS_UPDATED" : "NEM_SMS_CREATED", cpr,
                       actor, mobile, now, err);
        if (rc == 0) {
            snprintf(ukey, sizeof(ukey), "NEMSPIN:%s:%lld", cpr, (long long)now);
            snprintf(text, sizeof(text), "Din kode til NemSMS fra Digital Post: %s", pin);
            rc = kv_notify_queue_sms(db, ukey, 0, mobile, text, now, err);
        }
        if (rc == 0)
            rc = event(db, "PINCODE_SENT_TO_MOBILE_NEM_SMS", cpr, actor, mobile, now, err);
    }
    rc = finish(db, rc, err);
    if (rc == 0 && out_pin)
        kv_str_copy(out_pin, 7, pin);
    return rc;
}

int kv_nemsms_confirm(struct kv_db *db, const char *cpr, const char *pin, const char *actor,
                      int64_t now, struct kv_err *err)
{
    struct sub u;
    char hash[65];
    int rc, match = 0;

    if (!pin || strlen(pin) != 6 || strspn(pin, "0123456789") != 6)
        return kv_err_set(err, KV_EINVAL, "pin must be the 6 digits sent by SMS");
    kv_sha256_hex(pin, 6, hash);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = load(db, cpr, &u, err);
    if (rc == 0 && (!u.found || !u.pending[0]))
        rc = kv_err_set(err, KV_ENOTFOUND, "no NemSMS number waits for a PIN");
    if (rc == 0 && (strlen(u.pin_hash) != 64 || u.attempts >= PIN_ATTEMPTS || u.pin_expires < now))
        rc = kv_err_set(err, KV_EPERM,
                        "the PIN is no longer valid (expired or too many attempts); give the "
                        "number again to get a new one");
    if (rc == 0) {
        match = kv_ct_equal(u.pin_hash, hash, 64);
        if (match)
            rc = run(db,
                     "UPDATE nemsms_subscriptions SET mobile = pending_mobile, pending_mobile ="
                     " NULL, pin_sha256 = NULL, pin_expires_ms = NULL, attempts = 0,"
                     " confirmed_ms = ?, updated_ms = ? WHERE cpr = ?",
                     "iit", (const char *const[]){cpr}, (const int64_t[]){now, now}, err);
        else
            rc = run(db,
                     "UPDATE nemsms_subscriptions SET attempts = attempts + 1, updated_ms = ?"
                     " WHERE cpr = ?",
                     "it", (const char *const[]){cpr}, (const int64_t[]){now}, err);
        if (rc == 0 && match)
            rc = event(db, "NEM_SMS_ACTIVATED", cpr, actor, u.pending, now, err);
    }
    rc = finish(db, rc, err);
    if (rc == 0 && !match)
        return kv_err_set(err, KV_EINVAL, "wrong PIN (%lld of %d attempts used)",
                          (long long)u.attempts + 1, PIN_ATTEMPTS);
    return rc;
}

int kv_nemsms_unsubscribe(struct kv_db *db, const char *cpr, const char *actor, int64_t now,
                          struct kv_err *err)
{
    struct sub u;
    int rc;

    if (!cpr_ok(cpr))
        return kv_err_set(err, KV_EINVAL, "cpr must be 10 digits");
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = load(db, cpr, &u, err);
    if (rc == 0 && !u.found)
        rc = kv_err_set(err, KV_ENOTFOUND, "cpr %s has no NemSMS subscription", cpr);
    if (rc == 0)
        rc = run(db, "DELETE FROM nemsms_subscriptions WHERE cpr = ?", "t",
                 (const char *const[]){cpr}, NULL, err);
    if (rc == 0)
        rc = event(db, "NEM_SMS_DELETED", cpr, actor, u.confirmed_ms ? u.mobile : NULL, now, err);
    return finish(db, rc, err);
}

/* SPDX-License-Identifier: MIT
 *
 * settings.c: notification settings per access (see settings.h): the access row, e-mail
 * addresses confirmed by a mailed link, one mobile number confirmed by an SMS PIN, push
 * devices, quiet hours and opt-out, each change in one transaction with its event. Secrets
 * (link tokens, PINs) are random, stored only as SHA-256, compared in constant time through
 * their hashes, and expire.
 */
#include "notify/settings.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/events.h"
#include "hub/mail.h"
#include "notify/outbox.h"
#include "store/store.h"
#include "util/base64.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"

int kv_notify_parse_hhmm(const char *s)
{
    int h, m;

    if (!s || strlen(s) != 5 || !isdigit((unsigned char)s[0]) ||
        !isdigit((unsigned char)s[1]) || s[2] != ':' || !isdigit((unsigned char)s[3]) ||
        !isdigit((unsigned char)s[4]))
        return -1;
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

static int event(struct kv_db *db, const struct kv_notify_access *a, const char *tag,
                 const char *props, int64_t now, struct kv_err *err)
{
    struct kv_event ev = {0};
    char subject[48];

    snprintf(subject, sizeof(subject), "mailbox:%lld", (long long)a->mailbox_id);
    ev.tag = tag;
    ev.actor = a->actor;
    ev.subject = subject;
    ev.props_json = props;
    ev.time_ms = now;
    return kv_events_append(db, &ev, err);
}

int kv_notify_access_for(struct kv_db *db, const char *owner_type, const char *owner_id,
                         const char *holder, const char *actor, struct kv_notify_access *out,
                         struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_db_prepare(db, "SELECT id FROM mailboxes WHERE owner_type = ? AND owner_id = ?", &s,
                       err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner_type, -1);
    kv_stmt_bind_text(s, 2, owner_id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        out->mailbox_id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        return kv_err_set(err, KV_ENOTFOUND, "no mailbox");
    kv_str_copy(out->holder, sizeof(out->holder), holder);
    kv_str_copy(out->actor, sizeof(out->actor), actor);
    return 0;
}

/* The access's settings row id, created when missing (inside the caller's transaction). */
static int settings_id(struct kv_db *db, const struct kv_notify_access *a, int create,
                       int64_t now, int64_t *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    *out = 0;
    if (create) {
        rc = kv_db_prepare(db,
                           "INSERT INTO notify_settings (mailbox_id, holder, updated_ms)"
                           " VALUES (?, ?, ?) ON CONFLICT (mailbox_id, holder) DO NOTHING",
                           &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_int64(s, 1, a->mailbox_id);
        kv_stmt_bind_text(s, 2, a->holder, -1);
        kv_stmt_bind_int64(s, 3, now);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
    }
    rc = kv_db_prepare(db, "SELECT id FROM notify_settings WHERE mailbox_id = ? AND holder = ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, a->mailbox_id);
    kv_stmt_bind_text(s, 2, a->holder, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int count_kind(struct kv_db *db, int64_t sid, const char *kind, int64_t *out,
                      struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT COUNT(*) FROM notify_channels WHERE settings_id = ? AND kind = ?",
                           &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, sid);
    kv_stmt_bind_text(s, 2, kind, -1);
    rc = kv_stmt_step(s, err);
    *out = rc == KV_ROW ? kv_stmt_col_int64(s, 0) : 0;
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* The channel event "<KIND>_NOTIFICATION_SUBSCRIPTION_<what>" of channel id, kind EMAIL, SMS
 * or PUSH, props {"channelId"}: the one spelling of the channel events. */
static int channel_event(struct kv_db *db, const struct kv_notify_access *a, const char *kind,
                         const char *what, int64_t id, int64_t now, struct kv_err *err)
{
    char tag[64], props[64];

    snprintf(tag, sizeof(tag), "%s_NOTIFICATION_SUBSCRIPTION_%s", kind, what);
    snprintf(props, sizeof(props), "{\"channelId\":%lld}", (long long)id);
    return event(db, a, tag, props, now, err);
}

/* A channel of kind waiting for its confirmation (an e-mail address with its link, a mobile
 * number with its PIN): only the secret's SHA-256 is kept, until expires. *out_id gets it;
 * KV_ECONFLICT when the access has this address already. Inside the caller's transaction. */
static int pending_insert(struct kv_db *db, int64_t sid, const char *kind, const char *address,
                          const char *hash, int64_t expires, int64_t now, int64_t *out_id,
                          struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "INSERT INTO notify_channels (settings_id, kind, address, secret_sha256,"
                           " secret_expires_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (settings_id, kind, address) DO NOTHING RETURNING id",
                           &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, sid);
    kv_stmt_bind_text(s, 2, kind, -1);
    kv_stmt_bind_text(s, 3, address, -1);
    kv_stmt_bind_text(s, 4, hash, -1);
    kv_stmt_bind_int64(s, 5, expires);
    kv_stmt_bind_int64(s, 6, now);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out_id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc == KV_DONE)
        return kv_err_set(err, KV_ECONFLICT, "this %s is already registered",
                          strcmp(kind, "EMAIL") == 0 ? "e-mail address" : "number");
    return rc < 0 ? rc : 0;
}

/* Channel id proved its secret: confirmed at now, the secret gone, the VERIFIED event.
 * Inside the caller's transaction. */
static int mark_verified(struct kv_db *db, const struct kv_notify_access *a, const char *kind,
                         int64_t id, int64_t now, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "UPDATE notify_channels SET confirmed_ms = ?, secret_sha256 = NULL,"
                           " secret_expires_ms = NULL WHERE id = ?",
                           &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_int64(s, 2, id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return channel_event(db, a, kind, "VERIFIED", id, now, err);
}

static void hhmm(int minutes, char out[6])
{
    unsigned m = (unsigned)minutes % 1440u;

    out[0] = (char)('0' + m / 600);
    out[1] = (char)('0' + m / 60 % 10);
    out[2] = ':';
    out[3] = (char)('0' + m % 60 / 10);
    out[4] = (char)('0' + m % 10);
    out[5] = '\0';
}

int kv_notify_settings_json(struct kv_db *db, const struct kv_notify_access *a, json_t **out,
                            struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    json_t *o = json_object(), *emails = json_array(), *push = json_array(), *mobile = NULL;
    int64_t sid = 0;
    char when[32], t1[6], t2[6];
    int rc;

    *out = NULL;
    rc = kv_db_prepare(db,
                       "SELECT id, quiet_from, quiet_to, opted_out_ms FROM notify_settings"
                       " WHERE mailbox_id = ? AND holder = ?",
                       &s, err);
    if (rc < 0)
        goto fail;
    kv_stmt_bind_int64(s, 1, a->mailbox_id);
    kv_stmt_bind_text(s, 2, a->holder, -1);
    rc = kv_stmt_step(s, err);
    json_object_set_new(o, "quietHours", json_null());
    json_object_set_new(o, "notificationOutsideOfActiveWindowAllowed", json_true());
    json_object_set_new(o, "optedOut", json_false());
    if (rc == KV_ROW) {
        sid = kv_stmt_col_int64(s, 0);
        if (!kv_stmt_col_is_null(s, 1) && !kv_stmt_col_is_null(s, 2)) {
            hhmm((int)kv_stmt_col_int64(s, 1), t1);
            hhmm((int)kv_stmt_col_int64(s, 2), t2);
            json_object_set_new(o, "quietHours", json_pack("{s:s,s:s}", "from", t1, "to", t2));
            json_object_set_new(o, "notificationOutsideOfActiveWindowAllowed", json_false());
        }
        if (!kv_stmt_col_is_null(s, 3)) {
            kv_clock_format_utc(kv_stmt_col_int64(s, 3), when, sizeof(when));
            json_object_set_new(o, "optedOut", json_true());
            json_object_set_new(o, "optedOutOfNotificationsDateTime", json_string(when));
        }
    }
    kv_stmt_done(s);
    if (rc < 0)
        goto fail;
    if (sid) {
        rc = kv_db_prepare(db,
                           "SELECT id, kind, address, device_id, device_name, provider,"
                           " confirmed_ms, created_ms FROM notify_channels WHERE settings_id = ?"
                           " ORDER BY id",
                           &s, err);
        if (rc < 0)
            goto fail;
        kv_stmt_bind_int64(s, 1, sid);
        while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
            const char *kind = kv_stmt_col_text(s, 1);
            int confirmed = !kv_stmt_col_is_null(s, 6);
            json_t *c = json_pack("{s:I}", "id", (json_int_t)kv_stmt_col_int64(s, 0));

            if (strcmp(kind, "PUSH") == 0) {
                kv_clock_format_utc(kv_stmt_col_int64(s, 7), when, sizeof(when));
                json_object_set_new(c, "providerType", json_string(kv_stmt_col_text(s, 5)));
                json_object_set_new(c, "deviceId", json_string(kv_stmt_col_text(s, 3)));
                json_object_set_new(c, "deviceName", json_string(kv_stmt_col_text(s, 4)));
                json_object_set_new(c, "createdTime", json_string(when));
                json_array_append_new(push, c);
                continue;
            }
            json_object_set_new(c, strcmp(kind, "EMAIL") == 0 ? "emailAddress" : "mobileNumber",
                                json_string(kv_stmt_col_text(s, 2)));
            json_object_set_new(c, "verificationType",
                                json_string(strcmp(kind, "EMAIL") == 0 ? "LINK" : "PIN"));
            json_object_set_new(c, "confirmed", json_boolean(confirmed));
            if (confirmed) {
                kv_clock_format_utc(kv_stmt_col_int64(s, 6), when, sizeof(when));
                json_object_set_new(c, "confirmationTime", json_string(when));
            }
            if (strcmp(kind, "EMAIL") == 0) {
                json_array_append_new(emails, c);
            } else {
                json_decref(mobile);
                mobile = c;
            }
        }
        kv_stmt_done(s);
        if (rc < 0)
            goto fail;
    }
    json_object_set_new(o, "emailAddresses", emails);
    json_object_set_new(o, "mobileNumber", mobile ? mobile : json_null());
    json_object_set_new(o, "pushSubscriptions", push);
    *out = o;
    return 0;
fail:
    json_decref(o);
    json_decref(emails);
    json_decref(push);
    json_decref(mobile);
    return rc;
}

/* Runs body(db, a, ...) in a transaction: helpers for the mutations below. */
static int finish(struct kv_db *db, int rc, struct kv_err *err)
{
    if (rc >= 0)
        rc = kv_db_commit(db, err);
    if (rc < 0)
        kv_db_rollback(db);
    return rc < 0 ? rc : 0;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

int kv_notify_email_add(struct kv_db *db, const struct kv_notify_access *a, const char *addr,
                        const char *base_url, int64_t now, int64_t *out_id, char *out_token,
                        struct kv_err *err)
{
    unsigned char raw[32];
    char token[64], hash[65], email[KV_MAIL_ADDR_MAX], body[1024];
    int64_t sid, n = 0, id = 0;
    int rc;

    if (!addr || !kv_mail_addr_ok(addr) || strlen(addr) >= sizeof(email))
        return kv_err_set(err, KV_EINVAL, "emailAddress is not a usable e-mail address");
    kv_str_copy(email, sizeof(email), addr);
    lower(email);
    if (kv_random_bytes(raw, sizeof(raw)) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no randomness");
    kv_b64url_encode(raw, sizeof(raw), token);
    kv_sha256_hex(token, strlen(token), hash);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = settings_id(db, a, 1, now, &sid, err);
    if (rc == 0)
        rc = count_kind(db, sid, "EMAIL", &n, err);
    if (rc == 0 && n >= KV_NOTIFY_EMAIL_MAX)
        rc = kv_err_set(err, KV_ETOOBIG, "at most %d e-mail addresses", KV_NOTIFY_EMAIL_MAX);
    if (rc == 0)
        rc = pending_insert(db, sid, "EMAIL", email, hash, now + KV_NOTIFY_LINK_TTL_MS, now, &id,
                            err);
    if (rc == 0) {
        snprintf(body, sizeof(body),
                 "Du har bedt om at få besked om ny Digital Post på denne adresse.\n\n"
                 "Bekræft adressen ved at åbne linket (det virker i 48 timer):\n"
                 "%s/notifikationer/bekraeft?token=%s\n\n"
                 "Har du ikke bedt om det, kan du se bort fra denne e-mail.\n",
                 base_url ? base_url : "", token);
        rc = kv_mail_queue(db, email, "Bekræft din e-mailadresse til Digital Post", body,
                           "NOTIFY_CONFIRM", NULL, now, NULL, err);
    }
    if (rc == 0)
        rc = channel_event(db, a, "EMAIL", "CREATED", id, now, err);
    rc = finish(db, rc, err);
    if (rc == 0) {
        if (out_id)
            *out_id = id;
        if (out_token)
            kv_str_copy(out_token, KV_NOTIFY_TOKEN_LEN + 1, token);
    }
    return rc;
}

int kv_notify_email_confirm(struct kv_db *db, const char *token, int64_t now, char *out_addr,
                            struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_notify_access a;
    char hash[65];
    int64_t id = 0, expires = 0;
    int rc;

    if (!token || strlen(token) != KV_NOTIFY_TOKEN_LEN)
        return kv_err_set(err, KV_ENOTFOUND, "unknown or used confirmation link");
    kv_sha256_hex(token, strlen(token), hash);
    memset(&a, 0, sizeof(a));
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db,
                       "SELECT c.id, c.secret_expires_ms, c.address, s.mailbox_id, s.holder"
                       " FROM notify_channels c JOIN notify_settings s ON s.id = c.settings_id"
                       " WHERE c.secret_sha256 = ? AND c.kind = 'EMAIL'",
                       &s, err);
    if (rc == 0) {
        kv_stmt_bind_text(s, 1, hash, -1);
        rc = kv_stmt_step(s, err);
        if (rc == KV_ROW) {
            id = kv_stmt_col_int64(s, 0);
            expires = kv_stmt_col_int64(s, 1);
            if (out_addr)
                kv_str_copy(out_addr, KV_MAIL_ADDR_MAX, kv_stmt_col_text(s, 2));
            a.mailbox_id = kv_stmt_col_int64(s, 3);
            kv_str_copy(a.holder, sizeof(a.holder), kv_stmt_col_text(s, 4));
            rc = 0;
        } else if (rc == KV_DONE) {
            rc = kv_err_set(err, KV_ENOTFOUND, "unknown or used confirmation link");
        }
        kv_stmt_done(s);
    }
    if (rc == 0 && expires < now)
        rc = kv_err_set(err, KV_EPERM, "the confirmation link has expired; add the address again");
    if (rc == 0) {
        snprintf(a.actor, sizeof(a.actor), "%s", a.holder);
        lower(a.actor);
        rc = mark_verified(db, &a, "EMAIL", id, now, err);
    }
    return finish(db, rc, err);
}

/* A fresh 6-digit PIN. */
static int new_pin(char out[7])
{
    unsigned char r[4];
    uint32_t v;

    if (kv_random_bytes(r, sizeof(r)) < 0)
        return KV_EINTERNAL;
    v = ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]) % 1000000u;
    snprintf(out, 7, "%06u", (unsigned)v);
    return 0;
}

int kv_notify_mobile_set(struct kv_db *db, const struct kv_notify_access *a, const char *number,
                         int64_t now, char *out_pin, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char pin[7], hash[65], ukey[64], text[160];
    int64_t sid, id = 0;
    int rc;

    if (!kv_notify_mobile_ok(number))
        return kv_err_set(err, KV_EINVAL,
                          "mobileNumber must be a Danish mobile number: 8 digits, the first 2-9, "
                          "no country code");
    if (new_pin(pin) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no randomness");
    kv_sha256_hex(pin, 6, hash);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = settings_id(db, a, 1, now, &sid, err);
    if (rc == 0)
        rc = kv_db_prepare(db, "DELETE FROM notify_channels WHERE settings_id = ? AND kind = 'SMS'",
                           &s, err);
    if (rc == 0) {
        kv_stmt_bind_int64(s, 1, sid);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
    }
    if (rc >= 0) /* the number before is gone: one mobile number per access */
        rc = pending_insert(db, sid, "SMS", number, hash, now + KV_NOTIFY_PIN_TTL_MS, now, &id,
                            err);
    if (rc >= 0) {
        snprintf(ukey, sizeof(ukey), "PIN:%lld:%lld", (long long)id, (long long)now);
        snprintf(text, sizeof(text),
                 "Din kode til at bekræfte dit mobilnummer til notifikationer fra Digital Post: "
                 "%s",
                 pin);
        rc = kv_notify_queue_sms(db, ukey, id, number, text, now, err);
    }
    if (rc >= 0)
        rc = channel_event(db, a, "SMS", "CREATED", id, now, err);
    rc = finish(db, rc, err);
    if (rc == 0 && out_pin)
        kv_str_copy(out_pin, 7, pin);
    return rc;
}

int kv_notify_mobile_confirm(struct kv_db *db, const struct kv_notify_access *a,
                             const char *pin, int64_t now, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char hash[65], stored[65] = "";
    int64_t sid, id = 0, expires = 0, attempts = 0;
    int rc, match = 0;

    if (!pin || strlen(pin) != 6 || strspn(pin, "0123456789") != 6)
        return kv_err_set(err, KV_EINVAL, "pin must be the 6 digits sent by SMS");
    kv_sha256_hex(pin, 6, hash);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = settings_id(db, a, 0, now, &sid, err);
    if (rc == 0)
        rc = kv_db_prepare(db,
                           "SELECT id, secret_sha256, secret_expires_ms, attempts FROM"
                           " notify_channels WHERE settings_id = ? AND kind = 'SMS'"
                           " AND confirmed_ms IS NULL",
                           &s, err);
    if (rc == 0) {
        kv_stmt_bind_int64(s, 1, sid);
        rc = kv_stmt_step(s, err);
        if (rc == KV_ROW) {
            id = kv_stmt_col_int64(s, 0);
            if (!kv_stmt_col_is_null(s, 1))
                kv_str_copy(stored, sizeof(stored), kv_stmt_col_text(s, 1));
            expires = kv_stmt_col_int64(s, 2);
            attempts = kv_stmt_col_int64(s, 3);
            rc = 0;
        } else if (rc == KV_DONE) {
            rc = kv_err_set(err, KV_ENOTFOUND, "no mobile number waits for a PIN");
        }
        kv_stmt_done(s);
    }
    if (rc == 0 && (!stored[0] || attempts >= KV_NOTIFY_PIN_ATTEMPTS || expires < now))
        rc = kv_err_set(err, KV_EPERM,
                        "the PIN is no longer valid (expired or too many attempts); set the "
                        "number again to get a new one");
    if (rc == 0) {
        match = strlen(stored) == 64 && kv_ct_equal(stored, hash, 64);
        if (match) {
            rc = mark_verified(db, a, "SMS", id, now, err);
        } else {
            rc = kv_db_prepare(db, "UPDATE notify_channels SET attempts = attempts + 1 WHERE id = ?",
                               &s, err);
            if (rc == 0) {
                kv_stmt_bind_int64(s, 1, id);
                rc = kv_stmt_step(s, err);
                kv_stmt_done(s);
            }
        }
    }
    rc = finish(db, rc, err); /* a wrong PIN's attempt is committed too */
    if (rc == 0 && !match)
        return kv_err_set(err, KV_EINVAL, "wrong PIN (%lld of %d attempts used)",
                          (long long)attempts + 1, KV_NOTIFY_PIN_ATTEMPTS);
    return rc;
}

int kv_notify_push_add(struct kv_db *db, const struct kv_notify_access *a, const char *provider,
                       const char *device_id, const char *device_name, const char *token,
                       int64_t now, int64_t *out_id, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t sid, id = 0;
    int rc;

    if (!provider || (strcmp(provider, "APN") != 0 && strcmp(provider, "FCM") != 0))
        return kv_err_set(err, KV_EINVAL, "providerType must be APN or FCM");
    if (!device_id || !device_id[0] || strlen(device_id) > 128)
        return kv_err_set(err, KV_EINVAL, "deviceId must be 1 to 128 characters");
    if (!device_name || strlen(device_name) > 128)
        return kv_err_set(err, KV_EINVAL, "deviceName must be at most 128 characters");
    if (!token || !token[0] || strlen(token) > 512 || strpbrk(token, " \t\r\n"))
        return kv_err_set(err, KV_EINVAL, "deviceToken must be 1 to 512 characters, no spaces");
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = settings_id(db, a, 1, now, &sid, err);
    if (rc == 0) /* one subscription per device: a new token replaces the old */
        rc = kv_db_prepare(db,
                           "DELETE FROM notify_channels WHERE settings_id = ? AND kind = 'PUSH'"
                           " AND device_id = ?",
                           &s, err);
    if (rc == 0) {
        kv_stmt_bind_int64(s, 1, sid);
        kv_stmt_bind_text(s, 2, device_id, -1);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
    }
    if (rc >= 0)
        rc = kv_db_prepare(db,
                           "INSERT INTO notify_channels (settings_id, kind, address, device_id,"
                           " device_name, provider, confirmed_ms, created_ms)"
                           " VALUES (?, 'PUSH', ?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (settings_id, kind, address) DO NOTHING RETURNING id",
                           &s, err);
    if (rc >= 0) {
        kv_stmt_bind_int64(s, 1, sid);
        kv_stmt_bind_text(s, 2, token, -1);
        kv_stmt_bind_text(s, 3, device_id, -1);
        kv_stmt_bind_text(s, 4, device_name, -1);
        kv_stmt_bind_text(s, 5, provider, -1);
        kv_stmt_bind_int64(s, 6, now);
        kv_stmt_bind_int64(s, 7, now);
        rc = kv_stmt_step(s, err);
        if (rc == KV_ROW) {
            id = kv_stmt_col_int64(s, 0);
            rc = 0;
        } else if (rc == KV_DONE) {
            rc = kv_err_set(err, KV_ECONFLICT, "this device token is already registered");
        }
        kv_stmt_done(s);
    }
    if (rc >= 0)
        rc = channel_event(db, a, "PUSH", "CREATED", id, now, err);
    rc = finish(db, rc, err);
    if (rc == 0 && out_id)
        *out_id = id;
    return rc;
}

int kv_notify_channel_remove(struct kv_db *db, const struct kv_notify_access *a, int64_t id,
                             int64_t now, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char kind[8] = "";
    int64_t sid;
    int rc;

    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = settings_id(db, a, 0, now, &sid, err);
    if (rc == 0)
        rc = kv_db_prepare(db,
                           "SELECT kind FROM notify_channels WHERE id = ? AND settings_id = ?",
                           &s, err);
    if (rc == 0) {
        kv_stmt_bind_int64(s, 1, id);
        kv_stmt_bind_int64(s, 2, sid);
        rc = kv_stmt_step(s, err);
        if (rc == KV_ROW) {
            kv_str_copy(kind, sizeof(kind), kv_stmt_col_text(s, 0));
            rc = 0;
        } else if (rc == KV_DONE) {
            rc = kv_err_set(err, KV_ENOTFOUND, "no such notification channel");
        }
        kv_stmt_done(s);
    }
    if (rc == 0)
        rc = kv_db_prepare(db, "DELETE FROM notify_channels WHERE id = ?", &s, err);
    if (rc == 0) {
        kv_stmt_bind_int64(s, 1, id);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
    }
    if (rc >= 0)
        rc = channel_event(db, a, kind, "DELETED", id, now, err);
    return finish(db, rc, err);
}

/* Updates one column pair of the access's settings row (created when missing). */
static int update_settings(struct kv_db *db, const struct kv_notify_access *a, const char *sql,
                           int64_t v1, int null1, int64_t v2, int null2, int64_t now,
                           const char *props, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t sid;
    int rc;

    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = settings_id(db, a, 1, now, &sid, err);
    if (rc == 0)
        rc = kv_db_prepare(db, sql, &s, err);
    if (rc == 0) {
        if (null1)
            kv_stmt_bind_null(s, 1);
        else
            kv_stmt_bind_int64(s, 1, v1);
        if (null2)
            kv_stmt_bind_null(s, 2);
        else
            kv_stmt_bind_int64(s, 2, v2);
        kv_stmt_bind_int64(s, 3, now);
        kv_stmt_bind_int64(s, 4, sid);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
    }
    if (rc >= 0)
        rc = event(db, a, "NOTIFICATION_SETTINGS_UPDATED", props, now, err);
    return finish(db, rc, err);
}

int kv_notify_quiet_set(struct kv_db *db, const struct kv_notify_access *a, int from, int to,
                        int64_t now, struct kv_err *err)
{
    char props[96];

    if (from >= 0 && (from > 1439 || to < 0 || to > 1439 || from == to))
        return kv_err_set(err, KV_EINVAL,
                          "quiet hours need a start and an end (HH:MM) that differ");
    snprintf(props, sizeof(props), "{\"notificationSettings\":\"quietHours\",\"on\":%s}",
             from >= 0 ? "true" : "false");
    return update_settings(db, a,
                           "UPDATE notify_settings SET quiet_from = ?, quiet_to = ?,"
                           " updated_ms = ? WHERE id = ?",
                           from, from < 0, to, from < 0, now, props, err);
}

int kv_notify_optout_set(struct kv_db *db, const struct kv_notify_access *a, int optout,
                         int64_t now, struct kv_err *err)
{
    char props[96];

    snprintf(props, sizeof(props), "{\"notificationSettings\":\"optOut\",\"on\":%s}",
             optout ? "true" : "false");
    return update_settings(db, a,
                           "UPDATE notify_settings SET opted_out_ms = ?, updated_ms = ?"
                           " WHERE ? > 0 AND id = ?",
                           now, !optout, now, 0, now, props, err);
}

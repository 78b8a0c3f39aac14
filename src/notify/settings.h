/* SPDX-License-Identifier: MIT
 *
 * settings.h: notification settings per ACCESS (docs/notifications.md). An access is one
 * holder's view of one mailbox: the owner, or a helper with mailbox access, each with their
 * own settings (NgDP holds them per Access). A holder has up to KV_NOTIFY_EMAIL_MAX e-mail
 * addresses, each confirmed through a link mailed to it (a random token; only its SHA-256 is
 * stored; it expires), one mobile number confirmed by a PIN sent to it by SMS (hashed,
 * expires, KV_NOTIFY_PIN_ATTEMPTS wrong answers void it), any number of push devices, quiet
 * hours (Copenhagen time) and a full opt-out. Every change appends its NgDP event
 * (EMAIL_/SMS_/PUSH_NOTIFICATION_SUBSCRIPTION_*, actor the holder).
 *
 * All functions run inside their own transaction unless noted, and refuse with KV_EINVAL (bad
 * input; err says which), KV_ENOTFOUND (no such channel of THIS access), KV_ECONFLICT (already
 * there), KV_ETOOBIG (limit reached) or KV_EPERM (PIN voided / link expired).
 *
 * Ownership: strings are borrowed; json results are owned by the caller.
 */
#ifndef KV_NOTIFY_SETTINGS_H
#define KV_NOTIFY_SETTINGS_H

#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct kv_db;

#define KV_NOTIFY_EMAIL_MAX 5                       /* e-mail addresses per access */
#define KV_NOTIFY_PIN_ATTEMPTS 5                    /* wrong PINs before it is void */
#define KV_NOTIFY_PIN_TTL_MS (15 * 60 * 1000LL)     /* a PIN is valid this long */
#define KV_NOTIFY_LINK_TTL_MS (48 * 3600 * 1000LL)  /* a confirmation link this long */
#define KV_NOTIFY_TOKEN_LEN 43                      /* base64url of 32 random bytes */

struct kv_notify_access {
    int64_t mailbox_id;   /* the mailbox */
    char holder[48];      /* 'CPR:<cpr>', 'CVR:<cvr>' or 'PERSON:<id>' */
    char actor[48];       /* events' actor, e.g. "cpr:0101701234" */
};

/* The access of holder to the mailbox of owner (type "CPR"/"CVR", id). KV_ENOTFOUND when
 * there is no such mailbox. The caller has already decided that holder may use it. */
int kv_notify_access_for(struct kv_db *db, const char *owner_type, const char *owner_id,
                         const char *holder, const char *actor, struct kv_notify_access *out,
                         struct kv_err *err);

/* The settings as the API shows them:
 * {"emailAddresses":[{"id","emailAddress","verificationType":"LINK","confirmed",
 *   "confirmationTime"?}], "mobileNumber":{"id","mobileNumber","verificationType":"PIN",
 *   "confirmed","confirmationTime"?}|null, "pushSubscriptions":[{"id","providerType",
 *   "deviceId","deviceName","createdTime"}], "quietHours":{"from":"HH:MM","to":"HH:MM"}|null,
 *   "notificationOutsideOfActiveWindowAllowed":bool, "optedOut":bool,
 *   "optedOutOfNotificationsDateTime"?} */
int kv_notify_settings_json(struct kv_db *db, const struct kv_notify_access *a, json_t **out,
                            struct kv_err *err);

/* Adds an e-mail address and mails it a confirmation link base_url + "/notifikationer/
 * bekraeft?token=" + token (hub/mail.h). out_token (may be NULL, >= 44 bytes) gets the token
 * (for the CLI demo and the tests). */
int kv_notify_email_add(struct kv_db *db, const struct kv_notify_access *a, const char *addr,
                        const char *base_url, int64_t now, int64_t *out_id, char *out_token,
                        struct kv_err *err);
/* Confirms the address whose open link token is token (from the link; no sign-in needed: the
 * token is the proof). out_addr (may be NULL, 256 bytes) gets the address. */
int kv_notify_email_confirm(struct kv_db *db, const char *token, int64_t now, char *out_addr,
                            struct kv_err *err);

/* Sets (or replaces) the mobile number and sends it a new 6-digit PIN by SMS. out_pin (may
 * be NULL, 7 bytes) gets it (tests only). */
int kv_notify_mobile_set(struct kv_db *db, const struct kv_notify_access *a, const char *number,
                         int64_t now, char *out_pin, struct kv_err *err);
/* Confirms the mobile number with its PIN. */
int kv_notify_mobile_confirm(struct kv_db *db, const struct kv_notify_access *a,
                             const char *pin, int64_t now, struct kv_err *err);

/* Registers a push device (provider "APN" or "FCM", device id and name, token). */
int kv_notify_push_add(struct kv_db *db, const struct kv_notify_access *a, const char *provider,
                       const char *device_id, const char *device_name, const char *token,
                       int64_t now, int64_t *out_id, struct kv_err *err);

/* Removes channel id (any kind) of this access. */
int kv_notify_channel_remove(struct kv_db *db, const struct kv_notify_access *a, int64_t id,
                             int64_t now, struct kv_err *err);

/* Quiet hours from..to in minutes after 00:00 Copenhagen (0..1439 each, from != to), or
 * from = -1 for none. */
int kv_notify_quiet_set(struct kv_db *db, const struct kv_notify_access *a, int from, int to,
                        int64_t now, struct kv_err *err);
/* Opts out of all notices (1) or back in (0). */
int kv_notify_optout_set(struct kv_db *db, const struct kv_notify_access *a, int optout,
                         int64_t now, struct kv_err *err);

/* "HH:MM" -> minutes (0..1439); -1 when malformed. */
int kv_notify_parse_hhmm(const char *s);

#endif

/* SPDX-License-Identifier: MIT
 *
 * devices.h: a person's devices, as the Adgangsportal shows them (docs/adgangsportal.md). A
 * device is one of:
 *   - a web session (web_sessions, migration 013/045): one browser signed in; its name is
 *     derived from the user agent at sign-in;
 *   - an app sign-in: the person's live mailbox user tokens (hub/user_token.h) with one device
 *     id (given at issue) -- or one token when it has none -- named by the app's device name,
 *     else by the user agent of its first use;
 *   - a push subscription of the person's own accesses (notify_channels, notify/settings.h)
 *     whose device has no live token: it still receives notices until they are turned off.
 * Push subscriptions and tokens with the same device id are one device.
 *
 * A device is named by a key that is not secret and reveals no secret: "s" + 32 hex characters
 * of the session's stored SHA-256, "t" + a token's public id, "p" + 32 hex characters of the
 * SHA-256 of the push device id. Every lookup by key is limited to the person's own rows, so
 * another person's key is KV_ENOTFOUND exactly like a key that does not exist.
 *
 * Logging out ends the device's session or revokes its tokens at once (one transaction, with
 * USER_TOKEN_REVOKED per token and DEVICE_LOGGED_OUT) after removing the device's push
 * subscriptions ("log out and reset": a lost phone gets no more notices); turning notifications off removes the
 * device's push subscriptions through kv_notify_channel_remove (PUSH_NOTIFICATION_SUBSCRIPTION_
 * DELETED each) and then appends DEVICE_NOTIFICATIONS_OFF.
 *
 * Ownership: struct kv_device_person's strings are borrowed; kv_devices_list's array is owned
 * by the caller (free()).
 */
#ifndef KV_IDENTITY_DEVICES_H
#define KV_IDENTITY_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_db;

#define KV_DEVICE_MAX 200      /* devices listed */
#define KV_DEVICE_KEY_MAX 40   /* a key with its NUL fits */
#define KV_DEVICE_NAME_MAX 128 /* a device name's bytes */

/* Whose devices. */
struct kv_device_person {
    const char *session_type;    /* web_sessions.subject_type: "CPR" or "EMPLOYEE" */
    const char *session_subject; /* its subject: the CPR or the e-mail */
    const char *token_type;      /* user_tokens.owner_type ("CPR"), or NULL: no tokens */
    const char *token_id;        /* its owner_id */
    const char *push_holder;     /* notify_settings.holder: "CPR:<cpr>" / "PERSON:<id>" */
    const char *actor;           /* events' actor, e.g. "cpr:0101701234" */
    int64_t idle_ms;             /* a session unused this long has ended (session_idle) */
};

struct kv_device {
    char key[KV_DEVICE_KEY_MAX];
    char kind[4];                       /* "web" or "app" */
    char name[KV_DEVICE_NAME_MAX + 1];  /* "" when nothing is known */
    int64_t first_ms, last_ms;          /* first and last use (last: 0 = never used) */
    int signed_in;                      /* a live session or token */
    int push;                           /* push subscriptions (0 = receives no push) */
    int current;                        /* the session asking */
};

/* The person's devices: signed-in ones by last use, newest first, then push-only ones.
 * current_sha256 (may be NULL) marks the asking session. *out owned; *out_n entries. */
int kv_devices_list(struct kv_db *db, const struct kv_device_person *p,
                    const char *current_sha256, int64_t now, struct kv_device **out,
                    size_t *out_n, struct kv_err *err);

/* Logs device key out: its push subscriptions are removed, its session ends, its tokens are
 * revoked. out_sessions/out_tokens
 * (may be NULL) get how many. KV_ENOTFOUND when the key is not one of the person's. */
int kv_device_logout(struct kv_db *db, const struct kv_device_person *p, const char *key,
                     int64_t now, int *out_sessions, int *out_tokens, struct kv_err *err);

/* Turns push notices off for device key only. out_n (may be NULL): subscriptions removed.
 * KV_ENOTFOUND when the key is not one of the person's; KV_EINVAL when the device has none. */
int kv_device_push_off(struct kv_db *db, const struct kv_device_person *p, const char *key,
                       int64_t now, int *out_n, struct kv_err *err);

/* A short, language-neutral device name from a User-Agent ("Firefox · Windows",
 * "Safari · iPhone", the first product token otherwise, "" for none). out: n bytes. */
void kv_device_name_from_ua(const char *ua, char *out, size_t n);

#endif

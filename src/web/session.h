/* SPDX-License-Identifier: MIT
 *
 * session.h: server-side sessions of the web portals (table web_sessions, migration 013).
 * A session id is 32 random bytes (256 bits), sent to the browser base64url-encoded in one
 * cookie; the database holds only its SHA-256. A new id is made at every sign-in. A session
 * ends at its absolute lifetime (session_lifetime), after session_idle without use, or when
 * revoked (sign-out). Each session records its device: user agent, client address, first and
 * last use.
 *
 * Cookie: HttpOnly, SameSite=Lax, Path=/; with cookie_secure on (or auto and a public_url
 * starting with https://) also Secure and named with the __Host- prefix.
 *
 * CSRF: each session has a synchronizer token, put in a hidden field "csrf" of every
 * state-changing form and compared in constant time. Before sign-in (the sign-in form) the
 * token is bound to a random pre-session cookie by an HMAC with a per-process key.
 *
 * The gate of the HTTP layer calls kv_web_session_from_req to authenticate a browser.
 * Ownership: struct kv_web_session is a plain value. Thread-safe.
 */
#ifndef KV_WEB_SESSION_H
#define KV_WEB_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_hub;
struct kv_http_req;
struct kv_http_resp;

#define KV_WEB_CSRF_LEN 43 /* base64url of 32 bytes, without padding */

struct kv_web_who;

struct kv_web_session {
    char id_sha256[65];         /* key of the row */
    int64_t person_id;          /* persons.id of the identity layer */
    char subject_type[16];      /* "CPR" or "EMPLOYEE" */
    char subject[256];          /* CPR, or the employee's e-mail */
    char name[260];             /* display name (KV_NAME_MAX + 1 fits) */
    char org_cvr[16];           /* organisation context, "" for none */
    char mailbox[16];           /* mailbox switched to at /post/ ("CPR:<n>"/"CVR:<n>" of a
                                   mailbox the person was given access to), "" = their own */
    char csrf[KV_WEB_CSRF_LEN + 1]; /* synchronizer token */
    char method[8];             /* "test" or "oidc" */
    int64_t created_ms, last_used_ms, expires_ms;
};

/* Name of the session cookie for this configuration ("__Host-kuvert" or "kuvert"). */
const char *kv_web_cookie_name(const struct kv_hub *hub);
/* 1 when cookies are marked Secure (cookie_secure). */
int kv_web_cookie_secure(const struct kv_hub *hub);

/* Creates a session for who (who.h) and sets its cookie on resp. Appends USER_SIGNED_IN to
 * the event log in the same transaction. out may be NULL. */
int kv_web_session_create(struct kv_http_req *req, struct kv_http_resp *resp,
                          const struct kv_web_who *who, const char *method,
                          struct kv_web_session *out, struct kv_err *err);
/* The live session of the request's cookie: 0 and *out filled, KV_EAUTH when there is no
 * cookie or the session is unknown, expired, idle too long or revoked. Touches last use
 * (at most once a minute). */
int kv_web_session_from_req(struct kv_http_req *req, struct kv_web_session *out,
                            struct kv_err *err);
/* Revokes the session (sign-out) and clears the cookie on resp; USER_SIGNED_OUT event. */
int kv_web_session_revoke(struct kv_http_req *req, struct kv_http_resp *resp,
                          const struct kv_web_session *s, struct kv_err *err);
/* Sets the organisation context of the session. */
int kv_web_session_set_org(struct kv_hub *hub, const struct kv_web_session *s, const char *cvr,
                           struct kv_err *err);

/* Sets the mailbox the session shows at /post/ ("" or NULL = the person's own; the caller
 * checks the access first, and the principal re-checks it on every request). */
int kv_web_session_set_mailbox(struct kv_hub *hub, const struct kv_web_session *s,
                               const char *mailbox, struct kv_err *err);

/* 1 when token equals the session's CSRF token (constant time). */
int kv_web_csrf_ok(const struct kv_web_session *s, const char *token);
/* Anonymous forms (sign-in): the token for the request's pre-session cookie, setting a new
 * cookie on resp when there is none. out: KV_WEB_CSRF_LEN + 1 bytes. */
void kv_web_precsrf_token(struct kv_http_req *req, struct kv_http_resp *resp, char *out);
/* 1 when token matches the request's pre-session cookie. */
int kv_web_precsrf_ok(struct kv_http_req *req, const char *token);

/* Value of cookie name in the request's Cookie header, copied into out; 0 or KV_ENOTFOUND. */
int kv_web_cookie_get(const struct kv_http_req *req, const char *name, char *out, size_t outlen);

#endif

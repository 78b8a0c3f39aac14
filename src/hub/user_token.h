/* SPDX-License-Identifier: MIT
 *
 * user_token.h: bearer tokens with which the owner of a mailbox (a citizen by CPR, a company
 * by CVR) uses the mailbox API (`Authorization: Bearer <token>`), a stand-in for MitID until
 * real sign-in exists, and their whole life: issue, expiry, list, revoke.
 *
 * A token is "kvu_" followed by 32 random bytes in lowercase hex. Only its SHA-256 is stored;
 * the token itself is returned once, at issue. Its public id is the first 16 hex characters
 * of that hash: it names the token in lists, revocations and events and reveals nothing of
 * the secret.
 *
 * Life (docs/mailbox-api.md, "Tokens"):
 *   - every token expires: ttl_ms after issue (default KV_USER_TOKEN_TTL_DEFAULT_MS, at most
 *     KV_USER_TOKEN_TTL_MAX_MS), measured on the hub's clock (kv_clock_now_ms, so the test
 *     clock moves it too);
 *   - issuing a token revokes the owner's earlier tokens in the same transaction, unless
 *     KV_USER_TOKEN_KEEP_OTHERS is given (a second client of the same owner);
 *   - a token can be revoked by id, or all of an owner's at once;
 *   - an expired or revoked token authenticates no more (KV_EAUTH).
 * Events: USER_TOKEN_CREATED {tokenId, expiresAt} and USER_TOKEN_REVOKED {tokenId, reason
 * "replaced" | "revoked"}, subject "cpr:<n>" / "cvr:<n>", actor "admin".
 *
 * All functions take a borrowed connection and run their own transaction (authentication
 * only reads). Structs are plain values filled by the callee.
 */
#ifndef KV_HUB_USER_TOKEN_H
#define KV_HUB_USER_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_db;

#define KV_USER_TOKEN_TTL_DEFAULT_MS (30LL * 24 * 3600 * 1000) /* 30 days */
#define KV_USER_TOKEN_TTL_MAX_MS (365LL * 24 * 3600 * 1000)    /* one year */
#define KV_USER_TOKEN_TTL_MIN_MS (60LL * 1000)                 /* one minute */
#define KV_USER_TOKEN_KEEP_OTHERS 0x1 /* issue: the owner's other tokens stay valid */
#define KV_USER_TOKEN_LIST_MAX 1000   /* tokens returned by kv_user_token_list */

/* One token as lists show it (never the secret). */
struct kv_user_token_info {
    char id[17];        /* public id: first 16 hex characters of the token's SHA-256 */
    char owner_type[4]; /* "CPR" | "CVR" */
    char owner_id[11];  /* the owner's number */
    int64_t created_ms; /* issued */
    int64_t expires_ms; /* no longer valid from this moment */
    int64_t revoked_ms; /* 0 = not revoked */
    const char *status; /* static: "active", "expired" or "revoked" (at the time of reading) */
};

/* Issues a token for the owner of an existing mailbox (KV_ENOTFOUND otherwise; KV_EINVAL for
 * a ttl_ms outside [KV_USER_TOKEN_TTL_MIN_MS, KV_USER_TOKEN_TTL_MAX_MS]; 0 = the default).
 * *out_token (owned, free with free()) is the token, shown once; out_info (may be NULL) its
 * listing; *out_revoked (may be NULL) how many earlier tokens were revoked. */
int kv_user_token_issue(struct kv_db *db, const char *owner_type, const char *owner_id,
                        int64_t ttl_ms, unsigned flags, char **out_token,
                        struct kv_user_token_info *out_info, int *out_revoked, struct kv_err *err);
/* kv_user_token_issue with the default expiry, revoking the owner's earlier tokens. */
int kv_user_token_new(struct kv_db *db, const char *owner_type, const char *owner_id,
                      char **out_token, struct kv_err *err);

/* The owner's tokens, newest first, at most KV_USER_TOKEN_LIST_MAX (revoked and expired ones
 * included, with their status). *out is owned (free with free()); *out_n entries. An owner
 * without tokens (or without a mailbox) gets an empty list. */
int kv_user_token_list(struct kv_db *db, const char *owner_type, const char *owner_id,
                       struct kv_user_token_info **out, size_t *out_n, struct kv_err *err);

/* Revokes token id (16 hex characters, any case). KV_ENOTFOUND for an unknown id. Revoking
 * a revoked token changes nothing (*out_already = 1, may be NULL). out_info (may be NULL)
 * receives the token after the call. */
int kv_user_token_revoke(struct kv_db *db, const char *id, struct kv_user_token_info *out_info,
                         int *out_already, struct kv_err *err);
/* Revokes every valid token of the owner; *out_n (may be NULL) how many. */
int kv_user_token_revoke_owner(struct kv_db *db, const char *owner_type, const char *owner_id,
                               int *out_n, struct kv_err *err);

/* Authenticates "Bearer <token>": a known token that is neither expired nor revoked. KV_EAUTH
 * otherwise, with a message safe to return. */
int kv_user_authenticate(struct kv_db *db, const char *authorization, char out_owner_type[4],
                         char out_owner_id[11], struct kv_err *err);

/* Records a use of the bearer token in authorization (after kv_user_authenticate admitted
 * it): its last use, at most once a minute, and the user agent of its first use (an app
 * sign-in's device, for the Adgangsportal; identity/devices.h). Best effort: a token that is
 * not found changes nothing. */
int kv_user_token_seen(struct kv_db *db, const char *authorization, const char *user_agent,
                       int64_t now, struct kv_err *err);
/* Names the device of token id (an app sign-in): device_id links it to the push subscription
 * of the same device, device_name is shown in the Adgangsportal. Either may be NULL.
 * KV_EINVAL for a value longer than 128 bytes or with control characters; KV_ENOTFOUND. */
int kv_user_token_set_device(struct kv_db *db, const char *id, const char *device_id,
                             const char *device_name, struct kv_err *err);

#endif

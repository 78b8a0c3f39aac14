/* SPDX-License-Identifier: MIT
 *
 * user_token.c: bearer tokens for the mailbox API and their life (see user_token.h): issue
 * (revoking the owner's earlier tokens unless asked to keep them), expiry, listing,
 * revocation by id or by owner, and authentication. Only the SHA-256 of a token is stored
 * (table user_tokens, migrations 001 and 011); its public id is the first 16 hex characters
 * of that hash. Every change is one transaction with its events.
 */
#include "hub/user_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/directory.h"
#include "hub/directory_int.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define TOKEN_PREFIX "kvu_"
#define TOKEN_BYTES 32
#define TOKEN_LEN (sizeof(TOKEN_PREFIX) - 1 + 2 * TOKEN_BYTES)
#define ID_LEN 16

static const char SQL_TOK_ADD[] =
    "INSERT INTO user_tokens (token_sha256, owner_type, owner_id, created_ms, id, expires_ms) "
    "VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_TOK_AUTH[] =
    "SELECT token_sha256, owner_type, owner_id, expires_ms, revoked_ms FROM user_tokens "
    "WHERE token_sha256 = ?";
#define TOK_COLS "id, owner_type, owner_id, created_ms, expires_ms, revoked_ms"
static const char SQL_TOK_LIST[] =
    "SELECT " TOK_COLS " FROM user_tokens WHERE owner_type = ? AND owner_id = ? "
    "ORDER BY created_ms DESC, id LIMIT ?";
static const char SQL_TOK_BY_ID[] = "SELECT " TOK_COLS " FROM user_tokens WHERE id = ?";
static const char SQL_TOK_VALID_OF[] =
    "SELECT id FROM user_tokens WHERE owner_type = ? AND owner_id = ? AND revoked_ms IS NULL "
    "AND expires_ms > ? ORDER BY id";
static const char SQL_TOK_REVOKE[] =
    "UPDATE user_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL";

/* "cpr:<n>" / "cvr:<n>" of an owner. */
static void subject_of(const char *owner_type, const char *owner_id, char out[24])
{
    snprintf(out, 24, "%s:%.10s", strcmp(owner_type, "CPR") == 0 ? "cpr" : "cvr", owner_id);
}

/* Fills info from a row of TOK_COLS and sets its status for time now. */
static void read_info(struct kv_stmt *s, int64_t now, struct kv_user_token_info *info)
{
    memset(info, 0, sizeof(*info));
    kv_str_copy(info->id, sizeof(info->id), kv_stmt_col_text(s, 0));
    kv_str_copy(info->owner_type, sizeof(info->owner_type), kv_stmt_col_text(s, 1));
    kv_str_copy(info->owner_id, sizeof(info->owner_id), kv_stmt_col_text(s, 2));
    info->created_ms = kv_stmt_col_int64(s, 3);
    info->expires_ms = kv_stmt_col_is_null(s, 4) ? 0 : kv_stmt_col_int64(s, 4);
    info->revoked_ms = kv_stmt_col_is_null(s, 5) ? 0 : kv_stmt_col_int64(s, 5);
    info->status = info->revoked_ms ? "revoked" : info->expires_ms <= now ? "expired" : "active";
}

/* Marks token id revoked at now and logs USER_TOKEN_REVOKED with reason, inside the caller's
 * transaction. *out_changed = 1 when it was not revoked before. */
static int revoke_one(struct kv_db *db, const char *id, const char *subject, const char *reason,
                      int64_t now, int *out_changed, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char props[96];
    int rc;

    *out_changed = 0;
    rc = kv_db_prepare(db, SQL_TOK_REVOKE, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_text(s, 2, id, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0 || kv_db_changes(db) == 0)
        return rc < 0 ? rc : 0;
    *out_changed = 1;
    snprintf(props, sizeof(props), "{\"tokenId\":\"%.16s\",\"reason\":\"%s\"}", id, reason);
    return kv__dir_event(db, "USER_TOKEN_REVOKED", NULL, subject, props, err);
}

/* Revokes every valid token of the owner inside the caller's transaction. */
static int revoke_owner_tx(struct kv_db *db, const char *owner_type, const char *owner_id,
                           const char *reason, int64_t now, int *out_n, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char(*ids)[ID_LEN + 1] = NULL, subject[24];
    size_t n = 0, cap = 0, i;
    int rc, changed;

    *out_n = 0;
    subject_of(owner_type, owner_id, subject);
    rc = kv_db_prepare(db, SQL_TOK_VALID_OF, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner_type, -1);
    kv_stmt_bind_text(s, 2, owner_id, -1);
    kv_stmt_bind_int64(s, 3, now);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            ids = kv_xrealloc(ids, cap * sizeof(*ids));
        }
        kv_str_copy(ids[n++], ID_LEN + 1, kv_stmt_col_text(s, 0));
    }
    kv_stmt_done(s);
    for (i = 0; rc >= 0 && i < n; i++) {
        rc = revoke_one(db, ids[i], subject, reason, now, &changed, err);
        *out_n += changed;
    }
    free(ids);
    return rc < 0 ? rc : 0;
}

int kv_user_token_issue(struct kv_db *db, const char *owner_type, const char *owner_id,
                        int64_t ttl_ms, unsigned flags, char **out_token,
                        struct kv_user_token_info *out_info, int *out_revoked, struct kv_err *err)
{
    struct kv_mailbox mb;
    struct kv_stmt *s = NULL;
    unsigned char raw[TOKEN_BYTES];
    char tok[TOKEN_LEN + 1], sha[KV_SHA256_HEX_LEN + 1], id[ID_LEN + 1], subject[24];
    char props[128], when[32];
    int64_t now;
    int rc, revoked = 0;

    *out_token = NULL;
    if (out_revoked)
        *out_revoked = 0;
    if (ttl_ms == 0)
        ttl_ms = KV_USER_TOKEN_TTL_DEFAULT_MS;
    if (ttl_ms < KV_USER_TOKEN_TTL_MIN_MS || ttl_ms > KV_USER_TOKEN_TTL_MAX_MS)
        return kv_err_set(err, KV_EINVAL,
                          "a token's lifetime must be between 1 minute and 365 days");
    if (kv_random_bytes(raw, sizeof(raw)) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes");
    memcpy(tok, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
    kv__dir_hex(raw, sizeof(raw), tok + sizeof(TOKEN_PREFIX) - 1);
    kv_sha256_hex(tok, TOKEN_LEN, sha);
    memcpy(id, sha, ID_LEN);
    id[ID_LEN] = '\0';
    rc = kv_db_begin(db, err);
    if (rc < 0)
        goto wipe;
    now = kv_clock_now_ms();
    rc = kv_mailbox_find(db, owner_type, owner_id, &mb, err);
    if (rc < 0)
        goto out;
    if (!(flags & KV_USER_TOKEN_KEEP_OTHERS)) {
        rc = revoke_owner_tx(db, mb.owner_type, mb.owner_id, "replaced", now, &revoked, err);
        if (rc < 0)
            goto out;
    }
    rc = kv_db_prepare(db, SQL_TOK_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, sha, -1);
    kv_stmt_bind_text(s, 2, mb.owner_type, -1);
    kv_stmt_bind_text(s, 3, mb.owner_id, -1);
    kv_stmt_bind_int64(s, 4, now);
    kv_stmt_bind_text(s, 5, id, -1);
    kv_stmt_bind_int64(s, 6, now + ttl_ms);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    subject_of(mb.owner_type, mb.owner_id, subject);
    kv_clock_format_utc(now + ttl_ms, when, sizeof(when));
    snprintf(props, sizeof(props), "{\"tokenId\":\"%s\",\"expiresAt\":\"%s\"}", id, when);
    rc = kv__dir_event(db, "USER_TOKEN_CREATED", NULL, subject, props, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0) {
        kv_db_rollback(db);
    } else {
        *out_token = kv_xstrdup(tok);
        if (out_revoked)
            *out_revoked = revoked;
        if (out_info) {
            memset(out_info, 0, sizeof(*out_info));
            memcpy(out_info->id, id, sizeof(out_info->id));
            kv_str_copy(out_info->owner_type, sizeof(out_info->owner_type), mb.owner_type);
            kv_str_copy(out_info->owner_id, sizeof(out_info->owner_id), mb.owner_id);
            out_info->created_ms = now;
            out_info->expires_ms = now + ttl_ms;
            out_info->status = "active";
        }
    }
wipe:
    memset(tok, 0, sizeof(tok));
    memset(raw, 0, sizeof(raw));
    return rc;
}

int kv_user_token_new(struct kv_db *db, const char *owner_type, const char *owner_id,
                      char **out_token, struct kv_err *err)
{
    return kv_user_token_issue(db, owner_type, owner_id, 0, 0, out_token, NULL, NULL, err);
}

int kv_user_token_list(struct kv_db *db, const char *owner_type, const char *owner_id,
                       struct kv_user_token_info **out, size_t *out_n, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_user_token_info *v = NULL;
    size_t n = 0, cap = 0;
    int64_t now = kv_clock_now_ms();
    int rc;

    *out = NULL;
    *out_n = 0;
    rc = kv_db_prepare(db, SQL_TOK_LIST, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner_type, -1);
    kv_stmt_bind_text(s, 2, owner_id, -1);
    kv_stmt_bind_int64(s, 3, KV_USER_TOKEN_LIST_MAX);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            v = kv_xrealloc(v, cap * sizeof(*v));
        }
        read_info(s, now, &v[n++]);
    }
    kv_stmt_done(s);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *out_n = n;
    return 0;
}

/* 1 when s is ID_LEN hex digits; copies it lower-cased into out. */
static int token_id(const char *s, char out[ID_LEN + 1])
{
    size_t i;

    if (!s || strlen(s) != ID_LEN)
        return 0;
    for (i = 0; i < ID_LEN; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
        out[i] = c;
    }
    out[ID_LEN] = '\0';
    return 1;
}

int kv_user_token_revoke(struct kv_db *db, const char *id, struct kv_user_token_info *out_info,
                         int *out_already, struct kv_err *err)
{
    struct kv_user_token_info info;
    struct kv_stmt *s = NULL;
    char lid[ID_LEN + 1], subject[24];
    int64_t now;
    int rc, changed = 0;

    if (out_already)
        *out_already = 0;
    if (!token_id(id, lid))
        return kv_err_set(err, KV_ENOTFOUND, "no user token with id %.40s", id ? id : "");
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    now = kv_clock_now_ms();
    rc = kv_db_prepare(db, SQL_TOK_BY_ID, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, lid, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        read_info(s, now, &info);
    kv_stmt_done(s);
    if (rc == KV_DONE)
        rc = kv_err_set(err, KV_ENOTFOUND, "no user token with id %s", lid);
    if (rc < 0)
        goto out;
    subject_of(info.owner_type, info.owner_id, subject);
    rc = revoke_one(db, lid, subject, "revoked", now, &changed, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0) {
        kv_db_rollback(db);
        return rc;
    }
    if (changed) {
        info.revoked_ms = now;
        info.status = "revoked";
    }
    if (out_already)
        *out_already = !changed;
    if (out_info)
        *out_info = info;
    return 0;
}

int kv_user_token_revoke_owner(struct kv_db *db, const char *owner_type, const char *owner_id,
                               int *out_n, struct kv_err *err)
{
    int rc, n = 0;

    if (out_n)
        *out_n = 0;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = revoke_owner_tx(db, owner_type, owner_id, "revoked", kv_clock_now_ms(), &n, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc < 0) {
        kv_db_rollback(db);
        return rc;
    }
    if (out_n)
        *out_n = n;
    return 0;
}

int kv_user_authenticate(struct kv_db *db, const char *authorization, char out_owner_type[4],
                         char out_owner_id[11], struct kv_err *err)
{
    const char *tok = kv__dir_auth_param(authorization, "Bearer");
    struct kv_stmt *s = NULL;
    char sha[KV_SHA256_HEX_LEN + 1];
    size_t len;
    int rc;

    out_owner_type[0] = '\0';
    out_owner_id[0] = '\0';
    if (!authorization || !*authorization)
        return kv_err_set(err, KV_EAUTH, "missing Authorization header");
    if (!tok)
        return kv_err_set(err, KV_EAUTH, "Authorization must be \"Bearer <token>\"");
    len = strlen(tok);
    while (len > 0 && tok[len - 1] == ' ')
        len--;
    if (len != TOKEN_LEN || strncmp(tok, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1) != 0)
        return kv_err_set(err, KV_EAUTH, "malformed bearer token");
    kv_sha256_hex(tok, len, sha);
    rc = kv_db_prepare(db, SQL_TOK_AUTH, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, sha, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *stored = kv_stmt_col_text(s, 0);

        if (!stored || strlen(stored) != KV_SHA256_HEX_LEN ||
            !kv_ct_equal(stored, sha, KV_SHA256_HEX_LEN)) {
            rc = kv_err_set(err, KV_EAUTH, "invalid bearer token");
        } else if (!kv_stmt_col_is_null(s, 4)) {
            rc = kv_err_set(err, KV_EAUTH, "the bearer token has been revoked");
        } else if (kv_stmt_col_is_null(s, 3) || kv_stmt_col_int64(s, 3) <= kv_clock_now_ms()) {
            rc = kv_err_set(err, KV_EAUTH, "the bearer token has expired");
        } else {
            kv_str_copy(out_owner_type, 4, kv_stmt_col_text(s, 1));
            kv_str_copy(out_owner_id, 11, kv_stmt_col_text(s, 2));
            rc = 0;
        }
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_EAUTH, "invalid bearer token");
    }
    kv_stmt_done(s);
    return rc;
}

int kv_user_token_seen(struct kv_db *db, const char *authorization, const char *user_agent,
                       int64_t now, struct kv_err *err)
{
    const char *tok = kv__dir_auth_param(authorization, "Bearer");
    struct kv_stmt *s = NULL;
    char sha[KV_SHA256_HEX_LEN + 1];
    size_t len, ual;
    int rc;

    if (!tok)
        return 0;
    len = strlen(tok);
    while (len > 0 && tok[len - 1] == ' ')
        len--;
    if (len != TOKEN_LEN)
        return 0;
    kv_sha256_hex(tok, len, sha);
    ual = user_agent ? strlen(user_agent) : 0;
    rc = kv_db_prepare(db,
                       "UPDATE user_tokens SET last_used_ms = ?, user_agent = COALESCE("
                       "user_agent, ?) WHERE token_sha256 = ? AND (last_used_ms IS NULL OR "
                       "last_used_ms <= ?)",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_text(s, 2, user_agent ? user_agent : "", (long)(ual > 512 ? 512 : ual));
    kv_stmt_bind_text(s, 3, sha, -1);
    kv_stmt_bind_int64(s, 4, now - 60 * 1000);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* 1 when v is NULL or at most 128 bytes without control characters. */
static int device_text_ok(const char *v)
{
    size_t i;

    if (!v)
        return 1;
    for (i = 0; v[i]; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f || i >= 128)
            return 0;
    return 1;
}

int kv_user_token_set_device(struct kv_db *db, const char *id, const char *device_id,
                             const char *device_name, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    if (!device_text_ok(device_id) || !device_text_ok(device_name))
        return kv_err_set(err, KV_EINVAL,
                          "deviceId and deviceName are at most 128 characters of text");
    rc = kv_db_prepare(db, "UPDATE user_tokens SET device_id = COALESCE(?, device_id), "
                           "device_name = COALESCE(?, device_name) WHERE id = ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, device_id && *device_id ? device_id : NULL, -1);
    kv_stmt_bind_text(s, 2, device_name && *device_name ? device_name : NULL, -1);
    kv_stmt_bind_text(s, 3, id, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (kv_db_changes(db) == 0)
        return kv_err_set(err, KV_ENOTFOUND, "no such token");
    return 0;
}

/* SPDX-License-Identifier: MIT
 *
 * user_token.c: bearer tokens for the mailbox read API (see directory.h). A token is "kvu_"
 * followed by 32 random bytes in lowercase hex; only its SHA-256 is stored (table
 * user_tokens), so a lookup by hash finds the owner and the token itself is shown once.
 * Issuing requires an existing mailbox and records event USER_TOKEN_CREATED.
 */
#include "hub/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/directory_int.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/xmalloc.h"

#define TOKEN_PREFIX "kvu_"
#define TOKEN_BYTES 32
#define TOKEN_LEN (sizeof(TOKEN_PREFIX) - 1 + 2 * TOKEN_BYTES)

static const char SQL_TOK_ADD[] =
    "INSERT INTO user_tokens (token_sha256, owner_type, owner_id, created_ms) VALUES (?, ?, ?, ?)";
static const char SQL_TOK_GET[] =
    "SELECT token_sha256, owner_type, owner_id FROM user_tokens WHERE token_sha256 = ?";

int kv_user_token_new(struct kv_db *db, const char *owner_type, const char *owner_id,
                      char **out_token, struct kv_err *err)
{
    struct kv_mailbox mb;
    struct kv_stmt *s = NULL;
    unsigned char raw[TOKEN_BYTES];
    char tok[TOKEN_LEN + 1], sha[KV_SHA256_HEX_LEN + 1], subject[24];
    int rc;

    *out_token = NULL;
    if (kv_random_bytes(raw, sizeof(raw)) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes");
    memcpy(tok, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
    kv__dir_hex(raw, sizeof(raw), tok + sizeof(TOKEN_PREFIX) - 1);
    kv_sha256_hex(tok, TOKEN_LEN, sha);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_mailbox_find(db, owner_type, owner_id, &mb, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, SQL_TOK_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, sha, -1);
    kv_stmt_bind_text(s, 2, mb.owner_type, -1);
    kv_stmt_bind_text(s, 3, mb.owner_id, -1);
    kv_stmt_bind_int64(s, 4, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    snprintf(subject, sizeof(subject), "%s:%s", strcmp(mb.owner_type, "CPR") == 0 ? "cpr" : "cvr",
             mb.owner_id);
    rc = kv__dir_event(db, "USER_TOKEN_CREATED", NULL, subject, NULL, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    else
        *out_token = kv_xstrdup(tok);
    memset(tok, 0, sizeof(tok));
    memset(raw, 0, sizeof(raw));
    return rc;
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
    rc = kv_db_prepare(db, SQL_TOK_GET, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, sha, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *stored = kv_stmt_col_text(s, 0);

        if (stored && strlen(stored) == KV_SHA256_HEX_LEN &&
            kv_ct_equal(stored, sha, KV_SHA256_HEX_LEN)) {
            kv__dir_copy(out_owner_type, 4, kv_stmt_col_text(s, 1));
            kv__dir_copy(out_owner_id, 11, kv_stmt_col_text(s, 2));
            rc = 0;
        } else {
            rc = kv_err_set(err, KV_EAUTH, "invalid bearer token");
        }
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_EAUTH, "invalid bearer token");
    }
    kv_stmt_done(s);
    return rc;
}

/* SPDX-License-Identifier: MIT
 *
 * system_secret.c: rotating a system's API secret (see directory.h, kv_system_rotate_secret;
 * NgDP calls it "renew API token"). A fresh 32-byte secret replaces the stored SHA-256 in one
 * transaction with the event SYSTEM_SECRET_ROTATED, so the old token stops authenticating the
 * moment the new one is handed out. The new token is returned once and never stored or
 * logged; the system keeps its id, so only the secret half of the token changes. The secret
 * and token formats (kv__dir_new_secret, kv__dir_system_token) are shared with kv_system_add.
 */
#include "hub/directory.h"

#include <stdio.h>
#include <string.h>

#include "hub/directory_int.h"
#include "store/store.h"
#include "util/base64.h"
#include "util/crypto.h"

#define SECRET_BYTES (KV__DIR_SECRET_HEX / 2)

int kv__dir_new_secret(char *secret, char *sha, struct kv_err *err)
{
    unsigned char raw[SECRET_BYTES];

    if (kv_random_bytes(raw, sizeof(raw)) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes");
    kv__dir_hex(raw, sizeof(raw), secret);
    kv_sha256_hex(secret, KV__DIR_SECRET_HEX, sha);
    memset(raw, 0, sizeof(raw));
    return 0;
}

char *kv__dir_system_token(const char *id, const char *secret)
{
    char cred[36 + 1 + KV__DIR_SECRET_HEX + 1];
    char *token = NULL;
    size_t n;

    snprintf(cred, sizeof(cred), "%s:%s", id, secret);
    if (kv_b64_encode(cred, strlen(cred), 4 * sizeof(cred), &token, &n) < 0)
        token = NULL; /* cannot happen: the bound is above any encoding of cred */
    memset(cred, 0, sizeof(cred));
    return token;
}

int kv_system_rotate_secret(struct kv_db *db, const char *id, char **out_token, struct kv_err *err)
{
    struct kv_system sys;
    struct kv_stmt *s = NULL;
    char secret[KV__DIR_SECRET_HEX + 1], sha[KV_SHA256_HEX_LEN + 1];
    char subject[16];
    int rc;

    *out_token = NULL;
    rc = kv__dir_new_secret(secret, sha, err);
    if (rc < 0)
        return rc;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        goto wipe;
    rc = kv_system_get(db, id, &sys, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, "UPDATE systems SET secret_sha256 = ? WHERE id = ?", &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, sha, -1);
    kv_stmt_bind_text(s, 2, sys.id, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    kv_db_credentials_changed(db); /* the gate's cache (hub/system_cache.h) */
    if (rc < 0)
        goto out;
    snprintf(subject, sizeof(subject), "cvr:%s", sys.org_cvr);
    rc = kv__dir_event(db, "SYSTEM_SECRET_ROTATED", sys.id, subject, NULL, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0) {
        kv_db_rollback(db);
    } else {
        *out_token = kv__dir_system_token(sys.id, secret);
    }
wipe:
    memset(secret, 0, sizeof(secret));
    return rc;
}

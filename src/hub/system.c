/* SPDX-License-Identifier: MIT
 *
 * system.c: sender and recipient systems and their API tokens (see directory.h).
 *
 * Token: base64("<systemId>:<secret>"), systemId the system's UUID v4 and secret 32 random
 * bytes in lowercase hex (64 characters). Only hex SHA-256 of the secret text is stored.
 * Authentication decodes the token, looks the system up by id and compares the SHA-256 of the
 * presented secret with the stored one in constant time; an unknown id is compared against a
 * dummy hash so both failures take the same path and give the same message.
 */
#include "hub/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hub/directory_int.h"
#include "store/store.h"
#include "util/base64.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"

#define SECRET_HEX KV__DIR_SECRET_HEX
#define TOKEN_MAX 256 /* longest base64 token accepted before decoding */

static const char SQL_SYS_ADD[] =
    "INSERT INTO systems (id, org_cvr, kind, name, secret_sha256, receipt_url, protocol,"
    " push_url, contact_email, is_default, status, created_ms, technical_contact, supplier,"
    " allowed_ips, active_from, active_to)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)";
static const char SQL_SYS_GET[] =
    "SELECT id, org_cvr, kind, name, receipt_url, protocol, push_url, contact_email,"
    " is_default, status, created_ms, secret_sha256, technical_contact, supplier, allowed_ips,"
    " active_from, active_to FROM systems WHERE id = ?";
static const char SQL_SYS_UNDEFAULT[] =
    "UPDATE systems SET is_default = 0 WHERE org_cvr = ? AND kind = 'recipient'";
static const char SQL_SYS_STATUS[] = "UPDATE systems SET status = ? WHERE id = ?";
static const char SQL_SYS_PREV_DEFAULT[] =
    "SELECT id FROM systems WHERE org_cvr = ? AND kind = 'recipient' AND is_default = 1"
    " AND id <> ? ORDER BY id";
static const char SQL_SYS_MAKE_DEFAULT[] = "UPDATE systems SET is_default = 1 WHERE id = ?";

static int is_uuid(const char *s, size_t n)
{
    size_t i;

    if (n != 36)
        return 0;
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static int is_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static const char *nz(const char *s)
{
    return s[0] ? s : NULL;
}

int kv_system_add(struct kv_db *db, struct kv_system *sys, char **out_token, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_org org;
    char secret[SECRET_HEX + 1], sha[KV_SHA256_HEX_LEN + 1];
    char subject[16], *props_txt = NULL;
    json_t *props = NULL;
    struct kv_problem problem;
    int rc;

    *out_token = NULL;
    if (strcmp(sys->kind, "recipient") == 0 && sys->protocol == KV_PROTOCOL_NONE)
        sys->protocol = KV_PROTOCOL_PULL;
    kv_problem_init(&problem);
    rc = kv_system_check_fields(sys, &problem);
    if (rc < 0)
        kv_err_set(err, rc, "%s", problem.message);
    kv_problem_release(&problem);
    if (rc < 0)
        return rc;
    if (kv_uuid_v4(sys->id) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes");
    rc = kv__dir_new_secret(secret, sha, err);
    if (rc < 0)
        return rc;
    kv_str_copy(sys->status, sizeof(sys->status), "active");
    sys->created_ms = kv_clock_now_ms();

    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_org_get(db, sys->org_cvr, &org, err);
    if (rc < 0)
        goto out;
    if (sys->is_default) {
        rc = kv_db_prepare(db, SQL_SYS_UNDEFAULT, &s, err);
        if (rc < 0)
            goto out;
        kv_stmt_bind_text(s, 1, sys->org_cvr, -1);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        kv_db_credentials_changed(db); /* the gate's cache (hub/system_cache.h) */
        if (rc < 0)
            goto out;
    }
    rc = kv_db_prepare(db, SQL_SYS_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, sys->id, -1);
    kv_stmt_bind_text(s, 2, sys->org_cvr, -1);
    kv_stmt_bind_text(s, 3, sys->kind, -1);
    kv_stmt_bind_text(s, 4, sys->name, -1);
    kv_stmt_bind_text(s, 5, sha, -1);
    kv_stmt_bind_text(s, 6, nz(sys->receipt_url), -1);
    kv_stmt_bind_text(s, 7, nz(kv_protocol_name(sys->protocol)), -1);
    kv_stmt_bind_text(s, 8, nz(sys->push_url), -1);
    kv_stmt_bind_text(s, 9, nz(sys->contact_email), -1);
    kv_stmt_bind_int64(s, 10, sys->is_default ? 1 : 0);
    kv_stmt_bind_int64(s, 11, sys->created_ms);
    kv_stmt_bind_text(s, 12, nz(sys->technical_contact), -1);
    kv_stmt_bind_text(s, 13, nz(sys->supplier), -1);
    kv_stmt_bind_text(s, 14, nz(sys->allowed_ips), -1);
    kv_stmt_bind_text(s, 15, nz(sys->active_from), -1);
    kv_stmt_bind_text(s, 16, nz(sys->active_to), -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    props = json_pack("{s:s,s:s,s:s}", "kind", sys->kind, "name", sys->name, "orgCvr",
                      sys->org_cvr);
    if (sys->receipt_url[0])
        json_object_set_new(props, "receiptUrl", json_string(sys->receipt_url));
    if (sys->protocol != KV_PROTOCOL_NONE)
        json_object_set_new(props, "protocol", json_string(kv_protocol_name(sys->protocol)));
    if (sys->allowed_ips[0])
        json_object_set_new(props, "allowedIps", json_string(sys->allowed_ips));
    if (sys->active_from[0])
        json_object_set_new(props, "activeFrom", json_string(sys->active_from));
    if (sys->active_to[0])
        json_object_set_new(props, "activeTo", json_string(sys->active_to));
    props_txt = json_dumps(props, JSON_COMPACT);
    snprintf(subject, sizeof(subject), "cvr:%s", sys->org_cvr);
    rc = kv__dir_event(db, "SYSTEM_CREATED", sys->id, subject, props_txt, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0) {
        kv_db_rollback(db);
    } else {
        *out_token = kv__dir_system_token(sys->id, secret);
    }
    json_decref(props);
    free(props_txt);
    memset(secret, 0, sizeof(secret));
    return rc;
}

/* Reads a system row; sha (optional, KV_SHA256_HEX_LEN + 1) receives the stored secret hash. */
static int system_get(struct kv_db *db, const char *id, struct kv_system *out, char *sha,
                      struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_db_prepare(db, SQL_SYS_GET, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv_str_copy(out->id, sizeof(out->id), kv_stmt_col_text(s, 0));
        kv_str_copy(out->org_cvr, sizeof(out->org_cvr), kv_stmt_col_text(s, 1));
        kv_str_copy(out->kind, sizeof(out->kind), kv_stmt_col_text(s, 2));
        kv_str_copy(out->name, sizeof(out->name), kv_stmt_col_text(s, 3));
        kv_str_copy(out->receipt_url, sizeof(out->receipt_url), kv_stmt_col_text(s, 4));
        if (kv_protocol_parse(kv_stmt_col_text(s, 5), &out->protocol) < 0)
            out->protocol = KV_PROTOCOL_NONE; /* a name this build does not know */
        kv_str_copy(out->push_url, sizeof(out->push_url), kv_stmt_col_text(s, 6));
        kv_str_copy(out->contact_email, sizeof(out->contact_email), kv_stmt_col_text(s, 7));
        out->is_default = (int)kv_stmt_col_int64(s, 8);
        kv_str_copy(out->status, sizeof(out->status), kv_stmt_col_text(s, 9));
        out->created_ms = kv_stmt_col_int64(s, 10);
        if (sha)
            kv_str_copy(sha, KV_SHA256_HEX_LEN + 1, kv_stmt_col_text(s, 11));
        kv_str_copy(out->technical_contact, sizeof(out->technical_contact),
                    kv_stmt_col_text(s, 12));
        kv_str_copy(out->supplier, sizeof(out->supplier), kv_stmt_col_text(s, 13));
        kv_str_copy(out->allowed_ips, sizeof(out->allowed_ips), kv_stmt_col_text(s, 14));
        kv_str_copy(out->active_from, sizeof(out->active_from), kv_stmt_col_text(s, 15));
        kv_str_copy(out->active_to, sizeof(out->active_to), kv_stmt_col_text(s, 16));
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no system with id %.40s", id ? id : "");
    }
    kv_stmt_done(s);
    return rc;
}

int kv_system_get(struct kv_db *db, const char *id, struct kv_system *out, struct kv_err *err)
{
    return system_get(db, id, out, NULL, err);
}

int kv__system_token_parse(const char *authorization, char id[37],
                           char got[KV_SHA256_HEX_LEN + 1], struct kv_err *err)
{
    const char *tok = kv__dir_auth_param(authorization, "Basic");
    unsigned char *raw = NULL;
    size_t rawlen = 0, toklen;
    const char *colon, *secret;

    if (!authorization || !*authorization)
        return kv_err_set(err, KV_EAUTH, "missing Authorization header");
    if (!tok)
        return kv_err_set(err, KV_EAUTH, "Authorization must be \"Basic <API token>\"");
    toklen = strlen(tok);
    while (toklen > 0 && tok[toklen - 1] == ' ')
        toklen--;
    if (toklen > TOKEN_MAX || kv_b64_decode(tok, toklen, TOKEN_MAX, &raw, &rawlen) < 0)
        return kv_err_set(err, KV_EAUTH, "malformed API token");
    colon = memchr(raw, ':', rawlen);
    secret = colon ? colon + 1 : NULL;
    if (!colon || !is_uuid((const char *)raw, (size_t)(colon - (const char *)raw)) ||
        rawlen - (size_t)(secret - (const char *)raw) != SECRET_HEX ||
        !is_hex(secret, SECRET_HEX)) {
        free(raw);
        return kv_err_set(err, KV_EAUTH, "malformed API token");
    }
    memcpy(id, raw, 36);
    id[36] = '\0';
    kv_sha256_hex(secret, SECRET_HEX, got);
    explicit_bzero(raw, rawlen);
    free(raw);
    return 0;
}

int kv__system_get_auth(struct kv_db *db, const char *id, struct kv_system *out,
                        char want[KV_SHA256_HEX_LEN + 1], struct kv_err *err)
{
    int rc;

    want[0] = '\0';
    rc = system_get(db, id, out, want, NULL);
    if (rc < 0 && rc != KV_ENOTFOUND)
        return kv_err_set(err, rc, "cannot read systems");
    return rc;
}

int kv__system_auth_decide(int found, const char *got, const char *want, struct kv_system *out,
                           struct kv_err *err)
{
    char dummy[KV_SHA256_HEX_LEN + 1];

    found = found && strlen(want) == KV_SHA256_HEX_LEN;
    if (!found) { /* same work as a real comparison */
        memset(dummy, 'x', KV_SHA256_HEX_LEN);
        want = dummy;
    }
    if (!kv_ct_equal(got, want, KV_SHA256_HEX_LEN) || !found) {
        memset(out, 0, sizeof(*out));
        return kv_err_set(err, KV_EAUTH, "invalid API token");
    }
    if (strcmp(out->status, "active") != 0) {
        memset(out, 0, sizeof(*out));
        return kv_err_set(err, KV_EAUTH, "the system is deactivated");
    }
    return 0;
}

int kv_system_authenticate(struct kv_db *db, const char *authorization, struct kv_system *out,
                           struct kv_err *err)
{
    char id[37], got[KV_SHA256_HEX_LEN + 1], want[KV_SHA256_HEX_LEN + 1];
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv__system_token_parse(authorization, id, got, err);
    if (rc < 0)
        return rc;
    rc = kv__system_get_auth(db, id, out, want, err);
    if (rc < 0 && rc != KV_ENOTFOUND)
        return rc;
    return kv__system_auth_decide(rc == 0, got, want, out, err);
}

int kv_system_set_status(struct kv_db *db, const char *id, const char *status, struct kv_err *err)
{
    struct kv_system sys;
    struct kv_stmt *s = NULL;
    char subject[16], props[64];
    int rc;

    if (!status || (strcmp(status, "active") != 0 && strcmp(status, "deactivated") != 0))
        return kv_err_set(err, KV_EINVAL, "status must be active or deactivated");
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_system_get(db, id, &sys, err);
    if (rc < 0)
        goto out;
    if (strcmp(sys.status, status) == 0) { /* nothing changes, nothing logged */
        kv_db_rollback(db);
        return 0;
    }
    rc = kv_db_prepare(db, SQL_SYS_STATUS, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, status, -1);
    kv_stmt_bind_text(s, 2, id, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    kv_db_credentials_changed(db); /* the gate's cache (hub/system_cache.h) */
    if (rc < 0)
        goto out;
    snprintf(subject, sizeof(subject), "cvr:%s", sys.org_cvr);
    snprintf(props, sizeof(props), "{\"status\":\"%s\"}", status);
    rc = kv__dir_event(db, strcmp(status, "active") == 0 ? "SYSTEM_ACTIVATED" : "SYSTEM_DEACTIVATED",
                       id, subject, props, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

/* Lower-cases a system id into out (37 bytes); "" when it is too long to be one. */
static void id_lower(const char *id, char out[37])
{
    size_t i, n = id ? strlen(id) : 0;

    out[0] = '\0';
    if (n > 36)
        return;
    for (i = 0; i < n; i++)
        out[i] = (id[i] >= 'A' && id[i] <= 'Z') ? (char)(id[i] - 'A' + 'a') : id[i];
    out[n] = '\0';
}

int kv_system_set_default(struct kv_db *db, const char *id, char out_previous[37],
                          struct kv_err *err)
{
    struct kv_system sys;
    struct kv_stmt *s = NULL;
    char lid[37], subject[16];
    json_t *props = NULL, *prev = NULL;
    char *props_txt = NULL;
    int rc;

    if (out_previous)
        out_previous[0] = '\0';
    id_lower(id, lid);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_system_get(db, lid, &sys, err);
    if (rc < 0)
        goto out;
    if (strcmp(sys.kind, "recipient") != 0) {
        rc = kv_err_set(err, KV_EINVAL, "only a recipient system can be its organisation's "
                        "default; %s is a %s system", sys.id, sys.kind);
        goto out;
    }
    /* Every other default of the organisation (at most one, unless data written by hand
     * made more) is named in the event and cleared. */
    prev = json_array();
    rc = kv_db_prepare(db, SQL_SYS_PREV_DEFAULT, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, sys.org_cvr, -1);
    kv_stmt_bind_text(s, 2, sys.id, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        json_array_append_new(prev, json_string(kv_stmt_col_text(s, 0)));
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (sys.is_default && json_array_size(prev) == 0) { /* nothing changes, nothing logged */
        kv_db_rollback(db);
        json_decref(prev);
        return 0;
    }
    if (out_previous && json_array_size(prev) > 0)
        kv_str_copy(out_previous, 37, json_string_value(json_array_get(prev, 0)));
    rc = kv_db_prepare(db, SQL_SYS_UNDEFAULT, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, sys.org_cvr, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    kv_db_credentials_changed(db); /* the gate's cache (hub/system_cache.h) */
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, SQL_SYS_MAKE_DEFAULT, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, sys.id, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    kv_db_credentials_changed(db); /* the gate's cache (hub/system_cache.h) */
    if (rc < 0)
        goto out;
    props = json_pack("{s:s,s:s,s:O}", "orgCvr", sys.org_cvr, "default", sys.id, "previous",
                      json_array_size(prev) > 0 ? json_array_get(prev, 0) : json_null());
    props_txt = json_dumps(props, JSON_COMPACT);
    snprintf(subject, sizeof(subject), "cvr:%s", sys.org_cvr);
    rc = kv__dir_event(db, "SYSTEM_DEFAULT_CHANGED", sys.id, subject, props_txt, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    json_decref(prev);
    json_decref(props);
    free(props_txt);
    return rc;
}

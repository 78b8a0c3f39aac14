/* SPDX-License-Identifier: MIT
 *
 * oidc.c: sign-in with OpenID Connect, authorisation code flow with PKCE (S256), state and
 * nonce (docs/web.md). GET /login/oidc stores a sign-in in progress (web_oidc_logins: the
 * SHA-256 of state, the nonce, the PKCE verifier, where to go afterwards), binds its state to
 * the browser with a short-lived cookie, and redirects to the provider. GET
 * /login/oidc/callback checks the state against that cookie, consumes the row (so a replayed
 * callback finds nothing), redeems the code at the token endpoint (client_secret_basic,
 * code_verifier), and verifies the ID token with libcjose against the provider's JWKS:
 * signature (RS256/384/512, PS256/384/512, ES256/384/512 only; the key chosen by kid and of
 * the matching type), iss, aud (and azp), exp, iat and nonce. Its claims are then mapped by
 * the configured claim names to a citizen (CPR) or an employee (e-mail).
 *
 * Provider metadata (discovery) and keys (JWKS) are fetched with libcurl and cached in the
 * process; an unknown kid refetches the JWKS at most once a minute (key rotation).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <jansson.h>

#include "http/http.h"
#include "hub/hub.h"
#include "store/store.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/outbound.h"
#include "util/url.h"
#include "web/i18n.h"
#include "web/login.h"
#include "web/web.h"
#include "web/who.h"

#define FETCH_MAX ((size_t)1 << 20)    /* largest discovery/JWKS/token answer */
#define FETCH_MS 10000                 /* timeout of one call to the provider */
#define LOGIN_MAX_MS (10 * 60 * 1000)  /* a sign-in must come back within 10 minutes */
#define SKEW_MS (60 * 1000)            /* clock skew allowed on exp and iat */
#define JWKS_REFRESH_MS (60 * 1000)    /* unknown kid: refetch the keys at most this often */
#define STATE_COOKIE "kuvert_oidc"

struct provider {
    char issuer[KV_CONF_STR_MAX];      /* configured issuer the metadata belongs to */
    char authz[KV_CONF_STR_MAX];       /* authorization_endpoint */
    char token[KV_CONF_STR_MAX];       /* token_endpoint */
    char jwks_uri[KV_CONF_STR_MAX];    /* jwks_uri */
    json_t *jwks;                      /* owned: {"keys": [...]} */
    int64_t jwks_ms;                   /* when jwks was fetched */
};

static struct provider prov;
static pthread_mutex_t prov_mu = PTHREAD_MUTEX_INITIALIZER;

int kv_web_oidc_enabled(const struct kv_http_req *req)
{
    return req->hub->conf->oidc_issuer[0] != '\0';
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    return kv_buf_append(ud, p, size * n) < 0 ? 0 : size * n;
}

/* GET (form NULL) or POST form to url; the JSON answer of a 200 goes to *out. */
static int fetch_json(const char *url, const char *form, const char *user, const char *pass,
                      json_t **out, char *why, size_t whylen)
{
    CURL *c = kv_outbound_init(NULL) == 0 ? curl_easy_init() : NULL;
    struct kv_buf b;
    struct curl_slist *hdrs = NULL;
    json_error_t je;
    long status = 0;
    CURLcode cr;
    int rc = KV_EIO;

    *out = NULL;
    if (!c) {
        snprintf(why, whylen, "curl_easy_init failed");
        return KV_EINTERNAL;
    }
    kv_buf_init(&b, FETCH_MAX);
    kv_outbound_http_setup(c, url, FETCH_MS, FETCH_MS);
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (form) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
    }
    cr = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (cr != CURLE_OK) {
        snprintf(why, whylen, "%s: %s", url, curl_easy_strerror(cr));
    } else if (status != 200) {
        snprintf(why, whylen, "%s answered %ld: %.200s", url, status, b.buf);
    } else if (!(*out = json_loadb(b.buf, b.len, 0, &je)) || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        snprintf(why, whylen, "%s: not a JSON object", url);
    } else {
        rc = 0;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    kv_buf_release(&b);
    return rc;
}

static int copy_str(json_t *o, const char *key, char *out, size_t outlen)
{
    const char *v = json_string_value(json_object_get(o, key));

    if (!v || !*v || strlen(v) >= outlen)
        return -1;
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

/* Loads discovery + JWKS for issuer unless cached (or refresh_jwks). Locked by caller. */
static int provider_load(const char *issuer, int refresh_jwks, char *why, size_t whylen)
{
    char url[KV_CONF_STR_MAX + 64];
    json_t *d = NULL, *jwks = NULL;
    size_t il = strlen(issuer);
    int rc;

    if (strcmp(prov.issuer, issuer) != 0) {
        snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
                 (int)(il && issuer[il - 1] == '/' ? il - 1 : il), issuer);
        rc = fetch_json(url, NULL, NULL, NULL, &d, why, whylen);
        if (rc < 0)
            return rc;
        /* OIDC Discovery 4.3: the issuer in the metadata must be exactly the one asked. */
        if (!json_string_value(json_object_get(d, "issuer")) ||
            strcmp(json_string_value(json_object_get(d, "issuer")), issuer) != 0 ||
            copy_str(d, "authorization_endpoint", prov.authz, sizeof(prov.authz)) < 0 ||
            copy_str(d, "token_endpoint", prov.token, sizeof(prov.token)) < 0 ||
            copy_str(d, "jwks_uri", prov.jwks_uri, sizeof(prov.jwks_uri)) < 0) {
            snprintf(why, whylen, "discovery document of %s: issuer mismatch or endpoints missing",
                     issuer);
            json_decref(d);
            return KV_EINVAL;
        }
        json_decref(d);
        if (!kv_url_is_http(prov.authz) || !kv_url_is_http(prov.token) || !kv_url_is_http(prov.jwks_uri)) {
            snprintf(why, whylen, "discovery document of %s: an endpoint is not an http(s) URL",
                     issuer);
            return KV_EINVAL;
        }
        snprintf(prov.issuer, sizeof(prov.issuer), "%s", issuer);
        json_decref(prov.jwks);
        prov.jwks = NULL;
    }
    if (prov.jwks && !refresh_jwks)
        return 0;
    if (prov.jwks && kv_clock_now_ms() - prov.jwks_ms < JWKS_REFRESH_MS)
        return 0;
    rc = fetch_json(prov.jwks_uri, NULL, NULL, NULL, &jwks, why, whylen);
    if (rc < 0)
        return rc;
    if (!json_is_array(json_object_get(jwks, "keys"))) {
        snprintf(why, whylen, "JWKS of %s has no keys", issuer);
        json_decref(jwks);
        return KV_EINVAL;
    }
    json_decref(prov.jwks);
    prov.jwks = jwks;
    prov.jwks_ms = kv_clock_now_ms();
    return 0;
}

/* A copy of the JWK with kid for alg (kty must match), or NULL. Locked by caller. */
static cjose_jwk_t *find_key(const char *kid, const char *alg)
{
    json_t *keys = json_object_get(prov.jwks, "keys"), *k;
    const char *want = (alg[0] == 'E') ? "EC" : "RSA";
    size_t i;
    char *text;
    cjose_jwk_t *jwk = NULL;
    cjose_err ce;

    json_array_foreach(keys, i, k) {
        const char *kkid = json_string_value(json_object_get(k, "kid"));
        const char *kty = json_string_value(json_object_get(k, "kty"));
        const char *use = json_string_value(json_object_get(k, "use"));
        if (!kty || strcmp(kty, want) != 0 || (use && strcmp(use, "sig") != 0))
            continue;
        if (kid && (!kkid || strcmp(kid, kkid) != 0))
            continue;
        text = json_dumps(k, JSON_COMPACT);
        jwk = text ? cjose_jwk_import(text, strlen(text), &ce) : NULL;
        free(text);
        if (jwk)
            return jwk;
    }
    return NULL;
}

static int alg_ok(const char *alg)
{
    static const char *const ok[] = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                     "PS512", "ES256", "ES384", "ES512"};
    size_t i;

    for (i = 0; alg && i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(alg, ok[i]) == 0)
            return 1;
    return 0;
}

/* Verifies the compact ID token and returns its claims (owned) or NULL with why. */
static json_t *verify_id_token(struct kv_hub *hub, const char *token, const char *nonce,
                               char *why, size_t whylen)
{
    const struct kv_conf *c = hub->conf;
    cjose_err ce;
    cjose_jws_t *jws = cjose_jws_import(token, strlen(token), &ce);
    cjose_header_t *hdr;
    cjose_jwk_t *jwk = NULL;
    const char *alg, *kid;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    json_t *claims = NULL, *aud;
    json_error_t je;
    int64_t now = kv_clock_now_ms(), exp, iat;
    int verified = 0, tries;

    if (!jws) {
        snprintf(why, whylen, "ID token is not a compact JWS");
        return NULL;
    }
    hdr = cjose_jws_get_protected(jws);
    alg = cjose_header_get(hdr, CJOSE_HDR_ALG, &ce);
    kid = cjose_header_get(hdr, CJOSE_HDR_KID, &ce);
    if (!alg_ok(alg)) {
        snprintf(why, whylen, "ID token algorithm %s refused", alg ? alg : "(none)");
        goto out;
    }
    for (tries = 0; tries < 2 && !verified; tries++) {
        char w2[256] = "";
        pthread_mutex_lock(&prov_mu);
        if (tries == 1 && provider_load(c->oidc_issuer, 1, w2, sizeof(w2)) < 0)
            kv_log(KV_LOG_WARN, "oidc: %s", w2);
        jwk = find_key(kid, alg);
        pthread_mutex_unlock(&prov_mu);
        if (jwk) {
            verified = cjose_jws_verify(jws, jwk, &ce);
            cjose_jwk_release(jwk);
            jwk = NULL;
            if (!verified)
                break; /* the key is known: a bad signature is no rotation */
        }
    }
    if (!verified) {
        snprintf(why, whylen, "ID token signature does not verify against the provider's keys");
        goto out;
    }
    if (!cjose_jws_get_plaintext(jws, &plain, &plain_len, &ce) ||
        !(claims = json_loadb((const char *)plain, plain_len, 0, &je)) || !json_is_object(claims)) {
        snprintf(why, whylen, "ID token claims are not a JSON object");
        goto fail;
    }
    if (!json_string_value(json_object_get(claims, "iss")) ||
        strcmp(json_string_value(json_object_get(claims, "iss")), c->oidc_issuer) != 0) {
        snprintf(why, whylen, "ID token issuer is not the configured oidc_issuer");
        goto fail;
    }
    aud = json_object_get(claims, "aud");
    if (json_is_string(aud)) {
        if (strcmp(json_string_value(aud), c->oidc_client_id) != 0) {
            snprintf(why, whylen, "ID token audience is not this client");
            goto fail;
        }
    } else if (json_is_array(aud)) {
        size_t i;
        json_t *a;
        int found = 0;
        json_array_foreach(aud, i, a) if (json_is_string(a) &&
                                          strcmp(json_string_value(a), c->oidc_client_id) == 0)
            found = 1;
        const char *azp = json_string_value(json_object_get(claims, "azp"));
        if (!found || (json_array_size(aud) > 1 && (!azp || strcmp(azp, c->oidc_client_id) != 0))) {
            snprintf(why, whylen, "ID token audience is not this client");
            goto fail;
        }
    } else {
        snprintf(why, whylen, "ID token has no audience");
        goto fail;
    }
    if (!json_is_integer(json_object_get(claims, "exp")) ||
        !json_is_integer(json_object_get(claims, "iat"))) {
        snprintf(why, whylen, "ID token lacks exp or iat");
        goto fail;
    }
    exp = json_integer_value(json_object_get(claims, "exp"));
    iat = json_integer_value(json_object_get(claims, "iat"));
    if (exp * 1000 + SKEW_MS <= now) {
        snprintf(why, whylen, "ID token expired");
        goto fail;
    }
    if (iat * 1000 - SKEW_MS > now) {
        snprintf(why, whylen, "ID token issued in the future");
        goto fail;
    }
    if (!json_string_value(json_object_get(claims, "nonce")) ||
        strcmp(json_string_value(json_object_get(claims, "nonce")), nonce) != 0) {
        snprintf(why, whylen, "ID token nonce does not match this sign-in");
        goto fail;
    }
    if (!json_string_value(json_object_get(claims, "sub"))) {
        snprintf(why, whylen, "ID token has no subject");
        goto fail;
    }
    goto out;
fail:
    json_decref(claims);
    claims = NULL;
out:
    cjose_jws_release(jws);
    return claims;
}

static void refuse(struct kv_web_ctx *ctx, const char *text_msgid)
{
    kv_web_message(ctx, 403, N_("Sign-in refused"), text_msgid);
}

static void state_cookie(struct kv_http_req *req, struct kv_http_resp *resp, const char *v,
                         int max_age)
{
    char c[200];

    snprintf(c, sizeof(c), "%s%s=%s; Path=/login/oidc; HttpOnly; SameSite=Lax%s; Max-Age=%d",
             "", STATE_COOKIE, v, kv_web_cookie_secure(req->hub) ? "; Secure" : "", max_age);
    kv_http_resp_header_add(resp, "Set-Cookie", c);
}

int kv_web_oidc_start(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;
    const struct kv_conf *c = req->hub->conf;
    unsigned char rnd[32], dig[32];
    char state[48], nonce[48], verifier[48], challenge[48], hash[65], why[512] = "";
    char redirect[KV_CONF_STR_MAX + 64];
    const char *next = kv_http_req_query(req, "next");
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    struct kv_err err = {0, ""};
    struct kv_html url;
    int rc;

    kv_web_ctx_init(&ctx, req, resp);
    if (!kv_web_oidc_enabled(req)) {
        kv_web_error(&ctx, 404);
        goto out;
    }
    if (!kv_web_login_allowed(req)) {
        kv_web_error(&ctx, 429);
        goto out;
    }
    pthread_mutex_lock(&prov_mu);
    rc = provider_load(c->oidc_issuer, 0, why, sizeof(why));
    pthread_mutex_unlock(&prov_mu);
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: oidc: %s", req->request_id, why);
        kv_web_message(&ctx, 503, N_("Sign-in is not available"),
                       N_("The identity provider cannot be reached. Try again later."));
        goto out;
    }
    if (kv_random_bytes(rnd, sizeof(rnd)) < 0)
        goto fail;
    kv_b64url_encode(rnd, sizeof(rnd), state);
    if (kv_random_bytes(rnd, sizeof(rnd)) < 0)
        goto fail;
    kv_b64url_encode(rnd, sizeof(rnd), nonce);
    if (kv_random_bytes(rnd, sizeof(rnd)) < 0)
        goto fail;
    kv_b64url_encode(rnd, sizeof(rnd), verifier);
    /* S256: BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 4.2) */
    kv_sha256(verifier, strlen(verifier), dig);
    kv_b64url_encode(dig, sizeof(dig), challenge);
    kv_sha256_hex(state, strlen(state), hash);
    if (!next || !kv_html_same_site_path(next) || strlen(next) > 512) /* as login.c */
        next = "/";
    rc = kv_db_acquire(req->hub->store, &db, &err);
    if (rc < 0)
        goto fail;
    rc = kv_db_prepare(db, "INSERT INTO web_oidc_logins (state_sha256, nonce, verifier, "
                           "created_ms, next_path) VALUES (?, ?, ?, ?, ?)", &st, &err);
    if (rc == 0) {
        kv_stmt_bind_text(st, 1, hash, -1);
        kv_stmt_bind_text(st, 2, nonce, -1);
        kv_stmt_bind_text(st, 3, verifier, -1);
        kv_stmt_bind_int64(st, 4, kv_clock_now_ms());
        kv_stmt_bind_text(st, 5, next, -1);
        rc = kv_stmt_step(st, &err);
        kv_stmt_done(st);
    }
    if (rc == 0) {
        /* forget sign-ins that were never finished */
        if (kv_db_prepare(db, "DELETE FROM web_oidc_logins WHERE created_ms < ?", &st, &err) == 0) {
            kv_stmt_bind_int64(st, 1, kv_clock_now_ms() - LOGIN_MAX_MS);
            (void)kv_stmt_step(st, &err);
            kv_stmt_done(st);
        }
    }
    kv_db_release(db);
    if (rc < 0)
        goto fail;
    if (c->oidc_redirect_url[0])
        snprintf(redirect, sizeof(redirect), "%s", c->oidc_redirect_url);
    else if (c->public_url[0])
        snprintf(redirect, sizeof(redirect), "%s/login/oidc/callback", c->public_url);
    else
        snprintf(redirect, sizeof(redirect), "http://%s/login/oidc/callback", c->listen);
    kv_html_init(&url, NULL);
    pthread_mutex_lock(&prov_mu);
    kv_buf_puts(&url.b, prov.authz);
    pthread_mutex_unlock(&prov_mu);
    kv_buf_puts(&url.b, strchr(url.b.buf, '?') ? "&" : "?");
    kv_html(&url, "response_type=code&scope=openid%%20profile%%20email&client_id=%q"
                  "&redirect_uri=%q&state=%q&nonce=%q&code_challenge=%q"
                  "&code_challenge_method=S256",
            c->oidc_client_id, redirect, state, nonce, challenge);
    state_cookie(req, resp, state, 600);
    kv_web_security_headers(resp);
    kv_http_resp_header(resp, "Location", url.b.buf);
    kv_http_resp_bytes(resp, 303, "text/plain; charset=utf-8", "", 0);
    kv_html_release(&url);
    goto out;
fail:
    kv_log(KV_LOG_ERROR, "%s: oidc start failed: %s", req->request_id, err.msg);
    kv_web_error(&ctx, 500);
out:
    kv_web_ctx_release(&ctx);
    return 0;
}

/* Consumes the sign-in in progress for state: 0 and nonce/verifier/next filled, or
 * KV_ENOTFOUND (unknown, already used, or older than LOGIN_MAX_MS). */
static int take_login(struct kv_hub *hub, const char *state, char *nonce, char *verifier,
                      char *next, size_t nextlen)
{
    char hash[65];
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    struct kv_err err = {0, ""};
    int64_t created = 0;
    int rc, found = 0;

    kv_sha256_hex(state, strlen(state), hash);
    rc = kv_db_acquire(hub->store, &db, &err);
    if (rc < 0)
        return rc;
    rc = kv_db_begin(db, &err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, "SELECT nonce, verifier, created_ms, next_path FROM web_oidc_logins "
                           "WHERE state_sha256 = ?", &st, &err);
    if (rc == 0) {
        kv_stmt_bind_text(st, 1, hash, -1);
        if (kv_stmt_step(st, &err) == KV_ROW) {
            snprintf(nonce, 48, "%s", kv_stmt_col_text(st, 0));
            snprintf(verifier, 48, "%s", kv_stmt_col_text(st, 1));
            created = kv_stmt_col_int64(st, 2);
            snprintf(next, nextlen, "%s", kv_stmt_col_text(st, 3));
            found = 1;
        }
        kv_stmt_done(st);
    }
    if (rc == 0 && found) {
        rc = kv_db_prepare(db, "DELETE FROM web_oidc_logins WHERE state_sha256 = ?", &st, &err);
        if (rc == 0) {
            kv_stmt_bind_text(st, 1, hash, -1);
            rc = kv_stmt_step(st, &err);
            kv_stmt_done(st);
        }
    }
    if (rc < 0) {
        kv_db_rollback(db);
        goto out;
    }
    rc = kv_db_commit(db, &err);
    if (rc == 0 && (!found || kv_clock_now_ms() - created > LOGIN_MAX_MS))
        rc = KV_ENOTFOUND;
out:
    if (rc < 0 && rc != KV_ENOTFOUND)
        kv_log(KV_LOG_ERROR, "oidc: sign-in state: %s", err.msg);
    kv_db_release(db);
    return rc;
}

/* Appends name=urlencoded(value) to a form body. */
static void form_add(struct kv_html *f, const char *name, const char *value)
{
    if (f->b.len)
        kv_buf_puts(&f->b, "&");
    kv_buf_puts(&f->b, name);
    kv_buf_puts(&f->b, "=");
    kv_html_esc_component(&f->b, value);
}

/* Maps verified claims to a kuvert identity: NULL and *who filled, or a msgid explaining the
 * refusal. */
static const char *map_claims(struct kv_hub *hub, json_t *claims, struct kv_web_who *who)
{
    const struct kv_conf *c = hub->conf;
    const char *cpr = json_string_value(json_object_get(claims, c->oidc_claim_cpr));
    const char *cvr = json_string_value(json_object_get(claims, c->oidc_claim_cvr));
    const char *emp = json_string_value(json_object_get(claims, c->oidc_claim_employee));
    const char *nm = json_string_value(json_object_get(claims, "name"));
    struct kv_err err = {0, ""};
    size_t i;
    int rc;

    if (emp && (cvr || !cpr)) {
        /* a person acting for an organisation (MitID Erhverv): the employee claim decides */
        rc = kv_web_who_email(hub, emp, cvr, who, &err);
        if (rc == 0)
            return NULL;
        kv_log(KV_LOG_INFO, "oidc: employee refused: %s", err.msg);
        return rc == KV_EPERM && cvr
                   ? N_("You do not act for the organisation the identity provider named.")
                   : N_("This person is not registered as an employee in kuvert. Ask your "
                        "organisation's rights administrator.");
    }
    if (cpr) {
        for (i = 0; i < 10; i++)
            if (cpr[i] < '0' || cpr[i] > '9')
                return N_("The identity provider sent a CPR number that is not valid.");
        if (cpr[10])
            return N_("The identity provider sent a CPR number that is not valid.");
        rc = kv_web_who_cpr(hub, cpr, nm, who, &err);
        if (rc == 0)
            return NULL;
        kv_log(KV_LOG_INFO, "oidc: citizen refused: %s", err.msg);
        return rc == KV_EPERM ? N_("This person's access to kuvert has been closed.")
                              : N_("There is no Digital Post mailbox for this CPR number.");
    }
    return N_("The identity provider did not say who you are (no CPR number or employee "
              "identity).");
}

int kv_web_oidc_callback(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;
    const struct kv_conf *c = req->hub->conf;
    const char *state = kv_http_req_query(req, "state");
    const char *code = kv_http_req_query(req, "code");
    char cookie_state[64], nonce[48], verifier[48], next[600], why[512] = "";
    char redirect[KV_CONF_STR_MAX + 64], token_url[KV_CONF_STR_MAX];
    struct kv_web_who who;
    const char *refusal;
    json_t *tok = NULL, *claims = NULL;
    struct kv_html form;
    struct kv_err err = {0, ""};
    int rc;

    kv_web_ctx_init(&ctx, req, resp);
    kv_html_init(&form, NULL);
    if (!kv_web_oidc_enabled(req)) {
        kv_web_error(&ctx, 404);
        goto out;
    }
    if (!kv_web_login_allowed(req)) {
        kv_web_error(&ctx, 429);
        goto out;
    }
    state_cookie(req, resp, "", 0);
    if (kv_http_req_query(req, "error")) {
        refuse(&ctx, N_("The identity provider did not sign you in (cancelled or refused)."));
        goto out;
    }
    /* The state must be the one this browser was sent off with (login CSRF) and a sign-in in
     * progress that has not been used yet (replay). */
    if (!state || !code || strlen(state) != KV_WEB_CSRF_LEN || strlen(code) > 2048 ||
        kv_web_cookie_get(req, STATE_COOKIE, cookie_state, sizeof(cookie_state)) < 0 ||
        strlen(cookie_state) != KV_WEB_CSRF_LEN ||
        !kv_ct_equal(cookie_state, state, KV_WEB_CSRF_LEN)) {
        refuse(&ctx, N_("This sign-in does not belong to this browser. Start again from the "
                        "sign-in page."));
        goto out;
    }
    rc = take_login(req->hub, state, nonce, verifier, next, sizeof(next));
    if (rc == KV_ENOTFOUND) {
        refuse(&ctx, N_("This sign-in has already been used or has expired. Start again from "
                        "the sign-in page."));
        goto out;
    }
    if (rc < 0) {
        kv_web_error(&ctx, 500);
        goto out;
    }
    if (c->oidc_redirect_url[0])
        snprintf(redirect, sizeof(redirect), "%s", c->oidc_redirect_url);
    else if (c->public_url[0])
        snprintf(redirect, sizeof(redirect), "%s/login/oidc/callback", c->public_url);
    else
        snprintf(redirect, sizeof(redirect), "http://%s/login/oidc/callback", c->listen);
    form_add(&form, "grant_type", "authorization_code");
    form_add(&form, "code", code);
    form_add(&form, "redirect_uri", redirect);
    form_add(&form, "code_verifier", verifier);
    pthread_mutex_lock(&prov_mu);
    rc = provider_load(c->oidc_issuer, 0, why, sizeof(why));
    snprintf(token_url, sizeof(token_url), "%s", prov.token);
    pthread_mutex_unlock(&prov_mu);
    if (rc == 0) {
        /* client_secret_basic: id and secret are form-urlencoded first (RFC 6749 2.3.1) */
        struct kv_buf id, sec;
        kv_buf_init(&id, 4 * KV_CONF_STR_MAX);
        kv_buf_init(&sec, 4 * KV_CONF_STR_MAX);
        kv_html_esc_component(&id, c->oidc_client_id);
        kv_html_esc_component(&sec, c->oidc_client_secret);
        rc = fetch_json(token_url, form.b.buf, id.buf, sec.buf, &tok, why, sizeof(why));
        kv_buf_release(&id);
        kv_buf_release(&sec);
    }
    if (rc < 0 || !json_string_value(json_object_get(tok, "id_token"))) {
        kv_log(KV_LOG_WARN, "%s: oidc: code not redeemed: %s", req->request_id,
               why[0] ? why : "no id_token in the answer");
        refuse(&ctx, N_("The identity provider did not confirm the sign-in. Start again from "
                        "the sign-in page."));
        goto out;
    }
    claims = verify_id_token(req->hub, json_string_value(json_object_get(tok, "id_token")),
                             nonce, why, sizeof(why));
    if (!claims) {
        kv_log(KV_LOG_WARN, "%s: oidc: ID token refused: %s", req->request_id, why);
        refuse(&ctx, N_("The answer from the identity provider could not be verified, so you "
                        "were not signed in."));
        goto out;
    }
    refusal = map_claims(req->hub, claims, &who);
    if (refusal) {
        refuse(&ctx, refusal);
        goto out;
    }
    rc = kv_web_session_create(req, resp, &who, "oidc", NULL, &err);
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: session not created: %s", req->request_id, err.msg);
        kv_web_error(&ctx, 500);
        goto out;
    }
    kv_web_redirect(&ctx, next);
out:
    json_decref(tok);
    json_decref(claims);
    kv_html_release(&form);
    kv_web_ctx_release(&ctx);
    return 0;
}

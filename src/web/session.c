/* SPDX-License-Identifier: MIT
 *
 * session.c: web sessions, their cookie and CSRF tokens (see session.h). Session rows live in
 * web_sessions; the cookie carries the id, the row its SHA-256. Last use is written at most
 * once a minute so that reading pages does not turn into a write per request.
 */
#include "web/session.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "hub/events.h"
#include "hub/hub.h"
#include "identity/devices.h"
#include "store/store.h"
#include "util/base64.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/url.h"
#include "web/who.h"

#define TOUCH_EVERY_MS (60 * 1000)
#define PRE_COOKIE "kuvert_pre"
#define PRE_COOKIE_SECURE "__Host-kuvert_pre"

static unsigned char hmac_key[32];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void key_init(void)
{
    if (kv_random_bytes(hmac_key, sizeof(hmac_key)) < 0)
        kv_log(KV_LOG_ERROR, "no random bytes for the CSRF key");
}

int kv_web_cookie_secure(const struct kv_hub *hub)
{
    const char *m = hub->conf->cookie_secure;

    if (strcmp(m, "on") == 0)
        return 1;
    if (strcmp(m, "off") == 0)
        return 0;
    return kv_url_is_https(hub->conf->public_url);
}

const char *kv_web_cookie_name(const struct kv_hub *hub)
{
    return kv_web_cookie_secure(hub) ? "__Host-kuvert" : "kuvert";
}

int kv_web_cookie_get(const struct kv_http_req *req, const char *name, char *out, size_t outlen)
{
    const char *h = kv_http_req_header(req, "Cookie"), *p, *v, *end;
    size_t nl = strlen(name), vl;

    if (!h)
        return KV_ENOTFOUND;
    p = h;
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        v = memchr(p, '=', (size_t)(end - p));
        if (v && (size_t)(v - p) == nl && memcmp(p, name, nl) == 0) {
            v++;
            vl = (size_t)(end - v);
            while (vl && v[vl - 1] == ' ')
                vl--;
            if (vl + 1 > outlen)
                return KV_ENOTFOUND;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return 0;
        }
        p = end;
    }
    return KV_ENOTFOUND;
}

static void set_cookie(struct kv_http_req *req, struct kv_http_resp *resp, const char *name,
                       const char *value, int64_t max_age_s)
{
    char c[256];

    snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; SameSite=Lax%s; Max-Age=%lld", name, value,
             kv_web_cookie_secure(req->hub) ? "; Secure" : "", (long long)max_age_s);
    kv_http_resp_header_add(resp, "Set-Cookie", c);
}

static int new_token(char out[KV_WEB_CSRF_LEN + 1])
{
    unsigned char rnd[32];

    if (kv_random_bytes(rnd, sizeof(rnd)) < 0)
        return KV_EINTERNAL;
    kv_b64url_encode(rnd, sizeof(rnd), out);
    return 0;
}

/* Appends TAG for s inside db's transaction, with the actor text of the identity layer:
 * "cpr:<cpr>" or "employee:<person id>@<cvr>". 0 or the store's error: a sign-in or sign-out
 * the event log cannot record does not happen (on PostgreSQL the failed append would abort
 * the transaction anyway). */
static int emit_event(struct kv_db *db, const char *tag, const struct kv_web_session *s,
                      struct kv_err *err)
{
    char actor[300], props[64];
    struct kv_event ev;
    const char *method = s->method;

    if (strcmp(s->subject_type, "CPR") == 0)
        snprintf(actor, sizeof(actor), "cpr:%s", s->subject);
    else
        snprintf(actor, sizeof(actor), "employee:%lld@%s", (long long)s->person_id, s->org_cvr);
    snprintf(props, sizeof(props), "{\"method\":\"%s\"}", method);
    memset(&ev, 0, sizeof(ev));
    ev.tag = tag;
    ev.actor = actor;
    ev.subject = actor;
    ev.props_json = props;
    return kv_events_append(db, &ev, err);
}

/* The sign-in's writes inside db's transaction: the browser's old session revoked, s
 * inserted, sessions ended 30 days ago purged, USER_SIGNED_IN. 0 or a store error. */
static int create_writes(struct kv_db *db, struct kv_http_req *req, const struct kv_web_session *s,
                         const char *ua, const char *client, const char *devname, int64_t now,
                         struct kv_err *err)
{
    struct kv_hub *hub = req->hub;
    struct kv_stmt *st = NULL;
    char old[64];
    int rc = 0;

    /* A browser that signs in again drops the session it had (new id on every sign-in). */
    if (kv_web_cookie_get(req, kv_web_cookie_name(hub), old, sizeof(old)) == 0) {
        char oldhash[65];
        kv_sha256_hex(old, strlen(old), oldhash);
        rc = kv_db_prepare(db, "UPDATE web_sessions SET revoked_ms = ? WHERE id_sha256 = ? "
                               "AND revoked_ms IS NULL", &st, err);
        if (rc < 0)
            goto out;
        kv_stmt_bind_int64(st, 1, now);
        kv_stmt_bind_text(st, 2, oldhash, -1);
        rc = kv_stmt_step(st, err);
        kv_stmt_done(st);
        if (rc < 0)
            goto out;
    }
    rc = kv_db_prepare(db,
                       "INSERT INTO web_sessions (id_sha256, subject_type, subject, name, csrf, "
                       "method, user_agent, client, created_ms, last_used_ms, expires_ms, "
                       "person_id, org_cvr, device_name) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       &st, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(st, 1, s->id_sha256, -1);
    kv_stmt_bind_text(st, 2, s->subject_type, -1);
    kv_stmt_bind_text(st, 3, s->subject, -1);
    kv_stmt_bind_text(st, 4, s->name, -1);
    kv_stmt_bind_text(st, 5, s->csrf, -1);
    kv_stmt_bind_text(st, 6, s->method, -1);
    kv_stmt_bind_text(st, 7, ua ? ua : "", (long)(ua && strlen(ua) > 512 ? 512 : -1));
    kv_stmt_bind_text(st, 8, client, -1);
    kv_stmt_bind_int64(st, 9, now);
    kv_stmt_bind_int64(st, 10, now);
    kv_stmt_bind_int64(st, 11, s->expires_ms);
    kv_stmt_bind_int64(st, 12, s->person_id);
    kv_stmt_bind_text(st, 13, s->org_cvr[0] ? s->org_cvr : NULL, -1);
    kv_stmt_bind_text(st, 14, devname, -1);
    rc = kv_stmt_step(st, err);
    kv_stmt_done(st);
    if (rc < 0)
        goto out;
    /* Ended sessions stay 30 days for the Adgangsportal's device history, then go. */
    rc = kv_db_prepare(db, "DELETE FROM web_sessions WHERE expires_ms < ?", &st, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(st, 1, now - 30LL * 24 * 3600 * 1000);
    rc = kv_stmt_step(st, err);
    kv_stmt_done(st);
    if (rc < 0)
        goto out;
    rc = emit_event(db, "USER_SIGNED_IN", s, err);
out:
    return rc < 0 ? rc : 0;
}

int kv_web_session_create(struct kv_http_req *req, struct kv_http_resp *resp,
                          const struct kv_web_who *who, const char *method,
                          struct kv_web_session *out, struct kv_err *err)
{
    struct kv_hub *hub = req->hub;
    struct kv_web_session s;
    char id[KV_WEB_CSRF_LEN + 1], client[64], devname[KV_DEVICE_NAME_MAX + 1];
    const char *ua = kv_http_req_header(req, "User-Agent");
    struct kv_db *db = NULL;
    int64_t now = kv_clock_now_ms();
    int rc, attempt;

    memset(&s, 0, sizeof(s));
    if (new_token(id) < 0 || new_token(s.csrf) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes");
    kv_sha256_hex(id, strlen(id), s.id_sha256);
    s.person_id = who->person_id;
    snprintf(s.subject_type, sizeof(s.subject_type), "%s", who->subject_type);
    snprintf(s.subject, sizeof(s.subject), "%s", who->subject);
    snprintf(s.name, sizeof(s.name), "%s", who->name);
    snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", who->org_cvr);
    snprintf(s.method, sizeof(s.method), "%s", method);
    s.created_ms = s.last_used_ms = now;
    s.expires_ms = now + hub->conf->session_lifetime;
    kv_http_req_client(req, client, sizeof(client));
    kv_device_name_from_ua(ua, devname, sizeof(devname));
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return rc;
    /* Concurrent (docs/postgresql.md "Writes without the global lock"): every statement is
     * a single guarded write (the old session: revoked_ms IS NULL; the new one: a random key;
     * the purge: rows already gone are skipped). Two sign-ins purging the same old rows in
     * another order can deadlock: the transaction then runs again, twice at most. */
    for (attempt = 0;; attempt++) {
        rc = kv_db_begin_concurrent(db, err);
        if (rc < 0)
            goto out;
        rc = create_writes(db, req, &s, ua, client, devname, now, err);
        if (rc == 0)
            rc = kv_db_commit(db, err);
        else
            kv_db_rollback(db);
        if (rc < 0 && kv_db_retryable(db) && attempt < 2)
            continue;
        break;
    }
    if (rc < 0)
        goto out;
    set_cookie(req, resp, kv_web_cookie_name(hub), id, hub->conf->session_lifetime / 1000);
    if (out)
        *out = s;
out:
    kv_db_release(db);
    return rc;
}

int kv_web_session_from_req(struct kv_http_req *req, struct kv_web_session *out,
                            struct kv_err *err)
{
    struct kv_hub *hub = req->hub;
    char id[64], hash[65];
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    int64_t now = kv_clock_now_ms();
    int rc, touch = 0;

    memset(out, 0, sizeof(*out));
    if (kv_web_cookie_get(req, kv_web_cookie_name(hub), id, sizeof(id)) < 0 ||
        strlen(id) != KV_WEB_CSRF_LEN)
        return kv_err_set(err, KV_EAUTH, "not signed in");
    kv_sha256_hex(id, strlen(id), hash);
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db,
                       "SELECT subject_type, subject, name, COALESCE(org_cvr, ''), csrf, method, "
                       "created_ms, last_used_ms, expires_ms, person_id, COALESCE(mailbox, '') "
                       "FROM web_sessions "
                       "WHERE id_sha256 = ? AND revoked_ms IS NULL",
                       &st, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(st, 1, hash, -1);
    rc = kv_stmt_step(st, err);
    if (rc == KV_ROW) {
        snprintf(out->id_sha256, sizeof(out->id_sha256), "%s", hash);
        snprintf(out->subject_type, sizeof(out->subject_type), "%s", kv_stmt_col_text(st, 0));
        snprintf(out->subject, sizeof(out->subject), "%s", kv_stmt_col_text(st, 1));
        snprintf(out->name, sizeof(out->name), "%s", kv_stmt_col_text(st, 2));
        snprintf(out->org_cvr, sizeof(out->org_cvr), "%s", kv_stmt_col_text(st, 3));
        snprintf(out->csrf, sizeof(out->csrf), "%s", kv_stmt_col_text(st, 4));
        snprintf(out->method, sizeof(out->method), "%s", kv_stmt_col_text(st, 5));
        out->created_ms = kv_stmt_col_int64(st, 6);
        out->last_used_ms = kv_stmt_col_int64(st, 7);
        out->expires_ms = kv_stmt_col_int64(st, 8);
        out->person_id = kv_stmt_col_int64(st, 9);
        snprintf(out->mailbox, sizeof(out->mailbox), "%s", kv_stmt_col_text(st, 10));
    }
    kv_stmt_done(st);
    if (rc < 0)
        goto out;
    if (rc != KV_ROW || now >= out->expires_ms ||
        now - out->last_used_ms >= hub->conf->session_idle) {
        memset(out, 0, sizeof(*out));
        rc = kv_err_set(err, KV_EAUTH, "session ended");
        goto out;
    }
    touch = now - out->last_used_ms >= TOUCH_EVERY_MS;
    rc = 0;
    if (touch) {
        struct kv_err e2 = {0, ""};
        if (kv_db_prepare(db, "UPDATE web_sessions SET last_used_ms = ? WHERE id_sha256 = ?",
                          &st, &e2) == 0) {
            kv_stmt_bind_int64(st, 1, now);
            kv_stmt_bind_text(st, 2, hash, -1);
            if (kv_stmt_step(st, &e2) < 0)
                kv_log(KV_LOG_WARN, "session last use not recorded: %s", e2.msg);
            kv_stmt_done(st);
            out->last_used_ms = now;
        }
    }
out:
    kv_db_release(db);
    return rc;
}

int kv_web_session_revoke(struct kv_http_req *req, struct kv_http_resp *resp,
                          const struct kv_web_session *s, struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    int rc;

    rc = kv_db_acquire(req->hub->store, &db, err);
    if (rc < 0)
        return rc;
    /* Concurrent (docs/postgresql.md "Writes without the global lock"): one guarded UPDATE;
     * of two sign-outs of one session at once (two tabs, two nodes) only the one that ended
     * it logs USER_SIGNED_OUT. */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, "UPDATE web_sessions SET revoked_ms = ? WHERE id_sha256 = ? "
                           "AND revoked_ms IS NULL", &st, err);
    if (rc < 0) {
        kv_db_rollback(db);
        goto out;
    }
    kv_stmt_bind_int64(st, 1, kv_clock_now_ms());
    kv_stmt_bind_text(st, 2, s->id_sha256, -1);
    rc = kv_stmt_step(st, err);
    kv_stmt_done(st);
    if (rc < 0) {
        kv_db_rollback(db);
        goto out;
    }
    if (kv_db_changes(db) == 1 && (rc = emit_event(db, "USER_SIGNED_OUT", s, err)) < 0) {
        kv_db_rollback(db);
        goto out;
    }
    rc = kv_db_commit(db, err);
    if (rc == 0)
        set_cookie(req, resp, kv_web_cookie_name(req->hub), "", 0);
out:
    kv_db_release(db);
    return rc;
}

int kv_web_session_set_org(struct kv_hub *hub, const struct kv_web_session *s, const char *cvr,
                           struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    int rc;

    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, "UPDATE web_sessions SET org_cvr = ? WHERE id_sha256 = ?", &st, err);
    if (rc == 0) {
        kv_stmt_bind_text(st, 1, cvr && *cvr ? cvr : NULL, -1);
        kv_stmt_bind_text(st, 2, s->id_sha256, -1);
        rc = kv_stmt_step(st, err);
        kv_stmt_done(st);
        if (rc > 0)
            rc = 0;
    }
    kv_db_release(db);
    return rc;
}

int kv_web_session_set_mailbox(struct kv_hub *hub, const struct kv_web_session *s,
                               const char *mailbox, struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    int rc;

    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, "UPDATE web_sessions SET mailbox = ? WHERE id_sha256 = ?", &st, err);
    if (rc == 0) {
        kv_stmt_bind_text(st, 1, mailbox && *mailbox ? mailbox : NULL, -1);
        kv_stmt_bind_text(st, 2, s->id_sha256, -1);
        rc = kv_stmt_step(st, err);
        kv_stmt_done(st);
        if (rc > 0)
            rc = 0;
    }
    kv_db_release(db);
    return rc;
}

int kv_web_csrf_ok(const struct kv_web_session *s, const char *token)
{
    return token && s->csrf[0] && strlen(token) == KV_WEB_CSRF_LEN &&
           kv_ct_equal(token, s->csrf, KV_WEB_CSRF_LEN);
}

/* The token of a pre-session cookie value: base64url(HMAC(key, "pre:" value)). */
static void pre_token(const char *cookie, char out[KV_WEB_CSRF_LEN + 1])
{
    unsigned char mac[32];
    char msg[80];

    pthread_once(&key_once, key_init);
    snprintf(msg, sizeof(msg), "pre:%s", cookie);
    kv_hmac_sha256(hmac_key, sizeof(hmac_key), msg, strlen(msg), mac);
    kv_b64url_encode(mac, sizeof(mac), out);
}

static const char *pre_name(const struct kv_hub *hub)
{
    return kv_web_cookie_secure(hub) ? PRE_COOKIE_SECURE : PRE_COOKIE;
}

void kv_web_precsrf_token(struct kv_http_req *req, struct kv_http_resp *resp, char *out)
{
    char c[64];

    if (kv_web_cookie_get(req, pre_name(req->hub), c, sizeof(c)) < 0 ||
        strlen(c) != KV_WEB_CSRF_LEN) {
        if (new_token(c) < 0) {
            out[0] = '\0';
            return;
        }
        set_cookie(req, resp, pre_name(req->hub), c, 3600);
    }
    pre_token(c, out);
}

int kv_web_precsrf_ok(struct kv_http_req *req, const char *token)
{
    char c[64], want[KV_WEB_CSRF_LEN + 1];

    if (!token || strlen(token) != KV_WEB_CSRF_LEN ||
        kv_web_cookie_get(req, pre_name(req->hub), c, sizeof(c)) < 0 ||
        strlen(c) != KV_WEB_CSRF_LEN)
        return 0;
    pre_token(c, want);
    return kv_ct_equal(token, want, KV_WEB_CSRF_LEN);
}

/* SPDX-License-Identifier: MIT
 *
 * who.c: sign-in subjects to persons and sessions to principals (see who.h), over the
 * identity layer's lookups.
 */
#include "web/who.h"

#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "store/store.h"
#include "hub/testdata.h"
#include "identity/authz.h"
#include "util/conf.h"
#include "util/testid.h"
#include "util/log.h"
#include "web/session.h"
#include "web/web.h"

/* 1 when the server runs with --test-login: only then may test persons sign in and act. */
static int test_mode(const struct kv_hub *hub)
{
    return hub->conf && hub->conf->test_login;
}

int kv_web_who_cpr(struct kv_hub *hub, const char *cpr, const char *name_hint,
                   struct kv_web_who *out, struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    struct kv_person p;
    char mbname[KV_NAME_MAX + 1] = "";
    int rc, have_mailbox = 0;

    memset(out, 0, sizeof(*out));
    if (kv_testid_cpr(cpr) && !test_mode(hub))
        return kv_err_set(err, KV_EPERM, "test persons sign in only with --test-login");
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_person_find_cpr(db, cpr, &p, err);
    if (rc == KV_ENOTFOUND) {
        rc = kv_db_prepare(db, "SELECT COALESCE(name, '') FROM mailboxes WHERE owner_type = 'CPR' "
                               "AND owner_id = ? AND status <> 'CLOSED'", &st, err);
        if (rc < 0)
            goto out;
        kv_stmt_bind_text(st, 1, cpr, -1);
        if (kv_stmt_step(st, err) == KV_ROW) {
            have_mailbox = 1;
            snprintf(mbname, sizeof(mbname), "%s", kv_stmt_col_text(st, 0));
        }
        kv_stmt_done(st);
        if (!have_mailbox) {
            rc = kv_err_set(err, KV_ENOTFOUND, "no citizen with that CPR");
            goto out;
        }
        memset(&p, 0, sizeof(p));
        snprintf(p.name, sizeof(p.name), "%s",
                 name_hint && kv_identity_name_ok(name_hint) ? name_hint
                 : mbname[0]                                 ? mbname
                                                             : cpr);
        snprintf(p.cpr, sizeof(p.cpr), "%s", cpr);
        rc = kv_person_add(db, &p, "web-signin", err);
        if (rc == KV_ECONFLICT) /* made by a parallel sign-in */
            rc = kv_person_find_cpr(db, cpr, &p, err);
    }
    if (rc < 0)
        goto out;
    if (strcmp(p.status, "ACTIVE") != 0 && p.status[0]) {
        rc = kv_err_set(err, KV_EPERM, "this person is deactivated");
        goto out;
    }
    out->person_id = p.id;
    snprintf(out->subject_type, sizeof(out->subject_type), "CPR");
    snprintf(out->subject, sizeof(out->subject), "%s", cpr);
    snprintf(out->name, sizeof(out->name), "%s", p.name);
out:
    kv_db_release(db);
    return rc;
}

int kv_web_who_email(struct kv_hub *hub, const char *email, const char *org_cvr,
                     struct kv_web_who *out, struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct kv_person p;
    struct kv_principal pr;
    char norm[KV_EMAIL_MAX + 1];
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_identity_email_norm(email, norm, err);
    if (rc < 0)
        return kv_err_set(err, KV_ENOTFOUND, "not an e-mail address");
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_person_find_email(db, norm, &p, err);
    if (rc < 0)
        goto out;
    if (!test_mode(hub)) {
        rc = kv_testdata_person_is_test(db, p.id, err);
        if (rc > 0)
            rc = kv_err_set(err, KV_EPERM, "test persons sign in only with --test-login");
        if (rc < 0)
            goto out;
    }
    /* as an employee: the principal in the chosen (or first) organisation context */
    rc = kv_principal_for_person(db, p.id, org_cvr && *org_cvr ? org_cvr : "", &pr, err);
    if (rc == 0 && pr.kind != KV_PRINCIPAL_EMPLOYEE && pr.kind != KV_PRINCIPAL_COMPANY_USER) {
        /* a person with a CPR and no context given is a citizen; employees need a context */
        char ctx[1][9];
        size_t n = 0;
        rc = kv_principal_contexts(db, p.id, ctx, 1, &n, err);
        if (rc == 0 && n == 0)
            rc = kv_err_set(err, KV_EPERM, "this person acts for no organisation");
        if (rc == 0)
            rc = kv_principal_for_person(db, p.id, ctx[0], &pr, err);
    }
    if (rc < 0)
        goto out;
    out->person_id = p.id;
    snprintf(out->subject_type, sizeof(out->subject_type), "EMPLOYEE");
    snprintf(out->subject, sizeof(out->subject), "%s", norm);
    snprintf(out->name, sizeof(out->name), "%s", p.name);
    snprintf(out->org_cvr, sizeof(out->org_cvr), "%s", pr.org_cvr);
out:
    kv_db_release(db);
    return rc;
}

int kv_web_principal(struct kv_http_req *req, struct kv_principal *out,
                     struct kv_web_session *sess, struct kv_err *err)
{
    struct kv_web_session s;
    struct kv_db *db = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_web_session_from_req(req, &s, err);
    if (rc < 0)
        return rc;
    if (s.person_id <= 0)
        return kv_err_set(err, KV_EAUTH, "session without a person");
    rc = kv_db_acquire(req->hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_principal_for_person(db, s.person_id,
                                 strcmp(s.subject_type, "EMPLOYEE") == 0 ? s.org_cvr : "", out,
                                 err);
    if (rc == 0 && !test_mode(req->hub)) {
        /* a session made as a test person while the server ran with --test-login */
        int t = kv_testdata_person_is_test(db, s.person_id, err);
        rc = t > 0 ? kv_err_set(err, KV_EPERM, "a test person outside test mode") : t;
    }
    if (rc == 0 && strcmp(s.subject_type, "CPR") == 0 && s.mailbox[0] &&
        strlen(s.mailbox) > 4 && s.mailbox[3] == ':') {
        /* a helper in the mailbox they switched to; an access that ended leaves them in
         * their own mailbox (kv_principal_enter_mailbox leaves out as it was) */
        char type[4];
        struct kv_err e2 = {0, ""};

        memcpy(type, s.mailbox, 3);
        type[3] = '\0';
        if (kv_principal_enter_mailbox(db, out, type, s.mailbox + 4, &e2) < 0 &&
            e2.code != KV_EPERM) {
            *err = e2;
            rc = e2.code;
        }
    }
    kv_db_release(db);
    if (rc == KV_EPERM || rc == KV_ENOTFOUND)
        return kv_err_set(err, KV_EAUTH, "the session's person may no longer act");
    if (rc == 0 && sess)
        *sess = s;
    return rc;
}

int kv_web_gate(const char *access, struct kv_http_req *req, struct kv_http_resp *resp,
                struct kv_principal *out)
{
    struct kv_err err = {0, ""};
    struct kv_web_ctx ctx;
    enum kv_authz_result d;

    if (kv_authz_test_login_only(access) && !test_mode(req->hub)) {
        /* the Testportal exists only with --test-login: elsewhere it is not there at all */
        memset(out, 0, sizeof(*out));
        kv_web_ctx_init(&ctx, req, resp);
        kv_web_error(&ctx, 404);
        kv_web_ctx_release(&ctx);
        return KV_ENOTFOUND;
    }
    if (kv_web_principal(req, out, NULL, &err) < 0)
        memset(out, 0, sizeof(*out)); /* KV_PRINCIPAL_NONE */
    d = kv_authz_decide(out, access, NULL);
    if (d == KV_AUTHZ_ALLOW)
        return 0;
    kv_web_ctx_init(&ctx, req, resp);
    if (d == KV_AUTHZ_UNAUTHENTICATED) {
        ctx.signed_in = 0;
        kv_web_require_signin(&ctx);
        kv_web_ctx_release(&ctx);
        return KV_EAUTH;
    }
    kv_web_error(&ctx, 403);
    kv_web_ctx_release(&ctx);
    return KV_EPERM;
}

int kv_web_gate_admitted(const struct kv_http_req *req, const char *access)
{
    /* The gate sets req->principal on a page route only when it admitted the request
     * (api/gate.c); the route's key is what it decided on. */
    return req->principal && req->route && (req->route->flags & KV_ROUTE_PAGE) &&
           req->route->access && access && strcmp(req->route->access, access) == 0;
}

size_t kv_web_contexts(struct kv_hub *hub, int64_t person_id, struct kv_web_context *out,
                       size_t max)
{
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    struct kv_err err = {0, ""};
    char cvrs[32][9];
    size_t n = 0, i;

    if (max > 32)
        max = 32;
    if (kv_db_acquire(hub->store, &db, &err) < 0)
        return 0;
    if (kv_principal_contexts(db, person_id, cvrs, max, &n, &err) < 0)
        n = 0;
    for (i = 0; i < n; i++) {
        memcpy(out[i].cvr, cvrs[i], sizeof(out[i].cvr));
        out[i].cvr[sizeof(out[i].cvr) - 1] = '\0';
        memcpy(out[i].name, out[i].cvr, sizeof(out[i].cvr));
        if (kv_db_prepare(db, "SELECT name FROM orgs WHERE cvr = ? UNION ALL "
                              "SELECT name FROM mailboxes WHERE owner_type = 'CVR' AND owner_id = ?",
                          &st, &err) == 0) {
            kv_stmt_bind_text(st, 1, cvrs[i], -1);
            kv_stmt_bind_text(st, 2, cvrs[i], -1);
            if (kv_stmt_step(st, &err) == KV_ROW && kv_stmt_col_text(st, 0))
                snprintf(out[i].name, sizeof(out[i].name), "%s", kv_stmt_col_text(st, 0));
            kv_stmt_done(st);
        }
    }
    kv_db_release(db);
    return n;
}

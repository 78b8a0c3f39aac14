/* SPDX-License-Identifier: MIT
 *
 * login.c: the sign-in page, test sign-in and sign-out (see login.h, docs/web.md).
 *
 * Test sign-in exists only when the server runs with --test-login (conf test_login); without
 * it POST /login/test is the ordinary 404 page. A test identity is a citizen (a CPR with a
 * mailbox) or an employee (an e-mail known to the identity layer). Every sign-in attempt,
 * test or OIDC, counts against the per-client rate limit; every form carries a CSRF token.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "store/store.h"
#include "util/conf.h"
#include "util/log.h"
#include "web/i18n.h"
#include "web/login.h"
#include "web/web.h"
#include "web/who.h"

#define LIST_MAX 50 /* test identities listed */

static int is_cpr(const char *s)
{
    size_t i;

    for (i = 0; i < 10; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return s[10] == '\0';
}

/* A same-site path to go to after sign-in, from ?next= or the form; "/" otherwise. */
static const char *safe_next(const char *next)
{
    if (!kv_html_same_site_path(next) || strlen(next) > 512)
        return "/";
    return next;
}

/* One test identity: a form with a single button. */
static void identity_row(struct kv_html *h, const char *csrf, const char *next,
                         const char *subject, const char *name, const char *kind_msgid,
                         const char *org)
{
    if (org && *org)
        kv_html(h, "<tr><td>%t</td><td>%t</td><td>%m, %t</td><td>", name, subject, kind_msgid,
                org);
    else
        kv_html(h, "<tr><td>%t</td><td>%t</td><td>%m</td><td>", name, subject, kind_msgid);
    kv_html(h,
            "<form method=\"post\" action=\"/login/test\" class=\"mt-0\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<input type=\"hidden\" name=\"next\" value=\"%a\">"
            "<button type=\"submit\" class=\"button button-secondary\" name=\"subject\" "
            "value=\"%a\" aria-label=\"%m %t\">%m</button></form></td></tr>\n",
            csrf, next, subject, N_("Sign in as"), name, N_("Sign in"));
}

static void list_identities(struct kv_web_ctx *ctx, const char *csrf, const char *next)
{
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    struct kv_err err = {0, ""};
    int rc, n = 0;

    if (kv_db_acquire(ctx->req->hub->store, &db, &err) < 0)
        return;
    kv_html(&ctx->h,
            "<h2>%m</h2>\n<p>%m</p>\n<div class=\"table--responsive-scroll\">"
            "<table class=\"table table--compact\">\n<caption class=\"sr-only\">%m</caption>\n"
            "<thead><tr><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
            "<th scope=\"col\">%m</th><th scope=\"col\"><span class=\"sr-only\">%m</span></th>"
            "</tr></thead>\n<tbody>\n",
            N_("Test identities"), N_("Choose who to be. Only on servers started with --test-login."),
            N_("Test identities"), N_("Name"), N_("CPR or e-mail"), N_("Kind"), N_("Sign in"));
    rc = kv_db_prepare(db,
                       "SELECT owner_id, COALESCE(name, '') FROM mailboxes WHERE owner_type = 'CPR' "
                       "AND status <> 'CLOSED' ORDER BY owner_id LIMIT 50",
                       &st, &err);
    while (rc == 0 && kv_stmt_step(st, &err) == KV_ROW && n++ < LIST_MAX)
        identity_row(&ctx->h, csrf, next, kv_stmt_col_text(st, 0), kv_stmt_col_text(st, 1),
                     N_("Citizen"), NULL);
    if (rc == 0)
        kv_stmt_done(st);
    n = 0;
    rc = kv_db_prepare(db,
                       "SELECT p.email, p.name, e.org_cvr, COALESCE(o.name, '') FROM persons p "
                       "JOIN employees e ON e.person_id = p.id LEFT JOIN orgs o ON o.cvr = "
                       "e.org_cvr WHERE p.status = 'ACTIVE' AND p.email IS NOT NULL AND "
                       "p.email <> '' AND e.id = (SELECT MIN(e2.id) FROM employees e2 WHERE "
                       "e2.person_id = p.id AND e2.status = 'ACTIVE') "
                       "ORDER BY e.org_cvr, p.name LIMIT 50",
                       &st, &err);
    while (rc == 0 && kv_stmt_step(st, &err) == KV_ROW && n++ < LIST_MAX)
        identity_row(&ctx->h, csrf, next, kv_stmt_col_text(st, 0), kv_stmt_col_text(st, 1),
                     N_("Employee"), kv_stmt_col_text(st, 3));
    if (rc == 0)
        kv_stmt_done(st);
    kv_db_release(db);
    kv_html(&ctx->h,
            "</tbody>\n</table></div>\n"
            "<form method=\"post\" action=\"/login/test\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<input type=\"hidden\" name=\"next\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"subject\">%m</label>"
            "<span class=\"form-hint\" id=\"subject-hint\">%m</span>"
            "<input class=\"form-input\" type=\"text\" id=\"subject\" name=\"subject\" "
            "aria-describedby=\"subject-hint\" autocomplete=\"username\" maxlength=\"254\" "
            "required></div>"
            "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            csrf, next, N_("Other test identity"), N_("A CPR number (10 digits) or an employee's e-mail"),
            N_("Sign in"));
}

int kv_web_login_page(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;
    char csrf[KV_WEB_CSRF_LEN + 1];
    const char *next = safe_next(kv_http_req_query(req, "next"));
    int any = 0;

    kv_web_ctx_init(&ctx, req, resp);
    kv_html(&ctx.h, "<h1>%m</h1>\n", N_("Sign in"));
    if (ctx.signed_in)
        kv_html(&ctx.h, "<p>%m</p>\n", N_("You are already signed in. Signing in again replaces "
                                       "your session."));
    if (kv_web_oidc_enabled(req)) {
        kv_html(&ctx.h,
                "<p><a class=\"button button-primary\" href=\"/login/oidc?next=%q\">%m</a></p>\n",
                next, N_("Sign in with MitID"));
        any = 1;
    }
    if (req->hub->conf->test_login) {
        kv_web_precsrf_token(req, resp, csrf);
        list_identities(&ctx, ctx.signed_in ? ctx.sess.csrf : csrf, next);
        any = 1;
    }
    if (!any)
        kv_html(&ctx.h, "<p>%m</p>\n",
                N_("Sign-in is not set up on this server: the operator must configure OpenID "
                "Connect (oidc_issuer)."));
    kv_web_page_end(&ctx, 200, N_("Sign in"));
    kv_web_ctx_release(&ctx);
    return 0;
}

int kv_web_login_test(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;
    char subject[300], csrf[80], next[600];
    struct kv_web_who who;
    struct kv_err err = {0, ""};
    int rc;

    kv_web_ctx_init(&ctx, req, resp);
    if (!req->hub->conf->test_login) {
        kv_web_error(&ctx, 404);
        goto out;
    }
    if (!kv_web_login_allowed(req)) {
        kv_web_error(&ctx, 429);
        goto out;
    }
    if (kv_web_form_get(req->body, req->body_len, "csrf", csrf, sizeof(csrf)) < 0 ||
        !((ctx.signed_in && kv_web_csrf_ok(&ctx.sess, csrf)) || kv_web_precsrf_ok(req, csrf))) {
        kv_web_error(&ctx, 403);
        goto out;
    }
    if (kv_web_form_get(req->body, req->body_len, "subject", subject, sizeof(subject)) < 0 ||
        !subject[0]) {
        kv_web_message(&ctx, 400, N_("Sign-in refused"), N_("Give a CPR number or an e-mail."));
        goto out;
    }
    if (kv_web_form_get(req->body, req->body_len, "next", next, sizeof(next)) < 0)
        snprintf(next, sizeof(next), "/");
    rc = is_cpr(subject) ? kv_web_who_cpr(req->hub, subject, NULL, &who, &err)
                         : kv_web_who_email(req->hub, subject, NULL, &who, &err);
    if (rc == KV_ENOTFOUND || rc == KV_EPERM || rc == KV_EINVAL) {
        kv_web_message(&ctx, 400, N_("Sign-in refused"), N_("There is no test identity with that CPR "
                                                     "number or e-mail."));
        goto out;
    }
    if (rc < 0) {
        kv_web_error(&ctx, 500);
        goto out;
    }
    rc = kv_web_session_create(req, resp, &who, "test", NULL, &err);
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: session not created: %s", req->request_id, err.msg);
        kv_web_error(&ctx, 500);
        goto out;
    }
    kv_web_redirect(&ctx, safe_next(next));
out:
    kv_web_ctx_release(&ctx);
    return 0;
}

int kv_web_logout(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;
    char csrf[80];
    struct kv_err err = {0, ""};

    kv_web_ctx_init(&ctx, req, resp);
    if (!ctx.signed_in) {
        kv_web_redirect(&ctx, "/");
        goto out;
    }
    if (kv_web_form_get(req->body, req->body_len, "csrf", csrf, sizeof(csrf)) < 0 ||
        !kv_web_csrf_ok(&ctx.sess, csrf)) {
        kv_web_error(&ctx, 403);
        goto out;
    }
    if (kv_web_session_revoke(req, resp, &ctx.sess, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: sign-out failed: %s", req->request_id, err.msg);
        kv_web_error(&ctx, 500);
        goto out;
    }
    ctx.signed_in = 0;
    kv_web_redirect(&ctx, "/");
out:
    kv_web_ctx_release(&ctx);
    return 0;
}

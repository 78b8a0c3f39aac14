/* SPDX-License-Identifier: MIT
 *
 * pages.c: the web layer's own pages: the front page, sign-in (the page, test sign-in) and
 * sign-out, the API description, the fallback for unknown paths, and the portal roots --
 * a contract kept by every later portal issue: /post/, /adgangsportal/ (adgangsportal.c),
 * /administrativ-adgang/ (aa_*.c), /rettighedsportal/ (rights_*.c), /testportal/ (testportal*.c,
 * only with --test-login); /post/ is the mailbox (post_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "memo/embed.h"
#include "store/store.h"
#include "util/conf.h"
#include "util/log.h"
#include "web/i18n.h"
#include "web/login.h"
#include "web/web.h"
#include "web/who.h"

static const struct {
    const char *root, *title, *what;
} FRONT[] = {
    {"/post/", N_("Post"), N_("read and write your digital post")},
    {"/adgangsportal/", N_("Adgangsportal"), N_("your devices, sessions and who may read your post")},
    {"/administrativ-adgang/", N_("Administrativ Adgang"),
     N_("for authorities: systems, contact structure, event log")},
    {"/rettighedsportal/", N_("Rettighedsportal"), N_("for rights administrators: who may do what")},
    {"/testportal/", N_("Testportal"), N_("for developers: try sending and receiving letters")},
};

static int front(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;
    struct kv_html *h = &ctx.h;
    size_t i;

    kv_web_ctx_init(&ctx, req, resp);
    kv_html(h, "<h1>%m</h1>\n<p class=\"font-lead\">%m</p>\n<h2>%m</h2>\n"
               "<ul class=\"nobullet-list\">\n",
            N_("Kuvert – Digital Post"),
            N_("Kuvert is an open, self-hostable implementation of Denmark's Digital Post. "
            "Public authorities send letters to citizens and companies through its API; "
            "people read them and manage access in the portals below."),
            N_("Portals"));
    for (i = 0; i < sizeof(FRONT) / sizeof(FRONT[0]); i++)
        if (kv_web_portal_shown(&ctx, FRONT[i].root)) /* the same portals as the menu */
            kv_html(h, "<li><a href=\"%u\">%m</a> – %m</li>\n", FRONT[i].root, FRONT[i].title,
                    FRONT[i].what);
    kv_html(h, "</ul>\n<h2>%m</h2>\n<p>%m <a href=\"/openapi.yaml\">%m</a>.</p>\n",
            N_("For systems"), N_("Sender and recipient systems use the NgDP REST API, described in"),
            N_("the OpenAPI description"));
    kv_web_page_end(&ctx, 200, N_("Front page"));
    kv_web_ctx_release(&ctx);
    return 0;
}

static int openapi(struct kv_http_req *req, struct kv_http_resp *resp)
{
    const struct kv_embed_file *f;

    for (f = kv_embed_files; f->name; f++)
        if (strcmp(f->name, "docs/openapi.yaml") == 0)
            break;
    if (!f->name) {
        struct kv_web_ctx ctx;
        kv_web_ctx_init(&ctx, req, resp);
        kv_web_error(&ctx, 404);
        kv_web_ctx_release(&ctx);
        return 0;
    }
    kv_http_resp_bytes(resp, 200, "application/yaml; charset=utf-8", f->data, f->len);
    kv_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    return 0;
}

/* POST /context (fields org, csrf, next): the organisation an employee acts for. It must be
 * one of theirs now; every later request checks it again (kv_web_principal). */
static int context_post(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;
    struct kv_web_context list[32];
    char csrf[80], org[16], next[600];
    struct kv_err err = {0, ""};
    size_t n, i;

    kv_web_ctx_init(&ctx, req, resp);
    if (!kv_web_require_signin(&ctx))
        goto out;
    if (kv_web_form_get(req->body, req->body_len, "csrf", csrf, sizeof(csrf)) < 0 ||
        !kv_web_csrf_ok(&ctx.sess, csrf)) {
        kv_web_error(&ctx, 403);
        goto out;
    }
    if (kv_web_form_get(req->body, req->body_len, "org", org, sizeof(org)) < 0 ||
        strcmp(ctx.sess.subject_type, "EMPLOYEE") != 0) {
        kv_web_error(&ctx, 400);
        goto out;
    }
    n = kv_web_contexts(req->hub, ctx.sess.person_id, list, 32);
    for (i = 0; i < n; i++)
        if (strcmp(list[i].cvr, org) == 0)
            break;
    if (i == n) {
        kv_web_error(&ctx, 403);
        goto out;
    }
    if (kv_web_session_set_org(req->hub, &ctx.sess, org, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: context not saved: %s", req->request_id, err.msg);
        kv_web_error(&ctx, 500);
        goto out;
    }
    if (kv_web_form_get(req->body, req->body_len, "next", next, sizeof(next)) < 0)
        snprintf(next, sizeof(next), "/");
    kv_web_redirect(&ctx, next);
out:
    kv_web_ctx_release(&ctx);
    return 0;
}

int kv_web_not_found(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;

    kv_web_ctx_init(&ctx, req, resp);
    kv_web_error(&ctx, 404);
    kv_web_ctx_release(&ctx);
    return 0;
}

#define PAGE KV_ROUTE_PAGE
const struct kv_http_route kv_web_routes[] = {
    {"GET", "/", front, "web_front", PAGE, "public"},
    {"GET", "/openapi.yaml", openapi, "web_openapi", PAGE, "public"},
    {"GET", "/login", kv_web_login_page, "web_login", PAGE, "public"},
    {"POST", "/login/test", kv_web_login_test, "web_login_test", PAGE, "public"},
    {"POST", "/logout", kv_web_logout, "web_logout", PAGE, "public"},
    {"POST", "/context", context_post, "web_context", PAGE, "signed-in"},
    {"GET", "/login/oidc", kv_web_oidc_start, "web_oidc_start", PAGE, "public"},
    {"GET", "/login/oidc/callback", kv_web_oidc_callback, "web_oidc_callback", PAGE, "public"},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

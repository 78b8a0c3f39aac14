/* SPDX-License-Identifier: MIT
 *
 * page.c: the request context and the DKFDS page frame of every web page, error pages,
 * redirects and the security headers (see web.h). The frame is markup from the literals
 * below; everything dynamic in it (names, paths, tokens) goes through the html builder.
 */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "identity/authz.h"
#include "util/conf.h"
#include "util/log.h"
#include "web/i18n.h"
#include "web/web.h"
#include "web/who.h"

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
            "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "     \
            "frame-ancestors 'none'"

void kv_web_security_headers(struct kv_http_resp *resp)
{
    kv_http_resp_header(resp, "Content-Security-Policy", CSP);
    kv_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    kv_http_resp_header(resp, "Referrer-Policy", "same-origin");
    kv_http_resp_header(resp, "X-Frame-Options", "DENY");
    kv_http_resp_header(resp, "Cache-Control", "no-store");
}

void kv_web_ctx_init(struct kv_web_ctx *ctx, struct kv_http_req *req, struct kv_http_resp *resp)
{
    const char *q = kv_http_req_query(req, "lang");
    char c[8];
    struct kv_err err = {0, ""};

    memset(ctx, 0, sizeof(*ctx));
    ctx->req = req;
    ctx->resp = resp;
    ctx->lang = NULL;
    if (q && kv_i18n_find(q)) {
        char cookie[96];
        ctx->lang = kv_i18n_find(q);
        snprintf(cookie, sizeof(cookie), "lang=%s; Path=/; SameSite=Lax; Max-Age=31536000",
                 kv_i18n_code(ctx->lang));
        kv_http_resp_header_add(resp, "Set-Cookie", cookie);
    } else if (kv_web_cookie_get(req, "lang", c, sizeof(c)) == 0) {
        ctx->lang = kv_i18n_find(c);
    }
    if (!ctx->lang)
        ctx->lang = kv_i18n_default();
    ctx->signed_in = kv_web_principal(req, &ctx->principal, &ctx->sess, &err) == 0;
    kv_html_init(&ctx->h, ctx->lang);
}

void kv_web_ctx_release(struct kv_web_ctx *ctx)
{
    kv_html_release(&ctx->h);
}

void kv_web_redirect(struct kv_web_ctx *ctx, const char *path)
{
    const char *to = kv_html_same_site_path(path) ? path : "/";

    kv_web_security_headers(ctx->resp);
    kv_http_resp_header(ctx->resp, "Location", to);
    kv_http_resp_bytes(ctx->resp, 303, "text/plain; charset=utf-8", "", 0);
}

int kv_web_require_signin(struct kv_web_ctx *ctx)
{
    char to[600];
    struct kv_html u;

    if (ctx->signed_in)
        return 1;
    kv_html_init(&u, ctx->lang);
    kv_html(&u, "/login?next=%q", ctx->req->path);
    snprintf(to, sizeof(to), "%s", u.b.len < sizeof(to) ? u.b.buf : "/login");
    kv_html_release(&u);
    kv_web_redirect(ctx, to);
    return 0;
}

/* The language switch: a link to the same page in the other language (a relative
 * "?lang=" URL, so the page's path is never echoed back). */
static void lang_switch(struct kv_html *h, const struct kv_web_ctx *ctx)
{
    if (strcmp(kv_i18n_code(ctx->lang), "da") == 0)
        kv_html(h, "<a class=\"function-link\" lang=\"en\" hreflang=\"en\" href=\"?lang=en\">"
                   "English</a>");
    else
        kv_html(h, "<a class=\"function-link\" lang=\"da\" hreflang=\"da\" href=\"?lang=da\">"
                   "Dansk</a>");
}

/* The portals of the main menu (and the front page), each with the access key that says who
 * may use it -- decided by the one rule table (identity/authz.c), never by a rule here. The
 * roots of Administrativ Adgang and the Rettighedsportal are landing pages anyone signed in
 * may open (they tell a citizen what they are for); using them takes "employee". */
static const struct portal {
    const char *root, *title_msgid, *access;
} PORTALS[] = {
    {"/post/", N_("Post"), KV_ACCESS_MAILBOX},
    {"/adgangsportal/", N_("Adgangsportal"), KV_ACCESS_DEVICES},
    {"/administrativ-adgang/", N_("Administrativ Adgang"), KV_ACCESS_EMPLOYEE},
    {"/rettighedsportal/", N_("Rettighedsportal"), KV_ACCESS_EMPLOYEE},
    {"/testportal/", N_("Testportal"), KV_ACCESS_TESTPORTAL},
};

int kv_web_portal_shown(const struct kv_web_ctx *ctx, const char *root)
{
    const struct kv_conf *conf = ctx->req->hub->conf;
    enum kv_authz_result r;
    size_t i;

    for (i = 0; i < sizeof(PORTALS) / sizeof(PORTALS[0]); i++) {
        if (strcmp(PORTALS[i].root, root) != 0)
            continue;
        if (kv_authz_test_login_only(PORTALS[i].access) && !(conf && conf->test_login))
            return 0; /* the portal does not exist on this server */
        r = kv_authz_offered(ctx->signed_in ? &ctx->principal : NULL, PORTALS[i].access);
        /* signed in: only what the person may use; not signed in: what a sign-in may open */
        return r == KV_AUTHZ_ALLOW || (!ctx->signed_in && r == KV_AUTHZ_UNAUTHENTICATED);
    }
    return 0;
}

/* One portal in the main menu, marked current when the page is inside it. */
static void nav_item(struct kv_html *h, const struct kv_web_ctx *ctx, const char *root,
                     const char *title_msgid)
{
    if (strncmp(ctx->req->path, root, strlen(root)) == 0 ||
        (strlen(ctx->req->path) == strlen(root) - 1 &&
         strncmp(ctx->req->path, root, strlen(root) - 1) == 0))
        kv_html(h, "<li class=\"active current\"><a href=\"%u\" class=\"nav-link\" "
                   "aria-current=\"page\"><span>%m</span></a></li>\n",
                root, title_msgid);
    else
        kv_html(h, "<li><a href=\"%u\" class=\"nav-link\"><span>%m</span></a></li>\n", root,
                title_msgid);
}

/* The organisation an employee acts for, and a switcher when there are several. */
static void context_switch(struct kv_html *h, const struct kv_web_ctx *ctx)
{
    struct kv_web_context list[32];
    size_t n = kv_web_contexts(ctx->req->hub, ctx->sess.person_id, list, 32), i;
    const char *current = ctx->sess.org_cvr;

    if (n == 0)
        return;
    if (n == 1) {
        kv_html(h, "<p class=\"authority-name\"><span class=\"sr-only\">%m: </span>%t</p>",
                N_("Organisation"), list[0].name);
        return;
    }
    kv_html(h,
            "<form method=\"post\" action=\"/context\" class=\"context-switch\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<input type=\"hidden\" name=\"next\" value=\"%a\">"
            "<label class=\"form-label\" for=\"context-org\">%m</label>"
            "<select class=\"form-select\" id=\"context-org\" name=\"org\">",
            ctx->sess.csrf, ctx->req->path, N_("Organisation"));
    for (i = 0; i < n; i++) {
        if (strcmp(list[i].cvr, current) == 0)
            kv_html(h, "<option value=\"%a\" selected>%t (%t)</option>", list[i].cvr,
                    list[i].name, list[i].cvr);
        else
            kv_html(h, "<option value=\"%a\">%t (%t)</option>", list[i].cvr, list[i].name,
                    list[i].cvr);
    }
    kv_html(h, "</select> <button type=\"submit\" class=\"button button-secondary\">%m</button>"
               "</form>",
            N_("Switch"));
}

static void frame(struct kv_web_ctx *ctx, struct kv_html *h, const char *title_msgid)
{
    const char *assets = kv_web_asset_prefix();
    size_t i;

    kv_html(h,
            "<!DOCTYPE html>\n<html lang=\"%a\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>%m – Kuvert</title>\n"
            "<link rel=\"stylesheet\" href=\"%u/css/dkfds.min.css\">\n"
            "</head>\n<body>\n"
            "<a class=\"skipnav d-print-none\" href=\"#main-content\">%m</a>\n",
            kv_i18n_code(ctx->lang), title_msgid, assets, N_("Skip to main content"));
    if (ctx->req->hub->conf->test_login)
        kv_html(h,
                "<div class=\"alert alert-warning mt-0 mb-0 d-print-none\" role=\"region\" "
                "aria-label=\"%m\">"
                "<div class=\"alert-body\"><p class=\"alert-heading\">%m</p>"
                "<p class=\"alert-text\">%m</p></div></div>\n",
                N_("Test sign-in"), N_("Test sign-in is switched on"),
                N_("This server runs with --test-login: anyone can sign in as any test identity. "
                "Never use it for real post."));
    kv_html(h, "<header class=\"header d-print-none\">\n<div class=\"portal-info\">\n"
               "<div class=\"portal-info-inner container\">\n"
               "<div class=\"portal-user\">");
    if (ctx->signed_in) {
        kv_html(h,
                "<p class=\"user\"><span class=\"sr-only\">%m: </span>"
                "<span class=\"username\">%t</span></p>"
                "<form method=\"post\" action=\"/logout\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                "<button type=\"submit\" class=\"button button-secondary\">%m</button></form>",
                N_("Signed in as"), ctx->sess.name[0] ? ctx->sess.name : ctx->sess.subject,
                ctx->sess.csrf, N_("Sign out"));
    } else {
        kv_html(h, "<a class=\"button button-secondary\" href=\"/login\">%m</a>", N_("Sign in"));
    }
    kv_html(h, "</div>\n</div>\n</div>\n<div class=\"solution-info\">\n"
               "<div class=\"solution-info-inner container\">\n"
               "<div class=\"solution-heading\"><a href=\"/\">Kuvert – %m</a></div>\n"
               "<div class=\"additional-info\">",
            N_("Digital Post"));
    if (ctx->signed_in && strcmp(ctx->sess.subject_type, "EMPLOYEE") == 0)
        context_switch(h, ctx);
    lang_switch(h, ctx);
    kv_html(h, "</div>\n</div>\n</div>\n"
               "<nav class=\"navigation-menu\" aria-label=\"%m\">\n"
               "<div class=\"navigation-menu-inner container\">\n<ul class=\"mainmenu\">\n",
            N_("Portals"));
    for (i = 0; i < sizeof(PORTALS) / sizeof(PORTALS[0]); i++)
        if (kv_web_portal_shown(ctx, PORTALS[i].root))
            nav_item(h, ctx, PORTALS[i].root, PORTALS[i].title_msgid);
    kv_html(h, "</ul>\n</div>\n</nav>\n</header>\n"
               "<main id=\"main-content\" class=\"container page-container\">\n");
}

void kv_web_page_end(struct kv_web_ctx *ctx, int status, const char *title_msgid)
{
    struct kv_html page;

    kv_html_init(&page, ctx->lang);
    frame(ctx, &page, title_msgid);
    if (kv_buf_append(&page.b, ctx->h.b.buf, ctx->h.b.len) < 0)
        page.failed = 1;
    kv_html(&page,
            "\n</main>\n<footer class=\"d-print-none\">\n<div class=\"footer\">\n"
            "<div class=\"container\">\n"
            "<p>%m · <a href=\"/openapi.yaml\">%m</a></p>\n"
            "</div>\n</div>\n</footer>\n</body>\n</html>\n",
            N_("Kuvert is an open implementation of Denmark's Digital Post"), N_("API documentation"));
    kv_web_security_headers(ctx->resp);
    if (page.failed || ctx->h.failed) {
        kv_log(KV_LOG_ERROR, "%s: page could not be built", ctx->req->request_id);
        kv_html_release(&page);
        kv_html_release(&ctx->h);
        kv_html_init(&ctx->h, ctx->lang);
        kv_web_error(ctx, 500);
        return;
    }
    kv_http_resp_bytes(ctx->resp, status, "text/html; charset=utf-8", page.b.buf, page.b.len);
    kv_html_release(&page);
}

void kv_web_message(struct kv_web_ctx *ctx, int status, const char *title_msgid,
                    const char *text_msgid)
{
    kv_buf_reset(&ctx->h.b);
    ctx->h.failed = 0;
    kv_html(&ctx->h, "<h1>%m</h1>\n<p>%m</p>\n<p><a href=\"/\">%m</a></p>\n", title_msgid,
            text_msgid, N_("Go to the front page"));
    kv_web_page_end(ctx, status, title_msgid);
}

void kv_web_error(struct kv_web_ctx *ctx, int status)
{
    const char *title, *text;

    /* A failure of a database that is unavailable for now (read-only during a failover,
     * unreachable, locked or full) is the 503 page, whatever the caller chose. */
    if (status == 500 && kv_err_unavail_seen())
        status = 503;
    switch (status) {
    case 400:
        title = N_("The request could not be understood");
        text = N_("Check the form and try again.");
        break;
    case 403:
        title = N_("Access denied");
        text = N_("You do not have access to this page, or the form had expired. Go back, reload "
               "the page and try again.");
        break;
    case 404:
        title = N_("Page not found");
        text = N_("The page does not exist. Check the address.");
        break;
    case 405:
        title = N_("The request could not be understood");
        text = N_("This page cannot be used that way.");
        break;
    case 429:
        title = N_("Too many attempts");
        text = N_("Wait a minute and try again.");
        break;
    case 503:
        title = N_("The service is briefly unavailable");
        text = N_("Try again in a few seconds.");
        kv_http_resp_header(ctx->resp, "Retry-After", KV_HTTP_RETRY_AFTER);
        break;
    default:
        status = 500;
        title = N_("Something went wrong");
        text = N_("The error has been logged. Try again later.");
        break;
    }
    kv_web_message(ctx, status, title, text);
}

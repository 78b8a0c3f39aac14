/* SPDX-License-Identifier: MIT
 *
 * web.h: the web layer's shared request context and page frame, used by every page handler in
 * src/web (and by later portals). A handler makes a struct kv_web_ctx from its request, writes
 * its content through ctx->h (html.h: the only way to put text on a page), and ends with
 * kv_web_page_end, which wraps it in the DKFDS frame (header, navigation, language switch,
 * test-login banner, footer) and sets the security headers every page carries:
 *   Content-Security-Policy (no inline script or style, frame-ancestors 'none', form-action
 *   'self'), X-Content-Type-Options: nosniff, Referrer-Policy: same-origin,
 *   X-Frame-Options: DENY, Cache-Control: no-store.
 *
 * Ownership: the context borrows req and resp; kv_web_ctx_release frees the builder.
 */
#ifndef KV_WEB_WEB_H
#define KV_WEB_WEB_H

#include <stddef.h>

#include "identity/identity.h"
#include "util/err.h"
#include "web/html.h"
#include "web/session.h"

struct kv_hub;
struct kv_http_req;
struct kv_http_resp;

struct kv_web_ctx {
    struct kv_http_req *req;           /* borrowed */
    struct kv_http_resp *resp;         /* borrowed */
    const struct kv_i18n_lang *lang;   /* the page's language */
    struct kv_web_session sess;        /* the signed-in session when signed_in */
    struct kv_principal principal;     /* its principal, loaded for this request */
    int signed_in;                     /* 1 when a live session of an active person came */
    struct kv_html h;                  /* the page's main content */
};

/* Starts the web layer: message catalogs, the DKFDS asset directory (conf web_assets, else
 * $KUVERT_ROOT/node_modules/dkfds/dist, else next to the binary's checkout, else
 * ./node_modules/dkfds/dist). Missing assets are logged, not fatal (pages still work). */
int kv_web_init(const struct kv_hub *hub, struct kv_err *err);
/* URL prefix of the DKFDS files, e.g. "/assets/dkfds-11.2.0" (static after init). */
const char *kv_web_asset_prefix(void);

/* Fills ctx: language (?lang=da|en, which also sets a cookie, else the lang cookie, else
 * Danish) and the session with its principal, if any (who.h: kv_web_principal). */
void kv_web_ctx_init(struct kv_web_ctx *ctx, struct kv_http_req *req, struct kv_http_resp *resp);
void kv_web_ctx_release(struct kv_web_ctx *ctx);
/* 1 when the page may go on: signed in. Otherwise answers 303 to /login?next=PATH and
 * returns 0. */
int kv_web_require_signin(struct kv_web_ctx *ctx);

/* 1 when the portal at root ("/post/", "/adgangsportal/", "/administrativ-adgang/",
 * "/rettighedsportal/", "/testportal/") is offered to ctx's visitor in the menu and on the
 * front page: signed in, when the one rule table (identity/authz.h) admits them to use it;
 * not signed in, when a sign-in could; the Testportal only on a --test-login server. */
int kv_web_portal_shown(const struct kv_web_ctx *ctx, const char *root);

/* Wraps ctx->h in the page frame with title (a msgid) and sends it with status. */
void kv_web_page_end(struct kv_web_ctx *ctx, int status, const char *title_msgid);
/* A complete error page for 400/403/404/405/429/500/503 (503 with Retry-After; a 500 is the
 * 503 when this request met an unavailable database, kv_err_unavail_seen) that says what happened in general
 * words and nothing about the inside (no paths, SQL, stack, or whether something exists). */
void kv_web_error(struct kv_web_ctx *ctx, int status);
/* A page with one heading and one explanation (both msgids), e.g. a refused sign-in. */
void kv_web_message(struct kv_web_ctx *ctx, int status, const char *title_msgid,
                    const char *text_msgid);
/* 303 See Other to a same-site path (anything else becomes "/"). */
void kv_web_redirect(struct kv_web_ctx *ctx, const char *path);
/* Sets the security headers on resp (done by page_end/error/redirect). */
void kv_web_security_headers(struct kv_http_resp *resp);

/* Form fields in DKFDS's error pattern (field.c), shared by the portals' forms so that the
 * markup of a refused field is written in one place. A field is kv_web_field_open (the group,
 * marked form-error when error_msgid is non-NULL; the label; the hint "<id>-hint" when
 * hint_msgid; the message "<id>-error" when error_msgid), then the caller's opening tag of
 * the control without its closing '>', then kv_web_control_end (aria-describedby: the hint
 * when hint, the message when error_msgid; aria-invalid="true" when refused; the '>'), then
 * the caller's "</div>". kv_web_error_summary is the alert above a refused form (element id
 * id): one entry per non-NULL msgids[i], linked to the control ids[i] (NULL: not linked);
 * nothing when every msgid is NULL. Every argument is a msgid or text escaped by the html
 * builder. */
void kv_web_field_open(struct kv_html *h, const char *id, const char *label_msgid,
                       const char *hint_msgid, const char *error_msgid);
void kv_web_control_end(struct kv_html *h, const char *id, int hint, const char *error_msgid);
void kv_web_error_summary(struct kv_html *h, const char *id, const char *const *ids,
                          const char *const *msgids, size_t n);

/* Value of field name in an application/x-www-form-urlencoded body, percent-decoded into out.
 * 0, KV_ENOTFOUND, or KV_ETOOBIG (longer than outlen - 1). Decoded NULs are refused. */
int kv_web_form_get(const char *body, size_t len, const char *name, char *out, size_t outlen);

/* Per-client sign-in rate limit (login_rate per minute): 1 when this attempt may go on. */
int kv_web_login_allowed(struct kv_http_req *req);

#endif

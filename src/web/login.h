/* SPDX-License-Identifier: MIT
 *
 * login.h: the sign-in and sign-out handlers (login.c: the sign-in page, test sign-in,
 * sign-out; oidc.c: OpenID Connect), listed in the route table of pages.c, and the fallback
 * page for unknown paths. See docs/web.md.
 */
#ifndef KV_WEB_LOGIN_H
#define KV_WEB_LOGIN_H

struct kv_http_req;
struct kv_http_resp;

/* GET /login: OIDC button (when configured) and, with --test-login, the test identities. */
int kv_web_login_page(struct kv_http_req *req, struct kv_http_resp *resp);
/* POST /login/test (fields subject, csrf, optional next): 404 without --test-login. */
int kv_web_login_test(struct kv_http_req *req, struct kv_http_resp *resp);
/* POST /logout (field csrf). */
int kv_web_logout(struct kv_http_req *req, struct kv_http_resp *resp);
/* GET /login/oidc and GET /login/oidc/callback. */
int kv_web_oidc_start(struct kv_http_req *req, struct kv_http_resp *resp);
int kv_web_oidc_callback(struct kv_http_req *req, struct kv_http_resp *resp);
/* 1 when OIDC sign-in is configured. */
int kv_web_oidc_enabled(const struct kv_http_req *req);
/* The HTML 404 page (unknown paths outside the APIs). */
int kv_web_not_found(struct kv_http_req *req, struct kv_http_resp *resp);

#endif

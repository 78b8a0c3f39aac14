/* SPDX-License-Identifier: MIT
 *
 * aa_portal.h (web-internal): what the Administrativ Adgang pages share (aa_common.c,
 * aa_systems.c, aa_system_form.c). Every page and form under /administrativ-adgang/ starts with kv__aa_begin,
 * which signs the visitor in (or redirects to sign-in), asks the one authorisation function
 * (identity/authz.h, kv_authz_decide) for the page's access key against the principal loaded
 * for this request in the session's organisation context, checks the CSRF token of a POST and
 * opens a connection. Objects named in a path (a system) are then looked up only within the
 * organisation acted for, so another organisation's object is "not found".
 *
 * Ownership: struct kv__aa owns its web context and connection until kv__aa_end.
 */
#ifndef KV_WEB_AA_PORTAL_H
#define KV_WEB_AA_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "web/web.h"

struct kv_db;

struct kv__aa {
    struct kv_web_ctx ctx;
    struct kv_db *db;    /* open between begin and end */
    char actor[96];      /* the signed-in person, as events record them */
    const char *org;     /* the organisation acted for (ctx.principal.org_cvr) */
    char org_name[260];
};

#define KV__AA_POST 0x1 /* a form: check the csrf field */

/* 1 when the page may go on; otherwise the answer (redirect, 403, 500) is written and
 * kv__aa_end must still be called. access: an identity/authz.h key. */
int kv__aa_begin(struct kv__aa *aa, struct kv_http_req *req, struct kv_http_resp *resp,
                 const char *access, unsigned flags);
void kv__aa_end(struct kv__aa *aa);

/* A form field (percent-decoded); "" when absent, malformed or too long. */
void kv__aa_field(const struct kv__aa *aa, const char *name, char *out, size_t n);
/* The portal heading (with the organisation acted for), its sub-navigation and an optional
 * success (ok_msgid) or error (err_msgid) alert. */
void kv__aa_head(struct kv__aa *aa, const char *title_msgid, const char *current,
                 const char *ok_msgid, const char *err_msgid);
/* "YYYY-MM-DD HH:MM UTC" of a Unix ms time into out (n >= 24); "–" for 0. */
void kv__aa_time(int64_t ms, char *out, size_t n);
/* The hidden csrf field of a form. */
void kv__aa_csrf(struct kv__aa *aa);

/* Page handlers (aa_systems.c). */
int kv__aa_systems(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_token_ask(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_token(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_default(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_activate(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_deactivate(struct kv_http_req *req, struct kv_http_resp *resp);
/* (aa_system_form.c) */
int kv__aa_system_new(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_create(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_edit(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_save(struct kv_http_req *req, struct kv_http_resp *resp);
/* (aa_recall.c) */
int kv__aa_recall_list(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_recall_ask(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_recall(struct kv_http_req *req, struct kv_http_resp *resp);

#endif

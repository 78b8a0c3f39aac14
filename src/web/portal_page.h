/* SPDX-License-Identifier: MIT
 *
 * portal_page.h (web-internal): the preamble every page and form of a signed-in portal
 * (Administrativ Adgang, the Rettighedsportal) shares. kv_web_portal_begin signs the visitor in
 * (or redirects to sign-in), asks the one authorisation function (identity/authz.h,
 * kv_authz_decide) for the page's access key against the principal loaded for this request in
 * the session's organisation context, checks the CSRF token of a POST, and opens a connection.
 * Objects named in a path are then looked up only within the organisation acted for, so
 * another organisation's object is "not found".
 *
 * Ownership: struct kv_web_portal_page owns its web context and connection until
 * kv_web_portal_end.
 */
#ifndef KV_WEB_PORTAL_PAGE_H
#define KV_WEB_PORTAL_PAGE_H

#include <stddef.h>

#include "web/web.h"

struct kv_db;
struct kv_http_req;
struct kv_http_resp;

struct kv_web_portal_page {
    struct kv_web_ctx ctx;
    struct kv_db *db;    /* open between begin and end */
    char actor[96];      /* the signed-in person, as events record them */
    const char *org;     /* the organisation acted for (ctx.principal.org_cvr) */
    char org_name[260];
};

#define KV_WEB_PORTAL_POST 0x1 /* a form: check the csrf field */

/* 1 when the page may go on; otherwise the answer (redirect, 403, 500) is written and
 * kv_web_portal_end must still be called. access: an identity/authz.h key. */
int kv_web_portal_begin(struct kv_web_portal_page *pg, struct kv_http_req *req,
                        struct kv_http_resp *resp, const char *access, unsigned flags);
void kv_web_portal_end(struct kv_web_portal_page *pg);

/* A form field (percent-decoded) of a urlencoded or multipart/form-data body (upload forms
 * send their csrf field that way too); "" when absent, malformed or too long. */
void kv_web_portal_field(const struct kv_web_portal_page *pg, const char *name, char *out,
                         size_t n);

#endif

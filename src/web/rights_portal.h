/* SPDX-License-Identifier: MIT
 *
 * rights_portal.h (web-internal): what the Rettighedsportal's pages share
 * (rights_common.c, rights_employees.c, rights_groups.c). Every page and form of
 * /rettighedsportal/ starts with kv_web_portal_begin (web/portal_page.h), which signs the visitor in (or redirects),
 * asks the one authorisation function (identity/authz.h) for the page's access key against
 * the principal loaded for this request in the session's organisation context, checks the
 * CSRF token of a POST, and opens a connection. Objects named in a path (an employee, a
 * group, a privilege, a request) are then checked to belong to that organisation.
 *
 * Ownership: struct kv_web_portal_page owns its web context and connection until kv__rp_end.
 */
#ifndef KV_WEB_RIGHTS_PORTAL_H
#define KV_WEB_RIGHTS_PORTAL_H

#include <stdint.h>

#include <jansson.h>

#include "identity/rights.h"
#include "util/err.h"
#include "web/portal_page.h"
#include "web/web.h"

struct kv_db;

/* A positive integer from path parameter i; 0 when malformed. */
int64_t kv__rp_param_id(const struct kv_web_portal_page *rp, int i);

/* The page heading, the portal's sub-navigation (current: its path) and an optional
 * status (ok_msgid, green) or error (err_msgid, red) alert. */
void kv__rp_head(struct kv_web_portal_page *rp, const char *title_msgid, const char *current,
                 const char *ok_msgid, const char *err_msgid, const char *err_detail);
/* The privilege's name in the page's language. */
const char *kv__rp_priv_name(const struct kv_web_portal_page *rp, const char *code);
/* A <select name="right"> of the rights that can be granted in an organisation (all when
 * partner is 0, those an external partner may hold when 1), labelled by id. */
void kv__rp_right_select(struct kv_web_portal_page *rp, const char *id, int partner);
/* The optional "last day" date field named until, labelled by id. */
void kv__rp_until_field(struct kv_web_portal_page *rp, const char *id);
/* A table of privileges (a JSON array from rights.h) with a revoke button on each active one
 * when can_revoke; back is the page to return to. */
void kv__rp_rights_table(struct kv_web_portal_page *rp, const json_t *rights, int can_revoke,
                         const char *back, const char *caption_msgid);
/* Reads the form's "until" (empty = no end). 0, or KV_EINVAL. */
int kv__rp_until(const struct kv_web_portal_page *rp, int64_t *out_ms);
/* The msgid that explains a refused change (the invariant, a duplicate, bad input, ...) and
 * the HTTP status to answer with. */
const char *kv__rp_refusal(int rc, const struct kv_err *err, int *status);

/* The message of the page's ?ok= code (after a change), or NULL. */
const char *kv__rp_ok(const struct kv_web_portal_page *rp);
/* 303 to path[/id]?ok=code. */
void kv__rp_redirect_ok(struct kv_web_portal_page *rp, const char *path, int64_t id, const char *ok);

/* A list page's GET handler: the preamble for access, the page with status 200, the end. */
int kv__rp_show(struct kv_http_req *req, struct kv_http_resp *resp, const char *access,
                void (*page)(struct kv_web_portal_page *rp, int status, const char *err_msgid));
/* The answer to a change on a list page: rc 0 redirects to path[/id]?ok=ok; otherwise the
 * page again with the refusal's status and message (kv__rp_refusal). */
void kv__rp_result(struct kv_web_portal_page *rp, int rc, const struct kv_err *err,
                   const char *path, int64_t id, const char *ok,
                   void (*page)(struct kv_web_portal_page *rp, int status, const char *err_msgid));

/* Page handlers. */
int kv__rp_overview(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_employees(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_employee_add(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_employee(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_employee_grant(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_employee_status(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_revoke(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_groups(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_group_add(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_group(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_group_member(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_group_member_remove(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_group_grant(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_partners(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_partner_grant(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_partner_hand_on(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_requests(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_request_decide(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_ask(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__rp_ask_post(struct kv_http_req *req, struct kv_http_resp *resp);

#endif

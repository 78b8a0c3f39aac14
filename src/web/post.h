/* SPDX-License-Identifier: MIT
 *
 * post.h (web-internal): what the mailbox pages at /post/ share (post_folder.c,
 * post_letter.c). Every page and form starts with kv__post_begin, which signs the visitor in
 * (or redirects), asks the one authorisation function (identity/authz.h) for the access key
 * the route table in post_folder.c declares for the matched route, checks the CSRF token of a
 * POST, works out whose mailbox the principal reads (a citizen: their CPR, or -- as a helper
 * with read or read-write access who switched to it -- the owner's, with owner.rep_* naming
 * the helper; a person acting for an organisation with MESSAGE_BASIC: its CVR) and opens a
 * connection. A letter named in a
 * path is loaded for that owner only (hub/mailbox_view.h), so another person's letter is a
 * 404 exactly like a letter that does not exist.
 *
 * Ownership: struct kv__post owns its web context and connection until kv__post_end.
 */
#ifndef KV_WEB_POST_H
#define KV_WEB_POST_H

#include <stdint.h>

#include "hub/mailbox_view.h"
#include "web/web.h"

struct kv_db;

struct kv__post {
    struct kv_web_ctx ctx;
    struct kv_db *db;            /* open between begin and end */
    struct kv_mbox_owner owner;  /* the mailbox shown */
};

#define KV__POST_FORM 0x1 /* a form: check the csrf field */

/* 1 when the page may go on; otherwise the answer (redirect, 403, 500) is written and
 * kv__post_end must still be called. */
int kv__post_begin(struct kv__post *pp, struct kv_http_req *req, struct kv_http_resp *resp,
                   unsigned flags);
void kv__post_end(struct kv__post *pp);

/* Whose mailbox principal p reads (see above): 0 with *owner filled, KV_EPERM for nobody's. */
int kv__post_owner(const struct kv_principal *p, struct kv_mbox_owner *owner);
/* 1 when rc (a domain call's result) is not an error; otherwise writes the 404 page for
 * KV_ENOTFOUND, or logs err and writes the 500 page, and returns 0. */
int kv__post_found(struct kv__post *pp, int rc, const struct kv_err *err);
/* A form field (percent-decoded); "" when absent or too long. */
void kv__post_field(const struct kv__post *pp, const char *name, char *out, size_t n);
/* Content-Disposition: disp; filename="ASCII"; filename*=UTF-8''PERCENT (RFC 6266/5987)
 * into b (post_letter.c). */
struct kv_buf;
void kv__post_disposition(struct kv_buf *b, const char *disp, const char *name);
/* Formats a time (ms since the epoch, UTC) as "YYYY-MM-DD HH:MM" Danish time. */
void kv__post_time(int64_t ms, char *out, size_t n);

/* Page handlers (post_folder.c, post_letter.c). */
int kv__post_folder(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_letter(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_file(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_unread(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_move(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_purge(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_reply_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_reply_send(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_flag(struct kv_http_req *req, struct kv_http_resp *resp);
/* Appointments as .ics and the actions section of a letter page (post_actions.c). */
int kv__post_ics(struct kv_http_req *req, struct kv_http_resp *resp);
struct kv_memo_message;
void kv__post_actions(struct kv__post *pp, const struct kv_memo_message *m);
/* Forwarding (post_forward.c). */
int kv__post_forward_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_forward_send(struct kv_http_req *req, struct kv_http_resp *resp);
/* The own folders (post_tree.c): the page, its forms, and the move form of a letter page. */
int kv__post_folders(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_folder_create(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_folder_update(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_folder_delete(struct kv_http_req *req, struct kv_http_resp *resp);
void kv__post_move_form(struct kv__post *pp, const struct kv_mbox_letter *l);
/* Helpers' access, the switcher and the activity log (post_access.c). */
int kv__post_access(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_ask_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_ask_send(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_access_approve(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_access_reject(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_access_revoke(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_switch(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_activity(struct kv_http_req *req, struct kv_http_resp *resp);
/* The mailbox switcher form (own post, mailboxes given access to, organisations acted for);
 * nothing when there is only one mailbox to show. */
void kv__post_switcher(struct kv__post *pp);
/* 1 when the principal may write from the mailbox shown (the mailbox:write key). */
int kv__post_may_write(const struct kv__post *pp);
/* 1 when the principal may manage the own folders (mailbox:folders) / forward
 * (mailbox:forward). */
int kv__post_may_organise(const struct kv__post *pp);
int kv__post_may_forward(const struct kv__post *pp);
/* A "YYYY-MM-DD" day of a date search as an instant: its first moment (end 0) or the first
 * moment of the next day (end 1), Copenhagen time. NULL or "" gives 0; KV_EINVAL otherwise. */
int kv__post_day(const char *s, int end, int64_t *out_ms);

#endif

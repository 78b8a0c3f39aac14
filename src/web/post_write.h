/* SPDX-License-Identifier: MIT
 *
 * post_write.h: writing a letter to an authority at /post/skriv and its drafts at
 * /post/kladder (post_write.c, post_drafts.c; docs/mailbox-web.md).
 *
 * kv_web_post_write_admit is the request gate's route-specific step for these pages
 * (api/gate.c), run after the access decision and before any body byte is read: a POST to
 * /post/skriv/{point} whose Content-Length is larger than a letter within the point's size
 * limit can be is answered with a 413 page that names the limit (and shows the form again),
 * so the upload is never read. 0 admits (also every other route); KV_ETOOBIG with resp filled.
 *
 * The rest is web-internal: the drafts pages and the form they share.
 * Ownership: nothing is kept past a call.
 */
#ifndef KV_WEB_POST_WRITE_H
#define KV_WEB_POST_WRITE_H

#include "identity/identity.h"

struct kv_http_req;
struct kv_http_resp;
struct kv__post;
struct kv_mbox_saved_draft;

int kv_web_post_write_admit(struct kv_http_req *req, struct kv_http_resp *resp,
                            const struct kv_principal *who);

/* The letter form to point_id (404 page when it is not open to pp's owner), prefilled with
 * label and text, editing draft when not NULL (post_write.c). 1 when the page was written. */
int kv__post_write_form_page(struct kv__post *pp, const char *point_id, const char *label,
                             const char *text, const struct kv_mbox_saved_draft *draft);

/* The drafts pages (post_drafts.c): the list, one draft opened in the form, deleting one. */
int kv__post_drafts(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_draft_open(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__post_draft_delete(struct kv_http_req *req, struct kv_http_resp *resp);
/* The "Drafts (n)" entry of the folder navigation, when pp's principal may write. */
void kv__post_drafts_nav(struct kv__post *pp, int current);

#endif

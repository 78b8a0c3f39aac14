/* SPDX-License-Identifier: MIT
 *
 * logo.h (web-internal): organisations' logos on pages (aa_logo.c). kv__web_logo_img writes a
 * decorative <img> of the organisation's logo (at most 24 px high, 96 px wide; nothing when it
 * has none) for use beside the organisation's name, e.g. a letter's sender in /post/.
 * Ownership: everything borrowed.
 */
#ifndef KV_WEB_LOGO_H
#define KV_WEB_LOGO_H

struct kv_db;
struct kv_html;
struct kv_http_req;
struct kv_http_resp;

void kv__web_logo_img(struct kv_html *h, struct kv_db *db, const char *cvr);

/* Page handlers (aa_logo.c). */
int kv__aa_logo(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_logo_upload(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_logo_delete(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__logo_png(struct kv_http_req *req, struct kv_http_resp *resp);

#endif

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

/* The same for a list of letters, remembering the logos already looked up in memo (zeroed by
 * the caller; KV_WEB_LOGO_MEMO organisations, later ones are looked up each time), so a page
 * of 20 letters from one sender reads its logo once and not 20 times. */
#define KV_WEB_LOGO_MEMO 8
struct kv__web_logo_memo {
    int n;
    struct {
        char cvr[9];
        int have, w, h;  /* have 0: the organisation has no logo */
        char sha256[65];
    } e[KV_WEB_LOGO_MEMO];
};
void kv__web_logo_img_memo(struct kv_html *h, struct kv_db *db, const char *cvr,
                           struct kv__web_logo_memo *memo);

/* Page handlers (aa_logo.c). */
int kv__aa_logo(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_logo_upload(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_logo_delete(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__logo_png(struct kv_http_req *req, struct kv_http_resp *resp);

#endif

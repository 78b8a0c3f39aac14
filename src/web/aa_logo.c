/* SPDX-License-Identifier: MIT
 *
 * aa_logo.c: the organisation's logo in Administrativ Adgang (issue 11 item 4; access key
 * "organisation" = ORGANISATION_ADMINISTRATOR in the organisation acted for), and the public
 * route that serves it to mailboxes.
 *
 *   GET  /administrativ-adgang/logo        the current logo (preview), upload form, delete
 *   POST /administrativ-adgang/logo        upload (multipart/form-data: csrf, logo)
 *   POST /administrativ-adgang/logo/slet   delete
 *   GET  /logo/{cvr}                       the PNG: image/png, ETag (its SHA-256), Cache-Control
 *                                          public for an hour, 304 on If-None-Match; 404 when
 *                                          the organisation has none
 *
 * The file is checked by hub/logo.c (libpng decodes all of it); a refusal is shown next to the
 * file field with its reason, status 400 (413 when too big). /post/ shows the logo beside the
 * sender's name through kv__web_logo_img.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/multipart.h"
#include "hub/hub.h"
#include "hub/logo.h"
#include "identity/authz.h"
#include "store/store.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"
#include "web/logo.h"

#define BASE "/administrativ-adgang/logo"

static const char *problem_msgid(enum kv_logo_problem p)
{
    switch (p) {
    case KV_LOGO_EMPTY:
        return N_("Choose a PNG file.");
    case KV_LOGO_TOO_BIG:
        return N_("The file is larger than 1 MB.");
    case KV_LOGO_NOT_PNG:
        return N_("The file is not a PNG image (whatever its name says).");
    case KV_LOGO_DAMAGED:
        return N_("The PNG image is damaged and cannot be read.");
    case KV_LOGO_TOO_SMALL:
        return N_("The image is too small: each side must be at least 16 pixels.");
    case KV_LOGO_TOO_LARGE:
        return N_("The image is too large: at most 2000 x 2000 pixels.");
    default:
        return NULL;
    }
}

static void page(struct kv_web_portal_page *aa, int status, const char *ok, const char *error)
{
    struct kv_html *h = &aa->ctx.h;
    struct kv_logo lg;
    struct kv_err err = {0, ""};
    char t[32];
    int have = kv_logo_get(aa->db, aa->org, 0, &lg, &err) == 0;

    kv__aa_head(aa, N_("Logo"), BASE, ok, NULL);
    kv_html(h, "<p>%m</p>\n", N_("Recipients see your organisation's logo beside its name in "
                                 "their Digital Post mailbox."));
    if (have) {
        int w = lg.width, ht = lg.height;
        if (ht > 96) { /* preview at most 96 px high */
            w = (int)((long)w * 96 / ht);
            ht = 96;
        }
        kv__aa_time(lg.updated_ms, t, sizeof(t));
        kv_html(h,
                "<h2>%m</h2>\n<figure class=\"aa-logo-preview\"><img src=\"/logo/%q?v=%q\" "
                "alt=\"%m\" width=\"%d\" height=\"%d\"><figcaption>%m: %d × %d px · %m %t"
                "</figcaption></figure>\n",
                N_("Current logo"), aa->org, lg.sha256, N_("Your organisation's logo"), w, ht,
                N_("Size"), lg.width, lg.height, N_("changed"), t);
        kv_html(h, "<form method=\"post\" action=\"" BASE "/slet\" class=\"mb-6\">");
        kv__aa_csrf(aa);
        kv_html(h, "<button type=\"submit\" class=\"button button-secondary\">%m</button></form>\n",
                N_("Delete the logo"));
    } else {
        kv_html(h, "<p><strong>%m</strong></p>\n", N_("Your organisation has no logo."));
    }
    kv_html(h,
            "<h2>%m</h2>\n<form method=\"post\" action=\"" BASE "\" "
            "enctype=\"multipart/form-data\">",
            have ? N_("Replace the logo") : N_("Upload a logo"));
    kv__aa_csrf(aa);
    kv_html(h,
            "<div class=\"form-group%t\"><label class=\"form-label\" for=\"logo-file\">%m</label>"
            "<span class=\"form-hint\" id=\"logo-file-hint\">%m</span>",
            error ? " form-error" : "", N_("Logo file (PNG)"),
            N_("A PNG image of at most 1 MB, each side 16 to 2000 pixels."));
    if (error)
        kv_html(h,
                "<span class=\"form-error-message\" id=\"logo-file-error\"><span "
                "class=\"sr-only\">%m: </span>%m</span>",
                N_("Error"), error);
    kv_html(h,
            "<input class=\"form-input\" type=\"file\" id=\"logo-file\" name=\"logo\" "
            "accept=\"image/png\" aria-describedby=\"logo-file-hint%t\"></div>"
            "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            error ? " logo-file-error" : "", N_("Upload"));
    kv_web_page_end(&aa->ctx, status, N_("Logo"));
}

/* GET /administrativ-adgang/logo */
int kv__aa_logo(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    const char *ok = kv_http_req_query(req, "ok");

    if (kv_web_portal_begin(&aa, req, resp, KV_ACCESS_ORGANISATION, 0))
        page(&aa, 200,
             !ok ? NULL
             : strcmp(ok, "saved") == 0 ? N_("The logo has been saved.")
             : strcmp(ok, "deleted") == 0 ? N_("The logo has been deleted.")
                                          : NULL,
             NULL);
    kv_web_portal_end(&aa);
    return 0;
}

/* POST /administrativ-adgang/logo */
int kv__aa_logo_upload(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""};
    enum kv_logo_problem problem = KV_LOGO_OK;
    const char *ct = kv_http_req_header(req, "Content-Type"), *data = NULL;
    char type[64];
    size_t len = 0;
    int rc;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_ORGANISATION, KV_WEB_PORTAL_POST))
        goto out;
    if (!ct || kv_http_multipart_part(ct, req->body, req->body_len, "logo", &data, &len, type,
                                      sizeof(type), &err) < 0)
        len = 0;
    rc = kv_logo_set(aa.db, aa.org, data, len, aa.actor, &problem, &err);
    if (rc == KV_EINVAL && problem != KV_LOGO_OK) {
        page(&aa, problem == KV_LOGO_TOO_BIG ? 413 : 400, NULL, problem_msgid(problem));
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: logo not saved: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv_log(KV_LOG_INFO, "%s: logo of %s changed by %s", req->request_id, aa.org, aa.actor);
    kv_web_redirect(&aa.ctx, BASE "?ok=saved");
out:
    kv_web_portal_end(&aa);
    return 0;
}

/* POST /administrativ-adgang/logo/slet */
int kv__aa_logo_delete(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""};
    int rc;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_ORGANISATION, KV_WEB_PORTAL_POST))
        goto out;
    rc = kv_logo_delete(aa.db, aa.org, aa.actor, &err);
    if (rc < 0 && rc != KV_ENOTFOUND) {
        kv_log(KV_LOG_ERROR, "%s: logo not deleted: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv_web_redirect(&aa.ctx, BASE "?ok=deleted");
out:
    kv_web_portal_end(&aa);
    return 0;
}

static int cvr_ok(const char *s)
{
    size_t i;

    for (i = 0; s && s[i]; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return s && i == 8;
}

/* GET /logo/{cvr} */
int kv__logo_png(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_logo lg;
    struct kv_err err = {0, ""};
    const char *inm = kv_http_req_header(req, "If-None-Match");
    char etag[72];
    int rc;

    memset(&lg, 0, sizeof(lg));
    if (!cvr_ok(req->params[0])) {
        kv_http_resp_bytes(resp, 404, "text/plain; charset=utf-8", "not found\n", 10);
        return 0;
    }
    if (kv_db_acquire(req->hub->store, &db, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_http_resp_bytes(resp, 500, "text/plain; charset=utf-8", "error\n", 6);
        return 0;
    }
    rc = kv_logo_get(db, req->params[0], 1, &lg, &err);
    kv_db_release(db);
    if (rc == KV_ENOTFOUND) {
        kv_http_resp_bytes(resp, 404, "text/plain; charset=utf-8", "not found\n", 10);
        return 0;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: logo: %s", req->request_id, err.msg);
        kv_http_resp_bytes(resp, 500, "text/plain; charset=utf-8", "error\n", 6);
        return 0;
    }
    snprintf(etag, sizeof(etag), "\"%s\"", lg.sha256);
    kv_http_resp_header(resp, "ETag", etag);
    kv_http_resp_header(resp, "Cache-Control", "public, max-age=3600");
    kv_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    if (inm && strstr(inm, etag))
        kv_http_resp_bytes(resp, 304, "image/png", "", 0);
    else
        kv_http_resp_bytes(resp, 200, "image/png", lg.png, lg.len);
    free(lg.png);
    return 0;
}

void kv__web_logo_img_memo(struct kv_html *h, struct kv_db *db, const char *cvr,
                           struct kv__web_logo_memo *memo)
{
    struct kv_logo lg;
    struct kv_err err = {0, ""};
    int w, ht = 24, i, have;
    const char *sha;

    if (!cvr_ok(cvr))
        return;
    for (i = 0; memo && i < memo->n && strcmp(memo->e[i].cvr, cvr) != 0; i++)
        ;
    if (memo && i < memo->n) { /* looked up before on this page */
        if (!memo->e[i].have)
            return;
        w = memo->e[i].w;
        ht = memo->e[i].h;
        sha = memo->e[i].sha256;
    } else {
        have = kv_logo_get(db, cvr, 0, &lg, &err) == 0 && lg.height > 0;
        if (have) {
            w = (int)((long)lg.width * ht / lg.height);
            if (w > 96) {
                w = 96;
                ht = (int)((long)lg.height * w / lg.width);
                if (ht < 1)
                    ht = 1;
            }
        }
        if (memo && memo->n < KV_WEB_LOGO_MEMO) {
            i = memo->n++;
            snprintf(memo->e[i].cvr, sizeof(memo->e[i].cvr), "%s", cvr);
            memo->e[i].have = have;
            if (have) {
                memo->e[i].w = w;
                memo->e[i].h = ht;
                snprintf(memo->e[i].sha256, sizeof(memo->e[i].sha256), "%s", lg.sha256);
            }
        }
        if (!have)
            return;
        sha = lg.sha256;
    }
    /* decorative: the sender's name is written next to it */
    kv_html(h, "<img class=\"sender-logo\" src=\"/logo/%q?v=%q\" alt=\"\" width=\"%d\" "
               "height=\"%d\"> ",
            cvr, sha, w, ht);
}

void kv__web_logo_img(struct kv_html *h, struct kv_db *db, const char *cvr)
{
    kv__web_logo_img_memo(h, db, cvr, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * portal_page.c: the preamble and end of a signed-in portal page (see portal_page.h): sign-in,
 * the page's access decision, the CSRF check of a form, the connection and the organisation
 * acted for. Shared by the Administrativ Adgang and Rettighedsportal pages.
 */
#include "web/portal_page.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "http/multipart.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "identity/authz.h"
#include "identity/identity.h"
#include "store/store.h"
#include "util/log.h"
#include "web/who.h"

/* A form field of a urlencoded or a multipart/form-data body (an upload form); -1 when
 * absent, malformed or not shorter than n. */
static int form_field(const struct kv_http_req *req, const char *name, char *out, size_t n)
{
    const char *ct = kv_http_req_header(req, "Content-Type"), *d = NULL;
    char type[64];
    size_t l = 0;
    struct kv_err err = {0, ""};

    if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0) {
        if (kv_http_multipart_part(ct, req->body, req->body_len, name, &d, &l, type,
                                   sizeof(type), &err) < 0 ||
            l >= n || memchr(d, '\0', l))
            return -1;
        memcpy(out, d, l);
        out[l] = '\0';
        return 0;
    }
    return kv_web_form_get(req->body, req->body_len, name, out, n);
}

int kv_web_portal_begin(struct kv_web_portal_page *pg, struct kv_http_req *req,
                        struct kv_http_resp *resp, const char *access, unsigned flags)
{
    struct kv_err err = {0, ""};
    struct kv_org org;
    char csrf[96];

    memset(pg, 0, sizeof(*pg));
    kv_web_ctx_init(&pg->ctx, req, resp);
    if (!kv_web_require_signin(&pg->ctx))
        return 0;
    /* the gate decided on the route's key already; another key is the page's own question */
    if (!kv_web_gate_admitted(req, access) &&
        kv_authz_decide(&pg->ctx.principal, access, NULL) != KV_AUTHZ_ALLOW) {
        kv_web_error(&pg->ctx, 403);
        return 0;
    }
    if (flags & KV_WEB_PORTAL_POST) {
        if (form_field(req, "csrf", csrf, sizeof(csrf)) < 0 ||
            !kv_web_csrf_ok(&pg->ctx.sess, csrf)) {
            kv_web_error(&pg->ctx, 403);
            return 0;
        }
    }
    if (kv_db_acquire(req->hub->store, &pg->db, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_web_error(&pg->ctx, 500);
        return 0;
    }
    pg->org = pg->ctx.principal.org_cvr;
    if (pg->org[0] && kv_org_get(pg->db, pg->org, &org, NULL) == 0)
        snprintf(pg->org_name, sizeof(pg->org_name), "%s", org.name);
    else
        snprintf(pg->org_name, sizeof(pg->org_name), "%s", pg->org);
    kv_principal_actor(&pg->ctx.principal, pg->actor, sizeof(pg->actor));
    return 1;
}

void kv_web_portal_end(struct kv_web_portal_page *pg)
{
    if (pg->db)
        kv_db_release(pg->db);
    pg->db = NULL;
    kv_web_ctx_release(&pg->ctx);
}

void kv_web_portal_field(const struct kv_web_portal_page *pg, const char *name, char *out,
                         size_t n)
{
    const struct kv_http_req *req = pg->ctx.req;

    if (form_field(req, name, out, n) < 0)
        out[0] = '\0';
}

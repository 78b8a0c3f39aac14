/* SPDX-License-Identifier: MIT
 *
 * aa_versioned_form.c: what the contact group form (aa_contact_group.c) and the contact point
 * form (aa_contact_point.c) share as versioned forms of the contact structure: the 409 page of
 * a save that lost the race ("what differs" between the current version and what was
 * entered), the answer to a save (the form again with its errors, the conflict, an error page
 * or the redirect back to the tree), and the whole delete flow (confirmation with the version
 * read, the conditional delete, its conflict). See aa_contacts.h.
 */
#include "web/aa_contacts.h"

#include <string.h>

#include "http/http.h"
#include "identity/authz.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

static const char *text_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

void kv__cs_diff_begin(struct kv_web_portal_page *pg, const char *title)
{
    kv__aa_head(pg, title, KV__CS_BASE, NULL, NULL);
    kv__cs_conflict_alert(pg);
    kv_html(&pg->ctx.h,
            "<table class=\"table table--compact\"><caption>%m</caption><thead><tr><th "
            "scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th></tr>"
            "</thead><tbody>\n",
            N_("What differs"), N_("Field"), N_("Current version"), N_("What you entered"));
}

void kv__cs_diff_row(struct kv_web_portal_page *pg, const char *label, const char *cur,
                     const char *mine)
{
    if (strcmp(cur, mine) == 0)
        return;
    kv_html(&pg->ctx.h, "<tr><th scope=\"row\">%m</th><td>%t</td><td>%t</td></tr>\n", label,
            cur[0] ? cur : "–", mine[0] ? mine : "–");
}

void kv__cs_diff_end(struct kv_web_portal_page *pg)
{
    kv_html(&pg->ctx.h, "</tbody></table>\n<h2>%m</h2>\n", N_("Current version"));
}

void kv__cs_save_answer(struct kv_web_portal_page *pg, const struct kv__cs_save *s, int rc,
                        const json_t *fes, int stale, int edit, const json_t *out,
                        const char *errmsg)
{
    const char *rid = pg->ctx.req->request_id;

    if (rc == KV_EINVAL && fes) {
        kv__aa_head(pg, s->title, KV__CS_BASE, NULL, NULL);
        s->show_form(pg, fes, s->arg);
        kv_web_page_end(&pg->ctx, 400, s->title);
    } else if (rc == KV_ECONFLICT && stale) {
        s->show_conflict(pg, s->arg);
    } else if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s not saved: %s", rid, s->what, errmsg);
        kv_web_error(&pg->ctx, rc == KV_ENOTFOUND ? 404 : 500);
    } else {
        kv_log(KV_LOG_INFO, "%s: %s %s %s by %s", rid, s->what, text_of(out, "id"),
               edit ? "saved" : "created", pg->actor);
        kv_web_redirect(&pg->ctx, edit ? KV__CS_BASE "?ok=saved" : KV__CS_BASE "?ok=created");
    }
}

/* The confirmation form: the object's name, its version in a hidden field. */
static void delete_form(struct kv_web_portal_page *pg, const struct kv__cs_remove *k,
                        const json_t *o)
{
    kv_html(&pg->ctx.h, "<p>%m <strong>%t</strong></p>\n<form method=\"post\" action=\"%a/%q/slet\">",
            k->prompt, text_of(o, "name"), k->base, text_of(o, "id"));
    kv__aa_csrf(pg);
    kv_html(&pg->ctx.h,
            "<input type=\"hidden\" name=\"version\" value=\"%D\"><button type=\"submit\" "
            "class=\"button button-primary\">%m</button> <a class=\"button button-secondary\" "
            "href=\"" KV__CS_BASE "\">%m</a></form>\n",
            (int64_t)json_integer_value(json_object_get(o, "version")), N_("Delete"),
            N_("Cancel"));
}

int kv__cs_remove_page(struct kv_http_req *req, struct kv_http_resp *resp, int post,
                       const struct kv__cs_remove *k)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""};
    json_t *cur = NULL;
    int64_t version;
    int stale = 0, rc;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_CONTACTS, post ? KV_WEB_PORTAL_POST : 0))
        goto out;
    rc = k->get(aa.db, aa.org, req->params[0], &cur, &err);
    if (rc < 0) {
        kv_web_error(&aa.ctx, rc == KV_ENOTFOUND ? 404 : 500);
        goto out;
    }
    if (!post) {
        kv__aa_head(&aa, k->title, KV__CS_BASE, NULL, NULL);
        delete_form(&aa, k, cur);
        kv_web_page_end(&aa.ctx, 200, k->title);
        goto out;
    }
    version = kv__cs_version(&aa);
    if (version <= 0) {
        kv_web_error(&aa.ctx, 400);
        goto out;
    }
    rc = k->del(aa.db, aa.org, aa.actor, text_of(cur, "id"), version, &stale, &err);
    if (rc == KV_ECONFLICT && (stale || k->in_use)) {
        kv__aa_head(&aa, k->title, KV__CS_BASE, NULL, stale ? NULL : k->in_use);
        if (stale)
            kv__cs_conflict_alert(&aa);
        delete_form(&aa, k, cur);
        kv_web_page_end(&aa.ctx, 409, k->title);
    } else if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s not deleted: %s", req->request_id, k->what, err.msg);
        kv_web_error(&aa.ctx, rc == KV_ENOTFOUND ? 404 : rc == KV_ECONFLICT ? 409 : 500);
    } else {
        kv_log(KV_LOG_INFO, "%s: %s %s deleted by %s", req->request_id, k->what,
               text_of(cur, "id"), aa.actor);
        kv_web_redirect(&aa.ctx, KV__CS_BASE "?ok=deleted");
    }
out:
    json_decref(cur);
    kv_web_portal_end(&aa);
    return 0;
}

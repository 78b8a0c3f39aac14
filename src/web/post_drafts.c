/* SPDX-License-Identifier: MIT
 *
 * post_drafts.c: the drafts ("kladder") of the mailbox at /post/ (routes in post_write.c):
 *
 *   GET  /post/kladder              the drafts, newest first, with their count
 *   GET  /post/kladder/{id}         a draft opened in the letter form (post_write.c), where
 *                                   it is edited and saved again, or sent (then it is deleted
 *                                   and the letter is in "sent")
 *   POST /post/kladder/{id}/slet    delete it
 *
 * Drafts are the mailbox owner's; a helper with read-write access works on them on the
 * owner's behalf, a helper with read access not at all (access key mailbox:write). A draft
 * is loaded for the mailbox shown only (hub/mailbox_drafts.h): another mailbox's draft is a
 * 404 like one that does not exist.
 */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "hub/mailbox_drafts.h"
#include "util/log.h"
#include "web/i18n.h"
#include "web/post.h"
#include "web/post_write.h"

void kv__post_drafts_nav(struct kv__post *pp, int current)
{
    struct kv_err err = {0, ""};
    int64_t n = 0;

    if (!kv__post_may_write(pp))
        return;
    if (kv_mbox_drafts_count(pp->db, &pp->owner, &n, &err) < 0)
        kv_log(KV_LOG_WARN, "%s: %s", pp->ctx.req->request_id, err.msg);
    if (current)
        kv_html(&pp->ctx.h, "<li class=\"active current\"><a href=\"/post/kladder\" "
                            "aria-current=\"page\">");
    else
        kv_html(&pp->ctx.h, "<li><a href=\"/post/kladder\">");
    kv_html(&pp->ctx.h, "%m <span class=\"folder-count\">(%D)</span></a></li>\n", N_("Drafts"),
            n);
}

/* GET /post/kladder */
int kv__post_drafts(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_html *h;
    struct kv_err err = {0, ""};
    const char *saved = kv_http_req_query(req, "gemt");
    json_t *list = NULL, *it;
    int64_t count = 0;
    size_t i;

    if (!kv__post_begin(&pp, req, resp, 0))
        goto out;
    h = &pp.ctx.h;
    if (kv_mbox_drafts_count(pp.db, &pp.owner, &count, &err) < 0 ||
        kv_mbox_drafts_list(pp.db, &pp.owner, &list, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    kv_html(h, "<p><a href=\"/post/\" class=\"back-link\">%m</a></p>\n", N_("Back to the post"));
    kv_html(h, "<h1>%m</h1>\n<p>%m <strong>%t %t</strong> · %m %D</p>\n", N_("Drafts"),
            N_("Mailbox:"), pp.owner.type, pp.owner.id, N_("Drafts:"), count);
    if (saved && *saved)
        kv_html(h, "<div class=\"alert alert-success\" role=\"status\"><div class=\"alert-body\">"
                   "<p class=\"alert-text\">%m</p></div></div>\n",
                N_("The draft has been saved."));
    kv_html(h, "<p><a class=\"button button-primary\" href=\"/post/skriv\">%m</a></p>\n",
            N_("Write a letter"));
    if (json_array_size(list) == 0) {
        kv_html(h, "<p>%m</p>\n", N_("There are no drafts."));
    } else {
        kv_html(h,
                "<div class=\"table--responsive-scroll\"><table class=\"table table--zebra\">"
                "<caption>%m</caption><thead><tr><th scope=\"col\">%m</th>"
                "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
                "<th scope=\"col\">%m</th></tr></thead><tbody>\n",
                N_("Drafts"), N_("Subject"), N_("To"), N_("Saved"), N_("Attachments"),
                N_("Delete"));
        json_array_foreach(list, i, it)
        {
            const char *id = json_string_value(json_object_get(it, "id"));
            const char *label = json_string_value(json_object_get(it, "label"));
            char when[32];

            kv__post_time((int64_t)json_integer_value(json_object_get(it, "updatedMs")), when,
                          sizeof(when));
            kv_html(h, "<tr><td><a href=\"/post/kladder/%q\">", id);
            if (label && label[0])
                kv_html(h, "%t", label);
            else
                kv_html(h, "%m", N_("(no subject)"));
            kv_html(h,
                    "</a></td><td>%t – %t</td><td>%t</td><td>%D</td><td>"
                    "<form method=\"post\" action=\"/post/kladder/%q/slet\">"
                    "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                    "<button class=\"button button-secondary\" type=\"submit\" "
                    "aria-label=\"%m: %a\">%m</button></form></td></tr>\n",
                    json_string_value(json_object_get(it, "organisationName")),
                    json_string_value(json_object_get(it, "pointName")), when,
                    (int64_t)json_integer_value(json_object_get(it, "files")), id,
                    pp.ctx.sess.csrf, N_("Delete draft"),
                    label && label[0] ? label : id, N_("Delete"));
        }
        kv_html(h, "</tbody></table></div>\n");
    }
    kv_web_page_end(&pp.ctx, 200, N_("Drafts"));
out:
    json_decref(list);
    kv__post_end(&pp);
    return 0;
}

/* Loads the path's draft for pp's owner (without file bytes); 404 page when not theirs. */
static int draft_of(struct kv__post *pp, struct kv_mbox_saved_draft *d)
{
    struct kv_err err = {0, ""};
    int rc = kv_mbox_draft_load(pp->db, &pp->owner, pp->ctx.req->params[0], 0, d, &err);

    return kv__post_found(pp, rc, &err);
}

/* GET /post/kladder/{id} */
int kv__post_draft_open(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_mbox_saved_draft d;

    memset(&d, 0, sizeof(d));
    if (kv__post_begin(&pp, req, resp, 0) && draft_of(&pp, &d))
        kv__post_write_form_page(&pp, d.point_id, d.label, d.text, &d);
    kv_mbox_saved_draft_release(&d);
    kv__post_end(&pp);
    return 0;
}

/* POST /post/kladder/{id}/slet */
int kv__post_draft_delete(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_err err = {0, ""};
    int rc;

    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM))
        goto out;
    rc = kv_mbox_draft_delete(pp.db, &pp.owner, req->params[0], &err);
    if (!kv__post_found(&pp, rc, &err))
        goto out;
    kv_web_redirect(&pp.ctx, "/post/kladder");
out:
    kv__post_end(&pp);
    return 0;
}

/* SPDX-License-Identifier: MIT
 *
 * post_forward.c: forwarding a letter from /post/ (routes in post_folder.c, key
 * mailbox:forward: the owner, a helper with read access -- portals.md §5.4 lists "forwarding
 * to e-mail or another Digital Post recipient" under read access --, an organisation's
 * employee with MESSAGE_WRITE). GET /post/brev/{uuid}/videresend[?q=TEXT] shows three forms:
 * to an authority (search the contact points open to the mailbox's audience, choose one, a
 * comment), to another citizen's or company's Digital Post (CPR or CVR number, comment) and a
 * notice by e-mail (address, comment); POST sends one of them (hub/mailbox_forward.h) and
 * goes to the new letter in "sent" or back to the letter.
 */
#include "web/post.h"

#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "hub/contact_points.h"
#include "hub/mailbox_forward.h"
#include "util/log.h"
#include "web/i18n.h"

static int load(struct kv__post *pp, struct kv_mbox_letter *l)
{
    struct kv_err err = {0, ""};
    int rc = kv_mbox_letter_load(pp->db, &pp->owner, pp->ctx.req->params[0], 1, l, &err);

    if (rc == 0 && l->sent)
        rc = KV_ENOTFOUND; /* only received letters are forwarded */
    return kv__post_found(pp, rc, &err);
}

/* The forward page. error: a message over all three forms (translated), or NULL;
 * person_err: the msgid of an error of the CPR/CVR field, shown next to it (person_val, what
 * was written, is written back into it), or NULL. */
static void page(struct kv__post *pp, const struct kv_mbox_letter *l, int status,
                 const char *error, const char *q, const char *person_err,
                 const char *person_val)
{
    struct kv_html *h = &pp->ctx.h;
    struct kv_err err = {0, ""};
    const char *uuid = l->message_uuid;
    json_t *list = NULL, *it;
    size_t i;

    kv_html(h, "<p><a href=\"/post/brev/%q\" class=\"back-link\">%m</a></p>\n", uuid,
            N_("Back to the letter"));
    kv_html(h, "<h1>%m</h1>\n<p>%m <strong>%t</strong></p>\n", N_("Forward"), N_("Letter:"),
            l->label);
    if (error)
        kv_html(h, "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                   "<p class=\"alert-text\">%t</p></div></div>\n",
                error);
    else if (person_err) /* a summary that leads to the field and its message */
        kv_html(h, "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                   "<p class=\"alert-text\"><a href=\"#fwd-person\">%m</a></p></div></div>\n",
                person_err);
    /* to an authority */
    kv_html(h, "<h2>%m</h2>\n<p>%m</p>\n", N_("To an authority in Digital Post"),
            N_("The letter and its files are sent as a new letter from this mailbox to the "
               "place you choose. It is listed in \"Sent\"."));
    kv_html(h,
            "<form method=\"get\" action=\"/post/brev/%q/videresend\" role=\"search\" "
            "class=\"mb-5\"><div class=\"form-group\"><label class=\"form-label\" "
            "for=\"fwd-q\">%m</label><input class=\"form-input\" type=\"search\" id=\"fwd-q\" "
            "name=\"q\" value=\"%a\" maxlength=\"128\"></div>"
            "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
            uuid, N_("Search for a recipient"), q ? q : "", N_("Search"));
    if (q && *q &&
        kv_contact_points_search(pp->db, strcmp(pp->owner.type, "CPR") == 0 ? "citizen"
                                                                             : "company",
                                 NULL, q, NULL, &list, &err) == 0 &&
        json_array_size(list) > 0) {
        kv_html(h,
                "<form method=\"post\" action=\"/post/brev/%q/videresend\" class=\"mb-6\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                "<input type=\"hidden\" name=\"til\" value=\"myndighed\">"
                "<fieldset><legend class=\"form-label\">%m</legend><ul class=\"nobullet-list\">",
                uuid, pp->ctx.sess.csrf, N_("Contact point"));
        json_array_foreach(list, i, it)
        {
            const char *id = json_string_value(json_object_get(it, "id"));

            kv_html(h,
                    "<li><input class=\"form-radio\" type=\"radio\" name=\"kontaktpunkt\" "
                    "id=\"fwd-p%d\" value=\"%a\" required><label for=\"fwd-p%d\">%t: %t</label>"
                    "</li>",
                    (int)i, id ? id : "", (int)i,
                    json_string_value(json_object_get(it, "organisationName")),
                    json_string_value(json_object_get(it, "name")));
        }
        kv_html(h,
                "</ul></fieldset><div class=\"form-group\"><label class=\"form-label\" "
                "for=\"fwd-comment-a\">%m</label><textarea class=\"form-input\" "
                "id=\"fwd-comment-a\" name=\"kommentar\" rows=\"3\" maxlength=\"512\"></textarea>"
                "</div><button class=\"button button-primary\" type=\"submit\">%m</button>"
                "</form>\n",
                N_("Comment (optional)"), N_("Forward to the authority"));
    } else if (q && *q) {
        kv_html(h, "<p>%m</p>\n", N_("No contact point matches the search."));
    }
    json_decref(list);
    /* to another citizen's or company's Digital Post; the answer is the same whether the
     * number has an open mailbox or not (docs/mailbox-web.md), only a malformed number is
     * refused, next to the field */
    kv_html(h,
            "<h2>%m</h2>\n<p>%m</p>\n"
            "<form method=\"post\" action=\"/post/brev/%q/videresend\" class=\"mb-6\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<input type=\"hidden\" name=\"til\" value=\"person\">"
            "<div class=\"form-group%t\"><label class=\"form-label\" for=\"fwd-person\">%m"
            "</label><span class=\"form-hint\" id=\"fwd-person-hint\">%m</span>",
            N_("To another person or company in Digital Post"),
            N_("The letter and its files are sent as a new letter from this mailbox to the "
               "Digital Post of the citizen or company you name. It is listed in \"Sent\"."),
            uuid, pp->ctx.sess.csrf, person_err ? " form-error" : "", N_("CPR or CVR number"),
            N_("A CPR number (ddmmyy-xxxx or 10 digits) or a CVR number (8 digits)"));
    if (person_err)
        kv_html(h, "<span class=\"form-error-message\" id=\"fwd-person-error\"><span "
                   "class=\"sr-only\">%m: </span>%m</span>",
                N_("Error"), person_err);
    kv_html(h,
            "<input class=\"form-input input-width-s\" type=\"text\" id=\"fwd-person\" "
            "name=\"modtager\" inputmode=\"numeric\" maxlength=\"11\" required "
            "autocomplete=\"off\" aria-describedby=\"fwd-person-hint%t\" aria-invalid=\"%t\" "
            "value=\"%a\">"
            "</div>"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"fwd-comment-p\">%m"
            "</label><textarea class=\"form-input\" id=\"fwd-comment-p\" name=\"kommentar\" "
            "rows=\"3\" maxlength=\"512\"></textarea></div>"
            "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
            person_err ? " fwd-person-error" : "", person_err ? "true" : "false",
            person_val ? person_val : "", N_("Comment (optional)"),
            N_("Forward to Digital Post"));
    /* a notice by e-mail */
    kv_html(h,
            "<h2>%m</h2>\n<p>%m</p>\n"
            "<form method=\"post\" action=\"/post/brev/%q/videresend\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<input type=\"hidden\" name=\"til\" value=\"email\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"fwd-email\">%m</label>"
            "<input class=\"form-input\" type=\"email\" id=\"fwd-email\" name=\"email\" "
            "maxlength=\"254\" required autocomplete=\"email\"></div>"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"fwd-comment-e\">%m"
            "</label><textarea class=\"form-input\" id=\"fwd-comment-e\" name=\"kommentar\" "
            "rows=\"3\" maxlength=\"512\"></textarea></div>"
            "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
            N_("A notice by e-mail"),
            N_("The e-mail says who sent the letter, its title and when it came, with your "
               "comment. The letter itself and its files are not sent: e-mail is not a secure "
               "connection."),
            uuid, pp->ctx.sess.csrf, N_("E-mail address"), N_("Comment (optional)"),
            N_("Send the notice"));
    kv_web_page_end(&pp->ctx, status, N_("Forward"));
}

int kv__post_forward_form(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_mbox_letter l;
    const char *q = kv_http_req_query(req, "q");

    memset(&l, 0, sizeof(l));
    if (!kv__post_begin(&pp, req, resp, 0) || !load(&pp, &l))
        goto out;
    if (q && strlen(q) > 128) {
        kv_web_error(&pp.ctx, 400);
        goto out;
    }
    page(&pp, &l, 200, NULL, q, NULL, NULL);
out:
    kv_mbox_letter_release(&l);
    kv__post_end(&pp);
    return 0;
}

int kv__post_forward_send(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_mbox_letter l;
    struct kv_mbox_sent sent;
    struct kv_problem refusal;
    struct kv_err err = {0, ""};
    char til[16], point[64], email[256], comment[KV_MBOX_FORWARD_COMMENT_MAX + 1], back[96];
    int rc;

    memset(&l, 0, sizeof(l));
    memset(&sent, 0, sizeof(sent));
    kv_problem_init(&refusal);
    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM) || !load(&pp, &l))
        goto out;
    kv__post_field(&pp, "til", til, sizeof(til));
    kv__post_field(&pp, "kommentar", comment, sizeof(comment));
    if (kv_web_form_get(req->body, req->body_len, "kommentar", comment, sizeof(comment)) ==
        KV_ETOOBIG) {
        page(&pp, &l, 400, kv_i18n_get(pp.ctx.lang, N_("The comment is too long.")), NULL, NULL,
             NULL);
        goto out;
    }
    if (strcmp(til, "myndighed") == 0) {
        kv__post_field(&pp, "kontaktpunkt", point, sizeof(point));
        rc = kv_mbox_forward_authority(req->hub, pp.db, &pp.owner, &l, point, comment, &sent,
                                       &refusal, &err);
        if (rc < 0 && refusal.kind) {
            page(&pp, &l, rc == KV_ENOTFOUND ? 404 : rc == KV_ETOOBIG ? 413 : 409,
                 refusal.message, NULL, NULL, NULL);
            goto out;
        }
        snprintf(back, sizeof(back), "/post/brev/%s", sent.uuid);
    } else if (strcmp(til, "person") == 0) {
        char raw[32], num[16];
        size_t i, n = 0;

        kv__post_field(&pp, "modtager", raw, sizeof(raw));
        for (i = 0; raw[i] && n < sizeof(num) - 1; i++) /* ddmmyy-xxxx, spaces allowed */
            if (raw[i] != '-' && raw[i] != ' ')
                num[n++] = raw[i];
        num[n] = '\0';
        rc = kv_mbox_forward_person(req->hub, pp.db, &pp.owner, &l, n == 8 ? "CVR" : "CPR", num,
                                    comment, &sent, &refusal, &err);
        if (rc == KV_EINVAL && refusal.kind) { /* the number: malformed, or the owner's own */
            page(&pp, &l, 400, NULL, NULL,
                 strcmp(refusal.code, "RECIPIENT_IS_SENDER") == 0
                     ? N_("The letter is already in this mailbox.")
                     : N_("Write a CPR number (10 digits) or a CVR number (8 digits)."),
                 raw);
            goto out;
        }
        if (rc < 0 && refusal.kind) { /* the writer's own mailbox, the letter's size */
            page(&pp, &l, rc == KV_ETOOBIG ? 413 : 409,
                 kv_i18n_get(pp.ctx.lang, N_("The letter could not be forwarded.")), NULL, NULL,
                 NULL);
            goto out;
        }
        snprintf(back, sizeof(back), "/post/brev/%s", sent.uuid);
    } else if (strcmp(til, "email") == 0) {
        const char *who = pp.owner.rep_name[0] ? pp.owner.rep_name : pp.ctx.principal.name;

        kv__post_field(&pp, "email", email, sizeof(email));
        rc = kv_mbox_forward_email(pp.db, &pp.owner, &l, who, email, comment, &err);
        if (rc == KV_EINVAL) {
            page(&pp, &l, 400,
                 kv_i18n_get(pp.ctx.lang, N_("Write a valid e-mail address.")), NULL, NULL,
                 NULL);
            goto out;
        }
        snprintf(back, sizeof(back), "/post/brev/%s", l.message_uuid);
    } else {
        kv_web_error(&pp.ctx, 400);
        goto out;
    }
    if (rc == KV_EINVAL) { /* the comment (not UTF-8): the form's fault, not the server's */
        page(&pp, &l, 400,
             kv_i18n_get(pp.ctx.lang, N_("The letter could not be forwarded.")), NULL, NULL,
             NULL);
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: not forwarded: %s", req->request_id, err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    kv_web_redirect(&pp.ctx, back);
out:
    kv_mbox_sent_release(&sent);
    kv_problem_release(&refusal);
    kv_mbox_letter_release(&l);
    kv__post_end(&pp);
    return 0;
}

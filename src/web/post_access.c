/* SPDX-License-Identifier: MIT
 *
 * post_access.c: read and read-write access for helpers, at /post/ (routes in post_folder.c,
 * docs/mailbox-web.md "Access for helpers"):
 *
 *   GET  /post/adgang                          who may read my post, whose post I may read,
 *                                              requests waiting for my answer, my own requests
 *   GET  /post/adgang/anmod, POST same         ask for access to a person's post (first name,
 *                                              last name, CPR, read or read-write, end date)
 *   POST /post/adgang/anmodning/{id}/godkend   the owner approves a request  (mailbox:owner)
 *   POST /post/adgang/anmodning/{id}/afvis     the owner rejects it          (mailbox:owner)
 *   POST /post/adgang/{id}/ophaev              either side revokes an access (citizen)
 *   POST /post/postkasse                       the mailbox switcher: own, a mailbox one was
 *                                              given access to, an organisation acted for
 *   GET  /post/aktivitet[?foer=SEQ]            the mailbox's activity log (mailbox)
 *
 * The access page always concerns the signed-in citizen's OWN mailbox (requests for it,
 * accesses given from it) and the accesses they hold -- never the mailbox they may be
 * reading as a helper, so a helper cannot grant access on. State lives in the rights model
 * (identity/rights.h: kv_request_mailbox_access, kv_request_decide, kv_rights_revoke) and the
 * activity log in hub/mailbox_activity.h; nothing here writes SQL.
 */
#include "web/post.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "hub/mailbox_activity.h"
#include "identity/authz.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "web/i18n.h"
#include "web/who.h"

/* "ddmmyy-xxxx" of a CPR number, for display. */
static void cpr_show(const char *cpr, char *out, size_t n)
{
    if (cpr && strlen(cpr) == 10)
        snprintf(out, n, "%.6s-%.4s", cpr, cpr + 6);
    else
        snprintf(out, n, "%s", cpr ? cpr : "");
}

static const char *level_msgid(const char *type)
{
    return type && strcmp(type, "MAILBOX_READ_WRITE") == 0 ? N_("Read and write access")
                                                           : N_("Read access");
}

static void until_text(struct kv__post *pp, json_t *o, char *out, size_t n)
{
    json_t *to = json_object_get(o, "activeToMs");

    if (json_is_integer(to))
        kv_rights_format_until(json_integer_value(to), out);
    else
        snprintf(out, n, "%s", kv_i18n_get(pp->ctx.lang, N_("until revoked")));
}

/* A small POST form with one button. */
static void button_form(struct kv__post *pp, const char *action, const char *label_msgid,
                        const char *sr_text, int primary)
{
    kv_html(&pp->ctx.h,
            "<form method=\"post\" action=\"%u\" class=\"inline-form\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<button class=\"button %a\" type=\"submit\">%m<span class=\"sr-only\"> %t</span>"
            "</button></form> ",
            action, pp->ctx.sess.csrf, primary ? "button-primary" : "button-secondary",
            label_msgid, sr_text);
}

static void access_table(struct kv__post *pp, json_t *arr, const char *caption,
                         const char *who_msgid, int kind)
{
    struct kv_html *h = &pp->ctx.h;
    json_t *o;
    size_t i;

    kv_html(h, "<div class=\"table--responsive-scroll\"><table class=\"table\">"
               "<caption>%m</caption><thead><tr><th scope=\"col\">%m</th>"
               "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
               "</tr></thead><tbody>\n",
            caption, who_msgid, N_("Access"), N_("Until and including"), N_("Action"));
    json_array_foreach(arr, i, o)
    {
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *type = json_string_value(json_object_get(o, "type"));
        int64_t id = json_integer_value(json_object_get(o, "id"));
        char num[16], until[64], action[96];

        cpr_show(json_string_value(json_object_get(o, "number")), num, sizeof(num));
        until_text(pp, o, until, sizeof(until));
        kv_html(h, "<tr><td>%t (%t)</td><td>%m</td><td>%t</td><td>", name && *name ? name : "–",
                num, level_msgid(type), until);
        if (kind == 0) { /* waiting for my answer */
            snprintf(action, sizeof(action), "/post/adgang/anmodning/%" PRId64 "/godkend", id);
            button_form(pp, action, N_("Approve"), name, 1);
            snprintf(action, sizeof(action), "/post/adgang/anmodning/%" PRId64 "/afvis", id);
            button_form(pp, action, N_("Reject"), name, 0);
        } else if (kind == 1) { /* an access: revoke */
            snprintf(action, sizeof(action), "/post/adgang/%" PRId64 "/ophaev", id);
            button_form(pp, action, N_("Revoke"), name, 0);
        } else {
            kv_html(h, "%m", N_("Waiting for an answer"));
        }
        kv_html(h, "</td></tr>\n");
    }
    kv_html(h, "</tbody></table></div>\n");
}

/* A failure of the domain or the store: logged, answered with the error page. */
static void failed(struct kv__post *pp, const struct kv_err *err)
{
    kv_log(KV_LOG_ERROR, "%s: %s", pp->ctx.req->request_id, err->msg);
    kv_web_error(&pp->ctx, 500);
}

/* The end of a change the signed-in person made: conflict (a msgid; NULL when rc is no
 * conflict) is the 409 page "Access to post" saying it, another failure is failed(), success
 * the redirect to done. */
static void answer_change(struct kv__post *pp, int rc, const char *conflict,
                          const struct kv_err *err, const char *done)
{
    if (conflict)
        kv_web_message(&pp->ctx, 409, N_("Access to post"), conflict);
    else if (rc < 0)
        failed(pp, err);
    else
        kv_web_redirect(&pp->ctx, done);
}

int kv__post_access(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_err err = {0, ""};
    struct kv_html *h;
    const struct kv_principal *p;
    json_t *view = NULL, *a;
    const char *done = kv_http_req_query(req, "ok");

    if (!kv__post_begin(&pp, req, resp, 0))
        goto out;
    h = &pp.ctx.h;
    p = &pp.ctx.principal;
    if (kv_mailbox_access_view(pp.db, p->person_id, "CPR", p->cpr, &view, &err) < 0) {
        failed(&pp, &err);
        goto out;
    }
    kv_html(h, "<p><a href=\"/post/\" class=\"back-link\">%m</a></p>\n<h1>%m</h1>\n",
            N_("Back to the post"), N_("Access to post"));
    if (done && *done)
        kv_html(h, "<div class=\"alert alert-success\" role=\"status\"><div class=\"alert-body\">"
                   "<p class=\"alert-text\">%m</p></div></div>\n",
                N_("Done."));
    kv_html(h, "<p>%m</p>\n",
            N_("A relative, a guardian or a friend can be given read access (read, sort and "
               "forward your post) or read and write access (also write and reply on your "
               "behalf). They ask for it here, and you approve or reject the request. Either "
               "of you can end an access at any time."));
    kv_html(h, "<h2>%m</h2>\n", N_("Requests waiting for your answer"));
    a = json_object_get(view, "waitingForMe");
    if (json_array_size(a) == 0)
        kv_html(h, "<p>%m</p>\n", N_("No requests are waiting."));
    else if (p->mbox_id[0])
        kv_html(h, "<p>%m</p>\n",
                N_("Switch to your own mailbox to answer the requests for access to it."));
    else
        access_table(&pp, a, N_("Requests waiting for your answer"), N_("Who asks"), 0);
    kv_html(h, "<h2>%m</h2>\n", N_("Who may read your post"));
    a = json_object_get(view, "given");
    if (json_array_size(a) == 0)
        kv_html(h, "<p>%m</p>\n", N_("Nobody has access to your post."));
    else
        access_table(&pp, a, N_("Who may read your post"), N_("Person"), 1);
    kv_html(h, "<h2>%m</h2>\n", N_("Post you may read"));
    a = json_object_get(view, "held");
    if (json_array_size(a) == 0)
        kv_html(h, "<p>%m</p>\n", N_("You have no access to another person's post."));
    else
        access_table(&pp, a, N_("Post you may read"), N_("Whose post"), 1);
    a = json_object_get(view, "askedByMe");
    if (json_array_size(a) > 0)
        access_table(&pp, a, N_("Your requests"), N_("Whose post"), 2);
    kv_html(h, "<p><a class=\"button button-primary\" href=\"/post/adgang/anmod\">%m</a></p>\n",
            N_("Ask for access to a person's post"));
    kv_web_page_end(&pp.ctx, 200, N_("Access to post"));
out:
    json_decref(view);
    kv__post_end(&pp);
    return 0;
}

/* ---- asking for access ---- */

struct ask {
    char first[128], last[128], cpr[16], level[8], until[16];
};

static void ask_page(struct kv__post *pp, int status, const char *error, const struct ask *a)
{
    struct kv_html *h = &pp->ctx.h;
    int rw = a && strcmp(a->level, "rw") == 0;

    kv_html(h, "<p><a href=\"/post/adgang\" class=\"back-link\">%m</a></p>\n<h1>%m</h1>\n",
            N_("Back to access to post"), N_("Ask for access to a person's post"));
    kv_html(h, "<p>%m</p>\n",
            N_("The person sees your request in their post and approves or rejects it."));
    if (error)
        kv_html(h, "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                   "<p class=\"alert-text\">%t</p></div></div>\n",
                error);
    kv_html(h,
            "<form method=\"post\" action=\"/post/adgang/anmod\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"ask-first\">%m</label>"
            "<input class=\"form-input\" id=\"ask-first\" name=\"fornavn\" required "
            "maxlength=\"100\" autocomplete=\"off\" value=\"%a\"></div>"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"ask-last\">%m</label>"
            "<input class=\"form-input\" id=\"ask-last\" name=\"efternavn\" required "
            "maxlength=\"100\" autocomplete=\"off\" value=\"%a\"></div>"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"ask-cpr\">%m</label>"
            "<span class=\"form-hint\" id=\"ask-cpr-hint\">%m</span>"
            "<input class=\"form-input input-width-s\" id=\"ask-cpr\" name=\"cpr\" required "
            "inputmode=\"numeric\" maxlength=\"11\" autocomplete=\"off\" "
            "aria-describedby=\"ask-cpr-hint\" value=\"%a\"></div>",
            pp->ctx.sess.csrf, N_("The person's first name"), a ? a->first : "",
            N_("The person's last name"), a ? a->last : "", N_("The person's CPR number"),
            N_("10 digits"), a ? a->cpr : "");
    kv_html(h, "<fieldset><legend class=\"form-label\">%m</legend><ul class=\"nobullet-list\">"
               "<li><input class=\"form-radio radio-large\" type=\"radio\" id=\"ask-r\" "
               "name=\"adgang\" value=\"r\"",
            N_("Access"));
    if (rw)
        kv_html(h, ">");
    else
        kv_html(h, " checked>");
    kv_html(h, "<label for=\"ask-r\">%m</label></li>"
               "<li><input class=\"form-radio radio-large\" type=\"radio\" id=\"ask-rw\" "
               "name=\"adgang\" value=\"rw\"",
            N_("Read access"));
    if (rw)
        kv_html(h, " checked>");
    else
        kv_html(h, ">");
    kv_html(h, "<label for=\"ask-rw\">%m</label></li></ul></fieldset>",
            N_("Read and write access"));
    kv_html(h,
            "<div class=\"form-group\"><label class=\"form-label\" for=\"ask-until\">%m</label>"
            "<span class=\"form-hint\" id=\"ask-until-hint\">%m</span>"
            "<input class=\"form-input input-width-s\" type=\"date\" id=\"ask-until\" "
            "name=\"til\" aria-describedby=\"ask-until-hint\" value=\"%a\"></div>"
            "<button class=\"button button-primary\" type=\"submit\">%m</button></form>\n",
            N_("Until and including (optional)"),
            N_("Leave empty for an access that lasts until it is revoked."),
            a ? a->until : "", N_("Send request"));
    kv_web_page_end(&pp->ctx, status, N_("Ask for access to a person's post"));
}

int kv__post_ask_form(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;

    if (kv__post_begin(&pp, req, resp, 0))
        ask_page(&pp, 200, NULL, NULL);
    kv__post_end(&pp);
    return 0;
}

int kv__post_ask_send(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_err err = {0, ""};
    struct ask a;
    char cpr[16];
    const char *why = NULL;
    int64_t until = 0;
    size_t i, j;
    int rc;

    memset(&a, 0, sizeof(a));
    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM))
        goto out;
    kv__post_field(&pp, "fornavn", a.first, sizeof(a.first));
    kv__post_field(&pp, "efternavn", a.last, sizeof(a.last));
    kv__post_field(&pp, "cpr", a.cpr, sizeof(a.cpr));
    kv__post_field(&pp, "adgang", a.level, sizeof(a.level));
    kv__post_field(&pp, "til", a.until, sizeof(a.until));
    for (i = j = 0; a.cpr[i] && j < sizeof(cpr) - 1; i++) /* "ddmmyy-xxxx" as well */
        if (a.cpr[i] != '-' && a.cpr[i] != ' ')
            cpr[j++] = a.cpr[i];
    cpr[j] = '\0';
    if (!a.first[0] || !a.last[0])
        why = N_("Give the person's first and last name.");
    else if (strlen(cpr) != 10 || strspn(cpr, "0123456789") != 10)
        why = N_("A CPR number is 10 digits.");
    else if (strcmp(a.level, "r") != 0 && strcmp(a.level, "rw") != 0)
        why = N_("Choose read access or read and write access.");
    else if (a.until[0] && (kv_rights_parse_until(a.until, &until) < 0 ||
                            until <= kv_clock_now_ms()))
        why = N_("The end date must be a date (YYYY-MM-DD) that has not passed.");
    if (why) {
        ask_page(&pp, 400, kv_i18n_get(pp.ctx.lang, why), &a);
        goto out;
    }
    rc = kv_request_mailbox_access(pp.db, pp.ctx.principal.person_id, a.first, a.last, cpr,
                                   strcmp(a.level, "rw") == 0 ? "MAILBOX_READ_WRITE"
                                                              : "MAILBOX_READ",
                                   until, NULL, &err);
    if (rc == KV_ENOTFOUND || rc == KV_EINVAL || rc == KV_ECONFLICT) {
        why = rc == KV_ENOTFOUND ? N_("No mailbox matches this name and CPR number.")
              : rc == KV_ECONFLICT ? N_("You have asked for this already; the request waits.")
                                   : N_("You cannot ask for access to your own post.");
        ask_page(&pp, rc == KV_ECONFLICT ? 409 : 400, kv_i18n_get(pp.ctx.lang, why), &a);
        goto out;
    }
    answer_change(&pp, rc, NULL, &err, "/post/adgang?ok=1");
out:
    kv__post_end(&pp);
    return 0;
}

/* ---- answering, revoking ---- */

static int64_t path_id(const struct kv_http_req *req)
{
    const char *s = req->params[0];

    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
        return 0;
    return strtoll(s, NULL, 10);
}

static int decide(struct kv_http_req *req, struct kv_http_resp *resp, int approve)
{
    struct kv__post pp;
    struct kv_err err = {0, ""};
    struct kv_request_info ri;
    const struct kv_priv_info *info;
    char actor[64];
    int64_t id = path_id(req);
    int rc;

    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM))
        goto out;
    /* only a request for the signed-in citizen's own mailbox; anything else is "not found" */
    rc = id > 0 ? kv_request_get(pp.db, id, &ri, &err) : KV_ENOTFOUND;
    info = rc == 0 ? kv_priv_find(ri.type) : NULL;
    if (rc == KV_ENOTFOUND || (rc == 0 && (!info || !(info->flags & KV_PRIV_F_MAILBOX) ||
                                           strcmp(ri.scope_type, "CPR") != 0 ||
                                           strcmp(ri.scope_id, pp.ctx.principal.cpr) != 0))) {
        kv_web_error(&pp.ctx, 404);
        goto out;
    }
    if (rc == 0) {
        kv_principal_actor(&pp.ctx.principal, actor, sizeof(actor));
        rc = kv_request_decide(pp.db, id, approve, actor, NULL, &err);
    }
    answer_change(&pp, rc,
                  rc == KV_ECONFLICT || rc == KV_EINVAL
                      ? N_("This request has been answered already, or it can no longer be "
                           "approved.")
                      : NULL,
                  &err, "/post/adgang?ok=1");
out:
    kv__post_end(&pp);
    return 0;
}

int kv__post_access_approve(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return decide(req, resp, 1);
}

int kv__post_access_reject(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return decide(req, resp, 0);
}

int kv__post_access_revoke(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_err err = {0, ""};
    struct kv_privilege pr;
    const struct kv_principal *p;
    char actor[64];
    int64_t id = path_id(req);
    int rc, mine;

    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM))
        goto out;
    p = &pp.ctx.principal;
    rc = id > 0 ? kv_rights_get(pp.db, id, &pr, &err) : KV_ENOTFOUND;
    /* the owner's given access, or the helper's own: anything else is "not found" */
    mine = rc == 0 && pr.type < KV_PRIV__COUNT &&
           (kv_priv_table()[pr.type].flags & KV_PRIV_F_MAILBOX) &&
           ((strcmp(pr.scope_type, "CPR") == 0 && strcmp(pr.scope_id, p->cpr) == 0) ||
            pr.grantee_person_id == p->person_id);
    if (rc == KV_ENOTFOUND || (rc == 0 && !mine)) {
        kv_web_error(&pp.ctx, 404);
        goto out;
    }
    if (rc == 0) {
        kv_principal_actor(p, actor, sizeof(actor));
        rc = kv_rights_revoke(pp.db, id, actor, &err);
    }
    answer_change(&pp, rc, rc == KV_ECONFLICT ? N_("This access has ended already.") : NULL,
                  &err, "/post/adgang?ok=1");
out:
    kv__post_end(&pp);
    return 0;
}

/* ---- the switcher ---- */

int kv__post_switch(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_err err = {0, ""};
    struct kv_web_context list[32];
    char v[24];
    size_t n, i;
    int level = 0, rc = 0;

    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM))
        goto out;
    kv__post_field(&pp, "postkasse", v, sizeof(v));
    if (strncmp(v, "ORG:", 4) == 0 && strcmp(pp.ctx.sess.subject_type, "EMPLOYEE") == 0) {
        n = kv_web_contexts(req->hub, pp.ctx.sess.person_id, list, 32);
        for (i = 0; i < n; i++)
            if (strcmp(list[i].cvr, v + 4) == 0)
                break;
        if (i == n) {
            kv_web_error(&pp.ctx, 403);
            goto out;
        }
        rc = kv_web_session_set_org(req->hub, &pp.ctx.sess, v + 4, &err);
    } else if (v[0] == '\0' && strcmp(pp.ctx.sess.subject_type, "CPR") == 0) {
        rc = kv_web_session_set_mailbox(req->hub, &pp.ctx.sess, NULL, &err);
    } else if ((strncmp(v, "CPR:", 4) == 0 || strncmp(v, "CVR:", 4) == 0) &&
               strcmp(pp.ctx.sess.subject_type, "CPR") == 0) {
        char type[4];

        memcpy(type, v, 3);
        type[3] = '\0';
        rc = kv_rights_mailbox_level(pp.db, pp.ctx.principal.person_id, type, v + 4,
                                     kv_clock_now_ms(), &level, &err);
        if (rc == 0 && level <= 0) {
            kv_web_error(&pp.ctx, 403);
            goto out;
        }
        if (rc == 0)
            rc = kv_web_session_set_mailbox(req->hub, &pp.ctx.sess, v, &err);
    } else {
        kv_web_error(&pp.ctx, 400);
        goto out;
    }
    answer_change(&pp, rc, NULL, &err, "/post/");
out:
    kv__post_end(&pp);
    return 0;
}

void kv__post_switcher(struct kv__post *pp)
{
    struct kv_html *h = &pp->ctx.h;
    const struct kv_principal *p = &pp->ctx.principal;
    struct kv_err err = {0, ""};
    struct kv_web_context list[32];
    json_t *view = NULL, *o;
    char cur[24], val[24];
    size_t n = 0, i;

    snprintf(cur, sizeof(cur), "%.3s:%.10s", pp->owner.type, pp->owner.id);
    if (p->kind == KV_PRINCIPAL_CITIZEN) {
        if (kv_mailbox_access_view(pp->db, p->person_id, NULL, NULL, &view, &err) < 0)
            return;
        n = json_array_size(json_object_get(view, "held"));
    } else if (strcmp(pp->ctx.sess.subject_type, "EMPLOYEE") == 0) {
        n = kv_web_contexts(pp->ctx.req->hub, pp->ctx.sess.person_id, list, 32);
        if (n < 2)
            n = 0;
    }
    if (n == 0) {
        json_decref(view);
        return;
    }
    kv_html(h,
            "<form method=\"post\" action=\"/post/postkasse\" class=\"mailbox-switcher mb-5\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"post-box\">%m</label>"
            "<select class=\"form-select\" id=\"post-box\" name=\"postkasse\">",
            pp->ctx.sess.csrf, N_("Mailbox"));
    if (p->kind == KV_PRINCIPAL_CITIZEN) {
        if (p->mbox_id[0])
            kv_html(h, "<option value=\"\">");
        else
            kv_html(h, "<option value=\"\" selected>");
        kv_html(h, "%m (%t)</option>", N_("My own post"), p->name);
        json_array_foreach(json_object_get(view, "held"), i, o)
        {
            const char *name = json_string_value(json_object_get(o, "name"));

            snprintf(val, sizeof(val), "%.3s:%.10s",
                     json_string_value(json_object_get(o, "numberType")),
                     json_string_value(json_object_get(o, "number")));
            kv_html(h, "<option value=\"%a\"", val);
            if (strcmp(val, cur) == 0 && p->mbox_id[0])
                kv_html(h, " selected>");
            else
                kv_html(h, ">");
            kv_html(h, "%t – %m</option>", name && *name ? name : val,
                    level_msgid(json_string_value(json_object_get(o, "type"))));
        }
    } else {
        for (i = 0; i < n; i++) {
            snprintf(val, sizeof(val), "ORG:%.8s", list[i].cvr);
            kv_html(h, "<option value=\"%a\"", val);
            if (strcmp(list[i].cvr, pp->owner.id) == 0)
                kv_html(h, " selected>");
            else
                kv_html(h, ">");
            kv_html(h, "%t (CVR %t)</option>", list[i].name, list[i].cvr);
        }
    }
    kv_html(h, "</select></div><button class=\"button button-secondary\" type=\"submit\">%m"
               "</button></form>\n",
            N_("Switch mailbox"));
    json_decref(view);
}

/* ---- activity log ---- */

static const char *tag_msgid(const char *tag)
{
    static const struct {
        const char *tag, *msgid;
    } T[] = {
        {"MESSAGE_READ", N_("read a letter")},
        {"MAILBOX_READ_BY_PARTY_REPRESENTATIVE", N_("opened a letter as a helper")},
        {"MESSAGE_MOVED", N_("moved a letter")},
        {"MESSAGE_DELETED", N_("deleted a letter permanently")},
        {"MESSAGE_LEGALLY_NOTIFIED", N_("was legally notified of a letter (forkyndelse)")},
        {"MESSAGE_FORWARDED_TO_AUTHORITY", N_("forwarded a letter to an authority")},
        {"MESSAGE_FORWARDED_TO_EMAIL", N_("forwarded a notice of a letter by e-mail")},
        {"MESSAGE_FORWARDED_TO_TRUSTED", N_("forwarded a letter to another Digital Post "
                                            "recipient")},
        {"FOLDER_CREATED", N_("created a folder")},
        {"FOLDER_UPDATED", N_("renamed a folder")},
        {"FOLDER_MOVED", N_("moved a folder")},
        {"FOLDER_DELETED", N_("deleted a folder")},
        {"MAILBOX_MESSAGE_SENT", N_("wrote a letter")},
        {"DRAFT_SAVED", N_("saved a draft")},
        {"DRAFT_DELETED", N_("deleted a draft")},
        {"DRAFT_SENT", N_("sent a draft")},
        {"ACCESS_REQUEST_SUBMITTED", N_("asked for access")},
        {"ACCESS_REQUEST_APPROVED", N_("approved a request for access")},
        {"ACCESS_REQUEST_REJECTED", N_("rejected a request for access")},
        {"ACCESS_REQUEST_REVOKED", N_("revoked an access")},
        {"READ_ACCESS_CREATED", N_("an access began")},
        {"READ_ACCESS_DELETED", N_("an access ended")},
        {"PRIVILEGE_EXPIRATION_NOTIFIED", N_("notice sent: an access ends soon")},
    };
    size_t i;

    for (i = 0; i < sizeof(T) / sizeof(T[0]); i++)
        if (tag && strcmp(T[i].tag, tag) == 0)
            return T[i].msgid;
    return NULL;
}

/* Who an event's actor is, as the owner would say it. */
static void actor_text(struct kv__post *pp, const char *actor, char *out, size_t n)
{
    struct kv_person who;
    struct kv_err err = {0, ""};
    char subj[16], num[16];

    kv_mbox_subject(&pp->owner, subj, sizeof(subj));
    if (!actor) {
        snprintf(out, n, "–");
    } else if (strcmp(actor, subj) == 0) {
        snprintf(out, n, "%s", kv_i18n_get(pp->ctx.lang, N_("The mailbox's owner")));
    } else if (strncmp(actor, "cpr:", 4) == 0 && kv_person_find_cpr(pp->db, actor + 4, &who,
                                                                      &err) == 0) {
        cpr_show(actor + 4, num, sizeof(num));
        snprintf(out, n, "%s (%s)", who.name, num);
    } else if (strcmp(actor, "hub") == 0) {
        snprintf(out, n, "Digital Post");
    } else if (strncmp(actor, "person:", 7) == 0 || strncmp(actor, "cpr:", 4) == 0) {
        snprintf(out, n, "%s", kv_i18n_get(pp->ctx.lang, N_("A helper")));
    } else {
        snprintf(out, n, "%s", kv_i18n_get(pp->ctx.lang, N_("Citizen service")));
    }
}

int kv__post_activity(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_err err = {0, ""};
    struct kv_html *h;
    const char *before = kv_http_req_query(req, "foer");
    json_t *log = NULL, *it;
    int64_t b = 0;
    size_t i;

    if (!kv__post_begin(&pp, req, resp, 0))
        goto out;
    h = &pp.ctx.h;
    if (before && *before) {
        if (strlen(before) > 18 || strspn(before, "0123456789") != strlen(before)) {
            kv_web_error(&pp.ctx, 400);
            goto out;
        }
        b = strtoll(before, NULL, 10);
    }
    if (kv_mbox_activity(pp.db, &pp.owner, b, &log, &err) < 0) {
        failed(&pp, &err);
        goto out;
    }
    kv_html(h, "<p><a href=\"/post/\" class=\"back-link\">%m</a></p>\n<h1>%m</h1>\n"
               "<p>%m</p>\n",
            N_("Back to the post"), N_("Activity in the mailbox"),
            N_("Who read, moved, deleted and wrote letters here, and who asked for, got or "
               "lost access, newest first."));
    if (json_array_size(json_object_get(log, "items")) == 0) {
        kv_html(h, "<p>%m</p>\n", N_("Nothing has happened yet."));
    } else {
        kv_html(h, "<div class=\"table--responsive-scroll\"><table class=\"table table--zebra\">"
                   "<caption>%m</caption><thead><tr><th scope=\"col\">%m</th>"
                   "<th scope=\"col\">%m</th><th scope=\"col\">%m</th></tr></thead><tbody>\n",
                N_("Activity in the mailbox"), N_("When"), N_("Who"), N_("What"));
        json_array_foreach(json_object_get(log, "items"), i, it)
        {
            const char *tag = json_string_value(json_object_get(it, "eventTag"));
            const char *at = json_string_value(json_object_get(it, "eventTime"));
            const char *what = tag_msgid(tag);
            char when[32] = "–", who[300];
            int64_t ms;

            if (at && kv_clock_parse_utc(at, &ms) == 0)
                kv__post_time(ms, when, sizeof(when));
            actor_text(&pp, json_string_value(json_object_get(it, "actor")), who, sizeof(who));
            kv_html(h, "<tr><td>%t</td><td>%t</td><td>", when, who);
            if (what)
                kv_html(h, "%m", what);
            else
                kv_html(h, "%t", tag ? tag : "");
            kv_html(h, "</td></tr>\n");
        }
        kv_html(h, "</tbody></table></div>\n");
    }
    if (json_is_integer(json_object_get(log, "nextBefore")))
        kv_html(h, "<p><a href=\"/post/aktivitet?foer=%D\">%m</a></p>\n",
                (int64_t)json_integer_value(json_object_get(log, "nextBefore")),
                N_("Older activity"));
    kv_web_page_end(&pp.ctx, 200, N_("Activity in the mailbox"));
out:
    json_decref(log);
    kv__post_end(&pp);
    return 0;
}

/* SPDX-License-Identifier: MIT
 *
 * rights_common.c: the Rettighedsportal's shared parts (see rights_portal.h) and its route
 * table. Pages live under /rettighedsportal/ (Danish paths, as the portal roots):
 *
 *   GET  /rettighedsportal/                          overview of the organisation acted for
 *   GET  /rettighedsportal/medarbejdere?q=           employees, searchable; POST adds one
 *   GET  /rettighedsportal/medarbejdere/{id}         an employee, their rights, grant form
 *   POST /rettighedsportal/medarbejdere/{id}/tildel  grant (right, optional last day)
 *   POST /rettighedsportal/medarbejdere/{id}/status  deactivate / reactivate
 *   POST /rettighedsportal/rettigheder/{id}/fjern    revoke a privilege
 *   GET  /rettighedsportal/grupper                   user groups; POST creates one
 *   GET  /rettighedsportal/grupper/{id}              members and rights of a group
 *   POST /rettighedsportal/grupper/{id}/medlemmer    add a member (.../{eid}/fjern removes)
 *   POST /rettighedsportal/grupper/{id}/tildel       grant to the group
 *   GET  /rettighedsportal/partnere                  external partners; POST grants to a CVR
 *   POST /rettighedsportal/partnere/{id}/videregiv   hand a right given to us on to an employee
 *   GET  /rettighedsportal/anmodninger               pending requests
 *   POST /rettighedsportal/anmodninger/{id}          approve or reject
 *   GET  /rettighedsportal/anmod                     any employee asks for a right; POST sends
 *
 * The root is open to anyone signed in (it explains itself to a citizen and to an employee
 * without the right), the ask page to every employee; all others need the
 * rettighedsadministrator right (access key "rights") in the organisation the session acts
 * for. The header's context switcher changes that organisation.
 */
#include "web/rights_portal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "identity/authz.h"
#include "identity/identity.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "web/i18n.h"

int64_t kv__rp_param_id(const struct kv_web_portal_page *rp, int i)
{
    const char *s = rp->ctx.req->params[i];
    char *end;
    long long v;

    if (!s || !*s || strlen(s) > 18 || *s < '1' || *s > '9')
        return 0;
    v = strtoll(s, &end, 10);
    return *end ? 0 : (int64_t)v;
}

static const struct {
    const char *path, *msgid;
} NAV[] = {
    {"/rettighedsportal/", N_("Overview")},
    {"/rettighedsportal/medarbejdere", N_("Employees")},
    {"/rettighedsportal/grupper", N_("User groups")},
    {"/rettighedsportal/partnere", N_("External partners")},
    {"/rettighedsportal/anmodninger", N_("Requests")},
};

void kv__rp_head(struct kv_web_portal_page *rp, const char *title_msgid, const char *current,
                 const char *ok_msgid, const char *err_msgid, const char *err_detail)
{
    struct kv_html *h = &rp->ctx.h;
    size_t i;

    kv_html(h, "<p class=\"font-lead mb-0\">%m · %t (CVR %t)</p>\n<h1>%m</h1>\n",
            N_("Rettighedsportal"), rp->org_name, rp->org, title_msgid);
    kv_html(h, "<nav aria-label=\"%m\"><ul class=\"nobullet-list rights-nav\">", N_("Rettighedsportal"));
    for (i = 0; i < sizeof(NAV) / sizeof(NAV[0]); i++) {
        if (current && strcmp(current, NAV[i].path) == 0)
            kv_html(h, "<li><a href=\"%u\" aria-current=\"page\"><strong>%m</strong></a></li>",
                    NAV[i].path, NAV[i].msgid);
        else
            kv_html(h, "<li><a href=\"%u\">%m</a></li>", NAV[i].path, NAV[i].msgid);
    }
    kv_html(h, "</ul></nav>\n");
    if (ok_msgid)
        kv_html(h,
                "<div class=\"alert alert-success\" role=\"status\"><div class=\"alert-body\">"
                "<p class=\"alert-heading\">%m</p></div></div>\n",
                ok_msgid);
    if (err_msgid) {
        kv_html(h,
                "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                "<p class=\"alert-heading\">%m</p>",
                err_msgid);
        if (err_detail && *err_detail)
            kv_html(h, "<p class=\"alert-text\">%t</p>", err_detail);
        kv_html(h, "</div></div>\n");
    }
}

const char *kv__rp_priv_name(const struct kv_web_portal_page *rp, const char *code)
{
    const struct kv_priv_info *info = kv_priv_find(code);

    if (!info)
        return code ? code : "";
    return strcmp(kv_i18n_code(rp->ctx.lang), "en") == 0 ? info->name_en : info->name_da;
}

void kv__rp_right_select(struct kv_web_portal_page *rp, const char *id, int partner)
{
    const struct kv_priv_info *t = kv_priv_table();
    int i;

    kv_html(&rp->ctx.h,
            "<div class=\"form-group\"><label class=\"form-label\" for=\"%a\">%m</label>"
            "<select class=\"form-select\" id=\"%a\" name=\"right\" required>",
            id, N_("Right"), id);
    for (i = 0; i < KV_PRIV__COUNT; i++) {
        if (!(t[i].flags & KV_PRIV_F_ORG) || (partner && !(t[i].flags & KV_PRIV_F_PARTNER)))
            continue;
        kv_html(&rp->ctx.h, "<option value=\"%a\">%t (%t)</option>", t[i].code,
                kv__rp_priv_name(rp, t[i].code), t[i].code);
    }
    kv_html(&rp->ctx.h, "</select></div>");
}

void kv__rp_until_field(struct kv_web_portal_page *rp, const char *id)
{
    kv_html(&rp->ctx.h,
            "<div class=\"form-group\"><label class=\"form-label\" for=\"%a\">%m</label>"
            "<span class=\"form-hint\" id=\"%a-hint\">%m</span>"
            "<input class=\"form-input form-input-date\" type=\"date\" id=\"%a\" name=\"until\" "
            "aria-describedby=\"%a-hint\" min=\"2000-01-01\" max=\"2200-12-31\"></div>",
            id, N_("Valid until and including (optional)"), id,
            N_("Leave empty for a right without an end date. A warning e-mail is sent 7 days "
               "before it ends."),
            id, id);
}

int kv__rp_until(const struct kv_web_portal_page *rp, int64_t *out_ms)
{
    char until[32];

    *out_ms = 0;
    kv_web_portal_field(rp, "until", until, sizeof(until));
    if (!until[0])
        return 0;
    return kv_rights_parse_until(until, out_ms);
}

void kv__rp_rights_table(struct kv_web_portal_page *rp, const json_t *rights, int can_revoke,
                         const char *back, const char *caption_msgid)
{
    struct kv_html *h = &rp->ctx.h;
    const json_t *r;
    size_t i;

    if (json_array_size(rights) == 0) {
        kv_html(h, "<p>%m</p>\n", N_("No rights."));
        return;
    }
    kv_html(h,
            "<div class=\"table--responsive-scroll\"><table class=\"table table--compact\">"
            "<caption>%m</caption><thead><tr><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
            "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">"
            "<span class=\"sr-only\">%m</span></th></tr></thead><tbody>\n",
            caption_msgid, N_("Right"), N_("Limited to"), N_("Valid until and including"),
            N_("Given through"), N_("Actions"));
    json_array_foreach(rights, i, r) {
        const char *type = json_string_value(json_object_get(r, "type"));
        const json_t *narrow = json_object_get(r, "narrow"), *via = json_object_get(r, "via");
        const char *status = json_string_value(json_object_get(r, "status"));
        json_int_t id = json_integer_value(json_object_get(r, "id"));
        char until[11] = "";
        const char *to = json_string_value(json_object_get(r, "activeTo"));
        int64_t to_ms = 0;

        if (to && kv_clock_parse_utc(to, &to_ms) == 0)
            kv_rights_format_until(to_ms, until);
        kv_html(h, "<tr><td>%t <span class=\"text-muted\">%t</span></td><td>", kv__rp_priv_name(rp, type),
                type);
        if (narrow)
            kv_html(h, "%t %t", json_string_value(json_object_get(narrow, "type")),
                    json_string_value(json_object_get(narrow, "id")));
        else
            kv_html(h, "%m", N_("The whole organisation"));
        kv_html(h, "</td><td>%t</td><td>", until[0] ? until : "–");
        if (via)
            kv_html(h, "%m %t", N_("group"), json_string_value(json_object_get(via, "name")));
        else if (json_object_get(r, "parentId"))
            kv_html(h, "%m", N_("external partner"));
        else
            kv_html(h, "%m", N_("direct"));
        kv_html(h, "</td><td>");
        if (can_revoke && !via && status && strcmp(status, "ACTIVE") == 0)
            kv_html(h,
                    "<form method=\"post\" action=\"/rettighedsportal/rettigheder/%D/fjern\" "
                    "class=\"mt-0\"><input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                    "<input type=\"hidden\" name=\"back\" value=\"%a\">"
                    "<button type=\"submit\" class=\"button button-secondary\" "
                    "aria-label=\"%m: %t\">%m</button></form>",
                    (int64_t)id, rp->ctx.sess.csrf, back, N_("Revoke"),
                    kv__rp_priv_name(rp, type), N_("Revoke"));
        kv_html(h, "</td></tr>\n");
    }
    kv_html(h, "</tbody></table></div>\n");
}

const char *kv__rp_refusal(int rc, const struct kv_err *err, int *status)
{
    const char *m = err ? err->msg : "";

    *status = 409;
    if (rc == KV_ECONFLICT) {
        if (strstr(m, "without a rettighedsadministrator"))
            return N_("Refused: the organisation must keep at least one rettighedsadministrator "
                      "without an end date. Grant the right to someone else first.");
        if (strstr(m, "first rettighedsadministrator"))
            return N_("The organisation's first rettighedsadministrator cannot have an end date.");
        if (strstr(m, "already holds"))
            return N_("The right is held already.");
        if (strstr(m, "already an employee"))
            return N_("That person is an employee of the organisation already.");
        if (strstr(m, "member already"))
            return N_("The employee is a member already.");
        if (strstr(m, "group with this name"))
            return N_("A group with that name exists.");
        if (strstr(m, "deactivated"))
            return N_("The employee is deactivated.");
        if (strstr(m, "waiting already"))
            return N_("You have asked for that right already; the request is waiting.");
        if (strstr(m, "e-mail address, CPR number"))
            return N_("That e-mail address belongs to someone else.");
        return N_("Someone else changed this first. Reload the page and try again.");
    }
    *status = 400;
    if (rc == KV_EINVAL) {
        if (strstr(m, "end date"))
            return N_("The end date has passed or is not a date.");
        if (strstr(m, "external partner"))
            return N_("That right cannot be given to an external partner.");
        if (strstr(m, "e-mail"))
            return N_("Give a valid e-mail address.");
        if (strstr(m, "name"))
            return N_("Give a name.");
        if (strstr(m, "CVR"))
            return N_("A CVR number is 8 digits.");
        return N_("The form was not filled in correctly.");
    }
    *status = 404;
    if (rc == KV_ENOTFOUND)
        return N_("There is no such organisation, employee, group or right.");
    *status = 500;
    return N_("Something went wrong on our side. Try again later.");
}

int kv__rp_show(struct kv_http_req *req, struct kv_http_resp *resp, const char *access,
                void (*page)(struct kv_web_portal_page *rp, int status, const char *err_msgid))
{
    struct kv_web_portal_page rp;

    if (kv_web_portal_begin(&rp, req, resp, access, 0))
        page(&rp, 200, NULL);
    kv_web_portal_end(&rp);
    return 0;
}

void kv__rp_result(struct kv_web_portal_page *rp, int rc, const struct kv_err *err,
                   const char *path, int64_t id, const char *ok,
                   void (*page)(struct kv_web_portal_page *rp, int status, const char *err_msgid))
{
    const char *why;
    int status;

    if (rc == 0) {
        kv__rp_redirect_ok(rp, path, id, ok);
        return;
    }
    why = kv__rp_refusal(rc, err, &status);
    page(rp, status, why);
}

#define PAGE KV_ROUTE_PAGE
const struct kv_http_route kv_web_rights_routes[] = {
    {"GET", "/rettighedsportal/", kv__rp_overview, "rp_overview", PAGE, KV_ACCESS_SIGNED_IN},
    {"GET", "/rettighedsportal/medarbejdere", kv__rp_employees, "rp_employees", PAGE,
     KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/medarbejdere", kv__rp_employee_add, "rp_employee_add", PAGE,
     KV_ACCESS_RIGHTS},
    {"GET", "/rettighedsportal/medarbejdere/{id}", kv__rp_employee, "rp_employee", PAGE,
     KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/medarbejdere/{id}/tildel", kv__rp_employee_grant,
     "rp_employee_grant", PAGE, KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/medarbejdere/{id}/status", kv__rp_employee_status,
     "rp_employee_status", PAGE, KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/rettigheder/{id}/fjern", kv__rp_revoke, "rp_revoke", PAGE,
     KV_ACCESS_RIGHTS},
    {"GET", "/rettighedsportal/grupper", kv__rp_groups, "rp_groups", PAGE, KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/grupper", kv__rp_group_add, "rp_group_add", PAGE, KV_ACCESS_RIGHTS},
    {"GET", "/rettighedsportal/grupper/{id}", kv__rp_group, "rp_group", PAGE, KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/grupper/{id}/medlemmer", kv__rp_group_member, "rp_group_member",
     PAGE, KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/grupper/{id}/medlemmer/{eid}/fjern", kv__rp_group_member_remove,
     "rp_group_member_remove", PAGE, KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/grupper/{id}/tildel", kv__rp_group_grant, "rp_group_grant", PAGE,
     KV_ACCESS_RIGHTS},
    {"GET", "/rettighedsportal/partnere", kv__rp_partners, "rp_partners", PAGE, KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/partnere", kv__rp_partner_grant, "rp_partner_grant", PAGE,
     KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/partnere/{id}/videregiv", kv__rp_partner_hand_on,
     "rp_partner_hand_on", PAGE, KV_ACCESS_RIGHTS},
    {"GET", "/rettighedsportal/anmodninger", kv__rp_requests, "rp_requests", PAGE,
     KV_ACCESS_RIGHTS},
    {"POST", "/rettighedsportal/anmodninger/{id}", kv__rp_request_decide, "rp_request_decide", PAGE,
     KV_ACCESS_RIGHTS},
    {"GET", "/rettighedsportal/anmod", kv__rp_ask, "rp_ask", PAGE, KV_ACCESS_EMPLOYEE},
    {"POST", "/rettighedsportal/anmod", kv__rp_ask_post, "rp_ask_post", PAGE, KV_ACCESS_EMPLOYEE},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

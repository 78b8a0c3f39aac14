/* SPDX-License-Identifier: MIT
 *
 * rights_groups.c: the Rettighedsportal's user groups, external partners and requests
 * (routes in rights_common.c). A user group collects employees of the organisation; a right
 * granted to the group is held by every active member. An external partner is another
 * organisation (a CVR) given a right in ours; its own rettighedsadministrator hands it on to
 * named employees on the same page of the partner's portal ("rights given to us"). Requests
 * come from employees asking for a right (the ask page, open to every employee) and are
 * approved -- which grants the right -- or rejected here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/directory.h"
#include "identity/authz.h"
#include "identity/identity.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"
#include "web/i18n.h"
#include "web/rights_portal.h"

static void employee_select(struct kv_web_portal_page *rp, const json_t *list, const char *id,
                            const char *label_msgid)
{
    const json_t *e;
    size_t i;

    kv_html(&rp->ctx.h,
            "<div class=\"form-group\"><label class=\"form-label\" for=\"%a\">%m</label>"
            "<select class=\"form-select\" id=\"%a\" name=\"employee\" required>",
            id, label_msgid, id);
    json_array_foreach(json_object_get(list, "employees"), i, e) {
        if (strcmp(json_string_value(json_object_get(e, "status")), "ACTIVE") != 0)
            continue;
        kv_html(&rp->ctx.h, "<option value=\"%D\">%t (%t)</option>",
                (int64_t)json_integer_value(json_object_get(e, "employeeId")),
                json_string_value(json_object_get(e, "name")),
                json_string_value(json_object_get(e, "email")));
    }
    kv_html(&rp->ctx.h, "</select></div>");
}

static int64_t field_id(const struct kv_web_portal_page *rp, const char *name)
{
    char v[24], *end;
    long long n;

    kv_web_portal_field(rp, name, v, sizeof(v));
    if (!v[0] || v[0] < '1' || v[0] > '9')
        return 0;
    n = strtoll(v, &end, 10);
    return *end ? 0 : (int64_t)n;
}

/* ---- user groups ---- */

static void groups_page(struct kv_web_portal_page *rp, int status, const char *err_msgid)
{
    struct kv_html *h = &rp->ctx.h;
    struct kv_err err = {0, ""};
    json_t *list = NULL;
    const json_t *g;
    size_t i;

    if (kv_rights_list_org(rp->db, rp->org, 0, &list, &err) < 0) {
        kv_web_error(&rp->ctx, 500);
        return;
    }
    kv__rp_head(rp, N_("User groups"), "/rettighedsportal/grupper", kv__rp_ok(rp), err_msgid,
                NULL);
    if (json_array_size(json_object_get(list, "groups")) == 0)
        kv_html(h, "<p>%m</p>\n", N_("The organisation has no user groups yet."));
    else
        kv_html(h, "<ul class=\"nobullet-list\">");
    json_array_foreach(json_object_get(list, "groups"), i, g)
        kv_html(h, "<li><a href=\"/rettighedsportal/grupper/%D\">%t</a> – %d %m</li>",
                (int64_t)json_integer_value(json_object_get(g, "groupId")),
                json_string_value(json_object_get(g, "name")),
                (int)json_array_size(json_object_get(g, "members")), N_("member(s)"));
    if (json_array_size(json_object_get(list, "groups")))
        kv_html(h, "</ul>\n");
    kv_html(h,
            "<h2>%m</h2>\n<form method=\"post\" action=\"/rettighedsportal/grupper\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"group-name\">%m</label>"
            "<input class=\"form-input\" type=\"text\" id=\"group-name\" name=\"name\" "
            "maxlength=\"256\" required></div>"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"group-desc\">%m</label>"
            "<input class=\"form-input\" type=\"text\" id=\"group-desc\" name=\"description\" "
            "maxlength=\"1000\"></div>"
            "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            N_("Create a user group"), rp->ctx.sess.csrf, N_("Name"),
            N_("Description (optional)"), N_("Create group"));
    kv_web_page_end(&rp->ctx, status, N_("User groups"));
    json_decref(list);
}

int kv__rp_groups(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return kv__rp_show(req, resp, KV_ACCESS_RIGHTS, groups_page);
}

int kv__rp_group_add(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_err err = {0, ""};
    char name[KV_NAME_MAX + 1], desc[1001];
    int64_t gid = 0;
    int rc;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST))
        goto out;
    kv_web_portal_field(&rp, "name", name, sizeof(name));
    kv_web_portal_field(&rp, "description", desc, sizeof(desc));
    rc = kv_group_add(rp.db, rp.org, name, desc, rp.actor, &gid, &err);
    kv__rp_result(&rp, rc, &err, "/rettighedsportal/grupper", gid, "created", groups_page);
out:
    kv_web_portal_end(&rp);
    return 0;
}

static const json_t *find_group(const json_t *list, int64_t gid)
{
    const json_t *g;
    size_t i;

    json_array_foreach(json_object_get(list, "groups"), i, g)
        if (json_integer_value(json_object_get(g, "groupId")) == gid)
            return g;
    return NULL;
}

static const char *employee_name(const json_t *list, int64_t eid)
{
    const json_t *e;
    size_t i;

    json_array_foreach(json_object_get(list, "employees"), i, e)
        if (json_integer_value(json_object_get(e, "employeeId")) == eid)
            return json_string_value(json_object_get(e, "name"));
    return "?";
}

static void group_page(struct kv_web_portal_page *rp, int64_t gid, int status, const char *err_msgid)
{
    struct kv_html *h = &rp->ctx.h;
    struct kv_err err = {0, ""};
    json_t *list = NULL;
    const json_t *g, *m;
    char base[96];
    size_t i;

    if (kv_rights_list_org(rp->db, rp->org, 0, &list, &err) < 0) {
        kv_web_error(&rp->ctx, 500);
        return;
    }
    g = gid ? find_group(list, gid) : NULL;
    if (!g) {
        kv_web_error(&rp->ctx, 404);
        json_decref(list);
        return;
    }
    snprintf(base, sizeof(base), "/rettighedsportal/grupper/%lld", (long long)gid);
    kv__rp_head(rp, N_("User group"), "/rettighedsportal/grupper", kv__rp_ok(rp), err_msgid, NULL);
    kv_html(h, "<h2>%t</h2>\n<p>%t</p>\n<h3>%m</h3>\n",
            json_string_value(json_object_get(g, "name")),
            json_string_value(json_object_get(g, "description")), N_("Members"));
    if (json_array_size(json_object_get(g, "members")) == 0)
        kv_html(h, "<p>%m</p>\n", N_("No members yet."));
    else
        kv_html(h, "<ul class=\"nobullet-list\">");
    json_array_foreach(json_object_get(g, "members"), i, m) {
        int64_t eid = (int64_t)json_integer_value(m);

        kv_html(h,
                "<li>%t <form method=\"post\" action=\"%u/medlemmer/%D/fjern\" "
                "class=\"mt-0 inline-form\"><input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                "<button type=\"submit\" class=\"button button-secondary\" aria-label=\"%m: %t\">"
                "%m</button></form></li>",
                employee_name(list, eid), base, eid, rp->ctx.sess.csrf, N_("Remove from group"),
                employee_name(list, eid), N_("Remove"));
    }
    if (json_array_size(json_object_get(g, "members")))
        kv_html(h, "</ul>\n");
    kv_html(h, "<form method=\"post\" action=\"%u/medlemmer\">"
               "<input type=\"hidden\" name=\"csrf\" value=\"%a\">",
            base, rp->ctx.sess.csrf);
    employee_select(rp, list, "member-employee", N_("Add a member"));
    kv_html(h, "<button type=\"submit\" class=\"button button-secondary\">%m</button></form>\n",
            N_("Add member"));
    kv_html(h, "<h3>%m</h3>\n", N_("Rights of the group"));
    kv__rp_rights_table(rp, json_object_get(g, "rights"), 1, base, N_("Rights of the group"));
    kv_html(h, "<form method=\"post\" action=\"%u/tildel\">"
               "<input type=\"hidden\" name=\"csrf\" value=\"%a\">",
            base, rp->ctx.sess.csrf);
    kv__rp_right_select(rp, "group-right", 0);
    kv__rp_until_field(rp, "group-until");
    kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            N_("Grant to the group"));
    kv_web_page_end(&rp->ctx, status, N_("User group"));
    json_decref(list);
}

int kv__rp_group(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;

    if (kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, 0))
        group_page(&rp, kv__rp_param_id(&rp, 0), 200, NULL);
    kv_web_portal_end(&rp);
    return 0;
}

/* The group of path parameter 0 when it belongs to the organisation acted for. */
static int own_group(struct kv_web_portal_page *rp, int64_t *gid)
{
    static const char sql[] = "SELECT org_cvr FROM user_groups WHERE id = ?";
    struct kv_stmt *s;
    int ok = 0;

    *gid = kv__rp_param_id(rp, 0);
    if (*gid && kv_db_prepare(rp->db, sql, &s, NULL) == 0) {
        kv_stmt_bind_int64(s, 1, *gid);
        if (kv_stmt_step(s, NULL) == KV_ROW)
            ok = kv_stmt_col_text(s, 0) && strcmp(kv_stmt_col_text(s, 0), rp->org) == 0;
        kv_stmt_done(s);
    }
    if (!ok)
        kv_web_error(&rp->ctx, 404);
    return ok;
}

static void group_result(struct kv_web_portal_page *rp, int64_t gid, int rc, const struct kv_err *err,
                         const char *ok)
{
    int status;

    if (rc == 0) {
        kv__rp_redirect_ok(rp, "/rettighedsportal/grupper", gid, ok);
        return;
    }
    {
        const char *why = kv__rp_refusal(rc, err, &status);

        group_page(rp, gid, status, why);
    }
}

int kv__rp_group_member(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_err err = {0, ""};
    int64_t gid;

    if (kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST) && own_group(&rp, &gid))
        group_result(&rp, gid,
                     kv_group_member_add(rp.db, gid, field_id(&rp, "employee"), rp.actor, &err),
                     &err, "member");
    kv_web_portal_end(&rp);
    return 0;
}

int kv__rp_group_member_remove(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_err err = {0, ""};
    int64_t gid;

    if (kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST) && own_group(&rp, &gid))
        group_result(&rp, gid,
                     kv_group_member_remove(rp.db, gid, kv__rp_param_id(&rp, 1), rp.actor, &err),
                     &err, "removed");
    kv_web_portal_end(&rp);
    return 0;
}

int kv__rp_group_grant(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_err err = {0, ""};
    struct kv_grant g;
    char right[64];
    int64_t gid;
    int rc;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST) || !own_group(&rp, &gid))
        goto out;
    memset(&g, 0, sizeof(g));
    kv_web_portal_field(&rp, "right", right, sizeof(right));
    rc = kv__rp_until(&rp, &g.active_to_ms);
    if (rc < 0) {
        rc = kv_err_set(&err, KV_EINVAL, "the end date is not a date");
    } else {
        g.type = right;
        g.scope_cvr = rp.org;
        g.group_id = gid;
        g.issuer = rp.actor;
        rc = kv_rights_grant(rp.db, &g, 0, NULL, &err);
    }
    group_result(&rp, gid, rc, &err, "granted");
out:
    kv_web_portal_end(&rp);
    return 0;
}

/* ---- external partners ---- */

static void partners_page(struct kv_web_portal_page *rp, int status, const char *err_msgid)
{
    struct kv_html *h = &rp->ctx.h;
    struct kv_err err = {0, ""};
    json_t *list = NULL, *given = NULL;
    const json_t *r;
    size_t i;

    if (kv_rights_list_org(rp->db, rp->org, 0, &list, &err) < 0 ||
        kv_rights_list_appointed(rp->db, rp->org, &given, &err) < 0) {
        kv_web_error(&rp->ctx, 500);
        json_decref(list);
        return;
    }
    kv__rp_head(rp, N_("External partners"), "/rettighedsportal/partnere", kv__rp_ok(rp),
                err_msgid, NULL);
    kv_html(h, "<p>%m</p>\n<h2>%m</h2>\n",
            N_("An external partner, such as an accountant or a lawyer, is another organisation. "
               "You give it a right by its CVR number; its own rettighedsadministrator passes the "
               "right on to named employees."),
            N_("Rights we have given"));
    if (json_array_size(json_object_get(list, "partners")) == 0)
        kv_html(h, "<p>%m</p>\n", N_("None."));
    else
        kv_html(h, "<ul class=\"nobullet-list\">");
    json_array_foreach(json_object_get(list, "partners"), i, r) {
        const char *type = json_string_value(json_object_get(r, "type"));

        kv_html(h,
                "<li>CVR %t: %t <form method=\"post\" "
                "action=\"/rettighedsportal/rettigheder/%D/fjern\" class=\"mt-0 inline-form\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                "<input type=\"hidden\" name=\"back\" value=\"/rettighedsportal/partnere\">"
                "<button type=\"submit\" class=\"button button-secondary\" aria-label=\"%m: %t, "
                "CVR %t\">%m</button></form></li>",
                json_string_value(json_object_get(json_object_get(r, "grantee"), "cvr")),
                kv__rp_priv_name(rp, type),
                (int64_t)json_integer_value(json_object_get(r, "id")), rp->ctx.sess.csrf,
                N_("Revoke"), kv__rp_priv_name(rp, type),
                json_string_value(json_object_get(json_object_get(r, "grantee"), "cvr")),
                N_("Revoke"));
    }
    if (json_array_size(json_object_get(list, "partners")))
        kv_html(h, "</ul>\n");
    kv_html(h,
            "<h3>%m</h3>\n<form method=\"post\" action=\"/rettighedsportal/partnere\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"partner-cvr\">%m</label>"
            "<input class=\"form-input\" type=\"text\" id=\"partner-cvr\" name=\"cvr\" "
            "inputmode=\"numeric\" pattern=\"[0-9]{8}\" maxlength=\"8\" required></div>",
            N_("Give a right to a partner"), rp->ctx.sess.csrf, N_("The partner's CVR number"));
    kv__rp_right_select(rp, "partner-right", 1);
    kv__rp_until_field(rp, "partner-until");
    kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            N_("Give right"));
    /* rights other organisations gave us, to hand on */
    kv_html(h, "<h2>%m</h2>\n", N_("Rights given to us"));
    if (json_array_size(given) == 0)
        kv_html(h, "<p>%m</p>\n", N_("None."));
    json_array_foreach(given, i, r) {
        const char *type = json_string_value(json_object_get(r, "type"));
        int64_t pid = (int64_t)json_integer_value(json_object_get(r, "id"));
        char id[32];

        snprintf(id, sizeof(id), "handon-%lld", (long long)pid);
        kv_html(h,
                "<form method=\"post\" action=\"/rettighedsportal/partnere/%D/videregiv\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%a\"><p><strong>%t</strong> "
                "%m %t (CVR %t)</p>",
                pid, rp->ctx.sess.csrf, kv__rp_priv_name(rp, type), N_("in"),
                json_string_value(json_object_get(r, "scopeName")),
                json_string_value(json_object_get(json_object_get(r, "scope"), "id")));
        employee_select(rp, list, id, N_("Hand on to"));
        kv_html(h,
                "<button type=\"submit\" class=\"button button-secondary\">%m</button></form>\n",
                N_("Hand on"));
    }
    kv_web_page_end(&rp->ctx, status, N_("External partners"));
    json_decref(list);
    json_decref(given);
}

int kv__rp_partners(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return kv__rp_show(req, resp, KV_ACCESS_RIGHTS, partners_page);
}

static void partner_result(struct kv_web_portal_page *rp, int rc, const struct kv_err *err)
{
    kv__rp_result(rp, rc, err, "/rettighedsportal/partnere", 0, "granted", partners_page);
}

int kv__rp_partner_grant(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_err err = {0, ""};
    struct kv_grant g;
    char right[64], cvr[16];
    int rc;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST))
        goto out;
    memset(&g, 0, sizeof(g));
    kv_web_portal_field(&rp, "right", right, sizeof(right));
    kv_web_portal_field(&rp, "cvr", cvr, sizeof(cvr));
    rc = kv__rp_until(&rp, &g.active_to_ms);
    if (rc < 0) {
        rc = kv_err_set(&err, KV_EINVAL, "the end date is not a date");
    } else if (!kv_cvr_valid(cvr)) {
        rc = kv_err_set(&err, KV_EINVAL, "a partner's CVR number is 8 digits");
    } else {
        g.type = right;
        g.scope_cvr = rp.org;
        g.partner_cvr = cvr;
        g.issuer = rp.actor;
        rc = kv_rights_grant(rp.db, &g, 0, NULL, &err);
    }
    partner_result(&rp, rc, &err);
out:
    kv_web_portal_end(&rp);
    return 0;
}

int kv__rp_partner_hand_on(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_err err = {0, ""};
    struct kv_privilege parent;
    struct kv_grant g;
    int64_t pid;
    int rc;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST))
        goto out;
    pid = kv__rp_param_id(&rp, 0);
    if (!pid || kv_rights_get(rp.db, pid, &parent, NULL) < 0 ||
        strcmp(parent.grantee_cvr, rp.org) != 0) {
        kv_web_error(&rp.ctx, 404);
        goto out;
    }
    memset(&g, 0, sizeof(g));
    g.type = parent.type < KV_PRIV__COUNT ? kv_priv_table()[parent.type].code : "";
    g.scope_cvr = parent.scope_id;
    g.employee_id = field_id(&rp, "employee");
    g.parent_id = pid;
    g.active_to_ms = parent.active_to_ms;
    g.issuer = rp.actor;
    rc = kv_rights_grant(rp.db, &g, 0, NULL, &err);
    partner_result(&rp, rc, &err);
out:
    kv_web_portal_end(&rp);
    return 0;
}

/* ---- requests ---- */

static void requests_page(struct kv_web_portal_page *rp, int status, const char *err_msgid)
{
    struct kv_html *h = &rp->ctx.h;
    struct kv_err err = {0, ""};
    json_t *reqs = NULL;
    const json_t *r;
    size_t i;

    if (kv_request_list(rp->db, "CVR", rp->org, &reqs, &err) < 0) {
        kv_web_error(&rp->ctx, 500);
        return;
    }
    kv__rp_head(rp, N_("Requests"), "/rettighedsportal/anmodninger", kv__rp_ok(rp), err_msgid,
                NULL);
    if (json_array_size(reqs) == 0)
        kv_html(h, "<p>%m</p>\n", N_("No pending requests."));
    json_array_foreach(reqs, i, r) {
        const char *to = json_string_value(json_object_get(r, "activeTo"));
        char until[11] = "";
        int64_t ms;

        if (to && kv_clock_parse_utc(to, &ms) == 0)
            kv_rights_format_until(ms, until);
        kv_html(h,
                "<div class=\"card mb-5\"><div class=\"card-content\">"
                "<h2 class=\"h4\">%t (%t)</h2><p>%m: <strong>%t</strong>",
                json_string_value(json_object_get(r, "name")),
                json_string_value(json_object_get(r, "email")), N_("Asks for"),
                kv__rp_priv_name(rp, json_string_value(json_object_get(r, "type"))));
        if (until[0])
            kv_html(h, ", %m %t", N_("until and including"), until);
        kv_html(h, "</p><p>%t</p>"
                   "<form method=\"post\" action=\"/rettighedsportal/anmodninger/%D\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                   "<button type=\"submit\" class=\"button button-primary\" name=\"decision\" "
                   "value=\"approve\">%m</button> "
                   "<button type=\"submit\" class=\"button button-secondary\" name=\"decision\" "
                   "value=\"reject\">%m</button></form></div></div>\n",
                json_string_value(json_object_get(r, "note")),
                (int64_t)json_integer_value(json_object_get(r, "id")), rp->ctx.sess.csrf,
                N_("Approve"), N_("Reject"));
    }
    kv_web_page_end(&rp->ctx, status, N_("Requests"));
    json_decref(reqs);
}

int kv__rp_requests(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return kv__rp_show(req, resp, KV_ACCESS_RIGHTS, requests_page);
}

int kv__rp_request_decide(struct kv_http_req *req, struct kv_http_resp *resp)
{
    static const char sql[] =
        "SELECT COUNT(*) FROM privilege_requests WHERE id = ? AND scope_type = 'CVR'"
        " AND scope_id = ?";
    struct kv_web_portal_page rp;
    struct kv_err err = {0, ""};
    struct kv_stmt *s;
    char decision[16];
    int64_t rid, n = 0;
    int rc, status, approve;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST))
        goto out;
    rid = kv__rp_param_id(&rp, 0);
    if (rid && kv_db_prepare(rp.db, sql, &s, NULL) == 0) {
        kv_stmt_bind_int64(s, 1, rid);
        kv_stmt_bind_text(s, 2, rp.org, -1);
        if (kv_stmt_step(s, NULL) == KV_ROW)
            n = kv_stmt_col_int64(s, 0);
        kv_stmt_done(s);
    }
    if (n != 1) {
        kv_web_error(&rp.ctx, 404);
        goto out;
    }
    kv_web_portal_field(&rp, "decision", decision, sizeof(decision));
    approve = strcmp(decision, "approve") == 0;
    if (!approve && strcmp(decision, "reject") != 0) {
        kv_web_error(&rp.ctx, 400);
        goto out;
    }
    rc = kv_request_decide(rp.db, rid, approve, rp.actor, NULL, &err);
    if (rc == 0) {
        kv__rp_redirect_ok(&rp, "/rettighedsportal/anmodninger", 0,
                           approve ? "approved" : "rejected");
        goto out;
    }
    {
        const char *why = kv__rp_refusal(rc, &err, &status);

        requests_page(&rp, status, why);
    }
out:
    kv_web_portal_end(&rp);
    return 0;
}

/* ---- asking for a right (any employee) ---- */

static void ask_page(struct kv_web_portal_page *rp, int status, const char *err_msgid)
{
    struct kv_html *h = &rp->ctx.h;

    kv_html(h, "<p class=\"font-lead mb-0\">%m · %t (CVR %t)</p>\n<h1>%m</h1>\n",
            N_("Rettighedsportal"), rp->org_name, rp->org, N_("Ask for a right"));
    if (kv__rp_ok(rp))
        kv_html(h,
                "<div class=\"alert alert-success\" role=\"status\"><div class=\"alert-body\">"
                "<p class=\"alert-heading\">%m</p></div></div>\n",
                kv__rp_ok(rp));
    if (err_msgid)
        kv_html(h,
                "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                "<p class=\"alert-heading\">%m</p></div></div>\n",
                err_msgid);
    kv_html(h,
            "<p>%m</p>\n<form method=\"post\" action=\"/rettighedsportal/anmod\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">",
            N_("The organisation's rettighedsadministratorer see your request and approve or "
               "reject it."),
            rp->ctx.sess.csrf);
    kv__rp_right_select(rp, "ask-right", 0);
    kv__rp_until_field(rp, "ask-until");
    kv_html(h,
            "<div class=\"form-group\"><label class=\"form-label\" for=\"ask-note\">%m</label>"
            "<textarea class=\"form-input\" id=\"ask-note\" name=\"note\" rows=\"3\" "
            "maxlength=\"1000\"></textarea></div>"
            "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            N_("Why do you need it? (optional)"), N_("Send request"));
    kv_web_page_end(&rp->ctx, status, N_("Ask for a right"));
}

int kv__rp_ask(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return kv__rp_show(req, resp, KV_ACCESS_EMPLOYEE, ask_page);
}

int kv__rp_ask_post(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_err err = {0, ""};
    struct kv_employee e;
    char right[64], note[1001];
    int64_t until = 0;
    int rc, status;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_EMPLOYEE, KV_WEB_PORTAL_POST))
        goto out;
    kv_web_portal_field(&rp, "right", right, sizeof(right));
    kv_web_portal_field(&rp, "note", note, sizeof(note));
    rc = kv__rp_until(&rp, &until);
    if (rc < 0)
        rc = kv_err_set(&err, KV_EINVAL, "the end date is not a date");
    else if (kv_employee_find(rp.db, rp.ctx.principal.person_id, rp.org, &e, NULL) < 0)
        rc = kv_err_set(&err, KV_ENOTFOUND, "not an employee here");
    else if (!kv_priv_find(right) || !(kv_priv_find(right)->flags & KV_PRIV_F_ORG))
        rc = kv_err_set(&err, KV_EINVAL, "unknown right");
    else
        rc = kv_request_submit(rp.db, rp.ctx.principal.person_id, right, "CVR", rp.org, until,
                               note, NULL, &err);
    if (rc == 0) {
        kv__rp_redirect_ok(&rp, "/rettighedsportal/anmod", 0, "sent");
        goto out;
    }
    {
        const char *why = kv__rp_refusal(rc, &err, &status);

        ask_page(&rp, status, why);
    }
out:
    kv_web_portal_end(&rp);
    return 0;
}

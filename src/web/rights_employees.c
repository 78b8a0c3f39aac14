/* SPDX-License-Identifier: MIT
 *
 * rights_employees.c: the Rettighedsportal's overview and employee pages (routes in
 * rights_common.c): the employees of the organisation acted for, searchable by name or
 * e-mail; adding an employee; one employee with every right they hold (directly, through a
 * user group, or handed on from a partner), granting a right with an optional last day,
 * revoking, deactivating and reactivating. A change is a POST with the session's CSRF token
 * and answers with a redirect back to the page (303, with ?ok=...), or the page again with
 * the reason it was refused -- such as the rule that the organisation keeps a
 * rettighedsadministrator -- and status 409/400.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "identity/authz.h"
#include "identity/identity.h"
#include "identity/rights.h"
#include "store/store.h"
#include "web/i18n.h"
#include "web/rights_portal.h"

#define LIST_MAX 500 /* employees shown on one page */

/* The ?ok= codes of a redirect after a change, and their messages. */
static const char *ok_message(const struct kv_web_portal_page *rp)
{
    const char *ok = kv_http_req_query(rp->ctx.req, "ok");

    if (!ok)
        return NULL;
    if (strcmp(ok, "granted") == 0)
        return N_("The right was granted.");
    if (strcmp(ok, "revoked") == 0)
        return N_("The right was revoked.");
    if (strcmp(ok, "added") == 0)
        return N_("The employee was added.");
    if (strcmp(ok, "deactivated") == 0)
        return N_("The employee was deactivated.");
    if (strcmp(ok, "reactivated") == 0)
        return N_("The employee was reactivated.");
    if (strcmp(ok, "created") == 0)
        return N_("The group was created.");
    if (strcmp(ok, "member") == 0)
        return N_("The member was added.");
    if (strcmp(ok, "removed") == 0)
        return N_("The member was removed.");
    if (strcmp(ok, "approved") == 0)
        return N_("The request was approved and the right granted.");
    if (strcmp(ok, "rejected") == 0)
        return N_("The request was rejected.");
    if (strcmp(ok, "sent") == 0)
        return N_("Your request was sent to the organisation's rettighedsadministratorer.");
    return NULL;
}

const char *kv__rp_ok(const struct kv_web_portal_page *rp)
{
    return ok_message(rp);
}

void kv__rp_redirect_ok(struct kv_web_portal_page *rp, const char *path, int64_t id, const char *ok)
{
    char to[160];

    if (id)
        snprintf(to, sizeof(to), "%s/%lld?ok=%s", path, (long long)id, ok);
    else
        snprintf(to, sizeof(to), "%s?ok=%s", path, ok);
    kv_web_redirect(&rp->ctx, to);
}

int kv__rp_overview(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_html *h;
    json_t *list = NULL, *reqs = NULL;
    struct kv_err err = {0, ""};

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_SIGNED_IN, 0))
        goto out;
    h = &rp.ctx.h;
    if (kv_authz_decide(&rp.ctx.principal, KV_ACCESS_EMPLOYEE, NULL) != KV_AUTHZ_ALLOW) {
        /* the portal root is a landing page: a citizen learns what it is for */
        kv_html(h, "<h1>%m</h1>\n<p>%m</p>\n", N_("Rettighedsportal"),
                N_("The Rettighedsportal is where organisations decide which of their employees "
                   "may do what in Digital Post. You are signed in as a private person, so there "
                   "is nothing for you here. To let someone read your post, use the "
                   "Adgangsportal."));
        kv_web_page_end(&rp.ctx, 200, N_("Rettighedsportal"));
        goto out;
    }
    if (kv_authz_decide(&rp.ctx.principal, KV_ACCESS_RIGHTS, NULL) != KV_AUTHZ_ALLOW) {
        kv_html(h,
                "<p class=\"font-lead mb-0\">%m · %t (CVR %t)</p>\n<h1>%m</h1>\n"
                "<p>%m</p>\n<p><a class=\"button button-primary\" href=\"/rettighedsportal/anmod\">"
                "%m</a></p>\n",
                N_("Rettighedsportal"), rp.org_name, rp.org, N_("Rettighedsportal"),
                N_("You are not a rettighedsadministrator in this organisation, so you cannot "
                   "grant rights here. You can ask for a right; the organisation's "
                   "rettighedsadministratorer decide."),
                N_("Ask for a right"));
        kv_web_page_end(&rp.ctx, 200, N_("Rettighedsportal"));
        goto out;
    }
    if (kv_rights_list_org(rp.db, rp.org, 0, &list, &err) < 0 ||
        kv_request_list(rp.db, "CVR", rp.org, &reqs, &err) < 0) {
        kv_web_error(&rp.ctx, 500);
        goto out;
    }
    kv__rp_head(&rp, N_("Overview"), "/rettighedsportal/", NULL, NULL, NULL);
    kv_html(h,
            "<p>%m</p>\n<ul class=\"nobullet-list\">"
            "<li><a href=\"/rettighedsportal/medarbejdere\">%m</a>: %d</li>"
            "<li><a href=\"/rettighedsportal/grupper\">%m</a>: %d</li>"
            "<li><a href=\"/rettighedsportal/partnere\">%m</a>: %d</li>"
            "<li><a href=\"/rettighedsportal/anmodninger\">%m</a>: %d</li></ul>\n",
            N_("Here you decide who may do what in the organisation: its employees, its user "
               "groups and external partners such as an accountant or a lawyer."),
            N_("Employees"), (int)json_array_size(json_object_get(list, "employees")),
            N_("User groups"), (int)json_array_size(json_object_get(list, "groups")),
            N_("External partners"), (int)json_array_size(json_object_get(list, "partners")),
            N_("Pending requests"), (int)json_array_size(reqs));
    kv_web_page_end(&rp.ctx, 200, N_("Rettighedsportal"));
out:
    json_decref(list);
    json_decref(reqs);
    kv_web_portal_end(&rp);
    return 0;
}

/* 1 when the employee's name or e-mail contains q (ASCII case-insensitive). */
static int matches(const json_t *e, const char *q)
{
    const char *name = json_string_value(json_object_get(e, "name"));
    const char *email = json_string_value(json_object_get(e, "email"));

    if (!q || !*q)
        return 1;
    return (name && strcasestr(name, q)) || (email && strcasestr(email, q));
}

static void rights_summary(struct kv_web_portal_page *rp, const json_t *rights)
{
    const json_t *r;
    size_t i;

    json_array_foreach(rights, i, r)
        kv_html(&rp->ctx.h, "%t%t", i ? ", " : "",
                kv__rp_priv_name(rp, json_string_value(json_object_get(r, "type"))));
    if (json_array_size(rights) == 0)
        kv_html(&rp->ctx.h, "–");
}

static void employees_page(struct kv_web_portal_page *rp, int status, const char *err_msgid)
{
    struct kv_html *h = &rp->ctx.h;
    const char *q = kv_http_req_query(rp->ctx.req, "q");
    json_t *list = NULL;
    const json_t *e;
    struct kv_err err = {0, ""};
    size_t i;
    int shown = 0;

    if (q && strlen(q) > 200)
        q = NULL;
    if (kv_rights_list_org(rp->db, rp->org, 0, &list, &err) < 0) {
        kv_web_error(&rp->ctx, 500);
        return;
    }
    kv__rp_head(rp, N_("Employees"), "/rettighedsportal/medarbejdere", ok_message(rp), err_msgid,
                NULL);
    kv_html(h,
            "<form method=\"get\" action=\"/rettighedsportal/medarbejdere\" role=\"search\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"q\">%m</label>"
            "<input class=\"form-input\" type=\"search\" id=\"q\" name=\"q\" value=\"%a\" "
            "maxlength=\"200\"></div><button type=\"submit\" class=\"button button-secondary\">"
            "%m</button></form>\n",
            N_("Search by name or e-mail"), q ? q : "", N_("Search"));
    kv_html(h,
            "<div class=\"table--responsive-scroll\"><table class=\"table table--compact\">"
            "<caption>%m</caption><thead><tr><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
            "<th scope=\"col\">%m</th><th scope=\"col\">%m</th></tr></thead><tbody>\n",
            N_("Employees of the organisation"), N_("Name"), N_("E-mail"), N_("Status"),
            N_("Rights"));
    json_array_foreach(json_object_get(list, "employees"), i, e) {
        if (!matches(e, q) || shown >= LIST_MAX)
            continue;
        shown++;
        kv_html(h,
                "<tr><td><a href=\"/rettighedsportal/medarbejdere/%D\">%t</a></td><td>%t</td>"
                "<td>%m</td><td>",
                (int64_t)json_integer_value(json_object_get(e, "employeeId")),
                json_string_value(json_object_get(e, "name")),
                json_string_value(json_object_get(e, "email")),
                strcmp(json_string_value(json_object_get(e, "status")), "ACTIVE") == 0
                    ? N_("Active")
                    : N_("Deactivated"));
        rights_summary(rp, json_object_get(e, "rights"));
        kv_html(h, "</td></tr>\n");
    }
    kv_html(h, "</tbody></table></div>\n");
    if (shown == 0)
        kv_html(h, "<p>%m</p>\n", N_("No employee matches."));
    kv_html(h,
            "<h2>%m</h2>\n<form method=\"post\" action=\"/rettighedsportal/medarbejdere\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"new-name\">%m</label>"
            "<input class=\"form-input\" type=\"text\" id=\"new-name\" name=\"name\" "
            "maxlength=\"256\" autocomplete=\"off\" required></div>"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"new-email\">%m</label>"
            "<input class=\"form-input\" type=\"email\" id=\"new-email\" name=\"email\" "
            "maxlength=\"254\" autocomplete=\"off\" required></div>"
            "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            N_("Add an employee"), rp->ctx.sess.csrf, N_("Name"), N_("E-mail"),
            N_("Add employee"));
    kv_web_page_end(&rp->ctx, status, N_("Employees"));
    json_decref(list);
}

int kv__rp_employees(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return kv__rp_show(req, resp, KV_ACCESS_RIGHTS, employees_page);
}

int kv__rp_employee_add(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_err err = {0, ""};
    struct kv_employee e;
    char name[KV_NAME_MAX + 1], email[KV_EMAIL_MAX + 1];
    int rc;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST))
        goto out;
    kv_web_portal_field(&rp, "name", name, sizeof(name));
    kv_web_portal_field(&rp, "email", email, sizeof(email));
    rc = kv_identity_add_employee(rp.db, rp.org, name, email, NULL, NULL, 0, rp.actor, NULL, &e,
                                  &err);
    kv__rp_result(&rp, rc, &err, "/rettighedsportal/medarbejdere", rc == 0 ? e.id : 0, "added",
                  employees_page);
out:
    kv_web_portal_end(&rp);
    return 0;
}

/* The employee eid of the organisation acted for, as listed (borrowed from list). */
static const json_t *find_employee(const json_t *list, int64_t eid)
{
    const json_t *e;
    size_t i;

    json_array_foreach(json_object_get(list, "employees"), i, e)
        if (json_integer_value(json_object_get(e, "employeeId")) == eid)
            return e;
    return NULL;
}

static void employee_page(struct kv_web_portal_page *rp, int64_t eid, int status, const char *err_msgid)
{
    struct kv_html *h = &rp->ctx.h;
    json_t *list = NULL;
    const json_t *e;
    struct kv_err err = {0, ""};
    char back[96];
    int active;

    if (kv_rights_list_org(rp->db, rp->org, 1, &list, &err) < 0) {
        kv_web_error(&rp->ctx, 500);
        return;
    }
    e = eid ? find_employee(list, eid) : NULL;
    if (!e) { /* not an employee of this organisation: as if it did not exist */
        kv_web_error(&rp->ctx, 404);
        json_decref(list);
        return;
    }
    /* only the active rights are listed, with the revoked and lapsed ones below */
    active = strcmp(json_string_value(json_object_get(e, "status")), "ACTIVE") == 0;
    snprintf(back, sizeof(back), "/rettighedsportal/medarbejdere/%lld", (long long)eid);
    kv__rp_head(rp, N_("Employee"), "/rettighedsportal/medarbejdere", ok_message(rp), err_msgid,
                NULL);
    kv_html(h,
            "<h2>%t</h2>\n<dl><dt>%m</dt><dd>%t</dd><dt>%m</dt><dd>%m</dd></dl>\n",
            json_string_value(json_object_get(e, "name")), N_("E-mail"),
            json_string_value(json_object_get(e, "email")), N_("Status"),
            active ? N_("Active") : N_("Deactivated"));
    {
        json_t *cur = json_array(), *old = json_array();
        const json_t *r;
        size_t i;

        json_array_foreach(json_object_get(e, "rights"), i, r)
            json_array_append(strcmp(json_string_value(json_object_get(r, "status")), "ACTIVE")
                                      == 0
                                  ? cur
                                  : old,
                              (json_t *)r);
        kv__rp_rights_table(rp, cur, 1, back, N_("Rights held now"));
        if (json_array_size(old)) {
            kv_html(h, "<details><summary>%m</summary>", N_("Ended rights"));
            kv__rp_rights_table(rp, old, 0, back, N_("Ended rights"));
            kv_html(h, "</details>\n");
        }
        json_decref(cur);
        json_decref(old);
    }
    if (active) {
        kv_html(h,
                "<h2>%m</h2>\n<form method=\"post\" action=\"%u/tildel\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%a\">",
                N_("Grant a right"), back, rp->ctx.sess.csrf);
        kv__rp_right_select(rp, "grant-right", 0);
        kv__rp_until_field(rp, "grant-until");
        kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
                N_("Grant"));
    }
    kv_html(h,
            "<h2>%m</h2>\n<form method=\"post\" action=\"%u/status\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<input type=\"hidden\" name=\"active\" value=\"%a\">"
            "<button type=\"submit\" class=\"button button-secondary\">%m</button></form>\n",
            N_("Employment"), back, rp->ctx.sess.csrf, active ? "0" : "1",
            active ? N_("Deactivate employee") : N_("Reactivate employee"));
    kv_web_page_end(&rp->ctx, status, N_("Employee"));
    json_decref(list);
}

int kv__rp_employee(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;

    if (kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, 0))
        employee_page(&rp, kv__rp_param_id(&rp, 0), 200, NULL);
    kv_web_portal_end(&rp);
    return 0;
}

/* The employee of path parameter 0 when they work for the organisation acted for. */
static int own_employee(struct kv_web_portal_page *rp, struct kv_employee *e)
{
    int64_t eid = kv__rp_param_id(rp, 0);

    if (!eid || kv_employee_get(rp->db, eid, e, NULL) < 0 || strcmp(e->org_cvr, rp->org) != 0) {
        kv_web_error(&rp->ctx, 404);
        return 0;
    }
    return 1;
}

int kv__rp_employee_grant(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_employee e;
    struct kv_grant g;
    struct kv_err err = {0, ""};
    char right[64];
    int rc, status;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST) || !own_employee(&rp, &e))
        goto out;
    memset(&g, 0, sizeof(g));
    kv_web_portal_field(&rp, "right", right, sizeof(right));
    rc = kv__rp_until(&rp, &g.active_to_ms);
    if (rc < 0) {
        rc = kv_err_set(&err, KV_EINVAL, "the end date is not a date");
    } else {
        g.type = right;
        g.scope_cvr = rp.org;
        g.employee_id = e.id;
        g.issuer = rp.actor;
        rc = kv_rights_grant(rp.db, &g, 0, NULL, &err);
    }
    if (rc == 0) {
        kv__rp_redirect_ok(&rp, "/rettighedsportal/medarbejdere", e.id, "granted");
        goto out;
    }
    {
        const char *why = kv__rp_refusal(rc, &err, &status);

        employee_page(&rp, e.id, status, why);
    }
out:
    kv_web_portal_end(&rp);
    return 0;
}

int kv__rp_employee_status(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_employee e;
    struct kv_err err = {0, ""};
    char active[4];
    int rc, status;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST) || !own_employee(&rp, &e))
        goto out;
    kv_web_portal_field(&rp, "active", active, sizeof(active));
    rc = kv_employee_set_active(rp.db, e.id, strcmp(active, "1") == 0, rp.actor, &err);
    if (rc == 0) {
        kv__rp_redirect_ok(&rp, "/rettighedsportal/medarbejdere", e.id,
                    strcmp(active, "1") == 0 ? "reactivated" : "deactivated");
        goto out;
    }
    {
        const char *why = kv__rp_refusal(rc, &err, &status);

        employee_page(&rp, e.id, status, why);
    }
out:
    kv_web_portal_end(&rp);
    return 0;
}

/* A same-portal path to return to after a revocation. */
static const char *safe_back(const char *back)
{
    size_t i;

    if (strncmp(back, "/rettighedsportal/", 18) != 0 || strlen(back) > 120)
        return "/rettighedsportal/";
    for (i = 18; back[i]; i++)
        if (!((back[i] >= 'a' && back[i] <= 'z') || (back[i] >= '0' && back[i] <= '9') ||
              back[i] == '/'))
            return "/rettighedsportal/";
    return back;
}

int kv__rp_revoke(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page rp;
    struct kv_privilege p, parent;
    struct kv_err err = {0, ""};
    char field[160], back[160], to[200];
    const char *why;
    int64_t id;
    int rc, status, mine;

    if (!kv_web_portal_begin(&rp, req, resp, KV_ACCESS_RIGHTS, KV_WEB_PORTAL_POST))
        goto out;
    kv_web_portal_field(&rp, "back", field, sizeof(field));
    snprintf(back, sizeof(back), "%s", safe_back(field));
    id = kv__rp_param_id(&rp, 0);
    /* ours: scoped to the organisation, or handed on by it from a partner's right */
    mine = id && kv_rights_get(rp.db, id, &p, NULL) == 0 &&
           ((strcmp(p.scope_type, "CVR") == 0 && strcmp(p.scope_id, rp.org) == 0) ||
            (p.parent_id && kv_rights_get(rp.db, p.parent_id, &parent, NULL) == 0 &&
             strcmp(parent.grantee_cvr, rp.org) == 0));
    if (!mine) {
        kv_web_error(&rp.ctx, 404);
        goto out;
    }
    rc = kv_rights_revoke(rp.db, id, rp.actor, &err);
    if (rc == 0) {
        snprintf(to, sizeof(to), "%s?ok=revoked", back);
        kv_web_redirect(&rp.ctx, to);
        goto out;
    }
    why = kv__rp_refusal(rc, &err, &status);
    kv__rp_head(&rp, N_("Revoke a right"), NULL, NULL, why, NULL);
    kv_html(&rp.ctx.h, "<p><a href=\"%u\">%m</a></p>\n", back, N_("Back"));
    kv_web_page_end(&rp.ctx, status, N_("Revoke a right"));
out:
    kv_web_portal_end(&rp);
    return 0;
}

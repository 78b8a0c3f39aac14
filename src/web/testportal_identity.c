/* SPDX-License-Identifier: MIT
 *
 * testportal_identity.c: the Testportal's forms that make test identities (docs/testportal.md):
 * a test citizen (name, test CPR or one drawn at random, mailbox registered / exempt / closed),
 * a test company (name, test CVR, mailbox status; a company user is made to sign in as it), a
 * test authority (name, test CVR; its first employee holds the administrators' rights) and a
 * test employee (name, e-mail or one made up, one of the organisation's test companies or
 * authorities, rights). The domain (hub/testdata.c) checks every field and writes nothing on
 * bad input; its field errors are shown next to their fields and summed up at the top (the
 * DKFDS error pattern), with the values typed kept. Success goes back to the overview.
 *
 *   GET/POST /testportal/borger/ny, /virksomhed/ny, /myndighed/ny, /medarbejder/ny
 */
#include "web/testportal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/testdata.h"
#include "identity/authz.h"
#include "identity/rights.h"
#include "util/log.h"
#include "util/problem.h"
#include "util/xmalloc.h"
#include "web/i18n.h"

#define ACCESS KV_ACCESS_TESTPORTAL
#define ORGS_MAX 100

struct form {
    enum kv_testdata_kind kind;
    const char *path, *title;
};

static const struct form FORMS[] = {
    {KV_TEST_CITIZEN, KV__TP "/borger/ny", N_("New test citizen")},
    {KV_TEST_COMPANY, KV__TP "/virksomhed/ny", N_("New test company")},
    {KV_TEST_AUTHORITY, KV__TP "/myndighed/ny", N_("New test authority")},
    {KV_TEST_EMPLOYEE, KV__TP "/medarbejder/ny", N_("New test employee")},
};

/* The domain's field codes -> what the form says. */
static const struct {
    const char *code, *msg;
} CODES[] = {
    {"INVALID_NAME", N_("Give a name of at most 256 characters.")},
    {"NOT_A_TEST_CPR", N_("Give a test CPR number: 10 digits with day of month 92 to 99, or "
                          "leave the field empty.")},
    {"NOT_A_TEST_CVR", N_("Give a test CVR number: 8 digits starting with 0, or leave the field "
                          "empty.")},
    {"NUMBER_IN_USE", N_("That number is already in use.")},
    {"INVALID_STATUS", N_("Choose registered, exempt or closed.")},
    {"INVALID_EMAIL", N_("Give an e-mail address, or leave the field empty.")},
    {"EMAIL_IN_USE", N_("That e-mail address is already in use.")},
    {"NOT_A_TEST_ORGANISATION", N_("Choose one of your test companies or test authorities.")},
    {"UNKNOWN_RIGHT", N_("Choose rights from the list.")},
};

static const char *const STATUS[][2] = {{"REGISTERED", N_("Registered for Digital Post")},
                                        {"EXEMPT", N_("Exempt (letters go to print)")},
                                        {"CLOSED", N_("Closed (letters are refused)")}};

struct vals {
    char name[300], number[32], status[16], email[300], org[16];
    char rights[KV_PRIV__COUNT][48];
    size_t n_rights;
    const char *err[6]; /* name, number, status, email, org, rights: msgids */
};

enum { F_NAME, F_NUMBER, F_STATUS, F_EMAIL, F_ORG, F_RIGHTS };
static const char *const FIELD[] = {"name", "number", "status", "email", "org", "rights"};
static const char *const CONTROL[] = {"tp-name", "tp-number", "tp-status-REGISTERED",
                                      "tp-email", "tp-org", "tp-rights"};

static int org_right(size_t i)
{
    const struct kv_priv_info *p = &kv_priv_table()[i];
    return (p->flags & KV_PRIV_F_ORG) != 0;
}

static void read_vals(const struct kv_web_portal_page *pg, struct vals *v)
{
    char name[80], b[8];
    size_t i;

    kv_web_portal_field(pg, "name", v->name, sizeof(v->name));
    kv_web_portal_field(pg, "number", v->number, sizeof(v->number));
    kv_web_portal_field(pg, "status", v->status, sizeof(v->status));
    kv_web_portal_field(pg, "email", v->email, sizeof(v->email));
    kv_web_portal_field(pg, "org", v->org, sizeof(v->org));
    for (i = 0; i < KV_PRIV__COUNT; i++) {
        if (!org_right(i))
            continue;
        snprintf(name, sizeof(name), "right-%s", kv_priv_table()[i].code);
        kv_web_portal_field(pg, name, b, sizeof(b));
        if (strcmp(b, "1") == 0)
            snprintf(v->rights[v->n_rights++], sizeof(v->rights[0]), "%s",
                     kv_priv_table()[i].code);
    }
}

static int has_right(const struct vals *v, const char *code)
{
    size_t i;

    for (i = 0; i < v->n_rights; i++)
        if (strcmp(v->rights[i], code) == 0)
            return 1;
    return 0;
}

static void render(struct kv_web_portal_page *pg, const struct form *f, const struct vals *v,
                   int status)
{
    struct kv_html *h = &pg->ctx.h;
    const char *ids[6], *msgs[6];
    struct kv_testdata *orgs = NULL;
    size_t n = 0, i, norgs = 0;
    int k;
    const char *st = v->status[0] ? v->status : "REGISTERED";

    kv__tp_head(pg, f->title, f->path);
    for (k = 0; k < 6; k++)
        if (v->err[k]) {
            ids[n] = CONTROL[k];
            msgs[n++] = v->err[k];
        }
    kv__tp_error_summary(pg, ids, msgs, n);
    kv_html(h, "<form method=\"post\" action=\"%u\" novalidate>", f->path);
    kv__tp_csrf(pg);
    kv__tp_input(pg, "tp-name", "name", N_("Name"),
                 f->kind == KV_TEST_CITIZEN ? N_("First and last name, e.g. Test Testesen")
                                            : NULL,
                 v->name, v->err[F_NAME], "text", 256);
    if (f->kind == KV_TEST_CITIZEN)
        kv__tp_input(pg, "tp-number", "number", N_("Test CPR number"),
                     N_("10 digits with day of month 92 to 99, e.g. 9201901234. Leave empty to "
                        "get one at random."),
                     v->number, v->err[F_NUMBER], "text", 10);
    else if (f->kind != KV_TEST_EMPLOYEE)
        kv__tp_input(pg, "tp-number", "number", N_("Test CVR number"),
                     N_("8 digits starting with 0, e.g. 09000001. Leave empty to get one at "
                        "random."),
                     v->number, v->err[F_NUMBER], "text", 8);
    if (f->kind == KV_TEST_CITIZEN || f->kind == KV_TEST_COMPANY) {
        kv_html(h, "<fieldset class=\"form-group%t\"><legend class=\"form-label\">%m</legend>",
                v->err[F_STATUS] ? " form-error" : "", N_("Mailbox"));
        if (v->err[F_STATUS])
            kv_html(h, "<span class=\"form-error-message\" id=\"tp-status-error\"><span "
                       "class=\"sr-only\">%m: </span>%m</span>",
                    N_("Error"), v->err[F_STATUS]);
        kv_html(h, "<ul class=\"nobullet-list\">");
        for (i = 0; i < 3; i++) {
            kv_html(h, "<li><input type=\"radio\" class=\"form-radio\" id=\"tp-status-%a\" "
                       "name=\"status\" value=\"%a\"%t",
                    STATUS[i][0], STATUS[i][0], strcmp(st, STATUS[i][0]) == 0 ? " checked" : "");
            if (v->err[F_STATUS])
                kv_html(h, " aria-invalid=\"true\" aria-describedby=\"tp-status-error\"");
            kv_html(h, "><label for=\"tp-status-%a\">%m</label></li>", STATUS[i][0],
                    STATUS[i][1]);
        }
        kv_html(h, "</ul></fieldset>\n");
    }
    if (f->kind == KV_TEST_EMPLOYEE) {
        kv__tp_input(pg, "tp-email", "email", N_("E-mail"),
                     N_("The test employee signs in by it. Leave empty to get a made-up "
                        "address."),
                     v->email, v->err[F_EMAIL], "email", 254);
        orgs = kv_xcalloc(ORGS_MAX, sizeof(*orgs));
        if (kv_testdata_orgs(pg->db, pg->org, orgs, ORGS_MAX, &norgs, NULL) < 0)
            norgs = 0;
        kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"tp-org\">%m"
                   "</label><span class=\"form-hint\" id=\"tp-org-hint\">%m</span>",
                v->err[F_ORG] ? " form-error" : "", N_("Organisation"),
                N_("One of your test companies or test authorities."));
        if (v->err[F_ORG])
            kv_html(h, "<span class=\"form-error-message\" id=\"tp-org-error\"><span "
                       "class=\"sr-only\">%m: </span>%m</span>",
                    N_("Error"), v->err[F_ORG]);
        kv_html(h, "<select class=\"form-select\" id=\"tp-org\" name=\"org\" "
                   "aria-describedby=\"tp-org-hint%t\"%t><option value=\"\">%m</option>",
                v->err[F_ORG] ? " tp-org-error" : "", v->err[F_ORG] ? " aria-invalid=\"true\"" : "",
                N_("Choose an organisation"));
        for (i = 0; i < norgs; i++)
            kv_html(h, "<option value=\"%a\"%t>%t (CVR %t)</option>", orgs[i].number,
                    strcmp(v->org, orgs[i].number) == 0 ? " selected" : "", orgs[i].name,
                    orgs[i].number);
        kv_html(h, "</select></div>\n<fieldset class=\"form-group%t\" id=\"tp-rights\">"
                   "<legend class=\"form-label\">%m</legend>",
                v->err[F_RIGHTS] ? " form-error" : "", N_("Rights"));
        if (v->err[F_RIGHTS])
            kv_html(h, "<span class=\"form-error-message\"><span class=\"sr-only\">%m: </span>"
                       "%m</span>",
                    N_("Error"), v->err[F_RIGHTS]);
        kv_html(h, "<ul class=\"nobullet-list\">");
        for (i = 0; i < KV_PRIV__COUNT; i++) {
            const struct kv_priv_info *p = &kv_priv_table()[i];
            if (!org_right(i))
                continue;
            kv_html(h, "<li><input type=\"checkbox\" class=\"form-checkbox\" id=\"tp-right-%a\" "
                       "name=\"right-%a\" value=\"1\"%t><label for=\"tp-right-%a\">%t (%t)"
                       "</label></li>",
                    p->code, p->code, has_right(v, p->code) ? " checked" : "", p->code,
                    p->name_da, p->code);
        }
        kv_html(h, "</ul></fieldset>\n");
        free(orgs);
    }
    kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            N_("Create"));
    kv_web_page_end(&pg->ctx, status, f->title);
}

static int form_get(struct kv_http_req *req, struct kv_http_resp *resp, const struct form *f)
{
    struct kv_web_portal_page pg;
    struct vals v;

    memset(&v, 0, sizeof(v));
    if (kv_web_portal_begin(&pg, req, resp, ACCESS, 0))
        render(&pg, f, &v, 200);
    kv_web_portal_end(&pg);
    return 0;
}

static const char *code_msg(const char *code)
{
    size_t i;

    for (i = 0; i < sizeof(CODES) / sizeof(CODES[0]); i++)
        if (strcmp(code, CODES[i].code) == 0)
            return CODES[i].msg;
    return N_("This value is not accepted.");
}

static int form_post(struct kv_http_req *req, struct kv_http_resp *resp, const struct form *f)
{
    struct kv_web_portal_page pg;
    struct kv_testdata_input in;
    struct kv_testdata out;
    struct kv_problem p;
    struct kv_err err = {0, ""};
    const char *rights[KV_PRIV__COUNT];
    struct vals v;
    char next[64];
    size_t i, k;
    int rc;

    memset(&v, 0, sizeof(v));
    kv_problem_init(&p);
    if (!kv_web_portal_begin(&pg, req, resp, ACCESS, KV_WEB_PORTAL_POST))
        goto out;
    read_vals(&pg, &v);
    memset(&in, 0, sizeof(in));
    in.kind = f->kind;
    in.name = v.name;
    in.number = v.number;
    in.status = v.status;
    in.email = v.email;
    in.org_cvr = v.org;
    for (i = 0; i < v.n_rights; i++)
        rights[i] = v.rights[i];
    in.rights = rights;
    in.n_rights = v.n_rights;
    rc = kv_testdata_create(pg.db, pg.org, pg.actor, &in, &out, &p, &err);
    if (rc == KV_EINVAL && p.n_fields > 0) {
        for (i = 0; i < p.n_fields; i++)
            for (k = 0; k < 6; k++)
                if (strcmp(p.fields[i].field, FIELD[k]) == 0 && !v.err[k])
                    v.err[k] = code_msg(p.fields[i].code);
        render(&pg, f, &v, 400);
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: test data not made: %s", req->request_id, err.msg);
        kv_web_error(&pg.ctx, 500);
        goto out;
    }
    kv_log(KV_LOG_INFO, "%s: Testportal: %s %s made by %s", req->request_id,
           kv_testdata_kind_name(out.kind), out.number, pg.actor);
    snprintf(next, sizeof(next), KV__TP "/?oprettet=%lld", (long long)out.id);
    kv_web_redirect(&pg.ctx, next);
out:
    kv_problem_release(&p);
    kv_web_portal_end(&pg);
    return 0;
}

int kv__tp_citizen_form(struct kv_http_req *r, struct kv_http_resp *o) { return form_get(r, o, &FORMS[0]); }
int kv__tp_citizen_create(struct kv_http_req *r, struct kv_http_resp *o) { return form_post(r, o, &FORMS[0]); }
int kv__tp_company_form(struct kv_http_req *r, struct kv_http_resp *o) { return form_get(r, o, &FORMS[1]); }
int kv__tp_company_create(struct kv_http_req *r, struct kv_http_resp *o) { return form_post(r, o, &FORMS[1]); }
int kv__tp_authority_form(struct kv_http_req *r, struct kv_http_resp *o) { return form_get(r, o, &FORMS[2]); }
int kv__tp_authority_create(struct kv_http_req *r, struct kv_http_resp *o) { return form_post(r, o, &FORMS[2]); }
int kv__tp_employee_form(struct kv_http_req *r, struct kv_http_resp *o) { return form_get(r, o, &FORMS[3]); }
int kv__tp_employee_create(struct kv_http_req *r, struct kv_http_resp *o) { return form_post(r, o, &FORMS[3]); }

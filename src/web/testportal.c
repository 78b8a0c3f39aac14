/* SPDX-License-Identifier: MIT
 *
 * testportal.c: the Testportal's overview and route table (docs/testportal.md; issue 12 item
 * 3). The overview lists the test data the employee's organisation made, each test identity
 * with a "sign in as" button: that ends the employee's session and starts a test session as
 * the citizen, the company's user, the authority's first employee or the test employee, in
 * the real pages (the test mailbox is the real /post/). The test clock moves forward from here
 * (letters whose value date comes are published at once, as with POST /test/clock).
 *
 *   GET  /testportal/              overview, list, clock
 *   POST /testportal/log-ind-som   sign in as a test identity (field id)
 *   POST /testportal/ur            move the clock forward (field advance: 1h, 1d, 7d, 30d)
 *
 * Every route here and in testportal_identity.c / testportal_letter.c has the access key
 * "testportal" and exists only with --test-login (the gate answers 404 elsewhere).
 */
#include "web/testportal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "hub/scheduler.h"
#include "hub/testdata.h"
#include "identity/authz.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/log.h"
#include "util/num.h"
#include "web/i18n.h"
#include "web/session.h"
#include "web/who.h"

#define ACCESS KV_ACCESS_TESTPORTAL

static const struct {
    const char *path, *title;
} NAV[] = {
    {KV__TP "/", N_("Test data")},
    {KV__TP "/borger/ny", N_("New test citizen")},
    {KV__TP "/virksomhed/ny", N_("New test company")},
    {KV__TP "/myndighed/ny", N_("New test authority")},
    {KV__TP "/medarbejder/ny", N_("New test employee")},
    {KV__TP "/brev/ny", N_("Send a test message")},
};

static const char *const KIND_MSG[] = {N_("Test citizen"), N_("Test company"),
                                       N_("Test authority"), N_("Test employee")};
static const char *const STATUS_MSG[][2] = {
    {"REGISTERED", N_("Registered")}, {"EXEMPT", N_("Exempt")}, {"CLOSED", N_("Closed")}};

/* The clock steps offered. */
static const char *const STEPS[][2] = {
    {"1h", N_("1 hour")}, {"1d", N_("1 day")}, {"7d", N_("7 days")}, {"30d", N_("30 days")}};

void kv__tp_head(struct kv_web_portal_page *pg, const char *title_msgid, const char *current)
{
    struct kv_html *h = &pg->ctx.h;
    size_t i;

    kv_html(h, "<p class=\"font-lead mb-0\">%m · <span>%t (CVR %t)</span></p>\n<h1>%m</h1>\n",
            N_("Testportal"), pg->org_name, pg->org, title_msgid);
    kv_html(h, "<nav aria-label=\"%m\"><ul class=\"nobullet-list\">", N_("Testportal"));
    for (i = 0; i < sizeof(NAV) / sizeof(NAV[0]); i++) {
        if (current && strcmp(current, NAV[i].path) == 0)
            kv_html(h, "<li><a href=\"%u\" aria-current=\"page\"><strong>%m</strong></a></li>",
                    NAV[i].path, NAV[i].title);
        else
            kv_html(h, "<li><a href=\"%u\">%m</a></li>", NAV[i].path, NAV[i].title);
    }
    kv_html(h, "</ul></nav>\n<div class=\"alert alert-warning\" role=\"note\"><div "
               "class=\"alert-body\"><p class=\"alert-text\">%m</p></div></div>\n",
            N_("Everything made here is test data: test CPR numbers have day of month 92 to "
               "99 and test CVR numbers start with 0, so they never belong to anyone real. A "
               "server without --test-login neither shows nor accepts them."));
}

void kv__tp_csrf(struct kv_web_portal_page *pg)
{
    kv_html(&pg->ctx.h, "<input type=\"hidden\" name=\"csrf\" value=\"%a\">", pg->ctx.sess.csrf);
}

void kv__tp_input(struct kv_web_portal_page *pg, const char *id, const char *name,
                  const char *label_msgid, const char *hint_msgid, const char *value,
                  const char *error_msgid, const char *type, int maxlength)
{
    struct kv_html *h = &pg->ctx.h;

    kv_web_field_open(h, id, label_msgid, hint_msgid, error_msgid); /* web.h: one markup */
    kv_html(h, "<input class=\"form-input\" type=\"%a\" id=\"%a\" name=\"%a\" value=\"%a\" "
               "maxlength=\"%d\"",
            type ? type : "text", id, name, value ? value : "", maxlength);
    kv_web_control_end(h, id, hint_msgid != NULL, error_msgid);
    kv_html(h, "</div>\n");
}

void kv__tp_error_summary(struct kv_web_portal_page *pg, const char *const *ids,
                          const char *const *msgids, size_t n)
{
    struct kv_html *h = &pg->ctx.h;
    size_t i;

    if (n == 0)
        return;
    kv_html(h, "<div class=\"alert alert-error\" role=\"alert\" aria-atomic=\"true\" "
               "data-module=\"error-summary\"><div class=\"alert-body\"><p class=\"alert-heading\">"
               "%m</p><ul class=\"alert-text nobullet-list\">",
            N_("Correct the errors in the form"));
    for (i = 0; i < n; i++)
        kv_html(h, "<li><a href=\"#%a\">%m</a></li>", ids[i], msgids[i]);
    kv_html(h, "</ul></div></div>\n");
}

static const char *status_msg(const char *st)
{
    size_t i;

    for (i = 0; i < sizeof(STATUS_MSG) / sizeof(STATUS_MSG[0]); i++)
        if (strcmp(st, STATUS_MSG[i][0]) == 0)
            return STATUS_MSG[i][1];
    return NULL;
}

/* The list of test data with one "sign in as" form per identity. */
static void list(struct kv_web_portal_page *pg)
{
    struct kv_html *h = &pg->ctx.h;
    struct kv_testdata *t = calloc(KV_TESTDATA_LIST_MAX, sizeof(*t));
    struct kv_err err = {0, ""};
    size_t n = 0, i;

    if (!t || kv_testdata_list(pg->db, pg->org, t, KV_TESTDATA_LIST_MAX, &n, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: test data not listed: %s", pg->ctx.req->request_id, err.msg);
        n = 0;
    }
    kv_html(h, "<h2>%m</h2>\n", N_("Test data"));
    if (n == 0) {
        kv_html(h, "<p>%m</p>\n", N_("Your organisation has made no test data yet."));
        free(t);
        return;
    }
    kv_html(h, "<div class=\"table--responsive-scroll\"><table class=\"table table--compact\" "
               "id=\"testdata\"><caption class=\"sr-only\">%m</caption><thead><tr>"
               "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
               "<th scope=\"col\">%m</th><th scope=\"col\"><span class=\"sr-only\">%m</span>"
               "</th></tr></thead><tbody>\n",
            N_("Test data"), N_("Name"), N_("Kind"), N_("CPR, CVR or e-mail"), N_("Mailbox"),
            N_("Sign in as"));
    for (i = 0; i < n; i++) {
        const char *sm = t[i].status[0] ? status_msg(t[i].status) : NULL;

        kv_html(h, "<tr><td>%t</td><td>%m</td><td>%t", t[i].name, KIND_MSG[t[i].kind],
                t[i].number);
        if (t[i].kind == KV_TEST_EMPLOYEE)
            kv_html(h, " (CVR %t)", t[i].org_cvr);
        kv_html(h, "</td><td>");
        if (sm)
            kv_html(h, "%m", sm);
        else
            kv_html(h, "–");
        kv_html(h, "</td><td><form method=\"post\" action=\"" KV__TP "/log-ind-som\" "
                   "class=\"mt-0\">");
        kv__tp_csrf(pg);
        kv_html(h, "<button type=\"submit\" class=\"button button-secondary\" name=\"id\" "
                   "value=\"%D\" aria-label=\"%m %t\">%m</button></form></td></tr>\n",
                t[i].id, N_("Sign in as"), t[i].name, N_("Sign in as"));
    }
    kv_html(h, "</tbody></table></div>\n");
    free(t);
}

static void clock_form(struct kv_web_portal_page *pg)
{
    struct kv_html *h = &pg->ctx.h;
    char now[40];
    size_t i;

    kv_clock_format_utc(kv_clock_now_ms(), now, sizeof(now));
    kv_html(h, "<h2>%m</h2>\n<p>%m <strong id=\"clock-now\">%t</strong> (%m %D %m)</p>\n",
            N_("Test clock"), N_("The server's time is"), now, N_("moved"),
            (int64_t)(kv_clock_offset_ms() / 60000), N_("minutes"));
    kv_html(h, "<form method=\"post\" action=\"" KV__TP "/ur\">");
    kv__tp_csrf(pg);
    kv_html(h, "<div class=\"form-group\"><label class=\"form-label\" for=\"advance\">%m</label>"
               "<span class=\"form-hint\" id=\"advance-hint\">%m</span>"
               "<select class=\"form-select\" id=\"advance\" name=\"advance\" "
               "aria-describedby=\"advance-hint\">",
            N_("Move the clock forward by"),
            N_("For the whole server: letters whose value date comes are published, "
               "deadlines pass. Time never goes back."));
    for (i = 0; i < sizeof(STEPS) / sizeof(STEPS[0]); i++)
        kv_html(h, "<option value=\"%a\">%m</option>", STEPS[i][0], STEPS[i][1]);
    kv_html(h, "</select></div><button type=\"submit\" class=\"button button-secondary\">%m"
               "</button></form>\n",
            N_("Move the clock"));
}

/* GET /testportal/[?oprettet=ID|ur=1] */
static int home(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page pg;
    struct kv_testdata t;
    const char *made = kv_http_req_query(req, "oprettet");
    int64_t id = 0;

    if (!kv_web_portal_begin(&pg, req, resp, ACCESS, 0))
        goto out;
    kv__tp_head(&pg, N_("Testportal"), KV__TP "/");
    if (made && kv_parse_int64(made, 1, INT64_MAX, &id) == 0 &&
        kv_testdata_get(pg.db, pg.org, id, &t, NULL) == 0)
        kv_html(&pg.ctx.h, "<div class=\"alert alert-success\" role=\"status\"><div "
                           "class=\"alert-body\"><p class=\"alert-heading\">%m</p><p "
                           "class=\"alert-text\">%m: %t, %t</p></div></div>\n",
                N_("The test data was made"), KIND_MSG[t.kind], t.name, t.number);
    if (kv_http_req_query(req, "ur"))
        kv_html(&pg.ctx.h, "<div class=\"alert alert-success\" role=\"status\"><div "
                           "class=\"alert-body\"><p class=\"alert-heading\">%m</p></div></div>\n",
                N_("The clock was moved forward"));
    list(&pg);
    clock_form(&pg);
    kv_web_page_end(&pg.ctx, 200, N_("Testportal"));
out:
    kv_web_portal_end(&pg);
    return 0;
}

/* POST /testportal/log-ind-som: the session becomes one as the test identity. */
static int sign_in_as(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page pg;
    struct kv_testdata t;
    struct kv_web_who who;
    struct kv_err err = {0, ""};
    char idtxt[24], props[160], subject[300];
    const char *ctx_org = NULL, *next = "/";
    int64_t id = 0;
    int rc;

    if (!kv_web_portal_begin(&pg, req, resp, ACCESS, KV_WEB_PORTAL_POST))
        goto out;
    kv_web_portal_field(&pg, "id", idtxt, sizeof(idtxt));
    if (kv_parse_int64(idtxt, 1, INT64_MAX, &id) < 0 ||
        kv_testdata_get(pg.db, pg.org, id, &t, &err) == KV_ENOTFOUND) {
        kv_web_error(&pg.ctx, 404); /* another organisation's, or none */
        goto out;
    }
    switch (t.kind) {
    case KV_TEST_CITIZEN:
        rc = kv_web_who_cpr(req->hub, t.login, t.name, &who, &err);
        next = "/post/";
        break;
    case KV_TEST_COMPANY:
        ctx_org = t.number;
        next = "/post/";
        rc = kv_web_who_email(req->hub, t.login, ctx_org, &who, &err);
        break;
    case KV_TEST_AUTHORITY:
        ctx_org = t.number;
        next = "/administrativ-adgang/";
        rc = kv_web_who_email(req->hub, t.login, ctx_org, &who, &err);
        break;
    default:
        ctx_org = t.org_cvr;
        rc = kv_web_who_email(req->hub, t.login, ctx_org, &who, &err);
        break;
    }
    if (rc == 0) {
        snprintf(props, sizeof(props), "{\"testIdentity\":%lld,\"kind\":\"%s\"}", (long long)id,
                 kv_testdata_kind_name(t.kind));
        snprintf(subject, sizeof(subject), "%s:%s", t.kind == KV_TEST_CITIZEN ? "cpr" : "login",
                 t.login);
        rc = kv_testdata_log(pg.db, "TEST_IDENTITY_SIGNED_IN_AS", pg.actor, subject, props,
                             &err);
    }
    if (rc == 0)
        rc = kv_web_session_create(req, resp, &who, "test", NULL, &err);
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: sign-in as test identity %lld failed: %s", req->request_id,
               (long long)id, err.msg);
        kv_web_message(&pg.ctx, 409, N_("Sign-in refused"),
                       N_("This test identity cannot sign in now (deactivated, or its "
                          "organisation no longer exists)."));
        goto out;
    }
    kv_web_redirect(&pg.ctx, next);
out:
    kv_web_portal_end(&pg);
    return 0;
}

/* POST /testportal/ur: moves the hub's clock forward by one of STEPS. */
static int clock_move(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page pg;
    struct kv_err err = {0, ""};
    char adv[8], props[96], now[40];
    int64_t ms = 0;
    size_t i;

    if (!kv_web_portal_begin(&pg, req, resp, ACCESS, KV_WEB_PORTAL_POST))
        goto out;
    kv_web_portal_field(&pg, "advance", adv, sizeof(adv));
    for (i = 0; i < sizeof(STEPS) / sizeof(STEPS[0]); i++)
        if (strcmp(adv, STEPS[i][0]) == 0)
            break;
    if (i == sizeof(STEPS) / sizeof(STEPS[0]) || kv_clock_parse_duration(adv, &ms) < 0) {
        kv_web_error(&pg.ctx, 400);
        goto out;
    }
    kv_clock_advance_ms(ms);
    if (kv_clock_save_offset(req->hub->conf->data, &err) < 0)
        kv_log(KV_LOG_WARN, "%s: test clock offset not saved: %s", req->request_id, err.msg);
    kv_clock_format_utc(kv_clock_now_ms(), now, sizeof(now));
    snprintf(props, sizeof(props), "{\"advance\":\"%s\",\"now\":\"%s\"}", adv, now);
    if (kv_testdata_log(pg.db, "TEST_CLOCK_ADVANCED", pg.actor, NULL, props, &err) < 0)
        kv_log(KV_LOG_WARN, "%s: clock event not logged: %s", req->request_id, err.msg);
    kv_log(KV_LOG_INFO, "%s: Testportal: clock moved forward by %s by %s", req->request_id, adv,
           pg.actor);
    if (req->hub->sched)
        (void)kv_scheduler_kick_wait(req->hub->sched, 5000);
    /* sessions age by the same clock: the employee gets a fresh one (creating it ends the
     * old one), so moving time does not sign them out */
    {
        struct kv_web_who who;

        if (kv_web_who_email(req->hub, pg.ctx.sess.subject, pg.ctx.sess.org_cvr, &who, &err) < 0 ||
            kv_web_session_create(req, resp, &who, "test", NULL, &err) < 0)
            kv_log(KV_LOG_WARN, "%s: no fresh session after the clock moved: %s",
                   req->request_id, err.msg);
    }
    kv_web_redirect(&pg.ctx, KV__TP "/?ur=1");
out:
    kv_web_portal_end(&pg);
    return 0;
}

#define PAGE KV_ROUTE_PAGE
const struct kv_http_route kv_web_testportal_routes[] = {
    {"GET", KV__TP "/", home, "web_testportal", PAGE, ACCESS},
    {"POST", KV__TP "/log-ind-som", sign_in_as, "web_testportal_sign_in_as", PAGE, ACCESS},
    {"POST", KV__TP "/ur", clock_move, "web_testportal_clock", PAGE, ACCESS},
    {"GET", KV__TP "/borger/ny", kv__tp_citizen_form, "web_testportal_citizen_form", PAGE,
     ACCESS},
    {"POST", KV__TP "/borger/ny", kv__tp_citizen_create, "web_testportal_citizen_create", PAGE,
     ACCESS},
    {"GET", KV__TP "/virksomhed/ny", kv__tp_company_form, "web_testportal_company_form", PAGE,
     ACCESS},
    {"POST", KV__TP "/virksomhed/ny", kv__tp_company_create, "web_testportal_company_create",
     PAGE, ACCESS},
    {"GET", KV__TP "/myndighed/ny", kv__tp_authority_form, "web_testportal_authority_form",
     PAGE, ACCESS},
    {"POST", KV__TP "/myndighed/ny", kv__tp_authority_create,
     "web_testportal_authority_create", PAGE, ACCESS},
    {"GET", KV__TP "/medarbejder/ny", kv__tp_employee_form, "web_testportal_employee_form",
     PAGE, ACCESS},
    {"POST", KV__TP "/medarbejder/ny", kv__tp_employee_create,
     "web_testportal_employee_create", PAGE, ACCESS},
    {"GET", KV__TP "/brev/ny", kv__tp_letter_form, "web_testportal_letter_form", PAGE, ACCESS},
    {"POST", KV__TP "/brev/ny", kv__tp_letter_send, "web_testportal_letter_send", PAGE, ACCESS},
    {"POST", KV__TP "/brev/memo", kv__tp_memo_upload, "web_testportal_memo_upload", PAGE,
     ACCESS},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* SPDX-License-Identifier: MIT
 *
 * aa_common.c: Administrativ Adgang's shared parts (see aa_portal.h), its front page and its
 * route table. Pages live under /administrativ-adgang/ (Danish paths, as the portal roots):
 *
 *   GET  /administrativ-adgang/                               the functions of the portal
 *   GET  /administrativ-adgang/systemer                       systems with status and health
 *   GET  /administrativ-adgang/systemer/ny                    new system (POST creates it)
 *   GET  /administrativ-adgang/systemer/{id}                  one system: fields, health, actions
 *   GET  /administrativ-adgang/systemer/{id}/rediger          edit its fields (POST saves)
 *   GET  /administrativ-adgang/systemer/{id}/nyt-token        confirm renewing the API token
 *   POST /administrativ-adgang/systemer/{id}/nyt-token        renew it; the token is shown once
 *   POST /administrativ-adgang/systemer/{id}/standard         make it the default recipient system
 *   POST /administrativ-adgang/systemer/{id}/aktiver          activate
 *   POST /administrativ-adgang/systemer/{id}/deaktiver        deactivate
 *   GET  /administrativ-adgang/kontaktstruktur[/...]          the contact structure (aa_contacts.h)
 *   GET  /administrativ-adgang/tilbagekald?q=                 letters waiting for their value
 *                                                             date (aa_recall.c)
 *   GET  /administrativ-adgang/tilbagekald/{uuid}             confirm; POST recalls
 *   GET  /administrativ-adgang/haendelseslog[/brev/{uuid}...] the event log, one letter's
 *                                                             events, CSV, evidence page
 *                                                             (aa_events.c)
 *   GET  /administrativ-adgang/statistik[/...]                usage statistics: overview,
 *                                                             MeMo usage, CSVs, dashboards
 *                                                             (aa_stats.c, aa_stats_dash.c)
 *   GET  /administrativ-adgang/logo                           the organisation's logo; POST
 *                                                             uploads, POST .../slet deletes
 *                                                             (aa_logo.c)
 *   GET  /logo/{cvr}                                          the logo as image/png (public)
 *   GET  /administrativ-adgang/borgerservice                  citizen service: look up by CPR
 *                                                             and name (POST), exempt,
 *                                                             re-register, grant access
 *                                                             (aa_citizen.c), NemSMS
 *                                                             (aa_nemsms.c); .../erhvervsservice
 *                                                             the same for companies
 *
 * The front page is open to anyone signed in (it says which functions the visitor's rights
 * in the organisation acted for open); every other page asks kv_authz_decide for its access
 * key (systems: SYSTEM_MANAGER; recall: RECALL_ADMINISTRATOR; event log:
 * MESSAGE_LOG_ADMINISTRATOR; statistics: STATISTICS_ADMINISTRATOR). The header's context
 * switcher changes the organisation.
 */
#include "web/aa_portal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "identity/authz.h"
#include "identity/identity.h"
#include "store/store.h"
#include "util/log.h"
#include "web/aa_contacts.h"
#include "web/i18n.h"
#include "web/who.h"
#include "web/logo.h"

void kv__aa_csrf(struct kv_web_portal_page *aa)
{
    kv_html(&aa->ctx.h, "<input type=\"hidden\" name=\"csrf\" value=\"%a\">", aa->ctx.sess.csrf);
}

void kv__aa_time(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms <= 0 || !gmtime_r(&t, &tm) || strftime(out, n, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, n, "–");
}

/* The portal's functions: path, title, access key, what it is for. Functions of issue 11
 * not built yet are not listed. */
static const struct {
    const char *path, *title, *access, *what;
} FUNCS[] = {
    {"/administrativ-adgang/systemer", N_("Sender and recipient systems"), KV_ACCESS_SYSTEMS,
     N_("Connect your organisation's systems, see their health and renew their API tokens.")},
    {"/administrativ-adgang/kontaktstruktur", N_("Contact structure"), KV_ACCESS_CONTACTS,
     N_("Build the tree of contact groups and contact points that others write to.")},
    {"/administrativ-adgang/tilbagekald", N_("Recall before the value date"), KV_ACCESS_RECALL,
     N_("Find letters still waiting for their value date and recall them.")},
    {"/administrativ-adgang/haendelseslog", N_("Event log"), KV_ACCESS_EVENTLOG,
     N_("Search your organisation's events and prove what happened to a letter.")},
    {"/administrativ-adgang/statistik", N_("Usage statistics"), KV_ACCESS_STATISTICS,
     N_("Letters sent and received per day, MeMo usage, dashboards and CSV downloads.")},
    {"/administrativ-adgang/logo", N_("Logo"), KV_ACCESS_ORGANISATION,
     N_("Upload the logo recipients see beside your organisation's name.")},
    {"/administrativ-adgang/borgerservice", N_("Citizen service"), KV_ACCESS_CITIZEN_SERVICE,
     N_("Exempt a citizen from Digital Post, register them again, or give a helper access.")},
    {"/administrativ-adgang/erhvervsservice", N_("Business service"), KV_ACCESS_BUSINESS_SERVICE,
     N_("Exempt a company from Digital Post for a limited period, or register it again.")},
};

void kv__aa_head(struct kv_web_portal_page *aa, const char *title_msgid, const char *current,
                 const char *ok_msgid, const char *err_msgid)
{
    struct kv_html *h = &aa->ctx.h;
    size_t i;

    kv_html(h, "<p class=\"font-lead mb-0\">%m · <span class=\"aa-org\">%t (CVR %t)</span></p>\n"
               "<h1>%m</h1>\n",
            N_("Administrativ Adgang"), aa->org_name, aa->org, title_msgid);
    kv_html(h, "<nav aria-label=\"%m\"><ul class=\"nobullet-list\">"
               "<li><a href=\"/administrativ-adgang/\">%m</a></li>",
            N_("Administrativ Adgang"), N_("Overview"));
    for (i = 0; i < sizeof(FUNCS) / sizeof(FUNCS[0]); i++) {
        /* the route's own key was decided by the gate: not asked again */
        if (!kv_web_gate_admitted(aa->ctx.req, FUNCS[i].access) &&
            kv_authz_decide(&aa->ctx.principal, FUNCS[i].access, NULL) != KV_AUTHZ_ALLOW)
            continue;
        if (current && strcmp(current, FUNCS[i].path) == 0)
            kv_html(h, "<li><a href=\"%u\" aria-current=\"page\"><strong>%m</strong></a></li>",
                    FUNCS[i].path, FUNCS[i].title);
        else
            kv_html(h, "<li><a href=\"%u\">%m</a></li>", FUNCS[i].path, FUNCS[i].title);
    }
    kv_html(h, "</ul></nav>\n");
    if (ok_msgid)
        kv_html(h,
                "<div class=\"alert alert-success\" role=\"status\"><div class=\"alert-body\">"
                "<p class=\"alert-heading\">%m</p></div></div>\n",
                ok_msgid);
    if (err_msgid)
        kv_html(h,
                "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                "<p class=\"alert-heading\">%m</p></div></div>\n",
                err_msgid);
}

/* GET /administrativ-adgang/: for anyone signed in. */
static int overview(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_html *h;
    size_t i, shown = 0;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_SIGNED_IN, 0))
        goto out;
    h = &aa.ctx.h;
    if (!aa.org[0]) {
        kv_html(h, "<h1>%m</h1>\n<p>%m</p>\n", N_("Administrativ Adgang"),
                N_("Administrativ Adgang is for employees of public authorities. Sign in as an "
                   "employee to use it."));
        kv_web_page_end(&aa.ctx, 200, N_("Administrativ Adgang"));
        goto out;
    }
    kv__aa_head(&aa, N_("Administrativ Adgang"), "/administrativ-adgang/", NULL, NULL);
    kv_html(h, "<ul class=\"nobullet-list\">\n");
    for (i = 0; i < sizeof(FUNCS) / sizeof(FUNCS[0]); i++) {
        if (kv_authz_decide(&aa.ctx.principal, FUNCS[i].access, NULL) != KV_AUTHZ_ALLOW)
            continue;
        kv_html(h, "<li><a href=\"%u\">%m</a> – %m</li>\n", FUNCS[i].path, FUNCS[i].title,
                FUNCS[i].what);
        shown++;
    }
    kv_html(h, "</ul>\n");
    if (!shown)
        kv_html(h, "<p>%m</p>\n",
                N_("Your rights in this organisation open none of the functions here. Ask your "
                   "rettighedsadministrator for the right you need."));
    kv_web_page_end(&aa.ctx, 200, N_("Administrativ Adgang"));
out:
    kv_web_portal_end(&aa);
    return 0;
}

#define PAGE KV_ROUTE_PAGE
const struct kv_http_route kv_web_aa_routes[] = {
    {"GET", "/administrativ-adgang/", overview, "web_aa", PAGE, KV_ACCESS_SIGNED_IN},
    {"GET", "/administrativ-adgang/systemer", kv__aa_systems, "web_aa_systems", PAGE,
     KV_ACCESS_SYSTEMS},
    {"GET", "/administrativ-adgang/systemer/ny", kv__aa_system_new, "web_aa_system_new", PAGE,
     KV_ACCESS_SYSTEMS},
    {"POST", "/administrativ-adgang/systemer/ny", kv__aa_system_create, "web_aa_system_new",
     PAGE, KV_ACCESS_SYSTEMS},
    {"GET", "/administrativ-adgang/systemer/{id}", kv__aa_system, "web_aa_system", PAGE,
     KV_ACCESS_SYSTEMS},
    {"GET", "/administrativ-adgang/systemer/{id}/rediger", kv__aa_system_edit,
     "web_aa_system_edit", PAGE, KV_ACCESS_SYSTEMS},
    {"POST", "/administrativ-adgang/systemer/{id}/rediger", kv__aa_system_save,
     "web_aa_system_edit", PAGE, KV_ACCESS_SYSTEMS},
    {"GET", "/administrativ-adgang/systemer/{id}/nyt-token", kv__aa_system_token_ask,
     "web_aa_system_token", PAGE, KV_ACCESS_SYSTEMS},
    {"POST", "/administrativ-adgang/systemer/{id}/nyt-token", kv__aa_system_token,
     "web_aa_system_token", PAGE, KV_ACCESS_SYSTEMS},
    {"POST", "/administrativ-adgang/systemer/{id}/standard", kv__aa_system_default,
     "web_aa_system_default", PAGE, KV_ACCESS_SYSTEMS},
    {"POST", "/administrativ-adgang/systemer/{id}/aktiver", kv__aa_system_activate,
     "web_aa_system_activate", PAGE, KV_ACCESS_SYSTEMS},
    {"POST", "/administrativ-adgang/systemer/{id}/deaktiver", kv__aa_system_deactivate,
     "web_aa_system_deactivate", PAGE, KV_ACCESS_SYSTEMS},
    {"GET", KV__CS_BASE, kv__cs_tree, "web_aa_contacts", PAGE, KV_ACCESS_CONTACTS},
    {"GET", KV__CS_BASE "/grupper/ny", kv__cs_group_new, "web_aa_cgroup_new", PAGE,
     KV_ACCESS_CONTACTS},
    {"POST", KV__CS_BASE "/grupper/ny", kv__cs_group_create, "web_aa_cgroup_new", PAGE,
     KV_ACCESS_CONTACTS},
    {"GET", KV__CS_BASE "/grupper/{id}", kv__cs_group_edit, "web_aa_cgroup", PAGE,
     KV_ACCESS_CONTACTS},
    {"POST", KV__CS_BASE "/grupper/{id}", kv__cs_group_save, "web_aa_cgroup", PAGE,
     KV_ACCESS_CONTACTS},
    {"GET", KV__CS_BASE "/grupper/{id}/slet", kv__cs_group_delete_ask, "web_aa_cgroup_delete",
     PAGE, KV_ACCESS_CONTACTS},
    {"POST", KV__CS_BASE "/grupper/{id}/slet", kv__cs_group_delete, "web_aa_cgroup_delete",
     PAGE, KV_ACCESS_CONTACTS},
    {"GET", KV__CS_BASE "/kontaktpunkter/ny", kv__cs_point_new, "web_aa_cpoint_new", PAGE,
     KV_ACCESS_CONTACTS},
    {"POST", KV__CS_BASE "/kontaktpunkter/ny", kv__cs_point_create, "web_aa_cpoint_new", PAGE,
     KV_ACCESS_CONTACTS},
    {"GET", KV__CS_BASE "/kontaktpunkter/{id}", kv__cs_point_edit, "web_aa_cpoint", PAGE,
     KV_ACCESS_CONTACTS},
    {"POST", KV__CS_BASE "/kontaktpunkter/{id}", kv__cs_point_save, "web_aa_cpoint", PAGE,
     KV_ACCESS_CONTACTS},
    {"GET", KV__CS_BASE "/kontaktpunkter/{id}/slet", kv__cs_point_delete_ask,
     "web_aa_cpoint_delete", PAGE, KV_ACCESS_CONTACTS},
    {"POST", KV__CS_BASE "/kontaktpunkter/{id}/slet", kv__cs_point_delete,
     "web_aa_cpoint_delete", PAGE, KV_ACCESS_CONTACTS},
    {"GET", "/administrativ-adgang/tilbagekald", kv__aa_recall_list, "web_aa_recall", PAGE,
     KV_ACCESS_RECALL},
    {"GET", "/administrativ-adgang/tilbagekald/{uuid}", kv__aa_recall_ask, "web_aa_recall_one",
     PAGE, KV_ACCESS_RECALL},
    {"POST", "/administrativ-adgang/tilbagekald/{uuid}", kv__aa_recall, "web_aa_recall_one",
     PAGE, KV_ACCESS_RECALL},
    {"GET", "/administrativ-adgang/haendelseslog", kv__aa_events, "web_aa_events", PAGE,
     KV_ACCESS_EVENTLOG},
    {"GET", "/administrativ-adgang/haendelseslog/brev/{uuid}", kv__aa_events_letter,
     "web_aa_events_letter", PAGE, KV_ACCESS_EVENTLOG},
    {"GET", "/administrativ-adgang/haendelseslog/brev/{uuid}/csv", kv__aa_events_letter_csv,
     "web_aa_events_letter_csv", PAGE, KV_ACCESS_EVENTLOG},
    {"GET", "/administrativ-adgang/haendelseslog/brev/{uuid}/bevis", kv__aa_events_evidence,
     "web_aa_events_evidence", PAGE, KV_ACCESS_EVENTLOG},
    {"GET", "/administrativ-adgang/statistik", kv__aa_stats, "web_aa_stats", PAGE,
     KV_ACCESS_STATISTICS},
    {"GET", "/administrativ-adgang/statistik/oversigt.csv", kv__aa_stats_overview_csv,
     "web_aa_stats_csv", PAGE, KV_ACCESS_STATISTICS},
    {"GET", "/administrativ-adgang/statistik/memo-brug", kv__aa_stats_memo, "web_aa_stats_memo",
     PAGE, KV_ACCESS_STATISTICS},
    {"GET", "/administrativ-adgang/statistik/memo-brug.csv", kv__aa_stats_memo_csv,
     "web_aa_stats_memo_csv", PAGE, KV_ACCESS_STATISTICS},
    {"GET", "/administrativ-adgang/statistik/afsendelse", kv__aa_stats_sent,
     "web_aa_stats_sent", PAGE, KV_ACCESS_STATISTICS},
    {"GET", "/administrativ-adgang/statistik/modtagelse", kv__aa_stats_received,
     "web_aa_stats_received", PAGE, KV_ACCESS_STATISTICS},
    {"GET", "/administrativ-adgang/logo", kv__aa_logo, "web_aa_logo", PAGE,
     KV_ACCESS_ORGANISATION},
    {"POST", "/administrativ-adgang/logo", kv__aa_logo_upload, "web_aa_logo", PAGE,
     KV_ACCESS_ORGANISATION},
    {"POST", "/administrativ-adgang/logo/slet", kv__aa_logo_delete, "web_aa_logo_delete", PAGE,
     KV_ACCESS_ORGANISATION},
    {"GET", "/logo/{cvr}", kv__logo_png, "web_logo", PAGE, KV_ACCESS_PUBLIC},
    {"GET", "/administrativ-adgang/borgerservice", kv__aa_cs_form, "web_aa_cs", PAGE,
     KV_ACCESS_CITIZEN_SERVICE},
    {"POST", "/administrativ-adgang/borgerservice", kv__aa_cs_lookup, "web_aa_cs", PAGE,
     KV_ACCESS_CITIZEN_SERVICE},
    {"POST", "/administrativ-adgang/borgerservice/fritag", kv__aa_cs_exempt, "web_aa_cs_exempt",
     PAGE, KV_ACCESS_CITIZEN_SERVICE},
    {"POST", "/administrativ-adgang/borgerservice/genregistrer", kv__aa_cs_register,
     "web_aa_cs_register", PAGE, KV_ACCESS_CITIZEN_SERVICE},
    {"POST", "/administrativ-adgang/borgerservice/adgang", kv__aa_cs_grant, "web_aa_cs_grant",
     PAGE, KV_ACCESS_CITIZEN_SERVICE},
    {"POST", "/administrativ-adgang/borgerservice/nemsms", kv__aa_cs_nemsms, "web_aa_cs_nemsms",
     PAGE, KV_ACCESS_CITIZEN_SERVICE},
    {"POST", "/administrativ-adgang/borgerservice/nemsms/nummer", kv__aa_cs_nemsms_number,
     "web_aa_cs_nemsms_number", PAGE, KV_ACCESS_CITIZEN_SERVICE},
    {"POST", "/administrativ-adgang/borgerservice/nemsms/bekraeft", kv__aa_cs_nemsms_confirm,
     "web_aa_cs_nemsms_confirm", PAGE, KV_ACCESS_CITIZEN_SERVICE},
    {"POST", "/administrativ-adgang/borgerservice/nemsms/fjern", kv__aa_cs_nemsms_remove,
     "web_aa_cs_nemsms_remove", PAGE, KV_ACCESS_CITIZEN_SERVICE},
    {"GET", "/administrativ-adgang/erhvervsservice", kv__aa_bs_form, "web_aa_bs", PAGE,
     KV_ACCESS_BUSINESS_SERVICE},
    {"POST", "/administrativ-adgang/erhvervsservice", kv__aa_bs_lookup, "web_aa_bs", PAGE,
     KV_ACCESS_BUSINESS_SERVICE},
    {"POST", "/administrativ-adgang/erhvervsservice/fritag", kv__aa_bs_exempt,
     "web_aa_bs_exempt", PAGE, KV_ACCESS_BUSINESS_SERVICE},
    {"POST", "/administrativ-adgang/erhvervsservice/genregistrer", kv__aa_bs_register,
     "web_aa_bs_register", PAGE, KV_ACCESS_BUSINESS_SERVICE},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

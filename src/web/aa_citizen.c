/* SPDX-License-Identifier: MIT
 *
 * aa_citizen.c: citizen service and business service in Administrativ Adgang (issue 11 item 7;
 * access keys "citizen-service" = CITIZEN_SERVICE_EMPLOYEE for persons and "business-service" =
 * BUSINESS_SERVICE_EMPLOYEE for companies). The domain is identity/citizen.h.
 *
 *   GET  /administrativ-adgang/borgerservice               look-up form (CPR and full name)
 *   POST /administrativ-adgang/borgerservice               look up (logged); status and actions
 *   POST /administrativ-adgang/borgerservice/fritag        exempt (reason, channel, address,
 *                                                          unopened letters from a date as paper)
 *   POST /administrativ-adgang/borgerservice/genregistrer  re-register
 *   POST /administrativ-adgang/borgerservice/adgang        grant a helper read / read-write
 *                                                          access (multipart: power of attorney)
 *   POST /administrativ-adgang/borgerservice/nemsms[/...]  NemSMS on the citizen's behalf
 *                                                          (aa_nemsms.c)
 *   GET/POST /administrativ-adgang/erhvervsservice[...]    the same for companies (CVR and
 *                                                          name; exemption for a limited period)
 *
 * The pages keep no state between requests: every action carries the number and name and
 * checks them again (kv_cs_load). A number and name that do not match say only that. Each
 * action ends on a receipt page that can be printed. Refusals are shown next to their field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/multipart.h"
#include "hub/hub.h"
#include "identity/authz.h"
#include "identity/citizen.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/log.h"
#include "util/testid.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

struct kind {
    const char *base, *access, *owner_type, *title, *id_label, *id_hint;
    int company;
};

static const struct kind CITIZEN = {"/administrativ-adgang/borgerservice", KV_ACCESS_CITIZEN_SERVICE,
                                    "CPR", N_("Citizen service"), N_("CPR number"),
                                    N_("10 digits, without a hyphen"), 0};
static const struct kind COMPANY = {"/administrativ-adgang/erhvervsservice",
                                    KV_ACCESS_BUSINESS_SERVICE, "CVR", N_("Business service"),
                                    N_("CVR number"), N_("8 digits"), 1};

static const char *status_msgid(const char *s)
{
    return strcmp(s, "REGISTERED") == 0 ? N_("Registered for Digital Post")
           : strcmp(s, "EXEMPT") == 0   ? N_("Exempt from Digital Post")
                                        : N_("Closed");
}

/* The owner's number and name as hidden fields of an action form. */
static void owner_fields(struct kv_web_portal_page *aa, const struct kv_cs_status *st)
{
    kv__aa_csrf(aa);
    kv_html(&aa->ctx.h, "<input type=\"hidden\" name=\"id\" value=\"%a\">"
                        "<input type=\"hidden\" name=\"navn\" value=\"%a\">",
            st->owner_id, st->name);
}

static void field_error(struct kv_html *h, const char *id, const char *msgid)
{
    kv_html(h, "<span class=\"form-error-message\" id=\"%a-error\"><span class=\"sr-only\">%m: "
               "</span>%m</span>",
            id, N_("Error"), msgid);
}

static void radio(struct kv_html *h, const char *name, const char *value, const char *id,
                  const char *label, int checked)
{
    kv_html(h, "<li><input class=\"form-radio radio-large\" type=\"radio\" name=\"%a\" "
               "id=\"%a\" value=\"%a\"%t><label for=\"%a\">%m</label></li>",
            name, id, value, checked ? " checked" : "", id, label);
}

/* The look-up form. */
static void lookup_form(struct kv_web_portal_page *aa, const struct kind *k, int no_match)
{
    struct kv_html *h = &aa->ctx.h;

    if (no_match)
        kv_html(h, "<div class=\"alert alert-warning\" role=\"alert\"><div class=\"alert-body\">"
                   "<p class=\"alert-heading\">%m</p><p class=\"alert-text\">%m</p></div></div>\n",
                N_("No match"),
                N_("No one with Digital Post has this number and this full name. Check both."));
    kv_html(h, "<p>%m</p>\n<form method=\"post\" action=\"%u\">",
            N_("Look the owner up by number and full name; both must match. The look-up is "
               "logged with your name."),
            k->base);
    kv__aa_csrf(aa);
    kv_html(h,
            "<div class=\"form-group\"><label class=\"form-label\" for=\"cs-id\">%m</label>"
            "<span class=\"form-hint\" id=\"cs-id-hint\">%m</span>"
            "<input class=\"form-input input-width-s\" type=\"text\" inputmode=\"numeric\" "
            "id=\"cs-id\" name=\"id\" maxlength=\"10\" autocomplete=\"off\" required "
            "aria-describedby=\"cs-id-hint\"></div>"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"cs-name\">%m</label>"
            "<input class=\"form-input\" type=\"text\" id=\"cs-name\" name=\"navn\" "
            "maxlength=\"200\" autocomplete=\"off\" required></div>"
            "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            k->id_label, k->id_hint, k->company ? N_("Company name") : N_("Full name"),
            N_("Look up"));
}

/* The status page with the actions; err_field/err_msgid mark a refused field. */
static void status_page(struct kv_web_portal_page *aa, const struct kind *k,
                        const struct kv_cs_status *st, int status, const char *err_field,
                        const char *err_msgid)
{
    struct kv_html *h = &aa->ctx.h;
    char t[32], until[11];
    size_t i;

#define ERR(f) (err_field && strcmp(err_field, f) == 0)
    kv__aa_head(aa, k->title, k->base, NULL, NULL);
    kv_html(h,
            "<h2>%t</h2>\n<table class=\"table table--compact\"><caption>%m</caption><tbody>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>"
            "<tr><th scope=\"row\">%m</th><td class=\"cs-status\">%m</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>",
            st->name, N_("Status"), k->id_label, st->owner_id, N_("Digital Post"),
            status_msgid(st->status), N_("Postal address"), st->address[0] ? st->address : "–");
    if (strcmp(st->status, "EXEMPT") == 0 && st->reason[0]) {
        kv__aa_time(st->exempt_from_ms, t, sizeof(t));
        kv_html(h, "<tr><th scope=\"row\">%m</th><td>%m · %m · %t</td></tr>",
                N_("Exemption"),
                strcmp(st->reason, "LEFT_THE_COUNTRY") == 0 ? N_("Left the country")
                                                            : N_("Other reason"),
                strcmp(st->channel, "PROXY") == 0 ? N_("By proxy") : N_("In person"), t);
        if (st->exempt_until_ms) {
            kv_rights_format_until(st->exempt_until_ms, until);
            kv_html(h, "<tr><th scope=\"row\">%m</th><td>%t</td></tr>", N_("Exempt until"),
                    until);
        }
    }
    kv_html(h, "</tbody></table>\n");
    if (!k->company) {
        kv_html(h, "<h2>%m</h2>\n", N_("Access granted to others"));
        if (st->n_access == 0)
            kv_html(h, "<p>%m</p>\n", N_("No one has access to this mailbox."));
        else {
            kv_html(h, "<table class=\"table table--compact\"><caption class=\"sr-only\">%m"
                       "</caption><thead><tr><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
                       "<th scope=\"col\">%m</th><th scope=\"col\">%m</th></tr></thead><tbody>",
                    N_("Access granted to others"), N_("Helper"), N_("Access"), N_("Until"),
                    N_("Power of attorney"));
            for (i = 0; i < st->n_access; i++) {
                const struct kv_cs_access *a = &st->access[i];
                if (a->active_to_ms)
                    kv_rights_format_until(a->active_to_ms, until);
                else
                    snprintf(until, sizeof(until), "–");
                kv_html(h, "<tr><td>%t</td><td>%m</td><td>%t</td><td>%m</td></tr>",
                        a->helper_name,
                        strcmp(a->type, "MAILBOX_READ_WRITE") == 0 ? N_("Read and write")
                                                                   : N_("Read"),
                        until, a->has_poa ? N_("Received") : N_("None"));
            }
            kv_html(h, "</tbody></table>\n");
        }
    }
    if (!k->company) /* an exempt citizen can still use NemSMS (portals.md section 2.3) */
        kv__aa_cs_nemsms_section(aa, st);
    if (strcmp(st->status, "REGISTERED") == 0) {
        kv_html(h, "<h2>%m</h2>\n<form method=\"post\" action=\"%u/fritag\">",
                k->company ? N_("Exempt the company for a limited period")
                           : N_("Exempt from Digital Post"),
                k->base);
        owner_fields(aa, st);
        kv_html(h, "<fieldset class=\"form-group%t\"><legend class=\"form-label\">%m</legend>",
                ERR("reason") ? " form-error" : "", N_("Reason"));
        if (ERR("reason"))
            field_error(h, "cs-reason", err_msgid);
        kv_html(h, "<ul class=\"nobullet-list\">");
        radio(h, "reason", "LEFT_THE_COUNTRY", "cs-reason-left", N_("Left the country"), 0);
        radio(h, "reason", "OTHER", "cs-reason-other", N_("Other reason"), 0);
        kv_html(h, "</ul></fieldset><fieldset class=\"form-group%t\"><legend "
                   "class=\"form-label\">%m</legend>",
                ERR("channel") ? " form-error" : "", N_("The request came"));
        if (ERR("channel"))
            field_error(h, "cs-channel", err_msgid);
        kv_html(h, "<ul class=\"nobullet-list\">");
        radio(h, "channel", "IN_PERSON", "cs-channel-person", N_("In person"), 0);
        radio(h, "channel", "PROXY", "cs-channel-proxy", N_("By proxy"), 0);
        kv_html(h, "</ul></fieldset>");
        kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cs-address\">"
                   "%m</label><span class=\"form-hint\" id=\"cs-address-hint\">%m</span>",
                ERR("address") ? " form-error" : "", N_("Postal address for printed letters"),
                N_("Name, street, postcode and town, one per line"));
        if (ERR("address"))
            field_error(h, "cs-address", err_msgid);
        kv_html(h, "<textarea class=\"form-input\" id=\"cs-address\" name=\"adresse\" rows=\"4\" "
                   "maxlength=\"500\" aria-describedby=\"cs-address-hint%t\">%t</textarea></div>",
                ERR("address") ? " cs-address-error" : "", st->address);
        if (k->company) {
            kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cs-until\">"
                       "%m</label><span class=\"form-hint\" id=\"cs-until-hint\">%m</span>",
                    ERR("until") ? " form-error" : "", N_("Exempt until (last day)"),
                    N_("A date, YYYY-MM-DD, today or later"));
            if (ERR("until"))
                field_error(h, "cs-until", err_msgid);
            kv_html(h, "<input class=\"form-input input-width-s\" type=\"date\" id=\"cs-until\" "
                       "name=\"til\" aria-describedby=\"cs-until-hint%t\"></div>",
                    ERR("until") ? " cs-until-error" : "");
        }
        kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cs-forward\">"
                   "%m</label><span class=\"form-hint\" id=\"cs-forward-hint\">%m</span>",
                ERR("forward_from") ? " form-error" : "",
                N_("Send unopened digital letters as paper from (optional)"),
                N_("Unopened letters received from this date (YYYY-MM-DD, not in the future) "
                   "are printed and sent to the address above."));
        if (ERR("forward_from"))
            field_error(h, "cs-forward", err_msgid);
        kv_html(h, "<input class=\"form-input input-width-s\" type=\"date\" id=\"cs-forward\" "
                   "name=\"fra\" aria-describedby=\"cs-forward-hint%t\"></div>"
                   "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
                ERR("forward_from") ? " cs-forward-error" : "", N_("Exempt"));
    } else if (strcmp(st->status, "EXEMPT") == 0) {
        kv_html(h, "<h2>%m</h2>\n<form method=\"post\" action=\"%u/genregistrer\">",
                N_("Register for Digital Post again"), k->base);
        owner_fields(aa, st);
        kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
                N_("Register again"));
    }
    if (!k->company && strcmp(st->status, "CLOSED") != 0) {
        kv_html(h, "<h2>%m</h2>\n<form method=\"post\" action=\"%u/adgang\" "
                   "enctype=\"multipart/form-data\">",
                N_("Grant a helper access"), k->base);
        owner_fields(aa, st);
        kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cs-hcpr\">%m"
                   "</label>",
                ERR("helper_cpr") ? " form-error" : "", N_("Helper's CPR number"));
        if (ERR("helper_cpr"))
            field_error(h, "cs-hcpr", err_msgid);
        kv_html(h, "<input class=\"form-input input-width-s\" type=\"text\" inputmode=\"numeric\" "
                   "id=\"cs-hcpr\" name=\"hjaelper_cpr\" maxlength=\"10\" autocomplete=\"off\"%t>"
                   "</div>",
                ERR("helper_cpr") ? " aria-describedby=\"cs-hcpr-error\"" : "");
        kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cs-hname\">%m"
                   "</label>",
                ERR("helper_name") ? " form-error" : "", N_("Helper's full name"));
        if (ERR("helper_name"))
            field_error(h, "cs-hname", err_msgid);
        kv_html(h, "<input class=\"form-input\" type=\"text\" id=\"cs-hname\" "
                   "name=\"hjaelper_navn\" maxlength=\"200\" autocomplete=\"off\"%t></div>",
                ERR("helper_name") ? " aria-describedby=\"cs-hname-error\"" : "");
        kv_html(h, "<fieldset class=\"form-group\"><legend class=\"form-label\">%m</legend>"
                   "<ul class=\"nobullet-list\">",
                N_("Access"));
        radio(h, "niveau", "read", "cs-level-read", N_("Read"), 1);
        radio(h, "niveau", "write", "cs-level-write", N_("Read and write"), 0);
        kv_html(h, "</ul></fieldset><div class=\"form-group%t\"><label class=\"form-label\" "
                   "for=\"cs-huntil\">%m</label><span class=\"form-hint\" id=\"cs-huntil-hint\">"
                   "%m</span>",
                ERR("until") ? " form-error" : "", N_("Access until (last day, optional)"),
                N_("A date, YYYY-MM-DD; empty: until revoked"));
        if (ERR("until"))
            field_error(h, "cs-huntil", err_msgid);
        kv_html(h, "<input class=\"form-input input-width-s\" type=\"date\" id=\"cs-huntil\" "
                   "name=\"til\" aria-describedby=\"cs-huntil-hint%t\"></div>",
                ERR("until") ? " cs-huntil-error" : "");
        kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cs-poa\">%m"
                   "</label><span class=\"form-hint\" id=\"cs-poa-hint\">%m</span>",
                ERR("poa") ? " form-error" : "", N_("Power of attorney (PDF)"),
                N_("The signed power of attorney as a PDF file of at most 5 MB"));
        if (ERR("poa"))
            field_error(h, "cs-poa", err_msgid);
        kv_html(h, "<input class=\"form-input\" type=\"file\" id=\"cs-poa\" name=\"fuldmagt\" "
                   "accept=\"application/pdf\" aria-describedby=\"cs-poa-hint%t\"></div>"
                   "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
                ERR("poa") ? " cs-poa-error" : "", N_("Grant access"));
    }
    kv_html(h, "<p><a href=\"%u\">%m</a></p>\n", k->base, N_("Look up someone else"));
    kv_web_page_end(&aa->ctx, status, k->title);
#undef ERR
}

/* The receipt page after an action. */
static void receipt(struct kv_web_portal_page *aa, const struct kind *k,
                    const struct kv_cs_status *st, const char *what_msgid, const struct kv__aa_row *rows,
                    size_t n)
{
    struct kv_html *h = &aa->ctx.h;
    char t[32];
    size_t i;

    kv__aa_time(kv_clock_now_ms(), t, sizeof(t));
    kv__aa_head(aa, N_("Receipt"), k->base, what_msgid, NULL);
    kv_html(h,
            "<table class=\"table table--compact cs-receipt\"><caption>%m</caption><tbody>"
            "<tr><th scope=\"row\">%m</th><td>%m</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>",
            N_("What was done"), N_("Action"), what_msgid, k->id_label, st->owner_id,
            k->company ? N_("Company name") : N_("Full name"), st->name);
    for (i = 0; i < n; i++) {
        if (rows[i].msgid)
            kv_html(h, "<tr><th scope=\"row\">%m</th><td>%m</td></tr>", rows[i].label,
                    rows[i].msgid);
        else if (rows[i].text && rows[i].text[0])
            kv_html(h, "<tr><th scope=\"row\">%m</th><td class=\"cs-pre\">%t</td></tr>",
                    rows[i].label, rows[i].text);
    }
    kv_html(h,
            "<tr><th scope=\"row\">%m</th><td>%t, %t (CVR %t)</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr></tbody></table>\n",
            N_("Done by"), aa->ctx.principal.name, aa->org_name, aa->org, N_("Time"), t);
    kv_html(h, "<p>%m</p>\n<p><a href=\"%u\">%m</a></p>\n",
            N_("Print this page with the browser's print function and give it to the citizen."),
            k->base, N_("Look up someone else"));
    kv_web_page_end(&aa->ctx, 200, N_("Receipt"));
}

static struct kv_cs_actor actor_of(const struct kv_web_portal_page *aa)
{
    struct kv_cs_actor a = {aa->actor, aa->org};
    return a;
}

/* Loads the owner named by the form's id and navn; answers 404 when they do not match. */
static int owner(struct kv_web_portal_page *aa, const struct kind *k, struct kv_cs_status *st)
{
    char id[16], name[260];
    struct kv_err err = {0, ""};
    int rc;

    kv_web_portal_field(aa, "id", id, sizeof(id));
    kv_web_portal_field(aa, "navn", name, sizeof(name));
    rc = kv_cs_load(aa->db, k->owner_type, id, name, st, &err);
    if (rc == 0 && kv_testid_party(k->owner_type, id) && !aa->ctx.req->hub->conf->test_login)
        rc = KV_ENOTFOUND; /* test data exists only with --test-login (docs/testportal.md) */
    if (rc == KV_ENOTFOUND) {
        kv_web_error(&aa->ctx, 404);
        return 0;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: citizen service: %s", aa->ctx.req->request_id, err.msg);
        kv_web_error(&aa->ctx, 500);
        return 0;
    }
    return 1;
}

static int form(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    struct kv_web_portal_page aa;

    if (kv_web_portal_begin(&aa, req, resp, k->access, 0)) {
        kv__aa_head(&aa, k->title, k->base, NULL, NULL);
        lookup_form(&aa, k, 0);
        kv_web_page_end(&aa.ctx, 200, k->title);
    }
    kv_web_portal_end(&aa);
    return 0;
}

/* The look-up of the owner of k's kind named by the form's id and navn, by the signed-in
 * employee (kv_cs_lookup logs it): 0 with *match set, or -1 after answering 500. Test data
 * (docs/testportal.md) exists only with --test-login: without it a test number never
 * matches, whichever page looks it up. */
static int find(struct kv_web_portal_page *aa, const struct kind *k, struct kv_cs_status *st,
                int *match)
{
    struct kv_cs_actor who = actor_of(aa);
    struct kv_err err = {0, ""};
    char id[16], name[260];

    kv_web_portal_field(aa, "id", id, sizeof(id));
    kv_web_portal_field(aa, "navn", name, sizeof(name));
    if (kv_cs_lookup(aa->db, &who, k->owner_type, id, name, match, st, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: look-up failed: %s", aa->ctx.req->request_id, err.msg);
        kv_web_error(&aa->ctx, 500);
        return -1;
    }
    if (*match && kv_testid_party(k->owner_type, id) && !aa->ctx.req->hub->conf->test_login)
        *match = 0;
    return 0;
}

static int lookup(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    struct kv_web_portal_page aa;
    struct kv_cs_status *st = calloc(1, sizeof(*st));
    int match = 0;

    if (!kv_web_portal_begin(&aa, req, resp, k->access, KV_WEB_PORTAL_POST))
        goto out;
    if (!st) {
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    if (find(&aa, k, st, &match) < 0)
        goto out;
    if (!match) {
        kv__aa_head(&aa, k->title, k->base, NULL, NULL);
        lookup_form(&aa, k, 1);
        kv_web_page_end(&aa.ctx, 404, k->title);
        goto out;
    }
    status_page(&aa, k, st, 200, NULL, NULL);
out:
    free(st);
    kv_web_portal_end(&aa);
    return 0;
}

static const char *exempt_msgid(const char *field)
{
    return strcmp(field, "reason") == 0    ? N_("Choose the reason.")
           : strcmp(field, "channel") == 0 ? N_("Choose how the request came.")
           : strcmp(field, "address") == 0 ? N_("Give the postal address (at most 500 characters).")
           : strcmp(field, "until") == 0   ? N_("Give a valid date, today or later.")
                                           : N_("Give a valid date that is not in the future.");
}

static int exempt(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    struct kv_web_portal_page aa;
    struct kv_cs_status *st = calloc(1, sizeof(*st));
    struct kv_cs_actor who;
    struct kv_cs_exemption ex;
    struct kv_err err = {0, ""};
    char reason[24], channel[16], address[520], until[16], from[16], detail[200];
    int n = 0, rc;
    size_t i, j;

    if (!kv_web_portal_begin(&aa, req, resp, k->access, KV_WEB_PORTAL_POST) || !st ||
        !owner(&aa, k, st))
        goto out;
    who = actor_of(&aa);
    kv_web_portal_field(&aa, "reason", reason, sizeof(reason));
    kv_web_portal_field(&aa, "channel", channel, sizeof(channel));
    kv_web_portal_field(&aa, "adresse", address, sizeof(address));
    kv_web_portal_field(&aa, "til", until, sizeof(until));
    kv_web_portal_field(&aa, "fra", from, sizeof(from));
    for (i = j = 0; address[i]; i++) /* CRLF from a textarea: lines end in \n */
        if (address[i] != '\r')
            address[j++] = address[i];
    address[j] = '\0';
    ex.reason = reason;
    ex.channel = channel;
    ex.address = address;
    ex.until = until;
    ex.forward_from = from;
    rc = kv_cs_exempt(aa.db, &who, st, &ex, &n, &err);
    if (rc == KV_EINVAL) {
        status_page(&aa, k, st, 400, err.msg, exempt_msgid(err.msg));
        goto out;
    }
    if (rc == KV_ECONFLICT) {
        kv_web_message(&aa.ctx, 409, N_("Not exempted"), N_("The mailbox is not registered."));
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: exemption failed: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    snprintf(detail, sizeof(detail), "%d", n);
    {
        const struct kv__aa_row rows[] = {
            {N_("Reason"), NULL,
             strcmp(reason, "LEFT_THE_COUNTRY") == 0 ? N_("Left the country") : N_("Other reason")},
            {N_("The request came"), NULL,
             strcmp(channel, "PROXY") == 0 ? N_("By proxy") : N_("In person")},
            {N_("Postal address for printed letters"), address, NULL},
            {N_("Exempt until"), until, NULL},
            {N_("Send unopened digital letters as paper from (optional)"), from, NULL},
            {N_("Unopened letters sent as paper"), from[0] ? detail : "", NULL},
        };
        receipt(&aa, k, st, N_("Exempted from Digital Post"), rows, sizeof(rows) / sizeof(rows[0]));
    }
out:
    free(st);
    kv_web_portal_end(&aa);
    return 0;
}

static int reregister(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    struct kv_web_portal_page aa;
    struct kv_cs_status *st = calloc(1, sizeof(*st));
    struct kv_cs_actor who;
    struct kv_err err = {0, ""};
    int rc;

    if (!kv_web_portal_begin(&aa, req, resp, k->access, KV_WEB_PORTAL_POST) || !st ||
        !owner(&aa, k, st))
        goto out;
    who = actor_of(&aa);
    rc = kv_cs_register(aa.db, &who, st, &err);
    if (rc == KV_ECONFLICT) {
        kv_web_message(&aa.ctx, 409, N_("Not registered"), N_("The mailbox is not exempt."));
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: registration failed: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    receipt(&aa, k, st, N_("Registered for Digital Post again"), NULL, 0);
out:
    free(st);
    kv_web_portal_end(&aa);
    return 0;
}

static int grant(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    struct kv_web_portal_page aa;
    struct kv_cs_status *st = calloc(1, sizeof(*st));
    struct kv_cs_actor who;
    struct kv_cs_helper hp;
    struct kv_err err = {0, ""};
    const char *ct = kv_http_req_header(req, "Content-Type"), *pdf = NULL, *field, *msg;
    char hcpr[16], hname[260], level[8], until[16], type[64], detail[320];
    size_t len = 0;
    int64_t id = 0;
    int rc;

    if (!kv_web_portal_begin(&aa, req, resp, k->access, KV_WEB_PORTAL_POST) || !st ||
        !owner(&aa, k, st))
        goto out;
    who = actor_of(&aa);
    kv_web_portal_field(&aa, "hjaelper_cpr", hcpr, sizeof(hcpr));
    kv_web_portal_field(&aa, "hjaelper_navn", hname, sizeof(hname));
    kv_web_portal_field(&aa, "niveau", level, sizeof(level));
    kv_web_portal_field(&aa, "til", until, sizeof(until));
    if (!ct || kv_http_multipart_part(ct, req->body, req->body_len, "fuldmagt", &pdf, &len, type,
                                      sizeof(type), &err) < 0)
        len = 0;
    memset(&hp, 0, sizeof(hp));
    hp.cpr = hcpr;
    hp.name = hname;
    hp.write = strcmp(level, "write") == 0;
    hp.until = until;
    hp.pdf = pdf;
    hp.pdf_len = len;
    hp.filename = "fuldmagt.pdf";
    rc = kv_cs_grant_access(aa.db, &who, st, &hp, &id, &err);
    if (rc == KV_EINVAL) {
        field = err.msg;
        msg = strcmp(field, "helper_cpr") == 0
                  ? N_("Give the helper's CPR number: 10 digits, not the citizen's own.")
              : strcmp(field, "helper_name") == 0 ? N_("Give the helper's full name.")
              : strcmp(field, "helper_name_mismatch") == 0
                  ? N_("The name does not match the person with this CPR number.")
              : strcmp(field, "until") == 0       ? N_("Give a valid date in the future, or none.")
              : strcmp(field, "poa_missing") == 0 ? N_("Choose the power of attorney (a PDF file).")
              : strcmp(field, "poa_too_big") == 0 ? N_("The file is larger than 5 MB.")
                                                  : N_("The file is not a PDF document.");
        if (strcmp(field, "helper_name_mismatch") == 0)
            field = "helper_name";
        else if (strncmp(field, "poa_", 4) == 0)
            field = "poa";
        status_page(&aa, k, st, len > KV_CS_POA_MAX ? 413 : 400, field, msg);
        goto out;
    }
    if (rc == KV_ECONFLICT) {
        status_page(&aa, k, st, 409, "helper_cpr", N_("The helper already has this access."));
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: access not granted: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    snprintf(detail, sizeof(detail), "%s (CPR %s)", hname, hcpr);
    {
        const struct kv__aa_row rows[] = {
            {N_("Helper"), detail, NULL},
            {N_("Access"), NULL, hp.write ? N_("Read and write") : N_("Read")},
            {N_("Until"), until, NULL},
            {N_("Power of attorney"), NULL, N_("Received")},
        };
        receipt(&aa, k, st, N_("Access granted to a helper"), rows, sizeof(rows) / sizeof(rows[0]));
    }
out:
    free(st);
    kv_web_portal_end(&aa);
    return 0;
}

int kv__aa_cs_form(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, &CITIZEN);
}
int kv__aa_cs_lookup(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return lookup(req, resp, &CITIZEN);
}
int kv__aa_cs_exempt(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return exempt(req, resp, &CITIZEN);
}
int kv__aa_cs_register(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return reregister(req, resp, &CITIZEN);
}
int kv__aa_cs_grant(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return grant(req, resp, &CITIZEN);
}
int kv__aa_bs_form(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, &COMPANY);
}
int kv__aa_bs_lookup(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return lookup(req, resp, &COMPANY);
}
int kv__aa_bs_exempt(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return exempt(req, resp, &COMPANY);
}
int kv__aa_bs_register(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return reregister(req, resp, &COMPANY);
}

void kv__aa_cs_owner_fields(struct kv_web_portal_page *aa, const struct kv_cs_status *st)
{
    owner_fields(aa, st);
}
int kv__aa_cs_owner(struct kv_web_portal_page *aa, struct kv_cs_status *st)
{
    return owner(aa, &CITIZEN, st);
}
int kv__aa_cs_find(struct kv_web_portal_page *aa, struct kv_cs_status *st, int *match)
{
    return find(aa, &CITIZEN, st, match);
}
void kv__aa_cs_receipt(struct kv_web_portal_page *aa, const struct kv_cs_status *st,
                       const char *what_msgid, const struct kv__aa_row *rows, size_t n)
{
    receipt(aa, &CITIZEN, st, what_msgid, rows, n);
}

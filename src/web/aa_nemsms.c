/* SPDX-License-Identifier: MIT
 *
 * aa_nemsms.c: NemSMS on a citizen's behalf in citizen service (Administrativ Adgang; issue 13
 * item 3, portals.md section 2.3; access key "citizen-service" = CITIZEN_SERVICE_EMPLOYEE, as
 * every page of aa_citizen.c). The domain is notify/nemsms.h; the actor of every event is the
 * employee.
 *
 *   POST /administrativ-adgang/borgerservice/nemsms           the citizen's NemSMS page: the
 *                                                            number in use, a number waiting
 *                                                            for its PIN, the forms below (a
 *                                                            look-up: logged CPR_LOOKED_UP)
 *   POST /administrativ-adgang/borgerservice/nemsms/nummer    subscribe or change the number:
 *                                                            a PIN is sent to it by SMS
 *   POST /administrativ-adgang/borgerservice/nemsms/bekraeft  the PIN the citizen received
 *                                                            activates the number; receipt
 *   POST /administrativ-adgang/borgerservice/nemsms/fjern     remove the subscription; receipt
 *
 * Confirmation (docs/administrativ-adgang.md "NemSMS"): the citizen is at the desk (or a proxy
 * with a power of attorney) and has been identified by CPR number and full name; the number
 * must still be proven to reach them, because NemSMS carries personal messages (a hospital
 * appointment) and a mistyped number would send them to a stranger. So, as in NgDP's
 * verification by PIN, the number waits for the 6-digit PIN that was sent to it, which the
 * citizen reads out from their phone; a change keeps the old number until then. Removing a
 * subscription needs no PIN. Like aa_citizen.c, every form carries the number and the name and
 * they are checked again; a mismatch is 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/http.h"
#include "identity/authz.h"
#include "identity/citizen.h"
#include "notify/nemsms.h"
#include "util/clock.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

#define BASE "/administrativ-adgang/borgerservice"

/* The subscription as shown: number in use (or ""), its confirmation time, a waiting number. */
struct nem {
    char mobile[16], pending[16], since[32];
};

static int load_nem(struct kv_web_portal_page *aa, const char *cpr, struct nem *n)
{
    struct kv_err err = {0, ""};
    json_t *o = NULL;
    const char *v;

    memset(n, 0, sizeof(*n));
    if (kv_nemsms_json(aa->db, cpr, &o, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: NemSMS: %s", aa->ctx.req->request_id, err.msg);
        return -1;
    }
    if ((v = json_string_value(json_object_get(o, "mobileNumber"))))
        snprintf(n->mobile, sizeof(n->mobile), "%s", v);
    if ((v = json_string_value(json_object_get(o, "confirmedDateTime"))))
        snprintf(n->since, sizeof(n->since), "%.10s", v);
    if ((v = json_string_value(json_object_get(o, "pendingMobileNumber"))))
        snprintf(n->pending, sizeof(n->pending), "%s", v);
    json_decref(o);
    return 0;
}

void kv__aa_cs_nemsms_section(struct kv_web_portal_page *aa, const struct kv_cs_status *st)
{
    struct kv_html *h = &aa->ctx.h;
    struct nem n;

    if (load_nem(aa, st->owner_id, &n) < 0)
        return;
    kv_html(h, "<h2>%m</h2>\n<p class=\"cs-nemsms\">", N_("NemSMS"));
    if (n.mobile[0])
        kv_html(h, "%m <strong>%t</strong>", N_("NemSMS is sent to"), n.mobile);
    else
        kv_html(h, "%m", N_("Not subscribed to NemSMS."));
    kv_html(h, "</p>\n<form method=\"post\" action=\"%u/nemsms\">", BASE);
    kv__aa_cs_owner_fields(aa, st);
    kv_html(h, "<button type=\"submit\" class=\"button button-secondary\">%m</button></form>\n",
            N_("Administer NemSMS"));
}

/* The NemSMS page; err_field ("mobile" | "pin") and err_msgid mark a refused field. */
static void nem_page(struct kv_web_portal_page *aa, const struct kv_cs_status *st, int status,
                     const char *ok_msgid, const char *err_field, const char *err_msgid)
{
    struct kv_html *h = &aa->ctx.h;
    struct nem n;
    int bad_mobile = err_field && strcmp(err_field, "mobile") == 0;
    int bad_pin = err_field && strcmp(err_field, "pin") == 0;

    if (load_nem(aa, st->owner_id, &n) < 0) {
        kv_web_error(&aa->ctx, 500);
        return;
    }
    kv__aa_head(aa, N_("NemSMS"), BASE, ok_msgid, NULL);
    kv_html(h,
            "<h2>%t</h2>\n<table class=\"table table--compact\"><caption>%m</caption><tbody>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>"
            "<tr><th scope=\"row\">%m</th><td class=\"nemsms-number\">%t</td></tr>",
            st->name, N_("NemSMS"), N_("CPR number"), st->owner_id, N_("Mobile number"),
            n.mobile[0] ? n.mobile : "–");
    if (n.mobile[0])
        kv_html(h, "<tr><th scope=\"row\">%m</th><td>%t</td></tr>", N_("Active since"), n.since);
    if (n.pending[0])
        kv_html(h, "<tr><th scope=\"row\">%m</th><td class=\"nemsms-pending\">%t</td></tr>",
                N_("Waiting for its PIN"), n.pending);
    kv_html(h, "</tbody></table>\n<p>%m</p>\n",
            N_("NemSMS lets every authority that uses it send the citizen short messages, such "
               "as reminders of appointments. It is separate from notices of new post."));
    if (n.pending[0]) {
        kv_html(h, "<h2>%m</h2>\n<form method=\"post\" action=\"%u/nemsms/bekraeft\">",
                N_("Confirm the number with its PIN"), BASE);
        kv__aa_cs_owner_fields(aa, st);
        kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cs-nem-pin\">"
                   "%m</label><span class=\"form-hint\" id=\"cs-nem-pin-hint\">%m</span>",
                bad_pin ? " form-error" : "", N_("PIN"),
                N_("The 6 digits sent by SMS to the number; the citizen reads them from their "
                   "phone. Valid for 15 minutes."));
        if (bad_pin)
            kv_html(h, "<span class=\"form-error-message\" id=\"cs-nem-pin-error\"><span "
                       "class=\"sr-only\">%m: </span>%m</span>",
                    N_("Error"), err_msgid);
        kv_html(h, "<input class=\"form-input input-width-xs\" type=\"text\" "
                   "inputmode=\"numeric\" id=\"cs-nem-pin\" name=\"pin\" maxlength=\"6\" "
                   "autocomplete=\"off\" required aria-describedby=\"cs-nem-pin-hint%t\"></div>"
                   "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
                bad_pin ? " cs-nem-pin-error" : "", N_("Activate NemSMS"));
    }
    kv_html(h, "<h2>%m</h2>\n<form method=\"post\" action=\"%u/nemsms/nummer\">",
            n.mobile[0] || n.pending[0] ? N_("Change the number") : N_("Subscribe to NemSMS"),
            BASE);
    kv__aa_cs_owner_fields(aa, st);
    kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cs-nem-mobile\">%m"
               "</label><span class=\"form-hint\" id=\"cs-nem-mobile-hint\">%m</span>",
            bad_mobile ? " form-error" : "", N_("Mobile number for NemSMS"),
            N_("A Danish mobile number: 8 digits, without +45. A PIN is sent to it."));
    if (bad_mobile)
        kv_html(h, "<span class=\"form-error-message\" id=\"cs-nem-mobile-error\"><span "
                   "class=\"sr-only\">%m: </span>%m</span>",
                N_("Error"), err_msgid);
    kv_html(h, "<input class=\"form-input input-width-s\" type=\"tel\" id=\"cs-nem-mobile\" "
               "name=\"mobil\" maxlength=\"8\" autocomplete=\"off\" required "
               "aria-describedby=\"cs-nem-mobile-hint%t\"></div>"
               "<button type=\"submit\" class=\"button button-primary\">%m</button></form>\n",
            bad_mobile ? " cs-nem-mobile-error" : "", N_("Send PIN"));
    if (n.mobile[0] || n.pending[0]) {
        kv_html(h, "<h2>%m</h2>\n<form method=\"post\" action=\"%u/nemsms/fjern\">",
                N_("Stop NemSMS"), BASE);
        kv__aa_cs_owner_fields(aa, st);
        kv_html(h, "<button type=\"submit\" class=\"button button-secondary\">%m</button>"
                   "</form>\n",
                N_("Remove the subscription"));
    }
    kv_html(h, "<p><a href=\"%u\">%m</a></p>\n", BASE, N_("Look up someone else"));
    kv_web_page_end(&aa->ctx, status, N_("NemSMS"));
}

/* Begins a NemSMS action: the page, the owner named by the form (404 on a mismatch). */
static int begin(struct kv_web_portal_page *aa, struct kv_http_req *req,
                 struct kv_http_resp *resp, struct kv_cs_status **st)
{
    *st = calloc(1, sizeof(**st));
    if (!kv_web_portal_begin(aa, req, resp, KV_ACCESS_CITIZEN_SERVICE, KV_WEB_PORTAL_POST))
        return 0;
    if (!*st) {
        kv_web_error(&aa->ctx, 500);
        return 0;
    }
    return kv__aa_cs_owner(aa, *st);
}

int kv__aa_cs_nemsms(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_cs_status *st = calloc(1, sizeof(*st));
    int match = 0;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_CITIZEN_SERVICE, KV_WEB_PORTAL_POST))
        goto out;
    if (!st) {
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    /* opening the citizen's NemSMS data is a look-up of its own, logged like the first */
    if (kv__aa_cs_find(&aa, st, &match) < 0)
        goto out;
    if (!match)
        kv_web_error(&aa.ctx, 404);
    else
        nem_page(&aa, st, 200, NULL, NULL, NULL);
out:
    free(st);
    kv_web_portal_end(&aa);
    return 0;
}

int kv__aa_cs_nemsms_number(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_cs_status *st = NULL;
    struct kv_err err = {0, ""};
    char mobile[16];
    int rc;

    if (!begin(&aa, req, resp, &st))
        goto out;
    kv_web_portal_field(&aa, "mobil", mobile, sizeof(mobile));
    rc = kv_nemsms_subscribe(aa.db, st->owner_id, mobile, 0, aa.actor, kv_clock_now_ms(), NULL,
                             &err);
    if (rc == KV_EINVAL) {
        nem_page(&aa, st, 400, NULL, "mobile",
                 N_("Give a Danish mobile number: 8 digits, the first 2-9, without +45."));
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: NemSMS number: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    nem_page(&aa, st, 200, N_("A PIN has been sent by SMS to the number. Enter it below."),
             NULL, NULL);
out:
    free(st);
    kv_web_portal_end(&aa);
    return 0;
}

int kv__aa_cs_nemsms_confirm(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_cs_status *st = NULL;
    struct kv_err err = {0, ""};
    struct nem n;
    char pin[16];
    int rc;

    if (!begin(&aa, req, resp, &st))
        goto out;
    kv_web_portal_field(&aa, "pin", pin, sizeof(pin));
    rc = kv_nemsms_confirm(aa.db, st->owner_id, pin, aa.actor, kv_clock_now_ms(), &err);
    if (rc == KV_EINVAL || rc == KV_EPERM || rc == KV_ENOTFOUND) {
        nem_page(&aa, st, rc == KV_ENOTFOUND ? 409 : 400, NULL, "pin",
                 rc == KV_EINVAL ? N_("The PIN is not right. Check the 6 digits.")
                 : rc == KV_EPERM
                     ? N_("The PIN has expired or too many wrong PINs were given. Send a new one.")
                     : N_("No number is waiting for a PIN."));
        goto out;
    }
    if (rc < 0 || load_nem(&aa, st->owner_id, &n) < 0) {
        kv_log(KV_LOG_ERROR, "%s: NemSMS confirm: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    {
        const struct kv__aa_row rows[] = {
            {N_("Mobile number"), n.mobile, NULL},
            {N_("Confirmed"), NULL, N_("With the PIN sent to the number")},
        };
        kv__aa_cs_receipt(&aa, st, N_("NemSMS activated"), rows, sizeof(rows) / sizeof(rows[0]));
    }
out:
    free(st);
    kv_web_portal_end(&aa);
    return 0;
}

int kv__aa_cs_nemsms_remove(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_cs_status *st = NULL;
    struct kv_err err = {0, ""};
    int rc;

    if (!begin(&aa, req, resp, &st))
        goto out;
    rc = kv_nemsms_unsubscribe(aa.db, st->owner_id, aa.actor, kv_clock_now_ms(), &err);
    if (rc == KV_ENOTFOUND) {
        kv_web_message(&aa.ctx, 409, N_("Not removed"), N_("Not subscribed to NemSMS."));
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: NemSMS remove: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv__aa_cs_receipt(&aa, st, N_("NemSMS subscription removed"), NULL, 0);
out:
    free(st);
    kv_web_portal_end(&aa);
    return 0;
}

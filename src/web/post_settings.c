/* SPDX-License-Identifier: MIT
 *
 * post_settings.c: the notification settings and NemSMS pages of the mailbox
 * (docs/notifications.md), for the signed-in person's own access to the mailbox shown at /post/:
 *
 *   GET  /post/indstillinger/                       settings: e-mail addresses, mobile number,
 *                                                   push devices, quiet hours, opt-out, NemSMS
 *   POST /post/indstillinger/email                  add an e-mail address (a link is mailed)
 *   POST /post/indstillinger/mobil                  set the mobile number (a PIN is sent)
 *   POST /post/indstillinger/mobil/bekraeft         confirm it with the PIN
 *   POST /post/indstillinger/kanal/{id}/fjern       remove an address, the number or a device
 *   POST /post/indstillinger/stille-timer           quiet hours (empty fields: none)
 *   POST /post/indstillinger/fravalg                opt out of all notices / back in
 *   POST /post/indstillinger/nemsms                 NemSMS number (citizens; a PIN is sent)
 *   POST /post/indstillinger/nemsms/bekraeft        confirm it
 *   POST /post/indstillinger/nemsms/fjern           unsubscribe
 *   GET  /notifikationer/bekraeft?token=T           the link of a confirmation mail: a button
 *   POST /notifikationer/bekraeft                   confirms (the token is the proof; no sign-in)
 *
 * Forms post back and are answered with 303 to the settings page and a short notice, or with the
 * page again (400) naming what was wrong. The logic is src/notify; nothing here writes SQL.
 */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "identity/authz.h"
#include "notify/nemsms.h"
#include "notify/settings.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/log.h"
#include "util/num.h"
#include "web/i18n.h"
#include "web/post.h"

#define PAGE KV_ROUTE_PAGE
#define BASE "/post/indstillinger/"

static int settings_page(struct kv_http_req *req, struct kv_http_resp *resp);
static int add_email(struct kv_http_req *req, struct kv_http_resp *resp);
static int set_mobile(struct kv_http_req *req, struct kv_http_resp *resp);
static int confirm_mobile(struct kv_http_req *req, struct kv_http_resp *resp);
static int remove_channel(struct kv_http_req *req, struct kv_http_resp *resp);
static int quiet_hours(struct kv_http_req *req, struct kv_http_resp *resp);
static int opt_out(struct kv_http_req *req, struct kv_http_resp *resp);
static int nemsms_set(struct kv_http_req *req, struct kv_http_resp *resp);
static int nemsms_confirm(struct kv_http_req *req, struct kv_http_resp *resp);
static int nemsms_remove(struct kv_http_req *req, struct kv_http_resp *resp);
static int link_page(struct kv_http_req *req, struct kv_http_resp *resp);
static int link_confirm(struct kv_http_req *req, struct kv_http_resp *resp);

const struct kv_http_route kv_web_notify_routes[] = {
    {"GET", BASE, settings_page, "web_notify", PAGE, KV_ACCESS_NOTIFY},
    {"POST", BASE "email", add_email, "web_notify_email", PAGE, KV_ACCESS_NOTIFY},
    {"POST", BASE "mobil", set_mobile, "web_notify_mobile", PAGE, KV_ACCESS_NOTIFY},
    {"POST", BASE "mobil/bekraeft", confirm_mobile, "web_notify_mobile_confirm", PAGE,
     KV_ACCESS_NOTIFY},
    {"POST", BASE "kanal/{id}/fjern", remove_channel, "web_notify_remove", PAGE,
     KV_ACCESS_NOTIFY},
    {"POST", BASE "stille-timer", quiet_hours, "web_notify_quiet", PAGE, KV_ACCESS_NOTIFY},
    {"POST", BASE "fravalg", opt_out, "web_notify_optout", PAGE, KV_ACCESS_NOTIFY},
    {"POST", BASE "nemsms", nemsms_set, "web_nemsms", PAGE, KV_ACCESS_NEMSMS},
    {"POST", BASE "nemsms/bekraeft", nemsms_confirm, "web_nemsms_confirm", PAGE,
     KV_ACCESS_NEMSMS},
    {"POST", BASE "nemsms/fjern", nemsms_remove, "web_nemsms_remove", PAGE, KV_ACCESS_NEMSMS},
    {"GET", "/notifikationer/bekraeft", link_page, "web_notify_link", PAGE, KV_ACCESS_PUBLIC},
    {"POST", "/notifikationer/bekraeft", link_confirm, "web_notify_link_confirm", PAGE,
     KV_ACCESS_PUBLIC},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* Notices after a successful form, by the key in ?ok=. */
static const struct {
    const char *key, *msgid;
} OK[] = {
    {"email", N_("We have sent a confirmation link to the address. Open it to confirm.")},
    {"mobil", N_("We have sent a PIN by SMS to the number. Enter it below.")},
    {"mobil-ok", N_("Your mobile number is confirmed.")},
    {"fjernet", N_("Removed.")},
    {"stille", N_("Your quiet hours are saved.")},
    {"fravalg", N_("Your choice is saved.")},
    {"nemsms", N_("We have sent a PIN by SMS to the number. Enter it to activate NemSMS.")},
    {"nemsms-ok", N_("NemSMS is active for your number.")},
    {"nemsms-fjernet", N_("You no longer receive NemSMS.")},
};

/* The access of the signed-in person to the mailbox shown. */
static int access_of(struct kv__post *pp, struct kv_notify_access *a, struct kv_err *err)
{
    const struct kv_principal *p = &pp->ctx.principal;
    char holder[48], actor[48];

    if (p->kind == KV_PRINCIPAL_CITIZEN) {
        snprintf(holder, sizeof(holder), "CPR:%s", p->cpr);
        snprintf(actor, sizeof(actor), "cpr:%s", p->cpr);
    } else {
        snprintf(holder, sizeof(holder), "PERSON:%lld", (long long)p->person_id);
        snprintf(actor, sizeof(actor), "person:%lld", (long long)p->person_id);
    }
    return kv_notify_access_for(pp->db, pp->owner.type, pp->owner.id, holder, actor, a, err);
}

static void csrf_field(struct kv__post *pp)
{
    kv_html(&pp->ctx.h, "<input type=\"hidden\" name=\"csrf\" value=\"%a\">", pp->ctx.sess.csrf);
}

static void render(struct kv__post *pp, int status, const char *error)
{
    struct kv_html *h = &pp->ctx.h;
    struct kv_err err = {0, ""};
    struct kv_notify_access a;
    json_t *s = NULL, *nem = NULL, *it, *mob;
    const char *ok = kv_http_req_query(pp->ctx.req, "ok");
    /* NemSMS is the citizen's own, shown only in their own mailbox (not to a helper in
     * another's, where the key `nemsms` refuses it) */
    int citizen = pp->ctx.principal.kind == KV_PRINCIPAL_CITIZEN && !pp->owner.rep_cpr[0];
    size_t i;

    if (access_of(pp, &a, &err) < 0 || kv_notify_settings_json(pp->db, &a, &s, &err) < 0 ||
        (citizen && kv_nemsms_json(pp->db, pp->ctx.principal.cpr, &nem, &err) < 0)) {
        kv_log(KV_LOG_ERROR, "%s: %s", pp->ctx.req->request_id, err.msg);
        json_decref(s);
        kv_web_error(&pp->ctx, err.code == KV_ENOTFOUND ? 404 : 500);
        return;
    }
    kv_html(h, "<a class=\"back-link\" href=\"/post/\">%m</a>\n<h1>%m</h1>\n", N_("Back to post"),
            N_("Notifications"));
    kv_html(h, "<p>%m</p>\n", N_("We tell you when you have new post, by e-mail, SMS or on your "
                                  "phone. The notice says who sent it, never what it says."));
    for (i = 0; ok && status == 200 && i < sizeof(OK) / sizeof(OK[0]); i++)
        if (strcmp(ok, OK[i].key) == 0)
            kv_html(h, "<div class=\"alert alert-success\" role=\"status\"><div class=\"alert-body\">"
                       "<p class=\"alert-text\">%m</p></div></div>\n",
                    OK[i].msgid);
    if (error)
        kv_html(h, "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                   "<p class=\"alert-text\">%t</p></div></div>\n",
                error);
    if (json_is_true(json_object_get(s, "optedOut")))
        kv_html(h, "<div class=\"alert alert-warning\"><div class=\"alert-body\"><p class=\"alert-text\">"
                   "%m</p></div></div>\n",
                N_("You have opted out of all notifications."));

    /* e-mail */
    kv_html(h, "<h2>%m</h2>\n", N_("E-mail addresses"));
    if (json_array_size(json_object_get(s, "emailAddresses")) > 0) {
        kv_html(h, "<ul class=\"nobullet-list notify-emails\">\n");
        json_array_foreach(json_object_get(s, "emailAddresses"), i, it)
        {
            kv_html(h, "<li><strong>%t</strong> (%m) "
                       "<form method=\"post\" action=\"" BASE "kanal/%D/fjern\" class=\"inline-form\">",
                    json_string_value(json_object_get(it, "emailAddress")),
                    json_is_true(json_object_get(it, "confirmed")) ? N_("confirmed")
                                                                    : N_("waiting for confirmation"),
                    (int64_t)json_integer_value(json_object_get(it, "id")));
            csrf_field(pp);
            kv_html(h, "<button class=\"button button-unstyled\" type=\"submit\">%m "
                       "<span class=\"sr-only\">%t</span></button></form></li>\n",
                    N_("Remove"), json_string_value(json_object_get(it, "emailAddress")));
        }
        kv_html(h, "</ul>\n");
    }
    if (json_array_size(json_object_get(s, "emailAddresses")) < KV_NOTIFY_EMAIL_MAX) {
        kv_html(h, "<form method=\"post\" action=\"" BASE "email\">");
        csrf_field(pp);
        kv_html(h, "<div class=\"form-group\"><label class=\"form-label\" for=\"notify-email\">%m"
                   "</label><span class=\"form-hint\" id=\"notify-email-hint\">%m</span>"
                   "<input class=\"form-input\" type=\"email\" id=\"notify-email\" name=\"email\" "
                   "maxlength=\"255\" autocomplete=\"email\" aria-describedby=\"notify-email-hint\" "
                   "required></div><button class=\"button button-secondary\" type=\"submit\">%m"
                   "</button></form>\n",
                N_("New e-mail address"), N_("Up to 5 addresses. We send a link to confirm it."),
                N_("Add e-mail address"));
    }

    /* mobile */
    kv_html(h, "<h2>%m</h2>\n", N_("Mobile number for SMS"));
    mob = json_object_get(s, "mobileNumber");
    if (json_is_object(mob)) {
        kv_html(h, "<p class=\"notify-mobile\"><strong>%t</strong> (%m) "
                   "<form method=\"post\" action=\"" BASE "kanal/%D/fjern\" class=\"inline-form\">",
                json_string_value(json_object_get(mob, "mobileNumber")),
                json_is_true(json_object_get(mob, "confirmed")) ? N_("confirmed")
                                                                 : N_("waiting for the PIN"),
                (int64_t)json_integer_value(json_object_get(mob, "id")));
        csrf_field(pp);
        kv_html(h, "<button class=\"button button-unstyled\" type=\"submit\">%m</button></form></p>\n",
                N_("Remove"));
        if (!json_is_true(json_object_get(mob, "confirmed"))) {
            kv_html(h, "<form method=\"post\" action=\"" BASE "mobil/bekraeft\">");
            csrf_field(pp);
            kv_html(h, "<div class=\"form-group\"><label class=\"form-label\" for=\"notify-pin\">%m"
                       "</label><input class=\"form-input input-width-xs\" type=\"text\" "
                       "inputmode=\"numeric\" id=\"notify-pin\" name=\"pin\" maxlength=\"6\" "
                       "autocomplete=\"one-time-code\" required></div>"
                       "<button class=\"button button-primary\" type=\"submit\">%m</button></form>\n",
                    N_("PIN from the SMS"), N_("Confirm number"));
        }
    }
    kv_html(h, "<form method=\"post\" action=\"" BASE "mobil\">");
    csrf_field(pp);
    kv_html(h, "<div class=\"form-group\"><label class=\"form-label\" for=\"notify-mobile\">%m"
               "</label><span class=\"form-hint\" id=\"notify-mobile-hint\">%m</span>"
               "<input class=\"form-input input-width-s\" type=\"tel\" id=\"notify-mobile\" "
               "name=\"mobile\" maxlength=\"8\" pattern=\"[2-9][0-9]{7}\" autocomplete=\"tel-national\" "
               "aria-describedby=\"notify-mobile-hint\" required></div>"
               "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
            json_is_object(mob) ? N_("Another mobile number") : N_("Mobile number"),
            N_("8 digits, Danish numbers only. We send a PIN to confirm it."),
            N_("Send PIN"));

    /* push */
    kv_html(h, "<h2>%m</h2>\n", N_("Devices with push notifications"));
    if (json_array_size(json_object_get(s, "pushSubscriptions")) == 0)
        kv_html(h, "<p>%m</p>\n", N_("None. Turn notifications on in the Digital Post app."));
    else {
        kv_html(h, "<ul class=\"nobullet-list notify-devices\">\n");
        json_array_foreach(json_object_get(s, "pushSubscriptions"), i, it)
        {
            kv_html(h, "<li><strong>%t</strong> "
                       "<form method=\"post\" action=\"" BASE "kanal/%D/fjern\" class=\"inline-form\">",
                    json_string_value(json_object_get(it, "deviceName")),
                    (int64_t)json_integer_value(json_object_get(it, "id")));
            csrf_field(pp);
            kv_html(h, "<button class=\"button button-unstyled\" type=\"submit\">%m "
                       "<span class=\"sr-only\">%t</span></button></form></li>\n",
                    N_("Turn off"), json_string_value(json_object_get(it, "deviceName")));
        }
        kv_html(h, "</ul>\n");
    }

    /* quiet hours and opt-out */
    kv_html(h, "<h2>%m</h2>\n<form method=\"post\" action=\"" BASE "stille-timer\">",
            N_("Quiet hours"));
    csrf_field(pp);
    it = json_object_get(s, "quietHours");
    kv_html(h, "<p class=\"form-hint\" id=\"notify-quiet-hint\">%m</p>"
               "<div class=\"form-group\"><label class=\"form-label\" for=\"notify-quiet-from\">%m</label>"
               "<input class=\"form-input input-width-xs\" type=\"time\" id=\"notify-quiet-from\" "
               "name=\"from\" value=\"%a\" aria-describedby=\"notify-quiet-hint\"></div>"
               "<div class=\"form-group\"><label class=\"form-label\" for=\"notify-quiet-to\">%m</label>"
               "<input class=\"form-input input-width-xs\" type=\"time\" id=\"notify-quiet-to\" "
               "name=\"to\" value=\"%a\"></div>"
               "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
            N_("No SMS or push notifications in this period (Danish time). Leave both empty for "
               "none."),
            N_("From"), json_string_value(json_object_get(it, "from")), N_("To"),
            json_string_value(json_object_get(it, "to")), N_("Save quiet hours"));
    kv_html(h, "<form method=\"post\" action=\"" BASE "fravalg\">");
    csrf_field(pp);
    kv_html(h, "<input type=\"hidden\" name=\"optout\" value=\"%a\">"
               "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
            json_is_true(json_object_get(s, "optedOut")) ? "0" : "1",
            json_is_true(json_object_get(s, "optedOut")) ? N_("Turn notifications on again")
                                                          : N_("Opt out of all notifications"));

    /* NemSMS */
    if (citizen) {
        kv_html(h, "<h2>%m</h2>\n<p>%m</p>\n", N_("NemSMS"),
                N_("Short messages from authorities, for example reminders of appointments. "
                   "Separate from the notifications above."));
        if (json_is_true(json_object_get(nem, "subscribed"))) {
            kv_html(h, "<p class=\"nemsms-number\">%m <strong>%t</strong></p>"
                       "<form method=\"post\" action=\"" BASE "nemsms/fjern\">",
                    N_("NemSMS is sent to"),
                    json_string_value(json_object_get(nem, "mobileNumber")));
            csrf_field(pp);
            kv_html(h, "<button class=\"button button-secondary\" type=\"submit\">%m</button>"
                       "</form>\n",
                    N_("Stop NemSMS"));
        }
        if (json_is_string(json_object_get(nem, "pendingMobileNumber"))) {
            kv_html(h, "<form method=\"post\" action=\"" BASE "nemsms/bekraeft\">");
            csrf_field(pp);
            kv_html(h, "<div class=\"form-group\"><label class=\"form-label\" for=\"nemsms-pin\">%m "
                       "%t</label><input class=\"form-input input-width-xs\" type=\"text\" "
                       "inputmode=\"numeric\" id=\"nemsms-pin\" name=\"pin\" maxlength=\"6\" "
                       "autocomplete=\"one-time-code\" required></div>"
                       "<button class=\"button button-primary\" type=\"submit\">%m</button></form>\n",
                    N_("PIN sent to"),
                    json_string_value(json_object_get(nem, "pendingMobileNumber")),
                    N_("Activate NemSMS"));
        }
        kv_html(h, "<form method=\"post\" action=\"" BASE "nemsms\">");
        csrf_field(pp);
        kv_html(h, "<div class=\"form-group\"><label class=\"form-label\" for=\"nemsms-mobile\">%m"
                   "</label><span class=\"form-hint\" id=\"nemsms-mobile-hint\">%m</span>"
                   "<input class=\"form-input input-width-s\" type=\"tel\" id=\"nemsms-mobile\" "
                   "name=\"mobile\" maxlength=\"8\" pattern=\"[2-9][0-9]{7}\" "
                   "aria-describedby=\"nemsms-mobile-hint\" required></div>"
                   "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
                N_("Mobile number for NemSMS"),
                N_("8 digits, Danish numbers only. By subscribing you accept that all "
                   "authorities using NemSMS can send you messages."),
                N_("Send PIN"));
    }
    json_decref(s);
    json_decref(nem);
    kv_web_page_end(&pp->ctx, status, N_("Notifications"));
}

static int settings_page(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;

    if (kv__post_begin(&pp, req, resp, 0))
        render(&pp, 200, NULL);
    kv__post_end(&pp);
    return 0;
}

/* The shared end of a form: 303 to the page with ?ok=key, or the page again with err. */
static void done(struct kv__post *pp, int rc, const struct kv_err *err, const char *ok)
{
    char loc[64];

    if (rc == 0) {
        snprintf(loc, sizeof(loc), BASE "?ok=%s", ok);
        kv_web_redirect(&pp->ctx, loc);
    } else if (rc == KV_EINVAL || rc == KV_ENOTFOUND || rc == KV_EPERM || rc == KV_ECONFLICT ||
               rc == KV_ETOOBIG) {
        render(pp, rc == KV_ENOTFOUND ? 404 : 400, err->msg);
    } else {
        kv_log(KV_LOG_ERROR, "%s: %s", pp->ctx.req->request_id, err->msg);
        kv_web_error(&pp->ctx, 500);
    }
}

/* Base of links in mails (as the API). */
static void base_url(const struct kv_http_req *req, char *out, size_t n)
{
    const struct kv_conf *conf = req->hub->conf;

    snprintf(out, n, "%s%s", conf->public_url[0] ? "" : "http://",
             conf->public_url[0] ? conf->public_url : conf->listen);
    if (out[0] && out[strlen(out) - 1] == '/')
        out[strlen(out) - 1] = '\0';
}

/* One form handler: begin, access, fields, action. */
enum form_op { F_EMAIL, F_MOBILE, F_PIN, F_REMOVE, F_QUIET, F_OPTOUT, N_SET, N_PIN, N_REMOVE };

static int form(struct kv_http_req *req, struct kv_http_resp *resp, enum form_op op)
{
    struct kv__post pp;
    struct kv_err err = {0, ""};
    struct kv_notify_access a;
    char v1[300], v2[16], base[KV_CONF_STR_MAX + 16];
    const char *cpr;
    int64_t now = kv_clock_now_ms(), id = 0;
    int rc, from, to;

    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM))
        goto out;
    cpr = pp.ctx.principal.cpr;
    rc = access_of(&pp, &a, &err);
    if (rc < 0) {
        done(&pp, rc, &err, "");
        goto out;
    }
    switch (op) {
    case F_EMAIL:
        kv__post_field(&pp, "email", v1, sizeof(v1));
        base_url(req, base, sizeof(base));
        rc = kv_notify_email_add(pp.db, &a, v1, base, now, NULL, NULL, &err);
        done(&pp, rc, &err, "email");
        break;
    case F_MOBILE:
        kv__post_field(&pp, "mobile", v1, sizeof(v1));
        rc = kv_notify_mobile_set(pp.db, &a, v1, now, NULL, &err);
        done(&pp, rc, &err, "mobil");
        break;
    case F_PIN:
        kv__post_field(&pp, "pin", v1, sizeof(v1));
        rc = kv_notify_mobile_confirm(pp.db, &a, v1, now, &err);
        done(&pp, rc, &err, "mobil-ok");
        break;
    case F_REMOVE:
        if (kv_parse_int64(req->params[0], 1, INT64_MAX, &id) < 0) {
            kv_web_error(&pp.ctx, 404);
            break;
        }
        rc = kv_notify_channel_remove(pp.db, &a, id, now, &err);
        done(&pp, rc, &err, "fjernet");
        break;
    case F_QUIET:
        kv__post_field(&pp, "from", v1, sizeof(v1));
        kv__post_field(&pp, "to", v2, sizeof(v2));
        if (!v1[0] && !v2[0]) {
            from = to = -1;
        } else {
            from = kv_notify_parse_hhmm(v1);
            to = kv_notify_parse_hhmm(v2);
            if (from < 0 || to < 0) {
                rc = kv_err_set(&err, KV_EINVAL, "%s",
                                kv_i18n_get(pp.ctx.lang,
                                                N_("Give both times as HH:MM, or leave both "
                                                   "empty.")));
                done(&pp, rc, &err, "");
                break;
            }
        }
        rc = kv_notify_quiet_set(pp.db, &a, from, to, now, &err);
        done(&pp, rc, &err, "stille");
        break;
    case F_OPTOUT:
        kv__post_field(&pp, "optout", v1, sizeof(v1));
        rc = kv_notify_optout_set(pp.db, &a, strcmp(v1, "1") == 0, now, &err);
        done(&pp, rc, &err, "fravalg");
        break;
    case N_SET:
        kv__post_field(&pp, "mobile", v1, sizeof(v1));
        rc = kv_nemsms_subscribe(pp.db, cpr, v1, 0, a.actor, now, NULL, &err);
        done(&pp, rc, &err, "nemsms");
        break;
    case N_PIN:
        kv__post_field(&pp, "pin", v1, sizeof(v1));
        rc = kv_nemsms_confirm(pp.db, cpr, v1, a.actor, now, &err);
        done(&pp, rc, &err, "nemsms-ok");
        break;
    case N_REMOVE:
        rc = kv_nemsms_unsubscribe(pp.db, cpr, a.actor, now, &err);
        done(&pp, rc, &err, "nemsms-fjernet");
        break;
    }
out:
    kv__post_end(&pp);
    return 0;
}

static int add_email(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, F_EMAIL);
}
static int set_mobile(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, F_MOBILE);
}
static int confirm_mobile(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, F_PIN);
}
static int remove_channel(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, F_REMOVE);
}
static int quiet_hours(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, F_QUIET);
}
static int opt_out(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, F_OPTOUT);
}
static int nemsms_set(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, N_SET);
}
static int nemsms_confirm(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, N_PIN);
}
static int nemsms_remove(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return form(req, resp, N_REMOVE);
}

/* ---- the confirmation link (public: the token is the proof) ---- */

static int link_page(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;
    const char *token = kv_http_req_query(req, "token");

    kv_web_ctx_init(&ctx, req, resp);
    if (!token || strlen(token) != KV_NOTIFY_TOKEN_LEN) {
        kv_web_message(&ctx, 404, N_("Confirm e-mail address"),
                       N_("The link is not valid. Copy the whole link from the e-mail."));
    } else {
        kv_html(&ctx.h, "<h1>%m</h1>\n<p>%m</p>\n<form method=\"post\" "
                        "action=\"/notifikationer/bekraeft\"><input type=\"hidden\" name=\"token\" "
                        "value=\"%a\"><button class=\"button button-primary\" type=\"submit\">%m"
                        "</button></form>\n",
                N_("Confirm e-mail address"),
                N_("Confirm that you want notifications of new Digital Post at this address."),
                token, N_("Confirm"));
        kv_web_page_end(&ctx, 200, N_("Confirm e-mail address"));
    }
    kv_web_ctx_release(&ctx);
    return 0;
}

static int link_confirm(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;
    struct kv_err err = {0, ""};
    struct kv_db *db = NULL;
    char token[64], addr[256] = "";
    int rc;

    kv_web_ctx_init(&ctx, req, resp);
    if (kv_web_form_get(req->body, req->body_len, "token", token, sizeof(token)) < 0)
        token[0] = '\0';
    rc = kv_db_acquire(req->hub->store, &db, &err);
    if (rc == 0)
        rc = kv_notify_email_confirm(db, token, kv_clock_now_ms(), addr, &err);
    kv_db_release(db);
    if (rc == 0) {
        kv_html(&ctx.h, "<h1>%m</h1>\n<p>%m <strong>%t</strong></p>\n<p><a href=\"/post/\">%m</a>"
                        "</p>\n",
                N_("E-mail address confirmed"), N_("You will get notifications of new post at"),
                addr, N_("Go to your post"));
        kv_web_page_end(&ctx, 200, N_("E-mail address confirmed"));
    } else if (rc == KV_ENOTFOUND || rc == KV_EPERM) {
        kv_web_message(&ctx, rc == KV_EPERM ? 410 : 404, N_("Confirm e-mail address"),
                       rc == KV_EPERM ? N_("The link has expired. Add the address again to get a "
                                           "new one.")
                                      : N_("The link is not valid or has been used already."));
    } else {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_web_error(&ctx, 500);
    }
    kv_web_ctx_release(&ctx);
    return 0;
}

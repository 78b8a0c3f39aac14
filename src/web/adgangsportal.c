/* SPDX-License-Identifier: MIT
 *
 * adgangsportal.c: the Adgangsportal (docs/adgangsportal.md), where a signed-in citizen (or a
 * person acting for a company or an authority) sees every device that reads their Digital Post and acts on one of them -- from
 * any other device, so that a lost phone can be dealt with:
 *
 *   GET  /adgangsportal/                                  the devices: name, kind, first and
 *                                                         last use, push on/off, "this device"
 *   POST /adgangsportal/enhed/{key}/log-ud                log the device out: its session ends
 *                                                         and its tokens are revoked at once
 *   POST /adgangsportal/enhed/{key}/notifikationer-fra    no more push notices to this device
 *
 * Both forms carry the session's CSRF token (portal_page.h checks it) and answer 303 back to
 * the list with a notice. A key that is not one of the person's own devices is 404, exactly
 * like one that does not exist. The logic and SQL are identity/devices.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "identity/authz.h"
#include "identity/devices.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/log.h"
#include "web/i18n.h"
#include "web/portal_page.h"
#include "web/post.h"

#define BASE "/adgangsportal/"

/* Notices after a successful form, by the key in ?ok=. */
static const struct {
    const char *key, *msgid;
} OK[] = {
    {"logget-ud", N_("The device is logged out. It must sign in again to read your post.")},
    {"notifikationer-fra", N_("The device no longer receives notifications.")},
};

/* Whose devices: the signed-in person (a citizen by CPR; a person acting for an organisation
 * by their own sessions and push devices -- the company's bearer tokens are the company's). */
static void person_of(struct kv_web_portal_page *pg, struct kv_device_person *p, char *holder,
                      size_t n)
{
    const struct kv_principal *pr = &pg->ctx.principal;

    memset(p, 0, sizeof(*p));
    p->session_type = pg->ctx.sess.subject_type;
    p->session_subject = pg->ctx.sess.subject;
    if (pr->kind == KV_PRINCIPAL_CITIZEN) {
        p->token_type = "CPR";
        p->token_id = pr->cpr;
        snprintf(holder, n, "CPR:%s", pr->cpr);
    } else {
        snprintf(holder, n, "PERSON:%lld", (long long)pr->person_id);
    }
    p->push_holder = holder;
    p->actor = pg->actor;
    p->idle_ms = pg->ctx.req->hub->conf->session_idle;
}

static void notice(struct kv_html *h, const char *ok)
{
    size_t i;

    for (i = 0; ok && i < sizeof(OK) / sizeof(OK[0]); i++)
        if (strcmp(ok, OK[i].key) == 0)
            kv_html(h, "<div class=\"alert alert-success\" role=\"status\"><div "
                       "class=\"alert-body\"><p class=\"alert-text\">%m</p></div></div>\n",
                    OK[i].msgid);
}

static void row(struct kv_web_portal_page *pg, const struct kv_device *d)
{
    struct kv_html *h = &pg->ctx.h;
    char first[40], last[40];
    const char *label;

    kv__post_time(d->first_ms, first, sizeof(first));
    kv__post_time(d->last_ms, last, sizeof(last));
    label = d->name[0] ? d->name : kv_i18n_get(pg->ctx.lang, N_("Unknown device"));
    kv_html(h, "<tr id=\"enhed-%a\">\n<td>%t", d->key, label);
    if (d->current)
        kv_html(h, " <strong class=\"this-device\">(%m)</strong>", N_("this device"));
    kv_html(h, "</td>\n<td>%m</td>\n<td>%t</td>\n<td>%t</td>\n<td>%m</td>\n<td>%m</td>\n<td>",
            strcmp(d->kind, "web") == 0 ? N_("Browser") : N_("App"), first, last,
            d->signed_in ? N_("Signed in") : N_("Signed out"), d->push ? N_("Yes") : N_("No"));
    if (d->signed_in)
        kv_html(h,
                "<form method=\"post\" action=\"" BASE "enhed/%q/log-ud\" class=\"inline-form\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                "<button type=\"submit\" class=\"button button-secondary\">%m"
                "<span class=\"sr-only\"> – %t</span></button></form>\n",
                d->key, pg->ctx.sess.csrf, d->current ? N_("Log out this device") : N_("Log out"),
                label);
    if (d->push)
        kv_html(h,
                "<form method=\"post\" action=\"" BASE "enhed/%q/notifikationer-fra\" "
                "class=\"inline-form\"><input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                "<button type=\"submit\" class=\"button button-secondary\">%m"
                "<span class=\"sr-only\"> – %t</span></button></form>\n",
                d->key, pg->ctx.sess.csrf, N_("Turn off notifications"), label);
    kv_html(h, "</td>\n</tr>\n");
}

static int list_page(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page pg;
    struct kv_device_person p;
    struct kv_device *v = NULL;
    struct kv_err err = {0, ""};
    struct kv_html *h;
    char holder[48];
    size_t n = 0, i;

    if (!kv_web_portal_begin(&pg, req, resp, KV_ACCESS_DEVICES, 0))
        goto out;
    h = &pg.ctx.h;
    person_of(&pg, &p, holder, sizeof(holder));
    if (kv_devices_list(pg.db, &p, pg.ctx.sess.id_sha256, kv_clock_now_ms(), &v, &n, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: devices: %s", req->request_id, err.msg);
        kv_web_error(&pg.ctx, 500);
        goto out;
    }
    kv_html(h, "<h1>%m</h1>\n<p class=\"font-lead\">%m</p>\n", N_("Adgangsportal"),
            N_("These are the devices that read your Digital Post. If you have lost one, log "
               "it out here: it must then sign in again. You can also stop notifications to one "
               "device only."));
    notice(h, kv_http_req_query(req, "ok"));
    kv_html(h, "<h2>%m</h2>\n", N_("My devices"));
    if (n == 0) {
        kv_html(h, "<p>%m</p>\n", N_("No devices."));
    } else {
        kv_html(h,
                "<div class=\"table--responsive-scroll\"><table class=\"table table--borderless\" "
                "id=\"devices\">\n<caption class=\"sr-only\">%m</caption>\n<thead><tr>"
                "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
                "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
                "<th scope=\"col\">%m</th></tr></thead>\n<tbody>\n",
                N_("My devices"), N_("Device"), N_("Kind"), N_("First use"), N_("Last use"),
                N_("Status"), N_("Push notifications"), N_("Actions"));
        for (i = 0; i < n; i++)
            row(&pg, &v[i]);
        kv_html(h, "</tbody>\n</table></div>\n");
    }
    kv_web_page_end(&pg.ctx, 200, N_("Adgangsportal"));
out:
    free(v);
    kv_web_portal_end(&pg);
    return 0;
}

enum action { LOGOUT, PUSH_OFF };

static int act(struct kv_http_req *req, struct kv_http_resp *resp, enum action a)
{
    struct kv_web_portal_page pg;
    struct kv_device_person p;
    struct kv_err err = {0, ""};
    char holder[48], current[KV_DEVICE_KEY_MAX];
    const char *key = req->params[0];
    int rc;

    if (!kv_web_portal_begin(&pg, req, resp, KV_ACCESS_DEVICES, KV_WEB_PORTAL_POST))
        goto out;
    person_of(&pg, &p, holder, sizeof(holder));
    if (!key || strlen(key) >= KV_DEVICE_KEY_MAX) {
        kv_web_error(&pg.ctx, 404);
        goto out;
    }
    rc = a == LOGOUT ? kv_device_logout(pg.db, &p, key, kv_clock_now_ms(), NULL, NULL, &err)
                     : kv_device_push_off(pg.db, &p, key, kv_clock_now_ms(), NULL, &err);
    if (rc == KV_ENOTFOUND) {
        kv_web_error(&pg.ctx, 404);
    } else if (rc == KV_EINVAL) {
        kv_web_error(&pg.ctx, 400);
    } else if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: device %s: %s", req->request_id, key, err.msg);
        kv_web_error(&pg.ctx, 500);
    } else {
        snprintf(current, sizeof(current), "s%.32s", pg.ctx.sess.id_sha256);
        /* this device logged itself out: it is signed out now */
        if (a == LOGOUT && strcmp(current, key) == 0)
            kv_web_redirect(&pg.ctx, "/");
        else
            kv_web_redirect(&pg.ctx, a == LOGOUT ? BASE "?ok=logget-ud"
                                                 : BASE "?ok=notifikationer-fra");
    }
out:
    kv_web_portal_end(&pg);
    return 0;
}

static int logout_post(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return act(req, resp, LOGOUT);
}

static int push_off_post(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return act(req, resp, PUSH_OFF);
}

#define PAGE KV_ROUTE_PAGE
const struct kv_http_route kv_web_devices_routes[] = {
    {"GET", BASE, list_page, "web_adgangsportal", PAGE, KV_ACCESS_DEVICES},
    {"POST", BASE "enhed/{key}/log-ud", logout_post, "web_device_logout", PAGE,
     KV_ACCESS_DEVICES},
    {"POST", BASE "enhed/{key}/notifikationer-fra", push_off_post, "web_device_push_off", PAGE,
     KV_ACCESS_DEVICES},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

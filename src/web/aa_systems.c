/* SPDX-License-Identifier: MIT
 *
 * aa_systems.c: Administrativ Adgang's sender and recipient systems (issue 11 item 1; access
 * key "systems" = SYSTEM_MANAGER in the organisation acted for). The list shows each system
 * with its status and delivery health (queue length, last successful delivery, failing since,
 * warnings sent); a system's page shows its fields and offers: renew the API token (after a
 * confirmation page; the new token is shown once and never stored), make it the default
 * recipient system, activate, deactivate. Every change goes through the same hub functions as
 * the CLI and the admin API (directory.h, system_health.h), which log the events.
 * A system of another organisation is "not found" (system_list.h looks up within the org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/system_health.h"
#include "hub/system_list.h"
#include "identity/authz.h"
#include "util/clock.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

#define BASE "/administrativ-adgang/systemer"

static const char *kind_msg(const char *kind)
{
    return strcmp(kind, "sender") == 0 ? N_("Sender system") : N_("Recipient system");
}

static const char *protocol_msg(enum kv_protocol p)
{
    switch (p) {
    case KV_PROTOCOL_PUSH: return N_("REST push");
    case KV_PROTOCOL_PULL: return N_("REST pull");
    default: return N_("–");
    }
}

static const char *status_msg(const char *s)
{
    return strcmp(s, "active") == 0 ? N_("Active") : N_("Deactivated");
}

/* The message of a ?ok= code after a change, or NULL. */
static const char *ok_msg(struct kv_http_req *req)
{
    const char *ok = kv_http_req_query(req, "ok");

    if (!ok)
        return NULL;
    if (strcmp(ok, "default") == 0)
        return N_("The system is now the default recipient system.");
    if (strcmp(ok, "activated") == 0)
        return N_("The system is active.");
    if (strcmp(ok, "deactivated") == 0)
        return N_("The system is deactivated.");
    if (strcmp(ok, "saved") == 0)
        return N_("The system has been saved.");
    return NULL;
}

/* GET /administrativ-adgang/systemer */
int kv__aa_systems(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_system_summary *list = NULL;
    struct kv_system_health hl;
    struct kv_err err = {0, ""};
    struct kv_html *h;
    char t1[32], t2[32];
    size_t n = 0, i;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_SYSTEMS, 0))
        goto out;
    h = &aa.ctx.h;
    list = calloc(KV_SYSTEM_LIST_MAX, sizeof(*list));
    if (!list || kv_system_list_org(aa.db, aa.org, list, KV_SYSTEM_LIST_MAX, &n, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: systems not listed: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv__aa_head(&aa, N_("Sender and recipient systems"), BASE, NULL, NULL);
    kv_html(h, "<p><a class=\"button button-primary\" href=\"" BASE "/ny\">%m</a></p>\n",
            N_("New system"));
    if (n == 0) {
        kv_html(h, "<p>%m</p>\n", N_("Your organisation has no systems yet."));
        kv_web_page_end(&aa.ctx, 200, N_("Sender and recipient systems"));
        goto out;
    }
    kv_html(h,
            "<div class=\"table--responsive-scroll\"><table class=\"table table--compact\">"
            "<caption>%m</caption><thead><tr>"
            "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
            "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
            "<th scope=\"col\">%m</th><th scope=\"col\">%m</th></tr></thead><tbody>\n",
            N_("Your organisation's systems"), N_("Name"), N_("Kind"), N_("Protocol"),
            N_("Status"), N_("Queue"), N_("Last successful delivery"), N_("Failing since"),
            N_("Warnings sent"));
    for (i = 0; i < n; i++) {
        const struct kv_system_summary *s = &list[i];

        kv_html(h, "<tr><th scope=\"row\"><a href=\"" BASE "/%q\">%t</a>", s->id, s->name);
        if (s->is_default)
            kv_html(h, " <span class=\"badge badge-small\">%m</span>", N_("Default"));
        kv_html(h, "</th><td>%m</td><td>%m</td><td>%m</td>", kind_msg(s->kind),
                protocol_msg(s->protocol), status_msg(s->status));
        if (strcmp(s->kind, "recipient") == 0 &&
            kv_system_health_get(aa.db, s->id, &hl, &err) == 0) {
            kv__aa_time(hl.last_success_ms, t1, sizeof(t1));
            kv__aa_time(hl.failing_since_ms, t2, sizeof(t2));
            kv_html(h, "<td>%D</td><td>%t</td><td>%t</td><td>%d</td></tr>\n",
                    hl.queue_length, t1, t2, hl.warnings_sent);
        } else {
            kv_html(h, "<td>–</td><td>–</td><td>–</td><td>–</td></tr>\n");
        }
    }
    kv_html(h, "</tbody></table></div>\n");
    kv_web_page_end(&aa.ctx, 200, N_("Sender and recipient systems"));
out:
    free(list);
    kv_web_portal_end(&aa);
    return 0;
}

/* Begins a page about path parameter 0 (a system of the organisation acted for); 404 when
 * it is none of theirs. */
static int begin_system(struct kv_web_portal_page *aa, struct kv_http_req *req, struct kv_http_resp *resp,
                        unsigned flags, struct kv_system_summary *s)
{
    struct kv_err err = {0, ""};
    int rc;

    if (!kv_web_portal_begin(aa, req, resp, KV_ACCESS_SYSTEMS, flags))
        return 0;
    rc = kv_system_get_in_org(aa->db, aa->org, req->params[0], s, &err);
    if (rc == KV_ENOTFOUND) {
        kv_web_error(&aa->ctx, 404);
        return 0;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: system not read: %s", req->request_id, err.msg);
        kv_web_error(&aa->ctx, 500);
        return 0;
    }
    return 1;
}

static void row_text(struct kv_html *h, const char *label, const char *value)
{
    kv_html(h, "<tr><th scope=\"row\">%m</th><td>%t</td></tr>\n", label,
            value && value[0] ? value : "–");
}

static void row_msg(struct kv_html *h, const char *label, const char *msgid)
{
    kv_html(h, "<tr><th scope=\"row\">%m</th><td>%m</td></tr>\n", label, msgid);
}

/* A one-button form posting to BASE/{id}/action. */
static void action_form(struct kv_web_portal_page *aa, const char *id, const char *action,
                        const char *label, int secondary)
{
    kv_html(&aa->ctx.h, "<form method=\"post\" action=\"" BASE "/%q/%q\" class=\"mb-4\">", id,
            action);
    kv__aa_csrf(aa);
    if (secondary)
        kv_html(&aa->ctx.h, "<button type=\"submit\" class=\"button button-secondary\">%m"
                            "</button></form>\n", label);
    else
        kv_html(&aa->ctx.h, "<button type=\"submit\" class=\"button button-primary\">%m"
                            "</button></form>\n", label);
}

/* GET /administrativ-adgang/systemer/{id} */
int kv__aa_system(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_system_summary s;
    struct kv_system_health hl;
    struct kv_err err = {0, ""};
    struct kv_html *h;
    char t[32];
    int recipient;

    if (!begin_system(&aa, req, resp, 0, &s))
        goto out;
    h = &aa.ctx.h;
    recipient = strcmp(s.kind, "recipient") == 0;
    kv__aa_head(&aa, N_("System"), NULL, ok_msg(req), NULL);
    kv_html(h, "<h2>%t</h2>\n<table class=\"table table--compact\"><caption>%m</caption>"
               "<tbody>\n", s.name, N_("Details"));
    row_text(h, N_("System ID"), s.id);
    row_msg(h, N_("Kind"), kind_msg(s.kind));
    row_msg(h, N_("Status"), status_msg(s.status));
    if (recipient) {
        row_msg(h, N_("Protocol"), protocol_msg(s.protocol));
        row_text(h, N_("Endpoint"), s.push_url);
        row_msg(h, N_("Default recipient system"), s.is_default ? N_("Yes") : N_("No"));
    } else {
        row_text(h, N_("Receipt endpoint"), s.receipt_url);
    }
    row_text(h, N_("Business contact e-mail"), s.contact_email);
    row_text(h, N_("Technical contact"), s.technical_contact);
    row_text(h, N_("Supplier"), s.supplier);
    if (s.allowed_ips[0])
        row_text(h, N_("Allowed IP addresses"), s.allowed_ips);
    else
        row_msg(h, N_("Allowed IP addresses"), N_("Any address"));
    row_text(h, N_("Active from"), s.active_from);
    row_text(h, N_("Active to"), s.active_to);
    kv__aa_time(s.created_ms, t, sizeof(t));
    row_text(h, N_("Created"), t);
    kv_html(h, "</tbody></table>\n");
    if (recipient && kv_system_health_get(aa.db, s.id, &hl, &err) == 0) {
        char q[32];

        snprintf(q, sizeof(q), "%lld", (long long)hl.queue_length);
        kv_html(h, "<h2>%m</h2>\n<table class=\"table table--compact\"><caption>%m</caption>"
                   "<tbody>\n", N_("Health"), N_("Delivery health"));
        row_text(h, N_("Queue"), q);
        kv__aa_time(hl.last_success_ms, t, sizeof(t));
        row_text(h, N_("Last successful delivery"), t);
        kv__aa_time(hl.failing_since_ms, t, sizeof(t));
        row_text(h, N_("Failing since"), t);
        snprintf(q, sizeof(q), "%d", hl.warnings_sent);
        row_text(h, N_("Warnings sent"), q);
        row_text(h, N_("Last error"), hl.last_error);
        kv_html(h, "</tbody></table>\n");
    }
    kv_html(h, "<h2>%m</h2>\n", N_("Actions"));
    kv_html(h, "<p><a class=\"button button-secondary\" href=\"" BASE "/%q/rediger\">%m</a> "
               "<a class=\"button button-secondary\" href=\"" BASE "/%q/nyt-token\">%m</a>"
               "</p>\n", s.id, N_("Edit"), s.id, N_("Renew API token"));
    if (recipient && !s.is_default)
        action_form(&aa, s.id, "standard", N_("Make default recipient system"), 1);
    if (strcmp(s.status, "active") == 0)
        action_form(&aa, s.id, "deaktiver", N_("Deactivate"), 1);
    else
        action_form(&aa, s.id, "aktiver", N_("Activate"), 0);
    kv_html(h, "<p><a href=\"" BASE "\">%m</a></p>\n", N_("Back to the systems"));
    kv_web_page_end(&aa.ctx, 200, N_("System"));
out:
    kv_web_portal_end(&aa);
    return 0;
}

/* GET .../nyt-token: the confirmation step. */
int kv__aa_system_token_ask(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_system_summary s;
    struct kv_html *h;

    if (!begin_system(&aa, req, resp, 0, &s))
        goto out;
    h = &aa.ctx.h;
    kv__aa_head(&aa, N_("Renew API token"), NULL, NULL, NULL);
    kv_html(h,
            "<div class=\"alert alert-warning\" role=\"region\" aria-label=\"%m\">"
            "<div class=\"alert-body\"><p class=\"alert-heading\">%t</p>"
            "<p class=\"alert-text\">%m</p></div></div>\n"
            "<form method=\"post\" action=\"" BASE "/%q/nyt-token\">",
            N_("Warning"), s.name,
            N_("The system's current API token stops working at once. The new token is shown "
               "only once: copy it into the system's configuration straight away."),
            s.id);
    kv__aa_csrf(&aa);
    kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button> "
               "<a class=\"button button-secondary\" href=\"" BASE "/%q\">%m</a></form>\n",
            N_("Yes, renew the API token"), s.id, N_("Cancel"));
    kv_web_page_end(&aa.ctx, 200, N_("Renew API token"));
out:
    kv_web_portal_end(&aa);
    return 0;
}

/* POST .../nyt-token: renews and shows the token once (the page is no-store). */
int kv__aa_system_token(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_system_summary s;
    struct kv_err err = {0, ""};
    struct kv_html *h;
    char *token = NULL;

    if (!begin_system(&aa, req, resp, KV_WEB_PORTAL_POST, &s))
        goto out;
    if (kv_system_rotate_secret(aa.db, s.id, &token, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: token not renewed: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv_log(KV_LOG_INFO, "%s: API token of system %s renewed by %s", req->request_id, s.id,
           aa.actor);
    h = &aa.ctx.h;
    kv__aa_head(&aa, N_("New API token"), NULL, N_("The API token has been renewed."), NULL);
    kv_html(h,
            "<p>%m</p>\n<div class=\"form-group\"><label class=\"form-label\" for=\"token\">%m"
            "</label><input class=\"form-input input-width-xl\" id=\"token\" type=\"text\" "
            "readonly value=\"%a\" autocomplete=\"off\"></div>\n"
            "<p><a href=\"" BASE "/%q\">%m</a></p>\n",
            N_("This is the only time the token is shown. Use it as: Authorization: Basic "
               "<token>."),
            N_("API token"), token, s.id, N_("Back to the system"));
    kv_web_page_end(&aa.ctx, 200, N_("New API token"));
out:
    free(token);
    kv_web_portal_end(&aa);
    return 0;
}

enum act { ACT_DEFAULT, ACT_ACTIVATE, ACT_DEACTIVATE };

static int act(struct kv_http_req *req, struct kv_http_resp *resp, enum act a)
{
    static const char *const OK[] = {"default", "activated", "deactivated"};
    struct kv_web_portal_page aa;
    struct kv_system_summary s;
    struct kv_err err = {0, ""};
    char to[128];
    int rc;

    if (!begin_system(&aa, req, resp, KV_WEB_PORTAL_POST, &s))
        goto out;
    switch (a) {
    case ACT_DEFAULT:
        if (strcmp(s.kind, "recipient") != 0) {
            kv_web_error(&aa.ctx, 400);
            goto out;
        }
        rc = kv_system_set_default(aa.db, s.id, NULL, &err);
        break;
    case ACT_ACTIVATE:
        rc = kv_system_activate(aa.db, s.id, kv_clock_now_ms(), NULL, &err);
        break;
    default:
        rc = kv_system_deactivate(aa.db, s.id, kv_clock_now_ms(), &err);
        break;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: system %s not changed: %s", req->request_id, s.id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv_log(KV_LOG_INFO, "%s: system %s %s by %s", req->request_id, s.id, OK[a], aa.actor);
    snprintf(to, sizeof(to), BASE "/%s?ok=%s", s.id, OK[a]);
    kv_web_redirect(&aa.ctx, to);
out:
    kv_web_portal_end(&aa);
    return 0;
}

int kv__aa_system_default(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return act(req, resp, ACT_DEFAULT);
}

int kv__aa_system_activate(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return act(req, resp, ACT_ACTIVATE);
}

int kv__aa_system_deactivate(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return act(req, resp, ACT_DEACTIVATE);
}

/* SPDX-License-Identifier: MIT
 *
 * aa_recall.c: recall before the value date in Administrativ Adgang (issue 11 item 5; access
 * key "recall" = RECALL_ADMINISTRATOR in the organisation acted for).
 *
 *   GET  /administrativ-adgang/tilbagekald?q=      letters still waiting for their value date,
 *                                                  narrowed to a messageUUID, a recipient's
 *                                                  CPR/CVR or a sending system's id
 *   GET  /administrativ-adgang/tilbagekald/{uuid}  the confirmation step
 *   POST /administrativ-adgang/tilbagekald/{uuid}  recall
 *
 * The recall is the API's path (hub/recall.c) through kv_letter_recall_by_administrator,
 * which adds the event MESSAGE_RECALLED_BY_ADMINISTRATOR and a receipt to the sending system.
 * A letter of another organisation is "not found", as in the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "identity/authz.h"
#include "util/clock.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

#define BASE "/administrativ-adgang/tilbagekald"

/* GET /administrativ-adgang/tilbagekald */
int kv__aa_recall_list(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_waiting_letter *list = NULL;
    struct kv_err err = {0, ""};
    const char *q = kv_http_req_query(req, "q"), *ok = kv_http_req_query(req, "ok");
    struct kv_html *h;
    char t[32];
    size_t n = 0, i;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_RECALL, 0))
        goto out;
    h = &aa.ctx.h;
    if (q && strlen(q) > 64)
        q = NULL;
    list = calloc(KV_WAITING_MAX, sizeof(*list));
    if (!list || kv_letters_waiting(aa.db, aa.org, q, kv_clock_now_ms(), list, KV_WAITING_MAX,
                                    &n, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: waiting letters not listed: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv__aa_head(&aa, N_("Recall before the value date"), BASE,
                ok && strcmp(ok, "recalled") == 0 ? N_("The letter has been recalled.") : NULL,
                NULL);
    kv_html(h,
            "<form method=\"get\" action=\"" BASE "\" class=\"mb-5\"><div class=\"form-group\">"
            "<label class=\"form-label\" for=\"recall-q\">%m</label>"
            "<span class=\"form-hint\" id=\"recall-q-hint\">%m</span>"
            "<input class=\"form-input\" type=\"search\" id=\"recall-q\" name=\"q\" "
            "maxlength=\"64\" aria-describedby=\"recall-q-hint\" value=\"%a\"></div>"
            "<button type=\"submit\" class=\"button button-secondary\">%m</button></form>\n",
            N_("Find a letter"),
            N_("A message UUID, the recipient's CPR or CVR number, or a sending system's ID. "
               "Leave empty to see every waiting letter."),
            q ? q : "", N_("Search"));
    if (n == 0) {
        kv_html(h, "<p>%m</p>\n", N_("No letters of your organisation are waiting for their "
                                     "value date."));
        kv_web_page_end(&aa.ctx, 200, N_("Recall before the value date"));
        goto out;
    }
    kv_html(h,
            "<div class=\"table--responsive-scroll\"><table class=\"table table--compact\">"
            "<caption>%m</caption><thead><tr><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
            "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
            "</tr></thead><tbody>\n",
            N_("Letters waiting for their value date"), N_("Title"), N_("Recipient"),
            N_("Sender system"), N_("Value date"), N_("Message UUID"));
    for (i = 0; i < n; i++) {
        kv__aa_time(list[i].available_ms, t, sizeof(t));
        kv_html(h,
                "<tr><th scope=\"row\"><a href=\"" BASE "/%q\">%t</a></th><td>%t %t</td>"
                "<td>%t</td><td>%t</td><td>%t</td></tr>\n",
                list[i].uuid, list[i].label, list[i].recipient_type, list[i].recipient_id,
                list[i].system_name, t, list[i].uuid);
    }
    kv_html(h, "</tbody></table></div>\n");
    kv_web_page_end(&aa.ctx, 200, N_("Recall before the value date"));
out:
    free(list);
    kv_web_portal_end(&aa);
    return 0;
}

/* The waiting letter uuid of the organisation acted for, or 0 after answering 404. */
static int find(struct kv_web_portal_page *aa, const char *uuid, struct kv_waiting_letter *out)
{
    size_t n = 0;
    struct kv_err err = {0, ""};

    if (!uuid || strlen(uuid) != 36 ||
        kv_letters_waiting(aa->db, aa->org, uuid, kv_clock_now_ms(), out, 1, &n, &err) < 0 ||
        n != 1 || strcasecmp(out->uuid, uuid) != 0) {
        kv_web_error(&aa->ctx, 404);
        return 0;
    }
    return 1;
}

/* GET /administrativ-adgang/tilbagekald/{uuid}: the confirmation step. */
int kv__aa_recall_ask(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_waiting_letter w;
    struct kv_html *h;
    char t[32];

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_RECALL, 0) || !find(&aa, req->params[0], &w))
        goto out;
    h = &aa.ctx.h;
    kv__aa_head(&aa, N_("Recall the letter?"), NULL, NULL, NULL);
    kv__aa_time(w.available_ms, t, sizeof(t));
    kv_html(h,
            "<table class=\"table table--compact\"><caption>%m</caption><tbody>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t %t</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr></tbody></table>\n",
            N_("The letter"), N_("Title"), w.label, N_("Recipient"), w.recipient_type,
            w.recipient_id, N_("Sender system"), w.system_name, N_("Value date"), t,
            N_("Message UUID"), w.uuid);
    kv_html(h,
            "<div class=\"alert alert-warning\" role=\"region\" aria-label=\"%m\">"
            "<div class=\"alert-body\"><p class=\"alert-text\">%m</p></div></div>\n"
            "<form method=\"post\" action=\"" BASE "/%q\">",
            N_("Warning"),
            N_("The recipient will never see the letter. The sender system gets a receipt "
               "saying it was recalled. This cannot be undone."),
            w.uuid);
    kv__aa_csrf(&aa);
    kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button> "
               "<a class=\"button button-secondary\" href=\"" BASE "\">%m</a></form>\n",
            N_("Yes, recall the letter"), N_("Cancel"));
    kv_web_page_end(&aa.ctx, 200, N_("Recall the letter?"));
out:
    kv_web_portal_end(&aa);
    return 0;
}

/* POST /administrativ-adgang/tilbagekald/{uuid} */
int kv__aa_recall(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""};
    int64_t when = 0;
    int already = 0, rc;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_RECALL, KV_WEB_PORTAL_POST))
        goto out;
    rc = kv_letter_recall_by_administrator(aa.db, aa.org, req->params[0], aa.actor, &when,
                                           &already, &err);
    if (rc == KV_ENOTFOUND) {
        kv_web_error(&aa.ctx, 404);
        goto out;
    }
    if (rc == KV_ECONFLICT) {
        kv_web_message(&aa.ctx, 409, N_("The letter cannot be recalled"),
                       N_("Its value date has come and it has been published to the recipient."));
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: recall failed: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv_log(KV_LOG_INFO, "%s: letter %s recalled by %s", req->request_id, req->params[0],
           aa.actor);
    kv_web_redirect(&aa.ctx, BASE "?ok=recalled");
out:
    kv_web_portal_end(&aa);
    return 0;
}

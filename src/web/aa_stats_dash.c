/* SPDX-License-Identifier: MIT
 *
 * aa_stats_dash.c: the two statistics dashboards of Administrativ Adgang (issue 11 item 9;
 * access key "statistics"), as DIGST built them on the Anvendelsesstatistik extract:
 *
 *   GET /administrativ-adgang/statistik/afsendelse?from=&to=   letters the organisation sent:
 *       volume per day, per sender system, per size range, per message type, and how many
 *       letters used each part of MeMo's data markup (%)
 *   GET /administrativ-adgang/statistik/modtagelse?from=&to=   letters it received: volume per
 *       day, per contact point, per recipient system, and each recipient system's failure rate
 *       (failed push attempts / all delivery outcomes)
 *
 * Charts are server-rendered SVG (no script; presentation attributes only, as the CSP allows
 * no inline style), each with an accessible name and followed by the same figures as a table,
 * so a screen reader reads the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/stats.h"
#include "identity/authz.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

#define BASE "/administrativ-adgang/statistik"
#define MAX_BARS 40 /* a chart of categories shows the largest 40 */

struct entry {
    char label[200];
    int64_t v;
};

struct series {
    struct entry *e;
    size_t n, cap;
    unsigned dim;  /* the KV_STATS_G_* bit the labels come from */
    int64_t from;  /* per day: the first day */
    const char *none; /* label of the empty value (a msgid) */
    struct kv_web_portal_page *aa;
};

static struct entry *series_add(struct series *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct entry *e = realloc(s->e, cap * sizeof(*e));
        if (!e)
            return NULL;
        s->e = e;
        s->cap = cap;
    }
    memset(&s->e[s->n], 0, sizeof(s->e[0]));
    return &s->e[s->n++];
}

static int collect(void *arg, const struct kv_stats_row *r)
{
    struct series *s = arg;
    struct entry *e;
    const char *label = "";

    if (s->dim == KV_STATS_G_DAY) {
        if (r->day >= s->from && (size_t)(r->day - s->from) < s->n)
            s->e[r->day - s->from].v += r->count;
        return 0;
    }
    switch (s->dim) {
    case KV_STATS_G_SENDER_SYSTEM:
        label = r->sender_system_name[0] ? r->sender_system_name : r->sender_system;
        break;
    case KV_STATS_G_RECIPIENT_SYSTEM:
        label = r->recipient_system_name[0] ? r->recipient_system_name : r->recipient_system;
        break;
    case KV_STATS_G_SIZE:
        label = r->size_range;
        break;
    case KV_STATS_G_MESSAGE_TYPE:
        label = r->message_type;
        break;
    case KV_STATS_G_CONTACT_POINT:
        label = r->contact_point_name[0] ? r->contact_point_name : r->contact_point;
        break;
    default:
        break;
    }
    if (!label[0])
        label = kv_i18n_get(s->aa->ctx.lang, s->none);
    e = series_add(s);
    if (!e)
        return KV_ENOMEM;
    snprintf(e->label, sizeof(e->label), "%s", label);
    e->v = r->count;
    return 0;
}

static int by_value(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return x->v < y->v ? 1 : x->v > y->v ? -1 : strcmp(x->label, y->label);
}

/* One chart: horizontal bars (categories) or columns (days), then the table. pct: values are
 * tenths of a percent. */
static void chart(struct kv_html *h, int id, const char *title, const char *col,
                  struct series *s, int days, int pct)
{
    int64_t max = 1;
    size_t i, n = s->n;
    char v[32], day[11];

    if (!days && n > MAX_BARS)
        n = MAX_BARS;
    for (i = 0; i < n; i++)
        if (s->e[i].v > max)
            max = s->e[i].v;
    if (pct)
        max = 1000;
    kv_html(h, "<section class=\"mb-7\" aria-labelledby=\"chart-%d-h\"><h3 id=\"chart-%d-h\">%m</h3>\n",
            id, id, title);
    if (n == 0) {
        kv_html(h, "<p>%m</p></section>\n", N_("No letters in this period."));
        return;
    }
    if (days) {
        int w = (int)n * 8;
        kv_html(h,
                "<svg class=\"aa-chart\" role=\"img\" aria-labelledby=\"chart-%d-t\" "
                "viewBox=\"0 0 %d 220\" width=\"100%%\" height=\"220\" "
                "preserveAspectRatio=\"none\"><title id=\"chart-%d-t\">%m</title>"
                "<line x1=\"0\" y1=\"200\" x2=\"%d\" y2=\"200\" stroke=\"#454545\"/>",
                id, w, id, title, w);
        for (i = 0; i < n; i++) {
            int bh = (int)(s->e[i].v * 190 / max);
            kv_html(h, "<rect x=\"%d\" y=\"%d\" width=\"6\" height=\"%d\" fill=\"#0059b3\"/>",
                    (int)i * 8 + 1, 200 - bh, bh);
        }
        kv_html(h, "</svg>\n");
    } else {
        int height = (int)n * 26 + 4;
        kv_html(h,
                "<svg class=\"aa-chart\" role=\"img\" aria-labelledby=\"chart-%d-t\" "
                "viewBox=\"0 0 720 %d\" width=\"100%%\" height=\"%d\">"
                "<title id=\"chart-%d-t\">%m</title>",
                id, height, height, id, title);
        for (i = 0; i < n; i++) {
            int bw = (int)(s->e[i].v * 360 / max), y = (int)i * 26 + 4;
            if (pct)
                snprintf(v, sizeof(v), "%lld.%lld %%", (long long)(s->e[i].v / 10),
                         (long long)(s->e[i].v % 10));
            else
                snprintf(v, sizeof(v), "%lld", (long long)s->e[i].v);
            kv_html(h,
                    "<text x=\"0\" y=\"%d\" font-size=\"14\" fill=\"#1a1a1a\">%t</text>"
                    "<rect x=\"260\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"#0059b3\"/>"
                    "<text x=\"%d\" y=\"%d\" font-size=\"14\" fill=\"#1a1a1a\">%t</text>",
                    y + 14, s->e[i].label, y, bw, 266 + bw, y + 14, v);
        }
        kv_html(h, "</svg>\n");
    }
    kv_html(h,
            "<details><summary>%m</summary><div class=\"table--responsive-scroll\">"
            "<table class=\"table table--compact\"><caption>%m</caption><thead><tr>"
            "<th scope=\"col\">%m</th><th scope=\"col\" class=\"text-align-right\">%m</th>"
            "</tr></thead><tbody>",
            N_("The figures as a table"), title, col, pct ? N_("Share") : N_("Letters"));
    for (i = 0; i < n; i++) {
        const char *label = s->e[i].label;
        if (days) {
            kv_stats_day_format(s->from + (int64_t)i, day);
            label = day;
        }
        if (pct)
            snprintf(v, sizeof(v), "%lld.%lld %%", (long long)(s->e[i].v / 10),
                     (long long)(s->e[i].v % 10));
        else
            snprintf(v, sizeof(v), "%lld", (long long)s->e[i].v);
        kv_html(h, "<tr><th scope=\"row\">%t</th><td class=\"text-align-right\">%t</td></tr>",
                label, v);
    }
    kv_html(h, "</tbody></table></div></details></section>\n");
}

/* Runs the overview of q grouped by dim into s (days: one entry per day of the period). */
static int fill(struct kv_web_portal_page *aa, struct kv_stats_query *q, unsigned dim,
                const char *none, struct series *s, struct kv_err *err)
{
    int64_t d;

    memset(s, 0, sizeof(*s));
    s->dim = dim;
    s->from = q->from_day;
    s->none = none;
    s->aa = aa;
    q->group = dim;
    if (dim == KV_STATS_G_DAY)
        for (d = q->from_day; d <= q->to_day; d++)
            if (!series_add(s))
                return kv_err_set(err, KV_ENOMEM, "out of memory");
    if (kv_stats_overview(aa->db, q, collect, s, err) < 0)
        return -1;
    if (dim != KV_STATS_G_DAY)
        qsort(s->e, s->n, sizeof(s->e[0]), by_value);
    return 0;
}

/* MeMo usage summed over the organisation's sender systems. */
struct memo_sum {
    int64_t v[11];
};

static int memo_add(void *arg, const struct kv_stats_memo_row *r)
{
    struct memo_sum *m = arg;

    m->v[0] += r->total;
    m->v[1] += r->custom_notification;
    m->v[2] += r->custom_additional_notification;
    m->v[3] += r->has_actions;
    m->v[4] += r->has_recipient_label;
    m->v[5] += r->has_recipient_attention;
    m->v[6] += r->has_sender_attention;
    m->v[7] += r->is_replyable;
    m->v[8] += r->has_reply_data;
    m->v[9] += r->has_content_data;
    m->v[10] += r->has_sender_content_responsible;
    return 0;
}

static int delivery_add(void *arg, const struct kv_stats_delivery_row *r)
{
    struct series *s = arg;
    struct entry *e = series_add(s);
    int64_t all = r->delivered + r->failed;

    if (!e)
        return KV_ENOMEM;
    snprintf(e->label, sizeof(e->label), "%s", r->system_name[0] ? r->system_name : r->system_id);
    e->v = all > 0 ? r->failed * 1000 / all : 0;
    return 0;
}

static int dashboard(struct kv_http_req *req, struct kv_http_resp *resp, int sent)
{
    static const char *const MEMO_LABELS[] = {
        N_("Own notification"),        N_("Own additional notification"),
        N_("Actions"),                 N_("Recipient label"),
        N_("Recipient attention data"), N_("Sender attention data"),
        N_("Replyable"),               N_("Reply data"),
        N_("Content data"),            N_("Content responsible"),
    };
    struct kv_web_portal_page aa;
    struct kv_stats_query q = {0};
    struct kv_err err = {0, ""};
    struct series s = {0};
    struct memo_sum m;
    const char *path = sent ? BASE "/afsendelse" : BASE "/modtagelse";
    const char *title = sent ? N_("Dashboard: Afsendelse") : N_("Dashboard: Modtagelse");
    const char *intro = sent ? N_("Letters your organisation sent in the period.")
                             : N_("Letters your organisation received in the period.");
    struct kv__aa_period per;
    struct kv_html *h;
    size_t i;
    int id = 0;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_STATISTICS, 0))
        goto out;
    h = &aa.ctx.h;
    if (kv__aa_stats_period(req, &per) < 0) {
        kv__aa_stats_refused(&aa, path, title, intro, &per, NULL);
        goto out;
    }
    q.from_day = per.from;
    q.to_day = per.to;
    q.org = aa.org;
    q.dir = sent ? KV_STATS_SENT : KV_STATS_RECEIVED;
    kv__aa_head(&aa, N_("Usage statistics"), BASE, NULL, NULL);
    kv__aa_stats_nav(&aa, path, q.from_day, q.to_day);
    kv_html(h, "<h2>%m</h2>\n<p>%m</p>\n", title, intro);
    kv__aa_stats_form(&aa, path, &per, NULL);

    if (fill(&aa, &q, KV_STATS_G_DAY, NULL, &s, &err) < 0)
        goto fail;
    chart(h, ++id, N_("Letters per day"), N_("Day"), &s, 1, 0);
    free(s.e);
    s.e = NULL;
    if (sent) {
        static const struct {
            unsigned dim;
            const char *title, *col;
        } C[] = {
            {KV_STATS_G_SENDER_SYSTEM, N_("Letters per sender system"), N_("Sender system")},
            {KV_STATS_G_SIZE, N_("Letters per size range"), N_("Size range")},
            {KV_STATS_G_MESSAGE_TYPE, N_("Letters per message type"), N_("Message type")},
        };
        for (i = 0; i < sizeof(C) / sizeof(C[0]); i++) {
            if (fill(&aa, &q, C[i].dim, N_("(none)"), &s, &err) < 0)
                goto fail;
            chart(h, ++id, C[i].title, C[i].col, &s, 0, 0);
            free(s.e);
            s.e = NULL;
        }
        memset(&m, 0, sizeof(m));
        if (kv_stats_memo_usage(aa.db, &q, memo_add, &m, &err) < 0)
            goto fail;
        memset(&s, 0, sizeof(s));
        if (m.v[0] > 0) {
            for (i = 0; i < sizeof(MEMO_LABELS) / sizeof(MEMO_LABELS[0]); i++) {
                struct entry *e = series_add(&s);
                if (!e)
                    goto fail;
                snprintf(e->label, sizeof(e->label), "%s",
                         kv_i18n_get(aa.ctx.lang, MEMO_LABELS[i]));
                e->v = m.v[i + 1] * 1000 / m.v[0];
            }
        }
        chart(h, ++id, N_("Letters using MeMo's data markup"), N_("Part of MeMo"), &s, 0, 1);
    } else {
        if (fill(&aa, &q, KV_STATS_G_CONTACT_POINT, N_("No contact point named"), &s, &err) < 0)
            goto fail;
        chart(h, ++id, N_("Letters per contact point"), N_("Contact point"), &s, 0, 0);
        free(s.e);
        s.e = NULL;
        if (fill(&aa, &q, KV_STATS_G_RECIPIENT_SYSTEM, N_("Digital Post mailbox"), &s, &err) < 0)
            goto fail;
        chart(h, ++id, N_("Letters per recipient system"), N_("Recipient system"), &s, 0, 0);
        free(s.e);
        memset(&s, 0, sizeof(s));
        if (kv_stats_deliveries(aa.db, &q, delivery_add, &s, &err) < 0)
            goto fail;
        chart(h, ++id, N_("Failure rate per recipient system"), N_("Recipient system"), &s, 0,
              1);
    }
    kv_web_page_end(&aa.ctx, 200, title);
    goto out;
fail:
    kv_log(KV_LOG_ERROR, "%s: statistics: %s", req->request_id, err.msg);
    kv_web_error(&aa.ctx, 500);
out:
    free(s.e);
    kv_web_portal_end(&aa);
    return 0;
}

/* GET /administrativ-adgang/statistik/afsendelse */
int kv__aa_stats_sent(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return dashboard(req, resp, 1);
}

/* GET /administrativ-adgang/statistik/modtagelse */
int kv__aa_stats_received(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return dashboard(req, resp, 0);
}

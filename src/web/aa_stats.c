/* SPDX-License-Identifier: MIT
 *
 * aa_stats.c: usage statistics (Anvendelsesstatistik) in Administrativ Adgang (issue 11 item
 * 9; access key "statistics" = STATISTICS_ADMINISTRATOR in the organisation acted for): the
 * two views of NgDP's statistics API as tables and as CSV downloads.
 *
 *   GET /administrativ-adgang/statistik?from=&to=&grouping=1&<column>=GROUP_PARAM...
 *                                              the overview per day; each dimension (named by
 *                                              its CSV column) grouped or collapsed
 *   GET /administrativ-adgang/statistik/oversigt.csv?from=YYYY-MM-DD&to=YYYY-MM-DD
 *   GET /administrativ-adgang/statistik/memo-brug      MeMo usage per sender system
 *   GET /administrativ-adgang/statistik/memo-brug.csv?from=YYYY-MM-DD&to=YYYY-MM-DD
 *
 * The CSV files have exactly the API's column names, ';'-separated, UTF-8 with a BOM and CRLF
 * line ends (Danish Excel opens them); text that Excel would read as a formula gets a leading
 * apostrophe. The period defaults to the last 30 days. A bad period (a malformed date, the last
 * day before the first, more than 1100 days) is a 400: a CSV download answers it as text; a
 * page shows its form again with what was written, each message next to its field (DKFDS
 * form-error, aria-invalid, aria-describedby; web.h kv_web_field_open) and an error summary
 * above the form that links to the fields, and no figures.
 * Figures come from the aggregate rows of hub/stats.h, never from the letters. The dashboards
 * are in aa_stats_dash.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/stats.h"
#include "identity/authz.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

#define BASE "/administrativ-adgang/statistik"
#define CSV_MAX ((size_t)64 << 20)
#define PAGE_ROWS 1000

/* The overview's dimensions: CSV column (also the form field), group bit, label. */
static const struct {
    const char *col;
    unsigned bit;
    const char *label;
} DIMS[] = {
    {"sender", KV_STATS_G_SENDER, N_("Sender")},
    {"recipient", KV_STATS_G_RECIPIENT, N_("Recipient")},
    {"senderSystemId", KV_STATS_G_SENDER_SYSTEM, N_("Sender system")},
    {"recipientSystemId", KV_STATS_G_RECIPIENT_SYSTEM, N_("Recipient system")},
    {"senderType", KV_STATS_G_SENDER_TYPE, N_("Sender type")},
    {"recipientType", KV_STATS_G_RECIPIENT_TYPE, N_("Recipient type")},
    {"sizeRange", KV_STATS_G_SIZE, N_("Size range")},
    {"typeOfMessage", KV_STATS_G_MESSAGE_TYPE, N_("Message type")},
    {"recipientContactPoint", KV_STATS_G_CONTACT_POINT, N_("Contact point")},
};
#define N_DIMS (sizeof(DIMS) / sizeof(DIMS[0]))

/* The messages of a refused period (on the field at fault: a malformed date on its own
 * field, a reversed or too long period on the last day). */
static const char BAD_DATE[] = N_("Give the date as YYYY-MM-DD.");
static const char BAD_ORDER[] = N_("The last day must not be before the first.");
static const char BAD_LENGTH[] = N_("The period may span at most 1100 days.");

int kv__aa_stats_period(struct kv_http_req *req, struct kv__aa_period *p)
{
    const char *f = kv_http_req_query(req, "from"), *t = kv_http_req_query(req, "to");
    int64_t today = kv_stats_day(kv_clock_now_ms());

    memset(p, 0, sizeof(*p));
    p->in_from = f ? f : "";
    p->in_to = t ? t : "";
    p->to = today;
    if (p->in_to[0] && kv_stats_day_parse(p->in_to, &p->to) < 0)
        p->err_to = BAD_DATE;
    p->from = p->to - 29;
    if (p->in_from[0] && kv_stats_day_parse(p->in_from, &p->from) < 0)
        p->err_from = BAD_DATE;
    if (!p->err_from && !p->err_to) {
        if (p->to < p->from)
            p->err_to = BAD_ORDER;
        else if (p->to - p->from + 1 > KV_STATS_MAX_DAYS)
            p->err_to = BAD_LENGTH;
    }
    if (!p->err_from && !p->err_to)
        return 0;
    p->to = today;
    p->from = today - 29;
    return -1;
}

/* Which dimensions a request groups by: all, unless the form said otherwise (grouping=1 and
 * a <column>=GROUP_PARAM per grouped dimension). */
static unsigned grouping(struct kv_http_req *req)
{
    unsigned g = KV_STATS_G_DAY;
    const char *v;
    size_t i;

    if (!kv_http_req_query(req, "grouping"))
        return KV_STATS_G_ALL;
    for (i = 0; i < N_DIMS; i++)
        if ((v = kv_http_req_query(req, DIMS[i].col)) && strcmp(v, "GROUP_PARAM") == 0)
            g |= DIMS[i].bit;
    return g;
}

/* ---- CSV ---- */

static void csv_text(struct kv_buf *b, const char *s, int first)
{
    const char *p;
    int quote = 0;

    if (!first)
        kv_buf_puts(b, ";");
    if (!s)
        return;
    for (p = s; *p; p++)
        if (*p == ';' || *p == '"' || *p == '\r' || *p == '\n')
            quote = 1;
    if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t')
        quote = 2;
    if (quote)
        kv_buf_puts(b, quote == 2 ? "\"'" : "\"");
    for (p = s; *p; p++) {
        if (*p == '"')
            kv_buf_puts(b, "\"\"");
        else
            kv_buf_append(b, p, 1);
    }
    if (quote)
        kv_buf_puts(b, "\"");
}

static void csv_int(struct kv_buf *b, int64_t v)
{
    kv_buf_printf(b, ";%lld", (long long)v);
}

/* Sends b as file name (attachment). */
static void csv_send(struct kv_web_portal_page *aa, struct kv_buf *b, const char *name)
{
    char disp[160];

    snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
    kv_web_security_headers(aa->ctx.resp);
    kv_http_resp_header(aa->ctx.resp, "Content-Disposition", disp);
    kv_http_resp_bytes(aa->ctx.resp, 200, "text/csv; charset=utf-8", b->buf, b->len);
}

static void csv_bad_period(struct kv_web_portal_page *aa)
{
    static const char msg[] =
        "Bad period: give from and to as dates YYYY-MM-DD (from no later than to, at most "
        "1100 days), e.g. ?from=2026-01-01&to=2026-01-31\n";

    kv_web_security_headers(aa->ctx.resp);
    kv_http_resp_bytes(aa->ctx.resp, 400, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
}

static int csv_overview_row(void *arg, const struct kv_stats_row *r)
{
    struct kv_buf *b = arg;
    char day[11] = "";

    if (r->day >= 0)
        kv_stats_day_format(r->day, day);
    csv_text(b, day, 1);
    csv_int(b, r->count);
    csv_text(b, r->sender, 0);
    csv_text(b, r->recipient, 0);
    csv_text(b, r->sender_system, 0);
    csv_text(b, r->recipient_system, 0);
    csv_text(b, r->sender_type, 0);
    csv_text(b, r->recipient_type, 0);
    csv_text(b, r->size_range, 0);
    csv_text(b, r->message_type, 0);
    csv_text(b, r->contact_point, 0);
    csv_text(b, r->contact_point_name, 0);
    kv_buf_puts(b, "\r\n");
    return 0;
}

/* The start every view of the statistics shares: the portal page (statistics access), the
 * period of the query (?from, ?to) into p and q with the organisation. A CSV view answers a
 * bad period itself (as text) and returns 0; a page gets 1 with the refusals in p (the
 * caller answers kv__aa_stats_refused). 0 when the view does not go on. */
static int view_begin(struct kv_web_portal_page *aa, struct kv_http_req *req,
                      struct kv_http_resp *resp, struct kv_stats_query *q,
                      struct kv__aa_period *p, int csv)
{
    if (!kv_web_portal_begin(aa, req, resp, KV_ACCESS_STATISTICS, 0))
        return 0;
    if (kv__aa_stats_period(req, p) < 0 && csv) {
        csv_bad_period(aa);
        return 0;
    }
    q->from_day = p->from;
    q->to_day = p->to;
    q->org = aa->org;
    return 1;
}

/* A statistics query that failed: logged, the error page. */
static void failed(struct kv_web_portal_page *aa, const struct kv_err *err)
{
    kv_log(KV_LOG_ERROR, "%s: statistics: %s", aa->ctx.req->request_id, err->msg);
    kv_web_error(&aa->ctx, 500);
}

/* GET /administrativ-adgang/statistik/oversigt.csv */
int kv__aa_stats_overview_csv(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_stats_query q = {0};
    struct kv__aa_period per;
    struct kv_err err = {0, ""};
    struct kv_buf b;
    char name[64], f[11], t[11];

    kv_buf_init(&b, CSV_MAX);
    if (!view_begin(&aa, req, resp, &q, &per, 1))
        goto out;
    q.dir = KV_STATS_BOTH;
    q.group = grouping(req);
    kv_buf_puts(&b, "\xEF\xBB\xBF"
                    "day;count;sender;recipient;senderSystemId;recipientSystemId;senderType;"
                    "recipientType;sizeRange;typeOfMessage;recipientContactPointId;"
                    "recipientContactPointName\r\n");
    if (kv_stats_overview(aa.db, &q, csv_overview_row, &b, &err) < 0) {
        failed(&aa, &err);
        goto out;
    }
    kv_stats_day_format(q.from_day, f);
    kv_stats_day_format(q.to_day, t);
    snprintf(name, sizeof(name), "oversigt-%s-%s.csv", f, t);
    csv_send(&aa, &b, name);
out:
    kv_buf_release(&b);
    kv_web_portal_end(&aa);
    return 0;
}

struct memo_csv {
    struct kv_buf *b;
    char from[11], to[11];
};

static int csv_memo_row(void *arg, const struct kv_stats_memo_row *r)
{
    struct memo_csv *m = arg;
    struct kv_buf *b = m->b;

    csv_text(b, m->from, 1);
    csv_text(b, m->to, 0);
    csv_text(b, r->sender, 0);
    csv_text(b, r->sender_name, 0);
    csv_text(b, r->sender_system, 0);
    csv_text(b, r->sender_system_name, 0);
    csv_text(b, r->recipient_type, 0);
    csv_int(b, r->total); /* messageFormatMEMO: every letter kuvert takes is MeMo */
    csv_int(b, 0);        /* messageFormatDP */
    csv_int(b, r->total);
    csv_int(b, r->custom_notification);
    csv_int(b, r->custom_additional_notification);
    csv_int(b, r->standard_notification);
    csv_int(b, r->has_actions);
    csv_int(b, r->has_recipient_label);
    csv_int(b, r->has_recipient_attention);
    csv_int(b, r->has_sender_attention);
    csv_int(b, r->is_replyable);
    csv_int(b, r->has_reply_data);
    csv_int(b, r->has_content_data);
    csv_int(b, r->has_sender_content_responsible);
    kv_buf_puts(b, "\r\n");
    return 0;
}

/* GET /administrativ-adgang/statistik/memo-brug.csv */
int kv__aa_stats_memo_csv(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_stats_query q = {0};
    struct kv__aa_period per;
    struct kv_err err = {0, ""};
    struct kv_buf b;
    struct memo_csv m;
    char name[64];

    kv_buf_init(&b, CSV_MAX);
    if (!view_begin(&aa, req, resp, &q, &per, 1))
        goto out;
    m.b = &b;
    kv_stats_day_format(q.from_day, m.from);
    kv_stats_day_format(q.to_day, m.to);
    kv_buf_puts(&b, "\xEF\xBB\xBF"
                    "startDate;endDate;senderIdentifier;senderName;senderSystemId;"
                    "senderSystemName;recipientType;messageFormatMEMO;messageFormatDP;"
                    "totalMessages;customNotificationUsed;customAdditionalNotificationUsed;"
                    "standardNotificationUsed;hasActions;hasRecipientLabel;"
                    "hasRecipientAttentionData;hasSenderAttentionData;isReplyable;hasReplyData;"
                    "hasContentData;hasSenderContentResponsible\r\n");
    if (kv_stats_memo_usage(aa.db, &q, csv_memo_row, &m, &err) < 0) {
        failed(&aa, &err);
        goto out;
    }
    snprintf(name, sizeof(name), "memo-brug-%s-%s.csv", m.from, m.to);
    csv_send(&aa, &b, name);
out:
    kv_buf_release(&b);
    kv_web_portal_end(&aa);
    return 0;
}

/* ---- pages ---- */

/* A date field of the period form: what was written, else the period's day. A value
 * refused as not a date is shown in a text input, since a date input would drop it. */
static void date_field(struct kv_html *h, const char *id, const char *name, const char *label,
                       const char *written, int64_t day, const char *error)
{
    char d[11];

    kv_stats_day_format(day, d);
    kv_web_field_open(h, id, label, NULL, error);
    kv_html(h, "<input class=\"form-input input-width-s\" type=\"%a\" id=\"%a\" name=\"%a\" "
               "value=\"%a\" maxlength=\"32\" required",
            error == BAD_DATE ? "text" : "date", id, name,
            written[0] ? written : d);
    kv_web_control_end(h, id, 0, error);
    kv_html(h, "</div>");
}

void kv__aa_stats_form(struct kv_web_portal_page *aa, const char *path,
                       const struct kv__aa_period *p, const unsigned *group)
{
    struct kv_html *h = &aa->ctx.h;
    size_t i;

    kv_html(h, "<form method=\"get\" action=\"%u\" class=\"mb-5\" novalidate>", path);
    date_field(h, "st-from", "from", N_("From (inclusive)"), p->in_from, p->from, p->err_from);
    date_field(h, "st-to", "to", N_("To (inclusive)"), p->in_to, p->to, p->err_to);
    if (group) {
        kv_html(h, "<input type=\"hidden\" name=\"grouping\" value=\"1\">"
                   "<fieldset class=\"form-group\"><legend class=\"form-label\">%m</legend>"
                   "<p class=\"form-hint\">%m</p><ul class=\"nobullet-list\">",
                N_("Group by"),
                N_("A dimension you do not group by is collapsed into the count."));
        for (i = 0; i < N_DIMS; i++) {
            if (*group & DIMS[i].bit)
                kv_html(h,
                        "<li><input id=\"g-%a\" type=\"checkbox\" class=\"form-checkbox\" "
                        "name=\"%a\" value=\"GROUP_PARAM\" checked><label for=\"g-%a\">%m</label>"
                        "</li>",
                        DIMS[i].col, DIMS[i].col, DIMS[i].col, DIMS[i].label);
            else
                kv_html(h,
                        "<li><input id=\"g-%a\" type=\"checkbox\" class=\"form-checkbox\" "
                        "name=\"%a\" value=\"GROUP_PARAM\"><label for=\"g-%a\">%m</label></li>",
                        DIMS[i].col, DIMS[i].col, DIMS[i].col, DIMS[i].label);
        }
        kv_html(h, "</ul></fieldset>");
    }
    kv_html(h, "<button type=\"submit\" class=\"button button-secondary\">%m</button></form>\n",
            N_("Show"));
}

/* The statistics sub-navigation (overview, MeMo usage, the two dashboards). */
void kv__aa_stats_nav(struct kv_web_portal_page *aa, const char *current, int64_t from,
                      int64_t to)
{
    static const struct {
        const char *path, *title;
    } PAGES[] = {
        {BASE, N_("Overview per day")},
        {BASE "/memo-brug", N_("MeMo usage")},
        {BASE "/afsendelse", N_("Dashboard: Afsendelse")},
        {BASE "/modtagelse", N_("Dashboard: Modtagelse")},
    };
    struct kv_html *h = &aa->ctx.h;
    char f[11], t[11];
    size_t i;

    kv_stats_day_format(from, f);
    kv_stats_day_format(to, t);
    kv_html(h, "<nav aria-label=\"%m\" class=\"mb-5\"><ul class=\"nobullet-list\">",
            N_("Usage statistics"));
    for (i = 0; i < sizeof(PAGES) / sizeof(PAGES[0]); i++) {
        if (strcmp(current, PAGES[i].path) == 0)
            kv_html(h, "<li><strong aria-current=\"page\">%m</strong></li>", PAGES[i].title);
        else
            kv_html(h, "<li><a href=\"%u?from=%q&amp;to=%q\">%m</a></li>", PAGES[i].path, f, t,
                    PAGES[i].title);
    }
    kv_html(h, "</ul></nav>\n");
}

struct table {
    struct kv_html *h;
    unsigned group;
    int rows;
};

/* The head of a statistics page: the portal head, the views' navigation (path the current
 * one), heading and intro (msgids). */
static void page_head(struct kv_web_portal_page *aa, const char *path, int64_t from, int64_t to,
                      const char *heading, const char *intro)
{
    kv__aa_head(aa, N_("Usage statistics"), BASE, NULL, NULL);
    kv__aa_stats_nav(aa, path, from, to);
    kv_html(&aa->ctx.h, "<h2>%m</h2>\n<p>%m</p>\n", heading, intro);
}

void kv__aa_stats_refused(struct kv_web_portal_page *aa, const char *path, const char *heading,
                          const char *intro, const struct kv__aa_period *p,
                          const unsigned *group)
{
    static const char *const IDS[] = {"st-from", "st-to"};
    const char *msgs[] = {p->err_from, p->err_to};

    page_head(aa, path, p->from, p->to, heading, intro);
    kv_web_error_summary(&aa->ctx.h, "st-errors", IDS, msgs, 2);
    kv__aa_stats_form(aa, path, p, group);
    kv_web_page_end(&aa->ctx, 400, N_("Usage statistics"));
}

/* The head of a statistics page with an accepted period: page_head, the period form (with
 * the grouping boxes when group is non-NULL) and the link to the view's CSV for the same
 * period. */
static void view_head(struct kv_web_portal_page *aa, const struct kv__aa_period *p,
                      const char *path, const char *heading, const char *intro,
                      unsigned *group, const char *csv, const char *csv_label)
{
    char f[11], to[11];

    kv_stats_day_format(p->from, f);
    kv_stats_day_format(p->to, to);
    page_head(aa, path, p->from, p->to, heading, intro);
    kv__aa_stats_form(aa, path, p, group);
    kv_html(&aa->ctx.h, "<p><a href=\"%a?from=%q&amp;to=%q\" download>%m</a></p>\n", csv, f, to,
            csv_label);
}

/* Opens a statistics table in its scrolling region, up to the header row's first cell. */
static void table_open(struct kv_html *h, const char *caption)
{
    kv_html(h,
            "<div class=\"table--responsive-scroll\" tabindex=\"0\" role=\"region\" "
            "aria-label=\"%m\"><table class=\"table table--compact\">"
            "<caption>%m</caption><thead><tr>",
            caption, caption);
}

/* Closes it; a sentence instead of rows when there were none. */
static void table_end(struct kv_html *h, const struct table *t)
{
    kv_html(h, "</tbody></table></div>\n");
    if (t->rows == 0)
        kv_html(h, "<p>%m</p>\n", N_("No letters in this period."));
}

static int page_overview_row(void *arg, const struct kv_stats_row *r)
{
    struct table *t = arg;
    char day[11];
    const char *cell[N_DIMS];
    size_t i;

    if (t->rows++ >= PAGE_ROWS)
        return 1;
    kv_stats_day_format(r->day, day);
    cell[0] = r->sender;
    cell[1] = r->recipient;
    cell[2] = r->sender_system_name[0] ? r->sender_system_name : r->sender_system;
    cell[3] = r->recipient_system_name[0] ? r->recipient_system_name : r->recipient_system;
    cell[4] = r->sender_type;
    cell[5] = r->recipient_type;
    cell[6] = r->size_range;
    cell[7] = r->message_type;
    cell[8] = r->contact_point_name[0] ? r->contact_point_name : r->contact_point;
    kv_html(t->h, "<tr><th scope=\"row\">%t</th>", day);
    for (i = 0; i < N_DIMS; i++)
        if (t->group & DIMS[i].bit)
            kv_html(t->h, "<td>%t</td>", cell[i][0] ? cell[i] : "–");
    kv_html(t->h, "<td class=\"text-align-right\">%D</td></tr>\n", r->count);
    return 0;
}

static const char OVERVIEW_INTRO[] =
    N_("Letters your organisation sent or received, per day and per combination of the "
       "dimensions you group by.");
static const char MEMO_INTRO[] =
    N_("How many of the letters your sender systems sent used each part of MeMo's data markup.");

/* GET /administrativ-adgang/statistik */
int kv__aa_stats(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_stats_query q = {0};
    struct kv__aa_period per;
    struct kv_err err = {0, ""};
    struct table t;
    struct kv_html *h;
    size_t i;
    int rc;

    if (!view_begin(&aa, req, resp, &q, &per, 0))
        goto out;
    h = &aa.ctx.h;
    q.dir = KV_STATS_BOTH;
    q.group = grouping(req) | KV_STATS_G_DAY;
    if (per.err_from || per.err_to) {
        kv__aa_stats_refused(&aa, BASE, N_("Overview per day"), OVERVIEW_INTRO, &per, &q.group);
        goto out;
    }
    view_head(&aa, &per, BASE, N_("Overview per day"), OVERVIEW_INTRO, &q.group,
              BASE "/oversigt.csv",
              N_("Download the overview as CSV (every dimension grouped)"));
    table_open(h, N_("Letters per day"));
    kv_html(h, "<th scope=\"col\">%m</th>", N_("Day"));
    for (i = 0; i < N_DIMS; i++)
        if (q.group & DIMS[i].bit)
            kv_html(h, "<th scope=\"col\">%m</th>", DIMS[i].label);
    kv_html(h, "<th scope=\"col\" class=\"text-align-right\">%m</th></tr></thead><tbody>\n",
            N_("Letters"));
    t.h = h;
    t.group = q.group;
    t.rows = 0;
    rc = kv_stats_overview(aa.db, &q, page_overview_row, &t, &err);
    if (rc < 0) {
        failed(&aa, &err);
        goto out;
    }
    table_end(h, &t);
    if (rc > 0)
        kv_html(h, "<p>%m</p>\n",
                N_("Only the first 1000 rows are shown. Download the CSV for all of them."));
    kv_web_page_end(&aa.ctx, 200, N_("Usage statistics"));
out:
    kv_web_portal_end(&aa);
    return 0;
}

static int page_memo_row(void *arg, const struct kv_stats_memo_row *r)
{
    struct table *t = arg;
    int64_t v[] = {r->total,
                   r->custom_notification,
                   r->custom_additional_notification,
                   r->standard_notification,
                   r->has_actions,
                   r->has_recipient_label,
                   r->has_recipient_attention,
                   r->has_sender_attention,
                   r->is_replyable,
                   r->has_reply_data,
                   r->has_content_data,
                   r->has_sender_content_responsible};
    size_t i;

    t->rows++;
    kv_html(t->h, "<tr><th scope=\"row\">%t</th><td>%t</td>",
            r->sender_system_name[0] ? r->sender_system_name : "–", r->recipient_type);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        kv_html(t->h, "<td class=\"text-align-right\">%D</td>", v[i]);
    kv_html(t->h, "</tr>\n");
    return 0;
}

/* GET /administrativ-adgang/statistik/memo-brug */
int kv__aa_stats_memo(struct kv_http_req *req, struct kv_http_resp *resp)
{
    static const char *const COLS[] = {
        N_("Letters"),          N_("Own notification"),  N_("Own additional notification"),
        N_("Standard notification"), N_("Actions"),      N_("Recipient label"),
        N_("Recipient attention data"), N_("Sender attention data"), N_("Replyable"),
        N_("Reply data"),       N_("Content data"),      N_("Content responsible"),
    };
    struct kv_web_portal_page aa;
    struct kv_stats_query q = {0};
    struct kv__aa_period per;
    struct kv_err err = {0, ""};
    struct table t;
    struct kv_html *h;
    size_t i;

    if (!view_begin(&aa, req, resp, &q, &per, 0))
        goto out;
    h = &aa.ctx.h;
    if (per.err_from || per.err_to) {
        kv__aa_stats_refused(&aa, BASE "/memo-brug", N_("MeMo usage"), MEMO_INTRO, &per, NULL);
        goto out;
    }
    view_head(&aa, &per, BASE "/memo-brug", N_("MeMo usage"), MEMO_INTRO, NULL,
              BASE "/memo-brug.csv", N_("Download MeMo usage as CSV"));
    table_open(h, N_("MeMo usage per sender system"));
    kv_html(h, "<th scope=\"col\">%m</th><th scope=\"col\">%m</th>", N_("Sender system"),
            N_("Recipient type"));
    for (i = 0; i < sizeof(COLS) / sizeof(COLS[0]); i++)
        kv_html(h, "<th scope=\"col\" class=\"text-align-right\">%m</th>", COLS[i]);
    kv_html(h, "</tr></thead><tbody>\n");
    t.h = h;
    t.rows = 0;
    t.group = 0;
    if (kv_stats_memo_usage(aa.db, &q, page_memo_row, &t, &err) < 0) {
        failed(&aa, &err);
        goto out;
    }
    table_end(h, &t);
    kv_web_page_end(&aa.ctx, 200, N_("Usage statistics"));
out:
    kv_web_portal_end(&aa);
    return 0;
}

/* SPDX-License-Identifier: MIT
 *
 * aa_events.c: the event log (hændelseslog) in Administrativ Adgang (issue 11 item 3; access
 * key "eventlog" = MESSAGE_LOG_ADMINISTRATOR in the organisation acted for).
 *
 *   GET /administrativ-adgang/haendelseslog?from=&to=&party=&system=&tag=&q=&page=
 *                         search the organisation's events: period (Copenhagen dates, both
 *                         inclusive, at most 366 days), CPR/CVR, one of its systems, an event
 *                         tag, a message UUID; 50 a page, newest first
 *   GET /administrativ-adgang/haendelseslog/brev/{uuid}         every event of one letter
 *   GET /administrativ-adgang/haendelseslog/brev/{uuid}/csv     ... as CSV (BOM, ';')
 *   GET /administrativ-adgang/haendelseslog/brev/{uuid}/bevis   ... as a printable evidence
 *                         page that says whether the hash chain over them verifies
 *
 * Only the organisation's events are found (hub/event_org.c). Every search, and every look at
 * one letter's events, is itself logged before it runs, with the employee as actor:
 * EVENT_LOG_SEARCHES (the filters, never the CPR number itself), and CPR_LOOKED_UP with the
 * person as subject when a CPR number was searched. A search that cannot be logged does not
 * run. Bad input answers 400 and nothing is searched or logged: each refused field is marked
 * with its message next to it (DKFDS form-error, aria-invalid, aria-describedby), an error
 * summary above the form links to the fields, and what was written stays in the form.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/http.h"
#include "hub/events.h"
#include "hub/system_list.h"
#include "identity/authz.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

#define BASE "/administrativ-adgang/haendelseslog"
#define PAGE_SIZE 50
#define MAX_DAYS 366
#define DAY_MS 86400000LL

/* The tags offered in the search (stored tags; the letter's life, recall, the log itself). */
static const char *const TAGS[] = {
    "MEMO_SEND_RECEIVED", "MEMO_SEND_VALIDATED", "MEMO_SEND_VALIDATION_FAILED",
    "MEMO_SEND_NOT_ALLOWED", "DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY",
    "DELAYED_MEMO_SEND_SENT", "MEMO_AVAILABLE_TO_RECIPIENT", "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM",
    "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM_FAILED", "MEMO_SEND_FETCHED_BY_RECIPIENT_SYSTEM",
    "BUSINESS_RECEIPT_RECEIVED", "PHYSICAL_LETTER_SENT", "MESSAGE_READ", "MEMO_MESSAGE_RECALLED",
    "DELAYED_MEMO_MESSAGE_RECALLED", "MESSAGE_RECALLED_BY_ADMINISTRATOR", "SYSTEM_CREATED",
    "SYSTEM_CHANGED", "SYSTEM_SECRET_ROTATED", "SYSTEM_DEACTIVATED", "SYSTEM_ACTIVATED",
    "EVENT_LOG_SEARCHES", "CPR_LOOKED_UP", NULL};

/* The search form's fields (FIELD_ID: the input's id; the page number has none, it comes
 * from the links to other pages). */
enum field { F_FROM, F_TO, F_PARTY, F_SYSTEM, F_TAG, F_Q, F_PAGE, F_N };
static const char *const FIELD_ID[F_N] = {"ev-from", "ev-to",  "ev-party", "ev-system",
                                          "ev-tag",  "ev-q",   NULL};

struct search {
    char from[11], to[11], party[16], party_key[20], system[40], tag[72], uuid[40];
    int64_t from_ms, to_ms, page;
    int submitted;
    const char *in[F_N];  /* what was written (borrowed from the request; "" = nothing) */
    const char *err[F_N]; /* msgid of the field's error, or NULL */
    int n_err;
};

/* Unix ms of 00:00 Copenhagen on date (YYYY-MM-DD), -1 when it is not a date. */
static int64_t midnight_of(const char *date)
{
    int y, m, d;

    if (!kv_clock_date_valid(date) || sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return -1;
    return kv_clock_copenhagen_midnight_ms(y, m, d);
}

static int all_digits(const char *s, size_t n)
{
    size_t i;

    if (strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int is_uuid(const char *s)
{
    size_t i;

    if (strlen(s) != 36)
        return 0;
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* The query parameter name of field f, kept in s->in[f] ("" when absent); longer than max is
 * the error msgid. */
static const char *arg(struct kv_http_req *req, struct search *s, enum field f, const char *name,
                       size_t max, const char *msgid)
{
    const char *v = kv_http_req_query(req, name);

    s->in[f] = v ? v : "";
    if (v && strlen(v) > max && !s->err[f]) {
        s->err[f] = msgid;
        s->n_err++;
    }
    return s->err[f] ? "" : s->in[f];
}

static void refuse(struct search *s, enum field f, const char *msgid)
{
    if (!s->err[f]) {
        s->err[f] = msgid;
        s->n_err++;
    }
}

/* Reads and checks the search: every field's error into s->err (what was written stays in
 * s->in, shown again in the form). 0, or -1 when a field is refused. */
static int parse(struct kv_web_portal_page *aa, struct kv_http_req *req, struct search *s)
{
    static const char *const BAD_DATE = N_("Give the date as YYYY-MM-DD.");
    static const char *const BAD_PARTY = N_("A CPR number has 10 digits and a CVR number 8.");
    static const char *const BAD_SYSTEM = N_("Choose one of your organisation's systems.");
    static const char *const BAD_TAG = N_("Choose an event tag from the list.");
    static const char *const BAD_Q =
        N_("The free text is a message UUID (8-4-4-4-12 hexadecimal digits).");
    static const char *const BAD_PAGE = N_("The page number is not valid.");
    struct kv_system_summary sys;
    const char *from, *to, *party, *system, *tag, *q, *page;
    int64_t now = kv_clock_now_ms(), end = -1;
    char next[11];
    size_t i;

    memset(s, 0, sizeof(*s));
    from = arg(req, s, F_FROM, "from", 10, BAD_DATE);
    to = arg(req, s, F_TO, "to", 10, BAD_DATE);
    party = arg(req, s, F_PARTY, "party", 10, BAD_PARTY);
    system = arg(req, s, F_SYSTEM, "system", 36, BAD_SYSTEM);
    tag = arg(req, s, F_TAG, "tag", 64, BAD_TAG);
    q = arg(req, s, F_Q, "q", 36, BAD_Q);
    page = arg(req, s, F_PAGE, "page", 5, BAD_PAGE);
    s->submitted = kv_http_req_query(req, "from") != NULL;
    kv_clock_copenhagen_date(now, s->to);
    kv_clock_copenhagen_date(now - 6 * DAY_MS, s->from);
    if (from[0])
        snprintf(s->from, sizeof(s->from), "%s", from);
    if (to[0])
        snprintf(s->to, sizeof(s->to), "%s", to);
    s->from_ms = s->err[F_FROM] ? -1 : midnight_of(s->from);
    if (s->from_ms < 0)
        refuse(s, F_FROM, BAD_DATE);
    if (!s->err[F_TO])
        end = midnight_of(s->to);
    if (end < 0)
        refuse(s, F_TO, BAD_DATE);
    if (s->from_ms >= 0 && end >= 0) {
        kv_clock_copenhagen_date(end + 36 * 3600000LL, next); /* the day after "to" */
        s->to_ms = midnight_of(next);
        if (s->to_ms <= s->from_ms ||
            s->to_ms - s->from_ms > (int64_t)MAX_DAYS * DAY_MS + 3600000)
            refuse(s, F_TO,
                   N_("The period must start no later than it ends and span at most 366 days."));
    }
    if (party[0]) {
        if (all_digits(party, 10)) {
            snprintf(s->party_key, sizeof(s->party_key), "cpr:%s", party);
            snprintf(s->party, sizeof(s->party), "%s", party);
        } else if (all_digits(party, 8)) {
            snprintf(s->party_key, sizeof(s->party_key), "cvr:%s", party);
            snprintf(s->party, sizeof(s->party), "%s", party);
        } else {
            refuse(s, F_PARTY, BAD_PARTY);
        }
    }
    if (system[0]) {
        if (kv_system_get_in_org(aa->db, aa->org, system, &sys, NULL) < 0)
            refuse(s, F_SYSTEM, BAD_SYSTEM);
        else
            snprintf(s->system, sizeof(s->system), "%s", sys.id);
    }
    if (tag[0]) {
        for (i = 0; TAGS[i] && strcmp(TAGS[i], tag) != 0; i++)
            ;
        if (!TAGS[i])
            refuse(s, F_TAG, BAD_TAG);
        else
            snprintf(s->tag, sizeof(s->tag), "%s", tag);
    }
    if (q[0]) {
        if (!is_uuid(q)) {
            refuse(s, F_Q, BAD_Q);
        } else {
            for (i = 0; q[i]; i++)
                s->uuid[i] = (char)tolower((unsigned char)q[i]);
            s->uuid[i] = '\0';
        }
    }
    if (page[0]) {
        char *e;
        long p = strtol(page, &e, 10);
        if (*e || p < 0 || p > 10000)
            refuse(s, F_PAGE, BAD_PAGE);
        else
            s->page = p;
    }
    return s->n_err ? -1 : 0;
}

/* Logs the search (EVENT_LOG_SEARCHES, and CPR_LOOKED_UP for a CPR number) in its own
 * transaction, before it runs. cpr: the 10 digits or NULL. */
static int log_search(struct kv_web_portal_page *aa, json_t *props, const char *cpr,
                      struct kv_err *err)
{
    struct kv_event ev;
    char subject[16], *text = NULL;
    int rc;

    json_object_set_new(props, "employee", json_string(aa->actor));
    text = json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(subject, sizeof(subject), "cvr:%s", aa->org);
    rc = kv_db_begin(aa->db, err);
    if (rc < 0)
        goto out;
    memset(&ev, 0, sizeof(ev));
    ev.tag = "EVENT_LOG_SEARCHES";
    ev.actor = aa->actor;
    ev.subject = subject;
    ev.props_json = text;
    rc = kv_events_append(aa->db, &ev, err);
    if (rc == 0 && cpr) {
        char who[16];
        snprintf(who, sizeof(who), "cpr:%s", cpr);
        memset(&ev, 0, sizeof(ev));
        ev.tag = "CPR_LOOKED_UP";
        ev.actor = aa->actor;
        ev.subject = who;
        ev.props_json = "{\"purpose\":\"EVENT_LOG_SEARCH\"}";
        rc = kv_events_append(aa->db, &ev, err);
    }
    if (rc == 0)
        rc = kv_db_commit(aa->db, err);
    else
        kv_db_rollback(aa->db);
out:
    free(text);
    json_decref(props);
    return rc;
}

/* Opens field f's form group (web.h, kv_web_field_open): its label, its hint (a msgid, or
 * NULL) and, when f was refused, the group marked and the message above the input. */
static void group_open(struct kv_html *h, const struct search *s, enum field f,
                       const char *label, const char *hint)
{
    kv_web_field_open(h, FIELD_ID[f], label, hint, s->err[f]);
}

/* Ends the opening tag of field f's input or select (its other attributes written): what
 * describes it (the hint when hint, the message when refused) and aria-invalid. */
static void control_close(struct kv_html *h, const struct search *s, enum field f, int hint)
{
    kv_web_control_end(h, FIELD_ID[f], hint, s->err[f]);
}

/* The error summary above the form: each refusal, linked to its field. */
static void error_summary(struct kv_html *h, const struct search *s)
{
    kv_web_error_summary(h, "ev-errors", FIELD_ID, s->err, F_N);
}

static void select_opt(struct kv_html *h, const char *value, const char *label, int sel)
{
    if (sel)
        kv_html(h, "<option value=\"%a\" selected>%t</option>", value, label);
    else
        kv_html(h, "<option value=\"%a\">%t</option>", value, label);
}

/* A date field: what was written, else the default period's date. */
static void date_field(struct kv_html *h, const struct search *s, enum field f,
                       const char *label, const char *name, const char *dflt)
{
    group_open(h, s, f, label, NULL);
    kv_html(h, "<input class=\"form-input input-width-s\" type=\"date\" id=\"%a\" name=\"%a\" "
               "value=\"%a\" required",
            FIELD_ID[f], name, s->in[f][0] ? s->in[f] : dflt);
    control_close(h, s, f, 0);
    kv_html(h, "</div>");
}

/* The search form, with what was written in it and each refusal next to its field. */
static void search_form(struct kv_web_portal_page *aa, const struct search *s)
{
    struct kv_html *h = &aa->ctx.h;
    struct kv_system_summary *list = calloc(KV_SYSTEM_LIST_MAX, sizeof(*list));
    size_t n = 0, i;

    if (list && kv_system_list_org(aa->db, aa->org, list, KV_SYSTEM_LIST_MAX, &n, NULL) < 0)
        n = 0;
    kv_html(h, "<form method=\"get\" action=\"" BASE "\" class=\"mb-5\" novalidate>");
    date_field(h, s, F_FROM, N_("From (inclusive)"), "from", s->from);
    date_field(h, s, F_TO, N_("To (inclusive)"), "to", s->to);
    group_open(h, s, F_PARTY, N_("CPR or CVR number"),
               N_("Searching a CPR number is logged as a look-up of that person."));
    kv_html(h, "<input class=\"form-input input-width-m\" type=\"text\" inputmode=\"numeric\" "
               "id=\"ev-party\" name=\"party\" maxlength=\"10\" value=\"%a\"",
            s->in[F_PARTY]);
    control_close(h, s, F_PARTY, 1);
    kv_html(h, "</div>");
    group_open(h, s, F_SYSTEM, N_("System"), NULL);
    kv_html(h, "<select class=\"form-select\" id=\"ev-system\" name=\"system\"");
    control_close(h, s, F_SYSTEM, 0);
    select_opt(h, "", kv_i18n_get(aa->ctx.lang, N_("All systems")), !s->system[0]);
    for (i = 0; i < n; i++)
        select_opt(h, list[i].id, list[i].name, strcmp(list[i].id, s->system) == 0);
    kv_html(h, "</select></div>");
    group_open(h, s, F_TAG, N_("Event tag"), NULL);
    kv_html(h, "<select class=\"form-select\" id=\"ev-tag\" name=\"tag\"");
    control_close(h, s, F_TAG, 0);
    select_opt(h, "", kv_i18n_get(aa->ctx.lang, N_("All events")), !s->tag[0]);
    for (i = 0; TAGS[i]; i++)
        select_opt(h, TAGS[i], TAGS[i], strcmp(TAGS[i], s->tag) == 0);
    kv_html(h, "</select></div>");
    group_open(h, s, F_Q, N_("Free text"), N_("A message UUID."));
    kv_html(h, "<input class=\"form-input\" type=\"search\" id=\"ev-q\" name=\"q\" "
               "maxlength=\"36\" value=\"%a\"",
            s->in[F_Q]);
    control_close(h, s, F_Q, 1);
    kv_html(h, "</div><button type=\"submit\" class=\"button button-primary\">%m</button>"
               "</form>\n",
            N_("Search"));
    free(list);
}

struct table {
    struct kv_html *h;
    int rows, max;
    int letter; /* 1: one letter's page (no letter column, properties shown) */
};

static const char *or_dash(const char *s)
{
    return s && s[0] ? s : "–";
}

static int table_row(void *arg, const struct kv_event_row *r)
{
    struct table *t = arg;
    char when[32];

    if (t->rows++ >= t->max)
        return 1;
    kv__aa_time(r->time_ms, when, sizeof(when));
    kv_html(t->h, "<tr><td>%t</td><td>%t", when, r->ngdp_tag);
    if (strcmp(r->ngdp_tag, r->tag) != 0)
        kv_html(t->h, "<br><span class=\"font-small\">%t</span>", r->tag);
    kv_html(t->h, "</td>");
    if (!t->letter) {
        if (r->message_uuid)
            kv_html(t->h, "<td><a href=\"" BASE "/brev/%q\">%t</a></td>", r->message_uuid,
                    r->message_uuid);
        else
            kv_html(t->h, "<td>–</td>");
    }
    kv_html(t->h, "<td>%t</td><td>%t</td><td>%t</td>", or_dash(r->system_name),
            or_dash(r->actor), or_dash(r->subject));
    if (t->letter)
        kv_html(t->h, "<td class=\"font-small\">%t</td>", or_dash(r->props));
    kv_html(t->h, "</tr>\n");
    return 0;
}

static void table_head(struct kv_web_portal_page *aa, const char *caption, int letter)
{
    kv_html(&aa->ctx.h,
            "<div class=\"table--responsive-scroll\" tabindex=\"0\" role=\"region\" "
            "aria-label=\"%m\"><table class=\"table table--compact\"><caption>%m</caption><thead>"
            "<tr><th scope=\"col\">%m</th><th scope=\"col\">%m</th>",
            caption, caption, N_("Time"), N_("Event"));
    if (!letter)
        kv_html(&aa->ctx.h, "<th scope=\"col\">%m</th>", N_("Message UUID"));
    kv_html(&aa->ctx.h, "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>",
            N_("System"), N_("Actor"), N_("Subject"));
    if (letter)
        kv_html(&aa->ctx.h, "<th scope=\"col\">%m</th>", N_("Properties"));
    kv_html(&aa->ctx.h, "</tr></thead><tbody>\n");
}

/* The query string of s for page p into out (the link of another page). */
static void page_link(const struct search *s, int64_t p, struct kv_buf *out)
{
    kv_buf_printf(out, BASE "?from=%s&to=%s&page=%lld", s->from, s->to, (long long)p);
    if (s->party[0])
        kv_buf_printf(out, "&party=%s", s->party);
    if (s->system[0])
        kv_buf_printf(out, "&system=%s", s->system);
    if (s->tag[0])
        kv_buf_printf(out, "&tag=%s", s->tag);
    if (s->uuid[0])
        kv_buf_printf(out, "&q=%s", s->uuid);
}

/* GET /administrativ-adgang/haendelseslog */
int kv__aa_events(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_event_org_search q;
    struct kv_err err = {0, ""};
    struct search s;
    struct table t;
    struct kv_html *h;
    json_t *props;
    size_t n = 0;
    int rc;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_EVENTLOG, 0))
        goto out;
    h = &aa.ctx.h;
    if (parse(&aa, req, &s) < 0) {
        kv__aa_head(&aa, N_("Event log"), BASE, NULL, NULL);
        error_summary(h, &s);
        search_form(&aa, &s);
        kv_web_page_end(&aa.ctx, 400, N_("Event log"));
        goto out;
    }
    kv__aa_head(&aa, N_("Event log"), BASE, NULL, NULL);
    kv_html(h, "<p>%m</p>\n",
            N_("Your organisation's events: those of its systems and its letters, sent and "
               "received. Every search is itself logged with you as actor."));
    search_form(&aa, &s);
    if (!s.submitted) {
        kv_web_page_end(&aa.ctx, 200, N_("Event log"));
        goto out;
    }
    props = json_pack("{s:s,s:s,s:I}", "from", s.from, "to", s.to, "page", (json_int_t)s.page);
    if (s.party[0])
        json_object_set_new(props, "party", json_string(strlen(s.party) == 10 ? "CPR" : s.party));
    if (s.system[0])
        json_object_set_new(props, "systemId", json_string(s.system));
    if (s.tag[0])
        json_object_set_new(props, "eventTag", json_string(s.tag));
    if (s.uuid[0])
        json_object_set_new(props, "messageUUID", json_string(s.uuid));
    if (log_search(&aa, props, strlen(s.party) == 10 ? s.party : NULL, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: event log search not logged: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    memset(&q, 0, sizeof(q));
    q.org = aa.org;
    q.from_ms = s.from_ms;
    q.to_ms = s.to_ms;
    q.party = s.party_key[0] ? s.party_key : NULL;
    q.system_id = s.system[0] ? s.system : NULL;
    q.tag = s.tag[0] ? s.tag : NULL;
    q.message_uuid = s.uuid[0] ? s.uuid : NULL;
    q.limit = PAGE_SIZE + 1;
    q.offset = s.page * PAGE_SIZE;
    kv_html(h, "<h2>%m</h2>\n", N_("Events found"));
    table_head(&aa, N_("Events, newest first"), 0);
    t.h = h;
    t.rows = 0;
    t.max = PAGE_SIZE;
    t.letter = 0;
    rc = kv_events_org_search(aa.db, &q, table_row, &t, &n, &err);
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: event log search: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv_html(h, "</tbody></table></div>\n");
    if (n == 0)
        kv_html(h, "<p>%m</p>\n", N_("No events match the search."));
    if (s.page > 0 || n > PAGE_SIZE) {
        struct kv_buf link;
        kv_html(h, "<nav aria-label=\"%m\"><ul class=\"nobullet-list\">", N_("Pages"));
        kv_buf_init(&link, 2048);
        if (s.page > 0) {
            page_link(&s, s.page - 1, &link);
            kv_html(h, "<li><a href=\"%u\">%m</a></li>", link.buf, N_("Newer events"));
            kv_buf_reset(&link);
        }
        if (n > PAGE_SIZE) {
            page_link(&s, s.page + 1, &link);
            kv_html(h, "<li><a href=\"%u\">%m</a></li>", link.buf, N_("Older events"));
        }
        kv_buf_release(&link);
        kv_html(h, "</ul></nav>\n");
    }
    kv_web_page_end(&aa.ctx, 200, N_("Event log"));
out:
    kv_web_portal_end(&aa);
    return 0;
}

/* The letter of the path, logged as a search by its UUID; 0 after answering (404, 500). */
static int letter_begin(struct kv_web_portal_page *aa, struct kv_http_req *req, char uuid[40],
                        const char *view)
{
    const char *p = req->params[0];
    struct kv_err err = {0, ""};
    size_t i;

    if (!p || !is_uuid(p)) {
        kv_web_error(&aa->ctx, 404);
        return 0;
    }
    for (i = 0; p[i]; i++)
        uuid[i] = (char)tolower((unsigned char)p[i]);
    uuid[i] = '\0';
    if (log_search(aa, json_pack("{s:s,s:s}", "messageUUID", uuid, "view", view), NULL, &err) <
        0) {
        kv_log(KV_LOG_ERROR, "%s: event log search not logged: %s", req->request_id, err.msg);
        kv_web_error(&aa->ctx, 500);
        return 0;
    }
    return 1;
}

/* GET /administrativ-adgang/haendelseslog/brev/{uuid} */
int kv__aa_events_letter(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""};
    struct table t;
    struct kv_html *h;
    char uuid[40];
    int rc;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_EVENTLOG, 0) ||
        !letter_begin(&aa, req, uuid, "letter"))
        goto out;
    h = &aa.ctx.h;
    kv__aa_head(&aa, N_("Every event of the letter"), NULL, NULL, NULL);
    kv_html(h,
            "<p>%m <strong>%t</strong></p>\n<ul class=\"nobullet-list\">"
            "<li><a href=\"" BASE "/brev/%q/csv\" download>%m</a></li>"
            "<li><a href=\"" BASE "/brev/%q/bevis\">%m</a></li></ul>\n",
            N_("Message UUID"), uuid, uuid, N_("Download the events as CSV"), uuid,
            N_("Evidence page for printing (with the hash chain check)"));
    table_head(&aa, N_("The letter's events, oldest first"), 1);
    t.h = h;
    t.rows = 0;
    t.max = 10000;
    t.letter = 1;
    rc = kv_events_org_letter(aa.db, aa.org, uuid, table_row, &t, NULL, &err);
    if (rc == KV_ENOTFOUND) {
        kv_web_error(&aa.ctx, 404);
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: letter events: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv_html(h, "</tbody></table></div>\n");
    kv_web_page_end(&aa.ctx, 200, N_("Every event of the letter"));
out:
    kv_web_portal_end(&aa);
    return 0;
}

static void csv_field(struct kv_buf *b, const char *s, int first)
{
    const char *p;

    if (!first)
        kv_buf_puts(b, ";");
    if (!s)
        return;
    kv_buf_puts(b, "\"");
    if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')
        kv_buf_puts(b, "'");
    for (p = s; *p; p++) {
        if (*p == '"')
            kv_buf_puts(b, "\"\"");
        else
            kv_buf_append(b, p, 1);
    }
    kv_buf_puts(b, "\"");
}

static int csv_row(void *arg, const struct kv_event_row *r)
{
    struct kv_buf *b = arg;
    char when[32];

    kv_clock_format_utc(r->time_ms, when, sizeof(when));
    kv_buf_printf(b, "%lld", (long long)r->seq);
    csv_field(b, r->event_id, 0);
    csv_field(b, when, 0);
    csv_field(b, r->ngdp_tag, 0);
    csv_field(b, r->tag, 0);
    csv_field(b, r->message_uuid, 0);
    csv_field(b, r->system_id, 0);
    csv_field(b, r->system_name, 0);
    csv_field(b, r->actor, 0);
    csv_field(b, r->subject, 0);
    csv_field(b, r->props, 0);
    csv_field(b, r->prev_hash, 0);
    csv_field(b, r->hash, 0);
    kv_buf_puts(b, "\r\n");
    return 0;
}

/* GET /administrativ-adgang/haendelseslog/brev/{uuid}/csv */
int kv__aa_events_letter_csv(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""};
    struct kv_buf b;
    char uuid[40], disp[96];
    int rc;

    kv_buf_init(&b, (size_t)32 << 20);
    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_EVENTLOG, 0) ||
        !letter_begin(&aa, req, uuid, "csv"))
        goto out;
    kv_buf_puts(&b, "\xEF\xBB\xBF"
                    "seq;eventId;eventTime;eventTag;kuvertTag;messageUUID;systemId;systemName;"
                    "actor;subject;eventProperties;prevHash;hash\r\n");
    rc = kv_events_org_letter(aa.db, aa.org, uuid, csv_row, &b, NULL, &err);
    if (rc == KV_ENOTFOUND) {
        kv_web_error(&aa.ctx, 404);
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: letter events: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    snprintf(disp, sizeof(disp), "attachment; filename=\"haendelser-%s.csv\"", uuid);
    kv_web_security_headers(resp);
    kv_http_resp_header(resp, "Content-Disposition", disp);
    kv_http_resp_bytes(resp, 200, "text/csv; charset=utf-8", b.buf, b.len);
out:
    kv_buf_release(&b);
    kv_web_portal_end(&aa);
    return 0;
}

static int count_row(void *arg, const struct kv_event_row *r)
{
    (void)arg;
    (void)r;
    return 0;
}

static int evidence_row(void *arg, const struct kv_event_row *r)
{
    struct kv_html *h = arg;
    char when[32];

    kv_clock_format_utc(r->time_ms, when, sizeof(when));
    kv_html(h,
            "<tr><td>%D</td><td>%t</td><td>%t</td><td>%t</td><td>%t</td><td>%t</td>"
            "<td class=\"font-small\">%t</td><td class=\"font-small\"><code>%t</code></td></tr>\n",
            r->seq, when, r->tag, or_dash(r->system_name), or_dash(r->actor),
            or_dash(r->subject), or_dash(r->props), r->hash);
    return 0;
}

/* GET /administrativ-adgang/haendelseslog/brev/{uuid}/bevis */
int kv__aa_events_evidence(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""}, verr = {0, ""};
    struct kv_html *h;
    char uuid[40], now[32];
    int64_t count = 0, bad_seq = 0;
    size_t n = 0;
    int rc, vrc;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_EVENTLOG, 0) ||
        !letter_begin(&aa, req, uuid, "evidence"))
        goto out;
    h = &aa.ctx.h;
    kv_clock_format_utc(kv_clock_now_ms(), now, sizeof(now));
    kv_html(h,
            "<p class=\"font-lead mb-0\">%m · <span class=\"aa-org\">%t (CVR %t)</span></p>\n"
            "<h1>%m</h1>\n<table class=\"table table--compact\"><caption>%m</caption><tbody>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr>"
            "<tr><th scope=\"row\">%m</th><td>%t</td></tr></tbody></table>\n",
            N_("Administrativ Adgang"), aa.org_name, aa.org, N_("Evidence: the events of a letter"),
            N_("About this extract"), N_("Message UUID"), uuid, N_("Extracted (UTC)"), now,
            N_("Extracted by"), aa.actor);
    rc = kv_events_org_letter(aa.db, aa.org, uuid, count_row, NULL, &n, &err);
    if (rc == KV_ENOTFOUND || (rc == 0 && n == 0)) {
        kv_web_error(&aa.ctx, 404);
        goto out;
    }
    if (rc < 0)
        goto fail;
    vrc = kv_events_verify_letter(aa.db, uuid, &count, &bad_seq, &verr);
    if (vrc == 0)
        kv_html(h,
                "<div class=\"alert alert-success\" role=\"status\"><div class=\"alert-body\">"
                "<p class=\"alert-heading\">%m</p><p class=\"alert-text\">%m</p></div></div>\n",
                N_("The hash chain verifies over these events."),
                N_("Each event's hash recomputes from its content and the hash of the event "
                   "before it, and the event after it names its hash: no event shown here has "
                   "been changed, inserted or removed since it was written."));
    else if (vrc == KV_ECONFLICT)
        kv_html(h,
                "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                "<p class=\"alert-heading\">%m</p><p class=\"alert-text\">%t</p></div></div>\n",
                N_("The hash chain does NOT verify over these events."), verr.msg);
    else {
        err = verr;
        goto fail;
    }
    kv_html(h,
            "<table class=\"table table--compact\"><caption>%m</caption><thead><tr>"
            "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
            "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
            "<th scope=\"col\">%m</th><th scope=\"col\">%m</th></tr></thead><tbody>\n",
            N_("The letter's events, oldest first"), N_("No."), N_("Time (UTC)"), N_("Event"),
            N_("System"), N_("Actor"), N_("Subject"), N_("Properties"), N_("Hash (SHA-256)"));
    rc = kv_events_org_letter(aa.db, aa.org, uuid, evidence_row, h, NULL, &err);
    if (rc < 0)
        goto fail;
    kv_html(h, "</tbody></table>\n<p class=\"font-small\">%m</p>\n",
            N_("kuvert's event log is a hash chain: every event stores the SHA-256 of its fields "
               "and of the event before it. The operator checks the whole chain with kuvert "
               "events verify."));
    kv_web_page_end(&aa.ctx, 200, N_("Evidence: the events of a letter"));
    goto out;
fail:
    kv_log(KV_LOG_ERROR, "%s: letter evidence: %s", req->request_id, err.msg);
    kv_web_error(&aa.ctx, 500);
out:
    kv_web_portal_end(&aa);
    return 0;
}

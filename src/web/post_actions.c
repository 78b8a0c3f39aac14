/* SPDX-License-Identifier: MIT
 *
 * post_actions.c: the MeMo actions of a letter on its page, and an appointment as an
 * iCalendar file (GET /post/brev/{uuid}/aftale/{n}, route in post_folder.c).
 *
 * Actions are numbered n = 0, 1, ... across the main document and then the additional
 * documents, in order (technical documents have none). On the page each shows its label and
 * code; a link (EntryPoint) is shown as a link only when its URL is http(s), with its address
 * written out beside it so the reader sees where it leads (rel="noopener noreferrer", %u keeps
 * nothing but http(s)/mailto/same-site URLs in any case); a deadline (the action's
 * endDateTime; startDateTime as "from") in Danish time; an appointment (AFTALE with
 * Reservation) with what, where and when, and a download of it as .ics.
 *
 * The .ics is made by libical (RFC 5545: CRLF lines folded at 75 octets, TEXT values escaped):
 * one VEVENT with UID the reservationUUID, DTSTAMP now, DTSTART/DTEND in UTC, SUMMARY (the
 * reservation's abstract), DESCRIPTION, LOCATION, and ORGANIZER (mailto:, CN) when the letter
 * names a well-formed organiser address. Control characters are dropped from every value
 * first; an address that is not a plain addr-spec is left out rather than passed on. Served
 * as text/calendar; charset=utf-8 with Content-Disposition: attachment (RFC 6266 filename),
 * nosniff, no-store and a sandbox CSP.
 */
#include "web/post.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "http/http.h"
#include "memo/model.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "web/i18n.h"

/* Action n across the documents that carry actions; NULL when there is none. */
static const struct kv_memo_action *nth_action(const struct kv_memo_message *m, size_t n)
{
    size_t i;

    if (!m->body)
        return NULL;
    if (n < m->body->main.n_actions)
        return &m->body->main.actions[n];
    n -= m->body->main.n_actions;
    for (i = 0; i < m->body->n_additional; i++) {
        if (n < m->body->additional[i].n_actions)
            return &m->body->additional[i].actions[n];
        n -= m->body->additional[i].n_actions;
    }
    return NULL;
}

static int http_url(const char *u)
{
    return u && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0);
}

/* A MeMo dateTime as Danish time text; "–" when it does not parse. */
static void when(const char *s, char out[32])
{
    int64_t ms;

    snprintf(out, 32, "–");
    if (s && kv_clock_parse_utc(s, &ms) == 0)
        kv__post_time(ms, out, 32);
}

/* 1 when the action is an appointment that can be given as .ics. */
static int appointment(const struct kv_memo_action *a)
{
    int64_t s, e;
    const struct kv_memo_reservation *r = a->reservation;

    return r && r->start && r->end && kv_clock_parse_utc(r->start, &s) == 0 &&
           kv_clock_parse_utc(r->end, &e) == 0 && e >= s;
}

void kv__post_actions(struct kv__post *pp, const struct kv_memo_message *m)
{
    struct kv_html *h = &pp->ctx.h;
    const struct kv_memo_action *a;
    const char *uuid = pp->ctx.req->params[0];
    char t1[32], t2[32];
    size_t n;

    if (!nth_action(m, 0))
        return;
    kv_html(h, "<h2>%m</h2>\n<ul class=\"letter-actions-list\">\n", N_("Actions"));
    for (n = 0; (a = nth_action(m, n)) != NULL; n++) {
        kv_html(h, "<li class=\"mb-4\"><strong>%t</strong>", a->label ? a->label : "");
        if (a->action_code)
            kv_html(h, " <span class=\"action-code\">(%t)</span>", a->action_code);
        if (a->entry_point && http_url(a->entry_point->url))
            kv_html(h, "<br><a href=\"%u\" rel=\"noopener noreferrer\">%m<span "
                       "class=\"sr-only\"> %t</span></a> <span class=\"link-address\">%t"
                       "</span>",
                    a->entry_point->url, N_("Open the link"), a->label ? a->label : "",
                    a->entry_point->url);
        else if (a->entry_point && a->entry_point->url)
            kv_html(h, "<br>%m <span class=\"link-address\">%t</span>",
                    N_("Address (not opened as a link):"), a->entry_point->url);
        if (a->start && !a->reservation) {
            when(a->start, t1);
            kv_html(h, "<br>%m %t", N_("From:"), t1);
        }
        if (a->end && !a->reservation) {
            when(a->end, t2);
            kv_html(h, "<br><strong>%m %t</strong>", N_("Deadline:"), t2);
        }
        if (a->reservation) {
            const struct kv_memo_reservation *r = a->reservation;

            when(r->start, t1);
            when(r->end, t2);
            kv_html(h, "<dl class=\"appointment\"><dt>%m</dt><dd>%t</dd><dt>%m</dt><dd>%t</dd>"
                       "<dt>%m</dt><dd>%t – %t</dd>",
                    N_("Appointment"), r->abstract ? r->abstract : "", N_("Place"),
                    r->location ? r->location : "", N_("Time"), t1, t2);
            if (r->description)
                kv_html(h, "<dt>%m</dt><dd>%t</dd>", N_("Description"), r->description);
            kv_html(h, "</dl>");
            if (appointment(a))
                kv_html(h, "<a href=\"/post/brev/%q/aftale/%D\" download>%m<span "
                           "class=\"sr-only\"> %t</span></a>",
                        uuid, (int64_t)n, N_("Add to calendar (.ics)"),
                        r->abstract ? r->abstract : "");
        }
        kv_html(h, "</li>\n");
    }
    kv_html(h, "</ul>\n");
}

/* ---- the .ics ---- */

/* s without control characters (owned; "" for NULL). */
static char *clean(const char *s)
{
    char *o = strdup(s ? s : ""), *w = o;
    const unsigned char *p;

    if (!o)
        return NULL;
    for (p = (const unsigned char *)(s ? s : ""); *p; p++)
        if (*p >= 0x20 && *p != 0x7f)
            *w++ = (char)*p;
        else if (*p == '\n')
            *w++ = '\n'; /* kept: libical writes it as \n inside a TEXT value */
    *w = '\0';
    return o;
}

/* 1 for a plain addr-spec: printable ASCII without space, quotes or the separators of an
 * iCalendar line, one '@' with something on both sides. */
static int mail_ok(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    const unsigned char *p;

    if (!at || at == s || !at[1] || strchr(at + 1, '@') || strlen(s) > 254)
        return 0;
    for (p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"\\;:,<>()[]", *p))
            return 0;
    return 1;
}

static struct icaltimetype utc_time(const char *s)
{
    int64_t ms = 0;

    (void)kv_clock_parse_utc(s, &ms);
    return icaltime_from_timet_with_zone((time_t)(ms / 1000), 0,
                                         icaltimezone_get_utc_timezone());
}

/* The calendar of reservation r (owned string, free()); NULL on failure. */
static char *ics_of(const struct kv_memo_action *a)
{
    const struct kv_memo_reservation *r = a->reservation;
    icalcomponent *cal, *ev;
    char *summary = clean(r->abstract && *r->abstract ? r->abstract : a->label);
    char *desc = clean(r->description), *loc = clean(r->location), *uid = clean(r->uuid);
    char *out = NULL, *s;

    cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
    ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    if (!cal || !ev || !summary || !desc || !loc || !uid)
        goto out;
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal, icalproperty_new_prodid("-//kuvert//Digital Post//DA"));
    icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
    icalcomponent_add_property(cal, icalproperty_new_method(ICAL_METHOD_PUBLISH));
    icalcomponent_add_property(ev, icalproperty_new_uid(uid));
    icalcomponent_add_property(
        ev, icalproperty_new_dtstamp(icaltime_from_timet_with_zone(
                (time_t)(kv_clock_now_ms() / 1000), 0, icaltimezone_get_utc_timezone())));
    icalcomponent_add_property(ev, icalproperty_new_dtstart(utc_time(r->start)));
    icalcomponent_add_property(ev, icalproperty_new_dtend(utc_time(r->end)));
    icalcomponent_add_property(ev, icalproperty_new_summary(summary));
    if (*desc)
        icalcomponent_add_property(ev, icalproperty_new_description(desc));
    if (*loc)
        icalcomponent_add_property(ev, icalproperty_new_location(loc));
    if (mail_ok(r->organizer_mail)) {
        char addr[300];
        icalproperty *org;

        snprintf(addr, sizeof(addr), "mailto:%s", r->organizer_mail);
        org = icalproperty_new_organizer(addr);
        if (r->organizer_name && *r->organizer_name) {
            char *cn = clean(r->organizer_name), *q;

            for (q = cn; q && *q; q++) /* a parameter value cannot hold a quote or newline */
                if (*q == '"' || *q == '\n')
                    *q = ' ';
            if (cn)
                icalproperty_add_parameter(org, icalparameter_new_cn(cn));
            free(cn);
        }
        icalcomponent_add_property(ev, org);
    }
    icalcomponent_add_component(cal, ev);
    ev = NULL;
    s = icalcomponent_as_ical_string_r(cal);
    if (s) {
        out = strdup(s);
        icalmemory_free_buffer(s);
    }
out:
    if (ev)
        icalcomponent_free(ev);
    if (cal)
        icalcomponent_free(cal);
    free(summary);
    free(desc);
    free(loc);
    free(uid);
    return out;
}

int kv__post_ics(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_mbox_letter l;
    struct kv_memo_message *m = NULL;
    struct kv_err err = {0, ""};
    struct kv_buf cd;
    const struct kv_memo_action *a = NULL;
    const char *ns = req->params[1];
    char *ics = NULL;
    int rc;

    memset(&l, 0, sizeof(l));
    kv_buf_init(&cd, 512);
    if (!kv__post_begin(&pp, req, resp, 0))
        goto out;
    rc = kv_mbox_letter_load(pp.db, &pp.owner, req->params[0], 1, &l, &err);
    if (rc == 0)
        rc = kv_mbox_letter_model(&l, 1, &m, &err);
    if (rc < 0 && rc != KV_ENOTFOUND) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    if (rc == 0 && ns && *ns && strlen(ns) <= 4 && strspn(ns, "0123456789") == strlen(ns))
        a = nth_action(m, (size_t)atoi(ns));
    if (!a || !appointment(a)) {
        kv_web_error(&pp.ctx, 404);
        goto out;
    }
    ics = ics_of(a);
    if (!ics) {
        kv_log(KV_LOG_ERROR, "%s: calendar not made", req->request_id);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    kv__post_disposition(&cd, "attachment", "aftale.ics");
    kv_http_resp_bytes(resp, 200, "text/calendar; charset=utf-8", (const unsigned char *)ics,
                       strlen(ics));
    kv_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    kv_http_resp_header(resp, "Content-Disposition", cd.buf ? cd.buf : "attachment");
    kv_http_resp_header(resp, "Cache-Control", "no-store");
    kv_http_resp_header(resp, "Referrer-Policy", "no-referrer");
    kv_http_resp_header(resp, "Content-Security-Policy",
                        "sandbox; default-src 'none'; frame-ancestors 'none'");
out:
    free(ics);
    kv_buf_release(&cd);
    kv_memo_message_free(m);
    kv_mbox_letter_release(&l);
    kv__post_end(&pp);
    return 0;
}

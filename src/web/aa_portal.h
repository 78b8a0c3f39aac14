/* SPDX-License-Identifier: MIT
 *
 * aa_portal.h (web-internal): what the Administrativ Adgang pages share (aa_common.c,
 * aa_systems.c, aa_system_form.c). Every page and form under /administrativ-adgang/ starts with
 * kv_web_portal_begin (web/portal_page.h),
 * which signs the visitor in (or redirects to sign-in), asks the one authorisation function
 * (identity/authz.h, kv_authz_decide) for the page's access key against the principal loaded
 * for this request in the session's organisation context, checks the CSRF token of a POST and
 * opens a connection. Objects named in a path (a system) are then looked up only within the
 * organisation acted for, so another organisation's object is "not found".
 *
 * Ownership: struct kv_web_portal_page owns its web context and connection until kv__aa_end.
 */
#ifndef KV_WEB_AA_PORTAL_H
#define KV_WEB_AA_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "web/portal_page.h"
#include "web/web.h"

struct kv_db;

/* The portal heading (with the organisation acted for), its sub-navigation and an optional
 * success (ok_msgid) or error (err_msgid) alert. */
void kv__aa_head(struct kv_web_portal_page *aa, const char *title_msgid, const char *current,
                 const char *ok_msgid, const char *err_msgid);
/* "YYYY-MM-DD HH:MM UTC" of a Unix ms time into out (n >= 24); "–" for 0. */
void kv__aa_time(int64_t ms, char *out, size_t n);
/* The hidden csrf field of a form. */
void kv__aa_csrf(struct kv_web_portal_page *aa);

/* Page handlers (aa_systems.c). */
int kv__aa_systems(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_token_ask(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_token(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_default(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_activate(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_deactivate(struct kv_http_req *req, struct kv_http_resp *resp);
/* (aa_system_form.c) */
int kv__aa_system_new(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_create(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_edit(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_system_save(struct kv_http_req *req, struct kv_http_resp *resp);
/* (aa_recall.c) */
int kv__aa_recall_list(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_recall_ask(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_recall(struct kv_http_req *req, struct kv_http_resp *resp);
/* (aa_events.c) */
int kv__aa_events(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_events_letter(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_events_letter_csv(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_events_evidence(struct kv_http_req *req, struct kv_http_resp *resp);
/* (aa_stats.c, aa_stats_dash.c) */
int kv__aa_stats(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_stats_overview_csv(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_stats_memo(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_stats_memo_csv(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_stats_sent(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_stats_received(struct kv_http_req *req, struct kv_http_resp *resp);
/* The period of a statistics request as its form wrote it: the days from and to (both
 * inclusive; the last 30 days when neither is given, 30 days up to to when only to is), what
 * was written (in_from, in_to: borrowed from the request, "" when absent) and each field's
 * error (a msgid, NULL when accepted). When a field is refused, from and to are the default
 * period (for the navigation's links). */
struct kv__aa_period {
    int64_t from, to;
    const char *in_from, *in_to;
    const char *err_from, *err_to;
};
/* Reads and checks the period of req into p: 0, or -1 when a date is malformed, the period
 * reversed or longer than KV_STATS_MAX_DAYS (the message on the field at fault). */
int kv__aa_stats_period(struct kv_http_req *req, struct kv__aa_period *p);
/* The period form of a page at path (with the grouping checkboxes when group is non-NULL):
 * what was written in each date field (else the period's date), each refusal next to its
 * field (web.h, kv_web_field_open). */
void kv__aa_stats_form(struct kv_web_portal_page *aa, const char *path,
                       const struct kv__aa_period *p, const unsigned *group);
/* The statistics sub-navigation, its links for the period from..to. */
void kv__aa_stats_nav(struct kv_web_portal_page *aa, const char *current, int64_t from,
                      int64_t to);
/* Answers a refused period on the page at path: the page's head (heading and intro, msgids),
 * the error summary and the form again with what was written and each message next to its
 * field, status 400; no figures. */
void kv__aa_stats_refused(struct kv_web_portal_page *aa, const char *path, const char *heading,
                          const char *intro, const struct kv__aa_period *p,
                          const unsigned *group);

/* (aa_citizen.c) citizen service (cs) and business service (bs) */
int kv__aa_cs_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_cs_lookup(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_cs_exempt(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_cs_register(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_cs_grant(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_bs_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_bs_lookup(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_bs_exempt(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_bs_register(struct kv_http_req *req, struct kv_http_resp *resp);

/* What aa_nemsms.c shares with aa_citizen.c (citizen service, citizens only). */
struct kv_cs_status;
/* One line of a receipt: a label and a value, either text or a msgid. */
struct kv__aa_row {
    const char *label, *text, *msgid;
};
/* Loads the citizen named by the form's id and navn (no logging); 0 after answering 404/500
 * when they do not match. */
int kv__aa_cs_owner(struct kv_web_portal_page *aa, struct kv_cs_status *st);
/* The look-up (logged: CPR_LOOKED_UP) of the citizen named by the form's id and navn: 0 with
 * *match set (never for a test number without --test-login), or -1 after answering 500. */
int kv__aa_cs_find(struct kv_web_portal_page *aa, struct kv_cs_status *st, int *match);
/* The csrf field and the citizen's number and name as hidden fields of an action form. */
void kv__aa_cs_owner_fields(struct kv_web_portal_page *aa, const struct kv_cs_status *st);
/* The printable receipt page after an action on st. */
void kv__aa_cs_receipt(struct kv_web_portal_page *aa, const struct kv_cs_status *st,
                       const char *what_msgid, const struct kv__aa_row *rows, size_t n);
/* (aa_nemsms.c) the NemSMS section of the citizen's status page, and its pages */
void kv__aa_cs_nemsms_section(struct kv_web_portal_page *aa, const struct kv_cs_status *st);
int kv__aa_cs_nemsms(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_cs_nemsms_number(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_cs_nemsms_confirm(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__aa_cs_nemsms_remove(struct kv_http_req *req, struct kv_http_resp *resp);

#endif

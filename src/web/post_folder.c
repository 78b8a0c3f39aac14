/* SPDX-License-Identifier: MIT
 *
 * post_folder.c: the mailbox at /post/ -- its route table (each route with its access key,
 * the key identity/authz.c decides on), the shared start of every mailbox page
 * (kv__post_begin, see post.h), the folder view and the small forms that change a letter:
 *
 *   GET  /post/?mappe=inbox|sent|deleted|f<id>&q=TEXT&fra=DATE&til=DATE&markeret=1&side=CURSOR
 *        a folder, newest first, with counts per folder and the own folders' tree, search in
 *        title and sender, by received date and by flag, and paging
 *   GET  /post/brev/{uuid}                      a letter (post_letter.c)
 *   GET  /post/brev/{uuid}/fil/{n}[?vis=1]      file n of the letter (post_letter.c)
 *   POST /post/brev/{uuid}/ulaest               mark unread again
 *   POST /post/brev/{uuid}/flyt                 field mappe=inbox|deleted|f<id>: move
 *   POST /post/brev/{uuid}/marker               field marker=1|0: flag or clear the flag
 *   GET  /post/brev/{uuid}/aftale/{n}           appointment n as .ics (post_actions.c)
 *   GET|POST /post/brev/{uuid}/videresend       forward (post_forward.c)
 *   /post/mapper...                             the own folders (post_tree.c)
 *   POST /post/brev/{uuid}/slet-endeligt        delete permanently (only from "deleted")
 *   GET  /post/brev/{uuid}/svar, POST same      reply (post_letter.c)
 *   /post/adgang..., /post/postkasse, /post/aktivitet   helpers' access, the mailbox
 *        switcher, the activity log (post_access.c)
 *
 * All state lives in the hub's mailbox domain (hub/mailbox_view.h, hub/mailbox_folders.h,
 * hub/mailbox_send.h); nothing here writes SQL.
 */
#include "web/post.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "hub/hub.h"
#include "hub/mailbox_folders.h"
#include "hub/mailbox_tree.h"
#include "identity/authz.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "web/i18n.h"
#include "web/logo.h"
#include "web/post_write.h"
#include "web/who.h"

#define PAGE KV_ROUTE_PAGE

/* The mailbox's routes, each with the access key the request gate decides on through the one
 * authorisation table (identity/authz.c) before the handler runs; kv__post_begin relies on that
 * decision (kv_web_gate_admitted) for the matched route, so the key is written only here. */
const struct kv_http_route kv_web_post_routes[] = {
    {"GET", "/post/", kv__post_folder, "web_post", PAGE, KV_ACCESS_MAILBOX},
    {"GET", "/post/brev/{id}", kv__post_letter, "web_post_letter", PAGE, KV_ACCESS_MAILBOX},
    {"GET", "/post/brev/{id}/fil/{n}", kv__post_file, "web_post_file", PAGE, KV_ACCESS_MAILBOX},
    {"POST", "/post/brev/{id}/ulaest", kv__post_unread, "web_post_unread", PAGE,
     KV_ACCESS_MAILBOX},
    {"POST", "/post/brev/{id}/flyt", kv__post_move, "web_post_move", PAGE, KV_ACCESS_MAILBOX},
    {"POST", "/post/brev/{id}/slet-endeligt", kv__post_purge, "web_post_purge", PAGE,
     KV_ACCESS_MAILBOX_WRITE},
    {"GET", "/post/brev/{id}/svar", kv__post_reply_form, "web_post_reply", PAGE,
     KV_ACCESS_MAILBOX_WRITE},
    {"POST", "/post/brev/{id}/svar", kv__post_reply_send, "web_post_reply_send", PAGE,
     KV_ACCESS_MAILBOX_WRITE},
    {"GET", "/post/adgang", kv__post_access, "web_post_access", PAGE, KV_ACCESS_CITIZEN},
    {"GET", "/post/adgang/anmod", kv__post_ask_form, "web_post_ask", PAGE, KV_ACCESS_CITIZEN},
    {"POST", "/post/adgang/anmod", kv__post_ask_send, "web_post_ask_send", PAGE,
     KV_ACCESS_CITIZEN},
    {"POST", "/post/adgang/anmodning/{id}/godkend", kv__post_access_approve,
     "web_post_access_approve", PAGE, KV_ACCESS_MAILBOX_OWNER},
    {"POST", "/post/adgang/anmodning/{id}/afvis", kv__post_access_reject,
     "web_post_access_reject", PAGE, KV_ACCESS_MAILBOX_OWNER},
    {"POST", "/post/adgang/{id}/ophaev", kv__post_access_revoke, "web_post_access_revoke", PAGE,
     KV_ACCESS_CITIZEN},
    {"POST", "/post/postkasse", kv__post_switch, "web_post_switch", PAGE, KV_ACCESS_SIGNED_IN},
    {"GET", "/post/aktivitet", kv__post_activity, "web_post_activity", PAGE, KV_ACCESS_MAILBOX},
    {"POST", "/post/brev/{id}/marker", kv__post_flag, "web_post_flag", PAGE, KV_ACCESS_MAILBOX},
    {"GET", "/post/brev/{id}/aftale/{n}", kv__post_ics, "web_post_ics", PAGE, KV_ACCESS_MAILBOX},
    {"GET", "/post/brev/{id}/videresend", kv__post_forward_form, "web_post_forward", PAGE,
     KV_ACCESS_MAILBOX_FORWARD},
    {"POST", "/post/brev/{id}/videresend", kv__post_forward_send, "web_post_forward_send", PAGE,
     KV_ACCESS_MAILBOX_FORWARD},
    {"GET", "/post/mapper", kv__post_folders, "web_post_folders", PAGE, KV_ACCESS_MAILBOX_FOLDERS},
    {"POST", "/post/mapper", kv__post_folder_create, "web_post_folder_create", PAGE,
     KV_ACCESS_MAILBOX_FOLDERS},
    {"POST", "/post/mapper/{id}", kv__post_folder_update, "web_post_folder_update", PAGE,
     KV_ACCESS_MAILBOX_FOLDERS},
    {"POST", "/post/mapper/{id}/slet", kv__post_folder_delete, "web_post_folder_delete", PAGE,
     KV_ACCESS_MAILBOX_FOLDERS},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

int kv__post_owner(const struct kv_principal *p, struct kv_mbox_owner *owner)
{
    memset(owner, 0, sizeof(*owner));
    if (p->kind == KV_PRINCIPAL_CITIZEN && p->mbox_id[0]) {
        /* a helper in the mailbox they switched to (who.c re-checked the access) */
        snprintf(owner->type, sizeof(owner->type), "%s", p->mbox_type);
        snprintf(owner->id, sizeof(owner->id), "%s", p->mbox_id);
        snprintf(owner->rep_cpr, sizeof(owner->rep_cpr), "%s", p->cpr);
        snprintf(owner->rep_name, sizeof(owner->rep_name), "%s", p->name);
    } else if (p->kind == KV_PRINCIPAL_CITIZEN && p->cpr[0]) {
        snprintf(owner->type, sizeof(owner->type), "CPR");
        snprintf(owner->id, sizeof(owner->id), "%s", p->cpr);
    } else if ((p->kind == KV_PRINCIPAL_EMPLOYEE || p->kind == KV_PRINCIPAL_COMPANY_USER) &&
               p->org_cvr[0]) {
        snprintf(owner->type, sizeof(owner->type), "CVR");
        snprintf(owner->id, sizeof(owner->id), "%s", p->org_cvr);
    } else {
        return KV_EPERM;
    }
    return 0;
}

int kv__post_begin(struct kv__post *pp, struct kv_http_req *req, struct kv_http_resp *resp,
                   unsigned flags)
{
    struct kv_err err = {0, ""};
    const struct kv_principal *p;
    char csrf[96];

    memset(pp, 0, sizeof(*pp));
    kv_web_ctx_init(&pp->ctx, req, resp);
    if (!kv_web_require_signin(&pp->ctx))
        return 0;
    p = &pp->ctx.principal;
    /* admitted by the request gate on this route's key (the one decision); decided here
     * only when reached without it */
    if (!kv_web_gate_admitted(req, req->route ? req->route->access : NULL) &&
        kv_authz_decide(p, req->route ? req->route->access : NULL, NULL) != KV_AUTHZ_ALLOW) {
        kv_web_error(&pp->ctx, 403);
        return 0;
    }
    if (kv__post_owner(p, &pp->owner) < 0) {
        kv_web_error(&pp->ctx, 403);
        return 0;
    }
    if (flags & KV__POST_FORM) {
        if (kv_web_form_get(req->body, req->body_len, "csrf", csrf, sizeof(csrf)) < 0 ||
            !kv_web_csrf_ok(&pp->ctx.sess, csrf)) {
            kv_web_error(&pp->ctx, 403);
            return 0;
        }
    }
    if (kv_db_acquire(req->hub->store, &pp->db, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_web_error(&pp->ctx, 500);
        return 0;
    }
    if ((p->kind == KV_PRINCIPAL_EMPLOYEE || p->kind == KV_PRINCIPAL_COMPANY_USER) &&
        strcmp(pp->owner.type, "CVR") == 0) {
        /* an employee whose MESSAGE_BASIC names contact groups or points sees their letters
         * only: every list, count and letter below is narrowed (hub/mailbox_view.h) */
        struct kv_mailbox_scope scope;
        size_t i;

        if (kv_rights_mailbox_scope(pp->db, p->person_id, pp->owner.id, kv_clock_now_ms(),
                                    &scope, &err) < 0) {
            kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
            kv_web_error(&pp->ctx, 500);
            return 0;
        }
        pp->owner.narrowed = scope.narrowed;
        for (i = 0; i < scope.n && i < KV_MBOX_POINTS_MAX; i++)
            snprintf(pp->owner.points[i], sizeof(pp->owner.points[i]), "%s", scope.points[i]);
        pp->owner.n_points = i;
    }
    return 1;
}

int kv__post_may_write(const struct kv__post *pp)
{
    return kv_authz_decide(&pp->ctx.principal, KV_ACCESS_MAILBOX_WRITE, NULL) == KV_AUTHZ_ALLOW;
}

int kv__post_may_organise(const struct kv__post *pp)
{
    return kv_authz_decide(&pp->ctx.principal, KV_ACCESS_MAILBOX_FOLDERS, NULL) == KV_AUTHZ_ALLOW;
}

int kv__post_may_forward(const struct kv__post *pp)
{
    return kv_authz_decide(&pp->ctx.principal, KV_ACCESS_MAILBOX_FORWARD, NULL) == KV_AUTHZ_ALLOW;
}

void kv__post_end(struct kv__post *pp)
{
    if (pp->db)
        kv_db_release(pp->db);
    pp->db = NULL;
    kv_web_ctx_release(&pp->ctx);
}

int kv__post_found(struct kv__post *pp, int rc, const struct kv_err *err)
{
    if (rc >= 0)
        return 1;
    if (rc == KV_ENOTFOUND) {
        kv_web_error(&pp->ctx, 404);
        return 0;
    }
    kv_log(KV_LOG_ERROR, "%s: %s", pp->ctx.req->request_id, err->msg);
    kv_web_error(&pp->ctx, 500);
    return 0;
}

void kv__post_field(const struct kv__post *pp, const char *name, char *out, size_t n)
{
    const struct kv_http_req *req = pp->ctx.req;

    if (kv_web_form_get(req->body, req->body_len, name, out, n) < 0)
        out[0] = '\0';
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void kv__post_time(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    int64_t off;

    if (ms <= 0 || !gmtime_r(&t, &tm)) {
        snprintf(out, n, "–");
        return;
    }
    /* Copenhagen's offset on that day: UTC midnight minus Copenhagen midnight. */
    off = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400000 -
          kv_clock_copenhagen_midnight_ms(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    if (off < 0 || off > 4 * 3600000)
        off = 0;
    t = (time_t)((ms + off) / 1000);
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, n, "–");
        return;
    }
    strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

/* ---- the folder view ---- */

struct folder {
    const char *key, *msgid;
};

static const struct folder FOLDERS[] = {
    {KV_MBOX_FOLDER_INBOX, N_("Inbox")},
    {KV_MBOX_FOLDER_SENT, N_("Sent")},
    {KV_MBOX_FOLDER_DELETED, N_("Deleted")},
};

static void nav_item(struct kv_html *h, const char *key, const char *label, int is_msgid,
                     int64_t total, int64_t unread, int cur)
{
    if (cur)
        kv_html(h, "<li class=\"active current\"><a href=\"/post/?mappe=%q\" "
                   "aria-current=\"page\">",
                key);
    else
        kv_html(h, "<li><a href=\"/post/?mappe=%q\">", key);
    if (is_msgid)
        kv_html(h, "%m", label);
    else
        kv_html(h, "%t", label);
    kv_html(h, " <span class=\"folder-count\">(%D", total);
    if (unread)
        kv_html(h, ", %D %m", unread, N_("unread"));
    kv_html(h, ")</span></a>");
}

/* The folder navigation: inbox, the owner's own folders as a nested tree, sent, deleted, each
 * with its counts (rows kept by triggers, never counted here). */
static void folder_nav(struct kv__post *pp, const char *current, const struct kv_mbox_counts *c,
                       const struct kv_mbox_folder *own, size_t n_own)
{
    struct kv_html *h = &pp->ctx.h;
    size_t i;
    int depth = 1, d;
    char key[24];

    kv_html(h, "<nav aria-label=\"%m\"><ul class=\"sidenav-list\">\n", N_("Folders"));
    nav_item(h, KV_MBOX_FOLDER_INBOX, N_("Inbox"), 1, c->inbox, c->inbox_unread,
             strcmp(current, KV_MBOX_FOLDER_INBOX) == 0);
    kv_html(h, "</li>\n");
    for (i = 0; i < n_own; i++) {
        kv_mbox_folder_key(own[i].id, key);
        if (own[i].depth > depth) { /* one level deeper: a sub-list inside the open item */
            kv_html(h, "<ul class=\"sidenav-sub_list\">\n");
            depth++;
        } else {
            kv_html(h, "</li>\n");
            for (d = depth; d > own[i].depth; d--)
                kv_html(h, "</ul></li>\n");
            depth = own[i].depth;
        }
        nav_item(h, key, own[i].name, 0, own[i].total, own[i].unread,
                 strcmp(current, key) == 0);
    }
    if (n_own) {
        kv_html(h, "</li>\n");
        for (d = depth; d > 1; d--)
            kv_html(h, "</ul></li>\n");
    }
    nav_item(h, KV_MBOX_FOLDER_SENT, N_("Sent"), 1, c->sent, 0,
             strcmp(current, KV_MBOX_FOLDER_SENT) == 0);
    kv_html(h, "</li>\n");
    nav_item(h, KV_MBOX_FOLDER_DELETED, N_("Deleted"), 1, c->deleted, c->deleted_unread,
             strcmp(current, KV_MBOX_FOLDER_DELETED) == 0);
    kv_html(h, "</li>\n");
    kv__post_drafts_nav(pp, 0); /* post_drafts.c */
    kv_html(h, "</ul></nav>\n");
    if (kv__post_may_organise(pp))
        kv_html(h, "<p class=\"mt-4\"><a href=\"/post/mapper\">%m</a></p>\n",
                N_("Manage your folders"));
}

int kv__post_day(const char *s, int end, int64_t *out_ms)
{
    int y, m, d;
    char tail;

    *out_ms = 0;
    if (!s || !*s)
        return 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        kv_rights_parse_until(s, out_ms) < 0 || y < 1970)
        return KV_EINVAL;
    if (!end) /* the midnight that starts the day, Copenhagen time */
        *out_ms = kv_clock_copenhagen_midnight_ms(y, m, d);
    return 0;
}

int kv__post_folder(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_html *h;
    struct kv_err err = {0, ""};
    struct kv_mbox_counts counts;
    struct kv_mbox_query q;
    struct kv_mbox_folder *own = NULL;
    size_t n_own = 0;
    const char *key = KV_MBOX_FOLDER_INBOX, *title = N_("Inbox");
    const char *own_title = NULL;
    const char *mappe = kv_http_req_query(req, "mappe");
    const char *text = kv_http_req_query(req, "q");
    const char *cursor = kv_http_req_query(req, "side");
    const char *fra = kv_http_req_query(req, "fra"), *til = kv_http_req_query(req, "til");
    const char *mk = kv_http_req_query(req, "markeret");
    json_t *list = NULL, *it;
    struct kv__web_logo_memo logos = {0};
    size_t i;
    int sent, filtered;

    if (!kv__post_begin(&pp, req, resp, 0))
        goto out;
    h = &pp.ctx.h;
    if (kv_mbox_counts(pp.db, &pp.owner, &counts, &err) < 0 ||
        kv_mbox_folders(pp.db, &pp.owner, &own, &n_own, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    if (mappe && *mappe) {
        int64_t fid;

        for (i = 0; i < sizeof(FOLDERS) / sizeof(FOLDERS[0]); i++)
            if (strcmp(FOLDERS[i].key, mappe) == 0) {
                key = FOLDERS[i].key;
                title = FOLDERS[i].msgid;
                break;
            }
        if (i == sizeof(FOLDERS) / sizeof(FOLDERS[0])) {
            if (kv_mbox_folder_parse(mappe, &fid) == 0)
                for (i = 0; i < n_own; i++)
                    if (own[i].id == fid)
                        own_title = own[i].name;
            if (!own_title) {
                kv_web_error(&pp.ctx, 404);
                goto out;
            }
            key = mappe;
        }
    }
    sent = strcmp(key, KV_MBOX_FOLDER_SENT) == 0;
    memset(&q, 0, sizeof(q));
    q.folder = key;
    q.unread = -1;
    q.limit = KV_MBOX_LIST_DEFAULT;
    q.cursor = cursor && *cursor ? cursor : NULL;
    q.text = text && *text ? text : NULL;
    q.flagged = mk && strcmp(mk, "1") == 0 && !sent;
    if (kv__post_day(fra, 0, &q.from_ms) < 0 || kv__post_day(til, 1, &q.to_ms) < 0 ||
        (q.to_ms && q.to_ms <= q.from_ms)) {
        kv_web_message(&pp.ctx, 400, N_("Search"),
                       N_("Give dates as YYYY-MM-DD, the first one not after the last one."));
        goto out;
    }
    filtered = q.text || q.flagged || q.from_ms || q.to_ms;
    if (kv_mbox_list(pp.db, &pp.owner, &q, &list, &err) < 0) {
        if (err.code == KV_EINVAL) {
            kv_web_error(&pp.ctx, 400);
        } else {
            kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
            kv_web_error(&pp.ctx, 500);
        }
        goto out;
    }
    kv_html(h, "<h1>%m</h1>\n<p>%m <strong>%t %t</strong></p>\n", N_("Post"),
            N_("Mailbox:"), pp.owner.type, pp.owner.id);
    if (pp.owner.rep_cpr[0])
        kv_html(h, "<div class=\"alert alert-info\" role=\"status\"><div class=\"alert-body\">"
                   "<p class=\"alert-text\">%m</p></div></div>\n",
                kv__post_may_write(&pp)
                    ? N_("You are reading another person's post with read and write access.")
                    : N_("You are reading another person's post with read access."));
    kv__post_switcher(&pp);
    kv_html(h, "<p class=\"post-links\"><a href=\"/post/aktivitet\">%m</a>",
            N_("Activity in the mailbox"));
    if (pp.ctx.principal.kind == KV_PRINCIPAL_CITIZEN)
        kv_html(h, " · <a href=\"/post/adgang\">%m</a>", N_("Access to post"));
    kv_html(h, " · <a href=\"/post/indstillinger/\">%m</a>", N_("Notifications"));
    if (kv__post_may_write(&pp)) /* writing and drafts: post_write.c */
        kv_html(h, " · <a href=\"/post/skriv\">%m</a>", N_("Write a letter"));
    kv_html(h, "</p>\n");
    kv_html(h, "<div class=\"row\"><div class=\"col-12 col-lg-3\">\n");
    folder_nav(&pp, key, &counts, own, n_own);
    kv_html(h, "</div><div class=\"col-12 col-lg-9\">\n");
    if (own_title)
        kv_html(h, "<h2>%t</h2>\n", own_title);
    else
        kv_html(h, "<h2>%m</h2>\n", title);
    kv_html(h,
            "<form method=\"get\" action=\"/post/\" role=\"search\" class=\"mb-5\">"
            "<input type=\"hidden\" name=\"mappe\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"post-q\">%m</label>"
            "<span class=\"form-hint\" id=\"post-q-hint\">%m</span>"
            "<input class=\"form-input\" type=\"search\" id=\"post-q\" name=\"q\" value=\"%a\" "
            "maxlength=\"200\" aria-describedby=\"post-q-hint\"></div>",
            key, N_("Search"),
            sent ? N_("Words in the title or the recipient's name")
                 : N_("Words in the title or the sender's name"),
            q.text ? q.text : "");
    kv_html(h,
            "<fieldset class=\"mb-4\"><legend class=\"form-label\">%m</legend>"
            "<div class=\"form-group inline-form\"><label class=\"form-label\" for=\"post-fra\">"
            "%m</label><input class=\"form-input\" type=\"date\" id=\"post-fra\" name=\"fra\" "
            "value=\"%a\"></div> "
            "<div class=\"form-group inline-form\"><label class=\"form-label\" for=\"post-til\">"
            "%m</label><input class=\"form-input\" type=\"date\" id=\"post-til\" name=\"til\" "
            "value=\"%a\"></div></fieldset>",
            sent ? N_("Sent between") : N_("Received between"), N_("From date"),
            fra ? fra : "", N_("To date (including)"), til ? til : "");
    if (!sent) {
        kv_html(h, "<div class=\"form-group\"><ul class=\"nobullet-list\"><li>"
                   "<input id=\"post-markeret\" type=\"checkbox\" name=\"markeret\" value=\"1\" "
                   "class=\"form-checkbox\"");
        if (q.flagged)
            kv_html(h, " checked");
        kv_html(h, "><label for=\"post-markeret\">%m</label></li></ul></div>",
                N_("Only flagged letters"));
    }
    kv_html(h, "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
            N_("Search"));
    if (json_array_size(json_object_get(list, "items")) == 0) {
        /* a search page ends after a bounded number of letters read (mailbox_view.h): none
         * of those matched, but later pages may */
        if (filtered && json_is_string(json_object_get(list, "nextCursor")))
            kv_html(h, "<p>%m</p>\n",
                    N_("None of the letters searched so far match. The search goes on at "
                       "\"Next page\"."));
        else
            kv_html(h, "<p>%m</p>\n", filtered ? N_("No letters match the search.")
                                               : N_("There are no letters here."));
    } else {
        kv_html(h, "<div class=\"table--responsive-scroll\"><table class=\"table table--zebra\">"
                   "<caption>");
        if (own_title)
            kv_html(h, "%t", own_title);
        else
            kv_html(h, "%m", title);
        kv_html(h,
                "</caption><thead><tr><th scope=\"col\">%m</th>"
                "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
                "</tr></thead><tbody>\n",
                N_("Title"), sent ? N_("To") : N_("From"), N_("Date"),
                N_("Status"));
        json_array_foreach(json_object_get(list, "items"), i, it)
        {
            const char *uuid = json_string_value(json_object_get(it, "messageUUID"));
            const char *label = json_string_value(json_object_get(it, "label"));
            json_t *who = json_object_get(it, sent ? "recipient" : "sender");
            const char *wl = json_string_value(json_object_get(who, "label"));
            const char *at = json_string_value(json_object_get(it, "availableAt"));
            int read = json_is_true(json_object_get(it, "read"));
            int flag = json_is_true(json_object_get(it, "flag"));
            char when[32] = "–";
            int64_t ms;

            if (at && kv_clock_parse_utc(at, &ms) == 0)
                kv__post_time(ms, when, sizeof(when));
            if (!wl || !*wl)
                wl = json_string_value(json_object_get(who, "id"));
            if (read)
                kv_html(h, "<tr><td><a href=\"/post/brev/%q\">%t</a></td>", uuid ? uuid : "",
                        label);
            else
                kv_html(h, "<tr class=\"unread\"><td><a href=\"/post/brev/%q\"><strong>%t"
                           "</strong></a></td>",
                        uuid ? uuid : "", label);
            kv_html(h, "<td>");
            if (!sent) /* the sending organisation's logo beside its name */
                kv__web_logo_img_memo(h, pp.db, json_string_value(json_object_get(who, "id")),
                                      &logos);
            kv_html(h, "%t</td><td>%t</td><td>%m", wl, when, read ? N_("Read") : N_("Unread"));
            if (flag)
                kv_html(h, " · <span class=\"letter-flag\">&#9873; %m</span>", N_("Flagged"));
            kv_html(h, "</td></tr>\n");
        }
        kv_html(h, "</tbody></table></div>\n");
    }
    {
        const char *next = json_string_value(json_object_get(list, "nextCursor"));

        if (next || q.cursor) {
            kv_html(h, "<nav aria-label=\"%m\" class=\"pagination\"><ul class=\"nobullet-list\">",
                    N_("Pages"));
            if (q.cursor)
                kv_html(h, "<li><a href=\"/post/?mappe=%q&amp;q=%q&amp;fra=%q&amp;til=%q"
                           "&amp;markeret=%q\">%m</a></li>",
                        key, q.text ? q.text : "", fra ? fra : "", til ? til : "",
                        q.flagged ? "1" : "", N_("First page"));
            if (next)
                kv_html(h, "<li><a href=\"/post/?mappe=%q&amp;q=%q&amp;side=%q&amp;fra=%q"
                           "&amp;til=%q&amp;markeret=%q\">%m</a></li>",
                        key, q.text ? q.text : "", next, fra ? fra : "", til ? til : "",
                        q.flagged ? "1" : "", N_("Next page"));
            kv_html(h, "</ul></nav>\n");
        }
    }
    kv_html(h, "</div></div>\n");
    kv_web_page_end(&pp.ctx, 200, N_("Post"));
out:
    free(own);
    json_decref(list);
    kv__post_end(&pp);
    return 0;
}

/* ---- forms that change one letter ---- */

/* Loads the letter of the path for pp's owner; 404 page when it is not theirs or not there. */
static int letter_of(struct kv__post *pp, struct kv_mbox_letter *l)
{
    struct kv_err err = {0, ""};
    int rc = kv_mbox_letter_load(pp->db, &pp->owner, pp->ctx.req->params[0], 0, l, &err);

    return kv__post_found(pp, rc, &err);
}

enum change { CH_UNREAD, CH_MOVE, CH_PURGE, CH_FLAG };

static int change(struct kv_http_req *req, struct kv_http_resp *resp, enum change what)
{
    struct kv__post pp;
    struct kv_mbox_letter l;
    struct kv_err err = {0, ""};
    char folder[24], back[128], on[4];
    int rc = 0;

    memset(&l, 0, sizeof(l));
    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM) || !letter_of(&pp, &l))
        goto out;
    switch (what) {
    case CH_UNREAD:
        rc = kv_mbox_mark_unread(pp.db, &pp.owner, &l, &err);
        snprintf(back, sizeof(back), "/post/?mappe=%s", l.folder);
        break;
    case CH_MOVE:
        kv__post_field(&pp, "mappe", folder, sizeof(folder));
        rc = kv_mbox_move(pp.db, &pp.owner, &l, folder, &err);
        snprintf(back, sizeof(back), "/post/?mappe=%s", l.folder);
        break;
    case CH_PURGE:
        rc = kv_mbox_purge(pp.db, &pp.owner, &l, &err);
        snprintf(back, sizeof(back), "/post/?mappe=deleted");
        break;
    case CH_FLAG:
        kv__post_field(&pp, "marker", on, sizeof(on));
        rc = strcmp(on, "1") == 0 || strcmp(on, "0") == 0
                 ? kv_mbox_flag(pp.db, &pp.owner, &l, on[0] == '1', &err)
                 : kv_err_set(&err, KV_EINVAL, "marker must be 1 or 0");
        snprintf(back, sizeof(back), "/post/brev/%s", l.message_uuid);
        break;
    }
    if (rc == KV_EINVAL || rc == KV_ECONFLICT) {
        kv_web_error(&pp.ctx, 400);
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    kv_web_redirect(&pp.ctx, back);
out:
    kv_mbox_letter_release(&l);
    kv__post_end(&pp);
    return 0;
}

int kv__post_unread(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return change(req, resp, CH_UNREAD);
}

int kv__post_move(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return change(req, resp, CH_MOVE);
}

int kv__post_purge(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return change(req, resp, CH_PURGE);
}

int kv__post_flag(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return change(req, resp, CH_FLAG);
}

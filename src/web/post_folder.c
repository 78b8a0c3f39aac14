/* SPDX-License-Identifier: MIT
 *
 * post_folder.c: the mailbox at /post/ -- its route table (each route with its access key,
 * the key identity/authz.c decides on), the shared start of every mailbox page
 * (kv__post_begin, see post.h), the folder view and the small forms that change a letter:
 *
 *   GET  /post/?mappe=inbox|sent|deleted&q=TEXT&side=CURSOR   a folder, newest first, with
 *        counts per folder, search in title and sender, and paging
 *   GET  /post/brev/{uuid}                      a letter (post_letter.c)
 *   GET  /post/brev/{uuid}/fil/{n}[?vis=1]      file n of the letter (post_letter.c)
 *   POST /post/brev/{uuid}/ulaest               mark unread again
 *   POST /post/brev/{uuid}/flyt                 field mappe=inbox|deleted: delete or restore
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
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "hub/hub.h"
#include "hub/mailbox_folders.h"
#include "identity/authz.h"
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
    return 1;
}

int kv__post_may_write(const struct kv__post *pp)
{
    return kv_authz_decide(&pp->ctx.principal, KV_ACCESS_MAILBOX_WRITE, NULL) == KV_AUTHZ_ALLOW;
}

void kv__post_end(struct kv__post *pp)
{
    if (pp->db)
        kv_db_release(pp->db);
    pp->db = NULL;
    kv_web_ctx_release(&pp->ctx);
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

static void folder_nav(struct kv__post *pp, const char *current, const struct kv_mbox_counts *c)
{
    struct kv_html *h = &pp->ctx.h;
    size_t i;

    kv_html(h, "<nav aria-label=\"%m\"><ul class=\"sidenav-list\">\n", N_("Folders"));
    for (i = 0; i < sizeof(FOLDERS) / sizeof(FOLDERS[0]); i++) {
        const struct folder *f = &FOLDERS[i];
        int64_t total = i == 0 ? c->inbox : i == 1 ? c->sent : c->deleted;
        int64_t unread = i == 0 ? c->inbox_unread : i == 1 ? 0 : c->deleted_unread;
        int cur = strcmp(f->key, current) == 0;

        if (cur)
            kv_html(h, "<li class=\"active current\"><a href=\"/post/?mappe=%q\" "
                       "aria-current=\"page\">",
                    f->key);
        else
            kv_html(h, "<li><a href=\"/post/?mappe=%q\">", f->key);
        kv_html(h, "%m <span class=\"folder-count\">(%D", f->msgid, total);
        if (unread)
            kv_html(h, ", %D %m", unread, N_("unread"));
        kv_html(h, ")</span></a></li>\n");
    }
    kv__post_drafts_nav(pp, 0); /* post_drafts.c */
    kv_html(h, "</ul></nav>\n");
}

int kv__post_folder(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_html *h;
    struct kv_err err = {0, ""};
    struct kv_mbox_counts counts;
    struct kv_mbox_query q;
    const struct folder *f = &FOLDERS[0];
    const char *mappe = kv_http_req_query(req, "mappe");
    const char *text = kv_http_req_query(req, "q");
    const char *cursor = kv_http_req_query(req, "side");
    json_t *list = NULL, *it;
    size_t i;
    int sent;

    if (!kv__post_begin(&pp, req, resp, 0))
        goto out;
    h = &pp.ctx.h;
    if (mappe && *mappe) {
        for (i = 0; i < sizeof(FOLDERS) / sizeof(FOLDERS[0]); i++)
            if (strcmp(FOLDERS[i].key, mappe) == 0)
                break;
        if (i == sizeof(FOLDERS) / sizeof(FOLDERS[0])) {
            kv_web_error(&pp.ctx, 404);
            goto out;
        }
        f = &FOLDERS[i];
    }
    sent = strcmp(f->key, KV_MBOX_FOLDER_SENT) == 0;
    memset(&q, 0, sizeof(q));
    q.folder = f->key;
    q.unread = -1;
    q.limit = KV_MBOX_LIST_DEFAULT;
    q.cursor = cursor && *cursor ? cursor : NULL;
    q.text = text && *text ? text : NULL;
    if (kv_mbox_counts(pp.db, &pp.owner, &counts, &err) < 0 ||
        kv_mbox_list(pp.db, &pp.owner, &q, &list, &err) < 0) {
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
    folder_nav(&pp, f->key, &counts);
    kv_html(h, "</div><div class=\"col-12 col-lg-9\">\n<h2>%m</h2>\n", f->msgid);
    kv_html(h,
            "<form method=\"get\" action=\"/post/\" role=\"search\" class=\"mb-5\">"
            "<input type=\"hidden\" name=\"mappe\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"post-q\">%m</label>"
            "<span class=\"form-hint\" id=\"post-q-hint\">%m</span>"
            "<input class=\"form-input\" type=\"search\" id=\"post-q\" name=\"q\" value=\"%a\" "
            "maxlength=\"200\" aria-describedby=\"post-q-hint\"></div>"
            "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
            f->key, N_("Search"),
            sent ? N_("Words in the title or the recipient's name")
                 : N_("Words in the title or the sender's name"),
            q.text ? q.text : "", N_("Search"));
    if (json_array_size(json_object_get(list, "items")) == 0) {
        kv_html(h, "<p>%m</p>\n",
                q.text ? N_("No letters match the search.") : N_("There are no letters here."));
    } else {
        kv_html(h,
                "<div class=\"table--responsive-scroll\"><table class=\"table table--zebra\">"
                "<caption>%m</caption><thead><tr><th scope=\"col\">%m</th>"
                "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
                "</tr></thead><tbody>\n",
                f->msgid, N_("Title"), sent ? N_("To") : N_("From"), N_("Date"),
                N_("Status"));
        json_array_foreach(json_object_get(list, "items"), i, it)
        {
            const char *uuid = json_string_value(json_object_get(it, "messageUUID"));
            const char *label = json_string_value(json_object_get(it, "label"));
            json_t *who = json_object_get(it, sent ? "recipient" : "sender");
            const char *wl = json_string_value(json_object_get(who, "label"));
            const char *at = json_string_value(json_object_get(it, "availableAt"));
            int read = json_is_true(json_object_get(it, "read"));
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
                kv__web_logo_img(h, pp.db, json_string_value(json_object_get(who, "id")));
            kv_html(h, "%t</td><td>%t</td><td>%m</td></tr>\n", wl, when,
                    read ? N_("Read") : N_("Unread"));
        }
        kv_html(h, "</tbody></table></div>\n");
    }
    {
        const char *next = json_string_value(json_object_get(list, "nextCursor"));

        if (next || q.cursor) {
            kv_html(h, "<nav aria-label=\"%m\" class=\"pagination\"><ul class=\"nobullet-list\">",
                    N_("Pages"));
            if (q.cursor)
                kv_html(h, "<li><a href=\"/post/?mappe=%q&amp;q=%q\">%m</a></li>", f->key,
                        q.text ? q.text : "", N_("First page"));
            if (next)
                kv_html(h, "<li><a href=\"/post/?mappe=%q&amp;q=%q&amp;side=%q\">%m</a></li>",
                        f->key, q.text ? q.text : "", next, N_("Next page"));
            kv_html(h, "</ul></nav>\n");
        }
    }
    kv_html(h, "</div></div>\n");
    kv_web_page_end(&pp.ctx, 200, N_("Post"));
out:
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

    if (rc == KV_ENOTFOUND) {
        kv_web_error(&pp->ctx, 404);
        return 0;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", pp->ctx.req->request_id, err.msg);
        kv_web_error(&pp->ctx, 500);
        return 0;
    }
    return 1;
}

enum change { CH_UNREAD, CH_MOVE, CH_PURGE };

static int change(struct kv_http_req *req, struct kv_http_resp *resp, enum change what)
{
    struct kv__post pp;
    struct kv_mbox_letter l;
    struct kv_err err = {0, ""};
    char folder[16], back[128];
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

/* SPDX-License-Identifier: MIT
 *
 * post_letter.c: one letter of the mailbox at /post/ (routes in post_folder.c): the letter
 * page (title, sender, dates, the main document and attachments, actions, the forms that
 * change it, the reply button only while replying is allowed), its files, and the reply form.
 *
 * Files are served with their own content type when it is a well-formed MIME type (else
 * application/octet-stream), X-Content-Type-Options: nosniff and a Content-Disposition with an
 * ASCII filename and the real one as RFC 6266/5987 filename*. Only PDF, plain text and HTML
 * are shown in the browser (?vis=1); HTML, and every other file, carries
 * Content-Security-Policy: sandbox (no scripts, a unique origin, nothing loaded), so the
 * sender's markup never runs on kuvert's origin. A plain-text main document is shown on the
 * letter page itself, escaped like any other text (html.h).
 */
#include "web/post.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "hub/mailbox_activity.h"
#include "hub/mailbox_folders.h"
#include "hub/mailbox_send.h"
#include "memo/model.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/problem.h"
#include "web/i18n.h"
#include "web/logo.h"

#define NOT_ANSWERABLE                                                                     \
    N_("This letter cannot be answered (replies are not allowed, or the reply deadline has "  \
       "passed).")
#define TEXT_INLINE_MAX 200000 /* a text main document larger than this is only downloaded */

/* Loads the path's letter (with its MeMo) for pp's owner; 404 page when not theirs. */
static int load(struct kv__post *pp, struct kv_mbox_letter *l, struct kv_memo_message **m)
{
    struct kv_err err = {0, ""};
    int rc = kv_mbox_letter_load(pp->db, &pp->owner, pp->ctx.req->params[0], 1, l, &err);

    if (rc == 0 && m)
        rc = kv_mbox_letter_model(l, 1, m, &err);
    return kv__post_found(pp, rc, &err);
}

/* 1 when the letter may be answered now: received, reply=true, before replyByDateTime. */
static int reply_open(const struct kv_mbox_letter *l, const struct kv_memo_message *m)
{
    int64_t by;

    if (l->sent || m->header.reply != KV_MEMO_BOOL_TRUE)
        return 0;
    if (!m->header.reply_by)
        return 1;
    return kv_clock_parse_utc(m->header.reply_by, &by) == 0 && kv_clock_now_ms() < by;
}

/* Lists the files of document d (numbered from *n on) with view/download links. */
static void files_list(struct kv__post *pp, const struct kv_memo_document *d, size_t *n)
{
    struct kv_html *h = &pp->ctx.h;
    const char *uuid = pp->ctx.req->params[0];
    size_t i;

    for (i = 0; i < d->n_files; i++, (*n)++) {
        const struct kv_memo_file *f = &d->files[i];
        const char *mime = f->encoding_format ? f->encoding_format : "";
        int viewable = strcmp(mime, "application/pdf") == 0 || strcmp(mime, "text/plain") == 0 ||
                       strcmp(mime, "text/html") == 0;

        kv_html(h, "<li><span class=\"filename\">%t</span> (%t, %D %m) ",
                f->filename ? f->filename : "", mime, (int64_t)f->size, N_("bytes"));
        if (viewable)
            kv_html(h, "<a href=\"/post/brev/%q/fil/%d?vis=1\">%m<span class=\"sr-only\"> %t"
                       "</span></a> · ",
                    uuid, (int)*n, N_("Show"), f->filename ? f->filename : "");
        kv_html(h, "<a href=\"/post/brev/%q/fil/%d\" download>%m<span class=\"sr-only\"> %t"
                   "</span></a></li>\n",
                uuid, (int)*n, N_("Download"), f->filename ? f->filename : "");
    }
}

/* The text of the main document's first file when it is plain text (escaped on the page). */
static void main_text(struct kv__post *pp, const struct kv_mbox_letter *l,
                      const struct kv_memo_message *m)
{
    unsigned char *data = NULL;
    char *mime = NULL, *name = NULL;
    size_t len = 0;
    struct kv_err err = {0, ""};
    const struct kv_memo_file *f;

    if (!m->body || m->body->main.n_files == 0)
        return;
    f = &m->body->main.files[0];
    if (!f->encoding_format || strcmp(f->encoding_format, "text/plain") != 0 ||
        f->size > TEXT_INLINE_MAX)
        return;
    if (kv_mbox_letter_file(l, 0, &data, &len, &mime, &name, &err) == 0) {
        char *text = malloc(len + 1);

        if (text) {
            memcpy(text, data, len);
            text[len] = '\0';
            kv_html(&pp->ctx.h, "<div class=\"letter-text\"><pre>%t</pre></div>\n", text);
            free(text);
        }
    }
    free(data);
    free(mime);
    free(name);
}

int kv__post_letter(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_mbox_letter l;
    struct kv_memo_message *m = NULL;
    struct kv_err err = {0, ""};
    struct kv_html *h;
    char when[32], read_at[32];
    const char *uuid = req->params[0];
    size_t n = 0, i;
    int first = 0;

    memset(&l, 0, sizeof(l));
    if (!kv__post_begin(&pp, req, resp, 0) || !load(&pp, &l, &m))
        goto out;
    h = &pp.ctx.h;
    if (pp.owner.rep_cpr[0] &&
        kv_mbox_log_representative_read(pp.db, &pp.owner, &l, &err) < 0)
        kv_log(KV_LOG_WARN, "%s: representative read not recorded: %s", req->request_id,
               err.msg);
    if (!l.sent && !l.read_ms) {
        if (kv_mbox_mark_read(pp.db, &pp.owner, &l, &first, &err) < 0)
            kv_log(KV_LOG_WARN, "%s: not marked read: %s", req->request_id, err.msg);
        else
            l.read_ms = kv_clock_now_ms();
    }
    /* forkyndelse: opening the letter is the legal notification (the owner's, or a helper's
     * on the owner's behalf); a failure is a 500, never a page that claims it happened */
    if (l.legal_notification &&
        kv_mbox_mark_legally_notified(pp.db, &pp.owner, &l, &l.legally_notified_ms, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: legal notification not recorded: %s", req->request_id,
               err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    kv__post_time(l.available_ms, when, sizeof(when));
    kv__post_time(l.read_ms, read_at, sizeof(read_at));
    kv_html(h, "<p><a href=\"/post/?mappe=%q\" class=\"back-link\">%m</a></p>\n", l.folder,
            N_("Back to the folder"));
    kv_html(h, "<h1>%t</h1>\n", l.label);
    if (l.legal_notification && l.legally_notified_ms) {
        char at[32];

        kv__post_time(l.legally_notified_ms, at, sizeof(at));
        kv_html(h, "<div class=\"alert alert-warning\" role=\"status\"><div class=\"alert-body\">"
                   "<p class=\"alert-heading\">%m</p><p class=\"alert-text\">%m "
                   "<strong>%t</strong></p></div></div>\n",
                N_("Legal notification (forkyndelse)"),
                N_("This letter is a legal notification. You were legally notified of it when "
                   "it was first opened:"),
                at);
    }
    kv_html(h, "<dl class=\"letter-meta\">");
    if (l.sent)
        kv_html(h, "<dt>%m</dt><dd>%t</dd>", N_("To"),
                m->header.recipient.label ? m->header.recipient.label
                                          : m->header.recipient.id);
    else {
        kv_html(h, "<dt>%m</dt><dd>", N_("From"));
        kv__web_logo_img(h, pp.db, l.sender_cvr); /* the sender's logo, if it has one */
        kv_html(h, "%t</dd>", l.sender_label[0] ? l.sender_label : m->header.sender.label);
    }
    kv_html(h, "<dt>%m</dt><dd>%t</dd><dt>%m</dt><dd>%t</dd>", N_("Received"), when,
            N_("Read"), read_at);
    if (m->header.reply == KV_MEMO_BOOL_TRUE && m->header.reply_by) {
        int64_t by;
        char by_s[32] = "–";

        if (kv_clock_parse_utc(m->header.reply_by, &by) == 0)
            kv__post_time(by, by_s, sizeof(by_s));
        kv_html(h, "<dt>%m</dt><dd>%t</dd>", N_("Reply by"), by_s);
    }
    kv_html(h, "</dl>\n");
    /* actions on the letter */
    kv_html(h, "<div class=\"letter-actions mb-6\">");
    if (reply_open(&l, m) && kv__post_may_write(&pp))
        kv_html(h, "<a class=\"button button-primary\" href=\"/post/brev/%q/svar\">%m</a> ", uuid,
                N_("Reply"));
    if (!l.sent && kv__post_may_forward(&pp))
        kv_html(h, "<a class=\"button button-secondary\" href=\"/post/brev/%q/videresend\">%m"
                   "</a> ",
                uuid, N_("Forward"));
    if (!l.sent) {
        kv_html(h,
                "<form method=\"post\" action=\"/post/brev/%q/marker\" class=\"inline-form\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                "<input type=\"hidden\" name=\"marker\" value=\"%a\">"
                "<button class=\"button button-secondary\" type=\"submit\">%m</button></form> ",
                uuid, pp.ctx.sess.csrf, l.flagged ? "0" : "1",
                l.flagged ? N_("Remove the flag") : N_("Flag for follow-up"));
        kv_html(h,
                "<form method=\"post\" action=\"/post/brev/%q/ulaest\" class=\"inline-form\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                "<button class=\"button button-secondary\" type=\"submit\">%m</button></form> ",
                uuid, pp.ctx.sess.csrf, N_("Mark as unread"));
        kv_html(h,
                "<form method=\"post\" action=\"/post/brev/%q/flyt\" class=\"inline-form\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                "<input type=\"hidden\" name=\"mappe\" value=\"%a\">"
                "<button class=\"button button-secondary\" type=\"submit\">%m</button></form> ",
                uuid, pp.ctx.sess.csrf,
                strcmp(l.folder, KV_MBOX_FOLDER_DELETED) == 0 ? KV_MBOX_FOLDER_INBOX
                                                               : KV_MBOX_FOLDER_DELETED,
                strcmp(l.folder, KV_MBOX_FOLDER_DELETED) == 0 ? N_("Move back to the inbox")
                                                               : N_("Delete"));
        if (strcmp(l.folder, KV_MBOX_FOLDER_DELETED) == 0 && kv__post_may_write(&pp))
            kv_html(h,
                    "<form method=\"post\" action=\"/post/brev/%q/slet-endeligt\" "
                    "class=\"inline-form\"><input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                    "<button class=\"button button-secondary\" type=\"submit\">%m</button>"
                    "</form>",
                    uuid, pp.ctx.sess.csrf, N_("Delete permanently"));
    }
    kv_html(h, "</div>\n");
    if (l.flagged)
        kv_html(h, "<p class=\"letter-flag\">&#9873; %m</p>\n", N_("Flagged for follow-up"));
    kv__post_move_form(&pp, &l);
    main_text(&pp, &l, m);
    if (m->body) {
        kv_html(h, "<h2>%m</h2>\n<ul class=\"files\">\n", N_("Documents"));
        files_list(&pp, &m->body->main, &n);
        for (i = 0; i < m->body->n_additional; i++)
            files_list(&pp, &m->body->additional[i], &n);
        kv_html(h, "</ul>\n");
        kv__post_actions(&pp, m);
    }
    kv_web_page_end(&pp.ctx, 200, N_("Letter"));
out:
    kv_memo_message_free(m);
    kv_mbox_letter_release(&l);
    kv__post_end(&pp);
    return 0;
}

/* 1 when s is a MIME type of the shape type/subtype with token characters only. */
static int mime_ok(const char *s)
{
    const char *slash = strchr(s, '/');
    const char *p;

    if (!slash || slash == s || !slash[1] || strlen(s) > 100)
        return 0;
    for (p = s; *p; p++)
        if (p != slash && !isalnum((unsigned char)*p) && !strchr("!#$&-^_.+", *p))
            return 0;
    return 1;
}

void kv__post_disposition(struct kv_buf *b, const char *disp, const char *name)
{
    const unsigned char *p;

    kv_buf_printf(b, "%s; filename=\"", disp);
    for (p = (const unsigned char *)name; *p; p++)
        kv_buf_printf(b, "%c", (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' &&
                                *p != '%' && *p != ';')
                                   ? *p
                                   : '_');
    kv_buf_printf(b, "\"; filename*=UTF-8''");
    for (p = (const unsigned char *)name; *p; p++) {
        if (isalnum(*p) || strchr("!#$&+-.^_`|~", *p))
            kv_buf_printf(b, "%c", *p);
        else
            kv_buf_printf(b, "%%%02X", *p);
    }
}

int kv__post_file(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_mbox_letter l;
    struct kv_err err = {0, ""};
    struct kv_buf cd;
    unsigned char *data = NULL;
    char *mime = NULL, *name = NULL, type[128];
    const char *ns = req->params[1], *vis = kv_http_req_query(req, "vis");
    size_t len = 0, n = 0;
    int rc, show, pdf;

    memset(&l, 0, sizeof(l));
    kv_buf_init(&cd, 4096);
    if (!kv__post_begin(&pp, req, resp, 0) || !load(&pp, &l, NULL))
        goto out;
    if (!ns || !*ns || strlen(ns) > 4 || strspn(ns, "0123456789") != strlen(ns)) {
        kv_web_error(&pp.ctx, 404);
        goto out;
    }
    n = (size_t)atoi(ns);
    rc = kv_mbox_letter_file(&l, n, &data, &len, &mime, &name, &err);
    if (!kv__post_found(&pp, rc, &err))
        goto out;
    {
        size_t i;

        for (i = 0; mime[i]; i++)
            mime[i] = (char)tolower((unsigned char)mime[i]);
    }
    if (!mime_ok(mime))
        snprintf(type, sizeof(type), "application/octet-stream");
    else if (strncmp(mime, "text/", 5) == 0)
        snprintf(type, sizeof(type), "%s; charset=utf-8", mime);
    else
        snprintf(type, sizeof(type), "%s", mime);
    pdf = strcmp(mime, "application/pdf") == 0;
    show = vis && strcmp(vis, "1") == 0 &&
           (pdf || strcmp(mime, "text/plain") == 0 || strcmp(mime, "text/html") == 0);
    kv__post_disposition(&cd, show ? "inline" : "attachment", name);
    kv_http_resp_bytes(resp, 200, type, data, len);
    kv_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    kv_http_resp_header(resp, "Content-Disposition", cd.buf ? cd.buf : "attachment");
    kv_http_resp_header(resp, "Cache-Control", "no-store");
    kv_http_resp_header(resp, "Referrer-Policy", "no-referrer");
    kv_http_resp_header(resp, "X-Frame-Options", "DENY");
    /* The browser's PDF viewer does not run in a sandboxed document; everything else is
     * sandboxed: no scripts, no same-origin access, nothing fetched. */
    if (!pdf)
        kv_http_resp_header(resp, "Content-Security-Policy",
                            "sandbox; default-src 'none'; img-src data:; style-src "
                            "'unsafe-inline'; frame-ancestors 'none'");
    else
        kv_http_resp_header(resp, "Content-Security-Policy", "frame-ancestors 'none'");
out:
    free(data);
    free(mime);
    free(name);
    kv_buf_release(&cd);
    kv_mbox_letter_release(&l);
    kv__post_end(&pp);
    return 0;
}

/* ---- reply ---- */

static void reply_page(struct kv__post *pp, const struct kv_mbox_letter *l, int status,
                       const char *error, const char *text)
{
    struct kv_html *h = &pp->ctx.h;
    const char *uuid = pp->ctx.req->params[0];

    kv_html(h, "<p><a href=\"/post/brev/%q\" class=\"back-link\">%m</a></p>\n", uuid,
            N_("Back to the letter"));
    kv_html(h, "<h1>%m</h1>\n<p>%m <strong>%t</strong></p>\n", N_("Reply"), N_("Reply to:"),
            l->label);
    if (error)
        kv_html(h, "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                   "<p class=\"alert-text\">%t</p></div></div>\n",
                error);
    kv_html(h,
            "<form method=\"post\" action=\"/post/brev/%q/svar\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"reply-text\">%m</label>"
            "<textarea class=\"form-input\" id=\"reply-text\" name=\"text\" rows=\"10\" "
            "required maxlength=\"100000\">%t</textarea></div>"
            "<button class=\"button button-primary\" type=\"submit\">%m</button></form>\n",
            uuid, pp->ctx.sess.csrf, N_("Your reply"), text ? text : "", N_("Send reply"));
    kv_web_page_end(&pp->ctx, status, N_("Reply"));
}

int kv__post_reply_form(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_mbox_letter l;
    struct kv_memo_message *m = NULL;

    memset(&l, 0, sizeof(l));
    if (!kv__post_begin(&pp, req, resp, 0) || !load(&pp, &l, &m))
        goto out;
    if (!reply_open(&l, m)) {
        kv_web_message(&pp.ctx, 409, N_("Reply"), NOT_ANSWERABLE);
        goto out;
    }
    reply_page(&pp, &l, 200, NULL, NULL);
out:
    kv_memo_message_free(m);
    kv_mbox_letter_release(&l);
    kv__post_end(&pp);
    return 0;
}

int kv__post_reply_send(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_mbox_letter l;
    struct kv_mbox_draft d;
    struct kv_mbox_sent sent;
    struct kv_problem refusal;
    struct kv_err err = {0, ""};
    char *text = NULL, back[80];
    int rc;

    memset(&l, 0, sizeof(l));
    memset(&sent, 0, sizeof(sent));
    kv_problem_init(&refusal);
    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM) || !load(&pp, &l, NULL))
        goto out;
    text = malloc(KV_MBOX_SEND_TEXT_MAX + 1);
    if (!text || kv_web_form_get(req->body, req->body_len, "text", text,
                                 KV_MBOX_SEND_TEXT_MAX + 1) < 0 ||
        !text[0]) {
        if (text)
            text[0] = '\0';
        reply_page(&pp, &l, 400, kv_i18n_get(pp.ctx.lang, N_("Write a reply.")), NULL);
        goto out;
    }
    memset(&d, 0, sizeof(d));
    d.text = text;
    d.text_len = strlen(text);
    rc = kv_mbox_send_reply(req->hub, &pp.owner, l.message_uuid, &d, &sent, &refusal, &err);
    if (rc < 0 && refusal.kind) {
        const char *why = refusal.message; /* the hub's English sentence, as the API says it */

        if (strcmp(refusal.code, "REPLY_DEADLINE_PASSED") == 0 ||
            strcmp(refusal.code, "REPLY_NOT_ALLOWED") == 0)
            why = kv_i18n_get(pp.ctx.lang, NOT_ANSWERABLE);
        reply_page(&pp, &l, rc == KV_ENOTFOUND ? 404 : 409, why, text);
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: reply not sent: %s", req->request_id, err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    snprintf(back, sizeof(back), "/post/brev/%s", sent.uuid);
    kv_web_redirect(&pp.ctx, back);
out:
    free(text);
    kv_mbox_sent_release(&sent);
    kv_problem_release(&refusal);
    kv_mbox_letter_release(&l);
    kv__post_end(&pp);
    return 0;
}

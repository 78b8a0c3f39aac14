/* SPDX-License-Identifier: MIT
 *
 * testportal_letter.c: test messages in the Testportal (docs/testportal.md). The form builds a
 * MeMo letter (hub/testletter.h: title, test recipient, text or an uploaded PDF, attachments,
 * value date, reply allowed with a deadline, an action) and sends it through the real send path
 * (letters.h kv_letter_submit, the code behind POST /apis/v1/memos/) as a sender system of the
 * employee's own organisation, chosen in the form; a MeMo file can also be uploaded and sent as
 * it is. The page then shows the receipt (messageUUID, RECEIVED / NOT_ALLOWED) or the refusal
 * with every field error of the send path. Field errors of the form are shown next to their
 * fields (nothing is sent). Each letter sent is logged as TEST_MESSAGE_SENT with the employee
 * as actor, beside the send path's own events under the system.
 *
 *   GET  /testportal/brev/ny     the form
 *   POST /testportal/brev/ny     build and send (multipart/form-data)
 *   POST /testportal/brev/memo   send an uploaded MeMo file as is (multipart/form-data)
 */
#include "web/testportal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "http/multipart.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "hub/system_list.h"
#include "hub/testdata.h"
#include "hub/testletter.h"
#include "identity/authz.h"
#include "util/log.h"
#include "util/xmalloc.h"
#include "web/i18n.h"

#define ACCESS KV_ACCESS_TESTPORTAL
#define XML_MAX ((size_t)140 << 20)

static const char *const CODES[][2] = {
    {"INFORMATION", N_("Information")}, {"SELVBETJENING", N_("Self-service")},
    {"BETALING", N_("Payment")},        {"BEKRAEFT", N_("Confirm")},
    {"UNDERSKRIV", N_("Sign")},         {"TILMELDING", N_("Sign up")},
    {"FORBEREDELSE", N_("Preparation")}};

/* The form's field codes (hub/testletter.c) -> what the form says. */
static const struct {
    const char *code, *msg;
} MSGS[] = {
    {"NOT_A_TEST_RECIPIENT", N_("Give a test CPR number (10 digits, day of month 92 to 99) or a "
                                "test CVR number (8 digits starting with 0).")},
    {"INVALID_TITLE", N_("Give a title of at most 256 characters.")},
    {"TEXT_OR_PDF", N_("Give a text or a PDF, not both.")},
    {"NO_CONTENT", N_("Give a text or choose a PDF.")},
    {"TEXT_TOO_LONG", N_("The text may be at most 256 KB.")},
    {"NOT_A_PDF", N_("The file is not a PDF.")},
    {"EMPTY_FILE", N_("An attachment is empty.")},
    {"INVALID_DATE", N_("Give a date as YYYY-MM-DD (a reply deadline only when replies are "
                        "allowed).")},
    {"INVALID_ACTION", N_("An action needs a label and an https:// link.")},
    {"NO_SENDER_SYSTEM", N_("Choose one of your organisation's active sender systems.")},
    {"NO_FILE", N_("Choose a MeMo file.")},
};

enum { F_SYSTEM, F_RECIPIENT, F_TITLE, F_TEXT, F_PDF, F_ATT, F_VALUE, F_REPLYBY, F_ACTION, F_N };
static const char *const FIELD[F_N] = {"system", "recipient", "title",   "text",  "pdf",
                                       "attachments", "valueDate", "replyBy", "action"};
static const char *const CONTROL[F_N] = {"tl-system", "tl-recipient", "tl-title",
                                         "tl-text",   "tl-pdf",       "tl-att1",
                                         "tl-value",  "tl-replyby",   "tl-action-label"};

struct vals {
    char system[64], recipient[32], title[300], value[16], reply_by[16];
    char action_code[20], action_label[128], action_url[1100];
    char *text; /* owned */
    int reply;
    const char *err[F_N];
    const char *upload_err; /* the MeMo file form's one error */
};

static const char *msg_of(const char *code)
{
    size_t i;

    for (i = 0; i < sizeof(MSGS) / sizeof(MSGS[0]); i++)
        if (strcmp(code, MSGS[i].code) == 0)
            return MSGS[i].msg;
    return N_("This value is not accepted.");
}

/* A part of the multipart body (file or text): NULL and 0 when absent. */
static const char *part(struct kv_http_req *req, const char *name, size_t *len, char *type,
                        size_t type_len)
{
    const char *ct = kv_http_req_header(req, "Content-Type"), *d = NULL;
    struct kv_err err = {0, ""};
    char scratch[96];

    *len = 0;
    if (!type || !type_len) {
        type = scratch;
        type_len = sizeof(scratch);
    }
    type[0] = '\0';
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0 ||
        kv_http_multipart_part(ct, req->body, req->body_len, name, &d, len, type, type_len,
                               &err) < 0) {
        *len = 0;
        return NULL;
    }
    return d;
}

/* The sender system chosen: one of the organisation's active sender systems. */
static int sender_system(struct kv_web_portal_page *pg, const char *id, struct kv_system *sys)
{
    struct kv_system_summary s;

    if (!id[0] || kv_system_get_in_org(pg->db, pg->org, id, &s, NULL) < 0 ||
        strcmp(s.kind, "sender") != 0 || strcmp(s.status, "active") != 0)
        return -1;
    return kv_system_get(pg->db, s.id, sys, NULL);
}

static void systems_select(struct kv_web_portal_page *pg, const char *selected, const char *e)
{
    struct kv_html *h = &pg->ctx.h;
    struct kv_system_summary *s = kv_xcalloc(KV_SYSTEM_LIST_MAX, sizeof(*s));
    size_t n = 0, i;

    if (kv_system_list_org(pg->db, pg->org, s, KV_SYSTEM_LIST_MAX, &n, NULL) < 0)
        n = 0;
    kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"tl-system\">%m"
               "</label><span class=\"form-hint\" id=\"tl-system-hint\">%m</span>",
            e ? " form-error" : "", N_("Sender system"),
            N_("The letter is sent as this system of your organisation, through the same send "
               "path as POST /apis/v1/memos/."));
    if (e)
        kv_html(h, "<span class=\"form-error-message\" id=\"tl-system-error\"><span "
                   "class=\"sr-only\">%m: </span>%m</span>",
                N_("Error"), e);
    kv_html(h, "<select class=\"form-select\" id=\"tl-system\" name=\"system\" "
               "aria-describedby=\"tl-system-hint%t\"%t>",
            e ? " tl-system-error" : "", e ? " aria-invalid=\"true\"" : "");
    for (i = 0; i < n; i++)
        if (strcmp(s[i].kind, "sender") == 0 && strcmp(s[i].status, "active") == 0)
            kv_html(h, "<option value=\"%a\"%t>%t</option>", s[i].id,
                    strcasecmp(selected, s[i].id) == 0 ? " selected" : "", s[i].name);
    kv_html(h, "</select></div>\n");
    free(s);
}

static void file_input(struct kv_web_portal_page *pg, const char *id, const char *name,
                       const char *label, const char *hint, const char *accept, const char *e)
{
    struct kv_html *h = &pg->ctx.h;

    kv_web_field_open(h, id, label, hint, e); /* web.h: one markup */
    kv_html(h, "<input class=\"form-file-input\" type=\"file\" id=\"%a\" name=\"%a\" "
               "accept=\"%a\"",
            id, name, accept);
    kv_web_control_end(h, id, hint != NULL, e);
    kv_html(h, "</div>\n");
}

static void render(struct kv_web_portal_page *pg, const struct vals *v, int status)
{
    struct kv_html *h = &pg->ctx.h;
    const char *ids[F_N + 1], *msgs[F_N + 1];
    size_t n = 0, i;

    kv__tp_head(pg, N_("Send a test message"), KV__TP "/brev/ny");
    for (i = 0; i < F_N; i++)
        if (v->err[i]) {
            ids[n] = CONTROL[i];
            msgs[n++] = v->err[i];
        }
    if (v->upload_err) {
        ids[n] = "tm-file";
        msgs[n++] = v->upload_err;
    }
    kv__tp_error_summary(pg, ids, msgs, n);
    kv_html(h, "<form method=\"post\" action=\"" KV__TP "/brev/ny\" "
               "enctype=\"multipart/form-data\" novalidate>");
    kv__tp_csrf(pg);
    systems_select(pg, v->system, v->err[F_SYSTEM]);
    kv__tp_input(pg, "tl-recipient", "recipient", N_("Recipient"),
                 N_("A test CPR number (10 digits, day of month 92 to 99) or a test CVR number "
                    "(8 digits starting with 0)."),
                 v->recipient, v->err[F_RECIPIENT], "text", 10);
    kv__tp_input(pg, "tl-title", "title", N_("Title"), NULL, v->title, v->err[F_TITLE], "text",
                 256);
    kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"tl-text\">%m"
               "</label><span class=\"form-hint\" id=\"tl-text-hint\">%m</span>",
            v->err[F_TEXT] ? " form-error" : "", N_("Text"),
            N_("The letter as text, or leave empty and choose a PDF below."));
    if (v->err[F_TEXT])
        kv_html(h, "<span class=\"form-error-message\" id=\"tl-text-error\"><span "
                   "class=\"sr-only\">%m: </span>%m</span>",
                N_("Error"), v->err[F_TEXT]);
    kv_html(h, "<textarea class=\"form-input\" id=\"tl-text\" name=\"text\" rows=\"6\" "
               "aria-describedby=\"tl-text-hint%t\"%t>%t</textarea></div>\n",
            v->err[F_TEXT] ? " tl-text-error" : "", v->err[F_TEXT] ? " aria-invalid=\"true\"" : "",
            v->text ? v->text : "");
    file_input(pg, "tl-pdf", "pdf", N_("Or a PDF as the letter"), NULL, "application/pdf",
               v->err[F_PDF]);
    file_input(pg, "tl-att1", "att1", N_("Attachment 1"), N_("Up to three attachments."), "*/*",
               v->err[F_ATT]);
    file_input(pg, "tl-att2", "att2", N_("Attachment 2"), NULL, "*/*", NULL);
    file_input(pg, "tl-att3", "att3", N_("Attachment 3"), NULL, "*/*", NULL);
    kv__tp_input(pg, "tl-value", "valueDate", N_("Value date"),
                 N_("Optional, YYYY-MM-DD: the letter is shown from 00:00 that day."), v->value,
                 v->err[F_VALUE], "date", 10);
    kv_html(h, "<div class=\"form-group\"><input type=\"checkbox\" class=\"form-checkbox\" "
               "id=\"tl-reply\" name=\"reply\" value=\"1\"%t><label for=\"tl-reply\">%m</label>"
               "</div>\n",
            v->reply ? " checked" : "", N_("The recipient may reply"));
    kv__tp_input(pg, "tl-replyby", "replyBy", N_("Reply deadline"),
                 N_("Optional, YYYY-MM-DD, only when replies are allowed."), v->reply_by,
                 v->err[F_REPLYBY], "date", 10);
    kv_html(h, "<fieldset class=\"form-group%t\"><legend class=\"form-label\">%m</legend>",
            v->err[F_ACTION] ? " form-error" : "", N_("Action (optional)"));
    if (v->err[F_ACTION])
        kv_html(h, "<span class=\"form-error-message\" id=\"tl-action-error\"><span "
                   "class=\"sr-only\">%m: </span>%m</span>",
                N_("Error"), v->err[F_ACTION]);
    kv_html(h, "<div class=\"form-group\"><label class=\"form-label\" for=\"tl-action-code\">%m"
               "</label><select class=\"form-select\" id=\"tl-action-code\" name=\"actionCode\">",
            N_("Kind of action"));
    for (i = 0; i < sizeof(CODES) / sizeof(CODES[0]); i++)
        kv_html(h, "<option value=\"%a\"%t>%m</option>", CODES[i][0],
                strcmp(v->action_code, CODES[i][0]) == 0 ? " selected" : "", CODES[i][1]);
    kv_html(h, "</select></div>");
    kv__tp_input(pg, "tl-action-label", "actionLabel", N_("Label"), NULL, v->action_label,
                 NULL, "text", 100);
    kv__tp_input(pg, "tl-action-url", "actionUrl", N_("Link (https://)"), NULL, v->action_url,
                 NULL, "url", 1000);
    kv_html(h, "</fieldset>\n<button type=\"submit\" class=\"button button-primary\">%m</button>"
               "</form>\n",
            N_("Send the test message"));
    /* the MeMo file as is */
    kv_html(h, "<h2>%m</h2>\n<form method=\"post\" action=\"" KV__TP "/brev/memo\" "
               "enctype=\"multipart/form-data\">",
            N_("Send a MeMo file as it is"));
    kv__tp_csrf(pg);
    kv_html(h, "<div class=\"form-group\"><label class=\"form-label\" for=\"tm-system\">%m"
               "</label><select class=\"form-select\" id=\"tm-system\" name=\"system\">",
            N_("Sender system"));
    {
        struct kv_system_summary *s = kv_xcalloc(KV_SYSTEM_LIST_MAX, sizeof(*s));
        size_t k, ns = 0;
        if (kv_system_list_org(pg->db, pg->org, s, KV_SYSTEM_LIST_MAX, &ns, NULL) < 0)
            ns = 0;
        for (k = 0; k < ns; k++)
            if (strcmp(s[k].kind, "sender") == 0 && strcmp(s[k].status, "active") == 0)
                kv_html(h, "<option value=\"%a\">%t</option>", s[k].id, s[k].name);
        free(s);
    }
    kv_html(h, "</select></div>");
    file_input(pg, "tm-file", "memo", N_("MeMo file"),
               N_("A MeMo 1.1 or 1.2 XML file; its Sender must be your organisation."),
               ".xml,application/xml,text/xml", v->upload_err);
    kv_html(h, "<button type=\"submit\" class=\"button button-secondary\">%m</button></form>\n",
            N_("Send the file"));
    kv_web_page_end(&pg->ctx, status, N_("Send a test message"));
}

int kv__tp_letter_form(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page pg;
    struct vals v;

    memset(&v, 0, sizeof(v));
    snprintf(v.action_code, sizeof(v.action_code), "INFORMATION");
    if (kv_web_portal_begin(&pg, req, resp, ACCESS, 0))
        render(&pg, &v, 200);
    kv_web_portal_end(&pg);
    return 0;
}

/* The page after a send: the receipt, or the refusal with its fields. */
static void result(struct kv_web_portal_page *pg, const struct kv_letter *l)
{
    struct kv_html *h = &pg->ctx.h;
    struct kv_err err = {0, ""};
    char props[300], subject[40];
    size_t i;
    int sent = l->outcome == KV_LETTER_CREATED || l->outcome == KV_LETTER_REPLAYED;

    if (sent) {
        snprintf(props, sizeof(props),
                 "{\"messageUUID\":\"%s\",\"systemId\":\"%s\",\"receiptStatus\":\"%s\"}", l->uuid,
                 l->system_id, l->receipt_status);
        snprintf(subject, sizeof(subject), "%s:%s",
                 strcmp(l->recipient_type, "CPR") == 0 ? "cpr" : "cvr", l->recipient_id);
        if (kv_testdata_log(pg->db, "TEST_MESSAGE_SENT", pg->actor, subject, props, &err) < 0)
            kv_log(KV_LOG_WARN, "%s: TEST_MESSAGE_SENT not logged: %s",
                   pg->ctx.req->request_id, err.msg);
    }
    kv__tp_head(pg, sent ? N_("The test message was sent") : N_("The test message was refused"),
                NULL);
    if (sent) {
        kv_html(h, "<dl id=\"receipt\"><dt>messageUUID</dt><dd id=\"receipt-uuid\">%t</dd>"
                   "<dt>receiptStatus</dt><dd id=\"receipt-status\">%t</dd>",
                l->uuid, l->receipt_status);
        if (l->error_code[0])
            kv_html(h, "<dt>errorCode</dt><dd>%t</dd><dt>errorMessage</dt><dd>%t</dd>",
                    l->error_code, l->error_message);
        kv_html(h, "</dl>\n");
    } else if (l->outcome == KV_LETTER_FAILED) {
        kv_html(h, "<p>%m</p>\n", N_("The letter could not be stored; nothing was kept. Try "
                                    "again."));
    } else {
        kv_html(h, "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                   "<p class=\"alert-heading\" id=\"refusal-code\">%t</p><p class=\"alert-text\">"
                   "%t</p></div></div>\n<ul id=\"refusal-fields\">",
                l->refusal.code, l->refusal.message);
        for (i = 0; i < l->refusal.n_fields; i++)
            kv_html(h, "<li><code>%t</code> %t: %t</li>", l->refusal.fields[i].field,
                    l->refusal.fields[i].code, l->refusal.fields[i].message);
        kv_html(h, "</ul>\n");
    }
    kv_html(h, "<p><a href=\"" KV__TP "/brev/ny\">%m</a> · <a href=\"" KV__TP "/\">%m</a></p>\n",
            N_("Send another test message"), N_("Test data"));
    kv_web_page_end(&pg->ctx, sent ? 200 : l->outcome == KV_LETTER_FAILED ? 500 : 400,
                    sent ? N_("The test message was sent") : N_("The test message was refused"));
}

/* Sends bytes as system sys through the real send path and shows the result. */
static void send_and_show(struct kv_web_portal_page *pg, const struct kv_system *sys,
                          const char *bytes, size_t len, const char *uuid)
{
    struct kv_letter l;
    struct kv_err err = {0, ""};

    kv_letter_init(&l, bytes, len);
    if (kv_letter_submit(pg->ctx.req->hub, sys, &l, uuid, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: test message not checked: %s", pg->ctx.req->request_id,
               err.msg);
        l.outcome = KV_LETTER_FAILED;
    }
    if (l.outcome == KV_LETTER_FAILED)
        kv_log(KV_LOG_ERROR, "%s: test message not stored: %s", pg->ctx.req->request_id,
               l.err.msg);
    result(pg, &l);
    kv_letter_release(&l);
}

static void field_text(struct kv_http_req *req, const char *name, char *out, size_t n)
{
    size_t len;
    const char *d = part(req, name, &len, NULL, 0);

    out[0] = '\0';
    if (d && len < n && !memchr(d, '\0', len)) {
        memcpy(out, d, len);
        out[len] = '\0';
    }
}

int kv__tp_letter_send(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page pg;
    struct kv_testletter_input in;
    struct kv_problem p;
    struct kv_err err = {0, ""};
    struct kv_system sys;
    struct kv_buf xml;
    struct vals v;
    char uuid[37], type[96], b[4], name[8];
    const char *d;
    size_t len, i, k;
    int rc;

    memset(&v, 0, sizeof(v));
    kv_problem_init(&p);
    kv_buf_init(&xml, XML_MAX);
    if (!kv_web_portal_begin(&pg, req, resp, ACCESS, KV_WEB_PORTAL_POST))
        goto out;
    field_text(req, "system", v.system, sizeof(v.system));
    field_text(req, "recipient", v.recipient, sizeof(v.recipient));
    field_text(req, "title", v.title, sizeof(v.title));
    field_text(req, "valueDate", v.value, sizeof(v.value));
    field_text(req, "replyBy", v.reply_by, sizeof(v.reply_by));
    field_text(req, "actionCode", v.action_code, sizeof(v.action_code));
    field_text(req, "actionLabel", v.action_label, sizeof(v.action_label));
    field_text(req, "actionUrl", v.action_url, sizeof(v.action_url));
    field_text(req, "reply", b, sizeof(b));
    v.reply = strcmp(b, "1") == 0;
    d = part(req, "text", &len, NULL, 0);
    v.text = kv_xcalloc(1, len + 1);
    if (d && len)
        memcpy(v.text, d, len);
    memset(&in, 0, sizeof(in));
    in.sender_cvr = pg.org;
    in.sender_name = pg.org_name;
    in.recipient = v.recipient;
    in.recipient_type = strlen(v.recipient) == 10 ? "CPR" : strlen(v.recipient) == 8 ? "CVR" : "";
    in.title = v.title;
    in.text = d && memchr(d, '\0', len) ? "" : v.text;
    in.pdf = part(req, "pdf", &in.pdf_len, type, sizeof(type));
    for (i = 1; i <= KV_TESTLETTER_ATT_MAX; i++) {
        struct kv_testletter_att *a = &in.att[in.n_att];
        char *mime = kv_xcalloc(1, sizeof(type));
        snprintf(name, sizeof(name), "att%zu", i);
        a->data = part(req, name, &a->len, mime, sizeof(type));
        a->mime = mime;
        if (a->data && a->len > 0)
            in.n_att++;
        else
            free(mime);
    }
    in.value_date = v.value;
    in.reply = v.reply;
    in.reply_by = v.reply_by;
    in.action_code = v.action_code;
    in.action_label = v.action_label;
    in.action_url = v.action_url;
    rc = sender_system(&pg, v.system, &sys);
    if (rc < 0)
        v.err[F_SYSTEM] = msg_of("NO_SENDER_SYSTEM");
    rc = kv_testletter_build(&in, &xml, uuid, &p, &err);
    if (rc == KV_EINVAL && p.n_fields > 0) {
        for (i = 0; i < p.n_fields; i++)
            for (k = 0; k < F_N; k++)
                if (strcmp(p.fields[i].field, FIELD[k]) == 0 && !v.err[k])
                    v.err[k] = msg_of(p.fields[i].code);
    } else if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: test message not built: %s", req->request_id, err.msg);
        kv_web_error(&pg.ctx, 500);
        goto free_att;
    }
    for (k = 0; k < F_N; k++)
        if (v.err[k])
            break;
    if (k < F_N) {
        render(&pg, &v, 400);
        goto free_att;
    }
    send_and_show(&pg, &sys, xml.buf, xml.len, uuid);
free_att:
    for (i = 0; i < in.n_att; i++)
        free((char *)in.att[i].mime);
out:
    free(v.text);
    kv_buf_release(&xml);
    kv_problem_release(&p);
    kv_web_portal_end(&pg);
    return 0;
}

int kv__tp_memo_upload(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page pg;
    struct kv_system sys;
    struct vals v;
    const char *d;
    size_t len;

    memset(&v, 0, sizeof(v));
    if (!kv_web_portal_begin(&pg, req, resp, ACCESS, KV_WEB_PORTAL_POST))
        goto out;
    field_text(req, "system", v.system, sizeof(v.system));
    d = part(req, "memo", &len, NULL, 0);
    if (!d || len == 0)
        v.upload_err = msg_of("NO_FILE");
    if (sender_system(&pg, v.system, &sys) < 0)
        v.upload_err = msg_of("NO_SENDER_SYSTEM");
    if (v.upload_err) {
        snprintf(v.action_code, sizeof(v.action_code), "INFORMATION");
        render(&pg, &v, 400);
        goto out;
    }
    send_and_show(&pg, &sys, d, len, NULL);
out:
    kv_web_portal_end(&pg);
    return 0;
}

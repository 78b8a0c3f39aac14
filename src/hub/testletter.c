/* SPDX-License-Identifier: MIT
 *
 * testletter.c: a test message from the Testportal's form (see testletter.h): the field checks,
 * then the MeMo builder of libmemo (memo/model.h) and its canonical writer. Sending is the
 * caller's: the built XML goes through the same kv_letter_submit as POST /apis/v1/memos/.
 */
#include "hub/testletter.h"

#include <stdio.h>
#include <string.h>

#include "memo/memo.h"
#include "memo/model.h"
#include "util/clock.h"
#include "util/testid.h"
#include "util/url.h"
#include "util/xmalloc.h"

#define RES "TestMessage"

static const char *const CODES[] = {"BEKRAEFT",    "BETALING",      "FORBEREDELSE",
                                    "INFORMATION", "SELVBETJENING", "TILMELDING",
                                    "UNDERSKRIV"};

static void field(struct kv_problem *p, const char *f, const char *code, const char *msg,
                  const char *rejected)
{
    kv_problem_field(p, RES, f, code, msg, rejected);
}

static int given(const char *s)
{
    return s && *s;
}

static int check(const struct kv_testletter_input *in, struct kv_problem *p)
{
    size_t i;
    int ok = 0;

    if (!given(in->recipient_type) || !kv_testid_party(in->recipient_type, in->recipient))
        field(p, "recipient", "NOT_A_TEST_RECIPIENT",
              "must be a test CPR (day of month 92 to 99) or a test CVR (starting with 0)",
              in->recipient);
    if (!given(in->title) || strlen(in->title) > 256)
        field(p, "title", "INVALID_TITLE", "must be given, at most 256 characters", in->title);
    if (given(in->text) && in->pdf_len > 0)
        field(p, "text", "TEXT_OR_PDF", "give a text or a PDF, not both", NULL);
    else if (!given(in->text) && in->pdf_len == 0)
        field(p, "text", "NO_CONTENT", "give a text or a PDF", NULL);
    if (given(in->text) && strlen(in->text) > KV_TESTLETTER_TEXT_MAX)
        field(p, "text", "TEXT_TOO_LONG", "at most 256 KB of text", NULL);
    if (in->pdf_len > 0 && (in->pdf_len < 5 || memcmp(in->pdf, "%PDF-", 5) != 0))
        field(p, "pdf", "NOT_A_PDF", "must be a PDF file", NULL);
    for (i = 0; i < in->n_att; i++)
        if (in->att[i].len == 0)
            field(p, "attachments", "EMPTY_FILE", "an attachment is empty", NULL);
    if (given(in->value_date) && !kv_clock_date_valid(in->value_date))
        field(p, "valueDate", "INVALID_DATE", "must be a date YYYY-MM-DD", in->value_date);
    if (given(in->reply_by) && (!in->reply || !kv_clock_date_valid(in->reply_by)))
        field(p, "replyBy", "INVALID_DATE",
              "must be a date YYYY-MM-DD, and only when replies are allowed", in->reply_by);
    if (given(in->action_label) || given(in->action_url)) {
        for (i = 0; given(in->action_code) && i < sizeof(CODES) / sizeof(CODES[0]); i++)
            ok |= strcmp(in->action_code, CODES[i]) == 0;
        if (!given(in->action_label) || strlen(in->action_label) > 100 ||
            !given(in->action_url) || !kv_url_is_https(in->action_url) ||
            strlen(in->action_url) > 1000 || !ok)
            field(p, "action", "INVALID_ACTION",
                  "an action needs a code, a label (at most 100 characters) and an https link",
                  in->action_url);
    }
    if (p->n_fields)
        return kv_problem_set(p, KV_EINVAL, "INVALID_FIELD", "the test message has %zu error%s",
                              p->n_fields, p->n_fields == 1 ? "" : "s");
    return 0;
}

static const char *ext_of(const char *mime)
{
    if (mime && strcmp(mime, "application/pdf") == 0)
        return "pdf";
    if (mime && strcmp(mime, "text/plain") == 0)
        return "txt";
    if (mime && strcmp(mime, "text/html") == 0)
        return "html";
    if (mime && strcmp(mime, "image/png") == 0)
        return "png";
    if (mime && strcmp(mime, "image/jpeg") == 0)
        return "jpg";
    return "bin";
}

int kv_testletter_build(const struct kv_testletter_input *in, struct kv_buf *out,
                        char uuid[37], struct kv_problem *p, struct kv_err *err)
{
    struct kv_memo_message *msg = NULL;
    char name[32], by[32];
    size_t i;
    int rc;

    rc = check(in, p);
    if (rc < 0)
        return kv_err_set(err, rc, "%s", p->message);
    rc = kv_memo_build_new("1.2", KV_MEMO_DIGITALPOST, in->title, &msg, err);
    if (rc == 0)
        rc = kv_memo_build_sender(msg, in->sender_cvr, "CVR", in->sender_name, err);
    if (rc == 0)
        rc = kv_memo_build_recipient(msg, in->recipient, in->recipient_type, NULL, err);
    if (rc == 0 && in->pdf_len > 0)
        rc = kv_memo_build_main_file(msg, "brev.pdf", in->pdf, in->pdf_len, "application/pdf",
                                     "da", err);
    else if (rc == 0)
        rc = kv_memo_build_main_file(msg, "brev.txt", in->text, strlen(in->text), "text/plain",
                                     "da", err);
    for (i = 0; rc == 0 && i < in->n_att; i++) {
        const char *mime = given(in->att[i].mime) ? in->att[i].mime : "application/octet-stream";
        snprintf(name, sizeof(name), "bilag-%zu.%s", i + 1, ext_of(mime));
        rc = kv_memo_build_attachment(msg, NULL, name, in->att[i].data, in->att[i].len, mime,
                                      "da", err);
    }
    if (rc == 0 && given(in->value_date))
        rc = kv_memo_build_value_date(msg, in->value_date, err);
    if (rc == 0 && in->reply) {
        msg->header.reply = KV_MEMO_BOOL_TRUE;
        if (given(in->reply_by)) {
            snprintf(by, sizeof(by), "%.10sT23:59:59Z", in->reply_by);
            msg->header.reply_by = kv_xstrdup(by);
        }
    }
    if (rc == 0 && given(in->action_label))
        rc = kv_memo_build_action(msg, in->action_label, in->action_code, in->action_url, err);
    if (rc == 0)
        rc = kv_memo_write(msg, 0, out, err);
    if (rc == 0)
        snprintf(uuid, 37, "%s", msg->header.message_uuid);
    kv_memo_message_free(msg);
    return rc;
}

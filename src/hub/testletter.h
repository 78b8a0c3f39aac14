/* SPDX-License-Identifier: MIT
 *
 * testletter.h: the Testportal's test message (docs/testportal.md): a MeMo 1.2 letter built
 * from a form's parts -- title, a test recipient (CPR or CVR in the ranges of util/testid.h),
 * a text or a PDF as the main document, up to KV_TESTLETTER_ATT_MAX attachments, value date,
 * reply allowed (with an optional reply deadline) and an action (code, label, https link) --
 * with the sending organisation as Sender. Every field is checked first and reported as a
 * field of a struct kv_problem (field names as the form names them: recipient, title, text,
 * pdf, attachments, valueDate, replyBy, action); the letter is then sent by the caller through
 * the real send path (letters.h kv_letter_submit), which judges it like any other.
 *
 * Ownership: the input's texts and bytes are borrowed; the XML written into *out is the
 * caller's buffer (kv_buf). Thread-safe.
 */
#ifndef KV_HUB_TESTLETTER_H
#define KV_HUB_TESTLETTER_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/problem.h"

#define KV_TESTLETTER_ATT_MAX 3
#define KV_TESTLETTER_TEXT_MAX (256 * 1024) /* bytes of the letter's text */

struct kv_testletter_att {
    const void *data;
    size_t len;
    const char *mime; /* the upload's content type, "" when none */
};

struct kv_testletter_input {
    const char *sender_cvr;     /* the organisation sending (the employee's) */
    const char *sender_name;    /* its name */
    const char *recipient_type; /* "CPR" | "CVR" */
    const char *recipient;      /* a test CPR or test CVR */
    const char *title;          /* MessageHeader/label, 1..256 bytes */
    const char *text;           /* the main document as text, or NULL/"" */
    const void *pdf;            /* or an uploaded PDF as the main document */
    size_t pdf_len;
    struct kv_testletter_att att[KV_TESTLETTER_ATT_MAX];
    size_t n_att;
    const char *value_date;     /* "YYYY-MM-DD" or "" */
    int reply;                  /* 1: the recipient may reply */
    const char *reply_by;       /* "YYYY-MM-DD" (reply deadline, end of that day UTC) or "" */
    const char *action_code;    /* an actionCode (not AFTALE) or "" */
    const char *action_label;   /* both label and url, or neither */
    const char *action_url;
};

/* Checks in and writes the letter's XML into out (appended) and its messageUUID into uuid.
 * KV_EINVAL with p's fields when a field is wrong (nothing built). */
int kv_testletter_build(const struct kv_testletter_input *in, struct kv_buf *out,
                        char uuid[37], struct kv_problem *p, struct kv_err *err);

#endif

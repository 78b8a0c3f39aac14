/* SPDX-License-Identifier: MIT
 *
 * build.c: the builder API of model.h: make a letter from parts (header, sender, recipient,
 * main document and attachments from file bytes, value date, actions with a URL). It only
 * fills the model; kv_memo_write turns it into XML and kv_memo_check judges it. Fresh
 * messageUUIDs are random UUID v4 from getrandom(2); createdDateTime is now, in UTC with "Z".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "memo/model.h"
#include "util/xmalloc.h"

int kv_memo_uuid_v4(char out[37], struct kv_err *err)
{
    unsigned char b[16];
    size_t got = 0;
    int i, w = 0;

    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return kv_err_errno(err, "getrandom");
        }
        got += (size_t)r;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (i = 0; i < 16; i++) {
        static const char hex[] = "0123456789abcdef";
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[w++] = '-';
        out[w++] = hex[b[i] >> 4];
        out[w++] = hex[b[i] & 0xf];
    }
    out[w] = '\0';
    return 0;
}

void kv_memo_now_utc(char out[21])
{
    time_t now = time(NULL);
    struct tm tm;

    if (!gmtime_r(&now, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        out[0] = '\0'; /* unreachable for any real clock */
        return;
    }
}

static const struct {
    const char *ext;  /* lower-case extension without the dot */
    const char *mime; /* MIME type */
} mime_table[] = {
    {"pdf", "application/pdf"},
    {"txt", "text/plain"},
    {"html", "text/html"},
    {"htm", "text/html"},
    {"xml", "text/xml"},
    {"csv", "text/csv"},
    {"rtf", "application/rtf"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odp", "application/vnd.oasis.opendocument.presentation"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"png", "image/png"},
    {"gif", "image/gif"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"bmp", "image/bmp"},
    {"svg", "image/svg+xml"},
    {"ics", "text/calendar"},
    {"eml", "message/rfc822"},
    {"msg", "application/vnd.ms-outlook"},
    {"zip", "application/zip"},
    {"json", "application/json"},
};

const char *kv_memo_guess_mime(const char *filename)
{
    const char *dot = filename ? strrchr(filename, '.') : NULL;
    size_t i;

    if (dot && dot[1] != '\0' && !strchr(dot, '/'))
        for (i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++)
            if (strcasecmp(dot + 1, mime_table[i].ext) == 0)
                return mime_table[i].mime;
    return "application/octet-stream";
}

static int need(const char *value, const char *what, struct kv_err *err)
{
    if (!value || !*value)
        return kv_err_set(err, KV_EINVAL, "%s is required", what);
    return 0;
}

int kv_memo_build_new(const char *version, const char *message_type, const char *label,
                      struct kv_memo_message **out, struct kv_err *err)
{
    struct kv_memo_message *msg;
    char uuid[37], now[21];
    int rc, code;

    *out = NULL;
    if (!version)
        version = "1.2";
    code = kv_memo_version_code(version);
    if (code != 11 && code != 12)
        return kv_err_set(err, KV_EINVAL, "memoVersion must be 1.1 or 1.2, not \"%s\"", version);
    if (!message_type || (strcmp(message_type, KV_MEMO_DIGITALPOST) != 0 &&
                          strcmp(message_type, KV_MEMO_NEMSMS) != 0))
        return kv_err_set(err, KV_EINVAL, "messageType must be DIGITALPOST or NEMSMS");
    rc = need(label, "label", err);
    if (rc < 0)
        return rc;
    rc = kv_memo_uuid_v4(uuid, err);
    if (rc < 0)
        return rc;
    msg = kv_memo_message_new();
    kv_memo_str_set(&msg->memo_version, code == 11 ? "1.1" : "1.2");
    if (code == 11) { /* 1.1 requires these; 1.2 leaves them out when false */
        kv_memo_str_set(&msg->memo_sch_version, "1.1.0");
        msg->header.mandatory = KV_MEMO_BOOL_FALSE;
        msg->header.legal_notification = KV_MEMO_BOOL_FALSE;
    }
    kv_memo_str_set(&msg->header.message_type, message_type);
    kv_memo_str_set(&msg->header.message_uuid, uuid);
    kv_memo_str_set(&msg->header.label, label);
    if (strcmp(message_type, KV_MEMO_DIGITALPOST) == 0) {
        kv_memo_now_utc(now);
        msg->body = kv_xcalloc(1, sizeof *msg->body);
        kv_memo_str_set(&msg->body->created, now);
    }
    *out = msg;
    return 0;
}

int kv_memo_build_sender(struct kv_memo_message *msg, const char *id, const char *id_type,
                         const char *label, struct kv_err *err)
{
    int rc;

    if ((rc = need(id, "sender id", err)) < 0 || (rc = need(id_type, "sender id type", err)) < 0 ||
        (rc = need(label, "sender label", err)) < 0)
        return rc;
    kv_memo_str_set(&msg->header.sender.id, id);
    kv_memo_str_set(&msg->header.sender.id_type, id_type);
    kv_memo_str_set(&msg->header.sender.label, label);
    return 0;
}

int kv_memo_build_recipient(struct kv_memo_message *msg, const char *id, const char *id_type,
                            const char *label, struct kv_err *err)
{
    int rc;

    if ((rc = need(id, "recipient id", err)) < 0 ||
        (rc = need(id_type, "recipient id type", err)) < 0)
        return rc;
    kv_memo_str_set(&msg->header.recipient.id, id);
    kv_memo_str_set(&msg->header.recipient.id_type, id_type);
    kv_memo_str_set(&msg->header.recipient.label, label);
    return 0;
}

static int digits(const char *s, int n, int *out)
{
    int i, v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int kv_memo_build_value_date(struct kv_memo_message *msg, const char *date, struct kv_err *err)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, leap;

    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-' ||
        digits(date, 4, &y) < 0 || digits(date + 5, 2, &m) < 0 || digits(date + 8, 2, &d) < 0)
        return kv_err_set(err, KV_EINVAL, "value date must be YYYY-MM-DD");
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
        return kv_err_set(err, KV_EINVAL, "value date %s is not a calendar date", date);
    kv_memo_str_set(&msg->header.do_not_deliver_until, date);
    return 0;
}

/* Fills file f from the parts; on error f is left for the caller to discard. */
static int fill_file(struct kv_memo_file *f, const char *filename, const void *data, size_t len,
                     const char *mime, const char *language, struct kv_err *err)
{
    kv_memo_str_set(&f->encoding_format, mime ? mime : kv_memo_guess_mime(filename));
    kv_memo_str_set(&f->filename, filename);
    kv_memo_str_set(&f->language, language ? language : "da");
    return kv_memo_file_set_bytes(f, data, len, err);
}

/* Removes the last element of an array built with the add helpers, releasing it. */
static void drop_last_file(struct kv_memo_document *doc)
{
    struct kv_memo_file *f = &doc->files[doc->n_files - 1];

    free(f->encoding_format);
    free(f->filename);
    free(f->language);
    free(f->content);
    doc->n_files--;
}

int kv_memo_build_main_file(struct kv_memo_message *msg, const char *filename, const void *data,
                            size_t len, const char *mime, const char *language,
                            struct kv_err *err)
{
    struct kv_memo_file *f;
    int rc;

    if (!msg->body)
        return kv_err_set(err, KV_EINVAL, "a NEMSMS message has no documents");
    if ((rc = need(filename, "filename", err)) < 0)
        return rc;
    f = kv_memo_document_add_file(&msg->body->main);
    rc = fill_file(f, filename, data, len, mime, language, err);
    if (rc < 0)
        drop_last_file(&msg->body->main);
    return rc;
}

int kv_memo_build_attachment(struct kv_memo_message *msg, const char *label,
                             const char *filename, const void *data, size_t len,
                             const char *mime, const char *language, struct kv_err *err)
{
    struct kv_memo_document *doc;
    struct kv_memo_file *f;
    int rc;

    if (!msg->body)
        return kv_err_set(err, KV_EINVAL, "a NEMSMS message has no documents");
    if ((rc = need(filename, "filename", err)) < 0)
        return rc;
    doc = kv_memo_body_add_additional(msg->body);
    kv_memo_str_set(&doc->label, label ? label : filename);
    f = kv_memo_document_add_file(doc);
    rc = fill_file(f, filename, data, len, mime, language, err);
    if (rc < 0) {
        drop_last_file(doc);
        free(doc->files);
        free(doc->label);
        msg->body->n_additional--;
    }
    return rc;
}

int kv_memo_build_action(struct kv_memo_message *msg, const char *label, const char *action_code,
                         const char *url, struct kv_err *err)
{
    struct kv_memo_action *a;
    int rc;

    if (!msg->body)
        return kv_err_set(err, KV_EINVAL, "a NEMSMS message has no documents");
    if ((rc = need(label, "action label", err)) < 0 ||
        (rc = need(action_code, "action code", err)) < 0 || (rc = need(url, "action url", err)) < 0)
        return rc;
    a = kv_memo_document_add_action(&msg->body->main);
    kv_memo_str_set(&a->label, label);
    kv_memo_str_set(&a->action_code, action_code);
    a->entry_point = kv_xcalloc(1, sizeof *a->entry_point);
    kv_memo_str_set(&a->entry_point->url, url);
    return 0;
}

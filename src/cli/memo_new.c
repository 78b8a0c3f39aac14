/* SPDX-License-Identifier: MIT
 *
 * memo_new.c: `kuvert memo new [options]`: builds a MeMo letter (or a header-only NemSMS) from
 * command-line options with the libmemo builder and writes its canonical XML to stdout.
 * Options are checked first (bad input: a clear message, exit 2); the finished letter is then
 * run through kv_memo_check at the NgDP level, so what is written always passes
 * `kuvert memo validate` (a letter that would not is refused with its problems, exit 2).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "cli/cli.h"
#include "cli/memo_cmds.h"
#include "memo/memo.h"
#include "memo/model.h"
#include "util/buf.h"
#include "util/url.h"
#include "util/xmalloc.h"

#define CMD "memo new"
#define MAX_DOC_BYTES ((size_t)99500000) /* NgDP: 99.5 MB of files per letter, all together */
#define MAX_ATTACH 10                    /* NgDP: documents besides the main one */

struct new_opts {
    const char *sender;          /* --sender CVR */
    const char *sender_label;    /* --sender-label, default "CVR <sender>" */
    const char *recipient;       /* --recipient CPR|CVR */
    const char *recipient_type;  /* --recipient-type, else from the length */
    const char *recipient_label; /* --recipient-label */
    const char *label;           /* --label */
    const char *document;        /* --document FILE */
    const char **attach;         /* --attach FILE..., borrowed from argv; n_attach entries */
    size_t n_attach;             /* entries in attach */
    const char *value_date;      /* --value-date YYYY-MM-DD */
    const char *action_url;      /* --action-url */
    const char *action_label;    /* --action-label */
    const char *action_code;     /* --action-code */
    const char *notification;    /* --notification */
    int reply;                   /* --reply */
    const char *reply_by;        /* --reply-by */
    const char *version;         /* --memo-version */
    int nemsms;                  /* --nemsms */
    const char *uuid;            /* --uuid */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert memo new --sender CVR --recipient CPR|CVR --label TEXT\n"
            "                       (--document FILE | --nemsms --notification TEXT) [options]\n\n"
            "Builds a MeMo letter and writes its XML to stdout. The letter is validated before\n"
            "it is written; bad input is refused with exit status 2.\n\n"
            "options:\n"
            "  --sender CVR              sender's CVR number (8 digits, required)\n"
            "  --sender-label TEXT       sender's name (default \"CVR <number>\")\n"
            "  --recipient ID            recipient: 10 digits = CPR, 8 digits = CVR (required)\n"
            "  --recipient-type CPR|CVR  state the recipient's id type explicitly\n"
            "  --recipient-label TEXT    recipient's name\n"
            "  --label TEXT              title of the letter (required)\n"
            "  --document FILE           main document (required unless --nemsms)\n"
            "  --attach FILE             attachment; repeat for more (at most %d)\n"
            "  --value-date YYYY-MM-DD   do not deliver before this date\n"
            "  --action-url URL          add an action linking to an https URL\n"
            "  --action-label TEXT       label of the action (default \"Åbn link\")\n"
            "  --action-code CODE        actionCode (default INFORMATION)\n"
            "  --notification TEXT       notification text (the SMS text with --nemsms)\n"
            "  --reply                   ask the recipient to reply\n"
            "  --reply-by DATETIME       reply deadline in UTC, YYYY-MM-DDTHH:MM:SSZ (implies\n"
            "                            --reply)\n"
            "  --memo-version 1.1|1.2    MeMo version (default 1.2)\n"
            "  --nemsms                  header-only NemSMS instead of a letter\n"
            "  --uuid UUID               messageUUID (UUID v4; default: random)\n"
            "  -h, --help                show this help\n",
            MAX_ATTACH);
}

static int all_digits(const char *s, size_t n)
{
    size_t i;

    if (strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* 1 when s matches the pattern, where '9' stands for a digit and 'x' for a hex digit. */
static int shape(const char *s, const char *pattern)
{
    for (; *pattern; pattern++, s++) {
        if (*pattern == '9') {
            if (*s < '0' || *s > '9')
                return 0;
        } else if (*pattern == 'x') {
            if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
                  (*s >= 'A' && *s <= 'F')))
                return 0;
        } else if (*s != *pattern) {
            return 0;
        }
    }
    return *s == '\0';
}

/* Checks the options against each other; prints the first problem. Returns 0 or -1. */
static int check_opts(struct new_opts *o)
{
    if (!o->sender || !o->recipient || !o->label) {
        kv_cli_errorf(CMD, "--sender, --recipient and --label are required");
        return -1;
    }
    if (!all_digits(o->sender, 8)) {
        kv_cli_errorf(CMD, "--sender '%s' is not a CVR number (8 digits)", o->sender);
        return -1;
    }
    if (o->recipient_type && strcmp(o->recipient_type, "CPR") != 0 &&
        strcmp(o->recipient_type, "CVR") != 0) {
        kv_cli_errorf(CMD, "--recipient-type must be CPR or CVR, not '%s'", o->recipient_type);
        return -1;
    }
    if (!o->recipient_type) {
        if (!all_digits(o->recipient, 8) && !all_digits(o->recipient, 10)) {
            kv_cli_errorf(CMD, "--recipient '%s' is neither a CPR number (10 digits) nor a CVR "
                          "number (8 digits)", o->recipient);
            return -1;
        }
        o->recipient_type = strlen(o->recipient) == 8 ? "CVR" : "CPR";
    }
    if (!all_digits(o->recipient, strcmp(o->recipient_type, "CVR") == 0 ? 8 : 10)) {
        kv_cli_errorf(CMD, "--recipient '%s' is not a %s number (%s digits)", o->recipient,
                      o->recipient_type, strcmp(o->recipient_type, "CVR") == 0 ? "8" : "10");
        return -1;
    }
    if (o->label[0] == '\0') {
        kv_cli_errorf(CMD, "--label must not be empty");
        return -1;
    }
    if (!o->version)
        o->version = "1.2";
    if (strcmp(o->version, "1.1") != 0 && strcmp(o->version, "1.2") != 0) {
        kv_cli_errorf(CMD, "--memo-version must be 1.1 or 1.2, not '%s'", o->version);
        return -1;
    }
    if (o->nemsms) {
        if (o->document || o->n_attach > 0 || o->action_url) {
            kv_cli_errorf(CMD, "--nemsms is header-only: no --document, --attach or --action-url");
            return -1;
        }
        if (!o->notification) {
            kv_cli_errorf(CMD, "--nemsms needs --notification (the text of the SMS)");
            return -1;
        }
    } else if (!o->document) {
        kv_cli_errorf(CMD, "--document is required (or --nemsms for a NemSMS)");
        return -1;
    }
    if (o->value_date && !shape(o->value_date, "9999-99-99")) {
        kv_cli_errorf(CMD, "--value-date '%s' is not a date YYYY-MM-DD", o->value_date);
        return -1;
    }
    if (o->reply_by) {
        o->reply = 1;
        if (!shape(o->reply_by, "9999-99-99T99:99:99Z")) {
            kv_cli_errorf(CMD, "--reply-by '%s' is not a UTC time YYYY-MM-DDTHH:MM:SSZ",
                          o->reply_by);
            return -1;
        }
    }
    if (o->uuid && (!shape(o->uuid, "xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxxxxxxx") ||
                    !strchr("89abAB", o->uuid[19]))) {
        kv_cli_errorf(CMD, "--uuid '%s' is not a version 4 UUID", o->uuid);
        return -1;
    }
    if ((o->action_label || o->action_code) && !o->action_url) {
        kv_cli_errorf(CMD, "--action-label and --action-code need --action-url");
        return -1;
    }
    if (o->action_url && !kv_url_is_https(o->action_url)) {
        kv_cli_errorf(CMD, "--action-url '%s' must be an absolute https:// URL",
                      o->action_url);
        return -1;
    }
    return 0;
}

/* The last path component of path (borrowed). */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* Reads path and adds it as the main document (main = 1) or as an attachment. *budget is
 * what is left of MAX_DOC_BYTES. Returns 0, or -1 after printing why. */
static int add_file(struct kv_memo_message *msg, const char *path, int main_doc, size_t *budget)
{
    struct kv_err err = {0};
    char *data = NULL;
    size_t len = 0;
    int rc;

    if (strcmp(path, "-") == 0) {
        kv_cli_errorf(CMD, "documents are read from files, not from standard input");
        return -1;
    }
    rc = kv_cli_read_file(path, *budget, &data, &len, &err);
    if (rc == KV_ETOOBIG) {
        kv_cli_errorf(CMD, "%s: the documents of a letter may hold at most %zu bytes together",
                      path, MAX_DOC_BYTES);
        return -1;
    }
    if (rc < 0) {
        kv_cli_errorf(CMD, "%s", err.msg);
        return -1;
    }
    *budget -= len;
    if (main_doc)
        rc = kv_memo_build_main_file(msg, base_name(path), data, len, NULL, NULL, &err);
    else
        rc = kv_memo_build_attachment(msg, NULL, base_name(path), data, len, NULL, NULL, &err);
    free(data);
    if (rc < 0) {
        kv_cli_errorf(CMD, "%s: %s", path, err.msg);
        return -1;
    }
    return 0;
}

/* Builds the message from checked options. Returns 0, or -1 after printing why. */
static int build(const struct new_opts *o, struct kv_memo_message **out)
{
    struct kv_memo_message *msg = NULL;
    struct kv_err err = {0};
    size_t budget = MAX_DOC_BYTES;
    size_t i;
    char *sender_label = NULL;
    int rc;

    rc = kv_memo_build_new(o->version, o->nemsms ? KV_MEMO_NEMSMS : KV_MEMO_DIGITALPOST,
                           o->label, &msg, &err);
    if (rc < 0)
        goto fail;
    sender_label = o->sender_label ? kv_xstrdup(o->sender_label)
                                   : kv_xasprintf("CVR %s", o->sender);
    rc = kv_memo_build_sender(msg, o->sender, "CVR", sender_label, &err);
    if (rc < 0)
        goto fail;
    rc = kv_memo_build_recipient(msg, o->recipient, o->recipient_type, o->recipient_label, &err);
    if (rc < 0)
        goto fail;
    if (o->uuid)
        kv_memo_str_set(&msg->header.message_uuid, o->uuid);
    kv_memo_str_set(&msg->header.notification, o->notification);
    if (o->reply)
        msg->header.reply = KV_MEMO_BOOL_TRUE;
    kv_memo_str_set(&msg->header.reply_by, o->reply_by);
    if (o->value_date) {
        rc = kv_memo_build_value_date(msg, o->value_date, &err);
        if (rc < 0)
            goto fail;
    }
    if (o->document && add_file(msg, o->document, 1, &budget) < 0)
        goto fail_quiet;
    for (i = 0; i < o->n_attach; i++)
        if (add_file(msg, o->attach[i], 0, &budget) < 0)
            goto fail_quiet;
    if (o->action_url) {
        rc = kv_memo_build_action(msg, o->action_label ? o->action_label : "Åbn link",
                                  o->action_code ? o->action_code : "INFORMATION", o->action_url,
                                  &err);
        if (rc < 0)
            goto fail;
    }
    free(sender_label);
    *out = msg;
    return 0;
fail:
    kv_cli_errorf(CMD, "%s", err.msg);
fail_quiet:
    free(sender_label);
    kv_memo_message_free(msg);
    return -1;
}

/* Writes msg to XML, checks it like `kuvert memo validate` and prints it. Returns the exit
 * status. */
static int emit(const struct kv_memo_message *msg)
{
    struct kv_buf xml;
    struct kv_memo_diags d;
    struct kv_err err = {0};
    int status = KV_EXIT_USAGE;

    kv_buf_init(&xml, KV_MEMO_DEFAULT_MAX_BYTES);
    kv_memo_diags_init(&d);
    if (kv_memo_write(msg, 0, &xml, &err) < 0) {
        kv_cli_errorf(CMD, "cannot write the letter: %s", err.msg);
        goto out;
    }
    if (kv_memo_check(xml.buf, xml.len, KV_MEMO_LEVEL_NGDP, NULL, &d, NULL, &err) < 0) {
        kv_cli_errorf(CMD, "cannot check the letter: %s", err.msg);
        goto out;
    }
    kv__cli_memo_print_diags(stderr, "(new letter)", &d);
    if (d.n_errors > 0) {
        kv_cli_errorf(CMD, "the letter would not be valid (problems above); nothing written");
        goto out;
    }
    if (fwrite(xml.buf, 1, xml.len, stdout) != xml.len || fflush(stdout) != 0) {
        kv_cli_errorf(CMD, "cannot write to standard output");
        goto out;
    }
    status = KV_EXIT_OK;
out:
    kv_memo_diags_release(&d);
    kv_buf_release(&xml);
    return status;
}

int kv__cli_memo_new(int argc, char **argv)
{
    enum {
        O_SENDER = 256, O_SENDER_LABEL, O_RECIPIENT, O_RECIPIENT_TYPE, O_RECIPIENT_LABEL,
        O_LABEL, O_DOCUMENT, O_ATTACH, O_VALUE_DATE, O_ACTION_URL, O_ACTION_LABEL,
        O_ACTION_CODE, O_NOTIFICATION, O_REPLY, O_REPLY_BY, O_VERSION, O_NEMSMS, O_UUID
    };
    static const struct option longopts[] = {
        {"sender", required_argument, NULL, O_SENDER},
        {"sender-label", required_argument, NULL, O_SENDER_LABEL},
        {"recipient", required_argument, NULL, O_RECIPIENT},
        {"recipient-type", required_argument, NULL, O_RECIPIENT_TYPE},
        {"recipient-label", required_argument, NULL, O_RECIPIENT_LABEL},
        {"label", required_argument, NULL, O_LABEL},
        {"document", required_argument, NULL, O_DOCUMENT},
        {"attach", required_argument, NULL, O_ATTACH},
        {"value-date", required_argument, NULL, O_VALUE_DATE},
        {"action-url", required_argument, NULL, O_ACTION_URL},
        {"action-label", required_argument, NULL, O_ACTION_LABEL},
        {"action-code", required_argument, NULL, O_ACTION_CODE},
        {"notification", required_argument, NULL, O_NOTIFICATION},
        {"reply", no_argument, NULL, O_REPLY},
        {"reply-by", required_argument, NULL, O_REPLY_BY},
        {"memo-version", required_argument, NULL, O_VERSION},
        {"nemsms", no_argument, NULL, O_NEMSMS},
        {"uuid", required_argument, NULL, O_UUID},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct new_opts o;
    struct kv_memo_message *msg = NULL;
    int c, status = KV_EXIT_USAGE;

    memset(&o, 0, sizeof(o));
    o.attach = kv_xcalloc((size_t)argc, sizeof(*o.attach));
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            status = KV_EXIT_OK;
            goto out;
        case O_SENDER:
            o.sender = optarg;
            break;
        case O_SENDER_LABEL:
            o.sender_label = optarg;
            break;
        case O_RECIPIENT:
            o.recipient = optarg;
            break;
        case O_RECIPIENT_TYPE:
            o.recipient_type = optarg;
            break;
        case O_RECIPIENT_LABEL:
            o.recipient_label = optarg;
            break;
        case O_LABEL:
            o.label = optarg;
            break;
        case O_DOCUMENT:
            o.document = optarg;
            break;
        case O_ATTACH:
            if (o.n_attach == MAX_ATTACH) {
                kv_cli_errorf(CMD, "at most %d attachments", MAX_ATTACH);
                goto out;
            }
            o.attach[o.n_attach++] = optarg;
            break;
        case O_VALUE_DATE:
            o.value_date = optarg;
            break;
        case O_ACTION_URL:
            o.action_url = optarg;
            break;
        case O_ACTION_LABEL:
            o.action_label = optarg;
            break;
        case O_ACTION_CODE:
            o.action_code = optarg;
            break;
        case O_NOTIFICATION:
            o.notification = optarg;
            break;
        case O_REPLY:
            o.reply = 1;
            break;
        case O_REPLY_BY:
            o.reply_by = optarg;
            break;
        case O_VERSION:
            o.version = optarg;
            break;
        case O_NEMSMS:
            o.nemsms = 1;
            break;
        case O_UUID:
            o.uuid = optarg;
            break;
        default:
            kv__cli_memo_bad_option(CMD, c, argv);
            goto out;
        }
    }
    if (optind < argc) {
        kv_cli_errorf(CMD, "unexpected argument '%s' (all input is given with options)",
                      argv[optind]);
        goto out;
    }
    if (check_opts(&o) < 0 || build(&o, &msg) < 0)
        goto out;
    status = emit(msg);
out:
    kv_memo_message_free(msg);
    free(o.attach);
    return status;
}

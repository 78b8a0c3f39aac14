/* SPDX-License-Identifier: MIT
 *
 * memo_show.c: `kuvert memo show FILE`: prints a readable summary of one MeMo letter (header,
 * parties, dates, documents with their files, actions, reply and forward data). The letter is
 * checked first like `kuvert memo validate`; an invalid one gets its problems printed in the
 * validate format and exit status 1. Warnings go to stderr. Every value is printed on one line
 * with control characters replaced, so a hostile letter cannot drive the terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "cli/cli.h"
#include "cli/memo_cmds.h"
#include "memo/memo.h"
#include "memo/model.h"

#define CMD "memo show"
#define KEYW 24 /* width of the key column */

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert memo show FILE | -\n\n"
               "Prints a readable summary of a MeMo letter: version, type, messageUUID, label,\n"
               "sender, recipient, value date, reply, documents (file names, MIME types, decoded\n"
               "sizes), actions, reply and forward data. The letter is validated first; an\n"
               "invalid one is reported like `kuvert memo validate` (exit status 1).\n\n"
               "options:\n"
               "  -h, --help   show this help\n");
}

/* Prints a value from the letter to stdout, control characters replaced (memo_cmds.h). */
static void put_clean(const char *s)
{
    kv__cli_memo_put_clean(stdout, s, strlen(s));
}

/* Number of characters (not bytes) in UTF-8 s, for aligning the value column. */
static int width(const char *s)
{
    int n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* Prints "key:" at indentation ind, padded to the value column. */
static void key_col(int ind, const char *key)
{
    int pad = KEYW - ind - width(key) - 1;

    printf("%*s", ind, "");
    put_clean(key);
    printf(":%*s ", pad > 0 ? pad : 0, "");
}

/* "  key:      value" at indentation ind; nothing when value is NULL. */
static void field(int ind, const char *key, const char *value)
{
    if (!value)
        return;
    key_col(ind, key);
    put_clean(value);
    putchar('\n');
}

static const char *yes_no(enum kv_memo_bool b)
{
    return b == KV_MEMO_BOOL_TRUE ? "yes" : b == KV_MEMO_BOOL_FALSE ? "no" : NULL;
}

/* "ID (TYPE) label" into one line. */
static void party(int ind, const char *key, const char *id, const char *type, const char *label)
{
    key_col(ind, key);
    put_clean(id ? id : "(missing id)");
    printf(" (");
    put_clean(type ? type : "?");
    putchar(')');
    if (label) {
        printf(", ");
        put_clean(label);
    }
    putchar('\n');
}

static void attention(int ind, const struct kv_memo_attention_data *a)
{
    if (!a)
        return;
    if (a->person)
        field(ind, "Attention", a->person->label ? a->person->label : a->person->person_id);
    if (a->content_responsible)
        field(ind, "Content responsible", a->content_responsible->label
                                              ? a->content_responsible->label
                                              : a->content_responsible->id);
    if (a->email)
        field(ind, "E-mail", a->email->address);
    if (a->telephone)
        field(ind, "Telephone", a->telephone->number);
    if (a->unstructured)
        field(ind, "Address", a->unstructured->unstructured);
}

static void contact_point(int ind, const struct kv_memo_contact_point *c)
{
    size_t i;

    if (!c)
        return;
    field(ind, "Contact point", c->contact_point_id);
    field(ind + 2, "Label", c->label);
    field(ind + 2, "Group", c->contact_group);
    for (i = 0; i < c->n_info; i++)
        field(ind + 2, c->info[i].label ? c->info[i].label : "?",
              c->info[i].value ? c->info[i].value : "");
}

static void action(int ind, size_t n, const struct kv_memo_action *a)
{
    printf("%*sAction %zu: ", ind, "", n);
    put_clean(a->label ? a->label : "(no label)");
    printf(" [");
    put_clean(a->action_code ? a->action_code : "?");
    printf("]\n");
    if (a->entry_point)
        field(ind + 2, "URL", a->entry_point->url);
    field(ind + 2, "From", a->start);
    field(ind + 2, "Until", a->end);
    if (a->reservation) {
        const struct kv_memo_reservation *r = a->reservation;

        field(ind + 2, "Reservation", r->description);
        field(ind + 4, "UUID", r->uuid);
        field(ind + 4, "Abstract", r->abstract);
        field(ind + 4, "Location", r->location);
        field(ind + 4, "Start", r->start);
        field(ind + 4, "End", r->end);
        field(ind + 4, "Organizer", r->organizer_name);
        field(ind + 4, "Organizer mail", r->organizer_mail);
    }
}

/* One document with its files and actions; adds the decoded sizes to *total. */
static void document(const char *kind, size_t n, const struct kv_memo_document *d, size_t *total)
{
    size_t i;

    printf("  %s", kind);
    if (n > 0)
        printf(" %zu", n);
    if (d->label) {
        printf(": ");
        put_clean(d->label);
    }
    if (d->id) {
        printf(" (id ");
        put_clean(d->id);
        putchar(')');
    }
    putchar('\n');
    for (i = 0; i < d->n_files; i++) {
        const struct kv_memo_file *f = &d->files[i];

        printf("    File %zu: ", i + 1);
        put_clean(f->filename ? f->filename : "(no name)");
        printf("  ");
        put_clean(f->encoding_format ? f->encoding_format : "(no type)");
        if (f->language) {
            printf("  ");
            put_clean(f->language);
        }
        printf("  %zu bytes\n", f->size);
        *total += f->size;
    }
    for (i = 0; i < d->n_actions; i++)
        action(4, i + 1, &d->actions[i]);
}

static void content_data(const struct kv_memo_content_data *c)
{
    size_t i;

    if (!c)
        return;
    printf("Content data:\n");
    if (c->cpr_data)
        field(2, "CPR", c->cpr_data->cpr_number);
    if (c->cvr_data)
        field(2, "CVR", c->cvr_data->cvr_number);
    if (c->case_id) {
        field(2, "Case", c->case_id->case_id);
        field(4, "Case system", c->case_id->case_system);
    }
    if (c->kle_data)
        field(2, "KLE", c->kle_data->subject_key);
    if (c->form_data)
        field(2, "FORM", c->form_data->task_key);
    if (c->motor_vehicle)
        field(2, "Vehicle", c->motor_vehicle->license_number);
    if (c->property_number)
        field(2, "Property", c->property_number->property_number);
    if (c->production_unit)
        field(2, "P-number", c->production_unit->number);
    if (c->education)
        field(2, "Education", c->education->code);
    if (c->unstructured)
        field(2, "Address", c->unstructured->unstructured);
    for (i = 0; i < c->n_additional; i++)
        field(2, c->additional[i].name ? c->additional[i].name : "?", c->additional[i].value);
}

static void forward_data(const struct kv_memo_forward_data *f)
{
    if (!f)
        return;
    printf("Forward data:\n");
    field(2, "Original UUID", f->message_uuid);
    field(2, "Original date", f->original_date_time);
    field(2, "Original sender", f->original_sender);
    field(2, "Content responsible", f->original_content_responsible);
    field(2, "Representative", f->original_representative);
    field(2, "Contact point", f->contact_point_id);
    field(2, "Comment", f->comment);
}

static void reply_data(size_t n, const struct kv_memo_reply_data *r)
{
    size_t i;

    printf("Reply data %zu:\n", n);
    field(2, "Message UUID", r->message_uuid);
    field(2, "Message ID", r->message_id);
    field(2, "Reply UUID", r->reply_uuid);
    field(2, "Sender", r->sender_id);
    field(2, "Recipient", r->recipient_id);
    field(2, "Case", r->case_id);
    field(2, "Contact point", r->contact_point_id);
    field(2, "Generating system", r->generating_system_id);
    field(2, "Comment", r->comment);
    for (i = 0; i < r->n_additional; i++)
        field(2, r->additional[i].label ? r->additional[i].label : "?", r->additional[i].value);
}

static void summary(const char *path, const struct kv_memo_message *m)
{
    const struct kv_memo_header *h = &m->header;
    size_t i, total = 0, n_files = 0;

    field(0, "File", path);
    field(0, "MeMo version", m->memo_version ? m->memo_version : "(none)");
    field(0, "Schema version", m->memo_sch_version);
    field(0, "Type", h->message_type);
    field(0, "Message UUID", h->message_uuid);
    field(0, "Message ID", h->message_id);
    field(0, "Message code", h->message_code);
    field(0, "Label", h->label);
    field(0, "Notification", h->notification);
    field(0, "More notification", h->additional_notification);
    field(0, "Post type", h->post_type);
    field(0, "Mandatory", yes_no(h->mandatory));
    field(0, "Legal notification", yes_no(h->legal_notification));
    party(0, "Sender", h->sender.id, h->sender.id_type, h->sender.label);
    attention(2, h->sender.attention);
    contact_point(2, h->sender.contact_point);
    if (h->sender.representative)
        party(2, "Representative", h->sender.representative->id,
              h->sender.representative->id_type, h->sender.representative->label);
    party(0, "Recipient", h->recipient.id, h->recipient.id_type, h->recipient.label);
    attention(2, h->recipient.attention);
    contact_point(2, h->recipient.contact_point);
    field(0, "Value date", h->do_not_deliver_until ? h->do_not_deliver_until
                                                   : "none (deliver at once)");
    if (h->reply == KV_MEMO_BOOL_TRUE)
        field(0, "Reply", "requested");
    else if (h->reply == KV_MEMO_BOOL_FALSE)
        field(0, "Reply", "not requested");
    field(0, "Reply by", h->reply_by);
    if (m->body) {
        const struct kv_memo_body *b = m->body;

        field(0, "Created", b->created);
        printf("Documents:\n");
        document("Main document", 0, &b->main, &total);
        n_files += b->main.n_files;
        for (i = 0; i < b->n_additional; i++) {
            document("Attachment", i + 1, &b->additional[i], &total);
            n_files += b->additional[i].n_files;
        }
        for (i = 0; i < b->n_technical; i++) {
            document("Technical document", i + 1, &b->technical[i], &total);
            n_files += b->technical[i].n_files;
        }
        printf("  Total: %zu file%s, %zu bytes\n", n_files, n_files == 1 ? "" : "s", total);
    } else {
        printf("Documents:               none (no MessageBody)\n");
    }
    content_data(h->content_data);
    for (i = 0; i < h->n_reply_data; i++)
        reply_data(i + 1, &h->reply_data[i]);
    forward_data(h->forward_data);
}

int kv__cli_memo_show(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_memo_message *msg = NULL;
    struct kv_err err = {0};
    char *buf = NULL;
    size_t len = 0;
    int c, status = KV_EXIT_USAGE;

    kv_memo_diags_init(&d);
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            status = KV_EXIT_OK;
        } else {
            kv__cli_memo_bad_option(CMD, c, argv);
        }
        goto out;
    }
    if (argc - optind != 1) {
        kv_cli_errorf(CMD, "expected exactly one FILE (use - for standard input)");
        usage(stderr);
        goto out;
    }
    if (kv__cli_memo_load(CMD, argv[optind], KV_MEMO_LEVEL_NGDP, &d, &buf, &len, &doc) < 0)
        goto out;
    if (d.n_errors > 0 || !doc) {
        kv__cli_memo_print_diags(stdout, argv[optind], &d);
        status = KV_EXIT_FAIL;
        goto out;
    }
    if (kv_memo_read(doc, KV_MEMO_READ_NO_CONTENT, &msg, &err) < 0) {
        kv_cli_errorf(CMD, "%s: cannot read the letter: %s", argv[optind], err.msg);
        status = KV_EXIT_FAIL;
        goto out;
    }
    summary(argv[optind], msg);
    kv__cli_memo_print_diags(stderr, argv[optind], &d); /* warnings only by now */
    status = fflush(stdout) == 0 ? KV_EXIT_OK : KV_EXIT_USAGE;
out:
    kv_memo_message_free(msg);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);
    free(buf);
    return status;
}

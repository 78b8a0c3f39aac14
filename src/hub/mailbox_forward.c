/* SPDX-License-Identifier: MIT
 *
 * mailbox_forward.c: forwarding a received letter to an authority or to another citizen's or
 * company's Digital Post (a new letter through the mailbox send path, the original's files
 * attached, MeMo ForwardData naming the original) or as a notice by e-mail (see
 * mailbox_forward.h).
 */
#include "hub/mailbox_forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hub/mail.h"
#include "memo/memo.h"
#include "memo/model.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xmalloc.h"

static int comment_ok(const char *c, struct kv_err *err)
{
    json_t *probe;

    if (!c)
        return 0;
    if (strlen(c) > KV_MBOX_FORWARD_COMMENT_MAX)
        return kv_err_set(err, KV_EINVAL, "a comment has at most %d bytes",
                          KV_MBOX_FORWARD_COMMENT_MAX);
    probe = json_string(c);
    if (!probe)
        return kv_err_set(err, KV_EINVAL, "a comment must be UTF-8");
    json_decref(probe);
    return 0;
}

/* The original's sender, title, received time and id as lines of text. */
static void about(struct kv_buf *b, const struct kv_mbox_letter *l)
{
    char when[32];

    kv_clock_format_utc(l->available_ms, when, sizeof(when));
    kv_buf_printf(b, "Afsender: %s\nTitel: %s\nModtaget: %s\nBrevets id: %s\n",
                  l->sender_label && *l->sender_label ? l->sender_label : l->sender_cvr,
                  l->label ? l->label : "", when, l->message_uuid);
}

static int event(struct kv_db *db, const struct kv_mbox_owner *owner,
                 const struct kv_mbox_letter *l, const char *tag, json_t *props,
                 struct kv_err *err)
{
    char *p = json_dumps(props, JSON_COMPACT);
    int rc = kv_mbox_event(db, owner, l, tag, p, kv_clock_now_ms(), err);

    free(p);
    return rc;
}

/* What a forwarded letter carries: its title, text, the original's files and ForwardData. */
struct fwd {
    struct kv_memo_message *m; /* the original's model */
    struct kv_mbox_attachment *att;
    unsigned char **bytes;
    size_t n_att;
    struct kv_buf text, label;
    char when[32];
    struct kv_memo_forward_data fd;
    struct kv_mbox_draft d;
};

static void fwd_release(struct fwd *f)
{
    size_t i;

    for (i = 0; i < f->n_att; i++)
        free(f->bytes[i]);
    free(f->bytes);
    free(f->att);
    kv_buf_release(&f->text);
    kv_buf_release(&f->label);
    kv_memo_message_free(f->m);
}

/* Builds f from letter l (with its body) and the comment; fwd_release in any case. */
static int fwd_prepare(const struct kv_mbox_letter *l, const char *comment, struct fwd *f,
                       struct kv_err *err)
{
    const struct kv_memo_document *docs[1 + 64];
    size_t n_docs = 0, cap = 0, i, j;
    int rc;

    memset(f, 0, sizeof(*f));
    kv_buf_init(&f->text, 16384);
    kv_buf_init(&f->label, 512);
    if (l->sent)
        return kv_err_set(err, KV_EINVAL, "a letter the owner wrote is not forwarded");
    if ((rc = comment_ok(comment, err)) < 0)
        return rc;
    rc = kv_mbox_letter_model(l, 0, &f->m, err);
    if (rc < 0)
        return rc;
    if (comment && *comment)
        kv_buf_printf(&f->text, "%s\n\n", comment);
    kv_buf_printf(&f->text, "Videresendt brev fra Digital Post\n");
    about(&f->text, l);
    kv_buf_printf(&f->label, "Videresendt: %.200s", l->label ? l->label : "");
    if (f->m->body) {
        docs[n_docs++] = &f->m->body->main;
        for (i = 0; i < f->m->body->n_additional && n_docs < sizeof(docs) / sizeof(docs[0]); i++)
            docs[n_docs++] = &f->m->body->additional[i];
    }
    for (i = 0; i < n_docs; i++)
        cap += docs[i]->n_files;
    f->att = kv_xcalloc(cap ? cap : 1, sizeof(*f->att));
    f->bytes = kv_xcalloc(cap ? cap : 1, sizeof(*f->bytes));
    for (i = 0; i < n_docs; i++)
        for (j = 0; j < docs[i]->n_files; j++) {
            const struct kv_memo_file *file = &docs[i]->files[j];
            size_t len = 0;

            rc = kv_memo_file_decode(file, KV_MEMO_DEFAULT_MAX_BYTES, &f->bytes[f->n_att], &len,
                                     err);
            if (rc < 0)
                return rc;
            f->att[f->n_att].filename = file->filename ? file->filename : "fil";
            f->att[f->n_att].mime = file->encoding_format;
            f->att[f->n_att].data = f->bytes[f->n_att];
            f->att[f->n_att].len = len;
            f->n_att++;
        }
    /* MeMo ForwardData: which letter, when it came, from whom, and the comment */
    kv_clock_format_utc(l->available_ms, f->when, sizeof(f->when));
    f->fd.message_uuid = (char *)l->message_uuid;
    f->fd.original_date_time = f->when;
    f->fd.original_sender = l->sender_label && *l->sender_label ? l->sender_label
                            : l->sender_cvr[0]                   ? (char *)l->sender_cvr
                                                                 : "Digital Post";
    f->fd.comment = comment && *comment ? (char *)comment : NULL;
    f->d.label = f->label.buf;
    f->d.text = f->text.buf;
    f->d.text_len = f->text.len;
    f->d.att = f->att;
    f->d.n_att = f->n_att;
    f->d.forward = &f->fd;
    return 0;
}

/* Records tag with props on the original, in its own transaction (the new letter is
 * committed by the send path already). */
static int record(struct kv_db *db, const struct kv_mbox_owner *owner,
                  const struct kv_mbox_letter *l, const char *tag, json_t *props,
                  struct kv_err *err)
{
    int rc = kv_db_begin(db, err);

    if (rc == 0) {
        rc = event(db, owner, l, tag, props, err);
        rc = rc < 0 ? (kv_db_rollback(db), rc) : kv_db_commit(db, err);
    }
    json_decref(props);
    return rc;
}

int kv_mbox_forward_authority(struct kv_hub *hub, struct kv_db *db,
                              const struct kv_mbox_owner *owner, const struct kv_mbox_letter *l,
                              const char *point_id, const char *comment,
                              struct kv_mbox_sent *out, struct kv_problem *refusal,
                              struct kv_err *err)
{
    struct fwd f;
    int rc = fwd_prepare(l, comment, &f, err);

    if (rc == 0)
        rc = kv_mbox_send_new(hub, owner, point_id, &f.d, out, refusal, err);
    if (rc == 0)
        rc = record(db, owner, l, "MESSAGE_FORWARDED_TO_AUTHORITY",
                    json_pack("{s:s,s:s}", "contactPointId", point_id, "messageUUID", out->uuid),
                    err);
    fwd_release(&f);
    return rc;
}

int kv_mbox_forward_person(struct kv_hub *hub, struct kv_db *db,
                           const struct kv_mbox_owner *owner, const struct kv_mbox_letter *l,
                           const char *recipient_type, const char *recipient_id,
                           const char *comment, struct kv_mbox_sent *out,
                           struct kv_problem *refusal, struct kv_err *err)
{
    struct fwd f;
    int rc = fwd_prepare(l, comment, &f, err);

    if (rc == 0)
        rc = kv_mbox_send_person(hub, owner, recipient_type, recipient_id, &f.d, out, refusal,
                                 err);
    if (rc == 0)
        rc = record(db, owner, l, "MESSAGE_FORWARDED_TO_TRUSTED",
                    json_pack("{s:s,s:s,s:s}", "recipientIdType", recipient_type, "recipientId",
                              recipient_id, "messageUUID", out->uuid),
                    err);
    fwd_release(&f);
    return rc;
}

int kv_mbox_forward_email(struct kv_db *db, const struct kv_mbox_owner *owner,
                          const struct kv_mbox_letter *l, const char *who, const char *to,
                          const char *comment, struct kv_err *err)
{
    struct kv_buf body, subject;
    json_t *props;
    int rc;

    if (l->sent)
        return kv_err_set(err, KV_EINVAL, "a letter the owner wrote is not forwarded");
    if (!to || !kv_mail_addr_ok(to))
        return kv_err_set(err, KV_EINVAL, "not an e-mail address");
    if ((rc = comment_ok(comment, err)) < 0)
        return rc;
    kv_buf_init(&body, KV_MAIL_BODY_MAX);
    kv_buf_init(&subject, KV_MAIL_SUBJECT_MAX);
    kv_buf_printf(&subject, "Besked om et brev i Digital Post fra %s",
                  who && *who ? who : "en bruger af Digital Post");
    kv_buf_printf(&body, "%s har sendt dig en besked om et brev i sin Digital Post.\n\n",
                  who && *who ? who : "En bruger af Digital Post");
    about(&body, l);
    if (comment && *comment)
        kv_buf_printf(&body, "\nBesked:\n%s\n", comment);
    kv_buf_printf(&body, "\nSelve brevet og dets bilag sendes ikke med e-mail, fordi e-mail ikke "
                         "er en sikker forbindelse. Brevet findes i afsenderens Digital Post.\n");
    props = json_pack("{s:s}", "to", to);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        goto out;
    rc = kv_mail_queue(db, to, subject.buf, body.buf, "MAILBOX_FORWARD", NULL, kv_clock_now_ms(),
                       NULL, err);
    if (rc == 0)
        rc = event(db, owner, l, "MESSAGE_FORWARDED_TO_EMAIL", props, err);
    if (rc < 0)
        kv_db_rollback(db);
    else
        rc = kv_db_commit(db, err);
out:
    json_decref(props);
    kv_buf_release(&body);
    kv_buf_release(&subject);
    return rc;
}

/* SPDX-License-Identifier: MIT
 *
 * mailbox_send.c: building and storing the letters citizens and companies write to
 * authorities through the mailbox API (new letters to a contact point, replies to letters that
 * allow them). Finds where the letter goes (contact point or the original sender's recipient
 * system), enforces the contact point's limits, builds the MeMo 1.2 with libmemo's builder,
 * checks it at NgDP level and hands it to the send pipeline's group-commit writer as a user
 * letter (struct kv_letter.sender_mailbox_id). See mailbox_send.h.
 */
#include "hub/mailbox_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "hub/mailbox_view.h"
#include "hub/recipient_queue.h"
#include "hub/writer.h"
#include "memo/memo.h"
#include "memo/model.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* The outcome being built: the caller's result and refusal. */
struct answer {
    struct kv_mbox_sent *sent; /* filled when the letter is stored */
    struct kv_problem *p;      /* set when it is refused */
};

/* Sets the refusal (kind KV_E*) and returns it for its fields. */
static struct kv_problem *refuse(struct answer *a, int kind, const char *code,
                                 const char *message)
{
    kv_problem_set(a->p, kind, code, "%s", message);
    return a->p;
}

#define RES "MailboxMessage" /* resource of the fields of a refusal */

/* Where a letter goes: the organisation and, when one is used, the contact point; or
 * another citizen's or company's mailbox (rtype set). */
struct target {
    char rtype[4];        /* "CPR" | "CVR" for a person's or company's mailbox, "" else */
    char rid[11];         /* its number */
    char org[9];          /* recipient organisation CVR */
    char org_label[257];  /* its name for Recipient/label */
    char point_id[37];    /* contact point id, "" when the default recipient system */
    char point_name[257]; /* its name for Recipient/ContactPoint/label */
    int64_t max_mb;       /* memoSizeThresholdMB, 0 = no point limit */
    int64_t max_att;      /* allowedNumberOfAttachments, -1 = no point limit */
};

/* Loads contact point id with its organisation into t. With audience set ("citizen" or
 * "company"), only an active point visible to that audience is found; without, any active
 * point. 0, or KV_ENOTFOUND. */
static int load_point(struct kv_db *db, const char *id, const char *audience, struct target *t,
                      struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_prepare(db,
                       "SELECT cp.id, cp.org_cvr, o.name, cp.name, cp.memo_size_threshold_mb, "
                       "cp.allowed_number_of_attachments FROM contact_points cp "
                       "JOIN orgs o ON o.cvr = cp.org_cvr WHERE cp.id = lower(?) "
                       "AND cp.active = 1 AND (? = '' OR (? = 'citizen' AND cp.visible_citizen "
                       "= 1) OR (? = 'company' AND cp.visible_company = 1))",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    kv_stmt_bind_text(s, 2, audience ? audience : "", -1);
    kv_stmt_bind_text(s, 3, audience ? audience : "", -1);
    kv_stmt_bind_text(s, 4, audience ? audience : "", -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        kv_str_copy(t->point_id, sizeof(t->point_id), kv_stmt_col_text(s, 0));
        kv_str_copy(t->org, sizeof(t->org), kv_stmt_col_text(s, 1));
        kv_str_copy(t->org_label, sizeof(t->org_label), kv_stmt_col_text(s, 2));
        kv_str_copy(t->point_name, sizeof(t->point_name), kv_stmt_col_text(s, 3));
        t->max_mb = kv_stmt_col_int64(s, 4);
        t->max_att = kv_stmt_col_int64(s, 5);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return rc == KV_ROW ? 0 : kv_err_set(err, KV_ENOTFOUND, "no such contact point");
}

int kv_mbox_send_point(struct kv_db *db, const struct kv_mbox_owner *owner,
                       const char *point_id, struct kv_mbox_point *out, struct kv_err *err)
{
    struct target t;
    int rc;

    memset(&t, 0, sizeof(t));
    memset(out, 0, sizeof(*out));
    if (!point_id || strlen(point_id) != 36)
        return kv_err_set(err, KV_ENOTFOUND, "no such contact point");
    rc = load_point(db, point_id, strcmp(owner->type, "CPR") == 0 ? "citizen" : "company", &t,
                    err);
    if (rc < 0)
        return rc;
    kv_str_copy(out->id, sizeof(out->id), t.point_id);
    kv_str_copy(out->org, sizeof(out->org), t.org);
    kv_str_copy(out->org_label, sizeof(out->org_label), t.org_label);
    kv_str_copy(out->name, sizeof(out->name), t.point_name);
    out->max_mb = t.max_mb;
    out->max_att = t.max_att;
    return 0;
}

/* The writer's mailbox; refuses (KV_EPERM) unless it is REGISTERED. 1 when refused. */
static int writer_mailbox(struct kv_db *db, const struct kv_mbox_owner *owner,
                          struct kv_mailbox *mb, struct answer *a, struct kv_err *err)
{
    int rc = kv_mailbox_find(db, owner->type, owner->id, mb, err);

    if (rc < 0 && rc != KV_ENOTFOUND)
        return rc;
    if (rc == KV_ENOTFOUND || strcmp(mb->status, "REGISTERED") != 0) {
        refuse(a, KV_EPERM, "MAILBOX_NOT_ACTIVE",
               "only the owner of a registered (open, not exempt) mailbox can write letters");
        return 1;
    }
    return 0;
}

/* Enforces the point's limits on the draft. 1 when refused. */
static int check_limits(const struct target *t, const struct kv_mbox_draft *d, struct answer *a)
{
    char msg[256];
    size_t i;
    uint64_t total = d->text_len;

    if (t->max_att >= 0 && (int64_t)d->n_att > t->max_att) {
        snprintf(msg, sizeof(msg), "the contact point accepts at most %lld attachments, not %zu",
                 (long long)t->max_att, d->n_att);
        kv_problem_field(refuse(a, KV_EINVAL, "CONTACT_POINT_ATTACHMENT_LIMIT", msg), RES,
                         "attachments", "CONTACT_POINT_ATTACHMENT_LIMIT", msg, NULL);
        return 1;
    }
    for (i = 0; i < d->n_att; i++)
        total += d->att[i].len;
    if (t->max_mb > 0 && total > (uint64_t)t->max_mb * KV_MBOX_SEND_MB) {
        snprintf(msg, sizeof(msg),
                 "the letter's files are %llu bytes; the contact point accepts at most %lld MB "
                 "(%lld bytes)",
                 (unsigned long long)total, (long long)t->max_mb,
                 (long long)t->max_mb * KV_MBOX_SEND_MB);
        kv_problem_field(refuse(a, KV_ETOOBIG, "CONTACT_POINT_SIZE_LIMIT", msg), RES,
                         "attachments", "CONTACT_POINT_SIZE_LIMIT", msg, NULL);
        return 1;
    }
    return 0;
}

/* Builds the letter's model: header, sender = the writer, recipient = t, documents. */
static int build(const struct kv_mbox_owner *owner, const struct kv_mailbox *mb,
                 const struct target *t, const char *label, const struct kv_mbox_draft *d,
                 struct kv_memo_message **out, struct kv_err *err)
{
    struct kv_memo_message *msg = NULL;
    struct kv_memo_contact_point *cp;
    size_t i;
    int rc;

    rc = kv_memo_build_new("1.2", KV_MEMO_DIGITALPOST, label, &msg, err);
    if (rc < 0)
        return rc;
    kv_memo_str_set(&msg->header.message_id, msg->header.message_uuid);
    rc = kv_memo_build_sender(msg, owner->id, owner->type, mb->name[0] ? mb->name : owner->id,
                              err);
    if (rc == 0 && owner->rep_cpr[0]) {
        /* a helper with read-write access writes: the authority learns who (MeMo 1.2
         * Sender/Representative: the helper's CPR and name) */
        struct kv_memo_representative *r = kv_xcalloc(1, sizeof(*r));

        kv_memo_str_set(&r->id, owner->rep_cpr);
        kv_memo_str_set(&r->id_type, "CPR");
        kv_memo_str_set(&r->label, owner->rep_name[0] ? owner->rep_name : owner->rep_cpr);
        msg->header.sender.representative = r;
    }
    if (rc == 0 && t->rtype[0])
        rc = kv_memo_build_recipient(msg, t->rid, t->rtype, NULL, err);
    else if (rc == 0)
        rc = kv_memo_build_recipient(msg, t->org, "CVR", t->org_label[0] ? t->org_label : NULL,
                                     err);
    if (rc < 0)
        goto out;
    if (t->point_id[0]) {
        cp = kv_xcalloc(1, sizeof(*cp));
        kv_memo_str_set(&cp->contact_point_id, t->point_id);
        if (t->point_name[0])
            kv_memo_str_set(&cp->label, t->point_name);
        msg->header.recipient.contact_point = cp;
    }
    if (d->forward) {
        struct kv_memo_forward_data *f = kv_xcalloc(1, sizeof(*f));

        kv_memo_str_set(&f->message_uuid, d->forward->message_uuid);
        kv_memo_str_set(&f->original_date_time, d->forward->original_date_time);
        kv_memo_str_set(&f->original_sender, d->forward->original_sender);
        kv_memo_str_set(&f->original_representative, d->forward->original_representative);
        kv_memo_str_set(&f->contact_point_id, d->forward->contact_point_id);
        kv_memo_str_set(&f->comment, d->forward->comment);
        msg->header.forward_data = f;
    }
    kv_memo_str_set(&msg->body->main.label, label);
    rc = kv_memo_build_main_file(msg, "brev.txt", d->text, d->text_len, "text/plain", "da", err);
    for (i = 0; rc == 0 && i < d->n_att; i++)
        rc = kv_memo_build_attachment(msg, NULL, d->att[i].filename, d->att[i].data,
                                      d->att[i].len, d->att[i].mime, "da", err);
out:
    if (rc < 0)
        kv_memo_message_free(msg);
    else
        *out = msg;
    return rc;
}

/* One field per error diagnostic of the check (code = the rule), at its line and column. */
static void add_diag_fields(struct kv_problem *p, const struct kv_memo_diags *dg)
{
    size_t i;

    for (i = 0; i < dg->n; i++) {
        const struct kv_memo_diag *g = &dg->items[i];
        if (g->severity != KV_MEMO_ERROR)
            continue;
        kv_problem_field_at(p, "memo", g->path && g->path[0] ? g->path : "/", g->rule,
                            g->message, g->line, g->col);
    }
}

/* Writes msg as XML and checks it at NgDP level. On success *out_xml (owned) holds the bytes;
 * 1 when refused (a set). */
static int write_and_check(const struct kv_memo_message *msg, char **out_xml, size_t *out_len,
                           struct answer *a, struct kv_err *err)
{
    struct kv_memo_diags dg;
    struct kv_buf b;
    char text[300];
    int rc;

    *out_xml = NULL;
    kv_buf_init(&b, KV_MEMO_DEFAULT_MAX_BYTES);
    rc = kv_memo_write(msg, 0, &b, err);
    if (rc == KV_EINVAL || rc == KV_ETOOBIG) {
        snprintf(text, sizeof(text), "the letter cannot be written as MeMo: %s",
                 err ? err->msg : "invalid");
        refuse(a, rc, "MEMO_VALIDATION_FAILED", text);
        kv_buf_release(&b);
        return 1;
    }
    if (rc < 0) {
        kv_buf_release(&b);
        return rc;
    }
    rc = kv_memo_global_init(err);
    if (rc < 0) {
        kv_buf_release(&b);
        return rc;
    }
    kv_memo_diags_init(&dg);
    rc = kv_memo_check(b.buf, b.len, KV_MEMO_LEVEL_NGDP, NULL, &dg, NULL, err);
    if (rc == 0 && dg.n_errors > 0) {
        snprintf(text, sizeof(text), "the letter breaks %zu MeMo rule%s", dg.n_errors,
                 dg.n_errors == 1 ? "" : "s");
        add_diag_fields(refuse(a, KV_EINVAL, "MEMO_VALIDATION_FAILED", text), &dg);
        rc = 1;
    }
    kv_memo_diags_release(&dg);
    if (rc != 0) {
        kv_buf_release(&b);
        return rc;
    }
    *out_xml = kv_buf_detach(&b, out_len);
    return 0;
}

/* Hands l to the writer (or a direct transaction when the hub has none). */
static int store_letter(struct kv_hub *hub, struct kv_letter *l, struct kv_err *err)
{
    struct kv_letter *lp = l;
    struct kv_db *db = NULL;
    int rc;

    if (hub->writer)
        return kv_letter_writer_run(hub->writer, &lp, 1, err);
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_letters_store_batch(db, &lp, 1, err);
    kv_db_release(db);
    return rc;
}

/* Stores the built letter as owner's and sets the outcome. in_reply_to may be NULL. */
static int submit(struct kv_hub *hub, const struct kv_mbox_owner *owner,
                  const struct kv_mailbox *mb, const struct target *t,
                  const struct kv_memo_message *msg, const char *in_reply_to, struct answer *a,
                  struct kv_err *err)
{
    struct kv_letter l;
    char *xml = NULL;
    size_t len = 0;
    int rc;

    rc = write_and_check(msg, &xml, &len, a, err);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    kv_letter_init(&l, xml, len);
    kv_sha256_hex(xml, len, l.sha256);
    kv_str_copy(l.uuid, sizeof(l.uuid), msg->header.message_uuid);
    l.message_id = kv_xstrdup(msg->header.message_uuid);
    l.label = kv_xstrdup(msg->header.label);
    l.message_type = kv_xstrdup(KV_MEMO_DIGITALPOST);
    l.memo_version = kv_xstrdup("1.2");
    /* sender_cvr: the company's CVR, '' for a citizen (the CPR stays in the MeMo). */
    kv_str_copy(l.sender_id, sizeof(l.sender_id), strcmp(owner->type, "CVR") == 0 ? owner->id : "");
    l.sender_label = kv_xstrdup(msg->header.sender.label);
    kv_str_copy(l.recipient_type, sizeof(l.recipient_type), t->rtype[0] ? t->rtype : "CVR");
    kv_str_copy(l.recipient_id, sizeof(l.recipient_id), t->rtype[0] ? t->rid : t->org);
    kv_str_copy(l.contact_point_id, sizeof(l.contact_point_id), t->point_id);
    l.sender_mailbox_id = mb->id;
    l.to_mailbox = t->rtype[0] != '\0';
    kv_mbox_actor(owner, l.actor, sizeof(l.actor));
    kv_mbox_subject(owner, l.writer_subject, sizeof(l.writer_subject));
    rc = kv_uuid_v4(l.transmission_id);
    if (rc < 0) {
        kv_err_set(err, rc, "cannot generate a transmission id");
        goto out;
    }
    rc = store_letter(hub, &l, err);
    if (l.outcome == KV_LETTER_CREATED) {
        struct kv_mbox_sent *o = a->sent;
        kv_str_copy(o->uuid, sizeof(o->uuid), l.uuid);
        o->label = l.label;
        l.label = NULL;
        o->size = len;
        o->created_ms = l.time_ms;
        kv_str_copy(o->org, sizeof(o->org), t->org);
        kv_str_copy(o->org_label, sizeof(o->org_label), t->org_label);
        kv_str_copy(o->point_id, sizeof(o->point_id), t->point_id);
        kv_str_copy(o->in_reply_to, sizeof(o->in_reply_to), in_reply_to);
        rc = 0;
    } else if (l.outcome == KV_LETTER_FAILED && l.err.code == KV_ENOTFOUND) {
        /* The point or the default system went away between the check and the store. */
        refuse(a, KV_ECONFLICT, "NOT_REACHABLE", "the organisation has no recipient system");
        rc = 0;
    } else if (l.outcome == KV_LETTER_CONFLICT) {
        refuse(a, KV_ECONFLICT, "DUPLICATE_MESSAGE_UUID",
               "messageUUID collision; write the letter again");
        rc = 0;
    } else {
        if (rc == 0)
            rc = kv_err_set(err, l.err.code ? l.err.code : KV_EINTERNAL, "%s",
                            l.err.msg[0] ? l.err.msg : "the letter could not be stored");
    }
out:
    kv_letter_release(&l);
    free(xml);
    return rc;
}

/* The function's result: 0 when stored, the refusal's kind when refused, else rc (< 0, err
 * set by the step that failed). */
static int finish(struct answer *a, int rc)
{
    if (rc < 0) {
        kv_problem_release(a->p);
        kv_mbox_sent_release(a->sent);
        return rc;
    }
    if (a->p->kind) {
        kv_mbox_sent_release(a->sent);
        return a->p->kind;
    }
    return 0;
}

void kv_mbox_sent_release(struct kv_mbox_sent *s)
{
    if (!s)
        return;
    free(s->label);
    memset(s, 0, sizeof(*s));
}

/* Starts an outcome: both out parameters emptied. */
static void answer_init(struct answer *a, struct kv_mbox_sent *sent, struct kv_problem *p)
{
    a->sent = sent;
    a->p = p;
    memset(sent, 0, sizeof(*sent));
    kv_problem_init(p);
}

int kv_mbox_send_new(struct kv_hub *hub, const struct kv_mbox_owner *owner,
                     const char *point_id, const struct kv_mbox_draft *d,
                     struct kv_mbox_sent *out, struct kv_problem *refusal, struct kv_err *err)
{
    struct answer a;
    struct kv_db *db = NULL;
    struct kv_mailbox mb;
    struct kv_memo_message *msg = NULL;
    struct target t;
    int rc;

    answer_init(&a, out, refusal);
    memset(&t, 0, sizeof(t));
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return finish(&a, rc);
    rc = writer_mailbox(db, owner, &mb, &a, err);
    if (rc != 0)
        goto out;
    rc = load_point(db, point_id, strcmp(owner->type, "CPR") == 0 ? "citizen" : "company", &t,
                    err);
    if (rc == KV_ENOTFOUND) {
        kv_problem_field(refuse(&a, KV_ENOTFOUND, "CONTACT_POINT_NOT_FOUND",
                                "no active contact point with this id is open to you"),
                         RES, "contactPointId", "CONTACT_POINT_NOT_FOUND", "not found",
                         point_id);
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    /* Every point has a recipient system; routing looks the point up again when storing. */
    kv_db_release(db);
    db = NULL;
    if (check_limits(&t, d, &a))
        goto out;
    rc = build(owner, &mb, &t, d->label, d, &msg, err);
    if (rc == KV_EINVAL || rc == KV_ETOOBIG) {
        refuse(&a, rc, "INVALID_REQUEST", err ? err->msg : "invalid");
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    rc = submit(hub, owner, &mb, &t, msg, NULL, &a, err);
out:
    kv_memo_message_free(msg);
    kv_db_release(db);
    return finish(&a, rc < 0 ? rc : 0);
}

/* ---- to another citizen's or company's mailbox ---- */

int kv_mbox_send_person(struct kv_hub *hub, const struct kv_mbox_owner *owner,
                        const char *recipient_type, const char *recipient_id,
                        const struct kv_mbox_draft *d, struct kv_mbox_sent *out,
                        struct kv_problem *refusal, struct kv_err *err)
{
    struct answer a;
    struct kv_db *db = NULL;
    struct kv_mailbox mb;
    struct kv_memo_message *msg = NULL;
    struct target t;
    size_t want;
    int rc;

    answer_init(&a, out, refusal);
    memset(&t, 0, sizeof(t));
    t.max_att = -1;
    want = recipient_type && strcmp(recipient_type, "CPR") == 0   ? 10
           : recipient_type && strcmp(recipient_type, "CVR") == 0 ? 8
                                                                  : 0;
    if (!want || !recipient_id || strlen(recipient_id) != want ||
        strspn(recipient_id, "0123456789") != want) {
        kv_problem_field(refuse(&a, KV_EINVAL, "RECIPIENT_INVALID",
                                "a recipient is a CPR number (10 digits) or a CVR number (8)"),
                         RES, "recipientId", "RECIPIENT_INVALID", "malformed", recipient_id);
        return finish(&a, 0);
    }
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return finish(&a, rc);
    rc = writer_mailbox(db, owner, &mb, &a, err);
    if (rc != 0)
        goto out;
    if (strcmp(recipient_type, owner->type) == 0 && strcmp(recipient_id, owner->id) == 0) {
        refuse(&a, KV_EINVAL, "RECIPIENT_IS_SENDER", "the letter is in this mailbox already");
        goto out;
    }
    /* Whether the number has an open mailbox is not looked at here: the letter is stored
     * either way and the store decides (letter_store.c resolve(): NOT_ALLOWED with
     * RECIPIENT_UNKNOWN, RECIPIENT_MAILBOX_CLOSED or RECIPIENT_EXEMPT when it cannot be
     * delivered), so the writer gets the same answer for every well-formed number and cannot
     * use it to learn who has Digital Post (docs/mailbox-web.md). */
    kv_db_release(db);
    db = NULL;
    kv_str_copy(t.rtype, sizeof(t.rtype), recipient_type);
    kv_str_copy(t.rid, sizeof(t.rid), recipient_id);
    rc = build(owner, &mb, &t, d->label, d, &msg, err);
    if (rc == KV_EINVAL || rc == KV_ETOOBIG) {
        refuse(&a, rc, "INVALID_REQUEST", err ? err->msg : "invalid");
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    rc = submit(hub, owner, &mb, &t, msg, NULL, &a, err);
out:
    kv_memo_message_free(msg);
    kv_db_release(db);
    return finish(&a, rc < 0 ? rc : 0);
}

/* ---- replies ---- */

/* Adds the ReplyData pointing at the original orig to msg, followed by the original's own
 * ReplyData (moved over: the authority's references, such as its caseID, travel back). */
static void add_reply_data(struct kv_memo_message *msg, struct kv_memo_message *orig)
{
    const struct kv_memo_header *oh = &orig->header;
    struct kv_memo_reply_data *rd;
    size_t i, n = oh->n_reply_data;

    rd = kv_memo_header_add_reply_data(&msg->header);
    kv_memo_str_set(&rd->message_id, oh->message_id);
    kv_memo_str_set(&rd->message_uuid, oh->message_uuid);
    kv_memo_str_set(&rd->reply_uuid, msg->header.message_uuid);
    kv_memo_str_set(&rd->sender_id, oh->sender.id);
    kv_memo_str_set(&rd->recipient_id, oh->recipient.id);
    if (oh->sender.contact_point)
        kv_memo_str_set(&rd->contact_point_id, oh->sender.contact_point->contact_point_id);
    for (i = 0; i < n; i++) {
        rd = kv_memo_header_add_reply_data(&msg->header);
        *rd = orig->header.reply_data[i];
        memset(&orig->header.reply_data[i], 0, sizeof(*rd)); /* moved: orig frees nothing */
    }
}

/* Where a reply to orig goes; 1 when refused. */
static int reply_target(struct kv_db *db, const struct kv_memo_message *orig, struct target *t,
                        struct answer *a, struct kv_err *err)
{
    const struct kv_memo_sender *snd = &orig->header.sender;
    const char *cp = snd->contact_point ? snd->contact_point->contact_point_id : NULL;
    char sys[37];
    int used = 0, rc;

    /* idType in any case, as the send path reads it (letters.c): "cvr" is an organisation */
    if (!snd->id || !snd->id_type || strcasecmp(snd->id_type, "CVR") != 0 ||
        !kv_cvr_valid(snd->id)) {
        refuse(a, KV_ECONFLICT, "NOT_REACHABLE",
               "the sender of this letter is not an organisation");
        return 1;
    }
    kv_str_copy(t->org, sizeof(t->org), snd->id);
    kv_str_copy(t->org_label, sizeof(t->org_label), snd->label);
    t->max_att = -1;
    t->max_mb = 0;
    if (cp && strlen(cp) > 36)
        cp = NULL;
    rc = kv_recipient_pick(db, t->org, cp, sys, &used, err);
    if (rc == KV_ENOTFOUND) {
        refuse(a, KV_ECONFLICT, "NOT_REACHABLE",
               "the sending organisation has no recipient system that can receive replies");
        return 1;
    }
    if (rc < 0)
        return rc;
    if (used) { /* the point's limits apply; it may be hidden from the writer's audience */
        rc = load_point(db, cp, NULL, t, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int kv_mbox_send_reply(struct kv_hub *hub, const struct kv_mbox_owner *owner, const char *uuid,
                       const struct kv_mbox_draft *d, struct kv_mbox_sent *out,
                       struct kv_problem *refusal, struct kv_err *err)
{
    struct answer a;
    struct kv_db *db = NULL;
    struct kv_mailbox mb;
    struct kv_mbox_letter l;
    struct kv_memo_message *orig = NULL, *msg = NULL;
    struct target t;
    char *label = NULL;
    int64_t deadline;
    int rc;

    answer_init(&a, out, refusal);
    memset(&t, 0, sizeof(t));
    memset(&l, 0, sizeof(l));
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return finish(&a, rc);
    rc = writer_mailbox(db, owner, &mb, &a, err);
    if (rc != 0)
        goto out;
    rc = kv_mbox_letter_load(db, owner, uuid, 1, &l, err);
    if (rc == KV_ENOTFOUND) {
        refuse(&a, KV_ENOTFOUND, "NOT_FOUND", "no such message");
        rc = 0;
        goto out;
    }
    if (rc == 0)
        rc = kv_mbox_letter_model(&l, 1, &orig, err);
    if (rc < 0)
        goto out;
    if (l.sent || orig->header.reply != KV_MEMO_BOOL_TRUE) {
        refuse(&a, KV_ECONFLICT, "REPLY_NOT_ALLOWED",
               "this letter does not allow replies (reply=true)");
        goto out;
    }
    if (orig->header.reply_by &&
        (kv_clock_parse_utc(orig->header.reply_by, &deadline) < 0 ||
         kv_clock_now_ms() > deadline)) {
        kv_problem_field(refuse(&a, KV_ECONFLICT, "REPLY_DEADLINE_PASSED",
                                "the deadline for replies (replyByDateTime) has passed"),
                         RES, "replyByDateTime", "REPLY_DEADLINE_PASSED", "deadline passed",
                         orig->header.reply_by);
        goto out;
    }
    rc = reply_target(db, orig, &t, &a, err);
    if (rc != 0)
        goto out;
    kv_db_release(db);
    db = NULL;
    if (check_limits(&t, d, &a))
        goto out;
    if (d->label && d->label[0]) {
        label = kv_xstrdup(d->label);
    } else {
        size_t n = strlen(l.label);
        label = kv_xmalloc(n + 5);
        memcpy(label, "Re: ", 4);
        memcpy(label + 4, l.label, n + 1);
    }
    rc = build(owner, &mb, &t, label, d, &msg, err);
    if (rc == KV_EINVAL || rc == KV_ETOOBIG) {
        refuse(&a, rc, "INVALID_REQUEST", err ? err->msg : "invalid");
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    add_reply_data(msg, orig);
    rc = submit(hub, owner, &mb, &t, msg, l.message_uuid, &a, err);
out:
    free(label);
    kv_memo_message_free(msg);
    kv_memo_message_free(orig);
    kv_mbox_letter_release(&l);
    kv_db_release(db);
    return finish(&a, rc < 0 ? rc : 0);
}

/* ---- the request size a target accepts (checked before the request is parsed) ---- */

uint64_t kv_mbox_send_request_max(int64_t max_mb)
{
    uint64_t files = max_mb > 0 ? (uint64_t)max_mb * KV_MBOX_SEND_MB : KV_MBOX_SEND_DECODED_MAX;

    /* base64 of the files (padding per attachment), the text JSON-escaped at worst (6 bytes
     * per byte, \u00XX), and room for names, types, the label and the JSON around them */
    return (files + 2) / 3 * 4 + (uint64_t)KV_MBOX_SEND_ATTACH_MAX * 4 +
           6 * (uint64_t)KV_MBOX_SEND_TEXT_MAX + KV_MBOX_SEND_REQUEST_SLACK;
}

/* The largest limit of the points open to owner's audience (0 when one has none, or when
 * there are none: then the send itself refuses). */
static int audience_max_mb(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t *out,
                           struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    *out = 0;
    rc = kv_db_prepare(db,
                       "SELECT MIN(memo_size_threshold_mb), MAX(memo_size_threshold_mb) FROM "
                       "contact_points WHERE active = 1 AND ((? = 'CPR' AND visible_citizen = 1) "
                       "OR (? = 'CVR' AND visible_company = 1))",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner->type, -1);
    kv_stmt_bind_text(s, 2, owner->type, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW && !kv_stmt_col_is_null(s, 0) && kv_stmt_col_int64(s, 0) > 0)
        *out = kv_stmt_col_int64(s, 1);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_mbox_send_body_max(struct kv_hub *hub, const struct kv_mbox_owner *owner,
                          const char *point_id, const char *reply_uuid, uint64_t *out_max,
                          int64_t *out_max_mb, struct kv_err *err)
{
    struct kv_problem ignored;
    struct answer a = {NULL, &ignored};
    struct kv_db *db = NULL;
    struct kv_mbox_letter l;
    struct kv_memo_message *orig = NULL;
    struct target t;
    int rc, known = 0;

    *out_max = kv_mbox_send_request_max(0);
    if (out_max_mb)
        *out_max_mb = 0;
    memset(&t, 0, sizeof(t));
    memset(&l, 0, sizeof(l));
    kv_problem_init(&ignored);
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return rc;
    if (!point_id && !reply_uuid) {
        rc = audience_max_mb(db, owner, &t.max_mb, err);
        known = rc == 0;
    } else if (point_id) {
        rc = load_point(db, point_id, strcmp(owner->type, "CPR") == 0 ? "citizen" : "company", &t,
                        err);
        known = rc == 0;
    } else {
        rc = kv_mbox_letter_load(db, owner, reply_uuid, 1, &l, err);
        if (rc == 0)
            rc = kv_mbox_letter_model(&l, 1, &orig, err);
        if (rc == 0)
            rc = reply_target(db, orig, &t, &a, err);
        known = rc == 0;
    }
    /* Whatever is unknown here (no such point or letter, not reachable) is refused with its
     * reason by the send itself; only the size is decided now. */
    if (known && t.max_mb > 0) {
        *out_max = kv_mbox_send_request_max(t.max_mb);
        if (out_max_mb)
            *out_max_mb = t.max_mb;
    }
    kv_memo_message_free(orig);
    kv_mbox_letter_release(&l);
    kv_problem_release(&ignored);
    kv_db_release(db);
    return rc < 0 && rc != KV_ENOTFOUND ? rc : 0;
}

/* SPDX-License-Identifier: MIT
 *
 * letters.c: the handler-side half of the send pipeline (see letters.h): checking a submitted
 * MeMo letter (libmemo at NgDP level), turning diagnostics into a refusal (struct kv_problem)
 * with one located field per problem, the memo-message-uuid claim, the sender scope and the
 * value date. kv_letter_submit ties it together for one letter.
 */
#include "hub/letters.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/stats.h"
#include "hub/writer.h"
#include "memo/memo.h"
#include "memo/model.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/testid.h"
#include "util/xmalloc.h"

/* At most one MeMo check per CPU runs at a time: a burst of connections cannot starve the
 * writer thread of CPU (the scheduler would otherwise share it with every checking thread),
 * and the memory of parsed trees stays bounded by the CPU count, not the connection count. */
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;
static sem_t gate;

static void gate_init(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        n = 1;
    if (n > KV_LETTER_MAX_PARALLEL_CHECKS)
        n = KV_LETTER_MAX_PARALLEL_CHECKS;
    sem_init(&gate, 0, (unsigned)n);
}

static void gate_enter(void)
{
    pthread_once(&gate_once, gate_init);
    while (sem_wait(&gate) != 0)
        ; /* EINTR */
}

static void gate_leave(void)
{
    sem_post(&gate);
}

void kv_letter_init(struct kv_letter *l, const char *bytes, size_t len)
{
    memset(l, 0, sizeof(*l));
    l->bytes = bytes;
    l->len = len;
}

void kv_letter_release(struct kv_letter *l)
{
    if (!l)
        return;
    free(l->message_id);
    free(l->label);
    free(l->message_type);
    free(l->memo_version);
    free(l->sender_label);
    free(l->notification);
    kv_problem_release(&l->refusal);
    l->message_id = l->label = l->message_type = l->memo_version = l->sender_label = NULL;
    l->notification = NULL;
}

/* Copies s into dst[0..dstsz) trimmed of XML whitespace; returns 0, or -1 when it does not
 * fit (dst is then ""). */
static int copy_trim(char *dst, size_t dstsz, const char *s)
{
    size_t n;

    dst[0] = '\0';
    if (!s)
        return 0;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n >= dstsz)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static char *dup_opt(const char *s)
{
    return s ? kv_xstrdup(s) : NULL;
}

static void lower_ascii(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* Marks l refused (kind KV_EINVAL or KV_EPERM) and returns its refusal for the fields. */
static struct kv_problem *refuse(struct kv_letter *l, int kind, const char *code,
                                 const char *message, int log_event)
{
    l->outcome = KV_LETTER_REFUSED;
    l->log_refusal = log_event;
    kv_problem_set(&l->refusal, kind, code, "%s", message);
    return &l->refusal;
}

/* 1 when the letter names a test identity (util/testid.h): its recipient, its Sender, or
 * it comes from a system of a test organisation. */
static int test_party(const struct kv_letter *l, const struct kv_system *sys)
{
    return kv_testid_party(l->recipient_type, l->recipient_id) ||
           kv_testid_cvr(l->sender_id) || kv_testid_cvr(sys->org_cvr);
}

/* One field per error diagnostic, at its path (XPath-like) and its line and column. */
static void add_diag_fields(struct kv_problem *p, const struct kv_memo_diags *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        const struct kv_memo_diag *g = &d->items[i];

        if (g->severity != KV_MEMO_ERROR)
            continue;
        kv_problem_field_at(p, "memo", g->path && g->path[0] ? g->path : "/", g->rule,
                            g->message, g->line, g->col);
    }
}

/* "YYYY-MM-DD" -> *ms = 00:00 Copenhagen of it (negative for a day before 1970-01-02, which
 * is as much in the past as any other: such a letter is published at once); 0, or -1 when s
 * is not of that shape. */
static int parse_value_date(const char *s, int64_t *ms)
{
    int y, m, d, i;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    *ms = kv_clock_copenhagen_midnight_ms(y, m, d);
    return 0;
}

/* 1 when idType t names want ("CPR" or "CVR") in any case: the XSD leaves idType free text,
 * and sjkp/digitalpost's MemoBuilder (adapted from Netcompany's .NET reference sender, which
 * takes idType from its configuration) writes "cvr" with memolib's SenderBuilder.IdType. */
static int id_type_is(const char *t, const char *want)
{
    return t && strcasecmp(t, want) == 0;
}

/* doNotDeliverUntilDate (xs:date: blanks around it collapse, an optional time zone `Z` or
 * `+hh:mm`/`-hh:mm` may follow; NGDP-DATE-INVALID has checked it) -> its date "YYYY-MM-DD"
 * in date[11] and 00:00 Copenhagen of that date in *ms; 0, or -1 when it is not of that
 * shape. The zone does not move the date: a value date names a calendar day, and kuvert
 * publishes on that day in Copenhagen whatever zone the sender wrote (docs/send-api.md
 * "Value date"). */
static int value_date_of(const char *s, char date[11], int64_t *ms)
{
    size_t n;

    date[0] = '\0';
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n < 10)
        return -1;
    /* after the date only a zone: Z or +hh:mm / -hh:mm (its range is NGDP-DATE-INVALID's) */
    if (n > 10 && !(n == 11 && s[10] == 'Z') &&
        !(n == 16 && (s[10] == '+' || s[10] == '-') && s[13] == ':'))
        return -1;
    memcpy(date, s, 10);
    date[10] = '\0';
    return parse_value_date(date, ms);
}

/* Sender scope: 1 when the Sender is the system's own organisation (by CVR); 2 when the
 * letter names that organisation as MeMo 1.2 Representative of another organisation's Sender
 * (l->on_behalf_of set; whether that Sender delegated it is checked when storing,
 * delegation.h); 0 otherwise. A letter in its own name that names another organisation as
 * Representative sets l->representative (the organisation must have delegated sending to it,
 * checked when storing); a Representative that is not a CVR can hold no delegation and is
 * refused here: -1. */
static int scope_ok(const struct kv_memo_header *h, const char *org, struct kv_letter *l)
{
    const struct kv_memo_representative *r = h->sender.representative;
    int rep_cvr = r && r->id && id_type_is(r->id_type, "CVR");

    l->on_behalf_of[0] = '\0';
    l->representative[0] = '\0';
    if (!h->sender.id || !id_type_is(h->sender.id_type, "CVR"))
        return 0;
    if (strcmp(h->sender.id, org) == 0) {
        if (!r || (rep_cvr && strcmp(r->id, org) == 0))
            return 1;
        if (!rep_cvr || copy_trim(l->representative, sizeof(l->representative), r->id) < 0 ||
            strlen(l->representative) != 8) {
            l->representative[0] = '\0';
            return -1;
        }
        return 1;
    }
    if (rep_cvr && strcmp(r->id, org) == 0 &&
        copy_trim(l->on_behalf_of, sizeof(l->on_behalf_of), h->sender.id) == 0 &&
        strlen(l->on_behalf_of) == 8)
        return 2;
    l->on_behalf_of[0] = '\0';
    return 0;
}

/* Copies what the store needs out of the model. */
static int take_header(struct kv_letter *l, const struct kv_memo_message *msg)
{
    const struct kv_memo_header *h = &msg->header;

    if (copy_trim(l->uuid, sizeof(l->uuid), h->message_uuid) < 0 || strlen(l->uuid) != 36)
        return -1;
    lower_ascii(l->uuid);
    l->message_id = dup_opt(h->message_id);
    l->label = kv_xstrdup(h->label ? h->label : "");
    l->message_type = kv_xstrdup(h->message_type ? h->message_type : KV_MEMO_DIGITALPOST);
    l->memo_version = kv_xstrdup(msg->memo_version ? msg->memo_version : "");
    (void)copy_trim(l->sender_id, sizeof(l->sender_id), h->sender.id);
    l->sender_label = dup_opt(h->sender.label);
    l->notification = dup_opt(h->notification);
    l->legal = h->legal_notification == KV_MEMO_BOOL_TRUE;
    (void)copy_trim(l->recipient_type, sizeof(l->recipient_type), h->recipient.id_type);
    /* the store and its queries know CPR and CVR as written so */
    if (id_type_is(l->recipient_type, "CPR"))
        memcpy(l->recipient_type, "CPR", 4);
    else if (id_type_is(l->recipient_type, "CVR"))
        memcpy(l->recipient_type, "CVR", 4);
    (void)copy_trim(l->recipient_id, sizeof(l->recipient_id), h->recipient.id);
    if (h->recipient.contact_point)
        (void)copy_trim(l->contact_point_id, sizeof(l->contact_point_id),
                        h->recipient.contact_point->contact_point_id);
    return 0;
}

/* The MeMo markup the letter uses, for the usage statistics (stats.h). */
static unsigned memo_flags(const struct kv_memo_doc *doc, const struct kv_memo_header *h)
{
    unsigned f = 0;

    if (h->notification)
        f |= KV_MEMO_USES_CUSTOM_NOTIFICATION;
    if (h->additional_notification)
        f |= KV_MEMO_USES_CUSTOM_ADDITIONAL_NOTIFICATION;
    if (kv_memo_doc_has_actions(doc))
        f |= KV_MEMO_USES_ACTIONS;
    if (h->recipient.label)
        f |= KV_MEMO_USES_RECIPIENT_LABEL;
    if (h->recipient.attention)
        f |= KV_MEMO_USES_RECIPIENT_ATTENTION;
    if (h->sender.attention)
        f |= KV_MEMO_USES_SENDER_ATTENTION;
    if (h->sender.attention && h->sender.attention->content_responsible)
        f |= KV_MEMO_USES_SENDER_CONTENT_RESPONSIBLE;
    if (h->reply == KV_MEMO_BOOL_TRUE)
        f |= KV_MEMO_USES_REPLY;
    if (h->n_reply_data > 0)
        f |= KV_MEMO_USES_REPLY_DATA;
    if (h->content_data)
        f |= KV_MEMO_USES_CONTENT_DATA;
    return f;
}

int kv_letter_prepare(struct kv_letter *l, const struct kv_system *sys, const char *claimed_uuid,
                      const struct kv_memo_limits *lim, struct kv_err *err)
{
    struct kv_memo_diags diags;
    struct kv_memo_doc *doc = NULL;
    struct kv_memo_message *msg = NULL;
    char msgbuf[256];
    int rc, scope;

    kv_memo_diags_init(&diags);
    diags.skip_warnings = 1; /* a refusal lists errors only; warnings would cost their text */
    (void)kv_str_copy(l->system_id, sizeof(l->system_id), sys->id); /* both fit: same sizes */
    (void)kv_str_copy(l->system_org, sizeof(l->system_org), sys->org_cvr);
    l->push = sys->receipt_url[0] != '\0';
    if (l->sha256[0] == '\0') /* else given by the caller (the resend check) */
        kv_sha256_hex(l->bytes, l->len, l->sha256);

    rc = kv_uuid_v4(l->transmission_id);
    if (rc < 0) {
        kv_err_set(err, rc, "cannot generate a transmission id");
        goto out;
    }
    gate_enter();
    /* libxml2's allocations for this letter's tree come from an arena and go back at once
     * when the tree is done with (memo.h kv_memo_arena_enter; docs/send-api.md "Cuts of
     * session 9"): the doc is freed before the scope is left. */
    kv_memo_arena_enter();
    rc = kv_memo_check(l->bytes, l->len, KV_MEMO_LEVEL_NGDP, lim, &diags, &doc, err);
    /* The uuid is taken even from an invalid letter (for the refusal event) when readable. */
    if (rc == 0 && doc &&
        kv_memo_read(doc, KV_MEMO_READ_HEADER_ONLY | KV_MEMO_READ_ENVELOPE, &msg, NULL) == 0 &&
        take_header(l, msg) < 0)
        l->uuid[0] = '\0';
    if (rc == 0 && msg)
        l->memo_flags = memo_flags(doc, &msg->header);
    kv_memo_doc_free(doc);
    doc = NULL;
    kv_memo_arena_leave();
    gate_leave();
    if (rc < 0)
        goto out;
    if (diags.n_errors > 0) {
        snprintf(msgbuf, sizeof(msgbuf), "the MeMo message is invalid: %zu error%s", diags.n_errors,
                 diags.n_errors == 1 ? "" : "s");
        add_diag_fields(refuse(l, KV_EINVAL, "MEMO_VALIDATION_FAILED", msgbuf, 1), &diags);
        goto out;
    }
    if (!msg || l->uuid[0] == '\0') {
        refuse(l, KV_EINVAL, "MEMO_VALIDATION_FAILED",
               "the MeMo message has no usable messageUUID", 1);
        goto out;
    }
    if (claimed_uuid && strcasecmp(claimed_uuid, l->uuid) != 0) {
        snprintf(msgbuf, sizeof(msgbuf),
                 "memo-message-uuid does not equal MessageHeader/messageUUID %s", l->uuid);
        kv_problem_field(refuse(l, KV_EINVAL, "MESSAGE_UUID_MISMATCH", msgbuf, 1), "request",
                         "memo-message-uuid", "MESSAGE_UUID_MISMATCH", msgbuf, claimed_uuid);
        goto out;
    }
    if (!l->accept_test && test_party(l, sys)) {
        /* test data (util/testid.h) only on a server started with --test-login */
        int rcpt = kv_testid_party(l->recipient_type, l->recipient_id);
        snprintf(msgbuf, sizeof(msgbuf),
                 "%s %s is a test number (docs/testportal.md): this server does not accept "
                 "test data",
                 rcpt ? "the recipient" : "the sender", rcpt ? l->recipient_id
                 : kv_testid_cvr(sys->org_cvr) ? sys->org_cvr : l->sender_id);
        kv_problem_field(refuse(l, KV_EINVAL, "TEST_DATA_NOT_ACCEPTED", msgbuf, 1), "memo",
                         rcpt ? "/memo:Message/memo:MessageHeader/memo:Recipient/memo:recipientID"
                              : "/memo:Message/memo:MessageHeader/memo:Sender/memo:senderID",
                         "TEST_DATA_NOT_ACCEPTED", msgbuf,
                         rcpt ? l->recipient_id : l->sender_id);
        goto out;
    }
    scope = scope_ok(&msg->header, sys->org_cvr, l);
    if (scope < 0) {
        snprintf(msgbuf, sizeof(msgbuf),
                 "Sender/Representative must be an organisation (idType CVR) that organisation "
                 "%s has delegated sending to",
                 sys->org_cvr);
        kv_problem_field(refuse(l, KV_EPERM, "SENDER_NOT_ALLOWED", msgbuf, 0), "memo",
                         "/memo:Message/memo:MessageHeader/memo:Sender/memo:Representative/"
                         "memo:representativeID",
                         "REPRESENTATIVE_NOT_DELEGATED", msgbuf,
                         msg->header.sender.representative->id);
        goto out;
    }
    if (scope == 0) {
        snprintf(msgbuf, sizeof(msgbuf),
                 "system %s may send only as organisation CVR %s (Sender/senderID or "
                 "Sender/Representative/representativeID)",
                 sys->id, sys->org_cvr);
        kv_problem_field(refuse(l, KV_EPERM, "SENDER_NOT_ALLOWED", msgbuf, 0), "memo",
                         "/memo:Message/memo:MessageHeader/memo:Sender/memo:senderID",
                         "SENDER_NOT_ALLOWED", msgbuf, l->sender_id);
        goto out;
    }
    if (msg->header.do_not_deliver_until) {
        if (value_date_of(msg->header.do_not_deliver_until, l->value_date, &l->value_ms) < 0) {
            /* not reached: NGDP-DATE-INVALID refused such a letter above */
            kv_problem_field(refuse(l, KV_EINVAL, "MEMO_VALIDATION_FAILED",
                                    "doNotDeliverUntilDate is not a date", 1),
                             "memo", "/memo:Message/memo:MessageHeader/memo:doNotDeliverUntilDate",
                             "NGDP-DATE-INVALID", "not a date YYYY-MM-DD",
                             msg->header.do_not_deliver_until);
            goto out;
        }
    }
    rc = 0;
out:
    kv_memo_message_free(msg);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&diags);
    return rc;
}

json_t *kv_letter_receipt_json(const struct kv_letter *l)
{
    char ts[32];

    kv_clock_format_utc(l->time_ms, ts, sizeof(ts));
    return json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s,s:s}", "transmissionId", l->transmission_id,
                     "messageUUID", l->uuid, "messageId", l->message_id, "errorCode",
                     l->error_code[0] ? l->error_code : NULL, "errorMessage",
                     l->error_message[0] ? l->error_message : NULL, "timeStamp", ts,
                     "receiptStatus", l->receipt_status);
}

int kv_letter_receipt_text(const struct kv_letter *l, struct kv_buf *out)
{
    char ts[32];
    int rc;

    kv_clock_format_utc(l->time_ms, ts, sizeof(ts));
    rc = kv_buf_put_lit(out, "{\"transmissionId\":");
    rc = rc ? rc : kv_buf_json_str(out, l->transmission_id);
    rc = rc ? rc : kv_buf_put_lit(out, ",\"messageUUID\":");
    rc = rc ? rc : kv_buf_json_str(out, l->uuid);
    rc = rc ? rc : kv_buf_put_lit(out, ",\"messageId\":");
    rc = rc ? rc : kv_buf_json_str(out, l->message_id);
    rc = rc ? rc : kv_buf_put_lit(out, ",\"errorCode\":");
    rc = rc ? rc : kv_buf_json_str(out, l->error_code[0] ? l->error_code : NULL);
    rc = rc ? rc : kv_buf_put_lit(out, ",\"errorMessage\":");
    rc = rc ? rc : kv_buf_json_str(out, l->error_message[0] ? l->error_message : NULL);
    rc = rc ? rc : kv_buf_put_lit(out, ",\"timeStamp\":");
    rc = rc ? rc : kv_buf_json_str(out, ts);
    rc = rc ? rc : kv_buf_put_lit(out, ",\"receiptStatus\":");
    rc = rc ? rc : kv_buf_json_str(out, l->receipt_status);
    return rc ? rc : kv_buf_put_lit(out, "}");
}

/* Runs letters through the writer, or a direct transaction when the hub has none. */
static int store_letters(struct kv_hub *hub, struct kv_letter **ls, size_t n, struct kv_err *err)
{
    struct kv_db *db = NULL;
    int rc;

    if (hub->writer)
        return kv_letter_writer_run(hub->writer, ls, n, err);
    rc = kv_db_acquire(hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_letters_store_batch(db, ls, n, err);
    kv_db_release(db);
    return rc;
}

int kv_letter_submit(struct kv_hub *hub, const struct kv_system *sys, struct kv_letter *l,
                     const char *claimed_uuid, struct kv_err *err)
{
    int rc;

    l->accept_test = hub->conf && hub->conf->test_login;
    rc = kv_letter_prepare(l, sys, claimed_uuid, NULL, err);
    if (rc < 0)
        return rc;
    if (l->outcome == KV_LETTER_REFUSED && claimed_uuid) {
        /* A resend of a stored letter is answered from it even when its bytes would be
         * refused now (a rule of time, a changed directory): the writer's own look-up only
         * sees letters that pass the check. */
        struct kv_db *db = NULL;

        rc = kv_db_acquire(hub->store, &db, err);
        if (rc == 0)
            rc = kv_letter_find_replay(db, sys->id, claimed_uuid, l->sha256, l, err);
        kv_db_release(db);
        if (rc < 0)
            return rc;
        if (l->outcome == KV_LETTER_REPLAYED)
            return 0;
    }
    if (l->outcome == KV_LETTER_REFUSED && !l->log_refusal)
        return 0;
    rc = store_letters(hub, &l, 1, err);
    if (rc < 0 && l->outcome != KV_LETTER_REFUSED)
        l->outcome = KV_LETTER_FAILED;
    return 0;
}

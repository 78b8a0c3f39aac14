/* SPDX-License-Identifier: MIT
 *
 * bulk_send.c (api): the bulk send of POST /apis/v1/memos/ (application/x-lzma, or
 * multipart/form-data part `file`), answered with ONE NgDP Receipt for the batch, as NgDP's
 * generated client (SendMemoAsync) and Netcompany's reference sender
 * (JsonConvert.DeserializeObject<Receipt>) read it. See memos_bulk.h and docs/send-api.md,
 * "Bulk".
 *
 * The batch gets a transmissionId of its own, and every letter of it that is stored carries
 * it (its receipt, its events): that id ties the one answer to the per-letter outcomes. Each
 * letter still gets its own receipt: stored letters the usual one (RECEIVED / NOT_ALLOWED),
 * refused letters one with receiptStatus INVALID or NOT_ALLOWED and the refusal's code and
 * text, all pulled from /apis/v1/receipts/ and /apis/v1/receipts-bulk/ or pushed. The answer
 * also lists them under `letters` (a kuvert extension NgDP's clients keep in
 * AdditionalProperties).
 *
 * Memory: pass 1 checks every bound without allocating for an entry (memos_bulk.c); pass 2
 * takes KV_BULK_CHUNK_BYTES / KV_BULK_CHUNK_LETTERS of letters at a time, checks and stores
 * them, and frees them before the next chunk. What a request holds is reserved in the global
 * bulk budget (configuration bulk_memory) first; when it does not fit: 503 + Retry-After,
 * before anything is stored.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/memos_bulk.h"
#include "http/http.h"
#include "hub/directory.h"
#include "hub/events.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "hub/receipts.h"
#include "hub/writer.h"
#include "memo/memo.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* The batch being sent. */
struct batch {
    struct kv_http_req *req;
    const struct kv_system *sys;
    char tid[37];          /* the batch's transmissionId */
    size_t accepted;       /* letters stored now or before (CREATED, REPLAYED) */
    size_t refused;        /* letters refused (REFUSED, CONFLICT) */
    size_t not_allowed;    /* ... of which refused as NOT_ALLOWED */
    json_t *letters;       /* owned: the per-letter outcomes of the answer */
};

/* A chunk of letters of pass 2. */
struct chunk {
    size_t n;                        /* letters */
    size_t bytes;                    /* their size */
    char *names[KV_BULK_CHUNK_LETTERS];
    char *datas[KV_BULK_CHUNK_LETTERS];
    size_t lens[KV_BULK_CHUNK_LETTERS];
};

static void chunk_clear(struct chunk *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        free(c->names[i]);
        free(c->datas[i]);
    }
    memset(c, 0, sizeof(*c));
}

/* An archive entry may be as large as a single letter may be: the configured request body
 * limit, and never more than libmemo reads. */
static size_t max_entry(const struct kv_hub *hub)
{
    size_t m = KV_MEMO_DEFAULT_MAX_BYTES;

    if (hub->conf && hub->conf->max_body > 0 && (uint64_t)hub->conf->max_body < m)
        m = (size_t)hub->conf->max_body;
    return m;
}

static size_t budget_cap(const struct kv_hub *hub)
{
    return hub->conf && hub->conf->bulk_memory > 0 ? (size_t)hub->conf->bulk_memory
                                                   : (size_t)512 << 20;
}

/* 1 when a refused letter is refused as not allowed (the sender may not send it), not as
 * invalid. */
static int refused_not_allowed(const struct kv_letter *l)
{
    return l->refusal.kind == KV_EPERM;
}

/* The refusal's code (code non-zero) or message, or dflt when the hub gave none. */
static const char *refusal_text(const struct kv_letter *l, int code, const char *dflt)
{
    const char *t = code ? l->refusal.code : l->refusal.message;

    return t[0] ? t : dflt;
}

/* The receipt of a refused letter: INVALID or NOT_ALLOWED with the refusal's code and text,
 * in the batch's transmission. */
static void refusal_receipt(const struct batch *b, const struct kv_letter *l, int64_t now,
                            struct kv_receipt *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->system_id, sizeof(r->system_id), "%s", b->sys->id);
    snprintf(r->transmission_id, sizeof(r->transmission_id), "%s", b->tid);
    snprintf(r->message_uuid, sizeof(r->message_uuid), "%s", l->uuid);
    snprintf(r->message_id, sizeof(r->message_id), "%s", l->message_id ? l->message_id : "");
    snprintf(r->receipt_status, sizeof(r->receipt_status), "%s",
             refused_not_allowed(l) ? "NOT_ALLOWED" : "INVALID");
    snprintf(r->error_code, sizeof(r->error_code), "%s", refusal_text(l, 1, "INVALID"));
    snprintf(r->error_message, sizeof(r->error_message), "%s",
             refusal_text(l, 0, "the letter was refused"));
    r->time_ms = now;
}

/* Stores the receipts of the chunk's refused letters in one transaction. */
static int store_refusals(struct batch *b, struct kv_letter *ls, size_t n, int64_t now,
                          struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct kv_receipt r;
    size_t i, todo = 0;
    int rc;

    for (i = 0; i < n; i++)
        todo += ls[i].outcome == KV_LETTER_REFUSED || ls[i].outcome == KV_LETTER_CONFLICT;
    if (!todo)
        return 0;
    rc = kv_db_acquire(b->req->hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_begin(db, err);
    for (i = 0; rc == 0 && i < n; i++) {
        if (ls[i].outcome != KV_LETTER_REFUSED && ls[i].outcome != KV_LETTER_CONFLICT)
            continue;
        refusal_receipt(b, &ls[i], now, &r);
        rc = kv_receipt_insert(db, &r, ls[i].push, err);
    }
    if (rc == 0)
        rc = kv_db_commit(db, err);
    else
        kv_db_rollback(db);
    kv_db_release(db);
    return rc;
}

/* The answer's entry for one letter (after storage). */
static json_t *outcome_json(const struct batch *b, const struct kv_letter *l, const char *name,
                            int64_t now)
{
    json_t *o = json_object();
    char ts[32], *shown;

    /* an entry's path is bytes: shown with '?' for its non-ASCII bytes when not UTF-8 (JSON
     * cannot carry it; the member was listed without fileName) */
    shown = kv_str_utf8_or_ascii(name);
    json_object_set_new(o, "fileName", json_string(shown));
    free(shown);
    if (l->uuid[0]) /* a Guid in NgDP's client: left out rather than null */
        json_object_set_new(o, "messageUUID", json_string(l->uuid));
    json_object_set_new(o, "messageId", l->message_id ? json_string(l->message_id) : json_null());
    if (l->outcome == KV_LETTER_CREATED || l->outcome == KV_LETTER_REPLAYED) {
        kv_clock_format_utc(l->time_ms, ts, sizeof(ts));
        json_object_set_new(o, "transmissionId", json_string(l->transmission_id));
        json_object_set_new(o, "receiptStatus", json_string(l->receipt_status));
        json_object_set_new(o, "errorCode",
                            l->error_code[0] ? json_string(l->error_code) : json_null());
        json_object_set_new(o, "errorMessage",
                            l->error_message[0] ? json_string(l->error_message) : json_null());
        json_object_set_new(o, "replayed", json_boolean(l->outcome == KV_LETTER_REPLAYED));
    } else {
        json_t *fe = kv_http_field_errors(&l->refusal);
        kv_clock_format_utc(now, ts, sizeof(ts));
        json_object_set_new(o, "transmissionId", json_string(b->tid));
        json_object_set_new(o, "receiptStatus",
                            json_string(refused_not_allowed(l) ? "NOT_ALLOWED" : "INVALID"));
        json_object_set_new(o, "errorCode", json_string(refusal_text(l, 1, "INVALID")));
        json_object_set_new(o, "errorMessage",
                            json_string(refusal_text(l, 0, "the letter was refused")));
        if (json_is_array(fe))
            json_object_set(o, "fieldErrors", fe);
        json_decref(fe);
    }
    json_object_set_new(o, "timeStamp", json_string(ts));
    return o;
}

/* Checks and stores the chunk's letters; their outcomes go into b. KV_EIO (err set) when a
 * letter could not be stored (the request answers 500). */
static int send_chunk(struct batch *b, struct chunk *c, struct kv_err *err)
{
    struct kv_letter *ls = kv_xcalloc(c->n, sizeof(*ls));
    struct kv_letter **ptrs = kv_xcalloc(c->n, sizeof(*ptrs));
    struct kv_hub *hub = b->req->hub;
    size_t i, failed = 0;
    int64_t now;
    int rc = 0;

    for (i = 0; i < c->n; i++) {
        kv_letter_init(&ls[i], c->datas[i], c->lens[i]);
        ptrs[i] = &ls[i];
        ls[i].accept_test = hub->conf && hub->conf->test_login;
        rc = kv_letter_prepare(&ls[i], b->sys, NULL, NULL, err);
        if (rc < 0)
            goto out;
        /* Every letter of the batch is one transmission. */
        snprintf(ls[i].transmission_id, sizeof(ls[i].transmission_id), "%s", b->tid);
    }
    if (hub->writer) {
        rc = kv_letter_writer_run(hub->writer, ptrs, c->n, err);
    } else {
        struct kv_db *db = NULL;
        rc = kv_db_acquire(hub->store, &db, err);
        if (rc == 0) {
            rc = kv_letters_store_batch(db, ptrs, c->n, err);
            kv_db_release(db);
        }
    }
    if (rc < 0)
        goto out;
    for (i = 0; i < c->n; i++)
        failed += ls[i].outcome == KV_LETTER_FAILED || ls[i].outcome == KV_LETTER_PENDING;
    if (failed) {
        rc = kv_err_set(err, KV_EIO, "%zu letters of the archive could not be stored", failed);
        goto out;
    }
    now = kv_clock_now_ms();
    rc = store_refusals(b, ls, c->n, now, err);
    if (rc < 0)
        goto out;
    for (i = 0; i < c->n; i++) {
        if (ls[i].outcome == KV_LETTER_CREATED || ls[i].outcome == KV_LETTER_REPLAYED) {
            b->accepted++;
        } else {
            b->refused++;
            b->not_allowed += refused_not_allowed(&ls[i]);
        }
        json_array_append_new(b->letters, outcome_json(b, &ls[i], c->names[i], now));
    }
out:
    for (i = 0; i < c->n; i++)
        kv_letter_release(&ls[i]);
    free(ls);
    free(ptrs);
    return rc;
}

/* Logs MEMO_MASS_SEND_RECEIVED for the batch: how many letters, accepted and refused. */
static int log_batch(const struct batch *b, struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct kv_event ev = {0};
    char props[192];
    int rc;

    snprintf(props, sizeof(props),
             "{\"transmissionId\":\"%s\",\"letters\":%zu,\"accepted\":%zu,\"refused\":%zu}",
             b->tid, b->accepted + b->refused, b->accepted, b->refused);
    ev.tag = "MEMO_MASS_SEND_RECEIVED";
    ev.system_id = b->sys->id;
    ev.actor = b->sys->id;
    ev.props_json = props;
    rc = kv_db_acquire(b->req->hub->store, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_begin_concurrent(db, err); /* one event (docs/postgresql.md) */
    if (rc == 0)
        rc = kv_events_append(db, &ev, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
    else
        kv_db_rollback(db);
    kv_db_release(db);
    return rc;
}

/* The one Receipt of the batch (owned). */
static json_t *batch_receipt(struct batch *b)
{
    char ts[32], msg[256];
    json_t *o = json_object();
    size_t n = b->accepted + b->refused;

    kv_clock_format_utc(kv_clock_now_ms(), ts, sizeof(ts));
    json_object_set_new(o, "transmissionId", json_string(b->tid));
    json_object_set_new(o, "messageId", json_null());
    if (b->refused == 0) {
        json_object_set_new(o, "errorCode", json_null());
        json_object_set_new(o, "errorMessage", json_null());
    } else {
        snprintf(msg, sizeof(msg),
                 "%zu of %zu letters were refused; each letter's outcome is a receipt with "
                 "transmissionId %s (GET /apis/v1/receipts-bulk/) and is listed in `letters`",
                 b->refused, n, b->tid);
        json_object_set_new(o, "errorCode", json_string(b->accepted ? "BULK_PARTLY_REFUSED"
                                                                    : "BULK_REFUSED"));
        json_object_set_new(o, "errorMessage", json_string(msg));
    }
    json_object_set_new(o, "timeStamp", json_string(ts));
    json_object_set_new(o, "receiptStatus",
                        json_string(b->accepted                   ? "RECEIVED"
                                    : b->not_allowed == b->refused ? "NOT_ALLOWED"
                                                                   : "INVALID"));
    json_object_set_new(o, "letters", b->letters);
    b->letters = NULL;
    return o;
}

static void busy(struct kv_http_resp *resp)
{
    char s[16];

    snprintf(s, sizeof(s), "%d", KV_BULK_RETRY_AFTER_S);
    kv_http_resp_header(resp, "Retry-After", s);
    kv_http_resp_error(resp, 503, "SERVICE_UNAVAILABLE",
                       "the server is unpacking other bulk archives; send this one again after "
                       "the Retry-After seconds (nothing of it was stored)",
                       NULL);
}

/* Pass 1 over the archive: 0 with *scan and *decoder (the decoder's memory), or the error
 * answer written and a negative code. */
static int first_pass(struct kv_http_resp *resp, const char *data, size_t len, int xml_hint,
                      size_t entry_max, size_t cap, struct kv__bulk_scan *scan, size_t *decoder)
{
    struct kv__bulk_reader *r = NULL;
    struct kv_err err = {0};
    int rc, is_busy;

    rc = kv__bulk_open(data, len, cap, &r, &err);
    if (rc == 0)
        rc = kv__bulk_scan(r, entry_max, scan, &err);
    is_busy = kv__bulk_busy(r);
    *decoder = kv__bulk_decoder_bytes(r);
    kv__bulk_close(r);
    if (rc == 0)
        return 0;
    if (is_busy) {
        busy(resp);
        return rc;
    }
    if (rc == KV_EINVAL && xml_hint)
        kv_err_set(&err, KV_EINVAL,
                   "the body is one XML letter, not an archive: send it as application/xml "
                   "with ?memo-message-uuid=, or pack letters in an LZMA-compressed tar");
    if (rc == KV_ETOOBIG)
        kv_http_resp_error(resp, 413, "PAYLOAD_TOO_LARGE", err.msg, NULL);
    else if (rc == KV_EINVAL)
        kv_http_resp_error(resp, 400, "INVALID_ARCHIVE", err.msg, NULL);
    else
        kv_http_resp_from_err(resp, rc, &err);
    return rc;
}

/* Pass 2: the letters a chunk at a time. 0, or a negative code with err set. */
static int second_pass(struct batch *b, const char *data, size_t len, size_t entry_max,
                       struct kv_err *err)
{
    struct kv__bulk_reader *r = NULL;
    struct chunk *c = kv_xcalloc(1, sizeof(*c));
    int rc, more = 1;

    /* Budget cap 0: this pass's decoder memory is part of the caller's reservation. */
    rc = kv__bulk_open(data, len, 0, &r, err);
    while (rc == 0 && more) {
        while (c->n < KV_BULK_CHUNK_LETTERS && c->bytes < KV_BULK_CHUNK_BYTES) {
            rc = kv__bulk_next(r, entry_max, &c->names[c->n], &c->datas[c->n], &c->lens[c->n],
                               err);
            if (rc <= 0) {
                more = 0;
                break;
            }
            c->bytes += c->lens[c->n++];
        }
        if (rc < 0)
            break;
        rc = c->n ? send_chunk(b, c, err) : 0;
        chunk_clear(c);
    }
    chunk_clear(c);
    free(c);
    kv__bulk_close(r);
    return rc;
}

int kv__bulk_send(struct kv_http_req *req, struct kv_http_resp *resp, const char *data,
                  size_t len, int one_letter, int xml_hint, const struct kv_system *sys)
{
    struct batch b;
    struct kv__bulk_scan scan;
    struct kv_err err = {0};
    size_t cap = budget_cap(req->hub), entry_max = max_entry(req->hub), decoder = 0, hold = 0;
    int rc;

    memset(&b, 0, sizeof(b));
    b.req = req;
    b.sys = sys;
    if (kv_uuid_v4(b.tid) < 0) {
        kv_http_resp_error(resp, 500, "INTERNAL_ERROR", "cannot generate a transmission id",
                           NULL);
        return 0;
    }
    b.letters = json_array();
    if (one_letter) { /* a form part holding one MeMo letter: a batch of one */
        struct chunk *c = kv_xcalloc(1, sizeof(*c));
        c->names[0] = kv_xstrdup("file");
        c->datas[0] = kv_xmalloc(len + 1);
        memcpy(c->datas[0], data, len);
        c->datas[0][len] = '\0';
        c->lens[0] = len;
        c->n = 1;
        rc = send_chunk(&b, c, &err);
        chunk_clear(c);
        free(c);
        goto answer;
    }
    if (first_pass(resp, data, len, xml_hint, entry_max, cap, &scan, &decoder) < 0)
        goto out;
    /* Pass 2 holds its decoder, at most a chunk of letters and one more letter. */
    hold = decoder + (scan.total < KV_BULK_CHUNK_BYTES + scan.largest
                          ? scan.total
                          : KV_BULK_CHUNK_BYTES + scan.largest);
    if (!kv__bulk_budget_take(hold, cap)) {
        busy(resp);
        goto out;
    }
    rc = second_pass(&b, data, len, entry_max, &err);
    kv__bulk_budget_give(hold, cap);
answer:
    if (rc == 0)
        rc = log_batch(&b, &err);
    if (rc == KV_EIO) {
        kv_http_resp_error(resp, 500, "INTERNAL_ERROR",
                           "some letters of the archive could not be stored; send the archive "
                           "again (letters already stored are answered as stored)",
                           NULL);
    } else if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
    } else {
        kv_http_resp_json(resp, 201, batch_receipt(&b));
    }
out:
    json_decref(b.letters);
    return 0;
}

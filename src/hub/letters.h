/* SPDX-License-Identifier: MIT
 *
 * letters.h: the send pipeline. A letter submitted by a sender system goes through
 *   1. kv_letter_prepare   (any thread, no database): MeMo check at NgDP level, the
 *                          memo-message-uuid claim, the sender scope (a system sends as its
 *                          own organisation, or names it as MeMo 1.2 Representative of
 *                          another Sender), the value date, SHA-256 of the bytes;
 *   2. kv_letters_store_batch (one write transaction with a savepoint per letter; the
 *                          group-commit writer in writer.h calls it): per letter the
 *                          delegation of a letter sent in another organisation's name
 *                          (delegation.h), idempotency, recipient resolution, the letters row,
 *                          print job, events and the receipt row;
 *   3. the caller answers only after the transaction committed (durable acknowledgement).
 * kv_letter_submit strings the steps together (through hub->writer when there is one).
 *
 * Idempotency: messageUUID (lower-cased) is globally unique. The same system sending the same
 * bytes again gets the original receipt and nothing is created; any other reuse is a conflict
 * (KV_ECONFLICT DUPLICATE_MESSAGE_UUID). Recipient resolution: REGISTERED mailbox -> AVAILABLE (or
 * AWAITING_DELAY until 00:00 Europe/Copenhagen of doNotDeliverUntilDate); EXEMPT -> PRINT +
 * print job (a letter written in a mailbox: NOT_ALLOWED, RECIPIENT_EXEMPT, never printed);
 * CLOSED or unknown -> receipt NOT_ALLOWED (letter row kept, state NOT_ALLOWED).
 * A CVR of an authority (a usable contact point named in the letter, or a default recipient
 * system) is routed to that recipient system instead (recipient_queue.h; receipt RECEIVED).
 * docs/send-api.md documents all of it. A refusal is reported as a struct kv_problem
 * (util/problem.h); which HTTP answer that becomes is the API's business (api/memos.c).
 *
 * Ownership: a struct kv_letter borrows the submitted bytes (they must outlive it) and owns
 * its strings and refusal body; release with kv_letter_release. Not shared between threads
 * except by handing it to the writer, which touches it only until it signals completion.
 */
#ifndef KV_HUB_LETTERS_H
#define KV_HUB_LETTERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/problem.h"

struct kv_db;
struct kv_hub;
struct kv_system;
struct kv_memo_limits;

#define KV_LETTER_MAX_PARALLEL_CHECKS 64 /* MeMo checks at once: min(CPUs, this) */

/* What became of a letter. */
enum kv_letter_outcome {
    KV_LETTER_PENDING = 0, /* not yet stored */
    KV_LETTER_REFUSED,     /* refused before storage (refusal set) */
    KV_LETTER_CREATED,     /* stored now; receipt fields describe the new receipt */
    KV_LETTER_REPLAYED,    /* same system + same bytes: the original receipt, nothing created */
    KV_LETTER_CONFLICT,    /* uuid already used with other bytes or by another system
                              (refusal set, kind KV_ECONFLICT) */
    KV_LETTER_FAILED       /* store failure (err set); nothing of it was committed */
};

struct kv_letter {
    const char *bytes;          /* borrowed MeMo XML */
    size_t len;                 /* its length */
    char system_id[37];         /* submitting sender system */
    char system_org[9];         /* its organisation's CVR */
    int push;                   /* 1 when the system has a receipt URL (receipt push) */
    char uuid[37];              /* messageUUID, lower-cased ("" when not parseable) */
    char sha256[65];            /* hex SHA-256 of the bytes */
    char *message_id;           /* owned MessageHeader/messageID, or NULL */
    char *label;                /* owned MessageHeader/label */
    char *message_type;         /* owned messageType */
    char *memo_version;         /* owned memoVersion */
    char sender_id[16];         /* Sender/senderID */
    char on_behalf_of[9];       /* Sender CVR when the system's organisation sends as its
                                   Representative (checked against delegation.h when stored),
                                   "" when it sends as itself */
    char representative[9];     /* Representative CVR named by a letter whose Sender is the
                                   system's own organisation (that organisation must have
                                   delegated to it, checked when stored), "" when none or
                                   the organisation itself */
    char *sender_label;         /* owned Sender/label, or NULL */
    char *notification;         /* owned MessageHeader/notification (a NemSMS text), or NULL */
    int legal;                  /* 1: legalNotification true (the reminder rule, notify/) */
    char recipient_type[8];     /* Recipient/idType ("CPR", "CVR", other -> unknown) */
    char recipient_id[16];      /* Recipient/recipientID ("" when too long to be one) */
    char contact_point_id[37];  /* Recipient/ContactPoint/contactPointID, "" when none */
    char value_date[11];        /* doNotDeliverUntilDate "YYYY-MM-DD", "" when none */
    int64_t value_ms;           /* 00:00 Copenhagen of value_date, 0 when none (negative for
                                 * a day before 1970-01-02: in the past like any other) */
    int64_t sender_mailbox_id;  /* writer's mailbox of a letter written through the mailbox API
                                   (mailbox_send.h; system_id "", routed only, no receipt row),
                                   0 for a system's letter */
    int to_mailbox;             /* 1: such a letter goes to the recipient's own mailbox (a letter
                                   forwarded to a citizen or company, mailbox_send.h
                                   kv_mbox_send_person), never to a recipient system, and
                                   never printed: to an exempt mailbox it is NOT_ALLOWED
                                   (RECIPIENT_EXEMPT), as to none or a closed one */
    char actor[16];             /* event actor of such a letter ("cpr:<n>"), "" = system_id */
    unsigned memo_flags;        /* MeMo markup used (hub/stats.h KV_MEMO_USES_*), for the
                                   usage statistics */
    char writer_subject[16];    /* such a letter's mailbox owner ("cpr:<n>"/"cvr:<n>"): the store
                                   also records MAILBOX_MESSAGE_SENT under it (the mailbox's
                                   activity log: who wrote, when); "" for none */
    int accept_test;            /* 1: test identities (util/testid.h) may be named: only on
                                   a server with --test-login (kv_letter_submit sets it from
                                   the hub's configuration); 0 refuses them with
                                   TEST_DATA_NOT_ACCEPTED */
    /* refusal (outcome KV_LETTER_REFUSED or KV_LETTER_CONFLICT) */
    struct kv_problem refusal;  /* owned: kind KV_EINVAL (the letter is wrong), KV_EPERM (not
                                   this sender's to send) or KV_ECONFLICT (uuid reused) */
    int log_refusal;            /* 1: the writer records MEMO_SEND_VALIDATION_FAILED */
    /* result */
    enum kv_letter_outcome outcome; /* see above */
    char transmission_id[37];   /* receipt transmissionId */
    char receipt_status[16];    /* RECEIVED | NOT_ALLOWED */
    char error_code[48];        /* receipt errorCode, "" when none */
    char error_message[256];    /* receipt errorMessage, "" when none */
    char state[16];             /* letters.state written */
    int64_t time_ms;            /* receipt timeStamp */
    struct kv_err err;          /* detail of KV_LETTER_FAILED */
};

/* Zeroes l for a letter of bytes[0..len) (borrowed). */
void kv_letter_init(struct kv_letter *l, const char *bytes, size_t len);
/* Frees what l owns; idempotent. */
void kv_letter_release(struct kv_letter *l);

/* Step 1. sys is the authenticated sender system (borrowed); claimed_uuid is the
 * memo-message-uuid query parameter or NULL (bulk). lim NULL = libmemo defaults. Returns 0
 * when the letter may be stored, or 0 with l->outcome == KV_LETTER_REFUSED (l->refusal set:
 * KV_EINVAL or KV_EPERM); a negative code only when the check could not run. l->sha256 is
 * computed unless the caller already filled it (it must then be the hash of the bytes). */
int kv_letter_prepare(struct kv_letter *l, const struct kv_system *sys, const char *claimed_uuid,
                      const struct kv_memo_limits *lim, struct kv_err *err);

/* The stored MeMo bytes of letters row letter_id, the one way any part of the hub reads a
 * letter's body (recipient pull and push, the mailbox): *out owned (free; NUL-terminated,
 * the bytes may hold NULs of their own), *out_len their length. 0, KV_ENOTFOUND when there
 * is no such row, or a store error. */
int kv_letter_body(struct kv_db *db, int64_t letter_id, char **out, size_t *out_len,
                   struct kv_err *err);

/* An idempotent resend: when uuid exists, was sent by system_id with bytes of hash sha256,
 * fills l's receipt fields from the original and sets outcome KV_LETTER_REPLAYED. Otherwise
 * leaves l unchanged. Returns 0 or a store error. */
int kv_letter_find_replay(struct kv_db *db, const char *system_id, const char *uuid,
                          const char *sha256, struct kv_letter *l, struct kv_err *err);

/* Stores n prepared letters (refused ones only get their event) in one transaction with a
 * savepoint per letter, without the writer: used by the writer itself and when there is none.
 * Returns 0 (per-letter outcomes in each letter) or the transaction's error, in which case every
 * letter is KV_LETTER_FAILED. */
int kv_letters_store_batch(struct kv_db *db, struct kv_letter **letters, size_t n,
                           struct kv_err *err);

/* The letter writer's group commit (writer.c): kv_letters_store_batch, except that on SQLite
 * the mailbox search's FTS5 index (migration 017) of the letters is left to a later commit:
 * the deferral row (letters_search_defer, its from_id the first letter not indexed) stays
 * after COMMIT, and the batch that finds KV_SEARCH_DEFER_LETTERS or more letters behind it
 * indexes them all at its end, as does kv_letters_search_flush. Nothing is lost at a crash
 * (the row is in the store) and a search never misses such a letter (mailbox_search.c reads
 * the letters from from_id as candidates too). Any other caller's kv_letters_store_batch
 * indexes everything left behind at its end. On PostgreSQL exactly kv_letters_store_batch. */
#define KV_SEARCH_DEFER_LETTERS 256
int kv_letters_store_group(struct kv_db *db, struct kv_letter **letters, size_t n,
                           struct kv_err *err);

/* Indexes every letter that kv_letters_store_group left unindexed, in a transaction of its
 * own (db must be outside one). 0 at once on PostgreSQL or when nothing is left; else 0 or a
 * store error. The writer calls it when idle (KV_SEARCH_FLUSH_MS), at start and at stop. */
int kv_letters_search_flush(struct kv_db *db, struct kv_err *err);

/* The Receipt JSON {transmissionId, messageUUID, messageId, errorCode, errorMessage,
 * timeStamp, receiptStatus} of a stored or replayed letter. Returns owned json_t. */
json_t *kv_letter_receipt_json(const struct kv_letter *l);
/* The same Receipt as compact JSON text, byte for byte what json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER) makes of kv_letter_receipt_json, appended to out without building a
 * jansson object (the send answer: docs/send-api.md "Cost per letter"). 0 or KV_ETOOBIG. */
int kv_letter_receipt_text(const struct kv_letter *l, struct kv_buf *out);

/* Whole pipeline for letter l (kv_letter_init'ed; l->sha256 may be filled already by the
 * caller, so the body is not hashed twice): prepare, then the writer (hub->writer, else a
 * direct transaction on hub->store), which answers an idempotent resend (same system, uuid and
 * bytes) from the stored letter; a resend that the check refuses now is looked up here
 * (kv_letter_find_replay on claimed_uuid) and answered as a replay too. On return
 * l->outcome says what became of it: CREATED/REPLAYED (receipt fields), REFUSED/CONFLICT
 * (l->refusal) or FAILED (l->err; nothing was kept). Returns 0, or a negative code when the check could not run at
 * all (err set). */
int kv_letter_submit(struct kv_hub *hub, const struct kv_system *sys, struct kv_letter *l,
                     const char *claimed_uuid, struct kv_err *err);

/* ---- recall (recall.c) ---- */

/* Recalls letter uuid before publication: state AWAITING_DELAY with its value date still in
 * the future -> RECALLED + events MEMO_MESSAGE_RECALLED and DELAYED_MEMO_MESSAGE_RECALLED.
 * org_cvr: the caller's organisation (only the sending system's organisation or the Sender
 * may recall; any other organisation gets KV_ENOTFOUND with the very message of an unknown
 * uuid, so existence does not leak), NULL for an administrator (CLI). actor/system_id go into
 * the events (system_id may be NULL). Returns 0 (also when already RECALLED: nothing new is
 * written, *out_already = 1), KV_ENOTFOUND, or KV_ECONFLICT when already published or not
 * deliverable (err says which). *out_recalled_ms receives the recall time. */
int kv_letter_recall(struct kv_db *db, const char *org_cvr, const char *uuid, const char *actor,
                     const char *system_id, int64_t *out_recalled_ms, int *out_already,
                     struct kv_err *err);

/* The same recall by an employee with RECALL_ADMINISTRATOR of org_cvr (Administrativ Adgang;
 * actor: the employee): also the event MESSAGE_RECALLED_BY_ADMINISTRATOR and a receipt to
 * the sending system (receiptStatus NOT_ALLOWED, errorCode MESSAGE_RECALLED_BY_ADMINISTRATOR;
 * pushed when the system has a receipt URL), all in the one transaction. */
int kv_letter_recall_by_administrator(struct kv_db *db, const char *org_cvr, const char *uuid,
                                      const char *actor, int64_t *out_recalled_ms,
                                      int *out_already, struct kv_err *err);

/* Letters of organisation org_cvr (its systems' or as Sender) still waiting for their value
 * date at now_ms, soonest first, at most max (<= KV_WAITING_MAX) into out. q (may be NULL or
 * "") narrows to a messageUUID, a recipient's CPR/CVR or a sending system's id, exactly.
 * (recall_list.c) */
#define KV_WAITING_MAX 200
struct kv_waiting_letter {
    char uuid[37];
    char label[257];          /* the letter's title */
    char recipient_type[4];   /* CPR | CVR */
    char recipient_id[11];
    char system_id[37];
    char system_name[257];
    int64_t available_ms;     /* value date moment */
    int64_t created_ms;
};
int kv_letters_waiting(struct kv_db *db, const char *org_cvr, const char *q, int64_t now_ms,
                       struct kv_waiting_letter *out, size_t max, size_t *out_n,
                       struct kv_err *err);

/* ---- value date publication (used by the scheduler) ---- */

/* Publishes up to max letters whose value date has come (AWAITING_DELAY, available_ms <= now)
 * in one transaction: state AVAILABLE, events DELAYED_MEMO_SEND_SENT and
 * MEMO_AVAILABLE_TO_RECIPIENT, and a routed letter's place in its system's pull list
 * (kv_recipient_publish). *out_n receives how many this call published. Concurrent
 * (store.h): letters another node is publishing at the same moment are skipped, not waited
 * for. */
int kv_letters_publish_due(struct kv_db *db, int64_t now_ms, int max, int *out_n,
                           struct kv_err *err);

#endif

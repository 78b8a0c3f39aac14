/* SPDX-License-Identifier: MIT
 *
 * receipts.h: receipts going back to sender systems (table `receipts`, migrations 003 and 010),
 * both ways NgDP offers them:
 *   pull  the sender system pages through the ids of its own non-deleted receipts, oldest
 *         first (GET /apis/v1/receipts/), or through the receipts themselves (GET
 *         /apis/v1/receipts-bulk/), fetches and deletes them (soft delete: the row stays for
 *         audit, `deleted` = 1). A receipt's id in the API is its GUID (receipts.uuid); the
 *         integer row id is accepted too (kuvert before 010 named receipts by it);
 *   push  every receipt with push_state 'PENDING' is POSTed as JSON to the owning system's
 *         receipt_url with libcurl; 2xx marks it 'DONE', anything else schedules a retry on
 *         the schedule below (persisted in push_attempts / push_next_ms, so a restart loses
 *         none). After 72 hours without success the receipt is 'FAILED' and the event
 *         BUSINESS_RECEIPT_SEND_TO_SENDER_SYSTEM_FAILED is logged; a success logs
 *         TECHNICAL_RECEIPT_SENT_TO_SENDER_SYSTEM. Delivery is at least once: a crash between
 *         the POST and the commit of 'DONE' pushes the receipt again (receivers deduplicate
 *         on "id" / transmissionId). docs/receipts.md documents all of it.
 *
 * Retry schedule (delay after the n-th failed attempt): 10 s, 30 s, 1 min, 5 min, 15 min,
 * 1 h, then every hour; give up once 72 h have passed since the receipt was created.
 * All times come from kv_clock_now_ms, so the test clock moves retries.
 *
 * Connections are borrowed (kv_db_acquire by the caller) except in kv_receipts_push_due,
 * which takes its own from the store and never holds one during network I/O.
 */
#ifndef KV_HUB_RECEIPTS_H
#define KV_HUB_RECEIPTS_H

#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct kv_db;
struct kv_metrics;
struct kv_store;

#define KV_RECEIPTS_PAGE_MAX 1000         /* largest page size of the pull API */
#define KV_RECEIPTS_PAGE_DEFAULT 20       /* page size when none is given */
#define KV_RECEIPT_GIVE_UP_MS (72LL * 3600 * 1000) /* push retries stop after this age */
#define KV_RECEIPT_PUSH_BATCH 32          /* receipts pushed concurrently per call */

/* One receipt row, as plain values. */
struct kv_receipt {
    int64_t id;                 /* row id (list order) */
    char uuid[37];              /* receipt id in the API (/apis/v1/receipts/{uuid}) */
    char system_id[37];         /* owning sender system */
    char transmission_id[37];   /* transmission the receipt answers */
    char message_uuid[37];      /* letter concerned, "" if unknown */
    char message_id[257];       /* MeMo messageID, "" if none */
    char receipt_status[16];    /* NOT_ALLOWED | INVALID | RECEIVED | COMPLETED */
    char error_code[64];        /* "" if none */
    char error_message[1024];   /* "" if none */
    int64_t time_ms;            /* creation time */
    char push_state[12];        /* "" (pull only) | PENDING | DONE | FAILED */
    int push_attempts;          /* failed or successful push attempts so far */
    int64_t push_next_ms;       /* next attempt due (0 = now) */
};

/* Inserts a receipt inside the caller's transaction (outside one, in a transaction of its
 * own). When push is non-zero the receipt is queued for push (push_state PENDING, due at
 * once). r->id and r->uuid (a new version 4 UUID) receive the new ids. The id is drawn under
 * the fence of receipts_id_seq (kv_db_sequence_fence), which the receipts list's horizon
 * needs: another INSERT INTO receipts must take it too (docs/postgresql.md). */
int kv_receipt_insert(struct kv_db *db, struct kv_receipt *r, int push, struct kv_err *err);

/* The Receipt JSON object as NgDP's client reads it (Receipt, and BulkReceipt with its id):
 * {id, transmissionId, messageUUID, messageId, errorCode, errorMessage, timeStamp,
 * receiptStatus}; id is the GUID; an empty messageUUID is left out (the client's Guid cannot
 * be null), other empty strings are null. Returns owned json_t. */
json_t *kv_receipt_json(const struct kv_receipt *r);

/* The order a receipts list is read in (sort=timeStamp,ASC|DESC). */
#define KV_RECEIPTS_ORDER_PROPERTY "timeStamp"

/* One page (zero-based page, size 1..KV_RECEIPTS_PAGE_MAX) of system_id's non-deleted
 * receipts, oldest first (newest first with desc non-zero), as NgDP's PagingResultUUID
 * {content: [receipt GUID...], number, size, totalElements, totalPages, previous, next} with
 * previous/next PagingArguments or null (util/page.h). KV_EINVAL on bad paging. *out is owned
 * (json_decref). */
int kv_receipts_page(struct kv_db *db, const char *system_id, int64_t page, int size, int desc,
                     json_t **out, struct kv_err *err);
/* The same; with after (a lower-case receipt GUID, the keyset cursor "next" carries: see
 * util/page.h) the page is the size receipts after that one in the order, even when it was
 * deleted since, and with before non-zero the size receipts before it (the cursor
 * "previous" carries); page then only numbers the page. An after that names no receipt of
 * system_id is ignored (the page is cut by position). Both list only receipts below the
 * horizon of receipts_id_seq (store.h): one committed while a receipt with a smaller id is
 * still open waits for it, so a system paging by after never steps past a receipt. */
int kv_receipts_page_after(struct kv_db *db, const char *system_id, int64_t page, int size,
                           int desc, const char *after, int before, json_t **out,
                           struct kv_err *err);

/* The same page as whole receipts: NgDP's ReceiptSearchResult {currentPage, totalPages,
 * elementsOnPage, totalElements, receipts: [BulkReceipt...]} (BulkReceipt = kv_receipt_json),
 * with the same cursor (after, before). *more / *prev are set to 1 when a page follows /
 * precedes this one (for the caller's next and previous links). Nothing is deleted.
 * KV_EINVAL on bad paging. *out is owned (json_decref). */
int kv_receipts_bulk_page(struct kv_db *db, const char *system_id, int64_t page, int size,
                          int desc, const char *after, int before, int *more, int *prev,
                          json_t **out, struct kv_err *err);

/* Fetches receipt id (its GUID in any case, or the decimal row id) if it belongs to system_id
 * and is not deleted (KV_ENOTFOUND otherwise, also for an id of neither form); with del
 * non-zero it is then deleted in the same transaction. */
int kv_receipt_get(struct kv_db *db, const char *system_id, const char *id, int del,
                   struct kv_receipt *out, struct kv_err *err);
/* Deletes receipt id (as kv_receipt_get) of system_id; KV_ENOTFOUND when not there (or not
 * the caller's). */
int kv_receipt_delete(struct kv_db *db, const char *system_id, const char *id,
                      struct kv_err *err);

/* Delay before the next attempt after `failures` failed attempts (>= 1). */
int64_t kv_receipt_retry_delay_ms(int failures);

/* Push options (plain values). */
struct kv_receipt_push_opts {
    int64_t connect_timeout_ms; /* TCP/TLS connect timeout; 0 = 10 s */
    int64_t total_timeout_ms;   /* whole request; 0 = 30 s */
    struct kv_metrics *metrics; /* borrowed; counts pushes and failed attempts; may be NULL */
};

/* Pushes up to KV_RECEIPT_PUSH_BATCH due receipts concurrently (curl multi) and records each
 * outcome. Returns 0 (outcomes are data, not errors) or a store failure. *out_done (may be
 * NULL) gets the number of receipts attempted. Thread-safe against itself only in the sense
 * that a receipt is updated only while still PENDING; run it from one thread. */
int kv_receipts_push_due(struct kv_store *st, const struct kv_receipt_push_opts *opts,
                         int *out_done, struct kv_err *err);

/* Scheduler hook (kv_scheduler_hook, registered by the hub on its scheduler): hub_arg is the
 * struct kv_hub (borrowed). Pushes due receipts in batches until none is left due (at most
 * 16 batches per pass), with the connect timeout 10 s and the total timeout from the
 * configuration (receipt_push_timeout); bumps kuvert_receipts_pushed_total and
 * kuvert_receipt_push_failures_total in hub->metrics. Returns 0 or the first store failure. */
int kv_receipts_push_hook(void *hub_arg);

/* Number of receipts still PENDING push (for metrics/tests). */
int kv_receipts_push_pending(struct kv_db *db, int64_t *out, struct kv_err *err);

#endif

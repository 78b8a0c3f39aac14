/* SPDX-License-Identifier: MIT
 *
 * recipient_queue.h: letters addressed to an authority, routed to one of its recipient systems
 * (table `recipient_queue`, migration 004), and the REST pull side of those systems:
 *   route    kv_recipient_pick chooses the system (the named contact point's, else the
 *            organisation's default recipient system) and kv_recipient_queue_to queues the
 *            letter (state QUEUED) - the send pipeline calls both inside its transaction
 *            (letter_store.c); kv_recipient_route does both at once (tools, tests, bench);
 *   list     a system pages through the messageUUIDs routed to it and not deleted, oldest first;
 *            a letter shows only once available (a value date holds it back) and never when
 *            recalled (see visible_ms below);
 *   get      the MeMo XML as submitted; the first fetch marks the row DELIVERED (fetched_ms)
 *            and counts as a successful delivery for the system's health;
 *   receipt  a business receipt (COMPLETED | INVALID) from the system becomes a receipt of the
 *            original sender system (pull, or push when it has a receipt URL) and the event
 *            BUSINESS_RECEIPT_RECEIVED_BY_RECIPIENT_SYSTEM; one receipt per letter (the same
 *            status again is an idempotent retry, another one a conflict);
 *   delete   the system removes the letter from its view (state DELETED, row kept for audit).
 * A letter routed to another system reads as not found. The push side is recipient_push.h,
 * the 7-day health rule system_health.h; docs/recipient-side.md documents all of it.
 *
 * Pull health: a list or letter fetch records the poll (kv_system_health_fetched, written
 * only when stale) and the first fetch of a letter is a successful delivery
 * (kv_system_health_success in the same transaction as the DELIVERED mark).
 *
 * Visibility is read from recipient_queue.visible_ms (migration 008: a copy of the letter's
 * available_ms, kept by a trigger; NULL while the letter waits for its value date, migration
 * 064, and once it is recalled), so the list, its exact count and the oldest waiting letter
 * never read letters rows. The list is in queue id order; a value-dated letter is numbered
 * anew when it is published (kv_recipient_publish), so it comes after every letter listed
 * before its date and a system paging by `after` cannot have stepped past it.
 *
 * All functions take a borrowed connection. Routing (pick, queue_to, route) runs inside the
 * caller's write transaction; the others must be called outside a transaction: their writes (first-fetch
 * mark, receipt, delete, poll time) go through the group commit (group_commit.h), committed
 * before they return, one commit shared by all requests writing at the same moment. The
 * receipt is durable then (fsynced); the mark, the delete and the poll time are lazy (a power
 * loss may undo the last of them, which only repeats a delivery: see
 * docs/recipient-side.md, "How the writes are done").
 */
#ifndef KV_HUB_RECIPIENT_QUEUE_H
#define KV_HUB_RECIPIENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct kv_db;

#define KV_RECIPIENT_PAGE_MAX 1000   /* largest page size of GET /apis/v1/memos/ */
#define KV_RECIPIENT_PAGE_DEFAULT 20 /* page size when none is given */
#define KV_RECIPIENT_ORDER_PROPERTY "createdDate" /* the list's order (sort=createdDate,ASC) */

/* Queues letter letter_id (a letters.id) for organisation recipient_cvr, inside the caller's
 * transaction. The system is the one of contact point contact_point_id (borrowed; may be
 * NULL) when that point exists, belongs to recipient_cvr and is active; otherwise the
 * organisation's default recipient system (systems.is_default = 1, kind 'recipient'). A system
 * outside its active period (directory.h, kv_system_in_window) is skipped either way.
 * KV_ENOTFOUND when the organisation has neither (the letter cannot be routed);
 * KV_ECONFLICT when the letter is already queued. A deactivated system still gets the letter
 * (it waits until reactivation). No event is written: the caller logs the routing with the
 * letter's other events. */
int kv_recipient_route(struct kv_db *db, int64_t letter_id, const char *recipient_cvr,
                       const char *contact_point_id, struct kv_err *err);

/* The choice kv_recipient_route makes, without queueing anything: the recipient system for a
 * letter to organisation recipient_cvr naming contact_point_id (may be NULL). 0 with
 * out_system_id (37 bytes) and *out_used_point (1: the point's system, 0: the default), or
 * KV_ENOTFOUND when the organisation has no usable contact point and no default recipient
 * system, i.e. it is not reachable as an authority (the send pipeline then resolves the CVR
 * as an ordinary company mailbox). */
int kv_recipient_pick(struct kv_db *db, const char *recipient_cvr, const char *contact_point_id,
                      char out_system_id[37], int *out_used_point, struct kv_err *err);
/* kv_recipient_pick for a writer that is an authority (authority 1): a contact point whose
 * targets leave out AUTHORITY is not used, as if it were inactive (the letter goes to the
 * default recipient system). */
int kv_recipient_pick_for(struct kv_db *db, const char *recipient_cvr,
                          const char *contact_point_id, int authority, char out_system_id[37],
                          int *out_used_point, struct kv_err *err);

/* The second half of kv_recipient_route, for a caller that already chose the system with
 * kv_recipient_pick in the same transaction (the send pipeline): queues letter_id for
 * system_id (borrowed), recording contact_point_id when the point was used (NULL or "" when
 * the default system was). KV_ECONFLICT when already queued, KV_ENOTFOUND for no such
 * letter. Outside a transaction in one of its own: the queue id is drawn under the fence of
 * recipient_queue_id_seq (kv_db_sequence_fence), which the pull list's horizon needs. */
int kv_recipient_queue_to(struct kv_db *db, int64_t letter_id, const char *system_id,
                          const char *contact_point_id, struct kv_err *err);

/* The value-date publisher (kv_letters_publish_due), inside its transaction, right after
 * letter letter_id changed from AWAITING_DELAY to AVAILABLE: if the letter is routed, its
 * queue row gets a new id, drawn under the fence of recipient_queue_id_seq, so that it is
 * listed after every letter its system may have seen (the old id would put it behind a
 * cursor the system has paged past). Nothing for a letter that is not routed. Any code that
 * publishes a routed letter must call it in the same transaction. */
int kv_recipient_publish(struct kv_db *db, int64_t letter_id, struct kv_err *err);

/* One page (zero-based page, size 1..KV_RECIPIENT_PAGE_MAX) of the messageUUIDs queued for
 * system_id and not deleted, in queue order (oldest first; newest first with desc non-zero),
 * as NgDP's PagingResultUUID {content:[uuid...], number, size, previous, next, totalElements,
 * totalPages} whose previous/next are PagingArguments {page, size, ordering} or null (see
 * util/page.h; the ordering's property is KV_RECIPIENT_ORDER_PROPERTY). *out is owned
 * (json_decref). KV_EINVAL on bad paging. */
int kv_recipient_page(struct kv_db *db, const char *system_id, int64_t page, int size, int desc,
                      json_t **out, struct kv_err *err);
/* The same; with after (a lower-case messageUUID, the keyset cursor "next" carries: see
 * util/page.h) the page is the size letters that come after that letter in the order, even
 * when it was deleted since, and page only numbers it; with before non-zero the size letters
 * before it (the cursor "previous" carries). An after that names no letter of system_id is
 * ignored (the page is cut by position). Both list only queue rows below the horizon of
 * recipient_queue_id_seq (store.h): a row committed while one with a smaller id is still
 * open waits for it, so a system paging by after never steps past a letter. */
int kv_recipient_page_after(struct kv_db *db, const char *system_id, int64_t page, int size,
                            int desc, const char *after, int before, json_t **out,
                            struct kv_err *err);

/* The MeMo bytes of letter uuid if it is queued for system_id and not deleted (KV_ENOTFOUND
 * otherwise); marks the first fetch. *out_body is owned (free with free()), NUL-terminated,
 * *out_len bytes. */
int kv_recipient_get(struct kv_db *db, const char *system_id, const char *uuid, char **out_body,
                     size_t *out_len, struct kv_err *err);

/* As kv_recipient_get without marking the first fetch (a HEAD request: nothing was
 * delivered); only the poll is noted. Same results and ownership. */
int kv_recipient_peek(struct kv_db *db, const char *system_id, const char *uuid,
                      char **out_body, size_t *out_len, struct kv_err *err);

/* Records the system's business receipt for letter uuid: status "COMPLETED" or "INVALID"
 * (KV_EINVAL otherwise), error_code / error_message optional (NULL or ""). Inserts the receipt
 * for the sender system and the event in one transaction. KV_ENOTFOUND when the letter is not
 * the system's. One receipt per letter: the same status again is the client's retry and
 * answers 0 with *out_repeat 1, writing nothing (the first receipt's error texts stay);
 * another status is KV_ECONFLICT. out_receipt_id (may be NULL) gets the sender-side receipt's
 * row id (0 for a repeat or when the letter has no sender system); out_repeat may be NULL. */
int kv_recipient_receipt(struct kv_db *db, const char *system_id, const char *uuid,
                         const char *status, const char *error_code, const char *error_message,
                         int64_t *out_receipt_id, int *out_repeat, struct kv_err *err);

/* Marks letter uuid deleted for system_id; KV_ENOTFOUND when not there (or already deleted).
 * Lazy durability: a power loss may undo it, and the letter is listed again. */
int kv_recipient_delete(struct kv_db *db, const char *system_id, const char *uuid,
                        struct kv_err *err);

/* Letters queued for system_id and not yet fetched/delivered (state QUEUED). Index-only
 * (recipient_queue_waiting), but proportional to that count. */
int kv_recipient_queue_length(struct kv_db *db, const char *system_id, int64_t *out,
                              struct kv_err *err);

/* When the oldest letter waiting for system_id became visible to it: the smallest
 * availability (letters.available_ms) of its QUEUED rows that are visible at now_ms (not
 * recalled, available_ms <= now_ms). *out_ms = 0 when nothing waits. One index seek, however
 * long the queue: the health check's pull rule should use this rather than a MIN over a join
 * with letters. */
int kv_recipient_oldest_waiting(struct kv_db *db, const char *system_id, int64_t now_ms,
                                int64_t *out_ms, struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * writer.h: group commit for accepted letters. HTTP handler threads check letters in parallel
 * (kv_letter_prepare) and hand them to one writer thread, which takes everything queued (up to
 * KV_WRITER_BATCH_MAX letters), stores it in ONE write transaction (kv_db_begin ... a durable
 * kv_db_commit, a savepoint per letter so one bad letter does not fail the others) and
 * wakes every waiter after COMMIT returned. A handler answers 201 only after that, so an
 * acknowledged letter is on disk, and one fsync is shared by the whole batch.
 *
 * Ownership: the hub owns the writer (kv_letter_writer_start / kv_letter_writer_stop). Letters
 * handed to kv_letter_writer_run stay owned by the caller, which blocks until they are done.
 * Threading: kv_letter_writer_run may be called from any number of threads.
 */
#ifndef KV_HUB_WRITER_H
#define KV_HUB_WRITER_H

#include <stddef.h>

#include "util/err.h"

struct kv_hub;
struct kv_store;
struct kv_metrics;
struct kv_letter;
struct kv_letter_writer;

#define KV_WRITER_BATCH_MAX 2048 /* letters in one transaction at most */
#define KV_SEARCH_FLUSH_MS 500   /* idle this long after a batch: index what it left */

/* Starts a writer on st (borrowed; must outlive it). metrics may be NULL; when given, the gauge
 * kuvert_queue_depth{queue="letter_writer"} is registered on it and letters accepted/refused
 * are counted. Returns owned writer (kv_letter_writer_stop). */
int kv_letter_writer_new(struct kv_store *st, struct kv_metrics *metrics,
                         struct kv_letter_writer **out, struct kv_err *err);
/* The hub's form: kv_letter_writer_new(hub->store, hub->metrics, out, err). */
int kv_letter_writer_start(struct kv_hub *hub, struct kv_letter_writer **out, struct kv_err *err);
/* Stores everything still queued, stops the thread, waits until every caller of
 * kv_letter_writer_run has returned, frees w. NULL-safe, call once. */
void kv_letter_writer_stop(struct kv_letter_writer *w);

/* Queues n letters (borrowed) as one job and waits until their transaction has committed or
 * failed. Outcomes are in each letter. Returns 0, the transaction's error, or KV_EINVAL when
 * the writer is stopping. */
int kv_letter_writer_run(struct kv_letter_writer *w, struct kv_letter **letters, size_t n,
                         struct kv_err *err);

/* Transactions committed and letters stored since start (bench). */
void kv_letter_writer_stats(struct kv_letter_writer *w, unsigned long long *out_batches,
                            unsigned long long *out_letters);

#endif

/* SPDX-License-Identifier: MIT
 *
 * group_commit.h: group commit for small write operations issued by many request threads at
 * once (the pull API's first-fetch marks, business receipts and deletes). Without it every
 * such request is its own write transaction: the threads queue on the store's write lock (on
 * SQLite a busy handler that sleeps in steps of milliseconds), and every COMMIT pays its own
 * fsync.
 *
 * kv_group_commit_run queues an operation and blocks until it has been committed. There is no
 * thread of its own (leader/follower): the first caller that finds no batch running becomes
 * the leader, takes every operation queued for the same store (up to KV_GROUP_COMMIT_MAX)
 * and runs them in ONE write transaction, each in a savepoint of its own, so one operation's
 * failure rolls back only its own changes; then one COMMIT and it wakes the others. Under
 * load the batch is whatever queued up during the previous commit; when idle, a batch of one
 * costs what a plain transaction costs. A batch of one runs on the leader's own connection;
 * from the first batch of several on, the batches run on one pooled connection, kept from
 * batch to batch until the queue runs empty, so no other writer invalidates its page cache
 * in between.
 *
 * Durability per operation: KV_GROUP_DURABLE operations are on disk when the call returns
 * (KV_DURABILITY_FULL, as every commit of the store). KV_GROUP_LAZY ones are committed with
 * KV_DURABILITY_LAZY (store.h) when the whole batch is lazy: visible to every reader at once
 * and safe from a crash of the process, but a power loss or OS crash may undo the last of
 * them. Only use it for writes whose loss is harmless, e.g. facts that the next request
 * records again.
 *
 * Concurrency: the batch's transaction is concurrent (kv_db_begin_concurrent): on PostgreSQL
 * the batches of other nodes run at the same time, so an operation must be correct against
 * them without a lock of its own (a guarded single-statement write, the session's counter
 * slot; docs/postgresql.md "Writes without the global lock"). A batch that fails by a
 * deadlock with another node's is rolled back and runs again as a whole (at most 8 times
 * more): an operation may run more than once and must set its outputs on every run.
 *
 * Ownership and threading: the operation runs on the LEADER's thread, on the batch's
 * connection (of the same store), which is handed to it as db; it must use that connection
 * only and must not begin or commit a transaction itself. Events it appends
 * (kv_events_append on db) chain through the event log's head cache for the batch
 * (events.h). arg is borrowed until kv_group_commit_run returns. The caller's db must not be
 * inside a transaction (the leader would wait on its lock). Any thread.
 */
#ifndef KV_HUB_GROUP_COMMIT_H
#define KV_HUB_GROUP_COMMIT_H

#include "util/err.h"

struct kv_db;

#define KV_GROUP_COMMIT_MAX 1024 /* operations in one transaction at most */
#define KV_GROUP_DURABLE 0       /* on disk before kv_group_commit_run returns */
#define KV_GROUP_LAZY 1          /* committed; may be lost on power loss (see above) */

/* An operation: 0 (or positive) to keep its changes, a negative KV_E* code (detail in err)
 * to roll them back. */
typedef int (*kv_group_op)(struct kv_db *db, void *arg, struct kv_err *err);

/* Runs op(db', arg, err) in a shared write transaction of db's store and waits for its
 * COMMIT; durability is KV_GROUP_DURABLE or KV_GROUP_LAZY. Returns op's result (<0: its
 * changes were rolled back), or the error of BEGIN / COMMIT (then nothing of it was
 * stored). */
int kv_group_commit_run(struct kv_db *db, kv_group_op op, void *arg, int durability,
                        struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * group_commit.c: leader/follower group commit (see group_commit.h). One process-wide FIFO
 * of waiting operations under one mutex; at most one batch runs at a time. A batch holds the
 * operations of one store only (the leader's), so stores never mix; operations of another
 * store wait for the next leader. Under load the batches run on one pooled connection (see
 * writer_for).
 */
#include "hub/group_commit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub/events.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/log.h"

/* One waiting operation; lives on its caller's stack. */
struct op {
    struct kv_store *st; /* the store it writes to */
    kv_group_op fn;      /* the operation */
    void *arg;           /* borrowed argument */
    int lazy;            /* 1: KV_GROUP_LAZY */
    int done;            /* set under mu once committed or failed */
    int rc;              /* its result */
    struct kv_err err;   /* detail of rc */
    struct op *next;     /* queue / batch link */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER; /* broadcast after each batch */
static struct op *head, *tail;                              /* waiting, FIFO */
static int leading;                                         /* a batch is running */
static struct kv_db *writer; /* the batches' connection while they follow each other (see
                              * writer_for); used and changed only by the leader */

/* Unlinks up to KV_GROUP_COMMIT_MAX queued operations of store st, in queue order, and
 * returns them as a list. Caller holds mu. */
static struct op *take(struct kv_store *st)
{
    struct op *batch = NULL, **bt = &batch, **pp = &head, *o;
    int n = 0;

    tail = NULL;
    while ((o = *pp) != NULL) {
        if (o->st == st && n < KV_GROUP_COMMIT_MAX) {
            *pp = o->next;
            o->next = NULL;
            *bt = o;
            bt = &o->next;
            n++;
        } else {
            tail = o;
            pp = &o->next;
        }
    }
    return batch;
}

static void fail_all(struct op *batch, int rc, const struct kv_err *err)
{
    struct op *o;

    for (o = batch; o; o = o->next) {
        if (o->rc < 0)
            continue;
        o->rc = rc;
        if (err)
            o->err = *err;
    }
}

/* One pass of the batch, run by kv_db_run (which begins the transaction, commits it, and runs
 * the pass again after a deadlock or serialization failure): every operation in a savepoint of
 * its own. Each operation's rc is set anew by every pass; an operation that fails alone is
 * rolled back to its savepoint and the others go on. A deadlock with another node's batch
 * returns its error: locks taken by earlier operations are part of it, so the whole batch goes
 * and runs again.
 *
 * Concurrent (docs/postgresql.md "Writes without the global lock"): batches of other nodes run
 * at the same time. Every operation's write is one guarded statement that a concurrent change
 * makes match nothing (a first fetch: state = 'QUEUED'; a receipt: acknowledged_ms IS NULL; a
 * delete: state <> 'DELETED'), counters are the session's own slot, receipts and events are
 * appends (fenced; the event chain holds its partition). */
static int pass_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct op *batch = arg, *o;
    int rc;

    for (o = batch; o; o = o->next) {
        o->rc = 0;
        memset(&o->err, 0, sizeof(o->err));
    }
    kv_events_head_begin(db);
    for (o = batch; o; o = o->next) {
        rc = kv_db_savepoint(db, &o->err);
        if (rc == 0) {
            rc = o->fn(db, o->arg, &o->err);
            if (rc > 0)
                rc = 0;
            if (rc < 0) {
                (void)kv_db_savepoint_rollback(db, NULL);
                kv_events_head_forget(db);
            } else {
                (void)kv_db_savepoint_release(db, NULL);
            }
        }
        o->rc = rc;
        if (rc < 0 && kv_db_retryable(db)) {
            (void)kv_events_head_end(db, NULL); /* rolled back by kv_db_run */
            if (err)
                *err = o->err;
            return rc;
        }
    }
    return kv_events_head_end(db, err); /* the chain's head row, once per batch */
}

/* Runs the batch in one transaction on db (kv_db_run: again, at most KV_DB_RUN_RETRIES
 * times, after a deadlock with another node's batch); lazy durability for its COMMIT when
 * every operation in it is lazy (the connection is set back to FULL afterwards). When the
 * transaction fails, every operation that had not failed alone fails with its error. */
static void run_batch(struct kv_db *db, struct op *batch)
{
    struct kv_err err = {0};
    struct op *o;
    int lazy = 1, rc;

    for (o = batch; o; o = o->next)
        lazy = lazy && o->lazy;
    if (lazy && kv_db_durability(db, KV_DURABILITY_LAZY, NULL) < 0)
        lazy = 0;
    rc = kv_db_run(db, 1, pass_tx, batch, &err);
    if (rc < 0)
        fail_all(batch, rc, &err);
    if (lazy && kv_db_durability(db, KV_DURABILITY_FULL, &err) < 0) {
        /* A connection that cannot be made durable again must not go back to the pool in
         * this state; failing loudly is all that is left. */
        kv_log(KV_LOG_ERROR, "group commit: cannot restore full durability: %s", err.msg);
        abort();
    }
}

/* The connection a batch of store st runs on; backlog: the batch holds more than one
 * operation. Batches that follow each other under load run on one pooled connection, kept
 * between them: no other connection writes meanwhile, so its page cache stays valid (a
 * commit through any other connection makes SQLite drop a connection's whole cache, and the
 * next batch would read every page again). It is taken when a batch has company and goes back
 * to the pool when the queue runs empty (see kv_group_commit_run), so no connection
 * outlives the activity of its store. Otherwise, and when the pool fails, the batch runs on
 * the caller's db. Called by the leader only. */
static struct kv_db *writer_for(struct kv_store *st, struct kv_db *db, int backlog)
{
    if (writer && kv_db_store(writer) != st) {
        kv_db_release(writer);
        writer = NULL;
    }
    if (!writer && backlog && kv_db_acquire(st, &writer, NULL) < 0)
        writer = NULL;
    return writer ? writer : db;
}

int kv_group_commit_run(struct kv_db *db, kv_group_op fn, void *arg, int durability,
                        struct kv_err *err)
{
    struct op self;

    memset(&self, 0, sizeof(self));
    self.st = kv_db_store(db);
    self.fn = fn;
    self.arg = arg;
    self.lazy = durability == KV_GROUP_LAZY;
    pthread_mutex_lock(&mu);
    if (tail)
        tail->next = &self;
    else
        head = &self;
    tail = &self;
    while (!self.done) {
        struct op *batch, *o, *next;
        int backlog;

        if (leading) {
            pthread_cond_wait(&finished, &mu);
            continue;
        }
        /* Not done and no batch running: self is still queued, so it is in this batch
         * unless more than KV_GROUP_COMMIT_MAX of its store are ahead of it. */
        leading = 1;
        batch = take(self.st);
        backlog = batch && batch->next; /* several requests write at once */
        pthread_mutex_unlock(&mu);
        run_batch(writer_for(self.st, db, backlog), batch);
        pthread_mutex_lock(&mu);
        for (o = batch; o; o = next) {
            next = o->next;
            o->next = NULL;
            o->done = 1;
        }
        if (!head && writer) {
            kv_db_release(writer); /* idle: back to the pool */
            writer = NULL;
        }
        leading = 0;
        pthread_cond_broadcast(&finished);
    }
    pthread_mutex_unlock(&mu);
    if (self.rc < 0 && err)
        *err = self.err;
    return self.rc;
}

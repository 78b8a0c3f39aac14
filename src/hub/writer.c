/* SPDX-License-Identifier: MIT
 *
 * writer.c: the group-commit writer (see writer.h). A mutex-guarded FIFO of jobs (one job =
 * the letters of one request, waiting on the writer's futex word); the writer thread takes
 * all queued jobs up to KV_WRITER_BATCH_MAX letters, runs kv_letters_store_batch on its own
 * connection, then marks every job of the batch done and wakes their waiters with one
 * FUTEX_WAKE_BITSET on the batch's bit (wake_batch, wait_done). Hand-offs do not hold the
 * mutex while they wake a thread: a handler woken by a condition variable signalled under the
 * mutex had first to wait for the writer to let go of it (a second futex sleep and wake per
 * letter, seen in the profiles of docs/send-api.md), so the waiters are woken after the mutex
 * is released, and the writer is woken after the job is queued and the mutex released. Because the batch is whatever queued up
 * while the previous COMMIT was being fsynced, the batch size adapts to load by itself: one
 * letter when idle (no added latency), hundreds under a burst.
 *
 * The writer's batches leave the mailbox search's index to later (kv_letters_store_group: on
 * SQLite the letters are indexed KV_SEARCH_DEFER_LETTERS at a time); when the queue has been
 * empty for KV_SEARCH_FLUSH_MS after a batch, and once at start (what a crash left behind),
 * the writer indexes what is left (kv_letters_search_flush), and again before it stops.
 */
#include "hub/writer.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/metrics.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* One request's letters, waiting. Lives on the waiting thread's stack. */
struct job {
    struct kv_letter **letters; /* borrowed */
    size_t n;                   /* count */
    int rc;                     /* transaction result (written before done is set) */
    struct kv_err err;          /* detail of rc */
    atomic_int done;            /* set to 1 (release) once rc and the letters are set */
    atomic_uint batch;          /* the batch that took it (set under mu), 0 until then */
    atomic_uint expect;         /* until then the next batch to be taken (set under mu) */
    struct job *next;           /* queue link */
};

struct kv_letter_writer {
    struct kv_store *store;     /* borrowed */
    struct kv_metrics *metrics; /* borrowed, may be NULL */
    pthread_mutex_t mu;         /* guards everything below */
    pthread_cond_t wake;        /* signalled when work arrives or on stop (CLOCK_MONOTONIC) */
    pthread_cond_t left;        /* signalled when the last caller leaves run while stopping */
    unsigned callers;           /* callers inside kv_letter_writer_run: stop frees w only at 0 */
    struct job *head, *tail;    /* FIFO */
    size_t depth;               /* letters queued */
    int stopping;               /* 1 after kv_letter_writer_stop began */
    pthread_t thread;           /* the writer thread */
    unsigned long long batches; /* committed transactions */
    unsigned long long stored;  /* letters handled */
    unsigned taken;             /* batches taken off the queue (numbers 1, 2, ...; never 0) */
    /* Batches finished (the futex word the waiting handlers sleep on): incremented after the
     * jobs of a batch are marked done, then every waiter of that batch is woken by one
     * FUTEX_WAKE_BITSET (see wake_batch). */
    atomic_uint finished;
};

/* The futex bit of batch b: a waiter sleeps on the bit of the batch that took (or will take)
 * its job, so the wake of one batch leaves the waiters of the next asleep. */
static unsigned batch_bit(unsigned b)
{
    return 1u << (b & 31);
}

/* The number after b, skipping 0 (0 marks a job no batch has taken yet). */
static unsigned next_batch(unsigned b)
{
    return b + 1 ? b + 1 : 1;
}

/* Wakes every handler waiting for batch b: one system call for the batch. Posting a semaphore
 * per job was a futex call per letter, and each woken handler could preempt the writer before
 * it had posted the rest (0.73 involuntary context switches of the writer per letter under
 * send_bench --cpu, docs/send-api.md "Cuts of session 10"). */
static void wake_batch(struct kv_letter_writer *w, unsigned b)
{
    atomic_fetch_add_explicit(&w->finished, 1, memory_order_release);
    (void)syscall(SYS_futex, (unsigned *)&w->finished, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL,
                  NULL, batch_bit(b));
}

/* Waits until the writer has set j->done, asleep on the bit of j->batch, or of j->expect
 * while no batch has taken j. A wake-up is never lost: a batch that finishes after `seen` was
 * read changes the word, so FUTEX_WAIT returns at once; and a batch x that finished before
 * (its increment read into `seen`, acquire) without j had set j->expect past x when it was
 * taken (take_batch, before that release increment), so j is never asleep on the bit of a
 * batch that has already finished without it. */
static void wait_done(struct kv_letter_writer *w, struct job *j)
{
    for (;;) {
        unsigned seen = atomic_load_explicit(&w->finished, memory_order_acquire);
        unsigned b;

        if (atomic_load_explicit(&j->done, memory_order_acquire))
            return;
        b = atomic_load_explicit(&j->batch, memory_order_relaxed);
        if (!b)
            b = atomic_load_explicit(&j->expect, memory_order_relaxed);
        (void)syscall(SYS_futex, (unsigned *)&w->finished, FUTEX_WAIT_BITSET_PRIVATE, seen, NULL,
                      NULL, batch_bit(b));
    }
}

/* Letters waiting in the queue right now (the queue-depth gauge). */
static size_t queue_depth(struct kv_letter_writer *w)
{
    size_t d;

    pthread_mutex_lock(&w->mu);
    d = w->depth;
    pthread_mutex_unlock(&w->mu);
    return d;
}

static int depth_gauge(void *arg, double *out)
{
    *out = (double)queue_depth(arg);
    return 0;
}

/* Takes jobs off the queue up to the batch limit (at least one job). Caller holds mu. */
static struct job *take_batch(struct kv_letter_writer *w, size_t *out_letters, unsigned *out_b)
{
    struct job *first = w->head, *last = w->head, *o;
    size_t total = last->n;
    unsigned b = w->taken = next_batch(w->taken);

    atomic_store_explicit(&last->batch, b, memory_order_relaxed);
    while (last->next && total + last->next->n <= KV_WRITER_BATCH_MAX) {
        last = last->next;
        total += last->n;
        atomic_store_explicit(&last->batch, b, memory_order_relaxed);
    }
    *out_b = b;
    w->head = last->next;
    if (!w->head)
        w->tail = NULL;
    last->next = NULL;
    /* What did not fit waits for the next batch (wait_done). */
    for (o = w->head; o; o = o->next)
        atomic_store_explicit(&o->expect, next_batch(b), memory_order_relaxed);
    w->depth -= total;
    *out_letters = total;
    return first;
}

static void count_outcomes(struct kv_letter_writer *w, struct kv_letter **ls, size_t n)
{
    uint64_t ok = 0, bad = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (ls[i]->outcome == KV_LETTER_CREATED)
            ok++;
        else if (ls[i]->outcome == KV_LETTER_REFUSED || ls[i]->outcome == KV_LETTER_CONFLICT)
            bad++;
    }
    kv_metrics_count(w->metrics, KV_METRIC_LETTERS_ACCEPTED, ok);
    kv_metrics_count(w->metrics, KV_METRIC_LETTERS_REFUSED, bad);
}

/* The writer's own connection, the store's bulk writer: checkpoints are left to the
 * scheduler (kv_db_checkpoint every second, off the commit path) so that COMMIT does not pay
 * for them. */
static int writer_db(struct kv_letter_writer *w, struct kv_db **out, struct kv_err *err)
{
    int rc = kv_db_acquire(w->store, out, err);

    if (rc < 0)
        return rc;
    kv_db_bulk_writer(*out);
    return 0;
}

/* The queue idle for ms after a batch: 1 when the writer should index what its batches left
 * behind; 0 when work came or it is stopping. Caller holds mu. */
static int idle_wait(struct kv_letter_writer *w, long ms)
{
    struct timespec until;

    kv_clock_deadline(&until, CLOCK_MONOTONIC, ms);
    while (!w->head && !w->stopping)
        if (pthread_cond_timedwait(&w->wake, &w->mu, &until) != 0)
            return !w->head && !w->stopping;
    return 0;
}

/* Indexes what the batches left unindexed (kv_letters_search_flush). 0, or negative after
 * logging the failure: the letters are then left to the next try (searches find them all
 * the same). */
static int search_flush(struct kv_letter_writer *w, struct kv_db **db)
{
    struct kv_err err = {0};
    int rc;

    if (kv_store_text_index(w->store) != KV_TEXT_FTS5)
        return 0; /* nothing is left unindexed on PostgreSQL */
    rc = *db ? 0 : writer_db(w, db, &err);
    if (rc == 0)
        rc = kv_letters_search_flush(*db, &err);
    if (rc < 0)
        kv_log(KV_LOG_ERROR, "letter writer: search index flush failed: %s", err.msg);
    return rc;
}

static void *writer_main(void *arg)
{
    struct kv_letter_writer *w = arg;
    struct kv_letter **flat = kv_xcalloc(KV_WRITER_BATCH_MAX, sizeof(*flat));
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    int unflushed = 1;   /* letters may be left unindexed: at start, by a crash */
    int flush_fails = 0; /* search flushes failed in a row */

    for (;;) {
        struct job *batch, *j, *next;
        size_t n = 0, total;
        unsigned b;
        int rc;

        pthread_mutex_lock(&w->mu);
        /* idle for KV_SEARCH_FLUSH_MS: index what is left; after failures, wait twice as
         * long each time (at most 64 times: about half a minute), so a store that keeps
         * refusing logs an error now and then rather than twice a second */
        if (unflushed && !w->head && !w->stopping &&
            idle_wait(w, (long)KV_SEARCH_FLUSH_MS << (flush_fails < 6 ? flush_fails : 6))) {
            pthread_mutex_unlock(&w->mu);
            unflushed = search_flush(w, &db) < 0;
            flush_fails = unflushed ? flush_fails + 1 : 0;
            continue;
        }
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->mu);
        if (!w->head) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        batch = take_batch(w, &total, &b);
        pthread_mutex_unlock(&w->mu);

        for (j = batch; j; j = j->next) {
            memcpy(flat + n, j->letters, j->n * sizeof(*flat));
            n += j->n;
        }
        memset(&err, 0, sizeof(err));
        rc = db ? 0 : writer_db(w, &db, &err);
        if (rc == 0)
            rc = kv_letters_store_group(db, flat, n, &err);
        if (rc < 0)
            kv_log(KV_LOG_ERROR, "letter writer: batch of %zu letters failed: %s", n, err.msg);
        count_outcomes(w, flat, n);
        unflushed = 1;

        pthread_mutex_lock(&w->mu);
        if (rc == 0)
            w->batches++;
        w->stored += n;
        pthread_mutex_unlock(&w->mu);
        for (j = batch; j; j = next) {
            next = j->next; /* j lives on its waiter's stack: gone once done */
            j->rc = rc;
            j->err = err;
            atomic_store_explicit(&j->done, 1, memory_order_release);
        }
        wake_batch(w, b);
    }
    if (unflushed)
        (void)search_flush(w, &db);
    if (db)
        kv_db_release(db);
    free(flat);
    return NULL;
}

int kv_letter_writer_new(struct kv_store *st, struct kv_metrics *metrics,
                         struct kv_letter_writer **out, struct kv_err *err)
{
    struct kv_letter_writer *w = kv_xcalloc(1, sizeof(*w));

    *out = NULL;
    w->store = st;
    w->metrics = metrics;
    pthread_mutex_init(&w->mu, NULL);
    {
        pthread_condattr_t ca;

        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w->wake, &ca);
        pthread_condattr_destroy(&ca);
    }
    pthread_cond_init(&w->left, NULL);
    atomic_init(&w->finished, 0);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->left);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return kv_err_set(err, KV_EINTERNAL, "cannot start the letter writer thread");
    }
    (void)pthread_setname_np(w->thread, "kuvert-writer"); /* for top -H, perf --comm */
    if (metrics)
        (void)kv_metrics_gauge_register(metrics, "kuvert_queue_depth", "queue=\"letter_writer\"",
                                        "Items waiting in a queue.", depth_gauge, w);
    *out = w;
    return 0;
}

int kv_letter_writer_start(struct kv_hub *hub, struct kv_letter_writer **out, struct kv_err *err)
{
    return kv_letter_writer_new(hub->store, hub->metrics, out, err);
}

void kv_letter_writer_stop(struct kv_letter_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    /* A caller whose job the writer finished may still be on its way out of run (reading
     * w->finished in wait_done, signalling w->wake): w lives until the last one has left. */
    pthread_mutex_lock(&w->mu);
    while (w->callers)
        pthread_cond_wait(&w->left, &w->mu);
    pthread_mutex_unlock(&w->mu);
    pthread_cond_destroy(&w->left);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

int kv_letter_writer_run(struct kv_letter_writer *w, struct kv_letter **letters, size_t n,
                         struct kv_err *err)
{
    struct job j;
    size_t off = 0, k;
    int rc = 0, unavail;

    if (n == 0)
        return 0;
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        return kv_err_set(err, KV_EINVAL, "the letter writer is stopping");
    }
    w->callers++;
    pthread_mutex_unlock(&w->mu);
    /* A request with more letters than one batch holds is queued in slices. */
    while (off < n) {
        size_t take = n - off > KV_WRITER_BATCH_MAX ? KV_WRITER_BATCH_MAX : n - off;

        memset(&j, 0, sizeof(j));
        j.letters = letters + off;
        j.n = take;
        atomic_init(&j.done, 0);
        atomic_init(&j.batch, 0);
        atomic_init(&j.expect, 0);
        pthread_mutex_lock(&w->mu);
        if (w->stopping) {
            pthread_mutex_unlock(&w->mu);
            rc = kv_err_set(err, KV_EINVAL, "the letter writer is stopping");
            goto out;
        }
        if (w->tail)
            w->tail->next = &j;
        else
            w->head = &j;
        w->tail = &j;
        w->depth += take;
        atomic_store_explicit(&j.expect, next_batch(w->taken), memory_order_relaxed);
        pthread_mutex_unlock(&w->mu);
        /* no wake-up is lost: the writer looks at the queue under the mutex before it waits */
        pthread_cond_signal(&w->wake);
        wait_done(w, &j);
        if (j.rc < 0 && rc == 0) {
            rc = j.rc;
            if (err)
                *err = j.err;
        }
        /* A KV_EUNAVAIL met in the writer's thread is noted in the caller's (the HTTP
         * layer answers 503 for it, util/err.h). */
        unavail = j.rc == KV_EUNAVAIL;
        for (k = 0; k < take; k++)
            unavail |= letters[off + k]->err.code == KV_EUNAVAIL;
        if (unavail)
            kv_err_unavail_note();
        off += take;
    }
out:
    pthread_mutex_lock(&w->mu);
    if (--w->callers == 0 && w->stopping)
        pthread_cond_broadcast(&w->left);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void kv_letter_writer_stats(struct kv_letter_writer *w, unsigned long long *out_batches,
                            unsigned long long *out_letters)
{
    pthread_mutex_lock(&w->mu);
    *out_batches = w->batches;
    *out_letters = w->stored;
    pthread_mutex_unlock(&w->mu);
}

/* SPDX-License-Identifier: MIT
 *
 * test_writer.c: unit tests of the group-commit writer's hand-off (src/hub/writer.c): many
 * threads queue jobs at once, of sizes that fill a batch and do not fit the next one
 * (KV_WRITER_BATCH_MAX) and of more letters than one batch holds (queued in slices), and every
 * caller is woken with its result once. The writer wakes a batch's waiters with one futex call
 * on the bit of that batch; a waiter asleep on the bit of a batch that no longer comes would
 * never return (the test's alarm then ends the process, a failure). The letters are refusals
 * the store does not record, so each batch writes no letter (on SQLite only the search
 * index's deferral row, kv_letters_store_group). The writer's thread is
 * named kuvert-writer while it runs.
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hub/letters.h"
#include "hub/writer.h"
#include "store/store.h"
#include "util/xmalloc.h"

#include "store_fixture.h"

#define THREADS 12
#define ROUNDS 30
#define WATCHDOG_S 120 /* a lost wake-up hangs a waiter: end the process instead */

/* Job sizes, in turn: small, two that fill most of a batch (the second does not fit beside the
 * first), and one over KV_WRITER_BATCH_MAX (two slices). */
static const size_t sizes[] = {1, 1500, 3, 1200, 700, KV_WRITER_BATCH_MAX + 5, 2};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define MAXN (KV_WRITER_BATCH_MAX + 5)

struct worker {
    struct kv_letter_writer *w;
    int k;                      /* thread number: rotates the sizes */
    pthread_barrier_t *start;   /* all threads queue together */
    struct kv_letter *l;        /* MAXN letters */
    struct kv_letter **lp;      /* pointers to them */
    int failures;               /* calls that did not return 0 */
    unsigned long long letters; /* letters handed over */
};

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    int r;
    size_t i;

    pthread_barrier_wait(wk->start);
    for (r = 0; r < ROUNDS; r++) {
        size_t n = sizes[(size_t)(wk->k + r) % NSIZES];
        struct kv_err err = {0};

        for (i = 0; i < n; i++) {
            kv_letter_init(&wk->l[i], "x", 1);
            wk->l[i].outcome = KV_LETTER_REFUSED; /* not stored, not logged */
            wk->lp[i] = &wk->l[i];
        }
        if (kv_letter_writer_run(wk->w, wk->lp, n, &err) != 0)
            wk->failures++;
        for (i = 0; i < n; i++)
            if (wk->l[i].outcome != KV_LETTER_REFUSED)
                wk->failures++;
        wk->letters += n;
    }
    return NULL;
}

/* The test store and, for the tests that share one, a writer on it. The watchdog runs from
 * fx_open to fx_close. */
struct fx {
    char dir[32];
    struct kv_store *st;
    struct kv_db *db;
    struct kv_letter_writer *w; /* NULL when the test makes its own writers */
};

static void fx_open(struct fx *f, int with_writer)
{
    struct kv_err err = {0};

    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-writer-XXXXXX");
    alarm(WATCHDOG_S);
    assert_int_equal(kv_test_store_new(f->dir, &f->st, &f->db, NULL), 0);
    if (with_writer)
        assert_int_equal(kv_letter_writer_new(f->st, NULL, &f->w, &err), 0);
}

/* Stops the writer (if fx_open made one), frees the store and ends the watchdog. */
static void fx_close(struct fx *f)
{
    if (f->w)
        kv_letter_writer_stop(f->w);
    assert_int_equal(kv_test_store_free(f->dir, f->st, f->db), 0);
    alarm(0);
}

static void test_every_waiter_woken(void **state)
{
    struct fx f;
    struct worker wk[THREADS];
    pthread_t th[THREADS];
    pthread_barrier_t start;
    unsigned long long batches = 0, stored = 0, sent = 0;
    int k;

    (void)state;
    fx_open(&f, 1);
    pthread_barrier_init(&start, NULL, THREADS);
    for (k = 0; k < THREADS; k++) {
        memset(&wk[k], 0, sizeof(wk[k]));
        wk[k].w = f.w;
        wk[k].k = k;
        wk[k].start = &start;
        wk[k].l = kv_xcalloc(MAXN, sizeof(*wk[k].l));
        wk[k].lp = kv_xcalloc(MAXN, sizeof(*wk[k].lp));
        assert_int_equal(pthread_create(&th[k], NULL, worker_main, &wk[k]), 0);
    }
    for (k = 0; k < THREADS; k++) {
        pthread_join(th[k], NULL);
        assert_int_equal(wk[k].failures, 0);
        sent += wk[k].letters;
        free(wk[k].l);
        free(wk[k].lp);
    }
    pthread_barrier_destroy(&start);
    kv_letter_writer_stats(f.w, &batches, &stored);
    assert_true(stored == sent);
    /* a job over the limit needs two batches, and no batch holds more than the limit */
    assert_true(batches >= (sent + KV_WRITER_BATCH_MAX - 1) / KV_WRITER_BATCH_MAX);
    fx_close(&f);
}

/* An idle writer takes a lone job at once, as a batch of its own. */
static void test_lone_job(void **state)
{
    struct fx f;
    struct kv_err err = {0};
    struct kv_letter l, *lp = &l;
    unsigned long long batches = 0, stored = 0;

    (void)state;
    fx_open(&f, 1);
    kv_letter_init(&l, "x", 1);
    l.outcome = KV_LETTER_REFUSED;
    assert_int_equal(kv_letter_writer_run(f.w, &lp, 1, &err), 0);
    kv_letter_writer_stats(f.w, &batches, &stored);
    assert_true(batches == 1 && stored == 1);
    fx_close(&f);
}

/* Stop right after the writer finished the last job, while its callers are still on their way
 * out of kv_letter_writer_run: stop returns only after every caller has left (under ASan a
 * caller still reading the freed writer, as the futex wait let one do, is a
 * heap-use-after-free). Each thread makes one call, so none calls run after stop. */
struct stopper {
    struct kv_letter_writer *w;
    pthread_barrier_t *start;
    int n;                      /* letters of its one call */
    struct kv_letter l[4];
    struct kv_letter *lp[4];
    int rc;                     /* what run returned */
};

static void *stopper_main(void *arg)
{
    struct stopper *sp = arg;
    struct kv_err err = {0};
    int i;

    for (i = 0; i < sp->n; i++) {
        kv_letter_init(&sp->l[i], "x", 1);
        sp->l[i].outcome = KV_LETTER_REFUSED;
        sp->lp[i] = &sp->l[i];
    }
    pthread_barrier_wait(sp->start);
    sp->rc = kv_letter_writer_run(sp->w, sp->lp, (size_t)sp->n, &err);
    return NULL;
}

static void test_stop_waits_for_callers(void **state)
{
    struct fx f;
    struct kv_err err = {0};
    struct stopper sp[THREADS];
    pthread_t th[THREADS];
    pthread_barrier_t start;
    int k, round, spins;

    (void)state;
    fx_open(&f, 0);
    for (round = 0; round < 20; round++) {
        struct kv_letter_writer *w;
        unsigned long long batches = 0, stored = 0, total = 0;

        assert_int_equal(kv_letter_writer_new(f.st, NULL, &w, &err), 0);
        pthread_barrier_init(&start, NULL, THREADS);
        for (k = 0; k < THREADS; k++) {
            memset(&sp[k], 0, sizeof(sp[k]));
            sp[k].w = w;
            sp[k].start = &start;
            sp[k].n = 1 + (k + round) % 4;
            total += (unsigned long long)sp[k].n;
            assert_int_equal(pthread_create(&th[k], NULL, stopper_main, &sp[k]), 0);
        }
        /* every letter handled: every caller is inside run or already out of it */
        for (spins = 0; spins < 10000000 && stored < total; spins++) {
            kv_letter_writer_stats(w, &batches, &stored);
            if (stored < total)
                sched_yield();
        }
        assert_true(stored == total);
        kv_letter_writer_stop(w);
        for (k = 0; k < THREADS; k++) {
            pthread_join(th[k], NULL);
            assert_int_equal(sp[k].rc, 0);
        }
        pthread_barrier_destroy(&start);
    }
    fx_close(&f);
}

/* Threads of this process whose name (/proc/self/task/TID/comm) is name. */
static int threads_named(const char *name)
{
    char path[300], comm[32];
    struct dirent *de;
    DIR *d = opendir("/proc/self/task");
    FILE *fp;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
        if (!(fp = fopen(path, "r")))
            continue; /* the thread ended meanwhile */
        if (fgets(comm, sizeof(comm), fp)) {
            comm[strcspn(comm, "\n")] = '\0';
            n += strcmp(comm, name) == 0;
        }
        fclose(fp);
    }
    closedir(d);
    return n;
}

/* The writer's thread carries the name kuvert-writer (what send_bench --cpu reports per
 * thread, and what `perf report --comm` and `top -H` show), and it is gone after stop. */
static void test_thread_named(void **state)
{
    struct fx f;

    (void)state;
    fx_open(&f, 0);
    assert_int_equal(threads_named("kuvert-writer"), 0);
    {
        struct kv_err err = {0};
        assert_int_equal(kv_letter_writer_new(f.st, NULL, &f.w, &err), 0);
    }
    assert_int_equal(threads_named("kuvert-writer"), 1);
    kv_letter_writer_stop(f.w);
    f.w = NULL;
    assert_int_equal(threads_named("kuvert-writer"), 0);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_waiter_woken),
        cmocka_unit_test(test_lone_job),
        cmocka_unit_test(test_stop_waits_for_callers),
        cmocka_unit_test(test_thread_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * scheduler.c: the periodic worker of the server (see scheduler.h). The thread sleeps on a
 * condition variable with a monotonic one-second timeout; a kick wakes it early. Each pass
 * publishes due value-date letters in batches until none are left, checkpoints the WAL
 * (PASSIVE, so the letter writer's commits do not carry that cost), then runs the hooks.
 */
#include "hub/scheduler.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub/hub.h"
#include "hub/letters.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* A registered hook. */
struct hook {
    kv_scheduler_hook fn; /* function */
    void *arg;            /* borrowed argument */
};

struct kv_scheduler {
    struct kv_store *store;                    /* borrowed */
    pthread_mutex_t mu;                        /* guards the fields below */
    pthread_cond_t wake;                       /* kick / stop */
    int kicked;                                /* a pass was requested */
    int stopping;                              /* stop requested */
    struct hook hooks[KV_SCHEDULER_MAX_HOOKS]; /* registered hooks */
    int n_hooks;                               /* hooks in use */
    uint64_t started;                          /* passes begun */
    uint64_t published;                        /* passes whose publishing step finished */
    pthread_cond_t done;                       /* broadcast after each publishing step */
    pthread_t thread;                          /* the worker */
};

static void publish(struct kv_scheduler *s)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    int n = 0, rc, rounds = 0;

    rc = kv_db_acquire(s->store, &db, &err);
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "scheduler: no database connection: %s", err.msg);
        return;
    }
    do {
        rc = kv_letters_publish_due(db, kv_clock_now_ms(), KV_SCHEDULER_PUBLISH_BATCH, &n, &err);
        if (rc < 0)
            kv_log(KV_LOG_ERROR, "scheduler: publishing value-date letters failed: %s", err.msg);
        else if (n > 0)
            kv_log(KV_LOG_INFO, "scheduler: published %d value-date letter%s", n,
                   n == 1 ? "" : "s");
    } while (rc == 0 && n == KV_SCHEDULER_PUBLISH_BATCH && ++rounds < 100);
    /* The store's maintenance (SQLite: the WAL checkpoint) here, not in the writer's COMMIT.
     * PASSIVE never blocks the writer; a busy answer just means "next time". */
    (void)kv_db_checkpoint(db, KV_CHECKPOINT_PASSIVE, NULL);
    kv_db_release(db);
}

static void *sched_main(void *arg)
{
    struct kv_scheduler *s = arg;
    struct hook hooks[KV_SCHEDULER_MAX_HOOKS];
    struct kv_log_streak failing[KV_SCHEDULER_MAX_HOOKS]; /* per hook: its own log says why */
    int n_hooks, i;
    long long n;

    memset(failing, 0, sizeof(failing));

    for (;;) {
        struct timespec until;

        pthread_mutex_lock(&s->mu);
        s->started++;
        pthread_mutex_unlock(&s->mu);
        publish(s);
        pthread_mutex_lock(&s->mu);
        s->published++;
        pthread_cond_broadcast(&s->done);
        n_hooks = s->n_hooks;
        for (i = 0; i < n_hooks; i++)
            hooks[i] = s->hooks[i];
        pthread_mutex_unlock(&s->mu);
        for (i = 0; i < n_hooks; i++) {
            if (hooks[i].fn(hooks[i].arg) >= 0)
                (void)kv_log_streak_ok(&failing[i]);
            else if ((n = kv_log_streak_fail(&failing[i])) == 1)
                kv_log(KV_LOG_WARN, "scheduler: hook %d failed", i);
            else if (n > 1)
                kv_log(KV_LOG_WARN, "scheduler: hook %d failed (%lld passes in a row; logged "
                       "at most once a minute)", i, n);
        }

        pthread_mutex_lock(&s->mu);
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += KV_SCHEDULER_PERIOD_MS / 1000;
        while (!s->kicked && !s->stopping) {
            if (pthread_cond_timedwait(&s->wake, &s->mu, &until) != 0)
                break;
        }
        s->kicked = 0;
        if (s->stopping) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

/* Starts a scheduler over st (borrowed). */
static int scheduler_new(struct kv_store *st, struct kv_scheduler **out, struct kv_err *err)
{
    struct kv_scheduler *s = kv_xcalloc(1, sizeof(*s));
    pthread_condattr_t ca;

    *out = NULL;
    s->store = st;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_cond_init(&s->done, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&s->thread, NULL, sched_main, s) != 0) {
        pthread_cond_destroy(&s->wake);
        pthread_cond_destroy(&s->done);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return kv_err_set(err, KV_EINTERNAL, "cannot start the scheduler thread");
    }
    (void)pthread_setname_np(s->thread, "kuvert-sched"); /* for top -H, perf --comm */
    *out = s;
    return 0;
}

int kv_scheduler_start(struct kv_hub *hub, struct kv_scheduler **out, struct kv_err *err)
{
    return scheduler_new(hub->store, out, err);
}

void kv_scheduler_stop(struct kv_scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int kv_scheduler_kick_wait(struct kv_scheduler *s, int64_t timeout_ms)
{
    struct timespec until;
    uint64_t target;
    int rc = 0;

    if (!s)
        return 0;
    kv_clock_deadline(&until, CLOCK_MONOTONIC, timeout_ms);
    pthread_mutex_lock(&s->mu);
    target = s->started + 1; /* the first pass that begins after this kick */
    s->kicked = 1;
    pthread_cond_signal(&s->wake);
    while (s->published < target && !s->stopping) {
        if (pthread_cond_timedwait(&s->done, &s->mu, &until) != 0) {
            rc = KV_ETOOBIG;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int kv_scheduler_add_hook(struct kv_scheduler *s, kv_scheduler_hook fn, void *arg)
{
    int rc = 0;

    pthread_mutex_lock(&s->mu);
    if (s->n_hooks >= KV_SCHEDULER_MAX_HOOKS) {
        rc = KV_ETOOBIG;
    } else {
        s->hooks[s->n_hooks].fn = fn;
        s->hooks[s->n_hooks].arg = arg;
        s->n_hooks++;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

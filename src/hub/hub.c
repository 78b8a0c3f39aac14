/* SPDX-License-Identifier: MIT
 *
 * hub.c: opening and closing the server's shared state (struct kv_hub): configuration, store,
 * metrics, and the background workers. The order matters for "nothing acknowledged is lost":
 * `kuvert serve` stops the HTTP server (drained) before kv_hub_stop_workers, which lets the
 * letter writer flush and the scheduler finish its current step, and only then is the store
 * closed.
 */
#include "hub/hub.h"

#include <errno.h>
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/metrics.h"
#include "hub/events.h"
#include "hub/lease.h"
#include "hub/receipts.h"
#include "hub/mail.h"
#include "hub/print.h"
#include "hub/recipient_push.h"
#include "hub/scheduler.h"
#include "hub/system_cache.h"
#include "hub/system_health.h"
#include "hub/writer.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* Gauge: the test clock's offset, so a scrape shows whether time was moved. */
static int clock_offset_gauge(void *arg, double *out)
{
    (void)arg;
    *out = (double)kv_clock_offset_ms() / 1000.0;
    return 0;
}

/* mkdir -p dir with mode 0700 for every component it creates. */
static int make_data_dir(const char *dir, struct kv_err *err)
{
    char *p = kv_xstrdup(dir), *q;
    int rc = 0;

    for (q = p + 1;; q++) {
        char c = *q;

        if (c != '/' && c != '\0')
            continue;
        *q = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            rc = kv_err_errno(err, "cannot create %s", p);
            break;
        }
        *q = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}

int kv_hub_open(struct kv_conf *conf, struct kv_hub **out, struct kv_err *err)
{
    struct kv_hub *hub = kv_xcalloc(1, sizeof(*hub));
    int rc;

    *out = NULL;
    hub->conf = conf;
    hub->test_clock = conf->test_clock;
    rc = kv_store_open_db(conf->data, conf->db, &hub->store, err);
    if (rc < 0)
        goto out;
    kv_store_set_write_lock_global(hub->store, strcmp(conf->db_write_lock, "global") == 0);
    kv_store_set_credentials_listen(hub->store, strcmp(conf->pg_credentials_cache, "notify") == 0);
    /* The data directory holds the local files (test clock offset, spools) whatever the
     * database; SQLite's store has created it, for PostgreSQL it is made here. */
    if (conf->db[0]) {
        rc = make_data_dir(conf->data, err);
        if (rc < 0)
            goto out;
    }
    if (conf->test_clock) { /* continue at the time a test moved to before a restart */
        int found = 0;

        rc = kv_clock_load_offset(conf->data, &found, err);
        if (rc < 0)
            goto out;
        if (found)
            kv_log(KV_LOG_INFO, "hub: test clock continues at offset %lld ms",
                   (long long)kv_clock_offset_ms());
    }
    hub->syscache = kv_system_cache_new(hub->store);
    hub->metrics = kv_metrics_new();
    (void)kv_metrics_gauge_register(hub->metrics, "kuvert_test_clock_offset_seconds", NULL,
                                    "Offset of the test clock (0 unless --test-clock moved it).",
                                    clock_offset_gauge, NULL);
    kv_mail_register_gauges(hub); /* mail outbox and deactivated systems */
    *out = hub;
    hub = NULL;
out:
    kv_hub_close(hub);
    return rc;
}

/* ---- Background workers -----------------------------------------------------------------
 * In this order:
 *   start: the letter writer first (handlers need it), then the node's lease set, then the
 *          scheduler and its hooks (the receipt pusher, the recipient pusher, the health check,
 *          the mail sender), each under its lease so that of several nodes on one database
 *          one runs it (value-date publication needs none: it is one write transaction that
 *          re-reads what is due, serialised with every other writer);
 *   stop:  the scheduler first, then the leases (given back), then the writer (it flushes
 *          what is queued).
 * The writer registers its queue-depth gauge with kv_metrics_gauge_register(hub->metrics, ...).
 * Stop functions are idempotent and NULL-safe. */

/* The scheduler's view of a leased hook: run it while the lease is ours. */
static int leased_run(void *arg)
{
    struct kv_hub_leased_hook *h = arg;
    struct kv_err err = {0, ""};
    int rc = kv_leases_hold(h->hub->leases, h->lease, &err);
    long long n;

    if (rc < 0) {
        n = kv_log_streak_fail(&h->held);
        if (n == 1)
            kv_log(KV_LOG_WARN, "lease %s: %s; the job waits for the next pass", h->lease,
                   err.msg);
        else if (n > 1)
            kv_log(KV_LOG_WARN, "lease %s: %s; the job has waited %lld passes (logged at most "
                   "once a minute)", h->lease, err.msg, n);
        return 0;
    }
    n = kv_log_streak_ok(&h->held);
    if (n > 0)
        kv_log(KV_LOG_INFO, "lease %s: the job runs again after %lld failed passes", h->lease, n);
    return rc == 1 ? h->fn(h->hub) : 0;
}

int kv_hub_add_leased_hook(struct kv_hub *hub, const char *lease, int (*fn)(void *hub_arg))
{
    struct kv_hub_leased_hook *h;

    if (hub->n_leased >= KV_HUB_LEASED_HOOKS)
        return KV_ETOOBIG;
    h = &hub->leased[hub->n_leased++];
    h->hub = hub;
    h->lease = lease;
    h->fn = fn;
    return kv_scheduler_add_hook(hub->sched, leased_run, h);
}

/* This node's lease holder name: node_name, else HOSTNAME:DATA (data directory resolved). */
static void holder_name(const struct kv_conf *conf, char *out, size_t n)
{
    char path[PATH_MAX];

    if (conf->node_name[0]) {
        kv_str_copy(out, n, conf->node_name); /* length checked by the caller */
        return;
    }
    kv_lease_default_holder(realpath(conf->data, path) ? path : conf->data, out, n);
}

int kv_hub_start_workers(struct kv_hub *hub, struct kv_err *err)
{
    char holder[KV_LEASE_HOLDER_MAX];
    int rc = 0;

    rc = kv_letter_writer_start(hub, &hub->writer, err);
    if (rc < 0)
        return rc;
    if (strlen(hub->conf->node_name) >= sizeof(holder))
        return kv_err_set(err, KV_EINVAL, "node_name is longer than %d bytes",
                          (int)sizeof(holder) - 1);
    holder_name(hub->conf, holder, sizeof(holder));
    rc = kv_leases_start(hub->store, holder, hub->conf->lease_ttl > 0 ? hub->conf->lease_ttl
                                                                      : 30000,
                         &hub->leases, err);
    if (rc < 0)
        return rc;
    kv_log(KV_LOG_INFO, "hub: background work leases held as %s", holder);
    rc = kv_scheduler_start(hub, &hub->sched, err);
    if (rc < 0)
        return rc;
    rc = kv_hub_add_leased_hook(hub, "receipt_push", kv_receipts_push_hook); /* receipts.h */
    if (rc == 0)
        rc = kv_hub_add_leased_hook(hub, "recipient_push", kv_recipient_push_hook);
    /* after the pusher, so a pass judges the outcomes it just recorded; the mails the check
     * queues go out in the same pass (when one node holds both) */
    if (rc == 0)
        rc = kv_hub_add_leased_hook(hub, "system_health", kv_system_health_hook);
    if (rc == 0)
        rc = kv_hub_add_leased_hook(hub, "mail", kv_mail_hook); /* mail.h */
    if (rc == 0) /* every partition's head into a checkpoint, a minute apart (events.h) */
        rc = kv_hub_add_leased_hook(hub, "event_checkpoint", kv_events_checkpoint_hook);
    /* the print spool claims its jobs row by row (print.h), so every node renders */
    if (rc == 0)
        rc = kv_scheduler_add_hook(hub->sched, kv_print_hook, hub); /* print.h */
    return rc;
}

void kv_hub_stop_workers(struct kv_hub *hub)
{
    if (!hub)
        return;
    kv_scheduler_stop(hub->sched);
    hub->sched = NULL;
    kv_leases_stop(hub->leases);
    hub->leases = NULL;
    kv_letter_writer_stop(hub->writer);
    hub->writer = NULL;
}

void kv_hub_close(struct kv_hub *hub)
{
    if (!hub)
        return;
    kv_hub_stop_workers(hub);
    kv_system_cache_free(hub->syscache);
    if (hub->store)
        kv_store_close(hub->store);
    kv_metrics_free(hub->metrics);
    free(hub->conf);
    free(hub);
}

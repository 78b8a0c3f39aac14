/* SPDX-License-Identifier: MIT
 *
 * metrics.c: counters, the request-latency histogram and callback gauges behind GET /metrics.
 * Per-route state lives in fixed arrays (no allocation on the request path) guarded by one
 * mutex; the critical section is a few array updates.
 */
#include "util/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/xmalloc.h"

#define MAX_ROUTES 128
#define MAX_STATUSES 16
#define MAX_GAUGES 32

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static const struct {
    const char *name; /* metric name */
    const char *help; /* HELP text */
} counter_info[KV_METRIC__COUNT] = {
    [KV_METRIC_LETTERS_ACCEPTED] = {"kuvert_letters_accepted_total",
                                    "Letters acknowledged (201) and stored."},
    [KV_METRIC_LETTERS_REFUSED] = {"kuvert_letters_refused_total",
                                   "Letters refused (validation, authorisation or conflict)."},
    [KV_METRIC_RECEIPTS_PUSHED] = {"kuvert_receipts_pushed_total",
                                   "Receipts delivered to sender systems' receipt URLs."},
    [KV_METRIC_RECEIPT_PUSH_FAILURES] = {"kuvert_receipt_push_failures_total",
                                         "Failed receipt push attempts."},
};

struct route_stats {
    const char *name;                /* route metrics label (static string) */
    int statuses[MAX_STATUSES];      /* status codes seen */
    uint64_t by_status[MAX_STATUSES];/* requests per status */
    int n_statuses;                  /* entries in use */
    uint64_t bucket[N_BUCKETS];      /* non-cumulative histogram counts */
    uint64_t count;                  /* observations */
    double sum;                      /* seconds, total */
};

struct gauge {
    char *name;              /* owned metric name */
    char *labels;            /* owned label text or NULL */
    char *help;              /* owned help text */
    kv_metrics_gauge_fn fn;  /* callback */
    void *arg;               /* borrowed callback argument */
};

struct kv_metrics {
    pthread_mutex_t mu;                      /* guards routes, n_routes, gauges, n_gauges */
    struct route_stats routes[MAX_ROUTES];   /* per-route request stats */
    int n_routes;                            /* entries in use */
    struct gauge gauges[MAX_GAUGES];         /* registered gauges */
    int n_gauges;                            /* entries in use */
    _Atomic uint64_t counters[KV_METRIC__COUNT]; /* enum kv_metric_counter values */
};

struct kv_metrics *kv_metrics_new(void)
{
    struct kv_metrics *m = kv_xcalloc(1, sizeof(*m));
    int i;

    pthread_mutex_init(&m->mu, NULL);
    for (i = 0; i < KV_METRIC__COUNT; i++)
        atomic_init(&m->counters[i], 0);
    return m;
}

void kv_metrics_free(struct kv_metrics *m)
{
    int i;

    if (!m)
        return;
    for (i = 0; i < m->n_gauges; i++) {
        free(m->gauges[i].name);
        free(m->gauges[i].labels);
        free(m->gauges[i].help);
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* Finds or adds the stats of route name; NULL when the table is full. Caller holds mu. */
static struct route_stats *route_slot(struct kv_metrics *m, const char *name)
{
    int i;

    for (i = 0; i < m->n_routes; i++)
        if (m->routes[i].name == name || strcmp(m->routes[i].name, name) == 0)
            return &m->routes[i];
    if (m->n_routes == MAX_ROUTES)
        return NULL;
    m->routes[m->n_routes].name = name;
    return &m->routes[m->n_routes++];
}

void kv_metrics_observe_request(struct kv_metrics *m, const char *route, int status,
                                double seconds)
{
    struct route_stats *r;
    size_t b;
    int i;

    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    r = route_slot(m, route ? route : "unmatched");
    if (!r)
        goto out;
    for (i = 0; i < r->n_statuses; i++)
        if (r->statuses[i] == status)
            break;
    if (i == r->n_statuses) {
        if (i == MAX_STATUSES)
            i = MAX_STATUSES - 1; /* pathological: fold into the last slot */
        else
            r->n_statuses++;
        r->statuses[i] = status;
    }
    r->by_status[i]++;
    for (b = 0; b < N_BUCKETS; b++)
        if (seconds <= buckets[b]) {
            r->bucket[b]++;
            break;
        }
    r->count++;
    r->sum += seconds;
out:
    pthread_mutex_unlock(&m->mu);
}

void kv_metrics_count(struct kv_metrics *m, enum kv_metric_counter c, uint64_t n)
{
    if (!m || (int)c < 0 || c >= KV_METRIC__COUNT)
        return;
    atomic_fetch_add_explicit(&m->counters[c], n, memory_order_relaxed);
}

int kv_metrics_gauge_register(struct kv_metrics *m, const char *name, const char *labels,
                              const char *help, kv_metrics_gauge_fn fn, void *arg)
{
    int rc = 0;

    pthread_mutex_lock(&m->mu);
    if (m->n_gauges == MAX_GAUGES) {
        rc = KV_ETOOBIG;
        goto out;
    }
    m->gauges[m->n_gauges].name = kv_xstrdup(name);
    m->gauges[m->n_gauges].labels = labels ? kv_xstrdup(labels) : NULL;
    m->gauges[m->n_gauges].help = kv_xstrdup(help ? help : name);
    m->gauges[m->n_gauges].fn = fn;
    m->gauges[m->n_gauges].arg = arg;
    m->n_gauges++;
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int render_routes(const struct route_stats *routes, int n, struct kv_buf *out)
{
    int i, j, rc = 0;
    size_t b;
    uint64_t cum;

    rc |= kv_buf_puts(out, "# HELP kuvert_http_requests_total HTTP requests by route and status.\n"
                           "# TYPE kuvert_http_requests_total counter\n");
    for (i = 0; i < n; i++)
        for (j = 0; j < routes[i].n_statuses; j++)
            rc |= kv_buf_printf(out, "kuvert_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                                routes[i].name, routes[i].statuses[j],
                                (unsigned long long)routes[i].by_status[j]);
    rc |= kv_buf_puts(out, "# HELP kuvert_http_request_duration_seconds HTTP request latency by "
                           "route (from request headers to response queued).\n"
                           "# TYPE kuvert_http_request_duration_seconds histogram\n");
    for (i = 0; i < n; i++) {
        cum = 0;
        for (b = 0; b < N_BUCKETS; b++) {
            cum += routes[i].bucket[b];
            rc |= kv_buf_printf(out,
                                "kuvert_http_request_duration_seconds_bucket{route=\"%s\","
                                "le=\"%g\"} %llu\n",
                                routes[i].name, buckets[b], (unsigned long long)cum);
        }
        rc |= kv_buf_printf(out,
                            "kuvert_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                            "%llu\n"
                            "kuvert_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                            "kuvert_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                            routes[i].name, (unsigned long long)routes[i].count, routes[i].name,
                            routes[i].sum, routes[i].name, (unsigned long long)routes[i].count);
    }
    return rc < 0 ? KV_ETOOBIG : 0;
}

int kv_metrics_render(struct kv_metrics *m, struct kv_buf *out)
{
    struct route_stats *snap = NULL;
    struct gauge gs[MAX_GAUGES];
    int n, ng, i, rc = 0;
    double v;

    /* Snapshot under the lock, format without it. */
    snap = kv_xmalloc(sizeof(m->routes));
    pthread_mutex_lock(&m->mu);
    n = m->n_routes;
    memcpy(snap, m->routes, sizeof(struct route_stats) * (size_t)n);
    ng = m->n_gauges;
    memcpy(gs, m->gauges, sizeof(struct gauge) * (size_t)ng);
    pthread_mutex_unlock(&m->mu);

    rc = render_routes(snap, n, out);
    for (i = 0; i < KV_METRIC__COUNT && rc == 0; i++)
        rc = kv_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_info[i].name,
                           counter_info[i].help, counter_info[i].name, counter_info[i].name,
                           (unsigned long long)atomic_load_explicit(&m->counters[i],
                                                                    memory_order_relaxed));
    for (i = 0; i < ng && rc == 0; i++) {
        /* One HELP/TYPE block per metric name, with every label set of that name after it. */
        int j, seen = 0;
        for (j = 0; j < i; j++)
            if (strcmp(gs[j].name, gs[i].name) == 0)
                seen = 1;
        if (seen)
            continue;
        rc = kv_buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", gs[i].name, gs[i].help,
                           gs[i].name);
        for (j = i; j < ng && rc == 0; j++)
            if (strcmp(gs[j].name, gs[i].name) == 0 && gs[j].fn(gs[j].arg, &v) == 0)
                rc = kv_buf_printf(out, "%s%s%s%s %.17g\n", gs[j].name, gs[j].labels ? "{" : "",
                                   gs[j].labels ? gs[j].labels : "", gs[j].labels ? "}" : "", v);
    }
    free(snap);
    return rc < 0 ? KV_ETOOBIG : 0;
}

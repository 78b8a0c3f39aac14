/* SPDX-License-Identifier: MIT
 *
 * test_metrics.c: unit tests of src/http/metrics.c: request counters by route and status,
 * the cumulative latency histogram, plain counters, callback gauges (grouped under one HELP
 * per name, omitted when the callback declines), and counting from several threads at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/metrics.h"
#include "util/buf.h"

static char *render(struct kv_metrics *m, struct kv_buf *b)
{
    kv_buf_init(b, 1 << 20);
    assert_int_equal(kv_metrics_render(m, b), 0);
    return b->buf;
}

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    const char *p = text;

    while ((p = strstr(p, line)) != NULL) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
        p += n;
    }
    return 0;
}

static void test_requests_and_histogram(void **state)
{
    struct kv_metrics *m = kv_metrics_new();
    struct kv_buf b;
    char *t;

    (void)state;
    kv_metrics_observe_request(m, "healthz", 200, 0.0002);
    kv_metrics_observe_request(m, "healthz", 200, 0.003);
    kv_metrics_observe_request(m, "healthz", 503, 20.0);
    kv_metrics_observe_request(m, NULL, 404, 0.0001);
    t = render(m, &b);
    assert_true(has_line(t, "kuvert_http_requests_total{route=\"healthz\",status=\"200\"} 2"));
    assert_true(has_line(t, "kuvert_http_requests_total{route=\"healthz\",status=\"503\"} 1"));
    assert_true(has_line(t, "kuvert_http_requests_total{route=\"unmatched\",status=\"404\"} 1"));
    assert_true(has_line(
        t, "kuvert_http_request_duration_seconds_bucket{route=\"healthz\",le=\"0.0005\"} 1"));
    assert_true(has_line(
        t, "kuvert_http_request_duration_seconds_bucket{route=\"healthz\",le=\"0.005\"} 2"));
    assert_true(
        has_line(t, "kuvert_http_request_duration_seconds_bucket{route=\"healthz\",le=\"10\"} 2"));
    assert_true(has_line(
        t, "kuvert_http_request_duration_seconds_bucket{route=\"healthz\",le=\"+Inf\"} 3"));
    assert_true(has_line(t, "kuvert_http_request_duration_seconds_count{route=\"healthz\"} 3"));
    assert_true(has_line(t, "# TYPE kuvert_http_request_duration_seconds histogram"));
    kv_buf_release(&b);
    kv_metrics_free(m);
}

static int gauge_value(void *arg, double *out)
{
    *out = *(double *)arg;
    return 0;
}

static int gauge_declines(void *arg, double *out)
{
    (void)arg;
    (void)out;
    return -1;
}

static void test_counters_and_gauges(void **state)
{
    struct kv_metrics *m = kv_metrics_new();
    struct kv_buf b;
    double q1 = 7, q2 = 2.5;
    char *t;
    const char *first, *second;

    (void)state;
    kv_metrics_count(m, KV_METRIC_LETTERS_ACCEPTED, 5);
    kv_metrics_count(m, KV_METRIC_LETTERS_ACCEPTED, 1);
    kv_metrics_count(NULL, KV_METRIC_LETTERS_REFUSED, 1); /* NULL is a no-op */
    assert_int_equal(kv_metrics_gauge_register(m, "kuvert_queue_depth", "queue=\"letters\"",
                                               "Queued items.", gauge_value, &q1), 0);
    assert_int_equal(kv_metrics_gauge_register(m, "kuvert_other", NULL, "Other.", gauge_declines,
                                               NULL), 0);
    assert_int_equal(kv_metrics_gauge_register(m, "kuvert_queue_depth", "queue=\"receipts\"",
                                               "Queued items.", gauge_value, &q2), 0);
    t = render(m, &b);
    assert_true(has_line(t, "kuvert_letters_accepted_total 6"));
    assert_true(has_line(t, "kuvert_letters_refused_total 0"));
    assert_true(has_line(t, "kuvert_queue_depth{queue=\"letters\"} 7"));
    assert_true(has_line(t, "kuvert_queue_depth{queue=\"receipts\"} 2.5"));
    assert_true(has_line(t, "# TYPE kuvert_other gauge"));
    assert_null(strstr(t, "\nkuvert_other ")); /* no sample when the callback declines */
    /* one TYPE line for the two label sets, and the samples right after it */
    first = strstr(t, "# TYPE kuvert_queue_depth gauge");
    assert_non_null(first);
    assert_null(strstr(first + 1, "# TYPE kuvert_queue_depth gauge"));
    second = strstr(first, "kuvert_queue_depth{queue=\"receipts\"}");
    assert_non_null(second);
    assert_true(second < strstr(t, "# TYPE kuvert_other"));
    kv_buf_release(&b);
    kv_metrics_free(m);
}

static void *hammer(void *arg)
{
    struct kv_metrics *m = arg;
    int i;

    for (i = 0; i < 20000; i++) {
        kv_metrics_observe_request(m, "r", 200, 0.001);
        kv_metrics_count(m, KV_METRIC_LETTERS_REFUSED, 1);
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct kv_metrics *m = kv_metrics_new();
    pthread_t th[4];
    struct kv_buf b;
    char *t;
    int i;

    (void)state;
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer, m), 0);
    for (i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    t = render(m, &b);
    assert_true(has_line(t, "kuvert_http_requests_total{route=\"r\",status=\"200\"} 80000"));
    assert_true(has_line(t, "kuvert_letters_refused_total 80000"));
    kv_buf_release(&b);
    kv_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_and_histogram),
        cmocka_unit_test(test_counters_and_gauges),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

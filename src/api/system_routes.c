/* SPDX-License-Identifier: MIT
 *
 * system_routes.c: the server's own routes: GET /healthz (liveness with a trivial database
 * query), GET /metrics (Prometheus text) and POST /test/clock (test-only: moves the hub's
 * clock forward; served only with --test-clock).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "http/http.h"
#include "util/metrics.h"
#include "hub/hub.h"
#include "store/store.h"
#include "hub/scheduler.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/log.h"

static int healthz(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_stmt *st = NULL;
    struct kv_err err = {0, ""};
    int rc;

    rc = kv_db_acquire(req->hub->store, &db, &err);
    if (rc == 0)
        rc = kv_db_prepare(db, "SELECT 1", &st, &err);
    if (rc == 0) {
        rc = kv_stmt_step(st, &err);
        if (rc == KV_ROW && kv_stmt_col_int64(st, 0) == 1)
            rc = 0;
        else if (rc >= 0)
            rc = kv_err_set(&err, KV_EDB, "SELECT 1 returned no row");
        kv_stmt_done(st);
    }
    if (db)
        kv_db_release(db);
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: health check failed: %s", req->request_id, err.msg);
        kv_http_resp_error(resp, 503, "UNAVAILABLE", "database not available", NULL);
        return 0;
    }
    kv_http_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
    return 0;
}

static int metrics(struct kv_http_req *req, struct kv_http_resp *resp)
{
    int rc;

    resp->status = 200;
    snprintf(resp->content_type, sizeof(resp->content_type), "%s",
             "text/plain; version=0.0.4; charset=utf-8");
    rc = kv_metrics_render(req->hub->metrics, &resp->body);
    return rc;
}

static int test_clock(struct kv_http_req *req, struct kv_http_resp *resp)
{
    json_t *in = NULL, *adv;
    int64_t ms = 0;
    char now[40];

    if (kv_http_req_json_object(req, resp, "like {\"advance\": \"36h\"}", &in) < 0)
        return 0;
    adv = json_object_get(in, "advance");
    if (!json_is_string(adv) || kv_clock_parse_duration(json_string_value(adv), &ms) < 0 ||
        ms < 0) {
        json_t *fe = json_pack("[{s:s,s:s,s:s,s:s,s:O?}]", "resource", "clock", "field",
                               "advance", "code", "INVALID_DURATION", "message",
                               "a duration such as \"36h\", \"90m\", \"7d\", \"500ms\"",
                               "rejectedValue", adv);
        json_decref(in);
        kv_http_resp_error(resp, 400, "INVALID_REQUEST", "advance must be a duration", fe);
        return 0;
    }
    json_decref(in);
    kv_clock_advance_ms(ms);
    {
        struct kv_err e = {0, ""};

        if (kv_clock_save_offset(req->hub->conf->data, &e) < 0)
            kv_log(KV_LOG_WARN, "%s: test clock offset not saved: %s", req->request_id, e.msg);
    }
    (void)kv_scheduler_kick_wait(req->hub->sched, 5000); /* value dates due now are published */
    kv_clock_format_utc(kv_clock_now_ms(), now, sizeof(now));
    kv_log(KV_LOG_INFO, "%s: test clock advanced by %lld ms (offset %lld ms)", req->request_id,
           (long long)ms, (long long)kv_clock_offset_ms());
    kv_http_resp_json(resp, 200,
                      json_pack("{s:I,s:s}", "offsetMs", (json_int_t)kv_clock_offset_ms(), "now",
                                now));
    return 0;
}

const struct kv_http_route kv_system_routes[] = {
    {"GET", "/healthz", healthz, "healthz", 0, KV_ACCESS_PUBLIC},
    {"GET", "/metrics", metrics, "metrics", 0, KV_ACCESS_PUBLIC},
    {"POST", "/test/clock", test_clock, "test_clock", KV_ROUTE_TEST_ONLY, KV_ACCESS_PUBLIC},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

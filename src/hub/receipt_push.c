/* SPDX-License-Identifier: MIT
 *
 * receipt_push.c: pushes pending receipts to sender systems' receipt URLs with libcurl and
 * keeps the retry schedule in the database (receipts.push_attempts / push_next_ms), so a
 * restart loses nothing. One call takes a batch of due receipts, POSTs them concurrently
 * through a curl multi handle (bounded by the total timeout), then records every outcome in
 * one transaction together with its event. Only http and https URLs are used; TLS peers are
 * verified; redirects are not followed. See receipts.h and docs/receipts.md.
 */
#include "hub/receipts.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "hub/events.h"
#include "hub/hub.h"
#include "util/metrics.h"
#include "util/conf.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/outbound.h"
#include "util/str.h"
#include "util/url.h"
#include "util/xmalloc.h"

#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_TOTAL_MS 30000

/* Delays after the 1st, 2nd, ... failed attempt; the last repeats. */
static const int64_t retry_delays_ms[] = {
    10LL * 1000, 30LL * 1000, 60LL * 1000, 5LL * 60 * 1000, 15LL * 60 * 1000, 60LL * 60 * 1000,
};

int64_t kv_receipt_retry_delay_ms(int failures)
{
    return kv_outbound_delay_ms(retry_delays_ms,
                                sizeof(retry_delays_ms) / sizeof(retry_delays_ms[0]), failures);
}

/* One receipt being pushed. */
struct job {
    struct kv_receipt r;            /* the receipt */
    char url[1024];                 /* owning system's receipt_url, "" if none */
    char *body;                     /* owned JSON text */
    CURL *easy;                     /* owned handle while in flight */
    long http_status;               /* response status, 0 if none */
    int ok;                         /* 1 on a 2xx answer */
    char error[CURL_ERROR_SIZE + 64]; /* reason of a failure */
};

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb;
}

/* Loads up to max due receipts into jobs; returns how many, or a negative code. */
static int load_due(struct kv_store *st, int64_t now, struct job *jobs, int max, struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    int rc, n = 0;

    rc = kv_db_acquire(st, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db,
                       "SELECT r.id, r.system_id, r.transmission_id, r.message_uuid, "
                       "r.message_id, r.receipt_status, r.error_code, r.error_message, r.time_ms, "
                       "r.push_attempts, s.receipt_url, r.uuid FROM receipts r "
                       "LEFT JOIN systems s ON s.id = r.system_id "
                       "WHERE r.push_state = 'PENDING' AND "
                       "(r.push_next_ms IS NULL OR r.push_next_ms <= ?) "
                       "ORDER BY r.push_next_ms, r.id LIMIT ?",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_int64(s, 2, max);
    while (n < max && (rc = kv_stmt_step(s, err)) == KV_ROW) {
        struct job *j = &jobs[n++];
        memset(j, 0, sizeof(*j));
        j->r.id = kv_stmt_col_int64(s, 0);
        kv_str_copy(j->r.system_id, sizeof(j->r.system_id), kv_stmt_col_text(s, 1));
        kv_str_copy(j->r.transmission_id, sizeof(j->r.transmission_id), kv_stmt_col_text(s, 2));
        kv_str_copy(j->r.message_uuid, sizeof(j->r.message_uuid), kv_stmt_col_text(s, 3));
        kv_str_copy(j->r.message_id, sizeof(j->r.message_id), kv_stmt_col_text(s, 4));
        kv_str_copy(j->r.receipt_status, sizeof(j->r.receipt_status), kv_stmt_col_text(s, 5));
        kv_str_copy(j->r.error_code, sizeof(j->r.error_code), kv_stmt_col_text(s, 6));
        kv_str_copy(j->r.error_message, sizeof(j->r.error_message), kv_stmt_col_text(s, 7));
        j->r.time_ms = kv_stmt_col_int64(s, 8);
        j->r.push_attempts = (int)kv_stmt_col_int64(s, 9);
        kv_str_copy(j->url, sizeof(j->url), kv_stmt_col_text(s, 10));
        kv_str_copy(j->r.uuid, sizeof(j->r.uuid), kv_stmt_col_text(s, 11));
    }
    kv_stmt_done(s);
    rc = rc < 0 ? rc : n;
out:
    kv_db_release(db);
    return rc;
}

/* Prepares the easy handle of j; on a refusal fills j->error and leaves j->easy NULL. */
static void setup(struct job *j, const struct kv_receipt_push_opts *o, struct curl_slist *hdrs)
{
    json_t *obj;
    int64_t conn_ms = o && o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEFAULT_CONNECT_MS;
    int64_t total_ms = o && o->total_timeout_ms > 0 ? o->total_timeout_ms : DEFAULT_TOTAL_MS;

    if (!j->url[0]) {
        snprintf(j->error, sizeof(j->error), "the system has no receipt URL");
        return;
    }
    if (!kv_url_is_http(j->url)) {
        snprintf(j->error, sizeof(j->error), "receipt URL is not http or https");
        return;
    }
    if (conn_ms > total_ms)
        conn_ms = total_ms;
    obj = kv_receipt_json(&j->r);
    j->body = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    j->easy = curl_easy_init();
    if (!j->body || !j->easy) {
        snprintf(j->error, sizeof(j->error), "out of memory");
        if (j->easy)
            curl_easy_cleanup(j->easy);
        j->easy = NULL;
        return;
    }
    j->error[0] = '\0';
    kv_outbound_http_setup(j->easy, j->url, conn_ms, total_ms);
    curl_easy_setopt(j->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->body);
    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(j->body));
    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "kuvert");
    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->error);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, (void *)j);
}

/* Runs every prepared handle to completion. */
static void perform(struct job *jobs, int n)
{
    CURLM *multi = curl_multi_init();
    int running = 0, i;
    CURLMsg *msg;
    int left;

    if (!multi) {
        for (i = 0; i < n; i++)
            if (jobs[i].easy)
                snprintf(jobs[i].error, sizeof(jobs[i].error), "curl_multi_init failed");
        return;
    }
    for (i = 0; i < n; i++)
        if (jobs[i].easy)
            curl_multi_add_handle(multi, jobs[i].easy);
    do {
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc == CURLM_OK && running)
            mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK)
            break;
    } while (running);
    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
        struct job *j;
        char *priv = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        j = (struct job *)(void *)priv;
        if (!j)
            continue;
        if (msg->data.result == CURLE_OK) {
            curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->http_status);
            if (j->http_status >= 200 && j->http_status < 300)
                j->ok = 1;
            else
                snprintf(j->error, sizeof(j->error), "HTTP status %ld", j->http_status);
        } else if (!j->error[0]) {
            snprintf(j->error, sizeof(j->error), "%s", curl_easy_strerror(msg->data.result));
        }
    }
    for (i = 0; i < n; i++) {
        if (!jobs[i].easy)
            continue;
        if (!jobs[i].ok && !jobs[i].error[0])
            snprintf(jobs[i].error, sizeof(jobs[i].error), "push did not complete");
        curl_multi_remove_handle(multi, jobs[i].easy);
        curl_easy_cleanup(jobs[i].easy);
        jobs[i].easy = NULL;
    }
    curl_multi_cleanup(multi);
}

static int log_event(struct kv_db *db, const struct job *j, const char *tag, int64_t now,
                     struct kv_err *err)
{
    struct kv_event ev;
    json_t *props = json_object();
    char *text;
    int rc;

    json_object_set_new(props, "receiptId", json_string(j->r.uuid));
    json_object_set_new(props, "transmissionId", json_string(j->r.transmission_id));
    json_object_set_new(props, "url", json_string(j->url));
    json_object_set_new(props, "attempts", json_integer(j->r.push_attempts + 1));
    if (j->http_status)
        json_object_set_new(props, "httpStatus", json_integer(j->http_status));
    if (!j->ok && j->error[0])
        json_object_set_new(props, "error", json_string(j->error));
    text = json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(props);
    memset(&ev, 0, sizeof(ev));
    ev.tag = tag;
    ev.message_uuid = j->r.message_uuid[0] ? j->r.message_uuid : NULL;
    ev.system_id = j->r.system_id;
    ev.actor = "hub";
    ev.props_json = text;
    ev.time_ms = now;
    rc = kv_events_append(db, &ev, err);
    free(text);
    return rc;
}

/* Writes the outcome of j (inside the caller's transaction). */
static int record(struct kv_db *db, const struct job *j, int64_t now, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    const char *state;
    int64_t next = 0;
    int rc;

    if (j->ok)
        state = "DONE";
    else if (now - j->r.time_ms >= KV_RECEIPT_GIVE_UP_MS)
        state = "FAILED";
    else {
        state = "PENDING";
        next = now + kv_receipt_retry_delay_ms(j->r.push_attempts + 1);
    }
    rc = kv_db_prepare(db,
                       "UPDATE receipts SET push_state = ?, push_attempts = push_attempts + 1, "
                       "push_next_ms = ?, push_last_error = ? "
                       "WHERE id = ? AND push_state = 'PENDING'",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, state, -1);
    if (next)
        kv_stmt_bind_int64(s, 2, next);
    else
        kv_stmt_bind_null(s, 2);
    if (j->ok)
        kv_stmt_bind_null(s, 3);
    else
        kv_stmt_bind_text(s, 3, j->error, -1);
    kv_stmt_bind_int64(s, 4, j->r.id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (kv_db_changes(db) != 1)
        return 0; /* someone else settled it meanwhile */
    if (j->ok)
        return log_event(db, j, "TECHNICAL_RECEIPT_SENT_TO_SENDER_SYSTEM", now, err);
    if (strcmp(state, "FAILED") == 0)
        return log_event(db, j, "BUSINESS_RECEIPT_SEND_TO_SENDER_SYSTEM_FAILED", now, err);
    return 0;
}

static int by_id(const void *a, const void *b)
{
    const struct job *x = a, *y = b;

    return x->r.id < y->r.id ? -1 : x->r.id > y->r.id;
}

int kv_receipts_push_due(struct kv_store *st, const struct kv_receipt_push_opts *opts,
                         int *out_done, struct kv_err *err)
{
    struct job *jobs = NULL;
    struct curl_slist *hdrs = NULL;
    struct kv_db *db = NULL;
    int64_t now = kv_clock_now_ms();
    int rc, n = 0, i;

    if (out_done)
        *out_done = 0;
    if (kv_outbound_init(err) < 0)
        return KV_EINTERNAL;

    jobs = kv_xcalloc(KV_RECEIPT_PUSH_BATCH, sizeof(*jobs));
    rc = load_due(st, now, jobs, KV_RECEIPT_PUSH_BATCH, err);
    if (rc <= 0)
        goto out;
    n = rc;

    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = hdrs ? curl_slist_append(hdrs, "Expect:") : NULL;
    if (!hdrs) {
        rc = kv_err_set(err, KV_ENOMEM, "curl_slist_append failed");
        goto out;
    }
    for (i = 0; i < n; i++)
        setup(&jobs[i], opts, hdrs);
    perform(jobs, n);

    /* Outcomes are judged at the time they are recorded (a push may take a while). */
    now = kv_clock_now_ms();
    rc = kv_db_acquire(st, &db, err);
    if (rc < 0)
        goto out;
    /* Concurrent (docs/postgresql.md "Writes without the global lock"): each outcome is one
     * UPDATE guarded by push_state = 'PENDING', and its event is written only by the UPDATE
     * that changed the row. The rows are locked in id order, so two nodes recording
     * overlapping batches (a lease taken over mid-pass) queue on them and never deadlock. */
    qsort(jobs, (size_t)n, sizeof(*jobs), by_id);
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        goto out;
    for (i = 0; i < n && rc == 0; i++)
        rc = record(db, &jobs[i], now, err);
    if (rc < 0)
        kv_db_rollback(db);
    else
        rc = kv_db_commit(db, err);
    if (rc == 0 && opts && opts->metrics) {
        uint64_t ok = 0;
        for (i = 0; i < n; i++)
            ok += jobs[i].ok ? 1 : 0;
        kv_metrics_count(opts->metrics, KV_METRIC_RECEIPTS_PUSHED, ok);
        kv_metrics_count(opts->metrics, KV_METRIC_RECEIPT_PUSH_FAILURES, (uint64_t)n - ok);
    }
    if (rc == 0 && out_done)
        *out_done = n;
out:
    if (db)
        kv_db_release(db);
    curl_slist_free_all(hdrs);
    if (jobs) {
        for (i = 0; i < n; i++)
            free(jobs[i].body);
        free(jobs);
    }
    return rc < 0 ? rc : 0;
}

int kv_receipts_push_hook(void *hub_arg)
{
    struct kv_hub *hub = hub_arg;
    struct kv_receipt_push_opts o;
    struct kv_err err = {0};
    int i, done = 0, rc = 0;

    memset(&o, 0, sizeof(o));
    o.connect_timeout_ms = DEFAULT_CONNECT_MS;
    o.total_timeout_ms = hub->conf ? hub->conf->receipt_push_timeout : 0;
    o.metrics = hub->metrics;
    for (i = 0; i < 16; i++) {
        rc = kv_receipts_push_due(hub->store, &o, &done, &err);
        if (rc < 0 || done < KV_RECEIPT_PUSH_BATCH)
            break;
    }
    return rc;
}

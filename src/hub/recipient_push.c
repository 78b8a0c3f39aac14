/* SPDX-License-Identifier: MIT
 *
 * recipient_push.c: REST push of routed letters to recipient systems (see recipient_push.h
 * and docs/recipient-side.md "REST push"). One drain: pick the open push systems (active, not
 * backing off), load a batch of their due letters, POST them through one curl multi handle
 * with a sliding window of `parallel` transfers (a system that fails gets nothing more in this
 * drain), then record every outcome, its event and the systems' health in one transaction
 * (on a helper thread and a second connection, while the next batch is loaded and pushed);
 * repeat while letters are due and the time budget lasts.
 */
#include "hub/recipient_push.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "hub/events.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "hub/protocol.h"
#include "hub/stats.h"
#include "hub/system_health.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/outbound.h"
#include "util/str.h"
#include "util/url.h"
#include "util/xmalloc.h"

#define DEFAULT_TOTAL_MS 30000
#define DEFAULT_PARALLEL 16
#define MAX_PARALLEL 256
#define ERROR_TEXT_MAX 200 /* bytes of a failing answer kept in last_error */
#define MAX_MARKS 4096     /* push systems one drain keeps track of */

/* Delays after the 1st, 2nd, 3rd, ... failed attempt; the last repeats for ever. */
static const int64_t delays_ms[] = {
    60LL * 1000, 5LL * 60 * 1000, 15LL * 60 * 1000, 60LL * 60 * 1000,
};
#define N_DELAYS (sizeof(delays_ms) / sizeof(delays_ms[0]))

int64_t kv_recipient_push_delay_ms(int failures)
{
    return kv_outbound_delay_ms(delays_ms, N_DELAYS, failures);
}

int64_t kv_recipient_push_system_delay_ms(int64_t failing_for_ms)
{
    int64_t at = 0;
    size_t i;

    /* Probes happen at 0, +1 min, +6 min, +21 min, +81 min, ... after the first failure; the
     * next one is the step that starts at the last offset reached. */
    for (i = 0; i < N_DELAYS; i++) {
        if (failing_for_ms < at + delays_ms[i])
            return delays_ms[i];
        at += delays_ms[i];
    }
    return delays_ms[N_DELAYS - 1];
}

enum job_state { JOB_PENDING = 0, JOB_RUNNING, JOB_OK, JOB_FAILED, JOB_SKIPPED };

/* A push system taking part in a batch. */
struct psys {
    char id[37];       /* systems.id */
    char url[1024];    /* push_url */
    int probe;         /* 1: failing; at most one letter this batch */
    int tripped;       /* 1: an attempt failed in this batch */
    int ok;            /* letters accepted in this batch */
    int failed;        /* attempts failed in this batch */
    const char *error; /* borrowed: the error of its first failure in this batch */
    int more;          /* 1: its last load was cut by the limit (more may be due) */
    int mark;          /* index into the drain's marks */
};

/* One letter being pushed. */
struct job {
    int64_t qid;               /* recipient_queue.id */
    int sys;                   /* index into the batch's systems */
    int attempts;              /* attempts before this one */
    char uuid[37];             /* messageUUID (the file name) */
    unsigned char *body;       /* owned MeMo bytes */
    size_t len;                /* their length */
    size_t pos;                /* read position of the upload */
    CURL *easy;                /* owned while running */
    curl_mime *mime;           /* owned while running */
    enum job_state state;      /* see enum */
    long http_status;          /* answer status, 0 if none */
    size_t resp_total;         /* bytes of answer body seen */
    int too_big;               /* 1: the answer passed KV_RECIPIENT_PUSH_RESPONSE_MAX */
    char resp[ERROR_TEXT_MAX + 1]; /* start of the answer body (for last_error) */
    char curl_err[CURL_ERROR_SIZE]; /* libcurl's detail */
    char error[CURL_ERROR_SIZE + ERROR_TEXT_MAX + 64]; /* reason of a failure */
};

/* What a drain remembers about a system across its batches. */
struct mark {
    char id[37];     /* systems.id */
    int tripped;     /* 1: an attempt failed; no more letters in this drain */
};

/* A batch: loaded, pushed, then committed (on the committer thread). */
struct batch {
    struct job *jobs;    /* owned, n used */
    int n;               /* letters */
    struct psys *sys;    /* owned, n_sys used; jobs[i].sys indexes it */
    int n_sys;           /* systems */
    struct kv_db *db;    /* borrowed: the drain's commit connection */
    int rc;              /* outcome of the commit */
    struct kv_err err;   /* its detail */
    int64_t delivered;   /* letters committed DELIVERED */
    int64_t failed;      /* failed attempts committed */
    int64_t *qids;       /* owned, sorted: its rows, set while it is being committed */
};

/* State of one drain. */
struct drain {
    struct kv_store *st;                 /* borrowed */
    struct kv_db *db;                    /* acquired: loading (this thread) */
    struct kv_db *cdb;                   /* acquired: commits (committer thread) */
    CURLM *multi;                        /* owned; keeps connections between batches */
    struct curl_slist *hdrs;             /* owned request headers */
    int64_t total_ms, connect_ms;        /* timeouts */
    int parallel, batch;                 /* window and rows per batch */
    struct mark *marks;                  /* owned: cap_marks entries (grown as needed) */
    int n_marks, cap_marks;              /* entries used / allocated */
    struct kv_recipient_push_stats stats; /* counts so far */
};

/* The drain's mark of system id (created when new); -1 when the table is full. */
static int mark_of(struct drain *d, const char *id)
{
    int i;

    for (i = 0; i < d->n_marks; i++)
        if (strcmp(d->marks[i].id, id) == 0)
            return i;
    if (d->n_marks == MAX_MARKS)
        return -1;
    if (d->n_marks == d->cap_marks) {
        d->cap_marks = d->cap_marks ? d->cap_marks * 2 : 16;
        d->marks = kv_xrealloc(d->marks, (size_t)d->cap_marks * sizeof(d->marks[0]));
    }
    memset(&d->marks[d->n_marks], 0, sizeof(d->marks[0]));
    kv_str_copy(d->marks[d->n_marks].id, sizeof(d->marks[0].id), id);
    return d->n_marks++;
}

static void trip(struct drain *d, struct psys *s)
{
    s->tripped = 1;
    d->marks[s->mark].tripped = 1;
}

/* The active push systems (status active, within their active window) that may get letters
 * now; *out owned (free). */
static int load_systems(struct drain *d, int64_t now, struct psys **out, int *out_n,
                        struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct psys *v = NULL;
    int n = 0, cap = 0, rc;

    *out = NULL;
    *out_n = 0;
    rc = kv_db_prepare(d->db,
                       "SELECT id, push_url, failing_since_ms, last_failure_ms, "
                       "COALESCE(activated_ms, 0) FROM systems "
                       "WHERE kind = 'recipient' AND protocol = ? AND status = 'active' "
                       "AND (active_from IS NULL OR active_from <= ?) "
                       "AND (active_to IS NULL OR active_to >= ?) ORDER BY id",
                       &s, err);
    if (rc == 0) {
        char today[11];

        kv_clock_copenhagen_date(now, today); /* outside its active window: no pushes */
        kv_stmt_bind_text(s, 1, kv_protocol_name(KV_PROTOCOL_PUSH), -1);
        kv_stmt_bind_text(s, 2, today, -1);
        kv_stmt_bind_text(s, 3, today, -1);
    }
    if (rc < 0)
        return rc;
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *id = kv_stmt_col_text(s, 0);
        int m = id ? mark_of(d, id) : -1;
        /* Failing: failed since its last success, and not reactivated by hand since. */
        int failing = !kv_stmt_col_is_null(s, 2) && !kv_stmt_col_is_null(s, 3) &&
                      kv_stmt_col_int64(s, 4) < kv_stmt_col_int64(s, 3);

        if (m < 0 || d->marks[m].tripped)
            continue; /* failed in this drain (or past MAX_MARKS systems: next pass) */
        if (failing) {
            int64_t since = kv_stmt_col_int64(s, 2), last = kv_stmt_col_int64(s, 3);
            if (now < last + kv_recipient_push_system_delay_ms(last - since))
                continue; /* backing off */
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = kv_xrealloc(v, (size_t)cap * sizeof(*v));
        }
        memset(&v[n], 0, sizeof(v[n]));
        kv_str_copy(v[n].id, sizeof(v[n].id), id);
        kv_str_copy(v[n].url, sizeof(v[n].url), kv_stmt_col_text(s, 1));
        v[n].probe = failing;
        v[n].mark = m;
        n++;
    }
    kv_stmt_done(s);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *out_n = n;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static int job_by_qid(const void *a, const void *b)
{
    return cmp_i64(&((const struct job *)a)->qid, &((const struct job *)b)->qid);
}

/* 1 when row qid belongs to batch p (pushed, its commit still running). */
static int in_batch(const struct batch *p, int64_t qid)
{
    return p && p->qids && bsearch(&qid, p->qids, (size_t)p->n, sizeof(int64_t), cmp_i64);
}

/* The MeMo bytes of letters row letter_id into j (letters.h). */
static int load_body(struct drain *d, int64_t letter_id, struct job *j, struct kv_err *err)
{
    char *body = NULL;
    int rc = kv_letter_body(d->db, letter_id, &body, &j->len, err);

    j->body = (unsigned char *)body;
    return rc;
}

/* Appends up to limit due letters of system si to jobs, oldest due first (at most max in
 * all, and at most *bytes_left bytes once the batch is not empty), leaving out the rows of
 * batch `pending` (still QUEUED until its commit ends). Due: max(next_ms, visible_ms) passed,
 * the expression of index recipient_queue_push_due (migration 008: visible_ms is the letter's
 * available_ms, NULL once recalled), so rows that back off or wait for a value date cost
 * nothing. The selection reads no letters column stored after the body (length() comes from
 * the record header), so a big MeMo is read once, by load_body, and only when it is taken. */
static int load_rows(struct drain *d, int64_t now, struct psys *sys, int si, int limit,
                     const struct batch *pending, struct job *jobs, int *n, int max,
                     int64_t *bytes_left, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t *ids = NULL;
    int rc, got = 0, first = *n, i;

    rc = kv_db_prepare(d->db,
                       "SELECT q.id, q.attempts, l.message_uuid, length(l.body), l.id "
                       "FROM recipient_queue q JOIN letters l ON l.id = q.letter_id "
                       "WHERE q.system_id = ?2 AND q.state = 'QUEUED' "
                       "AND max(COALESCE(q.next_ms, 0), q.visible_ms) <= ?1 "
                       "ORDER BY max(COALESCE(q.next_ms, 0), q.visible_ms), q.id LIMIT ?3",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_text(s, 2, sys[si].id, -1);
    kv_stmt_bind_int64(s, 3, (int64_t)limit + (pending ? pending->n : 0));
    sys[si].more = 0;
    ids = kv_xmalloc((size_t)(limit > 0 ? limit : 1) * sizeof(*ids));
    while (got < limit && (rc = kv_stmt_step(s, err)) == KV_ROW) {
        struct job *j = &jobs[*n];
        int64_t size = kv_stmt_col_int64(s, 3);

        if (in_batch(pending, kv_stmt_col_int64(s, 0)))
            continue;
        if (*n >= max || (*n > 0 && size > *bytes_left)) {
            *bytes_left = 0; /* the next batch takes it (and the rest) */
            break;
        }
        memset(j, 0, sizeof(*j));
        j->qid = kv_stmt_col_int64(s, 0);
        j->attempts = (int)kv_stmt_col_int64(s, 1);
        kv_str_copy(j->uuid, sizeof(j->uuid), kv_stmt_col_text(s, 2));
        j->sys = si;
        ids[got] = kv_stmt_col_int64(s, 4);
        *bytes_left -= size;
        (*n)++;
        got++;
    }
    kv_stmt_done(s);
    for (i = 0; i < got && rc >= 0; i++)
        rc = load_body(d, ids[i], &jobs[first + i], err);
    free(ids);
    sys[si].more = got == limit;
    return rc < 0 ? rc : 0;
}

static size_t upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
    struct job *j = arg;
    size_t want = size * nitems, left = j->len - j->pos;

    if (want > left)
        want = left;
    if (want)
        memcpy(buf, j->body + j->pos, want);
    j->pos += want;
    return want;
}

static int upload_seek(void *arg, curl_off_t offset, int origin)
{
    struct job *j = arg;
    curl_off_t base = origin == SEEK_SET ? 0 : origin == SEEK_CUR ? (curl_off_t)j->pos
                                                                  : (curl_off_t)j->len;

    if (origin != SEEK_SET && origin != SEEK_CUR && origin != SEEK_END)
        return CURL_SEEKFUNC_FAIL;
    if (base + offset < 0 || base + offset > (curl_off_t)j->len)
        return CURL_SEEKFUNC_FAIL;
    j->pos = (size_t)(base + offset);
    return CURL_SEEKFUNC_OK;
}

/* Keeps the start of the answer for the error text; refuses answers above the bound. */
static size_t answer_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct job *j = arg;
    size_t n = size * nmemb, keep;

    if (j->resp_total + n > KV_RECIPIENT_PUSH_RESPONSE_MAX) {
        j->too_big = 1;
        return 0; /* CURLE_WRITE_ERROR */
    }
    keep = j->resp_total < ERROR_TEXT_MAX ? ERROR_TEXT_MAX - j->resp_total : 0;
    if (keep > n)
        keep = n;
    if (keep)
        memcpy(j->resp + j->resp_total, ptr, keep);
    j->resp_total += n;
    j->resp[j->resp_total < ERROR_TEXT_MAX ? j->resp_total : ERROR_TEXT_MAX] = '\0';
    return n;
}

/* Prepares j's transfer; on a refusal sets j->error and returns -1. */
static int setup(struct drain *d, struct job *j, const struct psys *s)
{
    curl_mimepart *part;

    if (!s->url[0]) {
        snprintf(j->error, sizeof(j->error), "the system has no push URL");
        return -1;
    }
    if (!kv_url_is_http(s->url)) {
        snprintf(j->error, sizeof(j->error), "the push URL is not http or https");
        return -1;
    }
    j->easy = curl_easy_init();
    j->mime = j->easy ? curl_mime_init(j->easy) : NULL;
    part = j->mime ? curl_mime_addpart(j->mime) : NULL;
    if (!part || curl_mime_name(part, "file") != CURLE_OK ||
        curl_mime_filename(part, j->uuid) != CURLE_OK ||
        curl_mime_type(part, "application/xml") != CURLE_OK ||
        curl_mime_data_cb(part, (curl_off_t)j->len, upload_read, upload_seek, NULL, j) !=
            CURLE_OK) {
        snprintf(j->error, sizeof(j->error), "cannot prepare the request (libcurl)");
        curl_mime_free(j->mime);
        curl_easy_cleanup(j->easy);
        j->mime = NULL;
        j->easy = NULL;
        return -1;
    }
    kv_outbound_http_setup(j->easy, s->url, d->connect_ms, d->total_ms);
    curl_easy_setopt(j->easy, CURLOPT_MIMEPOST, j->mime);
    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, d->hdrs);
    curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "kuvert");
    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, answer_write);
    curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, (void *)j);
    curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->curl_err);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, (void *)j);
    return 0;
}

/* Makes an answer's start printable ASCII (it goes into JSON and the log): control bytes
 * become spaces, others outside ASCII '?'. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
        else if ((unsigned char)*s > 0x7f)
            *s = '?';
}

/* Judges a finished transfer and frees its handles. */
static void finish(struct job *j, CURLcode res)
{
    if (res == CURLE_OK) {
        curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->http_status);
        if (j->http_status >= 200 && j->http_status < 300) {
            j->state = JOB_OK;
        } else {
            printable(j->resp);
            snprintf(j->error, sizeof(j->error), "HTTP status %ld%s%s", j->http_status,
                     j->resp[0] ? ": " : "", j->resp);
            j->state = JOB_FAILED;
        }
    } else {
        if (j->too_big)
            snprintf(j->error, sizeof(j->error), "answer larger than %d bytes",
                     KV_RECIPIENT_PUSH_RESPONSE_MAX);
        else
            snprintf(j->error, sizeof(j->error), "%s%s%s", curl_easy_strerror(res),
                     j->curl_err[0] ? ": " : "", j->curl_err);
        j->state = JOB_FAILED;
    }
    curl_easy_cleanup(j->easy);
    curl_mime_free(j->mime);
    j->easy = NULL;
    j->mime = NULL;
}

/* Runs the batch with at most d->parallel transfers at once. */
static void perform(struct drain *d, struct job *jobs, int n, struct psys *sys)
{
    int next = 0, active = 0, running = 0, left;
    CURLMsg *msg;

    for (;;) {
        while (active < d->parallel && next < n) {
            struct job *j = &jobs[next++];
            struct psys *s = &sys[j->sys];
            if (s->tripped) {
                j->state = JOB_SKIPPED;
                continue;
            }
            if (setup(d, j, s) < 0) {
                j->state = JOB_FAILED;
                trip(d, s);
                continue;
            }
            if (curl_multi_add_handle(d->multi, j->easy) != CURLM_OK) {
                snprintf(j->error, sizeof(j->error), "curl_multi_add_handle failed");
                curl_easy_cleanup(j->easy);
                curl_mime_free(j->mime);
                j->easy = NULL;
                j->mime = NULL;
                j->state = JOB_SKIPPED; /* a local problem: not the system's failure */
                continue;
            }
            j->state = JOB_RUNNING;
            active++;
        }
        if (active == 0)
            break;
        if (curl_multi_perform(d->multi, &running) != CURLM_OK)
            break;
        while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
            struct job *j;
            char *priv = NULL;
            CURLcode res;
            if (msg->msg != CURLMSG_DONE)
                continue;
            res = msg->data.result; /* msg is not valid after remove_handle */
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            j = (struct job *)(void *)priv;
            curl_multi_remove_handle(d->multi, msg->easy_handle);
            if (!j)
                continue;
            finish(j, res);
            active--;
            if (j->state == JOB_FAILED)
                trip(d, &sys[j->sys]);
        }
        if (active > 0 && running > 0 &&
            curl_multi_poll(d->multi, NULL, 0, 1000, NULL) != CURLM_OK)
            break;
    }
    /* Only after a multi failure: whatever still runs is abandoned and counts as not tried. */
    for (next = 0; next < n; next++) {
        struct job *j = &jobs[next];
        if (j->state != JOB_RUNNING)
            continue;
        curl_multi_remove_handle(d->multi, j->easy);
        curl_easy_cleanup(j->easy);
        curl_mime_free(j->mime);
        j->easy = NULL;
        j->mime = NULL;
        j->state = JOB_SKIPPED;
    }
}

static int log_event(struct kv_db *db, const struct job *j, const struct psys *s, int64_t now,
                     struct kv_err *err)
{
    struct kv_event ev;
    json_t *props = json_object();
    char *text;
    int rc;

    json_object_set_new(props, "recipientSystemId", json_string(s->id));
    json_object_set_new(props, "attempt", json_integer(j->attempts + 1));
    if (j->http_status)
        json_object_set_new(props, "httpStatus", json_integer(j->http_status));
    if (j->state == JOB_FAILED) {
        json_object_set_new(props, "error", json_string(j->error));
        json_object_set_new(props, "nextAttemptMs",
                            json_integer(now + kv_recipient_push_delay_ms(j->attempts + 1)));
    }
    text = json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(props);
    memset(&ev, 0, sizeof(ev));
    ev.tag = j->state == JOB_OK ? "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM"
                                : "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM_FAILED";
    ev.message_uuid = j->uuid;
    ev.system_id = s->id;
    ev.actor = "hub";
    ev.props_json = text;
    ev.time_ms = now;
    rc = kv_events_append(db, &ev, err);
    free(text);
    return rc;
}

/* Writes j's outcome inside the caller's transaction. */
static int record(struct kv_db *db, struct job *j, struct psys *s, int64_t now,
                  struct kv_err *err)
{
    struct kv_stmt *st = NULL;
    int rc;

    if (j->state == JOB_OK)
        /* Still queued; or acknowledged by the system's business receipt while this push
         * waited for its answer -- Netcompany's reference recipient posts the receipt before
         * it answers 200 -- which set DELIVERED with fetched_ms = acknowledged_ms and left
         * attempts as this push loaded them (a second pusher of the same attempt finds them
         * counted). */
        rc = kv_db_prepare(db,
                           "UPDATE recipient_queue SET state = 'DELIVERED', fetched_ms = CASE "
                           "WHEN state = 'QUEUED' THEN ?1 ELSE fetched_ms END, "
                           "attempts = attempts + 1, next_ms = NULL, last_error = NULL "
                           "WHERE id = ?2 AND (state = 'QUEUED' OR (state = 'DELIVERED' AND "
                           "attempts = ?3 AND acknowledged_ms IS NOT NULL AND "
                           "fetched_ms = acknowledged_ms))",
                           &st, err);
    else /* only the attempt it was loaded with: a second pusher's failure of the same
          * attempt (a lease taken over mid-pass) counts once */
        rc = kv_db_prepare(db,
                           "UPDATE recipient_queue SET next_ms = ?, attempts = attempts + 1, "
                           "last_error = ? WHERE id = ? AND state = 'QUEUED' AND attempts = ?",
                           &st, err);
    if (rc < 0)
        return rc;
    if (j->state == JOB_OK) {
        kv_stmt_bind_int64(st, 1, now);
        kv_stmt_bind_int64(st, 2, j->qid);
        kv_stmt_bind_int64(st, 3, j->attempts);
    } else {
        kv_stmt_bind_int64(st, 1, now + kv_recipient_push_delay_ms(j->attempts + 1));
        kv_stmt_bind_text(st, 2, j->error, -1);
        kv_stmt_bind_int64(st, 3, j->qid);
        kv_stmt_bind_int64(st, 4, j->attempts);
    }
    rc = kv_stmt_step(st, err);
    kv_stmt_done(st);
    if (rc < 0)
        return rc;
    if (kv_db_changes(db) != 1)
        return 0; /* settled meanwhile (fetched by pull, deleted, recorded by another pusher,
                   * a failure after the receipt acknowledged it): nothing to count or log */
    if (j->state == JOB_OK) {
        s->ok++;
    } else {
        if (!s->failed)
            s->error = j->error;
        s->failed++;
    }
    rc = kv_stats_delivery_add(db, s->id, now, j->state == JOB_OK, err);
    if (rc < 0)
        return rc;
    return log_event(db, j, s, now, err);
}

/* What commit_tx runs on (kv_db_run's argument): the batch and the time of its outcomes, the
 * same on every run. */
struct commit_arg {
    struct batch *b;
    int64_t now;
};

/* The commit of a batch's outcomes, run by kv_db_run (which begins, commits, and runs it again
 * after a deadlock or serialization failure). Concurrent (docs/postgresql.md "Writes without
 * the global lock"): each outcome is one UPDATE guarded by state = 'QUEUED'
 * (and a failure by the attempt it was loaded with), so of two pushers recording one row --
 * a lease taken over mid-pass -- only the first changes it, and only the statement that
 * changed a row counts it, logs its event and reports the system's health; the delivery
 * statistics are the session's slot, events appends, the health reports single UPDATEs. The
 * rows go in id order (drain_loop sorts the jobs), so two such commits queue rather than
 * deadlock; a deadlock with another path (the pull API's group commit holds queue and system
 * rows too) rolls everything back and the batch runs again. */
static int commit_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct commit_arg *a = arg;
    struct batch *b = a->b;
    int i, rc = 0;

    for (i = 0; i < b->n_sys; i++) { /* counted again by this run */
        b->sys[i].ok = 0;
        b->sys[i].failed = 0;
        b->sys[i].error = NULL;
    }
    for (i = 0; i < b->n && rc == 0; i++)
        if (b->jobs[i].state == JOB_OK || b->jobs[i].state == JOB_FAILED)
            rc = record(db, &b->jobs[i], &b->sys[b->jobs[i].sys], a->now, err);
    /* One health report per system and batch (all outcomes share `now`); a success first, so
     * a batch that ends with a failure leaves the system failing. */
    for (i = 0; i < b->n_sys && rc == 0; i++) {
        if (b->sys[i].ok)
            rc = kv_system_health_success(db, b->sys[i].id, a->now, err);
        if (rc == 0 && b->sys[i].failed)
            rc = kv_system_health_failure(db, b->sys[i].id, a->now, b->sys[i].error, err);
    }
    return rc;
}

/* Commits the outcomes of batch b on b->db (one transaction, kv_db_run); sets b->rc and the
 * counts. */
static void commit_batch(struct batch *b)
{
    struct commit_arg a = {b, kv_clock_now_ms()};
    int i, rc;

    rc = kv_db_run(b->db, 1, commit_tx, &a, &b->err);
    b->rc = rc;
    if (rc < 0)
        return;
    for (i = 0; i < b->n_sys; i++) {
        b->delivered += b->sys[i].ok;
        b->failed += b->sys[i].failed;
        if (b->sys[i].failed)
            kv_log(KV_LOG_WARN, "recipient push: system %s failed: %s", b->sys[i].id,
                   b->sys[i].error ? b->sys[i].error : "?");
    }
}

static void *commit_main(void *arg)
{
    commit_batch(arg);
    return NULL;
}

static void batch_free(struct batch *b)
{
    int i;

    if (!b)
        return;
    for (i = 0; i < b->n; i++)
        free(b->jobs[i].body);
    free(b->jobs);
    free(b->sys);
    free(b->qids);
    free(b);
}

/* Loads the next batch, without the rows of `pending`; *out NULL when nothing is due. */
static int load_batch(struct drain *d, const struct batch *pending, struct batch **out,
                      struct kv_err *err)
{
    struct batch *b = kv_xcalloc(1, sizeof(*b));
    int64_t now = kv_clock_now_ms(), bytes_left = KV_RECIPIENT_PUSH_BATCH_BYTES;
    int i, rc, share;

    *out = NULL;
    rc = load_systems(d, now, &b->sys, &b->n_sys, err);
    if (rc < 0 || b->n_sys == 0)
        goto out;
    b->jobs = kv_xcalloc((size_t)d->batch, sizeof(*b->jobs));
    /* Every open system gets a fair share first, then the rest fills up. */
    share = d->batch / b->n_sys;
    if (share < d->parallel)
        share = d->parallel;
    for (i = 0; i < b->n_sys && b->n < d->batch && bytes_left > 0 && rc == 0; i++)
        rc = load_rows(d, now, b->sys, i, b->sys[i].probe ? 1 : share, pending, b->jobs,
                       &b->n, d->batch, &bytes_left, err);
    for (i = 0; i < b->n_sys && b->n < d->batch && bytes_left > 0 && rc == 0; i++)
        if (!b->sys[i].probe && b->sys[i].more)
            rc = load_rows(d, now, b->sys, i, d->batch - b->n, pending, b->jobs, &b->n,
                           d->batch, &bytes_left, err);
    if (rc == 0 && b->n > 0) {
        *out = b;
        b = NULL;
    }
out:
    batch_free(b);
    return rc;
}

/* Waits for the committer of b, adds its counts, frees it; returns its outcome. */
static int join_commit(struct drain *d, pthread_t th, struct batch *b, struct kv_err *err)
{
    int rc;

    pthread_join(th, NULL);
    rc = b->rc;
    if (rc < 0) {
        if (err)
            *err = b->err;
    } else {
        d->stats.delivered += b->delivered;
        d->stats.failed += b->failed;
        d->stats.batches++;
    }
    batch_free(b);
    return rc;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The commit connection and the curl multi handle, set up once a drain has letters. */
static int drain_setup(struct drain *d, struct kv_err *err)
{
    int rc = kv_db_acquire(d->st, &d->cdb, err);

    if (rc < 0)
        return rc;
    d->multi = curl_multi_init();
    d->hdrs = curl_slist_append(NULL, "Expect:");
    if (!d->multi || !d->hdrs)
        return kv_err_set(err, KV_ENOMEM, "cannot set up libcurl");
    curl_multi_setopt(d->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)d->parallel);
    curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)d->parallel * 4);
    return 0;
}

/* The drain loop. While batch k is committed on a second connection by a committer thread,
 * batch k+1 is loaded (leaving out k's rows, which stay QUEUED until that commit ends) and
 * pushed; then k's commit is awaited and k+1's starts. A failed commit ends the drain: its
 * letters stay QUEUED and are pushed again later (at least once). */
static int drain_loop(struct drain *d, int64_t budget, struct kv_err *err)
{
    struct batch *pending = NULL, *b;
    pthread_t th;
    int64_t start = mono_ms();
    int rc = 0, rc2, i;

    for (;;) {
        rc = load_batch(d, pending, &b, err);
        if (rc < 0 || !b)
            break;
        if (!d->multi) /* the first batch of the drain: what pushing and committing need */
            rc = drain_setup(d, err);
        if (rc < 0) {
            batch_free(b);
            break;
        }
        perform(d, b->jobs, b->n, b->sys);
        for (i = 0; i < b->n; i++) {
            free(b->jobs[i].body); /* the commit needs only the outcome */
            b->jobs[i].body = NULL;
        }
        if (pending) {
            rc = join_commit(d, th, pending, err);
            pending = NULL;
            if (rc < 0) {
                batch_free(b);
                break;
            }
        }
        b->db = d->cdb;
        qsort(b->jobs, (size_t)b->n, sizeof(*b->jobs), job_by_qid); /* commit_tx's order */
        b->qids = kv_xmalloc((size_t)b->n * sizeof(int64_t));
        for (i = 0; i < b->n; i++)
            b->qids[i] = b->jobs[i].qid;
        qsort(b->qids, (size_t)b->n, sizeof(int64_t), cmp_i64);
        if (pthread_create(&th, NULL, commit_main, b) != 0) {
            commit_batch(b); /* no thread: commit here */
            rc = b->rc;
            if (rc < 0 && err)
                *err = b->err;
            if (rc == 0) {
                d->stats.delivered += b->delivered;
                d->stats.failed += b->failed;
                d->stats.batches++;
            }
            batch_free(b);
            if (rc < 0)
                break;
        } else {
            pending = b;
        }
        if (mono_ms() - start >= budget)
            break;
    }
    if (pending) {
        rc2 = join_commit(d, th, pending, rc < 0 ? NULL : err);
        if (rc == 0)
            rc = rc2;
    }
    return rc;
}

int kv_recipient_push_drain(struct kv_store *st, const struct kv_recipient_push_opts *opts,
                            struct kv_recipient_push_stats *out, struct kv_err *err)
{
    struct drain d;
    int64_t budget;
    int rc;

    if (out)
        memset(out, 0, sizeof(*out));
    if (kv_outbound_init(err) < 0)
        return KV_EINTERNAL;
    memset(&d, 0, sizeof(d));
    d.st = st;
    d.total_ms = opts && opts->total_timeout_ms > 0 ? opts->total_timeout_ms : DEFAULT_TOTAL_MS;
    d.connect_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
                                                         : KV_RECIPIENT_PUSH_CONNECT_MS;
    if (d.connect_ms > d.total_ms)
        d.connect_ms = d.total_ms;
    d.parallel = opts && opts->parallel > 0 ? opts->parallel : DEFAULT_PARALLEL;
    if (d.parallel > MAX_PARALLEL)
        d.parallel = MAX_PARALLEL;
    d.batch = opts && opts->batch > 0 && opts->batch < KV_RECIPIENT_PUSH_BATCH
                  ? opts->batch
                  : KV_RECIPIENT_PUSH_BATCH;
    budget = opts && opts->budget_ms > 0 ? opts->budget_ms : KV_RECIPIENT_PUSH_BUDGET_MS;

    rc = kv_db_acquire(st, &d.db, err);
    if (rc == 0)
        rc = drain_loop(&d, budget, err);
    if (out)
        *out = d.stats;
    curl_slist_free_all(d.hdrs);
    if (d.multi)
        curl_multi_cleanup(d.multi);
    free(d.marks);
    kv_db_release(d.cdb);
    kv_db_release(d.db);
    return rc;
}

int kv_recipient_push_hook(void *hub_arg)
{
    struct kv_hub *hub = hub_arg;
    struct kv_recipient_push_opts o;
    struct kv_recipient_push_stats stats;
    struct kv_err err = {0};
    int rc;

    memset(&o, 0, sizeof(o));
    if (hub->conf) {
        o.total_timeout_ms = hub->conf->recipient_push_timeout;
        o.parallel = (int)hub->conf->recipient_push_parallel;
    }
    rc = kv_recipient_push_drain(hub->store, &o, &stats, &err);
    if (rc < 0)
        kv_log(KV_LOG_ERROR, "recipient push: %s", err.msg);
    if (stats.delivered || stats.failed)
        kv_log(KV_LOG_INFO, "recipient push: %lld delivered, %lld failed in %lld batch%s",
               (long long)stats.delivered, (long long)stats.failed, (long long)stats.batches,
               stats.batches == 1 ? "" : "es");
    return rc;
}

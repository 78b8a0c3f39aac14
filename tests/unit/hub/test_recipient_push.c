/* SPDX-License-Identifier: MIT
 *
 * test_recipient_push.c: the REST pusher against a real store and a real HTTP receiver
 * (libmicrohttpd on 127.0.0.1 in this process): the resend schedule and the system backoff
 * steps; a drain delivers every due letter as multipart part `file` named by the messageUUID
 * with the exact bytes, marks the rows DELIVERED and logs one event each; a failing receiver
 * gets attempts + 1, next_ms, last_error and a FAILED event, and then only one probe letter
 * once the backoff has passed (the clock is moved with kv_clock_advance_ms); value-dated,
 * recalled, pull-system and deactivated letters are left alone.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"
#include <microhttpd.h>

#include "hub/directory.h"
#include "hub/recipient_push.h"
#include "hub/recipient_queue.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define AUTH "55133018"
#define SENDER "12345674"
#define MAX_SEEN 64
#define BODY_MAX 65536

/* The receiver: answers `status` and records what it got. */
struct rx {
    pthread_mutex_t mu;           /* guards the fields below */
    unsigned status;              /* answer status */
    int n;                        /* requests seen */
    char names[MAX_SEEN][40];     /* file name of each request's part `file` */
    char *bodies[MAX_SEEN];       /* owned: whole request body of each */
    size_t lens[MAX_SEEN];        /* their lengths */
    struct MHD_Daemon *d;         /* daemon */
    char url[64];                 /* http://127.0.0.1:PORT/in */
};

/* One request's body. */
struct req {
    char *buf;  /* owned */
    size_t len; /* bytes */
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct rx *rx = cls;
    struct req *r = *con_cls;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    const char *fn;
    unsigned status;

    (void)url;
    (void)method;
    (void)version;
    if (!r) {
        *con_cls = kv_xcalloc(1, sizeof(struct req));
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->len + *upload_size <= BODY_MAX) {
            r->buf = kv_xrealloc(r->buf, r->len + *upload_size + 1);
            memcpy(r->buf + r->len, upload_data, *upload_size);
            r->len += *upload_size;
            r->buf[r->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&rx->mu);
    status = rx->status;
    if (rx->n < MAX_SEEN) {
        rx->names[rx->n][0] = '\0';
        fn = r->buf ? strstr(r->buf, "name=\"file\"; filename=\"") : NULL;
        if (fn) {
            const char *q;
            fn += strlen("name=\"file\"; filename=\"");
            q = strchr(fn, '"');
            if (q && (size_t)(q - fn) < sizeof(rx->names[0]))
                snprintf(rx->names[rx->n], sizeof(rx->names[0]), "%.*s", (int)(q - fn), fn);
        }
        rx->bodies[rx->n] = r->buf;
        rx->lens[rx->n] = r->len;
        r->buf = NULL;
        rx->n++;
    }
    pthread_mutex_unlock(&rx->mu);
    resp = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct req *r = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (r)
        free(r->buf);
    free(r);
    *con_cls = NULL;
}

static int rx_count(struct rx *rx)
{
    int n;

    pthread_mutex_lock(&rx->mu);
    n = rx->n;
    pthread_mutex_unlock(&rx->mu);
    return n;
}

static void rx_status(struct rx *rx, unsigned status)
{
    pthread_mutex_lock(&rx->mu);
    rx->status = status;
    pthread_mutex_unlock(&rx->mu);
}

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    struct rx rx;
    char sender[37];
    char push[37]; /* default push system of AUTH -> rx */
};

static void add_system(struct fx *f, const char *org, const char *kind, const char *protocol,
                       int dflt, char id[37])
{
    struct kv_system s;
    struct kv_err err = {0};
    char *tok = NULL;

    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", org);
    snprintf(s.kind, sizeof(s.kind), "%s", kind);
    snprintf(s.name, sizeof(s.name), "%s %s", kind, org);
    if (protocol) {
        assert_int_equal(kv_protocol_parse(protocol, &s.protocol), 0);
        snprintf(s.push_url, sizeof(s.push_url), "%s", f->rx.url);
    }
    s.is_default = dflt;
    assert_int_equal(kv_system_add(f->db, &s, &tok, &err), 0);
    free(tok);
    snprintf(id, 37, "%s", s.id);
}

static int setup(void **state)
{
    struct fx *f = kv_xcalloc(1, sizeof(*f));
    struct kv_err err = {0};
    struct sockaddr_in a;
    const union MHD_DaemonInfo *info;

    pthread_mutex_init(&f->rx.mu, NULL);
    f->rx.status = 200;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->rx.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                               NULL, on_request, &f->rx, MHD_OPTION_NOTIFY_COMPLETED, on_done,
                               NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
                               MHD_OPTION_END);
    info = f->rx.d ? MHD_get_daemon_info(f->rx.d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info)
        return -1;
    snprintf(f->rx.url, sizeof(f->rx.url), "http://127.0.0.1:%u/in", (unsigned)info->port);
    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-push-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    if (kv_org_add(f->db, AUTH, "Kommunen", &err) != 0 ||
        kv_org_add(f->db, SENDER, "Styrelsen", &err) != 0)
        return -1;
    add_system(f, SENDER, "sender", NULL, 0, f->sender);
    add_system(f, AUTH, "recipient", "push", 1, f->push);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int i;

    MHD_stop_daemon(f->rx.d);
    for (i = 0; i < f->rx.n; i++)
        free(f->rx.bodies[i]);
    pthread_mutex_destroy(&f->rx.mu);
    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

/* A letter to AUTH with body "<memo>UUID</memo>", available at available_ms, in state
 * `state`, routed to system `to` (NULL: the default); returns the uuid in out. */
static void letter(struct fx *f, int i, int64_t available_ms, const char *state, const char *to,
                   char out[37])
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    char body[64];
    int64_t id;

    snprintf(out, 37, "00000000-0000-4000-8000-%012d", i);
    snprintf(body, sizeof(body), "<memo>%s</memo>", out);
    assert_int_equal(
        kv_db_prepare(f->db,
                      "INSERT INTO letters (message_uuid, transmission_id, sender_system, "
                      "sender_cvr, recipient_type, recipient_id, label, message_type, "
                      "memo_version, body_sha256, body, size, state, receipt_status, "
                      "available_ms, created_ms) VALUES (?, ?, ?, ?, 'CVR', ?, 'Brev', "
                      "'DIGITALPOST', '1.2', 'x', ?, ?, ?, 'RECEIVED', ?, 1) RETURNING id",
                      &s, &err),
        0);
    kv_stmt_bind_text(s, 1, out, -1);
    kv_stmt_bind_text(s, 2, out, -1);
    kv_stmt_bind_text(s, 3, f->sender, -1);
    kv_stmt_bind_text(s, 4, SENDER, -1);
    kv_stmt_bind_text(s, 5, AUTH, -1);
    kv_stmt_bind_blob(s, 6, body, strlen(body));
    kv_stmt_bind_int64(s, 7, (int64_t)strlen(body));
    kv_stmt_bind_text(s, 8, state, -1);
    kv_stmt_bind_int64(s, 9, available_ms);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    assert_int_equal(kv_recipient_route(f->db, id, AUTH, NULL, &err), 0);
    if (to) {
        assert_int_equal(kv_db_prepare(f->db,
                                       "UPDATE recipient_queue SET system_id = ? "
                                       "WHERE letter_id = ?",
                                       &s, &err),
                         0);
        kv_stmt_bind_text(s, 1, to, -1);
        kv_stmt_bind_int64(s, 2, id);
        assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
        kv_stmt_done(s);
    }
}

/* state, attempts, next_ms (0 = NULL) and last_error of uuid's row. */
static void row(struct fx *f, const char *uuid, char state[16], int64_t *attempts,
                int64_t *next_ms, char err_out[256])
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};

    assert_int_equal(kv_db_prepare(f->db,
                                   "SELECT q.state, q.attempts, COALESCE(q.next_ms, 0), "
                                   "COALESCE(q.last_error, '') FROM recipient_queue q JOIN "
                                   "letters l ON l.id = q.letter_id WHERE l.message_uuid = ?",
                                   &s, &err),
                     0);
    kv_stmt_bind_text(s, 1, uuid, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    snprintf(state, 16, "%s", kv_stmt_col_text(s, 0));
    *attempts = kv_stmt_col_int64(s, 1);
    *next_ms = kv_stmt_col_int64(s, 2);
    snprintf(err_out, 256, "%s", kv_stmt_col_text(s, 3));
    kv_stmt_done(s);
}

static int64_t count_events(struct fx *f, const char *tag)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    int64_t n;

    assert_int_equal(kv_db_prepare(f->db, "SELECT COUNT(*) FROM events WHERE tag = ?", &s, &err),
                     0);
    kv_stmt_bind_text(s, 1, tag, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return n;
}

static struct kv_recipient_push_stats drain(struct fx *f, int parallel)
{
    struct kv_recipient_push_opts o;
    struct kv_recipient_push_stats st;
    struct kv_err err = {0};

    memset(&o, 0, sizeof(o));
    o.total_timeout_ms = 5000;
    o.parallel = parallel;
    assert_int_equal(kv_recipient_push_drain(f->st, &o, &st, &err), 0);
    return st;
}

static void test_schedule(void **state)
{
    (void)state;
    assert_int_equal(kv_recipient_push_delay_ms(1), 60000);
    assert_int_equal(kv_recipient_push_delay_ms(2), 300000);
    assert_int_equal(kv_recipient_push_delay_ms(3), 900000);
    assert_int_equal(kv_recipient_push_delay_ms(4), 3600000);
    assert_int_equal(kv_recipient_push_delay_ms(100), 3600000);
    assert_int_equal(kv_recipient_push_delay_ms(0), 60000);
    /* System probes at +1, +6, +21, +81 min after the first failure, then hourly. */
    assert_int_equal(kv_recipient_push_system_delay_ms(0), 60000);
    assert_int_equal(kv_recipient_push_system_delay_ms(59999), 60000);
    assert_int_equal(kv_recipient_push_system_delay_ms(60000), 300000);
    assert_int_equal(kv_recipient_push_system_delay_ms(360000), 900000);
    assert_int_equal(kv_recipient_push_system_delay_ms(1260000), 3600000);
    assert_int_equal(kv_recipient_push_system_delay_ms(10 * 3600000LL), 3600000);
}

static void test_delivers_and_skips(void **state)
{
    struct fx *f = *state;
    struct kv_recipient_push_stats st;
    char u[8][37], pull[37], off[37], rowstate[16], rowerr[256];
    int64_t now = kv_clock_now_ms(), attempts, next;
    int i, k;

    add_system(f, AUTH, "recipient", "pull", 0, pull);
    add_system(f, AUTH, "recipient", "push", 0, off);
    {
        struct kv_err err = {0};
        assert_int_equal(kv_system_set_status(f->db, off, "deactivated", &err), 0);
    }
    for (i = 0; i < 3; i++)
        letter(f, i + 1, now - 1000, "AVAILABLE", NULL, u[i]);
    letter(f, 4, now + 3600000, "AWAITING_DELAY", NULL, u[3]); /* value date ahead */
    letter(f, 5, now + 3600000, "RECALLED", NULL, u[4]);
    letter(f, 6, now - 1000, "AVAILABLE", pull, u[5]);
    letter(f, 7, now - 1000, "AVAILABLE", off, u[6]);

    st = drain(f, 4);
    assert_int_equal(st.delivered, 3);
    assert_int_equal(st.failed, 0);
    assert_int_equal(rx_count(&f->rx), 3);
    for (i = 0; i < 3; i++) {
        char want[128];
        int found = 0;
        snprintf(want, sizeof(want), "<memo>%.36s</memo>", u[i]);
        for (k = 0; k < 3; k++)
            if (strcmp(f->rx.names[k], u[i]) == 0) {
                found = 1;
                assert_non_null(strstr(f->rx.bodies[k], "Content-Type: application/xml"));
                assert_non_null(strstr(f->rx.bodies[k], want));
            }
        assert_true(found);
        row(f, u[i], rowstate, &attempts, &next, rowerr);
        assert_string_equal(rowstate, "DELIVERED");
        assert_int_equal(attempts, 1);
        assert_int_equal(next, 0);
    }
    assert_int_equal(count_events(f, "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM"), 3);
    for (i = 3; i < 7; i++) {
        row(f, u[i], rowstate, &attempts, &next, rowerr);
        assert_string_equal(rowstate, "QUEUED");
        assert_int_equal(attempts, 0);
    }
    /* Nothing more is due: a second drain sends nothing. */
    st = drain(f, 4);
    assert_int_equal(st.delivered + st.failed, 0);
    assert_int_equal(rx_count(&f->rx), 3);
}

static void test_failure_backoff_and_probe(void **state)
{
    struct fx *f = *state;
    struct kv_recipient_push_stats st;
    char u[4][37], rowstate[16], rowerr[256];
    int64_t t0 = kv_clock_now_ms(), t1, attempts, next;
    int i;

    for (i = 0; i < 4; i++)
        letter(f, 100 + i, t0 - 1000, "AVAILABLE", NULL, u[i]);
    rx_status(&f->rx, 503);
    st = drain(f, 1);
    t1 = kv_clock_now_ms();
    /* One failure stops the system for this drain: only the first letter was tried. */
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.delivered, 0);
    assert_int_equal(rx_count(&f->rx), 1);
    row(f, u[0], rowstate, &attempts, &next, rowerr);
    assert_string_equal(rowstate, "QUEUED");
    assert_int_equal(attempts, 1);
    assert_true(next >= t0 + 60000 && next <= t1 + 60000);
    assert_non_null(strstr(rowerr, "HTTP status 503"));
    assert_int_equal(count_events(f, "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM_FAILED"), 1);
    /* Backing off: nothing goes until the minute has passed, then one probe at a time. */
    st = drain(f, 1);
    assert_int_equal(st.delivered + st.failed, 0);
    kv_clock_advance_ms(61000);
    st = drain(f, 16);
    assert_int_equal(st.failed, 1);
    assert_int_equal(rx_count(&f->rx), 2);
    /* The probe is the letter due longest: u[1] (due since it was queued), not u[0] (due
     * since its retry time). */
    row(f, u[0], rowstate, &attempts, &next, rowerr);
    assert_int_equal(attempts, 1);
    row(f, u[1], rowstate, &attempts, &next, rowerr);
    assert_int_equal(attempts, 1);
    assert_non_null(strstr(rowerr, "503"));
    /* The receiver recovers: after the next step (5 min) the probe succeeds and the whole
     * backlog follows in the same drain. */
    rx_status(&f->rx, 204);
    kv_clock_advance_ms(4 * 60000);
    st = drain(f, 16);
    assert_int_equal(st.delivered + st.failed, 0);
    kv_clock_advance_ms(61000);
    st = drain(f, 16);
    assert_int_equal(st.delivered, 4);
    assert_int_equal(st.failed, 0);
    for (i = 0; i < 4; i++) {
        row(f, u[i], rowstate, &attempts, &next, rowerr);
        assert_string_equal(rowstate, "DELIVERED");
    }
    assert_int_equal(rx_count(&f->rx), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule),
        cmocka_unit_test_setup_teardown(test_delivers_and_skips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_backoff_and_probe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

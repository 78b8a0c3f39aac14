/* SPDX-License-Identifier: MIT
 *
 * test_notify_outbox.c: the notices of new post (src/notify, docs/notifications.md) against a
 * real store (SQLite, or PostgreSQL under KUVERT_TEST_PG) and an SMS/push gateway played by
 * libmicrohttpd in this process, which records every request body:
 *   - a letter's fan-out: one NEW row per confirmed channel, however often it is queued; none
 *     for an access that opted out;
 *   - the gateway request JSON: exactly the documented keys for SMS and push, the reference
 *     "kuvert:<ukey>", the sender's name and never the letter's title;
 *   - claims: two senders draining one outbox at the same moment POST every notice once; a row
 *     claimed by a sender that died is sent again only after its lease, with the same reference;
 *   - quiet hours over midnight in Copenhagen time, in winter, in summer and across both DST
 *     changes (the notice waits until the end of the quiet hours in local time);
 *   - the reminder rule: legal notification after its delay, others after theirs, none for a
 *     read letter, never two.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "notify/outbox.h"
#include "notify/sender.h"
#include "store/store.h"
#include "unit/hub/store_fixture.h"
#include "util/clock.h"

#define CPR0 1000000000LL
#define DAY (24LL * 3600 * 1000)
#define MAX_BODIES 4096

/* ---- the gateway ----------------------------------------------------------------------- */

static pthread_mutex_t gw_mu = PTHREAD_MUTEX_INITIALIZER;
static char *bodies[MAX_BODIES];
static int n_bodies;

struct upload {
    char buf[4096];
    size_t len;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
    struct upload *u = *con_cls;
    struct MHD_Response *resp;
    enum MHD_Result ret;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    if (!u) {
        *con_cls = calloc(1, sizeof(struct upload));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*size) {
        size_t k = *size < sizeof(u->buf) - 1 - u->len ? *size : sizeof(u->buf) - 1 - u->len;
        memcpy(u->buf + u->len, data, k);
        u->len += k;
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&gw_mu);
    if (n_bodies < MAX_BODIES)
        bodies[n_bodies++] = strndup(u->buf, u->len);
    pthread_mutex_unlock(&gw_mu);
    resp = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, 202, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void gw_reset(void)
{
    int i;

    pthread_mutex_lock(&gw_mu);
    for (i = 0; i < n_bodies; i++)
        free(bodies[i]);
    n_bodies = 0;
    pthread_mutex_unlock(&gw_mu);
}

/* ---- the fixture ------------------------------------------------------------------------ */

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    struct MHD_Daemon *mhd;
    char url[64];
    struct kv_notify_opts o;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct sockaddr_in addr;
    const union MHD_DaemonInfo *info;
    struct kv_err err = {0, ""};

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/kuvert-notify-XXXXXX");
    assert_int_equal(kv_test_store_new(f->dir, &f->st, &f->db, &err), 0);
    assert_int_equal(kv_db_exec(f->db, "INSERT INTO orgs (cvr, name, created_ms) VALUES "
                                       "('12345678', 'Kommunen', 0)",
                                &err),
                     0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY, 0, NULL,
                              NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
                              (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, on_done,
                              NULL, MHD_OPTION_END);
    assert_non_null(f->mhd);
    info = MHD_get_daemon_info(f->mhd, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u/gw", info->port);
    f->o.sms_url = f->url;
    f->o.push_url = f->url;
    f->o.public_url = "http://kuvert.test";
    f->o.timeout_ms = 10000;
    gw_reset();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    MHD_stop_daemon(f->mhd);
    gw_reset();
    kv_test_store_free(f->dir, f->st, f->db);
    free(f);
    return 0;
}

static void exec_ok(struct kv_db *db, const char *sql)
{
    struct kv_err err = {0, ""};

    if (kv_db_exec(db, sql, &err) != 0)
        fail_msg("%s: %s", sql, err.msg);
}

static int64_t scalar(struct kv_db *db, const char *sql)
{
    struct kv_err err = {0, ""};
    struct kv_stmt *s;
    int64_t v = -1;

    assert_int_equal(kv_db_prepare(db, sql, &s, &err), 0);
    if (kv_stmt_step(s, &err) == KV_ROW && !kv_stmt_col_is_null(s, 0))
        v = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return v;
}

/* Citizen i: a mailbox, its owner's settings (quiet hours qf..qt, -1 none) and one confirmed
 * channel of kind (SMS: number 2000000i; PUSH: token "tok-i" of device "dev-i"). Returns the
 * channel id. */
static int64_t citizen(struct kv_db *db, int i, const char *kind, int qf, int qt)
{
    char sql[512];

    snprintf(sql, sizeof(sql),
             "INSERT INTO mailboxes (id, owner_type, owner_id, status, created_ms) VALUES "
             "(%d, 'CPR', '%010lld', 'REGISTERED', 0)",
             i, CPR0 + i);
    exec_ok(db, sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO notify_settings (id, mailbox_id, holder, quiet_from, quiet_to, "
             "updated_ms) VALUES (%d, %d, 'CPR:%010lld', %d, %d, 0)",
             i, i, CPR0 + i, qf, qt);
    if (qf < 0)
        snprintf(sql, sizeof(sql),
                 "INSERT INTO notify_settings (id, mailbox_id, holder, updated_ms) VALUES "
                 "(%d, %d, 'CPR:%010lld', 0)",
                 i, i, CPR0 + i);
    exec_ok(db, sql);
    if (strcmp(kind, "SMS") == 0)
        snprintf(sql, sizeof(sql),
                 "INSERT INTO notify_channels (id, settings_id, kind, address, confirmed_ms, "
                 "created_ms) VALUES (%d, %d, 'SMS', '%08d', 0, 0)",
                 i, i, 20000000 + i);
    else
        snprintf(sql, sizeof(sql),
                 "INSERT INTO notify_channels (id, settings_id, kind, address, device_id, "
                 "device_name, provider, confirmed_ms, created_ms) VALUES (%d, %d, 'PUSH', "
                 "'tok-%d', 'dev-%d', 'Telefon', 'FCM', 0, 0)",
                 i, i, i, i);
    exec_ok(db, sql);
    return i;
}

/* A letter AVAILABLE in mailbox m, titled "Hemmelig titel", from "Kommunen". */
static int64_t letter(struct kv_db *db, int64_t id, int64_t m, int legal)
{
    char sql[900];

    snprintf(sql, sizeof(sql),
             "INSERT INTO letters (id, message_uuid, transmission_id, sender_system, sender_cvr,"
             " sender_label, recipient_type, recipient_id, mailbox_id, label, message_type,"
             " memo_version, body_sha256, body, size, state, receipt_status, available_ms,"
             " created_ms, legal_notification) VALUES (%lld, '00000000-0000-4000-8000-%012lld',"
             " 't%lld', 'bench', '12345678', 'Kommunen', 'CPR', '%010lld', %lld,"
             " 'Hemmelig titel', 'DIGITALPOST', '1.2', 'x', 'x', 1, 'AVAILABLE', 'RECEIVED',"
             " 0, 0, %d)",
             (long long)id, (long long)id, (long long)id, CPR0 + m, (long long)m, legal);
    exec_ok(db, sql);
    return id;
}

static int64_t utc_ms(int y, int mo, int d, int h, int mi)
{
    struct tm t;

    memset(&t, 0, sizeof(t));
    t.tm_year = y - 1900;
    t.tm_mon = mo - 1;
    t.tm_mday = d;
    t.tm_hour = h;
    t.tm_min = mi;
    return (int64_t)timegm(&t) * 1000;
}

static void visible(struct kv_db *db, int64_t l, int64_t m, int64_t now, int want)
{
    struct kv_err err = {0, ""};
    int n = -1;

    assert_int_equal(kv_db_begin(db, &err), 0);
    assert_int_equal(kv_notify_letter_visible(db, l, m, now, &n, &err), 0);
    assert_int_equal(kv_db_commit(db, &err), 0);
    assert_int_equal(n, want);
}

static void drain(struct fx *f, int64_t now)
{
    struct kv_err err = {0, ""};
    int done = 0, rc, rounds = 0;

    do {
        rc = kv_notify_send_due(f->st, &f->o, now, &done, &err);
        assert_true(rc >= 0);
    } while (rc == 1 && ++rounds < 100);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_fanout_once_per_channel(void **state)
{
    struct fx *f = *state;

    citizen(f->db, 1, "SMS", -1, -1);
    letter(f->db, 10, 1, 0);
    visible(f->db, 10, 1, 1000, 1);
    visible(f->db, 10, 1, 2000, 0); /* again: nothing (its unique key) */
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_outbox WHERE ukey = 'NEW:10:1'"),
                     1);
    /* an access that opted out gets none */
    citizen(f->db, 2, "SMS", -1, -1);
    exec_ok(f->db, "UPDATE notify_settings SET opted_out_ms = 5 WHERE id = 2");
    letter(f->db, 20, 2, 0);
    visible(f->db, 20, 2, 1000, 0);
    /* an unconfirmed channel neither */
    citizen(f->db, 3, "SMS", -1, -1);
    exec_ok(f->db, "UPDATE notify_channels SET confirmed_ms = NULL WHERE id = 3");
    letter(f->db, 30, 3, 0);
    visible(f->db, 30, 3, 1000, 0);
}

static void test_gateway_request_json(void **state)
{
    struct fx *f = *state;
    json_t *sms = NULL, *push = NULL, *o;
    const char *key;
    json_t *v;
    int i;

    citizen(f->db, 1, "SMS", -1, -1);
    citizen(f->db, 2, "PUSH", -1, -1);
    letter(f->db, 10, 1, 0);
    letter(f->db, 20, 2, 0);
    visible(f->db, 10, 1, 1000, 1);
    visible(f->db, 20, 2, 1000, 1);
    drain(f, 2000);
    assert_int_equal(n_bodies, 2);
    for (i = 0; i < 2; i++) {
        o = json_loads(bodies[i], 0, NULL);
        assert_non_null(o);
        if (json_object_get(o, "to"))
            sms = o;
        else
            push = o;
    }
    assert_non_null(sms);
    assert_non_null(push);
    /* SMS: exactly to, text, reference, kind */
    assert_int_equal(json_object_size(sms), 4);
    assert_string_equal(json_string_value(json_object_get(sms, "to")), "20000001");
    assert_true(kv_notify_mobile_ok(json_string_value(json_object_get(sms, "to"))));
    assert_string_equal(json_string_value(json_object_get(sms, "reference")), "kuvert:NEW:10:1");
    assert_string_equal(json_string_value(json_object_get(sms, "kind")), "NEW");
    assert_non_null(strstr(json_string_value(json_object_get(sms, "text")), "Kommunen"));
    assert_null(strstr(json_string_value(json_object_get(sms, "text")), "Hemmelig"));
    assert_true(strlen(json_string_value(json_object_get(sms, "text"))) <= KV_NOTIFY_SMS_MAX);
    /* push: exactly provider, deviceId, deviceToken, title, body, reference, kind */
    assert_int_equal(json_object_size(push), 7);
    json_object_foreach(push, key, v) assert_true(json_is_string(v));
    assert_string_equal(json_string_value(json_object_get(push, "provider")), "FCM");
    assert_string_equal(json_string_value(json_object_get(push, "deviceId")), "dev-2");
    assert_string_equal(json_string_value(json_object_get(push, "deviceToken")), "tok-2");
    assert_string_equal(json_string_value(json_object_get(push, "title")), "Digital Post");
    assert_string_equal(json_string_value(json_object_get(push, "reference")), "kuvert:NEW:20:2");
    assert_non_null(strstr(json_string_value(json_object_get(push, "body")), "Kommunen"));
    assert_null(strstr(json_string_value(json_object_get(push, "body")), "Hemmelig"));
    json_decref(sms);
    json_decref(push);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_outbox WHERE state = 'SENT'"), 2);
}

struct racer {
    struct fx *f;
    int64_t now;
    pthread_barrier_t *go;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct kv_err err = {0, ""};
    int done, rounds = 0, rc;

    pthread_barrier_wait(r->go);
    do
        rc = kv_notify_send_due(r->f->st, &r->f->o, r->now, &done, &err);
    while (rc == 1 && ++rounds < 100);
    return NULL;
}

static void test_two_senders_post_each_notice_once(void **state)
{
    struct fx *f = *state;
    enum { N = 300 };
    pthread_t th[2];
    pthread_barrier_t go;
    struct racer r = {f, 5000, &go};
    char ref[64];
    int i, j, dup = 0;

    for (i = 1; i <= N; i++) {
        citizen(f->db, i, i % 2 ? "SMS" : "PUSH", -1, -1);
        letter(f->db, 1000 + i, i, 0);
        visible(f->db, 1000 + i, i, 1000, 1);
    }
    pthread_barrier_init(&go, NULL, 2);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race, &r), 0);
    for (i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    assert_int_equal(n_bodies, N);
    for (i = 0; i < n_bodies; i++) {
        json_t *o = json_loads(bodies[i], 0, NULL);
        snprintf(ref, sizeof(ref), "%s", json_string_value(json_object_get(o, "reference")));
        json_decref(o);
        for (j = 0; j < i; j++)
            dup += strstr(bodies[j], ref) != NULL;
    }
    assert_int_equal(dup, 0);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_outbox WHERE state = 'SENT'"), N);
}

static void test_claimed_row_waits_for_its_lease(void **state)
{
    struct fx *f = *state;
    int64_t lease_end = 5000 + KV_NOTIFY_LEASE_MS;
    char sql[160];

    citizen(f->db, 1, "SMS", -1, -1);
    letter(f->db, 10, 1, 0);
    visible(f->db, 10, 1, 1000, 1);
    /* a sender claimed it at 5000 and died before recording the outcome */
    snprintf(sql, sizeof(sql),
             "UPDATE notify_outbox SET state = 'SENDING', attempts = 0, next_ms = %lld",
             (long long)lease_end);
    exec_ok(f->db, sql);
    drain(f, lease_end - 1);
    assert_int_equal(n_bodies, 0);
    drain(f, lease_end);
    assert_int_equal(n_bodies, 1);
    assert_non_null(strstr(bodies[0], "\"kuvert:NEW:10:1\""));
    drain(f, lease_end + DAY);
    assert_int_equal(n_bodies, 1);
}

/* next_ms of letter l's notice while it waits (PENDING); -1 when it does not. */
static int64_t deferred_to(struct kv_db *db, int64_t l)
{
    struct kv_err err = {0, ""};
    struct kv_stmt *s;
    int64_t v = -1;

    assert_int_equal(kv_db_prepare(db, "SELECT next_ms FROM notify_outbox WHERE letter_id = ?"
                                       " AND state = 'PENDING'",
                                   &s, &err),
                     0);
    kv_stmt_bind_int64(s, 1, l);
    if (kv_stmt_step(s, &err) == KV_ROW)
        v = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return v;
}

/* The notice queued at now (UTC) with quiet hours qf..qt (Copenhagen minutes) is posted at
 * once (want_ms 0) or deferred to want_ms. */
static void quiet_case(struct fx *f, int i, int qf, int qt, int64_t now, int64_t want_ms)
{
    gw_reset();
    citizen(f->db, i, "SMS", qf, qt);
    letter(f->db, 100 + i, i, 0);
    visible(f->db, 100 + i, i, now, 1);
    drain(f, now);
    if (want_ms == 0) {
        assert_int_equal(n_bodies, 1);
        return;
    }
    assert_int_equal(n_bodies, 0);
    assert_int_equal(deferred_to(f->db, 100 + i), want_ms);
    drain(f, want_ms - 60000); /* still quiet a minute before */
    assert_int_equal(n_bodies, 0);
    drain(f, want_ms);
    assert_int_equal(n_bodies, 1);
}

static void test_quiet_hours_copenhagen_time(void **state)
{
    struct fx *f = *state;
    const int from = 22 * 60, to = 7 * 60; /* 22:00-07:00, over midnight */

    /* winter (CET, UTC+1): 23:30 local waits until 07:00 local = 06:00 UTC */
    quiet_case(f, 1, from, to, utc_ms(2026, 1, 15, 22, 30), utc_ms(2026, 1, 16, 6, 0));
    /* after midnight: 02:00 local, the same morning */
    quiet_case(f, 2, from, to, utc_ms(2026, 1, 16, 1, 0), utc_ms(2026, 1, 16, 6, 0));
    /* summer (CEST, UTC+2): 23:30 local -> 07:00 local = 05:00 UTC */
    quiet_case(f, 3, from, to, utc_ms(2026, 6, 10, 21, 30), utc_ms(2026, 6, 11, 5, 0));
    /* the night clocks go forward (29 March 2026, 02:00 -> 03:00): 23:30 CET -> 07:00 CEST */
    quiet_case(f, 4, from, to, utc_ms(2026, 3, 28, 22, 30), utc_ms(2026, 3, 29, 5, 0));
    /* the night clocks go back (25 October 2026, 03:00 -> 02:00): 23:30 CEST -> 07:00 CET */
    quiet_case(f, 5, from, to, utc_ms(2026, 10, 24, 21, 30), utc_ms(2026, 10, 25, 6, 0));
    /* outside the quiet hours: at once (12:00 local) */
    quiet_case(f, 6, from, to, utc_ms(2026, 1, 15, 11, 0), 0);
    /* 07:00 local is the end: sent */
    quiet_case(f, 7, from, to, utc_ms(2026, 1, 16, 6, 0), 0);
    /* quiet hours within one day (09:00-17:00): 10:00 local waits until 17:00 local */
    quiet_case(f, 8, 9 * 60, 17 * 60, utc_ms(2026, 1, 15, 9, 0), utc_ms(2026, 1, 15, 16, 0));
}

static int reminders(struct kv_db *db, int64_t now, int64_t after, int64_t legal)
{
    struct kv_err err = {0, ""};
    int n = -1;

    assert_int_equal(kv_notify_queue_reminders(db, now, after, legal, 200, &n, &err), 0);
    return n;
}

static void test_reminder_rule(void **state)
{
    struct fx *f = *state;
    const int64_t t0 = 10 * DAY, after = 7 * DAY, legal = DAY;

    citizen(f->db, 1, "SMS", -1, -1);
    letter(f->db, 10, 1, 1); /* legal notification */
    letter(f->db, 11, 1, 0); /* ordinary */
    letter(f->db, 12, 1, 0); /* ordinary, read before its reminder */
    visible(f->db, 10, 1, t0, 1);
    visible(f->db, 11, 1, t0, 1);
    visible(f->db, 12, 1, t0, 1);
    assert_int_equal(reminders(f->db, t0 + legal - 1, after, legal), 0);
    assert_int_equal(reminders(f->db, t0 + legal, after, legal), 1);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_outbox WHERE ukey = "
                                   "'REMINDER:10:1' AND kind = 'REMINDER'"),
                     1);
    exec_ok(f->db, "UPDATE letters SET read_ms = 1 WHERE id = 12");
    assert_int_equal(reminders(f->db, t0 + after - 1, after, legal), 0);
    assert_int_equal(reminders(f->db, t0 + after, after, legal), 1); /* 11, not the read 12 */
    assert_int_equal(reminders(f->db, t0 + 30 * DAY, after, legal), 0); /* never a second */
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_outbox WHERE kind = 'REMINDER'"),
                     2);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_outbox WHERE ukey = "
                                   "'REMINDER:12:1'"),
                     0);
}

static void test_no_ordinary_reminders_when_off(void **state)
{
    struct fx *f = *state;

    citizen(f->db, 1, "SMS", -1, -1);
    letter(f->db, 10, 1, 0);
    letter(f->db, 11, 1, 1);
    visible(f->db, 10, 1, 0, 1);
    visible(f->db, 11, 1, 0, 1);
    assert_int_equal(reminders(f->db, 60 * DAY, 0, DAY), 1); /* the legal one only */
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_outbox WHERE ukey = "
                                   "'REMINDER:11:1'"),
                     1);
    assert_int_equal(reminders(f->db, 60 * DAY, 0, 0), 0); /* both off */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fanout_once_per_channel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_request_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_senders_post_each_notice_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claimed_row_waits_for_its_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quiet_hours_copenhagen_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reminder_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_ordinary_reminders_when_off, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

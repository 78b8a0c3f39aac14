/* SPDX-License-Identifier: MIT
 *
 * test_system_health.c: recipient systems' delivery health against a real temporary SQLite
 * store, with explicit times: push failures and successes, the warning mails after 1, 3 and
 * 6 days, deactivation at 7 days (event, mail), a success resetting the clock, a clock jump
 * queueing every missed warning, a system without contact e-mail, pull systems (failing
 * while letters wait unfetched; a fetch resets), reactivation making the backlog due, and the
 * mail outbox (address check, message format, retries against a closed SMTP port, FAILED
 * after the last attempt).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/directory.h"
#include "hub/mail.h"
#include "hub/recipient_queue.h"
#include "hub/system_health.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"

#define PUSH_ORG "55133018" /* default recipient system: f->push */
#define PULL_ORG "66554433" /* default recipient system: f->pull */
#define MUTE_ORG "77665544" /* default recipient system: f->mute */
#define SENDER_ORG "12345674"
#define DAY KV_HEALTH_DAY_MS
#define HOUR (3600 * 1000LL)

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    char sender[37]; /* sender system */
    char push[37];   /* push recipient system with contact e-mail */
    char pull[37];   /* pull recipient system with contact e-mail */
    char mute[37];   /* push recipient system without contact e-mail */
    int64_t t0;      /* base time of every test */
    int letters;     /* letters made so far (unique uuids) */
};

static void add_system(struct kv_db *db, const char *org, const char *kind, const char *proto,
                       const char *email, char id[37])
{
    struct kv_system s;
    struct kv_err err = {0};
    char *tok = NULL;

    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", org);
    snprintf(s.kind, sizeof(s.kind), "%s", kind);
    snprintf(s.name, sizeof(s.name), "Sagssystem æøå %s", proto ? proto : kind);
    if (proto) {
        assert_int_equal(kv_protocol_parse(proto, &s.protocol), 0);
        if (strcmp(proto, "push") == 0)
            snprintf(s.push_url, sizeof(s.push_url), "http://127.0.0.1:1/inbox");
    }
    if (email)
        snprintf(s.contact_email, sizeof(s.contact_email), "%s", email);
    s.is_default = proto != NULL;
    assert_int_equal(kv_system_add(db, &s, &tok, &err), 0);
    free(tok);
    snprintf(id, 37, "%s", s.id);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0};

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-health-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    if (kv_org_add(f->db, PUSH_ORG, "Kommunen", &err) != 0 ||
        kv_org_add(f->db, PULL_ORG, "Regionen", &err) != 0 ||
        kv_org_add(f->db, MUTE_ORG, "Styrelsen", &err) != 0 ||
        kv_org_add(f->db, SENDER_ORG, "Afsenderen", &err) != 0)
        return -1;
    add_system(f->db, SENDER_ORG, "sender", NULL, NULL, f->sender);
    add_system(f->db, PUSH_ORG, "recipient", "push", "drift@kommunen.dk", f->push);
    add_system(f->db, PULL_ORG, "recipient", "pull", "pull@kommunen.dk", f->pull);
    add_system(f->db, MUTE_ORG, "recipient", "push", NULL, f->mute);
    /* Explicit times in the future of every created_ms, so waiting letters count from them. */
    f->t0 = kv_clock_now_ms() + HOUR;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

static void exec(struct fx *f, const char *sql)
{
    struct kv_err err = {0};
    assert_int_equal(kv_db_exec(f->db, sql, &err), 0);
}

static int64_t count(struct fx *f, const char *sql, const char *param)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    int64_t n;

    assert_int_equal(kv_db_prepare(f->db, sql, &s, &err), 0);
    if (param)
        kv_stmt_bind_text(s, 1, param, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return n;
}

static int64_t mails(struct fx *f, const char *system_id, const char *kind)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    int64_t n;

    assert_int_equal(kv_db_prepare(f->db,
                                   "SELECT COUNT(*) FROM mail_outbox WHERE system_id = ? AND"
                                   " kind = ?",
                                   &s, &err),
                     0);
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_text(s, 2, kind, -1);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    n = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return n;
}

/* A letter to the organisation whose default recipient system is sys, available at
 * avail_ms, routed by kv_recipient_route (state QUEUED); its next attempt is set far away, as
 * after many failed pushes, so activation has to make it due. */
static void queue_letter(struct fx *f, const char *sys, int64_t avail_ms)
{
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    const char *org = strcmp(sys, f->push) == 0 ? PUSH_ORG
                      : strcmp(sys, f->pull) == 0 ? PULL_ORG
                                                   : MUTE_ORG;
    char uuid[37];
    int64_t id;

    assert_int_equal(kv_uuid_v4(uuid), 0);
    assert_int_equal(kv_db_begin(f->db, &err), 0);
    assert_int_equal(
        kv_db_prepare(f->db,
                      "INSERT INTO letters (message_uuid, transmission_id, sender_system, "
                      "sender_cvr, recipient_type, recipient_id, label, message_type, "
                      "memo_version, body_sha256, body, size, state, receipt_status, created_ms,"
                      " available_ms) VALUES (?, ?, ?, ?, 'CVR', ?, 'Brev', 'DIGITALPOST', '1.2',"
                      " 'x', ?, ?, 'AVAILABLE', 'RECEIVED', 1, ?) RETURNING id",
                      &s, &err),
        0);
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, "11111111-1111-4111-8111-111111111111", -1);
    kv_stmt_bind_text(s, 3, f->sender, -1);
    kv_stmt_bind_text(s, 4, SENDER_ORG, -1);
    kv_stmt_bind_text(s, 5, org, -1);
    kv_stmt_bind_blob(s, 6, uuid, strlen(uuid));
    kv_stmt_bind_int64(s, 7, (int64_t)strlen(uuid));
    kv_stmt_bind_int64(s, 8, avail_ms);
    assert_int_equal(kv_stmt_step(s, &err), KV_ROW);
    id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    assert_int_equal(kv_recipient_route(f->db, id, org, NULL, &err), 0);
    assert_int_equal(kv_db_prepare(f->db,
                                   "UPDATE recipient_queue SET next_ms = ? WHERE letter_id = ?",
                                   &s, &err),
                     0);
    kv_stmt_bind_int64(s, 1, avail_ms + 365 * DAY);
    kv_stmt_bind_int64(s, 2, id);
    assert_int_equal(kv_stmt_step(s, &err), KV_DONE);
    kv_stmt_done(s);
    assert_int_equal(kv_db_commit(f->db, &err), 0);
    f->letters++;
}

static void push_failed(struct fx *f, const char *sys, int64_t at)
{
    struct kv_err err = {0};

    assert_int_equal(kv_db_begin(f->db, &err), 0);
    assert_int_equal(kv_system_health_failure(f->db, sys, at, "HTTP status 503", &err), 0);
    assert_int_equal(kv_db_commit(f->db, &err), 0);
}

static void succeed(struct fx *f, const char *sys, int64_t at)
{
    struct kv_err err = {0};

    assert_int_equal(kv_db_begin(f->db, &err), 0);
    assert_int_equal(kv_system_health_success(f->db, sys, at, &err), 0);
    assert_int_equal(kv_db_commit(f->db, &err), 0);
}

static int check(struct fx *f, int64_t at)
{
    struct kv_err err = {0};
    int n = -1;

    assert_int_equal(kv_system_health_check(f->db, at, &n, &err), 0);
    return n;
}

static void health(struct fx *f, const char *sys, struct kv_system_health *h)
{
    struct kv_err err = {0};
    assert_int_equal(kv_system_health_get(f->db, sys, h, &err), 0);
}

/* Push: 1, 3, 6 days warn once each; 6 d 23 h still active; 7 d deactivates with the event
 * and the mail; nothing more after that. */
static void test_push_warnings_and_deactivation(void **state)
{
    struct fx *f = *state;
    struct kv_system_health h;
    int64_t t0 = f->t0;

    queue_letter(f, f->push, t0);
    push_failed(f, f->push, t0);
    push_failed(f, f->push, t0 + HOUR); /* the first failure of the period counts */
    health(f, f->push, &h);
    assert_string_equal(h.status, "active");
    assert_int_equal(h.failing_since_ms, t0);
    assert_int_equal(h.last_failure_ms, t0 + HOUR);
    assert_string_equal(h.last_error, "HTTP status 503");
    assert_int_equal(h.queue_length, 1);
    assert_int_equal(h.last_success_ms, 0);

    assert_int_equal(check(f, t0 + 23 * HOUR), 0);
    assert_int_equal(mails(f, f->push, "SYSTEM_WARNING"), 0);
    assert_int_equal(check(f, t0 + DAY), 0);
    assert_int_equal(mails(f, f->push, "SYSTEM_WARNING"), 1);
    assert_int_equal(check(f, t0 + DAY + HOUR), 0); /* not twice */
    assert_int_equal(mails(f, f->push, "SYSTEM_WARNING"), 1);
    assert_int_equal(check(f, t0 + 3 * DAY), 0);
    assert_int_equal(mails(f, f->push, "SYSTEM_WARNING"), 2);
    assert_int_equal(check(f, t0 + 6 * DAY + 23 * HOUR), 0);
    assert_int_equal(mails(f, f->push, "SYSTEM_WARNING"), 3);
    health(f, f->push, &h);
    assert_string_equal(h.status, "active");
    assert_int_equal(h.warnings_sent, 3);
    assert_int_equal(mails(f, f->push, "SYSTEM_DEACTIVATED"), 0);

    assert_int_equal(check(f, t0 + 7 * DAY), 1);
    health(f, f->push, &h);
    assert_string_equal(h.status, "deactivated");
    assert_int_equal(h.deactivated_ms, t0 + 7 * DAY);
    assert_int_equal(h.queue_length, 1); /* the letter stays queued */
    assert_int_equal(mails(f, f->push, "SYSTEM_DEACTIVATED"), 1);
    assert_int_equal(count(f,
                           "SELECT COUNT(*) FROM events WHERE tag = 'SYSTEM_DEACTIVATED' AND"
                           " system_id = ? AND props LIKE '%\"reason\":\"automatic\"%'",
                           f->push),
                     1);
    assert_int_equal(count(f,
                           "SELECT COUNT(*) FROM mail_outbox WHERE system_id = ? AND"
                           " to_addr = 'drift@kommunen.dk' AND state = 'PENDING'",
                           f->push),
                     4);
    assert_int_equal(check(f, t0 + 9 * DAY), 0); /* deactivated: not judged again */
    assert_int_equal(mails(f, f->push, "SYSTEM_DEACTIVATED"), 1);
    assert_int_equal(mails(f, f->push, "SYSTEM_WARNING"), 3);
}

/* One success on day 5 resets the clock: active on day 8, no deactivation mail; a new
 * failure period starts from scratch. */
static void test_success_resets(void **state)
{
    struct fx *f = *state;
    struct kv_system_health h;
    int64_t t0 = f->t0;

    queue_letter(f, f->push, t0);
    push_failed(f, f->push, t0);
    assert_int_equal(check(f, t0 + 4 * DAY), 0);
    assert_int_equal(mails(f, f->push, "SYSTEM_WARNING"), 2);
    succeed(f, f->push, t0 + 5 * DAY);
    health(f, f->push, &h);
    assert_int_equal(h.failing_since_ms, 0);
    assert_int_equal(h.warnings_sent, 0);
    assert_int_equal(h.last_success_ms, t0 + 5 * DAY);
    assert_int_equal(check(f, t0 + 8 * DAY), 0);
    health(f, f->push, &h);
    assert_string_equal(h.status, "active");
    assert_int_equal(mails(f, f->push, "SYSTEM_DEACTIVATED"), 0);
    assert_int_equal(mails(f, f->push, "SYSTEM_WARNING"), 2);

    push_failed(f, f->push, t0 + 8 * DAY);
    assert_int_equal(check(f, t0 + 9 * DAY), 0);
    assert_int_equal(mails(f, f->push, "SYSTEM_WARNING"), 3); /* the new period's first */
    health(f, f->push, &h);
    assert_int_equal(h.warnings_sent, 1);
    assert_int_equal(h.failing_since_ms, t0 + 8 * DAY);
}

/* A jump of the clock past every threshold queues each missed warning, then the
 * deactivation mail, in that order; a system without contact e-mail gets none but is
 * deactivated all the same. */
static void test_clock_jump_and_no_email(void **state)
{
    struct fx *f = *state;
    struct kv_stmt *s = NULL;
    struct kv_err err = {0};
    struct kv_system_health h;
    const char *want[] = {"SYSTEM_WARNING", "SYSTEM_WARNING", "SYSTEM_WARNING",
                          "SYSTEM_DEACTIVATED"};
    int i = 0;

    queue_letter(f, f->push, f->t0);
    queue_letter(f, f->mute, f->t0);
    push_failed(f, f->push, f->t0);
    push_failed(f, f->mute, f->t0);
    assert_int_equal(check(f, f->t0 + 10 * DAY), 2);
    assert_int_equal(kv_db_prepare(f->db,
                                   "SELECT kind, subject FROM mail_outbox WHERE system_id = ?"
                                   " ORDER BY id",
                                   &s, &err),
                     0);
    kv_stmt_bind_text(s, 1, f->push, -1);
    while (kv_stmt_step(s, &err) == KV_ROW) {
        assert_true(i < 4);
        assert_string_equal(kv_stmt_col_text(s, 0), want[i]);
        i++;
    }
    kv_stmt_done(s);
    assert_int_equal(i, 4);
    health(f, f->mute, &h);
    assert_string_equal(h.status, "deactivated");
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox WHERE system_id = ?", f->mute),
                     0);
}

/* Pull: failing while letters wait unfetched, since the later of the last fetch and the
 * oldest waiting letter's availability. No letters, no failure; a fetch on day 5 keeps it
 * active on day 8; never fetching for 7 days deactivates. */
static void test_pull(void **state)
{
    struct fx *f = *state;
    struct kv_system_health h;
    struct kv_err err = {0};
    int64_t t0 = f->t0;

    assert_int_equal(check(f, t0 + 30 * DAY), 0); /* nothing waiting: never failing */
    health(f, f->pull, &h);
    assert_int_equal(h.failing_since_ms, 0);

    queue_letter(f, f->pull, t0 + DAY); /* waits from day 1 */
    assert_int_equal(check(f, t0 + DAY + HOUR), 0);
    health(f, f->pull, &h);
    assert_int_equal(h.failing_since_ms, t0 + DAY);
    assert_int_equal(check(f, t0 + 3 * DAY), 0);
    assert_int_equal(mails(f, f->pull, "SYSTEM_WARNING"), 1);
    /* a fetch on day 5 (GET of the list: the letter still waits) resets */
    assert_int_equal(kv_system_health_fetched(f->db, f->pull, t0 + 5 * DAY, &err), 0);
    health(f, f->pull, &h);
    assert_int_equal(h.last_fetch_ms, t0 + 5 * DAY);
    assert_int_equal(h.last_success_ms, t0 + 5 * DAY);
    assert_int_equal(h.warnings_sent, 0);
    assert_int_equal(check(f, t0 + 8 * DAY), 0);
    health(f, f->pull, &h);
    assert_string_equal(h.status, "active");
    assert_int_equal(h.failing_since_ms, t0 + 5 * DAY);
    assert_int_equal(h.warnings_sent, 2); /* 3 days since the fetch: warnings 1 and 3 days */
    assert_int_equal(mails(f, f->pull, "SYSTEM_WARNING"), 3);
    assert_int_equal(check(f, t0 + 11 * DAY + 23 * HOUR), 0);
    assert_int_equal(check(f, t0 + 12 * DAY), 1);
    health(f, f->pull, &h);
    assert_string_equal(h.status, "deactivated");
    assert_int_equal(mails(f, f->pull, "SYSTEM_DEACTIVATED"), 1);
}

/* A delivery acknowledged after the last recorded fetch (a DELETE or business receipt within
 * the fetch throttle minute) also ends a pull system's waiting period: letters still waiting
 * are failing from that success on, never from before it. */
static void test_pull_success_after_fetch(void **state)
{
    struct fx *f = *state;
    struct kv_system_health h;
    struct kv_err err = {0};
    int64_t t0 = f->t0;

    queue_letter(f, f->pull, t0 + DAY);
    assert_int_equal(kv_system_health_fetched(f->db, f->pull, t0 + 2 * DAY, &err), 0);
    assert_int_equal(kv_system_health_success(f->db, f->pull, t0 + 2 * DAY + HOUR, &err), 0);
    assert_int_equal(check(f, t0 + 2 * DAY + 2 * HOUR), 0);
    health(f, f->pull, &h);
    assert_int_equal(h.last_success_ms, t0 + 2 * DAY + HOUR);
    assert_int_equal(h.failing_since_ms, t0 + 2 * DAY + HOUR);
}

/* Polling the list often writes at most once a minute while not failing. */
static void test_fetch_throttle(void **state)
{
    struct fx *f = *state;
    struct kv_system_health h;
    struct kv_err err = {0};

    assert_int_equal(kv_system_health_fetched(f->db, f->pull, f->t0, &err), 0);
    assert_int_equal(kv_system_health_fetched(f->db, f->pull, f->t0 + 10000, &err), 0);
    health(f, f->pull, &h);
    assert_int_equal(h.last_fetch_ms, f->t0);
    assert_int_equal(kv_system_health_fetched(f->db, f->pull, f->t0 + KV_HEALTH_FETCH_WRITE_MS,
                                              &err),
                     0);
    health(f, f->pull, &h);
    assert_int_equal(h.last_fetch_ms, f->t0 + KV_HEALTH_FETCH_WRITE_MS);
}

/* A push system whose letters are gone (recalled) is not failing any more. */
static void test_nothing_waiting_clears(void **state)
{
    struct fx *f = *state;
    struct kv_system_health h;

    queue_letter(f, f->push, f->t0);
    push_failed(f, f->push, f->t0);
    assert_int_equal(check(f, f->t0 + 2 * DAY), 0);
    exec(f, "UPDATE letters SET state = 'RECALLED'");
    assert_int_equal(check(f, f->t0 + 8 * DAY), 0);
    health(f, f->push, &h);
    assert_string_equal(h.status, "active");
    assert_int_equal(h.failing_since_ms, 0);
    assert_int_equal(h.warnings_sent, 0);
}

/* Reactivation: status active, failure state cleared, every queued letter due now, event;
 * a pull system then gets a fresh 7 days from the reactivation. */
static void test_activate(void **state)
{
    struct fx *f = *state;
    struct kv_system_health h;
    struct kv_err err = {0};
    int64_t backlog = -1, t0 = f->t0;

    queue_letter(f, f->pull, t0);
    queue_letter(f, f->pull, t0 + HOUR);
    assert_int_equal(check(f, t0 + 7 * DAY), 1);
    health(f, f->pull, &h);
    assert_string_equal(h.status, "deactivated");
    assert_int_equal(h.queue_length, 2);

    assert_int_equal(kv_system_activate(f->db, f->pull, t0 + 8 * DAY, &backlog, &err), 0);
    assert_int_equal(backlog, 2);
    health(f, f->pull, &h);
    assert_string_equal(h.status, "active");
    assert_int_equal(h.failing_since_ms, 0);
    assert_int_equal(h.warnings_sent, 0);
    assert_int_equal(h.activated_ms, t0 + 8 * DAY);
    assert_int_equal(h.deactivated_ms, t0 + 7 * DAY); /* kept: when it was last deactivated */
    assert_int_equal(count(f,
                           "SELECT COUNT(*) FROM recipient_queue WHERE system_id = ? AND"
                           " state = 'QUEUED' AND next_ms <= 0 + (SELECT activated_ms FROM"
                           " systems WHERE id = recipient_queue.system_id)",
                           f->pull),
                     2);
    assert_int_equal(count(f,
                           "SELECT COUNT(*) FROM events WHERE tag = 'SYSTEM_ACTIVATED' AND"
                           " system_id = ?",
                           f->pull),
                     1);
    assert_int_equal(check(f, t0 + 8 * DAY + HOUR), 0); /* not deactivated again at once */
    assert_int_equal(check(f, t0 + 14 * DAY + 23 * HOUR), 0);
    assert_int_equal(check(f, t0 + 15 * DAY), 1);

    /* by hand: deactivate (no mail), activate again */
    assert_int_equal(kv_system_activate(f->db, f->pull, t0 + 16 * DAY, NULL, &err), 0);
    assert_int_equal(kv_system_deactivate(f->db, f->pull, t0 + 17 * DAY, &err), 0);
    health(f, f->pull, &h);
    assert_string_equal(h.status, "deactivated");
    assert_int_equal(h.deactivated_ms, t0 + 17 * DAY);
    assert_int_equal(mails(f, f->pull, "SYSTEM_DEACTIVATED"), 2);
    assert_int_equal(kv_system_activate(f->db, "00000000-0000-4000-8000-000000000000", t0, NULL,
                                        &err),
                     KV_ENOTFOUND);
    assert_int_equal(kv_system_health_get(f->db, "nope", &h, &err), KV_ENOTFOUND);
}

static void test_mail_format(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    char *m;
    int64_t id = 0;

    (void)f;
    assert_true(kv_mail_addr_ok("a@b.dk"));
    assert_false(kv_mail_addr_ok("ab.dk"));
    assert_false(kv_mail_addr_ok("a@b@c"));
    assert_false(kv_mail_addr_ok("a@b.dk\r\nBcc: x@y"));
    assert_false(kv_mail_addr_ok("<a@b.dk>"));
    assert_false(kv_mail_addr_ok("a b@c.dk"));
    assert_int_equal(kv_mail_queue(f->db, "x\n@y", "s", "b", "K", NULL, 1, NULL, &err),
                     KV_EINVAL);
    assert_int_equal(kv_mail_queue(f->db, "a@b.dk", "s", "b", "K", NULL, 1, &id, &err), 0);
    assert_true(id > 0);

    /* 2026-11-29T09:21:02Z was a Sunday */
    m = kv_mail_format("kuvert@hub.example", "drift@kommunen.dk",
                       "Systemet \"Byg\" æøå\r\nBcc: evil@x", "Hej æøå\n", 1795944062000LL,
                       "kuvert-mail-7.1");
    assert_non_null(m);
    assert_non_null(strstr(m, "Date: Sun, 29 Nov 2026 09:21:02 +0000\r\n"));
    assert_non_null(strstr(m, "From: kuvert@hub.example\r\n"));
    assert_non_null(strstr(m, "To: drift@kommunen.dk\r\n"));
    assert_non_null(strstr(m, "Message-ID: <kuvert-mail-7.1@hub.example>\r\n"));
    assert_non_null(strstr(m, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_non_null(strstr(m, "Subject: =?UTF-8?B?"));
    assert_null(strstr(m, "\nBcc:")); /* the CR LF in the subject is encoded, not a header */
    assert_non_null(strstr(m, "\r\n\r\nSGVqIMOmw7jDpQo=\r\n")); /* base64 of the body */
    free(m);
    m = kv_mail_format("k@h", "a@b", "plain", "x", 0, "id");
    assert_non_null(strstr(m, "Subject: plain\r\n"));
    free(m);
}

/* Sending to a closed port: attempt counted, retried after a minute, FAILED after the last
 * attempt; an empty smtp URL sends nothing. */
static void test_mail_retry(void **state)
{
    struct fx *f = *state;
    struct kv_mail_opts o;
    struct kv_err err = {0};
    int64_t id = 0, now = f->t0;
    int sent = -1;

    assert_int_equal(kv_mail_queue(f->db, "a@b.dk", "s", "b", "K", NULL, now, &id, &err), 0);
    memset(&o, 0, sizeof(o));
    assert_int_equal(kv_mail_send_due(f->st, &o, now, &sent, &err), 0);
    assert_int_equal(sent, 0);
    assert_int_equal(count(f, "SELECT attempts FROM mail_outbox WHERE state = 'PENDING'", NULL),
                     0);

    o.smtp_url = "smtp://127.0.0.1:1";
    o.from = "kuvert@localhost";
    o.timeout_ms = 5000;
    assert_int_equal(kv_mail_send_due(f->st, &o, now, &sent, &err), 0);
    assert_int_equal(sent, 0);
    assert_int_equal(count(f, "SELECT attempts FROM mail_outbox", NULL), 1);
    assert_true(count(f, "SELECT next_ms FROM mail_outbox", NULL) >= now + 60000);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox WHERE last_error IS NOT NULL",
                           NULL),
                     1);
    /* not due yet: untouched */
    assert_int_equal(kv_mail_send_due(f->st, &o, now + 1000, &sent, &err), 0);
    assert_int_equal(count(f, "SELECT attempts FROM mail_outbox", NULL), 1);
    exec(f, "UPDATE mail_outbox SET attempts = 19, next_ms = 0");
    assert_int_equal(kv_mail_send_due(f->st, &o, now, &sent, &err), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM mail_outbox WHERE state = 'FAILED' AND"
                              " attempts = 20",
                           NULL),
                     1);
    assert_int_equal(kv_mail_retry_delay_ms(1), 60000);
    assert_int_equal(kv_mail_retry_delay_ms(2), 300000);
    assert_int_equal(kv_mail_retry_delay_ms(3), 900000);
    assert_int_equal(kv_mail_retry_delay_ms(4), 3600000);
    assert_int_equal(kv_mail_retry_delay_ms(50), 3600000);
    o.smtp_url = "http://127.0.0.1:1";
    assert_int_equal(kv_mail_send_due(f->st, &o, now, &sent, &err), KV_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_push_warnings_and_deactivation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_success_resets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_jump_and_no_email, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_success_after_fetch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_waiting_clears, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mail_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mail_retry, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

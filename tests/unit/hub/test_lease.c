/* SPDX-License-Identifier: MIT
 *
 * test_lease.c: background-work leases (src/hub/lease.c) against a real temporary store
 * (SQLite, or PostgreSQL with KUVERT_TEST_PG), with explicit times: one holder at a time, a
 * holder renews its own, a run-out lease is taken over, giving back frees it at once, bad
 * arguments are refused; two stores on one database (two "nodes") racing from many threads
 * for the same lease end with exactly one winner per round; a set renews its lease (seen in the
 * row, polled) through its renewer and gives it back on stop.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/lease.h"
#include "store/store.h"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0};

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-lease-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int rc = kv_test_store_free(f->dir, f->st, f->db);

    free(f);
    return rc;
}

static int take(struct kv_db *db, const char *name, const char *who, int64_t now, int64_t ttl)
{
    struct kv_err err = {0};
    int held = -1;

    assert_int_equal(kv_lease_take(db, name, who, now, ttl, &held, &err), 0);
    return held;
}

static int held_by(struct kv_db *db, const char *name, const char *who, int64_t now)
{
    struct kv_err err = {0};
    int held = -1;

    assert_int_equal(kv_lease_held(db, name, who, now, &held, &err), 0);
    return held;
}

static void one_holder_and_takeover(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};

    assert_int_equal(take(f->db, "mail", "node-a", 1000, 500), 1);
    assert_int_equal(take(f->db, "mail", "node-b", 1200, 500), 0);  /* a's, running */
    assert_int_equal(take(f->db, "mail", "node-a", 1400, 500), 1);  /* a renews: until 1900 */
    assert_int_equal(take(f->db, "mail", "node-b", 1600, 500), 0);  /* would have run out */
    assert_int_equal(held_by(f->db, "mail", "node-a", 1899), 1);
    assert_int_equal(held_by(f->db, "mail", "node-b", 1899), 0);
    assert_int_equal(held_by(f->db, "mail", "node-a", 1900), 0);    /* ran out */
    assert_int_equal(take(f->db, "mail", "node-b", 1900, 500), 1);       /* taken over */
    assert_int_equal(take(f->db, "mail", "node-a", 1901, 500), 0);  /* a lost it */
    /* other names are independent */
    assert_int_equal(take(f->db, "print:42", "node-a", 1901, 500), 1);
    /* giving back: only the holder's drop counts */
    assert_int_equal(kv_lease_drop(f->db, "mail", "node-a", &err), 0);
    assert_int_equal(take(f->db, "mail", "node-a", 1950, 500), 0);
    assert_int_equal(kv_lease_drop(f->db, "mail", "node-b", &err), 0);
    assert_int_equal(take(f->db, "mail", "node-a", 1950, 500), 1);  /* free at once */
}

static void bad_arguments(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0};
    char longname[KV_LEASE_NAME_MAX + 1];
    int held = 7;

    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(kv_lease_take(f->db, "", "a", 1, 10, &held, &err), KV_EINVAL);
    assert_int_equal(held, 0);
    assert_int_equal(kv_lease_take(f->db, longname, "a", 1, 10, &held, &err), KV_EINVAL);
    assert_int_equal(kv_lease_take(f->db, "x", "", 1, 10, &held, &err), KV_EINVAL);
    assert_int_equal(kv_lease_take(f->db, "x", "a", 1, 0, &held, &err), KV_EINVAL);
    assert_int_equal(kv_lease_held(f->db, NULL, "a", 1, &held, &err), KV_EINVAL);
    assert_int_equal(kv_lease_drop(f->db, "x", NULL, &err), KV_EINVAL);
}

/* ---- two nodes racing --------------------------------------------------------------------- */

#define RACERS 6
#define ROUNDS 25

struct race {
    struct kv_store *st[2];     /* two stores on one database: two nodes */
    pthread_barrier_t start;    /* every racer begins a round together */
    pthread_barrier_t end;      /* and finishes it before the next */
    int wins[ROUNDS];           /* takers that got the round's lease */
    pthread_mutex_t mu;
    int errors;
};

struct racer {
    struct race *r;
    int id;
};

static void *racer_main(void *arg)
{
    struct racer *me = arg;
    struct race *r = me->r;
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    char who[32], name[32];
    int round;

    snprintf(who, sizeof(who), "node-%d", me->id);
    if (kv_db_acquire(r->st[me->id % 2], &db, &err) < 0) {
        pthread_mutex_lock(&r->mu);
        r->errors++;
        pthread_mutex_unlock(&r->mu);
    }
    for (round = 0; round < ROUNDS; round++) {
        int held = 0;

        snprintf(name, sizeof(name), "round:%d", round);
        pthread_barrier_wait(&r->start);
        if (db && kv_lease_take(db, name, who, 1000 + round, 60000, &held, &err) < 0) {
            pthread_mutex_lock(&r->mu);
            r->errors++;
            pthread_mutex_unlock(&r->mu);
        }
        pthread_mutex_lock(&r->mu);
        r->wins[round] += held;
        pthread_mutex_unlock(&r->mu);
        pthread_barrier_wait(&r->end);
    }
    if (db)
        kv_db_release(db);
    return NULL;
}

static void racing_nodes_one_winner(void **state)
{
    struct fx *f = *state;
    struct race r;
    struct racer who[RACERS];
    pthread_t th[RACERS];
    struct kv_err err = {0};
    int i;

    memset(&r, 0, sizeof(r));
    r.st[0] = f->st;
    assert_int_equal(kv_test_store_open(f->dir, &r.st[1], &err), 0); /* the second node */
    pthread_mutex_init(&r.mu, NULL);
    pthread_barrier_init(&r.start, NULL, RACERS);
    pthread_barrier_init(&r.end, NULL, RACERS);
    for (i = 0; i < RACERS; i++) {
        who[i].r = &r;
        who[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, racer_main, &who[i]), 0);
    }
    for (i = 0; i < RACERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(r.errors, 0);
    for (i = 0; i < ROUNDS; i++)
        assert_int_equal(r.wins[i], 1);
    pthread_barrier_destroy(&r.start);
    pthread_barrier_destroy(&r.end);
    pthread_mutex_destroy(&r.mu);
    kv_store_close(r.st[1]);
}

/* ---- the set ----------------------------------------------------------------------------- */

static int64_t real_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The lease row's until_ms for name held by who; -1 when another holds it or none does. */
static int64_t until_of(struct kv_db *db, const char *name, const char *who)
{
    struct kv_stmt *s = NULL;
    int64_t until = -1;

    assert_int_equal(kv_db_prepare(db, "SELECT until_ms, holder FROM work_leases WHERE name = ?",
                                   &s, NULL),
                     0);
    kv_stmt_bind_text(s, 1, name, -1);
    if (kv_stmt_step(s, NULL) == KV_ROW && strcmp(kv_stmt_col_text(s, 1), who) == 0)
        until = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return until;
}

static void set_renews_and_gives_back(void **state)
{
    struct fx *f = *state;
    struct kv_leases *a = NULL, *b = NULL;
    struct kv_err err = {0};
    int64_t first_until, until = -1;
    int i;

    /* A lease time of 9 s, renewed every 3 s. That the renewer renews is seen in the row (its
     * until_ms moves past the first take's), polled for up to 60 s, not assumed from sleeping
     * past the first lease time: a renewer thread (or a commit) that a loaded machine delays
     * by a few seconds is slow, not wrong. Only one starved for 9 s could lose the lease. */
    assert_int_equal(kv_leases_start(f->st, "node-a", 9000, &a, &err), 0);
    assert_int_equal(kv_leases_start(f->st, "node-b", 9000, &b, &err), 0);
    assert_string_equal(kv_leases_holder(a), "node-a");
    assert_int_equal(kv_leases_hold(a, "recipient_push", &err), 1);
    first_until = until_of(f->db, "recipient_push", "node-a");
    assert_true(first_until > 0);
    assert_int_equal(kv_leases_hold(b, "recipient_push", &err), 0);
    assert_int_equal(kv_leases_hold(b, "mail", &err), 1); /* independent names */
    /* the renewer moves it on (bounded: 600 naps of 100 ms) */
    for (i = 0; i < 600; i++) {
        until = until_of(f->db, "recipient_push", "node-a");
        if (until > first_until)
            break;
        usleep(100 * 1000);
    }
    if (until <= first_until)
        fail_msg("the lease was not renewed (until %lld, first %lld)", (long long)until,
                 (long long)first_until);
    assert_int_equal(held_by(f->db, "recipient_push", "node-a", until - 1), 1);
    assert_int_equal(kv_leases_hold(b, "recipient_push", &err), 0);
    assert_int_equal(kv_leases_hold(a, "recipient_push", &err), 1);
    kv_leases_stop(a); /* gives it back */
    assert_int_equal(held_by(f->db, "recipient_push", "node-a", real_ms()), 0);
    assert_int_equal(kv_leases_hold(b, "recipient_push", &err), 1);
    kv_leases_stop(b);
    assert_int_equal(take(f->db, "mail", "node-c", real_ms(), 1000), 1);
    assert_int_equal(kv_leases_start(f->st, "", 300, &a, &err), KV_EINVAL);
    assert_null(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_holder_and_takeover, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(racing_nodes_one_winner, setup, teardown),
        cmocka_unit_test_setup_teardown(set_renews_and_gives_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

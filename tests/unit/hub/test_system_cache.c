/* SPDX-License-Identifier: MIT
 *
 * test_system_cache.c: the gate's cache of system authentications (hub/system_cache.h): the
 * same answers as kv_system_authenticate; a second token use is answered without the
 * database; a rotated secret, a deactivation and a changed address list made through ANOTHER
 * store on the same data (as the CLI beside a running server) take effect for the very next
 * authentication, also when the change was made inside a transaction still open at the
 * look-up; a transaction rolled back leaves the cache usable. On PostgreSQL the other store
 * stands for another node: its changes reach this store's cache by a notification at COMMIT
 * (store_pg_cred.c), so there the notification is awaited (a bounded poll of the generation's
 * counter) and the very next authentication after it must see the change; entries are used only while the listener listens, and one killed
 * listener makes the generation -1 until it listens again, and one whose round trips go
 * unanswered on a connection that stays open (a proxy gone silent) is closed and replaced,
 * while one answered late (from 2 s, as under heavy load) only stops the cache until the
 * answer, on the same connection; a bare NOTIFY (no payload) counts; with pg_credentials_cache off nothing is cached there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "unit/hub/store_fixture.h"

#include "hub/directory.h"
#include "hub/system_cache.h"
#include "store/store.h"

struct fx {
    char dir[64];
    struct kv_store *st;  /* the "server" */
    struct kv_db *db;
    struct kv_store *cli; /* another store on the same data: the "CLI" */
    struct kv_system sys;
    char hdr[256];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0};
    char *token = NULL;

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-syscache-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, &err) != 0 ||
        kv_test_store_open(f->dir, &f->cli, &err) != 0 ||
        kv_org_add(f->db, "12345678", "Kommunen", &err) != 0)
        return -1;
    kv_store_set_credentials_listen(f->st, 1); /* PostgreSQL: pg_credentials_cache notify */
    snprintf(f->sys.org_cvr, sizeof(f->sys.org_cvr), "12345678");
    snprintf(f->sys.kind, sizeof(f->sys.kind), "sender");
    snprintf(f->sys.name, sizeof(f->sys.name), "Sagssystem");
    if (kv_system_add(f->db, &f->sys, &token, &err) != 0)
        return -1;
    snprintf(f->hdr, sizeof(f->hdr), "Basic %s", token);
    free(token);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    kv_store_close(f->cli);
    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

static int auth(struct kv_system_cache *c, const char *hdr, struct kv_system *out,
                struct kv_err *err)
{
    memset(err, 0, sizeof(*err));
    return kv_system_cache_authenticate(c, hdr, out, err);
}

/* Polls (at most 60 s) until kv_store_credentials_generation(st) is, or is not, -1 as asked:
 * on PostgreSQL the listener thread starts with the first question and connects on its own. */
static int64_t await_generation(struct kv_store *st, int listening)
{
    int64_t g = kv_store_credentials_generation(st);
    struct timespec pause = {0, 10 * 1000 * 1000};
    int i;

    for (i = 0; i < 6000 && (g >= 0) != listening; i++) {
        nanosleep(&pause, NULL);
        g = kv_store_credentials_generation(st);
    }
    assert_int_equal(g >= 0, listening);
    return g;
}

/* PostgreSQL: the counter part of the generation (store_pg_cred.c: counter << 20 | minute),
 * which only this schema's notifications and a new listening connection advance; 0 on
 * SQLite. */
static uint64_t counter(struct kv_store *st)
{
    return kv_test_on_pg() ? (uint64_t)await_generation(st, 1) >> 20 : 0;
}

/* After a change committed through the other store: on PostgreSQL waits (at most 60 s) until
 * its notification has arrived, after which the very next authentication must see the
 * change; on SQLite the change counts at once. */
static void await_notified(struct kv_store *st, uint64_t before)
{
    struct timespec pause = {0, 10 * 1000 * 1000};
    int i;

    for (i = 0; kv_test_on_pg() && counter(st) == before && i < 6000; i++)
        nanosleep(&pause, NULL);
    assert_true(!kv_test_on_pg() || counter(st) != before);
}

static void test_same_answers_and_hits(void **state)
{
    struct fx *f = *state;
    struct kv_system_cache *c = kv_system_cache_new(f->st);
    struct kv_system got, want;
    struct kv_err err;
    unsigned long long hits, misses, looks = 1;
    char bad[256];
    int tries;

    (void)await_generation(f->st, 1); /* PostgreSQL: the listener listens */
    assert_int_equal(auth(c, f->hdr, &got, &err), 0);
    assert_int_equal(kv_system_authenticate(f->db, f->hdr, &want, &err), 0);
    assert_memory_equal(&got, &want, sizeof(got));
    /* A look-up after the first is answered from the cache. On PostgreSQL the generation can
     * move between two look-ups without any change of this system (another test's server
     * notifying on the same database, the monotonic minute turning, a ping late on a loaded
     * machine), each costing one more read: so look again, at most 100 times, until one is
     * a hit; every look-up is either a hit or a miss, and each answers the row. */
    for (tries = 0; tries < 100; tries++) {
        (void)await_generation(f->st, 1);
        assert_int_equal(auth(c, f->hdr, &got, &err), 0);
        looks++;
        assert_memory_equal(&got, &want, sizeof(got));
        kv_system_cache_stats(c, &hits, &misses);
        if (hits >= 1)
            break;
    }
    assert_true(hits >= 1);
    assert_int_equal(hits + misses, looks);
    /* a wrong secret for a cached system: refused with the uncached words, every time */
    snprintf(bad, sizeof(bad), "%s", f->hdr);
    {
        /* flip one character of the base64 secret part (well inside, not the padding) */
        size_t n = strlen(bad);
        bad[n - 8] = bad[n - 8] == 'A' ? 'B' : 'A';
    }
    assert_int_equal(auth(c, bad, &got, &err), KV_EAUTH);
    assert_non_null(strstr(err.msg, "invalid API token") ? err.msg : strstr(err.msg, "malformed"));
    assert_string_equal(got.id, "");
    assert_int_equal(auth(c, "Basic", &got, &err), KV_EAUTH);
    assert_int_equal(auth(c, NULL, &got, &err), KV_EAUTH);
    assert_int_equal(auth(c, f->hdr, &got, &err), 0);
    kv_system_cache_free(c);

    /* PostgreSQL with pg_credentials_cache off: never cached (SQLite: no effect) */
    kv_store_set_credentials_listen(f->st, 0);
    c = kv_system_cache_new(f->st);
    assert_int_equal(auth(c, f->hdr, &got, &err), 0);
    assert_int_equal(auth(c, f->hdr, &got, &err), 0);
    kv_system_cache_stats(c, &hits, &misses);
    assert_int_equal(hits, kv_test_on_pg() ? 0 : 1);
    assert_int_equal(kv_store_credentials_generation(f->st) >= 0, !kv_test_on_pg());
    kv_system_cache_free(c);
}

static void test_changes_from_another_store(void **state)
{
    struct fx *f = *state;
    struct kv_system_cache *c = kv_system_cache_new(f->st);
    struct kv_system got, edit;
    struct kv_db *cdb = NULL;
    struct kv_err err = {0};
    char *token = NULL, hdr2[256];
    uint64_t before;

    (void)await_generation(f->st, 1);
    assert_int_equal(auth(c, f->hdr, &got, &err), 0); /* cached */
    assert_int_equal(kv_db_acquire(f->cli, &cdb, &err), 0);

    /* allowed addresses changed by the other store: the next look-up has them */
    edit = got;
    snprintf(edit.allowed_ips, sizeof(edit.allowed_ips), "10.0.0.0/8");
    before = counter(f->st);
    assert_int_equal(kv_system_update(cdb, &edit, "admin", &err), 0);
    await_notified(f->st, before);
    assert_int_equal(auth(c, f->hdr, &got, &err), 0);
    assert_string_equal(got.allowed_ips, "10.0.0.0/8");

    /* deactivated there: refused here; activated again: admitted */
    before = counter(f->st);
    assert_int_equal(kv_system_set_status(cdb, f->sys.id, "deactivated", &err), 0);
    await_notified(f->st, before);
    assert_int_equal(auth(c, f->hdr, &got, &err), KV_EAUTH);
    assert_non_null(strstr(err.msg, "deactivated"));
    before = counter(f->st);
    assert_int_equal(kv_system_set_status(cdb, f->sys.id, "active", &err), 0);
    await_notified(f->st, before);
    assert_int_equal(auth(c, f->hdr, &got, &err), 0);

    /* secret rotated there: the old token refused, the new one admitted */
    before = counter(f->st);
    assert_int_equal(kv_system_rotate_secret(cdb, f->sys.id, &token, &err), 0);
    snprintf(hdr2, sizeof(hdr2), "Basic %s", token);
    free(token);
    await_notified(f->st, before);
    assert_int_equal(auth(c, f->hdr, &got, &err), KV_EAUTH);
    assert_int_equal(auth(c, hdr2, &got, &err), 0);
    assert_int_equal(auth(c, hdr2, &got, &err), 0);

    /* a change inside a transaction still open: a look-up in between reads the committed
     * (old) row and must not keep it past the commit */
    before = counter(f->st);
    assert_int_equal(kv_db_begin(cdb, &err), 0);
    assert_int_equal(kv_db_exec(cdb, "UPDATE systems SET status = 'deactivated'", &err), 0);
    kv_db_credentials_changed(cdb);
    if (!kv_test_on_pg()) /* SQLite: the reader sees the last commit */
        assert_int_equal(auth(c, hdr2, &got, &err), 0);
    assert_int_equal(kv_db_commit(cdb, &err), 0);
    await_notified(f->st, before);
    assert_int_equal(auth(c, hdr2, &got, &err), KV_EAUTH);

    /* rolled back: still active, and cached again */
    before = counter(f->st);
    assert_int_equal(kv_db_exec(cdb, "UPDATE systems SET status = 'active'", &err), 0);
    kv_db_credentials_changed(cdb);
    await_notified(f->st, before);
    assert_int_equal(kv_db_begin(cdb, &err), 0);
    assert_int_equal(kv_db_exec(cdb, "UPDATE systems SET status = 'deactivated'", &err), 0);
    kv_db_credentials_changed(cdb);
    kv_db_rollback(cdb);
    assert_int_equal(auth(c, hdr2, &got, &err), 0);
    assert_int_equal(auth(c, hdr2, &got, &err), 0);
    kv_db_release(cdb);
    kv_system_cache_free(c);
}

/* PostgreSQL: the backend pid of this process's credentials listener (0: none, -1: the
 * query failed), terminating it when kill is set. */
static long listener_pid(int kill)
{
    char sql[256];
    PGconn *pc = PQconnectdb(getenv("KUVERT_TEST_PG"));
    PGresult *r;
    long pid = -1;

    snprintf(sql, sizeof(sql),
             "SELECT pid, %s FROM pg_stat_activity WHERE application_name = "
             "'kuvert credentials listener %ld'",
             kill ? "pg_terminate_backend(pid)" : "true", (long)getpid());
    if (PQstatus(pc) == CONNECTION_OK) {
        r = PQexec(pc, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK)
            pid = PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : 0;
        PQclear(r);
    }
    PQfinish(pc);
    return pid;
}

/* A change no notification announces (an UPDATE by hand) while an entry is kept; then the
 * listener's connection is killed: once it listens again (a new backend), nothing kept before
 * counts, so the very next authentication reads the changed row. */
static void test_listener_lost(void **state)
{
    struct fx *f = *state;
    struct kv_system_cache *c = kv_system_cache_new(f->st);
    struct kv_system got;
    struct kv_db *cdb = NULL;
    struct kv_err err = {0};
    struct timespec pause = {0, 10 * 1000 * 1000};
    long pid, now = 0;
    int i;

    (void)await_generation(f->st, 1);
    assert_int_equal(auth(c, f->hdr, &got, &err), 0);
    if (!kv_test_on_pg()) { /* SQLite: a mapped counter, no connection to lose */
        kv_system_cache_free(c);
        return;
    }
    assert_int_equal(kv_db_acquire(f->cli, &cdb, &err), 0);
    assert_int_equal(kv_db_exec(cdb, "UPDATE systems SET status = 'deactivated'", &err), 0);
    kv_db_release(cdb);
    pid = listener_pid(1);
    assert_true(pid > 0);
    for (i = 0; i < 6000; i++) {
        now = listener_pid(0);
        if (now > 0 && now != pid)
            break;
        nanosleep(&pause, NULL);
    }
    assert_true(now > 0 && now != pid);
    (void)await_generation(f->st, 1);
    assert_int_equal(auth(c, f->hdr, &got, &err), KV_EAUTH);
    assert_non_null(strstr(err.msg, "deactivated"));
    kv_system_cache_free(c);
}

/* ---- a TCP proxy to the test cluster that can go silent (PostgreSQL) ---- */

/* Forwards connections accepted on 127.0.0.1:port to the cluster of KUVERT_TEST_PG (its
 * Unix socket, or host:port). freeze() makes every connection open at that moment silent
 * for good, both ways, without closing it: a peer that is gone without a FIN or RST (a
 * half-open connection, until the kernel's keepalive gives up after hours). Connections
 * accepted later are forwarded again. */
#define PROXY_MAX 16
struct proxy {
    int lfd, port;
    int fds[PROXY_MAX][2]; /* client, server; -1 when unused */
    int frozen[PROXY_MAX];
    int accepted;          /* connections accepted so far */
    int stop;
    pthread_mutex_t mu;
    pthread_t thread;
    struct sockaddr_storage to;
    socklen_t to_len;
};

static void proxy_target(struct proxy *p)
{
    PQconninfoOption *o = PQconninfoParse(getenv("KUVERT_TEST_PG"), NULL), *i;
    const char *host = "/var/run/postgresql", *port = "5432";

    assert_non_null(o);
    for (i = o; i->keyword; i++) {
        if (strcmp(i->keyword, "host") == 0 && i->val && i->val[0])
            host = i->val;
        if (strcmp(i->keyword, "port") == 0 && i->val && i->val[0])
            port = i->val;
    }
    memset(&p->to, 0, sizeof(p->to));
    if (host[0] == '/') {
        struct sockaddr_un *u = (struct sockaddr_un *)&p->to;
        u->sun_family = AF_UNIX;
        snprintf(u->sun_path, sizeof(u->sun_path), "%s/.s.PGSQL.%s", host, port);
        p->to_len = sizeof(*u);
    } else {
        struct addrinfo hints = {0}, *ai = NULL;
        hints.ai_socktype = SOCK_STREAM;
        assert_int_equal(getaddrinfo(host, port, &hints, &ai), 0);
        memcpy(&p->to, ai->ai_addr, ai->ai_addrlen);
        p->to_len = ai->ai_addrlen;
        freeaddrinfo(ai);
    }
    PQconninfoFree(o);
}

static void *proxy_main(void *arg)
{
    struct proxy *p = arg;
    char buf[16384];

    for (;;) {
        struct pollfd pf[1 + 2 * PROXY_MAX];
        int n = 0, k, j;

        pthread_mutex_lock(&p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pf[n++] = (struct pollfd){.fd = p->lfd, .events = POLLIN};
        for (k = 0; k < PROXY_MAX; k++)
            for (j = 0; j < 2; j++)
                pf[n++] = (struct pollfd){
                    .fd = p->fds[k][0] >= 0 && !p->frozen[k] ? p->fds[k][j] : -1,
                    .events = POLLIN};
        pthread_mutex_unlock(&p->mu);
        if (poll(pf, (nfds_t)n, 50) <= 0)
            continue;
        pthread_mutex_lock(&p->mu);
        if (pf[0].revents & POLLIN) {
            int c = accept(p->lfd, NULL, NULL), s;
            if (c >= 0) {
                s = socket(p->to.ss_family, SOCK_STREAM, 0);
                for (k = 0; k < PROXY_MAX && p->fds[k][0] >= 0; k++)
                    ;
                if (s < 0 || k == PROXY_MAX ||
                    connect(s, (struct sockaddr *)&p->to, p->to_len) != 0) {
                    close(c);
                    if (s >= 0)
                        close(s);
                } else {
                    p->fds[k][0] = c;
                    p->fds[k][1] = s;
                    p->frozen[k] = 0;
                    p->accepted++;
                }
            }
        }
        for (k = 0; k < PROXY_MAX; k++)
            for (j = 0; j < 2; j++) {
                struct pollfd *q = &pf[1 + 2 * k + j];
                ssize_t got;
                if (q->fd < 0 || !(q->revents & (POLLIN | POLLHUP | POLLERR)) ||
                    p->fds[k][0] < 0 || p->frozen[k])
                    continue;
                got = read(q->fd, buf, sizeof(buf));
                if (got <= 0 || write(p->fds[k][1 - j], buf, (size_t)got) != got) {
                    close(p->fds[k][0]);
                    close(p->fds[k][1]);
                    p->fds[k][0] = p->fds[k][1] = -1;
                }
            }
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static void proxy_start(struct proxy *p)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    int k;

    memset(p, 0, sizeof(*p));
    for (k = 0; k < PROXY_MAX; k++)
        p->fds[k][0] = p->fds[k][1] = -1;
    proxy_target(p);
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(p->lfd >= 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(p->lfd, 16), 0);
    assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&a, &len), 0);
    p->port = ntohs(a.sin_port);
    pthread_mutex_init(&p->mu, NULL);
    assert_int_equal(pthread_create(&p->thread, NULL, proxy_main, p), 0);
}

static int proxy_accepted(struct proxy *p)
{
    int n;

    pthread_mutex_lock(&p->mu);
    n = p->accepted;
    pthread_mutex_unlock(&p->mu);
    return n;
}

static void proxy_freeze(struct proxy *p)
{
    int k;

    pthread_mutex_lock(&p->mu);
    for (k = 0; k < PROXY_MAX; k++)
        p->frozen[k] = p->fds[k][0] >= 0;
    pthread_mutex_unlock(&p->mu);
}

/* Forwards the frozen connections again, with what they held meanwhile. */
static void proxy_thaw(struct proxy *p)
{
    int k;

    pthread_mutex_lock(&p->mu);
    for (k = 0; k < PROXY_MAX; k++)
        p->frozen[k] = 0;
    pthread_mutex_unlock(&p->mu);
}

static void proxy_stop(struct proxy *p)
{
    int k;

    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    for (k = 0; k < PROXY_MAX; k++)
        if (p->fds[k][0] >= 0) {
            close(p->fds[k][0]);
            close(p->fds[k][1]);
        }
    close(p->lfd);
    pthread_mutex_destroy(&p->mu);
}

/* A store on f's data reached through proxy p. */
static struct kv_store *store_via(struct fx *f, struct proxy *p)
{
    PQconninfoOption *o = PQconninfoParse(getenv("KUVERT_TEST_PG"), NULL), *i;
    char url[1400], schema[160];
    const char *db = "postgres", *user = NULL;
    struct kv_store *st = NULL;
    struct kv_err err = {0};

    assert_non_null(o);
    for (i = o; i->keyword; i++) {
        if (strcmp(i->keyword, "dbname") == 0 && i->val)
            db = i->val;
        if (strcmp(i->keyword, "user") == 0 && i->val)
            user = i->val;
    }
    kv_test_schema(f->dir, schema, sizeof(schema));
    snprintf(url, sizeof(url),
             "postgresql://%s%s127.0.0.1:%d/%s?sslmode=disable&gssencmode=disable&options=-csearch_path%%3D%s",
             user ? user : "", user ? "@" : "", p->port, db, schema);
    PQconninfoFree(o);
    assert_int_equal(kv_store_open_db(f->dir, url, &st, &err), 0);
    kv_store_set_credentials_listen(st, 1);
    return st;
}

/* The listener's round trip goes unanswered on a connection that stays open (the proxy goes
 * silent: a half-open connection). Nothing is cached from 2 s on, and after the drop bound
 * (15 to 30 s, store_pg_cred.c) the listener closes that connection and listens on a new one,
 * so the cache is used again without waiting for the kernel to give the old one up. A bare `NOTIFY kuvert_credentials` (no payload, what an
 * operator types after a change by hand) advances the generation like the schema's own. */
static void test_listener_silent_and_bare_notify(void **state)
{
    struct fx *f = *state;
    struct proxy p;
    struct kv_store *st;
    struct timespec pause = {0, 10 * 1000 * 1000};
    uint64_t before;
    int n, i;

    if (!kv_test_on_pg())
        return; /* SQLite: a mapped counter, no connection */
    proxy_start(&p);
    st = store_via(f, &p);
    before = counter(st); /* listening, through the proxy */
    assert_int_equal(kv_test_pg_exec("NOTIFY kuvert_credentials"), 0);
    await_notified(st, before);

    n = proxy_accepted(&p);
    proxy_freeze(&p);
    for (i = 0; i < 6000 && proxy_accepted(&p) == n; i++)
        nanosleep(&pause, NULL);
    assert_true(proxy_accepted(&p) > n); /* closed the silent one and connected again */
    before = counter(st);                /* and listens again */
    assert_int_equal(kv_test_pg_exec("NOTIFY kuvert_credentials, ''"), 0);
    await_notified(st, before);
    kv_store_close(st);
    proxy_stop(&p);
}

/* A round trip answered late, as on a heavily loaded server: nothing is cached while it is
 * unanswered (the generation -1 from 2 s on), and once it is answered the listener goes on
 * on the same connection, no new one is made. The proxy holds the connection's bytes until
 * the generation has turned -1, then forwards them: the answer is then at least 2 s late and,
 * by the test's next step, far below the 15 s at which the connection would be given up.
 * Before, every answer later than 2 s cost a new connection (the test fails: two accepted). */
static void test_listener_late_answer_keeps_the_connection(void **state)
{
    struct fx *f = *state;
    struct proxy p;
    struct kv_store *st;
    struct timespec pause = {0, 10 * 1000 * 1000};
    uint64_t before;
    int n, i;

    if (!kv_test_on_pg())
        return; /* SQLite: a mapped counter, no connection */
    proxy_start(&p);
    st = store_via(f, &p);
    before = counter(st); /* listening, through the proxy */
    n = proxy_accepted(&p);
    proxy_freeze(&p);
    for (i = 0; i < 6000 && kv_store_credentials_generation(st) != -1 && proxy_accepted(&p) == n;
         i++)
        nanosleep(&pause, NULL);
    assert_int_equal(kv_store_credentials_generation(st), -1); /* late: nothing cached */
    proxy_thaw(&p);
    for (i = 0; i < 6000 && kv_store_credentials_generation(st) == -1; i++)
        nanosleep(&pause, NULL);
    assert_true(kv_store_credentials_generation(st) != -1); /* answered: cached again */
    assert_int_equal(proxy_accepted(&p), n);                 /* on the same connection */
    before = counter(st);
    assert_int_equal(kv_test_pg_exec("NOTIFY kuvert_credentials"), 0);
    await_notified(st, before); /* which still listens */
    assert_int_equal(proxy_accepted(&p), n);
    kv_store_close(st);
    proxy_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_answers_and_hits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_from_another_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listener_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listener_silent_and_bare_notify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listener_late_answer_keeps_the_connection, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * send_bench.c: throughput benchmark of the send API with durable acknowledgement (NOT a test;
 * it prints figures and asserts nothing). It prepares a data directory (organisation 12345678
 * with a sender system, a REGISTERED mailbox for the examples' recipient), starts
 * `kuvert serve` on 127.0.0.1, and runs N concurrent clients, each on one keep-alive HTTP/1.1
 * connection, posting unique letters (the official Full and Minimum MeMo 1.2 examples with a
 * fresh messageUUID per request) for S seconds: letters/s, p50/p99 latency. In the same run it
 * measures the in-process floor: the same bytes through parse + validate (kv_letter_prepare)
 * + insert via the group-commit writer, from N threads, without HTTP.
 *
 *   send_bench [--kuvert PATH] [--seconds S] [--clients N[,N...]]
 *              [--db URL [--nodes N] [--pg-pid POSTMASTER]] [--data DIR]
 *
 * --db runs the servers on that PostgreSQL database (which must be empty: the bench sets up
 * its organisation there) instead of SQLite; --nodes N starts N servers on it and spreads the
 * clients over them round-robin (client k talks to node k mod N). Each case prints the CPU
 * microseconds per acknowledged letter of the kuvert processes and, given the cluster's
 * postmaster pid, of PostgreSQL's processes. The in-process floor is measured on SQLite only.
 * --data DIR runs the (first) server on that existing data directory and keeps it: a store
 * grown by growth_bench (bench/growth.sh), whose organisation and mailbox are used as they
 * are (a sender system is added per run); without --db the store is the directory's SQLite.
 *   send_bench --profile full|min [--letters N] [--batch B] [--wal-copy DIR]
 *   send_bench --cpu [--letters N] [--clients C] [--kuvert PATH] [--profile full|min]
 *
 * --cpu (issue 15) measures what an accepted letter costs the server: N letters (default
 * 4,000, fresh messageUUIDs) over C keep-alive connections (default 32), and the server's CPU
 * time (user and system apart, from /proc/PID/stat) divided by the letters acknowledged 201.
 * Next to it, in the same run and on the same bytes, two floors: (1) libxml2 parse + XSD
 * validation (kv_memo_check at KV_MEMO_LEVEL_XSD) + one SQLite insert of the bytes into a
 * plain table (WAL, synchronous=FULL, one commit per C letters, as the group commit makes
 * them), process CPU time in one thread; (2) a bare libmicrohttpd server in a child process
 * (thread per connection, as kuvert, otherwise its defaults) that reads the body and answers
 * a fixed 201, its CPU from /proc as for kuvert over 5 N letters (/proc counts in 10 ms
 * ticks). ratio = kuvert / (floor 1 + floor 2); the target is <= 2.0. Three rounds of the
 * three (CPU_ROUNDS), each printed; the cpu/letter line is the round of the median ratio.
 * After it, one line per named thread of the server (kuvert-writer, kuvert-sched, ...): its CPU time per letter over
 * the counted run (schedstat, ns), user and system apart, and its minor page faults per letter.
 *
 * --profile runs no server and no threads of its own: one thread prepares N letters and hands
 * them to the writer B at a time (one group commit per B letters), timing the two halves
 * apart. It is the repeatable input for `valgrind --tool=callgrind` (instructions per letter
 * of kv_letter_prepare and of kv_letters_store_batch). --wal-copy DIR copies the database
 * and its WAL into DIR (which must exist) after the last commit and before the store is closed
 * (closing checkpoints and removes the WAL): the input of bench/wal_frames.py, which counts
 * the WAL frames of each commit by table and index.
 *
 * With several client counts (--clients 16,128) every case runs once per count: with a
 * closed loop, N clients can have at most N letters in one group commit, so the count bounds
 * letters/s by N / (commit latency); a larger N shows what the server does when it is not.
 *
 * Run from the repository root (bench/run.sh does); inputs are read by relative path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <microhttpd.h>
#include <sqlite3.h>

#include "hub/delegation.h"
#include "hub/directory.h"
#include "hub/letters.h"
#include "hub/writer.h"
#include "memo/memo.h"
#include "store/store.h"
#include "util/xmalloc.h"

#define EX "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"
#define EX_UUID "8C2EA15D-61FB-4BA9-9366-42F8B194C114"
#define MAX_LAT 4000000 /* latency samples kept per case */

/* A letter template: bytes and the offsets of the messageUUID occurrences. */
struct tmpl {
    const char *name; /* label */
    char *buf;        /* owned bytes */
    size_t len;       /* length */
    size_t off[8];    /* offsets of EX_UUID */
    int n_off;        /* occurrences */
};

/* Shared state of one measured case. */
struct run {
    const struct tmpl *t;    /* letter */
    unsigned port;           /* server port (HTTP case) */
    unsigned ports[8];       /* --nodes: every node's port; client k uses ports[k % n_ports] */
    int n_ports;             /* nodes (0: port only) */
    int next_client;         /* clients started so far (under mu) */
    const char *auth;        /* "Basic ..." */
    double until;            /* stop time (monotonic s) */
    long quota;              /* --cpu: letters still to send (guarded by mu), -1: no quota */
    pthread_mutex_t mu;      /* guards the fields below */
    double *lat;             /* latency samples in s */
    size_t n_lat;            /* samples */
    unsigned long ok, bad;   /* 201 / other */
    /* floor */
    struct kv_letter_writer *w; /* writer */
    const struct kv_system *sys; /* sender system */
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, const char *name, struct tmpl *t)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    memset(t, 0, sizeof(*t));
    t->name = name;
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    t->buf = kv_xmalloc((size_t)n + 1);
    t->len = fread(t->buf, 1, (size_t)n, f);
    t->buf[t->len] = '\0';
    fclose(f);
    for (p = t->buf; (p = strstr(p, EX_UUID)) != NULL && t->n_off < 8; p += 36)
        t->off[t->n_off++] = (size_t)(p - t->buf);
    return t->n_off > 0 ? 0 : -1;
}

/* Writes a fresh random UUID v4 (xorshift; uniqueness is all that matters) at every offset. */
static void fresh_uuid(const struct tmpl *t, char *buf, uint64_t *rng)
{
    static const char hex[] = "0123456789abcdef";
    char u[37];
    int i, k = 0;

    for (i = 0; i < 36; i++) {
        uint64_t x = *rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *rng = x;
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            u[i] = '-';
            continue;
        }
        u[i] = hex[(x >> 32) & 15];
        k++;
    }
    u[14] = '4';
    u[19] = hex[8 + ((*rng >> 40) & 3)];
    for (i = 0; i < t->n_off; i++)
        memcpy(buf + t->off[i], u, 36);
    (void)k;
}

static void record(struct run *r, double lat, int ok)
{
    pthread_mutex_lock(&r->mu);
    if (ok)
        r->ok++;
    else
        r->bad++;
    if (r->n_lat < MAX_LAT)
        r->lat[r->n_lat++] = lat;
    pthread_mutex_unlock(&r->mu);
}

/* ---- HTTP client: one keep-alive connection, closed loop ---- */

static int connect_to(unsigned port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one response; returns its status or -1. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t have = 0, need = 0, hdr = 0;
    char *end, *cl;
    long clen;

    for (;;) {
        ssize_t r = read(fd, buf + have, cap - 1 - have);
        if (r <= 0)
            return -1;
        have += (size_t)r;
        buf[have] = '\0';
        if (!hdr) {
            end = strstr(buf, "\r\n\r\n");
            if (!end) {
                if (have >= cap - 1)
                    return -1;
                continue;
            }
            hdr = (size_t)(end - buf) + 4;
            cl = strcasestr(buf, "\r\nContent-Length:");
            clen = cl && cl < end ? strtol(cl + 17, NULL, 10) : 0;
            need = hdr + (size_t)clen;
            if (need >= cap)
                return -1;
        }
        if (have >= need)
            return (int)strtol(buf + 9, NULL, 10);
    }
}

static void *http_client(void *arg)
{
    struct run *r = arg;
    const struct tmpl *t = r->t;
    size_t hcap = 512, cap = hcap + t->len;
    char *req = kv_xmalloc(cap), resp[16384];
    uint64_t rng = ((uint64_t)(uintptr_t)&rng) ^ (uint64_t)(now_s() * 1e9) ^ 0x9e3779b97f4a7c15ull;
    int fd, k;
    char *body;
    int hl;

    pthread_mutex_lock(&r->mu);
    k = r->next_client++;
    pthread_mutex_unlock(&r->mu);
    fd = connect_to(r->n_ports > 0 ? r->ports[k % r->n_ports] : r->port);
    if (fd < 0) {
        fprintf(stderr, "send_bench: cannot connect\n");
        free(req);
        return NULL;
    }
    while (now_s() < r->until) {
        double t0;
        int st;

        if (r->quota >= 0) {
            long q;

            pthread_mutex_lock(&r->mu);
            q = r->quota > 0 ? r->quota-- : 0;
            pthread_mutex_unlock(&r->mu);
            if (q == 0)
                break;
        }

        /* Header with the uuid placeholder, then the body; the uuid appears in both. */
        hl = snprintf(req, hcap,
                      "POST /apis/v1/memos/?memo-message-uuid=" EX_UUID " HTTP/1.1\r\n"
                      "Host: 127.0.0.1\r\nAuthorization: %s\r\nContent-Type: application/xml\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      r->auth, t->len);
        if (hl < 0 || (size_t)hl >= hcap)
            break;
        body = req + hl;
        memcpy(body, t->buf, t->len);
        fresh_uuid(t, body, &rng);
        memcpy(req + 39, body + t->off[0], 36); /* the query parameter */
        t0 = now_s();
        if (write_all(fd, req, (size_t)hl + t->len) < 0)
            break;
        st = read_response(fd, resp, sizeof(resp));
        if (st < 0)
            break;
        record(r, now_s() - t0, st == 201);
        if (st != 201 && r->bad < 3)
            fprintf(stderr, "send_bench: status %d: %.300s\n", st, strstr(resp, "\r\n\r\n"));
    }
    close(fd);
    free(req);
    return NULL;
}

/* ---- in-process floor: prepare + writer, no HTTP ---- */

static void *floor_client(void *arg)
{
    struct run *r = arg;
    const struct tmpl *t = r->t;
    char *buf = kv_xmalloc(t->len + 1);
    uint64_t rng = ((uint64_t)(uintptr_t)&rng) ^ (uint64_t)(now_s() * 1e9) ^ 0x51ed270b27a1f3ull;

    memcpy(buf, t->buf, t->len + 1);
    while (now_s() < r->until) {
        struct kv_letter l, *lp = &l;
        struct kv_err err = {0};
        double t0 = now_s();
        int ok;

        fresh_uuid(t, buf, &rng);
        kv_letter_init(&l, buf, t->len);
        ok = kv_letter_prepare(&l, r->sys, NULL, NULL, &err) == 0 &&
             l.outcome == KV_LETTER_PENDING &&
             kv_letter_writer_run(r->w, &lp, 1, &err) == 0 && l.outcome == KV_LETTER_CREATED;
        record(r, now_s() - t0, ok);
        kv_letter_release(&l);
    }
    free(buf);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs n threads of fn for secs; returns letters/s and prints a line. */
static double measure(const char *label, struct run *r, void *(*fn)(void *), int n, double secs)
{
    pthread_t th[256];
    double t0, el, rate;
    int i;

    r->n_lat = 0;
    r->ok = r->bad = 0;
    r->next_client = 0;
    t0 = now_s();
    r->until = t0 + secs;
    for (i = 0; i < n; i++)
        pthread_create(&th[i], NULL, fn, r);
    for (i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    el = now_s() - t0;
    qsort(r->lat, r->n_lat, sizeof(double), cmp_d);
    rate = (double)r->ok / el;
    printf("%-9s %-14s %10.0f %9.2f %9.2f %8lu\n", r->t->name, label, rate,
           r->n_lat ? r->lat[r->n_lat / 2] * 1e3 : 0.0,
           r->n_lat ? r->lat[(size_t)((double)r->n_lat * 0.99)] * 1e3 : 0.0, r->bad);
    fflush(stdout);
    return rate;
}

/* ---- setup ---- */

static int setup_dir(const char *dir, const char *url, char **out_token,
                     struct kv_system *out_sys)
{
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_mailbox mb;
    struct kv_err err = {0};
    int rc;

    struct kv_org org;
    int fresh = 1;

    rc = kv_store_open_db(dir, url, &st, &err);
    if (rc == 0)
        rc = kv_db_acquire(st, &db, &err);
    /* a store prepared before (--data, or growth_bench's): keep what is there */
    if (rc == 0 && kv_org_get(db, "12345678", &org, &err) == 0)
        fresh = 0;
    if (rc == 0 && fresh)
        rc = kv_org_add(db, "12345678", "Kommunen", &err);
    /* Full 1.2 names 87654321 as Representative of 12345678: true once delegated to it */
    if (rc == 0 && kv_org_get(db, "87654321", &org, &err) == KV_ENOTFOUND) {
        rc = kv_org_add(db, "87654321", "Repræsentant Kommune", &err);
        if (rc == 0)
            rc = kv_delegation_add(db, "12345678", "87654321", NULL, &err);
    }
    memset(&sys, 0, sizeof(sys));
    snprintf(sys.org_cvr, sizeof(sys.org_cvr), "12345678");
    snprintf(sys.kind, sizeof(sys.kind), "sender");
    snprintf(sys.name, sizeof(sys.name), "bench %d", (int)getpid());
    if (rc == 0)
        rc = kv_system_add(db, &sys, out_token, &err);
    if (rc == 0)
        rc = kv_system_get(db, sys.id, out_sys, &err);
    if (rc == 0 && kv_mailbox_find(db, "CPR", "2211771212", &mb, &err) == KV_ENOTFOUND) {
        memset(&mb, 0, sizeof(mb));
        snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
        snprintf(mb.owner_id, sizeof(mb.owner_id), "2211771212");
        snprintf(mb.status, sizeof(mb.status), "REGISTERED");
        rc = kv_mailbox_add(db, &mb, &err);
    }
    if (rc < 0)
        fprintf(stderr, "send_bench: setup of %s failed: %s\n", dir, err.msg);
    if (db)
        kv_db_release(db);
    if (st)
        kv_store_close(st);
    return rc;
}

static pid_t start_server(const char *kuvert, const char *dir, const char *url,
                          unsigned *out_port)
{
    int p[2];
    pid_t pid;
    char line[256];
    FILE *f;
    char *colon;

    if (pipe(p) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        if (url)
            execl(kuvert, kuvert, "serve", "--data", dir, "--db", url, "--listen",
                  "127.0.0.1:0", "--set", "access_log=false", (char *)NULL);
        else
            execl(kuvert, kuvert, "serve", "--data", dir, "--listen", "127.0.0.1:0",
                  "--set", "access_log=false", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    f = fdopen(p[0], "r");
    if (!f || !fgets(line, sizeof(line), f) || !(colon = strrchr(line, ':'))) {
        fprintf(stderr, "send_bench: server did not start\n");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    *out_port = (unsigned)strtoul(colon + 1, NULL, 10);
    /* keep the pipe open (the server may write more); it is closed at exit */
    return pid;
}

/* Stops the first n servers start_server started (SIGTERM, then waits for each). */
static void stop_servers(const pid_t *pids, int n)
{
    int i;

    for (i = 0; i < n; i++)
        kill(pids[i], SIGTERM);
    for (i = 0; i < n; i++)
        waitpid(pids[i], NULL, 0);
}

/* Removes a data directory the bench created (its database files only). */
static void remove_dir(const char *dir)
{
    static const char *files[] = {"kuvert.db", "kuvert.db-wal", "kuvert.db-shm", "kuvert.db-gen"};
    char path[512];
    size_t i;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static double cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of process pid so far, from /proc/PID/stat; with reaped, also
 * those of its children that have ended and been waited for (cutime + cstime); 0 if
 * unreadable. */
static double proc_cpu_x(pid_t pid, int reaped)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, stt = 0;
    long cut = 0, cst = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* comm may hold spaces; fields 14 to 17 follow it */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld", &ut,
                     &stt, &cut, &cst) != 4)
        return 0;
    if (!reaped)
        cut = cst = 0;
    return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK) +
           (double)(cut + cst) / (double)sysconf(_SC_CLK_TCK);
}

static double proc_cpu_s(pid_t pid)
{
    return proc_cpu_x(pid, 0);
}

/* Parent pid of process pid (field 4 of /proc/PID/stat), or -1. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[1024], *p;
    int ppid = -1;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

/* CPU seconds of the PostgreSQL cluster whose postmaster is master: it, its children
 * (backends, checkpointer, WAL writer, autovacuum workers) and the children that have ended
 * (the postmaster's cutime: a backend or autovacuum worker that ends during a case moves its
 * CPU time there, so the sum neither loses it nor goes backwards). */
static double postgres_cpu_s(pid_t master)
{
    DIR *d;
    struct dirent *e;
    double sum = 0;

    if (master <= 0 || !(d = opendir("/proc")))
        return 0;
    while ((e = readdir(d)) != NULL) {
        pid_t pid;

        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        pid = (pid_t)strtol(e->d_name, NULL, 10);
        if (pid == master)
            sum += proc_cpu_x(pid, 1);
        else if (parent_of(pid) == master)
            sum += proc_cpu_s(pid);
    }
    closedir(d);
    return sum;
}

/* --profile: N letters, prepared one by one, stored B per group commit. Prints wall time and
 * process CPU time (user + system, all threads) per letter of each half; the CPU time is the
 * steadier figure on a shared machine. */
/* Copies file from dir to dest/file (--wal-copy). */
static int copy_file(const char *dir, const char *dest, const char *file)
{
    char from[512], to[512], buf[65536];
    FILE *in, *out;
    size_t k;
    int rc = 0;

    snprintf(from, sizeof(from), "%s/%s", dir, file);
    snprintf(to, sizeof(to), "%s/%s", dest, file);
    in = fopen(from, "rb");
    if (!in)
        return -1;
    out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    while ((k = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, k, out) != k)
            rc = -1;
    if (ferror(in))
        rc = -1;
    fclose(in);
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}

static int profile(const struct tmpl *t, long n, int batch, const char *wal_copy)
{
    char dir[] = "/tmp/kuvert-bench-prof-XXXXXX";
    char *token = NULL, **bufs;
    struct kv_letter *ls, **lp;
    struct kv_letter_writer *w = NULL;
    struct kv_store *st = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    uint64_t rng = 0x243f6a8885a308d3ull;
    double tp = 0, tw = 0, cp = 0, cw = 0, t0, c0;
    long done = 0, bad = 0;
    int i, rc;

    if (batch < 1 || batch > 4096)
        batch = 128;
    if (!mkdtemp(dir) || setup_dir(dir, NULL, &token, &sys) < 0)
        return 2;
    rc = kv_store_open(dir, &st, &err);
    if (rc == 0)
        rc = kv_letter_writer_new(st, NULL, &w, &err);
    if (rc < 0) {
        fprintf(stderr, "send_bench: %s\n", err.msg);
        return 2;
    }
    bufs = kv_xcalloc((size_t)batch, sizeof(*bufs));
    ls = kv_xcalloc((size_t)batch, sizeof(*ls));
    lp = kv_xcalloc((size_t)batch, sizeof(*lp));
    for (i = 0; i < batch; i++) {
        bufs[i] = kv_xmalloc(t->len + 1);
        memcpy(bufs[i], t->buf, t->len + 1);
    }
    while (done < n) {
        int k = n - done < batch ? (int)(n - done) : batch;

        t0 = now_s();
        c0 = cpu_s();
        for (i = 0; i < k; i++) {
            fresh_uuid(t, bufs[i], &rng);
            kv_letter_init(&ls[i], bufs[i], t->len);
            lp[i] = &ls[i];
            if (kv_letter_prepare(&ls[i], &sys, NULL, NULL, &err) < 0 ||
                ls[i].outcome != KV_LETTER_PENDING)
                bad++;
        }
        tp += now_s() - t0;
        cp += cpu_s() - c0;
        t0 = now_s();
        c0 = cpu_s();
        if (kv_letter_writer_run(w, lp, (size_t)k, &err) < 0)
            bad += k;
        tw += now_s() - t0;
        cw += cpu_s() - c0;
        for (i = 0; i < k; i++) {
            if (ls[i].outcome != KV_LETTER_CREATED)
                bad++;
            kv_letter_release(&ls[i]);
        }
        done += k;
    }
    printf("%-9s profile: %ld letters, %d per commit: prepare %.1f us/letter (CPU %.1f), "
           "store %.1f us/letter (CPU %.1f), %ld errors\n",
           t->name, n, batch, 1e6 * tp / (double)n, 1e6 * cp / (double)n, 1e6 * tw / (double)n,
           1e6 * cw / (double)n, bad);
    if (wal_copy && (copy_file(dir, wal_copy, "kuvert.db") < 0 ||
                     copy_file(dir, wal_copy, "kuvert.db-wal") < 0)) {
        fprintf(stderr, "send_bench: --wal-copy %s failed\n", wal_copy);
        bad++;
    }
    kv_letter_writer_stop(w);
    kv_store_close(st);
    for (i = 0; i < batch; i++)
        free(bufs[i]);
    free(bufs);
    free(ls);
    free(lp);
    free(token);
    remove_dir(dir);
    return bad ? 1 : 0;
}

/* ---- --cpu: server CPU per accepted letter against the floors (issue 15) ---- */

/* utime and stime of pid in seconds, from /proc/PID/stat (fields 14 and 15). */
static int proc_cpu(pid_t pid, double *user, double *sys)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    long tck = sysconf(_SC_CLK_TCK);
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    *user = (double)ut / (double)(tck > 0 ? tck : 100);
    *sys = (double)st / (double)(tck > 0 ? tck : 100);
    return 0;
}

/* Sends n letters of t over c connections to port; *ok gets the 201s. Server CPU of pid
 * (user, sys) over the run into *u and *s. */
static int cpu_run(struct run *r, const struct tmpl *t, unsigned port, const char *auth, long n,
                   int c, pid_t pid, double *u, double *sy, unsigned long *ok)
{
    double u0, s0, u1, s1;

    r->t = t;
    r->port = port;
    r->auth = auth;
    r->quota = n;
    if (proc_cpu(pid, &u0, &s0) < 0)
        return -1;
    measure("cpu", r, http_client, c, 600.0);
    if (proc_cpu(pid, &u1, &s1) < 0)
        return -1;
    r->quota = -1;
    *u = u1 - u0;
    *sy = s1 - s0;
    *ok = r->ok;
    return r->ok > 0 ? 0 : -1;
}

/* The server's named threads (kuvert-writer, kuvert-sched, ...: pthread_setname_np in the hub)
 * for a per-thread split of the counted run: CPU time from /proc/PID/task/TID/schedstat (ns),
 * user and system from its stat (ticks), minor faults. Threads are matched by tid, so only
 * those alive across the run (the hub's own, not a connection's) are counted. */
#define MAX_TASKS 512
#define WARM_ROUNDS 80    /* cpu_warm: rounds of n/10 letters at most */
#define WARM_FAULTS 0.05  /* cpu_warm: the writer's minor faults per letter that count as settled */

struct task_cpu {
    int tid;
    char comm[20];
    unsigned long long run_ns;
    unsigned long ut, st, minflt;
};

static int task_snapshot(pid_t pid, struct task_cpu *out, int max)
{
    char path[128], buf[1024], *p, *q;
    struct dirent *de;
    DIR *d;
    FILE *f;
    int n = 0;
    size_t len;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if (!(d = opendir(path)))
        return 0;
    while ((de = readdir(d)) && n < max) {
        struct task_cpu *t = &out[n];

        if (de->d_name[0] == '.')
            continue;
        memset(t, 0, sizeof(*t));
        t->tid = atoi(de->d_name);
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, t->tid);
        if (!(f = fopen(path, "r")))
            continue;
        len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = '\0';
        p = strchr(buf, '(');
        q = strrchr(buf, ')');
        if (!p || !q || q - p - 1 >= (long)sizeof(t->comm))
            continue;
        memcpy(t->comm, p + 1, (size_t)(q - p - 1));
        if (sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %lu %*u %*u %*u %lu %lu", &t->minflt,
                   &t->ut, &t->st) != 3)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, t->tid);
        if ((f = fopen(path, "r"))) {
            if (fscanf(f, "%llu", &t->run_ns) != 1)
                t->run_ns = 0;
            fclose(f);
        }
        n++;
    }
    closedir(d);
    return n;
}

/* Prints, per letter, the CPU time and minor faults of each named thread ("kuvert-...")
 * alive in both snapshots a and b: a "thread kuvert-writer ..." line per thread. */
static void task_report(const char *name, const struct task_cpu *a, int na,
                        const struct task_cpu *b, int nb, unsigned long letters)
{
    long tck = sysconf(_SC_CLK_TCK);
    double per = letters ? 1e6 / (double)letters : 0;
    int i, j;

    if (tck <= 0)
        tck = 100;
    for (j = 0; j < nb; j++) {
        if (strncmp(b[j].comm, "kuvert-", 7) != 0)
            continue;
        for (i = 0; i < na && a[i].tid != b[j].tid; i++)
            ;
        if (i == na)
            continue;
        printf("%-9s thread %-14s %.1f us/letter (user %.1f, sys %.1f), %.3f minor faults/letter\n",
               name, b[j].comm, per * (double)(b[j].run_ns - a[i].run_ns) / 1e9,
               per * (double)(b[j].ut - a[i].ut) / (double)tck,
               per * (double)(b[j].st - a[i].st) / (double)tck,
               letters ? (double)(b[j].minflt - a[i].minflt) / (double)letters : 0.0);
    }
}

/* Minor page faults per letter of the kuvert-writer thread between snapshots a and b of a run
 * of `letters`; -1 when the thread is not found (a server from before the threads were named). */
static double writer_faults(const struct task_cpu *a, int na, const struct task_cpu *b, int nb,
                            unsigned long letters)
{
    int i, j;

    for (j = 0; j < nb; j++) {
        if (strcmp(b[j].comm, "kuvert-writer") != 0)
            continue;
        for (i = 0; i < na && a[i].tid != b[j].tid; i++)
            ;
        if (i == na || letters == 0)
            return -1;
        return (double)(b[j].minflt - a[i].minflt) / (double)letters;
    }
    return -1;
}

/* Size of DIR/kuvert.db-wal in bytes, -1 when absent. */
static long long wal_bytes(const char *dir)
{
    char path[256];
    struct stat sb;

    snprintf(path, sizeof(path), "%s/kuvert.db-wal", dir);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* The warm-up before a counted kuvert run: connections, page cache, prepared statements, and
 * the WAL file at its working size. A fresh store's WAL grows during its first seconds of
 * load (the scheduler checkpoints it once a second; SQLite then writes it again from the
 * start and never shrinks it, kuvert sets no journal_size_limit), and each new block of the
 * file costs the filesystem an allocation and zeroing that a running server paid once, long
 * ago. Likewise the writer's 64 MiB page cache (and the heap under it), which fills with the
 * server's first ~16,000 Minimum letters at ~1.3 page faults per letter and then takes none
 * (docs/send-api.md, "Cuts of session 12"): a running server paid that once too. Rounds of
 * n/10 letters until the WAL has not grown for three rounds in a row and the kuvert-writer
 * thread took fewer than WARM_FAULTS minor faults per letter in three rounds in a row (the
 * fill pauses now and then: one quiet round in the middle of it happens), at most
 * WARM_ROUNDS rounds. The letters and the WAL size into *letters and *wal, and into *how
 * WARM_SETTLED, WARM_CAPPED (the rounds ran out first) or WARM_NO_WRITER (no kuvert-writer
 * thread to watch: the WAL alone decided); the counted run's line per thread (task_report)
 * shows the writer's faults per letter that remained. */
enum { WARM_SETTLED, WARM_CAPPED, WARM_NO_WRITER };

static int cpu_warm(struct run *r, const struct tmpl *t, unsigned port, const char *auth, long n,
                    int c, pid_t pid, const char *dir, long *letters, long long *wal, int *how)
{
    static struct task_cpu before[MAX_TASKS], after[MAX_TASKS];
    long long prev = -1, now;
    double u, s;
    unsigned long ok;
    int round, still = 0, settled = 0, watched = 1, nb, na;
    double f;

    *letters = 0;
    for (round = 0; round < WARM_ROUNDS && (still < 3 || settled < 3); round++) {
        nb = task_snapshot(pid, before, MAX_TASKS);
        if (cpu_run(r, t, port, auth, n / 10 > 0 ? n / 10 : 1, c, pid, &u, &s, &ok) < 0)
            return -1;
        na = task_snapshot(pid, after, MAX_TASKS);
        *letters += (long)ok;
        now = wal_bytes(dir);
        still = now == prev ? still + 1 : 0;
        prev = now;
        f = writer_faults(before, nb, after, na, ok);
        watched = f >= 0;
        settled = f < WARM_FAULTS ? settled + 1 : 0;
    }
    *wal = prev;
    *how = still < 3 || settled < 3 ? WARM_CAPPED : watched ? WARM_SETTLED : WARM_NO_WRITER;
    return 0;
}

/* Floor 1: parse + XSD + one insert per letter into a plain SQLite table, one commit per
 * batch letters. Returns process CPU seconds per letter (one thread). */
static double floor_xml_sqlite(const struct tmpl *t, long n, int batch)
{
    char dir[] = "/tmp/kuvert-bench-floor1-XXXXXX", path[128];
    char *buf = kv_xmalloc(t->len + 1);
    uint64_t rng = 0x13198a2e03707344ull;
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    double c0, c1;
    long i;

    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/floor.db", dir);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "CREATE TABLE letters(uuid TEXT PRIMARY KEY, body BLOB NOT NULL)",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO letters(uuid, body) VALUES (?, ?)", -1, &ins,
                           NULL) != SQLITE_OK) {
        fprintf(stderr, "send_bench: floor database: %s\n", db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        free(buf);
        return -1;
    }
    memcpy(buf, t->buf, t->len + 1);
    c0 = cpu_s();
    for (i = 0; i < n; i++) {
        struct kv_memo_diags d;
        struct kv_memo_doc *doc = NULL;
        struct kv_err err = {0};

        fresh_uuid(t, buf, &rng);
        kv_memo_diags_init(&d);
        if (kv_memo_check(buf, t->len, KV_MEMO_LEVEL_XSD, NULL, &d, &doc, &err) < 0 ||
            d.n_errors)
            fprintf(stderr, "send_bench: floor letter invalid\n");
        kv_memo_doc_free(doc);
        kv_memo_diags_release(&d);
        if (i % batch == 0)
            sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        sqlite3_bind_text(ins, 1, buf + t->off[0], 36, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 2, buf, (int)t->len, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            fprintf(stderr, "send_bench: floor insert: %s\n", sqlite3_errmsg(db));
        sqlite3_reset(ins);
        if (i % batch == batch - 1 || i == n - 1)
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    c1 = cpu_s();
    sqlite3_finalize(ins);
    sqlite3_close(db);
    free(buf);
    unlink(path);
    snprintf(path, sizeof(path), "%s/floor.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/floor.db-shm", dir);
    unlink(path);
    rmdir(dir);
    return (c1 - c0) / (double)n;
}

/* Floor 2: a bare libmicrohttpd server (thread per connection) that takes the whole body and
 * answers 201 with a fixed receipt-sized body. */
struct bare_req {
    size_t got; /* body bytes read */
};

static enum MHD_Result bare_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version,
                                    const char *upload, size_t *upload_size, void **con_cls)
{
    static const char body[] =
        "{\"transmissionId\":\"00000000-0000-4000-8000-000000000000\",\"receiptStatus\":"
        "\"RECEIVED\"}";
    struct bare_req *q = *con_cls;
    struct MHD_Response *resp;
    enum MHD_Result ret;

    (void)cls, (void)url, (void)method, (void)version, (void)upload;
    if (!q) {
        *con_cls = kv_xcalloc(1, sizeof(*q));
        return MHD_YES;
    }
    if (*upload_size) {
        q->got += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
                                           MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, 201, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void bare_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

/* Forks the bare server; its port into *port. The child runs until killed. */
static pid_t start_bare(unsigned *port)
{
    int p[2];
    pid_t pid;

    if (pipe(p) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        struct MHD_Daemon *d;
        const union MHD_DaemonInfo *info;
        unsigned pt = 0;

        close(p[0]);
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                 MHD_USE_POLL,
                             0, NULL, NULL, bare_handler, NULL, MHD_OPTION_NOTIFY_COMPLETED,
                             bare_done, NULL, MHD_OPTION_END);
        info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
        pt = info ? info->port : 0;
        if (write(p[1], &pt, sizeof(pt)) != (ssize_t)sizeof(pt) || !pt)
            _exit(1);
        for (;;)
            pause();
    }
    close(p[1]);
    if (read(p[0], port, sizeof(*port)) != (ssize_t)sizeof(*port) || !*port) {
        close(p[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    close(p[0]);
    return pid;
}

/* --cpu measures in CPU_ROUNDS rounds and prints the round of the median ratio as its result.
 * One round of each on this shared machine moved the ratio by up to +-0.4: floor 1 alone
 * measured 23 to 39 us for the same letter within minutes. */
#define CPU_ROUNDS 3

struct cpu_round {
    double ku, ks, bu, bs, f1;     /* kuvert's and the bare server's CPU s; floor 1 s/letter */
    unsigned long kok, bok;        /* letters each answered */
    double k_us, b_us, f_us, ratio;
    int ta_n, tb_n;                /* the named threads' snapshots around kuvert's run */
};

static int by_ratio(const void *a, const void *b, void *arg)
{
    const struct cpu_round *rd = arg;
    double x = rd[*(const int *)a].ratio, y = rd[*(const int *)b].ratio;

    return x < y ? -1 : x > y;
}

/* One "cpu/letter:" line (label NULL: the result) or a "round K/N:" line. */
static void print_round(const char *name, const char *label, int k, const struct cpu_round *x)
{
    if (label)
        printf("%-9s %s %d/%d: ", name, label, k, CPU_ROUNDS);
    else
        printf("%-9s cpu/letter: ", name);
    printf("kuvert %.0f us (user %.0f, sys %.0f) | floor parse+XSD+insert %.0f us | floor bare "
           "MHD 201 %.0f us (user %.0f, sys %.0f) | ratio %.2fx%s\n",
           x->k_us, 1e6 * x->ku / (double)x->kok, 1e6 * x->ks / (double)x->kok, x->f_us, x->b_us,
           1e6 * x->bu / (double)x->bok, 1e6 * x->bs / (double)x->bok, x->ratio,
           label ? "" : " (the median round)");
}

static int cpu_mode(const char *kuvert, struct tmpl *t, long n, int c, const char *only)
{
    char dir[] = "/tmp/kuvert-bench-cpu-XXXXXX";
    char *token = NULL, auth[256];
    struct kv_system sys;
    struct run r;
    unsigned kport = 0, bport = 0;
    pid_t kpid, bpid;
    static struct task_cpu ta[CPU_ROUNDS][MAX_TASKS], tb[CPU_ROUNDS][MAX_TASKS]; /* per round */
    int i, rc = 0;

    memset(&r, 0, sizeof(r));
    pthread_mutex_init(&r.mu, NULL);
    r.lat = kv_xmalloc(MAX_LAT * sizeof(double));
    r.quota = -1;
    if (!mkdtemp(dir) || setup_dir(dir, NULL, &token, &sys) < 0)
        return 2;
    snprintf(auth, sizeof(auth), "Basic %s", token);
    kpid = start_server(kuvert, dir, NULL, &kport);
    bpid = kpid < 0 ? -1 : start_bare(&bport);
    if (kpid < 0 || bpid < 0) { /* the one that started is stopped: no child outlives the bench */
        if (kpid > 0) {
            kill(kpid, SIGKILL);
            waitpid(kpid, NULL, 0);
        }
        free(r.lat);
        free(token);
        remove_dir(dir);
        return 2;
    }
    printf("send_bench --cpu: %ld letters per case over %d keep-alive connections, durable 201 "
           "(SQLite)\n", n, c);
    printf("%-9s %-14s %10s %9s %9s %8s\n", "letter", "path", "letters/s", "p50 ms", "p99 ms",
           "errors");
    for (i = 0; i < 2; i++) {
        struct cpu_round rd[CPU_ROUNDS];
        int k, med = 0, how = WARM_SETTLED, order[CPU_ROUNDS];
        long warm = 0;
        long long wal = -1;
        unsigned long bok;
        double bu, bs;

        if (only && strcmp(only, i == 0 ? "full" : "min") != 0)
            continue;
        /* warm-ups (cpu_warm; the bare server: connections), not counted */
        if (cpu_warm(&r, &t[i], kport, auth, n, c, kpid, dir, &warm, &wal, &how) < 0 ||
            cpu_run(&r, &t[i], bport, auth, n / 10, c, bpid, &bu, &bs, &bok) < 0) {
            fprintf(stderr, "send_bench: a --cpu case failed\n");
            rc = 1;
            break;
        }
        /* CPU_ROUNDS rounds, each kuvert, the bare server and floor 1 one after the other, so
         * that a change of this shared machine's speed meets all three of a round alike */
        for (k = 0; k < CPU_ROUNDS; k++) {
            struct cpu_round *x = &rd[k];

            if ((x->ta_n = task_snapshot(kpid, ta[k], MAX_TASKS)) < 0 ||
                cpu_run(&r, &t[i], kport, auth, n, c, kpid, &x->ku, &x->ks, &x->kok) < 0 ||
                (x->tb_n = task_snapshot(kpid, tb[k], MAX_TASKS)) < 0 ||
                cpu_run(&r, &t[i], bport, auth, 5 * n, c, bpid, &x->bu, &x->bs, &x->bok) < 0)
                break;
            x->f1 = floor_xml_sqlite(&t[i], n, c);
            x->k_us = 1e6 * (x->ku + x->ks) / (double)x->kok;
            x->b_us = 1e6 * (x->bu + x->bs) / (double)x->bok;
            x->f_us = 1e6 * x->f1;
            x->ratio = x->f_us + x->b_us > 0 ? x->k_us / (x->f_us + x->b_us) : 0.0;
            order[k] = k;
        }
        if (k < CPU_ROUNDS) {
            fprintf(stderr, "send_bench: a --cpu case failed\n");
            rc = 1;
            break;
        }
        qsort_r(order, CPU_ROUNDS, sizeof(order[0]), by_ratio, rd);
        med = order[CPU_ROUNDS / 2];
        printf("%-9s warm-up: %ld letters %s (WAL %.1f MB)\n", t[i].name, warm,
               how == WARM_SETTLED ? "until kuvert's WAL stopped growing and its writer's "
                                     "page cache filled"
               : how == WARM_NO_WRITER
                   ? "until kuvert's WAL stopped growing (no kuvert-writer thread: its page "
                     "cache not watched)"
                   : "and the rounds ran out before kuvert's WAL or its writer's page cache "
                     "settled",
               wal >= 0 ? (double)wal / 1048576.0 : 0.0);
        for (k = 0; k < CPU_ROUNDS; k++)
            print_round(t[i].name, "round", k + 1, &rd[k]);
        /* the round of the median ratio, in the line make bench has always printed */
        print_round(t[i].name, NULL, 0, &rd[med]);
        task_report(t[i].name, ta[med], rd[med].ta_n, tb[med], rd[med].tb_n, rd[med].kok);
        fflush(stdout);
    }
    kill(kpid, SIGTERM);
    waitpid(kpid, NULL, 0);
    kill(bpid, SIGKILL);
    waitpid(bpid, NULL, 0);
    free(r.lat);
    free(token);
    remove_dir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    const char *kuvert = "build/release/kuvert";
    double secs = 3;
    int clients[8] = {16}, n_clients = 1, c, i, rc;
    struct tmpl t[2];
    struct run r;
    char dir_http[256] = "/tmp/kuvert-bench-http-XXXXXX";
    const char *data = NULL; /* --data: an existing data directory, kept */
    char dir_floor[] = "/tmp/kuvert-bench-floor-XXXXXX";
    char *token = NULL, *token2 = NULL, auth[256];
    struct kv_system sys, sys2;
    struct kv_store *st = NULL;
    struct kv_err err = {0};
    unsigned port = 0;
    pid_t pid;
    const char *prof = NULL, *wal_copy = NULL;
    long prof_n = 2000;
    int prof_batch = 128, cpu = 0;
    const char *url = NULL; /* --db: PostgreSQL, no floor */
    int nodes = 1, nd;
    pid_t pids[8], pg_master = 0;
    char node_dirs[8][40];

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kuvert") == 0 && i + 1 < argc)
            kuvert = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            secs = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc) {
            char *p = argv[++i], *end;

            for (n_clients = 0; n_clients < 8 && *p; p = *end == ',' ? end + 1 : end) {
                long v = strtol(p, &end, 10);

                if (end == p)
                    break;
                clients[n_clients++] = v >= 1 && v <= 256 ? (int)v : 16;
            }
            if (n_clients == 0)
                clients[n_clients++] = 16;
        }
        else if (strcmp(argv[i], "--cpu") == 0)
            cpu = 1;
        else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
            prof = argv[++i];
        else if (strcmp(argv[i], "--letters") == 0 && i + 1 < argc)
            prof_n = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            prof_batch = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--wal-copy") == 0 && i + 1 < argc)
            wal_copy = argv[++i];
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            url = argv[++i];
        else if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
            nodes = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--pg-pid") == 0 && i + 1 < argc)
            pg_master = (pid_t)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
    }
    if (nodes < 1 || nodes > 8 || (nodes > 1 && !url)) {
        fprintf(stderr, "send_bench: --nodes is 1..8 and needs --db\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (load(EX "Full_Example__memo-1.2.xml", "Full 1.2", &t[0]) < 0 ||
        load(EX "Minimum_Example__memo-1.2.xml", "Min 1.2", &t[1]) < 0) {
        fprintf(stderr, "send_bench: run from the repository root (examples not found)\n");
        return 2;
    }
    if (cpu) {
        if (kv_memo_global_init(&err) < 0 || prof_n < 1 || prof_n > 10000000)
            return 2;
        rc = cpu_mode(kuvert, t, prof_n == 2000 ? 4000 : prof_n,
                      n_clients == 1 && clients[0] == 16 ? 32 : clients[0], prof);
        free(t[0].buf);
        free(t[1].buf);
        return rc;
    }
    if (prof) {
        if (kv_memo_global_init(&err) < 0 || prof_n < 1)
            return 2;
        rc = profile(strcmp(prof, "min") == 0 ? &t[1] : &t[0], prof_n, prof_batch, wal_copy);
        free(t[0].buf);
        free(t[1].buf);
        return rc;
    }
    if (data && strlen(data) < sizeof(dir_http))
        snprintf(dir_http, sizeof(dir_http), "%s", data);
    else if (data) {
        fprintf(stderr, "send_bench: --data path too long\n");
        return 2;
    }
    if (kv_memo_global_init(&err) < 0 || (!data && !mkdtemp(dir_http)) ||
        setup_dir(dir_http, url, &token, &sys) < 0)
        return 2;
    if (!url && (!mkdtemp(dir_floor) || setup_dir(dir_floor, NULL, &token2, &sys2) < 0))
        return 2;
    snprintf(auth, sizeof(auth), "Basic %s", token);
    memset(&r, 0, sizeof(r));
    for (nd = 0; nd < nodes; nd++) {
        snprintf(node_dirs[nd], sizeof(node_dirs[nd]), "/tmp/kuvert-bench-node-XXXXXX");
        if (nd > 0 && !mkdtemp(node_dirs[nd]))
            return 2;
        pids[nd] = start_server(kuvert, nd == 0 ? dir_http : node_dirs[nd], url,
                                &r.ports[nd]);
        if (pids[nd] < 0) { /* the nodes that started are stopped: none outlives the bench */
            stop_servers(pids, nd);
            return 2;
        }
    }
    r.n_ports = nodes;
    pid = pids[0];
    port = r.ports[0];
    if (!url) {
        rc = kv_store_open(dir_floor, &st, &err);
        if (rc == 0)
            rc = kv_letter_writer_new(st, NULL, &r.w, &err);
        if (rc < 0) {
            fprintf(stderr, "send_bench: %s\n", err.msg);
            stop_servers(pids, nodes);
            return 2;
        }
    }
    pthread_mutex_init(&r.mu, NULL);
    r.lat = kv_xmalloc(MAX_LAT * sizeof(double));
    r.quota = -1;
    r.port = port;
    r.auth = auth;
    r.sys = &sys2;

    for (c = 0; c < n_clients; c++) {
        printf("send_bench: %s, %d node%s, %d clients, %.1f s per case, durable "
               "acknowledgement (%s)\n",
               url ? "PostgreSQL" : "SQLite", nodes, nodes == 1 ? "" : "s", clients[c], secs,
               url ? "synchronous_commit=on, group commit" : "synchronous=FULL, group commit");
        printf("%-9s %-14s %10s %9s %9s %8s\n", "letter", "path", "letters/s", "p50 ms",
               "p99 ms", "errors");
        for (i = 0; i < 2; i++) {
            double http, fl, k0 = 0, k1 = 0, p0, p1;
            unsigned long long b0, l0, b1, l1;
            unsigned long ok;

            r.t = &t[i];
            for (nd = 0; nd < nodes; nd++)
                k0 += proc_cpu_s(pids[nd]);
            p0 = postgres_cpu_s(pg_master);
            http = measure("HTTP", &r, http_client, clients[c], secs);
            ok = r.ok;
            for (nd = 0; nd < nodes; nd++)
                k1 += proc_cpu_s(pids[nd]);
            p1 = postgres_cpu_s(pg_master);
            if (ok > 0)
                printf("%-9s %-14s kuvert %.0f us/letter%s", t[i].name, "CPU",
                       1e6 * (k1 - k0) / (double)ok, url ? "" : "\n");
            if (ok > 0 && url)
                printf(", postgres %.0f us/letter, together %.0f us/letter\n",
                       1e6 * (p1 - p0) / (double)ok, 1e6 * (k1 - k0 + p1 - p0) / (double)ok);
            if (url)
                continue; /* the in-process floor is SQLite's */
            kv_letter_writer_stats(r.w, &b0, &l0);
            fl = measure("floor", &r, floor_client, clients[c], secs);
            kv_letter_writer_stats(r.w, &b1, &l1);
            printf("%-9s %-14s %9.1f%%   (floor: %.1f letters per commit)\n", t[i].name,
                   "HTTP/floor", fl > 0 ? 100.0 * http / fl : 0.0,
                   b1 > b0 ? (double)(l1 - l0) / (double)(b1 - b0) : 0.0);
        }
    }
    for (nd = 1; nd < nodes; nd++) {
        kill(pids[nd], SIGTERM);
        waitpid(pids[nd], NULL, 0);
        rmdir(node_dirs[nd]);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (r.w)
        kv_letter_writer_stop(r.w);
    if (st)
        kv_store_close(st);
    free(r.lat);
    free(token);
    free(token2);
    free(t[0].buf);
    free(t[1].buf);
    if (!data)
        remove_dir(dir_http);
    if (!url)
        remove_dir(dir_floor);
    return 0;
}

/* SPDX-License-Identifier: MIT
 *
 * push_bench.c: throughput of REST push to recipient systems (NOT a test; it prints figures
 * and asserts nothing). A temporary data directory gets N letters (the official Minimum MeMo
 * 1.2 example with a fresh messageUUID each, or the Full one with --full), inserted straight
 * into the store and routed with kv_recipient_route to K push systems of one authority (one
 * contact point per system). An in-process libmicrohttpd receiver on 127.0.0.1 answers every
 * POST with 200 at once and counts the requests that carry the multipart part `file`. Then
 * kv_recipient_push_drain (what the scheduler hook runs) is called until nothing is due, and
 * the time to drain is printed as letters/s, with the batches committed and what the receiver
 * saw. Each --parallel value is a separate run on a fresh directory.
 *
 *   push_bench [--letters N] [--systems K] [--parallel P[,P...]] [--full]
 *
 * Run from the repository root (bench/run.sh does); the examples are read by relative path.
 * Temporary directories go under /tmp and are removed at the end.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "hub/contact_points.h"
#include "hub/directory.h"
#include "hub/recipient_push.h"
#include "hub/recipient_queue.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#include "queue_letters.h"

#define MAX_SYS 64
#define MAX_CASES 8


/* ---- receiver ---- */

/* What the receiver saw. */
struct rx {
    atomic_ulong files;  /* POSTs with a multipart part named "file" */
    atomic_ulong others; /* anything else */
    atomic_ullong bytes; /* request body bytes */
};

/* Per-request state. */
struct rx_req {
    int seen;      /* 1 after the first call */
    int has_file;  /* the body names part "file" */
    uint64_t bytes; /* body bytes */
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct rx *rx = cls;
    struct rx_req *r = *con_cls;
    struct MHD_Response *resp;
    enum MHD_Result ret;

    (void)url;
    (void)version;
    if (!r) {
        r = kv_xcalloc(1, sizeof(*r));
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->has_file && memmem(upload_data, *upload_size, "name=\"file\"", 11))
            r->has_file = 1;
        r->bytes += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") == 0 && r->has_file)
        atomic_fetch_add(&rx->files, 1);
    else
        atomic_fetch_add(&rx->others, 1);
    atomic_fetch_add(&rx->bytes, r->bytes);
    resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
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

/* ---- letters ---- */




/* Organisations, the sender system and k push systems (each with a contact point) whose
 * push URL is the receiver; letter i goes to point i % k. */
static int setup(struct kv_db *db, unsigned port, int k, char sender[37], char points[][37],
                 struct kv_err *err)
{
    struct kv_system s;
    char *tok = NULL;
    int rc, i;

    rc = kv_org_add(db, SENDER, "Styrelsen", err);
    if (rc == 0)
        rc = kv_org_add(db, AUTH, "Kommunen", err);
    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", SENDER);
    snprintf(s.kind, sizeof(s.kind), "sender");
    snprintf(s.name, sizeof(s.name), "bench sender");
    if (rc == 0)
        rc = kv_system_add(db, &s, &tok, err);
    free(tok);
    tok = NULL;
    snprintf(sender, 37, "%s", s.id);
    for (i = 0; rc == 0 && i < k; i++) {
        json_t *in, *out = NULL, *fes = NULL;

        memset(&s, 0, sizeof(s));
        snprintf(s.org_cvr, sizeof(s.org_cvr), "%s", AUTH);
        snprintf(s.kind, sizeof(s.kind), "recipient");
        snprintf(s.name, sizeof(s.name), "bench push %d", i);
        s.protocol = KV_PROTOCOL_PUSH;
        snprintf(s.push_url, sizeof(s.push_url), "http://127.0.0.1:%u/inbox/%d", port, i);
        s.is_default = i == 0;
        rc = kv_system_add(db, &s, &tok, err);
        free(tok);
        tok = NULL;
        if (rc < 0)
            break;
        in = json_pack("{s:s,s:s}", "name", "Bench", "systemId", s.id);
        rc = kv_contact_point_create(db, AUTH, NULL, in, &out, &fes, err);
        if (rc == 0)
            snprintf(points[i], 37, "%s", json_string_value(json_object_get(out, "id")));
        json_decref(in);
        json_decref(out);
        json_decref(fes);
    }
    return rc;
}

/* Inserts n letters (t with a fresh uuid each) and routes them, in transactions of 10,000. */


/* One measured run: fresh directory, n letters, drain with `parallel`. */
static int run_case(unsigned port, struct rx *rx, const struct tmpl *t, int64_t n, int k,
                    int parallel)
{
    char dir[] = "/tmp/kuvert-push-bench-XXXXXX", sender[37], points[MAX_SYS][37];
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    struct kv_recipient_push_opts o;
    struct kv_recipient_push_stats ps, total;
    unsigned long files0 = atomic_load(&rx->files), others0 = atomic_load(&rx->others);
    double t0, t1, ti;
    int rc, drains = 0;

    if (!mkdtemp(dir)) {
        perror("push_bench: mkdtemp");
        return 1;
    }
    rc = kv_store_open(dir, &st, &err);
    if (rc == 0)
        rc = kv_db_acquire(st, &db, &err);
    if (rc == 0)
        rc = setup(db, port, k, sender, points, &err);
    ti = bench_now_s();
    if (rc == 0)
        rc = bench_insert_letters(db, sender, points, k, n, t,
                                  (uint64_t)time(NULL) ^ (uint64_t)parallel, &err);
    ti = bench_now_s() - ti;
    if (db)
        kv_db_release(db);
    if (rc < 0) {
        fprintf(stderr, "push_bench: setup failed: %s\n", err.msg);
        goto out;
    }
    memset(&o, 0, sizeof(o));
    o.parallel = parallel;
    o.total_timeout_ms = 30000;
    o.budget_ms = 2000; /* as the scheduler hook: several drains for a big queue */
    memset(&total, 0, sizeof(total));
    t0 = bench_now_s();
    do {
        rc = kv_recipient_push_drain(st, &o, &ps, &err);
        total.delivered += ps.delivered;
        total.failed += ps.failed;
        total.batches += ps.batches;
        drains++;
    } while (rc == 0 && (ps.delivered > 0 || ps.failed > 0));
    t1 = bench_now_s();
    if (rc < 0)
        fprintf(stderr, "push_bench: drain failed: %s\n", err.msg);
    printf("push  letters=%lld systems=%d parallel=%-3d  %8.0f letters/s  (%.2f s; %lld "
           "delivered, %lld failed, %lld batches, %d drains; receiver: %lu files, %lu other; "
           "insert %.2f s)\n",
           (long long)n, k, parallel, (double)total.delivered / (t1 - t0), t1 - t0,
           (long long)total.delivered, (long long)total.failed, (long long)total.batches,
           drains, atomic_load(&rx->files) - files0, atomic_load(&rx->others) - others0, ti);
    fflush(stdout);
out:
    kv_store_close(st);
    bench_remove_dir(dir);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct rx rx;
    struct sockaddr_in addr;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    struct tmpl t;
    int64_t n = 20000;
    int k = 1, full = 0, i, n_cases = 0, cases[MAX_CASES], rc = 0;
    unsigned port;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--letters") == 0 && i + 1 < argc) {
            n = strtoll(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--systems") == 0 && i + 1 < argc) {
            k = (int)strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--parallel") == 0 && i + 1 < argc) {
            char *p = argv[++i], *end;
            while (n_cases < MAX_CASES) {
                long v = strtol(p, &end, 10);
                if (end == p || v < 1)
                    break;
                cases[n_cases++] = (int)v;
                if (*end != ',')
                    break;
                p = end + 1;
            }
        } else if (strcmp(argv[i], "--full") == 0) {
            full = 1;
        } else {
            fprintf(stderr, "usage: push_bench [--letters N] [--systems K] "
                            "[--parallel P[,P...]] [--full]\n");
            return 2;
        }
    }
    if (n < 1 || k < 1 || k > MAX_SYS) {
        fprintf(stderr, "push_bench: --letters >= 1, --systems 1..%d\n", MAX_SYS);
        return 2;
    }
    if (n_cases == 0) {
        cases[0] = 1;
        cases[1] = 16;
        n_cases = 2;
    }
    if (bench_tmpl_load(full ? EX "Full_Example__memo-1.2.xml" : EX "Minimum_Example__memo-1.2.xml",
                        &t) < 0) {
        fprintf(stderr, "push_bench: cannot read the MeMo example (run from the repo root)\n");
        return 1;
    }
    memset(&rx, 0, sizeof(rx));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
                             MHD_USE_ERROR_LOG,
                         0, NULL, NULL, on_request, &rx, MHD_OPTION_NOTIFY_COMPLETED, on_done,
                         NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_CONNECTION_LIMIT, 1024, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "push_bench: cannot start the receiver\n");
        free(t.buf);
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    port = info ? info->port : 0;
    printf("push_bench: %s MeMo (%zu bytes), receiver http://127.0.0.1:%u (libmicrohttpd, "
           "answers 200 at once)\n",
           full ? "Full" : "Minimum", t.len, port);
    for (i = 0; i < n_cases && rc == 0; i++)
        rc = run_case(port, &rx, &t, n, k, cases[i]);
    MHD_stop_daemon(d);
    free(t.buf);
    return rc;
}

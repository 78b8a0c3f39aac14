/* SPDX-License-Identifier: MIT
 *
 * cmd_serve.c: `kuvert serve`: runs the hub's HTTP server until SIGTERM or SIGINT.
 *
 *   kuvert serve [--data DIR] [--db URL] [--listen HOST:PORT] [--test-clock] [--test-login]
 *                [--smtp URL] [--config FILE] [--set key=value ...]
 *
 * Prints exactly one line on stdout once the socket is bound:
 *   kuvert: listening on http://HOST:PORT
 * (the real port when port 0 was asked for; tests read it). Logs go to stderr.
 *
 * Shutdown: the signals are blocked in every thread and taken synchronously here
 * (sigwait). Then: stop accepting, let in-flight requests finish (at most shutdown_grace),
 * close connections, stop the workers (writer flushes), close the store, exit 0.
 *
 * One server per data directory unless node_name is set: the server holds an flock on
 * DATA/serve.lock for its lifetime (the kernel drops it when the process ends, also on
 * kill -9), and a second `kuvert serve` on the directory exits 1 at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"
#include "http/server.h"
#include "hub/hub.h"
#include "hub/scheduler.h"
#include "memo/memo.h"
#include "notify/sender.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/conf.h"
#include "util/log.h"
#include "util/xmalloc.h"
#include "web/web.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert serve [--data DIR] [--db URL] [--listen HOST:PORT] [--test-clock]\n"
               "                    [--test-login] [--smtp URL] [--config FILE] [--set key=value ...]\n\n"
               "Runs the NgDP hub's HTTP server and the web portals. Stops gracefully on\n"
               "SIGTERM/SIGINT. --test-login lets anyone sign in as a test identity (demo and\n"
               "tests only). The database is DIR/kuvert.db (SQLite) unless --db names a\n"
               "PostgreSQL database (postgresql://user:pass@host:port/db, docs/postgresql.md);\n"
               "DIR keeps the local files either way.\n"
               "See `kuvert config show` for every setting and its source.\n");
}

/* Prints "kuvert: listening on http://HOST:PORT" with the port actually bound. */
static void print_listening(const char *listen, unsigned port)
{
    const char *colon = strrchr(listen, ':');
    int hl = colon ? (int)(colon - listen) : 0;

    if (hl == 0 || (hl == 1 && listen[0] == '*'))
        printf("kuvert: listening on http://0.0.0.0:%u\n", port);
    else
        printf("kuvert: listening on http://%.*s:%u\n", hl, listen, port);
    fflush(stdout);
}

/* glibc malloc for a server whose requests build and free a libxml2 tree each (thousands of
 * small blocks): no fastbins, so a later large allocation does not first consolidate them all
 * (malloc_consolidate was 6 % of the server's CPU per letter); no trimming and a 16 MiB pad,
 * so the per-thread arenas do not shrink and grow again (mprotect(2), two per letter) request
 * after request; blocks under 16 MiB from the heap (fixing the trim threshold would otherwise
 * pin the mmap threshold at 128 KiB: an mmap and munmap per request). docs/send-api.md,
 * "Server CPU per accepted letter". */
static void tune_malloc(void)
{
    (void)mallopt(M_MXFAST, 0);
    (void)kv_malloc_keep_top(64 << 20); /* never lowered by the store's own ask */
    (void)mallopt(M_TOP_PAD, 16 << 20);
    (void)mallopt(M_MMAP_THRESHOLD, 16 << 20);
}

/* The default lease holder name is HOSTNAME:DATA (hub.c), so two servers on one data
 * directory would both believe they hold every background job's lease (docs/postgresql.md:
 * "Two nodes must never share a name"). Without node_name, DATA/serve.lock is locked for the
 * life of the process; returns the descriptor (kept open), -1 when another process holds it
 * (err says so), or -2 when the file cannot be opened or locked (another user's lock file, a
 * filesystem without flock): the server then starts unguarded, as it did before the lock. */
static int lock_data_dir(const struct kv_conf *conf, struct kv_err *err)
{
    char *path;
    int fd;

    if (conf->node_name[0])
        return -2;
    path = kv_xasprintf("%s/serve.lock", conf->data);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;

        close(fd);
        fd = -2; /* a filesystem without flock (ENOLCK): started unguarded, as before */
        if (e == EWOULDBLOCK) {
            fd = -1;
            kv_err_set(err, KV_ECONFLICT,
                       "another kuvert serve is running on the data directory %s (%s is "
                       "locked): stop it first, or give this server its own --data or "
                       "node_name",
                       conf->data, path);
        }
    } else if (fd < 0) {
        fd = -2;
    }
    free(path);
    return fd;
}

/* The database must take writes: SQLite opens another user's file read-only without a word
 * (store.h kv_db_check_writable), and the server would then start and refuse every write. */
static int check_writable(struct kv_store *st, struct kv_err *err)
{
    struct kv_db *db = NULL;
    int rc = kv_db_acquire(st, &db, err);

    if (rc == 0)
        rc = kv_db_check_writable(db, err);
    kv_db_release(db);
    return rc;
}

static int run(int argc, char **argv)
{
    struct kv_conf_flags flags;
    struct kv_conf *conf = kv_xcalloc(1, sizeof(*conf));
    struct kv_hub *hub = NULL;
    struct kv_notify_worker *notifier = NULL;
    struct kv_http_server *srv = NULL;
    struct kv_http_config hc;
    struct kv_err err = {0, ""};
    sigset_t set;
    int i = 1, rc, sig = 0, left, status = KV_EXIT_FAIL, lock_fd = -2;

    tune_malloc();
    /* Compile the MeMo schemas and install libxml2's allocation hooks (memo/arena.c) before
     * any thread starts; a failure is reported by every check that needs them. */
    (void)kv_memo_global_init(NULL);
    memset(&flags, 0, sizeof(flags));
    while (i < argc) {
        if (kv_cli_is_help(argv[i])) {
            usage(stdout);
            free(conf);
            return KV_EXIT_OK;
        }
        rc = kv_conf_parse_flag(&flags, argc, argv, &i, &err);
        if (rc < 0) {
            kv_cli_errorf("serve", "%s", err.msg);
            free(conf);
            return KV_EXIT_USAGE;
        }
        if (rc == 0) {
            kv_cli_errorf("serve", "unknown argument \"%s\" (see kuvert serve --help)", argv[i]);
            free(conf);
            return KV_EXIT_USAGE;
        }
    }
    rc = kv_conf_load(conf, &flags, &err);
    if (rc < 0) {
        kv_cli_errorf("serve", "configuration: %s", err.msg);
        free(conf);
        return KV_EXIT_USAGE;
    }
    (void)kv_log_set_level(conf->log_level);

    /* Block the stop signals before any thread exists, so every thread inherits the mask
     * and only sigwait below sees them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = kv_hub_open(conf, &hub, &err); /* takes conf */
    conf = NULL;
    if (rc < 0) {
        kv_cli_errorf("serve", "%s", err.msg);
        goto out;
    }
    lock_fd = lock_data_dir(hub->conf, &err);
    if (lock_fd == -1 || check_writable(hub->store, &err) < 0) {
        kv_cli_errorf("serve", "%s", err.msg);
        goto out;
    }
    rc = kv_hub_start_workers(hub, &err);
    if (rc < 0) {
        kv_cli_errorf("serve", "starting workers: %s", err.msg);
        goto out;
    }
    /* rights with an end date: warning mails and expiry (identity/rights.h); under a lease,
     * so of several nodes on one database one sweeps (hub.h kv_hub_add_leased_hook) */
    if (kv_hub_add_leased_hook(hub, "rights_sweep", kv_rights_hook) < 0) {
        kv_cli_errorf("serve", "starting workers: too many scheduler hooks");
        goto out;
    }
    /* notices of new post: the sender thread, and the reminder rule as a hook (src/notify) */
    rc = kv_notify_worker_start(hub, &notifier, &err);
    if (rc < 0 || kv_scheduler_add_hook(hub->sched, kv_notify_hook, notifier) < 0) {
        kv_cli_errorf("serve", "starting workers: %s", rc < 0 ? err.msg : "too many hooks");
        goto out;
    }
    rc = kv_web_init(hub, &err);
    if (rc < 0) {
        kv_cli_errorf("serve", "web: %s", err.msg);
        goto out;
    }
    kv_api_http_config(hub, &hc);
    rc = kv_http_server_start(&hc, &srv, &err);
    if (rc < 0) {
        kv_cli_errorf("serve", "%s", err.msg);
        goto out;
    }
    kv_log(KV_LOG_INFO, "serving data %s (database: %s) on port %u%s", hub->conf->data,
           kv_store_backend(hub->store), kv_http_server_port(srv),
           hub->test_clock ? " (test clock enabled)" : "");
    print_listening(hub->conf->listen, kv_http_server_port(srv));

    if (sigwait(&set, &sig) != 0)
        sig = SIGTERM;
    kv_log(KV_LOG_INFO, "received %s: draining (grace %lld ms)",
           sig == SIGINT ? "SIGINT" : "SIGTERM", (long long)hub->conf->shutdown_grace);
    kv_http_server_quiesce(srv);
    left = kv_http_server_drain(srv, hub->conf->shutdown_grace);
    if (left > 0)
        kv_log(KV_LOG_WARN, "%d request(s) still in flight after the grace period; closing", left);
    kv_http_server_free(srv);
    srv = NULL;
    kv_hub_stop_workers(hub);
    kv_notify_worker_stop(notifier); /* after the scheduler, whose hook kicks it */
    notifier = NULL;
    kv_log(KV_LOG_INFO, "stopped");
    status = KV_EXIT_OK;
out:
    kv_http_server_free(srv);
    if (hub)
        kv_hub_stop_workers(hub);
    kv_notify_worker_stop(notifier);
    kv_hub_close(hub);
    free(conf);
    if (lock_fd >= 0)
        close(lock_fd); /* after the store is closed */
    return status;
}

const struct kv_cli_cmd kv_cmd_serve = {"serve", "run the hub's HTTP server (NgDP send API)", run};

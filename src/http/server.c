/* SPDX-License-Identifier: MIT
 *
 * server.c: the adapter between libmicrohttpd and kuvert's handlers (see http.h, server.h).
 *
 * Per request: the first callback (headers complete) allocates a context, gives the request an
 * id and refuses a declared Content-Length over max_body with 413 before any body byte is read.
 * Body chunks are appended to a buffer bounded by max_body; a chunked body that outgrows it
 * is dropped, drained for at most DISCARD_MAX more bytes and answered 413 (or, if the client
 * keeps sending, the connection is closed: libmicrohttpd 0.9.75 cannot answer mid-upload).
 * The final callback routes, runs the handler and
 * queues its response; the completion callback records metrics and the access-log line.
 * Before a handler runs: OPTIONS on a served path answers 204 with Allow; a request declaring
 * a Content-Encoding other than identity answers 415 (bodies are never decoded here).
 *
 * Threading models (conf http_model):
 *   per-connection (default): MHD_USE_THREAD_PER_CONNECTION. Handlers may block (a durable
 *     send waits for the group commit) without stalling other connections, so concurrent
 *     clients share one commit.
 *   pool: MHD_USE_EPOLL with a fixed pool of `threads` event-loop threads; cheapest for
 *     non-blocking handlers, but a blocked handler stalls every connection of its thread.
 */
#include "http/server.h"

#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/http_int.h"
#include "http/metrics.h"
#include "hub/hub.h"
#include "util/conf.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define INITIAL_BODY_RESERVE ((size_t)1 << 20) /* reserve up to 1 MiB from Content-Length */
#define DISCARD_MAX ((uint64_t)1 << 20)     /* bytes drained past max_body before closing */

struct kv_http_server {
    struct MHD_Daemon *d;        /* the libmicrohttpd daemon */
    struct kv_hub *hub;          /* borrowed */
    size_t max_body;             /* request body bound, bytes */
    unsigned port;               /* bound port */
    atomic_int inflight;         /* requests between first callback and completion */
    atomic_int closing;          /* 1 after quiesce: responses carry Connection: close */
    atomic_ullong next_id;       /* request id counter */
    char id_prefix[16];          /* random per-process prefix of request ids */
};

struct reqctx {
    struct kv_buf body;          /* request body, bounded by max_body */
    char id[40];                 /* request id */
    char method[16];             /* method, truncated for the log */
    char *path;                  /* owned copy of the URL path, for the log */
    const char *route_name;      /* metrics label, NULL until routed */
    struct timespec t0;          /* when the headers were complete */
    int status;                  /* status queued, 0 until then */
    uint64_t bytes;              /* response body bytes */
    int too_big;                 /* body exceeded max_body while reading */
    uint64_t discarded;          /* bytes dropped after too_big */
};

static double elapsed_s(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Turns resp into an MHD response and queues it. Takes the body out of resp. */
static enum MHD_Result send_resp(struct kv_http_server *srv, struct MHD_Connection *conn,
                                 struct reqctx *ctx, struct kv_http_resp *resp)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len = 0;
    char *data;
    int i;

    if (resp->status < 100 || resp->status > 599) {
        kv_log(KV_LOG_ERROR, "%s: handler set invalid status %d", ctx->id, resp->status);
        kv__http_resp_release(resp);
        kv__http_resp_init(resp);
        kv_http_resp_error(resp, 500, "INTERNAL_ERROR", "internal error", NULL);
    }
    data = kv_buf_detach(&resp->body, &len);
    r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(data);
        return MHD_NO;
    }
    if (resp->content_type[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, "X-Request-Id", ctx->id);
    for (i = 0; i < resp->n_hdrs; i++)
        MHD_add_response_header(r, resp->hdr_names[i], resp->hdr_values[i]);
    if (atomic_load(&srv->closing))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES) {
        ctx->status = resp->status;
        ctx->bytes = len;
    }
    return ret;
}

static enum MHD_Result send_error(struct kv_http_server *srv, struct MHD_Connection *conn,
                                  struct reqctx *ctx, int status, const char *code,
                                  const char *msg)
{
    struct kv_http_resp resp;
    enum MHD_Result ret;

    kv__http_resp_init(&resp);
    kv_http_resp_error(&resp, status, code, msg, NULL);
    ret = send_resp(srv, conn, ctx, &resp);
    kv__http_resp_release(&resp);
    return ret;
}

/* The path of a request target. RFC 9112 3.2.2: a server must accept the absolute form
 * ("http://host:port/apis/v1/memos/", as clients send it when configured with kuvert as a
 * proxy); its scheme and authority are skipped ("/" when nothing follows them). */
static const char *origin_path(const char *url)
{
    const char *p;

    if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else
        return url;
    p = strchr(p, '/');
    return p ? p : "/";
}

/* Non-zero when the request declares a Content-Encoding other than identity (gzip, deflate,
 * br, ...): the body would reach the handler still encoded, so it is refused with 415 (RFC 9110
 * 15.5.16) instead of failing later as a malformed letter. The coding, shortened, goes to out. */
static int unsupported_coding(struct MHD_Connection *conn, char *out, size_t outlen)
{
    const char *ce = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_ENCODING);
    size_t n = 0;

    if (!ce)
        return 0;
    while (*ce == ' ' || *ce == '\t')
        ce++;
    while (ce[n] && ce[n] != ' ' && ce[n] != '\t' && ce[n] != ',' && n + 1 < outlen) {
        /* Keep the echoed coding printable ASCII so the JSON message stays valid. */
        out[n] = (ce[n] > ' ' && ce[n] < 0x7f) ? ce[n] : '?';
        n++;
    }
    out[n] = '\0';
    return n > 0 && strcasecmp(out, "identity") != 0;
}

/* 1 for paths of the machine APIs, whose unknown paths answer JSON, not the HTML page. */
static int is_api_path(const char *p)
{
    static const char *const prefixes[] = {"/api/", "/apis/", "/admin/", "/test/", "/metrics",
                                           "/healthz"};
    size_t i;

    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(p, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return strcmp(p, "/api") == 0 || strcmp(p, "/apis") == 0 || strcmp(p, "/admin") == 0;
}

/* Routes and runs the handler for a complete request. */
static enum MHD_Result dispatch(struct kv_http_server *srv, struct MHD_Connection *conn,
                                struct reqctx *ctx, const char *url, const char *method)
{
    struct kv_http_req req;
    struct kv_http_resp resp;
    struct kv__http_match m;
    char *path_copy = kv_xstrdup(url);
    char ce[64], msg[256];
    enum MHD_Result ret;
    int rc;

    memset(&req, 0, sizeof(req));
    kv__http_resp_init(&resp);
    rc = kv__http_route(method, url, srv->hub->test_clock, path_copy, req.params, &m);
    if (rc == KV_ENOTFOUND && !is_api_path(url) && kv_http_page_not_found) {
        req.method = method;
        req.path = url;
        req.body = "";
        req.request_id = ctx->id;
        req.hub = srv->hub;
        req.conn = conn;
        req.route_name = "web_not_found";
        if (kv_http_page_not_found(&req, &resp) < 0)
            kv_http_resp_error(&resp, 404, "NOT_FOUND", "no such resource", NULL);
    } else if (rc == KV_ENOTFOUND) {
        kv_http_resp_error(&resp, 404, "NOT_FOUND", "no such resource", NULL);
    } else if (rc < 0 && strcmp(method, "OPTIONS") == 0) {
        /* OPTIONS on a served path: 204 with the methods it takes, no handler runs. */
        char allow[sizeof(m.allow) + 16];
        snprintf(allow, sizeof(allow), "%s, OPTIONS", m.allow);
        resp.status = 204;
        kv_http_resp_header(&resp, "Allow", allow);
    } else if (rc < 0) {
        kv_http_resp_error(&resp, 405, "METHOD_NOT_ALLOWED", "method not allowed here", NULL);
        kv_http_resp_header(&resp, "Allow", m.allow);
    } else if (unsupported_coding(conn, ce, sizeof(ce))) {
        ctx->route_name = m.route->name;
        snprintf(msg, sizeof(msg),
                 "Content-Encoding %s is not supported: send the body uncompressed (a bulk of "
                 "letters goes as an application/x-lzma archive)",
                 ce);
        kv_http_resp_error(&resp, 415, "UNSUPPORTED_MEDIA_TYPE", msg, NULL);
    } else {
        ctx->route_name = m.route->name;
        req.method = method;
        req.path = url;
        req.body = ctx->body.buf;
        req.body_len = ctx->body.len;
        req.request_id = ctx->id;
        req.hub = srv->hub;
        req.conn = conn;
        req.route_name = m.route->name;
        rc = m.route->fn(&req, &resp);
        if (rc < 0) {
            kv_log(KV_LOG_ERROR, "%s: handler %s failed: %s", ctx->id, m.route->name,
                   kv_err_name(rc));
            kv__http_resp_release(&resp);
            kv__http_resp_init(&resp);
            kv_http_resp_error(&resp, 500, "INTERNAL_ERROR", "internal error", NULL);
        }
    }
    ret = send_resp(srv, conn, ctx, &resp);
    kv__http_resp_release(&resp);
    free(path_copy);
    return ret;
}

static void new_id(struct kv_http_server *srv, char *out, size_t outlen)
{
    unsigned long long n = atomic_fetch_add(&srv->next_id, 1) + 1;

    snprintf(out, outlen, "%s-%llx", srv->id_prefix, n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct kv_http_server *srv = cls;
    struct reqctx *ctx = *con_cls;
    const char *cl;

    if (!ctx) {
        ctx = kv_xcalloc(1, sizeof(*ctx));
        *con_cls = ctx;
        atomic_fetch_add(&srv->inflight, 1);
        clock_gettime(CLOCK_MONOTONIC, &ctx->t0);
        new_id(srv, ctx->id, sizeof(ctx->id));
        snprintf(ctx->method, sizeof(ctx->method), "%s", method);
        ctx->path = kv_xstrdup(url);
        kv_buf_init(&ctx->body, srv->max_body);
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            unsigned long long n;
            errno = 0;
            n = strtoull(cl, &end, 10);
            if (errno || end == cl || *end || n > srv->max_body) {
                /* Answer before reading the body; MHD closes the connection after it. */
                ctx->too_big = 1;
                return send_error(srv, conn, ctx, 413, "PAYLOAD_TOO_LARGE",
                                  "request body exceeds the configured max_body");
            }
            (void)kv_buf_reserve(&ctx->body, n < INITIAL_BODY_RESERVE ? (size_t)n
                                                                      : INITIAL_BODY_RESERVE);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (ctx->too_big) {
            /* Over the bound (no Content-Length, so only seen while reading): libmicrohttpd
             * cannot answer mid-upload, so drain a little more to answer 413 at the end of
             * the body; a client that keeps streaming past that is disconnected. */
            ctx->discarded += *upload_data_size;
            *upload_data_size = 0;
            return ctx->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        if (kv_buf_append(&ctx->body, upload_data, *upload_data_size) < 0) {
            ctx->too_big = 1;
            ctx->discarded = *upload_data_size;
            kv_buf_release(&ctx->body);
            kv_buf_init(&ctx->body, 0);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->status) /* already answered (413 from Content-Length) */
        return MHD_YES;
    if (ctx->too_big)
        return send_error(srv, conn, ctx, 413, "PAYLOAD_TOO_LARGE",
                          "request body exceeds the configured max_body");
    (void)version;
    return dispatch(srv, conn, ctx, origin_path(url), method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct kv_http_server *srv = cls;
    struct reqctx *ctx = *con_cls;
    double s;

    (void)conn;
    if (!ctx)
        return;
    s = elapsed_s(&ctx->t0);
    /* 499 (nginx's "client closed request") when nothing was sent. */
    if (!ctx->status || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        ctx->status = ctx->status ? ctx->status : 499;
    kv_metrics_observe_request(srv->hub->metrics, ctx->route_name, ctx->status, s);
    if (srv->hub->conf->access_log)
        kv_log_access(ctx->id, ctx->method, ctx->path, ctx->status, ctx->bytes, s * 1000.0);
    kv_buf_release(&ctx->body);
    free(ctx->path);
    free(ctx);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    kv_log(KV_LOG_WARN, "libmicrohttpd: %s", msg);
}

/* Resolves "HOST:PORT" ("[v6]:PORT", "*:PORT" or ":PORT" = all interfaces). */
static int resolve_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                          struct kv_err *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    size_t hl;
    struct addrinfo hints, *res = NULL;
    int g;

    if (!colon)
        return kv_err_set(err, KV_EINVAL, "listen: \"%s\" is not HOST:PORT", listen);
    hl = (size_t)(colon - listen);
    if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') {
        listen++;
        hl -= 2;
    }
    if (hl >= sizeof(host))
        return kv_err_set(err, KV_EINVAL, "listen: host too long");
    memcpy(host, listen, hl);
    host[hl] = '\0';
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    g = getaddrinfo((hl == 0 || strcmp(host, "*") == 0) ? NULL : host, colon + 1, &hints, &res);
    if (g != 0 || !res)
        return kv_err_set(err, KV_EINVAL, "listen: cannot resolve \"%s\": %s", listen,
                          gai_strerror(g));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int kv_http_server_start(struct kv_hub *hub, struct kv_http_server **out, struct kv_err *err)
{
    struct kv_http_server *srv = kv_xcalloc(1, sizeof(*srv));
    const struct kv_conf *c = hub->conf;
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    unsigned flags;
    unsigned char rnd[6];
    const union MHD_DaemonInfo *info;
    unsigned threads;
    long ncpu;
    int rc;

    *out = NULL;
    srv->hub = hub;
    srv->max_body = (size_t)c->max_body;
    atomic_init(&srv->inflight, 0);
    atomic_init(&srv->closing, 0);
    atomic_init(&srv->next_id, 0);
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        memset(rnd, 0, sizeof(rnd));
    snprintf(srv->id_prefix, sizeof(srv->id_prefix), "%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    rc = resolve_listen(c->listen, &ss, &sslen, err);
    if (rc < 0)
        goto out;
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    threads = c->threads > 0 ? (unsigned)c->threads : (unsigned)(2 * (ncpu > 0 ? ncpu : 1));
    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (strcmp(c->http_model, "pool") == 0)
        flags |= MHD_USE_EPOLL | MHD_USE_TURBO;
    else
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    {
        /* The logger must come first so MHD's own start-up messages reach it. */
        struct MHD_OptionItem opts[] = {
            {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
            {MHD_OPTION_SOCK_ADDR, 0, &ss},
            {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv},
            /* 64 KiB per connection: headers plus a read buffer big enough for uploads. */
            {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
            {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)c->max_connections, NULL},
            {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)((c->conn_timeout + 999) / 1000), NULL},
            {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
            {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL},
            {MHD_OPTION_END, 0, NULL},
        };
        if (flags & MHD_USE_THREAD_PER_CONNECTION) /* no pool: end the list before it */
            opts[7].option = MHD_OPTION_END;
        srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, opts,
                                  MHD_OPTION_END);
    }
    if (!srv->d) {
        rc = kv_err_set(err, KV_EIO, "cannot listen on %s (address in use or not available)",
                        c->listen);
        goto out;
    }
    info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    kv_log(KV_LOG_INFO, "http model %s (%u pool threads), max_body %lld, max_connections %lld",
           c->http_model, (flags & MHD_USE_THREAD_PER_CONNECTION) ? 0u : threads,
           (long long)c->max_body, (long long)c->max_connections);
    *out = srv;
    srv = NULL;
out:
    free(srv);
    return rc;
}

unsigned kv_http_server_port(const struct kv_http_server *s)
{
    return s->port;
}

void kv_http_server_quiesce(struct kv_http_server *s)
{
    MHD_socket fd;

    atomic_store(&s->closing, 1);
    fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

int kv_http_server_drain(struct kv_http_server *s, int64_t grace_ms)
{
    struct timespec t0, pause = {0, 10 * 1000 * 1000};
    int n;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((n = atomic_load(&s->inflight)) > 0 && elapsed_s(&t0) * 1000.0 < (double)grace_ms)
        nanosleep(&pause, NULL);
    return n;
}

void kv_http_server_free(struct kv_http_server *s)
{
    if (!s)
        return;
    if (s->d)
        MHD_stop_daemon(s->d);
    free(s);
}

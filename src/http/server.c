/* SPDX-License-Identifier: MIT
 *
 * server.c: the adapter between libmicrohttpd and kuvert's handlers (see http.h, server.h).
 *
 * Per request, in the first call of the access callback (request line and headers complete):
 * a context with a request id; the framing checks (frame_check: RFC 9112 6.3 says reject or
 * answer and close, and libmicrohttpd 0.9.75 lets these through: two different
 * Content-Length values, Content-Length with Transfer-Encoding, a transfer coding other than
 * chunked, a NUL in a header value, a decoded NUL in the target, a field name that is not a
 * token -- whitespace before its colon or an obsolete folded line, RFC 9112 5.1/5.2);
 * routing (404/405/OPTIONS);
 * the gate; the body bounds (413 from Content-Length, 503 when the global body budget is
 * spent). Each refusal is answered before any body byte is read, with "Connection: close"
 * (libmicrohttpd cannot tell where an unread body ends), and the connection is then closed
 * lingering (linger_close), so the client's unread bytes do not reset the answer away. Body
 * chunks are then appended to a buffer bounded by max_body; a chunked body that outgrows it
 * (or the budget) is dropped, drained for at most DISCARD_MAX more bytes and answered 413/503
 * (or, if the client keeps sending, the connection is closed: libmicrohttpd 0.9.75 cannot
 * answer mid-upload). The
 * final call runs the handler and queues its response; the completion callback records
 * metrics and the access-log line, frees the principal and gives back the budget.
 *
 * Deadlines: every connection is tracked (socket context) with the time by which its current
 * phase must end: headers (header_timeout from accept or from the previous response) and body
 * (body_timeout from the headers). A reaper thread shuts down a connection past its deadline
 * (shutdown(2), so libmicrohttpd sees EOF and closes it in its own thread); on the same tick
 * it writes out the buffered access-log lines (util/log.h). Handler time has no deadline. libmicrohttpd's own idle timeout (conn_timeout) and per-address limit
 * (max_per_ip) apply too.
 *
 * Threading models (conf http_model):
 *   per-connection (default): MHD_USE_THREAD_PER_CONNECTION. Handlers may block (a durable
 *     send waits for the group commit) without stalling other connections, so concurrent
 *     clients share one commit.
 *   pool: MHD_USE_EPOLL with a fixed pool of `threads` event-loop threads; cheapest for
 *     non-blocking handlers, but a blocked handler stalls every connection of its thread.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
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
#include "util/cidr.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/reqtrace.h"
#include "util/xmalloc.h"

#define DISCARD_MAX ((uint64_t)1 << 20)     /* bytes drained past max_body before closing */
#define REAPER_TICK_MS 200                  /* how often deadlines are checked */
/* Lingering close (RFC 9112 9.6) of a connection refused with its body unread: at most this
 * long in all, this long without a byte, and this many bytes read and dropped. */
#define LINGER_TOTAL_MS 30000
#define LINGER_IDLE_MS 10000
#define LINGER_MAX_BYTES ((uint64_t)64 << 20)
#define LINGER_SLICE_MS 200                 /* how often a lingering close looks for stop */
#define FRAMING_WAIT_MS 10000               /* server_free: at most this for framing refusals */

/* One TCP connection (libmicrohttpd socket context), on the server's list while open. */
struct track {
    struct track *prev, *next;
    MHD_socket fd;               /* the connection's socket */
    /* Monotonic ms by which the current phase must end (0: none). Written by the connection's
     * own thread without the server's mutex (three times a request, and every connection
     * thread would queue on that one lock), read by the reaper under it: the track itself
     * lives until libmicrohttpd has ended the connection's thread (on_connection). */
    atomic_llong deadline_ms;
    int reaped;                  /* shut down by the reaper */
    int proxy;                   /* the peer is a trusted proxy */
    int framing;                 /* kuvert answered libmicrohttpd's framing refusal (counted in
                                    the server's framing until the connection ends) */
    char peer[64];               /* the peer's address */
    char fwd[64];                /* behind a proxy: the client of the request in flight, "" */
};

struct kv_http_server {
    struct MHD_Daemon *d;        /* the libmicrohttpd daemon */
    struct kv_http_config cfg;   /* copy; what it points to is borrowed */
    unsigned port;               /* bound port */
    atomic_int inflight;         /* requests between first callback and completion */
    atomic_int closing;          /* 1 after quiesce: responses carry Connection: close */
    atomic_int stopping;         /* 1 once the server stops: lingering closes end */
    atomic_int framing;          /* connections whose framing refusal kuvert answered that
                                    libmicrohttpd has not ended yet (server_free waits) */
    atomic_ullong next_id;       /* request id counter */
    atomic_ullong body_used;     /* bytes of body_memory reserved by requests in flight */
    struct kv__http_callers *callers; /* each person's bytes of person_body_memory */
    char id_prefix[16];          /* random per-process prefix of request ids */
    char nul_target;             /* its address marks a request whose raw target has %00 */
    int per_connection;          /* thread per connection (http_model per-connection) */
    struct kv__http_index *routes; /* the literal routes of cfg.routes, hashed */
    pthread_mutex_t mu;          /* guards tracks and stop */
    pthread_cond_t cv;           /* wakes the reaper to stop */
    struct track tracks;         /* list head (circular) */
    int stop;                    /* reaper: stop */
    int reaper_started;          /* reaper thread exists */
    pthread_t reaper;            /* the deadline thread */
};

struct reqctx {
    struct kv_buf body;          /* request body, bounded by max_body */
    char id[40];                 /* request id */
    char method[16];             /* method, truncated for the log */
    char *path;                  /* owned copy of the URL path, for the log */
    char *path_copy;             /* owned copy receiving the route parameters */
    const char *route_name;      /* metrics label, NULL until routed */
    struct kv_http_req req;      /* what the gate and the handler see; params point into
                                    path_copy; req.principal is freed with principal_free */
    struct timespec t0;          /* when the headers were complete */
    int status;                  /* status queued, 0 until then */
    uint64_t bytes;              /* response body bytes */
    uint64_t reserved;           /* bytes of the body budget this request holds */
    uint64_t caller_reserved;    /* of them, counted for its person (req.caller) */
    int too_big;                 /* body exceeded max_body while reading */
    int over_budget;             /* body exceeded the budget while reading */
    int refused;                 /* pending holds the refusal, sent once the body is drained */
    int linger;                  /* answered with Connection: close, the body maybe unread */
    struct kv_http_resp pending; /* refusal of a small body, answered after draining it */
    uint64_t discarded;          /* bytes dropped after too_big / over_budget */
};

/* src into dst (size bytes), cut to fit, as snprintf(dst, size, "%s", src) but without its
 * formatting machinery (per request: 0.27 % of a Minimum letter's server samples). */
static void copy_cut(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- connection tracking and deadlines ---- */

static struct track *track_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

/* Sets the deadline of conn's current phase: now + ms (ms <= 0: none). */
static void set_deadline(struct kv_http_server *srv, struct MHD_Connection *conn, int64_t ms)
{
    struct track *t = track_of(conn);

    (void)srv;
    if (!t)
        return;
    atomic_store_explicit(&t->deadline_ms, ms > 0 ? now_ms() + ms : 0, memory_order_relaxed);
}

static int proxies_trusted(const struct kv_http_server *srv)
{
    return srv->cfg.trusted_proxies && srv->cfg.trusted_proxies[0];
}

static void addr_text(const struct sockaddr *sa, char *out, size_t outlen)
{
    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)outlen);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)outlen);
}

/* With trusted proxies, max_per_ip is kuvert's own (libmicrohttpd's would hold every proxy to
 * it): a peer that is not a trusted proxy may have max_per_ip connections open. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *sa, socklen_t len)
{
    struct kv_http_server *srv = cls;
    char a[64];
    struct track *t;
    unsigned n = 0;

    (void)len;
    if (!proxies_trusted(srv) || srv->cfg.max_per_ip == 0)
        return MHD_YES;
    addr_text(sa, a, sizeof(a));
    if (kv_cidr_list_allows(srv->cfg.trusted_proxies, a))
        return MHD_YES;
    pthread_mutex_lock(&srv->mu);
    for (t = srv->tracks.next; t != &srv->tracks; t = t->next)
        n += strcmp(t->peer, a) == 0;
    pthread_mutex_unlock(&srv->mu);
    if (n < srv->cfg.max_per_ip)
        return MHD_YES;
    kv_log(KV_LOG_WARN, "refused a connection from %s: %u open (max_conn_per_ip)", a, n);
    return MHD_NO;
}

struct header_collect {
    const char *name;
    struct kv_buf *out;
};

static enum MHD_Result collect_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct header_collect *c = cls;

    (void)kind;
    if (key && value && strcasecmp(key, c->name) == 0) {
        if (c->out->len)
            (void)kv_buf_puts(c->out, ", ");
        (void)kv_buf_puts(c->out, value);
    }
    return MHD_YES;
}

/* Every line of header name, joined by ", " in the order received (RFC 9110 5.3). */
static void collect_header(struct MHD_Connection *conn, const char *name, struct kv_buf *out)
{
    struct header_collect c = {name, out};

    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_one, &c);
}

/* The client address of a request (req->client), and behind a trusted proxy the limit of
 * max_per_ip requests at once from one forwarded client. 0, or -1 with resp filled. */
static int admit_client(struct kv_http_server *srv, struct MHD_Connection *conn,
                        struct reqctx *ctx, struct kv_http_resp *resp)
{
    const union MHD_ConnectionInfo *si =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct track *t = si ? si->socket_context : NULL, *o;
    struct kv_buf h;
    const char *name = srv->cfg.proxy_header == KV_PROXY_FORWARDED ? "Forwarded"
                                                                    : "X-Forwarded-For";
    unsigned n = 0;
    int rc;

    ctx->req.conn = conn;
    /* The peer's text was made once for the connection (on_connection), as
     * kv_http_req_peer would make it again for every request. */
    if (t)
        copy_cut(ctx->req.client, sizeof(ctx->req.client), t->peer);
    else
        kv_http_req_peer(&ctx->req, ctx->req.client, sizeof(ctx->req.client));
    if (!t || !t->proxy)
        return 0;
    kv_buf_init(&h, 64 * 1024);
    collect_header(conn, name, &h);
    rc = kv_http_forwarded_client(t->peer, srv->cfg.trusted_proxies, srv->cfg.proxy_header,
                                  h.len ? h.buf : NULL, ctx->req.client,
                                  sizeof(ctx->req.client));
    kv_buf_release(&h);
    if (rc < 0)
        kv_log(KV_LOG_WARN, "%s: malformed %s from proxy %s: client taken as %s", ctx->id, name,
               t->peer, ctx->req.client);
    if (srv->cfg.max_per_ip == 0)
        return 0;
    pthread_mutex_lock(&srv->mu);
    for (o = srv->tracks.next; o != &srv->tracks; o = o->next)
        n += strcmp(o->fwd, ctx->req.client) == 0;
    if (n < srv->cfg.max_per_ip)
        snprintf(t->fwd, sizeof(t->fwd), "%s", ctx->req.client);
    pthread_mutex_unlock(&srv->mu);
    if (n < srv->cfg.max_per_ip)
        return 0;
    kv_log(KV_LOG_WARN, "%s: %s has %u requests in flight through proxies (max_conn_per_ip)",
           ctx->id, ctx->req.client, n);
    kv_http_resp_error(resp, 429, "TOO_MANY_REQUESTS",
                       "too many requests at once from this client address: retry later", NULL);
    kv_http_resp_header(resp, "Retry-After", KV_HTTP_RETRY_AFTER);
    return -1;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct kv_http_server *srv = cls;
    struct track *t = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        t = kv_xcalloc(1, sizeof(*t));
        t->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
        addr_text(ai ? ai->client_addr : NULL, t->peer, sizeof(t->peer));
        t->proxy = proxies_trusted(srv) && kv_cidr_list_allows(srv->cfg.trusted_proxies, t->peer);
        pthread_mutex_lock(&srv->mu);
        atomic_init(&t->deadline_ms,
                    srv->cfg.header_timeout_ms > 0 ? now_ms() + srv->cfg.header_timeout_ms : 0);
        t->next = srv->tracks.next;
        t->prev = &srv->tracks;
        srv->tracks.next->prev = t;
        srv->tracks.next = t;
        pthread_mutex_unlock(&srv->mu);
        *socket_context = t;
    } else if (t) {
        if (t->framing)
            atomic_fetch_sub(&srv->framing, 1);
        pthread_mutex_lock(&srv->mu);
        t->prev->next = t->next;
        t->next->prev = t->prev;
        pthread_mutex_unlock(&srv->mu);
        free(t);
        *socket_context = NULL;
    }
}

/* Shuts down every connection past its deadline, until told to stop. */
static void *reaper_main(void *arg)
{
    struct kv_http_server *srv = arg;
    struct timespec until;
    struct track *t;
    int64_t now;
    int n;

    pthread_mutex_lock(&srv->mu);
    while (!srv->stop) {
        kv_clock_deadline(&until, CLOCK_REALTIME, REAPER_TICK_MS);
        pthread_cond_timedwait(&srv->cv, &srv->mu, &until);
        now = now_ms();
        n = 0;
        for (t = srv->tracks.next; t != &srv->tracks; t = t->next) {
            int64_t d = atomic_load_explicit(&t->deadline_ms, memory_order_relaxed);

            if (t->reaped || !d || now < d)
                continue;
            t->reaped = 1;
            if (t->fd != MHD_INVALID_SOCKET)
                (void)shutdown(t->fd, SHUT_RDWR);
            n++;
        }
        if (n)
            kv_log(KV_LOG_WARN, "closed %d connection(s) past the header or body deadline", n);
        kv_log_access_flush(); /* the access log lags by at most one tick (util/log.h) */
    }
    pthread_mutex_unlock(&srv->mu);
    return NULL;
}

/* ---- responses ---- */

static int content_length(struct MHD_Connection *conn, uint64_t *out);

/* Turns resp into an MHD response and queues it. Takes the body out of resp. close_conn
 * adds "Connection: close" (a request whose body was not read). */
static enum MHD_Result send_resp(struct kv_http_server *srv, struct MHD_Connection *conn,
                                 struct reqctx *ctx, struct kv_http_resp *resp, int close_conn)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len = 0;
    char *data;
    int i, has_cc = 0, has_xcto = 0;

    if (resp->status < 100 || resp->status > 599) {
        kv_log(KV_LOG_ERROR, "%s: handler set invalid status %d", ctx->id, resp->status);
        kv__http_resp_release(resp);
        kv__http_resp_init(resp);
        kv_http_resp_error(resp, 500, "INTERNAL_ERROR", "internal error", NULL);
    }
    /* The one place a database that is unavailable for now becomes 503 instead of 500, however
     * the caller answered (docs/errors.md "Database unavailable"): a page's error page keeps
     * its body (kv_web_error already chose the 503 text), an API answer becomes the 503
     * ErrorMessage. Every 503 carries Retry-After. */
    if (resp->status == 500 && kv_err_unavail_seen()) {
        kv_log(KV_LOG_WARN, "%s: database unavailable: 503 instead of 500", ctx->id);
        if (strncmp(resp->content_type, "text/html", 9) == 0) {
            resp->status = 503;
        } else {
            kv__http_resp_release(resp);
            kv__http_resp_init(resp);
            kv_http_resp_unavailable(resp);
        }
    }
    if (srv->cfg.trace_headers) { /* tests: the authorisation decisions of this request */
        char n[16];
        int own, other;

        kv_reqtrace_get(&own, &other);
        snprintf(n, sizeof(n), "%d", own);
        kv_http_resp_header(resp, "X-Kuvert-Authz-Decisions", n);
        snprintf(n, sizeof(n), "%d", other);
        kv_http_resp_header(resp, "X-Kuvert-Authz-Other", n);
    }
    if (resp->status == 503) {
        int has_ra = 0;
        for (i = 0; i < resp->n_hdrs; i++)
            has_ra |= strcasecmp(resp->hdr_names[i], "Retry-After") == 0;
        if (!has_ra)
            kv_http_resp_header(resp, "Retry-After", KV_HTTP_RETRY_AFTER);
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
    for (i = 0; i < resp->n_hdrs; i++) {
        MHD_add_response_header(r, resp->hdr_names[i], resp->hdr_values[i]);
        has_cc |= strcasecmp(resp->hdr_names[i], "Cache-Control") == 0;
        has_xcto |= strcasecmp(resp->hdr_names[i], "X-Content-Type-Options") == 0;
    }
    if (!has_xcto) /* no browser may guess a type other than the one declared */
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    /* Answers carry letters, receipts and mailboxes: personal data no cache may keep. */
    if (!has_cc)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    if (close_conn || atomic_load(&srv->closing))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES) {
        ctx->status = resp->status;
        ctx->bytes = len;
        ctx->linger = close_conn;
    }
    return ret;
}

/* Lingering close (RFC 9112 9.6). A request refused from its head is answered with
 * "Connection: close" while its client may still be sending the body; closing a socket with
 * unread input makes the kernel send a reset, and a reset reaching the client before it read
 * the answer destroys the answer. So, once the answer is sent: shut the write side (the
 * client reads the answer and then end of stream), read and drop what the client still
 * sends until it closes, is silent for LINGER_IDLE_MS, LINGER_TOTAL_MS have passed,
 * LINGER_MAX_BYTES were dropped, or the server stops; the caller closes the socket after.
 * Called in the connection's own thread (thread per connection only: it blocks). */
static void linger_close(struct kv_http_server *srv, MHD_socket fd)
{
    char buf[16384];
    uint64_t dropped = 0;
    int64_t start = now_ms(), idle_since = start, now;
    struct pollfd p;
    ssize_t n;
    int rc;

    if (fd == MHD_INVALID_SOCKET || shutdown(fd, SHUT_WR) < 0)
        return;
    while (!atomic_load(&srv->stopping) && dropped < LINGER_MAX_BYTES) {
        now = now_ms();
        if (now - start >= LINGER_TOTAL_MS || now - idle_since >= LINGER_IDLE_MS)
            break;
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        rc = poll(&p, 1, LINGER_SLICE_MS);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            break;
        if (rc == 0)
            continue;
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n <= 0)
            break; /* end of stream (or the client reset): nothing more to wait for */
        dropped += (uint64_t)n;
        idle_since = now_ms();
    }
}

/* Answers a refused request. A request without a body is answered at once. A small declared
 * body (at most DISCARD_MAX bytes, no "Expect: 100-continue") is drained unread and then
 * answered, so the connection stays usable and no reset races the answer. Anything else is
 * answered at once with "Connection: close": the body is never read. */
static enum MHD_Result refuse(struct kv_http_server *srv, struct MHD_Connection *conn,
                              struct reqctx *ctx, struct kv_http_resp *resp, int drain)
{
    enum MHD_Result ret;
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_EXPECT);
    uint64_t cl = 0;
    int has_cl = drain ? content_length(conn, &cl) : -1;

    if (drain && !te && (has_cl == 0 || cl == 0)) {
        ret = send_resp(srv, conn, ctx, resp, 0);
    } else if (drain && !te && has_cl > 0 && cl <= DISCARD_MAX && !expect) {
        ctx->pending = *resp; /* takes resp's body and headers */
        ctx->refused = 1;
        set_deadline(srv, conn, srv->cfg.body_timeout_ms);
        return MHD_YES;
    } else {
        ret = send_resp(srv, conn, ctx, resp, 1);
    }
    kv__http_resp_release(resp);
    return ret;
}

static enum MHD_Result send_error(struct kv_http_server *srv, struct MHD_Connection *conn,
                                  struct reqctx *ctx, int status, const char *code,
                                  const char *msg, int close_conn)
{
    struct kv_http_resp resp;
    enum MHD_Result ret;

    kv__http_resp_init(&resp);
    kv_http_resp_error(&resp, status, code, msg, NULL);
    if (status == 503)
        kv_http_resp_header(&resp, "Retry-After", KV_HTTP_RETRY_AFTER);
    ret = send_resp(srv, conn, ctx, &resp, close_conn);
    kv__http_resp_release(&resp);
    return ret;
}

/* ---- framing ---- */

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

/* What frame_check saw in the headers. */
struct frame {
    int n_cl;               /* Content-Length headers */
    int cl_differ;          /* two of them disagree */
    const char *cl;         /* the first one's value */
    int n_te;               /* Transfer-Encoding headers */
    int te_other;           /* a transfer coding other than one "chunked" */
    int nul;                /* a header value held a NUL byte */
    int bad_name;           /* a field name that is not a token (RFC 9110 5.1) */
    const char *prev_end;   /* end of the previous header value (its terminating NUL) */
};

/* 1 when the bytes after the NUL that ends a header value, as libmicrohttpd left them in its
 * read buffer, show that the value went on past a NUL byte: the line's terminator (CR LF,
 * each turned into NUL) follows a value directly, so anything but NUL, blanks or the next
 * header's name there was cut off by an embedded NUL. */
static int value_cut(const char *end, const char *next_key)
{
    const char *p = end + 1;

    if (p == next_key)
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p != '\0' && p != next_key;
}

/* 1 when name is an RFC 9110 field name: one or more token characters. libmicrohttpd
 * 0.9.75 keeps a line with whitespace before its colon ("Content-Length : 5") under the name
 * "Content-Length ", and glues an obsolete folded line (RFC 9112 5.2) onto the previous
 * line's name ("X-A: 1" CRLF " Content-Length: 5" becomes the name "X-AContent-Length: 5"),
 * so the framing it and kuvert read is not the one the client -- or a proxy in front -- may
 * have meant: the body goes unread and runs as the next request. RFC 9112 5.1 and 5.2 ask a
 * server to refuse both with 400. */
static int field_name_ok(const char *name)
{
    const char *p;

    if (!name || !*name)
        return 0;
    for (p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
            return 0;
    return 1;
}

static enum MHD_Result frame_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct frame *f = cls;

    (void)kind;
    if (f->prev_end && value_cut(f->prev_end, key))
        f->nul = 1;
    f->prev_end = value ? value + strlen(value) : NULL;
    if (!field_name_ok(key))
        f->bad_name = 1;
    if (!key || !value)
        return MHD_YES;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->n_cl++ == 0)
            f->cl = value;
        else if (strcmp(f->cl, value) != 0)
            f->cl_differ = 1;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        if (f->n_te++ > 0 || strcasecmp(value, "chunked") != 0)
            f->te_other = 1;
    }
    return MHD_YES;
}

/* Checks the request's framing; on a violation fills resp and returns non-zero. */
static int frame_check(struct MHD_Connection *conn, int nul_target, struct kv_http_resp *resp)
{
    struct frame f;

    memset(&f, 0, sizeof(f));
    MHD_get_connection_values(conn, MHD_HEADER_KIND, frame_header, &f);
    if (f.prev_end && value_cut(f.prev_end, NULL))
        f.nul = 1;
    if (nul_target) {
        kv_http_resp_error(resp, 400, "BAD_REQUEST",
                           "the request target holds an encoded NUL (%00)", NULL);
    } else if (f.nul) {
        kv_http_resp_error(resp, 400, "BAD_REQUEST", "a header value holds a NUL byte", NULL);
    } else if (f.bad_name) {
        kv_http_resp_error(resp, 400, "BAD_REQUEST",
                           "a header field name is malformed: whitespace before its colon, a "
                           "folded line or a character outside a token",
                           NULL);
    } else if (f.cl_differ) {
        kv_http_resp_error(resp, 400, "BAD_REQUEST",
                           "the request has Content-Length headers that disagree", NULL);
    } else if (f.n_te && f.n_cl) {
        kv_http_resp_error(resp, 400, "BAD_REQUEST",
                           "the request has both Content-Length and Transfer-Encoding", NULL);
    } else if (f.te_other) {
        kv_http_resp_error(resp, 501, "NOT_IMPLEMENTED",
                           "the only transfer coding accepted is chunked", NULL);
    } else {
        return 0;
    }
    return 1;
}

/* ---- the request ---- */

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

/* The declared Content-Length: 1 and *out set, 0 when absent, -1 when malformed. */
static int content_length(struct MHD_Connection *conn, uint64_t *out)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long n;
    char *end;

    if (!cl)
        return 0;
    if (*cl < '0' || *cl > '9')
        return -1;
    errno = 0;
    n = strtoull(cl, &end, 10);
    if (errno || *end)
        return -1;
    *out = n;
    return 1;
}

/* Takes n bytes of the global body budget and, for a signed-in person (req.caller), of that
 * person's; 0, -1 when the global budget has not got them, -2 when the person's has not. */
static int budget_take(struct kv_http_server *srv, struct reqctx *ctx, uint64_t n)
{
    unsigned long long used = atomic_load(&srv->body_used);
    int person = ctx->req.caller[0] != '\0' && srv->callers;

    if (person &&
        kv__http_callers_take(srv->callers, ctx->req.caller, n, srv->cfg.person_body_memory) < 0)
        return -2;
    do {
        if (used + n > srv->cfg.body_memory) {
            if (person)
                kv__http_callers_give(srv->callers, ctx->req.caller, n);
            return -1;
        }
    } while (!atomic_compare_exchange_weak(&srv->body_used, &used, used + n));
    ctx->reserved += n;
    if (person)
        ctx->caller_reserved += n;
    return 0;
}

/* Frees the body and gives its budget back. */
static void body_drop(struct kv_http_server *srv, struct reqctx *ctx)
{
    kv_buf_release(&ctx->body);
    kv_buf_init(&ctx->body, 0);
    atomic_fetch_sub(&srv->body_used, ctx->reserved);
    if (ctx->caller_reserved)
        kv__http_callers_give(srv->callers, ctx->req.caller, ctx->caller_reserved);
    ctx->reserved = 0;
    ctx->caller_reserved = 0;
}

/* First call: everything up to reading the body. Returns MHD_YES to read the body (ctx->status
 * 0), or the result of queueing the refusal. */
static enum MHD_Result admit(struct kv_http_server *srv, struct MHD_Connection *conn,
                             struct reqctx *ctx, const char *method, int nul_target)
{
    struct kv_http_req *req = &ctx->req;
    struct kv_http_resp resp;
    struct kv__http_match m;
    const char *path = origin_path(ctx->path);
    char ce[64], msg[256];
    uint64_t cl = 0;
    int rc, has_cl;

    kv__http_resp_init(&resp);
    if (frame_check(conn, nul_target, &resp))
        return refuse(srv, conn, ctx, &resp, 0);
    if (admit_client(srv, conn, ctx, &resp) < 0)
        return refuse(srv, conn, ctx, &resp, 1);
    has_cl = content_length(conn, &cl);
    if (has_cl < 0) {
        kv_http_resp_error(&resp, 400, "BAD_REQUEST", "Content-Length is not a number", NULL);
        return refuse(srv, conn, ctx, &resp, 0);
    }
    ctx->path_copy = kv_xstrdup(path);
    rc = kv__http_route_indexed(srv->routes, srv->cfg.routes, method, path,
                                srv->cfg.test_routes, ctx->path_copy, req->params, &m);
    if (rc == KV_ENOTFOUND && !is_api_path(path) && srv->cfg.page_not_found) {
        /* A page no route serves: the web layer's HTML 404. */
        req->method = method;
        req->path = path;
        req->body = "";
        req->request_id = ctx->id;
        req->hub = srv->cfg.app;
        req->conn = conn;
        req->route_name = "web_not_found";
        if (srv->cfg.page_not_found(req, &resp) < 0) {
            kv__http_resp_release(&resp);
            kv__http_resp_init(&resp);
            kv_http_resp_error(&resp, 404, "NOT_FOUND", "no such resource", NULL);
        }
        return refuse(srv, conn, ctx, &resp, 1);
    }
    if (rc == KV_ENOTFOUND) {
        kv_http_resp_error(&resp, 404, "NOT_FOUND", "no such resource", NULL);
        return refuse(srv, conn, ctx, &resp, 1);
    }
    if (rc < 0 && strcmp(method, "OPTIONS") == 0) {
        /* OPTIONS on a served path: 204 with the methods it takes, no handler runs. */
        char allow[sizeof(m.allow) + 16];
        snprintf(allow, sizeof(allow), "%s, OPTIONS", m.allow);
        resp.status = 204;
        kv_http_resp_header(&resp, "Allow", allow);
        return refuse(srv, conn, ctx, &resp, 1);
    }
    if (rc < 0) {
        kv_http_resp_error(&resp, 405, "METHOD_NOT_ALLOWED", "method not allowed here", NULL);
        kv_http_resp_header(&resp, "Allow", m.allow);
        return refuse(srv, conn, ctx, &resp, 1);
    }
    ctx->route_name = m.route->name;
    req->method = method;
    req->path = path;
    req->body = "";
    req->body_len = 0;
    req->request_id = ctx->id;
    req->hub = srv->cfg.app;
    req->conn = conn;
    req->route_name = m.route->name;
    req->route = m.route;
    kv_err_unavail_reset(); /* this request's own database failures only */
    kv_reqtrace_begin(m.route->access);
    if (srv->cfg.gate) {
        rc = srv->cfg.gate(srv->cfg.gate_ctx, m.route, req, &resp);
        if (rc == KV_EUNAVAIL)
            kv_err_unavail_note();
        if (rc != 0) {
            if (rc < 0 && resp.status == 200 && resp.body.len == 0) {
                kv_log(KV_LOG_ERROR, "%s: gate failed for %s: %s", ctx->id, m.route->name,
                       kv_err_name(rc));
                kv_http_resp_error(&resp, 500, "INTERNAL_ERROR", "internal error", NULL);
            }
            return refuse(srv, conn, ctx, &resp, 1);
        }
    }
    if (unsupported_coding(conn, ce, sizeof(ce))) {
        snprintf(msg, sizeof(msg),
                 "Content-Encoding %s is not supported: send the body uncompressed (a bulk of "
                 "letters goes as an application/x-lzma archive)",
                 ce);
        kv_http_resp_error(&resp, 415, "UNSUPPORTED_MEDIA_TYPE", msg, NULL);
        return refuse(srv, conn, ctx, &resp, 1);
    }
    /* Nobody authenticated (a public route): a small form at most, so that no stranger holds
     * the body budget every sender shares (KV_HTTP_PUBLIC_MAX_BODY). A chunked body meets
     * the same bound while it is read (take_chunk: ctx->body's limit). */
    if (srv->cfg.gate && !req->principal && ctx->body.max > KV_HTTP_PUBLIC_MAX_BODY)
        ctx->body.max = KV_HTTP_PUBLIC_MAX_BODY;
    /* A signed-in person's one body can never be larger than that person's whole budget: 413
     * now, not a 503 "retry later" that no retry would change. */
    if (req->caller[0] && srv->callers && ctx->body.max > srv->cfg.person_body_memory)
        ctx->body.max = (size_t)srv->cfg.person_body_memory;
    if (has_cl && cl > ctx->body.max) {
        kv_http_resp_error(&resp, 413, "PAYLOAD_TOO_LARGE",
                           ctx->body.max >= srv->cfg.max_body
                               ? "request body exceeds the configured max_body"
                           : req->principal
                               ? "request body larger than one person may send at once"
                               : "request body too large for a request without credentials",
                           NULL);
        return refuse(srv, conn, ctx, &resp, 0);
    }
    if (has_cl && cl > 0) {
        rc = budget_take(srv, ctx, cl);
        if (rc < 0) {
            kv_log(KV_LOG_WARN, "%s: %s body budget spent (%llu bytes declared)", ctx->id,
                   rc == -2 ? "the person's" : "the", (unsigned long long)cl);
            kv_http_resp_error(&resp, 503, "UNAVAILABLE",
                               rc == -2 ? "your uploads in progress take too much at once: "
                                          "retry when they are done"
                                        : "the server is receiving too much at once: retry later",
                               NULL);
            kv_http_resp_header(&resp, "Retry-After", KV_HTTP_RETRY_AFTER);
            return refuse(srv, conn, ctx, &resp, 0);
        }
        /* The budget holds it, so the whole declared body may be allocated at once. */
        (void)kv_buf_reserve(&ctx->body, (size_t)cl);
    }
    kv__http_resp_release(&resp);
    set_deadline(srv, conn, srv->cfg.body_timeout_ms);
    return MHD_YES;
}

/* Appends a body chunk within max_body and the budget. */
static void take_chunk(struct kv_http_server *srv, struct reqctx *ctx, const char *data,
                       size_t n)
{
    if (ctx->too_big || ctx->over_budget) {
        ctx->discarded += n;
        return;
    }
    if (ctx->body.len + n > ctx->reserved &&
        budget_take(srv, ctx, ctx->body.len + n - ctx->reserved) < 0) {
        ctx->over_budget = 1;
    } else if (kv_buf_append(&ctx->body, data, n) < 0) {
        ctx->too_big = 1;
    } else {
        return;
    }
    ctx->discarded = n;
    body_drop(srv, ctx);
}

/* Runs the handler of an admitted, complete request. */
static enum MHD_Result dispatch(struct kv_http_server *srv, struct MHD_Connection *conn,
                                struct reqctx *ctx)
{
    struct kv_http_req *req = &ctx->req;
    struct kv_http_resp resp;
    enum MHD_Result ret;
    int rc;

    kv__http_resp_init(&resp);
    set_deadline(srv, conn, 0);
    req->body = ctx->body.buf;
    req->body_len = ctx->body.len;
    kv_err_unavail_reset();
    rc = req->route->fn(req, &resp);
    if (rc == KV_EUNAVAIL)
        kv_err_unavail_note();
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: handler %s failed: %s", ctx->id, req->route->name,
               kv_err_name(rc));
        kv__http_resp_release(&resp);
        kv__http_resp_init(&resp);
        kv_http_resp_error(&resp, 500, "INTERNAL_ERROR", "internal error", NULL);
    }
    ret = send_resp(srv, conn, ctx, &resp, 0);
    kv__http_resp_release(&resp);
    /* The handler is done with the body: its memory and budget are free before the answer
     * goes out (libmicrohttpd sends it after this callback returns). */
    body_drop(srv, ctx);
    req->body = "";
    req->body_len = 0;
    return ret;
}

/* "<prefix>-<counter in hex>", as snprintf("%s-%llx") made it (0.3 % of a Minimum letter's
 * server samples went to that snprintf). */
static void new_id(struct kv_http_server *srv, char *out, size_t outlen)
{
    unsigned long long n = atomic_fetch_add(&srv->next_id, 1) + 1;
    char hex[2 * sizeof(n)];
    size_t pl = strlen(srv->id_prefix), hl = 0, i;

    do {
        hex[hl++] = "0123456789abcdef"[n & 15];
        n >>= 4;
    } while (n);
    if (pl + 1 + hl >= outlen) { /* never with the sizes used here */
        out[0] = '\0';
        return;
    }
    memcpy(out, srv->id_prefix, pl);
    out[pl] = '-';
    for (i = 0; i < hl; i++)
        out[pl + 1 + i] = hex[hl - 1 - i];
    out[pl + 1 + hl] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct kv_http_server *srv = cls;
    struct reqctx *ctx = *con_cls;
    int nul_target = 0;

    (void)version;
    if (!ctx || ctx == (void *)&srv->nul_target) {
        nul_target = ctx != NULL;
        /* malloc and memset rather than calloc: glibc's calloc bypasses its per-thread cache,
         * so the request's context was a search of the heap's bins every request */
        ctx = kv_xmalloc(sizeof(*ctx));
        memset(ctx, 0, sizeof(*ctx));
        *con_cls = ctx;
        atomic_fetch_add(&srv->inflight, 1);
        clock_gettime(CLOCK_MONOTONIC, &ctx->t0);
        new_id(srv, ctx->id, sizeof(ctx->id));
        copy_cut(ctx->method, sizeof(ctx->method), method);
        ctx->path = kv_xstrdup(url);
        kv_buf_init(&ctx->body, srv->cfg.max_body);
        kv_reqtrace_begin(NULL);
        return admit(srv, conn, ctx, method, nul_target);
    }
    if (*upload_data_size) {
        if (ctx->status || ctx->refused) {
            /* Refused before the body: drop what libmicrohttpd still hands over. */
            ctx->discarded += *upload_data_size;
            *upload_data_size = 0;
            return ctx->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        take_chunk(srv, ctx, upload_data, *upload_data_size);
        *upload_data_size = 0;
        /* Over a bound (no Content-Length, so only seen while reading): libmicrohttpd cannot
         * answer mid-upload, so drain a little more to answer at the end of the body; a
         * client that keeps streaming past that is disconnected. */
        return ctx->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    if (ctx->status) /* already answered before the body */
        return MHD_YES;
    if (ctx->refused) { /* the refused request's small body is drained: answer now */
        enum MHD_Result ret = send_resp(srv, conn, ctx, &ctx->pending, 0);
        kv__http_resp_release(&ctx->pending);
        ctx->refused = 0;
        return ret;
    }
    if (ctx->too_big)
        return send_error(srv, conn, ctx, 413, "PAYLOAD_TOO_LARGE",
                          "request body exceeds the configured max_body", 1);
    if (ctx->over_budget)
        return send_error(srv, conn, ctx, 503, "UNAVAILABLE",
                          "the server is receiving too much at once: retry later", 1);
    return dispatch(srv, conn, ctx);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct kv_http_server *srv = cls;
    struct reqctx *ctx = *con_cls;
    int linger;
    double s;

    if (!ctx || ctx == (void *)&srv->nul_target) {
        *con_cls = NULL;
        return;
    }
    s = elapsed_s(&ctx->t0);
    /* 499 (nginx's "client closed request") when nothing was sent. */
    if (!ctx->status || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        ctx->status = ctx->status ? ctx->status : 499;
    if (srv->cfg.metrics)
        kv_metrics_observe_request(srv->cfg.metrics, ctx->route_name, ctx->status, s);
    if (srv->cfg.access_log)
        kv_log_access(ctx->id, ctx->method, ctx->path, ctx->status, ctx->bytes, s * 1000.0);
    if (ctx->req.principal && srv->cfg.principal_free)
        srv->cfg.principal_free(ctx->req.principal);
    body_drop(srv, ctx);
    if (ctx->refused)
        kv__http_resp_release(&ctx->pending);
    if (ctx->req.client[0]) { /* the request no longer counts for its forwarded client */
        const union MHD_ConnectionInfo *si =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct track *t = si ? si->socket_context : NULL;
        if (t && t->fwd[0]) {
            pthread_mutex_lock(&srv->mu);
            t->fwd[0] = '\0';
            pthread_mutex_unlock(&srv->mu);
        }
    }
    /* Sent in full with Connection: close (libmicrohttpd closes the connection after this
     * callback): the client may still be sending the body no one read. */
    linger = ctx->linger && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && srv->per_connection;
    free(ctx->path);
    free(ctx->path_copy);
    free(ctx);
    *con_cls = NULL;
    /* A kept-alive connection now waits for its next request's headers. */
    set_deadline(srv, conn, linger ? 0 : srv->cfg.header_timeout_ms);
    atomic_fetch_sub(&srv->inflight, 1);
    if (linger) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        linger_close(srv, ci ? ci->connect_fd : MHD_INVALID_SOCKET);
    }
}

/* Marks a request whose raw target (before libmicrohttpd decodes it) holds "%00": decoded,
 * the NUL would silently cut the path or a query value short. */
/* The connection whose request this thread is reading (set when its request line is in).
 * With a thread per connection the thread serves only that connection, so libmicrohttpd's
 * own error answers (logged from the same thread, see mhd_log) can be tied to it. */
static _Thread_local struct MHD_Connection *tl_conn;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct kv_http_server *srv = cls;
    const char *p;

    tl_conn = conn;
    for (p = uri; (p = strchr(p, '%')) != NULL; p++)
        if (p[1] == '0' && p[2] == '0')
            return &srv->nul_target;
    return NULL;
}

#define MHD_ERROR_ANSWER "Error processing request (HTTP response code is "

/* libmicrohttpd 0.9.75 answers a request it cannot frame itself (a Content-Length that is
 * not a number or too large, headers or a target too big) without calling kuvert, and writes
 * that answer's status line and headers twice. It logs the refusal first, from the
 * connection's own thread and before anything is written: kuvert then writes the one answer
 * itself (an NgDP ErrorMessage with Connection: close) and closes the connection lingering
 * (linger_close: the client may still be sending the rest of its head or its body), so
 * libmicrohttpd's copy fails to send and it closes the connection. Thread per connection
 * only (in the pool model a thread interleaves connections: the doubled answer remains). */
static void answer_framing_error(struct kv_http_server *srv, struct MHD_Connection *conn,
                                 unsigned status, const char *mhd_text)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *si =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct track *t = si ? si->socket_context : NULL;
    struct kv_http_resp resp;
    char head[512];
    const char *reason;
    size_t off = 0, hl;
    int n;

    if (!ci || ci->connect_fd == MHD_INVALID_SOCKET ||
        (status != 400 && status != 413 && status != 414 && status != 431))
        return;
    /* After this hook returns libmicrohttpd queues its own copy of the answer; once
     * MHD_stop_daemon has begun, 0.9.75's MHD_queue_response returns "yes" without queueing
     * and the connection's thread then builds the headers of a NULL response (SIGSEGV). So
     * server_free does not stop the daemon while such a connection is still open. */
    if (t && !t->framing) {
        t->framing = 1;
        atomic_fetch_add(&srv->framing, 1);
    }
    kv__http_resp_init(&resp);
    if (status == 431)
        kv_http_resp_error(&resp, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE",
                           "the request's header fields are too large", NULL);
    else if (status == 414)
        kv_http_resp_error(&resp, 414, "URI_TOO_LONG", "the request target is too long", NULL);
    else if (status == 413)
        kv_http_resp_error(&resp, 413, "PAYLOAD_TOO_LARGE", "Content-Length is too large",
                           NULL);
    else if (status == 400 && mhd_text && strstr(mhd_text, "Content-Length"))
        kv_http_resp_error(&resp, 400, "BAD_REQUEST", "Content-Length is not a number", NULL);
    else if (status == 400 && mhd_text && strstr(mhd_text, "Host"))
        kv_http_resp_error(&resp, 400, "BAD_REQUEST", "an HTTP/1.1 request needs a Host header",
                           NULL);
    else
        kv_http_resp_error(&resp, (int)status, status == 400 ? "BAD_REQUEST" : "HTTP_ERROR",
                           "the request is malformed", NULL);
    reason = MHD_get_reason_phrase_for(status);
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Type: %s\r\n"
                 "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 status, reason && *reason ? reason : "Error", resp.content_type, resp.body.len);
    hl = n > 0 && (size_t)n < sizeof(head) ? (size_t)n : 0;
    while (hl && off < hl + resp.body.len) {
        const char *src = off < hl ? head + off : resp.body.buf + (off - hl);
        size_t len = off < hl ? hl - off : resp.body.len - (off - hl);
        ssize_t w = send(ci->connect_fd, src, len, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* a client that does not read gets a cut answer, never two */
        off += (size_t)w;
    }
    kv__http_resp_release(&resp);
    linger_close(srv, ci->connect_fd);
}

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct kv_http_server *srv = cls;
    char msg[512];
    size_t n;

    if (srv && srv->per_connection && tl_conn &&
        strncmp(fmt, MHD_ERROR_ANSWER, sizeof(MHD_ERROR_ANSWER) - 1) == 0) {
        va_list cp;

        unsigned status;

        va_copy(cp, ap);
        status = va_arg(cp, unsigned);
        answer_framing_error(srv, tl_conn, status, va_arg(cp, const char *));
        va_end(cp);
    }
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

static void server_free(struct kv_http_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, 1); /* lingering closes end within LINGER_SLICE_MS */
    /* A framing refusal's lingering close ends now; its connection's thread then goes back
     * into libmicrohttpd, which must not find the daemon stopping (answer_framing_error).
     * Its copy of the answer fails at once (the socket is shut for writing) and the
     * connection ends: wait for that, bounded. */
    for (int i = 0; i < FRAMING_WAIT_MS / 10 && atomic_load(&srv->framing) > 0; i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    if (srv->d)
        MHD_stop_daemon(srv->d);
    kv_log_access_flush();
    if (srv->reaper_started) {
        pthread_mutex_lock(&srv->mu);
        srv->stop = 1;
        pthread_cond_signal(&srv->cv);
        pthread_mutex_unlock(&srv->mu);
        pthread_join(srv->reaper, NULL);
    }
    pthread_cond_destroy(&srv->cv);
    pthread_mutex_destroy(&srv->mu);
    kv__http_index_free(srv->routes);
    kv__http_callers_free(srv->callers);
    free(srv);
}

int kv_http_server_start(const struct kv_http_config *cfg, struct kv_http_server **out,
                         struct kv_err *err)
{
    struct kv_http_server *srv = kv_xcalloc(1, sizeof(*srv));
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    unsigned flags;
    unsigned char rnd[6];
    const union MHD_DaemonInfo *info;
    unsigned threads;
    int pool = cfg->model && strcmp(cfg->model, "pool") == 0;
    long ncpu;
    int rc;

    *out = NULL;
    srv->cfg = *cfg;
    atomic_init(&srv->inflight, 0);
    atomic_init(&srv->closing, 0);
    atomic_init(&srv->stopping, 0);
    atomic_init(&srv->framing, 0);
    atomic_init(&srv->next_id, 0);
    atomic_init(&srv->body_used, 0);
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cv, NULL);
    srv->tracks.next = srv->tracks.prev = &srv->tracks;
    if (cfg->routes)
        srv->routes = kv__http_index_new(cfg->routes, cfg->test_routes);
    if (cfg->person_body_memory) /* a slot per request that may hold a body at once */
        srv->callers = kv__http_callers_new(cfg->max_connections ? cfg->max_connections : 1024);
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        memset(rnd, 0, sizeof(rnd));
    snprintf(srv->id_prefix, sizeof(srv->id_prefix), "%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    rc = resolve_listen(cfg->listen, &ss, &sslen, err);
    if (rc < 0)
        goto out;
    if (pthread_create(&srv->reaper, NULL, reaper_main, srv) != 0) {
        rc = kv_err_set(err, KV_EIO, "cannot start the HTTP deadline thread");
        goto out;
    }
    srv->reaper_started = 1;
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cfg->threads > 0 ? cfg->threads : (unsigned)(2 * (ncpu > 0 ? ncpu : 1));
    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (pool)
        flags |= MHD_USE_EPOLL | MHD_USE_TURBO;
    else
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    srv->per_connection = !pool;
    {
        /* The logger must come first so MHD's own start-up messages reach it. */
        struct MHD_OptionItem opts[] = {
            {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, srv},
            {MHD_OPTION_SOCK_ADDR, 0, &ss},
            {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv},
            {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv},
            {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, srv},
            /* 32 KiB per connection: a request's head (a header block over it is refused
             * 431) plus the read buffer of its body (half the pool: a body over ~16 KiB takes
             * two reads). libmicrohttpd 0.9.75 zeroes the whole pool after every request:
             * 64 KiB was 2.8 % of a Minimum letter's server samples (docs/send-api.md "Cuts of
             * session 9", with the Full letter's cost of the smaller read buffer). */
            {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 * 1024, NULL},
            {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
            /* With trusted proxies the limit is kuvert's own (accept_policy, admit_client). */
            {MHD_OPTION_PER_IP_CONNECTION_LIMIT,
             (intptr_t)(proxies_trusted(srv) ? 0 : cfg->max_per_ip), NULL},
            {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)((cfg->conn_timeout_ms + 999) / 1000),
             NULL},
            {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
            {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL},
            {MHD_OPTION_END, 0, NULL},
        };
        if (!pool) /* no pool: end the list before it */
            opts[10].option = MHD_OPTION_END;
        srv->d = MHD_start_daemon(flags, 0, accept_policy, srv, on_request, srv,
                                  MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    }
    if (!srv->d) {
        rc = kv_err_set(err, KV_EIO, "cannot listen on %s (address in use or not available)",
                        cfg->listen);
        goto out;
    }
    info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    kv_log(KV_LOG_INFO,
           "http model %s (%u pool threads), max_body %zu, body_memory %llu, max_connections "
           "%u (%u per address)",
           pool ? "pool" : "per-connection", pool ? threads : 0u, cfg->max_body,
           (unsigned long long)cfg->body_memory, cfg->max_connections, cfg->max_per_ip);
    *out = srv;
    srv = NULL;
out:
    server_free(srv);
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
    server_free(s);
}

/* SPDX-License-Identifier: MIT
 *
 * mail.c: the mail outbox (table mail_outbox) and its SMTP sender (see mail.h). Rows are
 * queued inside the caller's transaction; the sender loads a batch of due PENDING rows,
 * formats each as a MIME plain-text message and hands it to libcurl's SMTP client (one easy
 * handle per pass, so the connection is reused), then records each outcome in its own short
 * transaction: SENT, or attempts + 1 with the next attempt after the retry delay, or FAILED
 * after KV_MAIL_MAX_ATTEMPTS. Only smtp:// and smtps:// URLs are used; smtps verifies the
 * server's certificate, smtp:// upgrades with STARTTLS when the server offers it.
 */
#include "hub/mail.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "util/metrics.h"
#include "hub/hub.h"
#include "store/store.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/outbound.h"
#include "util/xmalloc.h"

#define DEFAULT_TIMEOUT_MS 30000
#define MESSAGE_MAX (4 * KV_MAIL_BODY_MAX) /* formatted message: base64 body plus headers */
#define ERROR_MAX 255

static const int64_t retry_delays_ms[] = {60LL * 1000, 5 * 60LL * 1000, 15 * 60LL * 1000,
                                          60 * 60LL * 1000};

static const char SQL_QUEUE[] =
    "INSERT INTO mail_outbox (to_addr, subject, body, kind, system_id, state, attempts, next_ms,"
    " created_ms) VALUES (?, ?, ?, ?, ?, 'PENDING', 0, ?, ?) RETURNING id";
static const char SQL_DUE[] =
    "SELECT id, to_addr, subject, body, attempts, created_ms FROM mail_outbox"
    " WHERE state = 'PENDING' AND next_ms <= ? ORDER BY next_ms, id LIMIT ?";
static const char SQL_SENT[] =
    "UPDATE mail_outbox SET state = 'SENT', attempts = attempts + 1, sent_ms = ?,"
    " last_error = NULL WHERE id = ? AND state = 'PENDING'";
static const char SQL_FAILED[] =
    "UPDATE mail_outbox SET state = ?, attempts = attempts + 1, next_ms = ?, last_error = ?"
    " WHERE id = ? AND state = 'PENDING'";

int64_t kv_mail_retry_delay_ms(int failures)
{
    return kv_outbound_delay_ms(retry_delays_ms,
                                sizeof(retry_delays_ms) / sizeof(retry_delays_ms[0]), failures);
}

int kv_mail_addr_ok(const char *addr)
{
    const char *at;
    size_t n, i;

    if (!addr)
        return 0;
    n = strlen(addr);
    if (n < 3 || n >= KV_MAIL_ADDR_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)addr[i];
        if (c <= 0x20 || c == 0x7f || strchr("<>()[],;:\\\"", c))
            return 0;
    }
    at = strchr(addr, '@');
    return at && at != addr && at[1] && !strchr(at + 1, '@');
}

int kv_mail_queue(struct kv_db *db, const char *to, const char *subject, const char *body,
                  const char *kind, const char *system_id, int64_t now_ms, int64_t *out_id,
                  struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    if (!kv_mail_addr_ok(to))
        return kv_err_set(err, KV_EINVAL, "not a usable e-mail address");
    if (!subject || !body || !kind)
        return kv_err_set(err, KV_EINVAL, "mail without subject, body or kind");
    if (strlen(subject) >= KV_MAIL_SUBJECT_MAX || strlen(body) >= KV_MAIL_BODY_MAX)
        return kv_err_set(err, KV_ETOOBIG, "mail subject or body too long");
    rc = kv_db_prepare(db, SQL_QUEUE, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, to, -1);
    kv_stmt_bind_text(s, 2, subject, -1);
    kv_stmt_bind_text(s, 3, body, -1);
    kv_stmt_bind_text(s, 4, kind, -1);
    kv_stmt_bind_text(s, 5, system_id, -1);
    kv_stmt_bind_int64(s, 6, now_ms);
    kv_stmt_bind_int64(s, 7, now_ms);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW && out_id)
        *out_id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* ---- formatting -------------------------------------------------------------------------- */

/* RFC 5322 date, always UTC: "Sun, 29 Nov 2026 09:21:02 +0000". */
static void rfc5322_date(int64_t ms, char out[40])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
        tm.tm_mon > 11) {
        snprintf(out, 40, "Thu, 01 Jan 1970 00:00:00 +0000");
        return;
    }
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* Appends the Subject header: verbatim when printable ASCII and short, else RFC 2047
 * encoded words of at most 45 input bytes (cut at UTF-8 character boundaries), folded. */
static int put_subject(struct kv_buf *b, const char *subject)
{
    size_t n = strlen(subject), off = 0;
    int rc = 0;

    if (plain_ascii(subject) && n <= 900)
        return kv_buf_printf(b, "Subject: %s\r\n", subject);
    rc = kv_buf_puts(b, "Subject:");
    while (rc == 0 && off < n) {
        size_t len = n - off > 45 ? 45 : n - off;
        char *enc = NULL;
        size_t elen;
        while (off + len < n && len > 1 && ((unsigned char)subject[off + len] & 0xC0) == 0x80)
            len--;
        rc = kv_b64_encode(subject + off, len, 64, &enc, &elen);
        if (rc == 0)
            rc = kv_buf_printf(b, "%s=?UTF-8?B?%s?=", off ? "\r\n " : " ", enc);
        free(enc);
        off += len;
    }
    return rc == 0 ? kv_buf_puts(b, "\r\n") : rc;
}

char *kv_mail_format(const char *from, const char *to, const char *subject, const char *body,
                     int64_t date_ms, const char *message_id_local)
{
    struct kv_buf b;
    char date[40], *enc = NULL;
    const char *domain = strchr(from, '@');
    size_t n, off;
    int rc;

    kv_buf_init(&b, MESSAGE_MAX);
    rfc5322_date(date_ms, date);
    rc = kv_buf_printf(&b, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n", date, from, to);
    if (rc == 0)
        rc = put_subject(&b, subject);
    if (rc == 0)
        rc = kv_buf_printf(&b,
                           "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
                           "Content-Type: text/plain; charset=utf-8\r\n"
                           "Content-Transfer-Encoding: base64\r\n"
                           "Auto-Submitted: auto-generated\r\n\r\n",
                           message_id_local, domain ? domain + 1 : "localhost");
    if (rc == 0) {
        rc = kv_b64_encode(body, strlen(body), MESSAGE_MAX, &enc, &n);
        for (off = 0; rc == 0 && off < n; off += 76) {
            rc = kv_buf_append(&b, enc + off, n - off > 76 ? 76 : n - off);
            if (rc == 0)
                rc = kv_buf_puts(&b, "\r\n");
        }
        free(enc);
    }
    if (rc < 0) {
        kv_buf_release(&b);
        return NULL;
    }
    return kv_buf_detach(&b, NULL);
}

/* ---- sending ----------------------------------------------------------------------------- */

struct mail {
    int64_t id;          /* mail_outbox.id */
    char *to;            /* owned */
    char *subject;       /* owned */
    char *body;          /* owned */
    int attempts;        /* before this one */
    int64_t created_ms;  /* queue time */
};

/* The message being uploaded. */
struct upload {
    const char *data; /* borrowed message */
    size_t len;       /* its length */
    size_t off;       /* bytes handed to curl */
};

static atomic_int warned_no_smtp;

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct upload *u = ud;
    size_t room = size * nmemb, n = u->len - u->off;

    if (n > room)
        n = room;
    memcpy(ptr, u->data + u->off, n);
    u->off += n;
    return n;
}

static void free_mails(struct mail *m, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        free(m[i].to);
        free(m[i].subject);
        free(m[i].body);
    }
}

static int load_due(struct kv_db *db, int64_t now, struct mail *m, int max, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc, n = 0;

    rc = kv_db_prepare(db, SQL_DUE, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_int64(s, 2, max);
    while (n < max && (rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *to = kv_stmt_col_text(s, 1), *subj = kv_stmt_col_text(s, 2);
        const char *body = kv_stmt_col_text(s, 3);
        m[n].id = kv_stmt_col_int64(s, 0);
        m[n].to = kv_xstrdup(to ? to : "");
        m[n].subject = kv_xstrdup(subj ? subj : "");
        m[n].body = kv_xstrdup(body ? body : "");
        m[n].attempts = (int)kv_stmt_col_int64(s, 4);
        m[n].created_ms = kv_stmt_col_int64(s, 5);
        n++;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : n;
}

/* Records one outcome in its own transaction. error NULL = sent. */
static int record(struct kv_db *db, const struct mail *m, int64_t now, const char *error,
                  struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char text[ERROR_MAX + 1];
    int give_up = m->attempts + 1 >= KV_MAIL_MAX_ATTEMPTS;
    int rc;

    /* One UPDATE guarded by state = 'PENDING': concurrent (docs/postgresql.md "Writes without
     * the global lock"); a SENT recorded meanwhile makes it match nothing. */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, error ? SQL_FAILED : SQL_SENT, &s, err);
    if (rc < 0)
        goto out;
    if (!error) {
        kv_stmt_bind_int64(s, 1, now);
        kv_stmt_bind_int64(s, 2, m->id);
    } else {
        snprintf(text, sizeof(text), "%s", error);
        kv_stmt_bind_text(s, 1, give_up ? "FAILED" : "PENDING", -1);
        kv_stmt_bind_int64(s, 2, now + kv_mail_retry_delay_ms(m->attempts + 1));
        kv_stmt_bind_text(s, 3, text, -1);
        kv_stmt_bind_int64(s, 4, m->id);
    }
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc >= 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    if (rc >= 0 && error)
        kv_log(give_up ? KV_LOG_ERROR : KV_LOG_WARN, "mail %lld to %s: %s%s", (long long)m->id,
               m->to, text, give_up ? " (giving up)" : " (will retry)");
    return rc < 0 ? rc : 0;
}

static int scheme_ok(const char *url)
{
    return strncasecmp(url, "smtp://", 7) == 0 || strncasecmp(url, "smtps://", 8) == 0;
}

/* Sends one message with easy (already set up with URL, timeouts). 0 or a libcurl code;
 * *transport set when the failure is not specific to this mail. */
static CURLcode send_one(CURL *easy, const char *from, const struct mail *m, int64_t now,
                         char *errbuf, int *transport)
{
    struct curl_slist *rcpt = NULL;
    struct upload up;
    char local[64], env_from[KV_MAIL_ADDR_MAX + 2], env_to[KV_MAIL_ADDR_MAX + 2];
    char *msg;
    CURLcode cc;

    *transport = 0;
    snprintf(local, sizeof(local), "kuvert-mail-%lld.%lld", (long long)m->id,
             (long long)m->created_ms);
    msg = kv_mail_format(from, m->to, m->subject, m->body, now, local);
    if (!msg) {
        snprintf(errbuf, CURL_ERROR_SIZE, "message too large");
        return CURLE_FILESIZE_EXCEEDED;
    }
    snprintf(env_from, sizeof(env_from), "<%s>", from);
    snprintf(env_to, sizeof(env_to), "<%s>", m->to);
    rcpt = curl_slist_append(NULL, env_to);
    up.data = msg;
    up.len = strlen(msg);
    up.off = 0;
    errbuf[0] = '\0';
    curl_easy_setopt(easy, CURLOPT_MAIL_FROM, env_from);
    curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(easy, CURLOPT_READDATA, &up);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    cc = rcpt ? curl_easy_perform(easy) : CURLE_OUT_OF_MEMORY;
    if (cc != CURLE_OK) {
        long code = 0;
        size_t n;

        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
        if (!errbuf[0])
            snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(cc));
        n = strlen(errbuf);
        if (code > 0 && n + 16 < CURL_ERROR_SIZE)
            snprintf(errbuf + n, CURL_ERROR_SIZE - n, " (SMTP %ld)", code);
        /* A refusal with an SMTP reply code (of the recipient, or of the message after DATA)
         * is this mail's problem; anything else (no connection, timeout, TLS, login, no
         * proper reply) is the server's, and the pass stops. */
        *transport = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
                     cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SSL_CONNECT_ERROR ||
                     cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_USE_SSL_FAILED ||
                     cc == CURLE_LOGIN_DENIED || cc == CURLE_GOT_NOTHING ||
                     cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT ||
                     (cc == CURLE_WEIRD_SERVER_REPLY && code < 400);
    }
    curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(rcpt);
    free(msg);
    return cc;
}

int kv_mail_send_due(struct kv_store *st, const struct kv_mail_opts *opts, int64_t now_ms,
                     int *out_sent, struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct mail *mails = NULL;
    CURL *easy = NULL;
    char errbuf[CURL_ERROR_SIZE];
    int64_t timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    const char *from = opts && opts->from && opts->from[0] ? opts->from : "kuvert@localhost";
    int rc, n = 0, i, sent = 0;

    if (out_sent)
        *out_sent = 0;
    if (!opts || !opts->smtp_url || !opts->smtp_url[0])
        return 0;
    if (!scheme_ok(opts->smtp_url))
        return kv_err_set(err, KV_EINVAL, "smtp must be an smtp:// or smtps:// URL");
    if (!kv_mail_addr_ok(from))
        return kv_err_set(err, KV_EINVAL, "smtp_from is not a usable e-mail address");
    if (kv_outbound_init(err) < 0)
        return KV_EINTERNAL;
    rc = kv_db_acquire(st, &db, err);
    if (rc < 0)
        return rc;
    mails = kv_xcalloc(KV_MAIL_BATCH, sizeof(*mails));
    rc = load_due(db, now_ms, mails, KV_MAIL_BATCH, err);
    if (rc <= 0)
        goto out;
    n = rc;
    rc = 0;
    easy = curl_easy_init();
    if (!easy) {
        rc = kv_err_set(err, KV_ENOMEM, "curl_easy_init failed");
        goto out;
    }
    curl_easy_setopt(easy, CURLOPT_URL, opts->smtp_url);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(easy, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)timeout);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
    for (i = 0; i < n; i++) {
        int transport = 0;
        int64_t t = kv_clock_now_ms();
        CURLcode cc;

        if (t < now_ms)
            t = now_ms;
        cc = send_one(easy, from, &mails[i], t, errbuf, &transport);
        rc = record(db, &mails[i], t, cc == CURLE_OK ? NULL : errbuf, err);
        if (rc < 0)
            break;
        if (cc == CURLE_OK) {
            sent++;
            kv_log(KV_LOG_INFO, "mail %lld sent to %s", (long long)mails[i].id, mails[i].to);
        } else if (transport) {
            break;
        }
    }
out:
    if (easy)
        curl_easy_cleanup(easy);
    if (mails) {
        free_mails(mails, n);
        free(mails);
    }
    kv_db_release(db);
    if (rc == 0 && out_sent)
        *out_sent = sent;
    return rc < 0 ? rc : 0;
}

int kv_mail_hook(void *hub_arg)
{
    struct kv_hub *hub = hub_arg;
    struct kv_mail_opts o;
    struct kv_err err = {0, ""};
    int rc, sent = 0, rounds = 0;

    memset(&o, 0, sizeof(o));
    o.smtp_url = hub->conf->smtp;
    o.from = hub->conf->smtp_from;
    o.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!o.smtp_url[0]) {
        struct kv_db *db = NULL;
        struct kv_stmt *s = NULL;
        int64_t pending = 0;

        if (atomic_load(&warned_no_smtp))
            return 0;
        /* Warn once, when there is something that cannot be sent. */
        if (kv_db_acquire(hub->store, &db, NULL) < 0)
            return 0;
        if (kv_db_prepare(db, "SELECT COUNT(*) FROM mail_outbox WHERE state = 'PENDING'", &s,
                          NULL) == 0) {
            if (kv_stmt_step(s, NULL) == KV_ROW)
                pending = kv_stmt_col_int64(s, 0);
            kv_stmt_done(s);
        }
        kv_db_release(db);
        if (pending > 0 && !atomic_exchange(&warned_no_smtp, 1))
            kv_log(KV_LOG_WARN,
                   "%lld e-mail(s) waiting but no SMTP server is configured (config key smtp, "
                   "--smtp URL); they stay queued",
                   (long long)pending);
        return 0;
    }
    /* Batches while they come back full (notices of new post can be many), bounded. */
    do {
        sent = 0;
        rc = kv_mail_send_due(hub->store, &o, kv_clock_now_ms(), &sent, &err);
    } while (rc == 0 && sent == KV_MAIL_BATCH && ++rounds < 50);
    if (rc < 0)
        kv_log(KV_LOG_WARN, "mail sender: %s", err.msg);
    return rc;
}

/* ---- gauges ------------------------------------------------------------------------------ */

static int count_gauge(struct kv_hub *hub, const char *sql, double *out)
{
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_acquire(hub->store, &db, NULL);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, sql, &s, NULL);
    if (rc == 0) {
        rc = kv_stmt_step(s, NULL);
        if (rc == KV_ROW) {
            *out = (double)kv_stmt_col_int64(s, 0);
            rc = 0;
        } else if (rc == KV_DONE) {
            rc = KV_EDB;
        }
        kv_stmt_done(s);
    }
    kv_db_release(db);
    return rc;
}

static int pending_gauge(void *arg, double *out)
{
    return count_gauge(arg, "SELECT COUNT(*) FROM mail_outbox WHERE state = 'PENDING'", out);
}

static int deactivated_gauge(void *arg, double *out)
{
    return count_gauge(arg,
                       "SELECT COUNT(*) FROM systems WHERE kind = 'recipient'"
                       " AND status = 'deactivated'",
                       out);
}

void kv_mail_register_gauges(struct kv_hub *hub)
{
    (void)kv_metrics_gauge_register(hub->metrics, "kuvert_mail_outbox_pending", NULL,
                                    "E-mails queued and not yet sent (warning and deactivation "
                                    "mails).",
                                    pending_gauge, hub);
    (void)kv_metrics_gauge_register(hub->metrics, "kuvert_recipient_systems_deactivated", NULL,
                                    "Recipient systems that are deactivated.", deactivated_gauge,
                                    hub);
}

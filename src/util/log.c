/* SPDX-License-Identifier: MIT
 *
 * log.c: formatting and writing log lines (see log.h). Lines other than the access log are
 * written at once (stderr is unbuffered: one write(2) each). Access-log lines go to a
 * process-wide buffer written out by kv_log_access_flush (the HTTP server calls it on its
 * 200 ms deadline tick and when it stops), when the buffer is full, and before any other
 * line, so the order of lines in the log stays the order they were made in.
 */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

int kv_log_threshold = KV_LOG_INFO;

#define ACCESS_BUF 65536 /* bytes of access-log lines held before they are written */

static pthread_mutex_t access_mu = PTHREAD_MUTEX_INITIALIZER;
static char access_buf[ACCESS_BUF]; /* buffered access-log lines (guarded by access_mu) */
static size_t access_len;           /* bytes in access_buf (guarded by access_mu) */

/* Writes the buffered access-log lines. Caller holds access_mu. */
static void access_write(void)
{
    if (access_len)
        fwrite(access_buf, 1, access_len, stderr);
    access_len = 0;
}

void kv_log_access_flush(void)
{
    pthread_mutex_lock(&access_mu);
    access_write();
    pthread_mutex_unlock(&access_mu);
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int kv_log_set_level(const char *name)
{
    int i;

    for (i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0) {
            kv_log_threshold = i;
            return 0;
        }
    return KV_EINVAL;
}

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (real time: logs are not moved by the test clock). */
static void stamp(char *out, size_t outlen)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
}

/* "src/http/server.c" -> "server" (length in *len). */
static const char *module_of(const char *file, int *len)
{
    const char *slash = strrchr(file, '/');
    const char *base = slash ? slash + 1 : file;
    const char *dot = strrchr(base, '.');

    *len = dot ? (int)(dot - base) : (int)strlen(base);
    return base;
}

/* Formats one line into line (size 2048); returns its length with the newline, or 0. */
__attribute__((format(printf, 5, 0)))
static size_t format_line(char *line, int level, const char *module, int modlen,
                          const char *fmt, va_list ap)
{
    const size_t cap = 2048;
    char ts[96];
    int n, m;

    stamp(ts, sizeof(ts));
    n = snprintf(line, cap, "%s %s %.*s ", ts, level_names[level & 3], modlen, module);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    m = vsnprintf(line + n, cap - (size_t)n - 1, fmt, ap);
    if (m < 0)
        return 0;
    n += m;
    if ((size_t)n >= cap - 1)
        n = (int)cap - 2; /* truncated */
    line[n++] = '\n';
    return (size_t)n;
}

/* Writes a line other than the access log: the access lines made before it go first. */
__attribute__((format(printf, 4, 0)))
static void emit(int level, const char *module, int modlen, const char *fmt, va_list ap)
{
    char line[2048];
    size_t n = format_line(line, level, module, modlen, fmt, ap);

    if (!n)
        return;
    pthread_mutex_lock(&access_mu);
    access_write();
    fwrite(line, 1, n, stderr);
    pthread_mutex_unlock(&access_mu);
}

void kv__log_write(int level, const char *file, const char *fmt, ...)
{
    va_list ap;
    int len;
    const char *mod = module_of(file, &len);

    va_start(ap, fmt);
    emit(level, mod, len, fmt, ap);
    va_end(ap);
}

/* Buffers one access-log line (written at once when the buffer cannot take it). */
static void emit_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit_access(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = format_line(line, KV_LOG_INFO, "access", 6, fmt, ap);
    va_end(ap);
    if (!n)
        return;
    pthread_mutex_lock(&access_mu);
    if (access_len + n > sizeof(access_buf))
        access_write();
    memcpy(access_buf + access_len, line, n);
    access_len += n;
    pthread_mutex_unlock(&access_mu);
}

void kv_log_access(const char *request_id, const char *method, const char *path, int status,
                   uint64_t bytes, double ms)
{
    char safe[512];
    size_t i;

    if (KV_LOG_INFO > kv_log_threshold)
        return;
    /* The path is attacker-chosen (and already percent-decoded): no control bytes in logs. */
    for (i = 0; path[i] && i < sizeof(safe) - 1; i++)
        safe[i] = (path[i] < 0x20 || path[i] == 0x7f) ? '?' : path[i];
    safe[i] = '\0';
    emit_access("%s %s %s %d %lluB %.3fms", request_id, method, safe, status,
                (unsigned long long)bytes, ms);
}

/* ---- repeated failures (log.h kv_log_streak) ---- */

#define STREAK_EVERY_MS 60000

long long kv_log_streak_fail(struct kv_log_streak *s)
{
    struct timespec ts;
    int64_t now;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    s->failures++;
    if (s->failures > 1 && now < s->next_ms)
        return 0;
    s->next_ms = now + STREAK_EVERY_MS;
    return s->failures;
}

long long kv_log_streak_ok(struct kv_log_streak *s)
{
    long long n = s->failures;

    s->failures = 0;
    s->next_ms = 0;
    return n;
}

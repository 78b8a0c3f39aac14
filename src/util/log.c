/* SPDX-License-Identifier: MIT
 *
 * log.c: formatting and writing log lines (see log.h).
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

int kv_log_threshold = KV_LOG_INFO;

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

__attribute__((format(printf, 4, 0)))
static void emit(int level, const char *module, int modlen, const char *fmt, va_list ap)
{
    char line[2048];
    char ts[96];
    int n, m;

    stamp(ts, sizeof(ts));
    n = snprintf(line, sizeof(line), "%s %s %.*s ", ts, level_names[level & 3], modlen, module);
    if (n < 0 || (size_t)n >= sizeof(line))
        return;
    m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    if (m < 0)
        return;
    n += m;
    if ((size_t)n >= sizeof(line) - 1)
        n = (int)sizeof(line) - 2; /* truncated */
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
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

static void emit_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit_access(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(KV_LOG_INFO, "access", 6, fmt, ap);
    va_end(ap);
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

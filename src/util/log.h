/* SPDX-License-Identifier: MIT
 *
 * log.h: kuvert's logging. kv_log(level, fmt, ...) is a macro that checks the level before
 * formatting anything, then writes one line to stderr:
 *   2026-11-03T10:15:02.123Z info server listening on http://127.0.0.1:8080
 * (UTC time, level, module = the source file's base name, message). The HTTP access log is a
 * separate call (kv_log_access) with module "access", also at level info.
 *
 * Access-log lines are buffered (up to 64 KiB) and written together by kv_log_access_flush,
 * when the buffer is full, or before any other line (which keeps the log in order): one
 * write(2) per many requests instead of one per request. The HTTP server flushes every
 * 200 ms and when it stops, so a process that dies abruptly (SIGKILL, a crash) loses at most
 * the access lines of its last 200 ms (and at most 64 KiB); every other line is written at once.
 *
 * Threading: safe from any thread; lines are written with one fwrite each under a mutex.
 * Never log secrets or letter bodies above debug level.
 */
#ifndef KV_UTIL_LOG_H
#define KV_UTIL_LOG_H

#include <stdint.h>

enum kv_log_level {
    KV_LOG_ERROR = 0, /* something failed and was not recovered */
    KV_LOG_WARN = 1,  /* something failed and was recovered, or looks wrong */
    KV_LOG_INFO = 2,  /* lifecycle events and the access log */
    KV_LOG_DEBUG = 3  /* detail for developers */
};

/* Current threshold; lines above it are skipped before formatting. */
extern int kv_log_threshold;

/* Sets the threshold from "error", "warn", "info" or "debug"; returns 0 or KV_EINVAL. */
int kv_log_set_level(const char *name);

void kv__log_write(int level, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define kv_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= kv_log_threshold)                                                           \
            kv__log_write((level), __FILE__, __VA_ARGS__);                                         \
    } while (0)

/* A failure that repeats at every pass of a periodic job (a lease that cannot be written on a
 * full disk: every second): the first failure of a streak is logged, then at most one line a
 * minute, and one line when the job works again, instead of a line per pass that buries the
 * cause. Zero-initialised; one per job, used by one thread at a time.
 *   if ((n = kv_log_streak_fail(&s)) > 0) kv_log(KV_LOG_WARN, "... (%lld passes)", n);
 *   if ((n = kv_log_streak_ok(&s)) > 0) kv_log(KV_LOG_INFO, "... again after %lld", n); */
struct kv_log_streak {
    long long failures; /* in the current streak */
    int64_t next_ms;    /* monotonic ms before which no further line is logged */
};
/* Counts a failure; returns the streak's length when this one is to be logged (the first,
 * then at most one a minute), else 0. */
long long kv_log_streak_fail(struct kv_log_streak *s);
/* Ends the streak; returns its length (0: there was none, log nothing). */
long long kv_log_streak_ok(struct kv_log_streak *s);

/* One access-log line: "<id> <method> <path> <status> <bytes>B <ms>ms". path is logged
 * without the query string. Buffered (see above). */
void kv_log_access(const char *request_id, const char *method, const char *path, int status,
                   uint64_t bytes, double ms);
/* Writes the buffered access-log lines now. */
void kv_log_access_flush(void);

#endif

/* SPDX-License-Identifier: MIT
 *
 * err.h: kuvert's error codes and the caller-supplied error detail struct.
 *
 * Every fallible function returns int: 0 on success or a negative KV_E* code. Functions that can
 * explain a failure take a `struct kv_err *err` as their last parameter (NULL allowed) and fill
 * in a human-readable message. No allocation happens here; the struct is caller-owned.
 */
#ifndef KV_UTIL_ERR_H
#define KV_UTIL_ERR_H

#include <stdarg.h>

enum {
    KV_OK = 0,
    KV_ENOMEM = -1,    /* out of memory */
    KV_EINVAL = -2,    /* invalid argument or input */
    KV_ENOTFOUND = -3, /* no such object */
    KV_ECONFLICT = -4, /* conflicts with existing state */
    KV_EIO = -5,       /* I/O error (errno in msg) */
    KV_EDB = -6,       /* database error */
    KV_ETOOBIG = -7,   /* input exceeds a configured bound */
    KV_EXML = -8,      /* XML not well-formed or refused by the reader */
    KV_EAUTH = -9,     /* authentication failed */
    KV_EPERM = -10,    /* authenticated but not allowed */
    KV_EUSAGE = -11,   /* bad command-line usage */
    KV_EINTERNAL = -12, /* bug or unexpected library failure */
    KV_EUNAVAIL = -13   /* the database is unavailable for now (read-only, unreachable, shutting
                           down, locked or full past its timeout): worth retrying later */
};

struct kv_err {
    int code;      /* last KV_E* code, 0 when unset */
    char msg[256]; /* NUL-terminated message, truncated if longer */
};

/* Sets err (if non-NULL) and returns code, so callers can write `return kv_err_set(...)`. */
int kv_err_set(struct kv_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like kv_err_set with code KV_EIO, appending ": strerror(errno)". */
int kv_err_errno(struct kv_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The calling thread's note that a KV_EUNAVAIL failure was set (kv_err_set with that code)
 * since the last kv_err_unavail_reset. A caller that turns the code into another one, or
 * answers a bare 500 from it, still lets the HTTP layer answer 503 with Retry-After instead
 * (http/server.c resets the note before each request; see docs/errors.md). */
void kv_err_unavail_reset(void);
int kv_err_unavail_seen(void);
/* Sets the note without an error struct (a KV_EUNAVAIL handed over from another thread). */
void kv_err_unavail_note(void);

/* Returns a static name such as "EINVAL" for a KV_E* code. */
const char *kv_err_name(int code);

#endif

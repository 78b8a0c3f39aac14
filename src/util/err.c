/* SPDX-License-Identifier: MIT
 *
 * err.c: filling struct kv_err and naming error codes. See err.h.
 */
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local int unavail_seen;

void kv_err_unavail_reset(void)
{
    unavail_seen = 0;
}

void kv_err_unavail_note(void)
{
    unavail_seen = 1;
}

int kv_err_unavail_seen(void)
{
    return unavail_seen;
}

int kv_err_set(struct kv_err *err, int code, const char *fmt, ...)
{
    if (code == KV_EUNAVAIL)
        unavail_seen = 1;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

int kv_err_errno(struct kv_err *err, const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        va_list ap;
        size_t n;
        va_start(ap, fmt);
        err->code = KV_EIO;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        n = strlen(err->msg);
        if (n < sizeof(err->msg))
            snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(saved));
    }
    return KV_EIO;
}

const char *kv_err_name(int code)
{
    switch (code) {
    case KV_OK: return "OK";
    case KV_ENOMEM: return "ENOMEM";
    case KV_EINVAL: return "EINVAL";
    case KV_ENOTFOUND: return "ENOTFOUND";
    case KV_ECONFLICT: return "ECONFLICT";
    case KV_EIO: return "EIO";
    case KV_EDB: return "EDB";
    case KV_ETOOBIG: return "ETOOBIG";
    case KV_EXML: return "EXML";
    case KV_EAUTH: return "EAUTH";
    case KV_EPERM: return "EPERM";
    case KV_EUSAGE: return "EUSAGE";
    case KV_EINTERNAL: return "EINTERNAL";
    case KV_EUNAVAIL: return "EUNAVAIL";
    default: return "EUNKNOWN";
    }
}

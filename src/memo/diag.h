/* SPDX-License-Identifier: MIT
 *
 * diag.h: validation diagnostics of libmemo. A diagnostic is one problem found in a MeMo
 * message: severity, a stable rule code (documented in docs/memo-rules.md), 1-based line and
 * column, an XPath-like location and a plain message. A struct kv_memo_diags collects all of
 * them for one message; it owns every string it holds and caps the count (KV_MEMO_DIAGS_MAX)
 * so hostile input cannot make it grow without bound.
 */
#ifndef KV_MEMO_DIAG_H
#define KV_MEMO_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#define KV_MEMO_DIAGS_MAX 500 /* further problems are counted in n_dropped, not stored */

enum kv_memo_severity {
    KV_MEMO_ERROR = 0,  /* the message is invalid */
    KV_MEMO_WARNING = 1 /* judgement call; the message stays valid */
};

struct kv_memo_diag {
    enum kv_memo_severity severity; /* error or warning */
    char rule[40];                  /* stable rule code, e.g. "XSD", "NGDP-UUID-V4" */
    unsigned long line;             /* 1-based line, 0 when unknown */
    unsigned long col;              /* 1-based column, 0 when unknown */
    char *path;                     /* owned; XPath-like location, "" when unknown */
    char *message;                  /* owned; plain-language message */
};

struct kv_memo_diags {
    struct kv_memo_diag *items; /* owned array of n entries */
    size_t n;                   /* stored diagnostics */
    size_t cap;                 /* allocated entries */
    size_t n_errors;            /* errors seen, including dropped ones */
    size_t n_warnings;          /* warnings seen, including dropped ones */
    size_t n_dropped;           /* diagnostics not stored because of KV_MEMO_DIAGS_MAX */
    int skip_warnings;          /* set by the caller: 1 = warnings are only counted (n_warnings),
                                   never located, formatted or stored (the hub, which acts on
                                   errors alone); 0 (kv_memo_diags_init) = all are stored */
};

void kv_memo_diags_init(struct kv_memo_diags *d);
/* Frees every stored diagnostic; idempotent. */
void kv_memo_diags_release(struct kv_memo_diags *d);
/* Appends one diagnostic. Borrows rule, path and fmt; copies them. path may be NULL. */
void kv_memo_diags_add(struct kv_memo_diags *d, enum kv_memo_severity sev, const char *rule,
                       unsigned long line, unsigned long col, const char *path, const char *fmt,
                       ...) __attribute__((format(printf, 7, 8)));
void kv_memo_diags_vadd(struct kv_memo_diags *d, enum kv_memo_severity sev, const char *rule,
                        unsigned long line, unsigned long col, const char *path, const char *fmt,
                        va_list ap) __attribute__((format(printf, 7, 0)));
/* Sorts diagnostics by line, then column (stable). */
void kv_memo_diags_sort(struct kv_memo_diags *d);
/* Returns 1 when any stored diagnostic carries this rule code. */
int kv_memo_diags_has(const struct kv_memo_diags *d, const char *rule);

#endif

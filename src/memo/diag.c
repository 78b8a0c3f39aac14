/* SPDX-License-Identifier: MIT
 *
 * diag.c: the bounded diagnostic list. See diag.h.
 */
#include "memo/diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

void kv_memo_diags_init(struct kv_memo_diags *d)
{
    memset(d, 0, sizeof(*d));
}

void kv_memo_diags_release(struct kv_memo_diags *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        free(d->items[i].path);
        free(d->items[i].message);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

void kv_memo_diags_vadd(struct kv_memo_diags *d, enum kv_memo_severity sev, const char *rule,
                        unsigned long line, unsigned long col, const char *path, const char *fmt,
                        va_list ap)
{
    struct kv_memo_diag *g;
    char msg[1024];

    if (sev == KV_MEMO_ERROR)
        d->n_errors++;
    else
        d->n_warnings++;
    if (sev != KV_MEMO_ERROR && d->skip_warnings)
        return;
    if (d->n >= KV_MEMO_DIAGS_MAX) {
        d->n_dropped++;
        return;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->items = kv_xrealloc(d->items, d->cap * sizeof(*d->items));
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    g = &d->items[d->n++];
    g->severity = sev;
    snprintf(g->rule, sizeof(g->rule), "%s", rule);
    g->line = line;
    g->col = col;
    g->path = kv_xstrdup(path ? path : "");
    g->message = kv_xstrdup(msg);
}

void kv_memo_diags_add(struct kv_memo_diags *d, enum kv_memo_severity sev, const char *rule,
                       unsigned long line, unsigned long col, const char *path, const char *fmt,
                       ...)
{
    va_list ap;

    va_start(ap, fmt);
    kv_memo_diags_vadd(d, sev, rule, line, col, path, fmt, ap);
    va_end(ap);
}

/* Insertion sort: stable, and n is bounded by KV_MEMO_DIAGS_MAX. */
void kv_memo_diags_sort(struct kv_memo_diags *d)
{
    size_t i, j;

    for (i = 1; i < d->n; i++) {
        struct kv_memo_diag tmp = d->items[i];
        j = i;
        while (j > 0 && (d->items[j - 1].line > tmp.line ||
                         (d->items[j - 1].line == tmp.line && d->items[j - 1].col > tmp.col))) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = tmp;
    }
}

int kv_memo_diags_has(const struct kv_memo_diags *d, const char *rule)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        if (strcmp(d->items[i].rule, rule) == 0)
            return 1;
    return 0;
}

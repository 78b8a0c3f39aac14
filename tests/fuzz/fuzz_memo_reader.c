/* SPDX-License-Identifier: MIT
 *
 * fuzz_memo_reader.c: libFuzzer target for libmemo's whole check pipeline (hardened reader,
 * version selection, XSD, NgDP rules) at KV_MEMO_LEVEL_NGDP with small limits, so that
 * bounds are reached often. Every input is checked twice, on the heap and inside a check
 * arena (memo.h kv_memo_arena_enter, as the send path checks), and both must report the same
 * diagnostics. Any crash, sanitizer report, leak, timeout or difference is a bug. Built and
 * run by tests/fuzz/build-and-run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memo/memo.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct kv_err err = {0};

    (void)argc;
    (void)argv;
    if (kv_memo_global_init(&err) < 0)
        abort();
    return 0;
}

/* 1 when a and b hold the same diagnostics in the same order. */
static int same_diags(const struct kv_memo_diags *a, const struct kv_memo_diags *b)
{
    size_t i;

    if (a->n != b->n || a->n_errors != b->n_errors)
        return 0;
    for (i = 0; i < a->n; i++) {
        const struct kv_memo_diag *x = &a->items[i], *y = &b->items[i];
        if (x->severity != y->severity || strcmp(x->rule, y->rule) != 0 ||
            x->line != y->line || x->col != y->col || strcmp(x->message, y->message) != 0 ||
            strcmp(x->path ? x->path : "", y->path ? y->path : "") != 0)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kv_memo_limits lim = {64 * 1024, 12, 2000};
    struct kv_memo_diags d, da;
    struct kv_memo_doc *doc = NULL;
    struct kv_err err = {0};
    size_t i;

    kv_memo_diags_init(&d);
    if (kv_memo_check((const char *)data, size, KV_MEMO_LEVEL_NGDP, &lim, &d, &doc, &err) < 0)
        abort(); /* the check must always run to the end on any input */
    for (i = 0; i < d.n; i++)
        if (d.items[i].line == 0 || !d.items[i].message || !d.items[i].path)
            abort(); /* every diagnostic is located */
    if (doc)
        (void)kv_memo_doc_version(doc);
    kv_memo_doc_free(doc);
    doc = NULL;

    kv_memo_diags_init(&da);
    kv_memo_arena_enter();
    if (kv_memo_check((const char *)data, size, KV_MEMO_LEVEL_NGDP, &lim, &da, &doc, &err) < 0)
        abort();
    kv_memo_doc_free(doc);
    kv_memo_arena_leave();
    if (!same_diags(&d, &da))
        abort(); /* the arena changes nothing a check reports */
    kv_memo_diags_release(&da);
    kv_memo_diags_release(&d);
    return 0;
}

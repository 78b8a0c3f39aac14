/* SPDX-License-Identifier: MIT
 *
 * fuzz_memo_reader.c: libFuzzer target for libmemo's whole check pipeline (hardened reader,
 * version selection, XSD, NgDP rules) at KV_MEMO_LEVEL_NGDP with small limits, so that
 * bounds are reached often. Any crash, sanitizer report, leak or timeout is a bug. Built and
 * run by tests/fuzz/build-and-run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kv_memo_limits lim = {64 * 1024, 12, 2000};
    struct kv_memo_diags d;
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
    kv_memo_diags_release(&d);
    return 0;
}

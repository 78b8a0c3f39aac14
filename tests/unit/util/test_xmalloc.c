/* SPDX-License-Identifier: MIT
 *
 * test_xmalloc.c: kv_malloc_keep_top keeps the largest trim threshold asked for: the server's
 * 64 MiB (cmd_serve.c) is not lowered by the SQLite store's later 32 MiB (store_sqlite.c), as
 * it was until session 12. Shown on glibc's main heap: 40 MiB of small blocks freed at its top
 * stay with the process (the break does not move back) under the 64 MiB threshold, where a
 * 32 MiB one would hand them back to the kernel. (Under ASan, whose allocator does not use
 * the break, the break's assertion holds whatever the threshold: there the returned
 * thresholds are what the test checks.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/xmalloc.h"

#define MIB (1024 * 1024)
#define BLOCK (64 * 1024) /* under glibc's mmap threshold: from the heap */
#define N_BLOCKS 640      /* 40 MiB */

static void test_keep_top_never_lowered(void **state)
{
    static void *blocks[N_BLOCKS];
    char *top;
    int i;

    (void)state;
    assert_int_equal(kv_malloc_keep_top(64 * MIB), 64 * MIB);
    assert_int_equal(kv_malloc_keep_top(32 * MIB), 64 * MIB); /* the store's ask, later */
    assert_int_equal(kv_malloc_keep_top(0), 64 * MIB);
    for (i = 0; i < N_BLOCKS; i++)
        blocks[i] = kv_xmalloc(BLOCK);
    top = sbrk(0);
    for (i = N_BLOCKS - 1; i >= 0; i--)
        free(blocks[i]);
    assert_ptr_equal(sbrk(0), top); /* 40 MiB free at the top, under 64 MiB: kept */
    assert_int_equal(kv_malloc_keep_top(128 * MIB), 128 * MIB); /* a larger ask raises it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_top_never_lowered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT
 *
 * test_data.h: reads a test data file by its path relative to the repository root (the
 * current directory, or $KUVERT_ROOT when tests/run.sh sets it). Header-only, for the cmocka
 * tests under tests/unit/; a missing or short file fails the running test.
 *
 * Ownership: returns an owned, NUL-terminated buffer (free with free()).
 */
#ifndef KV_TESTS_TEST_DATA_H
#define KV_TESTS_TEST_DATA_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/xmalloc.h"

/* The bytes of file rel; *out_len receives their number. */
static inline char *kv_test_read_data(const char *rel, size_t *out_len)
{
    const char *root = getenv("KUVERT_ROOT");
    char path[1024];
    char *buf;
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s%s%s", root ? root : "", root ? "/" : "", rel);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0)
        fail_msg("cannot size %s", path);
    buf = kv_xmalloc((size_t)n + 1);
    *out_len = fread(buf, 1, (size_t)n, f);
    buf[*out_len] = '\0';
    fclose(f);
    assert_int_equal(*out_len, (size_t)n);
    return buf;
}

#endif

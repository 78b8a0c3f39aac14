/* SPDX-License-Identifier: MIT
 *
 * tmpdir.h: a fresh temporary directory for each test, as a cmocka setup and teardown pair.
 * kv_test_tmpdir_setup makes /tmp/kv-test-<name>-XXXXXX (mkdtemp) and hands the test a struct
 * kv_test_tmpdir as its *state; kv_test_tmpdir_teardown removes the directory with everything
 * in it. For tests that need files but no store (store_fixture.h makes a directory with a
 * store). Header-only (static inline functions), for the cmocka tests under tests/unit/; a
 * test file wraps setup to give its name:
 *     static int setup(void **state) { return kv_test_tmpdir_setup(state, "walbuf"); }
 *     cmocka_unit_test_setup_teardown(test_x, setup, kv_test_tmpdir_teardown)
 *
 * Ownership: the struct in *state is the fixture's, from setup until teardown frees it; the
 * test only reads dir.
 */
#ifndef KV_TESTS_TMPDIR_H
#define KV_TESTS_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

struct kv_test_tmpdir {
    char dir[64]; /* the directory, made by setup */
};

/* Makes the directory /tmp/kv-test-<name>-XXXXXX and sets *state to its fixture. 0, or -1
 * (nothing made) when name is too long or mkdtemp fails. */
static inline int kv_test_tmpdir_setup(void **state, const char *name)
{
    struct kv_test_tmpdir *f = calloc(1, sizeof(*f));
    int n;

    if (!f)
        return -1;
    n = snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-%s-XXXXXX", name);
    if (n < 0 || (size_t)n >= sizeof(f->dir) || !mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* Removes the directory with everything in it and frees the fixture. 0, or -1 when the
 * removal failed. */
static inline int kv_test_tmpdir_teardown(void **state)
{
    struct kv_test_tmpdir *f = *state;
    char cmd[128];
    int n = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir), rc = 0;

    if (n < 0 || (size_t)n >= sizeof(cmd) || system(cmd) != 0)
        rc = -1;
    free(f);
    return rc;
}

#endif

/* SPDX-License-Identifier: MIT
 *
 * store_fixture.h: the temporary store the hub's unit tests run against: a fresh directory
 * made from a mkdtemp template, a store with every migration applied and one connection; and
 * its removal. Header-only (static inline functions), included by tests/unit/hub/test_*.c.
 *
 * Ownership: kv_test_store_new fills *st and *db (owned by the caller until
 * kv_test_store_free); dir is the caller's buffer holding the template, rewritten in place.
 */
#ifndef KV_TESTS_HUB_STORE_FIXTURE_H
#define KV_TESTS_HUB_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#include "util/err.h"

/* mkdtemp(dir), open a store there and acquire a connection. 0 or -1 (err, may be NULL, says
 * why for the store steps). */
static inline int kv_test_store_new(char *dir, struct kv_store **st, struct kv_db **db,
                                    struct kv_err *err)
{
    *st = NULL;
    *db = NULL;
    if (!mkdtemp(dir) || kv_store_open(dir, st, err) != 0 || kv_db_acquire(*st, db, err) != 0)
        return -1;
    return 0;
}

/* Releases db (may be NULL), closes st and removes dir with everything in it. 0 or -1. */
static inline int kv_test_store_free(const char *dir, struct kv_store *st, struct kv_db *db)
{
    char cmd[256];
    int n;

    if (db)
        kv_db_release(db);
    kv_store_close(st);
    n = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (n < 0 || (size_t)n >= sizeof(cmd) || system(cmd) != 0)
        return -1;
    return 0;
}

#endif

/* SPDX-License-Identifier: MIT
 *
 * store_int.h: what store.c (the backend-neutral part: pool, transactions, migrations) and
 * the backends (store_sqlite.c) share. Not for domain code; use store/store.h.
 *
 * A backend's connection struct begins with a struct kv_db (so store.c can pool it) and its
 * store-wide state hangs off kv_store.backend. Statements are entirely the backend's.
 */
#ifndef KV_STORE_STORE_INT_H
#define KV_STORE_STORE_INT_H

#include <pthread.h>

#include "store/store.h"

struct kv_store {
    const struct kv_store_ops *ops; /* backend operations */
    void *backend;                  /* owned by the backend (ops->open / ops->close) */
    char *dir;                      /* owned: data directory */
    pthread_mutex_t mu;             /* guards free_list and n_idle */
    struct kv_db *free_list;        /* idle connections (singly linked through next) */
    int n_idle;                     /* length of free_list */
};

struct kv_db {
    struct kv_store *st; /* borrowed: owning store */
    struct kv_db *next;  /* free-list link while idle */
    int in_tx;           /* 1 between kv_db_begin and commit/rollback */
};

/* Idle connections kept in the pool; more are closed on release. */
#define KV__STORE_MAX_IDLE 32

extern const struct kv_store_ops kv__store_sqlite_ops;

#endif

/* SPDX-License-Identifier: MIT
 *
 * store_int.h: what store.c (the backend-neutral part: dispatch, pool, transactions,
 * savepoints, sticky bind errors, migrations) and the backends (store_sqlite.c) share. Not for
 * domain code; use store/store.h.
 *
 * A backend's connection struct begins with a struct kv_db (so store.c can pool it), its
 * statement struct with a struct kv_stmt (so store.c can dispatch a statement to its
 * connection's backend and keep its bind error), and its store-wide state hangs off
 * kv_store.backend.
 */
#ifndef KV_STORE_STORE_INT_H
#define KV_STORE_STORE_INT_H

#include <pthread.h>

#include "store/store.h"

/* Backend operations. Every function is required except next_value_fenced, sequence_fence
 * and sequence_horizon, which only a backend with sequences has. Binds return 0 or a negative KV_E* code;
 * store.c makes a failed bind sticky. bind_text with v NULL binds a NULL of type text. */
struct kv_store_ops {
    const char *name; /* "sqlite", "postgresql": names the migrations directory */
    /* Appended to a SELECT by kv_db_prepare_skip_locked ("" when the write transaction already
     * excludes every other writer), and whether kv_db_next_value uses SEQUENCE objects. */
    const char *skip_locked;
    int sequences;
    /* Appended to a SELECT by kv_db_prepare_for_update ("" as for skip_locked). */
    const char *for_update;
    /* Appended to an INSERT by kv_db_prepare_insert (" RETURNING id"), or "" when the backend
     * reads the new row's id with last_insert_id after the INSERT instead. */
    const char *returning_id;
    int64_t (*last_insert_id)(struct kv_stmt *s); /* required when returning_id is "" */
    /* The kind of the letters' text-search index its migrations build (store.h
     * kv_store_text_index). */
    enum kv_text_index text_index;
    /* Begins a read-only transaction whose reads all see one snapshot. */
    const char *begin_snapshot;
    int (*open)(struct kv_store *st, const char *where, struct kv_err *err);
    void (*close)(struct kv_store *st);
    int (*conn_open)(struct kv_store *st, struct kv_db **out, struct kv_err *err);
    void (*conn_close)(struct kv_db *db);
    int (*exec)(struct kv_db *db, const char *sql, struct kv_err *err);
    /* BEGIN of a write transaction: shared 0 excludes every other writer, shared 1 only the
     * shared 0 ones (a backend that cannot tell them apart excludes every writer). */
    int (*begin)(struct kv_db *db, int shared, struct kv_err *err);
    /* kv_db_next_value_fenced, kv_db_sequence_fence and kv_db_sequence_horizon of a backend
     * with sequences. */
    int (*next_value_fenced)(struct kv_db *db, const char *seq_name, int fence, int64_t *out,
                             struct kv_err *err);
    int (*sequence_fence)(struct kv_db *db, const char *seq_name, struct kv_err *err);
    int (*sequence_horizon)(struct kv_db *db, const char *seq_name, int64_t *out,
                            struct kv_err *err);
    int (*durability)(struct kv_db *db, enum kv_durability d, struct kv_err *err);
    int (*checkpoint)(struct kv_db *db, enum kv_checkpoint mode, struct kv_err *err);
    void (*bulk_writer)(struct kv_db *db);
    /* Optional (NULL: always writable): kv_db_check_writable. */
    int (*check_writable)(struct kv_db *db, struct kv_err *err);
    int (*prepare)(struct kv_db *db, const char *sql, struct kv_stmt **out, struct kv_err *err);
    int (*bind_text)(struct kv_stmt *s, int idx, const char *v, size_t len);
    /* Optional (NULL: bind_text): bind v without copying it (kv_stmt_bind_text_static). */
    int (*bind_text_static)(struct kv_stmt *s, int idx, const char *v, size_t len);
    int (*bind_int64)(struct kv_stmt *s, int idx, int64_t v);
    int (*bind_blob)(struct kv_stmt *s, int idx, const void *v, size_t len);
    /* Optional (NULL: bind_blob): bind v without copying it (kv_stmt_bind_blob_static). */
    int (*bind_blob_static)(struct kv_stmt *s, int idx, const void *v, size_t len);
    int (*bind_null)(struct kv_stmt *s, int idx);
    int (*step)(struct kv_stmt *s, struct kv_err *err);
    const char *(*col_text)(struct kv_stmt *s, int idx);
    int64_t (*col_int64)(struct kv_stmt *s, int idx);
    const void *(*col_blob)(struct kv_stmt *s, int idx, size_t *out_len);
    int (*col_is_null)(struct kv_stmt *s, int idx);
    void (*reset)(struct kv_stmt *s); /* back to the cache (or freed when uncached) */
    int64_t (*changes)(struct kv_db *db);
    /* The credentials generation when the backend keeps it itself (NULL: st->cred_gen), and
     * what a write of a credential row sends to other processes in its transaction (NULL:
     * nothing; they share st->cred_gen). */
    int64_t (*cred_generation)(struct kv_store *st);
    void (*cred_changed)(struct kv_db *db);
};

/* The text a followed by b, built once per (ops, key, b) and kept for the life of the process
 * (key and b are string literals: their addresses identify the text), so a statement derived
 * at run time stays one cached statement per call site. NULL when the table is full. */
const char *kv__store_derive(const struct kv_store_ops *ops, const char *key, const char *a,
                             const char *b);

/* Prepares sql (a text that lives as long as the process: a literal or a kv__store_derive
 * text), steps it once and puts its first column in *out: 0, KV_EDB "no value for <what>"
 * when it gives no row, or the store's error. The one-integer reads of sequences
 * (kv_db_next_value, the PostgreSQL fence and horizon). */
int kv__store_one_int(struct kv_db *db, const char *sql, const char *what, int64_t *out,
                      struct kv_err *err);

struct kv_store {
    const struct kv_store_ops *ops; /* backend operations */
    void *backend;                  /* owned by the backend (ops->open / ops->close) */
    char *dir;                      /* owned: data directory or database URL */
    pthread_mutex_t mu;             /* guards free_list and n_idle */
    struct kv_db *free_list;        /* idle connections (singly linked through next) */
    int n_idle;                     /* length of free_list */
    /* The credentials generation (kv_store_credentials_generation): a counter shared by every
     * process that opens the database, set by the backend's open (SQLite: a word of the mapped
     * file DIR/kuvert.db-gen, unmapped by its close; PostgreSQL: this process's counter, which
     * notifications from the others advance, store_pg_cred.c). */
    uint64_t *cred_gen;
    int write_lock_global; /* 1: kv_db_begin_concurrent excludes every writer too */
    int cred_listen;       /* 1: kv_store_set_credentials_listen (PostgreSQL) */
};

/* Fenced sequences remembered per transaction (a further one is fenced again on each draw,
 * which is harmless). */
#define KV__FENCED_MAX 4

struct kv_db {
    struct kv_store *st; /* borrowed: owning store */
    struct kv_db *next;  /* free-list link while idle */
    int in_tx;           /* 1 between kv_db_begin and commit/rollback */
    int savepoints;      /* open savepoints (0..KV_DB_SAVEPOINT_MAX) */
    int lazy;            /* 1 while kv_db_durability(LAZY) is in force */
    int cred_dirty;      /* 1: this transaction changed credentials (kv_db_credentials_changed) */
    int retryable;       /* 1: a statement of this transaction failed by a serialization
                          * failure or deadlock (kv_db_retryable); reset by kv_db_begin */
    /* The sequences whose fence (kv_db_next_value_fenced, kv_db_sequence_fence) this
     * transaction holds: borrowed names (literals), nfenced of them. */
    const char *fenced[KV__FENCED_MAX];
    int nfenced;
};

/* The head of every backend's statement. */
struct kv_stmt {
    struct kv_db *db; /* borrowed: owning connection */
    int bind_rc;      /* first failed bind since prepare/done (0 = none): sticky */
    int bind_idx;     /* its parameter */
};

/* Idle connections kept in the pool; more are closed on release. */
/* Idle connections kept in the pool; more are closed on release. Above the HTTP server's
 * busiest handler count plus the background threads, so a steady load does not open and close
 * (and re-read the schema of) a connection per request: with 32 keep-alive clients 32 was
 * one short (docs/send-api.md, cost section). */
#define KV__STORE_MAX_IDLE 128

extern const struct kv_store_ops kv__store_sqlite_ops;
extern const struct kv_store_ops kv__store_pg_ops;

#endif

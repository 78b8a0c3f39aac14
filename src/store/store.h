/* SPDX-License-Identifier: MIT
 *
 * store.h: kuvert's storage interface. A deliberately small SQL-level abstraction: connections,
 * transactions, prepared statements with `?` placeholders, rows. Domain code (src/hub/) writes
 * portable SQL against it; each backend is one file behind struct kv_store_ops
 * (store_sqlite.c now; store_pg.c can follow and rewrites `?` to `$n`).
 *
 * Migrations are versioned files embedded in the binary: src/store/migrations/<backend>/NNN_name.sql,
 * applied in file-name order, each in its own transaction, recorded in table schema_migrations.
 *
 * Threading: a struct kv_store is shared by all threads. A struct kv_db is one connection and is
 * used by one thread at a time: take one with kv_db_acquire and give it back with
 * kv_db_release. Statements belong to their connection.
 *
 * Durability: SQLite runs in WAL mode with synchronous=FULL, so kv_db_commit returning 0 means
 * the transaction is on disk. Several processes (the server and CLI commands) may open the same
 * data directory at once; writers wait on the lock (busy timeout) rather than fail.
 */
#ifndef KV_STORE_STORE_H
#define KV_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_store; /* opaque: one database, shared */
struct kv_db;    /* opaque: one connection */
struct kv_stmt;  /* opaque: one prepared statement */

#define KV_ROW 1  /* kv_stmt_step: a row is available */
#define KV_DONE 0 /* kv_stmt_step: no more rows */

/* Opens the store for data directory dir (created if missing; SQLite file dir/kuvert.db) and
 * applies pending migrations. Returns owned store (close with kv_store_close). */
int kv_store_open(const char *dir, struct kv_store **out, struct kv_err *err);
void kv_store_close(struct kv_store *st);
/* Name of the backend, e.g. "sqlite". Borrowed, static. */
const char *kv_store_backend(const struct kv_store *st);
/* Highest applied migration number. */
int kv_store_schema_version(struct kv_store *st, int *out, struct kv_err *err);

/* Gets a connection for the calling thread (pooled). Returns borrowed handle until
 * kv_db_release. */
int kv_db_acquire(struct kv_store *st, struct kv_db **out, struct kv_err *err);
void kv_db_release(struct kv_db *db);
/* The store db belongs to (borrowed, valid while the store is open). */
struct kv_store *kv_db_store(struct kv_db *db);

/* BEGIN IMMEDIATE (a write transaction) / COMMIT / ROLLBACK. Nested begin is a bug. */
int kv_db_begin(struct kv_db *db, struct kv_err *err);
int kv_db_commit(struct kv_db *db, struct kv_err *err);
void kv_db_rollback(struct kv_db *db);
/* Runs SQL without parameters or results (may hold several statements). */
int kv_db_exec(struct kv_db *db, const char *sql, struct kv_err *err);

/* Prepares sql (borrowed; must be a string literal or otherwise outlive the connection: it is
 * the cache key). Statements are cached per connection: kv_stmt_done resets and returns it to
 * the cache rather than destroying it. Returns borrowed statement valid until kv_stmt_done. */
int kv_db_prepare(struct kv_db *db, const char *sql, struct kv_stmt **out, struct kv_err *err);
/* Bind parameters; idx is 1-based. Values are copied (transient). len -1 = strlen. NULL
 * string binds SQL NULL. */
int kv_stmt_bind_text(struct kv_stmt *s, int idx, const char *v, long len);
int kv_stmt_bind_int64(struct kv_stmt *s, int idx, int64_t v);
int kv_stmt_bind_blob(struct kv_stmt *s, int idx, const void *v, size_t len);
int kv_stmt_bind_null(struct kv_stmt *s, int idx);
/* Returns KV_ROW, KV_DONE, KV_ECONFLICT on a UNIQUE/constraint violation, or KV_EDB. */
int kv_stmt_step(struct kv_stmt *s, struct kv_err *err);
/* Column accessors for the current row; idx is 0-based. Text/blob pointers are borrowed and
 * valid until the next step or kv_stmt_done. NULL text reads as NULL. */
const char *kv_stmt_col_text(struct kv_stmt *s, int idx);
int64_t kv_stmt_col_int64(struct kv_stmt *s, int idx);
const void *kv_stmt_col_blob(struct kv_stmt *s, int idx, size_t *out_len);
int kv_stmt_col_is_null(struct kv_stmt *s, int idx);
/* Resets the statement, clears bindings and returns it to the connection's cache. */
void kv_stmt_done(struct kv_stmt *s);

/* Rows changed by the last statement; rowid of the last insert. */
int64_t kv_db_changes(struct kv_db *db);
int64_t kv_db_last_insert_id(struct kv_db *db);

/* Backend operations table (implemented per backend; used only by store.c). */
struct kv_store_ops {
    const char *name; /* "sqlite", "postgresql" */
    int (*open)(struct kv_store *st, const char *dir, struct kv_err *err);
    void (*close)(struct kv_store *st);
    int (*conn_open)(struct kv_store *st, struct kv_db **out, struct kv_err *err);
    void (*conn_close)(struct kv_db *db);
    int (*exec)(struct kv_db *db, const char *sql, struct kv_err *err);
    int (*prepare)(struct kv_db *db, const char *sql, struct kv_stmt **out, struct kv_err *err);
    int (*bind_text)(struct kv_stmt *s, int idx, const char *v, long len);
    int (*bind_int64)(struct kv_stmt *s, int idx, int64_t v);
    int (*bind_blob)(struct kv_stmt *s, int idx, const void *v, size_t len);
    int (*bind_null)(struct kv_stmt *s, int idx);
    int (*step)(struct kv_stmt *s, struct kv_err *err);
    const char *(*col_text)(struct kv_stmt *s, int idx);
    int64_t (*col_int64)(struct kv_stmt *s, int idx);
    const void *(*col_blob)(struct kv_stmt *s, int idx, size_t *out_len);
    int (*col_is_null)(struct kv_stmt *s, int idx);
    void (*reset)(struct kv_stmt *s);
    int64_t (*changes)(struct kv_db *db);
    int64_t (*last_insert_id)(struct kv_db *db);
};

#endif

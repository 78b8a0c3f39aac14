/* SPDX-License-Identifier: MIT
 *
 * store.h: kuvert's storage interface. A deliberately small SQL-level abstraction: connections,
 * transactions and savepoints, durability and maintenance, prepared statements with `?`
 * placeholders, rows. Domain code (src/hub/) writes one SQL text that every backend runs (see
 * docs/store.md "Portable SQL"); nothing outside src/store/ names a backend. Each backend is
 * one file behind the operations table of store_int.h.
 *
 * Migrations are versioned files embedded in the binary: src/store/migrations/<backend>/NNN_name.sql,
 * applied in number order, each in its own transaction, recorded in table schema_migrations.
 *
 * Threading: a struct kv_store is shared by all threads. A struct kv_db is one connection and is
 * used by one thread at a time: take one with kv_db_acquire and give it back with
 * kv_db_release. Statements belong to their connection.
 *
 * Durability: kv_db_commit returning 0 means the transaction is on disk (SQLite: WAL with
 * synchronous=FULL). Several processes (the server and CLI commands) may open the same
 * database at once; writers wait for each other (busy timeout) rather than fail.
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

/* Opens the store and applies pending migrations. With url non-empty, the PostgreSQL database
 * it names (a libpq URI "postgresql://..." or "key=value ..." string; dir is not used); else
 * the SQLite database dir/kuvert.db (dir created if missing, mode 0700). Returns owned store
 * (close with kv_store_close). kv_store_open(dir) = kv_store_open_db(dir, NULL). */
int kv_store_open_db(const char *dir, const char *url, struct kv_store **out, struct kv_err *err);
int kv_store_open(const char *dir, struct kv_store **out, struct kv_err *err);
void kv_store_close(struct kv_store *st);
/* Name of the backend: "sqlite" or "postgresql". Borrowed, static. */
const char *kv_store_backend(const struct kv_store *st);
/* The kind of text-search index the backend's migrations build over the letters' titles and
 * senders (migration 017; docs/store.md "Text search"), for domain code that writes one query
 * per kind: KV_TEXT_FTS5 (SQLite): the FTS5 trigram table letters_search, columns label and
 * sender, rowid = mailbox id * KV_TEXT_MAILBOX_SPAN + letters.id, so one mailbox's letters are
 * one rowid range; KV_TEXT_GIN (PostgreSQL): a GIN index over kv_search_tokens(mailbox_id,
 * label, sender_label), the "<mailbox id>|<trigram>" tokens as an array, matched with `@>`. */
#define KV_TEXT_MAILBOX_SPAN 68719476736LL /* 2^36: letters.id stays below it */
enum kv_text_index { KV_TEXT_FTS5 = 0, KV_TEXT_GIN = 1 };
enum kv_text_index kv_store_text_index(const struct kv_store *st);
/* Highest applied migration number. */
int kv_store_schema_version(struct kv_store *st, int *out, struct kv_err *err);

/* Gets a connection for the calling thread (pooled). Returns borrowed handle until
 * kv_db_release. */
int kv_db_acquire(struct kv_store *st, struct kv_db **out, struct kv_err *err);
void kv_db_release(struct kv_db *db);
/* The store db belongs to (borrowed, valid while the store is open). */
struct kv_store *kv_db_store(struct kv_db *db);

/* Begins a write transaction: it excludes every other writer of the installation (SQLite:
 * BEGIN IMMEDIATE; PostgreSQL: the installation's write lock, a transaction-scoped advisory
 * lock keyed by the schema, taken exclusively; see docs/postgresql.md), so a read-then-write
 * inside it sees no concurrent change. Nested begin is a bug. Commit returns 0 only when the transaction is
 * durable (see kv_db_durability). */
int kv_db_begin(struct kv_db *db, struct kv_err *err);
/* Begins a write transaction that runs at the same time as other concurrent ones on
 * PostgreSQL (the write lock taken in shared mode: it waits only for kv_db_begin
 * transactions, and they for it); SQLite: exactly kv_db_begin. Only for a write path that is
 * correct against every other concurrent path without a lock of its own: unique keys instead
 * of look-then-insert, single-statement updates and upserts for counters, row locks for
 * claims. docs/postgresql.md "Writes without the global lock" lists each such path and why.
 * A concurrent transaction may fail by a deadlock or serialization failure; kv_db_retryable
 * then says so and the caller may run it again. */
int kv_db_begin_concurrent(struct kv_db *db, struct kv_err *err);
/* 1 when a statement of db's current (or just ended) transaction failed by a serialization
 * failure or a deadlock (PostgreSQL SQLSTATE 40001, 40P01): nothing of it was committed and
 * the same transaction may succeed when run again. Reset by the next begin. */
int kv_db_retryable(struct kv_db *db);
/* 1 between a begin and its commit or rollback on db. */
int kv_db_in_transaction(struct kv_db *db);
/* The store's write lock mode (config db_write_lock): 0 ("concurrent", the default):
 * kv_db_begin_concurrent as above; 1 ("global"): kv_db_begin_concurrent is kv_db_begin, every
 * write transaction excludes every other. Set before connections are used; every node of a
 * database should use the same mode. */
void kv_store_set_write_lock_global(struct kv_store *st, int global);
int kv_db_commit(struct kv_db *db, struct kv_err *err);
void kv_db_rollback(struct kv_db *db);

/* The credentials generation: a counter that changes whenever a credential or what an
 * authentication decides from (a system's secret, status, kind, organisation, allowed
 * addresses, active period) changes, in any process that uses the same database. Caches of
 * authentications (hub/system_cache.h) keep an entry only while the generation they read
 * before the database is still current. Returns -1 when the backend cannot tell (PostgreSQL:
 * other nodes change the database too; nothing may be cached there).
 * kv_db_credentials_changed is called by whoever writes such a row, right after the
 * statement: it advances the generation at once and again when the transaction ends (commit
 * or rollback), so an authentication that read the old row inside the window is not kept. */
int64_t kv_store_credentials_generation(struct kv_store *st);
/* PostgreSQL (config pg_credentials_cache): with listen 1 the generation is kept by a
 * listener of this process on `LISTEN kuvert_credentials` (store_pg_cred.c), so a change made
 * by another process or node takes effect here when its notification arrives, milliseconds
 * after its commit, not at the very next look-up; with 0 (the default) it is -1 there. No
 * effect on SQLite. Set before the first look-up. */
void kv_store_set_credentials_listen(struct kv_store *st, int listen);
void kv_db_credentials_changed(struct kv_db *db);
/* Ends the transaction of kv_db_begin by the outcome so far: commits when rc is 0 (and
 * returns what the commit returns), else rolls back and returns rc. */
int kv_db_end(struct kv_db *db, int rc, struct kv_err *err);
/* Runs fn(db, arg, err) as one write transaction (kv_db_begin_concurrent when concurrent, else
 * kv_db_begin), committed when fn returns 0 or more and rolled back otherwise; when a
 * statement of it or its COMMIT failed by a deadlock or a serialization failure
 * (kv_db_retryable: nothing of it was committed), it runs again from the begin, after
 * kv_clock_backoff, at most KV_DB_RUN_RETRIES more times, then answers KV_EUNAVAIL. So fn
 * neither begins nor ends the transaction, and sets anew on each run whatever it hands back
 * (a second run must not find the first one's outputs or do anything outside the database
 * twice). Returns fn's result once committed, else the error. db must not be in a
 * transaction. Only PostgreSQL reports retryable failures; on SQLite fn runs once. */
#define KV_DB_RUN_RETRIES 8
int kv_db_run(struct kv_db *db, int concurrent,
              int (*fn)(struct kv_db *db, void *arg, struct kv_err *err), void *arg,
              struct kv_err *err);

/* Begins a read-only transaction in which every read sees the database as of one moment
 * (SQLite: a deferred BEGIN; PostgreSQL: REPEATABLE READ), for a check that must not see a
 * write half done by other connections. It takes no write lock. End it with kv_db_rollback.
 * Returns 1 without beginning anything when db is already in a transaction (whose view the
 * reads then share; the caller does not end it), 0 when begun. */
int kv_db_begin_snapshot(struct kv_db *db, struct kv_err *err);

/* Savepoints inside the open transaction, nestable up to KV_DB_SAVEPOINT_MAX deep. A savepoint
 * is ended either by release (keep its changes) or by rollback (undo them); both end the
 * innermost one. After a failed statement only a savepoint rollback (or the transaction's
 * rollback) makes the connection usable again: PostgreSQL aborts the transaction otherwise. */
#define KV_DB_SAVEPOINT_MAX 8
int kv_db_savepoint(struct kv_db *db, struct kv_err *err);
int kv_db_savepoint_release(struct kv_db *db, struct kv_err *err);
int kv_db_savepoint_rollback(struct kv_db *db, struct kv_err *err);

/* Durability of this connection's next commits. KV_DURABILITY_FULL (the default of every
 * connection): a returned commit survives a crash of the machine. KV_DURABILITY_LAZY: a
 * returned commit survives a crash of kuvert but may be lost with the last moments before a
 * power or OS failure (SQLite synchronous=NORMAL; PostgreSQL synchronous_commit=off); never
 * corrupts. Only for writes a client may safely repeat. Set FULL again before the connection
 * goes back to the pool (kv_db_release does so when it was left lazy). */
enum kv_durability { KV_DURABILITY_FULL = 0, KV_DURABILITY_LAZY = 1 };
int kv_db_durability(struct kv_db *db, enum kv_durability d, struct kv_err *err);

/* Maintenance off the commit path, for a periodic background task: SQLite moves committed WAL
 * frames into the database file (KV_CHECKPOINT_PASSIVE never waits for a writer;
 * KV_CHECKPOINT_TRUNCATE waits and empties the WAL file, for benchmarks between phases);
 * PostgreSQL's own checkpointer does this, so it does nothing there. Never fails the caller:
 * returns 0, or a negative code (err) for the log. */
enum kv_checkpoint { KV_CHECKPOINT_PASSIVE = 0, KV_CHECKPOINT_TRUNCATE = 1 };
int kv_db_checkpoint(struct kv_db *db, enum kv_checkpoint mode, struct kv_err *err);

/* Marks db as the store's bulk writer (the letter writer's long-lived connection): SQLite
 * gives it a page cache large enough for a batch's dirty pages and leaves WAL checkpoints to
 * kv_db_checkpoint (up to a 64 MiB WAL). Nothing on PostgreSQL. Best effort. */
void kv_db_bulk_writer(struct kv_db *db);

/* 0 when db can write its database; else a negative code with err naming the database and
 * why. SQLite opens a database file the process may not write (another user's file in a
 * writable directory) read-only without a word, and every write then fails; a server checks
 * once at start (cli/cmd_serve.c) rather than answer every write 503. PostgreSQL: always 0
 * (a read-only server there is a failover, unavailable for now, docs/errors.md). */
int kv_db_check_writable(struct kv_db *db, struct kv_err *err);

/* Runs SQL without parameters or results (may hold several statements). */
int kv_db_exec(struct kv_db *db, const char *sql, struct kv_err *err);

/* Prepares sql (borrowed only for the call; the statement keeps its own copy). Statements are
 * cached per connection under sql's address, and a hit is checked against the cached text, so
 * SQL built at run time in a reused buffer is always prepared as written (string literals stay
 * the cheap case: one statement each). kv_stmt_done resets and returns it to the cache rather
 * than destroying it. Returns borrowed statement valid until kv_stmt_done.
 *
 * Placeholders: `?` (numbered in order) or `?N` (1-based, reusable); a backend that spells them
 * otherwise rewrites them. A row id is read with `INSERT ... RETURNING id` (both backends), or,
 * on the send path, with kv_db_prepare_insert (below), which SQLite runs without RETURNING. */
int kv_db_prepare(struct kv_db *db, const char *sql, struct kv_stmt **out, struct kv_err *err);
/* Bind parameters; idx is 1-based. Values are copied (transient). len -1 = strlen. NULL
 * string binds SQL NULL. A failed bind returns a negative code and is remembered: the next
 * kv_stmt_step returns it (KV_EINVAL or KV_EDB, err naming the parameter) without running the
 * statement, so a caller that does not check every bind cannot run a statement with a missing
 * value. kv_stmt_done forgets it. */
int kv_stmt_bind_text(struct kv_stmt *s, int idx, const char *v, long len);
/* kv_stmt_bind_text without the copy where the backend can avoid it (SQLite binds the pointer:
 * no allocation at the bind and no free at kv_stmt_done; PostgreSQL copies as before).
 *
 * The lifetime rule of the _static binds: v must stay valid and unchanged from the bind until
 * kv_stmt_done (or until idx is bound again), on every path, the error paths included. In
 * practice: bind only memory that outlives the statement's whole use in the same function (a
 * string literal; the caller's arguments or structs, when the function calls kv_stmt_done
 * before it returns; a local array declared at the function's top level, not in a block that
 * ends before kv_stmt_done), and write none of it (not even a column copied back into the
 * bound buffer) before kv_stmt_done. Never a buffer freed, reallocated or reused between the
 * bind and kv_stmt_done, and never a statement kept bound across a return. kv_stmt_done clears
 * the bindings, so a cached statement keeps no pointer to the memory afterwards. */
int kv_stmt_bind_text_static(struct kv_stmt *s, int idx, const char *v, long len);
int kv_stmt_bind_int64(struct kv_stmt *s, int idx, int64_t v);
int kv_stmt_bind_blob(struct kv_stmt *s, int idx, const void *v, size_t len);
/* kv_stmt_bind_blob without the copy, under the lifetime rule of kv_stmt_bind_text_static
 * (a letter's body: 1.8 to 18 KB and more that SQLite would copy per letter). */
int kv_stmt_bind_blob_static(struct kv_stmt *s, int idx, const void *v, size_t len);
int kv_stmt_bind_null(struct kv_stmt *s, int idx);
/* Returns KV_ROW, KV_DONE, KV_ECONFLICT on a UNIQUE/constraint violation, or KV_EDB (also the
 * sticky error of a failed bind). */
int kv_stmt_step(struct kv_stmt *s, struct kv_err *err);
/* Runs an INSERT prepared by kv_db_prepare_insert: 0 and the new row's id in *out_id, or the
 * error of kv_stmt_step (KV_ECONFLICT, KV_EDB). The caller still calls kv_stmt_done. */
int kv_stmt_step_insert(struct kv_stmt *s, int64_t *out_id, struct kv_err *err);
/* Runs an INSERT prepared by kv_db_prepare_insert whose text ends with `ON CONFLICT (key)
 * DO NOTHING`: 0 and the new row's id in *out_id, or 0 and *out_id 0 when the key was taken
 * and the row skipped (nothing of it was written and no AFTER trigger ran; a BEFORE INSERT
 * trigger does run for a skipped row, on both backends, so none may count or write), or the error of
 * kv_stmt_step. One statement answers "new" where a look-up by the key and the INSERT took
 * two, and a taken key fails no statement (a failed statement aborts a PostgreSQL
 * transaction). The caller still calls kv_stmt_done. */
int kv_stmt_step_insert_or_skip(struct kv_stmt *s, int64_t *out_id, struct kv_err *err);
/* Column accessors for the current row; idx is 0-based. Text/blob pointers are borrowed and
 * valid until the next step or kv_stmt_done. NULL text reads as NULL. A boolean expression
 * reads as 0/1 through kv_stmt_col_int64 on every backend. */
const char *kv_stmt_col_text(struct kv_stmt *s, int idx);
int64_t kv_stmt_col_int64(struct kv_stmt *s, int idx);
const void *kv_stmt_col_blob(struct kv_stmt *s, int idx, size_t *out_len);
int kv_stmt_col_is_null(struct kv_stmt *s, int idx);
/* Resets the statement, clears bindings and returns it to the connection's cache. */
void kv_stmt_done(struct kv_stmt *s);

/* Prepares sql, a SELECT over one table, so that the rows it returns stay locked until the
 * write transaction ends and rows another open transaction has locked are skipped instead of
 * waited for (PostgreSQL: FOR UPDATE SKIP LOCKED). A backend whose write transaction already
 * excludes every other writer (SQLite) runs sql as it is. sql is a string literal (it keys a
 * statement derived from it for the life of the process). */
int kv_db_prepare_skip_locked(struct kv_db *db, const char *sql, struct kv_stmt **out,
                              struct kv_err *err);
/* Prepares sql, a SELECT over one table, so that the rows it returns stay locked until the
 * write transaction ends, waiting for another transaction that holds one (PostgreSQL: FOR
 * UPDATE); SQLite runs sql as it is. sql is a string literal, as above. */
int kv_db_prepare_for_update(struct kv_db *db, const char *sql, struct kv_stmt **out,
                             struct kv_err *err);

/* Prepares sql, an INSERT of one row (not OR IGNORE; ON CONFLICT (key) DO NOTHING only for
 * kv_stmt_step_insert_or_skip) into a table whose key is the integer column `id`, without a
 * RETURNING clause, for kv_stmt_step_insert:
 * PostgreSQL appends " RETURNING id"; SQLite runs it as written and reads the connection's last
 * rowid (SQLite 3.40 runs a RETURNING clause as a trigger, which gives every such INSERT a
 * statement journal and an ephemeral table of its rows). sql is a string literal (see
 * kv_db_prepare_skip_locked). */
int kv_db_prepare_insert(struct kv_db *db, const char *sql, struct kv_stmt **out,
                         struct kv_err *err);

/* A new value for a unique integer key. A backend with sequences (PostgreSQL) returns
 * nextval of the SEQUENCE seq_name (created by a migration): it never waits for another
 * transaction and leaves a gap when the transaction rolls back. A backend with one writer at a
 * time (SQLite) runs fallback_sql (a SELECT of one integer, e.g. MAX(key) + 1) inside the
 * caller's write transaction. Both strings are literals (see kv_db_prepare_skip_locked). */
int kv_db_next_value(struct kv_db *db, const char *seq_name, const char *fallback_sql,
                     int64_t *out, struct kv_err *err);
/* kv_db_next_value inside a write transaction, for a key that readers page by (the event
 * log's seq). Values drawn by concurrent transactions commit in any order, so a reader that
 * has seen key k cannot tell that a smaller key is still to come; the fence tells it. The
 * first fenced draw of a transaction holds a fence at a value <= every value the transaction
 * draws from seq_name, until it ends; kv_db_sequence_horizon returns H such that every
 * value < H that any transaction drew from seq_name is committed or rolled back, and so
 * visible to a read that begins after the call. A backend with one writer at a time (SQLite)
 * commits in key order: the draw is kv_db_next_value, H is INT64_MAX. */
int kv_db_next_value_fenced(struct kv_db *db, const char *seq_name, const char *fallback_sql,
                            int64_t *out, struct kv_err *err);
/* n (1..KV_DB_NEXT_VALUES_MAX) values of kv_db_next_value_fenced in ascending order into out,
 * with one statement where the backend can: a backend with sequences draws them with one
 * "SELECT nextval ... FROM generate_series" (after the transaction's fencing draw, if it has
 * none yet), not necessarily consecutive; without sequences fallback_sql runs once and its
 * value and the n - 1 above it are the values (fallback_sql must return a value above every
 * key in use, as MAX(key) + 1 does, inside the caller's write transaction). */
#define KV_DB_NEXT_VALUES_MAX 8
int kv_db_next_values_fenced(struct kv_db *db, const char *seq_name, const char *fallback_sql,
                             int n, int64_t *out, struct kv_err *err);
/* The fence of kv_db_next_value_fenced without a draw, for a key that a column default
 * draws from seq_name (an identity column: its sequence is TABLE_COLUMN_seq): every value the
 * transaction draws from seq_name after the call is >= the fence, so kv_db_sequence_horizon
 * holds for it too. Call it inside the write transaction before the INSERT; once per
 * transaction and sequence costs one statement, later calls nothing. SQLite: nothing. */
int kv_db_sequence_fence(struct kv_db *db, const char *seq_name, struct kv_err *err);
int kv_db_sequence_horizon(struct kv_db *db, const char *seq_name, int64_t *out,
                           struct kv_err *err);

/* Rows changed by the last INSERT/UPDATE/DELETE statement of db. */
int64_t kv_db_changes(struct kv_db *db);

#endif

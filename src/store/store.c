/* SPDX-License-Identifier: MIT
 *
 * store.c: the backend-neutral half of the store (see store.h): dispatch through struct
 * kv_store_ops (store_int.h), the connection pool (a mutex-protected free list of struct
 * kv_db), transactions and savepoints, sticky bind errors, and the migration runner, which applies the embedded files
 * src/store/migrations/<backend>/NNN_name.sql in number order, each in its own write
 * transaction that also records it in schema_migrations.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memo/embed.h"
#include "store/store_int.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define MIGRATION_ROOT "src/store/migrations/"
#define MAX_MIGRATIONS 256

static const char SQL_MIG_TABLE[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)";
static const char SQL_MIG_HAS[] = "SELECT 1 FROM schema_migrations WHERE version = ?";
static const char SQL_MIG_ADD[] =
    "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)";
static const char SQL_MIG_MAX[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

struct migration {
    int version;                     /* NNN */
    const struct kv_embed_file *f;   /* borrowed: embedded file */
};

/* ---- dispatch ---- */

int kv_db_exec(struct kv_db *db, const char *sql, struct kv_err *err)
{
    return db->st->ops->exec(db, sql, err);
}

int kv_db_prepare(struct kv_db *db, const char *sql, struct kv_stmt **out, struct kv_err *err)
{
    int rc = db->st->ops->prepare(db, sql, out, err);

    if (rc == 0) {
        (*out)->bind_rc = 0;
        (*out)->bind_idx = 0;
    }
    return rc;
}

/* ---- statements derived from a literal (kv_db_prepare_skip_locked, kv_db_next_value) ----
 * The statement cache keys on the SQL text's address (checking the text on a hit), so a derived
 * text is built once and kept for the process in this table, to stay one cached statement per
 * call site (a handful of them) rather than one re-prepare per call. */
#define DERIVED_MAX 32
static pthread_mutex_t derived_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const struct kv_store_ops *ops; /* backend it was built for */
    const char *key;                /* the caller's literal */
    const char *suffix;             /* what was appended (b: a static string) */
    char *sql;                      /* owned, never freed */
} derived[DERIVED_MAX];

/* The text a ‖ b for key under ops, built on first use; NULL when the table is full. */
const char *kv__store_derive(const struct kv_store_ops *ops, const char *key, const char *a,
                             const char *b)
{
    const char *out = NULL;
    size_t la = strlen(a), lb = strlen(b);
    int i;

    pthread_mutex_lock(&derived_mu);
    for (i = 0; i < DERIVED_MAX && derived[i].key; i++) {
        if (derived[i].key == key && derived[i].ops == ops && derived[i].suffix == b) {
            out = derived[i].sql;
            goto out;
        }
    }
    if (i < DERIVED_MAX) {
        char *t = kv_xmalloc(la + lb + 1);

        memcpy(t, a, la);
        memcpy(t + la, b, lb + 1);
        derived[i].ops = ops;
        derived[i].key = key;
        derived[i].suffix = b;
        derived[i].sql = t;
        out = t;
    }
out:
    pthread_mutex_unlock(&derived_mu);
    return out;
}

static int valid_seq_name(const char *seq_name)
{
    return strlen(seq_name) <= 64 &&
           strspn(seq_name, "abcdefghijklmnopqrstuvwxyz_0123456789") == strlen(seq_name);
}

int kv_db_prepare_skip_locked(struct kv_db *db, const char *sql, struct kv_stmt **out,
                              struct kv_err *err)
{
    const struct kv_store_ops *ops = db->st->ops;
    const char *t = sql;

    if (ops->skip_locked[0]) {
        t = kv__store_derive(ops, sql, sql, ops->skip_locked);
        if (!t)
            return kv_err_set(err, KV_EINTERNAL, "too many derived statements");
    }
    return kv_db_prepare(db, t, out, err);
}

int kv__store_one_int(struct kv_db *db, const char *sql, const char *what, int64_t *out,
                      struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out = kv_stmt_col_int64(s, 0);
    else if (rc == KV_DONE)
        rc = kv_err_set(err, KV_EDB, "no value for %s", what);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_db_next_value(struct kv_db *db, const char *seq_name, const char *fallback_sql,
                     int64_t *out, struct kv_err *err)
{
    const struct kv_store_ops *ops = db->st->ops;
    const char *t = fallback_sql;

    if (ops->sequences) {
        char q[128];

        if (!valid_seq_name(seq_name))
            return kv_err_set(err, KV_EINVAL, "bad sequence name");
        snprintf(q, sizeof(q), "SELECT nextval('%s')", seq_name);
        t = kv__store_derive(ops, seq_name, q, "");
        if (!t)
            return kv_err_set(err, KV_EINTERNAL, "too many derived statements");
    }
    return kv__store_one_int(db, t, seq_name, out, err);
}

int kv_db_prepare_for_update(struct kv_db *db, const char *sql, struct kv_stmt **out,
                             struct kv_err *err)
{
    const struct kv_store_ops *ops = db->st->ops;
    const char *t = sql;

    if (ops->for_update[0]) {
        t = kv__store_derive(ops, sql, sql, ops->for_update);
        if (!t)
            return kv_err_set(err, KV_EINTERNAL, "too many derived statements");
    }
    return kv_db_prepare(db, t, out, err);
}

int kv_db_prepare_insert(struct kv_db *db, const char *sql, struct kv_stmt **out,
                         struct kv_err *err)
{
    const struct kv_store_ops *ops = db->st->ops;
    const char *t = sql;

    if (ops->returning_id[0]) {
        t = kv__store_derive(ops, sql, sql, ops->returning_id);
        if (!t)
            return kv_err_set(err, KV_EINTERNAL, "too many derived statements");
    }
    return kv_db_prepare(db, t, out, err);
}

/* 1 when this transaction of db holds the fence of seq_name. */
static int fenced(const struct kv_db *db, const char *seq_name)
{
    int i;

    for (i = 0; i < db->nfenced; i++)
        if (strcmp(db->fenced[i], seq_name) == 0)
            return 1;
    return 0;
}

static void note_fenced(struct kv_db *db, const char *seq_name)
{
    if (db->nfenced < KV__FENCED_MAX)
        db->fenced[db->nfenced++] = seq_name;
}

int kv_db_next_value_fenced(struct kv_db *db, const char *seq_name, const char *fallback_sql,
                            int64_t *out, struct kv_err *err)
{
    const struct kv_store_ops *ops = db->st->ops;
    int rc, had;

    if (!ops->next_value_fenced)
        return kv_db_next_value(db, seq_name, fallback_sql, out, err);
    if (!db->in_tx)
        return kv_err_set(err, KV_EINTERNAL, "store: fenced value outside a transaction");
    if (!valid_seq_name(seq_name))
        return kv_err_set(err, KV_EINVAL, "bad sequence name");
    had = fenced(db, seq_name);
    rc = ops->next_value_fenced(db, seq_name, !had, out, err);
    if (rc == 0 && !had)
        note_fenced(db, seq_name);
    return rc;
}

/* The suffixes of kv_db_next_values_fenced's statement per count (their addresses key the
 * derived texts). */
static const char *const NEXT_VALUES_SUFFIX[KV_DB_NEXT_VALUES_MAX + 1] = {
    NULL, "1)", "2)", "3)", "4)", "5)", "6)", "7)", "8)",
};
_Static_assert(KV_DB_NEXT_VALUES_MAX == 8, "one suffix per count");

int kv_db_next_values_fenced(struct kv_db *db, const char *seq_name, const char *fallback_sql,
                             int n, int64_t *out, struct kv_err *err)
{
    const struct kv_store_ops *ops = db->st->ops;
    struct kv_stmt *s = NULL;
    const char *t;
    char q[160];
    int rc, k = 0, i, j;

    if (n < 1 || n > KV_DB_NEXT_VALUES_MAX)
        return kv_err_set(err, KV_EINVAL, "1..%d values per draw", KV_DB_NEXT_VALUES_MAX);
    if (!ops->sequences || !ops->next_value_fenced) {
        rc = kv_db_next_value_fenced(db, seq_name, fallback_sql, &out[0], err);
        if (rc < 0)
            return rc;
        for (k = 1; k < n; k++)
            out[k] = out[0] + k;
        return 0;
    }
    if (!db->in_tx)
        return kv_err_set(err, KV_EINTERNAL, "store: fenced value outside a transaction");
    if (!valid_seq_name(seq_name))
        return kv_err_set(err, KV_EINVAL, "bad sequence name");
    if (!fenced(db, seq_name)) { /* the fence comes with the transaction's first draw */
        rc = kv_db_next_value_fenced(db, seq_name, fallback_sql, &out[k++], err);
        if (rc < 0)
            return rc;
    }
    if (n - k == 1)
        return kv_db_next_value(db, seq_name, fallback_sql, &out[k], err);
    if (n == k)
        return 0;
    snprintf(q, sizeof(q), "SELECT nextval('%s') FROM generate_series(1, ", seq_name);
    t = kv__store_derive(ops, seq_name, q, NEXT_VALUES_SUFFIX[n - k]);
    if (!t)
        return kv_err_set(err, KV_EINTERNAL, "too many derived statements");
    rc = kv_db_prepare(db, t, &s, err);
    if (rc < 0)
        return rc;
    while (k < n && (rc = kv_stmt_step(s, err)) == KV_ROW)
        out[k++] = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (k < n)
        return kv_err_set(err, KV_EDB, "too few values for %s", seq_name);
    for (i = 1; i < n; i++) /* ascending (nextval's order of evaluation is the rows') */
        for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
            int64_t x = out[j];
            out[j] = out[j - 1];
            out[j - 1] = x;
        }
    return 0;
}

int kv_db_sequence_fence(struct kv_db *db, const char *seq_name, struct kv_err *err)
{
    const struct kv_store_ops *ops = db->st->ops;
    int rc;

    if (!ops->sequence_fence)
        return 0;
    if (!db->in_tx)
        return kv_err_set(err, KV_EINTERNAL, "store: sequence fence outside a transaction");
    if (!valid_seq_name(seq_name))
        return kv_err_set(err, KV_EINVAL, "bad sequence name");
    if (fenced(db, seq_name))
        return 0;
    rc = ops->sequence_fence(db, seq_name, err);
    if (rc == 0)
        note_fenced(db, seq_name);
    return rc;
}

int kv_db_sequence_horizon(struct kv_db *db, const char *seq_name, int64_t *out,
                           struct kv_err *err)
{
    const struct kv_store_ops *ops = db->st->ops;

    if (!ops->sequence_horizon) {
        *out = INT64_MAX;
        return 0;
    }
    if (!valid_seq_name(seq_name))
        return kv_err_set(err, KV_EINVAL, "bad sequence name");
    return ops->sequence_horizon(db, seq_name, out, err);
}

#define OPS(s) ((s)->db->st->ops)

/* Remembers the first failed bind of s; returns rc. */
static int bind_result(struct kv_stmt *s, int idx, int rc)
{
    if (rc < 0 && s->bind_rc == 0) {
        s->bind_rc = rc;
        s->bind_idx = idx;
    }
    return rc;
}

int kv_stmt_bind_text(struct kv_stmt *s, int idx, const char *v, long len)
{
    if (!v) /* a NULL of the text type where the backend types its NULLs */
        return bind_result(s, idx, OPS(s)->bind_text(s, idx, NULL, 0));
    if (len < -1)
        return bind_result(s, idx, KV_EINVAL);
    return bind_result(s, idx, OPS(s)->bind_text(s, idx, v, len < 0 ? strlen(v) : (size_t)len));
}

int kv_stmt_bind_text_static(struct kv_stmt *s, int idx, const char *v, long len)
{
    int (*bind)(struct kv_stmt *, int, const char *, size_t) =
        OPS(s)->bind_text_static ? OPS(s)->bind_text_static : OPS(s)->bind_text;

    if (!v)
        return bind_result(s, idx, OPS(s)->bind_text(s, idx, NULL, 0));
    if (len < -1)
        return bind_result(s, idx, KV_EINVAL);
    return bind_result(s, idx, bind(s, idx, v, len < 0 ? strlen(v) : (size_t)len));
}

int kv_stmt_bind_int64(struct kv_stmt *s, int idx, int64_t v)
{
    return bind_result(s, idx, OPS(s)->bind_int64(s, idx, v));
}

int kv_stmt_bind_blob(struct kv_stmt *s, int idx, const void *v, size_t len)
{
    if (!v && len > 0)
        return bind_result(s, idx, KV_EINVAL);
    return bind_result(s, idx, OPS(s)->bind_blob(s, idx, v, len));
}

int kv_stmt_bind_blob_static(struct kv_stmt *s, int idx, const void *v, size_t len)
{
    int (*bind)(struct kv_stmt *, int, const void *, size_t) =
        OPS(s)->bind_blob_static ? OPS(s)->bind_blob_static : OPS(s)->bind_blob;

    if (!v && len > 0)
        return bind_result(s, idx, KV_EINVAL);
    return bind_result(s, idx, bind(s, idx, v, len));
}

int kv_stmt_bind_null(struct kv_stmt *s, int idx)
{
    return bind_result(s, idx, OPS(s)->bind_null(s, idx));
}

int kv_stmt_step(struct kv_stmt *s, struct kv_err *err)
{
    if (s->bind_rc < 0)
        return kv_err_set(err, s->bind_rc, "store: binding parameter %d failed; statement not run",
                          s->bind_idx);
    return OPS(s)->step(s, err);
}

int kv_stmt_step_insert(struct kv_stmt *s, int64_t *out_id, struct kv_err *err)
{
    int rc = kv_stmt_step(s, err);

    *out_id = 0;
    if (rc < 0)
        return rc;
    if (OPS(s)->returning_id[0]) {
        if (rc != KV_ROW)
            return kv_err_set(err, KV_EDB, "store: the INSERT returned no id");
        *out_id = kv_stmt_col_int64(s, 0);
    } else {
        if (rc != KV_DONE)
            return kv_err_set(err, KV_EDB, "store: the INSERT returned a row");
        *out_id = OPS(s)->last_insert_id(s);
    }
    return 0;
}

int kv_stmt_step_insert_or_skip(struct kv_stmt *s, int64_t *out_id, struct kv_err *err)
{
    int rc = kv_stmt_step(s, err);

    *out_id = 0;
    if (rc < 0)
        return rc;
    if (OPS(s)->returning_id[0]) { /* RETURNING id: no row when the conflict skipped it */
        if (rc == KV_ROW)
            *out_id = kv_stmt_col_int64(s, 0);
        return 0;
    }
    if (rc != KV_DONE)
        return kv_err_set(err, KV_EDB, "store: the INSERT returned a row");
    /* the statement's own rows (its triggers' are not counted): 0 when skipped */
    if (OPS(s)->changes(s->db) > 0)
        *out_id = OPS(s)->last_insert_id(s);
    return 0;
}

const char *kv_stmt_col_text(struct kv_stmt *s, int idx)
{
    return OPS(s)->col_text(s, idx);
}

int64_t kv_stmt_col_int64(struct kv_stmt *s, int idx)
{
    return OPS(s)->col_int64(s, idx);
}

const void *kv_stmt_col_blob(struct kv_stmt *s, int idx, size_t *out_len)
{
    return OPS(s)->col_blob(s, idx, out_len);
}

int kv_stmt_col_is_null(struct kv_stmt *s, int idx)
{
    return OPS(s)->col_is_null(s, idx);
}

void kv_stmt_done(struct kv_stmt *s)
{
    if (!s)
        return;
    s->bind_rc = 0;
    s->bind_idx = 0;
    OPS(s)->reset(s);
}

int64_t kv_db_changes(struct kv_db *db)
{
    return db->st->ops->changes(db);
}

/* ---- transactions, savepoints, durability, maintenance ---- */

/* ---- credentials generation (store.h) ---- */

static void cred_bump(struct kv_store *st)
{
    if (st->cred_gen)
        (void)__atomic_add_fetch(st->cred_gen, 1, __ATOMIC_SEQ_CST);
}

/* After the transaction that changed credentials ended (either way): the second advance. */
static void cred_settle(struct kv_db *db)
{
    if (db->cred_dirty) {
        db->cred_dirty = 0;
        cred_bump(db->st);
    }
}

int64_t kv_store_credentials_generation(struct kv_store *st)
{
    if (st->ops->cred_generation)
        return st->ops->cred_generation(st);
    if (!st->cred_gen)
        return -1;
    return (int64_t)(__atomic_load_n(st->cred_gen, __ATOMIC_SEQ_CST) & INT64_MAX);
}

void kv_store_set_credentials_listen(struct kv_store *st, int listen)
{
    st->cred_listen = listen;
}

void kv_db_credentials_changed(struct kv_db *db)
{
    if (db->st->ops->cred_changed)
        db->st->ops->cred_changed(db);
    cred_bump(db->st);
    if (db->in_tx)
        db->cred_dirty = 1;
}

static int begin(struct kv_db *db, int shared, struct kv_err *err)
{
    int rc;

    if (db->in_tx)
        return kv_err_set(err, KV_EINTERNAL, "store: nested transaction");
    db->retryable = 0;
    db->nfenced = 0;
    rc = db->st->ops->begin(db, shared && !db->st->write_lock_global, err);
    if (rc == 0) {
        db->in_tx = 1;
        db->savepoints = 0;
    }
    return rc;
}

int kv_db_begin(struct kv_db *db, struct kv_err *err)
{
    return begin(db, 0, err);
}

int kv_db_begin_concurrent(struct kv_db *db, struct kv_err *err)
{
    return begin(db, 1, err);
}

int kv_db_retryable(struct kv_db *db)
{
    return db->retryable;
}

int kv_db_in_transaction(struct kv_db *db)
{
    return db->in_tx;
}

void kv_store_set_write_lock_global(struct kv_store *st, int global)
{
    st->write_lock_global = global ? 1 : 0;
}

int kv_db_begin_snapshot(struct kv_db *db, struct kv_err *err)
{
    int rc;

    if (db->in_tx)
        return 1;
    rc = kv_db_exec(db, db->st->ops->begin_snapshot, err);
    if (rc == 0) {
        db->in_tx = 1;
        db->savepoints = 0;
    }
    return rc;
}

int kv_db_commit(struct kv_db *db, struct kv_err *err)
{
    int rc;

    if (!db->in_tx)
        return kv_err_set(err, KV_EINTERNAL, "store: commit without a transaction");
    rc = kv_db_exec(db, "COMMIT", err);
    if (rc < 0) {
        /* A failed COMMIT may leave the transaction open; make sure nothing half-stays. */
        (void)kv_db_exec(db, "ROLLBACK", NULL);
    }
    db->in_tx = 0;
    db->savepoints = 0;
    cred_settle(db);
    return rc;
}

void kv_db_rollback(struct kv_db *db)
{
    if (!db->in_tx)
        return;
    (void)kv_db_exec(db, "ROLLBACK", NULL);
    db->in_tx = 0;
    db->savepoints = 0;
    cred_settle(db);
}

int kv_db_end(struct kv_db *db, int rc, struct kv_err *err)
{
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

int kv_db_run(struct kv_db *db, int concurrent,
              int (*fn)(struct kv_db *db, void *arg, struct kv_err *err), void *arg,
              struct kv_err *err)
{
    int rc, attempt;

    for (attempt = 0;; attempt++) {
        if (attempt > 0)
            kv_clock_backoff(attempt);
        rc = concurrent ? kv_db_begin_concurrent(db, err) : kv_db_begin(db, err);
        if (rc == 0) {
            rc = fn(db, arg, err);
            if (rc >= 0) {
                int c = kv_db_commit(db, err);
                if (c < 0) {
                    kv_db_rollback(db);
                    rc = c;
                }
            } else {
                kv_db_rollback(db);
            }
        }
        if (rc >= 0 || !kv_db_retryable(db))
            return rc;
        if (attempt == KV_DB_RUN_RETRIES) {
            char last[sizeof(err->msg)];

            snprintf(last, sizeof(last), "%s", err ? err->msg : "");
            return kv_err_set(err, KV_EUNAVAIL,
                              "concurrent writers: the transaction deadlocked %d times (%s)",
                              attempt + 1, last);
        }
    }
}

/* Savepoint statements by depth (string literals: they are statement-cache keys). */
static const char *const SP_BEGIN[KV_DB_SAVEPOINT_MAX] = {
    "SAVEPOINT kv_sp0", "SAVEPOINT kv_sp1", "SAVEPOINT kv_sp2", "SAVEPOINT kv_sp3",
    "SAVEPOINT kv_sp4", "SAVEPOINT kv_sp5", "SAVEPOINT kv_sp6", "SAVEPOINT kv_sp7"};
static const char *const SP_RELEASE[KV_DB_SAVEPOINT_MAX] = {
    "RELEASE SAVEPOINT kv_sp0", "RELEASE SAVEPOINT kv_sp1", "RELEASE SAVEPOINT kv_sp2",
    "RELEASE SAVEPOINT kv_sp3", "RELEASE SAVEPOINT kv_sp4", "RELEASE SAVEPOINT kv_sp5",
    "RELEASE SAVEPOINT kv_sp6", "RELEASE SAVEPOINT kv_sp7"};
static const char *const SP_UNDO[KV_DB_SAVEPOINT_MAX] = {
    "ROLLBACK TO SAVEPOINT kv_sp0", "ROLLBACK TO SAVEPOINT kv_sp1",
    "ROLLBACK TO SAVEPOINT kv_sp2", "ROLLBACK TO SAVEPOINT kv_sp3",
    "ROLLBACK TO SAVEPOINT kv_sp4", "ROLLBACK TO SAVEPOINT kv_sp5",
    "ROLLBACK TO SAVEPOINT kv_sp6", "ROLLBACK TO SAVEPOINT kv_sp7"};

/* Runs one parameterless statement through the statement cache (savepoints run per letter on
 * the send path, so they are not parsed again each time as kv_db_exec would). */
static int run_cached(struct kv_db *db, const char *sql, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);

    if (rc < 0)
        return rc;
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_db_savepoint(struct kv_db *db, struct kv_err *err)
{
    int rc;

    if (!db->in_tx)
        return kv_err_set(err, KV_EINTERNAL, "store: savepoint outside a transaction");
    if (db->savepoints >= KV_DB_SAVEPOINT_MAX)
        return kv_err_set(err, KV_EINTERNAL, "store: savepoints nested too deep");
    rc = run_cached(db, SP_BEGIN[db->savepoints], err);
    if (rc == 0)
        db->savepoints++;
    return rc;
}

int kv_db_savepoint_release(struct kv_db *db, struct kv_err *err)
{
    if (db->savepoints <= 0)
        return kv_err_set(err, KV_EINTERNAL, "store: no savepoint to release");
    db->savepoints--;
    return run_cached(db, SP_RELEASE[db->savepoints], err);
}

int kv_db_savepoint_rollback(struct kv_db *db, struct kv_err *err)
{
    int rc;

    if (db->savepoints <= 0)
        return kv_err_set(err, KV_EINTERNAL, "store: no savepoint to roll back");
    db->savepoints--;
    db->nfenced = 0; /* a fence taken inside the savepoint is released with it */
    rc = run_cached(db, SP_UNDO[db->savepoints], err);
    if (rc == 0)
        rc = run_cached(db, SP_RELEASE[db->savepoints], err);
    return rc;
}

int kv_db_durability(struct kv_db *db, enum kv_durability d, struct kv_err *err)
{
    int rc;

    if (d != KV_DURABILITY_FULL && d != KV_DURABILITY_LAZY)
        return kv_err_set(err, KV_EINVAL, "store: unknown durability %d", (int)d);
    if (db->in_tx)
        return kv_err_set(err, KV_EINTERNAL, "store: durability changed inside a transaction");
    if ((d == KV_DURABILITY_LAZY) == db->lazy)
        return 0;
    rc = db->st->ops->durability(db, d, err);
    if (rc == 0)
        db->lazy = d == KV_DURABILITY_LAZY;
    return rc;
}

int kv_db_checkpoint(struct kv_db *db, enum kv_checkpoint mode, struct kv_err *err)
{
    if (db->in_tx)
        return kv_err_set(err, KV_EINTERNAL, "store: checkpoint inside a transaction");
    return db->st->ops->checkpoint(db, mode, err);
}

void kv_db_bulk_writer(struct kv_db *db)
{
    db->st->ops->bulk_writer(db);
}

int kv_db_check_writable(struct kv_db *db, struct kv_err *err)
{
    return db->st->ops->check_writable ? db->st->ops->check_writable(db, err) : 0;
}

/* ---- pool ---- */

int kv_db_acquire(struct kv_store *st, struct kv_db **out, struct kv_err *err)
{
    struct kv_db *db;
    int rc;

    *out = NULL;
    pthread_mutex_lock(&st->mu);
    db = st->free_list;
    if (db) {
        st->free_list = db->next;
        st->n_idle--;
    }
    pthread_mutex_unlock(&st->mu);
    if (!db) {
        rc = st->ops->conn_open(st, &db, err);
        if (rc < 0)
            return rc;
        db->st = st;
    }
    db->next = NULL;
    db->in_tx = 0;
    db->savepoints = 0;
    db->cred_dirty = 0;
    *out = db;
    return 0;
}

void kv_db_release(struct kv_db *db)
{
    struct kv_store *st;

    if (!db)
        return;
    st = db->st;
    kv_db_rollback(db); /* a forgotten transaction must not leak into the next user */
    /* Nor a lazy durability: a connection that cannot be made FULL again is closed. */
    if (db->lazy && kv_db_durability(db, KV_DURABILITY_FULL, NULL) < 0) {
        st->ops->conn_close(db);
        return;
    }
    pthread_mutex_lock(&st->mu);
    if (st->n_idle < KV__STORE_MAX_IDLE) {
        db->next = st->free_list;
        st->free_list = db;
        st->n_idle++;
        db = NULL;
    }
    pthread_mutex_unlock(&st->mu);
    if (db)
        st->ops->conn_close(db);
}

/* ---- migrations ---- */

/* Parses "NNN_name.sql" into NNN (> 0); returns -1 when base is not a migration name. */
static int migration_number(const char *base)
{
    long v = 0;
    size_t i, n = strlen(base);

    if (n < 6 || strcmp(base + n - 4, ".sql") != 0)
        return -1;
    for (i = 0; base[i] >= '0' && base[i] <= '9'; i++) {
        v = v * 10 + (base[i] - '0');
        if (v > INT_MAX / 10)
            return -1;
    }
    if (i == 0 || base[i] != '_' || v <= 0)
        return -1;
    return (int)v;
}

static int cmp_migration(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;

    return (x->version > y->version) - (x->version < y->version);
}

/* Collects the backend's embedded migrations sorted by number. Duplicate numbers are a bug. */
static int list_migrations(const char *backend, struct migration *m, size_t *out_n,
                           struct kv_err *err)
{
    char prefix[128];
    size_t i, n = 0, plen;
    int v;

    if (snprintf(prefix, sizeof(prefix), "%s%s/", MIGRATION_ROOT, backend) >= (int)sizeof(prefix))
        return kv_err_set(err, KV_EINTERNAL, "store: backend name too long");
    plen = strlen(prefix);
    for (i = 0; kv_embed_files[i].name; i++) {
        const char *name = kv_embed_files[i].name;

        if (strncmp(name, prefix, plen) != 0 || strchr(name + plen, '/'))
            continue;
        v = migration_number(name + plen);
        if (v < 0)
            continue;
        if (n == MAX_MIGRATIONS)
            return kv_err_set(err, KV_EINTERNAL, "store: too many migrations");
        m[n].version = v;
        m[n].f = &kv_embed_files[i];
        n++;
    }
    qsort(m, n, sizeof(*m), cmp_migration);
    for (i = 1; i < n; i++)
        if (m[i].version == m[i - 1].version)
            return kv_err_set(err, KV_EINTERNAL, "store: two migrations numbered %03d",
                              m[i].version);
    *out_n = n;
    return 0;
}

/* Applies migration mg unless already recorded; the check runs inside the write transaction so
 * two processes opening a fresh directory at once apply each file exactly once. */
static int apply_migration(struct kv_db *db, const struct migration *mg, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    const char *base = strrchr(mg->f->name, '/') + 1;
    int rc;

    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_MIG_HAS, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, mg->version);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    s = NULL;
    if (rc < 0)
        goto out;
    if (rc == KV_ROW) { /* another process got there first */
        rc = 0;
        goto out;
    }
    rc = kv_db_exec(db, mg->f->data, err);
    if (rc < 0) {
        if (err) {
            char inner[sizeof(err->msg)];

            memcpy(inner, err->msg, sizeof(inner));
            kv_err_set(err, rc, "migration %s: %s", base, inner);
        }
        goto out;
    }
    rc = kv_db_prepare(db, SQL_MIG_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, mg->version);
    kv_stmt_bind_text(s, 2, base, -1);
    kv_stmt_bind_int64(s, 3, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    rc = kv_db_commit(db, err);
    return rc;
out:
    kv_db_rollback(db);
    return rc;
}

/* A store that records a migration number this build does not have was written by a newer
 * kuvert: its schema and the meaning of its rows may have moved on in ways this build would
 * get wrong (a durable mark it does not know, a column it would not fill), so it is refused
 * with a clear error instead of served, before this build applies anything. Only numbers are
 * compared (a file renamed after it was applied keeps its old name in schema_migrations).
 * m: the build's migrations, sorted by number. */
static int known_migrations(struct kv_db *db, const struct migration *m, size_t n,
                            struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t v;
    size_t lo, hi;
    int rc;

    rc = kv_db_prepare(db, "SELECT version, name FROM schema_migrations ORDER BY version", &s,
                       err);
    if (rc < 0)
        return rc;
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        v = kv_stmt_col_int64(s, 0);
        for (lo = 0, hi = n; lo < hi;) { /* binary search of the sorted list */
            size_t mid = lo + (hi - lo) / 2;

            if (m[mid].version < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == n || m[lo].version != v) {
            rc = kv_err_set(err, KV_EINVAL,
                            "store: it has migration %s, which this kuvert does not know: it was "
                            "written by a newer kuvert; run that one (or newer) on it",
                            kv_stmt_col_text(s, 1));
            break;
        }
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int migrate(struct kv_store *st, struct kv_err *err)
{
    struct migration *m = kv_xcalloc(MAX_MIGRATIONS, sizeof(*m));
    struct kv_db *db = NULL;
    size_t i, n = 0;
    int rc;

    rc = list_migrations(st->ops->name, m, &n, err);
    if (rc < 0)
        goto out;
    rc = kv_db_acquire(st, &db, err);
    if (rc < 0)
        goto out;
    /* In a write transaction: two processes creating the table at once would clash otherwise
     * (PostgreSQL's IF NOT EXISTS does not wait for a concurrent CREATE). */
    rc = kv_db_begin(db, err);
    if (rc == 0)
        rc = kv_db_exec(db, SQL_MIG_TABLE, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc < 0)
        goto out;
    /* Before anything is applied: a refused store is left as it was. */
    rc = known_migrations(db, m, n, err);
    if (rc < 0)
        goto out;
    /* Every file not yet recorded is applied, not only those above the highest recorded one:
     * migrations written on parallel branches may land out of number order. */
    for (i = 0; i < n; i++) {
        rc = apply_migration(db, &m[i], err);
        if (rc < 0)
            goto out;
    }
out:
    kv_db_release(db);
    free(m);
    return rc;
}

/* ---- store ---- */

int kv_store_open(const char *dir, struct kv_store **out, struct kv_err *err)
{
    return kv_store_open_db(dir, NULL, out, err);
}

int kv_store_open_db(const char *dir, const char *url, struct kv_store **out, struct kv_err *err)
{
    struct kv_store *st;
    const char *where = url && *url ? url : dir;
    int rc;

    *out = NULL;
    if (!where || !*where)
        return kv_err_set(err, KV_EINVAL, "store: empty data directory");
    st = kv_xcalloc(1, sizeof(*st));
    st->ops = url && *url ? &kv__store_pg_ops : &kv__store_sqlite_ops;
    st->dir = kv_xstrdup(where);
    pthread_mutex_init(&st->mu, NULL);
    rc = st->ops->open(st, where, err);
    if (rc < 0) {
        st->ops = NULL;
        kv_store_close(st);
        return rc;
    }
    rc = migrate(st, err);
    if (rc < 0) {
        kv_store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

void kv_store_close(struct kv_store *st)
{
    struct kv_db *db, *next;

    if (!st)
        return;
    for (db = st->free_list; db; db = next) {
        next = db->next;
        st->ops->conn_close(db);
    }
    if (st->ops)
        st->ops->close(st);
    pthread_mutex_destroy(&st->mu);
    free(st->dir);
    free(st);
}

struct kv_store *kv_db_store(struct kv_db *db)
{
    return db->st;
}

const char *kv_store_backend(const struct kv_store *st)
{
    return st->ops->name;
}

enum kv_text_index kv_store_text_index(const struct kv_store *st)
{
    return st->ops->text_index;
}

int kv_store_schema_version(struct kv_store *st, int *out, struct kv_err *err)
{
    struct kv_db *db = NULL;
    struct kv_stmt *s = NULL;
    int rc;

    *out = 0;
    rc = kv_db_acquire(st, &db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_MIG_MAX, &s, err);
    if (rc < 0)
        goto out;
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        *out = (int)kv_stmt_col_int64(s, 0);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = 0;
    }
out:
    kv_stmt_done(s);
    kv_db_release(db);
    return rc;
}

/* SPDX-License-Identifier: MIT
 *
 * store_pg.c: the PostgreSQL backend of the store (see store.h, store_int.h, docs/store.md),
 * through libpq. The database is named by a libpq connection URI or keyword string
 * ("postgresql://user@host/db", "host=/run/postgresql dbname=kuvert"); the data directory is
 * not used for the database.
 *
 * Dialect: the hub's `?` and `?N` placeholders are rewritten to `$n` once per statement (string
 * literals, quoted identifiers and comments are skipped). Integers are sent as int8 text,
 * text as text, blobs as binary bytea; results come back as text and bytea columns are decoded
 * on first access. A boolean column reads as 0/1. A constraint violation (SQLSTATE class 23)
 * is KV_ECONFLICT; a database that is read-only, unreachable, shutting down, full or locked
 * past lock_timeout is KV_EUNAVAIL (unavailable_state).
 *
 * Transactions: kv_db_begin is BEGIN plus a transaction-scoped advisory lock on one key, so
 * write transactions exclude each other exactly as SQLite's BEGIN IMMEDIATE does (reads never
 * wait), across every process and node that uses the installation (the key is the schema's,
 * so other installations in the same database are not held up). Every session runs
 * synchronous_commit=on (a returned COMMIT is flushed, and on a synchronous replica when the
 * server is so configured), lock_timeout=10s (the SQLite busy timeout), TimeZone UTC and
 * client_encoding UTF8. LAZY durability is synchronous_commit=off for the session.
 *
 * Statements are cached per connection by SQL pointer like the SQLite backend's (a hit is
 * checked against the statement's copy of the text; other text at a reused address replaces
 * the stale statement), and
 * prepared on the server at their first step under a name of their own ("kvN"); when a later
 * execution binds different types (a NULL first, an integer later) the statement is prepared
 * again. A nested use of a cached SQL text gets an uncached twin, prepared as the unnamed
 * statement at each execution. A
 * statement's whole result is fetched at its first step, so the connection is free for other
 * statements while its rows are read (the hub nests queries).
 *
 * A lost connection is re-established at the next use outside a transaction; inside one every
 * statement and the COMMIT fail, so nothing is reported as committed that was not.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/store_int.h"
#include "store/store_pg_cred.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define CACHE_INIT 64 /* initial slots (power of two) */
#define MAX_PARAMS 1000

/* Type OIDs (pg_type.dat; stable across PostgreSQL versions). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

/* The advisory lock every write transaction takes: exclusively (kv_db_begin) or shared
 * (kv_db_begin_concurrent). Advisory locks are database-wide, so its key is the installation's:
 * derived once at open from the schema its tables live in (current_schema(), the first schema
 * of the URL's search_path that exists), so installations in two schemas of one database do
 * not wait for each other while the nodes of one do. The key is one bigint (pg_locks: objsubid
 * 1, never mistaken for a fence's two-key pair, objsubid 2): "kuvt" (0x6b757674) in the upper
 * 32 bits and the FNV-1a hash of the schema's name in the lower. The schema `public` keeps
 * the key of earlier releases, "kuvt" alone (WRITE_LOCK_KEY_PUBLIC), so a node of an earlier
 * release still excludes this one there. Two schemas whose names hash alike would share the
 * lock: they would wait for each other, never run unguarded. */
#define WRITE_LOCK_KEY_PUBLIC INT64_C(1802860148)
#define WRITE_LOCK_KEY_HIGH INT64_C(1802860148)

static const char SQL_SESSION[] = "SET synchronous_commit TO on; SET lock_timeout TO '10s'; "
                                  "SET TimeZone TO 'UTC'; SET client_min_messages TO warning";
static const char SQL_BEGIN_FMT[] = "BEGIN; SELECT pg_advisory_xact_lock(%lld)";
static const char SQL_BEGIN_SHARED_FMT[] = "BEGIN; SELECT pg_advisory_xact_lock_shared(%lld)";

/* The fence of kv_db_next_value_fenced: a shared advisory lock on the two-key pair (the
 * sequence's OID, N) with N the sequence's next value (last_value, plus one once a value has
 * been drawn), both modulo 2^31, held until the transaction ends and taken BEFORE nextval (a
 * MATERIALIZED CTE is run before the outer row is formed), so N is <= every value the
 * transaction draws. The horizon reads the sequence's next value N' and every such lock of
 * this database from pg_locks and returns min(N', each lock's N), N recovered from its 31 bits
 * as the largest number <= N' with them (an open transaction's N is within 2^31 of N'). A
 * lock is released after its transaction's commit has become visible, so a read begun after
 * the horizon sees every committed value below it. */
static const char FENCE_FMT[] =
    "WITH f AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared("
    "('%s'::regclass::oid::bigint %% 2147483648)::int4,"
    " ((last_value + CASE WHEN is_called THEN 1 ELSE 0 END) %% 2147483648)::int4)"
    " FROM %s) SELECT nextval('%s') FROM f";
/* The same fence alone (kv_db_sequence_fence): the values the transaction draws afterwards,
 * by nextval or a column's identity default, are >= N. */
static const char FENCE_ONLY_FMT[] =
    "WITH f AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared("
    "('%s'::regclass::oid::bigint %% 2147483648)::int4,"
    " ((last_value + CASE WHEN is_called THEN 1 ELSE 0 END) %% 2147483648)::int4)"
    " FROM %s) SELECT COUNT(*) FROM f";
static const char HORIZON_FMT[] =
    "SELECT LEAST(s.n, (SELECT MIN(s.n - ((s.n %% 2147483648 - l.objid::bigint + 2147483648)"
    " %% 2147483648)) FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 2"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND l.classid::bigint = ('%s'::regclass::oid::bigint %% 2147483648)))"
    " FROM (SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END AS n FROM %s) s";
static const char TAG_FENCE[] = "", TAG_FENCE_ONLY[] = "",
                  TAG_HORIZON[] = ""; /* distinct keys for kv__store_derive */

struct param {
    char *buf;  /* owned value buffer (cap bytes), NULL until first bind */
    size_t cap; /* capacity of buf */
    int len;    /* value length */
    int set;    /* 1: non-NULL value in buf */
    Oid type;   /* type of this binding (0 = unknown: an untyped NULL) */
};

struct pg_stmt {
    struct kv_stmt base;  /* must be first */
    struct pg_db *db;     /* borrowed: owning connection */
    const char *sql;      /* cache key: the caller's SQL address (compared, never read) */
    char *orig;           /* owned copy of the caller's SQL, compared on every cache hit */
    char *text;           /* owned: the rewritten SQL */
    int n;                /* parameters */
    struct param *p;      /* owned: n bindings */
    Oid *ptypes;          /* owned: n types the server statement was prepared with */
    char name[24];        /* server-side name, "" = not prepared */
    PGresult *res;        /* owned result of the current execution, NULL before the first step */
    int row, nrows;       /* current row (-1 before the first), rows in res */
    unsigned char **dec;  /* owned (malloc): decoded bytea of the current row, per column (or NULL) */
    size_t *declen;       /* lengths of dec */
    int ncols;            /* columns of res (size of dec) */
    int cached;           /* 1: lives in db's cache; 0: freed by kv_stmt_done */
    int in_use;           /* 1 between prepare and done */
};

struct pg_db {
    struct kv_db base;         /* must be first (pooled by store.c) */
    PGconn *c;                 /* owned connection */
    struct pg_stmt **slots;    /* owned cache table, cap entries (NULL = empty) */
    size_t cap;                /* power of two */
    size_t n;                  /* used slots */
    unsigned long next_name;   /* for server-side statement names */
    int64_t changes;           /* rows changed by the last INSERT/UPDATE/DELETE */
    int lazy;                  /* 1: synchronous_commit=off in force */
};

struct pg_store {
    char *conninfo;            /* owned */
    struct kv__pg_cred *cred;  /* owned: the credentials generation (store_pg_cred.h) */
    int64_t write_lock_key;    /* the installation's write lock (write_lock_key) */
    char sql_begin[80];        /* BEGIN and the write lock, exclusive */
    char sql_begin_shared[80]; /* ... shared */
};

static int64_t write_lock_key(const char *schema)
{
    uint32_t h = 2166136261u;

    if (!schema || strcmp(schema, "public") == 0)
        return WRITE_LOCK_KEY_PUBLIC;
    for (; *schema; schema++) {
        h ^= (unsigned char)*schema;
        h *= 16777619u;
    }
    return (int64_t)((uint64_t)WRITE_LOCK_KEY_HIGH << 32 | h);
}

/* ---- errors ---- */

/* Copies a libpq message into err without its trailing newline. */
static int pg_fail(struct kv_err *err, int code, const char *what, const char *msg)
{
    char buf[sizeof(err->msg)];
    size_t n;

    snprintf(buf, sizeof(buf), "%s", msg ? msg : "unknown error");
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return kv_err_set(err, code, "%s: %s", what, buf);
}

/* 1 when SQLSTATE state says the database is unavailable for now rather than the statement
 * wrong (docs/errors.md "Database unavailable"): class 08 connection exception, 25006
 * read-only transaction (a standby, or a primary being demoted), 53 insufficient resources
 * (disk full, too many connections), 55P03 lock not available (lock_timeout, the SQLite busy
 * timeout's twin), 57P01-57P03 shutdown / cannot connect now, 40001 serialization failure and
 * 40P01 deadlock (not retried here: the client repeats the request). */
static int unavailable_state(const char *state)
{
    static const char *const exact[] = {"25006", "55P03", "57P01", "57P02",
                                        "57P03", "40001", "40P01"};
    size_t i;

    if (!state)
        return 0;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0)
        return 1;
    for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(state, exact[i]) == 0)
            return 1;
    return 0;
}

/* Maps a failed result to KV_ECONFLICT (SQLSTATE class 23: integrity constraint), KV_EUNAVAIL
 * (unavailable_state, or the connection is gone) or KV_EDB. */
static int result_error(struct pg_db *db, PGresult *r, struct kv_err *err, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorMessage(r) : NULL;

    if (!msg || !*msg)
        msg = PQerrorMessage(db->c);
    if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
        db->base.retryable = 1; /* kv_db_retryable */
    if (state && strncmp(state, "23", 2) == 0)
        return pg_fail(err, KV_ECONFLICT, what, msg);
    if (unavailable_state(state) || PQstatus(db->c) != CONNECTION_OK)
        return pg_fail(err, KV_EUNAVAIL, what, msg);
    return pg_fail(err, KV_EDB, what, msg);
}

/* ---- connections ---- */

static void forget_prepared(struct pg_db *db)
{
    size_t i;

    for (i = 0; i < db->cap; i++)
        if (db->slots[i])
            db->slots[i]->name[0] = '\0';
}

/* Session settings of every (re)connected session. */
static int session_setup(struct pg_db *db, struct kv_err *err)
{
    PGresult *r;
    int rc = 0;

    if (PQsetClientEncoding(db->c, "UTF8") != 0)
        return pg_fail(err, KV_EDB, "postgresql: client encoding", PQerrorMessage(db->c));
    r = PQexec(db->c, db->lazy ? "SET synchronous_commit TO off" : SQL_SESSION);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = result_error(db, r, err, "postgresql: session settings");
    PQclear(r);
    if (rc == 0 && db->lazy) {
        r = PQexec(db->c, SQL_SESSION);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = result_error(db, r, err, "postgresql: session settings");
        PQclear(r);
        db->lazy = 0;
    }
    return rc;
}

/* Outside a transaction, a connection that was lost is re-established (its server-side
 * statements are gone with it). Inside one nothing is done: the transaction is lost and every
 * further statement, COMMIT included, must fail. */
static int ensure_connected(struct pg_db *db, struct kv_err *err)
{
    if (PQstatus(db->c) == CONNECTION_OK)
        return 0;
    if (db->base.in_tx)
        return pg_fail(err, KV_EUNAVAIL, "postgresql: connection lost in a transaction",
                       PQerrorMessage(db->c));
    PQreset(db->c);
    forget_prepared(db);
    if (PQstatus(db->c) != CONNECTION_OK)
        return pg_fail(err, KV_EUNAVAIL, "postgresql: reconnect failed", PQerrorMessage(db->c));
    db->lazy = 0;
    return session_setup(db, err);
}

/* 1 when a failure of a statement that changed nothing may be retried on a new connection:
 * the connection is gone and no transaction was open. */
static int retry_after_loss(struct pg_db *db)
{
    return PQstatus(db->c) != CONNECTION_OK && !db->base.in_tx;
}

static int pg_open(struct kv_store *st, const char *url, struct kv_err *err)
{
    struct pg_store *ps;
    PGconn *c;
    PGresult *r = NULL;
    int rc = 0;

    if (!PQisthreadsafe())
        return kv_err_set(err, KV_EINTERNAL, "libpq was built without thread support");
    c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        rc = pg_fail(err, KV_EUNAVAIL, "postgresql: cannot connect", PQerrorMessage(c));
        goto out;
    }
    if (PQserverVersion(c) < 130000) {
        rc = kv_err_set(err, KV_EDB, "postgresql: server version %d is older than 13",
                        PQserverVersion(c));
        goto out;
    }
    /* Text order and comparison must be byte-wise as in SQLite (docs/store.md). */
    r = PQexec(c, "SELECT datcollate, pg_encoding_to_char(encoding) FROM pg_database "
                  "WHERE datname = current_database()");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        rc = pg_fail(err, KV_EDB, "postgresql: reading the database's collation",
                     PQresultErrorMessage(r));
        goto out;
    }
    if (strcmp(PQgetvalue(r, 0, 1), "UTF8") != 0) {
        rc = kv_err_set(err, KV_EDB,
                        "postgresql: database encoding is %s; kuvert needs UTF8 (CREATE "
                        "DATABASE ... ENCODING 'UTF8' LOCALE 'C' TEMPLATE template0)",
                        PQgetvalue(r, 0, 1));
        goto out;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "C") != 0 && strcmp(PQgetvalue(r, 0, 0), "POSIX") != 0 &&
        strcmp(PQgetvalue(r, 0, 0), "C.UTF-8") != 0 && strcmp(PQgetvalue(r, 0, 0), "C.utf8") != 0) {
        rc = kv_err_set(err, KV_EDB,
                        "postgresql: database collation is %s; kuvert needs byte order, the C "
                        "collation (CREATE DATABASE ... ENCODING 'UTF8' LOCALE 'C' TEMPLATE "
                        "template0)",
                        PQgetvalue(r, 0, 0));
        goto out;
    }
    PQclear(r);
    /* The installation: the schema its tables live in (NULL when no schema of the search_path
     * exists; the migrations then fail on their first CREATE). */
    r = PQexec(c, "SELECT current_schema()");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        rc = pg_fail(err, KV_EDB, "postgresql: reading the current schema",
                     PQresultErrorMessage(r));
        goto out;
    }
    ps = kv_xcalloc(1, sizeof(*ps));
    ps->write_lock_key =
        write_lock_key(PQgetisnull(r, 0, 0) ? NULL : PQgetvalue(r, 0, 0));
    snprintf(ps->sql_begin, sizeof(ps->sql_begin), SQL_BEGIN_FMT,
             (long long)ps->write_lock_key);
    snprintf(ps->sql_begin_shared, sizeof(ps->sql_begin_shared), SQL_BEGIN_SHARED_FMT,
             (long long)ps->write_lock_key);
    ps->conninfo = kv_xstrdup(url);
    ps->cred = kv__pg_cred_new(url);
    st->cred_gen = kv__pg_cred_counter(ps->cred);
    st->backend = ps;
out:
    PQclear(r);
    PQfinish(c);
    return rc;
}

static void pg_close(struct kv_store *st)
{
    struct pg_store *ps = st->backend;

    if (!ps)
        return;
    st->cred_gen = NULL;
    kv__pg_cred_free(ps->cred);
    free(ps->conninfo);
    free(ps);
    st->backend = NULL;
}

static void stmt_free(struct pg_stmt *s)
{
    int i;

    if (!s)
        return;
    PQclear(s->res);
    for (i = 0; i < s->ncols; i++)
        free(s->dec[i]);
    free(s->dec);
    free(s->declen);
    for (i = 0; i < s->n; i++)
        free(s->p[i].buf);
    free(s->p);
    free(s->ptypes);
    free(s->orig);
    free(s->text);
    free(s);
}

static void pg_conn_close(struct kv_db *kdb)
{
    struct pg_db *db = (struct pg_db *)kdb;
    size_t i;

    if (!db)
        return;
    for (i = 0; i < db->cap; i++)
        stmt_free(db->slots[i]);
    free(db->slots);
    PQfinish(db->c);
    free(db);
}

static int pg_conn_open(struct kv_store *st, struct kv_db **out, struct kv_err *err)
{
    struct pg_store *ps = st->backend;
    struct pg_db *db = kv_xcalloc(1, sizeof(*db));
    int rc;

    *out = NULL;
    db->base.st = st;
    db->cap = CACHE_INIT;
    db->slots = kv_xcalloc(db->cap, sizeof(*db->slots));
    db->c = PQconnectdb(ps->conninfo);
    if (PQstatus(db->c) != CONNECTION_OK) {
        rc = pg_fail(err, KV_EUNAVAIL, "postgresql: cannot connect", PQerrorMessage(db->c));
        goto fail;
    }
    rc = session_setup(db, err);
    if (rc < 0)
        goto fail;
    *out = &db->base;
    return 0;
fail:
    pg_conn_close(&db->base);
    return rc;
}

/* Runs parameterless SQL (several statements allowed); one retry on a fresh connection when
 * the connection was found gone outside a transaction. */
static int run_simple(struct pg_db *db, const char *sql, struct kv_err *err, const char *what)
{
    PGresult *r;
    ExecStatusType t;
    int rc, attempt;

    for (attempt = 0;; attempt++) {
        rc = ensure_connected(db, err);
        if (rc < 0)
            return rc;
        r = PQexec(db->c, sql);
        t = PQresultStatus(r);
        if (t == PGRES_COMMAND_OK && strcmp(sql, "COMMIT") == 0 &&
            strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
            /* The server answers COMMIT of a transaction in which a statement failed with
             * "ROLLBACK" and no error: nothing of it is stored, so the caller must not be
             * told it was (SQLite keeps a failed statement's transaction alive instead). */
            PQclear(r);
            return kv_err_set(err, KV_EDB,
                              "postgresql: a statement of the transaction had failed; "
                              "COMMIT rolled it back");
        }
        if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
            PQclear(r);
            return 0;
        }
        rc = result_error(db, r, err, what);
        PQclear(r);
        if (attempt > 0 || !retry_after_loss(db))
            return rc;
    }
}

static int pg_exec(struct kv_db *kdb, const char *sql, struct kv_err *err)
{
    struct pg_db *db = (struct pg_db *)kdb;

    /* A transaction lost with its connection must not be "committed" on a new one (the
     * server would answer a lone COMMIT with a warning only). */
    if (PQstatus(db->c) != CONNECTION_OK && db->base.in_tx)
        return pg_fail(err, KV_EUNAVAIL, "postgresql: connection lost in a transaction",
                       PQerrorMessage(db->c));
    return run_simple(db, sql, err, "postgresql");
}

static int64_t pg_cred_generation(struct kv_store *st)
{
    if (!st->cred_listen) /* config pg_credentials_cache off: nothing is cached */
        return -1;
    return kv__pg_cred_generation(((struct pg_store *)st->backend)->cred);
}

/* Other processes and nodes learn of a changed credential row at this transaction's COMMIT (at
 * once outside one). Inside a failed transaction it fails too, and so does the COMMIT. */
static void pg_cred_changed(struct kv_db *kdb)
{
    struct kv_err err = {0};

    if (pg_exec(kdb, KV__PG_CRED_NOTIFY, &err) < 0 && !kdb->in_tx)
        kv_log(KV_LOG_ERROR, "credentials: a change was committed but other nodes were not "
                             "told (%s): their caches keep the old row for up to a minute",
               err.msg);
}

static int pg_begin(struct kv_db *kdb, int shared, struct kv_err *err)
{
    struct pg_db *db = (struct pg_db *)kdb;
    const struct pg_store *ps = kdb->st->backend;
    int rc = run_simple(db, shared ? ps->sql_begin_shared : ps->sql_begin, err,
                        "postgresql: begin");

    if (rc < 0 && PQstatus(db->c) == CONNECTION_OK &&
        PQtransactionStatus(db->c) != PQTRANS_IDLE) {
        PGresult *r = PQexec(db->c, "ROLLBACK"); /* e.g. the lock wait timed out */
        PQclear(r);
    }
    return rc;
}

/* Runs the one-row, one-integer statement text derived for (seq_name, tag). */
static int seq_query(struct kv_db *db, const char *seq_name, const char *tag, const char *text,
                     int64_t *out, struct kv_err *err)
{
    const char *t = kv__store_derive(db->st->ops, seq_name, text, tag);

    if (!t)
        return kv_err_set(err, KV_EINTERNAL, "too many derived statements");
    return kv__store_one_int(db, t, seq_name, out, err);
}

static int pg_next_value_fenced(struct kv_db *db, const char *seq_name, int fence, int64_t *out,
                                struct kv_err *err)
{
    char q[512];

    if (!fence)
        return kv_db_next_value(db, seq_name, NULL, out, err);
    snprintf(q, sizeof(q), FENCE_FMT, seq_name, seq_name, seq_name);
    return seq_query(db, seq_name, TAG_FENCE, q, out, err);
}

static int pg_sequence_fence(struct kv_db *db, const char *seq_name, struct kv_err *err)
{
    char q[512];
    int64_t n;

    snprintf(q, sizeof(q), FENCE_ONLY_FMT, seq_name, seq_name);
    return seq_query(db, seq_name, TAG_FENCE_ONLY, q, &n, err);
}

static int pg_sequence_horizon(struct kv_db *db, const char *seq_name, int64_t *out,
                               struct kv_err *err)
{
    char q[1024];

    snprintf(q, sizeof(q), HORIZON_FMT, seq_name, seq_name);
    return seq_query(db, seq_name, TAG_HORIZON, q, out, err);
}

static int pg_durability(struct kv_db *kdb, enum kv_durability d, struct kv_err *err)
{
    struct pg_db *db = (struct pg_db *)kdb;
    int rc = run_simple(db,
                        d == KV_DURABILITY_LAZY ? "SET synchronous_commit TO off"
                                                : "SET synchronous_commit TO on",
                        err, "postgresql: synchronous_commit");

    if (rc == 0)
        db->lazy = d == KV_DURABILITY_LAZY;
    return rc;
}

/* The server's checkpointer and autovacuum do the maintenance. */
static int pg_checkpoint(struct kv_db *db, enum kv_checkpoint mode, struct kv_err *err)
{
    return 0;
}

static void pg_bulk_writer(struct kv_db *db)
{
}

/* ---- placeholders ---- */

/* Rewrites `?` and `?N` to `$n` outside string literals, quoted identifiers and comments. A
 * bare `?` takes the number after the largest used so far (SQLite's rule). Returns the owned
 * text and the number of parameters, or NULL on a number out of range; used[n - 1] is set for
 * each parameter the text names (SQLite allows gaps, the server cannot type them). */
static char *rewrite(const char *sql, int *out_n, unsigned char used[MAX_PARAMS])
{
    size_t len = strlen(sql);
    char *out = kv_xmalloc(len * 6 + 1), *o = out;
    const char *p = sql;
    int max = 0;

    while (*p) {
        char c = *p;

        if (c == '\'' || c == '"') { /* literal or identifier; a doubled quote stays inside */
            *o++ = *p++;
            while (*p) {
                if (*p == c && p[1] == c) {
                    *o++ = *p++;
                    *o++ = *p++;
                } else if (*p == c) {
                    break;
                } else {
                    *o++ = *p++;
                }
            }
            if (*p)
                *o++ = *p++;
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                *o++ = *p++;
        } else if (c == '/' && p[1] == '*') {
            *o++ = *p++;
            *o++ = *p++;
            while (*p && !(p[0] == '*' && p[1] == '/'))
                *o++ = *p++;
            if (*p) {
                *o++ = *p++;
                *o++ = *p++;
            }
        } else if (c == '?') {
            long v = 0;

            p++;
            if (*p >= '0' && *p <= '9') {
                while (*p >= '0' && *p <= '9' && v <= MAX_PARAMS)
                    v = v * 10 + (*p++ - '0');
                if (v < 1 || v > MAX_PARAMS)
                    goto bad;
            } else {
                v = max + 1;
                if (v > MAX_PARAMS)
                    goto bad;
            }
            if (v > max)
                max = (int)v;
            used[v - 1] = 1;
            o += sprintf(o, "$%ld", v);
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    *out_n = max;
    return out;
bad:
    free(out);
    return NULL;
}

/* ---- statement cache ---- */

static size_t slot_of(const struct pg_db *db, const char *sql)
{
    uint64_t x = (uint64_t)(uintptr_t)sql;

    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (db->cap - 1);
}

static void cache_put(struct pg_db *db, struct pg_stmt *s)
{
    size_t i = slot_of(db, s->sql);

    while (db->slots[i])
        i = (i + 1) & (db->cap - 1);
    db->slots[i] = s;
    db->n++;
}

static void cache_grow(struct pg_db *db)
{
    struct pg_stmt **old = db->slots;
    size_t i, oldcap = db->cap;

    db->cap *= 2;
    db->slots = kv_xcalloc(db->cap, sizeof(*db->slots));
    db->n = 0;
    for (i = 0; i < oldcap; i++)
        if (old[i])
            cache_put(db, old[i]);
    free(old);
}

/* The slot holding the statement cached under the address sql, or NULL. */
static struct pg_stmt **cache_find(struct pg_db *db, const char *sql)
{
    size_t i = slot_of(db, sql);

    while (db->slots[i]) {
        if (db->slots[i]->sql == sql)
            return &db->slots[i];
        i = (i + 1) & (db->cap - 1);
    }
    return NULL;
}

static int pg_prepare(struct kv_db *kdb, const char *sql, struct kv_stmt **out,
                      struct kv_err *err)
{
    struct pg_db *db = (struct pg_db *)kdb;
    struct pg_stmt **slot = cache_find(db, sql);
    struct pg_stmt *s = slot ? *slot : NULL;
    unsigned char used[MAX_PARAMS];
    char *text;
    int n = 0, i;

    *out = NULL;
    if (s && strcmp(s->orig, sql) == 0 && !s->in_use) {
        s->in_use = 1;
        *out = &s->base;
        return 0;
    }
    memset(used, 0, sizeof(used));
    text = rewrite(sql, &n, used);
    if (!text)
        return kv_err_set(err, KV_EINVAL, "prepare: parameter number out of range");
    if (strspn(text, " \t\r\n") == strlen(text)) {
        free(text);
        return kv_err_set(err, KV_EINVAL, "prepare: empty SQL");
    }
    s = kv_xcalloc(1, sizeof(*s));
    s->base.db = kdb;
    s->db = db;
    s->sql = sql;
    s->text = text;
    s->n = n;
    s->p = kv_xcalloc(n ? (size_t)n : 1, sizeof(*s->p));
    s->ptypes = kv_xcalloc(n ? (size_t)n : 1, sizeof(*s->ptypes));
    for (i = 0; i < n; i++)
        if (!used[i])
            s->ptypes[i] = OID_TEXT; /* a gap: never read, any type will do */
    s->orig = kv_xstrdup(sql);
    s->row = -1;
    s->in_use = 1;
    if (!slot) {
        if ((db->n + 1) * 2 > db->cap)
            cache_grow(db);
        s->cached = 1;
        cache_put(db, s);
    } else if (!(*slot)->in_use && strcmp((*slot)->orig, sql) != 0) {
        /* the address now holds other SQL (a reused buffer): the stale statement goes, and
         * its server statement with it (a failure leaves only an unused server statement) */
        if ((*slot)->name[0]) {
            char q[48];

            snprintf(q, sizeof(q), "DEALLOCATE %s", (*slot)->name);
            PQclear(PQexec(db->c, q));
        }
        stmt_free(*slot);
        *slot = s;
        s->cached = 1;
    }
    *out = &s->base;
    return 0;
}

/* Drops the current result and decoded columns. */
static void clear_result(struct pg_stmt *s)
{
    int i;

    for (i = 0; i < s->ncols; i++)
        free(s->dec[i]);
    free(s->dec);
    free(s->declen);
    s->dec = NULL;
    s->declen = NULL;
    s->ncols = 0;
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->nrows = 0;
}

static void pg_reset(struct kv_stmt *ks)
{
    struct pg_stmt *s = (struct pg_stmt *)ks;
    int i;

    clear_result(s);
    for (i = 0; i < s->n; i++) {
        s->p[i].set = 0;
        s->p[i].type = 0;
    }
    s->in_use = 0;
    if (!s->cached)
        stmt_free(s);
}

/* ---- binding ---- */

static struct param *param_of(struct pg_stmt *s, int idx)
{
    if (idx < 1 || idx > s->n)
        return NULL;
    return &s->p[idx - 1];
}

/* Copies len bytes of v into p's buffer as a value of type. */
static int param_set(struct param *p, const void *v, size_t len, Oid type)
{
    if (len > (size_t)INT32_MAX - 1)
        return KV_ETOOBIG;
    if (!p->buf || p->cap < len + 1) {
        free(p->buf);
        p->cap = len + 1 < 32 ? 32 : len + 1;
        p->buf = kv_xmalloc(p->cap);
    }
    if (len)
        memcpy(p->buf, v, len);
    p->buf[len] = '\0';
    p->len = (int)len;
    p->set = 1;
    p->type = type;
    return 0;
}

/* v NULL: a NULL of type text (so that `? IS NULL` has a type to infer). */
static int pg_bind_text(struct kv_stmt *ks, int idx, const char *v, size_t len)
{
    struct param *p = param_of((struct pg_stmt *)ks, idx);

    if (!p)
        return KV_EINVAL;
    if (!v) {
        p->set = 0;
        p->type = OID_TEXT;
        return 0;
    }
    if (memchr(v, '\0', len))
        return KV_EINVAL; /* PostgreSQL text cannot hold NUL */
    return param_set(p, v, len, OID_TEXT);
}

static int pg_bind_int64(struct kv_stmt *ks, int idx, int64_t v)
{
    struct param *p = param_of((struct pg_stmt *)ks, idx);
    char buf[24];
    int n;

    if (!p)
        return KV_EINVAL;
    n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return param_set(p, buf, (size_t)n, OID_INT8);
}

static int pg_bind_blob(struct kv_stmt *ks, int idx, const void *v, size_t len)
{
    struct param *p = param_of((struct pg_stmt *)ks, idx);

    if (!p)
        return KV_EINVAL;
    return param_set(p, v, len, OID_BYTEA);
}

static int pg_bind_null(struct kv_stmt *ks, int idx)
{
    struct param *p = param_of((struct pg_stmt *)ks, idx);

    if (!p)
        return KV_EINVAL;
    p->set = 0;
    p->type = 0;
    return 0;
}

/* ---- execution ---- */

/* Prepares s->text on the server under name with s->ptypes. A NULL bound without a type where
 * the SQL does not give it one either (`? IS NULL`) makes the server name that parameter; it
 * is given the text type and the statement prepared again. */
static int prepare_as(struct pg_stmt *s, const char *name, struct kv_err *err)
{
    struct pg_db *db = s->db;
    PGresult *r;
    int i, rc = 0;

    for (i = 0;; i++) {
        const char *state, *msg, *dollar;
        long k;

        r = PQprepare(db->c, name, s->text, s->n, s->ptypes);
        if (PQresultStatus(r) == PGRES_COMMAND_OK)
            break;
        state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        dollar = msg ? strchr(msg, '$') : NULL;
        k = dollar ? strtol(dollar + 1, NULL, 10) : 0;
        if (i < s->n && state && strcmp(state, "42P18") == 0 && k >= 1 && k <= s->n &&
            s->ptypes[k - 1] == 0) {
            s->ptypes[k - 1] = OID_TEXT;
            PQclear(r);
            continue;
        }
        rc = result_error(db, r, err, "postgresql: prepare");
        break;
    }
    PQclear(r);
    return rc;
}

/* Takes the types of this execution's typed bindings into s->ptypes; 1 when one differs from
 * what s was prepared with. An untyped NULL (kv_stmt_bind_null) fits any. */
static int take_types(struct pg_stmt *s)
{
    int i, differs = 0;

    for (i = 0; i < s->n; i++) {
        if (s->p[i].type != 0 && s->p[i].type != s->ptypes[i]) {
            s->ptypes[i] = s->p[i].type;
            differs = 1;
        }
    }
    return differs;
}

/* Prepares a cached s on the server (again) when it is not, or when a value is bound with a
 * type other than the one it was prepared with. An uncached twin is prepared as the unnamed
 * statement at every execution. */
static int ensure_prepared(struct pg_stmt *s, struct kv_err *err)
{
    struct pg_db *db = s->db;
    int rc;

    if (!s->cached) {
        take_types(s);
        return prepare_as(s, "", err);
    }
    if (!take_types(s) && s->name[0])
        return 0;
    if (s->name[0]) { /* the old server statement goes */
        char sql[48];

        snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
        PQclear(PQexec(db->c, sql));
        s->name[0] = '\0';
    }
    snprintf(s->name, sizeof(s->name), "kv%lu", ++db->next_name);
    rc = prepare_as(s, s->name, err);
    if (rc < 0)
        s->name[0] = '\0';
    return rc;
}

/* Runs s with its bindings; its result is kept in s->res. */
static int execute(struct pg_stmt *s, struct kv_err *err)
{
    struct pg_db *db = s->db;
    const char *vals[MAX_PARAMS];
    int lens[MAX_PARAMS], fmts[MAX_PARAMS];
    const char *status;
    PGresult *r;
    ExecStatusType t;
    int i, rc, attempt;

    for (i = 0; i < s->n; i++) {
        vals[i] = s->p[i].set ? s->p[i].buf : NULL;
        lens[i] = s->p[i].set ? s->p[i].len : 0;
        fmts[i] = s->p[i].set && s->p[i].type == OID_BYTEA ? 1 : 0;
    }
    for (attempt = 0;; attempt++) {
        rc = ensure_connected(db, err);
        if (rc < 0)
            return rc;
        rc = ensure_prepared(s, err);
        if (rc < 0) {
            if (attempt == 0 && retry_after_loss(db))
                continue;
            return rc;
        }
        r = PQexecPrepared(db->c, s->cached ? s->name : "", s->n, vals, lens, fmts, 0);
        t = PQresultStatus(r);
        if (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK)
            break;
        rc = result_error(db, r, err, "postgresql");
        PQclear(r);
        /* Only a statement that never reached the server is retried: the connection was
         * found gone before anything ran (no transaction, and a read or a failed send). */
        if (attempt > 0 || !retry_after_loss(db))
            return rc;
    }
    status = PQcmdStatus(r);
    if (strncmp(status, "INSERT ", 7) == 0 || strncmp(status, "UPDATE ", 7) == 0 ||
        strncmp(status, "DELETE ", 7) == 0)
        db->changes = strtoll(PQcmdTuples(r), NULL, 10);
    s->res = r;
    s->nrows = t == PGRES_TUPLES_OK ? PQntuples(r) : 0;
    s->ncols = t == PGRES_TUPLES_OK ? PQnfields(r) : 0;
    s->dec = s->ncols ? kv_xcalloc((size_t)s->ncols, sizeof(*s->dec)) : NULL;
    s->declen = s->ncols ? kv_xcalloc((size_t)s->ncols, sizeof(*s->declen)) : NULL;
    s->row = -1;
    return 0;
}

static int pg_step(struct kv_stmt *ks, struct kv_err *err)
{
    struct pg_stmt *s = (struct pg_stmt *)ks;
    int i, rc;

    if (!s->res) {
        rc = execute(s, err);
        if (rc < 0)
            return rc;
    }
    for (i = 0; i < s->ncols; i++) {
        free(s->dec[i]);
        s->dec[i] = NULL;
    }
    if (s->row < s->nrows)
        s->row++;
    return s->row < s->nrows ? KV_ROW : KV_DONE;
}

/* ---- columns ---- */

static int has_value(struct pg_stmt *s, int idx)
{
    return s->res && s->row >= 0 && s->row < s->nrows && idx >= 0 && idx < s->ncols &&
           !PQgetisnull(s->res, s->row, idx);
}

/* The bytes of a bytea column, decoded once per row (NUL-terminated for col_text). */
static const unsigned char *bytea_of(struct pg_stmt *s, int idx, size_t *out_len)
{
    if (!s->dec[idx]) {
        size_t n = 0;
        unsigned char *raw =
            PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, idx), &n);

        if (!raw)
            return NULL;
        s->dec[idx] = kv_xmalloc(n + 1);
        memcpy(s->dec[idx], raw, n);
        s->dec[idx][n] = '\0';
        s->declen[idx] = n;
        PQfreemem(raw);
    }
    *out_len = s->declen[idx];
    return s->dec[idx];
}

static const char *pg_col_text(struct kv_stmt *ks, int idx)
{
    struct pg_stmt *s = (struct pg_stmt *)ks;
    size_t n;

    if (!has_value(s, idx))
        return NULL;
    if (PQftype(s->res, idx) == OID_BYTEA)
        return (const char *)bytea_of(s, idx, &n);
    return PQgetvalue(s->res, s->row, idx);
}

static int64_t pg_col_int64(struct kv_stmt *ks, int idx)
{
    struct pg_stmt *s = (struct pg_stmt *)ks;
    const char *v;

    if (!has_value(s, idx))
        return 0;
    v = PQgetvalue(s->res, s->row, idx);
    if (PQftype(s->res, idx) == OID_BOOL)
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

static const void *pg_col_blob(struct kv_stmt *ks, int idx, size_t *out_len)
{
    struct pg_stmt *s = (struct pg_stmt *)ks;
    const void *p;
    size_t n = 0;

    if (!has_value(s, idx)) {
        if (out_len)
            *out_len = 0;
        return NULL;
    }
    if (PQftype(s->res, idx) == OID_BYTEA) {
        p = bytea_of(s, idx, &n);
    } else {
        p = PQgetvalue(s->res, s->row, idx);
        n = (size_t)PQgetlength(s->res, s->row, idx);
    }
    if (out_len)
        *out_len = n;
    return p;
}

static int pg_col_is_null(struct kv_stmt *ks, int idx)
{
    return !has_value((struct pg_stmt *)ks, idx);
}

static int64_t pg_changes(struct kv_db *kdb)
{
    return ((struct pg_db *)kdb)->changes;
}

const struct kv_store_ops kv__store_pg_ops = {
    .name = "postgresql",
    .skip_locked = " FOR UPDATE SKIP LOCKED",
    .for_update = " FOR UPDATE",
    .returning_id = " RETURNING id",
    .next_value_fenced = pg_next_value_fenced,
    .sequence_fence = pg_sequence_fence,
    .sequence_horizon = pg_sequence_horizon,
    .begin_snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    .sequences = 1,
    .text_index = KV_TEXT_GIN,
    .open = pg_open,
    .close = pg_close,
    .conn_open = pg_conn_open,
    .conn_close = pg_conn_close,
    .exec = pg_exec,
    .begin = pg_begin,
    .durability = pg_durability,
    .checkpoint = pg_checkpoint,
    .bulk_writer = pg_bulk_writer,
    .prepare = pg_prepare,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_text = pg_col_text,
    .col_int64 = pg_col_int64,
    .col_blob = pg_col_blob,
    .col_is_null = pg_col_is_null,
    .reset = pg_reset,
    .changes = pg_changes,
    .cred_generation = pg_cred_generation,
    .cred_changed = pg_cred_changed,
};

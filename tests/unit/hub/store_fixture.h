/* SPDX-License-Identifier: MIT
 *
 * store_fixture.h: the temporary store the unit tests run against: a fresh directory made
 * from a mkdtemp template, a store with every migration applied and one connection; and its
 * removal. Header-only (static inline functions), included by tests/unit/{hub,identity,store}.
 *
 * Backend: SQLite in the directory, or, when KUVERT_TEST_PG holds a PostgreSQL URL (set by
 * tests/run.sh, which starts a throw-away cluster with tests/pg_cluster.sh), a fresh schema of
 * that database standing for the directory: "kvt_" + the directory's last component in hex,
 * reached through the URL's search_path. The same directory always maps to the same schema,
 * so a test that opens a second store on "the same data" (a CLI beside a server) gets the
 * same database, as on SQLite.
 *
 * Ownership: kv_test_store_new fills *st and *db (owned by the caller until
 * kv_test_store_free); dir is the caller's buffer holding the template, rewritten in place.
 * kv_test_store_open's *st is the caller's (kv_store_close); kv_test_store_drop removes the
 * directory and, on PostgreSQL, the schema.
 */
#ifndef KV_TESTS_HUB_STORE_FIXTURE_H
#define KV_TESTS_HUB_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/store.h"
#include "util/err.h"

/* The schema standing for dir: "kvt_" + hex of its last path component. */
static inline void kv_test_schema(const char *dir, char *out, size_t n)
{
    const char *base = strrchr(dir, '/');
    size_t k = 0;

    base = base ? base + 1 : dir;
    k = (size_t)snprintf(out, n, "kvt_");
    for (; *base && k + 3 < n; base++)
        k += (size_t)snprintf(out + k, n - k, "%02x", (unsigned char)*base);
}

/* Runs one statement on the KUVERT_TEST_PG database. 0 or -1 (message on stderr). */
static inline int kv_test_pg_exec(const char *sql)
{
    const char *base = getenv("KUVERT_TEST_PG");
    PGconn *c;
    PGresult *r;
    int rc = 0;

    c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "store_fixture: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PQclear(PQexec(c, "SET client_min_messages TO warning"));
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "store_fixture: %s: %s", sql, PQresultErrorMessage(r));
        rc = -1;
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

/* 1 when the unit tests run on PostgreSQL. */
static inline int kv_test_on_pg(void)
{
    const char *base = getenv("KUVERT_TEST_PG");

    return base && *base;
}

/* The database URL for dir ("" on SQLite), its schema created when missing. 0 or -1. */
static inline int kv_test_db_url(const char *dir, char *url, size_t n)
{
    const char *base = getenv("KUVERT_TEST_PG");
    char schema[160], sql[256];
    int k;

    url[0] = '\0';
    if (!kv_test_on_pg())
        return 0;
    kv_test_schema(dir, schema, sizeof(schema));
    snprintf(sql, sizeof(sql), "CREATE SCHEMA IF NOT EXISTS %s", schema);
    if (kv_test_pg_exec(sql) < 0)
        return -1;
    k = snprintf(url, n, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?',
                 schema);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* Opens a store on dir's database (SQLite in dir, or dir's PostgreSQL schema). */
static inline int kv_test_store_open(const char *dir, struct kv_store **st, struct kv_err *err)
{
    char url[1400];

    *st = NULL;
    if (kv_test_db_url(dir, url, sizeof(url)) < 0)
        return kv_err_set(err, KV_EDB, "cannot create the test schema");
    return kv_store_open_db(dir, url, st, err);
}

/* Removes dir with everything in it and, on PostgreSQL, its schema. 0 or -1. */
static inline int kv_test_store_drop(const char *dir)
{
    char cmd[256], schema[160];
    int n, rc = 0;

    if (kv_test_on_pg()) {
        kv_test_schema(dir, schema, sizeof(schema));
        snprintf(cmd, sizeof(cmd), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
        rc = kv_test_pg_exec(cmd);
    }
    n = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (n < 0 || (size_t)n >= sizeof(cmd) || system(cmd) != 0)
        return -1;
    return rc;
}

/* mkdtemp(dir), open a store there and acquire a connection. 0 or -1 (err, may be NULL, says
 * why for the store steps). */
static inline int kv_test_store_new(char *dir, struct kv_store **st, struct kv_db **db,
                                    struct kv_err *err)
{
    *st = NULL;
    *db = NULL;
    if (!mkdtemp(dir) || kv_test_store_open(dir, st, err) != 0 || kv_db_acquire(*st, db, err) != 0)
        return -1;
    return 0;
}

/* Releases db (may be NULL), closes st and removes dir (and its schema). 0 or -1. */
static inline int kv_test_store_free(const char *dir, struct kv_store *st, struct kv_db *db)
{
    if (db)
        kv_db_release(db);
    kv_store_close(st);
    return kv_test_store_drop(dir);
}

#endif

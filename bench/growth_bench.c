/* SPDX-License-Identifier: MIT
 *
 * growth_bench.c: a store grown to N letters, and what the read paths cost at that size (NOT a
 * test: it prints figures and asserts nothing). bench/growth.sh runs it at 10 k, 100 k, 1 M
 * and 10 M letters on SQLite and on PostgreSQL, with send_bench --data between the steps.
 *
 *   growth_bench fill  (--data DIR | --db URL) --to N
 *   growth_bench query (--data DIR | --db URL) [--passes P]
 *
 * fill: on an empty store, sets up the world (sender organisation 12345678 with a sender
 * system, authority 55133018 with PULL_SYSTEMS pull recipient systems, the first its default,
 * the citizen 2211771212 whose mailbox is the big one, CITIZENS other citizens' mailboxes)
 * and sends two seed letters through the real store path (kv_letter_prepare + the
 * group-commit writer, as POST /apis/v1/memos/ does): the official Minimum MeMo 1.2 example to
 * the citizen and the same letter addressed to the authority. Then, and on every later run,
 * it adds letters until the store holds N, as copies of the seeds' rows made by SQL
 * (INSERT ... SELECT over a generated series, 50,000 letters a transaction on SQLite and
 * 500,000 on PostgreSQL, 250,000 in a bulk step, see bulk_drop): the letter row (every
 * column copied from the seed, with its own
 * messageUUID, transmission id, recipient, mailbox, times and read state, and the MeMo body
 * with its messageUUID and recipient rewritten), its receipt, its events (the seed's three,
 * renumbered at the end of the log), and for a letter to the authority its recipient_queue
 * row; mailbox_counts (migration 037) and recipient_queue_counts (055) get what their triggers
 * would add (SQLite: the triggers themselves; PostgreSQL: the same sums in one statement per
 * chunk, since a trigger's upsert of one row thousands of times in one transaction walks an
 * ever longer version chain, which the hub's small batches never do). The copies' messageUUIDs
 * and receipt uuids are scattered over the key space as senders' random UUIDs are (see
 * scattered_sql; a store filled before that keeps its b1000000-... keys). The
 * copy names columns from the live schema, so columns added later are copied too. Letter
 * number i goes to: i % 10 == 0 the big mailbox (so it holds a tenth of the store: 1 M at
 * 10 M), i % 10 == 1 the authority (queued for pull system i % PULL_SYSTEMS), otherwise one of
 * the CITIZENS mailboxes (scattered); created one second apart from 2023-11-14, every tenth
 * unread; the big mailbox's letters spread over the inbox (83 %), its own folders Skat,
 * Skat/2024 and Bolig and deleted, 2 % flagged. GROWTH_BIG_FROM=K sends every letter numbered
 * above K to the big mailbox (to give it its 1 M in a smaller store). What is not like the
 * real thing: the events' hash chain is not
 * recomputed (kuvert events verify fails on the copies; nothing read here checks it),
 * body_sha256 is the seed's (it is only read to answer a replay of the same messageUUID) and
 * the statistics aggregates count the seeds only. On PostgreSQL a big step loads with the
 * btree indexes, unique constraints and foreign keys off and makes them again at its end (see
 * bulk_drop), and every fill up to GROWTH_CHECK_MAX letters compares mailbox_counts and
 * recipient_queue_counts with a count of the rows. The loader then runs ANALYZE (on
 * PostgreSQL VACUUM (ANALYZE) and a CHECKPOINT: what autovacuum would do, done before the
 * measurements rather than during them), so nothing is measured before every index is back.
 * GROWTH_FILL_STOP=FILE: no further chunk starts once FILE exists (the step ends early, at the
 * size reached, and is finished as any other).
 *
 * query: times, P times each (default 200), what a page of /post/ and the pull API read, in
 * this process on one connection: for the big mailbox the folder counts (kv_mbox_counts), the
 * first page of the inbox (kv_mbox_list, 20 newest), page 50 (keyset cursor) and opening a
 * random letter of it (kv_mbox_letter_load with body + kv_mbox_letter_json); the first page and
 * counts of a random ordinary mailbox; and the pull list of a recipient system
 * (kv_recipient_page, 100 per page, page 0 and page 100); and, 10 times, a search of the big
 * mailbox for a text no letter has. Prints p50/p99/max server time in ms per call.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "hub/directory.h"
#include "hub/letters.h"
#include "hub/mailbox_folders.h"
#include "hub/mailbox_tree.h"
#include "hub/mailbox_view.h"
#include "hub/recipient_queue.h"
#include "hub/writer.h"
#include "memo/memo.h"
#include "store/store.h"
#include "util/xmalloc.h"

#define EX_MIN "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_Minimum_Example__memo-1.2.xml"
#define EX_UUID "8C2EA15D-61FB-4BA9-9366-42F8B194C114"
#define SENDER "12345678"
#define AUTH "55133018"
#define BIG_CPR "2211771212" /* the Minimum example's recipient; send_bench sends to it too */
#define CITIZENS 100000      /* ordinary mailboxes */
#define PULL_SYSTEMS 4
#define SEED_MB "b0000000-0000-4000-8000-000000000001"
#define SEED_PULL "b0000000-0000-4000-8000-000000000002"
#define T0_MS 1700000000000LL /* 2023-11-14; letter i is created at T0_MS + i s */

struct ctx {
    struct kv_db *db;
    int pg;                          /* PostgreSQL (else SQLite) */
    int scatter;                     /* numbered messageUUIDs scattered (see letter_uuid) */
    int bulk;                        /* PostgreSQL: this step loads with the indexes off */
    int point_counts;                /* PostgreSQL: the mailbox_point_counts trigger exists */
    struct kv_err err;
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const struct kv_err *err)
{
    fprintf(stderr, "growth_bench: %s: %s\n", what, err->msg);
    exit(1);
}

static void exec_sql(struct ctx *c, const char *sql)
{
    if (kv_db_exec(c->db, sql, &c->err) < 0) {
        fprintf(stderr, "growth_bench: failed SQL: %s\n", sql);
        die("exec", &c->err);
    }
}

/* One int64 from sql with ?1 = a (text, may be NULL); dflt when no row or NULL. */
static int64_t scalar(struct ctx *c, const char *sql, const char *a, int64_t dflt)
{
    struct kv_stmt *s;
    int64_t v = dflt;
    int rc;

    if (kv_db_prepare(c->db, sql, &s, &c->err) < 0)
        die(sql, &c->err);
    if (a)
        kv_stmt_bind_text(s, 1, a, -1);
    rc = kv_stmt_step(s, &c->err);
    if (rc < 0)
        die(sql, &c->err);
    if (rc == KV_ROW && kv_stmt_col_text(s, 0))
        v = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return v;
}

/* ---- SQL pieces that differ between the dialects ---- */

/* A 36-character UUID expression "<prefix8>-0000-4000-8000-<12 hex of expr>". */
static void uuid_sql(const struct ctx *c, char *out, size_t n, const char *prefix, const char *expr)
{
    if (c->pg)
        snprintf(out, n, "('%s-0000-4000-8000-' || lpad(to_hex(%s), 12, '0'))", prefix, expr);
    else
        snprintf(out, n, "('%s-0000-4000-8000-' || printf('%%012x', %s))", prefix, expr);
}

/* The messageUUID (tag "b100") or receipt uuid (tag "b400") of number expr, scattered over
 * the key space as random v4 UUIDs are: "<8 hex of expr * 2654435761 mod 2^32>-<tag>-4000-
 * 8000-<12 hex of expr>". New letters' keys then land on any page of the unique indexes
 * letters.message_uuid, receipts.uuid and events_msg, as a sender's random messageUUIDs do;
 * with one prefix for every copy they would all land on the one page after the copies. */
static void scattered_sql(const struct ctx *c, char *out, size_t n, const char *tag,
                          const char *expr)
{
    if (c->pg)
        snprintf(out, n,
                 "(lpad(to_hex(((%s) * 2654435761) %% 4294967296), 8, '0') || '-%s-4000-8000-' "
                 "|| lpad(to_hex(%s), 12, '0'))",
                 expr, tag, expr);
    else
        snprintf(out, n, "printf('%%08x-%s-4000-8000-%%012x', ((%s) * 2654435761) %% 4294967296, %s)",
                 tag, expr, expr);
}

/* The messageUUID of numbered letter i (as the fill made it: see scattered_sql). */
static void letter_uuid(const struct ctx *c, int64_t i, char out[37])
{
    if (c->scatter)
        snprintf(out, 37, "%08" PRIx32 "-b100-4000-8000-%012" PRIx64,
                 (uint32_t)(((uint64_t)i * 2654435761u) % 4294967296u), (uint64_t)i);
    else
        snprintf(out, 37, "b1000000-0000-4000-8000-%012" PRIx64, (uint64_t)i);
}

/* How many numbered letters the store holds (letters added by send_bench are not numbered). */
static int64_t numbered(struct ctx *c);

/* The citizen number of ordinary mailbox number expr: "03" and 8 digits. */
static void cpr_sql(const struct ctx *c, char *out, size_t n, const char *expr)
{
    if (c->pg)
        snprintf(out, n, "('03' || lpad((%s)::text, 8, '0'))", expr);
    else
        snprintf(out, n, "printf('03%%08d', %s)", expr);
}

/* A FROM item g(i) with i = ?1 .. ?2. */
static const char *series_sql(const struct ctx *c)
{
    return c->pg ? "generate_series(?1::bigint, ?2::bigint) AS g(i)"
                 : "(WITH RECURSIVE r(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM r WHERE i < ?2)"
                   " SELECT i FROM r) AS g";
}

/* body with every `from` replaced by the text expression `to` (both given as SQL). */
static void replace_body_sql(const struct ctx *c, char *out, size_t n, const char *body,
                             const char *from, const char *to)
{
    if (c->pg)
        snprintf(out, n, "convert_to(replace(convert_from(%s, 'UTF8'), %s, %s), 'UTF8')", body,
                 from, to);
    else
        snprintf(out, n, "CAST(replace(CAST(%s AS TEXT), %s, %s) AS BLOB)", body, from, to);
}

/* ---- the generic copy: INSERT INTO table (its columns) SELECT (each column's expression) ---- */

struct override {
    const char *col;  /* column */
    const char *expr; /* its value (SQL over the FROM of the copy), or NULL: leave to default */
};

/* The store caches statements by the address of their SQL text: every text built here lives
 * until exit, one copy per distinct text (takes sql, returns the kept copy). */
static char *intern(char *sql)
{
    static char *kept[256];
    static int n;
    int i;

    for (i = 0; i < n; i++)
        if (strcmp(kept[i], sql) == 0) {
            free(sql);
            return kept[i];
        }
    if (n == 256) {
        fprintf(stderr, "growth_bench: too many distinct statements\n");
        exit(1);
    }
    return kept[n++] = sql;
}

/* Builds "INSERT INTO table (cols) SELECT exprs FROM from" where a column's expression is its
 * override, or s.<col> (s: the seed row in from); columns overridden with NULL are left out.
 * Runs it with ?1 = lo, ?2 = hi and (when the text names them) ?3 = after_id, ?4 = p4. */
static void copy_rows(struct ctx *c, const char *table, const struct override *ov, int n_ov,
                      const char *from, int64_t lo, int64_t hi, int64_t after_id,
                      int64_t p4)
{
    static const char q_pg[] = "SELECT column_name FROM information_schema.columns WHERE "
                               "table_schema = current_schema() AND table_name = ? "
                               "ORDER BY ordinal_position";
    static const char q_lite[] = "SELECT name FROM pragma_table_info(?) ORDER BY cid";
    struct kv_stmt *s;
    size_t cap = 16384, nc = 0, ne = 0;
    char *cols = kv_xmalloc(cap), *exprs = kv_xmalloc(cap), *sql;
    int k, rc;
    double t0 = now_ms();

    cols[0] = exprs[0] = '\0';
    if (kv_db_prepare(c->db, c->pg ? q_pg : q_lite, &s, &c->err) < 0)
        die("columns", &c->err);
    kv_stmt_bind_text(s, 1, table, -1);
    while ((rc = kv_stmt_step(s, &c->err)) == KV_ROW) {
        const char *col = kv_stmt_col_text(s, 0), *e = NULL;
        char dflt[128];
        int skip = 0;

        for (k = 0; k < n_ov; k++)
            if (strcmp(ov[k].col, col) == 0) {
                e = ov[k].expr;
                skip = e == NULL;
                break;
            }
        if (skip)
            continue;
        if (k == n_ov) {
            snprintf(dflt, sizeof(dflt), "s.%s", col);
            e = dflt;
        }
        if (nc + strlen(col) + 4 >= cap || ne + strlen(e) + 4 >= cap)
            die("copy: too many columns", &c->err);
        nc += (size_t)snprintf(cols + nc, cap - nc, "%s%s", nc ? ", " : "", col);
        ne += (size_t)snprintf(exprs + ne, cap - ne, "%s%s", ne ? ", " : "", e);
    }
    kv_stmt_done(s);
    if (rc < 0 || nc == 0)
        die("columns", &c->err);
    sql = kv_xmalloc(nc + ne + strlen(from) + strlen(table) + 64);
    sprintf(sql, "INSERT INTO %s (%s) SELECT %s FROM %s", table, cols, exprs, from);
    sql = intern(sql);
    if (kv_db_prepare(c->db, sql, &s, &c->err) < 0) {
        fprintf(stderr, "growth_bench: %s\n", sql);
        die("prepare copy", &c->err);
    }
    kv_stmt_bind_int64(s, 1, lo);
    kv_stmt_bind_int64(s, 2, hi);
    if (strstr(sql, "?3"))
        kv_stmt_bind_int64(s, 3, after_id);
    if (strstr(sql, "?4"))
        kv_stmt_bind_int64(s, 4, p4);
    if (kv_stmt_step(s, &c->err) < 0) {
        fprintf(stderr, "growth_bench: %s\n", sql);
        die("copy", &c->err);
    }
    kv_stmt_done(s);
    if (getenv("GROWTH_VERBOSE"))
        fprintf(stderr, "    %s: %.1f s\n", table, (now_ms() - t0) / 1e3);
    free(cols);
    free(exprs);
}

/* ---- PostgreSQL bulk load: a big step fills the tables with their indexes off ----
 *
 * A step that at least doubles the store (and adds 50,000 letters or more) is loaded as
 * PostgreSQL's manual advises for a bulk load: the secondary indexes, the unique constraints
 * and the foreign keys of the four filled tables (letters, receipts, events, recipient_queue)
 * are dropped before the INSERT ... SELECTs and made again afterwards, each with the
 * definition the catalog gave (so every index is back as the migrations made it). Making a
 * unique constraint again checks that every key is unique (the fill generates them so), and
 * adding a foreign key again checks every row's reference. The primary keys stay: the chunks
 * are addressed by id. Until everything is back the definitions are kept in the table
 * growth_fill_rebuild, so a fill that was killed half-way leaves a store the next fill
 * repairs first, and growth_bench query refuses. GROWTH_KEEP_INDEXES=1 fills with the indexes
 * in place, as before (the comparison in docs/postgresql.md "Growth"). The index builds run on
 * two connections (the trigram GIN index, the longest, on its own), with
 * maintenance_work_mem 1 GB. */

#define BULK_IN "IN ('letters', 'receipts', 'events', 'recipient_queue')"
#define BULK_NS "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"

/* Every index and constraint of the filled tables, one definition a line, sorted (malloc'd):
 * the same text before bulk_drop and after bulk_rebuild, or the rebuild lost something. */
static char *bulk_signature(struct ctx *c)
{
    static const char sql[] =
        "SELECT string_agg(d, E'\\n' ORDER BY d) FROM ("
        " SELECT pg_get_indexdef(i.indexrelid) AS d FROM pg_index i"
        "  JOIN pg_class t ON t.oid = i.indrelid"
        "  WHERE t.relnamespace = " BULK_NS " AND t.relname " BULK_IN
        " UNION ALL"
        " SELECT format('%s %s %s', t.relname, k.conname, pg_get_constraintdef(k.oid))"
        "  FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid"
        "  WHERE t.relnamespace = " BULK_NS " AND t.relname " BULK_IN ") AS s";
    struct kv_stmt *st;
    char *out;

    if (kv_db_prepare(c->db, sql, &st, &c->err) < 0 || kv_stmt_step(st, &c->err) != KV_ROW)
        die("signature", &c->err);
    out = kv_xstrdup(kv_stmt_col_text(st, 0) ? kv_stmt_col_text(st, 0) : "");
    kv_stmt_done(st);
    return out;
}

/* The per-folder and per-system counts (kept by triggers in the hub, written in sums by the
 * fill) against a count of the rows themselves: any difference fails the fill. */
static void check_counts(struct ctx *c)
{
    static const char mbox[] =
        "SELECT COUNT(*) FROM (SELECT mailbox_id, folder, SUM(total) AS t, SUM(unread) AS u"
        " FROM mailbox_counts GROUP BY mailbox_id, folder HAVING SUM(total) <> 0"
        " OR SUM(unread) <> 0) a FULL JOIN (SELECT mailbox_id, folder, COUNT(*) AS t,"
        " SUM(CASE WHEN read_ms IS NULL THEN 1 ELSE 0 END) AS u FROM letters"
        " WHERE state = 'AVAILABLE' AND mailbox_id IS NOT NULL GROUP BY mailbox_id, folder) b"
        " ON a.mailbox_id = b.mailbox_id AND a.folder = b.folder"
        " WHERE a.t IS DISTINCT FROM b.t OR a.u IS DISTINCT FROM b.u";
    static const char queue[] =
        "SELECT COUNT(*) FROM (SELECT system_id, SUM(listed) AS n FROM recipient_queue_counts"
        " GROUP BY system_id HAVING SUM(listed) <> 0) a FULL JOIN (SELECT system_id,"
        " COUNT(*) AS n FROM recipient_queue WHERE state <> 'DELETED' GROUP BY system_id) b"
        " ON a.system_id = b.system_id WHERE a.n IS DISTINCT FROM b.n";
    int64_t bad_m, bad_q;
    double t0 = now_ms();

    bad_m = scalar(c, mbox, NULL, -1);
    bad_q = scalar(c, queue, NULL, -1);
    if (bad_m != 0 || bad_q != 0) {
        fprintf(stderr, "growth_bench: the counts do not match the rows: %" PRId64
                        " mailbox folders, %" PRId64 " recipient systems differ\n",
                bad_m, bad_q);
        exit(1);
    }
    printf("growth_bench fill: mailbox_counts and recipient_queue_counts match the rows "
           "(checked in %.1f s)\n", (now_ms() - t0) / 1e3);
    fflush(stdout);
}

static int bulk_pending(struct ctx *c)
{
    return c->pg && scalar(c, "SELECT COUNT(*) FROM information_schema.tables WHERE "
                              "table_schema = current_schema() AND table_name = "
                              "'growth_fill_rebuild'", NULL, 0) == 1;
}

/* Records how to make every secondary index, unique constraint and foreign key of the filled
 * tables again, then drops them, in one transaction. */
static void bulk_drop(struct ctx *c)
{
    /* ord: the unique constraints' indexes (0..), the other indexes (1000..), the unique
     * constraints on their indexes (2000..), the foreign keys (3000..). par 0: the first
     * connection; 1: the second one (the events table's indexes); 2: after both (these take an
     * exclusive lock on the table, which would wait for the other connection's build, and the
     * foreign keys read the rebuilt tables). undo: the drop, run in reverse order. The GIN
     * index (the trigram search, migration 017) stays: see gin_cleaner. */
    static const char rec[] =
        "INSERT INTO growth_fill_rebuild (ord, par, name, make, undo) "
        "SELECT grp * 1000 + row_number() OVER (PARTITION BY grp ORDER BY name), par, name, "
        "make, undo FROM ("
        " SELECT 0 AS grp, 0 AS par, k.conname::text AS name, pg_get_indexdef(k.conindid) AS make,"
        "  'SELECT 1' AS undo"
        " FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid"
        " WHERE t.relnamespace = " BULK_NS " AND t.relname " BULK_IN " AND k.contype = 'u'"
        " UNION ALL"
        " SELECT 1, CASE WHEN t.relname = 'events' THEN 1 ELSE 0 END, x.relname::text,"
        "  pg_get_indexdef(i.indexrelid), format('DROP INDEX %I', x.relname)"
        " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
        "  JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_am a ON a.oid = x.relam"
        " WHERE t.relnamespace = " BULK_NS " AND t.relname " BULK_IN " AND NOT i.indisprimary"
        "  AND a.amname <> 'gin'"
        "  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid"
        "                  AND k.conrelid = i.indrelid)"
        " UNION ALL"
        " SELECT CASE k.contype WHEN 'u' THEN 2 ELSE 3 END, 2, k.conname::text,"
        "  CASE k.contype WHEN 'u' THEN format('ALTER TABLE %I ADD CONSTRAINT %I UNIQUE USING"
        "  INDEX %I', t.relname, k.conname, k.conname) ELSE format('ALTER TABLE %I ADD"
        "  CONSTRAINT %I %s', t.relname, k.conname, pg_get_constraintdef(k.oid)) END,"
        "  format('ALTER TABLE %I DROP CONSTRAINT %I', t.relname, k.conname)"
        " FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid"
        " WHERE t.relnamespace = " BULK_NS " AND t.relname " BULK_IN " AND k.contype IN ('u', 'f')"
        ") AS d";

    if (kv_db_begin(c->db, &c->err) < 0)
        die("begin", &c->err);
    exec_sql(c, "CREATE TABLE growth_fill_rebuild (ord integer PRIMARY KEY, par integer NOT "
                "NULL, name text NOT NULL, make text NOT NULL, undo text NOT NULL)");
    exec_sql(c, rec);
    /* foreign keys first, then the indexes, then the unique constraints */
    exec_sql(c, "DO $$ DECLARE r record; BEGIN FOR r IN SELECT undo FROM growth_fill_rebuild "
                "ORDER BY ord DESC LOOP EXECUTE r.undo; END LOOP; END $$");
    printf("growth_bench fill: bulk load: %" PRId64 " unique constraints, %" PRId64
           " other indexes and %" PRId64 " foreign keys off until the end of the step\n",
           scalar(c, "SELECT COUNT(*) FROM growth_fill_rebuild WHERE ord < 1000", NULL, 0),
           scalar(c, "SELECT COUNT(*) FROM growth_fill_rebuild WHERE ord BETWEEN 1000 AND 1999",
                  NULL, 0),
           scalar(c, "SELECT COUNT(*) FROM growth_fill_rebuild WHERE ord >= 3000", NULL, 0));
    fflush(stdout);
    if (kv_db_commit(c->db, &c->err) < 0)
        die("commit", &c->err);
}

struct rebuild_job {
    struct kv_db *db;
    int par;
    int failed;
};

/* Runs the recorded statements of one kind (par), each in one transaction with the removal
 * of its record (a multi-statement simple query is one transaction). */
static void rebuild_run(struct kv_db *db, int par, int *failed)
{
    char ords[64][16], *sql[64];
    int n = 0, k, rc;
    struct kv_stmt *s;
    struct kv_err err = {0};

    /* no lock_timeout (the store sets one): a statement of par 2 may wait for the other
     * connection's build */
    if (kv_db_exec(db, "SET maintenance_work_mem = '1GB'; SET lock_timeout = 0", &err) < 0 ||
        kv_db_prepare(db, "SELECT ord, make FROM growth_fill_rebuild WHERE par = ? ORDER BY ord",
                      &s, &err) < 0) {
        fprintf(stderr, "growth_bench: rebuild: %s\n", err.msg);
        *failed = 1;
        return;
    }
    kv_stmt_bind_int64(s, 1, par);
    while (n < 64 && (rc = kv_stmt_step(s, &err)) == KV_ROW) {
        snprintf(ords[n], sizeof(ords[n]), "%" PRId64, kv_stmt_col_int64(s, 0));
        sql[n++] = kv_xstrdup(kv_stmt_col_text(s, 1) ? kv_stmt_col_text(s, 1) : "SELECT 1");
    }
    kv_stmt_done(s);
    for (k = 0; k < n; k++) {
        size_t len = strlen(sql[k]) + 96;
        char *q = kv_xmalloc(len);
        double t0 = now_ms();

        snprintf(q, len, "%s; DELETE FROM growth_fill_rebuild WHERE ord = %s", sql[k], ords[k]);
        if (kv_db_exec(db, q, &err) < 0) {
            fprintf(stderr, "growth_bench: rebuild failed: %s: %s\n", sql[k], err.msg);
            *failed = 1;
        } else {
            printf("    %.1f s: %.110s\n", (now_ms() - t0) / 1e3, sql[k]);
            fflush(stdout);
        }
        free(q);
        free(sql[k]);
    }
}

static void *rebuild_thread(void *arg)
{
    struct rebuild_job *j = arg;

    rebuild_run(j->db, j->par, &j->failed);
    return NULL;
}

/* The GIN index stays during a bulk load, written as every insert writes it: the new letter's
 * keys are appended to the index's pending list (fastupdate, on by default), and merged into
 * the index by whoever cleans the list up. Building it afresh after the load would be one
 * backend's work of about 65 us CPU a letter (the extraction of ~17 trigram keys and their
 * merge), after everything else; here the inserting session only appends (its
 * gin_pending_list_limit set high, so it does not merge itself) and this thread, on a second
 * connection, merges the list (gin_clean_pending_list) while the chunks are loaded. */
struct gin_cleaner {
    struct kv_db *db;
    pthread_t th;
    volatile int stop;
    int64_t pages; /* pending-list pages merged */
    int failed;
};

static void *gin_clean_thread(void *arg)
{
    static const char sql[] =
        "SELECT COALESCE(SUM(gin_clean_pending_list(x.oid)), 0) FROM pg_index i"
        " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid"
        " JOIN pg_am a ON a.oid = x.relam WHERE t.relnamespace = " BULK_NS
        " AND t.relname " BULK_IN " AND a.amname = 'gin'";
    struct gin_cleaner *g = arg;
    struct kv_err err = {0};
    int last = 0;

    if (kv_db_exec(g->db, "SET maintenance_work_mem = '1GB'; SET work_mem = '1GB'; "
                          "SET lock_timeout = 0", &err) < 0) {
        g->failed = 1;
        return NULL;
    }
    /* after stop is set: one more pass, for what was appended meanwhile */
    while (!last) {
        struct kv_stmt *st;
        int64_t n = 0;

        last = g->stop;
        if (kv_db_prepare(g->db, sql, &st, &err) < 0 || kv_stmt_step(st, &err) != KV_ROW) {
            fprintf(stderr, "growth_bench: gin_clean_pending_list: %s\n", err.msg);
            g->failed = 1;
            return NULL;
        }
        n = kv_stmt_col_int64(st, 0);
        kv_stmt_done(st);
        g->pages += n;
        if (n == 0 && !last) {
            struct timespec ts = {0, 500 * 1000 * 1000};

            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static void gin_cleaner_start(struct kv_store *st, struct ctx *c, struct gin_cleaner *g)
{
    memset(g, 0, sizeof(*g));
    /* this session appends only: the largest pending list the setting allows (2 GB) */
    exec_sql(c, "SET gin_pending_list_limit = 2097151");
    if (kv_db_acquire(st, &g->db, &c->err) < 0)
        die("second connection", &c->err);
    if (pthread_create(&g->th, NULL, gin_clean_thread, g) != 0) {
        fprintf(stderr, "growth_bench: no thread\n");
        exit(1);
    }
}

static void gin_cleaner_stop(struct ctx *c, struct gin_cleaner *g)
{
    double t0 = now_ms();

    g->stop = 1;
    pthread_join(g->th, NULL);
    kv_db_release(g->db);
    exec_sql(c, "RESET gin_pending_list_limit");
    if (g->failed)
        exit(1);
    printf("growth_bench fill: GIN pending lists merged (%" PRId64 " pages; the last %.1f s)\n",
           g->pages, (now_ms() - t0) / 1e3);
    fflush(stdout);
}

/* Makes everything bulk_drop took down again, on two connections. */
static void bulk_rebuild(struct kv_store *st, struct ctx *c)
{
    struct rebuild_job j = {NULL, 1, 0};
    pthread_t th;
    int failed = 0, threaded;
    double t0 = now_ms();

    if (!bulk_pending(c))
        return;
    threaded = kv_db_acquire(st, &j.db, &c->err) == 0;
    if (threaded && pthread_create(&th, NULL, rebuild_thread, &j) != 0) {
        kv_db_release(j.db);
        threaded = 0;
    }
    rebuild_run(c->db, 0, &failed);
    if (threaded) {
        pthread_join(th, NULL);
        kv_db_release(j.db);
    } else {
        rebuild_run(c->db, 1, &failed);
    }
    rebuild_run(c->db, 2, &failed);
    if (failed || j.failed ||
        scalar(c, "SELECT COUNT(*) FROM growth_fill_rebuild", NULL, 0) != 0) {
        fprintf(stderr, "growth_bench: not every index and constraint was made again; "
                        "growth_fill_rebuild lists the rest\n");
        exit(1);
    }
    exec_sql(c, "DROP TABLE growth_fill_rebuild");
    printf("growth_bench fill: indexes and constraints made again in %.0f s\n",
           (now_ms() - t0) / 1e3);
    fflush(stdout);
}

/* ---- setup and seeds ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "growth_bench: cannot read %s (run from the repository root)\n", path);
        exit(1);
    }
    buf = kv_xmalloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Replaces the first `from` in buf (NUL-terminated, room for the result) by `to`. */
static void subst(char *buf, const char *from, const char *to)
{
    char *p = strstr(buf, from);
    size_t fl = strlen(from), tl = strlen(to);

    if (!p)
        exit(3);
    memmove(p + tl, p + fl, strlen(p + fl) + 1);
    memcpy(p, to, tl);
}

static void send_seed(struct kv_store *st, const struct kv_system *sys, const char *uuid,
                      int to_authority)
{
    struct kv_letter_writer *w = NULL;
    struct kv_letter l, *lp = &l;
    struct kv_err err = {0};
    size_t len;
    char *raw = read_file(EX_MIN, &len), *buf = kv_xmalloc(len + 64);

    memcpy(buf, raw, len + 1);
    subst(buf, EX_UUID, uuid);
    if (to_authority) {
        subst(buf, "<memo:recipientID>" BIG_CPR, "<memo:recipientID>" AUTH);
        subst(buf, "<memo:idType>CPR</memo:idType>\n\t\t</memo:Recipient>",
              "<memo:idType>CVR</memo:idType>\n\t\t</memo:Recipient>");
    }
    kv_letter_init(&l, buf, strlen(buf));
    if (kv_letter_writer_new(st, NULL, &w, &err) < 0 ||
        kv_letter_prepare(&l, sys, NULL, NULL, &err) < 0 || l.outcome != KV_LETTER_PENDING ||
        kv_letter_writer_run(w, &lp, 1, &err) < 0 || l.outcome != KV_LETTER_CREATED) {
        fprintf(stderr, "growth_bench: seed letter %s not stored (outcome %d)\n", uuid,
                (int)l.outcome);
        die("seed", &err);
    }
    kv_letter_release(&l);
    kv_letter_writer_stop(w);
    free(buf);
    free(raw);
}

static void setup(struct kv_store *st, struct ctx *c)
{
    struct kv_system sys, rs;
    struct kv_mailbox mb;
    char *tok = NULL, cpr[160], from[1024], id[37];
    int i;

    if (kv_org_add(c->db, SENDER, "Kommunen", &c->err) < 0 ||
        kv_org_add(c->db, AUTH, "Styrelsen", &c->err) < 0)
        die("orgs", &c->err);
    memset(&sys, 0, sizeof(sys));
    snprintf(sys.org_cvr, sizeof(sys.org_cvr), SENDER);
    snprintf(sys.kind, sizeof(sys.kind), "sender");
    snprintf(sys.name, sizeof(sys.name), "growth sender");
    if (kv_system_add(c->db, &sys, &tok, &c->err) < 0)
        die("sender system", &c->err);
    snprintf(id, sizeof(id), "%s", sys.id);
    if (kv_system_get(c->db, id, &sys, &c->err) < 0)
        die("sender system", &c->err);
    free(tok);
    for (i = 0; i < PULL_SYSTEMS; i++) {
        memset(&rs, 0, sizeof(rs));
        snprintf(rs.org_cvr, sizeof(rs.org_cvr), AUTH);
        snprintf(rs.kind, sizeof(rs.kind), "recipient");
        snprintf(rs.name, sizeof(rs.name), "growth pull %d", i);
        snprintf(rs.contact_email, sizeof(rs.contact_email), "drift@example.dk");
        tok = NULL;
        if (kv_system_add(c->db, &rs, &tok, &c->err) < 0)
            die("recipient system", &c->err);
        free(tok);
    }
    /* the first recipient system is the authority's default: the seed letter is routed there */
    exec_sql(c, "UPDATE systems SET is_default = 1 WHERE id = (SELECT MIN(id) FROM systems "
                "WHERE kind = 'recipient' AND org_cvr = '" AUTH "')");
    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
    snprintf(mb.owner_id, sizeof(mb.owner_id), BIG_CPR);
    snprintf(mb.status, sizeof(mb.status), "REGISTERED");
    if (kv_mailbox_add(c->db, &mb, &c->err) < 0)
        die("mailbox", &c->err);
    /* the ordinary mailboxes: copies of the big one's row, numbered 0 .. CITIZENS-1 */
    {
        char uu[160], su[160];
        struct override ov[] = {{"id", NULL}, {"owner_id", cpr}, {"uuid", uu},
                                {"subscription_uuid", su}, {"transaction_id", NULL}};

        cpr_sql(c, cpr, sizeof(cpr), "g.i");
        uuid_sql(c, uu, sizeof(uu), "b5000000", "g.i");
        uuid_sql(c, su, sizeof(su), "b6000000", "g.i");
        snprintf(from, sizeof(from), "mailboxes s, %s WHERE s.owner_id = '" BIG_CPR "'",
                 series_sql(c));
        if (kv_db_begin(c->db, &c->err) < 0)
            die("begin", &c->err);
        copy_rows(c, "mailboxes", ov, 5, from, 0, CITIZENS - 1, 0, 0);
        if (kv_db_commit(c->db, &c->err) < 0)
            die("commit", &c->err);
    }
    send_seed(st, &sys, SEED_MB, 0);
    send_seed(st, &sys, SEED_PULL, 1);
    if (scalar(c, "SELECT COUNT(*) FROM recipient_queue", NULL, 0) != 1 ||
        scalar(c, "SELECT COUNT(*) FROM letters WHERE state = 'AVAILABLE'", NULL, 0) != 2) {
        fprintf(stderr, "growth_bench: the seed letters were not both delivered\n");
        exit(1);
    }
}

/* ---- fill ---- */

/* The seed rows every copy is made from (row ids; m: to the mailbox, p: to the authority). */
struct seeds {
    int64_t letter_m, letter_p, receipt_m, receipt_p;
    int64_t ev_m, ev_p, ev_n; /* first event seq of each; events per letter */
};

static void find_seeds(struct ctx *c, struct seeds *sd)
{
    sd->letter_m = scalar(c, "SELECT id FROM letters WHERE message_uuid = ?", SEED_MB, 0);
    sd->letter_p = scalar(c, "SELECT id FROM letters WHERE message_uuid = ?", SEED_PULL, 0);
    sd->receipt_m = scalar(c, "SELECT id FROM receipts WHERE message_uuid = ?", SEED_MB, 0);
    sd->receipt_p = scalar(c, "SELECT id FROM receipts WHERE message_uuid = ?", SEED_PULL, 0);
    sd->ev_n = scalar(c, "SELECT COUNT(*) FROM events WHERE message_uuid = ?", SEED_MB, 0);
    sd->ev_m = scalar(c, "SELECT MIN(seq) FROM events WHERE message_uuid = ?", SEED_MB, 0);
    sd->ev_p = scalar(c, "SELECT MIN(seq) FROM events WHERE message_uuid = ?", SEED_PULL, 0);
    if (!sd->letter_m || !sd->letter_p || !sd->receipt_m || !sd->receipt_p || sd->ev_n < 1 ||
        sd->ev_n > 8 ||
        sd->ev_n != scalar(c, "SELECT COUNT(*) FROM events WHERE message_uuid = ?", SEED_PULL, 0) ||
        scalar(c, "SELECT MAX(seq) FROM events WHERE message_uuid = ?", SEED_MB, 0) !=
            sd->ev_m + sd->ev_n - 1 ||
        scalar(c, "SELECT MAX(seq) FROM events WHERE message_uuid = ?", SEED_PULL, 0) !=
            sd->ev_p + sd->ev_n - 1) {
        fprintf(stderr, "growth_bench: the seed letters' rows are not as expected (a letter, a "
                        "receipt, the same number of consecutive events each)\n");
        exit(1);
    }
}

/* Adds letters lo..hi (numbers; 1-based, the seeds are not numbered) in one transaction. Every
 * seed row is named by its primary key (an IN list the planner serves from the index), and the
 * chunk's letters by an id range, so no statement reads more than the chunk. */
static void add_chunk(struct ctx *c, const struct seeds *sd, int64_t lo, int64_t hi,
                      int64_t first_mb, const int64_t own[3])
{
    char folder[1024], flag[512], kind[128], jx[128], seed_uuid[256];
    /* letter number i goes to the big mailbox when kind is 0 (its j-th letter, j = jx) */
    const int64_t big_from = getenv("GROWTH_BIG_FROM") ? atoll(getenv("GROWTH_BIG_FROM")) : 0;
    char muuid[256], tuuid[256], cprm[256], cpr[512], rcpt[1024], mbx[1024], rto[2048];
    char body_uuid[2048], body[8192], from[2048], evid[256], ruuid[256], seq[512], sys_case[600];
    char times[160], read[512];
    char evin[256];
    int64_t before_id, max_seq;
    int k;

    if (big_from > 0) {
        snprintf(kind, sizeof(kind), "(CASE WHEN g.i > %" PRId64 " THEN 0 ELSE g.i %% 10 END)",
                 big_from);
        snprintf(jx, sizeof(jx), "(CASE WHEN g.i > %" PRId64 " THEN g.i ELSE g.i / 10 END)",
                 big_from);
    } else {
        snprintf(kind, sizeof(kind), "(g.i %% 10)");
        snprintf(jx, sizeof(jx), "(g.i / 10)");
    }
    if (kv_db_begin(c->db, &c->err) < 0)
        die("begin", &c->err);
    before_id = scalar(c, "SELECT MAX(id) FROM letters", NULL, 0);
    max_seq = scalar(c, "SELECT MAX(seq) FROM events", NULL, 0);
    /* letters */
    if (c->scatter)
        scattered_sql(c, muuid, sizeof(muuid), "b100", "g.i");
    else
        uuid_sql(c, muuid, sizeof(muuid), "b1000000", "g.i");
    uuid_sql(c, tuuid, sizeof(tuuid), "b2000000", "g.i");
    snprintf(cprm, sizeof(cprm), "((g.i * 7919) %% %d)", CITIZENS);
    cpr_sql(c, cpr, sizeof(cpr), cprm);
    snprintf(rcpt, sizeof(rcpt),
             "CASE WHEN %s = 0 THEN '" BIG_CPR "' WHEN %s = 1 THEN s.recipient_id "
             "ELSE %s END", kind, kind, cpr);
    snprintf(mbx, sizeof(mbx),
             "CASE WHEN %s = 0 THEN s.mailbox_id WHEN %s = 1 THEN NULL "
             "ELSE %" PRId64 " + %s END", kind, kind, first_mb, cprm);
    /* the seed's body carries its messageUUID as given; the copy carries its own (same
     * length), and a citizen's copy its recipient */
    snprintf(seed_uuid, sizeof(seed_uuid),
             "CASE WHEN %s = 1 THEN '" SEED_PULL "' ELSE '" SEED_MB "' END", kind);
    replace_body_sql(c, body_uuid, sizeof(body_uuid), "s.body", seed_uuid, muuid);
    snprintf(rto, sizeof(rto), "('<memo:recipientID>' || %s)", rcpt);
    replace_body_sql(c, body, sizeof(body), body_uuid, "'<memo:recipientID>" BIG_CPR "'", rto);
    snprintf(times, sizeof(times), "%lld + g.i * 1000", (long long)T0_MS);
    snprintf(read, sizeof(read), "CASE WHEN %s %% 10 = 3 THEN NULL ELSE %s + 60000 END", jx,
             times);
    /* the big mailbox's letters j = i / 10: 1/16 in Skat, 1/16 in Skat/2024, 1/32 in Bolig,
     * 1/64 in deleted, the rest (83 %) in the inbox; 1/50 flagged */
    snprintf(folder, sizeof(folder),
             "CASE WHEN %s <> 0 THEN s.folder WHEN %s %% 16 = 5 THEN 'f%" PRId64
             "' WHEN %s %% 16 = 11 THEN 'f%" PRId64 "' WHEN %s %% 32 = 3 THEN 'f%"
             PRId64 "' WHEN %s %% 64 = 8 THEN 'deleted' ELSE s.folder END",
             kind, jx, own[0], jx, own[1], jx, own[2], jx);
    snprintf(flag, sizeof(flag),
             "CASE WHEN %s = 0 AND %s %% 50 = 7 THEN 1 ELSE 0 END", kind, jx);
    {
        struct override ov[] = {{"id", NULL},
                                {"folder", folder},
                                {"flagged", flag},
                                {"message_uuid", muuid},
                                {"transmission_id", tuuid},
                                {"recipient_id", rcpt},
                                {"mailbox_id", mbx},
                                {"body", body},
                                {"created_ms", times},
                                {"available_ms", times},
                                {"read_ms", read}};

        snprintf(from, sizeof(from),
                 "letters s, %s WHERE s.id IN (%" PRId64 ", %" PRId64 ") AND s.id = CASE WHEN "
                 "%s = 1 THEN %" PRId64 " ELSE %" PRId64 " END",
                 series_sql(c), sd->letter_m, sd->letter_p, kind, sd->letter_p, sd->letter_m);
        /* PostgreSQL: the trigger's per-row upsert of the same mailbox_counts row, thousands
         * of times in one transaction, walks an ever longer version chain; the chunk's counts
         * are added below in one statement instead (the same sums the trigger would make) */
        if (c->pg)
            exec_sql(c, "ALTER TABLE letters DISABLE TRIGGER mailbox_counts_track");
        if (c->bulk && c->point_counts)
            exec_sql(c, "ALTER TABLE letters DISABLE TRIGGER mailbox_point_counts_track");
        copy_rows(c, "letters", ov, 11, from, lo, hi, 0, 0);
        if (c->pg) {
            static const char sql[] =
                "INSERT INTO mailbox_counts (mailbox_id, folder, total, unread) SELECT "
                "mailbox_id, folder, COUNT(*), SUM(CASE WHEN read_ms IS NULL THEN 1 ELSE 0 END) "
                "FROM letters WHERE id BETWEEN ?1 + 1 AND ?2 AND state = 'AVAILABLE' AND "
                "mailbox_id IS NOT NULL GROUP BY mailbox_id, folder ON CONFLICT (mailbox_id, "
                "folder, slot) DO UPDATE SET total = mailbox_counts.total + EXCLUDED.total, "
                "unread = mailbox_counts.unread + EXCLUDED.unread";
            struct kv_stmt *st;

            exec_sql(c, "ALTER TABLE letters ENABLE TRIGGER mailbox_counts_track");
            if (kv_db_prepare(c->db, sql, &st, &c->err) < 0)
                die("counts", &c->err);
            kv_stmt_bind_int64(st, 1, before_id);
            kv_stmt_bind_int64(st, 2, before_id + hi - lo + 1);
            if (kv_stmt_step(st, &c->err) < 0)
                die("counts", &c->err);
            kv_stmt_done(st);
        }
        if (c->bulk && c->point_counts) {
            /* the counts per contact point (its trigger was off for the copy, see fill):
             * the same sums for the letters that have one (the seeds have none, so none
             * today, but a seed with a contact point would be counted) */
            static const char sql[] =
                "INSERT INTO mailbox_point_counts (mailbox_id, contact_point_id, folder, total, "
                "unread) SELECT mailbox_id, contact_point_id, folder, COUNT(*), SUM(CASE WHEN "
                "read_ms IS NULL THEN 1 ELSE 0 END) FROM letters WHERE id BETWEEN ?1 + 1 AND ?2 "
                "AND state = 'AVAILABLE' AND mailbox_id IS NOT NULL AND contact_point_id IS NOT "
                "NULL GROUP BY mailbox_id, contact_point_id, folder ON CONFLICT (mailbox_id, "
                "contact_point_id, folder, slot) DO UPDATE SET total = mailbox_point_counts.total "
                "+ EXCLUDED.total, unread = mailbox_point_counts.unread + EXCLUDED.unread";
            struct kv_stmt *st;

            exec_sql(c, "ALTER TABLE letters ENABLE TRIGGER mailbox_point_counts_track");
            if (kv_db_prepare(c->db, sql, &st, &c->err) < 0)
                die("point counts", &c->err);
            kv_stmt_bind_int64(st, 1, before_id);
            kv_stmt_bind_int64(st, 2, before_id + hi - lo + 1);
            if (kv_stmt_step(st, &c->err) < 0)
                die("point counts", &c->err);
            kv_stmt_done(st);
        }
    }
    /* The letters of this chunk are ids before_id+1 .. before_id+(hi-lo+1) in number order
     * (one session inserting); n = l.id - before_id - 1 + lo is the letter's number. */
    if (scalar(c, "SELECT MAX(id) FROM letters", NULL, 0) - before_id != hi - lo + 1) {
        fprintf(stderr, "growth_bench: letter ids are not contiguous\n");
        exit(1);
    }
    /* receipts */
    {
        struct override ov[] = {{"id", NULL},
                                {"message_uuid", "l.message_uuid"},
                                {"transmission_id", "l.transmission_id"},
                                {"time_ms", "l.created_ms"},
                                {"uuid", ruuid}};

        if (c->scatter)
            scattered_sql(c, ruuid, sizeof(ruuid), "b400", "l.id");
        else
            uuid_sql(c, ruuid, sizeof(ruuid), "b4000000", "l.id");
        snprintf(from, sizeof(from),
                 "letters l, receipts s WHERE s.id IN (%" PRId64 ", %" PRId64 ") AND s.id = "
                 "CASE WHEN l.recipient_type = 'CVR' THEN %" PRId64 " ELSE %" PRId64 " END AND "
                 "l.id BETWEEN ?3 + 1 AND ?3 + ?2 - ?1 + 1",
                 sd->receipt_m, sd->receipt_p, sd->receipt_p, sd->receipt_m);
        copy_rows(c, "receipts", ov, 5, from, lo, hi, before_id, 0);
    }
    /* events: the seed's, renumbered after max_seq, ev_n per letter */
    snprintf(seq, sizeof(seq),
             "?4 + (l.id - ?3 - 1) * %" PRId64
             " + s.seq - CASE WHEN l.recipient_type = 'CVR' THEN %" PRId64 " ELSE %" PRId64
             " END + 1",
             sd->ev_n, sd->ev_p, sd->ev_m);
    {
        size_t n = 0;

        for (k = 0; k < sd->ev_n; k++)
            n += (size_t)snprintf(evin + n, sizeof(evin) - n, "%s%" PRId64 ", %" PRId64,
                                  k ? ", " : "", sd->ev_m + k, sd->ev_p + k);
    }
    uuid_sql(c, evid, sizeof(evid), "b3000000", "(l.id * 8 + s.seq % 8)");
    {
        /* letter_id: the copy's own letter (the seed's events carry the seed's, migration 023) */
        struct override ov[] = {{"seq", seq},
                                {"event_id", evid},
                                {"message_uuid", "l.message_uuid"},
                                {"time_ms", "l.created_ms"},
                                {"letter_id", "l.id"}};

        snprintf(from, sizeof(from),
                 "letters l, events s WHERE s.seq IN (%s) AND s.message_uuid = CASE WHEN "
                 "l.recipient_type = 'CVR' THEN '" SEED_PULL "' ELSE '" SEED_MB "' END AND "
                 "l.id BETWEEN ?3 + 1 AND ?3 + ?2 - ?1 + 1",
                 evin);
        copy_rows(c, "events", ov, 5, from, lo, hi, before_id, max_seq);
    }
    /* the recipient queue: letter id, system by number */
    {
        struct kv_stmt *s;
        size_t n = 0;
        int rc;

        n += (size_t)snprintf(sys_case + n, sizeof(sys_case) - n, "CASE (l.id / 10) %% %d",
                              PULL_SYSTEMS);
        if (kv_db_prepare(c->db,
                          "SELECT id FROM systems WHERE kind = 'recipient' AND org_cvr = '" AUTH
                          "' ORDER BY id",
                          &s, &c->err) < 0)
            die("systems", &c->err);
        for (k = 0; (rc = kv_stmt_step(s, &c->err)) == KV_ROW && k < PULL_SYSTEMS; k++)
            n += (size_t)snprintf(sys_case + n, sizeof(sys_case) - n, " WHEN %d THEN '%s'", k,
                                  kv_stmt_col_text(s, 0));
        kv_stmt_done(s);
        snprintf(sys_case + n, sizeof(sys_case) - n, " END");
    }
    {
        struct override ov[] = {{"id", NULL},
                                {"letter_id", "l.id"},
                                {"system_id", sys_case},
                                {"created_ms", "l.created_ms"},
                                {"visible_ms", "l.available_ms"}};

        snprintf(from, sizeof(from),
                 "letters l, recipient_queue s WHERE s.letter_id = %" PRId64 " AND l.id BETWEEN "
                 "?3 + 1 AND ?3 + ?2 - ?1 + 1 AND l.recipient_type = 'CVR'",
                 sd->letter_p);
        /* as for mailbox_counts above: migration 055's counts per system in one statement */
        int counted = c->pg && scalar(c, "SELECT COUNT(*) FROM information_schema.tables WHERE "
                                         "table_schema = current_schema() AND table_name = "
                                         "'recipient_queue_counts'", NULL, 0) == 1;

        if (counted)
            exec_sql(c, "ALTER TABLE recipient_queue DISABLE TRIGGER recipient_queue_counts_track");
        copy_rows(c, "recipient_queue", ov, 5, from, lo, hi, before_id, 0);
        if (counted) {
            static const char sql[] =
                "INSERT INTO recipient_queue_counts (system_id, listed) SELECT q.system_id, "
                "COUNT(*) FROM recipient_queue q WHERE q.letter_id BETWEEN ?1 + 1 AND ?2 AND "
                "q.state <> 'DELETED' GROUP BY q.system_id ON CONFLICT (system_id, slot) DO UPDATE "
                "SET listed = recipient_queue_counts.listed + EXCLUDED.listed";
            struct kv_stmt *st;

            exec_sql(c, "ALTER TABLE recipient_queue ENABLE TRIGGER recipient_queue_counts_track");
            if (kv_db_prepare(c->db, sql, &st, &c->err) < 0)
                die("queue counts", &c->err);
            kv_stmt_bind_int64(st, 1, before_id);
            kv_stmt_bind_int64(st, 2, before_id + hi - lo + 1);
            if (kv_stmt_step(st, &c->err) < 0)
                die("queue counts", &c->err);
            kv_stmt_done(st);
        }
    }
    if (kv_db_commit(c->db, &c->err) < 0)
        die("commit", &c->err);
}

/* A store filled before the keys were scattered holds letter 10 as b1000000-...-00000000000a
 * and is grown and read on in its own scheme; any other store gets scattered keys. */
static void detect_scheme(struct ctx *c)
{
    c->scatter = scalar(c, "SELECT COUNT(*) FROM letters WHERE message_uuid = ?",
                        "b1000000-0000-4000-8000-00000000000a", 0) == 0;
}

static int64_t numbered(struct ctx *c)
{
    return scalar(c,
                  c->scatter ? "SELECT COUNT(*) FROM letters WHERE message_uuid LIKE '%-b100-4000-8000-%'"
                             : "SELECT COUNT(*) FROM letters WHERE message_uuid LIKE 'b1000000-%'",
                  NULL, 0);
}

/* The big mailbox's own folders Skat, Skat/2024 and Bolig (made through the hub, as the
 * /post/ folder form does, on the first fill); their ids into own[]. */
static void own_folders(struct ctx *c, int64_t own[3])
{
    static const char *const names[3] = {"Skat", "2024", "Bolig"};
    struct kv_mbox_owner o;
    int k;

    memset(&o, 0, sizeof(o));
    snprintf(o.type, sizeof(o.type), "CPR");
    snprintf(o.id, sizeof(o.id), BIG_CPR);
    for (k = 0; k < 3; k++) {
        own[k] = scalar(c, "SELECT f.id FROM mailbox_folders f JOIN mailboxes m ON m.id = "
                           "f.mailbox_id WHERE m.owner_id = '" BIG_CPR "' AND f.name = ?",
                        names[k], 0);
        if (own[k] == 0 && kv_mbox_folder_create(c->db, &o, k == 1 ? own[0] : 0, names[k],
                                                 &own[k], &c->err) < 0)
            die("own folder", &c->err);
    }
}

static int fill(struct kv_store *st, struct ctx *c, int64_t to)
{
    int64_t own[3];
    int64_t have, first_mb, chunk = c->pg ? 500000 : 50000, lo;
    char *signature = NULL;
    struct gin_cleaner gin;
    double t0 = now_ms(), tc;
    struct seeds sd;

    if (scalar(c, "SELECT COUNT(*) FROM mailboxes WHERE owner_id = ?", BIG_CPR, 0) == 0)
        setup(st, c);
    find_seeds(c, &sd);
    own_folders(c, own);
    /* loader session only: nothing here is acknowledged to anyone */
    (void)kv_db_durability(c->db, KV_DURABILITY_LAZY, &c->err);
    kv_db_bulk_writer(c->db);
    /* SQLite: a page cache that holds the indexes' hot pages of a whole chunk (the mailbox
     * and recipient indexes are written all over), so a chunk is written once */
    if (!c->pg) {
        exec_sql(c, "PRAGMA cache_size=-3000000");
        exec_sql(c, "PRAGMA mmap_size=68719476736"); /* reads without a copy per page */
    }
    first_mb = scalar(c, "SELECT id FROM mailboxes WHERE owner_id = '0300000000'", NULL, 0);
    if (scalar(c, "SELECT MAX(id) FROM mailboxes WHERE owner_id LIKE '03%'", NULL, 0) - first_mb !=
        CITIZENS - 1) {
        fprintf(stderr, "growth_bench: the ordinary mailboxes are not numbered in order\n");
        return 1;
    }
    /* numbered letters so far: the highest number given (letters added by send_bench are
     * not numbered and do not count) */
    have = numbered(c);
    printf("growth_bench fill: %s, %" PRId64 " letters loaded, to %" PRId64 "\n",
           c->pg ? "PostgreSQL" : "SQLite", have, to);
    fflush(stdout);
    if (c->pg) {
        c->point_counts = scalar(c, "SELECT COUNT(*) FROM pg_trigger WHERE tgname = "
                                    "'mailbox_point_counts_track' AND tgrelid = 'letters'::regclass",
                                 NULL, 0) == 1;
        /* a big step loads with the indexes off (see bulk_drop), 250,000 letters a
         * transaction (with the indexes off the size does not change the rate; a chunk of a
         * few minutes lets GROWTH_FILL_STOP end the step soon after it is asked to); a
         * fill killed during one left them off, and this one carries on and puts them back */
        c->bulk = bulk_pending(c) ||
                  (to - have >= have && to - have >= 50000 && !getenv("GROWTH_KEEP_INDEXES"));
        if (c->bulk) {
            chunk = 250000;
            exec_sql(c, "SET maintenance_work_mem = '1GB'");
            if (!bulk_pending(c)) {
                signature = bulk_signature(c);
                bulk_drop(c);
            }
        }
    }
    if (c->bulk)
        gin_cleaner_start(st, c, &gin);
    for (lo = have + 1; lo <= to; lo += chunk) {
        int64_t hi = lo + chunk - 1 < to ? lo + chunk - 1 : to;
        const char *stop = getenv("GROWTH_FILL_STOP");

        /* an operator's way to end a step early (the size reached is then measured) */
        if (stop && *stop && access(stop, F_OK) == 0) {
            printf("growth_bench fill: %s exists: stopped at %" PRId64 " letters\n", stop,
                   lo - 1);
            to = lo - 1;
            break;
        }
        tc = now_ms();
        add_chunk(c, &sd, lo, hi, first_mb, own);
        if (!c->pg)
            (void)kv_db_checkpoint(c->db, KV_CHECKPOINT_TRUNCATE, &c->err);
        printf("  letters %" PRId64 "..%" PRId64 " in %.1f s (%.0f letters/s)\n", lo, hi,
               (now_ms() - tc) / 1e3, (double)(hi - lo + 1) * 1e3 / (now_ms() - tc));
        fflush(stdout);
    }
    if (c->bulk) {
        gin_cleaner_stop(c, &gin);
        bulk_rebuild(st, c);
        if (signature) {
            char *after = bulk_signature(c);

            if (strcmp(signature, after) != 0) {
                fprintf(stderr, "growth_bench: the indexes and constraints after the bulk "
                                "load differ from before:\n--- before\n%s\n--- after\n%s\n",
                        signature, after);
                exit(1);
            }
            printf("growth_bench fill: every index and constraint is back as before\n");
            free(after);
            free(signature);
        }
    }
    /* the check reads every letter: up to GROWTH_CHECK_MAX letters (default 2 M), as the
     * method is the same at every size */
    if (c->pg && to <= (getenv("GROWTH_CHECK_MAX") ? atoll(getenv("GROWTH_CHECK_MAX")) : 2000000))
        check_counts(c);
    else if (c->pg)
        printf("growth_bench fill: counts not checked above GROWTH_CHECK_MAX letters\n");
    /* PostgreSQL since migration 053: new events draw seq from a sequence, which must start
     * after the copies */
    if (c->pg && scalar(c, "SELECT COUNT(*) FROM information_schema.sequences WHERE "
                           "sequence_schema = current_schema() AND sequence_name = "
                           "'events_seq_seq'", NULL, 0) == 1)
        (void)scalar(c, "SELECT setval('events_seq_seq', (SELECT MAX(seq) FROM events) + 1, "
                        "false)", NULL, 0);
    /* PostgreSQL: VACUUM as well as ANALYZE. Autovacuum would vacuum the copies anyway (an
     * insert-only table is vacuumed after autovacuum_vacuum_insert_threshold new rows) and,
     * left to it, that vacuum of millions of rows runs during the measurements that follow
     * and its CPU time is counted as the sends' (send_bench --pg-pid). Then a CHECKPOINT, so
     * every size is measured from the same state: just after a checkpoint, where the first
     * change of each page writes the whole page to the WAL. */
    tc = now_ms();
    if (!c->pg) /* the sampled statistics PRAGMA optimize gathers, not a read of 10 M rows */
        exec_sql(c, "PRAGMA analysis_limit=1000");
    exec_sql(c, c->pg ? "VACUUM (ANALYZE)" : "ANALYZE");
    if (c->pg)
        exec_sql(c, "CHECKPOINT");
    printf("growth_bench fill: %" PRId64 " letters in %.0f s (%s %.1f s)\n", to - have,
           (now_ms() - t0) / 1e3, c->pg ? "VACUUM, ANALYZE, CHECKPOINT" : "ANALYZE",
           (now_ms() - tc) / 1e3);
    (void)kv_db_durability(c->db, KV_DURABILITY_FULL, &c->err);
    return 0;
}

/* ---- query ---- */

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void report(const char *name, double *t, int n)
{
    qsort(t, (size_t)n, sizeof(*t), cmp);
    printf("  %-22s p50 %8.3f ms   p99 %8.3f ms   max %8.3f ms   (%d calls)\n", name, t[n / 2],
           t[(n * 99) / 100], t[n - 1], n);
    fflush(stdout);
}

static void owner_of(struct kv_mbox_owner *o, const char *cpr)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->type, sizeof(o->type), "CPR");
    snprintf(o->id, sizeof(o->id), "%s", cpr);
}

static double list_once(struct ctx *c, const struct kv_mbox_owner *o, const char *cursor,
                        char *next, size_t next_n, const char *text)
{
    struct kv_mbox_query q;
    json_t *list = NULL;
    double t0;

    memset(&q, 0, sizeof(q));
    q.folder = KV_MBOX_FOLDER_INBOX;
    q.unread = -1;
    q.limit = KV_MBOX_LIST_DEFAULT;
    q.cursor = cursor;
    q.text = text;
    t0 = now_ms();
    if (kv_mbox_list(c->db, o, &q, &list, &c->err) < 0)
        die("list", &c->err);
    t0 = now_ms() - t0;
    if (next) {
        const char *nc = json_string_value(json_object_get(list, "nextCursor"));

        snprintf(next, next_n, "%s", nc ? nc : "");
    }
    json_decref(list);
    return t0;
}

static int query(struct ctx *c, int passes)
{
    struct kv_mbox_owner big, o;
    struct kv_mbox_counts cnt;
    char cursor[256] = "", cpr[11], sys[37] = "";
    double *t = kv_xmalloc(sizeof(double) * (size_t)passes), t0;
    int64_t n = numbered(c), all = scalar(c, "SELECT COUNT(*) FROM letters", NULL, 0), queued;
    int k;

    srand(42);
    owner_of(&big, BIG_CPR);
    if (kv_mbox_counts(c->db, &big, &cnt, &c->err) < 0)
        die("counts", &c->err);
    {
        struct kv_stmt *s;

        if (kv_db_prepare(c->db, "SELECT MIN(id) FROM systems WHERE kind = 'recipient' AND "
                                 "org_cvr = '" AUTH "'", &s, &c->err) < 0 ||
            kv_stmt_step(s, &c->err) != KV_ROW)
            die("system", &c->err);
        snprintf(sys, sizeof(sys), "%s", kv_stmt_col_text(s, 0));
        kv_stmt_done(s);
    }
    queued = scalar(c, "SELECT COUNT(*) FROM recipient_queue WHERE system_id = ?", sys, 0);
    printf("growth_bench query: %s, %" PRId64 " letters stored (%" PRId64
           " loaded); big mailbox: %" PRId64 " in the inbox, %" PRId64
           " unread; pull system: %" PRId64 " queued; load %s",
           c->pg ? "PostgreSQL" : "SQLite", all, n, cnt.inbox, cnt.inbox_unread, queued, "");
    {
        FILE *f = fopen("/proc/loadavg", "r");
        char la[64] = "?";

        if (f && fgets(la, sizeof(la), f))
            la[strcspn(la, " ")] = '\0';
        if (f)
            fclose(f);
        printf("%s\n", la);
    }
    for (k = 0; k < passes; k++) {
        t0 = now_ms();
        if (kv_mbox_counts(c->db, &big, &cnt, &c->err) < 0)
            die("counts", &c->err);
        t[k] = now_ms() - t0;
    }
    report("big: counts", t, passes);
    for (k = 0; k < passes; k++)
        t[k] = list_once(c, &big, NULL, NULL, 0, NULL);
    report("big: first page", t, passes);
    for (k = 0; k < 49; k++)
        (void)list_once(c, &big, cursor[0] ? cursor : NULL, cursor, sizeof(cursor), NULL);
    for (k = 0; k < passes; k++)
        t[k] = list_once(c, &big, cursor[0] ? cursor : NULL, NULL, 0, NULL);
    report("big: page 50", t, passes);
    for (k = 0; k < passes; k++) {
        struct kv_mbox_letter l;
        json_t *j = NULL;
        char uuid[37];
        int64_t i = 10 * (1 + (int64_t)((double)rand() / RAND_MAX * (double)(n / 10 - 1)));

        letter_uuid(c, i, uuid);
        t0 = now_ms();
        if (kv_mbox_letter_load(c->db, &big, uuid, 1, &l, &c->err) < 0 ||
            kv_mbox_letter_json(&l, &j, &c->err) < 0)
            die("open", &c->err);
        t[k] = now_ms() - t0;
        json_decref(j);
        kv_mbox_letter_release(&l);
    }
    report("big: open a letter", t, passes);
    /* search by title or sender: a text no letter has reads the whole mailbox (LIKE), so
     * 10 calls only */
    for (k = 0; k < 10; k++)
        t[k] = list_once(c, &big, NULL, NULL, 0, "ingen saadan titel");
    report("big: search, no match", t, 10);
    for (k = 0; k < passes; k++) {
        snprintf(cpr, sizeof(cpr), "03%08d", rand() % CITIZENS);
        owner_of(&o, cpr);
        t0 = now_ms();
        if (kv_mbox_counts(c->db, &o, &cnt, &c->err) < 0)
            die("counts", &c->err);
        t[k] = now_ms() - t0;
    }
    report("ordinary: counts", t, passes);
    for (k = 0; k < passes; k++) {
        snprintf(cpr, sizeof(cpr), "03%08d", rand() % CITIZENS);
        owner_of(&o, cpr);
        t[k] = list_once(c, &o, NULL, NULL, 0, NULL);
    }
    report("ordinary: first page", t, passes);
    for (k = 0; k < passes; k++) {
        json_t *p = NULL;

        t0 = now_ms();
        if (kv_recipient_page(c->db, sys, 0, 100, 0, &p, &c->err) < 0)
            die("pull page", &c->err);
        t[k] = now_ms() - t0;
        json_decref(p);
    }
    report("pull: page 0 (100)", t, passes);
    if (queued > 10100) {
        for (k = 0; k < passes; k++) {
            json_t *p = NULL;

            t0 = now_ms();
            if (kv_recipient_page(c->db, sys, 100, 100, 0, &p, &c->err) < 0)
                die("pull page", &c->err);
            t[k] = now_ms() - t0;
            json_decref(p);
        }
        report("pull: page 100 (100)", t, passes);
    }
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *url = NULL, *mode = argc > 1 ? argv[1] : "";
    int64_t to = 0;
    int passes = 200, k, rc;
    struct kv_store *st = NULL;
    struct ctx c;

    memset(&c, 0, sizeof(c));
    for (k = 2; k < argc; k++) {
        if (strcmp(argv[k], "--data") == 0 && k + 1 < argc)
            dir = argv[++k];
        else if (strcmp(argv[k], "--db") == 0 && k + 1 < argc)
            url = argv[++k];
        else if (strcmp(argv[k], "--to") == 0 && k + 1 < argc)
            to = strtoll(argv[++k], NULL, 10);
        else if (strcmp(argv[k], "--passes") == 0 && k + 1 < argc)
            passes = atoi(argv[++k]);
        else
            mode = "";
    }
    if ((strcmp(mode, "fill") != 0 && strcmp(mode, "query") != 0) || (!dir && !url) ||
        (strcmp(mode, "fill") == 0 && (to < 10 || to > 100000000)) || passes < 10) {
        fprintf(stderr, "usage: growth_bench fill (--data DIR | --db URL) --to N\n"
                        "       growth_bench query (--data DIR | --db URL) [--passes P]\n");
        return 2;
    }
    if (kv_memo_global_init(&c.err) < 0 || kv_store_open_db(dir ? dir : "/nonexistent", url, &st,
                                                             &c.err) < 0 ||
        kv_db_acquire(st, &c.db, &c.err) < 0)
        die("store", &c.err);
    c.pg = strcmp(kv_store_backend(st), "sqlite") != 0;
    detect_scheme(&c);
    if (strcmp(mode, "query") == 0 && bulk_pending(&c)) {
        fprintf(stderr, "growth_bench: a fill was stopped with the indexes off "
                        "(growth_fill_rebuild); run growth_bench fill again first\n");
        return 1;
    }
    rc = strcmp(mode, "fill") == 0 ? fill(st, &c, to) : query(&c, passes);
    kv_db_release(c.db);
    kv_store_close(st);
    return rc;
}

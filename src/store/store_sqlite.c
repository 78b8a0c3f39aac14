/* SPDX-License-Identifier: MIT
 *
 * store_sqlite.c: the SQLite backend of the store (see store.h, store_int.h). One database file
 * DIR/kuvert.db, DIR created with mode 0700. Every connection runs journal_mode=WAL,
 * synchronous=FULL (a returned COMMIT is on disk), foreign_keys=ON and a 10 s busy timeout,
 * so the server and CLI commands can share a data directory. Connections open through the
 * VFS of sqlite_walbuf.c, which writes a commit's WAL frames in a few large writes.
 *
 * Each connection keeps a statement cache: an open-addressing hash table keyed by the SQL
 * text's pointer (callers mostly pass string literals). A hit is checked against the cached
 * statement's own copy of the text, so SQL built at run time in a reused buffer gets its own
 * statement (the stale one at that address is replaced). A statement that is already in use
 * when the same SQL is prepared again (a nested query) gets an uncached twin, finalised on done.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/sqlite_pcache.h"
#include "store/sqlite_walbuf.h"
#include "store/store_int.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define BUSY_TIMEOUT_MS 10000
#define CACHE_INIT 64 /* initial slots (power of two) */

struct sqlite_stmt {
    struct kv_stmt base;  /* must be first: base.db is the owning connection */
    struct sqlite_db *db; /* borrowed: owning connection (the same, typed) */
    sqlite3_stmt *h;      /* owned prepared statement */
    const char *sql;      /* cache key: the caller's SQL address (compared, never read) */
    char *text;           /* owned copy of the SQL, compared on every cache hit */
    int cached;           /* 1: lives in db's cache; 0: finalised by kv_stmt_done */
    int in_use;           /* 1 between prepare and done */
};

struct sqlite_db {
    struct kv_db base;      /* must be first (pooled by store.c) */
    sqlite3 *h;             /* owned connection */
    struct sqlite_stmt **slots; /* owned cache table, cap entries (NULL = empty) */
    size_t cap;             /* power of two */
    size_t n;               /* used slots */
};

struct sqlite_store {
    char *path; /* owned: DIR/kuvert.db */
    void *gen;  /* owned mapping of DIR/kuvert.db-gen (GEN_SIZE bytes), or NULL */
    int gone_logged; /* atomic: check_files logged a deleted -wal or -shm */
};

/* The credentials generation (store.h) of every process on this database: the first 8 bytes
 * of DIR/kuvert.db-gen, mapped shared and advanced atomically, like SQLite's own -shm file
 * beside it. Without it (a read-only directory, no mmap) nothing is cached: always correct.
 *
 * The page is given its disk block (posix_fallocate) before it is mapped. A file only grown
 * with ftruncate is a hole, and the first store into a mapped hole on a full filesystem is
 * SIGBUS: a server started with free space whose counter was first advanced (a deactivation,
 * a rotated secret) after the disk filled up died of it. posix_fallocate keeps the contents
 * and the size when the block is there already, and fails with ENOSPC when it cannot be
 * had; then the file is not mapped. No process of this build maps the file without its block,
 * so one that could not map it misses no other process's advance of a counter in use; the
 * exception is a second `kuvert serve` on the same directory that starts mapping it after
 * this one found the disk full. */
#define GEN_SIZE 4096

static void *map_generation(const char *db_path)
{
    char *path = kv_xasprintf("%s-gen", db_path);
    void *m = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    free(path);
    if (fd < 0)
        return NULL;
    if (posix_fallocate(fd, 0, GEN_SIZE) == 0) {
        m = mmap(NULL, GEN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            m = NULL;
    }
    close(fd);
    return m;
}

/* A constraint violation is KV_ECONFLICT. The database locked past the busy timeout
 * (SQLITE_BUSY, SQLITE_LOCKED), read-only (SQLITE_READONLY: file or directory permissions, a
 * read-only mount) or its disk full (SQLITE_FULL) is KV_EUNAVAIL: a 503 with Retry-After,
 * not 507, see docs/errors.md "Database unavailable". Anything else is KV_EDB.
 *
 * SQLite says only "disk I/O error" (SQLITE_IOERR) for a failed system call that is not a
 * write of a page, such as growing the -shm file when a connection opens or the WAL index
 * grows. The system call's errno (sqlite3_system_errno) is added to the message so the log
 * names the cause, and when it is a full disk or quota (ENOSPC, EDQUOT) or a read-only mount
 * (EROFS) the failure is KV_EUNAVAIL like SQLITE_FULL and SQLITE_READONLY. (For
 * SQLITE_CANTOPEN the errno is of whichever open SQLite tried last, not the cause: see
 * open_error.) */
static int db_error(sqlite3 *h, struct kv_err *err, const char *what)
{
    int code = sqlite3_extended_errcode(h) & 0xff;
    int sys = code == SQLITE_IOERR ? sqlite3_system_errno(h) : 0;

    if (code == SQLITE_CONSTRAINT)
        return kv_err_set(err, KV_ECONFLICT, "%s: %s", what, sqlite3_errmsg(h));
    if (sys > 0)
        return kv_err_set(err, sys == ENOSPC || sys == EDQUOT || sys == EROFS ? KV_EUNAVAIL
                                                                              : KV_EDB,
                          "%s: %s (%s)", what, sqlite3_errmsg(h), strerror(sys));
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_READONLY ||
        code == SQLITE_FULL)
        return kv_err_set(err, KV_EUNAVAIL, "%s: %s", what, sqlite3_errmsg(h));
    return kv_err_set(err, KV_EDB, "%s: %s", what, sqlite3_errmsg(h));
}

/* mkdir -p with mode 0700 for every created component. */
static int make_dirs(const char *dir, struct kv_err *err)
{
    char *p = kv_xstrdup(dir), *q;
    struct stat stt;
    int rc = 0;

    for (q = p + 1; ; q++) {
        if (*q != '/' && *q != '\0')
            continue;
        char c = *q;

        *q = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            rc = kv_err_errno(err, "cannot create %s", p);
            goto out;
        }
        *q = c;
        if (c == '\0')
            break;
    }
    if (stat(dir, &stt) != 0 || !S_ISDIR(stt.st_mode))
        rc = kv_err_set(err, KV_EIO, "%s is not a directory", dir);
out:
    free(p);
    return rc;
}

/* Process-wide SQLite settings, made once before SQLite initialises itself. Memory statistics
 * are switched off: kuvert never reads them, and keeping them takes a global mutex on every
 * allocation SQLite makes (the letter writer makes thousands per group commit). When SQLite
 * was already initialised by someone else, sqlite3_config refuses and nothing changes.
 *
 * Every writing statement inside a transaction opens a statement journal whose first chunk is
 * a 64 KiB malloc, freed when the statement ends. With glibc's default trim threshold (128 KiB)
 * that free hands the top of the heap back to the kernel (brk) and the next statement takes it
 * back as fresh zeroed pages: four brk calls and 16+ page faults per statement. The value-date
 * publisher (four statements per letter) spent 80% of its time there (perf: 6,150 letters/s;
 * with the heap kept, 27,000/s). So the heap's top is kept up to KEEP_HEAP_TOP.
 *
 * The page cache is SQLite's own behind sqlite_pcache.c, which skips the truncation at COMMIT
 * when it has nothing to drop: with the writer's 64 MiB cache SQLite's cache walked all of its
 * pages at nearly every commit (5-8 % of the server's CPU on Minimum letters, docs/send-api.md
 * "Cuts of session 10"). */
#define KEEP_HEAP_TOP (32 * 1024 * 1024)

static pthread_once_t config_once = PTHREAD_ONCE_INIT;

static void config_sqlite(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)kv__sqlite_pcache_install();
    (void)kv_malloc_keep_top(KEEP_HEAP_TOP); /* at least: `kuvert serve` keeps more */
}

static int sq_open(struct kv_store *st, const char *dir, struct kv_err *err)
{
    struct sqlite_store *ss;
    int rc;

    pthread_once(&config_once, config_sqlite);
    if (!sqlite3_threadsafe())
        return kv_err_set(err, KV_EINTERNAL, "sqlite3 was built without thread support");
    rc = make_dirs(dir, err);
    if (rc < 0)
        return rc;
    ss = kv_xcalloc(1, sizeof(*ss));
    ss->path = kv_xasprintf("%s/kuvert.db", dir);
    ss->gen = map_generation(ss->path);
    st->cred_gen = ss->gen;
    st->backend = ss;
    return 0;
}

static void sq_close(struct kv_store *st)
{
    struct sqlite_store *ss = st->backend;

    if (!ss)
        return;
    st->cred_gen = NULL;
    if (ss->gen)
        munmap(ss->gen, GEN_SIZE);
    free(ss->path);
    free(ss);
    st->backend = NULL;
}

static void sq_conn_close(struct kv_db *kdb)
{
    struct sqlite_db *db = (struct sqlite_db *)kdb;
    size_t i;

    if (!db)
        return;
    for (i = 0; i < db->cap; i++) {
        if (db->slots[i]) {
            sqlite3_finalize(db->slots[i]->h);
            free(db->slots[i]->text);
            free(db->slots[i]);
        }
    }
    free(db->slots);
    sqlite3_close(db->h);
    free(db);
}

/* A connection that did not open, or whose first PRAGMA failed. SQLite cannot open the
 * database in WAL mode without creating DIR/kuvert.db-wal and -shm, and for a data directory
 * it may not write in (a read-only mount, permissions) says only "unable to open database
 * file" with the errno of another file; the directory is named with the reason instead. */
static int open_error(struct sqlite_store *ss, sqlite3 *h, struct kv_err *err, const char *what)
{
    struct kv_err why = {0};
    char *dir = kv_xstrdup(ss->path), *slash = strrchr(dir, '/');
    int code = h ? db_error(h, &why, what) : kv_err_set(&why, KV_EDB, "%s", what);
    int e = (h ? sqlite3_extended_errcode(h) & 0xff : SQLITE_CANTOPEN);

    if (slash)
        *slash = '\0';
    if ((e == SQLITE_CANTOPEN || e == SQLITE_READONLY) && access(dir, W_OK) != 0) {
        int sys = errno;

        code = kv_err_set(err, sys == EROFS ? KV_EUNAVAIL : KV_EDB,
                          "cannot open %s: the data directory %s is not writable (%s)",
                          ss->path, dir, strerror(sys));
    } else {
        code = kv_err_set(err, code, "cannot open %s: %s", ss->path, why.msg);
    }
    free(dir);
    return code;
}

static int sq_conn_open(struct kv_store *st, struct kv_db **out, struct kv_err *err)
{
    struct sqlite_store *ss = st->backend;
    struct sqlite_db *db = kv_xcalloc(1, sizeof(*db));
    char *mode = NULL;
    sqlite3_stmt *s = NULL;
    int rc;

    *out = NULL;
    db->base.st = st;
    rc = sqlite3_open_v2(ss->path, &db->h,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                         kv__sqlite_walbuf_vfs());
    if (rc != SQLITE_OK) {
        rc = open_error(ss, db->h, err, "sqlite");
        goto fail;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
    /* journal_mode answers a row with the mode now in force: check that it is WAL. */
    if (sqlite3_prepare_v2(db->h, "PRAGMA journal_mode=WAL", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        rc = open_error(ss, db->h, err, "PRAGMA journal_mode");
        goto fail;
    }
    mode = kv_xstrdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    s = NULL;
    if (strcmp(mode, "wal") != 0) {
        rc = kv_err_set(err, KV_EDB, "%s: journal mode is %s, not wal", ss->path, mode);
        goto fail;
    }
    if (sqlite3_exec(db->h, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", NULL, NULL,
                     NULL) != SQLITE_OK) {
        rc = db_error(db->h, err, "PRAGMA");
        goto fail;
    }
    db->cap = CACHE_INIT;
    db->slots = kv_xcalloc(db->cap, sizeof(*db->slots));
    free(mode);
    *out = &db->base;
    return 0;
fail:
    sqlite3_finalize(s);
    free(mode);
    sq_conn_close(&db->base);
    return rc;
}

static int sq_exec(struct kv_db *kdb, const char *sql, struct kv_err *err)
{
    struct sqlite_db *db = (struct sqlite_db *)kdb;

    if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(db->h, err, "sqlite");
    return 0;
}

/* ---- statement cache ---- */

static size_t slot_of(const struct sqlite_db *db, const char *sql)
{
    uint64_t x = (uint64_t)(uintptr_t)sql;

    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (db->cap - 1);
}

static void cache_put(struct sqlite_db *db, struct sqlite_stmt *s)
{
    size_t i = slot_of(db, s->sql);

    while (db->slots[i])
        i = (i + 1) & (db->cap - 1);
    db->slots[i] = s;
    db->n++;
}

static void cache_grow(struct sqlite_db *db)
{
    struct sqlite_stmt **old = db->slots;
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
static struct sqlite_stmt **cache_find(struct sqlite_db *db, const char *sql)
{
    size_t i = slot_of(db, sql);

    while (db->slots[i]) {
        if (db->slots[i]->sql == sql)
            return &db->slots[i];
        i = (i + 1) & (db->cap - 1);
    }
    return NULL;
}

static void stmt_free(struct sqlite_stmt *s)
{
    sqlite3_finalize(s->h);
    free(s->text);
    free(s);
}

static int sq_prepare(struct kv_db *kdb, const char *sql, struct kv_stmt **out, struct kv_err *err)
{
    struct sqlite_db *db = (struct sqlite_db *)kdb;
    struct sqlite_stmt **slot = cache_find(db, sql);
    struct sqlite_stmt *s = slot ? *slot : NULL;
    sqlite3_stmt *h = NULL;

    *out = NULL;
    if (s && strcmp(s->text, sql) == 0 && !s->in_use) {
        s->in_use = 1;
        *out = &s->base;
        return 0;
    }
    if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &h, NULL) != SQLITE_OK)
        return db_error(db->h, err, "prepare");
    if (!h)
        return kv_err_set(err, KV_EINVAL, "prepare: empty SQL");
    s = kv_xcalloc(1, sizeof(*s));
    s->base.db = kdb;
    s->db = db;
    s->h = h;
    s->sql = sql;
    s->text = kv_xstrdup(sql);
    s->in_use = 1;
    if (!slot) {
        if ((db->n + 1) * 2 > db->cap)
            cache_grow(db);
        s->cached = 1;
        cache_put(db, s);
    } else if (!(*slot)->in_use && strcmp((*slot)->text, sql) != 0) {
        /* the address now holds other SQL (a reused buffer): the stale statement goes */
        stmt_free(*slot);
        *slot = s;
        s->cached = 1;
    }
    *out = &s->base;
    return 0;
}

/* The SQLite statement behind a kv_stmt. */
#define SQ(ks) ((struct sqlite_stmt *)(ks))

static void sq_reset(struct kv_stmt *ks)
{
    struct sqlite_stmt *s = SQ(ks);

    sqlite3_reset(s->h);
    sqlite3_clear_bindings(s->h);
    s->in_use = 0;
    if (!s->cached)
        stmt_free(s);
}

/* ---- binding, stepping, columns ---- */

/* SQLITE_RANGE (no such parameter) is the caller's mistake; SQLITE_TOOBIG and SQLITE_NOMEM
 * are the value's or the machine's. */
static int bind_rc(int rc)
{
    if (rc == SQLITE_OK)
        return 0;
    return rc == SQLITE_RANGE ? KV_EINVAL : rc == SQLITE_TOOBIG ? KV_ETOOBIG : KV_EDB;
}

static int sq_bind_text(struct kv_stmt *s, int idx, const char *v, size_t len)
{
    if (!v)
        return bind_rc(sqlite3_bind_null(SQ(s)->h, idx));
    return bind_rc(sqlite3_bind_text64(SQ(s)->h, idx, v, (sqlite3_uint64)len, SQLITE_TRANSIENT,
                                       SQLITE_UTF8));
}

static int sq_bind_text_static(struct kv_stmt *s, int idx, const char *v, size_t len)
{
    return bind_rc(sqlite3_bind_text64(SQ(s)->h, idx, v, (sqlite3_uint64)len, SQLITE_STATIC,
                                       SQLITE_UTF8));
}

static int sq_bind_int64(struct kv_stmt *s, int idx, int64_t v)
{
    return bind_rc(sqlite3_bind_int64(SQ(s)->h, idx, (sqlite3_int64)v));
}

static int sq_bind_blob(struct kv_stmt *s, int idx, const void *v, size_t len)
{
    if (len == 0)
        return bind_rc(sqlite3_bind_zeroblob(SQ(s)->h, idx, 0));
    return bind_rc(sqlite3_bind_blob64(SQ(s)->h, idx, v, (sqlite3_uint64)len, SQLITE_TRANSIENT));
}

static int sq_bind_blob_static(struct kv_stmt *s, int idx, const void *v, size_t len)
{
    if (len == 0)
        return bind_rc(sqlite3_bind_zeroblob(SQ(s)->h, idx, 0));
    return bind_rc(sqlite3_bind_blob64(SQ(s)->h, idx, v, (sqlite3_uint64)len, SQLITE_STATIC));
}

static int sq_bind_null(struct kv_stmt *s, int idx)
{
    return bind_rc(sqlite3_bind_null(SQ(s)->h, idx));
}

static int sq_step(struct kv_stmt *ks, struct kv_err *err)
{
    struct sqlite_stmt *s = SQ(ks);
    int rc = sqlite3_step(s->h);

    if (rc == SQLITE_ROW)
        return KV_ROW;
    if (rc == SQLITE_DONE)
        return KV_DONE;
    /* Reset now so the statement's error does not resurface on its next use. */
    rc = db_error(s->db->h, err, "sqlite");
    sqlite3_reset(s->h);
    return rc;
}

/* The rowid of the row the connection's last INSERT put in (its triggers' own inserts are not
 * counted once they have ended: SQLite restores the value). */
static int64_t sq_last_insert_id(struct kv_stmt *s)
{
    return (int64_t)sqlite3_last_insert_rowid(SQ(s)->db->h);
}

static const char *sq_col_text(struct kv_stmt *s, int idx)
{
    return (const char *)sqlite3_column_text(SQ(s)->h, idx);
}

static int64_t sq_col_int64(struct kv_stmt *s, int idx)
{
    return (int64_t)sqlite3_column_int64(SQ(s)->h, idx);
}

static const void *sq_col_blob(struct kv_stmt *s, int idx, size_t *out_len)
{
    const void *p = sqlite3_column_blob(SQ(s)->h, idx);

    if (out_len)
        *out_len = (size_t)sqlite3_column_bytes(SQ(s)->h, idx);
    return p;
}

static int sq_col_is_null(struct kv_stmt *s, int idx)
{
    return sqlite3_column_type(SQ(s)->h, idx) == SQLITE_NULL;
}

static int64_t sq_changes(struct kv_db *kdb)
{
    return (int64_t)sqlite3_changes64(((struct sqlite_db *)kdb)->h);
}

/* ---- transactions, durability, maintenance ---- */

/* BEGIN IMMEDIATE takes the write lock now (waiting up to the busy timeout), so reads inside
 * the transaction see the state the writes will change. */
/* One writer at a time: shared or not, BEGIN IMMEDIATE excludes every other writer. */
static int sq_begin(struct kv_db *db, int shared, struct kv_err *err)
{
    (void)shared;
    return sq_exec(db, "BEGIN IMMEDIATE", err);
}

/* synchronous=NORMAL in WAL mode: a commit is not fsynced, the WAL is at checkpoints; a crash
 * of the process loses nothing, a power failure may lose the last commits. */
static int sq_durability(struct kv_db *db, enum kv_durability d, struct kv_err *err)
{
    return sq_exec(db, d == KV_DURABILITY_LAZY ? "PRAGMA synchronous=NORMAL"
                                               : "PRAGMA synchronous=FULL",
                   err);
}

/* The -wal and -shm files exist while a connection is open (this one is). One deleted under
 * the running process (a clean-up script, an operator freeing space) keeps working through
 * the open descriptors, but what was committed since the last checkpoint then lives only in a
 * deleted file: a kill -9 loses it, and another process opening the directory starts a new
 * WAL beside ours. SQLite does not notice; the periodic checkpoint looks, and says so once. */
static void check_files(struct sqlite_store *ss)
{
    static const char *const suffix[] = {"-wal", "-shm"};
    size_t i;

    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        char *path = kv_xasprintf("%s%s", ss->path, suffix[i]);

        if (access(path, F_OK) != 0 && errno == ENOENT &&
            !__atomic_exchange_n(&ss->gone_logged, 1, __ATOMIC_SEQ_CST))
            kv_log(KV_LOG_ERROR, "%s was deleted while kuvert runs: letters committed since "
                   "the last checkpoint are only in the deleted file. Stop the server with "
                   "SIGTERM (its last checkpoint moves them into %s), not kill -9, and run "
                   "no other kuvert on the directory until then", path, ss->path);
        free(path);
    }
}

static int sq_checkpoint(struct kv_db *db, enum kv_checkpoint mode, struct kv_err *err)
{
    int rc = sq_exec(db, mode == KV_CHECKPOINT_TRUNCATE ? "PRAGMA wal_checkpoint(TRUNCATE)"
                                                        : "PRAGMA wal_checkpoint(PASSIVE)",
                     err);

    check_files(db->st->backend);
    return rc;
}

/* sqlite3_db_readonly: SQLite fell back to read-only at open because the file may not be
 * written (its mode or owner); access(2) says why. */
static int sq_check_writable(struct kv_db *kdb, struct kv_err *err)
{
    struct sqlite_db *db = (struct sqlite_db *)kdb;
    struct sqlite_store *ss = kdb->st->backend;

    if (sqlite3_db_readonly(db->h, "main") != 1)
        return 0;
    return kv_err_set(err, KV_EDB, "cannot write %s: %s (uid %u; check the owner and mode of "
                      "the data directory's files)", ss->path,
                      access(ss->path, W_OK) != 0 ? strerror(errno) : "opened read-only",
                      (unsigned)geteuid());
}

#define BULK_CACHE_KIB "65536"          /* page cache of the bulk writer: 64 MiB */
#define BULK_AUTOCHECKPOINT_PAGES "16384" /* its own checkpoints only past 64 MiB of WAL */

/* A page cache large enough that a batch's dirty pages are not spilled to the WAL (and
 * rewritten) before COMMIT, and checkpoints left to kv_db_checkpoint so that COMMIT does not
 * pay for them. */
static void sq_bulk_writer(struct kv_db *db)
{
    (void)sq_exec(db, "PRAGMA cache_size=-" BULK_CACHE_KIB, NULL);
    (void)sq_exec(db, "PRAGMA wal_autocheckpoint=" BULK_AUTOCHECKPOINT_PAGES, NULL);
}

const struct kv_store_ops kv__store_sqlite_ops = {
    .name = "sqlite",
    .skip_locked = "",
    .for_update = "",
    .returning_id = "", /* RETURNING is a trigger with a statement journal in SQLite 3.40 */
    .last_insert_id = sq_last_insert_id,
    .begin_snapshot = "BEGIN",
    .sequences = 0,
    .text_index = KV_TEXT_FTS5,
    .open = sq_open,
    .close = sq_close,
    .conn_open = sq_conn_open,
    .conn_close = sq_conn_close,
    .exec = sq_exec,
    .begin = sq_begin,
    .durability = sq_durability,
    .checkpoint = sq_checkpoint,
    .bulk_writer = sq_bulk_writer,
    .check_writable = sq_check_writable,
    .prepare = sq_prepare,
    .bind_text = sq_bind_text,
    .bind_text_static = sq_bind_text_static,
    .bind_int64 = sq_bind_int64,
    .bind_blob = sq_bind_blob,
    .bind_blob_static = sq_bind_blob_static,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_text = sq_col_text,
    .col_int64 = sq_col_int64,
    .col_blob = sq_col_blob,
    .col_is_null = sq_col_is_null,
    .reset = sq_reset,
    .changes = sq_changes,
};

/* SPDX-License-Identifier: MIT
 *
 * sqlite_walbuf.c: a VFS shim over SQLite's default VFS that writes a transaction's WAL frames
 * in a few large pwrite(2) calls instead of two per frame (see sqlite_walbuf.h, docs/store.md
 * "WAL frames gathered into few writes").
 *
 * SQLite appends each frame to the -wal file as two writes, its 24-byte header and its page,
 * at consecutive offsets; a commit is the frame whose header has a non-zero "database size"
 * field (bytes 4..7). The shim keeps, per -wal file handle, one run of contiguous bytes not
 * yet written ([off, off + len), at most WB_MAX bytes) and writes it to the file:
 *   - right after the page of a commit frame (so a commit's frames are in the file, in order,
 *     before SQLite syncs the file and before it publishes the new WAL-index header that lets
 *     other connections read them, whether synchronous is FULL or NORMAL; an error of this
 *     write is the commit's error, as SQLite's own write's would have been);
 *   - before a write that does not continue the run (SQLite rewriting a frame in place, or
 *     starting the log over), and when the run would outgrow WB_MAX;
 *   - before every other operation on the -wal file (read, size, truncate, sync, lock,
 *     file-control, close), so SQLite never sees the file without its own writes;
 *   - before the connection's database file takes or releases a WAL-index lock or passes a
 *     memory barrier (xShmLock, xShmBarrier): a transaction that spilled frames and then
 *     rolled back leaves them in the file before its write lock goes, exactly as without the
 *     shim, so a later writer's frames are never overwritten by stale ones. Only frames of a
 *     transaction that did not commit can still be waiting there (a commit's are written by
 *     its commit frame), so a failed write at that point loses nothing committed.
 * A crash with bytes still gathered is a crash before the commit frame reached the file:
 * SQLite's recovery ignores frames after the last valid commit, as it would have.
 *
 * The database file and every other file (journals, temp files) pass through unchanged. The
 * link from a connection's database file to its -wal file is sqlite3_database_file_object of
 * the name SQLite opens the -wal file with. A connection is used by one thread at a time
 * (store.c's pool), so a file's run needs no lock.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/sqlite_walbuf.h"

#define WB_NAME "kuvert-walbuf"
/* The longest run written at once. The unix VFS writes at most 128 KiB - 1 bytes per call
 * (its seekAndWrite masks the length with 0x1ffff), so a group commit of 32 Minimum letters
 * (~0.6 MiB of frames) is five or six writes instead of ~300. */
#define WB_MAX (124 * 1024)

enum wb_kind { WB_OTHER, WB_MAIN, WB_WAL };

struct wb_file {
    sqlite3_file base;     /* pMethods is &wb_io while the wrapped file is open */
    enum wb_kind kind;
    struct wb_file *peer;  /* WB_MAIN: its -wal file (or NULL); WB_WAL: its database file */
    unsigned char *buf;    /* WB_WAL: owned run buffer, WB_MAX bytes (NULL until a write) */
    size_t len;            /* bytes gathered */
    sqlite3_int64 off;     /* file offset of buf[0] */
    sqlite3_int64 read_off; /* WB_WAL: offset of the last read if no write followed, or -1 */
    int commit_next;       /* 1: the last write was a commit frame's header */
};

/* The wrapped VFS's file follows struct wb_file, aligned for any object. */
#define WB_REAL_OFF ((sizeof(struct wb_file) + 15) & ~(size_t)15)
#define REAL(f) ((sqlite3_file *)((char *)(f) + WB_REAL_OFF))

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *wb_base; /* the wrapped VFS */
static const char *wb_name;  /* WB_NAME once registered */
static pthread_once_t wb_once = PTHREAD_ONCE_INIT;
static unsigned long long wb_gathered, wb_flushes; /* atomics */

/* Writes the run to the file and empties it. */
static int wb_flush(struct wb_file *f)
{
    int rc;

    if (!f->len)
        return SQLITE_OK;
    rc = REAL(f)->pMethods->xWrite(REAL(f), f->buf, (int)f->len, f->off);
    f->len = 0;
    f->commit_next = 0;
    __atomic_add_fetch(&wb_flushes, 1, __ATOMIC_RELAXED);
    return rc;
}

static int wb_flush_peer(struct wb_file *f)
{
    return f->kind == WB_MAIN && f->peer ? wb_flush(f->peer) : SQLITE_OK;
}

/* 1 when the n bytes at p are a WAL frame header of a commit (database size non-zero). */
static int is_commit_header(const unsigned char *p, int n)
{
    return n == 24 && (p[4] | p[5] | p[6] | p[7]) != 0;
}

static int wb_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc, commit, reread;

    if (f->kind != WB_WAL)
        return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
    reread = off == f->read_off;
    f->read_off = -1;
    /* A commit frame's header written over the frame just read (walRewriteChecksums reads
     * each frame, then writes its header with new checksums, at a commit that overwrote
     * frames of its own transaction in place; the commit frame's comes last) is that
     * commit's last write: it goes to the file now and its error is the commit's. Gathered,
     * it would wait for the next operation, under synchronous=NORMAL the WAL-index barrier,
     * whose error SQLite never sees. */
    if (reread && is_commit_header(p, n)) {
        rc = wb_flush(f);
        if (rc != SQLITE_OK)
            return rc;
        rc = REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
        f->commit_next = 1; /* a page following it is a commit's */
        return rc;
    }
    commit = f->commit_next; /* this write is the page of a commit frame */
    if (f->len && off != f->off + (sqlite3_int64)f->len) {
        rc = wb_flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (f->len + (size_t)n > WB_MAX) {
        rc = wb_flush(f);
        if (rc != SQLITE_OK)
            return rc;
        if ((size_t)n > WB_MAX) /* never a frame's part: pages are at most 64 KiB */
            return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
    }
    if (!f->buf) {
        f->buf = malloc(WB_MAX);
        if (!f->buf) /* no memory for a run: write through, as without the shim */
            return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
    }
    if (!f->len)
        f->off = off;
    memcpy(f->buf + f->len, p, (size_t)n);
    f->len += (size_t)n;
    __atomic_add_fetch(&wb_gathered, 1, __ATOMIC_RELAXED);
    f->commit_next = is_commit_header(p, n);
    return commit ? wb_flush(f) : SQLITE_OK;
}

static int wb_close(sqlite3_file *file)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc = SQLITE_OK, rc2;

    if (f->kind == WB_WAL) {
        rc = wb_flush(f);
        if (f->peer && f->peer->peer == f)
            f->peer->peer = NULL;
        free(f->buf);
        f->buf = NULL;
    } else if (f->kind == WB_MAIN && f->peer) {
        rc = wb_flush(f->peer);
        f->peer->peer = NULL;
    }
    f->peer = NULL;
    rc2 = REAL(f)->pMethods->xClose(REAL(f));
    return rc != SQLITE_OK ? rc : rc2;
}

/* Every other operation of a -wal file first writes the run. */
#define FLUSHED(f)                                                                 \
    do {                                                                           \
        if ((f)->kind == WB_WAL) {                                                 \
            int frc_ = wb_flush(f);                                                \
            if (frc_ != SQLITE_OK)                                                 \
                return frc_;                                                       \
        }                                                                          \
    } while (0)

static int wb_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off)
{
    struct wb_file *f = (struct wb_file *)file;

    FLUSHED(f);
    if (f->kind == WB_WAL)
        f->read_off = off;
    return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    struct wb_file *f = (struct wb_file *)file;

    FLUSHED(f);
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
    struct wb_file *f = (struct wb_file *)file;

    FLUSHED(f);
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    struct wb_file *f = (struct wb_file *)file;

    FLUSHED(f);
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int wb_lock(sqlite3_file *file, int level)
{
    struct wb_file *f = (struct wb_file *)file;

    FLUSHED(f);
    return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int wb_unlock(sqlite3_file *file, int level)
{
    struct wb_file *f = (struct wb_file *)file;

    FLUSHED(f);
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int wb_check_reserved(sqlite3_file *file, int *out)
{
    struct wb_file *f = (struct wb_file *)file;

    FLUSHED(f);
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
    struct wb_file *f = (struct wb_file *)file;

    FLUSHED(f);
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int wb_sector_size(sqlite3_file *file)
{
    return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int wb_device_chars(sqlite3_file *file)
{
    return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static int wb_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
    const sqlite3_io_methods *m = REAL(file)->pMethods;

    return m->iVersion >= 2 && m->xShmMap ? m->xShmMap(REAL(file), pg, pgsz, extend, pp)
                                          : SQLITE_IOERR_SHMMAP;
}

static int wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    struct wb_file *f = (struct wb_file *)file;
    const sqlite3_io_methods *m = REAL(f)->pMethods;
    int rc = wb_flush_peer(f);

    if (rc != SQLITE_OK)
        return rc;
    return m->iVersion >= 2 && m->xShmLock ? m->xShmLock(REAL(f), offset, n, flags)
                                           : SQLITE_IOERR_SHMLOCK;
}

static void wb_shm_barrier(sqlite3_file *file)
{
    struct wb_file *f = (struct wb_file *)file;
    const sqlite3_io_methods *m = REAL(f)->pMethods;

    (void)wb_flush_peer(f); /* only frames of an uncommitted transaction can wait here */
    if (m->iVersion >= 2 && m->xShmBarrier)
        m->xShmBarrier(REAL(f));
}

static int wb_shm_unmap(sqlite3_file *file, int del)
{
    const sqlite3_io_methods *m = REAL(file)->pMethods;

    return m->iVersion >= 2 && m->xShmUnmap ? m->xShmUnmap(REAL(file), del) : SQLITE_OK;
}

static int wb_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **pp)
{
    const sqlite3_io_methods *m = REAL(file)->pMethods;

    *pp = NULL;
    return m->iVersion >= 3 && m->xFetch ? m->xFetch(REAL(file), off, n, pp) : SQLITE_OK;
}

static int wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    const sqlite3_io_methods *m = REAL(file)->pMethods;

    return m->iVersion >= 3 && m->xUnfetch ? m->xUnfetch(REAL(file), off, p) : SQLITE_OK;
}

static const sqlite3_io_methods wb_io = {
    .iVersion = 3,
    .xClose = wb_close,
    .xRead = wb_read,
    .xWrite = wb_write,
    .xTruncate = wb_truncate,
    .xSync = wb_sync,
    .xFileSize = wb_file_size,
    .xLock = wb_lock,
    .xUnlock = wb_unlock,
    .xCheckReservedLock = wb_check_reserved,
    .xFileControl = wb_file_control,
    .xSectorSize = wb_sector_size,
    .xDeviceCharacteristics = wb_device_chars,
    .xShmMap = wb_shm_map,
    .xShmLock = wb_shm_lock,
    .xShmBarrier = wb_shm_barrier,
    .xShmUnmap = wb_shm_unmap,
    .xFetch = wb_fetch,
    .xUnfetch = wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    struct wb_file *f = (struct wb_file *)file;
    int rc;

    (void)vfs;
    memset(f, 0, sizeof(*f));
    rc = wb_base->xOpen(wb_base, name, REAL(f), flags, out_flags);
    if (!REAL(f)->pMethods)
        return rc; /* base.pMethods stays NULL: SQLite will not call xClose */
    f->base.pMethods = &wb_io;
    if (rc != SQLITE_OK)
        return rc;
    if (flags & SQLITE_OPEN_MAIN_DB) {
        f->kind = WB_MAIN;
    } else if ((flags & SQLITE_OPEN_WAL) && name) {
        struct wb_file *db = (struct wb_file *)sqlite3_database_file_object(name);

        f->kind = WB_WAL;
        f->read_off = -1;
        if (db && db->base.pMethods == &wb_io && db->kind == WB_MAIN) {
            if (db->peer)
                (void)wb_flush(db->peer); /* not expected: one -wal file per connection */
            db->peer = f;
            f->peer = db;
        }
    }
    return SQLITE_OK;
}

/* ---- the rest of the VFS forwards to the wrapped one ---- */

static int wb_delete(sqlite3_vfs *v, const char *name, int dir_sync)
{
    (void)v;
    return wb_base->xDelete(wb_base, name, dir_sync);
}

static int wb_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return wb_base->xAccess(wb_base, name, flags, out);
}

static int wb_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return wb_base->xFullPathname(wb_base, name, n, out);
}

static void *wb_dlopen(sqlite3_vfs *v, const char *name)
{
    (void)v;
    return wb_base->xDlOpen(wb_base, name);
}

static void wb_dlerror(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    wb_base->xDlError(wb_base, n, out);
}

static void (*wb_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return wb_base->xDlSym(wb_base, h, sym);
}

static void wb_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    wb_base->xDlClose(wb_base, h);
}

static int wb_randomness(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return wb_base->xRandomness(wb_base, n, out);
}

static int wb_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return wb_base->xSleep(wb_base, us);
}

static int wb_current_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return wb_base->xCurrentTime(wb_base, out);
}

static int wb_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return wb_base->xGetLastError ? wb_base->xGetLastError(wb_base, n, out) : 0;
}

static int wb_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return wb_base->xCurrentTimeInt64(wb_base, out);
}

static void wb_register(void)
{
    sqlite3_vfs *base = sqlite3_vfs_find(NULL);

    if (!base || base->iVersion < 2 || !base->xCurrentTimeInt64)
        return;
    wb_base = base;
    memset(&wb_vfs, 0, sizeof(wb_vfs));
    wb_vfs.iVersion = 2;
    wb_vfs.szOsFile = (int)WB_REAL_OFF + base->szOsFile;
    wb_vfs.mxPathname = base->mxPathname;
    wb_vfs.zName = WB_NAME;
    wb_vfs.xOpen = wb_open;
    wb_vfs.xDelete = wb_delete;
    wb_vfs.xAccess = wb_access;
    wb_vfs.xFullPathname = wb_full_pathname;
    wb_vfs.xDlOpen = wb_dlopen;
    wb_vfs.xDlError = wb_dlerror;
    wb_vfs.xDlSym = wb_dlsym;
    wb_vfs.xDlClose = wb_dlclose;
    wb_vfs.xRandomness = wb_randomness;
    wb_vfs.xSleep = wb_sleep;
    wb_vfs.xCurrentTime = wb_current_time;
    wb_vfs.xGetLastError = wb_last_error;
    wb_vfs.xCurrentTimeInt64 = wb_current_time64;
    if (sqlite3_vfs_register(&wb_vfs, 0) == SQLITE_OK)
        wb_name = WB_NAME;
}

const char *kv__sqlite_walbuf_vfs(void)
{
    pthread_once(&wb_once, wb_register);
    return wb_name;
}

void kv__sqlite_walbuf_counts(unsigned long long *gathered, unsigned long long *flushes)
{
    if (gathered)
        *gathered = __atomic_load_n(&wb_gathered, __ATOMIC_RELAXED);
    if (flushes)
        *flushes = __atomic_load_n(&wb_flushes, __ATOMIC_RELAXED);
}

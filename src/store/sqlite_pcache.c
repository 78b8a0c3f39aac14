/* SPDX-License-Identifier: MIT
 *
 * sqlite_pcache.c: SQLite's default page cache, wrapped so that a truncation with nothing to
 * drop costs nothing (see sqlite_pcache.h). Owned by the SQLite backend (store_sqlite.c).
 *
 * Why. At every COMMIT (and rollback) SQLite's pager truncates its page cache to the database
 * size: xTruncate(iLimit = pages + 1) must drop every cached page with a key >= iLimit. The
 * default cache (pcache1) keeps the largest key it has held since its last truncation and, when
 * that lies at least a hash table's size above iLimit, visits every hash bucket and every cached
 * page instead of only the keys in between. B-tree balancing (balance_nonroot) renumbers new
 * sibling pages into ascending order by swapping them through a temporary page number,
 * PENDING_BYTE / page size + 1 (262,145 with 4 KiB pages), far above the end of a database under
 * 1 GiB, so nearly every write transaction raised that maximum and the following COMMIT walked
 * the whole cache. The letter writer's cache is 64 MiB (16,384 buckets, ~16,000 pages): 5-8 %
 * of all server CPU samples on Minimum letters went to that walk, none of which dropped a page.
 *
 * What. Per cache, an upper bound of the keys it may hold: `hi` over every key returned by
 * xFetch or given to xRekey, except one page moved by xRekey above `hi` (the "outlier", the
 * page sitting at the temporary number), which is tracked by its handle and key and forgotten
 * when it is moved on (xRekey of that handle), discarded (xUnpin with discard), fetched back
 * under another key (its handle recycled after an eviction), or replaced at its key. A page
 * leaves the cache only through calls that pass here or through evictions; an eviction only
 * makes the bound looser, never wrong. xTruncate(iLimit) is passed on unless iLimit > hi and
 * the outlier (if any) is below iLimit: then the cache holds no key >= iLimit and the wrapped
 * truncation would drop nothing. After a passed-on truncation the bound is
 * lowered to iLimit - 1. So a truncation that drops pages (a rollback past new pages, a cache
 * clear with a small iLimit) is always passed on, and the wrapped cache sees the same fetches,
 * unpins, rekeys and shrinks in the same order as without the wrapper.
 *
 * Threads. A cache object belongs to one connection's pager and its methods are called only by
 * the thread using that connection (store.c hands a connection to one thread at a time, under
 * its pool mutex; SQLite's own locking applies in serialized mode), so the per-cache bound
 * needs no lock. The wrapped methods keep their own (global) locking. The methods table is
 * written once, in kv__sqlite_pcache_install, before SQLite initialises.
 */
#include <pthread.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "store/sqlite_pcache.h"

struct pc_cache {
    sqlite3_pcache *inner;         /* owned: the wrapped cache */
    unsigned hi;                   /* no key above it, except the outlier's */
    sqlite3_pcache_page *out_page; /* the outlier's handle (compared, never read), or NULL */
    unsigned out_key;              /* its key while out_page is set */
};

#define PC(p) ((struct pc_cache *)(p))

static sqlite3_pcache_methods2 pc_base; /* the wrapped methods */
static int pc_installed;
static pthread_once_t pc_once = PTHREAD_ONCE_INIT;
static unsigned long long pc_forwarded, pc_skipped; /* atomics */

static int pc_init(void *arg)
{
    (void)arg;
    return pc_base.xInit ? pc_base.xInit(pc_base.pArg) : SQLITE_OK;
}

static void pc_shutdown(void *arg)
{
    (void)arg;
    if (pc_base.xShutdown)
        pc_base.xShutdown(pc_base.pArg);
}

static sqlite3_pcache *pc_create(int sz_page, int sz_extra, int purgeable)
{
    struct pc_cache *c;
    sqlite3_pcache *inner = pc_base.xCreate(sz_page, sz_extra, purgeable);

    if (!inner)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (!c) {
        pc_base.xDestroy(inner);
        return NULL;
    }
    c->inner = inner;
    return (sqlite3_pcache *)c;
}

static void pc_cachesize(sqlite3_pcache *p, int n)
{
    pc_base.xCachesize(PC(p)->inner, n);
}

static int pc_pagecount(sqlite3_pcache *p)
{
    return pc_base.xPagecount(PC(p)->inner);
}

static sqlite3_pcache_page *pc_fetch(sqlite3_pcache *p, unsigned key, int create)
{
    struct pc_cache *c = PC(p);
    sqlite3_pcache_page *pg = pc_base.xFetch(c->inner, key, create);

    if (!pg)
        return NULL;
    if (c->out_page && key == c->out_key) {
        c->out_page = pg; /* the page at the outlier's key (the same, or a new one there) */
    } else {
        if (pg == c->out_page)
            c->out_page = NULL; /* the outlier's handle reused: it left its key */
        if (key > c->hi)
            c->hi = key;
    }
    return pg;
}

static void pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *pg, int discard)
{
    struct pc_cache *c = PC(p);

    pc_base.xUnpin(c->inner, pg, discard);
    if (discard && pg == c->out_page)
        c->out_page = NULL;
}

static void pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *pg, unsigned old_key,
                     unsigned new_key)
{
    struct pc_cache *c = PC(p);

    pc_base.xRekey(c->inner, pg, old_key, new_key);
    /* The outlier moves on (or its handle, reused, does), or is replaced at its key. */
    if (pg == c->out_page || (c->out_page && new_key == c->out_key))
        c->out_page = NULL;
    if (new_key > c->hi) {
        if (!c->out_page) {
            c->out_page = pg;
            c->out_key = new_key;
        } else {
            c->hi = new_key;
        }
    }
}

static void pc_truncate(sqlite3_pcache *p, unsigned limit)
{
    struct pc_cache *c = PC(p);

    if (limit > c->hi && !(c->out_page && c->out_key >= limit)) {
        __atomic_add_fetch(&pc_skipped, 1, __ATOMIC_RELAXED);
        return; /* no key >= limit in the cache: the wrapped call would drop nothing */
    }
    pc_base.xTruncate(c->inner, limit);
    __atomic_add_fetch(&pc_forwarded, 1, __ATOMIC_RELAXED);
    if (limit == 0)
        c->hi = 0;
    else if (c->hi > limit - 1)
        c->hi = limit - 1;
    if (c->out_page && c->out_key >= limit)
        c->out_page = NULL;
}

static void pc_destroy(sqlite3_pcache *p)
{
    struct pc_cache *c = PC(p);

    pc_base.xDestroy(c->inner);
    free(c);
}

static void pc_shrink(sqlite3_pcache *p)
{
    pc_base.xShrink(PC(p)->inner);
}

static void pc_install_once(void)
{
    static sqlite3_pcache_methods2 m;

    /* Both refuse (SQLITE_MISUSE) once SQLite is initialised. */
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &pc_base) != SQLITE_OK || !pc_base.xCreate ||
        !pc_base.xFetch || !pc_base.xTruncate || !pc_base.xRekey || !pc_base.xUnpin ||
        !pc_base.xDestroy || !pc_base.xCachesize || !pc_base.xPagecount || !pc_base.xShrink)
        return;
    m.iVersion = 1;
    m.pArg = NULL;
    m.xInit = pc_init;
    m.xShutdown = pc_shutdown;
    m.xCreate = pc_create;
    m.xCachesize = pc_cachesize;
    m.xPagecount = pc_pagecount;
    m.xFetch = pc_fetch;
    m.xUnpin = pc_unpin;
    m.xRekey = pc_rekey;
    m.xTruncate = pc_truncate;
    m.xDestroy = pc_destroy;
    m.xShrink = pc_shrink;
    pc_installed = sqlite3_config(SQLITE_CONFIG_PCACHE2, &m) == SQLITE_OK;
}

int kv__sqlite_pcache_install(void)
{
    pthread_once(&pc_once, pc_install_once);
    return pc_installed;
}

void kv__sqlite_pcache_counts(unsigned long long *forwarded, unsigned long long *skipped)
{
    if (forwarded)
        *forwarded = __atomic_load_n(&pc_forwarded, __ATOMIC_RELAXED);
    if (skipped)
        *skipped = __atomic_load_n(&pc_skipped, __ATOMIC_RELAXED);
}

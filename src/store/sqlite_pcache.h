/* SPDX-License-Identifier: MIT
 *
 * sqlite_pcache.h: the page cache of every SQLite connection in a kuvert process. Owned by the
 * SQLite backend (store_sqlite.c installs it once, before SQLite initialises); not for domain
 * code. It is SQLite's own default page cache behind a thin wrapper that forwards every
 * method and changes one thing: a truncation (xTruncate) that provably has nothing to drop,
 * because no page with a key at or above the limit can be in the cache, is not passed on.
 * SQLite truncates the cache at every COMMIT (to the database size), and its default cache
 * then walks every hash bucket and cached page whenever a page was ever keyed far above the
 * limit, which B-tree balancing does in almost every transaction (it renumbers pages through a
 * temporary page number just above the 1 GiB lock byte). With the letter writer's 64 MiB
 * cache that walk was 5-8 % of the server's CPU on Minimum letters (docs/send-api.md "Cuts of
 * session 10"). Pages, their contents and every other decision stay SQLite's.
 */
#ifndef KV_STORE_SQLITE_PCACHE_H
#define KV_STORE_SQLITE_PCACHE_H

/* Installs the wrapper as SQLite's page cache (sqlite3_config SQLITE_CONFIG_PCACHE2) around
 * the page cache configured so far (SQLite's default). Must run before anything initialises
 * SQLite (sqlite3_initialize, or any sqlite3_open); not thread-safe, like sqlite3_config: the
 * caller runs it once (store_sqlite.c under pthread_once). Returns 1 when installed (now or by
 * an earlier call), 0 when SQLite was already initialised (then SQLite's cache is used
 * unwrapped: the same results, the walk not avoided). */
int kv__sqlite_pcache_install(void);

/* Counters of this process since start, for tests and profiles: truncations passed on to the
 * wrapped cache (*forwarded) and those it had nothing to drop for (*skipped). Either may be
 * NULL. */
void kv__sqlite_pcache_counts(unsigned long long *forwarded, unsigned long long *skipped);

#endif

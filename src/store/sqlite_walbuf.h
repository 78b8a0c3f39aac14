/* SPDX-License-Identifier: MIT
 *
 * sqlite_walbuf.h: the SQLite VFS that store_sqlite.c opens its connections with. It wraps
 * SQLite's default VFS ("unix") and changes one thing: the writes of a transaction's frames
 * to the -wal file (two per frame: header, page) are gathered in memory and written in runs of
 * up to 124 KiB, the last one when the commit frame is written, before SQLite syncs or
 * publishes it (docs/store.md "WAL frames gathered into few writes").
 * Nothing else changes: the same bytes reach the same offsets in the same order before anyone
 * can read them. Not for domain code.
 */
#ifndef KV_STORE_SQLITE_WALBUF_H
#define KV_STORE_SQLITE_WALBUF_H

/* The name of the VFS to pass to sqlite3_open_v2, registered on the first call (thread-safe,
 * never the process's default VFS), or NULL when SQLite has no default VFS to wrap (then
 * SQLite's default is used as before). */
const char *kv__sqlite_walbuf_vfs(void);

/* Counters of this process since start, for tests and profiles: frame writes gathered
 * (*gathered) and the writes that reached the file (*flushes). Either may be NULL. */
void kv__sqlite_walbuf_counts(unsigned long long *gathered, unsigned long long *flushes);

#endif

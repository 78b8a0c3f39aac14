/* SPDX-License-Identifier: MIT
 *
 * system_cache.h: the gate's cache of system authentications. A sender system sends letter
 * after letter with the same API token; reading its row for each one cost a database
 * connection, a read transaction and, since every group commit of the letter writer drops a
 * connection's page cache, 4-7 pread(2) per request (docs/send-api.md, cost section). The
 * cache keeps, per system id, the row and its stored secret hash as read under the store's
 * credentials generation (store.h kv_store_credentials_generation); an entry is used only
 * while that generation is still current, so a rotated secret, a deactivation or a changed
 * address list takes effect for the next request, whichever process made it (a CLI command
 * on the same SQLite database advances the shared generation too). The secret itself is
 * never kept: each request's secret is hashed and compared with the kept hash in constant
 * time, exactly as kv_system_authenticate does. Failed look-ups are not kept. On PostgreSQL
 * (generation -1: other nodes change the database) nothing is cached.
 *
 * Ownership: the cache is owned by its creator (kv_system_cache_new/_free) and thread-safe.
 */
#ifndef KV_HUB_SYSTEM_CACHE_H
#define KV_HUB_SYSTEM_CACHE_H

#include "util/err.h"

struct kv_store;
struct kv_system;
struct kv_system_cache;

/* Returns owned cache for store st (borrowed; must outlive the cache). */
struct kv_system_cache *kv_system_cache_new(struct kv_store *st);
void kv_system_cache_free(struct kv_system_cache *c);

/* kv_system_authenticate (directory.h) through the cache: same results and messages. Writes
 * all of *out on every return, success or error (the row, or zeros): api/gate.c's reused
 * principal relies on it and does not zero out->system itself. */
int kv_system_cache_authenticate(struct kv_system_cache *c, const char *authorization,
                                 struct kv_system *out, struct kv_err *err);

/* Look-ups answered from the cache and from the database so far (for tests and benches). */
void kv_system_cache_stats(struct kv_system_cache *c, unsigned long long *hits,
                           unsigned long long *misses);

#endif

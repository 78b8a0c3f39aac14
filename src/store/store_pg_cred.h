/* SPDX-License-Identifier: MIT
 *
 * store_pg_cred.h: the PostgreSQL backend's credentials generation (store_pg_cred.c): a
 * listener thread on `LISTEN kuvert_credentials`, started by the first question. Internal to
 * src/store/.
 *
 * Ownership: kv__pg_cred_new returns an owned state (kv__pg_cred_free joins the thread);
 * kv__pg_cred_counter points into it (store.c advances it for changes made in this process).
 * Threading: every function but _new/_free may be called from any thread.
 */
#ifndef KV_STORE_PG_CRED_H
#define KV_STORE_PG_CRED_H

#include <stdint.h>

struct kv__pg_cred;

/* The NOTIFY that a write of a credential row sends, in its transaction: the payload is the
 * schema, so installations in other schemas of the same database are not disturbed. */
#define KV__PG_CRED_NOTIFY "SELECT pg_notify('kuvert_credentials', current_schema())"
/* The listener connection's application_name (pg_stat_activity), followed by " PID". */
#define KV__PG_CRED_APP "kuvert credentials listener"

struct kv__pg_cred *kv__pg_cred_new(const char *conninfo);
void kv__pg_cred_free(struct kv__pg_cred *c);
uint64_t *kv__pg_cred_counter(struct kv__pg_cred *c);
/* The generation, or -1 while this process does not listen (the first call starts it). */
int64_t kv__pg_cred_generation(struct kv__pg_cred *c);

#endif

/* SPDX-License-Identifier: MIT
 *
 * lease.h: leases held in the database, so that several `kuvert serve` nodes on one database
 * share background work without doing twice what must happen once (docs/postgresql.md
 * "Several nodes on one database"). A lease is a row of table work_leases: a name (any text:
 * one outbox such as "mail", or one work item such as "print:42"), the node that holds it and
 * the moment it runs out. A node takes a lease that is free, run out or already its own; a
 * killed node's leases become free when they run out (at most the lease time after its last
 * renewal), a stopped node gives them back at once. Writes are short write transactions of
 * their own (kv_db_begin: serialised with every other writer, on SQLite and PostgreSQL alike),
 * so taking is race-free without any backend-specific SQL.
 *
 * Two layers:
 *   - kv_lease_take / kv_lease_held / kv_lease_drop: one lease, on a connection the caller
 *     owns. For per-item claims (take "spool:<id>" before the side effect, drop it with the
 *     outcome) and for fencing (kv_lease_held inside the transaction that records an outcome).
 *   - struct kv_leases: the set of leases a node's scheduler holds for whole passes of a
 *     background job, kept alive by a renewer thread while the pass runs (a long pass does not
 *     lose its lease), given back by kv_leases_stop. kv_hub_add_leased_hook (hub.h) is how a
 *     scheduler hook runs under one.
 *
 * Guarantee: while a node is alive and reaches the database, nobody else holds its leases.
 * A node cut off from the database for longer than the lease time loses them while it may still
 * be finishing a side effect (an HTTP push in flight): such work is then done at least once,
 * not exactly once — outboxes are idempotent on the receiving side (messageUUID, receipt id).
 *
 * Ownership: holder and name strings are borrowed for the call (the set copies names).
 * Threading: the set is thread-safe; kv_lease_* use the caller's connection.
 */
#ifndef KV_HUB_LEASE_H
#define KV_HUB_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_db;
struct kv_store;
struct kv_leases;

#define KV_LEASE_NAME_MAX 128   /* bytes of a lease name */
#define KV_LEASE_HOLDER_MAX 256 /* bytes of a holder id */
#define KV_LEASE_SET_MAX 16     /* leases one set holds at most */

/* Takes lease name for holder until now_ms + ttl_ms, or renews it when holder has it: *held is
 * 1 then, 0 when another holder's lease is still running (nothing written). Runs its own write
 * transaction (db must not be in one); a look without the write lock first, so a lease held
 * elsewhere costs one read. KV_EINVAL on an empty or overlong name/holder or ttl_ms < 1. */
int kv_lease_take(struct kv_db *db, const char *name, const char *holder, int64_t now_ms,
                  int64_t ttl_ms, int *held, struct kv_err *err);
/* *held = 1 when holder holds name and it has not run out at now_ms. Usable inside the
 * caller's transaction (a fence before recording an outcome). */
int kv_lease_held(struct kv_db *db, const char *name, const char *holder, int64_t now_ms,
                  int *held, struct kv_err *err);
/* Gives name back if holder has it (own write transaction; nothing when it does not). */
int kv_lease_drop(struct kv_db *db, const char *name, const char *holder, struct kv_err *err);

/* Builds the default holder id of a node into out: "<hostname>:<data dir>" (the data
 * directory distinguishes nodes on one machine and survives a restart, so a restarted node
 * takes its own leases back at once). Truncated to n-1 bytes. */
void kv_lease_default_holder(const char *data_dir, char *out, size_t n);

/* Starts a set for holder (copied) with lease time ttl_ms over st (borrowed); its renewer
 * thread renews every held lease about every ttl_ms/3. Returns owned set (kv_leases_stop). */
int kv_leases_start(struct kv_store *st, const char *holder, int64_t ttl_ms,
                    struct kv_leases **out, struct kv_err *err);
/* Stops the renewer, gives back every lease still held, frees ls. NULL-safe. */
void kv_leases_stop(struct kv_leases *ls);
/* Takes or renews name (kv_lease_take at the current time); while held, the renewer keeps it.
 * Returns 1 held, 0 held by another node (or lost), negative on a database error (then the
 * caller does not run the job: at-most-one beats progress). */
int kv_leases_hold(struct kv_leases *ls, const char *name, struct kv_err *err);
/* This set's holder id (borrowed, lives as long as ls). */
const char *kv_leases_holder(const struct kv_leases *ls);

#endif

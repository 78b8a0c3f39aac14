/* SPDX-License-Identifier: MIT
 *
 * mailbox_fill.h: what the mailbox benchmarks (mailbox_bench.c, search_bench.c) share: a
 * monotonic clock in ms, the order of timings for their percentiles, dying with the program's
 * name, the mailbox and letter rows they insert with plain SQL (the send pipeline's own speed
 * is send_bench's business) and removal of the bench's data directory. Header-only (static
 * inline), included by one benchmark program each.
 *
 * Ownership: everything borrows.
 */
#ifndef KV_BENCH_MAILBOX_FILL_H
#define KV_BENCH_MAILBOX_FILL_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "store/store.h"

#define BENCH_OWNER "0101701234" /* the citizen whose mailbox is measured */
#define BENCH_OTHER_BOXES 1000   /* the other mailboxes of the store */

static inline double bench_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* qsort order of timings (double), smallest first. */
static inline int bench_cmp_ms(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* "<program>: what: err's message" on stderr, exit status 1. */
static inline void bench_die(const char *what, const struct kv_err *err)
{
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, err->msg);
    exit(1);
}

/* A new REGISTERED mailbox of the citizen cpr; its id. */
static inline int64_t bench_mailbox(struct kv_db *db, const char *cpr, struct kv_err *err)
{
    struct kv_stmt *s;
    int64_t id = 0;

    if (kv_db_prepare(db, "INSERT INTO mailboxes (owner_type, owner_id, name, status, created_ms,"
                          " uuid, subscription_uuid) VALUES ('CPR', ?, 'Bench', 'REGISTERED', 1,"
                          " ?, ?) RETURNING id",
                      &s, err) < 0)
        bench_die("prepare mailbox", err);
    kv_stmt_bind_text(s, 1, cpr, -1);
    kv_stmt_bind_text(s, 2, cpr, -1);
    kv_stmt_bind_text(s, 3, cpr, -1);
    if (kv_stmt_step(s, err) == KV_ROW)
        id = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (!id)
        bench_die("insert mailbox", err);
    return id;
}

/* The messageUUID of letter n. */
static inline void bench_uuid(int64_t n, char out[37])
{
    snprintf(out, 37, "00000000-0000-4000-8000-%012" PRIx64, (uint64_t)n);
}

/* Inserts letter n (messageUUID bench_uuid(n)), delivered at t (ms) to the inbox of mailbox mb
 * of the citizen cpr, titled label, with body (blen bytes); read 5 ms after delivery unless n
 * is a multiple of 10 (every tenth unread). In the caller's transaction. */
static inline void bench_letter(struct kv_db *db, int64_t n, int64_t t, int64_t mb,
                                const char *cpr, const char *label, const void *body,
                                size_t blen, struct kv_err *err)
{
    struct kv_stmt *s;
    char uuid[37];

    bench_uuid(n, uuid);
    if (kv_db_prepare(db,
                      "INSERT INTO letters (message_uuid, transmission_id, sender_system,"
                      " sender_cvr, sender_label, recipient_type, recipient_id, mailbox_id, label,"
                      " message_type, memo_version, body_sha256, body, size, state,"
                      " receipt_status, available_ms, created_ms, read_ms, folder)"
                      " VALUES (?, ?, 'bench', '12345678', 'Kommunen', 'CPR', ?, ?, ?,"
                      " 'DIGITALPOST', '1.2', 'x', ?, ?, 'AVAILABLE', 'RECEIVED', ?, ?, ?,"
                      " 'inbox')",
                      &s, err) < 0)
        bench_die("prepare letter", err);
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, uuid, -1);
    kv_stmt_bind_text(s, 3, cpr, -1);
    kv_stmt_bind_int64(s, 4, mb);
    kv_stmt_bind_text(s, 5, label, -1);
    kv_stmt_bind_blob(s, 6, body, blen);
    kv_stmt_bind_int64(s, 7, (int64_t)blen);
    kv_stmt_bind_int64(s, 8, t);
    kv_stmt_bind_int64(s, 9, t);
    if (n % 10 == 0)
        kv_stmt_bind_null(s, 10);
    else
        kv_stmt_bind_int64(s, 10, t + 5);
    if (kv_stmt_step(s, err) < 0)
        bench_die("insert letter", err);
    kv_stmt_done(s);
}

/* Removes the bench's data directory dir (a mkdtemp name: no quote in it). */
static inline void bench_rmdir(const char *dir)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "%s: could not remove %s\n", program_invocation_short_name, dir);
}

#endif

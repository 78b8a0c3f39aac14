/* SPDX-License-Identifier: MIT
 *
 * queue_letters.h: what the recipient-side benchmarks (push_bench.c, recipient_bench.c) share:
 * a monotonic timer, a MeMo template whose messageUUID is rewritten per letter, unique
 * messageUUIDs, the bulk insert of letters routed to an authority's recipient systems
 * (straight into the store, 10,000 per transaction, with kv_recipient_route as the send
 * pipeline does) and removal of the bench's data directory. Header-only (static inline),
 * included by one benchmark program each.
 *
 * Ownership: a struct tmpl owns its buffer (free(t.buf)); everything else borrows.
 */
#ifndef KV_BENCH_QUEUE_LETTERS_H
#define KV_BENCH_QUEUE_LETTERS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hub/recipient_queue.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define EX "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"
#define EX_UUID "8C2EA15D-61FB-4BA9-9366-42F8B194C114" /* messageUUID of the examples */
#define AUTH "55133018"   /* the authority the letters go to */
#define SENDER "12345678" /* the sending organisation */

static inline double bench_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A MeMo template and the offsets of its messageUUID. */
struct tmpl {
    char *buf;     /* owned bytes */
    size_t len;    /* length */
    size_t off[8]; /* offsets of EX_UUID */
    int n_off;     /* occurrences */
};

/* Reads the example at path into t; -1 when missing or without EX_UUID. */
static inline int bench_tmpl_load(const char *path, struct tmpl *t)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    memset(t, 0, sizeof(*t));
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0) {
        fclose(f);
        return -1;
    }
    t->buf = kv_xmalloc((size_t)n + 1);
    t->len = fread(t->buf, 1, (size_t)n, f);
    t->buf[t->len] = '\0';
    fclose(f);
    for (p = t->buf; (p = strstr(p, EX_UUID)) != NULL && t->n_off < 8; p += 36)
        t->off[t->n_off++] = (size_t)(p - t->buf);
    return t->n_off > 0 ? 0 : -1;
}

/* The i-th letter's messageUUID (unique per run: salt + counter). */
static inline void uuid_of(uint64_t salt, uint64_t i, char out[37])
{
    snprintf(out, 37, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
             (unsigned long long)(salt & 0xffffffffu), (unsigned long long)((salt >> 32) & 0xffff),
             (unsigned long long)((i >> 48) & 0xfff), (unsigned long long)((i >> 36) & 0xfff),
             (unsigned long long)(i & 0xffffffffffffULL));
}

/* Inserts n AVAILABLE letters from sender_system to AUTH, the i-th routed through contact
 * point points[i % n_points]; bodies from t with fresh messageUUIDs, or a tiny stand-in body
 * when t is NULL (queue-length benchmarks that never read bodies). */
static inline int bench_insert_letters(struct kv_db *db, const char *sender_system,
                                       char points[][37], int n_points, int64_t n,
                                       const struct tmpl *t, uint64_t salt, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char uuid[37], *body = t ? kv_xmalloc(t->len) : NULL, small[64];
    int64_t i, id;
    int rc = 0, k;

    for (i = 0; rc == 0 && i < n; i++) {
        const void *b = small;
        size_t blen;

        if (i % 10000 == 0) {
            if (i > 0)
                rc = kv_db_commit(db, err);
            if (rc == 0)
                rc = kv_db_begin(db, err);
            if (rc < 0)
                break;
        }
        uuid_of(salt, (uint64_t)i, uuid);
        if (t) {
            memcpy(body, t->buf, t->len);
            for (k = 0; k < t->n_off; k++)
                memcpy(body + t->off[k], uuid, 36);
            b = body;
            blen = t->len;
        } else {
            blen = (size_t)snprintf(small, sizeof(small), "<memo>%s</memo>", uuid);
        }
        rc = kv_db_prepare(db,
                           "INSERT INTO letters (message_uuid, transmission_id, sender_system, "
                           "sender_cvr, recipient_type, recipient_id, label, message_type, "
                           "memo_version, body_sha256, body, size, state, receipt_status, "
                           "available_ms, created_ms) VALUES (?, ?, ?, ?, 'CVR', ?, 'Brev', "
                           "'DIGITALPOST', '1.2', 'x', ?, ?, 'AVAILABLE', 'RECEIVED', ?, ?) "
                           "RETURNING id",
                           &s, err);
        if (rc < 0)
            break;
        kv_stmt_bind_text(s, 1, uuid, 36);
        kv_stmt_bind_text(s, 2, uuid, 36);
        kv_stmt_bind_text(s, 3, sender_system, -1);
        kv_stmt_bind_text(s, 4, SENDER, -1);
        kv_stmt_bind_text(s, 5, AUTH, -1);
        kv_stmt_bind_blob(s, 6, b, blen);
        kv_stmt_bind_int64(s, 7, (int64_t)blen);
        kv_stmt_bind_int64(s, 8, kv_clock_now_ms() - 1000);
        kv_stmt_bind_int64(s, 9, kv_clock_now_ms() - 1000);
        rc = kv_stmt_step(s, err);
        id = rc == KV_ROW ? kv_stmt_col_int64(s, 0) : 0;
        kv_stmt_done(s);
        if (rc < 0)
            break;
        rc = kv_recipient_route(db, id, AUTH, points[i % n_points], err);
    }
    if (rc == 0)
        rc = kv_db_commit(db, err);
    else
        kv_db_rollback(db);
    free(body);
    return rc;
}

/* Removes a data directory the bench created (its database files only). */
static inline void bench_remove_dir(const char *dir)
{
    static const char *files[] = {"kuvert.db", "kuvert.db-wal", "kuvert.db-shm", "kuvert.db-gen"};
    char path[512];
    size_t i;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

#endif

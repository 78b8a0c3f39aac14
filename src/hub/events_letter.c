/* SPDX-License-Identifier: MIT
 *
 * events_letter.c: one letter's events checked against their partitions' hash chains
 * (kv_events_verify_letter, see events.h), for the evidence page of Administrativ Adgang:
 * each event's hash, the event before it in its partition, and the event after it there (or
 * the partition's head row). The whole log is checked by events_chain.c.
 */
#include "hub/events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/events_int.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/xmalloc.h"

#define ZERO_HASH KV__EVENT_ZERO_HASH

static const char SQL_LETTER_ALL[] =
    KV__EVENTS_OF_MSG(KV__EVENT_COLS, "", "?1", "") " ORDER BY seq";
static const char SQL_BEFORE[] =
    "SELECT seq, pseq, hash FROM events WHERE part = ? AND seq < ? ORDER BY seq DESC LIMIT 1";
static const char SQL_AFTER[] =
    "SELECT seq, pseq, prev_hash FROM events WHERE part = ? AND seq > ? ORDER BY seq LIMIT 1";
static const char SQL_HEAD_OF[] = "SELECT pseq FROM event_chains WHERE part = ?";

/* The (seq, position, hash column) of the event before (SQL_BEFORE) or after (SQL_AFTER)
 * seq in part; *found 0 when there is none. */
static int neighbour(struct kv_db *db, const char *sql, int64_t part, int64_t seq,
                     int64_t *nseq, int64_t *npos, char out[KV_SHA256_HEX_LEN + 1], int *found,
                     struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, sql, &s, err);

    out[0] = '\0';
    *found = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, part);
    kv_stmt_bind_int64(s, 2, seq);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *v = kv_stmt_col_text(s, 2);

        *nseq = kv_stmt_col_int64(s, 0);
        *npos = kv_stmt_col_is_null(s, 1) ? *nseq : kv_stmt_col_int64(s, 1);
        snprintf(out, KV_SHA256_HEX_LEN + 1, "%s", v ? v : "");
        *found = 1;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* The recorded head position of part (-1 when the partition is not listed). */
static int head_of(struct kv_db *db, int64_t part, int64_t *out, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_HEAD_OF, &s, err);

    *out = -1;
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, part);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Checks one event of a letter against its partition: its hash, the event before it, the
 * event after it (or the partition's head). */
static int check_in_part(struct kv_db *db, const struct kv__event_row *r, const char *stored,
                         struct kv_err *err)
{
    char hash[KV_SHA256_HEX_LEN + 1], other[KV_SHA256_HEX_LEN + 1];
    int64_t pos = r->pseq ? r->pseq : r->seq, nseq, npos, head;
    int rc, found;

    if (kv__event_hash(r, hash) < 0 || !stored || strlen(stored) != KV_SHA256_HEX_LEN ||
        !kv_ct_equal(stored, hash, KV_SHA256_HEX_LEN))
        return kv_err_set(err, KV_ECONFLICT, "event %" PRId64 ": its hash does not match its content",
                          r->seq);
    if (!r->pseq && r->part != 0)
        return kv_err_set(err, KV_ECONFLICT, "event %" PRId64 ": moved to another partition",
                          r->seq);
    if (pos == 1) {
        found = r->prev_hash && strcmp(r->prev_hash, ZERO_HASH) == 0;
    } else {
        rc = neighbour(db, SQL_BEFORE, r->part, r->seq, &nseq, &npos, other, &found, err);
        if (rc < 0)
            return rc;
        found = found && npos == pos - 1 && r->prev_hash && strcmp(other, r->prev_hash) == 0;
    }
    if (!found)
        return kv_err_set(err, KV_ECONFLICT,
                          "event %" PRId64 ": the event before it is missing or changed", r->seq);
    rc = head_of(db, r->part, &head, err);
    if (rc < 0)
        return rc;
    if (head < 0)
        return kv_err_set(err, KV_ECONFLICT,
                          "event %" PRId64 ": its partition %" PRId64 " is not the log's", r->seq,
                          r->part);
    rc = neighbour(db, SQL_AFTER, r->part, r->seq, &nseq, &npos, other, &found, err);
    if (rc < 0)
        return rc;
    if (found ? npos != pos + 1 || strcmp(other, stored) != 0 : head > pos)
        return kv_err_set(err, KV_ECONFLICT,
                          found ? "event %" PRId64 ": the event after it does not name its hash"
                                : "event %" PRId64 ": the events after it are missing",
                          r->seq);
    return 0;
}

int kv_events_verify_letter(struct kv_db *db, const char *uuid, int64_t *out_count,
                            int64_t *out_bad_seq, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv__event_row r;
    struct ev {
        struct kv__event_row r;
        char *buf; /* owned copies of the strings */
        char hash[KV_SHA256_HEX_LEN + 1];
    } *ev = NULL;
    size_t cap = 0, i, m = 0;
    int64_t n = 0;
    int rc;

    *out_count = 0;
    *out_bad_seq = 0;
    rc = kv_db_prepare(db, SQL_LETTER_ALL, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *stored = kv_stmt_col_text(s, 10);
        const char **f[8];
        size_t k, total = 0;
        char *p;

        if (m == cap) {
            cap = cap ? cap * 2 : 16;
            ev = kv_xrealloc(ev, cap * sizeof(*ev));
        }
        kv__event_read_row(s, &r);
        ev[m].r = r;
        snprintf(ev[m].hash, sizeof(ev[m].hash), "%s", stored ? stored : "");
        /* the row's strings live until the next step: copy them */
        f[0] = &ev[m].r.event_id;
        f[1] = &ev[m].r.tag;
        f[2] = &ev[m].r.message_uuid;
        f[3] = &ev[m].r.system_id;
        f[4] = &ev[m].r.actor;
        f[5] = &ev[m].r.subject;
        f[6] = &ev[m].r.props;
        f[7] = &ev[m].r.prev_hash;
        for (k = 0; k < 8; k++)
            total += *f[k] ? strlen(*f[k]) + 1 : 0;
        p = ev[m].buf = kv_xmalloc(total ? total : 1);
        for (k = 0; k < 8; k++) {
            if (*f[k]) {
                size_t l = strlen(*f[k]) + 1;

                memcpy(p, *f[k], l);
                *f[k] = p;
                p += l;
            }
        }
        m++;
    }
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    rc = 0;
    for (i = 0; i < m; i++) {
        rc = check_in_part(db, &ev[i].r, ev[i].hash[0] ? ev[i].hash : NULL, err);
        if (rc < 0)
            break;
        n++;
    }
    if (rc == KV_ECONFLICT)
        *out_bad_seq = ev[i].r.seq;
out:
    for (i = 0; i < m; i++)
        free(ev[i].buf);
    free(ev);
    *out_count = n;
    return rc;
}

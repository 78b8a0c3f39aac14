/* SPDX-License-Identifier: MIT
 *
 * events_chain.c: checking the event log's hash chains (see events.h): the whole log
 * (kv_events_verify_chains, `kuvert events verify`) and the checkpoints that tie the
 * partitions' heads together. One letter's events: events_letter.c.
 *
 * What a verification proves (docs/store.md "Event log"): every partition is a hash chain from
 * position 1 to its head, so an event edited, inserted, deleted in the middle, moved to another
 * partition or moved in the order breaks its partition's chain there. Cutting the tail off a
 * partition leaves a shorter chain that is consistent in itself; it is found because the
 * partition's head row (event_chains, moved in the same transaction as every append) and the
 * newest checkpoint name a position and hash that are gone. Someone who can rewrite the heads
 * and the checkpoints too is found by comparing the newest checkpoint's hash with a copy kept
 * outside the database: that one value covers every partition up to the positions it records.
 *
 * Checkpoint hash (version 1): SHA-256 hex of "kuvert-checkpoint-v1\n" F(seq) F(time_ms)
 * F(heads) F(prev_hash), F as for events; heads is "part:pseq:seq:hash\n" per partition in
 * part order.
 */
#include "hub/events.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/events_int.h"
#include "hub/hub.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define ZERO_HASH KV__EVENT_ZERO_HASH
#define PAGE 5000                       /* events per read of the walk (SQL_WALK's LIMIT) */
#define CHECKPOINT_EVERY_MS (60 * 1000) /* the hook's interval */

static const char SQL_HEADS[] = "SELECT part, pseq, seq, hash FROM event_chains ORDER BY part";
static const char SQL_WALK[] =
    "SELECT " KV__EVENT_COLS " FROM events WHERE seq > ? ORDER BY seq LIMIT " "5000";
static const char SQL_CPS[] = "SELECT seq, time_ms, heads, prev_hash, hash FROM event_checkpoints"
                              " WHERE seq > ? ORDER BY seq LIMIT 1000";
static const char SQL_CP_LAST[] =
    "SELECT seq, time_ms, heads, hash FROM event_checkpoints ORDER BY seq DESC LIMIT 1";
static const char SQL_CP_ADD[] = "INSERT INTO event_checkpoints (seq, time_ms, heads, prev_hash,"
                                 " hash) VALUES (?, ?, ?, ?, ?)";

/* A partition as the walk sees it. */
struct part_state {
    struct kv_event_part_report *rep;     /* its line of the report */
    int64_t cp_pseq, cp_seq;              /* the newest checkpoint's entry (pseq 0: none) */
    char cp_hash[KV_SHA256_HEX_LEN + 1];
    int64_t pseq, last_seq;               /* last event walked */
    char prev[KV_SHA256_HEX_LEN + 1];     /* its hash */
};

static int valid_hash(const char *h)
{
    return h && strlen(h) == KV_SHA256_HEX_LEN &&
           strspn(h, "0123456789abcdef") == KV_SHA256_HEX_LEN;
}

/* The hash of a checkpoint into out. */
static void checkpoint_hash(int64_t seq, int64_t time_ms, const char *heads, const char *prev,
                            char out[KV_SHA256_HEX_LEN + 1])
{
    static const char head[] = "kuvert-checkpoint-v1\n";
    char num[2][24];
    const char *v[4];
    size_t vl[4], total = sizeof(head) - 1;
    char *text, *p;
    int i;

    snprintf(num[0], sizeof(num[0]), "%" PRId64, seq);
    snprintf(num[1], sizeof(num[1]), "%" PRId64, time_ms);
    v[0] = num[0];
    v[1] = num[1];
    v[2] = heads;
    v[3] = prev;
    for (i = 0; i < 4; i++) {
        vl[i] = v[i] ? strlen(v[i]) : 0;
        total += kv__event_field_len(v[i], vl[i]);
    }
    text = kv_xmalloc(total);
    memcpy(text, head, sizeof(head) - 1);
    p = text + sizeof(head) - 1;
    for (i = 0; i < 4; i++)
        p = kv__event_put_field(p, v[i], vl[i]);
    kv_sha256_hex(text, (size_t)(p - text), out);
    free(text);
}

static struct part_state *find_part(struct part_state *ps, size_t n, int64_t part)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ps[mid].rep->part == part)
            return &ps[mid];
        if (ps[mid].rep->part < part)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Sets the report's break and err. */
static int broken(struct kv_event_chain_report *rep, int64_t seq, int64_t part,
                  struct kv_err *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int broken(struct kv_event_chain_report *rep, int64_t seq, int64_t part,
                  struct kv_err *err, const char *fmt, ...)
{
    char msg[sizeof(err->msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rep->broken_seq = seq > 0 ? seq : 1;
    rep->broken_part = part;
    return kv_err_set(err, KV_ECONFLICT, "%s", msg);
}

/* One "part:pseq:seq:hash" line of a checkpoint's heads at *p (advanced past it). 1 when read,
 * 0 at the end, -1 when malformed. */
static int parse_head(const char **p, int64_t *part, int64_t *pseq, int64_t *seq,
                      char hash[KV_SHA256_HEX_LEN + 1])
{
    const char *s = *p, *nl;
    char *end;

    if (!*s)
        return 0;
    nl = strchr(s, '\n');
    if (!nl)
        return -1;
    *part = strtoll(s, &end, 10);
    if (end == s || *end != ':')
        return -1;
    s = end + 1;
    *pseq = strtoll(s, &end, 10);
    if (end == s || *end != ':' || *pseq < 0)
        return -1;
    s = end + 1;
    *seq = strtoll(s, &end, 10);
    if (end == s || *end != ':' || *seq < 0)
        return -1;
    s = end + 1;
    if (nl - s != KV_SHA256_HEX_LEN)
        return -1;
    memcpy(hash, s, KV_SHA256_HEX_LEN);
    hash[KV_SHA256_HEX_LEN] = '\0';
    if (!valid_hash(hash))
        return -1;
    *p = nl + 1;
    return 1;
}

/* A checkpoint's heads against the one before it (older, may be NULL): no partition gone, no
 * position gone back. */
static int monotonic(struct kv_event_chain_report *rep, int64_t cp, const char *heads,
                     const char *older, struct kv_err *err)
{
    int64_t part, pseq, seq, opart, opseq, oseq;
    char hash[KV_SHA256_HEX_LEN + 1];
    const char *p = heads;
    int r;

    if (!older)
        return 0;
    while ((r = parse_head(&older, &opart, &opseq, &oseq, hash)) == 1) {
        /* both lists are in part order: advance the newer one to opart */
        do {
            r = parse_head(&p, &part, &pseq, &seq, hash);
        } while (r == 1 && part < opart);
        if (r != 1 || part != opart)
            return broken(rep, oseq, opart, err,
                          "checkpoint %" PRId64 ": partition %" PRId64 " is missing from it",
                          cp, opart);
        if (pseq < opseq)
            return broken(rep, oseq, opart, err,
                          "checkpoint %" PRId64 ": partition %" PRId64 " went back from "
                          "position %" PRId64 " (seq %" PRId64 ") to %" PRId64
                          ": events cut off its end",
                          cp, opart, opseq, oseq, pseq);
    }
    if (r < 0)
        return broken(rep, 0, -1, err, "checkpoint %" PRId64 ": its heads are malformed", cp - 1);
    return 0;
}

/* Walks the checkpoint chain; leaves the newest's heads text in *out_heads (owned, NULL when
 * there is none) and its seq/time/hash in rep. */
static int walk_checkpoints(struct kv_db *db, struct kv_event_chain_report *rep,
                            char **out_heads, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char prev[KV_SHA256_HEX_LEN + 1] = ZERO_HASH, hash[KV_SHA256_HEX_LEN + 1];
    int64_t after = 0, expect = 1, got;
    int rc;

    *out_heads = NULL;
    do {
        got = 0;
        rc = kv_db_prepare(db, SQL_CPS, &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_int64(s, 1, after);
        while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
            int64_t seq = kv_stmt_col_int64(s, 0), tms = kv_stmt_col_int64(s, 1);
            const char *heads = kv_stmt_col_text(s, 2), *ph = kv_stmt_col_text(s, 3),
                       *stored = kv_stmt_col_text(s, 4);

            got++;
            after = seq;
            if (seq != expect || !heads || !ph || strcmp(ph, prev) != 0 || !valid_hash(stored)) {
                rc = broken(rep, 0, -1, err,
                            "checkpoint %" PRId64 ": %s", seq,
                            seq != expect ? "a checkpoint before it is missing"
                                          : "it does not name the hash of the one before it");
                goto out;
            }
            checkpoint_hash(seq, tms, heads, ph, hash);
            if (!kv_ct_equal(hash, stored, KV_SHA256_HEX_LEN)) {
                rc = broken(rep, 0, -1, err, "checkpoint %" PRId64 ": hash mismatch (edited)",
                            seq);
                goto out;
            }
            rc = monotonic(rep, seq, heads, *out_heads, err);
            if (rc < 0)
                goto out;
            memcpy(prev, stored, sizeof(prev));
            free(*out_heads);
            *out_heads = kv_xstrdup(heads);
            rep->checkpoints++;
            rep->checkpoint_seq = seq;
            rep->checkpoint_time_ms = tms;
            memcpy(rep->checkpoint_hash, stored, sizeof(rep->checkpoint_hash));
            expect++;
        }
        kv_stmt_done(s);
        s = NULL;
        if (rc < 0)
            return rc;
    } while (got > 0);
    return 0;
out:
    kv_stmt_done(s);
    return rc;
}

/* Reads the heads into the report and the walk's state, then applies the newest checkpoint's
 * entries (heads, may be NULL). */
static int read_heads(struct kv_db *db, struct kv_event_chain_report *rep, struct part_state *ps,
                      const char *heads, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_prepare(db, SQL_HEADS, &s, err);
    if (rc < 0)
        return rc;
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        struct kv_event_part_report *p;
        const char *h = kv_stmt_col_text(s, 3);

        if (rep->n_parts == KV_EVENT_PARTS_MAX) {
            kv_stmt_done(s);
            return kv_err_set(err, KV_ETOOBIG, "more than %d event chain partitions",
                              KV_EVENT_PARTS_MAX);
        }
        p = &rep->parts[rep->n_parts];
        memset(p, 0, sizeof(*p));
        p->part = kv_stmt_col_int64(s, 0);
        p->head_pseq = kv_stmt_col_int64(s, 1);
        p->head_seq = kv_stmt_col_int64(s, 2);
        snprintf(p->head_hash, sizeof(p->head_hash), "%s", h ? h : "");
        memset(&ps[rep->n_parts], 0, sizeof(ps[0]));
        ps[rep->n_parts].rep = p;
        memcpy(ps[rep->n_parts].prev, ZERO_HASH, sizeof(ps[0].prev));
        rep->n_parts++;
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rep->n_parts == 0)
        return broken(rep, 0, -1, err, "the event log has no partitions (event_chains is empty)");
    while (heads) {
        int64_t part, pseq, seq;
        char hash[KV_SHA256_HEX_LEN + 1];
        struct part_state *p;
        int r = parse_head(&heads, &part, &pseq, &seq, hash);

        if (r == 0)
            break;
        if (r < 0)
            return broken(rep, 0, -1, err, "checkpoint %" PRId64 ": its heads are malformed",
                          rep->checkpoint_seq);
        p = find_part(ps, rep->n_parts, part);
        if (!p)
            return broken(rep, seq, part, err,
                          "partition %" PRId64 " (named by checkpoint %" PRId64 ") is gone",
                          part, rep->checkpoint_seq);
        if (p->rep->head_pseq < pseq)
            return broken(rep, seq, part, err,
                          "partition %" PRId64 ": its head (position %" PRId64
                          ") is behind checkpoint %" PRId64 " (position %" PRId64
                          ", seq %" PRId64 "): events cut off its end",
                          part, p->rep->head_pseq, rep->checkpoint_seq, pseq, seq);
        p->cp_pseq = pseq;
        p->cp_seq = seq;
        memcpy(p->cp_hash, hash, sizeof(p->cp_hash));
        p->rep->anchored_pseq = pseq;
    }
    return 0;
}

/* The seq of the event deleted between lo and hi (exclusive), both of one partition: the
 * first seq between them that no partition holds. Events of other partitions stand between
 * them, so lo + 1 is only a guess; a sequence may also have skipped values (a rolled-back
 * append), so this is the first absent one. At most PROBE_MAX probes, then lo + 1. */
#define PROBE_MAX 4096
static int64_t missing_seq(struct kv_db *db, int64_t lo, int64_t hi)
{
    struct kv_stmt *s = NULL;
    struct kv_err e;
    int64_t c;

    for (c = lo + 1; c < hi && c <= lo + PROBE_MAX; c++) {
        int r;

        if (kv_db_prepare(db, "SELECT 1 FROM events WHERE seq = ?", &s, &e) < 0)
            break;
        kv_stmt_bind_int64(s, 1, c);
        r = kv_stmt_step(s, &e);
        kv_stmt_done(s);
        if (r != KV_ROW)
            return r < 0 ? lo + 1 : c;
    }
    return lo + 1;
}

/* Checks one event r (stored hash `stored`) against its partition's state. */
static int check_event(struct kv_db *db, struct kv_event_chain_report *rep, struct part_state *ps,
                       const struct kv__event_row *r, const char *stored, struct kv_err *err)
{
    char hash[KV_SHA256_HEX_LEN + 1];
    struct part_state *p = find_part(ps, rep->n_parts, r->part);
    int64_t pos = r->pseq ? r->pseq : r->seq;

    if (!p)
        return broken(rep, r->seq, r->part, err,
                      "event chain broken at seq %" PRId64 ": its partition %" PRId64
                      " is not one of the log's (event_chains)",
                      r->seq, r->part);
    if (kv__event_hash(r, hash) < 0 || !stored || strlen(stored) != KV_SHA256_HEX_LEN ||
        !kv_ct_equal(stored, hash, KV_SHA256_HEX_LEN))
        return broken(rep, r->seq, r->part, err,
                      "event chain broken at seq %" PRId64
                      ": hash mismatch (event edited, inserted or moved)",
                      r->seq);
    if (pos > p->rep->head_pseq) /* every append moves the head in its transaction */
        return broken(rep, r->seq, r->part, err,
                      "event chain broken at seq %" PRId64 ": position %" PRId64
                      " of partition %" PRId64 " lies beyond the partition's head (position %"
                      PRId64 "): inserted",
                      r->seq, pos, r->part, p->rep->head_pseq);
    if (!r->pseq && r->part != 0)
        return broken(rep, r->seq, r->part, err,
                      "event chain broken at seq %" PRId64 ": an event of the single chain "
                      "before partitions stands in partition %" PRId64 " (moved)",
                      r->seq, r->part);
    if (pos > p->pseq + 1) {
        int64_t gone = missing_seq(db, p->last_seq, r->seq);

        return broken(rep, gone, r->part, err,
                      "event chain broken at seq %" PRId64 ": event missing (deleted): "
                      "partition %" PRId64 " goes from position %" PRId64 " (seq %" PRId64
                      ") to %" PRId64 " (seq %" PRId64 ")",
                      gone, r->part, p->pseq, p->last_seq, pos, r->seq);
    }
    if (pos != p->pseq + 1)
        return broken(rep, r->seq, r->part, err,
                      "event chain broken at seq %" PRId64 ": sequence out of order: "
                      "position %" PRId64 " of partition %" PRId64 " after position %" PRId64,
                      r->seq, pos, r->part, p->pseq);
    if (!r->prev_hash || strcmp(r->prev_hash, p->prev) != 0)
        return broken(rep, r->seq, r->part, err,
                      "event chain broken at seq %" PRId64
                      ": prev_hash does not match the event before it (partition %" PRId64 ")",
                      r->seq, r->part);
    if (pos == p->cp_pseq && (r->seq != p->cp_seq || strcmp(stored, p->cp_hash) != 0))
        return broken(rep, r->seq, r->part, err,
                      "event chain broken at seq %" PRId64 ": not the event checkpoint %" PRId64
                      " recorded at position %" PRId64 " of partition %" PRId64,
                      r->seq, rep->checkpoint_seq, pos, r->part);
    if (pos == p->rep->head_pseq &&
        (r->seq != p->rep->head_seq || strcmp(stored, p->rep->head_hash) != 0))
        return broken(rep, r->seq, r->part, err,
                      "event chain broken at seq %" PRId64
                      ": not the head recorded for partition %" PRId64,
                      r->seq, r->part);
    p->pseq = pos;
    p->last_seq = r->seq;
    memcpy(p->prev, stored, sizeof(p->prev));
    p->rep->events++;
    rep->events++;
    return 0;
}

int kv_events_verify_chains(struct kv_db *db, struct kv_event_chain_report *rep,
                            struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct part_state *ps = NULL;
    struct kv__event_row r;
    char *heads = NULL;
    int64_t after = 0, got;
    size_t i;
    int rc, snap;

    memset(rep, 0, sizeof(*rep));
    rep->broken_part = -1;
    /* one snapshot for every read: the heads, the checkpoints and the events as they were at
     * one moment, however many nodes append meanwhile (an append moves its head in the same
     * transaction, so in a snapshot every partition ends exactly at its head) */
    snap = kv_db_begin_snapshot(db, err);
    if (snap < 0)
        return snap;
    rc = walk_checkpoints(db, rep, &heads, err);
    if (rc < 0)
        goto out;
    ps = kv_xcalloc(KV_EVENT_PARTS_MAX, sizeof(*ps));
    rc = read_heads(db, rep, ps, heads, err);
    if (rc < 0)
        goto out;
    do {
        got = 0;
        rc = kv_db_prepare(db, SQL_WALK, &s, err);
        if (rc < 0)
            goto out;
        kv_stmt_bind_int64(s, 1, after);
        while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
            kv__event_read_row(s, &r);
            got++;
            after = r.seq;
            rc = check_event(db, rep, ps, &r, kv_stmt_col_text(s, 10), err);
            if (rc < 0)
                goto out;
        }
        kv_stmt_done(s);
        s = NULL;
        if (rc < 0)
            goto out;
    } while (got == PAGE);
    for (i = 0; i < rep->n_parts; i++) {
        struct part_state *p = &ps[i];

        if (p->pseq < p->rep->head_pseq) {
            rc = broken(rep, p->rep->head_pseq == p->pseq + 1 ? p->rep->head_seq : p->last_seq + 1,
                        p->rep->part, err,
                        "event chain broken at seq %" PRId64 ": events missing (tail cut): "
                        "partition %" PRId64 " ends at position %" PRId64
                        " but its head names position %" PRId64 " (seq %" PRId64 ")",
                        p->rep->head_pseq == p->pseq + 1 ? p->rep->head_seq : p->last_seq + 1,
                        p->rep->part, p->pseq, p->rep->head_pseq,
                        p->rep->head_seq);
            goto out;
        }
    }
    rc = 0;
out:
    if (s)
        kv_stmt_done(s);
    if (snap == 0)
        kv_db_rollback(db);
    free(heads);
    free(ps);
    return rc;
}

int kv_events_verify(struct kv_db *db, int64_t *out_count, struct kv_err *err)
{
    struct kv_event_chain_report *rep = kv_xmalloc(sizeof(*rep));
    int rc = kv_events_verify_chains(db, rep, err);

    *out_count = rep->events;
    free(rep);
    return rc;
}

/* ---- checkpoints ---- */

int kv_events_checkpoint(struct kv_db *db, int64_t now_ms, int64_t min_age_ms, int *out_written,
                         struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char prev[KV_SHA256_HEX_LEN + 1] = ZERO_HASH, hash[KV_SHA256_HEX_LEN + 1];
    char *last = NULL, *heads = NULL;
    size_t len = 0, cap = 0;
    int64_t seq = 1, last_ms = 0;
    int rc;

    *out_written = 0;
    /* a cheap look without the write lock: too soon? */
    rc = kv_db_prepare(db, SQL_CP_LAST, &s, err);
    if (rc < 0)
        return rc;
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        last_ms = kv_stmt_col_int64(s, 1);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc == KV_ROW && now_ms - last_ms < min_age_ms && now_ms >= last_ms)
        return 0;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, SQL_CP_LAST, &s, err);
    if (rc < 0)
        goto out;
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *h = kv_stmt_col_text(s, 3), *hd = kv_stmt_col_text(s, 2);

        seq = kv_stmt_col_int64(s, 0) + 1;
        snprintf(prev, sizeof(prev), "%s", h ? h : "");
        last = kv_xstrdup(hd ? hd : "");
    }
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    rc = kv_db_prepare(db, SQL_HEADS, &s, err);
    if (rc < 0)
        goto out;
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        char line[24 * 3 + KV_SHA256_HEX_LEN + 8];
        const char *h = kv_stmt_col_text(s, 3);
        int n = snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64 ":%" PRId64 ":%s\n",
                         kv_stmt_col_int64(s, 0), kv_stmt_col_int64(s, 1),
                         kv_stmt_col_int64(s, 2), valid_hash(h) ? h : ZERO_HASH);

        if (len + (size_t)n + 1 > cap) {
            cap = cap ? cap * 2 : 4096;
            heads = kv_xrealloc(heads, cap);
        }
        memcpy(heads + len, line, (size_t)n + 1);
        len += (size_t)n;
    }
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (!heads || (last && strcmp(last, heads) == 0)) { /* nothing new since the last one */
        rc = 0;
        goto out;
    }
    checkpoint_hash(seq, now_ms, heads, prev, hash);
    rc = kv_db_prepare(db, SQL_CP_ADD, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, seq);
    kv_stmt_bind_int64(s, 2, now_ms);
    kv_stmt_bind_text(s, 3, heads, (long)len);
    kv_stmt_bind_text(s, 4, prev, -1);
    kv_stmt_bind_text(s, 5, hash, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    rc = kv_db_commit(db, err);
    if (rc == 0)
        *out_written = 1;
    free(last);
    free(heads);
    return rc;
out:
    kv_db_rollback(db);
    free(last);
    free(heads);
    return rc;
}

int kv_events_checkpoint_hook(void *hub_arg)
{
    struct kv_hub *hub = hub_arg;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    int written = 0, rc;

    rc = kv_db_acquire(hub->store, &db, &err);
    if (rc == 0)
        rc = kv_events_checkpoint(db, kv_clock_now_ms(), CHECKPOINT_EVERY_MS, &written, &err);
    if (db)
        kv_db_release(db);
    if (rc < 0)
        kv_log(KV_LOG_WARN, "event checkpoint: %s; tried again on the next pass", err.msg);
    return 0;
}

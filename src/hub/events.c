/* SPDX-License-Identifier: MIT
 *
 * events.c: the hash-chained event log (see events.h): appending, hashing, reading.
 * Verifying the chains and their checkpoints is events_chain.c.
 *
 * The log is PARTS hash chains ("partitions", the rows of event_chains, migration 053). An
 * append locks one partition's head row for the rest of its transaction, choosing the first
 * one no other open transaction holds (kv_db_prepare_skip_locked) starting at this thread's
 * preferred partition, so writers on several nodes extend different chains and never wait for
 * each other's head. The event's global seq (the order of the whole log and the API's cursor)
 * is drawn from a sequence (kv_db_next_value), not from a row.
 *
 * Canonical form hashed for each event, version 2 (events written since migration 053): the
 * text "kuvert-event-v2\n" followed by the fields seq, part, pseq, event_id, time_ms, tag,
 * message_uuid, system_id, actor, subject, props, prev_hash in that order, each written as "N"
 * when NULL or "S<len>:<bytes>" otherwise (integers in decimal). Length prefixes make the
 * encoding unambiguous: no choice of field contents can make two different events serialise
 * alike. hash = lowercase hex SHA-256 of it; prev_hash is the hash of the event before it in
 * its partition, or 64 zeros for the partition's first. Version 1 (events written before
 * migration 053, pseq NULL): "kuvert-event-v1\n" and the same fields without part and pseq.
 */
#include "hub/events.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/events_int.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/num.h"
#include "util/xmalloc.h"

#define ZERO_HASH KV__EVENT_ZERO_HASH
#define CANON_MAX (4u << 20) /* bound on one serialised event */
#define PROPS_MAX (1u << 20) /* bound on props_json */

/* The head a new event extends: the first partition in this thread's rotation that no other
 * open transaction has locked (it stays locked by this one until COMMIT/ROLLBACK). */
static const char SQL_PICK[] = "SELECT part, pseq, seq, hash FROM event_chains"
                               " ORDER BY (part + ?) % ?, part LIMIT 1";
static const char SQL_PARTS[] = "SELECT COUNT(*) FROM event_chains";
/* When every partition is held: wait for one (chosen by the thread's rotation). */
static const char SQL_WAIT_ONE[] = "SELECT part, pseq, seq, hash FROM event_chains WHERE part = ?";
static const char SQL_NEXT_SEQ[] = "SELECT COALESCE(MAX(seq), 0) + 1 FROM events";
static const char SQL_MOVE_HEAD[] =
    "UPDATE event_chains SET pseq = ?, seq = ?, hash = ? WHERE part = ?";
#define INSERT_HEAD                                                                             \
    "INSERT INTO events (seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject,"   \
    " props, prev_hash, hash, part, pseq, letter_id) VALUES "
#define INSERT_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define INSERT_COLS 14
/* One statement per number of rows (the statement cache keys on the text). */
static const char *const SQL_INSERT[KV_EVENTS_APPEND_MAX] = {
    INSERT_HEAD INSERT_ROW,
    INSERT_HEAD INSERT_ROW ", " INSERT_ROW,
    INSERT_HEAD INSERT_ROW ", " INSERT_ROW ", " INSERT_ROW,
    INSERT_HEAD INSERT_ROW ", " INSERT_ROW ", " INSERT_ROW ", " INSERT_ROW,
};
_Static_assert(KV_EVENTS_APPEND_MAX == 4, "one SQL_INSERT text per row count");
/* The same for events that share time_ms, message_uuid, system_id, actor, subject (and so
 * part and letter_id), as a send's first three do: the second row on binds only what differs
 * (seq, event_id, tag, props, prev_hash, hash, pseq: INSERT_OWN each) and names the first
 * row's parameters for the rest. Built once (sql_shared_init); [n - 1] for n rows, n >= 2. */
#define INSERT_OWN 7
static char SQL_INSERT_SHARED[KV_EVENTS_APPEND_MAX][512];
static pthread_once_t sql_shared_once = PTHREAD_ONCE_INIT;

static void sql_shared_init(void)
{
    int n, k;

    for (n = 2; n <= KV_EVENTS_APPEND_MAX; n++) {
        char *b = SQL_INSERT_SHARED[n - 1];
        size_t o = (size_t)snprintf(b, sizeof(SQL_INSERT_SHARED[0]), "%s%s", INSERT_HEAD,
                                    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");

        for (k = 1; k < n; k++) {
            int p = INSERT_COLS + (k - 1) * INSERT_OWN;

            o += (size_t)snprintf(b + o, sizeof(SQL_INSERT_SHARED[0]) - o,
                                  ", (?%d, ?%d, ?3, ?%d, ?5, ?6, ?7, ?8, ?%d, ?%d, ?%d, ?12, ?%d,"
                                  " ?14)",
                                  p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
        }
        if (o >= sizeof(SQL_INSERT_SHARED[0]))
            abort(); /* the buffer is too small: a programming error */
    }
}

static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}
_Static_assert(KV_EVENTS_APPEND_MAX <= KV_DB_NEXT_VALUES_MAX, "one draw per append");
static const char SQL_QUERY[] =
    "SELECT " KV__EVENT_COLS " FROM events WHERE seq > ? AND seq < ? AND time_ms >= ?"
    " AND time_ms < ? AND (? IS NULL OR tag = ?) AND (? IS NULL OR system_id = ?)"
    " ORDER BY seq LIMIT ?";
static const char SQL_QUERY_MSG[] =
    KV__EVENTS_OF_MSG(KV__EVENT_COLS, "", "?1",
                      " AND seq > ?2 AND seq < ?3 AND time_ms >= ?4 AND time_ms < ?5 AND (?6 IS"
                      " NULL OR tag = ?7) AND (?8 IS NULL OR system_id = ?9)") " ORDER BY seq"
    " LIMIT ?10";

#define row kv__event_row

size_t kv__event_field_len(const char *v, size_t vlen)
{
    size_t digits = 1;

    if (!v)
        return 1;
    for (size_t x = vlen; x >= 10; x /= 10)
        digits++;
    return 1 + digits + 1 + vlen;
}

char *kv__event_put_field(char *p, const char *v, size_t vlen)
{
    if (!v) {
        *p++ = 'N';
        return p;
    }
    *p++ = 'S';
    p = kv_num_put_u64(p, vlen);
    *p++ = ':';
    memcpy(p, v, vlen);
    return p + vlen;
}

/* Computes the hash of r into out without printf or (for ordinary events) the heap: the
 * canonical text is measured first, then written into a stack buffer, or an exact-size heap
 * buffer when larger. KV_ETOOBIG if the event is absurdly large. The numbers' digits come from
 * util/num (two at a time from a table), their lengths from their writing (no strlen), and
 * the digest's hex from kv_sha256_hex: the text and the hash are exactly those of the format
 * above. */
int kv__event_hash(const struct row *r, char out[KV_SHA256_HEX_LEN + 1])
{
    static const char head1[] = "kuvert-event-v1\n", head2[] = "kuvert-event-v2\n";
    char seq[KV_NUM_DEC_MAX], part[KV_NUM_DEC_MAX], pseq[KV_NUM_DEC_MAX], tms[KV_NUM_DEC_MAX];
    char stack[2048], *text, *p;
    const char *v[12];
    size_t vl[12], total = sizeof(head2) - 1;
    int i, n = 0;
    unsigned has_len = 0; /* bit i: vl[i] is known (a number's, from kv_num_i64) */

    vl[n] = kv_num_i64(seq, r->seq);
    has_len |= 1u << n;
    v[n++] = seq;
    if (r->pseq) {
        vl[n] = kv_num_i64(part, r->part);
        has_len |= 1u << n;
        v[n++] = part;
        vl[n] = kv_num_i64(pseq, r->pseq);
        has_len |= 1u << n;
        v[n++] = pseq;
    }
    v[n++] = r->event_id;
    vl[n] = kv_num_i64(tms, r->time_ms);
    has_len |= 1u << n;
    v[n++] = tms;
    v[n++] = r->tag;
    v[n++] = r->message_uuid;
    v[n++] = r->system_id;
    v[n++] = r->actor;
    v[n++] = r->subject;
    v[n++] = r->props;
    v[n++] = r->prev_hash;
    for (i = 0; i < n; i++) {
        if (!(has_len & (1u << i)))
            vl[i] = v[i] ? strlen(v[i]) : 0;
        if (vl[i] > CANON_MAX)
            return KV_ETOOBIG;
        total += kv__event_field_len(v[i], vl[i]);
    }
    if (total > CANON_MAX)
        return KV_ETOOBIG;
    text = total <= sizeof(stack) ? stack : kv_xmalloc(total);
    memcpy(text, r->pseq ? head2 : head1, sizeof(head2) - 1);
    p = text + sizeof(head2) - 1;
    for (i = 0; i < n; i++)
        p = kv__event_put_field(p, v[i], vl[i]);
    kv_sha256_hex(text, (size_t)(p - text), out);
    if (text != stack)
        free(text);
    return 0;
}

/* Random part of this process's event ids, drawn once (see event_id). */
static pthread_once_t id_once = PTHREAD_ONCE_INIT;
static unsigned char id_prefix[8]; /* random bytes; id_ok says whether they were drawn */
static int id_ok;                  /* 1 when id_prefix holds random bytes */

static char id_head[21]; /* "xxxxxxxx-xxxx-4xxx-V" of every id, made by id_init */

static void id_init(void)
{
    static const char hex[] = "0123456789abcdef";
    char r[16];
    int i, o = 0;

    id_ok = kv_random_bytes(id_prefix, sizeof(id_prefix)) == 0;
    for (i = 0; i < 8; i++) {
        r[2 * i] = hex[id_prefix[i] >> 4];
        r[2 * i + 1] = hex[id_prefix[i] & 15];
    }
    /* xxxxxxxx-xxxx-4xxx-V: x random, V variant (8..b) */
    for (i = 0; i < 8; i++)
        id_head[o++] = r[i];
    id_head[o++] = '-';
    for (i = 8; i < 12; i++)
        id_head[o++] = r[i];
    id_head[o++] = '-';
    id_head[o++] = '4';
    for (i = 12; i < 15; i++)
        id_head[o++] = r[i];
    id_head[o++] = '-';
    id_head[o++] = hex[8 + (id_prefix[7] & 3)];
    id_head[o] = '\0';
}

/* The event id: a lowercase UUID in version-4 layout whose first 62 bits are random per
 * process and whose last 60 bits are the event's seq in hex. It is unique because seq is,
 * and ids of one process ascend, so the events.event_id index grows at its end instead of
 * dirtying a random page per event (fewer pages written to the WAL per COMMIT). The random
 * part is written once (id_head), not per event. */
static int event_id(int64_t seq, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t s = (uint64_t)seq;
    int i, o = sizeof(id_head) - 1;

    pthread_once(&id_once, id_init);
    if (!id_ok)
        return KV_EINTERNAL;
    /* xxxxxxxx-xxxx-4xxx-Vsss-ssssssssssss: s seq (15 digits) */
    memcpy(out, id_head, (size_t)o);
    for (i = 14; i >= 0; i--) {
        out[o + (i < 3 ? i : i + 1)] = hex[s & 15];
        s >>= 4;
    }
    out[o + 3] = '-';
    out[36] = '\0';
    return 0;
}

/* The head of the partition the next event extends. */
struct chain_head {
    int64_t part, pseq, seq;          /* partition, position and seq of its last event */
    char hash[KV_SHA256_HEX_LEN + 1]; /* that event's hash (zeros: none) */
};

/* The chain-head cache of this thread (see kv_events_head_begin). During a run the head row
 * of the partition held is not moved per append: the run's last head is written once, at
 * kv_events_head_end. */
struct head_cache {
    const struct kv_db *db; /* connection of the run, NULL when none */
    int held;               /* 1 when this transaction holds partition h.part */
    int valid;              /* 1 when h is that partition's head (0 after a forget) */
    int dirty;              /* 1 when the head row is behind h (or behind the events) */
    struct chain_head h;
};
static _Thread_local struct head_cache head;

static const char SQL_HEAD_ROW[] = "SELECT pseq, seq, hash FROM event_chains WHERE part = ?";
static const char SQL_PART_LAST[] =
    "SELECT pseq, seq, hash FROM events WHERE part = ? AND seq > ? ORDER BY seq DESC LIMIT 1";

void kv_events_head_begin(const struct kv_db *db)
{
    memset(&head, 0, sizeof(head));
    head.db = db;
}

void kv_events_head_forget(const struct kv_db *db)
{
    if (head.db == db)
        head.valid = 0;
}

/* Reads the current head of partition h->part, which this transaction held: its row, or the
 * newest event of this run beyond the row (the run moves the row only at its end). 1 when
 * another transaction holds the partition now (this one has no event left there). */
static int reload_head(struct kv_db *db, struct chain_head *h, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc, i;

    for (i = 0; i < 2; i++) {
        /* the row lock again: a savepoint rolled back may have released it */
        rc = i ? kv_db_prepare(db, SQL_PART_LAST, &s, err)
               : kv_db_prepare_skip_locked(db, SQL_HEAD_ROW, &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_int64(s, 1, h->part);
        if (i)
            kv_stmt_bind_int64(s, 2, h->seq);
        rc = kv_stmt_step(s, err);
        if (rc == KV_ROW) {
            const char *hh = kv_stmt_col_text(s, 2);

            h->pseq = kv_stmt_col_int64(s, 0);
            h->seq = kv_stmt_col_int64(s, 1);
            snprintf(h->hash, sizeof(h->hash), "%s",
                     hh && strlen(hh) == KV_SHA256_HEX_LEN ? hh : ZERO_HASH);
        } else if (rc == KV_DONE && !i) {
            /* held by another transaction now: the lock was taken inside the savepoint rolled
             * back, with every event this run had put there */
            kv_stmt_done(s);
            return 1;
        }
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Writes h as its partition's head row. */
static int move_head(struct kv_db *db, const struct chain_head *h, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, SQL_MOVE_HEAD, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, h->pseq);
    kv_stmt_bind_int64(s, 2, h->seq);
    kv_stmt_bind_text(s, 3, h->hash, -1);
    kv_stmt_bind_int64(s, 4, h->part);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_events_head_end(struct kv_db *db, struct kv_err *err)
{
    int rc = 0;

    if (head.db != db)
        return 0;
    if (head.held && head.dirty) {
        if (!head.valid)
            rc = reload_head(db, &head.h, err);
        if (rc == 0)
            rc = move_head(db, &head.h, err);
        else if (rc > 0) /* none of this run's events is left in the partition */
            rc = 0;
    }
    memset(&head, 0, sizeof(head));
    return rc;
}

/* This thread's place in the rotation of partitions: threads (of this process and, through
 * the random start, of other processes) prefer different partitions. */
static _Atomic unsigned next_pref;
static _Thread_local unsigned pref;
static _Thread_local int pref_set;
/* The number of partitions (rows of event_chains, fixed by migration 053); 0 until read. */
static _Atomic int64_t n_parts;

static unsigned thread_pref(void)
{
    if (!pref_set) {
        pthread_once(&id_once, id_init);
        pref = (unsigned)id_prefix[0] | (unsigned)id_prefix[1] << 8;
        pref += atomic_fetch_add(&next_pref, 1u) * 7u;
        pref_set = 1;
    }
    return pref;
}

/* Locks the head of a partition for this transaction (one no other transaction holds) and
 * reads it into h. */
static int pick_head(struct kv_db *db, struct chain_head *h, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t n = atomic_load(&n_parts);
    int rc;

    if (n <= 0) {
        rc = kv_db_prepare(db, SQL_PARTS, &s, err);
        if (rc < 0)
            return rc;
        rc = kv_stmt_step(s, err);
        n = rc == KV_ROW ? kv_stmt_col_int64(s, 0) : 0;
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        if (n <= 0)
            return kv_err_set(err, KV_EDB, "the event log has no partitions (event_chains)");
        atomic_store(&n_parts, n);
    }
    rc = kv_db_prepare_skip_locked(db, SQL_PICK, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, (int64_t)(thread_pref() % (uint64_t)n));
    kv_stmt_bind_int64(s, 2, n);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *hh = kv_stmt_col_text(s, 3);

        h->part = kv_stmt_col_int64(s, 0);
        h->pseq = kv_stmt_col_int64(s, 1);
        h->seq = kv_stmt_col_int64(s, 2);
        /* a damaged head still chains: verify will name it */
        snprintf(h->hash, sizeof(h->hash), "%s",
                 hh && strlen(hh) == KV_SHA256_HEX_LEN ? hh : ZERO_HASH);
    }
    kv_stmt_done(s);
    if (rc != KV_DONE)
        return rc < 0 ? rc : 0;
    /* every partition is held by another open transaction (more concurrent writers than
     * partitions): wait for this thread's preferred one (FOR UPDATE), as a writer of the
     * single chain waited for its head; its holder commits or rolls back soon */
    rc = kv_db_prepare_for_update(db, SQL_WAIT_ONE, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, (int64_t)(thread_pref() % (uint64_t)n));
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *hh = kv_stmt_col_text(s, 3);

        h->part = kv_stmt_col_int64(s, 0);
        h->pseq = kv_stmt_col_int64(s, 1);
        h->seq = kv_stmt_col_int64(s, 2);
        snprintf(h->hash, sizeof(h->hash), "%s",
                 hh && strlen(hh) == KV_SHA256_HEX_LEN ? hh : ZERO_HASH);
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_EDB, "the event log's partitions are not numbered 0..%lld",
                        (long long)(n - 1));
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_events_horizon(struct kv_db *db, int64_t *out, struct kv_err *err)
{
    return kv_db_sequence_horizon(db, "events_seq_seq", out, err);
}

int kv_events_append(struct kv_db *db, const struct kv_event *ev, struct kv_err *err)
{
    return kv_events_append_of_letter(db, ev, 0, err);
}

int kv_events_append_of_letter(struct kv_db *db, const struct kv_event *ev, int64_t letter_id,
                               struct kv_err *err)
{
    return kv_events_append_n(db, ev, 1, letter_id, err);
}

int kv_events_append_n(struct kv_db *db, const struct kv_event *evs, int n, int64_t letter_id,
                       struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char hash[KV_EVENTS_APPEND_MAX][KV_SHA256_HEX_LEN + 1], id[KV_EVENTS_APPEND_MAX][37];
    struct chain_head h;
    struct row r[KV_EVENTS_APPEND_MAX];
    int64_t seqs[KV_EVENTS_APPEND_MAX];
    int cached = head.db == db, rc, k, shared = n > 1;

    if (n < 1 || n > KV_EVENTS_APPEND_MAX)
        return kv_err_set(err, KV_EINVAL, "1..%d events per append", KV_EVENTS_APPEND_MAX);
    for (k = 0; k < n; k++) {
        if (!evs[k].tag || !*evs[k].tag)
            return kv_err_set(err, KV_EINVAL, "event without a tag");
        if (evs[k].props_json && strlen(evs[k].props_json) > PROPS_MAX)
            return kv_err_set(err, KV_ETOOBIG, "event properties over %u bytes", PROPS_MAX);
    }
    memset(r, 0, sizeof(r));
    if (cached && head.valid) {
        h = head.h;
    } else {
        rc = 1;
        if (cached && head.held) { /* after a forget: still ours (0) or taken (1)? */
            h = head.h;
            rc = reload_head(db, &h, err);
            if (rc < 0)
                return rc;
        }
        if (rc > 0) {
            if (cached)
                head.held = head.dirty = 0;
            rc = pick_head(db, &h, err);
            if (rc < 0)
                return rc;
        }
    }
    if (cached) {
        head.valid = 0; /* until this append has succeeded */
        if (!head.held) {
            head.held = 1;
            head.h = h;
        }
    }
    /* each event exactly as if appended alone: its own seq, id, position and hash, chained
     * to the one before it in the partition (the previous event of this call from the
     * second on); only the seq draw and the INSERT are one statement each (on SQLite the
     * draw is MAX(seq) + 1 once and the seqs above it, as a row-by-row append draws them; on
     * PostgreSQL n nextvals in one query) */
    rc = kv_db_next_values_fenced(db, "events_seq_seq", SQL_NEXT_SEQ, n, seqs, err);
    if (rc < 0)
        return rc;
    for (k = 0; k < n; k++) {
        const struct kv_event *ev = &evs[k];

        r[k].seq = seqs[k];
        if (event_id(r[k].seq, id[k]) < 0)
            return kv_err_set(err, KV_EINTERNAL, "no random bytes for an event id");
        r[k].part = h.part;
        r[k].pseq = h.pseq + 1 + k;
        r[k].event_id = id[k];
        r[k].time_ms = ev->time_ms ? ev->time_ms : kv_clock_now_ms();
        r[k].tag = ev->tag;
        r[k].message_uuid = ev->message_uuid;
        r[k].system_id = ev->system_id;
        r[k].actor = ev->actor;
        r[k].subject = ev->subject;
        r[k].props = ev->props_json;
        r[k].prev_hash = k ? hash[k - 1] : h.hash;
        rc = kv__event_hash(&r[k], hash[k]);
        if (rc < 0)
            return kv_err_set(err, rc, "event too large");
    }
    for (k = 1; k < n && shared; k++)
        shared = r[k].time_ms == r[0].time_ms && same_text(r[k].message_uuid, r[0].message_uuid) &&
                 same_text(r[k].system_id, r[0].system_id) && same_text(r[k].actor, r[0].actor) &&
                 same_text(r[k].subject, r[0].subject);
    if (shared)
        pthread_once(&sql_shared_once, sql_shared_init);
    rc = kv_db_prepare(db, shared ? SQL_INSERT_SHARED[n - 1] : SQL_INSERT[n - 1], &s, err);
    if (rc < 0)
        return rc;
    /* every text bound lives until kv_stmt_done below (the caller's events, this frame's ids
     * and hashes): bound without a copy */
    for (k = 0; k < n; k++) {
        int b = k * INSERT_COLS;

        if (shared && k) { /* the rest is the first row's (see SQL_INSERT_SHARED) */
            b = INSERT_COLS + (k - 1) * INSERT_OWN;
            kv_stmt_bind_int64(s, b + 1, r[k].seq);
            kv_stmt_bind_text_static(s, b + 2, r[k].event_id, -1);
            kv_stmt_bind_text_static(s, b + 3, r[k].tag, -1);
            kv_stmt_bind_text_static(s, b + 4, r[k].props, -1);
            kv_stmt_bind_text_static(s, b + 5, r[k].prev_hash, -1);
            kv_stmt_bind_text_static(s, b + 6, hash[k], -1);
            kv_stmt_bind_int64(s, b + 7, r[k].pseq);
            continue;
        }
        kv_stmt_bind_int64(s, b + 1, r[k].seq);
        kv_stmt_bind_text_static(s, b + 2, r[k].event_id, -1);
        kv_stmt_bind_int64(s, b + 3, r[k].time_ms);
        kv_stmt_bind_text_static(s, b + 4, r[k].tag, -1);
        kv_stmt_bind_text_static(s, b + 5, r[k].message_uuid, -1);
        kv_stmt_bind_text_static(s, b + 6, r[k].system_id, -1);
        kv_stmt_bind_text_static(s, b + 7, r[k].actor, -1);
        kv_stmt_bind_text_static(s, b + 8, r[k].subject, -1);
        kv_stmt_bind_text_static(s, b + 9, r[k].props, -1);
        kv_stmt_bind_text_static(s, b + 10, r[k].prev_hash, -1);
        kv_stmt_bind_text_static(s, b + 11, hash[k], -1);
        kv_stmt_bind_int64(s, b + 12, r[k].part);
        kv_stmt_bind_int64(s, b + 13, r[k].pseq);
        if (letter_id > 0 && r[k].message_uuid)
            kv_stmt_bind_int64(s, b + 14, letter_id);
        else
            kv_stmt_bind_null(s, b + 14);
    }
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    h.pseq = r[n - 1].pseq;
    h.seq = r[n - 1].seq;
    memcpy(h.hash, hash[n - 1], sizeof(h.hash));
    if (cached) { /* the row moves once, at kv_events_head_end */
        head.h = h;
        head.valid = 1;
        head.dirty = 1;
        return 0;
    }
    return move_head(db, &h, err);
}

void kv__event_read_row(struct kv_stmt *s, struct row *r)
{
    r->seq = kv_stmt_col_int64(s, 0);
    r->event_id = kv_stmt_col_text(s, 1);
    r->time_ms = kv_stmt_col_int64(s, 2);
    r->tag = kv_stmt_col_text(s, 3);
    r->message_uuid = kv_stmt_col_text(s, 4);
    r->system_id = kv_stmt_col_text(s, 5);
    r->actor = kv_stmt_col_text(s, 6);
    r->subject = kv_stmt_col_text(s, 7);
    r->props = kv_stmt_col_text(s, 8);
    r->prev_hash = kv_stmt_col_text(s, 9);
    r->part = kv_stmt_col_int64(s, 11);
    r->pseq = kv_stmt_col_is_null(s, 12) ? 0 : kv_stmt_col_int64(s, 12);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *row_json(struct kv_stmt *s)
{
    struct row r;
    char ts[32];
    json_t *o = json_object(), *props = NULL;
    const char *hash = kv_stmt_col_text(s, 10);

    kv__event_read_row(s, &r);
    kv_clock_format_utc(r.time_ms, ts, sizeof(ts));
    if (r.props)
        props = json_loads(r.props, 0, NULL);
    json_object_set_new(o, "eventId", str_or_null(r.event_id));
    json_object_set_new(o, "seq", json_integer(r.seq));
    json_object_set_new(o, "eventTime", json_string(ts));
    json_object_set_new(o, "eventTag", str_or_null(r.tag));
    json_object_set_new(o, "messageUUID", str_or_null(r.message_uuid));
    json_object_set_new(o, "system", str_or_null(r.system_id));
    json_object_set_new(o, "actor", str_or_null(r.actor));
    json_object_set_new(o, "subject", str_or_null(r.subject));
    json_object_set_new(o, "eventProperties", props ? props : json_object());
    json_object_set_new(o, "hash", str_or_null(hash));
    return o;
}

int kv_events_query(struct kv_db *db, const struct kv_event_query *q, json_t **out,
                    struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    json_t *arr;
    int rc, i = 1;
    int64_t to = q->date_to_ms > 0 ? q->date_to_ms : INT64_MAX, horizon;

    *out = NULL;
    if (q->limit < 1 || q->limit > 1000)
        return kv_err_set(err, KV_EINVAL, "limit must be 1..1000");
    /* only below the horizon: an event with a smaller seq may still commit above it, and a
     * reader paging by seq must not step over it */
    rc = kv_events_horizon(db, &horizon, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, q->message_uuid ? SQL_QUERY_MSG : SQL_QUERY, &s, err);
    if (rc < 0)
        return rc;
    if (q->message_uuid)
        kv_stmt_bind_text(s, i++, q->message_uuid, -1);
    kv_stmt_bind_int64(s, i++, q->after_seq);
    kv_stmt_bind_int64(s, i++, horizon);
    kv_stmt_bind_int64(s, i++, q->date_from_ms > 0 ? q->date_from_ms : INT64_MIN);
    kv_stmt_bind_int64(s, i++, to);
    kv_stmt_bind_text(s, i++, q->tag, -1);
    kv_stmt_bind_text(s, i++, q->tag, -1);
    kv_stmt_bind_text(s, i++, q->system_id, -1);
    kv_stmt_bind_text(s, i++, q->system_id, -1);
    kv_stmt_bind_int64(s, i, q->limit);
    arr = json_array();
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        json_array_append_new(arr, row_json(s));
    kv_stmt_done(s);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* A static text: the statement cache keys on it. */
static const char SQL_OF_SUBJECT[] = KV__EVENTS_OF_SUBJECT_SQL;

/* 1 when KV__EVENTS_SUBJECTED names tag (its events are not in events_subject). */
static int unsubjected(const char *tag)
{
    char quoted[72];
    size_t n = strlen(tag);

    if (n + 3 > sizeof(quoted))
        return 0; /* longer than any tag of the list */
    quoted[0] = '\'';
    memcpy(quoted + 1, tag, n);
    quoted[n + 1] = '\'';
    quoted[n + 2] = '\0';
    return strstr(KV__EVENTS_SUBJECTED, quoted) != NULL;
}

int kv_events_of_subject(struct kv_db *db, const char *subject, const char *const *tags,
                         int n_tags, int64_t before_seq, int limit, json_t **out,
                         struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    json_t *arr;
    int rc, i;

    *out = NULL;
    if (limit < 1 || limit > 200 || n_tags < 1 || n_tags > 16 || !subject)
        return kv_err_set(err, KV_EINVAL, "limit must be 1..200 and 1..16 tags");
    for (i = 0; i < n_tags; i++)
        if (!tags[i] || unsubjected(tags[i]))
            return kv_err_set(err, KV_EINVAL, "events tagged %s are not read by subject",
                              tags[i] ? tags[i] : "(null)");
    rc = kv_db_prepare(db, SQL_OF_SUBJECT, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, subject, -1);
    kv_stmt_bind_int64(s, 2, before_seq > 0 ? before_seq : INT64_MAX);
    for (i = 0; i < 16; i++)
        kv_stmt_bind_text(s, 3 + i, tags[i < n_tags ? i : 0], -1);
    kv_stmt_bind_int64(s, 19, limit);
    arr = json_array();
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        json_array_append_new(arr, row_json(s));
    kv_stmt_done(s);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* SPDX-License-Identifier: MIT
 *
 * events.c: the hash-chained event log (see events.h).
 *
 * Canonical form hashed for each event (version 1): the text "kuvert-event-v1\n" followed by
 * the fields seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject, props,
 * prev_hash in that order, each written as "N" when NULL or "S<len>:<bytes>" otherwise
 * (integers in decimal). Length prefixes make the encoding unambiguous: no choice of field
 * contents can make two different events serialise alike. hash = lowercase hex SHA-256 of it;
 * prev_hash is the previous event's hash, or 64 zeros for seq 1.
 */
#include "hub/events.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/xmalloc.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define CANON_MAX (4u << 20) /* bound on one serialised event */
#define PROPS_MAX (1u << 20) /* bound on props_json */

static const char SQL_LAST[] = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1";
static const char SQL_INSERT[] =
    "INSERT INTO events (seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject,"
    " props, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_ALL[] =
    "SELECT seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject, props,"
    " prev_hash, hash FROM events ORDER BY seq";
static const char SQL_QUERY[] =
    "SELECT seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject, props,"
    " prev_hash, hash FROM events WHERE seq > ? AND time_ms >= ? AND time_ms < ?"
    " AND (? IS NULL OR tag = ?) AND (? IS NULL OR system_id = ?) ORDER BY seq LIMIT ?";
static const char SQL_QUERY_MSG[] =
    "SELECT seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject, props,"
    " prev_hash, hash FROM events WHERE message_uuid = ? AND seq > ? AND time_ms >= ?"
    " AND time_ms < ? AND (? IS NULL OR tag = ?) AND (? IS NULL OR system_id = ?)"
    " ORDER BY seq LIMIT ?";

/* The fields of one event as stored (all borrowed). */
struct row {
    int64_t seq;
    const char *event_id;
    int64_t time_ms;
    const char *tag, *message_uuid, *system_id, *actor, *subject, *props, *prev_hash;
};

/* Length of v's canonical field ("N" or "S<len>:<bytes>"). */
static size_t field_len(const char *v, size_t vlen)
{
    size_t digits = 1;

    if (!v)
        return 1;
    for (size_t x = vlen; x >= 10; x /= 10)
        digits++;
    return 1 + digits + 1 + vlen;
}

/* Writes v's canonical field at p (field_len bytes); returns the end. */
static char *put_field(char *p, const char *v, size_t vlen)
{
    char num[24];
    size_t n = 0, x = vlen;

    if (!v) {
        *p++ = 'N';
        return p;
    }
    do {
        num[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    *p++ = 'S';
    while (n)
        *p++ = num[--n];
    *p++ = ':';
    memcpy(p, v, vlen);
    return p + vlen;
}

/* Writes v in decimal (as "%" PRId64 would) into out, which holds at least 21 bytes. */
static void put_int(char out[24], int64_t v)
{
    char num[24];
    uint64_t x = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, o = 0;

    do {
        num[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    if (v < 0)
        out[o++] = '-';
    while (n)
        out[o++] = num[--n];
    out[o] = '\0';
}

/* Computes the hash of r into out without printf or (for ordinary events) the heap: the
 * canonical text is measured first, then written into a stack buffer, or an exact-size heap
 * buffer when larger. KV_ETOOBIG if the event is absurdly large. */
static int event_hash(const struct row *r, char out[KV_SHA256_HEX_LEN + 1])
{
    static const char head[] = "kuvert-event-v1\n";
    char seq[24], tms[24], stack[2048], *text, *p;
    const char *v[10];
    size_t vl[10], total = sizeof(head) - 1;
    int i;

    put_int(seq, r->seq);
    put_int(tms, r->time_ms);
    v[0] = seq;
    v[1] = r->event_id;
    v[2] = tms;
    v[3] = r->tag;
    v[4] = r->message_uuid;
    v[5] = r->system_id;
    v[6] = r->actor;
    v[7] = r->subject;
    v[8] = r->props;
    v[9] = r->prev_hash;
    for (i = 0; i < 10; i++) {
        vl[i] = v[i] ? strlen(v[i]) : 0;
        if (vl[i] > CANON_MAX)
            return KV_ETOOBIG;
        total += field_len(v[i], vl[i]);
    }
    if (total > CANON_MAX)
        return KV_ETOOBIG;
    text = total <= sizeof(stack) ? stack : kv_xmalloc(total);
    memcpy(text, head, sizeof(head) - 1);
    p = text + sizeof(head) - 1;
    for (i = 0; i < 10; i++)
        p = put_field(p, v[i], vl[i]);
    kv_sha256_hex(text, (size_t)(p - text), out);
    if (text != stack)
        free(text);
    return 0;
}

/* Random part of this process's event ids, drawn once (see event_id). */
static pthread_once_t id_once = PTHREAD_ONCE_INIT;
static unsigned char id_prefix[8]; /* random bytes; id_ok says whether they were drawn */
static int id_ok;                  /* 1 when id_prefix holds random bytes */

static void id_init(void)
{
    id_ok = kv_random_bytes(id_prefix, sizeof(id_prefix)) == 0;
}

/* The event id: a lowercase UUID in version-4 layout whose first 62 bits are random per
 * process and whose last 60 bits are the event's seq in hex. It is unique because seq is,
 * and ids of one process ascend, so the events.event_id index grows at its end instead of
 * dirtying a random page per event (fewer pages written to the WAL per COMMIT). */
static int event_id(int64_t seq, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    char r[16];
    uint64_t s = (uint64_t)seq;
    int i, o = 0;

    pthread_once(&id_once, id_init);
    if (!id_ok)
        return KV_EINTERNAL;
    for (i = 0; i < 8; i++) {
        r[2 * i] = hex[id_prefix[i] >> 4];
        r[2 * i + 1] = hex[id_prefix[i] & 15];
    }
    /* xxxxxxxx-xxxx-4xxx-Vsss-ssssssssssss: x random, V variant (8..b), s seq (15 digits) */
    for (i = 0; i < 8; i++)
        out[o++] = r[i];
    out[o++] = '-';
    for (i = 8; i < 12; i++)
        out[o++] = r[i];
    out[o++] = '-';
    out[o++] = '4';
    for (i = 12; i < 15; i++)
        out[o++] = r[i];
    out[o++] = '-';
    out[o++] = hex[8 + (id_prefix[7] & 3)];
    for (i = 14; i >= 0; i--) {
        out[o + (i < 3 ? i : i + 1)] = hex[s & 15];
        s >>= 4;
    }
    out[o + 3] = '-';
    out[36] = '\0';
    return 0;
}

/* The chain-head cache of this thread (see kv_events_head_begin). */
struct head_cache {
    const struct kv_db *db;               /* connection of the run, NULL when none */
    int valid;                            /* 1 when seq/hash are the table's head */
    int64_t seq;                          /* seq of the last event */
    char hash[KV_SHA256_HEX_LEN + 1];     /* its hash */
};
static _Thread_local struct head_cache head;

void kv_events_head_begin(const struct kv_db *db)
{
    head.db = db;
    head.valid = 0;
}

void kv_events_head_forget(const struct kv_db *db)
{
    if (head.db == db)
        head.valid = 0;
}

void kv_events_head_end(const struct kv_db *db)
{
    if (head.db == db) {
        head.db = NULL;
        head.valid = 0;
    }
}

/* Reads seq and hash of the head of the chain into r->seq (the next seq) and prev. */
static int read_head(struct kv_db *db, struct row *r, char prev[KV_SHA256_HEX_LEN + 1],
                     struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    r->seq = 1;
    rc = kv_db_prepare(db, SQL_LAST, &s, err);
    if (rc < 0)
        return rc;
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *h = kv_stmt_col_text(s, 1);

        r->seq = kv_stmt_col_int64(s, 0) + 1;
        if (h && strlen(h) == KV_SHA256_HEX_LEN)
            memcpy(prev, h, KV_SHA256_HEX_LEN + 1);
        else /* a damaged head still chains: verify will name it */
            snprintf(prev, KV_SHA256_HEX_LEN + 1, "%s", ZERO_HASH);
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_events_append(struct kv_db *db, const struct kv_event *ev, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char prev[KV_SHA256_HEX_LEN + 1] = ZERO_HASH, hash[KV_SHA256_HEX_LEN + 1], id[37];
    struct row r;
    int cached = head.db == db, rc;

    if (!ev->tag || !*ev->tag)
        return kv_err_set(err, KV_EINVAL, "event without a tag");
    if (ev->props_json && strlen(ev->props_json) > PROPS_MAX)
        return kv_err_set(err, KV_ETOOBIG, "event properties over %u bytes", PROPS_MAX);
    memset(&r, 0, sizeof(r));
    if (cached && head.valid) {
        r.seq = head.seq + 1;
        memcpy(prev, head.hash, sizeof(prev));
    } else {
        rc = read_head(db, &r, prev, err);
        if (rc < 0)
            return rc;
    }
    if (cached)
        head.valid = 0; /* until this append has succeeded */
    if (event_id(r.seq, id) < 0)
        return kv_err_set(err, KV_EINTERNAL, "no random bytes for an event id");
    r.event_id = id;
    r.time_ms = ev->time_ms ? ev->time_ms : kv_clock_now_ms();
    r.tag = ev->tag;
    r.message_uuid = ev->message_uuid;
    r.system_id = ev->system_id;
    r.actor = ev->actor;
    r.subject = ev->subject;
    r.props = ev->props_json;
    r.prev_hash = prev;
    rc = event_hash(&r, hash);
    if (rc < 0)
        return kv_err_set(err, rc, "event too large");
    rc = kv_db_prepare(db, SQL_INSERT, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, r.seq);
    kv_stmt_bind_text(s, 2, r.event_id, -1);
    kv_stmt_bind_int64(s, 3, r.time_ms);
    kv_stmt_bind_text(s, 4, r.tag, -1);
    kv_stmt_bind_text(s, 5, r.message_uuid, -1);
    kv_stmt_bind_text(s, 6, r.system_id, -1);
    kv_stmt_bind_text(s, 7, r.actor, -1);
    kv_stmt_bind_text(s, 8, r.subject, -1);
    kv_stmt_bind_text(s, 9, r.props, -1);
    kv_stmt_bind_text(s, 10, r.prev_hash, -1);
    kv_stmt_bind_text(s, 11, hash, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (cached) {
        head.seq = r.seq;
        memcpy(head.hash, hash, sizeof(head.hash));
        head.valid = 1;
    }
    return 0;
}

static void read_row(struct kv_stmt *s, struct row *r)
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

    read_row(s, &r);
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
    int64_t to = q->date_to_ms > 0 ? q->date_to_ms : INT64_MAX;

    *out = NULL;
    if (q->limit < 1 || q->limit > 1000)
        return kv_err_set(err, KV_EINVAL, "limit must be 1..1000");
    rc = kv_db_prepare(db, q->message_uuid ? SQL_QUERY_MSG : SQL_QUERY, &s, err);
    if (rc < 0)
        return rc;
    if (q->message_uuid)
        kv_stmt_bind_text(s, i++, q->message_uuid, -1);
    kv_stmt_bind_int64(s, i++, q->after_seq);
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

/* 16 tag placeholders; unused ones repeat the first tag (a static text: the statement cache
 * keys on it). */
static const char SQL_OF_SUBJECT[] =
    "SELECT seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject, props,"
    " prev_hash, hash FROM events WHERE subject = ? AND seq < ?"
    " AND tag IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ORDER BY seq DESC LIMIT ?";

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

int kv_events_verify(struct kv_db *db, int64_t *out_count, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char prev[KV_SHA256_HEX_LEN + 1] = ZERO_HASH, hash[KV_SHA256_HEX_LEN + 1];
    int64_t expect = 1, n = 0;
    struct row r;
    int rc;

    *out_count = 0;
    rc = kv_db_prepare(db, SQL_ALL, &s, err);
    if (rc < 0)
        return rc;
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *stored;

        read_row(s, &r);
        stored = kv_stmt_col_text(s, 10);
        if (r.seq != expect) {
            rc = kv_err_set(err, KV_ECONFLICT,
                            r.seq > expect ? "event chain broken at seq %" PRId64
                                             ": event missing (deleted)"
                                           : "event chain broken at seq %" PRId64
                                             ": sequence out of order",
                            expect);
            goto out;
        }
        if (!r.prev_hash || strcmp(r.prev_hash, prev) != 0) {
            rc = kv_err_set(err, KV_ECONFLICT,
                            "event chain broken at seq %" PRId64
                            ": prev_hash does not match the event before it",
                            r.seq);
            goto out;
        }
        if (event_hash(&r, hash) < 0 || !stored || strlen(stored) != KV_SHA256_HEX_LEN ||
            !kv_ct_equal(stored, hash, KV_SHA256_HEX_LEN)) {
            rc = kv_err_set(err, KV_ECONFLICT,
                            "event chain broken at seq %" PRId64
                            ": hash mismatch (event edited or inserted)",
                            r.seq);
            goto out;
        }
        memcpy(prev, stored, sizeof(prev));
        expect++;
        n++;
    }
    if (rc == KV_DONE)
        rc = 0;
out:
    kv_stmt_done(s);
    *out_count = n;
    return rc;
}

static const char SQL_LETTER_ALL[] =
    "SELECT seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject, props,"
    " prev_hash, hash FROM events WHERE message_uuid = ? ORDER BY seq";
static const char SQL_HASH_AT[] = "SELECT hash FROM events WHERE seq = ?";
static const char SQL_PREV_AT[] = "SELECT prev_hash FROM events WHERE seq = ?";

/* The text column of the one-row statement sql for seq into out ("" when no row). */
static int col_at(struct kv_db *db, const char *sql, int64_t seq, char out[KV_SHA256_HEX_LEN + 1],
                  int *found, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, sql, &s, err);

    out[0] = '\0';
    *found = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, seq);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *v = kv_stmt_col_text(s, 0);
        snprintf(out, KV_SHA256_HEX_LEN + 1, "%s", v ? v : "");
        *found = 1;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_events_verify_letter(struct kv_db *db, const char *uuid, int64_t *out_count,
                            int64_t *out_bad_seq, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char hash[KV_SHA256_HEX_LEN + 1], other[KV_SHA256_HEX_LEN + 1];
    struct row r;
    int64_t n = 0;
    int rc, found;
    struct {
        int64_t seq;
        char prev[KV_SHA256_HEX_LEN + 1], hash[KV_SHA256_HEX_LEN + 1];
        int ok;
    } *ev = NULL, *grown;
    size_t cap = 0, i, m = 0;

    *out_count = 0;
    *out_bad_seq = 0;
    rc = kv_db_prepare(db, SQL_LETTER_ALL, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *stored = kv_stmt_col_text(s, 10);
        if (m == cap) {
            cap = cap ? cap * 2 : 16;
            grown = realloc(ev, cap * sizeof(*ev));
            if (!grown) {
                rc = kv_err_set(err, KV_ENOMEM, "out of memory");
                goto out;
            }
            ev = grown;
        }
        read_row(s, &r);
        ev[m].seq = r.seq;
        snprintf(ev[m].prev, sizeof(ev[m].prev), "%s", r.prev_hash ? r.prev_hash : "");
        snprintf(ev[m].hash, sizeof(ev[m].hash), "%s", stored ? stored : "");
        ev[m].ok = event_hash(&r, hash) == 0 && stored && strlen(stored) == KV_SHA256_HEX_LEN &&
                   kv_ct_equal(stored, hash, KV_SHA256_HEX_LEN);
        m++;
    }
    kv_stmt_done(s);
    s = NULL;
    if (rc < 0)
        goto out;
    rc = 0;
    for (i = 0; i < m; i++) {
        if (!ev[i].ok) {
            rc = kv_err_set(err, KV_ECONFLICT,
                            "event %" PRId64 ": its hash does not match its content", ev[i].seq);
            break;
        }
        if (ev[i].seq == 1) {
            found = strcmp(ev[i].prev, ZERO_HASH) == 0;
        } else {
            rc = col_at(db, SQL_HASH_AT, ev[i].seq - 1, other, &found, err);
            if (rc < 0)
                break;
            found = found && strcmp(other, ev[i].prev) == 0;
        }
        if (!found) {
            rc = kv_err_set(err, KV_ECONFLICT,
                            "event %" PRId64 ": the event before it is missing or changed",
                            ev[i].seq);
            break;
        }
        rc = col_at(db, SQL_PREV_AT, ev[i].seq + 1, other, &found, err);
        if (rc < 0)
            break;
        if (found && strcmp(other, ev[i].hash) != 0) {
            rc = kv_err_set(err, KV_ECONFLICT,
                            "event %" PRId64 ": the event after it does not name its hash",
                            ev[i].seq);
            break;
        }
        n++;
    }
    if (rc == KV_ECONFLICT)
        *out_bad_seq = ev[i].seq;
out:
    if (s)
        kv_stmt_done(s);
    free(ev);
    *out_count = n;
    return rc;
}

/* SPDX-License-Identifier: MIT
 *
 * events.h: the append-only event log (hændelseslog), the hub's legal proof of what happened
 * to a letter. Tags are the names NgDP uses (MEMO_SEND_RECEIVED, MEMO_SEND_VALIDATED,
 * MEMO_SEND_VALIDATION_FAILED, DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY,
 * MEMO_AVAILABLE_TO_RECIPIENT, MEMO_MESSAGE_RECALLED, PHYSICAL_LETTER_SENT, MESSAGE_READ, ...).
 *
 * Each event stores hash = SHA-256(prev_hash || canonical fields), prev_hash being the hash of
 * the event before it in its partition (one of several chains, see below), so
 * kv_events_verify_chains detects any edit, insertion or deletion.
 * kv_events_append must run inside the caller's write transaction (kv_db_begin), so an event
 * commits atomically with the state change it records.
 *
 * Reading: kv_events_query is the operator's raw view (stored tags, every field);
 * kv_events_search is the view of NgDP's GET /apis/v1/events/ for a system (event_search.c):
 * scope, filters, NgDP tags, names instead of other organisations' system ids. All SQL over
 * the events table lives in events.c, event_search.c and event_org.c (the view of an
 * organisation's employees in Administrativ Adgang).
 */
#ifndef KV_HUB_EVENTS_H
#define KV_HUB_EVENTS_H

#include <stdint.h>
#include <stddef.h>

#include <jansson.h>

#include "util/crypto.h"
#include "util/err.h"

struct kv_db;

struct kv_event {
    const char *tag;          /* NgDP event tag */
    const char *message_uuid; /* letter concerned, or NULL */
    const char *system_id;    /* sender/recipient system involved, or NULL */
    const char *actor;        /* who caused it: system id, "cpr:...", "cvr:...", "cli", "hub" */
    const char *subject;      /* recipient or owner concerned, e.g. "cpr:0101701234", or NULL */
    const char *props_json;   /* extra properties as a JSON object text, or NULL */
    int64_t time_ms;          /* event time; 0 = kv_clock_now_ms() */
};

/* Appends ev (borrowed) inside the caller's transaction. */
int kv_events_append(struct kv_db *db, const struct kv_event *ev, struct kv_err *err);
/* The horizon of the log (kv_db_sequence_horizon of events_seq_seq): every event with a seq
 * below it that will ever exist is committed, and visible to a read begun after this call.
 * Concurrent appends (PostgreSQL) commit in any order of seq, so a reader that pages by seq
 * reads only below it (kv_events_query, kv_events_search's until) and never steps over an
 * event committed late with a smaller seq. INT64_MAX on SQLite (one writer at a time). Call
 * it outside a transaction (inside one, the read's snapshot may be older than the call). */
int kv_events_horizon(struct kv_db *db, int64_t *out, struct kv_err *err);
/* kv_events_append of an event of a letter stored in this transaction: letter_id is its
 * letters.id (the row ev->message_uuid names). It is kept as the event's key in the index
 * events_letter (migration 023), not part of the hashed event; such an event is left out of
 * events_msg, so a letter's events cost that random-keyed index nothing. 0 = kv_events_append. */
int kv_events_append_of_letter(struct kv_db *db, const struct kv_event *ev, int64_t letter_id,
                               struct kv_err *err);
/* The most events kv_events_append_n takes at once (a send writes up to four). */
#define KV_EVENTS_APPEND_MAX 4
/* kv_events_append_of_letter of evs[0..n-1] (borrowed; 1 <= n <= KV_EVENTS_APPEND_MAX) in this
 * order, with one INSERT statement (issue 15: a send's events). Each event gets what it would
 * get appended alone -- its own seq, id, partition position and hash, the next one chained
 * to it -- so nothing that reads the log can tell the two apart. letter_id as for
 * kv_events_append_of_letter, for every event that names a messageUUID. */
int kv_events_append_n(struct kv_db *db, const struct kv_event *evs, int n, int64_t letter_id,
                       struct kv_err *err);

/* Chain-head cache for a run of appends by the calling thread on db inside ONE write
 * transaction (the writer's group commit): between begin and end, kv_events_append on db
 * extends the partition it took first, from the event it appended last, without reading the
 * head again, and moves the partition's head row (event_chains) once, at end, instead of per
 * event. That is safe because the transaction holds that partition's head row. Call begin
 * right after kv_db_begin, forget after any ROLLBACK TO a savepoint taken inside the run, and
 * end before COMMIT (also before a ROLLBACK, where its write is undone anyway). end returns 0
 * or the store error of writing the head row: then the transaction must not commit. db is
 * borrowed (only compared by begin and forget). */
void kv_events_head_begin(const struct kv_db *db);
void kv_events_head_forget(const struct kv_db *db);
int kv_events_head_end(struct kv_db *db, struct kv_err *err);

struct kv_event_query {
    int64_t date_from_ms;     /* inclusive; 0 = unbounded */
    int64_t date_to_ms;       /* exclusive; 0 = unbounded */
    const char *tag;          /* NULL = any */
    const char *message_uuid; /* NULL = any */
    const char *system_id;    /* NULL = any */
    int64_t after_seq;        /* paging cursor: only events with seq > after_seq */
    int limit;                /* max events returned (1..1000) */
};

/* Returns an owned JSON array of EventLog objects {eventId, seq, eventTime, eventTag,
 * messageUUID, system, actor, subject, eventProperties, hash} (json_decref). */
int kv_events_query(struct kv_db *db, const struct kv_event_query *q, json_t **out,
                    struct kv_err *err);

#define KV_EVENT_ANY_MAX 10   /* terms of one any= */
#define KV_EVENT_ANY_LEN 128  /* bytes of one term */
#define KV_EVENT_SORT_MAX 3   /* fields of one sortFields= */
enum {
    KV_EVENT_SORT_TIME = 1,   /* eventTime, created */
    KV_EVENT_SORT_TAG,        /* eventTag (the stored tag) */
    KV_EVENT_SORT_ID,         /* id, eventId */
    KV_EVENT_SORT_ACTOR,      /* actor */
    KV_EVENT_SORT_SUBJECT,    /* subject */
    KV_EVENT_SORT_MESSAGE,    /* messageUUID */
    KV_EVENT_SORT_SEQ,        /* seq */
    KV_EVENT_SORT_N = KV_EVENT_SORT_SEQ,
    KV_EVENT_SORT_DESC = 16   /* or-ed in: descending */
};

/* The events about one subject (e.g. "cpr:0101701234": a mailbox's activity log) whose tag is
 * one of the n_tags in tags (1..16), newest first, with seq < before_seq (0: from the newest),
 * at most limit (1..200): an owned JSON array of the EventLog objects of kv_events_query. Reads
 * through the index events(subject, seq), which has no entry for the events a send writes
 * about its recipient (MEMO_SEND_RECEIVED, MEMO_SEND_VALIDATED, the routing outcome; migration
 * 059): asking for one of those tags is KV_EINVAL. */
int kv_events_of_subject(struct kv_db *db, const char *subject, const char *const *tags,
                         int n_tags, int64_t before_seq, int limit, json_t **out,
                         struct kv_err *err);

/* One search of the event log by a system (NgDP's GET /apis/v1/events/). Strings are
 * borrowed; NULL means "no filter". Ids are lower case. */
struct kv_event_search {
    const char *caller_system_id; /* the asking system */
    const char *caller_cvr;       /* its organisation */
    const char *message_uuid;     /* one letter's events (sent or received by the caller's
                                     organisation, else nothing) */
    const char *system_id;        /* senderOrRecipientSystem: a system of the caller's
                                     organisation (another organisation's: nothing); without it
                                     and without message_uuid, the caller's own events */
    const char *party;            /* senderOrRecipient: "cpr:<10 digits>" or "cvr:<8 digits>",
                                     matched against subject and actor */
    const char *tag;              /* an NgDP EventLogEventTag (matches every stored tag shown
                                     as it) or a stored kuvert tag (exact) */
    const char *owner_actor;      /* ownerOrActor: "cpr:<10 digits>", "cvr:<8 digits>" (matched
                                     against subject and actor, like party) or the id of a
                                     system of the caller's organisation (matched against
                                     actor; another organisation's system: nothing) */
    const char *any[KV_EVENT_ANY_MAX]; /* any: an event matches when one term equals one of
                                     its keywords: id, stored or shown tag, messageUUID,
                                     system id, actor, subject (a bare CPR/CVR number too) or
                                     a string property value */
    int n_any;
    int sort[KV_EVENT_SORT_MAX];  /* sortFields: KV_EVENT_SORT_* | KV_EVENT_SORT_DESC; ties
                                     and the default are by sequence number */
    int n_sort;
    int64_t date_from_ms;         /* inclusive; 0 = unbounded */
    int64_t date_to_ms;           /* exclusive; 0 = unbounded */
    int64_t after_seq;            /* only events after this sequence number */
    int64_t until_seq;            /* snapshot: only events up to this sequence number; 0 = up
                                     to the newest event when the search runs */
    int64_t page, size;           /* zero-based page of size 1..1000 */
};

/* The sortFields name (eventTime, created, eventTag, id, eventId, actor, subject,
 * messageUUID, seq; exact case) as a KV_EVENT_SORT_* code, 0 when it is none of them. */
int kv_event_sort_field(const char *name, size_t len);

/* Runs q: *out_events is an owned array of NgDP 1.68 EventLog objects {id, eventId, version,
 * eventTime, created, eventTag (NgDP's catalogue), system {id, name} (another organisation's
 * system: {name} only), actor, subject, eventProperties (string -> string; kuvertTag when the
 * stored tag differs, messageUUID; "<x>SystemId" of another organisation becomes
 * "<x>SystemName"), and kuvert's seq, messageUUID, hash}, oldest first; *out_total counts all
 * matches. The order is by sequence number, or by q->sort (then by sequence number in the
 * direction of the first field). Every page of one walk sees the same events: *out_until
 * (may be NULL) gets the snapshot bound used (q->until_seq, or the newest event's sequence
 * number when that was 0), which the next page passes back as until_seq. Events are never
 * changed or deleted, so with it a later page is exactly the rest of the first page's set.
 * KV_EINVAL on a bad page/size/sort/any. */
int kv_events_search(struct kv_db *db, const struct kv_event_search *q, json_t **out_events,
                     int64_t *out_total, int64_t *out_until, struct kv_err *err);

/* The NgDP EventLogEventTag a stored tag is shown as ("UNKNOWN" when none fits), and whether
 * tag is one of NgDP's own. Static strings. */
const char *kv_event_tag_ngdp(const char *tag);
int kv_event_tag_is_ngdp(const char *tag);

/* ---- the event log of an organisation (Administrativ Adgang, event_org.c) ---- */

/* One event as stored, for a page (all borrowed for the callback). system_id is "" when the
 * system is another organisation's (then only its name is given). */
struct kv_event_row {
    int64_t seq, time_ms;
    const char *event_id, *tag, *ngdp_tag, *message_uuid, *system_id, *system_name, *actor,
        *subject, *props, *prev_hash, *hash;
};

struct kv_event_org_search {
    const char *org;          /* the organisation acted for */
    int64_t from_ms, to_ms;   /* the period: from inclusive, to exclusive (required) */
    const char *party;        /* "cpr:<10 digits>" / "cvr:<8 digits>" as subject or actor */
    const char *system_id;    /* one system (the caller checks it is the organisation's) */
    const char *message_uuid; /* one letter */
    const char *tag;          /* a stored tag, exactly */
    int64_t limit, offset;    /* newest first; limit 1..1001 */
};

/* Calls fn for each event of q->org's (its systems', its letters', its own and its
 * employees') matching q, newest first; *out_n counts them. NULL filters match all. */
int kv_events_org_search(struct kv_db *db, const struct kv_event_org_search *q,
                         int (*fn)(void *arg, const struct kv_event_row *r), void *arg,
                         size_t *out_n, struct kv_err *err);
/* Every event of letter uuid, oldest first, when organisation org sent it (as Sender or
 * through one of its systems) or received it; KV_ENOTFOUND otherwise. */
int kv_events_org_letter(struct kv_db *db, const char *org, const char *uuid,
                         int (*fn)(void *arg, const struct kv_event_row *r), void *arg,
                         size_t *out_n, struct kv_err *err);

/* ---- the chains (events_chain.c) ----
 * The log is several hash chains ("partitions", the rows of event_chains; 16 since migration
 * 053): every event belongs to one partition, at position pseq 1, 2, 3, ... of it, and names
 * the hash of the event before it there. seq orders the whole log. Events written before the
 * partitions are partition 0's first positions (position = seq). */

#define KV_EVENT_PARTS_MAX 256 /* bound on the partitions a verification reports */

struct kv_event_part_report {
    int64_t part;                          /* partition number */
    int64_t events;                        /* its events checked */
    int64_t head_pseq, head_seq;           /* its head when the check began (0: empty) */
    char head_hash[KV_SHA256_HEX_LEN + 1]; /* the head event's hash */
    int64_t anchored_pseq;                 /* position the newest checkpoint names (0: none) */
};

struct kv_event_chain_report {
    int64_t events;      /* events checked (when broken: those found intact before the break) */
    int64_t broken_seq;  /* 0 when intact; else where the log is broken: the event that fails,
                            or for a deleted one the seq after the last intact event before it
                            in its partition */
    int64_t broken_part; /* the partition concerned, -1 when none */
    int64_t checkpoints; /* checkpoints checked */
    int64_t checkpoint_seq, checkpoint_time_ms;  /* the newest (seq 0: none) */
    char checkpoint_hash[KV_SHA256_HEX_LEN + 1]; /* its hash: the value to anchor elsewhere */
    size_t n_parts;
    struct kv_event_part_report parts[KV_EVENT_PARTS_MAX];
};

/* Checks every partition's chain and the checkpoints into *rep (caller-owned; large: put it
 * on the heap): each event's hash recomputes from its fields, it names the hash of the event
 * before it in its partition, positions run 1, 2, 3, ... without a gap, each partition reaches
 * the head recorded for it (event_chains) and the position the newest checkpoint records, and
 * the checkpoints form a chain of their own. It reads one snapshot (kv_db_begin_snapshot), so
 * appends by any node while it runs are simply not seen. 0 when intact, KV_ECONFLICT with rep->broken_seq and err
 * saying where and how, or a store error. */
int kv_events_verify_chains(struct kv_db *db, struct kv_event_chain_report *rep,
                            struct kv_err *err);

/* kv_events_verify_chains with only the count: *out_count = rep->events. */
int kv_events_verify(struct kv_db *db, int64_t *out_count, struct kv_err *err);

/* Checks letter uuid's events against their chains: each one's hash recomputes from its
 * fields and its prev_hash, its prev_hash is the hash of the event before it in its
 * partition, and the event after it there names its hash (or it is the partition's head).
 * 0 when all hold (*out_count = the letter's events), KV_ECONFLICT with *out_bad_seq = the
 * first event that fails (err says how), or a store error. */
int kv_events_verify_letter(struct kv_db *db, const char *uuid, int64_t *out_count,
                            int64_t *out_bad_seq, struct kv_err *err);

/* Writes a checkpoint: every partition's head (position, seq, hash), chained to the checkpoint
 * before it, in a write transaction of its own; unless the newest is younger than min_age_ms
 * at now_ms or no head moved since it. *out_written = 1 when one was written. */
int kv_events_checkpoint(struct kv_db *db, int64_t now_ms, int64_t min_age_ms, int *out_written,
                         struct kv_err *err);

/* Scheduler hook (lease "event_checkpoint", kv_hub_add_leased_hook): a checkpoint a minute
 * while events are written. hub_arg is the struct kv_hub. Always 0 (failures logged). */
int kv_events_checkpoint_hook(void *hub_arg);

#endif

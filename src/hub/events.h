/* SPDX-License-Identifier: MIT
 *
 * events.h: the append-only event log (hændelseslog), the hub's legal proof of what happened
 * to a letter. Tags are the names NgDP uses (MEMO_SEND_RECEIVED, MEMO_SEND_VALIDATED,
 * MEMO_SEND_VALIDATION_FAILED, DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY,
 * MEMO_AVAILABLE_TO_RECIPIENT, MEMO_MESSAGE_RECALLED, PHYSICAL_LETTER_SENT, MESSAGE_READ, ...).
 *
 * Each event stores hash = SHA-256(prev_hash || canonical fields), prev_hash being the hash of
 * the event before it, so kv_events_verify detects any edit, insertion or deletion.
 * kv_events_append must run inside the caller's write transaction (kv_db_begin), so an event
 * commits atomically with the state change it records.
 */
#ifndef KV_HUB_EVENTS_H
#define KV_HUB_EVENTS_H

#include <stdint.h>

#include <jansson.h>

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

/* Chain-head cache for a run of appends by the calling thread on db inside ONE write
 * transaction (the writer's group commit): between begin and end, kv_events_append on db
 * takes seq and prev_hash of the next event from the event it appended last instead of
 * reading the head of the table. That is safe because the open write transaction excludes
 * every other writer. Call begin right after kv_db_begin, forget after any ROLLBACK TO a
 * savepoint taken inside the run, and end before COMMIT or ROLLBACK. db is borrowed (only
 * compared). */
void kv_events_head_begin(const struct kv_db *db);
void kv_events_head_forget(const struct kv_db *db);
void kv_events_head_end(const struct kv_db *db);

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

/* Recomputes the chain. Returns 0 when intact (out_count = events checked), KV_ECONFLICT with
 * err naming the first bad sequence number otherwise; then out_count = the intact events
 * before it, so the bad sequence number is out_count + 1. */
int kv_events_verify(struct kv_db *db, int64_t *out_count, struct kv_err *err);

#endif

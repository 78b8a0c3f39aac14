/* SPDX-License-Identifier: MIT
 *
 * events_int.h: what events.c (appending, hashing, reading) and events_chain.c (verifying the
 * chains, checkpoints) share, and the one way the event readers (events.c, events_letter.c,
 * event_search.c, event_org.c) find a letter's events. Not for other code; use hub/events.h.
 */
#ifndef KV_HUB_EVENTS_INT_H
#define KV_HUB_EVENTS_INT_H

#include <stdint.h>

#include "util/crypto.h"

struct kv_stmt;

#define KV__EVENT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* The seqs of the events whose message_uuid is the statement parameter P ("?1"): those written
 * with their stored letter through events_letter (letter_id = the letter's row id), the others
 * through events_msg, which holds only events without a letter_id (migration 023). A reader
 * writes "message_uuid = ?1 AND seq IN (" KV__EVENTS_MSG_SEQS("?1") ")": the first term keeps the
 * answer exactly the events of that messageUUID, the second is the index path. */
#define KV__EVENTS_MSG_SEQS(P)                                                                  \
    "SELECT seq FROM events WHERE letter_id = (SELECT id FROM letters WHERE message_uuid = " P \
    ") UNION ALL SELECT seq FROM events WHERE letter_id IS NULL AND message_uuid = " P

/* The text of one of kv_events_search's statements (event_search.c), for the plan tests:
 * count (COUNT(*) or the page), msg (by messageUUID), unknown (tag UNKNOWN), sys (a system
 * scope), sorted 0..3 (none, CASE terms, eventTime ascending, descending). Static storage. */
const char *kv__event_search_sql(int count, int msg, int unknown, int sys, int sorted);

/* What a mailbox's owner does with a letter (moves, deletes, forwards and to whom, flags,
 * folders, drafts, a helper's reading): the letter's sender learns none of it, neither through
 * the events API (event_search.c) nor in Administrativ Adgang's event log (event_org.c); only
 * the owner itself sees it when it is the calling organisation (subject "cvr:<caller>").
 * MESSAGE_READ and MESSAGE_LEGALLY_NOTIFIED stay visible to the sender: they are its evidence
 * that the letter reached the recipient (docs/events-api.md). */
#define KV__MAILBOX_PRIVATE                                                                    \
    "'MESSAGE_FORWARDED_TO_AUTHORITY', 'MESSAGE_FORWARDED_TO_EMAIL',"                          \
    " 'MESSAGE_FORWARDED_TO_TRUSTED', 'MESSAGE_MOVED', 'MESSAGE_DELETED', 'FLAG_CHANGED',"     \
    " 'MAILBOX_READ_BY_PARTY_REPRESENTATIVE', 'FOLDER_CREATED', 'FOLDER_UPDATED',"             \
    " 'FOLDER_MOVED', 'FOLDER_DELETED', 'DRAFT_SAVED', 'DRAFT_DELETED', 'DRAFT_SENT'"

/* The same two paths as a compound statement, for a reader of one letter's events that needs
 * no other index: "SELECT COLS FROM events E WHERE <through events_letter> AND message_uuid = P
 * MORE UNION ALL SELECT COLS FROM events E WHERE <through events_msg> MORE", to be followed by
 * " ORDER BY seq" (and a LIMIT). E is the table's alias ("" or "e"), MORE further terms
 * (" AND ..." or ""), written into both halves. Each half reads its index in seq order, so
 * SQLite merges them without a sort (MERGE (UNION ALL)); cheaper than the IN form when the
 * row is wanted anyway. */
#define KV__EVENTS_OF_MSG(COLS, E, P, MORE)                                                     \
    "SELECT " COLS " FROM events " E " WHERE letter_id = (SELECT id FROM letters WHERE"         \
    " message_uuid = " P ") AND message_uuid = " P MORE " UNION ALL SELECT " COLS " FROM events " \
    E " WHERE letter_id IS NULL AND message_uuid = " P MORE

/* The condition of events_subject (migration 059, its partial index's WHERE clause, which
 * must match this text term by term): no entry for the events a send writes about its
 * recipient, which no reader by subject asks for, nor for events without a subject. Written
 * as "<>" terms, not NOT IN: SQLite builds an IN list's ephemeral table anew on every
 * insert. kv_events_of_subject writes it into its statement (so that SQLite and PostgreSQL
 * prove the index usable) and refuses the tags it names. */
#define KV__EVENTS_SUBJECTED                                                                    \
    "subject IS NOT NULL AND tag <> 'MEMO_SEND_RECEIVED' AND tag <> 'MEMO_SEND_VALIDATED'"      \
    " AND tag <> 'MEMO_AVAILABLE_TO_RECIPIENT'"                                                 \
    " AND tag <> 'DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY'"                                  \
    " AND tag <> 'MEMO_SEND_NOT_ALLOWED' AND tag <> 'PHYSICAL_LETTER_SENT'"

/* kv_events_of_subject's statement (16 tag placeholders; unused ones repeat the first tag):
 * ?1 subject, ?2 seq bound, ?3..?18 tags, ?19 limit. */
#define KV__EVENTS_OF_SUBJECT_SQL                                                               \
    "SELECT " KV__EVENT_COLS " FROM events WHERE subject = ? AND " KV__EVENTS_SUBJECTED          \
    " AND seq < ? AND tag IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"                 \
    " ORDER BY seq DESC LIMIT ?"

/* The columns every event read selects, in this order (read by kv__event_read_row). */
#define KV__EVENT_COLS                                                                          \
    "seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject, props, prev_hash,"   \
    " hash, part, pseq"

/* The fields of one event as stored (strings borrowed). pseq 0: an event of the single chain
 * written before migration 053 (hash version 1; it stands at position seq of partition 0). */
struct kv__event_row {
    int64_t seq, part, pseq;
    const char *event_id;
    int64_t time_ms;
    const char *tag, *message_uuid, *system_id, *actor, *subject, *props, *prev_hash;
};

/* Fills r from the current row of a statement selecting KV__EVENT_COLS (hash is column 10). */
void kv__event_read_row(struct kv_stmt *s, struct kv__event_row *r);

/* The hash of r (version 1 when r->pseq is 0, else version 2; see events.c) into out; 0 or
 * KV_ETOOBIG. */
int kv__event_hash(const struct kv__event_row *r, char out[KV_SHA256_HEX_LEN + 1]);

/* One canonical field ("N" or "S<len>:<bytes>") for the checkpoint hash: its length, and it
 * written at p (returns the end). */
size_t kv__event_field_len(const char *v, size_t vlen);
char *kv__event_put_field(char *p, const char *v, size_t vlen);

#endif

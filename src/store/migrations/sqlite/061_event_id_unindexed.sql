-- 061_event_id_unindexed: events.event_id loses its UNIQUE index (issue 15, docs/send-api.md
-- "Cuts of session 8"). No statement looks an event up by its id: the event search names
-- event_id only inside an OR of other columns within a system's or letter's scope, and sorts
-- by it in memory; every other reader goes by seq, system, letter, subject or time. The id is
-- unique by construction (hub/events.c event_id: 62 random bits per process and the event's
-- seq, the table's primary key), and it is one of the fields its hash covers, so a changed id
-- is found by `kuvert events verify` as before. The index cost every event one more B-tree
-- entry (three per letter sent).
--
-- SQLite cannot drop the index of an inline UNIQUE constraint: the table is rebuilt with the
-- same columns in the same order (seq keeps being the rowid, so every row keeps its place)
-- and its indexes are created again exactly as migrations 001, 023, 025, 043 and 059 left them.

CREATE TABLE events_061 (
    seq           INTEGER PRIMARY KEY,       -- 1, 2, 3, ... in append order
    event_id      TEXT NOT NULL,             -- UUID layout, unique through seq (hub/events.c)
    time_ms       INTEGER NOT NULL,
    tag           TEXT NOT NULL,
    message_uuid  TEXT,
    system_id     TEXT,
    actor         TEXT,
    subject       TEXT,
    props         TEXT,                      -- JSON object text
    prev_hash     TEXT NOT NULL,             -- hash of the event before it in its partition
    hash          TEXT NOT NULL,             -- SHA-256 hex over prev_hash and the fields
    letter_id     INTEGER,
    part          INTEGER NOT NULL DEFAULT 0,
    pseq          INTEGER
);
INSERT INTO events_061 (seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject,
                        props, prev_hash, hash, letter_id, part, pseq)
SELECT seq, event_id, time_ms, tag, message_uuid, system_id, actor, subject, props, prev_hash,
       hash, letter_id, part, pseq FROM events ORDER BY seq;
DROP TABLE events;
ALTER TABLE events_061 RENAME TO events;

CREATE INDEX events_time ON events(time_ms);
CREATE INDEX events_msg ON events(message_uuid) WHERE letter_id IS NULL;
CREATE INDEX events_letter ON events(letter_id, seq) WHERE letter_id IS NOT NULL;
CREATE INDEX events_system ON events(system_id, seq);
CREATE INDEX events_system_time ON events(system_id, time_ms, seq);
CREATE INDEX events_subject ON events(subject, seq) WHERE subject IS NOT NULL
    AND tag <> 'MEMO_SEND_RECEIVED' AND tag <> 'MEMO_SEND_VALIDATED'
    AND tag <> 'MEMO_AVAILABLE_TO_RECIPIENT'
    AND tag <> 'DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY'
    AND tag <> 'MEMO_SEND_NOT_ALLOWED' AND tag <> 'PHYSICAL_LETTER_SENT';

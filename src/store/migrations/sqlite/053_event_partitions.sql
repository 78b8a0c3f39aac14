-- 053_event_partitions: the event log's hash chain becomes 16 chains ("partitions"), so writers
-- on several nodes extend different chains instead of all waiting on one head (src/hub/events.c,
-- docs/store.md "Event log", docs/postgresql.md "The event chain with several writers").
--
-- events.part is the partition an event belongs to, events.pseq its position in that
-- partition's chain (1, 2, 3, ...). Events written before this migration keep their version-1
-- hash and pseq NULL: they are partition 0's first events, at position = seq, and partition 0
-- continues after them. seq stays the global order (and the API's cursor).
--
-- event_chains holds each partition's head (position, global seq and hash of its last event);
-- an appender locks one head row for its transaction. The number of partitions is the number
-- of rows here, fixed by this migration.
--
-- event_checkpoints is a chain of its own: each row records every partition's head at one
-- moment (written every minute by one node, events.h kv_events_checkpoint), so cutting the
-- tail off one partition is found by `kuvert events verify`, and the newest checkpoint's hash
-- is the one value an operator anchors outside the database.

ALTER TABLE events ADD COLUMN part INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN pseq INTEGER;

CREATE TABLE event_chains (
    part  INTEGER PRIMARY KEY,
    pseq  INTEGER NOT NULL,        -- position of the partition's last event (0: none yet)
    seq   INTEGER NOT NULL,        -- its global seq (0: none)
    hash  TEXT NOT NULL            -- its hash (64 zeros: none)
);
INSERT INTO event_chains (part, pseq, seq, hash)
WITH RECURSIVE p(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM p WHERE n < 15)
SELECT n, 0, 0, '0000000000000000000000000000000000000000000000000000000000000000' FROM p;
UPDATE event_chains SET
    pseq = COALESCE((SELECT MAX(seq) FROM events), 0),
    seq = COALESCE((SELECT MAX(seq) FROM events), 0),
    hash = COALESCE((SELECT hash FROM events ORDER BY seq DESC LIMIT 1),
                    '0000000000000000000000000000000000000000000000000000000000000000')
WHERE part = 0;

CREATE TABLE event_checkpoints (
    seq        INTEGER PRIMARY KEY,  -- 1, 2, 3, ...
    time_ms    INTEGER NOT NULL,
    heads      TEXT NOT NULL,        -- "part:pseq:seq:hash" per partition, one per line
    prev_hash  TEXT NOT NULL,        -- hash of checkpoint seq-1 (64 zeros for the first)
    hash       TEXT NOT NULL
);

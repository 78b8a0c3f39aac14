-- 053_event_partitions (PostgreSQL): the event log as 16 hash chains. Mirrors
-- sqlite/053_event_partitions.sql; the global seq of a new event comes from the sequence
-- events_seq_seq (nextval never waits for another transaction).

ALTER TABLE events ADD COLUMN part BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN pseq BIGINT;

CREATE SEQUENCE events_seq_seq;
SELECT setval('events_seq_seq', COALESCE((SELECT MAX(seq) FROM events), 0) + 1, false);

CREATE TABLE event_chains (
    part  BIGINT PRIMARY KEY,
    pseq  BIGINT NOT NULL,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO event_chains (part, pseq, seq, hash)
SELECT n, 0, 0, '0000000000000000000000000000000000000000000000000000000000000000'
FROM generate_series(0, 15) AS n;
UPDATE event_chains SET
    pseq = COALESCE((SELECT MAX(seq) FROM events), 0),
    seq = COALESCE((SELECT MAX(seq) FROM events), 0),
    hash = COALESCE((SELECT hash FROM events ORDER BY seq DESC LIMIT 1),
                    '0000000000000000000000000000000000000000000000000000000000000000')
WHERE part = 0;

CREATE TABLE event_checkpoints (
    seq        BIGINT PRIMARY KEY,
    time_ms    BIGINT NOT NULL,
    heads      TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- 061_event_id_unindexed (PostgreSQL): mirrors sqlite/061_event_id_unindexed.sql. No statement
-- looks an event up by its id, which is unique by construction (its seq, the primary key, is
-- part of it) and covered by the event's hash: its UNIQUE index (one more B-tree entry per
-- event, three per letter sent) goes. Here the constraint is dropped; no rebuild is needed.

ALTER TABLE events DROP CONSTRAINT IF EXISTS events_event_id_key;

-- 023_event_letter_index: a stored letter's events are found through the letter's row id, not
-- through an index on their messageUUID (issue 15, docs/store.md "Event log").
--
-- events_msg (message_uuid) took a random key per letter: every letter stored dirtied one
-- random page of it (1.28 WAL frames of 4.4 per Minimum letter, 8,000 letters at 32 per group
-- commit). events.letter_id is the letters.id of the letter an event belongs to, set by the send
-- path (hub/letter_store.c) for the events it writes with the letter; ids ascend, so
-- events_letter grows at its end. events_msg keeps only the events without a letter_id: every
-- event written before this migration, refusals (a letter never stored) and events appended
-- later by other paths. The messageUUID stays in every row (and in the hash); a letter's events
-- are read as those whose message_uuid matches, found by seq through either index
-- (kv__events_msg_seqs in src/hub/events_int.h). letter_id is not part of the hashed event: an
-- index key, like seq's place in the table. Letters rows are never deleted (the key stays valid).

ALTER TABLE events ADD COLUMN letter_id BIGINT;

DROP INDEX IF EXISTS events_msg;
CREATE INDEX events_msg ON events(message_uuid) WHERE letter_id IS NULL;
CREATE INDEX events_letter ON events(letter_id, seq) WHERE letter_id IS NOT NULL;

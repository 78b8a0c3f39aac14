-- 025_event_system_index: the event search's system scope (GET /apis/v1/events/ without
-- messageUUID is always one system's events, src/hub/event_search.c) reads the log through
-- this index in seq order instead of walking the whole log from ?after. seq is the rowid, so
-- the index already ends in it; it is named for PostgreSQL's sake, which needs it spelt out.

CREATE INDEX events_system ON events(system_id, seq);

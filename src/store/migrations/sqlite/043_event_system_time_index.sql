-- 043_event_system_time_index: the event search sorted by time (GET /apis/v1/events/
-- ?sortFields=eventTime[:desc], src/hub/event_search.c) reads one system's events through this
-- index in time order and stops after the page, instead of sorting every event of the system
-- (6,000 events: 42 ms before, see docs/events-api.md "Sorting by time"). seq breaks ties and
-- is the rowid, so SQLite keeps it in the index anyway; it is spelt out for PostgreSQL.

CREATE INDEX events_system_time ON events(system_id, time_ms, seq);

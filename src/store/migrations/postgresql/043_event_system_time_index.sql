-- 043_event_system_time_index (PostgreSQL): the event search sorted by time, read in
-- (time_ms, seq) order for one system. Mirrors sqlite/043_event_system_time_index.sql.

CREATE INDEX events_system_time ON events(system_id, time_ms, seq);

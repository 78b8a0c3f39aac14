-- 025_event_system_index (PostgreSQL): the event search's system scope, read in seq order.
-- Mirrors sqlite/025_event_system_index.sql.

CREATE INDEX events_system ON events(system_id, seq);

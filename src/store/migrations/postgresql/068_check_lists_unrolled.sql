-- 068_check_lists_unrolled (PostgreSQL): mirrors the number of sqlite/068_check_lists_unrolled.sql,
-- which rewrites the CHECK constraints of letters, recipient_queue and notify_outbox from IN
-- lists to OR-ed comparisons because SQLite builds a temporary B-tree for a CHECK's IN list on
-- every INSERT and UPDATE. PostgreSQL tests an IN list of constants in place (= ANY of an
-- array constant), so its constraints stay as they are; nothing is changed here.

SELECT 1;

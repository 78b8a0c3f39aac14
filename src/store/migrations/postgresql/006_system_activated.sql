-- 006_system_activated (PostgreSQL): when a recipient system was last made active again by
-- hand. Mirrors sqlite/006_system_activated.sql.

ALTER TABLE systems ADD COLUMN activated_ms BIGINT;

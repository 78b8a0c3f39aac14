-- 041_work_leases (PostgreSQL): leases on background work shared by several nodes.
-- Mirrors sqlite/041_work_leases.sql.

CREATE TABLE work_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL,
    taken_ms BIGINT NOT NULL
);

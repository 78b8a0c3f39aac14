-- 041_work_leases: leases on background work, so several `kuvert serve` nodes on one database
-- share it without doing twice what must happen once (src/hub/lease.c, docs/postgresql.md
-- "Several nodes on one database"). One row per lease: its name (an outbox such as "mail" or
-- one work item such as "print:42"), the node holding it and when it runs out (real UTC ms).

CREATE TABLE work_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms INTEGER NOT NULL,
    taken_ms INTEGER NOT NULL
);

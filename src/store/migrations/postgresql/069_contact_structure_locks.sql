-- 069_contact_structure_locks (PostgreSQL; mirrors sqlite/069_contact_structure_locks.sql):
-- one row per organisation that every change of its contact structure upserts first
-- (hub/contact_groups.c kv__cp_lock); its row lock orders the concurrent changes of one
-- organisation (docs/postgresql.md "Writes without the global lock").
CREATE TABLE contact_structure_locks (
    org_cvr  TEXT PRIMARY KEY,
    changes  BIGINT NOT NULL DEFAULT 0
);

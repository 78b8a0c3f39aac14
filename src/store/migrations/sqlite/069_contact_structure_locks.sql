-- 069_contact_structure_locks: one row per organisation that every change of its contact
-- structure (contact points and contact groups: create, update, delete) upserts first, inside
-- its write transaction (hub/contact_groups.c kv__cp_lock). On PostgreSQL those changes are
-- concurrent transactions (docs/postgresql.md "Writes without the global lock"): the row
-- lock orders the changes of one organisation, so a version check (If-Match), a parent's
-- existence, the group tree's cycle walk and a delete's "no children left" each read what the
-- previous change committed, while organisations do not wait for each other. On SQLite (one
-- writer at a time) the row is written and orders nothing more. `changes` counts the changes.
CREATE TABLE contact_structure_locks (
    org_cvr  TEXT PRIMARY KEY,
    changes  INTEGER NOT NULL DEFAULT 0
);

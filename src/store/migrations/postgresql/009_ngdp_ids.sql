-- 009_ngdp_ids (PostgreSQL): the identifiers and bookkeeping NgDP 1.68 clients address and
-- read. Mirrors sqlite/009_ngdp_ids.sql (which explains each column); existing rows get
-- random v4 UUIDs from gen_random_uuid(), new rows get them from kv_uuid_v4 in C.

ALTER TABLE orgs ADD COLUMN uuid TEXT;
UPDATE orgs SET uuid = gen_random_uuid()::text WHERE uuid IS NULL;
CREATE UNIQUE INDEX orgs_uuid ON orgs(uuid);

ALTER TABLE mailboxes ADD COLUMN uuid TEXT;
ALTER TABLE mailboxes ADD COLUMN subscription_uuid TEXT;
ALTER TABLE mailboxes ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE mailboxes ADD COLUMN updated_ms BIGINT;
ALTER TABLE mailboxes ADD COLUMN transaction_id TEXT;
UPDATE mailboxes SET
    uuid = gen_random_uuid()::text,
    subscription_uuid = gen_random_uuid()::text,
    version = CASE WHEN status = 'CLOSED' THEN 2 ELSE 1 END,
    updated_ms = COALESCE(closed_ms, created_ms)
    WHERE uuid IS NULL;
CREATE UNIQUE INDEX mailboxes_uuid ON mailboxes(uuid);

ALTER TABLE contact_points ADD COLUMN visible BIGINT NOT NULL DEFAULT 1;
UPDATE contact_points SET visible = 0
    WHERE visible_citizen = 0 AND visible_company = 0 AND visible_authority = 0;

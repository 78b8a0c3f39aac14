-- 009_ngdp_ids: the identifiers and bookkeeping NgDP 1.68 clients address and read (issue 9).
--   orgs.uuid                 the organisation's stable UUID: {organisationId} of the contact
--                             structure paths (the CVR is accepted there too) and Organisation.id
--   mailboxes.uuid            Contact.id of the contacts lookup
--   mailboxes.subscription_uuid  MailboxSubscription.id
--   mailboxes.version         Contact.version / MailboxSubscription.version: 1, +1 per change
--   mailboxes.updated_ms      Contact.lastUpdated
--   mailboxes.transaction_id  Contact.transactionId: a UUID drawn for the last write, also in
--                             that write's event (props "transactionId")
--   contact_points.visible    shown in the contact point search; who may WRITE to a point is
--                             its targets, the visible_citizen/company/authority columns
-- Existing rows get random v4 UUIDs here; new rows get them from kv_uuid_v4 in C.
-- (PostgreSQL mirror: gen_random_uuid()::text for the backfill.)

ALTER TABLE orgs ADD COLUMN uuid TEXT;
UPDATE orgs SET uuid = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
    substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) ||
    substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))
    WHERE uuid IS NULL;
CREATE UNIQUE INDEX orgs_uuid ON orgs(uuid);

ALTER TABLE mailboxes ADD COLUMN uuid TEXT;
ALTER TABLE mailboxes ADD COLUMN subscription_uuid TEXT;
ALTER TABLE mailboxes ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE mailboxes ADD COLUMN updated_ms INTEGER;
ALTER TABLE mailboxes ADD COLUMN transaction_id TEXT;
UPDATE mailboxes SET
    uuid = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
        substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) ||
        substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
    subscription_uuid = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
        substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) ||
        substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
    version = CASE WHEN status = 'CLOSED' THEN 2 ELSE 1 END,
    updated_ms = COALESCE(closed_ms, created_ms)
    WHERE uuid IS NULL;
CREATE UNIQUE INDEX mailboxes_uuid ON mailboxes(uuid);

ALTER TABLE contact_points ADD COLUMN visible INTEGER NOT NULL DEFAULT 1;
UPDATE contact_points SET visible = 0
    WHERE visible_citizen = 0 AND visible_company = 0 AND visible_authority = 0;

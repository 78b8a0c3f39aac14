-- 010_receipt_uuid (PostgreSQL): receipts get a GUID, their id in the NgDP API. Mirrors
-- sqlite/010_receipt_uuid.sql: kv_receipt_insert gives every new receipt a random v4 UUID;
-- older rows, and a row inserted without one, get one from gen_random_uuid() (here a column
-- default takes the place of SQLite's fill-in trigger).

ALTER TABLE receipts ADD COLUMN uuid TEXT;    -- lower-case 8-4-4-4-12 UUID, version 4
UPDATE receipts SET uuid = gen_random_uuid()::text WHERE uuid IS NULL;
ALTER TABLE receipts ALTER COLUMN uuid SET DEFAULT gen_random_uuid()::text;
CREATE UNIQUE INDEX receipts_uuid ON receipts(uuid);

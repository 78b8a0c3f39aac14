-- 067_receipt_uuid_given (PostgreSQL): mirrors sqlite/067_receipt_uuid_given.sql. kv_receipt_insert
-- gives every receipt its id; the column default that stood in for SQLite's fill-in trigger
-- (migration 010) goes with the trigger, so both schemas leave a receipt inserted without one
-- as it was written.

ALTER TABLE receipts ALTER COLUMN uuid DROP DEFAULT;

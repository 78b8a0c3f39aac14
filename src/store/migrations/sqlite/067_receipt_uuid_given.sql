-- 067_receipt_uuid_given: receipts_uuid_fill (migration 010) goes (issue 15, docs/send-api.md
-- "Cuts of session 9"). The one INSERT into receipts, kv_receipt_insert (hub/receipts.c), gives
-- every receipt its id (a UUID v7 since session 6); the trigger's WHEN NEW.uuid IS NULL was never
-- true, but a trigger on the table makes SQLite run every receipt INSERT with a statement
-- journal and the trigger's program: about 9,000 instructions per letter sent. Receipts stored
-- before migration 010 got their ids there; a row inserted by hand without one keeps a NULL id
-- (a Receipt without "id", as kv_receipt_json already writes it). PostgreSQL drops its column
-- default instead, so both schemas fill nothing in.

DROP TRIGGER IF EXISTS receipts_uuid_fill;

-- 010_receipt_uuid: receipts get a GUID, their id in the NgDP API (GET/DELETE
-- /apis/v1/receipts/{id}, the `content` of GET /apis/v1/receipts/ and BulkReceipt.id of
-- GET /apis/v1/receipts-bulk/), as NgDP's generated client types it (System.Guid). The integer
-- `id` stays the row's key and the list order.
--
-- kv_receipt_insert gives every new receipt a random (version 4) UUID. Receipts stored before
-- this migration, and any row inserted without one, get one here in SQL: the trigger fills a
-- missing uuid after the INSERT, in the same transaction. (PostgreSQL: a column DEFAULT
-- gen_random_uuid()::text does the same.)

ALTER TABLE receipts ADD COLUMN uuid TEXT;    -- lower-case 8-4-4-4-12 UUID, version 4

UPDATE receipts SET uuid =
    lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
    substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random() % 4), 1) ||
    substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))
    WHERE uuid IS NULL;

CREATE UNIQUE INDEX receipts_uuid ON receipts(uuid);

CREATE TRIGGER receipts_uuid_fill AFTER INSERT ON receipts WHEN NEW.uuid IS NULL
BEGIN
    UPDATE receipts SET uuid =
        lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
        substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random() % 4), 1) ||
        substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))
        WHERE id = NEW.id;
END;

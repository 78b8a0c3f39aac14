-- 056_counter_slots: the counter rows every letter's transaction adds to (mailbox_counts,
-- mailbox_point_counts, recipient_queue_counts, stats_letters, stats_deliveries) get a `slot`
-- column, the last of their primary key. A count is the SUM over the slots of its key; a
-- writer adds to its own slot (INSERT ... ON CONFLICT (key, slot) DO UPDATE). The number of
-- slots is a property of the backend (docs/postgresql.md "Hot rows"): on PostgreSQL each
-- session writes the slot kv_counter_slot() gave it, so concurrent writers of one key (two
-- nodes storing letters for one mailbox, one recipient system, one sender's day) do not wait
-- for each other's row lock; SQLite has one writer at a time, so it keeps ONE slot, 0 (the
-- column's default and what these triggers write): one row per key as before, and the
-- readers' SUM reads that one row. Existing rows become slot 0 with their totals.
-- SQLite cannot change a primary key, so each table is rebuilt and its triggers written
-- again (the counting rules are migrations 037, 051 and 055's, only the key gained slot).

DROP TRIGGER mailbox_counts_ins;
DROP TRIGGER mailbox_counts_upd_old;
DROP TRIGGER mailbox_counts_upd_new;
DROP TRIGGER mailbox_counts_del;
DROP TRIGGER mailbox_point_counts_ins;
DROP TRIGGER mailbox_point_counts_upd_old;
DROP TRIGGER mailbox_point_counts_upd_new;
DROP TRIGGER mailbox_point_counts_del;
DROP TRIGGER recipient_queue_counts_ins;
DROP TRIGGER recipient_queue_counts_upd_old;
DROP TRIGGER recipient_queue_counts_upd_new;
DROP TRIGGER recipient_queue_counts_del;

-- ---- mailbox_counts (037) ----
CREATE TABLE mailbox_counts_056 (
    mailbox_id  INTEGER NOT NULL,
    folder      TEXT NOT NULL,
    slot        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL,
    unread      INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, folder, slot)
);
INSERT INTO mailbox_counts_056 (mailbox_id, folder, slot, total, unread)
    SELECT mailbox_id, folder, 0, total, unread FROM mailbox_counts;
DROP TABLE mailbox_counts;
ALTER TABLE mailbox_counts_056 RENAME TO mailbox_counts;

CREATE TRIGGER mailbox_counts_ins AFTER INSERT ON letters
    WHEN NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
BEGIN
    INSERT INTO mailbox_counts (mailbox_id, folder, slot, total, unread)
        VALUES (NEW.mailbox_id, NEW.folder, 0, 1, CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
        ON CONFLICT (mailbox_id, folder, slot) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread;
END;
CREATE TRIGGER mailbox_counts_upd_old AFTER UPDATE OF state, folder, read_ms, mailbox_id ON letters
    WHEN OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL
BEGIN
    UPDATE mailbox_counts SET total = total - 1,
           unread = unread - CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END
     WHERE mailbox_id = OLD.mailbox_id AND folder = OLD.folder AND slot = 0;
END;
CREATE TRIGGER mailbox_counts_upd_new AFTER UPDATE OF state, folder, read_ms, mailbox_id ON letters
    WHEN NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
BEGIN
    INSERT INTO mailbox_counts (mailbox_id, folder, slot, total, unread)
        VALUES (NEW.mailbox_id, NEW.folder, 0, 1, CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
        ON CONFLICT (mailbox_id, folder, slot) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread;
END;
CREATE TRIGGER mailbox_counts_del AFTER DELETE ON letters
    WHEN OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL
BEGIN
    UPDATE mailbox_counts SET total = total - 1,
           unread = unread - CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END
     WHERE mailbox_id = OLD.mailbox_id AND folder = OLD.folder AND slot = 0;
END;

-- ---- mailbox_point_counts (051) ----
CREATE TABLE mailbox_point_counts_056 (
    mailbox_id        INTEGER NOT NULL,
    contact_point_id  TEXT NOT NULL,
    folder            TEXT NOT NULL,
    slot              INTEGER NOT NULL DEFAULT 0,
    total             INTEGER NOT NULL,
    unread            INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, contact_point_id, folder, slot)
);
INSERT INTO mailbox_point_counts_056 (mailbox_id, contact_point_id, folder, slot, total, unread)
    SELECT mailbox_id, contact_point_id, folder, 0, total, unread FROM mailbox_point_counts;
DROP TABLE mailbox_point_counts;
ALTER TABLE mailbox_point_counts_056 RENAME TO mailbox_point_counts;

CREATE TRIGGER mailbox_point_counts_ins AFTER INSERT ON letters
    WHEN NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
         AND NEW.contact_point_id IS NOT NULL
BEGIN
    INSERT INTO mailbox_point_counts (mailbox_id, contact_point_id, folder, slot, total, unread)
        VALUES (NEW.mailbox_id, NEW.contact_point_id, NEW.folder, 0, 1,
                CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
        ON CONFLICT (mailbox_id, contact_point_id, folder, slot) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread;
END;
CREATE TRIGGER mailbox_point_counts_upd_old
    AFTER UPDATE OF state, folder, read_ms, mailbox_id, contact_point_id ON letters
    WHEN OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL
         AND OLD.contact_point_id IS NOT NULL
BEGIN
    UPDATE mailbox_point_counts SET total = total - 1,
           unread = unread - CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END
     WHERE mailbox_id = OLD.mailbox_id AND contact_point_id = OLD.contact_point_id
       AND folder = OLD.folder AND slot = 0;
END;
CREATE TRIGGER mailbox_point_counts_upd_new
    AFTER UPDATE OF state, folder, read_ms, mailbox_id, contact_point_id ON letters
    WHEN NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
         AND NEW.contact_point_id IS NOT NULL
BEGIN
    INSERT INTO mailbox_point_counts (mailbox_id, contact_point_id, folder, slot, total, unread)
        VALUES (NEW.mailbox_id, NEW.contact_point_id, NEW.folder, 0, 1,
                CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
        ON CONFLICT (mailbox_id, contact_point_id, folder, slot) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread;
END;
CREATE TRIGGER mailbox_point_counts_del AFTER DELETE ON letters
    WHEN OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL
         AND OLD.contact_point_id IS NOT NULL
BEGIN
    UPDATE mailbox_point_counts SET total = total - 1,
           unread = unread - CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END
     WHERE mailbox_id = OLD.mailbox_id AND contact_point_id = OLD.contact_point_id
       AND folder = OLD.folder AND slot = 0;
END;

-- ---- recipient_queue_counts (055) ----
CREATE TABLE recipient_queue_counts_056 (
    system_id  TEXT NOT NULL,
    slot       INTEGER NOT NULL DEFAULT 0,
    listed     INTEGER NOT NULL,            -- rows of system_id with state <> 'DELETED'
    PRIMARY KEY (system_id, slot)
);
INSERT INTO recipient_queue_counts_056 (system_id, slot, listed)
    SELECT system_id, 0, listed FROM recipient_queue_counts;
DROP TABLE recipient_queue_counts;
ALTER TABLE recipient_queue_counts_056 RENAME TO recipient_queue_counts;

CREATE TRIGGER recipient_queue_counts_ins AFTER INSERT ON recipient_queue
    WHEN NEW.state <> 'DELETED'
BEGIN
    INSERT INTO recipient_queue_counts (system_id, slot, listed) VALUES (NEW.system_id, 0, 1)
        ON CONFLICT (system_id, slot) DO UPDATE SET listed = listed + 1;
END;
-- a change between QUEUED and DELIVERED leaves the count alone (no write)
CREATE TRIGGER recipient_queue_counts_upd_old AFTER UPDATE OF state, system_id ON recipient_queue
    WHEN OLD.state <> 'DELETED' AND (NEW.state = 'DELETED' OR NEW.system_id <> OLD.system_id)
BEGIN
    UPDATE recipient_queue_counts SET listed = listed - 1
     WHERE system_id = OLD.system_id AND slot = 0;
END;
CREATE TRIGGER recipient_queue_counts_upd_new AFTER UPDATE OF state, system_id ON recipient_queue
    WHEN NEW.state <> 'DELETED' AND (OLD.state = 'DELETED' OR NEW.system_id <> OLD.system_id)
BEGIN
    INSERT INTO recipient_queue_counts (system_id, slot, listed) VALUES (NEW.system_id, 0, 1)
        ON CONFLICT (system_id, slot) DO UPDATE SET listed = listed + 1;
END;
CREATE TRIGGER recipient_queue_counts_del AFTER DELETE ON recipient_queue
    WHEN OLD.state <> 'DELETED'
BEGIN
    UPDATE recipient_queue_counts SET listed = listed - 1
     WHERE system_id = OLD.system_id AND slot = 0;
END;

-- ---- stats_letters, stats_deliveries (032): written by hub/stats.c, which names the key with
-- slot in its ON CONFLICT and leaves the slot to the column's default ----
CREATE TABLE stats_letters_056 (
    sender            TEXT NOT NULL,
    day               INTEGER NOT NULL,
    recipient         TEXT NOT NULL,
    sender_system     TEXT NOT NULL,
    recipient_system  TEXT NOT NULL,
    sender_type       TEXT NOT NULL,
    recipient_type    TEXT NOT NULL,
    size_range        TEXT NOT NULL,
    message_type      TEXT NOT NULL,
    contact_point     TEXT NOT NULL,
    slot              INTEGER NOT NULL DEFAULT 0,
    n                 INTEGER NOT NULL,
    custom_notification             INTEGER NOT NULL,
    custom_additional_notification  INTEGER NOT NULL,
    has_actions                     INTEGER NOT NULL,
    has_recipient_label             INTEGER NOT NULL,
    has_recipient_attention         INTEGER NOT NULL,
    has_sender_attention            INTEGER NOT NULL,
    is_replyable                    INTEGER NOT NULL,
    has_reply_data                  INTEGER NOT NULL,
    has_content_data                INTEGER NOT NULL,
    has_sender_content_responsible  INTEGER NOT NULL,
    PRIMARY KEY (sender, day, recipient, sender_system, recipient_system, sender_type,
                 recipient_type, size_range, message_type, contact_point, slot)
) WITHOUT ROWID;
INSERT INTO stats_letters_056 (sender, day, recipient, sender_system, recipient_system,
        sender_type, recipient_type, size_range, message_type, contact_point, slot, n,
        custom_notification, custom_additional_notification, has_actions, has_recipient_label,
        has_recipient_attention, has_sender_attention, is_replyable, has_reply_data,
        has_content_data, has_sender_content_responsible)
    SELECT sender, day, recipient, sender_system, recipient_system, sender_type,
           recipient_type, size_range, message_type, contact_point, 0, n, custom_notification,
           custom_additional_notification, has_actions, has_recipient_label,
           has_recipient_attention, has_sender_attention, is_replyable, has_reply_data,
           has_content_data, has_sender_content_responsible
      FROM stats_letters;
DROP TABLE stats_letters;
ALTER TABLE stats_letters_056 RENAME TO stats_letters;
-- as in 032: with n and the key it covers the received letters' overview
CREATE INDEX stats_letters_recipient ON stats_letters(recipient, day, n);

CREATE TABLE stats_deliveries_056 (
    system_id  TEXT NOT NULL,
    day        INTEGER NOT NULL,
    slot       INTEGER NOT NULL DEFAULT 0,
    delivered  INTEGER NOT NULL,
    failed     INTEGER NOT NULL,
    PRIMARY KEY (system_id, day, slot)
) WITHOUT ROWID;
INSERT INTO stats_deliveries_056 (system_id, day, slot, delivered, failed)
    SELECT system_id, day, 0, delivered, failed FROM stats_deliveries;
DROP TABLE stats_deliveries;
ALTER TABLE stats_deliveries_056 RENAME TO stats_deliveries;

-- 051_mailbox_narrowing: an organisation's mailbox narrowed to the contact groups or points
-- an employee's MESSAGE_BASIC names (identity/rights.h kv_rights_mailbox_scope,
-- docs/mailbox-web.md "An authority's mailbox, narrowed").
-- letters.contact_point_id: the Recipient/ContactPoint/contactPointID of a letter delivered
-- to a mailbox (lower case as the letter names it; NULL when it names none).
-- mailbox_point_counts: letters and unread letters per mailbox, contact point and folder, kept
-- by triggers like mailbox_counts (migration 037), so a narrowed employee's counts are a few
-- row reads, never a count of the mailbox.
ALTER TABLE letters ADD COLUMN contact_point_id TEXT;

CREATE TABLE mailbox_point_counts (
    mailbox_id        INTEGER NOT NULL,
    contact_point_id  TEXT NOT NULL,
    folder            TEXT NOT NULL,
    total             INTEGER NOT NULL,
    unread            INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, contact_point_id, folder)
);

CREATE TRIGGER mailbox_point_counts_ins AFTER INSERT ON letters
    WHEN NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
         AND NEW.contact_point_id IS NOT NULL
BEGIN
    INSERT INTO mailbox_point_counts (mailbox_id, contact_point_id, folder, total, unread)
        VALUES (NEW.mailbox_id, NEW.contact_point_id, NEW.folder, 1,
                CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
        ON CONFLICT (mailbox_id, contact_point_id, folder) DO UPDATE SET total = total + 1,
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
       AND folder = OLD.folder;
END;
CREATE TRIGGER mailbox_point_counts_upd_new
    AFTER UPDATE OF state, folder, read_ms, mailbox_id, contact_point_id ON letters
    WHEN NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
         AND NEW.contact_point_id IS NOT NULL
BEGIN
    INSERT INTO mailbox_point_counts (mailbox_id, contact_point_id, folder, total, unread)
        VALUES (NEW.mailbox_id, NEW.contact_point_id, NEW.folder, 1,
                CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
        ON CONFLICT (mailbox_id, contact_point_id, folder) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread;
END;
CREATE TRIGGER mailbox_point_counts_del AFTER DELETE ON letters
    WHEN OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL
         AND OLD.contact_point_id IS NOT NULL
BEGIN
    UPDATE mailbox_point_counts SET total = total - 1,
           unread = unread - CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END
     WHERE mailbox_id = OLD.mailbox_id AND contact_point_id = OLD.contact_point_id
       AND folder = OLD.folder;
END;

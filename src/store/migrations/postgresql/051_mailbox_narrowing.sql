-- 051_mailbox_narrowing (PostgreSQL; mirrors sqlite/051_mailbox_narrowing.sql): the contact
-- point of a letter in a mailbox and counts per mailbox, point and folder kept by a trigger.
ALTER TABLE letters ADD COLUMN contact_point_id TEXT;

CREATE TABLE mailbox_point_counts (
    mailbox_id        BIGINT NOT NULL,
    contact_point_id  TEXT NOT NULL,
    folder            TEXT NOT NULL,
    total             BIGINT NOT NULL,
    unread            BIGINT NOT NULL,
    PRIMARY KEY (mailbox_id, contact_point_id, folder)
);

CREATE FUNCTION mailbox_point_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL
       AND OLD.contact_point_id IS NOT NULL THEN
        UPDATE mailbox_point_counts SET total = total - 1,
               unread = unread - CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END
         WHERE mailbox_id = OLD.mailbox_id AND contact_point_id = OLD.contact_point_id
           AND folder = OLD.folder;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
       AND NEW.contact_point_id IS NOT NULL THEN
        INSERT INTO mailbox_point_counts (mailbox_id, contact_point_id, folder, total, unread)
            VALUES (NEW.mailbox_id, NEW.contact_point_id, NEW.folder, 1,
                    CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
            ON CONFLICT (mailbox_id, contact_point_id, folder) DO UPDATE
            SET total = mailbox_point_counts.total + 1,
                unread = mailbox_point_counts.unread + EXCLUDED.unread;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER mailbox_point_counts_track
    AFTER INSERT OR DELETE OR UPDATE OF state, folder, read_ms, mailbox_id, contact_point_id
    ON letters FOR EACH ROW EXECUTE FUNCTION mailbox_point_counts_track();

-- 037_mailbox_page_index (PostgreSQL; mirrors sqlite/037_mailbox_page_index.sql): a folder of
-- one mailbox read in index order with a keyset cursor.

CREATE INDEX letters_mailbox_page ON letters(mailbox_id, folder, (COALESCE(available_ms, created_ms)), id)
    WHERE state = 'AVAILABLE';

-- mailbox_counts: letters and unread letters per mailbox and folder, kept by a trigger on
-- letters in the same transaction as every change (mirrors the SQLite triggers).
CREATE TABLE mailbox_counts (
    mailbox_id  BIGINT NOT NULL,
    folder      TEXT NOT NULL,
    total       BIGINT NOT NULL,
    unread      BIGINT NOT NULL,
    PRIMARY KEY (mailbox_id, folder)
);
INSERT INTO mailbox_counts (mailbox_id, folder, total, unread)
    SELECT mailbox_id, folder, COUNT(*), SUM(CASE WHEN read_ms IS NULL THEN 1 ELSE 0 END)
      FROM letters WHERE state = 'AVAILABLE' AND mailbox_id IS NOT NULL
     GROUP BY mailbox_id, folder;

CREATE FUNCTION mailbox_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL THEN
        UPDATE mailbox_counts SET total = total - 1,
               unread = unread - CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END
         WHERE mailbox_id = OLD.mailbox_id AND folder = OLD.folder;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL THEN
        INSERT INTO mailbox_counts (mailbox_id, folder, total, unread)
            VALUES (NEW.mailbox_id, NEW.folder, 1,
                    CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
            ON CONFLICT (mailbox_id, folder) DO UPDATE SET total = mailbox_counts.total + 1,
                unread = mailbox_counts.unread + EXCLUDED.unread;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER mailbox_counts_track
    AFTER INSERT OR DELETE OR UPDATE OF state, folder, read_ms, mailbox_id ON letters
    FOR EACH ROW EXECUTE FUNCTION mailbox_counts_track();

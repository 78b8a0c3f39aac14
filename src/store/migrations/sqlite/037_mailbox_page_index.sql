-- 037_mailbox_page_index: a folder of one mailbox, newest first, is read in index order with a
-- keyset cursor (hub/mailbox_view.c SQL_LIST_FOLDER): the first page of a folder touches 21
-- index entries however many letters the mailbox holds. bench/mailbox_bench.c times
-- it at 1 M letters in one mailbox.

CREATE INDEX letters_mailbox_page ON letters(mailbox_id, folder, COALESCE(available_ms, created_ms), id)
    WHERE state = 'AVAILABLE';

-- mailbox_counts: letters and unread letters per mailbox and folder, kept by triggers on
-- letters in the same transaction as every change (delivery, value-date publication, recall,
-- read/unread, move, permanent delete), so the folder navigation reads two rows instead of
-- counting the mailbox. A letter counts while state = 'AVAILABLE' and it has a mailbox.
CREATE TABLE mailbox_counts (
    mailbox_id  INTEGER NOT NULL,
    folder      TEXT NOT NULL,
    total       INTEGER NOT NULL,
    unread      INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, folder)
);
INSERT INTO mailbox_counts (mailbox_id, folder, total, unread)
    SELECT mailbox_id, folder, COUNT(*), SUM(CASE WHEN read_ms IS NULL THEN 1 ELSE 0 END)
      FROM letters WHERE state = 'AVAILABLE' AND mailbox_id IS NOT NULL
     GROUP BY mailbox_id, folder;

CREATE TRIGGER mailbox_counts_ins AFTER INSERT ON letters
    WHEN NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
BEGIN
    INSERT INTO mailbox_counts (mailbox_id, folder, total, unread)
        VALUES (NEW.mailbox_id, NEW.folder, 1, CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
        ON CONFLICT (mailbox_id, folder) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread;
END;
CREATE TRIGGER mailbox_counts_upd_old AFTER UPDATE OF state, folder, read_ms, mailbox_id ON letters
    WHEN OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL
BEGIN
    UPDATE mailbox_counts SET total = total - 1,
           unread = unread - CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END
     WHERE mailbox_id = OLD.mailbox_id AND folder = OLD.folder;
END;
CREATE TRIGGER mailbox_counts_upd_new AFTER UPDATE OF state, folder, read_ms, mailbox_id ON letters
    WHEN NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
BEGIN
    INSERT INTO mailbox_counts (mailbox_id, folder, total, unread)
        VALUES (NEW.mailbox_id, NEW.folder, 1, CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
        ON CONFLICT (mailbox_id, folder) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread;
END;
CREATE TRIGGER mailbox_counts_del AFTER DELETE ON letters
    WHEN OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL
BEGIN
    UPDATE mailbox_counts SET total = total - 1,
           unread = unread - CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END
     WHERE mailbox_id = OLD.mailbox_id AND folder = OLD.folder;
END;

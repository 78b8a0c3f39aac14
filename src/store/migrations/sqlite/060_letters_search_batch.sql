-- 060_letters_search_batch: the send path's group commit indexes its letters for the mailbox
-- search (letters_search, migration 017) once per batch instead of once per letter (issue 15,
-- docs/send-api.md "Cuts of session 7").
-- FTS5 (SQLite 3.40) writes its pending rows to a new segment at every savepoint and at the
-- end of every statement journal, and a letter's INSERT has one (its triggers): each letter
-- stored became a segment of its own, with the merges that follow — about 134 k instructions
-- per letter, a quarter of the store step. While a row of letters_search_defer exists (only
-- inside the group commit's own transaction: kv_letters_store_batch inserts it after BEGIN
-- and deletes it before COMMIT, so no other connection ever sees one), the triggers leave the
-- letters with id >= from_id (the letters of that transaction) unindexed, and the batch then
-- indexes them in one INSERT ... SELECT from their rows as they stand at its end: one
-- segment per commit. Every other writer (the sqlite3 shell, tests, the CLI) finds the table
-- empty and is indexed by the triggers as before. The range check stays per letter.

CREATE TABLE letters_search_defer (from_id INTEGER NOT NULL);

DROP TRIGGER letters_search_ins;
CREATE TRIGGER letters_search_ins AFTER INSERT ON letters
    WHEN NEW.mailbox_id IS NOT NULL AND NEW.state IN ('AWAITING_DELAY', 'AVAILABLE')
         AND NEW.folder <> 'purged'
BEGIN
    SELECT RAISE(ABORT, 'letters_search: letter or mailbox id beyond the index range')
     WHERE NEW.id >= 68719476736 OR NEW.mailbox_id >= 134217728 OR NEW.mailbox_id < 0;
    INSERT INTO letters_search (rowid, label, sender)
        SELECT NEW.mailbox_id * 68719476736 + NEW.id, NEW.label, COALESCE(NEW.sender_label, '')
         WHERE NOT EXISTS (SELECT 1 FROM letters_search_defer WHERE NEW.id >= from_id);
END;

DROP TRIGGER letters_search_upd;
CREATE TRIGGER letters_search_upd
    AFTER UPDATE OF id, mailbox_id, state, folder, label, sender_label ON letters
    WHEN NOT (OLD.mailbox_id IS NOT NULL AND OLD.state IN ('AWAITING_DELAY', 'AVAILABLE')
              AND OLD.folder <> 'purged'
              AND NEW.mailbox_id IS NOT NULL AND NEW.state IN ('AWAITING_DELAY', 'AVAILABLE')
              AND NEW.folder <> 'purged'
              AND OLD.id = NEW.id AND OLD.mailbox_id = NEW.mailbox_id
              AND OLD.label = NEW.label AND OLD.sender_label IS NEW.sender_label)
BEGIN
    DELETE FROM letters_search WHERE rowid = OLD.mailbox_id * 68719476736 + OLD.id;
    SELECT RAISE(ABORT, 'letters_search: letter or mailbox id beyond the index range')
     WHERE NEW.mailbox_id IS NOT NULL
       AND (NEW.id >= 68719476736 OR NEW.mailbox_id >= 134217728 OR NEW.mailbox_id < 0);
    INSERT INTO letters_search (rowid, label, sender)
        SELECT NEW.mailbox_id * 68719476736 + NEW.id, NEW.label, COALESCE(NEW.sender_label, '')
         WHERE NEW.mailbox_id IS NOT NULL AND NEW.state IN ('AWAITING_DELAY', 'AVAILABLE')
           AND NEW.folder <> 'purged'
           AND NOT EXISTS (SELECT 1 FROM letters_search_defer WHERE NEW.id >= from_id);
END;

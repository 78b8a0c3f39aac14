-- 073_letters_search_defer_fold: the group commit's deferral of the mailbox search index
-- (migration 060) in two statements per batch instead of four, and no trigger program per
-- letter while it is deferred (issue 15, docs/send-api.md "Cuts of session 10").
--
-- Before: the batch read MAX(id) + 1, inserted it into letters_search_defer, and at its end
-- deleted the row and indexed the letters from that id with an INSERT ... SELECT; every
-- letter's INSERT ran letters_search_ins's program (its range check and an INSERT ... SELECT
-- that the deferral row made insert nothing). Now:
--   - the batch puts the row with one statement (INSERT ... SELECT COALESCE(MAX(id), 0) + 1
--     FROM letters) and removes it with one (DELETE FROM letters_search_defer), and the
--     trigger below, on that DELETE, indexes the letters from the row's from_id as they stand,
--     in one INSERT ... SELECT, as the batch did (one FTS5 segment per commit);
--   - letters_search_ins runs its program only when the letter is indexed now (no deferral
--     row covers it) or is beyond the index range (still refused, per letter, as before): the
--     WHEN clause says so, and SQLite evaluates a trigger's WHEN without entering its program.
-- Every other writer (CLI, sqlite3 shell, tests) finds letters_search_defer empty and is
-- indexed by letters_search_ins as before. PostgreSQL (a GIN index on letters, nothing
-- deferred) has nothing to change: its 073 is empty.

DROP TRIGGER letters_search_ins;
CREATE TRIGGER letters_search_ins AFTER INSERT ON letters
    WHEN NEW.mailbox_id IS NOT NULL AND NEW.state IN ('AWAITING_DELAY', 'AVAILABLE')
         AND NEW.folder <> 'purged'
         AND (NEW.id >= 68719476736 OR NEW.mailbox_id >= 134217728 OR NEW.mailbox_id < 0
              OR NOT EXISTS (SELECT 1 FROM letters_search_defer WHERE NEW.id >= from_id))
BEGIN
    SELECT RAISE(ABORT, 'letters_search: letter or mailbox id beyond the index range')
     WHERE NEW.id >= 68719476736 OR NEW.mailbox_id >= 134217728 OR NEW.mailbox_id < 0;
    INSERT INTO letters_search (rowid, label, sender)
        VALUES (NEW.mailbox_id * 68719476736 + NEW.id, NEW.label, COALESCE(NEW.sender_label, ''));
END;

CREATE TRIGGER letters_search_defer_end AFTER DELETE ON letters_search_defer
BEGIN
    INSERT INTO letters_search (rowid, label, sender)
        SELECT mailbox_id * 68719476736 + id, label, COALESCE(sender_label, '') FROM letters
         WHERE id >= OLD.from_id AND mailbox_id IS NOT NULL
           AND state IN ('AWAITING_DELAY', 'AVAILABLE') AND folder <> 'purged'
         ORDER BY id;
END;

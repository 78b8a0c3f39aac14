-- 017_letters_search: the index of the mailbox search by text in title and sender
-- (hub/mailbox_search.c, docs/mailbox-web.md "Search by text", docs/store.md "Text search").
-- letters_search: an FTS5 table with SQLite's trigram tokenizer (substring matching, Unicode
-- case folding: Æ Ø Å = æ ø å), one row per letter that is or may become visible in a mailbox
-- (a mailbox, state AWAITING_DELAY or AVAILABLE, not purged): its title and sender name, rowid
-- = mailbox_id * 2^36 + letters.id. Each mailbox's letters are one rowid range, and a search
-- constrains the rowid to it: FTS5 then seeks every trigram's posting list to the mailbox's
-- range and reads only that, however common the word is in other mailboxes. (Limits:
-- letters.id < 2^36, mailbox ids < 2^27; an insert beyond them is refused, not left
-- unindexed.)
-- Kept by the triggers below in the same transaction as every insert, delete and change of a
-- letter (recall and permanent delete remove the row; a move between folders, a read mark or
-- a value date reached change nothing here: the query checks folder and state on letters).
-- SQLite's own tokenizer: the sqlite3 shell and other programs read and write the database.
CREATE VIRTUAL TABLE letters_search USING fts5(label, sender, tokenize = 'trigram',
                                               columnsize = 0);

INSERT INTO letters_search (rowid, label, sender)
    SELECT mailbox_id * 68719476736 + id, label, COALESCE(sender_label, '')
      FROM letters
     WHERE mailbox_id IS NOT NULL AND state IN ('AWAITING_DELAY', 'AVAILABLE')
       AND folder <> 'purged';

CREATE TRIGGER letters_search_ins AFTER INSERT ON letters
    WHEN NEW.mailbox_id IS NOT NULL AND NEW.state IN ('AWAITING_DELAY', 'AVAILABLE')
         AND NEW.folder <> 'purged'
BEGIN
    SELECT RAISE(ABORT, 'letters_search: letter or mailbox id beyond the index range')
     WHERE NEW.id >= 68719476736 OR NEW.mailbox_id >= 134217728 OR NEW.mailbox_id < 0;
    INSERT INTO letters_search (rowid, label, sender)
        VALUES (NEW.mailbox_id * 68719476736 + NEW.id, NEW.label,
                COALESCE(NEW.sender_label, ''));
END;
CREATE TRIGGER letters_search_del AFTER DELETE ON letters
    WHEN OLD.mailbox_id IS NOT NULL
BEGIN
    DELETE FROM letters_search WHERE rowid = OLD.mailbox_id * 68719476736 + OLD.id;
END;
-- Indexed before and after with the same values: nothing to do (the usual folder move, read
-- mark, value-date publication). Otherwise the old row goes and the new one comes if indexed.
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
           AND NEW.folder <> 'purged';
END;

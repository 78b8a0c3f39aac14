-- 050_mailbox_reading: the owner's own folders, flags and legal notification in /post/
-- (docs/mailbox-web.md, hub/mailbox_folders.h).
-- mailbox_folders: a mailbox's own folders (NgDP folderType USER_DEFINED), nested through
-- parent_id. A letter in one has letters.folder = 'f' || id, so the page index
-- letters_mailbox_page and the counts in mailbox_counts (migration 037) serve own folders
-- exactly like inbox and deleted. Names are unique among siblings (parent 0 = top level).
CREATE TABLE mailbox_folders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a recalled letter keeps its folder
    mailbox_id  INTEGER NOT NULL REFERENCES mailboxes(id),
    parent_id   INTEGER NOT NULL DEFAULT 0,   -- 0 = top level, else mailbox_folders.id
    name        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE UNIQUE INDEX mailbox_folders_name ON mailbox_folders(mailbox_id, parent_id, name);

-- flagged: the reader's flag (NgDP Message.flag, "opfølgning"); the partial index lists the
-- flagged letters of one folder newest first with the same keyset cursor as the folder.
-- legally_notified_ms: when a letter with MeMo legalNotification=true was first opened
-- (NgDP legallyNotifiedDateTime, event MESSAGE_LEGALLY_NOTIFIED).
ALTER TABLE letters ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE letters ADD COLUMN legally_notified_ms INTEGER;
CREATE INDEX letters_mailbox_flagged
    ON letters(mailbox_id, folder, COALESCE(available_ms, created_ms), id)
    WHERE state = 'AVAILABLE' AND flagged = 1;

-- 048_mailbox_drafts: letters being written at /post/skriv and saved as drafts ("kladder",
-- docs/mailbox-web.md), with their attachments (hub/mailbox_drafts.c). A draft belongs to a
-- mailbox (the owner's; a helper with read-write access saves it on the owner's behalf) and
-- is written to one contact point. It is not a letter: no messageUUID, no events, nothing
-- routed, until it is sent through the ordinary send path (then it is deleted).
-- mailbox_draft_counts: drafts per mailbox, kept by hub/mailbox_drafts.c in the same
-- transaction as every insert and delete, so the folder navigation reads one row.

CREATE TABLE mailbox_drafts (
    id          TEXT PRIMARY KEY,              -- UUID v4 (the id in /post/kladder/{id})
    mailbox_id  INTEGER NOT NULL REFERENCES mailboxes(id),
    point_id    TEXT NOT NULL,                 -- contact point written to
    label       TEXT NOT NULL,                 -- subject ('' while empty)
    body        TEXT NOT NULL,                 -- the letter's text
    saved_by    TEXT NOT NULL,                 -- actor who saved it last ("cpr:<n>", "cvr:<n>")
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX mailbox_drafts_page ON mailbox_drafts(mailbox_id, updated_ms, id);

CREATE TABLE mailbox_draft_files (
    draft_id  TEXT NOT NULL REFERENCES mailbox_drafts(id) ON DELETE CASCADE,
    n         INTEGER NOT NULL,                -- 1, 2, ... in the order attached
    filename  TEXT NOT NULL,
    mime      TEXT NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (draft_id, n)
);

CREATE TABLE mailbox_draft_counts (
    mailbox_id  INTEGER PRIMARY KEY,
    drafts      INTEGER NOT NULL
);

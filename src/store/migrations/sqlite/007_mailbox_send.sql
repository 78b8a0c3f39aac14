-- 007_mailbox_send: letters written by citizens and companies through the mailbox API
-- (POST /api/mailbox/messages and .../{uuid}/reply, docs/mailbox-api.md "Writing to
-- authorities"). Such a letter has no sender system: sender_system = '' (the empty string,
-- because the column is NOT NULL), sender_cvr = the writer's CVR for a company and '' for a
-- citizen, and sender_mailbox_id = the writer's mailbox, which lists it in its "sent" folder.
-- System letters keep sender_mailbox_id NULL.

ALTER TABLE letters ADD COLUMN sender_mailbox_id INTEGER REFERENCES mailboxes(id);
CREATE INDEX letters_sender_mailbox ON letters(sender_mailbox_id, created_ms)
    WHERE sender_mailbox_id IS NOT NULL;

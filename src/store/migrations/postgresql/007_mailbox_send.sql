-- 007_mailbox_send (PostgreSQL): letters written by citizens and companies through the
-- mailbox API. Mirrors sqlite/007_mailbox_send.sql.

ALTER TABLE letters ADD COLUMN sender_mailbox_id BIGINT REFERENCES mailboxes(id);
CREATE INDEX letters_sender_mailbox ON letters(sender_mailbox_id, created_ms)
    WHERE sender_mailbox_id IS NOT NULL;

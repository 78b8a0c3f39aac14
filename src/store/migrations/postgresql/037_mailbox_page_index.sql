-- 037_mailbox_page_index (PostgreSQL; mirrors sqlite/037_mailbox_page_index.sql): a folder of
-- one mailbox read in index order with a keyset cursor, and the counts per folder covered.

CREATE INDEX letters_mailbox_page ON letters(mailbox_id, folder, (COALESCE(available_ms, created_ms)), id)
    WHERE state = 'AVAILABLE';
CREATE INDEX letters_mailbox_read ON letters(mailbox_id, folder, read_ms, state) WHERE state = 'AVAILABLE';

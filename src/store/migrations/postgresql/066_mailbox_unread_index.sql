-- 066_mailbox_unread_index (PostgreSQL; mirrors sqlite/066_mailbox_unread_index.sql): the
-- unread letters of one folder, newest first, with the folder page's keyset cursor, so the
-- unread filter reads only unread letters (hub/mailbox_view.c SQL_LIST_FOLDER_UNREAD).
CREATE INDEX letters_mailbox_unread
    ON letters(mailbox_id, folder, (COALESCE(available_ms, created_ms)), id)
    WHERE state = 'AVAILABLE' AND read_ms IS NULL;

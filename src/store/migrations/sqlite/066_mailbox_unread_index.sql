-- 066_mailbox_unread_index: the unread letters of one folder, newest first, with the same
-- keyset cursor as the folder's page (letters_mailbox_page, migration 037). The page of the
-- unread filter (/post/ "ulæste", GET /api/mailbox/messages?unread=true) read the folder's
-- page index from the newest letter on and stepped over every read letter until it had a page:
-- in a large mailbox with few, old unread letters that is nearly the whole folder. The query
-- says read_ms IS NULL literally (hub/mailbox_view.c SQL_LIST_FOLDER_UNREAD), so the planner
-- proves this partial index usable; it holds only the unread letters, and an entry leaves it
-- when its letter is read. Plans before/after: docs/mailbox-web.md "Page speed".
CREATE INDEX letters_mailbox_unread
    ON letters(mailbox_id, folder, COALESCE(available_ms, created_ms), id)
    WHERE state = 'AVAILABLE' AND read_ms IS NULL;

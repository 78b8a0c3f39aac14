-- 037_mailbox_page_index: a folder of one mailbox, newest first, is read in index order with a
-- keyset cursor (hub/mailbox_view.c SQL_LIST_FOLDER): the first page of a folder touches 21
-- index entries however many letters the mailbox holds. The second index covers the counts per
-- folder (letters and unread) without reading the letters' rows. bench/mailbox_bench.c times
-- both at 1 M letters in one mailbox.

CREATE INDEX letters_mailbox_page ON letters(mailbox_id, folder, COALESCE(available_ms, created_ms), id)
    WHERE state = 'AVAILABLE';
CREATE INDEX letters_mailbox_read ON letters(mailbox_id, folder, read_ms, state) WHERE state = 'AVAILABLE';

-- 074_letters_search_defer_rows: the deferral row's DELETE trigger (migration 073) indexes only
-- the letters that no other row of letters_search_defer still leaves unindexed, so that two
-- rows never index a letter twice (FTS5 refuses a rowid it has: "constraint failed").
--
-- Since session 12 the letter writer's row outlives its COMMIT (hub/letter_store.c
-- kv_letters_store_group: a durable "not indexed from" mark, until 256 letters are behind it).
-- A kuvert from before session 12 puts a row of its own in every batch without looking
-- (INSERT ... SELECT COALESCE(MAX(id), 0) + 1) and removes all rows at its end: with the
-- durable row there, both rows' DELETE triggers indexed the letters from the later from_id,
-- and every batch of that build failed until someone removed the row by hand. The triggers
-- live in the database, so this trigger protects that build too: the first row deleted indexes
-- the letters up to the next row's from_id (none when a row from before it remains), the last
-- one the rest. One range on the rowid, its end read once per row deleted: nothing per letter.
-- (letters_search_ins and letters_search_upd already leave a letter unindexed while any row's
-- from_id is at or below its id; the search reads the letters from MIN(from_id) as candidates.)

DROP TRIGGER letters_search_defer_end;
CREATE TRIGGER letters_search_defer_end AFTER DELETE ON letters_search_defer
BEGIN
    INSERT INTO letters_search (rowid, label, sender)
        SELECT mailbox_id * 68719476736 + id, label, COALESCE(sender_label, '') FROM letters
         WHERE id >= OLD.from_id
           AND id < (SELECT COALESCE(MIN(from_id), 9223372036854775807)
                       FROM letters_search_defer)
           AND mailbox_id IS NOT NULL
           AND state IN ('AWAITING_DELAY', 'AVAILABLE') AND folder <> 'purged'
         ORDER BY id;
END;

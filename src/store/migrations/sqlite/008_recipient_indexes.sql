-- 008_recipient_indexes: make the recipient queue's hot queries independent of the letters
-- table and of the queue's length (docs/recipient-side.md "Benchmarks").
--
-- recipient_queue.visible_ms is a copy of the letter's visibility: letters.available_ms
-- (created_ms when NULL) while the letter is not RECALLED, NULL once it is (never visible). A row
-- is visible to its system when visible_ms <= now. Routing (kv_recipient_route) copies it
-- from the letters row; the trigger below keeps it equal when the letter's state or
-- available_ms changes (value-date publishing, recall), whoever changes it. With it:
--   - the pull list and its totalElements count are index-only range scans of one system's
--     entries (recipient_queue_list), without reading letters rows (whose MeMo body is
--     stored inline, so reading a column after it walks the body's overflow pages);
--   - the oldest waiting letter of a system (the pull rule of the health check) is one
--     index seek (recipient_queue_waiting), as is the QUEUED count of `system show`.

ALTER TABLE recipient_queue ADD COLUMN visible_ms INTEGER;   -- letter visible from (ms); NULL = never (recalled)

UPDATE recipient_queue SET visible_ms =
    (SELECT CASE WHEN l.state = 'RECALLED' THEN NULL ELSE COALESCE(l.available_ms, l.created_ms) END
     FROM letters l WHERE l.id = recipient_queue.letter_id);

-- Pull list and count: one system's rows not deleted, in queue order. Covering (state is a
-- column too, because SQLite does not count a `<>` term of the partial index as covered).
CREATE INDEX recipient_queue_list
    ON recipient_queue(system_id, id, visible_ms, letter_id, state) WHERE state <> 'DELETED';
-- Waiting (not yet fetched / pushed) rows of one system by visibility: oldest waiting letter.
CREATE INDEX recipient_queue_waiting ON recipient_queue(system_id, visible_ms)
    WHERE state = 'QUEUED';

-- Push: a row is due when its retry time has come and its letter is visible, i.e. when
-- max(COALESCE(next_ms, 0), visible_ms) <= now (NULL, never, for a recalled letter). Ordered
-- by that due time, the due rows of one system are one range seek, however many rows of it
-- back off or wait for a value date. A query must spell the expression exactly so:
--   WHERE q.system_id = ? AND q.state = 'QUEUED'
--     AND max(COALESCE(q.next_ms, 0), q.visible_ms) <= ?
--   ORDER BY max(COALESCE(q.next_ms, 0), q.visible_ms), q.id LIMIT ?
CREATE INDEX recipient_queue_push_due
    ON recipient_queue(system_id, max(COALESCE(next_ms, 0), visible_ms), id)
    WHERE state = 'QUEUED';

CREATE TRIGGER recipient_queue_visibility AFTER UPDATE OF state, available_ms ON letters
    WHEN OLD.state IS NOT NEW.state OR OLD.available_ms IS NOT NEW.available_ms
BEGIN
    UPDATE recipient_queue
       SET visible_ms = CASE WHEN NEW.state = 'RECALLED' THEN NULL
                             ELSE COALESCE(NEW.available_ms, NEW.created_ms) END
     WHERE letter_id = NEW.id;
END;

-- 008_recipient_indexes (PostgreSQL): the recipient queue's copy of a letter's visibility
-- (visible_ms) kept by a trigger, and the indexes of the pull list, the oldest waiting letter
-- and the push due time. Mirrors sqlite/008_recipient_indexes.sql (which explains each);
-- max(a, b) is the function of 001_core.

ALTER TABLE recipient_queue ADD COLUMN visible_ms BIGINT;   -- letter visible from (ms); NULL = never (recalled)

UPDATE recipient_queue SET visible_ms =
    (SELECT CASE WHEN l.state = 'RECALLED' THEN NULL ELSE COALESCE(l.available_ms, l.created_ms) END
     FROM letters l WHERE l.id = recipient_queue.letter_id);

CREATE INDEX recipient_queue_list
    ON recipient_queue(system_id, id, visible_ms, letter_id, state) WHERE state <> 'DELETED';
CREATE INDEX recipient_queue_waiting ON recipient_queue(system_id, visible_ms)
    WHERE state = 'QUEUED';
CREATE INDEX recipient_queue_push_due
    ON recipient_queue(system_id, max(COALESCE(next_ms, 0), visible_ms), id)
    WHERE state = 'QUEUED';

CREATE FUNCTION recipient_queue_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE recipient_queue
       SET visible_ms = CASE WHEN NEW.state = 'RECALLED' THEN NULL
                             ELSE COALESCE(NEW.available_ms, NEW.created_ms) END
     WHERE letter_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER recipient_queue_visibility AFTER UPDATE OF state, available_ms ON letters
    FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.available_ms IS DISTINCT FROM NEW.available_ms)
    EXECUTE FUNCTION recipient_queue_visibility();

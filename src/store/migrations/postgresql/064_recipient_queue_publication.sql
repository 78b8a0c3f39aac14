-- 064_recipient_queue_publication: a routed letter with a value date gets its place in its
-- system's pull list when it is published, not when it is sent. See the SQLite migration of
-- the same number: visible_ms is NULL while the letter is AWAITING_DELAY (as when recalled),
-- and the publisher draws the row a new queue id under the fence (kv_recipient_publish).

CREATE OR REPLACE FUNCTION recipient_queue_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE recipient_queue
       SET visible_ms = CASE WHEN NEW.state IN ('RECALLED', 'AWAITING_DELAY') THEN NULL
                             ELSE COALESCE(NEW.available_ms, NEW.created_ms) END
     WHERE letter_id = NEW.id;
    RETURN NULL;
END
$$;

UPDATE recipient_queue SET visible_ms = NULL
 WHERE letter_id IN (SELECT id FROM letters WHERE state = 'AWAITING_DELAY');

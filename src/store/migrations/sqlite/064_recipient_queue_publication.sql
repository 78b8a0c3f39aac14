-- 064_recipient_queue_publication: a routed letter with a value date gets its place in its
-- system's pull list when it is published, not when it is sent (docs/recipient-side.md,
-- "Value dates and the list order").
--
-- The pull list is in queue id order and a system pages by `after` (the last letter it has
-- seen). A letter sent with a future value date was queued, and so numbered, when it was
-- sent, but listed only once its date had come: by then the system had paged past its
-- number and never saw it. Now such a row is not visible at all until the value-date
-- publisher makes its letter AVAILABLE (visible_ms NULL while the letter is AWAITING_DELAY,
-- as when it is recalled), and the publisher gives it a new queue id then, drawn under the
-- fence of recipient_queue_id_seq (kv_recipient_publish), so it comes after every letter
-- listed so far and the sequence horizon still covers it.

DROP TRIGGER recipient_queue_visibility;
CREATE TRIGGER recipient_queue_visibility AFTER UPDATE OF state, available_ms ON letters
    WHEN OLD.state IS NOT NEW.state OR OLD.available_ms IS NOT NEW.available_ms
BEGIN
    UPDATE recipient_queue
       SET visible_ms = CASE WHEN NEW.state IN ('RECALLED', 'AWAITING_DELAY') THEN NULL
                             ELSE COALESCE(NEW.available_ms, NEW.created_ms) END
     WHERE letter_id = NEW.id;
END;

-- the letters still waiting for their date (index letters_awaiting); the publisher numbers
-- them anew when it publishes them
UPDATE recipient_queue SET visible_ms = NULL
 WHERE letter_id IN (SELECT id FROM letters WHERE state = 'AWAITING_DELAY');

-- 059_event_subject_partial (PostgreSQL): mirrors sqlite/059_event_subject_partial.sql.
-- events_subject (migration 036) holds only the events a reader by subject can ask for:
-- not the events a send writes about its recipient (the condition is KV__EVENTS_SUBJECTED in
-- src/hub/events_int.h, written literally into kv_events_of_subject's statement so that the
-- planner proves the index usable), nor events without a subject.

DROP INDEX IF EXISTS events_subject;
CREATE INDEX events_subject ON events(subject, seq) WHERE subject IS NOT NULL
    AND tag <> 'MEMO_SEND_RECEIVED' AND tag <> 'MEMO_SEND_VALIDATED'
    AND tag <> 'MEMO_AVAILABLE_TO_RECIPIENT'
    AND tag <> 'DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY'
    AND tag <> 'MEMO_SEND_NOT_ALLOWED' AND tag <> 'PHYSICAL_LETTER_SENT';

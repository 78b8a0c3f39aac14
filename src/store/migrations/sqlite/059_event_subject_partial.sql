-- 059_event_subject_partial: events_subject (migration 036) holds only the events a reader
-- by subject can ask for. Its one reader, a mailbox's activity log (kv_events_of_subject,
-- hub/mailbox_activity.c), never asks for the events a send writes about its recipient
-- (MEMO_SEND_RECEIVED, MEMO_SEND_VALIDATED and the routing outcome, subject "cpr:<n>" or
-- "cvr:<n>"), yet each of them put an entry under a random recipient key into this index:
-- three of a Minimum letter's eighteen event index entries (issue 15, docs/send-api.md).
-- The condition is KV__EVENTS_SUBJECTED in src/hub/events_int.h, written literally into the
-- reader's statement so that both SQLite and PostgreSQL prove the index usable;
-- kv_events_of_subject refuses those tags. Events without a subject have no reader by
-- subject either.

DROP INDEX IF EXISTS events_subject;
CREATE INDEX events_subject ON events(subject, seq) WHERE subject IS NOT NULL
    AND tag <> 'MEMO_SEND_RECEIVED' AND tag <> 'MEMO_SEND_VALIDATED'
    AND tag <> 'MEMO_AVAILABLE_TO_RECIPIENT'
    AND tag <> 'DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY'
    AND tag <> 'MEMO_SEND_NOT_ALLOWED' AND tag <> 'PHYSICAL_LETTER_SENT';

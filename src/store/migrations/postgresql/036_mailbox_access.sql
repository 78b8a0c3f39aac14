-- 036_mailbox_access (PostgreSQL; mirrors sqlite/036_mailbox_access.sql): read and read-write access for helpers at /post/ (docs/mailbox-web.md).
-- web_sessions.mailbox: the mailbox a signed-in citizen has switched to ("CPR:<10 digits>" or
-- "CVR:<8 digits>" of a mailbox they were given access to; NULL = their own). The access
-- itself is re-checked on every request (identity/rights.h kv_rights_mailbox_level), so a
-- revoked or lapsed access ends at once; this column only remembers the choice.
-- events_subject: a mailbox's activity log (who read, moved, replied, when) reads the events
-- of one subject ("cpr:<n>") newest first through this index instead of walking the log.

ALTER TABLE web_sessions ADD COLUMN mailbox TEXT;
CREATE INDEX events_subject ON events(subject, seq);

-- 005_recipient_health: delivery health of recipient systems (automatic deactivation after
-- 7 days without a successful delivery, issue 4) and the outbox of e-mails the hub sends
-- (warning and deactivation mails over SMTP). Times are Unix ms UTC.

ALTER TABLE systems ADD COLUMN last_success_ms INTEGER;   -- last successful delivery (push 2xx / pull fetch)
ALTER TABLE systems ADD COLUMN failing_since_ms INTEGER;  -- push: first failed attempt since the last success; NULL = not failing
ALTER TABLE systems ADD COLUMN last_failure_ms INTEGER;   -- push: most recent failed attempt
ALTER TABLE systems ADD COLUMN last_error TEXT;           -- push: text of the most recent failure
ALTER TABLE systems ADD COLUMN warnings_sent INTEGER NOT NULL DEFAULT 0; -- warning mails queued in this failure period (count of thresholds passed)
ALTER TABLE systems ADD COLUMN last_fetch_ms INTEGER;     -- pull: last GET of the list or of a letter
ALTER TABLE systems ADD COLUMN deactivated_ms INTEGER;    -- when it was last deactivated (automatic or by hand)

-- E-mails to send. Rows are written in the same transaction as the state change they report
-- (so a crash loses none) and sent by the scheduler; a failed SMTP attempt is retried.
CREATE TABLE mail_outbox (
    id          INTEGER PRIMARY KEY,
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,              -- plain text, UTF-8
    kind        TEXT NOT NULL,              -- e.g. SYSTEM_WARNING, SYSTEM_DEACTIVATED
    system_id   TEXT REFERENCES systems(id),
    state       TEXT NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'SENT', 'FAILED')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_ms     INTEGER NOT NULL,           -- next attempt due
    last_error  TEXT,
    created_ms  INTEGER NOT NULL,
    sent_ms     INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox(state, next_ms) WHERE state = 'PENDING';

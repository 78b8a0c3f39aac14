-- 003_receipts: receipts for sender systems (pull and push).

CREATE TABLE receipts (
    id               INTEGER PRIMARY KEY,    -- receipt id in /apis/v1/receipts/{id}
    system_id        TEXT NOT NULL,          -- owning sender system
    transmission_id  TEXT NOT NULL,
    message_uuid     TEXT,
    message_id       TEXT,
    receipt_status   TEXT NOT NULL,          -- NOT_ALLOWED | INVALID | RECEIVED | COMPLETED
    error_code       TEXT,
    error_message    TEXT,
    time_ms          INTEGER NOT NULL,
    deleted          INTEGER NOT NULL DEFAULT 0,
    push_state       TEXT,                   -- NULL (pull only) | 'PENDING' | 'DONE' | 'FAILED'
    push_attempts    INTEGER NOT NULL DEFAULT 0,
    push_next_ms     INTEGER,
    push_last_error  TEXT
);
CREATE INDEX receipts_system ON receipts(system_id, deleted, id);
CREATE INDEX receipts_push ON receipts(push_state, push_next_ms) WHERE push_state = 'PENDING';

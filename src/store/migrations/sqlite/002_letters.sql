-- 002_letters: letters as received, print jobs for exempt recipients.

CREATE TABLE letters (
    id               INTEGER PRIMARY KEY,
    message_uuid     TEXT NOT NULL UNIQUE,   -- lower-cased messageUUID; globally unique
    transmission_id  TEXT NOT NULL,          -- UUID v4 given in the receipt
    sender_system    TEXT NOT NULL,          -- systems.id that submitted it
    sender_cvr       TEXT NOT NULL,
    sender_label     TEXT,
    recipient_type   TEXT NOT NULL,          -- 'CPR' | 'CVR'
    recipient_id     TEXT NOT NULL,
    mailbox_id       INTEGER REFERENCES mailboxes(id),   -- NULL when not delivered
    message_id       TEXT,
    label            TEXT NOT NULL,
    message_type     TEXT NOT NULL,          -- DIGITALPOST | NEMSMS
    memo_version     TEXT NOT NULL,
    body_sha256      TEXT NOT NULL,          -- hex SHA-256 of the submitted bytes (idempotency)
    body             BLOB NOT NULL,          -- the MeMo XML exactly as submitted
    size             INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('AWAITING_DELAY', 'AVAILABLE', 'RECALLED',
                                                    'PRINT', 'NOT_ALLOWED')),
    receipt_status   TEXT NOT NULL,          -- RECEIVED | NOT_ALLOWED | ...
    error_code       TEXT,
    error_message    TEXT,
    available_ms     INTEGER,                -- when it becomes (became) visible
    created_ms       INTEGER NOT NULL,
    read_ms          INTEGER,                -- first MESSAGE_READ
    folder           TEXT NOT NULL DEFAULT 'inbox'
);
CREATE INDEX letters_mailbox ON letters(mailbox_id, state, available_ms);
CREATE INDEX letters_awaiting ON letters(state, available_ms) WHERE state = 'AWAITING_DELAY';

CREATE TABLE print_jobs (
    id           INTEGER PRIMARY KEY,
    letter_id    INTEGER NOT NULL REFERENCES letters(id),
    address      TEXT,
    state        TEXT NOT NULL DEFAULT 'QUEUED',
    created_ms   INTEGER NOT NULL
);

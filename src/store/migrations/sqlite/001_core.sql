-- 001_core: organisations, systems, mailboxes, user tokens, event log.
-- Times are Unix milliseconds UTC (INTEGER). Ids of systems are UUID v4 text.

CREATE TABLE orgs (
    cvr         TEXT PRIMARY KEY,            -- 8 digits
    name        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE systems (
    id              TEXT PRIMARY KEY,        -- UUID v4, the "systemId" half of the token
    org_cvr         TEXT NOT NULL REFERENCES orgs(cvr),
    kind            TEXT NOT NULL CHECK (kind IN ('sender', 'recipient')),
    name            TEXT NOT NULL,
    secret_sha256   TEXT NOT NULL,           -- hex SHA-256 of the secret half of the token
    receipt_url     TEXT,                    -- sender: where receipts are pushed (NULL = pull only)
    protocol        TEXT,                    -- recipient: 'pull' | 'push'
    push_url        TEXT,                    -- recipient push endpoint
    contact_email   TEXT,                    -- warning e-mails
    is_default      INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    created_ms      INTEGER NOT NULL
);
CREATE INDEX systems_org ON systems(org_cvr);

CREATE TABLE mailboxes (
    id          INTEGER PRIMARY KEY,
    owner_type  TEXT NOT NULL CHECK (owner_type IN ('CPR', 'CVR')),
    owner_id    TEXT NOT NULL,               -- 10-digit CPR or 8-digit CVR
    name        TEXT,
    status      TEXT NOT NULL CHECK (status IN ('REGISTERED', 'EXEMPT', 'CLOSED')),
    address     TEXT,                        -- postal address for printed letters (exempt)
    created_ms  INTEGER NOT NULL,
    closed_ms   INTEGER,
    UNIQUE (owner_type, owner_id)
);

CREATE TABLE user_tokens (
    token_sha256 TEXT PRIMARY KEY,           -- hex SHA-256 of the bearer token
    owner_type   TEXT NOT NULL CHECK (owner_type IN ('CPR', 'CVR')),
    owner_id     TEXT NOT NULL,
    created_ms   INTEGER NOT NULL
);

CREATE TABLE events (
    seq           INTEGER PRIMARY KEY,       -- 1, 2, 3, ... in append order
    event_id      TEXT NOT NULL UNIQUE,      -- UUID v4
    time_ms       INTEGER NOT NULL,
    tag           TEXT NOT NULL,
    message_uuid  TEXT,
    system_id     TEXT,
    actor         TEXT,
    subject       TEXT,
    props         TEXT,                      -- JSON object text
    prev_hash     TEXT NOT NULL,             -- hash of seq-1 ('' x64 zeros for the first)
    hash          TEXT NOT NULL              -- SHA-256 hex over prev_hash and the fields
);
CREATE INDEX events_time ON events(time_ms);
CREATE INDEX events_msg ON events(message_uuid);

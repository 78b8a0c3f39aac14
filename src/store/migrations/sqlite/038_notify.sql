-- 038_notify: notification settings per access (a mailbox's owner and each helper), their
-- channels (e-mail confirmed by link, one mobile number confirmed by PIN, push per device),
-- the notice outbox (one row per letter, kind and channel: the unique key that keeps a notice
-- from being sent twice), NemSMS subscriptions, and the legalNotification flag of a letter
-- (for the reminder rule). docs/notifications.md. Mirrored in postgresql/038_notify.sql.

ALTER TABLE letters ADD COLUMN legal_notification INTEGER NOT NULL DEFAULT 0;

CREATE TABLE notify_settings (
    id            INTEGER PRIMARY KEY,
    mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id),
    holder        TEXT NOT NULL,             -- who holds the access: 'CPR:<cpr>', 'CVR:<cvr>' (API
                                             -- owner) or 'PERSON:<persons.id>' (company user)
    quiet_from    INTEGER,                   -- quiet hours start, minutes after 00:00 Copenhagen
    quiet_to      INTEGER,                   -- quiet hours end (may be < quiet_from: over midnight)
    opted_out_ms  INTEGER,                   -- set: no notices at all (optedOutOfNotificationsDateTime)
    updated_ms    INTEGER NOT NULL,
    UNIQUE (mailbox_id, holder)
);

CREATE TABLE notify_channels (
    id              INTEGER PRIMARY KEY,
    settings_id     INTEGER NOT NULL REFERENCES notify_settings(id),
    kind            TEXT NOT NULL CHECK (kind IN ('EMAIL', 'SMS', 'PUSH')),
    address         TEXT NOT NULL,           -- e-mail address, 8-digit number, or push device token
    device_id       TEXT,                    -- PUSH: the device
    device_name     TEXT,                    -- PUSH: its name as the app gave it
    provider        TEXT,                    -- PUSH: APN | FCM
    secret_sha256   TEXT,                    -- hex SHA-256 of the open confirmation link token / PIN
    secret_expires_ms INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0, -- wrong PINs against the current one
    confirmed_ms    INTEGER,                 -- NULL until confirmed (PUSH: at registration)
    created_ms      INTEGER NOT NULL,
    UNIQUE (settings_id, kind, address)
);
CREATE INDEX notify_channels_settings ON notify_channels(settings_id);

CREATE TABLE notify_outbox (
    id          INTEGER PRIMARY KEY,
    ukey        TEXT NOT NULL UNIQUE,        -- NEW:<letter>:<channel>, REMINDER:<letter>:<channel>,
                                             -- PIN:<channel>:<n>, NEMSMS:<letter>: never twice
    kind        TEXT NOT NULL CHECK (kind IN ('NEW', 'REMINDER', 'PIN', 'NEMSMS')),
    channel     TEXT NOT NULL CHECK (channel IN ('EMAIL', 'SMS', 'PUSH')),
    channel_id  INTEGER,                     -- notify_channels.id (NULL for NemSMS)
    letter_id   INTEGER,                     -- letters.id (NULL for a PIN)
    target      TEXT,                        -- PIN / NemSMS: the number; else from the channel
    text        TEXT,                        -- PIN / NemSMS: the text; else rendered when sent
    state       TEXT NOT NULL DEFAULT 'PENDING'
                CHECK (state IN ('PENDING', 'SENDING', 'SENT', 'FAILED', 'DROPPED')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_ms     INTEGER NOT NULL,            -- next attempt due (quiet hours move it)
    last_error  TEXT,
    created_ms  INTEGER NOT NULL,
    sent_ms     INTEGER,
    remind      INTEGER NOT NULL DEFAULT 2    -- NEW rows: 0 = reminder rule not yet applied,
                                             -- 1 = waits for the ordinary delay, 2 = settled
);
CREATE INDEX notify_outbox_due ON notify_outbox(state, next_ms);
CREATE INDEX notify_outbox_remind ON notify_outbox(remind, created_ms);
CREATE INDEX notify_outbox_letter ON notify_outbox(letter_id);

CREATE TABLE nemsms_subscriptions (
    cpr             TEXT PRIMARY KEY,        -- 10 digits
    mobile          TEXT NOT NULL,           -- ^[2-9][0-9]{7}$
    pending_mobile  TEXT,                    -- a new number waiting for its PIN
    pin_sha256      TEXT,                    -- hex SHA-256 of the open PIN
    pin_expires_ms  INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    confirmed_ms    INTEGER,                 -- NULL until the first number is confirmed
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL
);

-- 032_statistics: usage statistics (Anvendelsesstatistik, docs/administrativ-adgang.md) kept
-- as aggregate rows. stats_letters gets one upsert per stored letter, in the transaction that
-- stores it (hub/stats.c, called from letter_store.c); stats_deliveries one per push attempt
-- to a recipient system and per pull fetch. A period's figures are read from these rows,
-- never from letters. day: the Copenhagen calendar day, days since 1970-01-01. A dimension
-- that does not apply is '' (never NULL: the key must be unique). Only authorities are named
-- as sender or recipient; citizens and companies are counted by type, never one by one.

CREATE TABLE stats_letters (
    sender            TEXT NOT NULL,        -- Sender CVR of an authority, else ''
    day               INTEGER NOT NULL,
    recipient         TEXT NOT NULL,        -- CVR of an authority recipient, else ''
    sender_system     TEXT NOT NULL,        -- systems.id ('' for a letter written in a mailbox)
    recipient_system  TEXT NOT NULL,        -- systems.id of an authority's recipient system
    sender_type       TEXT NOT NULL,        -- AUTHORITY | CITIZEN | COMPANY
    recipient_type    TEXT NOT NULL,        -- CITIZEN | COMPANY | AUTHORITY
    size_range        TEXT NOT NULL,        -- see hub/stats.c SIZE_RANGES
    message_type      TEXT NOT NULL,        -- DIGITALPOST | NEMSMS | PHYSICAL_LETTER
    contact_point     TEXT NOT NULL,        -- contact_points.id the letter was routed by
    n                 INTEGER NOT NULL,     -- letters
    custom_notification             INTEGER NOT NULL,  -- MeMo usage counts (see stats.h)
    custom_additional_notification  INTEGER NOT NULL,
    has_actions                     INTEGER NOT NULL,
    has_recipient_label             INTEGER NOT NULL,
    has_recipient_attention         INTEGER NOT NULL,
    has_sender_attention            INTEGER NOT NULL,
    is_replyable                    INTEGER NOT NULL,
    has_reply_data                  INTEGER NOT NULL,
    has_content_data                INTEGER NOT NULL,
    has_sender_content_responsible  INTEGER NOT NULL,
    PRIMARY KEY (sender, day, recipient, sender_system, recipient_system, sender_type,
                 recipient_type, size_range, message_type, contact_point)
) WITHOUT ROWID;
-- The received letters' rows: with n and the key (every secondary index of a WITHOUT ROWID
-- table holds the primary key) it covers the overview, so no row is looked up.
CREATE INDEX stats_letters_recipient ON stats_letters(recipient, day, n);

CREATE TABLE stats_deliveries (
    system_id  TEXT NOT NULL,               -- recipient system
    day        INTEGER NOT NULL,
    delivered  INTEGER NOT NULL,            -- push accepted or pull fetched
    failed     INTEGER NOT NULL,            -- push attempts that failed
    PRIMARY KEY (system_id, day)
) WITHOUT ROWID;

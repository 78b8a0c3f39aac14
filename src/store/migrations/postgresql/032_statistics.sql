-- 032_statistics (PostgreSQL): usage statistics kept as aggregate rows.
-- Mirrors sqlite/032_statistics.sql (which explains the columns).

CREATE TABLE stats_letters (
    sender            TEXT NOT NULL,        -- Sender CVR of an authority, else ''
    day               BIGINT NOT NULL,
    recipient         TEXT NOT NULL,        -- CVR of an authority recipient, else ''
    sender_system     TEXT NOT NULL,        -- systems.id ('' for a letter written in a mailbox)
    recipient_system  TEXT NOT NULL,        -- systems.id of an authority's recipient system
    sender_type       TEXT NOT NULL,        -- AUTHORITY | CITIZEN | COMPANY
    recipient_type    TEXT NOT NULL,        -- CITIZEN | COMPANY | AUTHORITY
    size_range        TEXT NOT NULL,        -- see hub/stats.c SIZE_RANGES
    message_type      TEXT NOT NULL,        -- DIGITALPOST | NEMSMS | PHYSICAL_LETTER
    contact_point     TEXT NOT NULL,        -- contact_points.id the letter was routed by
    n                 BIGINT NOT NULL,     -- letters
    custom_notification             BIGINT NOT NULL,  -- MeMo usage counts (see stats.h)
    custom_additional_notification  BIGINT NOT NULL,
    has_actions                     BIGINT NOT NULL,
    has_recipient_label             BIGINT NOT NULL,
    has_recipient_attention         BIGINT NOT NULL,
    has_sender_attention            BIGINT NOT NULL,
    is_replyable                    BIGINT NOT NULL,
    has_reply_data                  BIGINT NOT NULL,
    has_content_data                BIGINT NOT NULL,
    has_sender_content_responsible  BIGINT NOT NULL,
    PRIMARY KEY (sender, day, recipient, sender_system, recipient_system, sender_type,
                 recipient_type, size_range, message_type, contact_point)
);
CREATE INDEX stats_letters_recipient ON stats_letters(recipient, day) INCLUDE (n, sender,
    sender_system, recipient_system, sender_type, recipient_type, size_range, message_type,
    contact_point);

CREATE TABLE stats_deliveries (
    system_id  TEXT NOT NULL,               -- recipient system
    day        BIGINT NOT NULL,
    delivered  BIGINT NOT NULL,            -- push accepted or pull fetched
    failed     BIGINT NOT NULL,            -- push attempts that failed
    PRIMARY KEY (system_id, day)
);

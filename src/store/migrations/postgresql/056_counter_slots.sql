-- 056_counter_slots (PostgreSQL; mirrors sqlite/056_counter_slots.sql, which explains the
-- slot column): striped counter rows. Here a counter key has up to 16 slots: every session
-- (connection) writes the slot kv_counter_slot() gave it, so two nodes' transactions adding
-- to one key (a mailbox's folder, a recipient system's queue, a sender's statistics row of
-- the day) each lock their own row and neither waits for the other's commit
-- (docs/postgresql.md "Hot rows"). Existing rows become slot 0 with their totals.

-- A session's slot: taken once per session from a sequence (consecutive sessions get
-- consecutive slots, so up to 16 sessions opened one after another never share one) and kept
-- in the session setting kuvert.counter_slot. A session may set that itself (0..15) to choose.
CREATE SEQUENCE counter_slot_seq;
CREATE FUNCTION kv_counter_slot() RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    s text := current_setting('kuvert.counter_slot', true);
BEGIN
    IF s IS NULL OR s = '' THEN
        s := (nextval('counter_slot_seq') % 16)::text;
        PERFORM set_config('kuvert.counter_slot', s, false);
    END IF;
    RETURN s::integer;
END;
$$;

-- ---- mailbox_counts (037) ----
ALTER TABLE mailbox_counts ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailbox_counts DROP CONSTRAINT mailbox_counts_pkey,
    ADD PRIMARY KEY (mailbox_id, folder, slot);
ALTER TABLE mailbox_counts ALTER COLUMN slot SET DEFAULT kv_counter_slot();

-- One upsert into the session's slot per change; a change that keeps the letter counted in
-- the same mailbox and folder (read, unread) writes only the difference, once.
CREATE OR REPLACE FUNCTION mailbox_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP <> 'INSERT' AND OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL;
    now_ boolean := TG_OP <> 'DELETE' AND NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL;
    du integer;
BEGIN
    IF was AND now_ AND OLD.mailbox_id = NEW.mailbox_id AND OLD.folder = NEW.folder THEN
        du := (CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
            - (CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END);
        IF du <> 0 THEN
            INSERT INTO mailbox_counts (mailbox_id, folder, total, unread)
                VALUES (NEW.mailbox_id, NEW.folder, 0, du)
                ON CONFLICT (mailbox_id, folder, slot) DO UPDATE
                SET unread = mailbox_counts.unread + EXCLUDED.unread;
        END IF;
        RETURN NULL;
    END IF;
    IF was THEN
        INSERT INTO mailbox_counts (mailbox_id, folder, total, unread)
            VALUES (OLD.mailbox_id, OLD.folder, -1,
                    CASE WHEN OLD.read_ms IS NULL THEN -1 ELSE 0 END)
            ON CONFLICT (mailbox_id, folder, slot) DO UPDATE
            SET total = mailbox_counts.total + EXCLUDED.total,
                unread = mailbox_counts.unread + EXCLUDED.unread;
    END IF;
    IF now_ THEN
        INSERT INTO mailbox_counts (mailbox_id, folder, total, unread)
            VALUES (NEW.mailbox_id, NEW.folder, 1,
                    CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
            ON CONFLICT (mailbox_id, folder, slot) DO UPDATE
            SET total = mailbox_counts.total + EXCLUDED.total,
                unread = mailbox_counts.unread + EXCLUDED.unread;
    END IF;
    RETURN NULL;
END;
$$;

-- ---- mailbox_point_counts (051) ----
ALTER TABLE mailbox_point_counts ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailbox_point_counts DROP CONSTRAINT mailbox_point_counts_pkey,
    ADD PRIMARY KEY (mailbox_id, contact_point_id, folder, slot);
ALTER TABLE mailbox_point_counts ALTER COLUMN slot SET DEFAULT kv_counter_slot();

CREATE OR REPLACE FUNCTION mailbox_point_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP <> 'INSERT' AND OLD.state = 'AVAILABLE' AND OLD.mailbox_id IS NOT NULL
                   AND OLD.contact_point_id IS NOT NULL;
    now_ boolean := TG_OP <> 'DELETE' AND NEW.state = 'AVAILABLE' AND NEW.mailbox_id IS NOT NULL
                    AND NEW.contact_point_id IS NOT NULL;
    du integer;
BEGIN
    IF was AND now_ AND OLD.mailbox_id = NEW.mailbox_id
       AND OLD.contact_point_id = NEW.contact_point_id AND OLD.folder = NEW.folder THEN
        du := (CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
            - (CASE WHEN OLD.read_ms IS NULL THEN 1 ELSE 0 END);
        IF du <> 0 THEN
            INSERT INTO mailbox_point_counts (mailbox_id, contact_point_id, folder, total, unread)
                VALUES (NEW.mailbox_id, NEW.contact_point_id, NEW.folder, 0, du)
                ON CONFLICT (mailbox_id, contact_point_id, folder, slot) DO UPDATE
                SET unread = mailbox_point_counts.unread + EXCLUDED.unread;
        END IF;
        RETURN NULL;
    END IF;
    IF was THEN
        INSERT INTO mailbox_point_counts (mailbox_id, contact_point_id, folder, total, unread)
            VALUES (OLD.mailbox_id, OLD.contact_point_id, OLD.folder, -1,
                    CASE WHEN OLD.read_ms IS NULL THEN -1 ELSE 0 END)
            ON CONFLICT (mailbox_id, contact_point_id, folder, slot) DO UPDATE
            SET total = mailbox_point_counts.total + EXCLUDED.total,
                unread = mailbox_point_counts.unread + EXCLUDED.unread;
    END IF;
    IF now_ THEN
        INSERT INTO mailbox_point_counts (mailbox_id, contact_point_id, folder, total, unread)
            VALUES (NEW.mailbox_id, NEW.contact_point_id, NEW.folder, 1,
                    CASE WHEN NEW.read_ms IS NULL THEN 1 ELSE 0 END)
            ON CONFLICT (mailbox_id, contact_point_id, folder, slot) DO UPDATE
            SET total = mailbox_point_counts.total + EXCLUDED.total,
                unread = mailbox_point_counts.unread + EXCLUDED.unread;
    END IF;
    RETURN NULL;
END;
$$;

-- ---- recipient_queue_counts (055) ----
ALTER TABLE recipient_queue_counts ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recipient_queue_counts DROP CONSTRAINT recipient_queue_counts_pkey,
    ADD PRIMARY KEY (system_id, slot);
ALTER TABLE recipient_queue_counts ALTER COLUMN slot SET DEFAULT kv_counter_slot();

CREATE OR REPLACE FUNCTION recipient_queue_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.state <> 'DELETED') = (NEW.state <> 'DELETED')
       AND OLD.system_id = NEW.system_id THEN
        RETURN NULL;   -- between QUEUED and DELIVERED: the count stays
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state <> 'DELETED' THEN
        INSERT INTO recipient_queue_counts (system_id, listed) VALUES (OLD.system_id, -1)
            ON CONFLICT (system_id, slot) DO UPDATE
            SET listed = recipient_queue_counts.listed + EXCLUDED.listed;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state <> 'DELETED' THEN
        INSERT INTO recipient_queue_counts (system_id, listed) VALUES (NEW.system_id, 1)
            ON CONFLICT (system_id, slot) DO UPDATE
            SET listed = recipient_queue_counts.listed + EXCLUDED.listed;
    END IF;
    RETURN NULL;
END;
$$;

-- ---- stats_letters, stats_deliveries (032): hub/stats.c names the key with slot in its
-- ON CONFLICT and leaves the slot to the column's default ----
ALTER TABLE stats_letters ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_letters DROP CONSTRAINT stats_letters_pkey,
    ADD PRIMARY KEY (sender, day, recipient, sender_system, recipient_system, sender_type,
                     recipient_type, size_range, message_type, contact_point, slot);
ALTER TABLE stats_letters ALTER COLUMN slot SET DEFAULT kv_counter_slot();

ALTER TABLE stats_deliveries ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_deliveries DROP CONSTRAINT stats_deliveries_pkey,
    ADD PRIMARY KEY (system_id, day, slot);
ALTER TABLE stats_deliveries ALTER COLUMN slot SET DEFAULT kv_counter_slot();

-- 055_recipient_queue_counts (PostgreSQL; mirrors sqlite/055_recipient_queue_counts.sql, which
-- explains it): rows not deleted per recipient system, kept by a trigger, and the index of
-- the rows not visible now.

CREATE TABLE recipient_queue_counts (
    system_id  TEXT NOT NULL PRIMARY KEY,
    listed     BIGINT NOT NULL
);
INSERT INTO recipient_queue_counts (system_id, listed)
    SELECT system_id, COUNT(*) FROM recipient_queue WHERE state <> 'DELETED' GROUP BY system_id;

CREATE INDEX recipient_queue_unlisted ON recipient_queue(system_id, visible_ms)
    WHERE state <> 'DELETED';

CREATE FUNCTION recipient_queue_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.state <> 'DELETED') = (NEW.state <> 'DELETED')
       AND OLD.system_id = NEW.system_id THEN
        RETURN NULL;   -- between QUEUED and DELIVERED: the count stays
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state <> 'DELETED' THEN
        UPDATE recipient_queue_counts SET listed = listed - 1 WHERE system_id = OLD.system_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state <> 'DELETED' THEN
        INSERT INTO recipient_queue_counts (system_id, listed) VALUES (NEW.system_id, 1)
            ON CONFLICT (system_id) DO UPDATE SET listed = recipient_queue_counts.listed + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER recipient_queue_counts_track
    AFTER INSERT OR DELETE OR UPDATE OF state, system_id ON recipient_queue
    FOR EACH ROW EXECUTE FUNCTION recipient_queue_counts_track();

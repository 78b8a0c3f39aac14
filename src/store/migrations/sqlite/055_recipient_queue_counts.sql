-- 055_recipient_queue_counts: the pull list's totalElements without counting the queue.
-- GET /apis/v1/memos/ answers with the number of letters listed for the system (not deleted,
-- visible now); counting them walked every entry of the system's queue (38 ms at 30,000
-- queued, bench/growth_bench.c). recipient_queue_counts keeps, per system, the rows not
-- deleted, by triggers in the same transaction as every change; the page subtracts those not
-- visible now (a value date still ahead, or recalled: visible_ms NULL), which
-- recipient_queue_unlisted finds without touching the visible ones.

CREATE TABLE recipient_queue_counts (
    system_id  TEXT NOT NULL PRIMARY KEY,
    listed     INTEGER NOT NULL            -- rows of system_id with state <> 'DELETED'
);
INSERT INTO recipient_queue_counts (system_id, listed)
    SELECT system_id, COUNT(*) FROM recipient_queue WHERE state <> 'DELETED' GROUP BY system_id;

CREATE INDEX recipient_queue_unlisted ON recipient_queue(system_id, visible_ms)
    WHERE state <> 'DELETED';

CREATE TRIGGER recipient_queue_counts_ins AFTER INSERT ON recipient_queue
    WHEN NEW.state <> 'DELETED'
BEGIN
    INSERT INTO recipient_queue_counts (system_id, listed) VALUES (NEW.system_id, 1)
        ON CONFLICT (system_id) DO UPDATE SET listed = listed + 1;
END;
-- a change between QUEUED and DELIVERED leaves the count alone (no write)
CREATE TRIGGER recipient_queue_counts_upd_old AFTER UPDATE OF state, system_id ON recipient_queue
    WHEN OLD.state <> 'DELETED' AND (NEW.state = 'DELETED' OR NEW.system_id <> OLD.system_id)
BEGIN
    UPDATE recipient_queue_counts SET listed = listed - 1 WHERE system_id = OLD.system_id;
END;
CREATE TRIGGER recipient_queue_counts_upd_new AFTER UPDATE OF state, system_id ON recipient_queue
    WHEN NEW.state <> 'DELETED' AND (OLD.state = 'DELETED' OR NEW.system_id <> OLD.system_id)
BEGIN
    INSERT INTO recipient_queue_counts (system_id, listed) VALUES (NEW.system_id, 1)
        ON CONFLICT (system_id) DO UPDATE SET listed = listed + 1;
END;
CREATE TRIGGER recipient_queue_counts_del AFTER DELETE ON recipient_queue
    WHEN OLD.state <> 'DELETED'
BEGIN
    UPDATE recipient_queue_counts SET listed = listed - 1 WHERE system_id = OLD.system_id;
END;

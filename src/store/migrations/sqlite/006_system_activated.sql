-- 006_system_activated: when a recipient system was last made active again by hand
-- (kv_system_activate: `kuvert system activate`, POST /admin/v1/systems/{id}/activate).
-- A pull system's failure time counts from no earlier than this, so a reactivated pull
-- system gets a fresh 7 days to fetch its backlog instead of being deactivated again at
-- once. Unix ms UTC; NULL = never reactivated.

ALTER TABLE systems ADD COLUMN activated_ms INTEGER;

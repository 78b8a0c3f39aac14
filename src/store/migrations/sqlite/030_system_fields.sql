-- 030_system_fields: the further fields of a sender or recipient system that Administrativ
-- Adgang, the CLI and the admin API edit (issue 11 item 1; kv_system_check validates them).
--   technical_contact  who to call about the integration (name, phone, e-mail), free text
--   supplier           the IT supplier running the system, free text
--   allowed_ips        canonical list of allowed client addresses and ranges (util/cidr.h),
--                      ", "-separated; NULL = any address. Enforced by the API gate.
--   active_from/_to    civil dates 'YYYY-MM-DD' (Europe/Copenhagen), both inclusive; NULL =
--                      open. Outside the window the system cannot call the API and is no
--                      delivery target (docs/administrativ-adgang.md).

ALTER TABLE systems ADD COLUMN technical_contact TEXT;
ALTER TABLE systems ADD COLUMN supplier TEXT;
ALTER TABLE systems ADD COLUMN allowed_ips TEXT;
ALTER TABLE systems ADD COLUMN active_from TEXT;
ALTER TABLE systems ADD COLUMN active_to TEXT;

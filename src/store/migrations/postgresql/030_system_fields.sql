-- 030_system_fields (PostgreSQL): a system's technical contact, supplier, allowed IP
-- addresses and active window. Mirrors sqlite/030_system_fields.sql.

ALTER TABLE systems ADD COLUMN technical_contact TEXT;
ALTER TABLE systems ADD COLUMN supplier TEXT;
ALTER TABLE systems ADD COLUMN allowed_ips TEXT;
ALTER TABLE systems ADD COLUMN active_from TEXT;
ALTER TABLE systems ADD COLUMN active_to TEXT;

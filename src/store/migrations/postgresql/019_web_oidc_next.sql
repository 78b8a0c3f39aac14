-- 019_web_oidc_next (PostgreSQL): where an OpenID Connect sign-in goes afterwards. Mirrors
-- sqlite/019_web_oidc_next.sql.

ALTER TABLE web_oidc_logins ADD COLUMN next_path TEXT NOT NULL DEFAULT '/';

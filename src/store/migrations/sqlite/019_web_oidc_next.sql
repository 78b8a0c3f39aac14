-- 019_web_oidc_next: where an OpenID Connect sign-in goes afterwards (a same-site path,
-- checked again when it is used), kept with the sign-in in progress instead of in the URL.

ALTER TABLE web_oidc_logins ADD COLUMN next_path TEXT NOT NULL DEFAULT '/';

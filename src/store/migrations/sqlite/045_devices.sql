-- 045_devices: what the Adgangsportal needs to show and log out a person's devices
-- (docs/adgangsportal.md). A web session gets the device name derived from its user agent at
-- sign-in; a mailbox user token (an app sign-in) gets the app's device id and name (given at
-- issue, as NgDP's oauth/authorize requires), the user agent of its first use and its last use
-- (written at most once a minute). The device id links a token to the push subscription of the
-- same device (notify_channels.device_id). Mirrored in postgresql/045_devices.sql.

ALTER TABLE web_sessions ADD COLUMN device_name TEXT NOT NULL DEFAULT '';
ALTER TABLE user_tokens ADD COLUMN device_id TEXT;
ALTER TABLE user_tokens ADD COLUMN device_name TEXT;
ALTER TABLE user_tokens ADD COLUMN user_agent TEXT;
ALTER TABLE user_tokens ADD COLUMN last_used_ms INTEGER;

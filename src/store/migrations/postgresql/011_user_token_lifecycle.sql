-- 011_user_token_lifecycle (PostgreSQL): user bearer tokens can be listed, expire and be
-- revoked. Mirrors sqlite/011_user_token_lifecycle.sql.

ALTER TABLE user_tokens ADD COLUMN id TEXT;
ALTER TABLE user_tokens ADD COLUMN expires_ms BIGINT;
ALTER TABLE user_tokens ADD COLUMN revoked_ms BIGINT;
UPDATE user_tokens SET id = substr(token_sha256, 1, 16),
                       expires_ms = created_ms + 2592000000;
CREATE UNIQUE INDEX user_tokens_id ON user_tokens(id);
CREATE INDEX user_tokens_owner ON user_tokens(owner_type, owner_id);

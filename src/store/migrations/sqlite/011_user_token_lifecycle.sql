-- 011_user_token_lifecycle: user bearer tokens can be listed, expire and be revoked
-- (hub/user_token.h, docs/mailbox-api.md "Tokens"). A token's public id is the first 16 hex
-- characters of its stored SHA-256 (not secret: it names the token in lists and revocations).
-- Tokens issued before this migration get that id and expire 30 days after they were issued.
-- Times are Unix ms UTC; revoked_ms NULL = not revoked.

ALTER TABLE user_tokens ADD COLUMN id TEXT;
ALTER TABLE user_tokens ADD COLUMN expires_ms INTEGER;
ALTER TABLE user_tokens ADD COLUMN revoked_ms INTEGER;
UPDATE user_tokens SET id = substr(token_sha256, 1, 16),
                       expires_ms = created_ms + 2592000000;
CREATE UNIQUE INDEX user_tokens_id ON user_tokens(id);
CREATE INDEX user_tokens_owner ON user_tokens(owner_type, owner_id);

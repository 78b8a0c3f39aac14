-- 013_web_sessions (PostgreSQL): server-side sessions of the web portals and OpenID Connect
-- sign-ins in progress. Mirrors sqlite/013_web_sessions.sql.

CREATE TABLE web_sessions (
    id_sha256     TEXT PRIMARY KEY,          -- hex SHA-256 of the 256-bit random session id
    subject_type  TEXT NOT NULL CHECK (subject_type IN ('CPR', 'EMPLOYEE')),
    subject       TEXT NOT NULL,             -- CPR, or the employee's e-mail (lower case)
    person_id     BIGINT NOT NULL DEFAULT 0, -- persons.id (identity layer), 0 when none
    name          TEXT NOT NULL DEFAULT '',  -- display name at sign-in
    org_cvr       TEXT,                      -- organisation context chosen (employees)
    csrf          TEXT NOT NULL,             -- synchronizer token of the session's forms
    method        TEXT NOT NULL CHECK (method IN ('test', 'oidc')),
    user_agent    TEXT NOT NULL DEFAULT '',  -- the device, for the Adgangsportal
    client        TEXT NOT NULL DEFAULT '',  -- client address at sign-in
    created_ms    BIGINT NOT NULL,           -- first use
    last_used_ms  BIGINT NOT NULL,           -- last use (updated at most once a minute)
    expires_ms    BIGINT NOT NULL,           -- absolute end of life
    revoked_ms    BIGINT                     -- set by sign-out or revocation
);
CREATE INDEX web_sessions_subject ON web_sessions(subject_type, subject);

CREATE TABLE web_oidc_logins (
    state_sha256  TEXT PRIMARY KEY,          -- hex SHA-256 of the state parameter
    nonce         TEXT NOT NULL,             -- expected nonce claim of the ID token
    verifier      TEXT NOT NULL,             -- PKCE code_verifier
    created_ms    BIGINT NOT NULL            -- a sign-in must finish within 10 minutes
);

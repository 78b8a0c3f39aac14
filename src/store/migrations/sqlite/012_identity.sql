-- 012_identity: who a person is and what they may do (src/identity/, docs/rights.md).
-- persons (citizens and employees alike), their employment in organisations (employees:
-- a person acting for a CVR), user groups, privileges (one table for an organisation's rights
-- and for a person's access to another person's mailbox), requests for privileges, and one
-- row per organisation that every change of its rights updates first (org_rights: version
-- and the lock that makes the "last rettighedsadministrator" check race-free on every backend).
-- Times are Unix milliseconds UTC.

CREATE TABLE persons (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT UNIQUE,                 -- lowercase; employees sign in by it in test mode
    cpr         TEXT UNIQUE,                 -- 10 digits, citizens and employees known by CPR
    ext_id      TEXT UNIQUE,                 -- the identity provider's employee id (RID/UUID)
    status      TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    created_ms  INTEGER NOT NULL
);

CREATE TABLE employees (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES persons(id),
    org_cvr     TEXT NOT NULL,               -- 8 digits: an organisation (orgs) or a company
    status      TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE')),
    created_ms  INTEGER NOT NULL,
    UNIQUE (person_id, org_cvr)
);
CREATE INDEX employees_org ON employees(org_cvr);

CREATE TABLE org_rights (
    cvr         TEXT PRIMARY KEY,
    version     INTEGER NOT NULL DEFAULT 0   -- bumped by every change of the org's rights
);

CREATE TABLE user_groups (
    id          INTEGER PRIMARY KEY,
    org_cvr     TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    created_ms  INTEGER NOT NULL,
    UNIQUE (org_cvr, name)
);

CREATE TABLE user_group_members (
    group_id    INTEGER NOT NULL REFERENCES user_groups(id),
    employee_id INTEGER NOT NULL REFERENCES employees(id),
    added_ms    INTEGER NOT NULL,
    PRIMARY KEY (group_id, employee_id)
);
CREATE INDEX user_group_members_emp ON user_group_members(employee_id);

CREATE TABLE privileges (
    id              INTEGER PRIMARY KEY,
    type            TEXT NOT NULL,           -- ORGANISATION_USER_ADMINISTRATOR, ..., MAILBOX_READ
    scope_type      TEXT NOT NULL CHECK (scope_type IN ('CVR', 'CPR')),
    scope_id        TEXT NOT NULL,           -- the organisation, or the mailbox owner
    narrow_type     TEXT CHECK (narrow_type IN ('CONTACT_GROUP', 'CONTACT_POINT')),
    narrow_id       TEXT,                    -- MESSAGE_*: only this contact group / point
    grantee_type    TEXT NOT NULL CHECK (grantee_type IN ('EMPLOYEE', 'GROUP', 'ORGANISATION', 'PERSON')),
    grantee_employee_id INTEGER REFERENCES employees(id),
    grantee_group_id    INTEGER REFERENCES user_groups(id),
    grantee_cvr         TEXT,                -- external partner
    grantee_person_id   INTEGER REFERENCES persons(id), -- mailbox access
    source          TEXT NOT NULL CHECK (source IN ('DIRECT', 'APPOINTED', 'REQUEST', 'MANUAL')),
    parent_id       INTEGER REFERENCES privileges(id), -- handed on from a partner's APPOINTED grant
    issuer          TEXT NOT NULL,           -- actor who granted it
    status          TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'REVOKED', 'EXPIRED')),
    active_to_ms    INTEGER,                 -- lapses at this instant; NULL = until revoked
    notify_at_ms    INTEGER,                 -- when the warning mail is due
    notified_ms     INTEGER,                 -- when it was queued
    created_ms      INTEGER NOT NULL,
    ended_ms        INTEGER,
    ended_by        TEXT
);
CREATE INDEX privileges_emp ON privileges(grantee_employee_id, status);
CREATE INDEX privileges_group ON privileges(grantee_group_id, status);
CREATE INDEX privileges_person ON privileges(grantee_person_id, status);
CREATE INDEX privileges_scope ON privileges(scope_type, scope_id, type, status);
CREATE INDEX privileges_lapse ON privileges(status, active_to_ms);

CREATE TABLE privilege_requests (
    id              INTEGER PRIMARY KEY,
    requester_person_id INTEGER NOT NULL REFERENCES persons(id),
    type            TEXT NOT NULL,
    scope_type      TEXT NOT NULL CHECK (scope_type IN ('CVR', 'CPR')),
    scope_id        TEXT NOT NULL,
    active_to_ms    INTEGER,
    note            TEXT,
    state           TEXT NOT NULL DEFAULT 'SUBMITTED'
                    CHECK (state IN ('SUBMITTED', 'APPROVED', 'REJECTED', 'WITHDRAWN')),
    decided_by      TEXT,
    decided_ms      INTEGER,
    privilege_id    INTEGER REFERENCES privileges(id),
    created_ms      INTEGER NOT NULL
);
CREATE INDEX privilege_requests_scope ON privilege_requests(scope_type, scope_id, state);

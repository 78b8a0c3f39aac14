-- 004_contact_structure: authorities' contact structure (contact groups and contact points)
-- and the queue of letters routed to recipient systems (issue 4).
-- Ids of groups and points are UUID v4 text; `version` backs the ETag of the CRUD API and is
-- incremented by every update.

CREATE TABLE contact_groups (
    id                   TEXT PRIMARY KEY,        -- UUID v4
    org_cvr              TEXT NOT NULL REFERENCES orgs(cvr),
    parent_id            TEXT REFERENCES contact_groups(id),   -- NULL = top of the tree
    name                 TEXT NOT NULL,
    description          TEXT,
    organisational_unit  TEXT,
    version              INTEGER NOT NULL DEFAULT 1,
    created_ms           INTEGER NOT NULL,
    updated_ms           INTEGER NOT NULL
);
CREATE INDEX contact_groups_org ON contact_groups(org_cvr, name);
CREATE INDEX contact_groups_parent ON contact_groups(parent_id);

CREATE TABLE contact_points (
    id                             TEXT PRIMARY KEY,   -- UUID v4 (MeMo contactPointID)
    org_cvr                        TEXT NOT NULL REFERENCES orgs(cvr),
    name                           TEXT NOT NULL,
    description                    TEXT,
    internal_description           TEXT,
    system_id                      TEXT NOT NULL REFERENCES systems(id),  -- recipient system
    active                         INTEGER NOT NULL DEFAULT 1,
    visible_citizen                INTEGER NOT NULL DEFAULT 1,
    visible_company                INTEGER NOT NULL DEFAULT 1,
    visible_authority              INTEGER NOT NULL DEFAULT 1,
    memo_size_threshold_mb         INTEGER NOT NULL DEFAULT 10,
    allowed_number_of_attachments  INTEGER NOT NULL DEFAULT 10,
    version                        INTEGER NOT NULL DEFAULT 1,
    created_ms                     INTEGER NOT NULL,
    updated_ms                     INTEGER NOT NULL
);
CREATE INDEX contact_points_org ON contact_points(org_cvr, name);
CREATE INDEX contact_points_system ON contact_points(system_id);

CREATE TABLE contact_point_codes (
    point_id      TEXT NOT NULL REFERENCES contact_points(id) ON DELETE CASCADE,
    type          TEXT NOT NULL CHECK (type IN ('CUSTOM', 'FORM', 'GLN', 'KLE', 'SOR')),
    code          TEXT NOT NULL,
    code_version  TEXT,
    name          TEXT
);
CREATE INDEX contact_point_codes_point ON contact_point_codes(point_id);
CREATE INDEX contact_point_codes_code ON contact_point_codes(code);

CREATE TABLE contact_point_terms (
    point_id  TEXT NOT NULL REFERENCES contact_points(id) ON DELETE CASCADE,
    term      TEXT NOT NULL
);
CREATE INDEX contact_point_terms_point ON contact_point_terms(point_id);

CREATE TABLE contact_point_groups (
    point_id  TEXT NOT NULL REFERENCES contact_points(id) ON DELETE CASCADE,
    group_id  TEXT NOT NULL REFERENCES contact_groups(id),
    PRIMARY KEY (point_id, group_id)
);
CREATE INDEX contact_point_groups_group ON contact_point_groups(group_id);

-- Letters routed to an authority's recipient system (pull: fetched by GET /apis/v1/memos/;
-- push: POSTed by the hub). One row per letter. state:
--   QUEUED    waiting for the system (pull: listed; push: due at next_ms)
--   DELIVERED push accepted (2xx) / pull fetched with GET /apis/v1/memos/{id}
--   DELETED   the system deleted it (DELETE /apis/v1/memos/{id}); kept for audit
CREATE TABLE recipient_queue (
    id                INTEGER PRIMARY KEY,
    letter_id         INTEGER NOT NULL UNIQUE REFERENCES letters(id),
    system_id         TEXT NOT NULL REFERENCES systems(id),
    contact_point_id  TEXT,                  -- as named in the letter or chosen; NULL = default
    state             TEXT NOT NULL DEFAULT 'QUEUED'
                      CHECK (state IN ('QUEUED', 'DELIVERED', 'DELETED')),
    created_ms        INTEGER NOT NULL,
    fetched_ms        INTEGER,               -- first GET of the body (pull) / push accepted
    acknowledged_ms   INTEGER,               -- business receipt received
    receipt_status    TEXT,                  -- COMPLETED | INVALID once acknowledged
    attempts          INTEGER NOT NULL DEFAULT 0,   -- push attempts
    next_ms           INTEGER,               -- push: next attempt due
    last_error        TEXT                   -- push: last failure
);
CREATE INDEX recipient_queue_system ON recipient_queue(system_id, state, id);
CREATE INDEX recipient_queue_due ON recipient_queue(state, next_ms) WHERE state = 'QUEUED';

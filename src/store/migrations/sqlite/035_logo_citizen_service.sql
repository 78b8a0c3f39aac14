-- 035_logo_citizen_service: two functions of Administrativ Adgang (docs/administrativ-adgang.md).
--
-- org_logos: an organisation's logo (ORGANISATION_ADMINISTRATOR), shown beside its name in
-- recipients' mailboxes. The PNG is stored as uploaded after libpng decoded all of it
-- (src/hub/logo.c); sha256 is its ETag.
--
-- exemptions: citizen service (CITIZEN_SERVICE_EMPLOYEE / BUSINESS_SERVICE_EMPLOYEE) exempting
-- a citizen or company from Digital Post (mailboxes.status becomes EXEMPT, the address becomes
-- the print address) and re-registering them (ended_ms). reason is the real API's category;
-- channel how the request came (in person, or by a proxy); until_ms the end of a company's
-- limited exemption; forward_from (YYYY-MM-DD) with forward_address: unopened digital letters
-- made available from that date are sent as paper (print_jobs origin FORWARDED).
--
-- powers_of_attorney: the PDF a citizen-service employee uploaded when granting a helper
-- access to a person's mailbox; the grant itself is the rights model's privilege
-- (MAILBOX_READ / MAILBOX_READ_WRITE, src/identity).

CREATE TABLE org_logos (
    org_cvr     TEXT PRIMARY KEY REFERENCES orgs(cvr),
    png         BLOB NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE TABLE exemptions (
    id              INTEGER PRIMARY KEY,
    mailbox_id      INTEGER NOT NULL REFERENCES mailboxes(id),
    reason          TEXT NOT NULL CHECK (reason IN ('LEFT_THE_COUNTRY', 'OTHER')),
    channel         TEXT NOT NULL CHECK (channel IN ('IN_PERSON', 'PROXY')),
    from_ms         INTEGER NOT NULL,
    until_ms        INTEGER,
    forward_from    TEXT,
    forward_address TEXT,
    org_cvr         TEXT NOT NULL,
    actor           TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    ended_ms        INTEGER,
    ended_by        TEXT
);
CREATE INDEX exemptions_mailbox ON exemptions(mailbox_id, id);

CREATE TABLE powers_of_attorney (
    id            INTEGER PRIMARY KEY,
    privilege_id  INTEGER NOT NULL REFERENCES privileges(id),
    filename      TEXT NOT NULL,
    pdf           BLOB NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    org_cvr       TEXT NOT NULL,
    actor         TEXT NOT NULL,
    created_ms    INTEGER NOT NULL
);
CREATE INDEX powers_of_attorney_privilege ON powers_of_attorney(privilege_id);

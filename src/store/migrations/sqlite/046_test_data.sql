-- 046_test_data: the Testportal's test identities (docs/testportal.md). Every test citizen,
-- company, authority and employee made in the Testportal gets a row here (which organisation's
-- employee made it, the person who signs in as it), and every person made for test data is
-- marked persons.is_test = 1. Test CPR and CVR numbers lie in ranges no real person or company
-- can have (src/util/testid.h); a server without --test-login neither lists nor accepts them,
-- and a person marked is_test cannot sign in there. Times are Unix milliseconds UTC.

CREATE TABLE test_identities (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('CITIZEN', 'COMPANY', 'AUTHORITY', 'EMPLOYEE')),
    number      TEXT NOT NULL,               -- CPR (citizen), CVR (company, authority), e-mail
    name        TEXT NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES persons(id), -- who "sign in as" becomes
    org_cvr     TEXT,                        -- employee: the organisation they act for
    status      TEXT,                        -- citizen, company: the mailbox status at creation
    owner_cvr   TEXT NOT NULL,               -- the organisation of the employee who made it
    created_by  TEXT NOT NULL,               -- that employee, as events record actors
    created_ms  INTEGER NOT NULL,
    UNIQUE (kind, number)
);
CREATE INDEX test_identities_owner ON test_identities(owner_cvr, id);

ALTER TABLE persons ADD COLUMN is_test INTEGER NOT NULL DEFAULT 0;

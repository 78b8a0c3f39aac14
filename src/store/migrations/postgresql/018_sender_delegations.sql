-- 018_sender_delegations (PostgreSQL): mirrors sqlite/018_sender_delegations.sql.
-- 018_sender_delegations: which organisation may send letters in whose name (hub/delegation.h,
-- docs/send-api.md "Sending on behalf of another organisation"). A row (org_cvr B,
-- delegate_cvr A) lets A's sender systems submit letters whose Sender is B when they name A as
-- MeMo 1.2 Sender/Representative; kuvert's counterpart of NgDP's delegatedCVR on a system.
-- Without a row, such a letter is refused (403 SENDER_NOT_ALLOWED). Times are Unix ms UTC.

CREATE TABLE sender_delegations (
    org_cvr       TEXT NOT NULL REFERENCES orgs(cvr),   -- the Sender: in whose name
    delegate_cvr  TEXT NOT NULL REFERENCES orgs(cvr),   -- the Representative: who may send
    created_ms    BIGINT NOT NULL,
    PRIMARY KEY (org_cvr, delegate_cvr)
);
CREATE INDEX sender_delegations_delegate ON sender_delegations(delegate_cvr);

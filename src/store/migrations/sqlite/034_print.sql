-- 034_print: fjernprint (docs/print.md). A print job (print_jobs, migration 002) is rendered
-- once into a print-ready PDF in the spool directory DATA/print/<batch>/ by whichever node
-- claims it (claim_owner + claim_until: a lease; an expired lease may be taken over), then it
-- waits in state QUEUED with pdf_path set until the print provider reports it printed
-- (PRINTED) or it cannot be printed (FAILED). A batch is one rendering pass; its manifest.json
-- is written from these rows (manifest_ms NULL = still to write, so a crash loses none).
-- origin: EXEMPT (the recipient is exempt) or FORWARDED (an unopened digital letter sent as
-- paper on a citizen-service order).

ALTER TABLE print_jobs ADD COLUMN origin TEXT NOT NULL DEFAULT 'EXEMPT';
ALTER TABLE print_jobs ADD COLUMN claim_owner TEXT;
ALTER TABLE print_jobs ADD COLUMN claim_until INTEGER;
ALTER TABLE print_jobs ADD COLUMN batch TEXT;
ALTER TABLE print_jobs ADD COLUMN pdf_path TEXT;
ALTER TABLE print_jobs ADD COLUMN pages INTEGER;
ALTER TABLE print_jobs ADD COLUMN unprintable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE print_jobs ADD COLUMN error TEXT;
ALTER TABLE print_jobs ADD COLUMN rendered_ms INTEGER;
ALTER TABLE print_jobs ADD COLUMN done_ms INTEGER;
CREATE INDEX print_jobs_todo ON print_jobs(state, id) WHERE pdf_path IS NULL;
CREATE INDEX print_jobs_letter ON print_jobs(letter_id);

CREATE TABLE print_batches (
    id           TEXT PRIMARY KEY,              -- spool subdirectory name
    dir          TEXT NOT NULL,                 -- absolute path of that directory
    created_ms   INTEGER NOT NULL,
    manifest_ms  INTEGER                        -- manifest.json written
);

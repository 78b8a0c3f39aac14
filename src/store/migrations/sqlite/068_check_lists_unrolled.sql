-- 068_check_lists_unrolled: the CHECK constraints of the tables a send writes test their
-- column with OR-ed comparisons instead of an IN list (issue 15, docs/send-api.md "Cuts of
-- session 9"). SQLite 3.40 codes a CHECK's `x IN (a, b, c, ...)` of more than two constants
-- as an ephemeral B-tree that it builds on every INSERT and every UPDATE of the row (a
-- temporary pager, the list's entries inserted, then freed). `x = a OR x = b OR ...` means the
-- same (NULL passes either way; every column here is NOT NULL) and is coded as comparisons.
--
-- A CHECK constraint is part of the table's CREATE TABLE text; rebuilding letters (with every
-- letter's body) to change it would copy the whole database. The change does not touch what is
-- stored, so the text is rewritten in place, as SQLite documents for changing a table's
-- constraints ("Making Other Kinds Of Table Schema Changes": PRAGMA writable_schema, an UPDATE
-- of sqlite_schema, in one transaction). Each replace() names the constraint's text exactly as
-- migrations 002, 004 and 038 wrote it; a table whose text differs is left as it is (still
-- correct, only dearer). writable_schema=RESET turns the pragma off and makes this connection
-- read the new texts; a table created and dropped again advances the schema version, so every
-- other connection reads them too. PostgreSQL tests an IN list in place: 068 changes nothing
-- there.

PRAGMA writable_schema = ON;

UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN (''AWAITING_DELAY'', ''AVAILABLE'', ''RECALLED'',' || char(10) ||
    '                                                    ''PRINT'', ''NOT_ALLOWED''))',
    'CHECK (state = ''AWAITING_DELAY'' OR state = ''AVAILABLE'' OR state = ''RECALLED''' ||
    char(10) ||
    '                                                    OR state = ''PRINT'' OR state = ''NOT_ALLOWED'')')
 WHERE type = 'table' AND name = 'letters';

UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN (''QUEUED'', ''DELIVERED'', ''DELETED''))',
    'CHECK (state = ''QUEUED'' OR state = ''DELIVERED'' OR state = ''DELETED'')')
 WHERE type = 'table' AND name = 'recipient_queue';

UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
    'CHECK (kind IN (''NEW'', ''REMINDER'', ''PIN'', ''NEMSMS''))',
    'CHECK (kind = ''NEW'' OR kind = ''REMINDER'' OR kind = ''PIN'' OR kind = ''NEMSMS'')'),
    'CHECK (channel IN (''EMAIL'', ''SMS'', ''PUSH''))',
    'CHECK (channel = ''EMAIL'' OR channel = ''SMS'' OR channel = ''PUSH'')'),
    'CHECK (state IN (''PENDING'', ''SENDING'', ''SENT'', ''FAILED'', ''DROPPED''))',
    'CHECK (state = ''PENDING'' OR state = ''SENDING'' OR state = ''SENT'' OR state = ''FAILED''' ||
    ' OR state = ''DROPPED'')')
 WHERE type = 'table' AND name = 'notify_outbox';

PRAGMA writable_schema = RESET;

CREATE TABLE schema_reload_068 (x INTEGER);
DROP TABLE schema_reload_068;

-- 073_letters_search_defer_fold (PostgreSQL; the counterpart of sqlite/073): SQLite's
-- mailbox search index (FTS5) takes a group commit's letters at its end through triggers on
-- letters_search_defer (migrations 060 and 073). PostgreSQL's text index is a GIN index on
-- letters itself, kept by each INSERT (migration 017): nothing is deferred here and the table
-- stays empty, so nothing changes.
SELECT 1;

-- 074_letters_search_defer_rows (PostgreSQL; the counterpart of sqlite/074): SQLite's deferral
-- row's DELETE trigger indexes only the letters no other row still leaves unindexed. The
-- PostgreSQL text index is a GIN index on letters itself (migration 017): nothing is deferred
-- here and letters_search_defer stays empty, so nothing changes.
SELECT 1;

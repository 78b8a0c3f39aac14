-- 060_letters_search_batch (PostgreSQL): mirrors the table of sqlite/060_letters_search_batch.sql
-- so both schemas hold the same tables. PostgreSQL's text index is a GIN trigram index on
-- letters itself (migration 017), written by each INSERT without FTS5's per-savepoint
-- segments: nothing is deferred here and the table stays empty.

CREATE TABLE letters_search_defer (from_id BIGINT NOT NULL);

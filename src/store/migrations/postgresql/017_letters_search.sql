-- 017_letters_search (PostgreSQL; the counterpart of sqlite/017_letters_search.sql): the index
-- of the mailbox search by text in title and sender (hub/mailbox_search.c, docs/store.md
-- "Text search"). The tokens "<mailbox id>|<trigram>" of the case-folded title and sender
-- name, as an array in a GIN expression index: an index on (mailbox, trigram), so a search
-- reads only the searched mailbox's posting lists however common the word is in other
-- mailboxes (SQLite gets the same from a rowid range per mailbox). PostgreSQL keeps the index
-- with every insert and update of a letter in the same transaction; no trigger. No extension
-- is needed (pg_trgm's trigrams are per word and its GIN index has no mailbox in its keys).

-- kv_search_tokens: the distinct "<mbx>|<trigram>" of a and b (each on its own: no trigram
-- spans the two), folded as the hub folds (hub/mailbox_search.c kv__mbox_fold): ASCII and the
-- Latin-1 capitals À-Þ (Æ Ø Å among them) to small letters (lower() alone folds only ASCII in
-- a database with the C locale, docs/store.md). Empty for texts shorter than three
-- characters. It names nothing outside pg_catalog, so it means the same under any
-- search_path (autovacuum's ANALYZE, a restore).
CREATE FUNCTION kv_search_tokens(mbx bigint, a text, b text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT COALESCE(array_agg(DISTINCT mbx::text || '|' || substr(v.x, i, 3)), '{}')
            FROM (SELECT translate(lower(COALESCE(t, '')),
                                   'ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞ',
                                   'àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþ')
                    FROM unnest(ARRAY[a, b]) AS u(t)) AS v(x),
                 generate_series(1, length(v.x) - 2) AS i $$;

CREATE INDEX letters_search ON letters
    USING gin (kv_search_tokens(mailbox_id, label, sender_label))
    WHERE mailbox_id IS NOT NULL AND state IN ('AWAITING_DELAY', 'AVAILABLE')
      AND folder <> 'purged';

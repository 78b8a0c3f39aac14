/* SPDX-License-Identifier: MIT
 *
 * mailbox_search.c: the list of a mailbox's received letters by text in title or sender name
 * (kv_mbox_list with q->text; the /post/ search field and the mailbox API's text parameter),
 * with every other filter of the list (folder, unread, flagged, date range, a narrowed
 * employee's contact points) and the same keyset cursor. docs/mailbox-web.md "Search by text".
 *
 * Meaning (both backends, every path): the folded text is a substring of the folded title or
 * of the folded sender name, where folding maps ASCII A-Z and the Latin-1 capitals À-Þ (Æ Ø Å
 * among them) to small letters (kv__mbox_fold). Every letter a page lists is checked here
 * with that rule, so the index only has to find a superset.
 *
 * Two ways to a page, both bounded:
 *  - indexed (text of 3 or more characters): the trigram index of migration 017, read within
 *    this mailbox only (store.h kv_store_text_index) is probed for up to KV__MBOX_SEARCH_CAP letters of this
 *    mailbox having all the text's trigrams. Fewer than that: those candidates are the whole
 *    answer; they are joined with letters (visibility and filters), sorted and paged. The
 *    cost follows the matches in this mailbox, not in the store.
 *  - walk: a text of 1-2 characters (no trigram), or one so common in this mailbox that the
 *    probe reached the cap: the folder's page index is read newest first from the cursor and
 *    each letter checked, at most KV__MBOX_SCAN_MAX letters a page. A page that reaches that
 *    bound before it is full ends there with a nextCursor after the last letter read, so a
 *    page may hold fewer letters than asked (even none) and still have a next one: paging
 *    stays exact, a page's cost stays bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/mailbox_view.h"
#include "hub/mailbox_view_int.h"
#include "store/store.h"
#include "util/xmalloc.h"

int kv__mbox_search_cap = KV__MBOX_SEARCH_CAP;
int kv__mbox_scan_max = KV__MBOX_SCAN_MAX;

void kv__mbox_fold(char *s)
{
    unsigned char *p = (unsigned char *)s;

    for (; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (unsigned char)(*p + 32);
        else if (*p == 0xC3 && p[1] >= 0x80 && p[1] <= 0x9E && p[1] != 0x97)
            p[1] = (unsigned char)(p[1] + 0x20), p++;
    }
}

int kv_mbox_text_ok(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text);

    if (n > KV_MBOX_TEXT_MAX)
        return 0;
    while (*p) {
        unsigned c = *p;
        int k;

        if (c < 0x20 || c == 0x7F)
            return 0;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3;
        else
            return 0;
        {
            unsigned cp = c & (0x3Fu >> k);
            int i;

            for (i = 1; i <= k; i++) {
                if ((p[i] & 0xC0) != 0x80)
                    return 0;
                cp = (cp << 6) | (p[i] & 0x3Fu);
            }
            if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0))
                return 0;
        }
        p += k + 1;
    }
    return 1;
}

/* Characters (UTF-8 code points) of s. */
static size_t chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Does the folded needle occur in the folded hay? */
static int contains(const char *hay, const char *needle)
{
    char *f;
    int hit;

    if (!hay)
        return 0;
    f = kv_xstrdup(hay);
    kv__mbox_fold(f);
    hit = strstr(f, needle) != NULL;
    free(f);
    return hit;
}

/* The columns of kv__mbox_list_open's rows. */
#define SORT_KEY "COALESCE(l.available_ms, l.created_ms)"
#define COLS                                                                                   \
    "SELECT l.message_uuid, l.label, l.sender_cvr, l.sender_label, "                           \
    "l.created_ms, " SORT_KEY ", l.read_ms, l.folder, l.size, l.id, l.flagged "
/* The filters of a page after the candidates: binds ?3 mailbox id, ?4 folder ('' any),
 * ?5 unread (-1/0/1), ?6 has cursor, ?7 cursor key, ?8 cursor id, ?9 flagged only, ?10 from,
 * ?11 to (exclusive), then the points of a narrowed view. */
#define FILTERS                                                                                \
    "WHERE l.mailbox_id = ?3 AND l.state = 'AVAILABLE' AND l.folder <> 'purged' "              \
    "AND (?4 = '' OR l.folder = ?4) "                                                          \
    "AND (?5 < 0 OR (?5 = 1 AND l.read_ms IS NULL) OR (?5 = 0 AND l.read_ms IS NOT NULL)) "    \
    "AND (?6 = 0 OR " SORT_KEY " < ?7 OR (" SORT_KEY " = ?7 AND l.id < ?8)) "                  \
    "AND (?9 = 0 OR l.flagged = 1) AND " SORT_KEY " >= ?10 AND " SORT_KEY " < ?11 "
#define NARROW "AND l.contact_point_id IN " KV_MBOX_POINTS_IN " "
#define ORDER "ORDER BY " SORT_KEY " DESC, l.id DESC"

/* SQLite (FTS5, trigram): ?1 = the MATCH phrase '"<text>"', ?2 the mailbox id, whose letters
 * are the rowids [?2 * 2^36, ?2 * 2^36 + 2^36 - 1] (migration 017); the probe's cap is ?3.
 * The rowid range goes into the FTS5 scan: each trigram's posting list is sought to the
 * mailbox's range and read there only.
 * The letter writer indexes its letters KV_SEARCH_DEFER_LETTERS at a time (letters.h
 * kv_letters_store_group): the letters from letters_search_defer's from_id (none when it has
 * no row) are not in the index yet, so this mailbox's among them are candidates too (PENDING:
 * a rowid range of at most about that many letters, read by the primary key). The two sets
 * are disjoint (a letter is indexed once its id is below every from_id: MIN, should an older
 * kuvert's row be there besides the writer's, migration 074), and take() checks
 * every candidate's text, so a stored letter is found right after its 201. The probe counts
 * the index's candidates only: the page then has at most the cap plus the pending letters. */
#define SPAN "68719476736"
#define RANGE_FTS5                                                                             \
    "f.letters_search MATCH ?1 AND f.rowid BETWEEN ?2 * " SPAN " AND ?2 * " SPAN " + " SPAN    \
    " - 1 "
#define PENDING                                                                                \
    "FROM letters p WHERE p.id >= (SELECT MIN(from_id) FROM letters_search_defer) "            \
    "AND p.mailbox_id = ?2 "
static const char SQL_PROBE_FTS5[] =
    "SELECT COUNT(*) FROM (SELECT 1 FROM letters_search f WHERE " RANGE_FTS5 "LIMIT ?3) c";
#define CANDIDATES_FTS5                                                                        \
    COLS "FROM (SELECT f.rowid - ?2 * " SPAN " AS cid FROM letters_search f WHERE " RANGE_FTS5 \
         "UNION ALL SELECT p.id " PENDING ") c CROSS JOIN letters l ON l.id = c.cid "
static const char SQL_PAGE_FTS5[] = CANDIDATES_FTS5 FILTERS ORDER;
static const char SQL_PAGE_FTS5_N[] = CANDIDATES_FTS5 FILTERS NARROW ORDER;

/* PostgreSQL (GIN over kv_search_tokens, migration 017): ?1 mailbox id, ?2 text; the probe's
 * cap is ?3. The page's candidates come from the index alone: the CTE is materialised and
 * has no other way into letters, so the planner cannot turn the search into a walk of the
 * mailbox computing every letter's tokens; the filters and the sort run on its few rows. */
#define TOKENS_GIN                                                                             \
    "kv_search_tokens(mailbox_id, label, sender_label) @> kv_search_tokens(?1, ?2, '') "       \
    "AND mailbox_id IS NOT NULL AND state IN ('AWAITING_DELAY', 'AVAILABLE') "                 \
    "AND folder <> 'purged' "
static const char SQL_PROBE_GIN[] =
    "SELECT COUNT(*) FROM (SELECT 1 FROM letters WHERE " TOKENS_GIN "LIMIT ?3) c";
#define CANDIDATES_GIN                                                                         \
    "WITH l AS MATERIALIZED (SELECT id, message_uuid, label, sender_cvr, sender_label, "       \
    "created_ms, available_ms, read_ms, folder, size, flagged, mailbox_id, state, "            \
    "contact_point_id FROM letters WHERE " TOKENS_GIN ") " COLS "FROM l "
static const char SQL_PAGE_GIN[] = CANDIDATES_GIN FILTERS ORDER;
static const char SQL_PAGE_GIN_N[] = CANDIDATES_GIN FILTERS NARROW ORDER;

const char *kv__mbox_search_sql(int gin, int probe)
{
    if (probe)
        return gin ? SQL_PROBE_GIN : SQL_PROBE_FTS5;
    return gin ? SQL_PAGE_GIN : SQL_PAGE_FTS5;
}

/* The FTS5 phrase "<text>" with the text's double quotes doubled (owned). */
static char *fts5_phrase(const char *text)
{
    size_t n = strlen(text), o = 0;
    char *out = kv_xmalloc(2 * n + 3);

    out[o++] = '"';
    for (; *text; text++) {
        if (*text == '"')
            out[o++] = '"';
        out[o++] = *text;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

/* The owner's mailbox id; 0 when they have none. */
static int mailbox_of(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t *out,
                      struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    *out = 0;
    rc = kv_db_prepare(db, "SELECT id FROM mailboxes WHERE owner_type = ? AND owner_id = ?", &s,
                       err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner->type, -1);
    kv_stmt_bind_text(s, 2, owner->id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Binds the first two parameters of a probe or page: the match of text in mailbox mbx. */
static void bind_match(struct kv_stmt *s, int gin, int64_t mbx, const char *phrase,
                       const char *text)
{
    if (gin) {
        kv_stmt_bind_int64(s, 1, mbx);
        kv_stmt_bind_text(s, 2, text, -1);
    } else {
        kv_stmt_bind_text(s, 1, phrase, -1);
        kv_stmt_bind_int64(s, 2, mbx);
    }
}

/* The collected page. */
struct page {
    json_t *items;
    int n, limit, more;
    int64_t k, id; /* the cursor when more */
};

/* Takes the current row when it matches; 1 when the page is full (one match past the limit
 * seen), else 0. */
static int take(struct page *p, struct kv_stmt *s, const char *folded)
{
    if (!contains(kv_stmt_col_text(s, 1), folded) && !contains(kv_stmt_col_text(s, 3), folded))
        return 0;
    if (p->n == p->limit) {
        p->more = 1;
        return 1;
    }
    p->k = kv_stmt_col_int64(s, 5);
    p->id = kv_stmt_col_int64(s, 9);
    json_array_append_new(p->items, kv__mbox_item(s, 0));
    p->n++;
    return 0;
}

/* The indexed way: 1 when it answered (p filled), 0 when the probe reached the cap. */
static int indexed(struct kv_db *db, const struct kv_mbox_owner *owner,
                   const struct kv_mbox_query *q, int has_cursor, int64_t ck, int64_t cid,
                   int64_t mbx, const char *folded, struct page *p, struct kv_err *err)
{
    int gin = kv_store_text_index(kv_db_store(db)) == KV_TEXT_GIN;
    char *phrase = gin ? NULL : fts5_phrase(q->text);
    struct kv_stmt *s = NULL;
    int64_t hits = 0;
    int rc;

    rc = kv_db_prepare(db, gin ? SQL_PROBE_GIN : SQL_PROBE_FTS5, &s, err);
    if (rc < 0)
        goto out;
    bind_match(s, gin, mbx, phrase, q->text);
    kv_stmt_bind_int64(s, 3, kv__mbox_search_cap);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        hits = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (hits >= kv__mbox_search_cap) {
        rc = 0;
        goto out;
    }
    rc = kv_db_prepare(db,
                       gin ? (owner->narrowed ? SQL_PAGE_GIN_N : SQL_PAGE_GIN)
                           : (owner->narrowed ? SQL_PAGE_FTS5_N : SQL_PAGE_FTS5),
                       &s, err);
    if (rc < 0)
        goto out;
    bind_match(s, gin, mbx, phrase, q->text);
    kv_stmt_bind_int64(s, 3, mbx);
    kv_stmt_bind_text(s, 4, q->folder ? q->folder : "", -1);
    kv_stmt_bind_int64(s, 5, q->unread);
    kv_stmt_bind_int64(s, 6, has_cursor ? 1 : 0);
    kv_stmt_bind_int64(s, 7, ck);
    kv_stmt_bind_int64(s, 8, cid);
    kv_stmt_bind_int64(s, 9, q->flagged ? 1 : 0);
    kv_stmt_bind_int64(s, 10, q->from_ms);
    kv_stmt_bind_int64(s, 11, q->to_ms ? q->to_ms : INT64_MAX);
    if (owner->narrowed)
        kv_mbox_bind_points(s, 12, owner);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        if (take(p, s, folded))
            break;
    kv_stmt_done(s);
    rc = rc < 0 ? rc : 1;
out:
    free(phrase);
    return rc;
}

/* The walk: at most kv__mbox_scan_max letters of the list from the cursor. */
static int walk(struct kv_db *db, const struct kv_mbox_owner *owner,
                const struct kv_mbox_query *q, int has_cursor, int64_t ck, int64_t cid,
                const char *folded, struct page *p, struct kv_err *err)
{
    struct kv_mbox_query w = *q;
    struct kv_stmt *s = NULL;
    int64_t read = 0, last_k = 0, last_id = 0;
    int rc;

    w.text = NULL;
    rc = kv__mbox_list_open(db, owner, &w, has_cursor, ck, cid, kv__mbox_scan_max, &s, err);
    if (rc < 0)
        return rc;
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        read++;
        last_k = kv_stmt_col_int64(s, 5);
        last_id = kv_stmt_col_int64(s, 9);
        if (take(p, s, folded))
            break;
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (!p->more && read == kv__mbox_scan_max) { /* bound reached: continue after it */
        p->more = 1;
        p->k = last_k;
        p->id = last_id;
    }
    return 0;
}

int kv__mbox_search(struct kv_db *db, const struct kv_mbox_owner *owner,
                    const struct kv_mbox_query *q, int has_cursor, int64_t ck, int64_t cid,
                    json_t **out, struct kv_err *err)
{
    struct page p = {.items = json_array(), .limit = q->limit};
    char *folded = kv_xstrdup(q->text);
    int64_t mbx = 0;
    int rc;

    *out = NULL;
    kv__mbox_fold(folded);
    rc = mailbox_of(db, owner, &mbx, err);
    if (rc < 0 || !mbx)
        goto out;
    rc = chars(folded) >= 3
             ? indexed(db, owner, q, has_cursor, ck, cid, mbx, folded, &p, err)
             : 0;
    if (rc == 0)
        rc = walk(db, owner, q, has_cursor, ck, cid, folded, &p, err);
out:
    free(folded);
    if (rc < 0) {
        json_decref(p.items);
        return rc;
    }
    *out = kv__mbox_page(p.items, p.more, p.k, p.id);
    return 0;
}

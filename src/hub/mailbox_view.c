/* SPDX-License-Identifier: MIT
 *
 * mailbox_view.c: a mailbox owner's view of their letters (list, one letter, file bytes,
 * mark read). Lists come from the letters table alone; the detail and files are read from the
 * stored MeMo with libmemo (kv_memo_check at XSD level for the hardened parse, then
 * kv_memo_read). The "sent" folder lists the letters the owner wrote (letters.sender_mailbox_id,
 * sorted by creation). See mailbox_view.h.
 */
#include "hub/mailbox_view.h"
#include "hub/mailbox_view_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/events.h"
#include "hub/letters.h"
#include "memo/memo.h"
#include "memo/model.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* ---- cursor: 16 hex digits of the sort time, 16 of the letter id ---- */

static void cursor_make(int64_t k, int64_t id, char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)k, (unsigned long long)id);
}

static int hex16(const char *s, int64_t *out)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 16; i++) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return KV_EINVAL;
        v = (v << 4) | (uint64_t)d;
    }
    if (v > (uint64_t)INT64_MAX)
        return KV_EINVAL;
    *out = (int64_t)v;
    return 0;
}

static int cursor_parse(const char *c, int64_t *k, int64_t *id)
{
    if (strlen(c) != 32 || hex16(c, k) < 0 || hex16(c + 16, id) < 0)
        return KV_EINVAL;
    return 0;
}

static json_t *time_or_null(int64_t ms)
{
    char ts[32];
    if (ms <= 0)
        return json_null();
    kv_clock_format_utc(ms, ts, sizeof(ts));
    return json_string(ts);
}

static json_t *str_or_null(const char *s)
{
    json_t *j;
    if (!s)
        return json_null();
    j = json_string(s);
    return j ? j : json_null();
}

/* Sort key of a letter in the list: when it became visible. */
#define SORT_KEY "COALESCE(l.available_ms, l.created_ms)"

/* The received letters of an owner (any folder but "sent"). */
static const char SQL_LIST_RECEIVED[] =
    "SELECT l.message_uuid, l.label, l.sender_cvr, l.sender_label, "
    "l.created_ms, " SORT_KEY ", l.read_ms, l.folder, l.size, l.id, l.flagged "
    "FROM letters l JOIN mailboxes m ON m.id = l.mailbox_id "
    "WHERE m.owner_type = ? AND m.owner_id = ? AND l.state = 'AVAILABLE' "
    "AND l.folder <> 'purged' AND (? = 0 OR l.folder = ?) "
    "AND (? < 0 OR (? = 1 AND l.read_ms IS NULL) "
    "     OR (? = 0 AND l.read_ms IS NOT NULL)) "
    "AND (? = 0 OR " SORT_KEY " < ? OR (" SORT_KEY " = ? AND l.id < ?)) "
    "AND (? = '' OR LOWER(l.label) LIKE LOWER(?) ESCAPE '!' "
    "     OR LOWER(l.sender_label) LIKE LOWER(?) ESCAPE '!') "
    "AND (? = 0 OR l.flagged = 1) AND " SORT_KEY " >= ? AND " SORT_KEY " < ? "
    "ORDER BY " SORT_KEY " DESC, l.id DESC LIMIT ?";
static const char SQL_LIST_RECEIVED_N[] =
    "SELECT l.message_uuid, l.label, l.sender_cvr, l.sender_label, "
    "l.created_ms, " SORT_KEY ", l.read_ms, l.folder, l.size, l.id, l.flagged "
    "FROM letters l JOIN mailboxes m ON m.id = l.mailbox_id "
    "WHERE m.owner_type = ? AND m.owner_id = ? AND l.state = 'AVAILABLE' "
    "AND l.folder <> 'purged' AND (? = 0 OR l.folder = ?) "
    "AND (? < 0 OR (? = 1 AND l.read_ms IS NULL) "
    "     OR (? = 0 AND l.read_ms IS NOT NULL)) "
    "AND (? = 0 OR " SORT_KEY " < ? OR (" SORT_KEY " = ? AND l.id < ?)) "
    "AND (? = '' OR LOWER(l.label) LIKE LOWER(?) ESCAPE '!' "
    "     OR LOWER(l.sender_label) LIKE LOWER(?) ESCAPE '!') "
    "AND (? = 0 OR l.flagged = 1) AND " SORT_KEY " >= ? AND " SORT_KEY " < ? "
    "AND l.contact_point_id IN " KV_MBOX_POINTS_IN " "
    "ORDER BY " SORT_KEY " DESC, l.id DESC LIMIT ?";

/* One folder of received letters (the usual page): read in the order of the index
 * letters_mailbox_page (migration 037) from the cursor on, so a page costs the same at any
 * mailbox size; the received-date range of a search bounds the same index range (the upper
 * bound is folded into the cursor, the lower one is a second range term on the sort key).
 * SQLite (3.40) does not seek an expression index by a row-value comparison, so the cursor's
 * key is also given as the scalar bound sort key <= k: the plan is then SEARCH ... USING
 * INDEX letters_mailbox_page (mailbox_id=? AND folder=? AND <expr>>? AND <expr><?), a seek
 * to the page at any depth and any date.
 * The flagged variant reads the partial index letters_mailbox_flagged (migration 050), which
 * a planner uses only when the query says flagged = 1 literally; the unread variant, likewise,
 * letters_mailbox_unread (migration 066, read_ms IS NULL), so a page of the few unread
 * letters of a large folder does not walk the folder's read ones to find them.
 * Binds: owner type, owner id, folder, unread x3, cursor key, cursor key and id (INT64_MAX
 * for the first page), text, like x2, from, limit. */
#define SQL_LIST_FOLDER_(extra, narrow)                                                        \
    "SELECT l.message_uuid, l.label, l.sender_cvr, l.sender_label, "                           \
    "l.created_ms, " SORT_KEY ", l.read_ms, l.folder, l.size, l.id, l.flagged "                \
    "FROM letters l "                                                                          \
    "WHERE l.mailbox_id = (SELECT m.id FROM mailboxes m WHERE m.owner_type = ? "               \
    "AND m.owner_id = ?) AND l.state = 'AVAILABLE' AND l.folder = ? AND l.folder <> 'purged' " \
    extra "AND (? < 0 OR (? = 1 AND l.read_ms IS NULL) "                                       \
    "     OR (? = 0 AND l.read_ms IS NOT NULL)) "                                              \
    "AND " SORT_KEY " <= ? AND (" SORT_KEY ", l.id) < (?, ?) "                                \
    "AND (? = '' OR LOWER(l.label) LIKE LOWER(?) ESCAPE '!' "                                  \
    "     OR LOWER(l.sender_label) LIKE LOWER(?) ESCAPE '!') "                                 \
    "AND " SORT_KEY " >= ? " narrow                                                            \
    "ORDER BY " SORT_KEY " DESC, l.id DESC LIMIT ?"
#define NARROW "AND l.contact_point_id IN " KV_MBOX_POINTS_IN " "
static const char SQL_LIST_FOLDER[] = SQL_LIST_FOLDER_("", "");
static const char SQL_LIST_FOLDER_FLAGGED[] = SQL_LIST_FOLDER_("AND l.flagged = 1 ", "");
static const char SQL_LIST_FOLDER_UNREAD[] = SQL_LIST_FOLDER_("AND l.read_ms IS NULL ", "");
/* An employee's narrowed view: the same walk of the folder's index, keeping the letters of
 * their contact points (a page reads the folder's entries until it has 21 of them). */
static const char SQL_LIST_FOLDER_N[] = SQL_LIST_FOLDER_("", NARROW);
static const char SQL_LIST_FOLDER_FLAGGED_N[] = SQL_LIST_FOLDER_("AND l.flagged = 1 ", NARROW);
static const char SQL_LIST_FOLDER_UNREAD_N[] = SQL_LIST_FOLDER_("AND l.read_ms IS NULL ", NARROW);

int kv_mbox_bind_points(struct kv_stmt *s, int first, const struct kv_mbox_owner *owner)
{
    size_t i;

    for (i = 0; i < KV_MBOX_POINTS_MAX; i++)
        if (i < owner->n_points)
            kv_stmt_bind_text(s, first + (int)i, owner->points[i], -1);
        else
            kv_stmt_bind_null(s, first + (int)i);
    return first + KV_MBOX_POINTS_MAX;
}

/* The page query of one folder: flagged first (its index holds fewer letters still), then
 * unread, else the whole folder's. */
static const char *folder_sql(int narrowed, int flagged, int unread)
{
    if (flagged)
        return narrowed ? SQL_LIST_FOLDER_FLAGGED_N : SQL_LIST_FOLDER_FLAGGED;
    if (unread == 1)
        return narrowed ? SQL_LIST_FOLDER_UNREAD_N : SQL_LIST_FOLDER_UNREAD;
    return narrowed ? SQL_LIST_FOLDER_N : SQL_LIST_FOLDER;
}

const char *kv__mbox_list_folder_sql(int flagged, int unread)
{
    return folder_sql(0, flagged, unread);
}

/* The letters an owner wrote (folder "sent"), with the same binds: the sender is the owner,
 * the sort key the creation time, and a written letter is read when written (unread=true
 * lists none). Also selects the recipient organisation. */
static const char SQL_LIST_SENT[] =
    "SELECT l.message_uuid, l.label, m.owner_id, l.sender_label, "
    "l.created_ms, l.created_ms, l.created_ms, 'sent', l.size, l.id, 0, l.recipient_id, o.name "
    "FROM letters l JOIN mailboxes m ON m.id = l.sender_mailbox_id "
    "LEFT JOIN orgs o ON o.cvr = l.recipient_id "
    "WHERE m.owner_type = ? AND m.owner_id = ? "
    "AND (? = 0 OR 'sent' = ?) "
    "AND (? < 0 OR ? = 0 OR ? = 0) "
    "AND (? = 0 OR l.created_ms < ? OR (l.created_ms = ? AND l.id < ?)) "
    "AND (? = '' OR LOWER(l.label) LIKE LOWER(?) ESCAPE '!' "
    "     OR LOWER(o.name) LIKE LOWER(?) ESCAPE '!') "
    "AND ? = 0 AND l.created_ms >= ? AND l.created_ms < ? "
    "ORDER BY l.created_ms DESC, l.id DESC LIMIT ?";

/* "%text%" for LIKE ... ESCAPE '!', with the text's own % _ ! escaped. */
static void like_pattern(const char *text, char out[2 * KV_MBOX_TEXT_MAX + 3])
{
    size_t n = 0;

    out[n++] = '%';
    for (; text && *text; text++) {
        if (*text == '%' || *text == '_' || *text == '!')
            out[n++] = '!';
        out[n++] = *text;
    }
    out[n++] = '%';
    out[n] = '\0';
}

/* Rows of a list gathered before the page is cut: each item with its sort key and id. */
struct list_row {
    json_t *item;
    int64_t k, id;
};

struct list_rows {
    struct list_row *v;
    size_t n, cap;
};

static void rows_free(struct list_rows *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        json_decref(r->v[i].item);
    free(r->v);
}

/* Steps s to its end, appending each row as an item (sent: with the recipient) to r. */
static int rows_read(struct kv_stmt *s, int sent, struct list_rows *r, struct kv_err *err)
{
    int rc;

    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        json_t *it = json_object(), *snd = json_object();
        int64_t k = kv_stmt_col_int64(s, 5);

        json_object_set_new(it, "messageUUID", str_or_null(kv_stmt_col_text(s, 0)));
        json_object_set_new(it, "label", str_or_null(kv_stmt_col_text(s, 1)));
        json_object_set_new(snd, "id", str_or_null(kv_stmt_col_text(s, 2)));
        json_object_set_new(snd, "label", str_or_null(kv_stmt_col_text(s, 3)));
        json_object_set_new(it, "sender", snd);
        json_object_set_new(it, "createdAt", time_or_null(kv_stmt_col_int64(s, 4)));
        json_object_set_new(it, "availableAt", time_or_null(k));
        json_object_set_new(it, "read", json_boolean(!kv_stmt_col_is_null(s, 6)));
        json_object_set_new(it, "readAt", kv_stmt_col_is_null(s, 6)
                                              ? json_null()
                                              : time_or_null(kv_stmt_col_int64(s, 6)));
        json_object_set_new(it, "folder", str_or_null(kv_stmt_col_text(s, 7)));
        json_object_set_new(it, "size", json_integer(kv_stmt_col_int64(s, 8)));
        json_object_set_new(it, "flag", json_boolean(kv_stmt_col_int64(s, 10) != 0));
        if (sent) {
            json_t *rcp = json_object();
            json_object_set_new(rcp, "id", str_or_null(kv_stmt_col_text(s, 11)));
            json_object_set_new(rcp, "label", str_or_null(kv_stmt_col_text(s, 12)));
            json_object_set_new(it, "recipient", rcp);
        }
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 32;
            r->v = kv_xrealloc(r->v, r->cap * sizeof(*r->v));
        }
        r->v[r->n].item = it;
        r->v[r->n].k = k;
        r->v[r->n].id = kv_stmt_col_int64(s, 9);
        r->n++;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Prepares and binds the page index query of one received folder (SQL_LIST_FOLDER*) from the
 * cursor (ck, cid) when has_cursor, at most limit rows; like is q->text's LIKE pattern. */
static int folder_open(struct kv_db *db, const struct kv_mbox_owner *owner,
                       const struct kv_mbox_query *q, const char *folder, int has_cursor,
                       int64_t ck, int64_t cid, const char *like, int64_t limit,
                       struct kv_stmt **out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t k = has_cursor ? ck : INT64_MAX, id = has_cursor ? cid : INT64_MAX;
    int rc;

    /* (key, id) < (to, 0) is key < to: ids are positive */
    if (q->to_ms && (k > q->to_ms || (k == q->to_ms && id > 0))) {
        k = q->to_ms;
        id = 0;
    }
    rc = kv_db_prepare(db, folder_sql(owner->narrowed, q->flagged, q->unread), &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner->type, -1);
    kv_stmt_bind_text(s, 2, owner->id, -1);
    kv_stmt_bind_text(s, 3, folder, -1);
    kv_stmt_bind_int64(s, 4, q->unread);
    kv_stmt_bind_int64(s, 5, q->unread);
    kv_stmt_bind_int64(s, 6, q->unread);
    kv_stmt_bind_int64(s, 7, k);
    kv_stmt_bind_int64(s, 8, k);
    kv_stmt_bind_int64(s, 9, id);
    kv_stmt_bind_text(s, 10, q->text ? q->text : "", -1);
    kv_stmt_bind_text(s, 11, like, -1);
    kv_stmt_bind_text(s, 12, like, -1);
    kv_stmt_bind_int64(s, 13, q->from_ms);
    kv_stmt_bind_int64(s, owner->narrowed ? kv_mbox_bind_points(s, 14, owner) : 14, limit);
    *out = s;
    return 0;
}

/* Prepares and binds the list over all received folders (SQL_LIST_RECEIVED*) or of the sent
 * letters (sent) from the cursor (ck, cid) when has_cursor, at most limit rows; like is
 * q->text's LIKE pattern. */
static int list_open(struct kv_db *db, const struct kv_mbox_owner *owner,
                     const struct kv_mbox_query *q, int sent, int has_cursor, int64_t ck,
                     int64_t cid, const char *like, int64_t limit, struct kv_stmt **out,
                     struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_prepare(db,
                       sent ? SQL_LIST_SENT
                            : owner->narrowed ? SQL_LIST_RECEIVED_N : SQL_LIST_RECEIVED,
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner->type, -1);
    kv_stmt_bind_text(s, 2, owner->id, -1);
    kv_stmt_bind_int64(s, 3, q->folder ? 1 : 0);
    kv_stmt_bind_text(s, 4, q->folder ? q->folder : "", -1);
    kv_stmt_bind_int64(s, 5, q->unread);
    kv_stmt_bind_int64(s, 6, q->unread);
    kv_stmt_bind_int64(s, 7, q->unread);
    kv_stmt_bind_int64(s, 8, has_cursor ? 1 : 0);
    kv_stmt_bind_int64(s, 9, ck);
    kv_stmt_bind_int64(s, 10, ck);
    kv_stmt_bind_int64(s, 11, cid);
    kv_stmt_bind_text(s, 12, q->text ? q->text : "", -1);
    kv_stmt_bind_text(s, 13, like, -1);
    kv_stmt_bind_text(s, 14, like, -1);
    kv_stmt_bind_int64(s, 15, q->flagged ? 1 : 0);
    kv_stmt_bind_int64(s, 16, q->from_ms);
    kv_stmt_bind_int64(s, 17, q->to_ms ? q->to_ms : INT64_MAX);
    kv_stmt_bind_int64(s, !sent && owner->narrowed ? kv_mbox_bind_points(s, 18, owner) : 18,
                       limit);
    *out = s;
    return 0;
}

/* Up to q->limit + 1 letters of one received folder from the cursor (ck, cid) on, read in the
 * order of its page index (SQL_LIST_FOLDER), appended to r. */
static int folder_rows(struct kv_db *db, const struct kv_mbox_owner *owner,
                       const struct kv_mbox_query *q, const char *folder, int64_t ck,
                       int64_t cid, const char *like, struct list_rows *r, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = folder_open(db, owner, q, folder, q->cursor != NULL, ck, cid, like,
                     (int64_t)q->limit + 1, &s, err);
    if (rc < 0)
        return rc;
    return rows_read(s, 0, r, err);
}

/* The folders that hold received letters of the owner (mailbox_counts, kept by triggers: a
 * few rows, summed over the slots of each folder, migration 056), "purged" left out. */
static const char SQL_LIST_FOLDERS_HELD[] =
    "SELECT c.folder FROM mailbox_counts c JOIN mailboxes m ON m.id = c.mailbox_id "
    "WHERE m.owner_type = ? AND m.owner_id = ? AND c.folder <> 'purged' "
    "GROUP BY c.folder HAVING SUM(c.total) > 0 ORDER BY c.folder";

static int cmp_row(const void *a, const void *b)
{
    const struct list_row *x = a, *y = b;

    if (x->k != y->k)
        return x->k > y->k ? -1 : 1; /* newest first */
    return x->id > y->id ? -1 : x->id < y->id;
}

/* Every received folder at once (folder NULL, no text): the first limit + 1 letters of each
 * folder from the cursor on, each read from its own page index, merged newest first. A page
 * reads (limit + 1) x folders index entries however large the mailbox is, where one query over
 * all folders would sort the whole mailbox (the index is by folder first). */
static int all_folders_rows(struct kv_db *db, const struct kv_mbox_owner *owner,
                            const struct kv_mbox_query *q, int64_t ck, int64_t cid,
                            const char *like, struct list_rows *r, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char (*names)[64] = NULL;
    size_t n = 0, cap = 0, i;
    int rc;

    rc = kv_db_prepare(db, SQL_LIST_FOLDERS_HELD, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner->type, -1);
    kv_stmt_bind_text(s, 2, owner->id, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *f = kv_stmt_col_text(s, 0);

        if (!f || strlen(f) >= sizeof(names[0]))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            names = kv_xrealloc(names, cap * sizeof(names[0]));
        }
        snprintf(names[n++], sizeof(names[0]), "%s", f);
    }
    kv_stmt_done(s);
    for (i = 0; rc >= 0 && i < n; i++)
        rc = folder_rows(db, owner, q, names[i], ck, cid, like, r, err);
    free(names);
    if (rc < 0)
        return rc;
    if (r->n > 1) /* (qsort of a NULL array is undefined, even of none) */
        qsort(r->v, r->n, sizeof(*r->v), cmp_row);
    return 0;
}

int kv__mbox_list_open(struct kv_db *db, const struct kv_mbox_owner *owner,
                       const struct kv_mbox_query *q, int has_cursor, int64_t ck, int64_t cid,
                       int64_t limit, struct kv_stmt **out, struct kv_err *err)
{
    char like[2 * KV_MBOX_TEXT_MAX + 3];
    int sent = q->folder && strcmp(q->folder, KV_MBOX_FOLDER_SENT) == 0;

    *out = NULL;
    like_pattern(q->text, like);
    if (q->folder && !sent)
        return folder_open(db, owner, q, q->folder, has_cursor, ck, cid, like, limit, out,
                           err);
    return list_open(db, owner, q, sent, has_cursor, ck, cid, like, limit, out, err);
}

json_t *kv__mbox_item(struct kv_stmt *s, int sent)
{
    json_t *it = json_object(), *snd = json_object();

    json_object_set_new(it, "messageUUID", str_or_null(kv_stmt_col_text(s, 0)));
    json_object_set_new(it, "label", str_or_null(kv_stmt_col_text(s, 1)));
    json_object_set_new(snd, "id", str_or_null(kv_stmt_col_text(s, 2)));
    json_object_set_new(snd, "label", str_or_null(kv_stmt_col_text(s, 3)));
    json_object_set_new(it, "sender", snd);
    json_object_set_new(it, "createdAt", time_or_null(kv_stmt_col_int64(s, 4)));
    json_object_set_new(it, "availableAt", time_or_null(kv_stmt_col_int64(s, 5)));
    json_object_set_new(it, "read", json_boolean(!kv_stmt_col_is_null(s, 6)));
    json_object_set_new(it, "readAt", kv_stmt_col_is_null(s, 6)
                                          ? json_null()
                                          : time_or_null(kv_stmt_col_int64(s, 6)));
    json_object_set_new(it, "folder", str_or_null(kv_stmt_col_text(s, 7)));
    json_object_set_new(it, "size", json_integer(kv_stmt_col_int64(s, 8)));
    json_object_set_new(it, "flag", json_boolean(kv_stmt_col_int64(s, 10) != 0));
    if (sent) {
        json_t *rcp = json_object();
        json_object_set_new(rcp, "id", str_or_null(kv_stmt_col_text(s, 11)));
        json_object_set_new(rcp, "label", str_or_null(kv_stmt_col_text(s, 12)));
        json_object_set_new(it, "recipient", rcp);
    }
    return it;
}

json_t *kv__mbox_page(json_t *items, int more, int64_t k, int64_t id)
{
    json_t *o = json_object();

    json_object_set_new(o, "items", items);
    if (more) {
        char c[33];
        cursor_make(k, id, c);
        json_object_set_new(o, "nextCursor", json_string(c));
    } else {
        json_object_set_new(o, "nextCursor", json_null());
    }
    return o;
}

int kv_mbox_list(struct kv_db *db, const struct kv_mbox_owner *owner,
                 const struct kv_mbox_query *q, json_t **out, struct kv_err *err)
{
    char like[2 * KV_MBOX_TEXT_MAX + 3];
    struct kv_stmt *s = NULL;
    struct list_rows r = {NULL, 0, 0};
    json_t *items = NULL, *o;
    int64_t ck = 0, cid = 0;
    size_t i;
    int rc, more;
    int sent = q->folder && strcmp(q->folder, KV_MBOX_FOLDER_SENT) == 0;

    *out = NULL;
    if (q->limit < 1 || q->limit > KV_MBOX_LIST_MAX)
        return kv_err_set(err, KV_EINVAL, "limit must be between 1 and %d", KV_MBOX_LIST_MAX);
    if (q->cursor && cursor_parse(q->cursor, &ck, &cid) < 0)
        return kv_err_set(err, KV_EINVAL, "malformed cursor");
    if (q->text && !kv_mbox_text_ok(q->text))
        return kv_err_set(err, KV_EINVAL,
                          "search text must be UTF-8 without control characters, at most %d "
                          "bytes", KV_MBOX_TEXT_MAX);
    if (q->from_ms < 0 || q->to_ms < 0 || (q->to_ms && q->to_ms <= q->from_ms))
        return kv_err_set(err, KV_EINVAL, "the date range is empty");
    if (q->text && q->text[0] && !sent) /* received letters by text: the index */
        return kv__mbox_search(db, owner, q, q->cursor != NULL, ck, cid, out, err);
    like_pattern(q->text, like);
    if (q->folder && !sent) {
        rc = folder_rows(db, owner, q, q->folder, ck, cid, like, &r, err);
        goto page;
    }
    if (!q->folder && !(q->text && *q->text)) {
        rc = all_folders_rows(db, owner, q, ck, cid, like, &r, err);
        goto page;
    }
    if (sent && owner->narrowed) { /* a narrowed view has no "sent" */
        rc = 0;
        goto page;
    }
    rc = list_open(db, owner, q, sent, q->cursor != NULL, ck, cid, like,
                   (int64_t)q->limit + 1, &s, err);
    if (rc < 0)
        return rc;
    rc = rows_read(s, sent, &r, err);
page:
    if (rc < 0) {
        rows_free(&r);
        return rc;
    }
    items = json_array();
    for (i = 0; i < r.n && i < (size_t)q->limit; i++)
        json_array_append(items, r.v[i].item);
    more = r.n > (size_t)q->limit;
    o = kv__mbox_page(items, more, more ? r.v[q->limit - 1].k : 0,
                      more ? r.v[q->limit - 1].id : 0);
    rows_free(&r);
    *out = o;
    return 0;
}

/* One letter of an owner: received (in the owner's mailbox, AVAILABLE) or written by the owner.
 * Same columns in both; binds: uuid, owner type, owner id. The body is read afterwards with
 * kv_letter_body (letters.h). */
static const char SQL_LOAD_RECEIVED[] =
    "SELECT l.id, l.message_uuid, l.sender_system, l.sender_cvr, "
    "l.sender_label, l.label, l.folder, l.created_ms, " SORT_KEY ", "
    "l.read_ms, l.size, l.flagged, l.legal_notification, l.legally_notified_ms "
    "FROM letters l JOIN mailboxes m ON m.id = l.mailbox_id "
    "WHERE l.message_uuid = ? AND m.owner_type = ? AND m.owner_id = ? "
    "AND l.state = 'AVAILABLE' AND l.folder <> 'purged'";
static const char SQL_LOAD_RECEIVED_N[] =
    "SELECT l.id, l.message_uuid, l.sender_system, l.sender_cvr, "
    "l.sender_label, l.label, l.folder, l.created_ms, " SORT_KEY ", "
    "l.read_ms, l.size, l.flagged, l.legal_notification, l.legally_notified_ms "
    "FROM letters l JOIN mailboxes m ON m.id = l.mailbox_id "
    "WHERE l.message_uuid = ? AND m.owner_type = ? AND m.owner_id = ? "
    "AND l.state = 'AVAILABLE' AND l.folder <> 'purged' "
    "AND l.contact_point_id IN " KV_MBOX_POINTS_IN;
static const char SQL_LOAD_SENT[] =
    "SELECT l.id, l.message_uuid, l.sender_system, l.sender_cvr, "
    "l.sender_label, l.label, 'sent', l.created_ms, l.created_ms, "
    "l.created_ms, l.size, 0, l.legal_notification, NULL "
    "FROM letters l JOIN mailboxes m ON m.id = l.sender_mailbox_id "
    "WHERE l.message_uuid = ? AND m.owner_type = ? AND m.owner_id = ?";

/* Runs one of the load queries; KV_DONE when there is no such row. */
static int load_row(struct kv_db *db, const char *sql, const struct kv_mbox_owner *owner,
                    const char *lower, int with_body, struct kv_mbox_letter *out,
                    struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, lower, -1);
    kv_stmt_bind_text(s, 2, owner->type, -1);
    kv_stmt_bind_text(s, 3, owner->id, -1);
    if (sql == SQL_LOAD_RECEIVED_N)
        kv_mbox_bind_points(s, 4, owner);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        const char *t;
        out->id = kv_stmt_col_int64(s, 0);
        kv_str_copy(out->message_uuid, sizeof(out->message_uuid), kv_stmt_col_text(s, 1));
        kv_str_copy(out->sender_system, sizeof(out->sender_system), kv_stmt_col_text(s, 2));
        kv_str_copy(out->sender_cvr, sizeof(out->sender_cvr), kv_stmt_col_text(s, 3));
        t = kv_stmt_col_text(s, 4);
        out->sender_label = kv_xstrdup(t ? t : "");
        t = kv_stmt_col_text(s, 5);
        out->label = kv_xstrdup(t ? t : "");
        kv_str_copy(out->folder, sizeof(out->folder), kv_stmt_col_text(s, 6));
        out->created_ms = kv_stmt_col_int64(s, 7);
        out->available_ms = kv_stmt_col_int64(s, 8);
        out->read_ms = kv_stmt_col_is_null(s, 9) ? 0 : kv_stmt_col_int64(s, 9);
        out->size = kv_stmt_col_int64(s, 10);
        out->flagged = kv_stmt_col_int64(s, 11) != 0;
        out->legal_notification = kv_stmt_col_int64(s, 12) != 0;
        out->legally_notified_ms = kv_stmt_col_is_null(s, 13) ? 0 : kv_stmt_col_int64(s, 13);
    }
    kv_stmt_done(s);
    if (rc == KV_ROW && with_body) {
        int brc = kv_letter_body(db, out->id, &out->body, &out->body_len, err);

        if (brc < 0)
            return brc;
    }
    return rc;
}

int kv_mbox_letter_load(struct kv_db *db, const struct kv_mbox_owner *owner, const char *uuid,
                        int with_body, struct kv_mbox_letter *out, struct kv_err *err)
{
    char lower[37];
    size_t i;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!uuid || strlen(uuid) != 36)
        return kv_err_set(err, KV_ENOTFOUND, "no such message");
    for (i = 0; i < 36; i++)
        lower[i] = (char)tolower((unsigned char)uuid[i]);
    lower[36] = '\0';
    rc = load_row(db, owner->narrowed ? SQL_LOAD_RECEIVED_N : SQL_LOAD_RECEIVED, owner, lower,
                  with_body, out, err);
    if (rc == KV_DONE && !owner->narrowed) { /* a narrowed view has no "sent" */
        rc = load_row(db, SQL_LOAD_SENT, owner, lower, with_body, out, err);
        out->sent = rc == KV_ROW;
    }
    if (rc == KV_DONE)
        rc = kv_err_set(err, KV_ENOTFOUND, "no such message");
    else if (rc == KV_ROW)
        rc = 0;
    if (rc < 0)
        kv_mbox_letter_release(out);
    return rc;
}

void kv_mbox_letter_release(struct kv_mbox_letter *l)
{
    if (!l)
        return;
    free(l->sender_label);
    free(l->label);
    free(l->body);
    l->sender_label = l->label = l->body = NULL;
    l->body_len = 0;
}

int kv_mbox_letter_model(const struct kv_mbox_letter *l, int no_content,
                         struct kv_memo_message **out, struct kv_err *err)
{
    struct kv_memo_diags diags;
    struct kv_memo_doc *doc = NULL;
    int rc;

    *out = NULL;
    if (!l->body)
        return kv_err_set(err, KV_EINTERNAL, "letter loaded without its MeMo");
    rc = kv_memo_global_init(err);
    if (rc < 0)
        return rc;
    kv_memo_diags_init(&diags);
    rc = kv_memo_check(l->body, l->body_len, KV_MEMO_LEVEL_XSD, NULL, &diags, &doc, err);
    if (rc == 0 && !doc)
        rc = kv_err_set(err, KV_EINTERNAL, "stored letter %s cannot be parsed", l->message_uuid);
    if (rc == 0)
        rc = kv_memo_read(doc, no_content ? KV_MEMO_READ_NO_CONTENT : 0, out, err);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&diags);
    return rc;
}

static json_t *memo_bool(enum kv_memo_bool b)
{
    return b == KV_MEMO_BOOL_ABSENT ? json_null() : json_boolean(b == KV_MEMO_BOOL_TRUE);
}

static json_t *action_json(const struct kv_memo_action *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "label", str_or_null(a->label));
    json_object_set_new(o, "actionCode", str_or_null(a->action_code));
    json_object_set_new(o, "startDateTime", str_or_null(a->start));
    json_object_set_new(o, "endDateTime", str_or_null(a->end));
    if (a->entry_point) {
        json_t *e = json_object();
        json_object_set_new(e, "url", str_or_null(a->entry_point->url));
        json_object_set_new(o, "entryPoint", e);
    } else {
        json_object_set_new(o, "entryPoint", json_null());
    }
    if (a->reservation) {
        const struct kv_memo_reservation *r = a->reservation;
        json_t *e = json_object();
        json_object_set_new(e, "description", str_or_null(r->description));
        json_object_set_new(e, "reservationUUID", str_or_null(r->uuid));
        json_object_set_new(e, "abstract", str_or_null(r->abstract));
        json_object_set_new(e, "location", str_or_null(r->location));
        json_object_set_new(e, "startDateTime", str_or_null(r->start));
        json_object_set_new(e, "endDateTime", str_or_null(r->end));
        json_object_set_new(e, "organizerMail", str_or_null(r->organizer_mail));
        json_object_set_new(e, "organizerName", str_or_null(r->organizer_name));
        json_object_set_new(o, "reservation", e);
    } else {
        json_object_set_new(o, "reservation", json_null());
    }
    return o;
}

static void add_document(json_t *docs, const char *kind, const struct kv_memo_document *d,
                         size_t *file_no)
{
    json_t *o = json_object(), *files = json_array(), *actions = json_array();
    size_t i;

    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "id", str_or_null(d->id));
    json_object_set_new(o, "label", str_or_null(d->label));
    for (i = 0; i < d->n_files; i++) {
        const struct kv_memo_file *f = &d->files[i];
        json_t *fo = json_object();
        json_object_set_new(fo, "index", json_integer((json_int_t)(*file_no)++));
        json_object_set_new(fo, "filename", str_or_null(f->filename));
        json_object_set_new(fo, "mimeType", str_or_null(f->encoding_format));
        json_object_set_new(fo, "language", str_or_null(f->language));
        json_object_set_new(fo, "size", json_integer((json_int_t)f->size));
        json_array_append_new(files, fo);
    }
    for (i = 0; i < d->n_actions; i++)
        json_array_append_new(actions, action_json(&d->actions[i]));
    json_object_set_new(o, "files", files);
    json_object_set_new(o, "actions", actions);
    json_array_append_new(docs, o);
}

static json_t *party_json(const char *id, const char *id_type, const char *label)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", str_or_null(id));
    json_object_set_new(o, "idType", str_or_null(id_type));
    json_object_set_new(o, "label", str_or_null(label));
    return o;
}

int kv_mbox_letter_json(const struct kv_mbox_letter *l, json_t **out, struct kv_err *err)
{
    struct kv_memo_message *m = NULL;
    const struct kv_memo_header *h;
    json_t *o, *docs, *snd;
    size_t i, file_no = 0;
    int rc;

    *out = NULL;
    rc = kv_mbox_letter_model(l, 1, &m, err);
    if (rc < 0)
        return rc;
    h = &m->header;
    o = json_object();
    json_object_set_new(o, "messageUUID", json_string(l->message_uuid));
    json_object_set_new(o, "messageId", str_or_null(h->message_id));
    json_object_set_new(o, "messageType", str_or_null(h->message_type));
    json_object_set_new(o, "memoVersion", str_or_null(m->memo_version));
    json_object_set_new(o, "label", str_or_null(h->label));
    json_object_set_new(o, "notification", str_or_null(h->notification));
    json_object_set_new(o, "additionalNotification", str_or_null(h->additional_notification));
    json_object_set_new(o, "reply", memo_bool(h->reply));
    json_object_set_new(o, "replyByDateTime", str_or_null(h->reply_by));
    json_object_set_new(o, "doNotDeliverUntilDate", str_or_null(h->do_not_deliver_until));
    json_object_set_new(o, "mandatory", memo_bool(h->mandatory));
    json_object_set_new(o, "legalNotification", memo_bool(h->legal_notification));
    json_object_set_new(o, "postType", str_or_null(h->post_type));
    snd = party_json(h->sender.id, h->sender.id_type, h->sender.label);
    if (h->sender.representative)
        json_object_set_new(snd, "representative",
                            party_json(h->sender.representative->id,
                                       h->sender.representative->id_type,
                                       h->sender.representative->label));
    json_object_set_new(o, "sender", snd);
    json_object_set_new(o, "recipient",
                        party_json(h->recipient.id, h->recipient.id_type, h->recipient.label));
    json_object_set_new(o, "createdAt", time_or_null(l->created_ms));
    json_object_set_new(o, "availableAt", time_or_null(l->available_ms));
    json_object_set_new(o, "read", json_boolean(l->read_ms > 0));
    json_object_set_new(o, "readAt", time_or_null(l->read_ms));
    json_object_set_new(o, "folder", json_string(l->folder));
    json_object_set_new(o, "size", json_integer(l->size));
    json_object_set_new(o, "flag", json_boolean(l->flagged));
    json_object_set_new(o, "legallyNotifiedAt", time_or_null(l->legally_notified_ms));
    docs = json_array();
    if (m->body) {
        add_document(docs, "MAIN", &m->body->main, &file_no);
        for (i = 0; i < m->body->n_additional; i++)
            add_document(docs, "ADDITIONAL", &m->body->additional[i], &file_no);
        for (i = 0; i < m->body->n_technical; i++)
            add_document(docs, "TECHNICAL", &m->body->technical[i], &file_no);
        json_object_set_new(o, "createdDateTime", str_or_null(m->body->created));
    } else {
        json_object_set_new(o, "createdDateTime", json_null());
    }
    json_object_set_new(o, "documents", docs);
    kv_memo_message_free(m);
    *out = o;
    return 0;
}

/* Finds file n across documents in order; NULL when there is none. */
static const struct kv_memo_file *nth_file(const struct kv_memo_message *m, size_t n)
{
    const struct kv_memo_body *b = m->body;
    size_t i;

    if (!b)
        return NULL;
    if (n < b->main.n_files)
        return &b->main.files[n];
    n -= b->main.n_files;
    for (i = 0; i < b->n_additional; i++) {
        if (n < b->additional[i].n_files)
            return &b->additional[i].files[n];
        n -= b->additional[i].n_files;
    }
    for (i = 0; i < b->n_technical; i++) {
        if (n < b->technical[i].n_files)
            return &b->technical[i].files[n];
        n -= b->technical[i].n_files;
    }
    return NULL;
}

int kv_mbox_letter_file(const struct kv_mbox_letter *l, size_t n, unsigned char **data,
                        size_t *len, char **mime, char **filename, struct kv_err *err)
{
    struct kv_memo_message *m = NULL;
    const struct kv_memo_file *f;
    int rc;

    *data = NULL;
    *len = 0;
    *mime = *filename = NULL;
    rc = kv_mbox_letter_model(l, 0, &m, err);
    if (rc < 0)
        return rc;
    f = nth_file(m, n);
    if (!f) {
        rc = kv_err_set(err, KV_ENOTFOUND, "the message has no file %zu", n);
        goto out;
    }
    rc = kv_memo_file_decode(f, KV_MEMO_DEFAULT_MAX_BYTES, data, len, err);
    if (rc < 0)
        goto out;
    *mime = kv_xstrdup(f->encoding_format ? f->encoding_format : "application/octet-stream");
    *filename = kv_xstrdup(f->filename ? f->filename : "file");
out:
    kv_memo_message_free(m);
    return rc;
}

void kv_mbox_actor(const struct kv_mbox_owner *owner, char *out, size_t n)
{
    if (owner->rep_cpr[0])
        snprintf(out, n, "cpr:%s", owner->rep_cpr);
    else
        kv_mbox_subject(owner, out, n);
}

void kv_mbox_subject(const struct kv_mbox_owner *owner, char *out, size_t n)
{
    snprintf(out, n, "%s:%s", strcmp(owner->type, "CPR") == 0 ? "cpr" : "cvr", owner->id);
}

int kv_mbox_event(struct kv_db *db, const struct kv_mbox_owner *owner,
                  const struct kv_mbox_letter *l, const char *tag, const char *props_json,
                  int64_t now, struct kv_err *err)
{
    struct kv_event ev;
    char who[16], subj[16];
    /* the sender's evidence that its letter reached the recipient belongs in its system's
     * log; anything else the owner does with the letter is the owner's (docs/events-api.md) */
    int evidence = strcmp(tag, "MESSAGE_READ") == 0 || strcmp(tag, "MESSAGE_LEGALLY_NOTIFIED") == 0;

    kv_mbox_actor(owner, who, sizeof(who));
    kv_mbox_subject(owner, subj, sizeof(subj));
    memset(&ev, 0, sizeof(ev));
    ev.tag = tag;
    ev.message_uuid = l->message_uuid;
    ev.system_id = evidence && l->sender_system[0] ? l->sender_system : NULL;
    ev.actor = who;
    ev.subject = subj;
    ev.props_json = props_json;
    ev.time_ms = now;
    return kv_events_append(db, &ev, err);
}

int kv_mbox_mark_once(struct kv_db *db, const struct kv_mbox_owner *owner,
                      const struct kv_mbox_letter *l, const char *sql, const char *tag,
                      const char *props_json, int64_t now, int *first, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    *first = 0;
    rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_int64(s, 2, l->id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0 || kv_db_changes(db) != 1)
        return rc < 0 ? rc : 0;
    rc = kv_mbox_event(db, owner, l, tag, props_json, now, err);
    if (rc < 0)
        return rc;
    *first = 1;
    return 0;
}

int kv_mbox_mark_read(struct kv_db *db, const struct kv_mbox_owner *owner,
                      const struct kv_mbox_letter *l, int *out_first, struct kv_err *err)
{
    int rc;

    *out_first = 0;
    if (l->sent) /* the writer's own letter: nothing to record */
        return 0;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_mbox_mark_once(db, owner, l,
                           "UPDATE letters SET read_ms = ? WHERE id = ? AND read_ms IS NULL",
                           "MESSAGE_READ", NULL, kv_clock_now_ms(), out_first, err);
    if (rc < 0) {
        kv_db_rollback(db);
        return rc;
    }
    return kv_db_commit(db, err);
}

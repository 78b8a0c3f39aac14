/* SPDX-License-Identifier: MIT
 *
 * receipts.c: the pull side of sender receipts (paging, bulk paging, get, delete) and the JSON
 * shape of a Receipt. The push side (libcurl, retry schedule) is in receipt_push.c. See
 * receipts.h.
 */
#include "hub/receipts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/page.h"
#include "util/str.h"

/* Columns in the order read by row_to_receipt. */
#define RECEIPT_COLS                                                                               \
    "id, system_id, transmission_id, message_uuid, message_id, receipt_status, error_code, "     \
    "error_message, time_ms, push_state, push_attempts, push_next_ms, uuid"

/* The sequence of receipts.id (an identity column on PostgreSQL). Receipts are inserted under
 * its fence and listed only below its horizon (kv_db_sequence_fence, store.h): with
 * concurrent writers ids commit out of order, and a client that pages by `after` must not step
 * past a receipt whose smaller id commits later (docs/postgresql.md). */
static const char RECEIPTS_SEQ[] = "receipts_id_seq";

static void row_to_receipt(struct kv_stmt *s, struct kv_receipt *r)
{
    memset(r, 0, sizeof(*r));
    r->id = kv_stmt_col_int64(s, 0);
    kv_str_copy(r->system_id, sizeof(r->system_id), kv_stmt_col_text(s, 1));
    kv_str_copy(r->transmission_id, sizeof(r->transmission_id), kv_stmt_col_text(s, 2));
    kv_str_copy(r->message_uuid, sizeof(r->message_uuid), kv_stmt_col_text(s, 3));
    kv_str_copy(r->message_id, sizeof(r->message_id), kv_stmt_col_text(s, 4));
    kv_str_copy(r->receipt_status, sizeof(r->receipt_status), kv_stmt_col_text(s, 5));
    kv_str_copy(r->error_code, sizeof(r->error_code), kv_stmt_col_text(s, 6));
    kv_str_copy(r->error_message, sizeof(r->error_message), kv_stmt_col_text(s, 7));
    r->time_ms = kv_stmt_col_int64(s, 8);
    kv_str_copy(r->push_state, sizeof(r->push_state), kv_stmt_col_text(s, 9));
    r->push_attempts = (int)kv_stmt_col_int64(s, 10);
    r->push_next_ms = kv_stmt_col_is_null(s, 11) ? 0 : kv_stmt_col_int64(s, 11);
    kv_str_copy(r->uuid, sizeof(r->uuid), kv_stmt_col_text(s, 12));
}

static int bind_opt_text(struct kv_stmt *s, int idx, const char *v)
{
    return (v && v[0]) ? kv_stmt_bind_text_static(s, idx, v, -1) : kv_stmt_bind_null(s, idx);
}

/* kv_receipt_insert inside the caller's transaction. Its texts are *r's and literals, bound
 * without a copy (store.h's lifetime rule: r is not written before kv_stmt_done). */
static int insert_tx(struct kv_db *db, struct kv_receipt *r, int push, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    if (r->time_ms == 0)
        r->time_ms = kv_clock_now_ms();
    /* time-ordered (v7): receipts_uuid grows at its end, one index page per commit instead
     * of a random page per receipt (docs/receipts.md) */
    rc = kv_uuid_v7(kv_clock_now_ms(), r->uuid);
    if (rc < 0)
        return kv_err_set(err, rc, "cannot generate a receipt id");
    rc = kv_db_sequence_fence(db, RECEIPTS_SEQ, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare_insert(db,
                              "INSERT INTO receipts (system_id, transmission_id, message_uuid, "
                              "message_id, receipt_status, error_code, error_message, time_ms, "
                              "push_state, push_attempts, push_next_ms, uuid) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                              &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text_static(s, 1, r->system_id, -1);
    kv_stmt_bind_text_static(s, 2, r->transmission_id, -1);
    bind_opt_text(s, 3, r->message_uuid);
    bind_opt_text(s, 4, r->message_id);
    kv_stmt_bind_text_static(s, 5, r->receipt_status, -1);
    bind_opt_text(s, 6, r->error_code);
    bind_opt_text(s, 7, r->error_message);
    kv_stmt_bind_int64(s, 8, r->time_ms);
    if (push) {
        kv_stmt_bind_text_static(s, 9, "PENDING", -1);
        kv_stmt_bind_int64(s, 10, r->time_ms);
    } else {
        kv_stmt_bind_null(s, 9);
        kv_stmt_bind_null(s, 10);
    }
    kv_stmt_bind_text_static(s, 11, r->uuid, -1);
    rc = kv_stmt_step_insert(s, &r->id, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    kv_str_copy(r->push_state, sizeof(r->push_state), push ? "PENDING" : NULL);
    r->push_attempts = 0;
    r->push_next_ms = push ? r->time_ms : 0;
    return 0;
}

int kv_receipt_insert(struct kv_db *db, struct kv_receipt *r, int push, struct kv_err *err)
{
    int rc;

    if (kv_db_in_transaction(db))
        return insert_tx(db, r, push, err);
    /* the fence holds only inside a transaction: one of its own */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        return rc;
    return kv_db_end(db, insert_tx(db, r, push, err), err);
}

static json_t *str_or_null(const char *s)
{
    return (s && s[0]) ? json_string(s) : json_null();
}

json_t *kv_receipt_json(const struct kv_receipt *r)
{
    char ts[32];
    json_t *o = json_object();

    kv_clock_format_utc(r->time_ms, ts, sizeof(ts));
    if (r->uuid[0])
        json_object_set_new(o, "id", json_string(r->uuid));
    json_object_set_new(o, "transmissionId", json_string(r->transmission_id));
    if (r->message_uuid[0]) /* a Guid in NgDP's client: never null */
        json_object_set_new(o, "messageUUID", json_string(r->message_uuid));
    json_object_set_new(o, "messageId", str_or_null(r->message_id));
    json_object_set_new(o, "errorCode", str_or_null(r->error_code));
    json_object_set_new(o, "errorMessage", str_or_null(r->error_message));
    json_object_set_new(o, "timeStamp", json_string(ts));
    json_object_set_new(o, "receiptStatus", json_string(r->receipt_status));
    return o;
}

/* Checks paging and counts system_id's receipts into *total. */
static int count_page(struct kv_db *db, const char *system_id, int64_t horizon, int64_t page,
                      int size, int64_t *total, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    *total = 0;
    if (page < 0 || page > INT64_MAX / KV_RECEIPTS_PAGE_MAX)
        return kv_err_set(err, KV_EINVAL, "page must be a number >= 0");
    if (size < 1 || size > KV_RECEIPTS_PAGE_MAX)
        return kv_err_set(err, KV_EINVAL, "size must be between 1 and %d", KV_RECEIPTS_PAGE_MAX);
    /* below the horizon, as the pages read: the total is what they show */
    rc = kv_db_prepare(db,
                       "SELECT COUNT(*) FROM receipts WHERE system_id = ? AND deleted = 0 "
                       "AND id < ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, horizon);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *total = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* The row id of receipt uuid of system_id, deleted or not; 0 when none. */
static int cursor_row(struct kv_db *db, const char *system_id, const char *uuid, int64_t *out,
                      struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, "SELECT id FROM receipts WHERE system_id = ? AND uuid = ?", &s,
                           err);

    *out = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_text(s, 2, uuid, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Appends to arr the size receipts after row cursor in the order (GUIDs or whole, as
 * read_page), or with before the size receipts before it (still in the order); *more 1 when
 * there are others beyond them (after them, or before them with before). Only rows below
 * horizon. */
static int read_after(struct kv_db *db, const char *system_id, int64_t cursor, int64_t horizon,
                      int size, int desc, int before, int whole, json_t *arr, int *more,
                      struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int down = desc != before; /* walk the rows by falling id */
    int rc = kv_db_prepare(db,
                           down ? "SELECT " RECEIPT_COLS " FROM receipts WHERE system_id = ? "
                                  "AND deleted = 0 AND id < ? AND id < ? ORDER BY id DESC LIMIT ?"
                                : "SELECT " RECEIPT_COLS " FROM receipts WHERE system_id = ? "
                                  "AND deleted = 0 AND id > ? AND id < ? ORDER BY id LIMIT ?",
                           &s, err);
    json_t *got = json_array();
    size_t i;

    *more = 0;
    if (rc < 0) {
        json_decref(got);
        return rc;
    }
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, cursor);
    kv_stmt_bind_int64(s, 3, horizon);
    kv_stmt_bind_int64(s, 4, (int64_t)size + 1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        struct kv_receipt r;
        if ((int)json_array_size(got) == size) {
            *more = 1;
            continue;
        }
        row_to_receipt(s, &r);
        json_array_append_new(got, whole ? kv_receipt_json(&r) : json_string(r.uuid));
    }
    kv_stmt_done(s);
    for (i = 0; i < json_array_size(got); i++) /* before: read backwards, shown in order */
        json_array_append(arr, json_array_get(got, before ? json_array_size(got) - 1 - i : i));
    json_decref(got);
    return rc < 0 ? rc : 0;
}

/* Appends the page's receipts (of those below horizon) to arr: their GUIDs (whole = 0) or
 * kv_receipt_json (1). */
static int read_page(struct kv_db *db, const char *system_id, int64_t horizon, int64_t page,
                     int size, int desc, int whole, json_t *arr, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           desc ? "SELECT " RECEIPT_COLS " FROM receipts WHERE system_id = ? "
                                  "AND deleted = 0 AND id < ? ORDER BY id DESC LIMIT ? OFFSET ?"
                                : "SELECT " RECEIPT_COLS " FROM receipts WHERE system_id = ? "
                                  "AND deleted = 0 AND id < ? ORDER BY id LIMIT ? OFFSET ?",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, horizon);
    kv_stmt_bind_int64(s, 3, size);
    kv_stmt_bind_int64(s, 4, page * size);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        struct kv_receipt r;
        row_to_receipt(s, &r);
        json_array_append_new(arr, whole ? kv_receipt_json(&r) : json_string(r.uuid));
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_receipts_page(struct kv_db *db, const char *system_id, int64_t page, int size, int desc,
                     json_t **out, struct kv_err *err)
{
    return kv_receipts_page_after(db, system_id, page, size, desc, NULL, 0, out, err);
}

/* Appends to arr (GUIDs, or whole receipts) the page that page/size, or the keyset cursor
 * (after, before: see kv_receipts_page_after), names; *total is every non-deleted receipt of
 * the system, *more / *prev 1 or 0 when known to follow / precede the page, -1 when the page
 * count says. */
static int read_list(struct kv_db *db, const char *system_id, int64_t page, int size, int desc,
                     const char *after, int before, int whole, json_t *arr, int64_t *total,
                     int *more, int *prev, struct kv_err *err)
{
    int64_t cursor = 0, horizon;
    int rc, beyond = 0;

    *more = -1;
    *prev = -1;
    /* first: the rows below it that the reads below see are all there will ever be */
    rc = kv_db_sequence_horizon(db, RECEIPTS_SEQ, &horizon, err);
    if (rc < 0)
        return rc;
    rc = count_page(db, system_id, horizon, page, size, total, err);
    if (rc < 0)
        return rc;
    if (after) {
        rc = cursor_row(db, system_id, after, &cursor, err);
        if (rc < 0)
            return rc;
    }
    if (cursor > 0) {
        rc = read_after(db, system_id, cursor, horizon, size, desc, before, whole, arr, &beyond,
                        err);
        if (before)
            *prev = beyond;
        else
            *more = beyond;
        return rc;
    }
    return page * size < *total
               ? read_page(db, system_id, horizon, page, size, desc, whole, arr, err)
               : 0;
}

int kv_receipts_page_after(struct kv_db *db, const char *system_id, int64_t page, int size,
                           int desc, const char *after, int before, json_t **out,
                           struct kv_err *err)
{
    struct kv_page_order order = {KV_RECEIPTS_ORDER_PROPERTY, desc != 0};
    json_t *content = json_array();
    int64_t total = 0;
    int more, prev, rc;

    *out = NULL;
    rc = read_list(db, system_id, page, size, desc, after, before, 0, content, &total, &more,
                   &prev, err);
    if (rc < 0) {
        json_decref(content);
        return rc;
    }
    *out = kv_page_uuid_json_keyset(content, page, size, total, &order, more, prev);
    return 0;
}

int kv_receipts_bulk_page(struct kv_db *db, const char *system_id, int64_t page, int size,
                          int desc, const char *after, int before, int *more, int *prev,
                          json_t **out, struct kv_err *err)
{
    json_t *arr = json_array();
    int64_t total = 0, pages;
    int rc;

    *out = NULL;
    rc = read_list(db, system_id, page, size, desc, after, before, 1, arr, &total, more, prev,
                   err);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    pages = total / size + (total % size != 0);
    if (*more < 0)
        *more = page + 1 < pages;
    if (*prev < 0)
        *prev = page > 0;
    *prev = *prev && page > 0;
    *out = json_pack("{s:I,s:I,s:I,s:I,s:o}", "currentPage", (json_int_t)page, "totalPages",
                     (json_int_t)pages, "elementsOnPage", (json_int_t)json_array_size(arr),
                     "totalElements", (json_int_t)total, "receipts", arr);
    return 0;
}

/* How a receipt id of the API names a row: by GUID (36 characters, matched lower-cased) or by
 * the decimal row id. 0, or KV_ENOTFOUND for anything else. */
static int parse_id(const char *id, char uuid[37], int64_t *row)
{
    size_t i, n = strlen(id);
    char *end = NULL;
    long long v;

    uuid[0] = '\0';
    *row = 0;
    if (n == 36) {
        for (i = 0; i < 36; i++)
            uuid[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ? id[i] - 'A' + 'a' : id[i]);
        uuid[36] = '\0';
        return 0;
    }
    if (n == 0 || n > 18 || id[0] < '0' || id[0] > '9')
        return KV_ENOTFOUND;
    v = strtoll(id, &end, 10);
    if (*end || v <= 0)
        return KV_ENOTFOUND;
    *row = v;
    return 0;
}

/* Binds ?1, the receipt named by parse_id: its GUID or its row id. */
static void bind_id(struct kv_stmt *s, const char *uuid, int64_t row)
{
    if (uuid[0])
        kv_stmt_bind_text(s, 1, uuid, -1);
    else
        kv_stmt_bind_int64(s, 1, row);
}

/* Reads receipt id of system_id (not deleted) into out. */
static int load(struct kv_db *db, const char *system_id, const char *id, struct kv_receipt *out,
                struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char uuid[37];
    int64_t row;
    int rc;

    if (parse_id(id, uuid, &row) < 0)
        return kv_err_set(err, KV_ENOTFOUND, "no receipt %.40s", id);
    rc = kv_db_prepare(db,
                       uuid[0] ? "SELECT " RECEIPT_COLS " FROM receipts "
                                 "WHERE uuid = ?1 AND system_id = ?2 AND deleted = 0"
                               : "SELECT " RECEIPT_COLS " FROM receipts "
                                 "WHERE id = ?1 AND system_id = ?2 AND deleted = 0",
                       &s, err);
    if (rc < 0)
        return rc;
    bind_id(s, uuid, row);
    kv_stmt_bind_text(s, 2, system_id, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        row_to_receipt(s, out);
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no receipt %.40s", id);
    }
    kv_stmt_done(s);
    return rc;
}

static int mark_deleted(struct kv_db *db, const char *system_id, const char *id,
                        struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char uuid[37];
    int64_t row;
    int rc;

    if (parse_id(id, uuid, &row) < 0)
        return kv_err_set(err, KV_ENOTFOUND, "no receipt %.40s", id);
    rc = kv_db_prepare(db,
                       uuid[0] ? "UPDATE receipts SET deleted = 1 "
                                 "WHERE uuid = ?1 AND system_id = ?2 AND deleted = 0"
                               : "UPDATE receipts SET deleted = 1 "
                                 "WHERE id = ?1 AND system_id = ?2 AND deleted = 0",
                       &s, err);
    if (rc < 0)
        return rc;
    bind_id(s, uuid, row);
    kv_stmt_bind_text(s, 2, system_id, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (kv_db_changes(db) != 1)
        return kv_err_set(err, KV_ENOTFOUND, "no receipt %.40s", id);
    return 0;
}

int kv_receipt_get(struct kv_db *db, const char *system_id, const char *id, int del,
                   struct kv_receipt *out, struct kv_err *err)
{
    int rc;

    if (!del)
        return load(db, system_id, id, out, err);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = load(db, system_id, id, out, err);
    if (rc == 0)
        rc = mark_deleted(db, system_id, id, err);
    if (rc < 0) {
        kv_db_rollback(db);
        return rc;
    }
    return kv_db_commit(db, err);
}

int kv_receipt_delete(struct kv_db *db, const char *system_id, const char *id,
                      struct kv_err *err)
{
    int rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = mark_deleted(db, system_id, id, err);
    if (rc < 0) {
        kv_db_rollback(db);
        return rc;
    }
    return kv_db_commit(db, err);
}

int kv_receipts_push_pending(struct kv_db *db, int64_t *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, "SELECT COUNT(*) FROM receipts WHERE push_state = 'PENDING'", &s,
                           err);
    *out = 0;
    if (rc < 0)
        return rc;
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        *out = kv_stmt_col_int64(s, 0);
        rc = 0;
    }
    kv_stmt_done(s);
    return rc;
}

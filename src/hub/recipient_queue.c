/* SPDX-License-Identifier: MIT
 *
 * recipient_queue.c: routing letters to authorities' recipient systems and the REST pull
 * operations on the queue (list, get, business receipt, delete). See recipient_queue.h.
 */
#include "hub/recipient_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/events.h"
#include "hub/group_commit.h"
#include "hub/letters.h"
#include "hub/receipts.h"
#include "hub/stats.h"
#include "hub/system_health.h"
#include "store/store.h"
#include "util/page.h"
#include "util/clock.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* A system outside its active window (directory.h, kv_system_in_window) is no delivery target:
 * the civil date in Copenhagen is compared with its active_from / active_to. */
#define IN_WINDOW(param)                                                                     \
    " AND (s.active_from IS NULL OR s.active_from <= " param ")"                            \
    " AND (s.active_to IS NULL OR s.active_to >= " param ")"

/* The recipient system of an active contact point of org (that targets authorities when
 * authority is 1), when that system is within its active window; 0, or KV_ENOTFOUND. */
static int point_system(struct kv_db *db, const char *org, const char *point_id, int authority,
                        char out[37], struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char today[11];
    int rc = kv_db_prepare(db,
                           authority ? "SELECT cp.system_id FROM contact_points cp JOIN systems s"
                                       " ON s.id = cp.system_id WHERE cp.id = lower(?1)"
                                       " AND cp.org_cvr = ?2 AND cp.active = 1"
                                       " AND cp.visible_authority = 1" IN_WINDOW("?3")
                                     : "SELECT cp.system_id FROM contact_points cp JOIN systems s"
                                       " ON s.id = cp.system_id WHERE cp.id = lower(?1)"
                                       " AND cp.org_cvr = ?2 AND cp.active = 1" IN_WINDOW("?3"),
                           &s, err);
    if (rc < 0)
        return rc;
    kv_clock_copenhagen_date(kv_clock_now_ms(), today);
    /* the arguments and this frame's date, until kv_stmt_done (no copy: store.h) */
    kv_stmt_bind_text_static(s, 1, point_id, -1);
    kv_stmt_bind_text_static(s, 2, org, -1);
    kv_stmt_bind_text_static(s, 3, today, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        kv_str_copy(out, 37, kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return rc == KV_ROW ? 0 : KV_ENOTFOUND;
}

/* The organisation's default recipient system, when it is within its active window. */
static int default_system(struct kv_db *db, const char *org, char out[37], struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char today[11];
    int rc = kv_db_prepare(db,
                           "SELECT s.id FROM systems s WHERE s.org_cvr = ?1"
                           " AND s.kind = 'recipient' AND s.is_default = 1" IN_WINDOW("?2")
                           " ORDER BY s.created_ms LIMIT 1",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_clock_copenhagen_date(kv_clock_now_ms(), today);
    kv_stmt_bind_text_static(s, 1, org, -1); /* as in point_system */
    kv_stmt_bind_text_static(s, 2, today, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        kv_str_copy(out, 37, kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        return kv_err_set(err, KV_ENOTFOUND,
                          "organisation %.8s has no default recipient system", org);
    return 0;
}

int kv_recipient_pick(struct kv_db *db, const char *recipient_cvr, const char *contact_point_id,
                      char out_system_id[37], int *out_used_point, struct kv_err *err)
{
    return kv_recipient_pick_for(db, recipient_cvr, contact_point_id, 0, out_system_id,
                                 out_used_point, err);
}

int kv_recipient_pick_for(struct kv_db *db, const char *recipient_cvr,
                          const char *contact_point_id, int authority, char out_system_id[37],
                          int *out_used_point, struct kv_err *err)
{
    int rc;

    *out_used_point = 0;
    if (contact_point_id && contact_point_id[0]) {
        rc = point_system(db, recipient_cvr, contact_point_id, authority, out_system_id, err);
        if (rc < 0 && rc != KV_ENOTFOUND)
            return rc;
        if (rc == 0) {
            *out_used_point = 1;
            return 0;
        }
    }
    return default_system(db, recipient_cvr, out_system_id, err);
}

/* The sequence of recipient_queue.id (an identity column on PostgreSQL). Rows are queued
 * under its fence and the pull list reads only below its horizon (kv_db_sequence_fence,
 * store.h): with concurrent writers queue ids commit out of order, and a system that pages by
 * `after` must not step past a letter whose smaller id commits later (docs/postgresql.md). */
static const char QUEUE_SEQ[] = "recipient_queue_id_seq";

/* kv_recipient_queue_to inside the caller's transaction. */
static int queue_to(struct kv_db *db, int64_t letter_id, const char *system_id,
                    const char *contact_point_id, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv_db_sequence_fence(db, QUEUE_SEQ, err);
    if (rc < 0)
        return rc;

    /* visible_ms: the letter's visibility (migrations 008, 064), kept equal by a trigger;
     * NULL while a value date holds the letter back: kv_recipient_publish numbers the row
     * anew when it is published. */
    rc = kv_db_prepare(db,
                       "INSERT INTO recipient_queue (letter_id, system_id, contact_point_id, "
                       "state, created_ms, visible_ms) SELECT id, ?2, ?3, 'QUEUED', ?4, "
                       "CASE WHEN state IN ('RECALLED', 'AWAITING_DELAY') THEN NULL "
                       "ELSE COALESCE(available_ms, created_ms) END FROM letters WHERE id = ?1",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, letter_id);
    kv_stmt_bind_text_static(s, 2, system_id, -1); /* the arguments: no copy (store.h) */
    if (contact_point_id && contact_point_id[0])
        kv_stmt_bind_text_static(s, 3, contact_point_id, -1);
    else
        kv_stmt_bind_null(s, 3);
    kv_stmt_bind_int64(s, 4, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc == KV_ECONFLICT)
        return kv_err_set(err, KV_ECONFLICT, "letter %lld is already routed",
                          (long long)letter_id);
    if (rc < 0)
        return rc;
    if (kv_db_changes(db) != 1)
        return kv_err_set(err, KV_ENOTFOUND, "no letter %lld", (long long)letter_id);
    return 0;
}

int kv_recipient_queue_to(struct kv_db *db, int64_t letter_id, const char *system_id,
                          const char *contact_point_id, struct kv_err *err)
{
    int rc;

    if (kv_db_in_transaction(db))
        return queue_to(db, letter_id, system_id, contact_point_id, err);
    /* the fence holds only inside a transaction: one of its own */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        return rc;
    return kv_db_end(db, queue_to(db, letter_id, system_id, contact_point_id, err), err);
}

int kv_recipient_publish(struct kv_db *db, int64_t letter_id, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int64_t id;
    int rc = kv_db_prepare(db, "SELECT 1 FROM recipient_queue WHERE letter_id = ?", &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, letter_id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc != KV_ROW)
        return rc < 0 ? rc : 0; /* not routed: a mailbox letter, or printed */
    /* A place after every letter the system may have listed so far, under the fence that
     * the list's horizon reads (as at routing); SQLite has one writer, which commits in id
     * order. */
    rc = kv_db_next_value_fenced(db, QUEUE_SEQ,
                                 "SELECT COALESCE(MAX(id), 0) + 1 FROM recipient_queue", &id,
                                 err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, "UPDATE recipient_queue SET id = ? WHERE letter_id = ?", &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, id);
    kv_stmt_bind_int64(s, 2, letter_id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_recipient_route(struct kv_db *db, int64_t letter_id, const char *recipient_cvr,
                       const char *contact_point_id, struct kv_err *err)
{
    char sys[37] = "";
    int used = 0, rc;

    rc = kv_recipient_pick(db, recipient_cvr, contact_point_id, sys, &used, err);
    if (rc == 0)
        rc = kv_recipient_queue_to(db, letter_id, sys, used ? contact_point_id : NULL, err);
    return rc;
}

/* A routed letter is visible to its system once published and unless recalled:
 * recipient_queue.visible_ms (migrations 008, 064) is letters.available_ms (created_ms when
 * NULL), NULL while the letter waits for its value date or when recalled (one parameter:
 * now). */
#define VISIBLE "AND q.visible_ms <= ? "

/* VISIBLE for the list pages, whose rows come in queue order from recipient_queue_list
 * (system, id, ...; visible_ms is read from the index, not sought). The unary plus keeps the
 * planner from answering the range on visible_ms from recipient_queue_unlisted (system,
 * visible_ms; migration 055) and sorting every visible row of the system by id: PostgreSQL's
 * generic plan of these statements (LIMIT a parameter, estimated at a tenth of the rows) chose
 * that, 70 ms for page 0 of a system with 25,000 queued where the ordered index-only scan
 * takes 0.3 ms, growing with the queue; a prepared statement switches to its generic plan
 * once that looks no dearer than its custom plans so far (numbered pages have dear custom
 * plans). SQLite's plan is the same either way. docs/postgresql.md, "Benchmarks". */
#define LISTED "AND +q.visible_ms <= ? "

/* What a group-committed write of the pull API needs (fields unused by an operation stay
 * zero). */
struct mark {
    int64_t qid;           /* recipient_queue.id (first fetch) */
    const char *system_id; /* borrowed */
    const char *uuid;      /* borrowed (delete) */
    int64_t now;           /* time of the request */
};

/* Records a pull fetch (list or letter) of system_id at now: kv_system_health_fetched, which
 * writes only when the stored state is stale (see system_health.h). The same staleness test
 * is read here first, so the usual poll costs one read and takes no write lock; when it is
 * stale, the write goes through the group commit. */
static int fetched_op(struct kv_db *db, void *arg, struct kv_err *err)
{
    const struct mark *m = arg;

    return kv_system_health_fetched(db, m->system_id, m->now, err);
}

static int note_fetch(struct kv_db *db, const char *system_id, int64_t now, struct kv_err *err)
{
    struct mark a = {0, system_id, NULL, now};
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT 1 FROM systems WHERE id = ?1 AND (last_fetch_ms IS NULL "
                           "OR last_success_ms IS NULL OR failing_since_ms IS NOT NULL "
                           "OR warnings_sent <> 0 OR last_fetch_ms > ?2 "
                           "OR last_fetch_ms <= ?2 - ?3)",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, now);
    kv_stmt_bind_int64(s, 3, KV_HEALTH_FETCH_WRITE_MS);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc != KV_ROW)
        return rc < 0 ? rc : 0;
    return kv_group_commit_run(db, fetched_op, &a, KV_GROUP_LAZY, err);
}

int kv_recipient_page(struct kv_db *db, const char *system_id, int64_t page, int size, int desc,
                      json_t **out, struct kv_err *err)
{
    return kv_recipient_page_after(db, system_id, page, size, desc, NULL, 0, out, err);
}

/* The queue row id of letter message_uuid for system_id, in any state (a deleted row stays
 * for audit, so a cursor on a letter deleted since still has its place); 0 when none. */
static int cursor_row(struct kv_db *db, const char *system_id, const char *message_uuid,
                      int64_t *out, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT q.id FROM recipient_queue q JOIN letters l ON l.id = "
                           "q.letter_id WHERE q.system_id = ? AND l.message_uuid = ?",
                           &s, err);

    *out = 0;
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_text(s, 2, message_uuid, -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        *out = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_recipient_page_after(struct kv_db *db, const char *system_id, int64_t page, int size,
                            int desc, const char *after, int before, json_t **out,
                            struct kv_err *err)
{
    static const char SQL_AFTER_ASC[] =
        "SELECT l.message_uuid FROM (SELECT q.id, q.letter_id FROM recipient_queue q "
        "WHERE q.system_id = ? AND q.state <> 'DELETED' " LISTED "AND q.id > ? "
        "AND q.id < ? ORDER BY q.id LIMIT ?) p JOIN letters l ON l.id = p.letter_id "
        "ORDER BY p.id";
    static const char SQL_AFTER_DESC[] =
        "SELECT l.message_uuid FROM (SELECT q.id, q.letter_id FROM recipient_queue q "
        "WHERE q.system_id = ? AND q.state <> 'DELETED' " LISTED "AND q.id < ? "
        "AND q.id < ? ORDER BY q.id DESC LIMIT ?) p JOIN letters l ON l.id = p.letter_id "
        "ORDER BY p.id DESC";
    int64_t cursor = 0;
    int more = -1, prev = -1, down = desc != before; /* down: walk by falling queue id */
    static const char SQL_PAGE_ASC[] =
        "SELECT l.message_uuid FROM (SELECT q.id, q.letter_id FROM recipient_queue q "
        "WHERE q.system_id = ? AND q.state <> 'DELETED' " LISTED "AND q.id < ? "
        "ORDER BY q.id LIMIT ? OFFSET ?) p JOIN letters l ON l.id = p.letter_id "
        "ORDER BY p.id";
    static const char SQL_PAGE_DESC[] =
        "SELECT l.message_uuid FROM (SELECT q.id, q.letter_id FROM recipient_queue q "
        "WHERE q.system_id = ? AND q.state <> 'DELETED' " LISTED "AND q.id < ? "
        "ORDER BY q.id DESC LIMIT ? OFFSET ?) p JOIN letters l ON l.id = p.letter_id "
        "ORDER BY p.id DESC";
    struct kv_page_order order = {KV_RECIPIENT_ORDER_PROPERTY, desc != 0};
    struct kv_stmt *s = NULL;
    json_t *content = NULL, *o;
    int64_t total = 0, now = kv_clock_now_ms(), horizon;
    int rc;

    *out = NULL;
    if (page < 0 || page > INT64_MAX / KV_RECIPIENT_PAGE_MAX)
        return kv_err_set(err, KV_EINVAL, "page must be a number >= 0");
    if (size < 1 || size > KV_RECIPIENT_PAGE_MAX)
        return kv_err_set(err, KV_EINVAL, "size must be between 1 and %d", KV_RECIPIENT_PAGE_MAX);
    rc = note_fetch(db, system_id, now, err);
    if (rc < 0)
        return rc;
    /* before the reads: below it every queue row there will ever be is committed, so a
     * system paging by `after` cannot step past one that commits late */
    rc = kv_db_sequence_horizon(db, QUEUE_SEQ, &horizon, err);
    if (rc < 0)
        return rc;
    /* Exact count without walking the queue (migration 055): the rows not deleted, kept per
     * system by triggers (summed over the system's slots, migration 056), less those not
     * visible now (recalled, waiting for a value date, or visible_ms ahead), which
     * index recipient_queue_unlisted finds among themselves, and less the visible ones at or
     * above the horizon (committed while a smaller queue id is still open: the pages below
     * do not show them yet; a range of recipient_queue_list, empty on SQLite). So the total
     * is what the pages show. */
    rc = kv_db_prepare(db,
                       "SELECT COALESCE((SELECT SUM(c.listed) FROM recipient_queue_counts c "
                       "WHERE c.system_id = ?1), 0) "
                       "- (SELECT COUNT(*) FROM recipient_queue q WHERE q.system_id = ?1 "
                       "AND q.state <> 'DELETED' AND q.visible_ms IS NULL) "
                       "- (SELECT COUNT(*) FROM recipient_queue q WHERE q.system_id = ?1 "
                       "AND q.state <> 'DELETED' AND q.visible_ms > ?2) "
                       "- (SELECT COUNT(*) FROM recipient_queue q WHERE q.system_id = ?1 "
                       "AND q.state <> 'DELETED' AND q.id >= ?3 AND +q.visible_ms <= ?2)",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, now);
    kv_stmt_bind_int64(s, 3, horizon);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW)
        total = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;

    content = json_array();
    if (after) {
        rc = cursor_row(db, system_id, after, &cursor, err);
        if (rc < 0)
            goto out;
    }
    if (cursor > 0) {
        /* keyset: the size letters after the cursor's, one more to know whether a next
         * page exists */
        json_t *got;
        size_t i;
        int beyond = 0;
        rc = kv_db_prepare(db, down ? SQL_AFTER_DESC : SQL_AFTER_ASC, &s, err);
        if (rc < 0)
            goto out;
        got = json_array();
        kv_stmt_bind_text(s, 1, system_id, -1);
        kv_stmt_bind_int64(s, 2, now);
        kv_stmt_bind_int64(s, 3, cursor);
        kv_stmt_bind_int64(s, 4, horizon);
        kv_stmt_bind_int64(s, 5, (int64_t)size + 1);
        while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
            if ((int)json_array_size(got) == size)
                beyond = 1;
            else
                json_array_append_new(got, json_string(kv_stmt_col_text(s, 0)));
        }
        kv_stmt_done(s);
        /* with before the rows were read backwards from the cursor: shown in the order */
        for (i = 0; i < json_array_size(got); i++)
            json_array_append(content,
                              json_array_get(got, before ? json_array_size(got) - 1 - i : i));
        json_decref(got);
        if (before)
            prev = beyond;
        else
            more = beyond;
        if (rc < 0)
            goto out;
        goto done;
    }
    if (page * size >= total)
        goto done; /* past the end: skip the walk */
    /* The page is cut from the index first (the skipped rows touch nothing else), then its
     * letters are read: at most size rows of letters per call. */
    rc = kv_db_prepare(db, desc ? SQL_PAGE_DESC : SQL_PAGE_ASC, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, now);
    kv_stmt_bind_int64(s, 3, horizon);
    kv_stmt_bind_int64(s, 4, size);
    kv_stmt_bind_int64(s, 5, page * size);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        json_array_append_new(content, json_string(kv_stmt_col_text(s, 0)));
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
done:
    o = kv_page_uuid_json_keyset(content, page, size, total, &order, more, prev);
    content = NULL;
    *out = o;
    rc = 0;
out:
    json_decref(content);
    return rc;
}

static int not_found(struct kv_err *err)
{
    return kv_err_set(err, KV_ENOTFOUND, "no such message");
}

/* The first fetch of a letter (group commit): state DELIVERED and fetched_ms, and the
 * system's health: a fetch is a successful delivery. A row fetched (or deleted) meanwhile
 * by a concurrent request is left alone. */
static int mark_op(struct kv_db *db, void *arg, struct kv_err *err)
{
    const struct mark *m = arg;
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "UPDATE recipient_queue SET state = 'DELIVERED', fetched_ms = ? "
                           "WHERE id = ? AND state = 'QUEUED'",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, m->now);
    kv_stmt_bind_int64(s, 2, m->qid);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0 || kv_db_changes(db) != 1)
        return rc < 0 ? rc : 0;
    rc = kv_system_health_success(db, m->system_id, m->now, err);
    if (rc == 0)
        rc = kv_system_health_fetched(db, m->system_id, m->now, err);
    if (rc == 0)
        rc = kv_stats_delivery_add(db, m->system_id, m->now, 1, err);
    return rc;
}

/* kv_recipient_get, and with mark 0 kv_recipient_peek. */
static int get_impl(struct kv_db *db, const char *system_id, const char *uuid, int mark,
                    char **out_body, size_t *out_len, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct mark m;
    int64_t queued = 0, letter_id = 0;
    int rc;

    *out_body = NULL;
    *out_len = 0;
    memset(&m, 0, sizeof(m));
    m.system_id = system_id;
    m.now = kv_clock_now_ms();
    rc = kv_db_prepare(db,
                       "SELECT q.id, q.state = 'QUEUED', l.id FROM letters l "
                       "JOIN recipient_queue q ON q.letter_id = l.id "
                       "WHERE l.message_uuid = lower(?) AND q.system_id = ? "
                       "AND q.state <> 'DELETED' " VISIBLE,
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, system_id, -1);
    kv_stmt_bind_int64(s, 3, m.now);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        m.qid = kv_stmt_col_int64(s, 0);
        queued = kv_stmt_col_int64(s, 1);
        letter_id = kv_stmt_col_int64(s, 2);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        return not_found(err);
    rc = kv_letter_body(db, letter_id, out_body, out_len, err);
    if (rc < 0)
        return rc;
    /* First fetch: marked before the body is answered (lazy durability: a mark that a power
     * loss undoes is made again by the next fetch; a lost race only means two readers
     * recorded the same fact). A refetch only notes the poll. */
    rc = queued && mark ? kv_group_commit_run(db, mark_op, &m, KV_GROUP_LAZY, err)
                        : note_fetch(db, system_id, m.now, err);
    if (rc < 0) {
        free(*out_body);
        *out_body = NULL;
        *out_len = 0;
        return rc;
    }
    return 0;
}

int kv_recipient_get(struct kv_db *db, const char *system_id, const char *uuid, char **out_body,
                     size_t *out_len, struct kv_err *err)
{
    return get_impl(db, system_id, uuid, 1, out_body, out_len, err);
}

int kv_recipient_peek(struct kv_db *db, const char *system_id, const char *uuid,
                      char **out_body, size_t *out_len, struct kv_err *err)
{
    return get_impl(db, system_id, uuid, 0, out_body, out_len, err);
}

/* What a business receipt needs to know about the letter. */
struct target {
    int64_t qid;              /* recipient_queue.id */
    int queued;               /* 1 when not fetched yet (state QUEUED) */
    int acknowledged;         /* 1 when a receipt was given already */
    char receipt_status[16];  /* the status of that receipt, "" when none */
    char uuid[37];            /* letters.message_uuid */
    char sender_system[37];   /* letters.sender_system */
    char transmission_id[37]; /* letters.transmission_id */
    char message_id[257];     /* letters.message_id, "" if none */
    int push;                 /* sender has a receipt URL */
};

static int load_target(struct kv_db *db, const char *system_id, const char *uuid,
                       struct target *t, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT q.id, q.acknowledged_ms IS NOT NULL, l.message_uuid, "
                           "l.sender_system, l.transmission_id, l.message_id, "
                           "COALESCE(sy.receipt_url, '') <> '', q.state = 'QUEUED', "
                           "q.receipt_status "
                           "FROM recipient_queue q JOIN letters l ON l.id = q.letter_id "
                           "LEFT JOIN systems sy ON sy.id = l.sender_system "
                           "WHERE l.message_uuid = lower(?) AND q.system_id = ? "
                           "AND q.state <> 'DELETED' " VISIBLE,
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, uuid, -1);
    kv_stmt_bind_text(s, 2, system_id, -1);
    kv_stmt_bind_int64(s, 3, kv_clock_now_ms());
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        t->qid = kv_stmt_col_int64(s, 0);
        t->acknowledged = (int)kv_stmt_col_int64(s, 1);
        kv_str_copy(t->uuid, sizeof(t->uuid), kv_stmt_col_text(s, 2));
        kv_str_copy(t->sender_system, sizeof(t->sender_system), kv_stmt_col_text(s, 3));
        kv_str_copy(t->transmission_id, sizeof(t->transmission_id), kv_stmt_col_text(s, 4));
        kv_str_copy(t->message_id, sizeof(t->message_id), kv_stmt_col_text(s, 5));
        t->push = (int)kv_stmt_col_int64(s, 6);
        t->queued = (int)kv_stmt_col_int64(s, 7);
        kv_str_copy(t->receipt_status, sizeof(t->receipt_status), kv_stmt_col_text(s, 8));
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return rc == KV_ROW ? 0 : not_found(err);
}

/* A business receipt's inputs (borrowed) and result. */
struct receipt_args {
    const char *system_id, *uuid, *status, *error_code, *error_message; /* borrowed */
    int64_t now;                                                         /* receipt time */
    struct target t;     /* the letter, read before the write transaction (load_target) */
    int64_t receipt_id;  /* out: sender-side id */
    int repeat;          /* out: 1 when the same receipt had been given already */
};

/* A receipt for a letter answered already: the same status again is the client's retry
 * (0, *repeat = 1, nothing written); another one is a conflict. */
static int answered(const struct target *t, const char *status, int *repeat, struct kv_err *err)
{
    if (strcmp(t->receipt_status, status) == 0) {
        *repeat = 1;
        return 0;
    }
    return kv_err_set(err, KV_ECONFLICT,
                      "a business receipt %s was already given for %s; it cannot be changed",
                      t->receipt_status[0] ? t->receipt_status : "", t->uuid);
}

/* The acknowledgement, guarded: it changes the row only if it is still unanswered and
 * visible and not deleted (?1 now, ?2 status, ?3 recipient_queue.id). A row read as fetched
 * is DELIVERED already: leaving state out of the SET then spares the five indexes that hold
 * or filter on it (only the row's own page is written). */
static const char SQL_ACK_QUEUED[] =
    "UPDATE recipient_queue SET acknowledged_ms = ?1, receipt_status = ?2, "
    "fetched_ms = COALESCE(fetched_ms, ?1), state = 'DELIVERED' WHERE id = ?3 "
    "AND acknowledged_ms IS NULL AND state <> 'DELETED' AND visible_ms <= ?1";
static const char SQL_ACK_FETCHED[] =
    "UPDATE recipient_queue SET acknowledged_ms = ?1, receipt_status = ?2, "
    "fetched_ms = COALESCE(fetched_ms, ?1) WHERE id = ?3 "
    "AND acknowledged_ms IS NULL AND state <> 'DELETED' AND visible_ms <= ?1";

/* The receipt's writes, inside the group commit's transaction. */
static int receipt_op(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct receipt_args *a = arg;
    const char *system_id = a->system_id, *status = a->status, *error_code = a->error_code;
    const struct target *t = &a->t;
    struct target again;
    struct kv_receipt r;
    struct kv_event ev = {0};
    struct kv_stmt *s = NULL;
    json_t *props = NULL;
    char *props_txt = NULL;
    int64_t now = a->now;
    int rc;

    a->receipt_id = 0; /* the batch may run again after a deadlock (group_commit.h) */
    a->repeat = 0;
    /* The letter was read before the transaction (kv_recipient_receipt); the guarded
     * UPDATE finds out whether that still holds. */
    rc = kv_db_prepare(db, t->queued ? SQL_ACK_QUEUED : SQL_ACK_FETCHED, &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_text(s, 2, status, -1);
    kv_stmt_bind_int64(s, 3, t->qid);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (kv_db_changes(db) != 1) {
        /* Answered, deleted or recalled since: a repeat or 409 if it is still there, else
         * 404. */
        memset(&again, 0, sizeof(again));
        rc = load_target(db, system_id, a->uuid, &again, err);
        if (rc == 0)
            rc = answered(&again, status, &a->repeat, err);
        goto out;
    }
    memset(&r, 0, sizeof(r));
    kv_str_copy(r.system_id, sizeof(r.system_id), t->sender_system);
    kv_str_copy(r.transmission_id, sizeof(r.transmission_id), t->transmission_id);
    kv_str_copy(r.message_uuid, sizeof(r.message_uuid), t->uuid);
    kv_str_copy(r.message_id, sizeof(r.message_id), t->message_id);
    kv_str_copy(r.receipt_status, sizeof(r.receipt_status), status);
    kv_str_copy(r.error_code, sizeof(r.error_code), error_code);
    kv_str_copy(r.error_message, sizeof(r.error_message), a->error_message);
    r.time_ms = now;
    /* A letter written through the mailbox API has no sender system (sender_system ''). */
    rc = t->sender_system[0] ? kv_receipt_insert(db, &r, t->push, err) : 0;
    if (rc < 0)
        goto out;
    props = json_pack("{s:s,s:o,s:s?}", "receiptStatus", status, "receiptId",
                      r.id ? json_string(r.uuid) : json_null(),
                      "errorCode", (error_code && error_code[0]) ? error_code : NULL);
    props_txt = props ? json_dumps(props, JSON_COMPACT) : NULL;
    ev.tag = "BUSINESS_RECEIPT_RECEIVED_BY_RECIPIENT_SYSTEM";
    ev.message_uuid = t->uuid;
    ev.system_id = system_id;
    ev.actor = system_id;
    ev.props_json = props_txt;
    ev.time_ms = now;
    rc = kv_events_append(db, &ev, err);
    if (rc == 0)
        a->receipt_id = r.id;
out:
    free(props_txt);
    json_decref(props);
    return rc;
}

int kv_recipient_receipt(struct kv_db *db, const char *system_id, const char *uuid,
                         const char *status, const char *error_code, const char *error_message,
                         int64_t *out_receipt_id, int *out_repeat, struct kv_err *err)
{
    struct receipt_args a;
    int rc;

    if (out_receipt_id)
        *out_receipt_id = 0;
    if (out_repeat)
        *out_repeat = 0;
    if (!status || (strcmp(status, "COMPLETED") != 0 && strcmp(status, "INVALID") != 0))
        return kv_err_set(err, KV_EINVAL, "receiptStatus must be COMPLETED or INVALID");
    memset(&a, 0, sizeof(a));
    a.system_id = system_id;
    a.uuid = uuid;
    a.status = status;
    a.error_code = error_code;
    a.error_message = error_message;
    a.now = kv_clock_now_ms();
    /* The reads (a join of three tables) are made here, on the caller's connection and in
     * parallel with other requests, so the batch's single writer only does the writes. */
    rc = load_target(db, system_id, uuid, &a.t, err);
    if (rc < 0)
        return rc;
    if (a.t.acknowledged)
        rc = answered(&a.t, status, &a.repeat, err);
    else
        rc = kv_group_commit_run(db, receipt_op, &a, KV_GROUP_DURABLE, err);
    if (rc == 0 && out_receipt_id)
        *out_receipt_id = a.receipt_id;
    if (rc == 0 && out_repeat)
        *out_repeat = a.repeat;
    return rc;
}

/* The deletion's write (group commit); KV_ENOTFOUND when nothing was there to delete. */
static int delete_op(struct kv_db *db, void *arg, struct kv_err *err)
{
    const struct mark *m = arg;
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "UPDATE recipient_queue AS q SET state = 'DELETED' "
                           "WHERE q.system_id = ? AND q.state <> 'DELETED' " VISIBLE
                           "AND q.letter_id = "
                           "(SELECT id FROM letters WHERE message_uuid = lower(?))",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, m->system_id, -1);
    kv_stmt_bind_int64(s, 2, m->now);
    kv_stmt_bind_text(s, 3, m->uuid, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return kv_db_changes(db) == 1 ? 0 : not_found(err);
}

int kv_recipient_delete(struct kv_db *db, const char *system_id, const char *uuid,
                        struct kv_err *err)
{
    struct mark m;

    memset(&m, 0, sizeof(m));
    m.system_id = system_id;
    m.uuid = uuid;
    m.now = kv_clock_now_ms();
    /* Lazy durability (docs/recipient-side.md, "How the writes are done"): a deletion that a
     * power loss undoes only shows the letter in the list again, at least once. */
    return kv_group_commit_run(db, delete_op, &m, KV_GROUP_LAZY, err);
}

int kv_recipient_queue_length(struct kv_db *db, const char *system_id, int64_t *out,
                              struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "SELECT COUNT(*) FROM recipient_queue WHERE system_id = ? "
                           "AND state = 'QUEUED'",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    rc = kv_stmt_step(s, err);
    *out = rc == KV_ROW ? kv_stmt_col_int64(s, 0) : 0;
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv_recipient_oldest_waiting(struct kv_db *db, const char *system_id, int64_t now_ms,
                                int64_t *out_ms, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    /* One seek in recipient_queue_waiting: NULLs (recalled) sort first and are skipped. */
    int rc = kv_db_prepare(db,
                           "SELECT MIN(visible_ms) FROM recipient_queue WHERE system_id = ? "
                           "AND state = 'QUEUED' AND visible_ms <= ?",
                           &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, now_ms);
    rc = kv_stmt_step(s, err);
    *out_ms = rc == KV_ROW && !kv_stmt_col_is_null(s, 0) ? kv_stmt_col_int64(s, 0) : 0;
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* SPDX-License-Identifier: MIT
 *
 * mailbox_activity.c: a mailbox's activity log over the event log, and the event of a helper
 * opening a letter (see mailbox_activity.h). No SQL of its own: events.c reads and appends,
 * mailbox_view.c says which letters a narrowed employee may see.
 */
#include "hub/mailbox_activity.h"

#include <stdio.h>
#include <string.h>

#include "hub/events.h"
#include "store/store.h"
#include "util/clock.h"

static const char *const TAGS[] = {
    "MESSAGE_READ",
    "MAILBOX_READ_BY_PARTY_REPRESENTATIVE",
    "MESSAGE_MOVED",
    "MESSAGE_DELETED",
    "MESSAGE_LEGALLY_NOTIFIED",
    "MESSAGE_FORWARDED_TO_AUTHORITY",
    "MESSAGE_FORWARDED_TO_EMAIL",
    "MESSAGE_FORWARDED_TO_TRUSTED",
    "FOLDER_CREATED",
    "FOLDER_UPDATED",
    "FOLDER_MOVED",
    "FOLDER_DELETED",
    "MAILBOX_MESSAGE_SENT",
    "DRAFT_SAVED",
    "DRAFT_DELETED",
    "DRAFT_SENT",
    "ACCESS_REQUEST_SUBMITTED",
    "ACCESS_REQUEST_APPROVED",
    "ACCESS_REQUEST_REJECTED",
    "ACCESS_REQUEST_REVOKED",
    "READ_ACCESS_CREATED",
    "READ_ACCESS_DELETED",
    "PRIVILEGE_EXPIRATION_NOTIFIED",
};

#define N_TAGS ((int)(sizeof(TAGS) / sizeof(TAGS[0])))

static int64_t seq_of(json_t *ev)
{
    return (int64_t)json_integer_value(json_object_get(ev, "seq"));
}

/* a and b newest first (by seq), merged the same way and cut to a page and one; a and b are
 * consumed. */
static json_t *merge(json_t *a, json_t *b)
{
    json_t *out = json_array();
    size_t i = 0, j = 0;

    while ((i < json_array_size(a) || j < json_array_size(b)) &&
           json_array_size(out) < KV_MBOX_ACTIVITY_PAGE + 1) {
        json_t *x = json_array_get(a, i), *y = json_array_get(b, j);

        if (x && (!y || seq_of(x) > seq_of(y))) {
            json_array_append(out, x);
            i++;
        } else {
            json_array_append(out, y);
            j++;
        }
    }
    json_decref(a);
    json_decref(b);
    return out;
}

const char *const *kv_mbox_activity_tags(int *n_out)
{
    *n_out = (int)(sizeof(TAGS) / sizeof(TAGS[0]));
    return TAGS;
}

/* Up to limit of subject's activity events with seq < before_seq, newest first (owned). */
static int events_before(struct kv_db *db, const char *subject, int64_t before_seq, int limit,
                         json_t **out, struct kv_err *err)
{
    json_t *arr = NULL;
    int rc, i;

    *out = NULL;
    /* kv_events_of_subject takes up to 16 tags: ask in slices of 16 and merge newest first */
    for (i = 0; i < N_TAGS; i += 16) {
        json_t *part = NULL;

        rc = kv_events_of_subject(db, subject, TAGS + i, N_TAGS - i < 16 ? N_TAGS - i : 16,
                                  before_seq, limit, &part, err);
        if (rc < 0) {
            json_decref(arr);
            return rc;
        }
        arr = arr ? merge(arr, part) : part;
    }
    while (json_array_size(arr) > (size_t)limit)
        json_array_remove(arr, json_array_size(arr) - 1);
    *out = arr;
    return 0;
}

/* 1 when the event names a letter owner (narrowed) may load, else 0 (or < 0 on error). */
static int narrowed_sees(struct kv_db *db, const struct kv_mbox_owner *owner, json_t *ev,
                         struct kv_err *err)
{
    const char *uuid = json_string_value(json_object_get(ev, "messageUUID"));
    struct kv_mbox_letter l;
    int rc;

    if (!uuid || !uuid[0])
        return 0;
    rc = kv_mbox_letter_load(db, owner, uuid, 0, &l, err);
    if (rc == KV_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    kv_mbox_letter_release(&l);
    return 1;
}

int kv_mbox_activity(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t before_seq,
                     json_t **out, struct kv_err *err)
{
    char subject[16];
    json_t *arr = NULL, *res, *batch = NULL, *ev;
    int64_t cursor = before_seq, next = -1;
    size_t n, k;
    int rc, round;

    *out = NULL;
    kv_mbox_subject(owner, subject, sizeof(subject));
    if (!owner->narrowed) {
        rc = events_before(db, subject, before_seq, KV_MBOX_ACTIVITY_PAGE + 1, &arr, err);
        if (rc < 0)
            return rc;
        n = json_array_size(arr);
        if (n > KV_MBOX_ACTIVITY_PAGE) {
            json_array_remove(arr, n - 1);
            next = seq_of(json_array_get(arr, KV_MBOX_ACTIVITY_PAGE - 1));
        }
    } else {
        /* only the events of letters the narrowed employee may see: filter batches of the
         * log, at most KV_MBOX_ACTIVITY_ROUNDS of them per page; when they run out before the
         * page is full, the page is shorter and "older" goes on from the last event read */
        arr = json_array();
        for (round = 0; round < KV_MBOX_ACTIVITY_ROUNDS; round++) {
            rc = events_before(db, subject, cursor, KV_MBOX_ACTIVITY_PAGE, &batch, err);
            if (rc < 0)
                goto fail;
            json_array_foreach(batch, k, ev)
            {
                if (json_array_size(arr) == KV_MBOX_ACTIVITY_PAGE) {
                    next = seq_of(json_array_get(arr, KV_MBOX_ACTIVITY_PAGE - 1));
                    break;
                }
                cursor = seq_of(ev);
                rc = narrowed_sees(db, owner, ev, err);
                if (rc < 0)
                    goto fail;
                if (rc)
                    json_array_append(arr, ev);
            }
            n = json_array_size(batch);
            json_decref(batch);
            batch = NULL;
            if (next >= 0 || n < KV_MBOX_ACTIVITY_PAGE)
                break;
        }
        if (next < 0 && round == KV_MBOX_ACTIVITY_ROUNDS)
            next = cursor;
    }
    res = json_object();
    json_object_set_new(res, "nextBefore", next >= 0 ? json_integer(next) : json_null());
    json_object_set_new(res, "items", arr);
    *out = res;
    return 0;
fail:
    json_decref(batch);
    json_decref(arr);
    return rc;
}

int kv_mbox_log_representative_read(struct kv_db *db, const struct kv_mbox_owner *owner,
                                    const struct kv_mbox_letter *l, struct kv_err *err)
{
    int rc;

    if (!owner->rep_cpr[0])
        return 0;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_mbox_event(db, owner, l, "MAILBOX_READ_BY_PARTY_REPRESENTATIVE", NULL,
                       kv_clock_now_ms(), err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc < 0)
        kv_db_rollback(db);
    return rc;
}

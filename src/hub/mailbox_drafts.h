/* SPDX-License-Identifier: MIT
 *
 * mailbox_drafts.h: drafts ("kladder") of letters written at /post/skriv (docs/mailbox-web.md):
 * a letter to one contact point that is saved instead of sent, with its subject, text and
 * attachments (tables mailbox_drafts, mailbox_draft_files; migration 048). A draft belongs to
 * the owner's mailbox; a helper with read-write access saves, opens, sends and deletes the
 * owner's drafts on the owner's behalf (who may is the route's access key, mailbox:write,
 * decided by identity/authz.c). A draft is not a letter: it has no messageUUID and goes
 * nowhere until it is sent through hub/mailbox_send.h like any other letter, after which the
 * caller removes it with kv_mbox_draft_sent. Each change is an event in the mailbox's activity
 * log (mailbox_activity.h), in the transaction of the change, actor the one acting and
 * subject the owner: DRAFT_SAVED {"draftId", "contactPointId", "attachments", "created":
 * true for a new draft, false for a changed one}, DRAFT_DELETED {"draftId"} and DRAFT_SENT
 * {"draftId"} with the messageUUID of the letter it became (DRAFT_SAVED and DRAFT_DELETED are
 * NgDP tags; DRAFT_SENT is kuvert's).
 *
 * Every function takes the owner whose mailbox is shown and touches only that mailbox's
 * drafts: another mailbox's draft is KV_ENOTFOUND, exactly like one that does not exist. The
 * number of drafts per mailbox is kept in mailbox_draft_counts in the same transaction as
 * each insert and delete, so counting reads one row.
 *
 * Ownership: inputs are borrowed; a struct kv_mbox_saved_draft owns its strings and files
 * (kv_mbox_saved_draft_release); the JSON list is the caller's (json_decref).
 */
#ifndef KV_HUB_MAILBOX_DRAFTS_H
#define KV_HUB_MAILBOX_DRAFTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hub/mailbox_send.h"
#include "util/err.h"

struct kv_db;
struct kv_mbox_owner;

#define KV_MBOX_DRAFTS_LIST_MAX 100 /* drafts listed on one page, newest first */

/* One attachment of a saved draft (owned). */
struct kv_mbox_draft_file {
    char *filename;
    char *mime;
    unsigned char *data;
    size_t len;
};

/* A saved draft. */
struct kv_mbox_saved_draft {
    char id[37];                      /* UUID v4 */
    char point_id[37];                /* contact point written to */
    char *label;                      /* subject, "" while empty */
    char *text;                       /* the letter's text */
    int64_t created_ms, updated_ms;
    struct kv_mbox_draft_file *files; /* in the order attached */
    size_t n_files;
};

void kv_mbox_saved_draft_release(struct kv_mbox_saved_draft *d);

/* Drafts in owner's mailbox (one row read). 0 when the mailbox has none or does not exist. */
int kv_mbox_drafts_count(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t *out,
                         struct kv_err *err);

/* The newest KV_MBOX_DRAFTS_LIST_MAX drafts of owner's mailbox, newest first, as
 * [{id, label, pointId, pointName, organisationName, updatedMs, files}] (pointName and
 * organisationName "" when the point is gone). */
int kv_mbox_drafts_list(struct kv_db *db, const struct kv_mbox_owner *owner, json_t **out,
                        struct kv_err *err);

/* Draft id of owner's mailbox into *out; with_data 0 leaves files[].data NULL (len set).
 * KV_ENOTFOUND when it is not there or not this mailbox's. */
int kv_mbox_draft_load(struct kv_db *db, const struct kv_mbox_owner *owner, const char *id,
                       int with_data, struct kv_mbox_saved_draft *out, struct kv_err *err);

/* Saves what d holds as a draft to point_id in owner's mailbox, in one transaction: a new
 * draft when id is NULL or "" (its id into out_id), else draft id is replaced -- subject, text
 * and the whole set of attachments (KV_ENOTFOUND when it is not this mailbox's). The caller
 * has checked the point's limits. KV_EPERM when owner has no mailbox. */
int kv_mbox_draft_save(struct kv_db *db, const struct kv_mbox_owner *owner, const char *id,
                       const char *point_id, const struct kv_mbox_draft *d, char out_id[37],
                       struct kv_err *err);

/* Deletes draft id of owner's mailbox with its files. KV_ENOTFOUND when not there/not theirs. */
int kv_mbox_draft_delete(struct kv_db *db, const struct kv_mbox_owner *owner, const char *id,
                         struct kv_err *err);

/* The same for draft id once it was sent as letter message_uuid (DRAFT_SENT). */
int kv_mbox_draft_sent(struct kv_db *db, const struct kv_mbox_owner *owner, const char *id,
                       const char *message_uuid, struct kv_err *err);

#endif

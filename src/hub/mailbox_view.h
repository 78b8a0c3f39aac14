/* SPDX-License-Identifier: MIT
 *
 * mailbox_view.h: what a mailbox owner (citizen by CPR, company by CVR) sees of the letters
 * delivered to their mailbox: the list (newest first, opaque cursor paging, folder and unread
 * filters), one letter in detail (header, documents with their files, actions — read from the
 * stored MeMo with libmemo), a file's decoded bytes, and marking a letter read.
 *
 * Visibility: only letters in state AVAILABLE in a mailbox owned by the caller, and not in the
 * folder "purged" (deleted permanently by the owner, mailbox_folders.h). Letters
 * awaiting their value date, recalled, refused (NOT_ALLOWED) or turned into print jobs
 * (PRINT: the recipient is exempt and got it on paper) are never shown. A letter that is not
 * visible to the caller is reported as KV_ENOTFOUND, whoever owns it.
 *
 * The folder "sent" (KV_MBOX_FOLDER_SENT) holds the letters the owner wrote through the mailbox
 * API (mailbox_send.h; letters.sender_mailbox_id): listed only with folder=sent, never among
 * the received letters; a sent letter counts as read when it was written.
 *
 * Files are numbered n = 0, 1, 2, ... across all documents in document order (MainDocument,
 * then AdditionalDocuments, then TechnicalDocuments, each document's files in order).
 *
 * All functions take a borrowed connection.
 */
#ifndef KV_HUB_MAILBOX_VIEW_H
#define KV_HUB_MAILBOX_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct kv_db;

#define KV_MBOX_LIST_MAX 100     /* largest page of the list */
#define KV_MBOX_LIST_DEFAULT 20  /* page size when none is given */
#define KV_MBOX_FOLDER_SENT "sent" /* the folder of letters the owner wrote */
#define KV_MBOX_FOLDER_PURGED "purged" /* deleted permanently: never listed, never loaded
                                          (mailbox_folders.h) */
#define KV_MBOX_TEXT_MAX 200     /* longest search text, bytes */

/* The caller: a mailbox owner, or a helper acting in the owner's mailbox with read or
 * read-write access (identity/rights.h; who may is decided before these functions run). */
#define KV_MBOX_POINTS_MAX 32 /* contact points of a narrowed view */
struct kv_mbox_owner {
    char type[4];       /* "CPR" | "CVR" */
    char id[11];        /* the number */
    char rep_cpr[11];   /* a helper acting for the owner: their CPR; "" = the owner acts */
    char rep_name[257]; /* the helper's name (letters they write name them, mailbox_send.h) */
    /* An employee whose MESSAGE_BASIC is narrowed to contact groups or points
     * (identity/rights.h kv_rights_mailbox_scope): narrowed = 1 and only letters whose
     * letters.contact_point_id is one of points[] are listed, loaded and counted (counts from
     * mailbox_point_counts, migration 051); "sent" is empty. 0: the whole mailbox. */
    int narrowed;
    size_t n_points;
    char points[KV_MBOX_POINTS_MAX][37];
};
/* The IN list of a narrowed query: KV_MBOX_POINTS_MAX placeholders. */
#define KV_MBOX_POINTS_IN                                                                      \
    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
struct kv_stmt;
/* Binds owner's points (NULL for the unused slots) from parameter first on; returns the next
 * parameter index. */
int kv_mbox_bind_points(struct kv_stmt *s, int first, const struct kv_mbox_owner *owner);

/* Event actor of what owner does: "cpr:<helper>" when a helper acts, else "cpr:<n>" /
 * "cvr:<n>" of the owner. The subject of those events is always the owner
 * (kv_mbox_subject), so the mailbox's activity log finds them (mailbox_activity.h). */
void kv_mbox_actor(const struct kv_mbox_owner *owner, char *out, size_t n);
void kv_mbox_subject(const struct kv_mbox_owner *owner, char *out, size_t n);

struct kv_mbox_query {
    const char *folder; /* only this folder, or NULL for all */
    int unread;         /* 1 only unread, 0 only read, -1 both */
    const char *cursor; /* from a previous page's nextCursor, or NULL for the first page */
    int limit;          /* 1..KV_MBOX_LIST_MAX */
    const char *text;   /* only letters whose title or sender (sent: recipient) contains this
                           text (kv_mbox_text_ok); received letters: case-insensitive for
                           ASCII and Latin-1 (æøå), through the index of migration 017
                           (mailbox_search.c); sent: for ASCII. NULL or "" for all */
    int flagged;        /* 1: only flagged letters (read through the partial index
                           letters_mailbox_flagged, migration 050); 0: all */
    int64_t from_ms;    /* only letters received (sort key) at or after this instant; 0 = any */
    int64_t to_ms;      /* only letters received before this instant; 0 = any. Both bound the
                           index range of letters_mailbox_page, keyset paging unchanged */
};

/* 1 when text may be searched: valid UTF-8, no control characters, at most
 * KV_MBOX_TEXT_MAX bytes; kv_mbox_list answers KV_EINVAL for any other. */
int kv_mbox_text_ok(const char *text);

/* Lists owner's visible letters into *out = {items: [...], nextCursor: "..." | null} (owned,
 * json_decref). Items: {messageUUID, label, sender{id, label}, createdAt, availableAt, read,
 * readAt, folder, size, flag}. KV_EINVAL for a malformed cursor, limit or text. With a text,
 * a page of received letters may hold fewer than limit letters (even none) and still have a
 * nextCursor: it read its bound of letters (mailbox_search.c); paging on finds the rest. */
int kv_mbox_list(struct kv_db *db, const struct kv_mbox_owner *owner,
                 const struct kv_mbox_query *q, json_t **out, struct kv_err *err);

/* The SQL of one folder's page (flagged: only flagged letters; else unread 1: only unread
 * ones), for tests and benchmarks that check its query plan (static string). */
const char *kv__mbox_list_folder_sql(int flagged, int unread);

/* One visible letter of an owner, with its stored MeMo. */
struct kv_mbox_letter {
    int64_t id;             /* letters.id */
    char message_uuid[37];  /* lower-case messageUUID */
    char sender_system[37]; /* submitting system */
    char sender_cvr[9];     /* sending organisation */
    char *sender_label;     /* owned; "" if unknown */
    char *label;            /* owned title */
    char folder[64];        /* folder name */
    int64_t created_ms;     /* received by the hub */
    int64_t available_ms;   /* became visible */
    int64_t read_ms;        /* first read, 0 if unread */
    int64_t size;           /* bytes of the MeMo */
    char *body;             /* owned MeMo XML (NUL-terminated), NULL unless loaded */
    size_t body_len;        /* bytes in body */
    int sent;               /* 1: the owner wrote it (folder "sent"), 0: received */
    int flagged;            /* the reader's flag (mailbox_folders.h kv_mbox_flag) */
    int legal_notification; /* MeMo legalNotification=true (forkyndelse) */
    int64_t legally_notified_ms; /* when first opened (kv_mbox_mark_legally_notified); 0 not yet */
};

/* Loads the letter uuid (any case) if visible to owner; KV_ENOTFOUND otherwise. The MeMo
 * itself is read only when with_body is non-zero (body stays NULL otherwise). Release with
 * kv_mbox_letter_release. */
int kv_mbox_letter_load(struct kv_db *db, const struct kv_mbox_owner *owner, const char *uuid,
                        int with_body, struct kv_mbox_letter *out, struct kv_err *err);
void kv_mbox_letter_release(struct kv_mbox_letter *l);

/* The detail object {messageUUID, label, ..., sender, recipient, documents, ...} parsed from
 * the stored MeMo (owned, json_decref). */
int kv_mbox_letter_json(const struct kv_mbox_letter *l, json_t **out, struct kv_err *err);

/* The model of the letter's stored MeMo (needs the body; file content loaded unless
 * no_content). *out is owned (kv_memo_message_free). */
struct kv_memo_message;
int kv_mbox_letter_model(const struct kv_mbox_letter *l, int no_content,
                         struct kv_memo_message **out, struct kv_err *err);

/* Decoded bytes of file n of the letter: *data (owned, free with free()), its MIME type and
 * file name (owned strings, free with free()). KV_ENOTFOUND when there is no file n. */
int kv_mbox_letter_file(const struct kv_mbox_letter *l, size_t n, unsigned char **data,
                        size_t *len, char **mime, char **filename, struct kv_err *err);

/* Appends the owner's event tag of letter l (props_json may be NULL) at now inside the
 * caller's open transaction: actor the owner or its representative (kv_mbox_actor), subject
 * the owner. Only MESSAGE_READ and MESSAGE_LEGALLY_NOTIFIED, the sender's evidence that the
 * letter reached the recipient, name the letter's sender system (events.system_id); what
 * else the owner does with a letter (moves, deletes, forwards, a helper's reading) names no
 * system, so no sender system's log holds it (docs/events-api.md). */
int kv_mbox_event(struct kv_db *db, const struct kv_mbox_owner *owner,
                  const struct kv_mbox_letter *l, const char *tag, const char *props_json,
                  int64_t now, struct kv_err *err);
/* Inside the caller's open transaction: runs sql (an UPDATE of letter l's row binding
 * ?1 = now, ?2 = l->id, written so it changes the row only the first time) and, when it changed
 * the row, appends event tag (props_json may be NULL) with the owner's actor and subject; *first
 * is 1 then, else 0. For marks that happen once: read, legally notified. */
int kv_mbox_mark_once(struct kv_db *db, const struct kv_mbox_owner *owner,
                      const struct kv_mbox_letter *l, const char *sql, const char *tag,
                      const char *props_json, int64_t now, int *first, struct kv_err *err);
/* Marks the letter read. Only the first call sets read_ms and appends the event MESSAGE_READ
 * (actor and subject "cpr:<n>"/"cvr:<n>"); later calls and sent letters change nothing. *out_first = 1 when
 * this call was the first. Runs its own transaction. */
int kv_mbox_mark_read(struct kv_db *db, const struct kv_mbox_owner *owner,
                      const struct kv_mbox_letter *l, int *out_first, struct kv_err *err);

#endif

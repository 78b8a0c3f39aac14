/* SPDX-License-Identifier: MIT
 *
 * mailbox_view_int.h: what mailbox_view.c (the list) and mailbox_search.c (the list by text)
 * share. Not for other files; see mailbox_view.h.
 */
#ifndef KV_HUB_MAILBOX_VIEW_INT_H
#define KV_HUB_MAILBOX_VIEW_INT_H

#include <stdint.h>

#include <jansson.h>

#include "hub/mailbox_view.h"

struct kv_stmt;

/* Prepares and binds the list query of q (its text matched with LIKE, as the "sent" folder
 * is searched; NULL for none) from the cursor (ck, cid) when has_cursor, at most limit rows,
 * newest first. *out is borrowed until kv_stmt_done. Row columns: 0 messageUUID, 1 title,
 * 2 sender id, 3 sender name, 4 created, 5 sort key, 6 read, 7 folder, 8 size, 9 letters.id,
 * 10 flagged (sent: 11 recipient id, 12 recipient name). */
int kv__mbox_list_open(struct kv_db *db, const struct kv_mbox_owner *owner,
                       const struct kv_mbox_query *q, int has_cursor, int64_t ck, int64_t cid,
                       int64_t limit, struct kv_stmt **out, struct kv_err *err);
/* The list item of the current row (owned). */
json_t *kv__mbox_item(struct kv_stmt *s, int sent);
/* {items (stolen), nextCursor: cursor of (k, id) when more, else null} (owned). */
json_t *kv__mbox_page(json_t *items, int more, int64_t k, int64_t id);

/* kv_mbox_list of received letters with q->text non-empty (mailbox_search.c). */
#define KV__MBOX_SEARCH_CAP 1000 /* an index probe with this many letters: walk instead */
#define KV__MBOX_SCAN_MAX 5000   /* letters a walking page reads at most */
extern int kv__mbox_search_cap;  /* the two bounds in force (tests lower them) */
extern int kv__mbox_scan_max;
/* Folds s in place (ASCII A-Z and Latin-1 À-Þ but × to small letters; the length stays). */
void kv__mbox_fold(char *s);
/* The probe (probe = 1) or un-narrowed page SQL of the FTS5 (gin = 0) or GIN (gin = 1) index,
 * for tests that check its plan (static string). */
const char *kv__mbox_search_sql(int gin, int probe);
int kv__mbox_search(struct kv_db *db, const struct kv_mbox_owner *owner,
                    const struct kv_mbox_query *q, int has_cursor, int64_t ck, int64_t cid,
                    json_t **out, struct kv_err *err);

#endif

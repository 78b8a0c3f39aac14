/* SPDX-License-Identifier: MIT
 *
 * mailbox_tree.h: a mailbox's own folders (NgDP folderType USER_DEFINED with parentFolderId,
 * ../shared/docs/portals.md §5.1): create, rename, move under another folder (nest), delete,
 * and the tree with its counts. A letter in own folder id has letters.folder = "f<id>"
 * (kv_mbox_folder_key), so paging (index letters_mailbox_page) and counts (mailbox_counts, kept
 * by triggers, migration 037) treat it like "inbox"; listing the tree is one read of at most
 * KV_MBOX_FOLDERS_MAX folder rows joined to their count rows -- nothing counts letters.
 *
 * Rules: a name is 1..KV_MBOX_FOLDER_NAME_MAX bytes of UTF-8 without control characters,
 * unique among its siblings (KV_ECONFLICT); at most KV_MBOX_FOLDERS_MAX folders per mailbox and
 * KV_MBOX_FOLDER_DEPTH_MAX levels (KV_ECONFLICT); a folder cannot be moved under itself or its
 * own descendants (KV_EINVAL). A folder is deleted only when it is empty -- no letters and no
 * sub-folders -- (KV_ECONFLICT otherwise): nothing is ever moved or deleted along with it.
 * Events (actor the one acting, subject the owner, as mailbox_folders.h): FOLDER_CREATED,
 * FOLDER_UPDATED (renamed), FOLDER_MOVED (put under another parent), FOLDER_DELETED, each
 * with props {"folderId", "name", "parentId"} (NgDP's event tags).
 *
 * Functions take a borrowed connection; writes run their own transaction. A folder of another
 * mailbox is KV_ENOTFOUND, like one that does not exist.
 */
#ifndef KV_HUB_MAILBOX_TREE_H
#define KV_HUB_MAILBOX_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "hub/mailbox_view.h"
#include "util/err.h"

struct kv_db;

#define KV_MBOX_FOLDER_NAME_MAX 60  /* bytes */
#define KV_MBOX_FOLDERS_MAX 100     /* own folders per mailbox */
#define KV_MBOX_FOLDER_DEPTH_MAX 4  /* levels: a top folder is level 1 */

struct kv_mbox_folder {
    int64_t id;
    int64_t parent_id;                       /* 0 = top level */
    char name[KV_MBOX_FOLDER_NAME_MAX + 1];
    int depth;                               /* 1 = top level */
    int64_t total, unread;                   /* visible letters in it (not in sub-folders) */
};

/* "f<id>" into out (24 bytes). */
void kv_mbox_folder_key(int64_t id, char out[24]);
/* Parses "f<id>" (id 1..2^62); KV_EINVAL for anything else. */
int kv_mbox_folder_parse(const char *key, int64_t *out_id);

/* The owner's folders in tree order (each parent before its children, siblings by name),
 * *out owned (free()), *n_out entries; none: *out NULL, *n_out 0. */
int kv_mbox_folders(struct kv_db *db, const struct kv_mbox_owner *owner,
                    struct kv_mbox_folder **out, size_t *n_out, struct kv_err *err);
/* One folder of the owner (out may be NULL to test existence); KV_ENOTFOUND. */
int kv_mbox_folder_get(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t id,
                       struct kv_mbox_folder *out, struct kv_err *err);
/* Creates folder name under parent_id (0 = top). out_id may be NULL. */
int kv_mbox_folder_create(struct kv_db *db, const struct kv_mbox_owner *owner,
                          int64_t parent_id, const char *name, int64_t *out_id,
                          struct kv_err *err);
/* Renames folder id and/or puts it under parent_id (0 = top). */
int kv_mbox_folder_update(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t id,
                          const char *name, int64_t parent_id, struct kv_err *err);
/* Deletes an empty folder. */
int kv_mbox_folder_delete(struct kv_db *db, const struct kv_mbox_owner *owner, int64_t id,
                          struct kv_err *err);

#endif

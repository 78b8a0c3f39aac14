/* SPDX-License-Identifier: MIT
 *
 * memos_bulk.h: unpacking bulk submissions for POST /apis/v1/memos/: a tar archive of MeMo
 * files compressed with LZMA (.lzma "alone" format) or xz, read with libarchive, and the
 * multipart/form-data envelope whose part `file` carries such an archive. Everything is bounded
 * before it is allocated: entry count, each entry's size, the total unpacked size, the part
 * headers.
 *
 * Ownership: struct kv__bulk owns its entries (kv__bulk_release). kv__multipart_file returns
 * pointers into the borrowed body.
 */
#ifndef KV_API_MEMOS_BULK_H
#define KV_API_MEMOS_BULK_H

#include <stddef.h>

#include "util/err.h"

#define KV_BULK_MAX_ENTRIES 10000                   /* letters in one archive at most */
#define KV_BULK_MAX_TOTAL ((size_t)512 * 1024 * 1024) /* unpacked bytes in one archive at most */
#define KV_MULTIPART_MAX_PARTS 16                   /* parts looked at in a form */
#define KV_MULTIPART_MAX_HEADERS 8192               /* bytes of one part's headers */

struct kv__bulk_entry {
    char *name; /* owned entry path in the archive */
    char *data; /* owned bytes, NUL-terminated */
    size_t len; /* length of data */
};

struct kv__bulk {
    struct kv__bulk_entry *e; /* owned array */
    size_t n;                 /* entries */
    size_t total;             /* sum of lengths */
};

/* Reads every regular file of the tar archive buf[0..len) (lzma, xz or uncompressed).
 * KV_EINVAL when it is not a readable archive, KV_ETOOBIG past a bound (entry larger than
 * max_entry, more than KV_BULK_MAX_ENTRIES, more than KV_BULK_MAX_TOTAL). */
int kv__bulk_read(const void *buf, size_t len, size_t max_entry, struct kv__bulk *out,
                  struct kv_err *err);
void kv__bulk_release(struct kv__bulk *b);

/* Finds the part named "file" of a multipart/form-data body. content_type is the request's
 * Content-Type (with the boundary parameter). *out_data and *out_len point into body;
 * part_type (size part_type_len) receives the part's Content-Type media type lower-cased, ""
 * when it has none. KV_EINVAL when malformed or there is no such part. */
int kv__multipart_file(const char *content_type, const char *body, size_t len,
                       const char **out_data, size_t *out_len, char *part_type,
                       size_t part_type_len, struct kv_err *err);

/* Media type of a Content-Type value, lower-cased, without parameters, into out. */
void kv__media_type(const char *content_type, char *out, size_t outlen);

#endif

/* SPDX-License-Identifier: MIT
 *
 * memos_bulk.h: bulk submissions of POST /apis/v1/memos/: a tar archive of MeMo files
 * compressed with LZMA (.lzma "alone" format) or xz, decompressed as a stream with liblzma and
 * read with libarchive (memos_bulk.c), the multipart/form-data envelope whose part `file`
 * carries such an archive, and the send itself with its one Receipt for the batch
 * (bulk_send.c). The archive is never unpacked whole: a first pass reads only headers and
 * checks every bound (entry count, each entry's size, the total, the stream) before anything
 * is allocated for an entry; the second pass takes the letters a chunk at a time. A global
 * budget bounds the memory all bulk requests together may hold (503 + Retry-After beyond).
 *
 * Ownership: a reader borrows the archive bytes; kv__bulk_next hands out owned copies.
 * kv__multipart_file returns pointers into the borrowed body.
 */
#ifndef KV_API_MEMOS_BULK_H
#define KV_API_MEMOS_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define KV_BULK_MAX_ENTRIES 10000                   /* letters in one archive at most */
#define KV_BULK_MAX_TOTAL ((size_t)512 * 1024 * 1024) /* unpacked bytes in one archive at most */
#define KV_BULK_MAX_STREAM (KV_BULK_MAX_TOTAL + ((size_t)64 << 20)) /* tar stream, headers too */
#define KV_BULK_DECODER_MEMLIMIT ((uint64_t)64 << 20) /* LZMA/xz decoder memory (dictionary) */
#define KV_BULK_CHUNK_BYTES ((size_t)16 << 20)      /* letters checked and stored together */
#define KV_BULK_CHUNK_LETTERS 256                   /* ... at most this many */
#define KV_BULK_RETRY_AFTER_S 5                     /* Retry-After of the 503 (budget spent) */

/* What the first pass over an archive found (regular files only). */
struct kv__bulk_scan {
    size_t files;   /* regular files */
    size_t total;   /* sum of their sizes */
    size_t largest; /* the largest of them */
};

struct kv__bulk_reader; /* one pass over an archive; opaque */

/* Opens a pass over the tar archive buf[0..len) (borrowed; it must outlive the reader): LZMA
 * "alone" or xz, decompressed with liblzma under KV_BULK_DECODER_MEMLIMIT, or an
 * uncompressed tar. The decoder's memory is taken from the global bulk budget as it grows
 * (kv__bulk_budget_*; cap = the budget's size; 0: not counted, the caller reserved it) and
 * given back by kv__bulk_close. KV_EINVAL
 * when it is not such an archive; *out is set then too (kv__bulk_busy says whether the budget
 * was the cause) and must be closed. */
int kv__bulk_open(const void *buf, size_t len, size_t cap, struct kv__bulk_reader **out,
                  struct kv_err *err);
void kv__bulk_close(struct kv__bulk_reader *r);

/* First pass: reads every header and skips the data, allocating nothing per entry, and checks
 * every bound before the second pass allocates anything: at most KV_BULK_MAX_ENTRIES entries,
 * each regular file at most max_entry bytes, together at most KV_BULK_MAX_TOTAL, the tar
 * stream at most KV_BULK_MAX_STREAM. KV_ETOOBIG past a bound, KV_EINVAL for an unreadable or
 * empty archive (or one whose decoder needs more memory than KV_BULK_DECODER_MEMLIMIT); a
 * failure for which kv__bulk_busy is 1 means the decoder's memory did not fit in the budget. */
int kv__bulk_scan(struct kv__bulk_reader *r, size_t max_entry, struct kv__bulk_scan *out,
                  struct kv_err *err);

/* Second pass (on a reader opened anew): the next regular file. 1 with *name and *data (both
 * owned, free(); data NUL-terminated, *len bytes), 0 at the end, or a negative code. */
int kv__bulk_next(struct kv__bulk_reader *r, size_t max_entry, char **name, char **data,
                  size_t *len, struct kv_err *err);

/* 1 when the reader's last failure was the bulk budget being spent (answered 503 +
 * Retry-After), not the archive. */
int kv__bulk_busy(const struct kv__bulk_reader *r);
/* The decoder memory r holds in the budget so far (0 for a plain tar or cap 0). */
size_t kv__bulk_decoder_bytes(const struct kv__bulk_reader *r);

/* The global budget of memory for bulk unpacking (decoders and the letters being checked),
 * shared by all requests. kv__bulk_budget_take takes want bytes (at most cap: a request that
 * needs the whole budget waits for nothing but gets it all) if they fit under cap with what
 * is taken already; 1 when taken, 0 when not (nothing taken). Thread-safe. */
int kv__bulk_budget_take(size_t want, size_t cap);
void kv__bulk_budget_give(size_t n, size_t cap);
/* Bytes taken now (tests, metrics). */
size_t kv__bulk_budget_used(void);

struct kv_http_req;
struct kv_http_resp;
struct kv_system;

/* The bulk send of POST /apis/v1/memos/ (docs/send-api.md, "Bulk"): data[0..len) is the
 * archive, or with one_letter non-zero a single MeMo (a form part without memo-message-uuid);
 * xml_hint non-zero when the bytes look like XML (for the hint when they are no archive).
 * Writes the response: 201 with one NgDP Receipt for the batch, 400/413 ErrorMessage for the
 * archive, 503 + Retry-After when the bulk budget is spent, 500 on a store failure. sys is
 * the authenticated sender system (borrowed). Always returns 0. */
int kv__bulk_send(struct kv_http_req *req, struct kv_http_resp *resp, const char *data,
                  size_t len, int one_letter, int xml_hint, const struct kv_system *sys);

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

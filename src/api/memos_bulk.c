/* SPDX-License-Identifier: MIT
 *
 * memos_bulk.c: reading bulk letter submissions (see memos_bulk.h): the tar archive as a
 * stream (liblzma decompresses LZMA "alone" or xz into a 64 KiB window under a memory limit,
 * libarchive reads the tar from it), in two passes so that every bound is checked before
 * anything is allocated for an entry; the global bulk memory budget; and a small bounded
 * splitter for the multipart/form-data envelope. The request body is complete in memory, so
 * the splitter just searches the boundary delimiters in it; no part is copied.
 */
#include "api/memos_bulk.h"
#include "http/multipart.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>
#include <lzma.h>

#include "util/xmalloc.h"

/* ---- the budget ---- */

static pthread_mutex_t budget_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t budget_used;

int kv__bulk_budget_take(size_t want, size_t cap)
{
    int ok;

    if (want > cap)
        want = cap;
    pthread_mutex_lock(&budget_mu);
    ok = budget_used <= cap && want <= cap - budget_used;
    if (ok)
        budget_used += want;
    pthread_mutex_unlock(&budget_mu);
    return ok;
}

void kv__bulk_budget_give(size_t n, size_t cap)
{
    if (n > cap)
        n = cap;
    pthread_mutex_lock(&budget_mu);
    budget_used = n <= budget_used ? budget_used - n : 0;
    pthread_mutex_unlock(&budget_mu);
}

size_t kv__bulk_budget_used(void)
{
    size_t n;

    pthread_mutex_lock(&budget_mu);
    n = budget_used;
    pthread_mutex_unlock(&budget_mu);
    return n;
}

/* ---- the stream ---- */

#define WINDOW (64 * 1024) /* decompressed bytes handed to libarchive per read */

struct kv__bulk_reader {
    struct archive *a;
    const uint8_t *in;   /* the archive (borrowed) */
    size_t in_len;
    int lz;              /* 1: decompressed by liblzma; 0: a plain tar, read as it is */
    int plain_done;      /* plain: the whole buffer was handed out */
    lzma_stream strm;
    uint8_t *window;     /* owned, WINDOW bytes */
    uint64_t produced;   /* tar bytes handed to libarchive so far */
    size_t cap;          /* the budget's size */
    size_t held;         /* budget bytes this reader holds for its decoder */
    int busy;            /* last failure: the budget */
    int toobig;          /* last failure: the stream bound */
    char why[160];       /* the decoder's failure, "" when none */
};

int kv__bulk_busy(const struct kv__bulk_reader *r)
{
    return r && r->busy;
}

size_t kv__bulk_decoder_bytes(const struct kv__bulk_reader *r)
{
    return r ? r->held : 0;
}

static const char *lzma_why(lzma_ret ret)
{
    switch (ret) {
    case LZMA_MEMLIMIT_ERROR:
        return "its LZMA dictionary needs more than 64 MiB to unpack (use a preset of at most "
               "9, e.g. xz -9 or the default)";
    case LZMA_FORMAT_ERROR:
        return "the data is neither LZMA nor xz";
    case LZMA_OPTIONS_ERROR:
        return "unsupported LZMA options";
    case LZMA_BUF_ERROR:
        return "the compressed data is truncated";
    case LZMA_MEM_ERROR:
        return "out of memory";
    default:
        return "the compressed data is corrupt";
    }
}

/* libarchive's read callback: the next window of the tar stream. */
static la_ssize_t stream_read(struct archive *a, void *ud, const void **buf)
{
    struct kv__bulk_reader *r = ud;
    size_t got;
    uint64_t mem;
    lzma_ret ret = LZMA_OK;

    if (!r->lz) {
        if (r->plain_done)
            return 0;
        r->plain_done = 1;
        *buf = r->in;
        return (la_ssize_t)r->in_len;
    }
    r->strm.next_out = r->window;
    r->strm.avail_out = WINDOW;
    while (r->strm.avail_out == WINDOW) {
        ret = lzma_code(&r->strm, LZMA_FINISH); /* all input is there from the start */
        if (ret == LZMA_STREAM_END)
            break;
        if (ret != LZMA_OK)
            break;
    }
    /* The decoder allocates its dictionary while it reads the headers: count it against
     * the budget as it grows. */
    mem = lzma_memusage(&r->strm);
    if (r->cap && mem > r->held) {
        if (!kv__bulk_budget_take((size_t)(mem - r->held), r->cap)) {
            r->busy = 1;
            archive_set_error(a, -1, "bulk memory budget spent");
            return -1;
        }
        r->held = (size_t)mem;
    }
    if (ret != LZMA_OK && ret != LZMA_STREAM_END) {
        snprintf(r->why, sizeof(r->why), "%s", lzma_why(ret));
        archive_set_error(a, -1, "%s", r->why);
        return -1;
    }
    got = WINDOW - r->strm.avail_out;
    r->produced += got;
    if (r->produced > KV_BULK_MAX_STREAM) {
        r->toobig = 1;
        archive_set_error(a, -1, "the archive unpacks to more than %zu bytes",
                          KV_BULK_MAX_STREAM);
        return -1;
    }
    *buf = r->window;
    return (la_ssize_t)got;
}

/* The error of a failed libarchive call on r: the budget, the stream bound, or the archive. */
static int read_failure(struct kv__bulk_reader *r, const char *what, struct kv_err *err)
{
    if (r->busy)
        return kv_err_set(err, KV_EINVAL, "the bulk memory budget is spent");
    if (r->toobig)
        return kv_err_set(err, KV_ETOOBIG, "the archive unpacks to more than %zu bytes",
                          KV_BULK_MAX_STREAM);
    return kv_err_set(err, KV_EINVAL, "%s: %s", what,
                      r->why[0] ? r->why
                      : archive_error_string(r->a) ? archive_error_string(r->a)
                                                   : "unreadable");
}

/* 1 when buf looks like an uncompressed tar (ustar or GNU magic at offset 257). */
static int is_plain_tar(const uint8_t *buf, size_t len)
{
    return len >= 512 && memcmp(buf + 257, "ustar", 5) == 0;
}

int kv__bulk_open(const void *buf, size_t len, size_t cap, struct kv__bulk_reader **out,
                  struct kv_err *err)
{
    static const uint8_t xz_magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
    struct kv__bulk_reader *r = kv_xcalloc(1, sizeof(*r));
    lzma_stream init = LZMA_STREAM_INIT;
    lzma_ret ret = LZMA_OK;

    *out = NULL;
    r->in = buf;
    r->in_len = len;
    r->cap = cap;
    r->strm = init;
    if (!is_plain_tar(buf, len)) {
        r->lz = 1;
        r->window = kv_xmalloc(WINDOW);
        if (len >= sizeof(xz_magic) && memcmp(buf, xz_magic, sizeof(xz_magic)) == 0)
            ret = lzma_stream_decoder(&r->strm, KV_BULK_DECODER_MEMLIMIT, LZMA_CONCATENATED);
        else
            ret = lzma_alone_decoder(&r->strm, KV_BULK_DECODER_MEMLIMIT);
        if (ret != LZMA_OK) {
            kv__bulk_close(r);
            return kv_err_set(err, KV_EINTERNAL, "cannot start the LZMA decoder");
        }
        r->strm.next_in = buf;
        r->strm.avail_in = len;
    }
    r->a = archive_read_new();
    archive_read_support_format_tar(r->a);
    *out = r; /* also on failure: the caller asks kv__bulk_busy, then closes */
    if (archive_read_open(r->a, r, NULL, stream_read, NULL) != ARCHIVE_OK)
        return read_failure(r, "not an LZMA-compressed tar archive", err);
    return 0;
}

void kv__bulk_close(struct kv__bulk_reader *r)
{
    if (!r)
        return;
    if (r->a)
        archive_read_free(r->a);
    if (r->lz)
        lzma_end(&r->strm);
    if (r->held)
        kv__bulk_budget_give(r->held, r->cap);
    free(r->window);
    free(r);
}

/* The next header; 1, 0 at the end, or a negative code. Counts every entry. */
static int next_header(struct kv__bulk_reader *r, struct archive_entry **ent, size_t *seen,
                       struct kv_err *err)
{
    int a = archive_read_next_header(r->a, ent);

    if (a == ARCHIVE_EOF)
        return 0;
    if (a != ARCHIVE_OK && a != ARCHIVE_WARN)
        return read_failure(r, "not a readable LZMA-compressed tar archive", err);
    if (++*seen > KV_BULK_MAX_ENTRIES)
        return kv_err_set(err, KV_ETOOBIG, "archive has more than %d entries",
                          KV_BULK_MAX_ENTRIES);
    return 1;
}

/* Size of a regular file entry, checked against max_entry; 0 or a negative code. */
static int entry_size(struct archive_entry *ent, size_t max_entry, size_t *out,
                      struct kv_err *err)
{
    la_int64_t size = archive_entry_size(ent);
    const char *name = archive_entry_pathname(ent);

    if (!archive_entry_size_is_set(ent) || size < 0)
        return kv_err_set(err, KV_EINVAL, "archive entry without a size");
    if ((uint64_t)size > max_entry)
        return kv_err_set(err, KV_ETOOBIG, "archive entry %.100s is %lld bytes (limit %zu)",
                          name ? name : "?", (long long)size, max_entry);
    *out = (size_t)size;
    return 0;
}

int kv__bulk_scan(struct kv__bulk_reader *r, size_t max_entry, struct kv__bulk_scan *out,
                  struct kv_err *err)
{
    struct archive_entry *ent;
    size_t seen = 0, size;
    int rc;

    memset(out, 0, sizeof(*out));
    while ((rc = next_header(r, &ent, &seen, err)) == 1) {
        if (archive_entry_filetype(ent) == AE_IFREG) {
            rc = entry_size(ent, max_entry, &size, err);
            if (rc < 0)
                return rc;
            if (size > KV_BULK_MAX_TOTAL - out->total)
                return kv_err_set(err, KV_ETOOBIG, "archive unpacks to more than %zu bytes",
                                  KV_BULK_MAX_TOTAL);
            out->files++;
            out->total += size;
            if (size > out->largest)
                out->largest = size;
        }
        if (archive_read_data_skip(r->a) != ARCHIVE_OK)
            return read_failure(r, "not a readable LZMA-compressed tar archive", err);
    }
    if (rc < 0)
        return rc;
    if (out->files == 0)
        return kv_err_set(err, KV_EINVAL, "the archive holds no files");
    return 0;
}

int kv__bulk_next(struct kv__bulk_reader *r, size_t max_entry, char **name, char **data,
                  size_t *len, struct kv_err *err)
{
    struct archive_entry *ent;
    size_t seen = 0, size, got = 0;
    la_ssize_t n;
    int rc;

    *name = *data = NULL;
    *len = 0;
    while ((rc = next_header(r, &ent, &seen, err)) == 1) {
        if (archive_entry_filetype(ent) == AE_IFREG)
            break;
        if (archive_read_data_skip(r->a) != ARCHIVE_OK)
            return read_failure(r, "not a readable LZMA-compressed tar archive", err);
        seen = 0; /* entries were counted by the scan */
    }
    if (rc <= 0)
        return rc;
    rc = entry_size(ent, max_entry, &size, err);
    if (rc < 0)
        return rc;
    *data = kv_xmalloc(size + 1);
    while (got < size) {
        n = archive_read_data(r->a, *data + got, size - got);
        if (n <= 0) {
            free(*data);
            *data = NULL;
            if (n == 0)
                return kv_err_set(err, KV_EINVAL, "archive entry %.100s is truncated",
                                  archive_entry_pathname(ent) ? archive_entry_pathname(ent)
                                                              : "?");
            return read_failure(r, "bad archive entry", err);
        }
        got += (size_t)n;
    }
    (*data)[size] = '\0';
    *len = size;
    *name = kv_xstrdup(archive_entry_pathname(ent) ? archive_entry_pathname(ent) : "");
    return 1;
}

void kv__media_type(const char *ct, char *out, size_t outlen)
{
    size_t n = 0;

    out[0] = '\0';
    if (!ct || outlen == 0)
        return;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    while (ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t' && n + 1 < outlen) {
        char c = ct[n];
        out[n] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        n++;
    }
    out[n] = '\0';
}

int kv__multipart_file(const char *content_type, const char *body, size_t len,
                       const char **out_data, size_t *out_len, char *part_type,
                       size_t part_type_len, struct kv_err *err)
{
    return kv_http_multipart_part(content_type, body, len, "file", out_data, out_len, part_type,
                                  part_type_len, err);
}

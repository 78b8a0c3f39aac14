/* SPDX-License-Identifier: MIT
 *
 * memos_bulk.c: unpacking bulk letter submissions (see memos_bulk.h): the tar archive through
 * libarchive (formats: tar; filters: lzma, xz, none) and a small bounded splitter for the
 * multipart/form-data envelope. The request body is already complete in memory, so the
 * splitter just searches the boundary delimiters in it; no part is copied.
 */
#include "api/memos_bulk.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#include "util/xmalloc.h"

void kv__bulk_release(struct kv__bulk *b)
{
    size_t i;

    if (!b)
        return;
    for (i = 0; i < b->n; i++) {
        free(b->e[i].name);
        free(b->e[i].data);
    }
    free(b->e);
    memset(b, 0, sizeof(*b));
}

static int read_entry(struct archive *a, struct archive_entry *ent, size_t max_entry,
                      struct kv__bulk *b, size_t *cap, struct kv_err *err)
{
    la_int64_t size = archive_entry_size(ent);
    const char *name = archive_entry_pathname(ent);
    struct kv__bulk_entry *e;
    size_t got = 0;
    la_ssize_t r;

    if (!archive_entry_size_is_set(ent) || size < 0)
        return kv_err_set(err, KV_EINVAL, "archive entry without a size");
    if ((uint64_t)size > max_entry)
        return kv_err_set(err, KV_ETOOBIG, "archive entry %s is %lld bytes (limit %zu)",
                          name ? name : "?", (long long)size, max_entry);
    if ((uint64_t)size > KV_BULK_MAX_TOTAL - b->total)
        return kv_err_set(err, KV_ETOOBIG, "archive unpacks to more than %zu bytes",
                          KV_BULK_MAX_TOTAL);
    if (b->n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        b->e = kv_xrealloc(b->e, *cap * sizeof(*b->e));
    }
    e = &b->e[b->n];
    e->name = kv_xstrdup(name ? name : "");
    e->data = kv_xmalloc((size_t)size + 1);
    e->len = (size_t)size;
    b->n++;
    b->total += (size_t)size;
    while (got < (size_t)size) {
        r = archive_read_data(a, e->data + got, (size_t)size - got);
        if (r < 0)
            return kv_err_set(err, KV_EINVAL, "archive entry %s: %s", e->name,
                              archive_error_string(a));
        if (r == 0)
            return kv_err_set(err, KV_EINVAL, "archive entry %s is truncated", e->name);
        got += (size_t)r;
    }
    e->data[got] = '\0';
    return 0;
}

int kv__bulk_read(const void *buf, size_t len, size_t max_entry, struct kv__bulk *out,
                  struct kv_err *err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *ent;
    size_t cap = 0, seen = 0;
    int rc = 0, r;

    memset(out, 0, sizeof(*out));
    archive_read_support_filter_lzma(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
        rc = kv_err_set(err, KV_EINVAL, "not an LZMA-compressed tar archive: %s",
                        archive_error_string(a) ? archive_error_string(a) : "unreadable");
        goto out;
    }
    for (;;) {
        r = archive_read_next_header(a, &ent);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = kv_err_set(err, KV_EINVAL, "bad archive: %s",
                            archive_error_string(a) ? archive_error_string(a) : "unreadable");
            goto out;
        }
        if (++seen > KV_BULK_MAX_ENTRIES) {
            rc = kv_err_set(err, KV_ETOOBIG, "archive has more than %d entries",
                            KV_BULK_MAX_ENTRIES);
            goto out;
        }
        if (archive_entry_filetype(ent) != AE_IFREG)
            continue;
        rc = read_entry(a, ent, max_entry, out, &cap, err);
        if (rc < 0)
            goto out;
    }
    if (out->n == 0)
        rc = kv_err_set(err, KV_EINVAL, "the archive holds no files");
out:
    archive_read_free(a);
    if (rc < 0)
        kv__bulk_release(out);
    return rc;
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

/* Value of parameter name (e.g. "boundary") in a header value, unquoted, into out. */
static int header_param(const char *v, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name), n = 0;
    const char *p = v;

    while ((p = strchr(p, ';')) != NULL) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, name, nl) != 0 || p[nl] != '=')
            continue;
        p += nl + 1;
        if (*p == '"') {
            p++;
            while (p[n] && p[n] != '"')
                n++;
        } else {
            while (p[n] && p[n] != ';' && p[n] != ' ' && p[n] != '\t' && p[n] != '\r')
                n++;
        }
        if (n == 0 || n >= outlen)
            return -1;
        memcpy(out, p, n);
        out[n] = '\0';
        return 0;
    }
    return -1;
}

/* Looks through one part's header block hdr[0..hlen) for its name and content type. */
static void part_headers(const char *hdr, size_t hlen, char *name, size_t namelen, char *type,
                         size_t typelen)
{
    char line[KV_MULTIPART_MAX_HEADERS + 1];
    size_t i = 0;

    name[0] = type[0] = '\0';
    while (i < hlen) {
        const char *eol = memmem(hdr + i, hlen - i, "\r\n", 2);
        size_t l = eol ? (size_t)(eol - (hdr + i)) : hlen - i;

        memcpy(line, hdr + i, l);
        line[l] = '\0';
        if (strncasecmp(line, "Content-Disposition:", 20) == 0) {
            if (header_param(line + 20, "name", name, namelen) < 0)
                name[0] = '\0';
        } else if (strncasecmp(line, "Content-Type:", 13) == 0) {
            kv__media_type(line + 13, type, typelen);
        }
        i += l + 2;
    }
}

/* A delimiter is only one when followed by "--" (the last) or CRLF. */
static int delimiter_end(const char *p, size_t left)
{
    return left >= 2 && ((p[0] == '-' && p[1] == '-') || (p[0] == '\r' && p[1] == '\n'));
}

int kv__multipart_file(const char *content_type, const char *body, size_t len,
                       const char **out_data, size_t *out_len, char *part_type,
                       size_t part_type_len, struct kv_err *err)
{
    char boundary[80], delim[84], name[64];
    size_t dl, pos;
    const char *p;
    int parts = 0;

    if (header_param(content_type, "boundary", boundary, sizeof(boundary)) < 0 ||
        strlen(boundary) > 70)
        return kv_err_set(err, KV_EINVAL, "multipart/form-data without a usable boundary");
    dl = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
    /* The first delimiter starts the body or follows a preamble line. */
    if (len >= dl && memcmp(body, delim, dl) == 0) {
        pos = dl;
    } else {
        p = memmem(body, len, delim, dl);
        if (!p || p == body || p[-1] != '\n')
            return kv_err_set(err, KV_EINVAL, "multipart body without its boundary");
        pos = (size_t)(p - body) + dl;
    }
    while (parts++ < KV_MULTIPART_MAX_PARTS) {
        const char *hend, *next;
        size_t hstart, dstart;

        if (len - pos >= 2 && memcmp(body + pos, "--", 2) == 0)
            break; /* closing delimiter */
        if (len - pos < 2 || memcmp(body + pos, "\r\n", 2) != 0)
            return kv_err_set(err, KV_EINVAL, "malformed multipart delimiter line");
        hstart = pos + 2;
        hend = memmem(body + hstart, len - hstart, "\r\n\r\n", 4);
        if (!hend || (size_t)(hend - (body + hstart)) > KV_MULTIPART_MAX_HEADERS)
            return kv_err_set(err, KV_EINVAL, "malformed or oversized multipart part headers");
        part_headers(body + hstart, (size_t)(hend - (body + hstart)), name, sizeof(name),
                     part_type, part_type_len);
        dstart = (size_t)(hend - body) + 4;
        /* The part's data ends at CRLF + delimiter. */
        next = NULL;
        for (p = body + dstart; p < body + len;) {
            const char *q = memmem(p, (size_t)(body + len - p), delim, dl);
            if (!q)
                break;
            if (q - body >= (ptrdiff_t)dstart + 2 && q[-2] == '\r' && q[-1] == '\n' &&
                delimiter_end(q + dl, (size_t)(body + len - (q + dl)))) {
                next = q;
                break;
            }
            p = q + 1;
        }
        if (!next)
            return kv_err_set(err, KV_EINVAL, "multipart part without a closing boundary");
        if (strcmp(name, "file") == 0) {
            *out_data = body + dstart;
            *out_len = (size_t)(next - 2 - (body + dstart));
            return 0;
        }
        pos = (size_t)(next - body) + dl;
    }
    return kv_err_set(err, KV_EINVAL, "multipart/form-data without a part named \"file\"");
}

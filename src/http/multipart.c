/* SPDX-License-Identifier: MIT
 *
 * multipart.c: the parts of a multipart/form-data body (RFC 7578): one named part, for the
 * bulk send API (part "file") and the portals' upload forms (a file and the csrf field), or
 * every part in order, for a form with several files (writing a letter at /post/skriv). No
 * copy is made: a part's bytes are returned as a pointer into the borrowed body. Bounded: at
 * most KV_HTTP_MULTIPART_MAX_PARTS parts (or the caller's maximum) and
 * KV_HTTP_MULTIPART_MAX_HEADERS bytes of headers each.
 */
#include "http/multipart.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Lower-cased media type of a header value, without parameters. */
static void media_type(const char *ct, char *out, size_t outlen)
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

/* Looks through one part's header block hdr[0..hlen) for its name, file name (when fname is
 * not NULL; *has_fname 1 when the part has a filename parameter, even an empty one) and
 * content type. */
static void part_headers(const char *hdr, size_t hlen, char *name, size_t namelen, char *type,
                         size_t typelen, char *fname, size_t fnamelen, int *has_fname)
{
    char line[KV_HTTP_MULTIPART_MAX_HEADERS + 1];
    size_t i = 0;

    name[0] = type[0] = '\0';
    if (fname) {
        fname[0] = '\0';
        *has_fname = 0;
    }
    while (i < hlen) {
        const char *eol = memmem(hdr + i, hlen - i, "\r\n", 2);
        size_t l = eol ? (size_t)(eol - (hdr + i)) : hlen - i;

        memcpy(line, hdr + i, l);
        line[l] = '\0';
        if (strncasecmp(line, "Content-Disposition:", 20) == 0) {
            if (header_param(line + 20, "name", name, namelen) < 0)
                name[0] = '\0';
            if (fname) {
                *has_fname = strstr(line + 20, "filename=") != NULL;
                if (header_param(line + 20, "filename", fname, fnamelen) < 0)
                    fname[0] = '\0';
            }
        } else if (strncasecmp(line, "Content-Type:", 13) == 0) {
            media_type(line + 13, type, typelen);
        }
        i += l + 2;
    }
}

/* A delimiter is only one when followed by "--" (the last) or CRLF. */
static int delimiter_end(const char *p, size_t left)
{
    return left >= 2 && ((p[0] == '-' && p[1] == '-') || (p[0] == '\r' && p[1] == '\n'));
}

/* Walks the parts of a body in order. */
struct walk {
    const char *body;
    size_t len, pos, dl;
    char delim[84];
};

static int walk_start(struct walk *w, const char *content_type, const char *body, size_t len,
                      struct kv_err *err)
{
    char boundary[80];
    const char *p;

    memset(w, 0, sizeof(*w));
    w->body = body;
    w->len = len;
    if (!content_type || header_param(content_type, "boundary", boundary, sizeof(boundary)) < 0 ||
        strlen(boundary) > 70)
        return kv_err_set(err, KV_EINVAL, "multipart/form-data without a usable boundary");
    w->dl = (size_t)snprintf(w->delim, sizeof(w->delim), "--%s", boundary);
    /* The first delimiter starts the body or follows a preamble line. */
    if (len >= w->dl && memcmp(body, w->delim, w->dl) == 0) {
        w->pos = w->dl;
    } else {
        p = memmem(body, len, w->delim, w->dl);
        if (!p || p == body || p[-1] != '\n')
            return kv_err_set(err, KV_EINVAL, "multipart body without its boundary");
        w->pos = (size_t)(p - body) + w->dl;
    }
    return 0;
}

/* The next part into *pt: 1, or 0 at the closing delimiter, or KV_EINVAL when malformed. */
static int walk_next(struct walk *w, struct kv_http_part *pt, struct kv_err *err)
{
    const char *body = w->body, *hend, *next = NULL, *p;
    size_t len = w->len, dl = w->dl, hstart, dstart;

    if (len - w->pos >= 2 && memcmp(body + w->pos, "--", 2) == 0)
        return 0; /* closing delimiter */
    if (len - w->pos < 2 || memcmp(body + w->pos, "\r\n", 2) != 0)
        return kv_err_set(err, KV_EINVAL, "malformed multipart delimiter line");
    hstart = w->pos + 2;
    hend = memmem(body + hstart, len - hstart, "\r\n\r\n", 4);
    if (!hend || (size_t)(hend - (body + hstart)) > KV_HTTP_MULTIPART_MAX_HEADERS)
        return kv_err_set(err, KV_EINVAL, "malformed or oversized multipart part headers");
    part_headers(body + hstart, (size_t)(hend - (body + hstart)), pt->name, sizeof(pt->name),
                 pt->type, sizeof(pt->type), pt->filename, sizeof(pt->filename),
                 &pt->is_file);
    dstart = (size_t)(hend - body) + 4;
    /* The part's data ends at CRLF + delimiter. */
    for (p = body + dstart; p < body + len;) {
        const char *q = memmem(p, (size_t)(body + len - p), w->delim, dl);
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
    pt->data = body + dstart;
    pt->len = (size_t)(next - 2 - (body + dstart));
    w->pos = (size_t)(next - body) + dl;
    return 1;
}

int kv_http_multipart_part(const char *content_type, const char *body, size_t len,
                           const char *want, const char **out_data, size_t *out_len,
                           char *part_type, size_t part_type_len, struct kv_err *err)
{
    struct walk w;
    struct kv_http_part pt;
    int parts = 0, rc;

    if (part_type_len)
        part_type[0] = '\0';
    rc = walk_start(&w, content_type, body, len, err);
    if (rc < 0)
        return rc;
    while (parts++ < KV_HTTP_MULTIPART_MAX_PARTS) {
        rc = walk_next(&w, &pt, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        if (strcmp(pt.name, want) == 0) {
            if (part_type_len)
                snprintf(part_type, part_type_len, "%s", pt.type);
            *out_data = pt.data;
            *out_len = pt.len;
            return 0;
        }
    }
    return kv_err_set(err, KV_EINVAL, "multipart/form-data without a part named \"%s\"", want);
}

int kv_http_multipart_parts(const char *content_type, const char *body, size_t len,
                            struct kv_http_part *parts, size_t max, size_t *out_n,
                            struct kv_err *err)
{
    struct walk w;
    int rc;

    *out_n = 0;
    rc = walk_start(&w, content_type, body, len, err);
    while (rc == 0) {
        struct kv_http_part pt;

        rc = walk_next(&w, &pt, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return 0;
        if (*out_n == max)
            return kv_err_set(err, KV_ETOOBIG, "the form has more than %zu parts", max);
        parts[(*out_n)++] = pt;
        rc = 0;
    }
    return rc;
}

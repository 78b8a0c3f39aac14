/* SPDX-License-Identifier: MIT
 *
 * multipart.c: finding one named part of a multipart/form-data body (RFC 7578), for the bulk
 * send API (part "file") and the portals' upload forms (a file and the csrf field). No copy is
 * made: the part's bytes are returned as a pointer into the borrowed body. Bounded: at most
 * KV_HTTP_MULTIPART_MAX_PARTS parts and KV_HTTP_MULTIPART_MAX_HEADERS bytes of headers each.
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

/* Looks through one part's header block hdr[0..hlen) for its name and content type. */
static void part_headers(const char *hdr, size_t hlen, char *name, size_t namelen, char *type,
                         size_t typelen)
{
    char line[KV_HTTP_MULTIPART_MAX_HEADERS + 1];
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

int kv_http_multipart_part(const char *content_type, const char *body, size_t len,
                           const char *want, const char **out_data, size_t *out_len,
                           char *part_type, size_t part_type_len, struct kv_err *err)
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
    while (parts++ < KV_HTTP_MULTIPART_MAX_PARTS) {
        const char *hend, *next;
        size_t hstart, dstart;

        if (len - pos >= 2 && memcmp(body + pos, "--", 2) == 0)
            break; /* closing delimiter */
        if (len - pos < 2 || memcmp(body + pos, "\r\n", 2) != 0)
            return kv_err_set(err, KV_EINVAL, "malformed multipart delimiter line");
        hstart = pos + 2;
        hend = memmem(body + hstart, len - hstart, "\r\n\r\n", 4);
        if (!hend || (size_t)(hend - (body + hstart)) > KV_HTTP_MULTIPART_MAX_HEADERS)
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
        if (strcmp(name, want) == 0) {
            *out_data = body + dstart;
            *out_len = (size_t)(next - 2 - (body + dstart));
            return 0;
        }
        pos = (size_t)(next - body) + dl;
    }
    return kv_err_set(err, KV_EINVAL, "multipart/form-data without a part named \"%s\"", want);
}

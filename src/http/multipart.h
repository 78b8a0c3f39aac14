/* SPDX-License-Identifier: MIT
 *
 * multipart.h: the parts of a multipart/form-data body (multipart.c): one named part, or all
 * of them in order. Ownership: the returned data points into the caller's body (borrowed,
 * valid as long as it is).
 */
#ifndef KV_HTTP_MULTIPART_H
#define KV_HTTP_MULTIPART_H

#include <stddef.h>

#include "util/err.h"

#define KV_HTTP_MULTIPART_MAX_PARTS 16     /* parts looked at in a form */
#define KV_HTTP_MULTIPART_MAX_HEADERS 8192 /* bytes of one part's headers */

/* Finds the part named want of a multipart/form-data body. content_type is the request's
 * Content-Type (with the boundary parameter). *out_data and *out_len point into body;
 * part_type (size part_type_len) receives the part's Content-Type media type lower-cased, ""
 * when it has none. KV_EINVAL when malformed or there is no such part. */
int kv_http_multipart_part(const char *content_type, const char *body, size_t len,
                           const char *want, const char **out_data, size_t *out_len,
                           char *part_type, size_t part_type_len, struct kv_err *err);

/* One part of a form. */
struct kv_http_part {
    char name[64];       /* the field's name ("" when it has none or it is longer) */
    char filename[256];  /* the file name as sent ("" when none, empty or longer) */
    int is_file;         /* 1 when the part has a filename parameter (a file field) */
    char type[128];      /* its Content-Type media type lower-cased, "" when none */
    const char *data;    /* borrowed: points into the body */
    size_t len;          /* bytes in data */
};

/* Every part of a multipart/form-data body, in order, into parts[0..*out_n). KV_EINVAL when
 * malformed, KV_ETOOBIG when there are more than max parts. */
int kv_http_multipart_parts(const char *content_type, const char *body, size_t len,
                            struct kv_http_part *parts, size_t max, size_t *out_n,
                            struct kv_err *err);

#endif

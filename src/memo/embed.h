/* SPDX-License-Identifier: MIT
 *
 * embed.h: files compiled into the binary by tools/embed.c: the XSD schemas under schemas/
 * (libmemo's reader), the SQL migrations under src/store/migrations/ (store.c), the web
 * layer's compiled message catalogues (web/i18n.c) and docs/openapi.yaml (web/pages.c); the
 * Makefile's EMBEDDED lists them. The table and its bytes are static, read-only and live for the whole process.
 */
#ifndef KV_MEMO_EMBED_H
#define KV_MEMO_EMBED_H

#include <stddef.h>

struct kv_embed_file {
    const char *name; /* path relative to the repository root, e.g. "schemas/memo-1.1/MeMo_core.xsd" */
    const char *data; /* contents, NUL-terminated for convenience */
    size_t len;       /* length without the NUL */
};

/* Terminated by an entry whose name is NULL. */
extern const struct kv_embed_file kv_embed_files[];

#endif

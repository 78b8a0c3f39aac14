/* SPDX-License-Identifier: MIT
 *
 * memo.h: libmemo's entry point for checking MeMo messages (namespace
 * https://DigitalPost.dk/MeMo-1, versions 1.1 and 1.2).
 *
 * kv_memo_check() runs up to three layers and reports every problem it finds:
 *   (a) well-formedness, with a hardened reader (no DTD, no entities, no network, bounded size,
 *       depth and element count, decided before allocation);
 *   (b) XSD validation against the schema chosen by the root's memoVersion (1.1: the official
 *       schema vendored in schemas/memo-1.1; 1.2: our schema in schemas/memo-1.2);
 *   (c) NgDP business rules (docs/memo-rules.md), only at KV_MEMO_LEVEL_NGDP.
 *
 * Thread safety: kv_memo_global_init() must have returned 0 before the first check; after that
 * kv_memo_check() may run concurrently on different inputs (schemas are compiled once and
 * shared read-only; each call gets its own validation context).
 */
#ifndef KV_MEMO_MEMO_H
#define KV_MEMO_MEMO_H

#include <stddef.h>

#include "memo/diag.h"
#include "util/err.h"

enum kv_memo_level {
    KV_MEMO_LEVEL_XSD = 1, /* layers (a) and (b) */
    KV_MEMO_LEVEL_NGDP = 2 /* layers (a), (b) and (c): the default */
};

/* Reader bounds, all checked before the corresponding allocation. */
struct kv_memo_limits {
    size_t max_bytes;    /* whole XML document in bytes */
    unsigned max_depth;  /* element nesting depth */
    size_t max_elements; /* total element count */
};

#define KV_MEMO_DEFAULT_MAX_BYTES ((size_t)140 * 1000 * 1000) /* 99.5 MB decoded fits in base64 */
#define KV_MEMO_DEFAULT_MAX_DEPTH 32u
#define KV_MEMO_DEFAULT_MAX_ELEMENTS ((size_t)100000)

void kv_memo_limits_default(struct kv_memo_limits *lim);

/* Compiles the embedded schemas once (idempotent, thread-safe) and installs the reader's
 * entity loader that refuses every external resource. Returns 0 or KV_EINTERNAL. */
int kv_memo_global_init(struct kv_err *err);
/* Frees the compiled schemas; only at process exit (keeps leak checkers quiet). */
void kv_memo_global_cleanup(void);

/* A parsed MeMo document: the libxml2 tree plus what is needed to locate nodes in the source.
 * Opaque; see memo/doc_int.h for libmemo-internal access. */
struct kv_memo_doc;

/* Checks buf[0..len) (borrowed; must stay valid while the returned doc is used).
 * Appends all problems to diags (caller-initialised). Returns 0 when the check ran to the end,
 * whatever it found: the verdict is diags->n_errors == 0. Returns a negative KV_E* only when the
 * check itself could not run (err explains).
 * If out_doc is non-NULL and the document was well-formed, *out_doc receives the parsed document
 * (owned; free with kv_memo_doc_free), else NULL. lim may be NULL for the defaults. */
int kv_memo_check(const char *buf, size_t len, enum kv_memo_level level,
                  const struct kv_memo_limits *lim, struct kv_memo_diags *diags,
                  struct kv_memo_doc **out_doc, struct kv_err *err);

void kv_memo_doc_free(struct kv_memo_doc *doc);

/* A check arena (arena.c, docs/memo-reader.md "Memory model"): from kv_memo_arena_enter until
 * kv_memo_arena_leave, every allocation libxml2 makes on the calling thread is cut from an
 * arena, freeing it costs nothing, and leaving takes all of it back at once. Everything
 * libxml2 allocated in the scope — a document parsed by kv_memo_check in it above all — must
 * be freed (kv_memo_doc_free) or dropped before leaving and never used after. Scopes nest (an
 * inner pair does nothing); other threads are not affected. kv_memo_global_init must have
 * returned 0 first (it installs libxml2's allocation hooks). Without a scope libxml2 uses
 * malloc and free as always. */
void kv_memo_arena_enter(void);
void kv_memo_arena_leave(void);

/* The declared memoVersion of a parsed document as "1.1", "1.2", ... (borrowed, valid while doc
 * lives), or NULL when absent. */
const char *kv_memo_doc_version(const struct kv_memo_doc *doc);

#endif

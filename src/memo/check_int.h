/* SPDX-License-Identifier: MIT
 *
 * check_int.h: the layers behind kv_memo_check(), shared between check.c (the pipeline),
 * parse.c (the hardened reader and the entity loader) and schema.c (the compiled XSDs and the
 * validation layer). Only files under src/memo/ and the memo benchmark include this.
 */
#ifndef KV_MEMO_CHECK_INT_H
#define KV_MEMO_CHECK_INT_H

#include <stddef.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "memo/doc_int.h"

/* libxml2 options of the reader: no network, real line numbers past 65535, no hard-coded
 * text-node limit (multi-MB base64 content), and short text nodes stored inside their node
 * (XML_PARSE_COMPACT: one allocation less per short value; the tree must then never be
 * modified, and libmemo only reads it). Deliberately WITHOUT XML_PARSE_NOENT,
 * XML_PARSE_DTDLOAD and XML_PARSE_DTDATTR; a DOCTYPE is refused outright anyway. */
#define KV_MEMO_XML_OPTIONS                                                                    \
    (XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_HUGE | XML_PARSE_COMPACT)

/* Layer (a): parses buf[0..len) (borrowed, must outlive the returned doc) with the hardened
 * reader. Appends XML-SIZE / XML-ENCODING / XML-DTD / XML-DEPTH / XML-COUNT / XML-WF
 * diagnostics to d. On a well-formed, accepted document *out_doc receives the parsed
 * document (owned; free with kv_memo_doc_free), else NULL. lim is borrowed and must not be
 * NULL. Returns 0, or KV_EINTERNAL when libxml2 could not even set up a parser (err explains). */
int kv__memo_parse(const char *buf, size_t len, const struct kv_memo_limits *lim,
                   struct kv_memo_diags *d, struct kv_memo_doc **out_doc, struct kv_err *err);

/* Checks the root element ({KV_MEMO_NS}Message, else MEMO-ROOT) and memoVersion (1.1 or 1.2,
 * else MEMO-VERSION); fills doc->version with the canonical decimal ("1.1") when the attribute
 * is a decimal, as written otherwise. Returns 1 when the document may go on to XSD
 * validation, 0 when it was refused (diagnostics added). */
int kv__memo_select_version(struct kv_memo_doc *doc, struct kv_memo_diags *d);

/* Installs the process-wide external entity loader that serves only the embedded schema files
 * (kv_embed_files) and refuses every other resource. Called once from kv_memo_global_init. */
void kv__memo_loader_install(void);

/* The compiled schema for version "1.1" or "1.2" (returns borrowed, valid until
 * kv_memo_global_cleanup; shared read-only between threads), or NULL for any other version or
 * before kv_memo_global_init succeeded. */
xmlSchemaPtr kv__memo_schema_get(const char *version);

/* Sets libxml2's allocation hooks to those of the check arena (arena.c): malloc, free,
 * realloc and strdup themselves outside a kv_memo_arena_enter scope. Called once from
 * kv_memo_global_init, before xmlInitParser. */
void kv__memo_arena_install(void);

/* Raises the calling thread's scope's budget by 8 bytes per byte of a letter of len bytes
 * about to be parsed in it (nothing outside a scope). Past its budget (4 MiB plus that) a
 * scope allocates on the heap, so a letter whose check makes libxml2 allocate and free far
 * more than its tree (a flood of validation errors) cannot grow an arena without bound. */
void kv__memo_arena_budget(size_t len);

/* Bytes of chunks the calling thread's scope holds (0 outside a scope); for tests. */
size_t kv__memo_arena_bytes(void);

/* The calling thread's current arena (an opaque token), or NULL outside a scope. */
const void *kv__memo_arena_token(void);

/* 1 when token is the calling thread's current arena and everything libxml2 allocated in
 * this scope came from it (no allocation went to the heap): a document parsed in the scope
 * then needs no xmlFreeDoc, leaving the scope takes its memory back. */
int kv__memo_arena_holds_all(const void *token);

/* Layer (b): validates doc against schema (borrowed) with a validation context of its own and
 * appends every problem as an "XSD" diagnostic (line, column, path). Returns 0, or
 * KV_EINTERNAL when libxml2 failed internally (err explains). */
int kv__memo_xsd_validate(struct kv_memo_doc *doc, xmlSchemaPtr schema, struct kv_memo_diags *d,
                          struct kv_err *err);

/* Rewrites a libxml2 message into plain text in out[0..outsz): "{namespace}" becomes the
 * usual MeMo prefix ("memo:", "grd:", ...), a leading "Element 'x': " becomes "x: ",
 * "Element 'x', attribute 'y': " becomes "x/@y: ", trailing whitespace is dropped. Borrows
 * in; out is always NUL-terminated (truncated if needed). */
void kv__memo_clean_message(const char *in, char *out, size_t outsz);

#endif

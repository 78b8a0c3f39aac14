/* SPDX-License-Identifier: MIT
 *
 * doc_int.h: libmemo-internal view of a parsed document, and helpers that turn a libxml2 node
 * into a diagnostic location. Only files under src/memo/ include this.
 */
#ifndef KV_MEMO_DOC_INT_H
#define KV_MEMO_DOC_INT_H

#include <libxml/tree.h>

#include "memo/diag.h"
#include "memo/memo.h"

#define KV_MEMO_NS "https://DigitalPost.dk/MeMo-1"

struct kv_memo_doc {
    xmlDocPtr xml;         /* owned libxml2 tree */
    const char *src;       /* borrowed source bytes the tree was parsed from */
    size_t src_len;        /* length of src */
    size_t *line_starts;   /* owned, lazily built: byte offset of each line start */
    size_t n_lines;        /* entries in line_starts */
    char version[8];       /* memoVersion attribute as written ("1.1"), "" if absent */
    struct {               /* locate.c: the last elements located on a crowded line, so that */
        const void *el;    /* diagnostics in document order walk the tree and the line once, */
        long line;         /* not once each: borrowed node, its line, how many elements */
        size_t k;          /* written like it come before it there, and the offset of its */
        size_t at;         /* "<qname" in src; el NULL = unused */
    } loc[4];
    unsigned loc_next;     /* the entry the next new one replaces */
    const void *arena;     /* arena scope the tree was built in (arena.c), or NULL */
};

/* 1-based line and column of the start tag of node in the source. Column is found by locating
 * "<qname" on the node's line; 0 when it cannot be determined. */
void kv__memo_node_loc(struct kv_memo_doc *doc, xmlNodePtr node, unsigned long *out_line,
                       unsigned long *out_col);

/* XPath-like location of node, e.g. "/memo:Message/memo:MessageBody/memo:MainDocument/memo:File[2]".
 * Returns owned string (free with free()). */
char *kv__memo_node_path(xmlNodePtr node);

/* Adds a diagnostic located at node (line, column and path filled in). */
void kv__memo_diag_node(struct kv_memo_doc *doc, struct kv_memo_diags *d, xmlNodePtr node,
                        enum kv_memo_severity sev, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Runs the NgDP business rules (layer c) over a schema-checked tree (src/memo/rules*.c). The
 * rules must not assume schema validity: they are also run on documents with XSD errors and
 * must be defensive about missing or misplaced elements. */
void kv__memo_rules_run(struct kv_memo_doc *doc, struct kv_memo_diags *d);

#endif

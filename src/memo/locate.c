/* SPDX-License-Identifier: MIT
 *
 * locate.c: turning a libxml2 node into the line, column and XPath-like path of a diagnostic.
 * libxml2 keeps line numbers on nodes (XML_PARSE_BIG_LINES lifts the 65535 cap) but no
 * columns, so the column is found by searching the node's source line for "<qname".
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "memo/doc_int.h"
#include "util/xmalloc.h"

/* Builds the table of line start offsets on first use; O(n) once per document with errors. */
static void build_lines(struct kv_memo_doc *doc)
{
    size_t i, n = 1, k = 0;

    if (doc->line_starts || !doc->src)
        return;
    for (i = 0; i < doc->src_len; i++)
        if (doc->src[i] == '\n')
            n++;
    doc->line_starts = kv_xmalloc(n * sizeof(size_t));
    doc->line_starts[k++] = 0;
    for (i = 0; i < doc->src_len; i++)
        if (doc->src[i] == '\n')
            doc->line_starts[k++] = i + 1;
    doc->n_lines = n;
}

void kv__memo_node_loc(struct kv_memo_doc *doc, xmlNodePtr node, unsigned long *out_line,
                       unsigned long *out_col)
{
    long line;
    xmlNodePtr el = node;
    char qname[256];
    size_t qlen, start, end, i, back;

    *out_line = 0;
    *out_col = 0;
    if (!node)
        return;
    while (el && el->type != XML_ELEMENT_NODE)
        el = el->parent;
    line = xmlGetLineNo(node);
    if (line <= 0 && el)
        line = xmlGetLineNo(el);
    if (line <= 0)
        return;
    *out_line = (unsigned long)line;
    if (!el || !doc || !doc->src)
        return;
    build_lines(doc);
    if ((size_t)line > doc->n_lines)
        return;
    if (el->ns && el->ns->prefix)
        snprintf(qname, sizeof(qname), "<%s:%s", (const char *)el->ns->prefix,
                 (const char *)el->name);
    else
        snprintf(qname, sizeof(qname), "<%s", (const char *)el->name);
    qlen = strlen(qname);
    /* libxml2 records the line where the start tag ENDS; a start tag spread over several
     * lines (many xmlns declarations) begins up to a few lines earlier. */
    for (back = 0; back < 64 && (size_t)line > back; back++) {
        unsigned long l = (unsigned long)line - back;
        start = doc->line_starts[l - 1];
        end = l < doc->n_lines ? doc->line_starts[l] : doc->src_len;
        for (i = start; i + qlen <= end; i++) {
            if (memcmp(doc->src + i, qname, qlen) == 0) {
                char c = i + qlen < doc->src_len ? doc->src[i + qlen] : '>';
                if (c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                    *out_line = l;
                    *out_col = (unsigned long)(i - start + 1);
                    return;
                }
            }
        }
        if (back > 0 && memchr(doc->src + start, '>', end - start))
            return; /* an earlier tag ended here: not part of this start tag */
    }
}

char *kv__memo_node_path(xmlNodePtr node)
{
    xmlChar *p;
    char *out;

    if (!node)
        return kv_xstrdup("");
    p = xmlGetNodePath(node);
    if (!p)
        return kv_xstrdup("");
    out = kv_xstrdup((const char *)p);
    xmlFree(p);
    return out;
}

void kv__memo_diag_node(struct kv_memo_doc *doc, struct kv_memo_diags *d, xmlNodePtr node,
                        enum kv_memo_severity sev, const char *rule, const char *fmt, ...)
{
    unsigned long line, col;
    char *path;
    va_list ap;

    kv__memo_node_loc(doc, node, &line, &col);
    path = kv__memo_node_path(node);
    va_start(ap, fmt);
    kv_memo_diags_vadd(d, sev, rule, line, col, path, fmt, ap);
    va_end(ap);
    free(path);
}

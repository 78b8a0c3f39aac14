/* SPDX-License-Identifier: MIT
 *
 * locate.c: turning a libxml2 node into the line, column and XPath-like path of a diagnostic.
 * libxml2 keeps line numbers on nodes (XML_PARSE_BIG_LINES lifts the 65535 cap) but no
 * columns, so the column is found by searching the node's source line for "<qname".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "memo/doc_int.h"
#include "util/xmalloc.h"

/* Capacity of a line table holding n entries: the next power of two, at least 64. */
static size_t lines_cap(size_t n)
{
    size_t c = 64;

    while (c < n)
        c *= 2;
    return c;
}

/* Extends the table of line start offsets until it holds `want` entries or every line of the
 * source. Built lazily and incrementally: a diagnostic near the top of a big letter scans only
 * up to its own line, and later calls resume where earlier ones stopped. doc->n_lines counts
 * the entries found so far; it equals the number of lines once a scan has reached the end. */
static void need_lines(struct kv_memo_doc *doc, size_t want)
{
    const char *p, *nl, *end = doc->src + doc->src_len;

    if (!doc->line_starts) {
        doc->line_starts = kv_xmalloc(lines_cap(1) * sizeof(size_t));
        doc->line_starts[0] = 0;
        doc->n_lines = 1;
    }
    p = doc->src + doc->line_starts[doc->n_lines - 1];
    while (doc->n_lines < want && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (doc->n_lines == lines_cap(doc->n_lines))
            doc->line_starts =
                kv_xrealloc(doc->line_starts, 2 * doc->n_lines * sizeof(size_t));
        p = nl + 1;
        doc->line_starts[doc->n_lines++] = (size_t)(p - doc->src);
    }
}

/* Appends s[0..n) to out at *o, never past cap bytes (the rest is dropped). */
static void put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    if (*o + n > cap)
        n = cap - *o;
    memcpy(out + *o, s, n);
    *o += n;
}

void kv__memo_node_loc(struct kv_memo_doc *doc, xmlNodePtr node, unsigned long *out_line,
                       unsigned long *out_col)
{
    long line;
    xmlNodePtr el = node;
    char qname[256];
    size_t qlen = 0, start, end, back;
    const char *hit, *stop;

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
    need_lines(doc, (size_t)line + 1);
    if ((size_t)line > doc->n_lines)
        return;
    /* "<prefix:name" or "<name", cut at sizeof(qname) - 1 bytes */
    put(qname, sizeof(qname) - 1, &qlen, "<", 1);
    if (el->ns && el->ns->prefix) {
        put(qname, sizeof(qname) - 1, &qlen, (const char *)el->ns->prefix,
            strlen((const char *)el->ns->prefix));
        put(qname, sizeof(qname) - 1, &qlen, ":", 1);
    }
    put(qname, sizeof(qname) - 1, &qlen, (const char *)el->name, strlen((const char *)el->name));
    /* libxml2 records the line where the start tag ENDS; a start tag spread over several
     * lines (many xmlns declarations) begins up to a few lines earlier. */
    for (back = 0; back < 64 && (size_t)line > back; back++) {
        unsigned long l = (unsigned long)line - back;
        start = doc->line_starts[l - 1];
        end = l < doc->n_lines ? doc->line_starts[l] : doc->src_len;
        hit = doc->src + start;
        stop = doc->src + end;
        while (stop - hit >= (ptrdiff_t)qlen &&
               (hit = memchr(hit, '<', (size_t)(stop - hit) - qlen + 1)) != NULL) {
            size_t i = (size_t)(hit - doc->src);
            if (memcmp(hit, qname, qlen) == 0) {
                char c = i + qlen < doc->src_len ? doc->src[i + qlen] : '>';
                if (c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                    *out_line = l;
                    *out_col = (unsigned long)(i - start + 1);
                    return;
                }
            }
            hit++;
        }
        if (back > 0 && memchr(doc->src + start, '>', end - start))
            return; /* an earlier tag ended here: not part of this start tag */
    }
}

/* 1 when sibling t counts towards the [n] index of element c in an XPath-like path: the
 * rule of libxml2's xmlGetNodePath for elements whose namespace has a prefix or that have no
 * namespace (same local name, and the same namespace or an equal prefix). */
static int same_step(const xmlNode *c, const xmlNode *t)
{
    return t->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, t->name) &&
           (t->ns == c->ns || (t->ns && c->ns && xmlStrEqual(c->ns->prefix, t->ns->prefix)));
}

#define PATH_MAX_STEPS 64 /* deeper chains go to libxml2's builder */
#define PATH_MAX_NAME 90  /* longer "prefix:name" steps too (it cuts them at 98 bytes) */

/* The path of an element whose ancestors up to the document are all elements named
 * "prefix:name" or "name" (the shape of every MeMo element), built in one allocation with the
 * same text as xmlGetNodePath. Returns owned string (free with free()), or NULL for any other
 * shape, which the caller hands to libxml2. */
static char *element_path(const xmlNode *node)
{
    const xmlNode *chain[PATH_MAX_STEPS];
    unsigned occur[PATH_MAX_STEPS];
    size_t n = 0, len = 0, o = 0, k;
    const xmlNode *c, *t;
    char *out;

    for (c = node; c && c->type != XML_DOCUMENT_NODE; c = c->parent) {
        if (c->type != XML_ELEMENT_NODE || n == PATH_MAX_STEPS || !c->name ||
            (c->ns && !c->ns->prefix))
            return NULL;
        k = strlen((const char *)c->name);
        if (c->ns)
            k += strlen((const char *)c->ns->prefix) + 1;
        if (k > PATH_MAX_NAME)
            return NULL;
        occur[n] = 0;
        for (t = c->prev; t; t = t->prev)
            occur[n] += (unsigned)same_step(c, t);
        if (occur[n] > 0) {
            occur[n]++;
        } else {
            for (t = c->next; t && !occur[n]; t = t->next)
                occur[n] = (unsigned)same_step(c, t);
        }
        len += 1 + k + (occur[n] ? 12 : 0); /* "/" name "[" up to 10 digits "]" */
        chain[n++] = c;
    }
    if (n == 0)
        return NULL;
    out = kv_xmalloc(len + 1);
    while (n-- > 0) {
        c = chain[n];
        out[o++] = '/';
        if (c->ns) {
            k = strlen((const char *)c->ns->prefix);
            memcpy(out + o, c->ns->prefix, k);
            o += k;
            out[o++] = ':';
        }
        k = strlen((const char *)c->name);
        memcpy(out + o, c->name, k);
        o += k;
        if (occur[n]) {
            char num[12];
            size_t d = sizeof(num);
            unsigned v = occur[n];
            do {
                num[--d] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            out[o++] = '[';
            memcpy(out + o, num + d, sizeof(num) - d);
            o += sizeof(num) - d;
            out[o++] = ']';
        }
    }
    out[o] = '\0';
    return out;
}

char *kv__memo_node_path(xmlNodePtr node)
{
    xmlChar *p;
    char *out;

    if (!node)
        return kv_xstrdup("");
    out = element_path(node);
    if (out)
        return out;
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

    if (sev != KV_MEMO_ERROR && d->skip_warnings) { /* counted only: nothing to locate */
        d->n_warnings++;
        return;
    }
    kv__memo_node_loc(doc, node, &line, &col);
    path = kv__memo_node_path(node);
    va_start(ap, fmt);
    kv_memo_diags_vadd(d, sev, rule, line, col, path, fmt, ap);
    va_end(ap);
    free(path);
}

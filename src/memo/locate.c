/* SPDX-License-Identifier: MIT
 *
 * locate.c: turning a libxml2 node into the line, column and XPath-like path of a diagnostic.
 * libxml2 keeps line numbers on nodes (XML_PARSE_BIG_LINES lifts the 65535 cap) but no
 * columns, so the column is found by searching the node's source line for "<qname": the
 * first one, or, when the line holds several (a letter written on one line, as most sender
 * systems write it), the one of as many elements of that name before the node on its line.
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

/* 1 when elements a and b are written with the same "prefix:name" (or "name"). */
static int same_qname(const xmlNode *a, const xmlNode *b)
{
    const xmlChar *pa = a->ns ? a->ns->prefix : NULL, *pb = b->ns ? b->ns->prefix : NULL;

    return xmlStrEqual(a->name, b->name) && (pa ? pb && xmlStrEqual(pa, pb) : !pb);
}

/* The node after c in document order (into c's children when descend), NULL past the root
 * element's end. */
static xmlNodePtr next_in_order(xmlNodePtr c, int descend)
{
    if (descend && c->type == XML_ELEMENT_NODE && c->children)
        return c->children;
    while (!c->next) {
        c = c->parent;
        if (!c || c->type != XML_ELEMENT_NODE)
            return NULL;
    }
    return c->next;
}

/* How many elements written like el and recorded on line `line` come before el in document
 * order (their start tags precede el's on that line). Diagnostics come in document order (the
 * XSD pass, then the rules' pass), so the count continues from the last element of that name
 * located on the line when el comes after it (doc->loc); else a walk from the root element
 * that skips every subtree followed by a sibling on an earlier line (all of it is there).
 * Without the continuation, 500 diagnostics at the end of a letter of 100,000 elements on
 * one line took a second. */
static size_t same_tags_before(struct kv_memo_doc *doc, xmlNodePtr el, long line,
                               unsigned *out_slot, size_t *base_k, size_t *base_at)
{
    xmlNodePtr root = el, c;
    size_t k = 0, e;
    unsigned slot;

    *base_at = (size_t)-1;

    for (e = 0; e < sizeof(doc->loc) / sizeof(doc->loc[0]); e++) {
        xmlNodePtr last = (xmlNodePtr)doc->loc[e].el;
        if (!last || doc->loc[e].line != line || !same_qname(last, el))
            continue;
        k = doc->loc[e].k + 1; /* last itself */
        for (c = next_in_order(last, 1); c && c != el; c = next_in_order(c, 1))
            if (c->type == XML_ELEMENT_NODE && xmlGetLineNo(c) == line && same_qname(c, el))
                k++;
        if (c == el) {
            slot = (unsigned)e;
            *base_k = doc->loc[e].k;
            *base_at = doc->loc[e].at;
            goto found;
        }
        break; /* el comes before it: from the root */
    }
    k = 0;
    while (root->parent && root->parent->type == XML_ELEMENT_NODE)
        root = root->parent;
    for (c = root; c && c != el;) {
        int descend = !(c->next && xmlGetLineNo(c->next) > 0 && xmlGetLineNo(c->next) < line);
        if (c->type == XML_ELEMENT_NODE && xmlGetLineNo(c) == line && same_qname(c, el))
            k++;
        c = next_in_order(c, descend);
    }
    slot = doc->loc_next;
    for (e = 0; e < sizeof(doc->loc) / sizeof(doc->loc[0]); e++)
        if (doc->loc[e].el && doc->loc[e].line == line &&
            same_qname((xmlNodePtr)doc->loc[e].el, el))
            slot = (unsigned)e; /* the entry of this name, which el precedes */
    if (slot == doc->loc_next)
        doc->loc_next = (doc->loc_next + 1) % (unsigned)(sizeof(doc->loc) / sizeof(doc->loc[0]));
found:
    doc->loc[slot].el = el;
    doc->loc[slot].line = line;
    doc->loc[slot].k = k;
    doc->loc[slot].at = (size_t)-1; /* set by the caller once found */
    *out_slot = slot;
    return k;
}

/* Offset in src of the n-th (0-based) "<qname" start tag in src[from..end), or (size_t)-1. */
static size_t nth_tag(const struct kv_memo_doc *doc, size_t from, size_t end, const char *qname,
                      size_t qlen, size_t n)
{
    const char *hit = doc->src + from, *stop = doc->src + end;

    while (stop - hit >= (ptrdiff_t)qlen &&
           (hit = memchr(hit, '<', (size_t)(stop - hit) - qlen + 1)) != NULL) {
        size_t i = (size_t)(hit - doc->src);
        if (memcmp(hit, qname, qlen) == 0) {
            char c = i + qlen < doc->src_len ? doc->src[i + qlen] : '>';
            if ((c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n') &&
                n-- == 0)
                return i;
        }
        hit++;
    }
    return (size_t)-1;
}

void kv__memo_node_loc(struct kv_memo_doc *doc, xmlNodePtr node, unsigned long *out_line,
                       unsigned long *out_col)
{
    long line;
    xmlNodePtr el = node;
    char qname[256];
    size_t qlen = 0, start, end, back;

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
        size_t first, pick;
        start = doc->line_starts[l - 1];
        end = l < doc->n_lines ? doc->line_starts[l] : doc->src_len;
        first = nth_tag(doc, start, end, qname, qlen, 0);
        if (first != (size_t)-1) {
            pick = first;
            /* Several on el's own line (a start tag that began on an earlier line: its first):
             * the one of el, counted on from the last one located there when there is one. */
            if (back == 0 && nth_tag(doc, first + 1, end, qname, qlen, 0) != (size_t)-1) {
                size_t base_k = 0, base_at, k;
                unsigned slot;
                k = same_tags_before(doc, el, line, &slot, &base_k, &base_at);
                if (base_at != (size_t)-1 && k > base_k)
                    pick = nth_tag(doc, base_at + 1, end, qname, qlen, k - base_k - 1);
                else
                    pick = nth_tag(doc, start, end, qname, qlen, k);
                if (pick == (size_t)-1) /* fewer on the line (one in a comment or CDATA) */
                    pick = first;
                else
                    doc->loc[slot].at = pick;
            }
            *out_line = l;
            *out_col = (unsigned long)(pick - start + 1);
            return;
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

    if ((sev != KV_MEMO_ERROR && d->skip_warnings) || d->n >= KV_MEMO_DIAGS_MAX) {
        /* counted only (a warning the caller skips, a diagnostic past the cap): nothing to
         * locate, which is a walk of the tree for an element written on a crowded line */
        va_start(ap, fmt);
        kv_memo_diags_vadd(d, sev, rule, 0, 0, NULL, fmt, ap);
        va_end(ap);
        return;
    }
    kv__memo_node_loc(doc, node, &line, &col);
    path = kv__memo_node_path(node);
    va_start(ap, fmt);
    kv_memo_diags_vadd(d, sev, rule, line, col, path, fmt, ap);
    va_end(ap);
    free(path);
}

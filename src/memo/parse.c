/* SPDX-License-Identifier: MIT
 *
 * parse.c: libmemo's hardened XML reader (layer a of kv_memo_check) and the process-wide
 * external entity loader.
 *
 * The document is fed to a libxml2 push parser in chunks straight from the caller's buffer,
 * so libxml2 never holds a second full copy of the input: peak memory is the caller's buffer
 * plus the tree (whose text nodes are the only other big allocation). SAX callbacks wrap
 * libxml2's tree builder to enforce the limits before anything is allocated for the offending
 * element, and any DOCTYPE stops the parser at once, so no entity can ever be declared,
 * loaded or expanded. Errors go to a structured handler of this parser context only (never
 * libxml2's global handler), which keeps concurrent checks independent. The parser runs in
 * recovery mode so that every well-formedness error is reported, not just the first; a
 * document with any error is never handed on.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>

#include "memo/check_int.h"
#include "memo/embed.h"
#include "util/xmalloc.h"

/* Bytes handed to libxml2 per xmlParseChunk call; libxml2 discards consumed input as it goes. */
#define CHUNK ((size_t)1 << 20)

/* Input libxml2 may hold back unparsed (one markup construct); see kv__memo_parse. */
#define MAX_PENDING ((size_t)4 << 20)

/* Attributes plus namespace declarations allowed on one start tag. A MeMo root carries about
 * 15 (memoVersion, memoSchVersion, xmlns:*), every other MeMo element none. */
#define KV_MEMO_MAX_ATTRS 64u

/* State of one parse, reached from the SAX callbacks through ctxt->_private. */
struct reader {
    const struct kv_memo_limits *lim; /* borrowed bounds */
    struct kv_memo_diags *d;          /* borrowed diagnostic sink */
    unsigned depth;                   /* currently open elements */
    size_t n_elements;                /* elements started so far */
    size_t n_attrs;                   /* attributes + namespace declarations so far */
    size_t n_wf;                      /* XML-WF errors reported */
    int stopped;                      /* 1 once we refused the document and stopped libxml2 */
};

static struct reader *reader_of(void *ctx)
{
    return ((xmlParserCtxtPtr)ctx)->_private;
}

/* Current parser position (1-based line and column). */
static void position(xmlParserCtxtPtr ctxt, unsigned long *line, unsigned long *col)
{
    *line = 0;
    *col = 0;
    if (ctxt->input) {
        *line = ctxt->input->line > 0 ? (unsigned long)ctxt->input->line : 0;
        *col = ctxt->input->col > 0 ? (unsigned long)ctxt->input->col : 0;
    }
}

/* Refuses the document at the current position with rule and stops libxml2 for good. */
static void refuse(xmlParserCtxtPtr ctxt, const char *rule, const char *path, const char *msg)
{
    struct reader *rd = ctxt->_private;
    unsigned long line, col;

    if (rd->stopped)
        return;
    position(ctxt, &line, &col);
    kv_memo_diags_add(rd->d, KV_MEMO_ERROR, rule, line, col, path, "%s", msg);
    rd->stopped = 1;
    xmlStopParser(ctxt);
}

/* Path of the element about to be created under the parser's current node. */
static char *child_path(xmlParserCtxtPtr ctxt, const xmlChar *prefix, const xmlChar *name)
{
    char *parent = kv__memo_node_path(ctxt->node);
    char *out;

    if (prefix)
        out = kv_xasprintf("%s/%s:%s", parent, (const char *)prefix, (const char *)name);
    else
        out = kv_xasprintf("%s/%s", parent, (const char *)name);
    free(parent);
    return out;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                     int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct reader *rd = reader_of(ctx);
    char msg[160];
    char *path;

    if (rd->stopped)
        return;
    /* Attributes and namespace declarations are tree nodes too (libxml2 spends ~200 bytes on
     * each): their total is held to the same bound as the elements. */
    rd->n_attrs += (size_t)(nb_attributes > 0 ? nb_attributes : 0) +
                   (size_t)(nb_namespaces > 0 ? nb_namespaces : 0);
    if (rd->depth >= rd->lim->max_depth || rd->n_elements >= rd->lim->max_elements ||
        rd->n_attrs > rd->lim->max_elements) {
        int deep = rd->depth >= rd->lim->max_depth;
        if (deep)
            snprintf(msg, sizeof(msg), "elements are nested more than %u deep", rd->lim->max_depth);
        else if (rd->n_elements >= rd->lim->max_elements)
            snprintf(msg, sizeof(msg), "the document has more than %zu elements",
                     rd->lim->max_elements);
        else
            snprintf(msg, sizeof(msg),
                     "the document has more than %zu attributes and namespace declarations",
                     rd->lim->max_elements);
        path = child_path(ctxt, prefix, localname);
        refuse(ctxt, deep ? "XML-DEPTH" : "XML-COUNT", path, msg);
        free(path);
        return;
    }
    rd->depth++;
    rd->n_elements++;
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
}

static int xml_blank(xmlChar c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1 for the MeMo elements whose XSD type collapses white space but which libxml2 2.9 checks
 * without collapsing it: a built-in xs:date, and types derived from xs:long with no pattern
 * facet (libxml2 normalises a value only on the way to a pattern or for a few types such as
 * xs:boolean and xs:decimal). For these it refuses "<doNotDeliverUntilDate> 2026-12-08
 * </doNotDeliverUntilDate>", which XML Schema (whiteSpace collapse) and NgDP's Java
 * validators accept. The dateTime types of MeMo carry a pattern and are not affected. */
static int collapsed_leaf(const xmlChar *localname, const xmlChar *uri)
{
    const char *n = (const char *)localname, *u = (const char *)uri;

    if (!u)
        return 0;
    switch (n[0]) {
    case 'd':
        return strcmp(n, "doNotDeliverUntilDate") == 0 && strcmp(u, KV_MEMO_NS) == 0;
    case 'g':
        return strcmp(n, "globalLocationNumber") == 0 &&
               strcmp(u, "https://www.gs1.dk/gs1-standarder/identifikation/"
                         "gln-global-location-number/") == 0;
    case 'p':
        return strcmp(n, "productionUnitNumber") == 0 &&
               strcmp(u, "https://data.gov.dk/model/core/") == 0;
    default:
        return 0;
    }
}

/* Sets the content of text node t to its bytes [from, to). xmlNodeSetContentLen frees the old
 * content first (unless the dictionary owns it), so the kept bytes are copied out before. */
static void text_keep(xmlNodePtr t, size_t from, size_t to)
{
    xmlChar *keep = xmlStrndup(t->content + from, (int)(to - from));

    if (keep) { /* out of memory: the text stays as written (and the XSD may refuse it) */
        xmlNodeSetContentLen(t, keep, (int)(to - from));
        xmlFree(keep);
    }
}

/* Strips the XML white space around the text of el (its text and CDATA children; comments and
 * processing instructions between them are skipped): what whiteSpace="collapse" does for a
 * type whose values hold no blanks inside, done in the tree so that the XSD layer, the rules
 * and the reader see the value as the schema means it. The letter's bytes are not touched. */
static void trim_leaf_text(xmlNodePtr el)
{
    xmlNodePtr c;

    for (c = el->children; c; c = c->next) { /* leading */
        size_t n, i = 0;
        if (c->type == XML_ELEMENT_NODE)
            return; /* not a simple value: the XSD says so */
        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
            continue;
        n = (size_t)xmlStrlen(c->content);
        while (i < n && xml_blank(c->content[i]))
            i++;
        if (i > 0)
            text_keep(c, i, n);
        if (i < n)
            break;
    }
    for (c = el->last; c; c = c->prev) { /* trailing */
        size_t n;
        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
            continue;
        n = (size_t)xmlStrlen(c->content);
        while (n > 0 && xml_blank(c->content[n - 1]))
            n--;
        if (c->content[n] != '\0')
            text_keep(c, 0, n);
        if (n > 0)
            break;
    }
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct reader *rd = reader_of(ctx);
    xmlNodePtr el = ctxt->node;

    if (rd->stopped)
        return;
    if (rd->depth > 0)
        rd->depth--;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
    /* After the end: libxml2 no longer grows the element's last text node in place. */
    if (el && el->type == XML_ELEMENT_NODE && collapsed_leaf(localname, uri))
        trim_leaf_text(el);
}

/* Whitespace-only character data between elements (the indentation of a pretty-printed
 * letter: about 420 of the ~630 text nodes of the Full MeMo example) is not built into the
 * tree. Every MeMo type is element-only or simple (the schemas have no mixed content and no
 * xs:any), so such text carries nothing: XSD validation skips it in element-only content, the
 * rules and the reader only read the text of elements without element children, and nothing
 * serialises the tree (the stored letter is the caller's bytes). Dropped is a run of XML
 * whitespace, handed over in place from libxml2's input, that is followed there either by a
 * start tag (the run precedes an element) or by an end tag while the parent's last child is
 * an element (the run follows one); everything else (text of a leaf element, a run before a
 * comment, a processing instruction or a CDATA section, runs libxml2 copies out) is built as
 * before. A document whose validity could depend on the dropped runs (an element of simple
 * type with an element child) is invalid either way. docs/send-api.md "Full letters (session 8)". */
static int blank_between_elements(xmlParserCtxtPtr ctxt, const xmlChar *ch, int len)
{
    uintptr_t at = (uintptr_t)ch, base, end;
    const xmlChar *next;
    int i;

    if (!ctxt->node || !ctxt->input || !ctxt->input->base || !ctxt->input->end)
        return 0;
    /* Only a run libxml2 hands over in place, straight from its input, is followed there by
     * the byte after it (runs it copied out, character references: kept). */
    base = (uintptr_t)ctxt->input->base;
    end = (uintptr_t)ctxt->input->end;
    if (at < base || at > end || end - at < (uintptr_t)len + 2)
        return 0;
    next = ch + len;
    if (next[0] != '<')
        return 0;
    for (i = 0; i < len; i++)
        if (ch[i] != ' ' && ch[i] != '\n' && ch[i] != '\t' && ch[i] != '\r')
            return 0;
    if (next[1] == '/')
        return ctxt->node->last && ctxt->node->last->type == XML_ELEMENT_NODE;
    return next[1] != '!' && next[1] != '?';
}

static void on_characters(void *ctx, const xmlChar *ch, int len)
{
    if (len > 0 && blank_between_elements(ctx, ch, len))
        return;
    xmlSAX2Characters(ctx, ch, len);
}

/* Called once the XML declaration (if any) has been read, before the root element exists.
 * MeMo is UTF-8 [memo-format.md]: a declared encoding other than UTF-8 (UTF-7, ISO-8859-1,
 * UTF-16, ...) or input libxml2 would have to transcode (a UTF-16/UTF-32 byte-order mark or
 * byte pattern, EBCDIC) is refused here, before a single node is built (XML-ENCODING). */
static void on_start_document(void *ctx)
{
    xmlParserCtxtPtr ctxt = ctx;
    const xmlChar *declared = NULL;
    const char *transcoded = NULL;
    char msg[200];

    if (reader_of(ctx)->stopped)
        return;
    if (ctxt->input)
        declared = ctxt->input->encoding;
    if (!declared)
        declared = ctxt->encoding;
    if (ctxt->input && ctxt->input->buf && ctxt->input->buf->encoder)
        transcoded = ctxt->input->buf->encoder->name ? ctxt->input->buf->encoder->name : "?";
    if (declared && xmlStrcasecmp(declared, BAD_CAST "UTF-8") != 0) {
        snprintf(msg, sizeof(msg),
                 "the XML declaration gives encoding \"%.40s\"; MeMo messages must be UTF-8 "
                 "(encoding=\"UTF-8\" or no encoding declaration)",
                 (const char *)declared);
        refuse(ctxt, "XML-ENCODING", "", msg);
        return;
    }
    if (transcoded) {
        snprintf(msg, sizeof(msg),
                 "the document is encoded as %.40s (byte-order mark or byte pattern); MeMo "
                 "messages must be UTF-8",
                 transcoded);
        refuse(ctxt, "XML-ENCODING", "", msg);
        return;
    }
    xmlSAX2StartDocument(ctx);
}

/* Called as soon as "<!DOCTYPE name ..." has been read, before any internal subset. */
static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                               const xmlChar *system_id)
{
    refuse(ctx, "XML-DTD", "",
           "a DOCTYPE declaration is not allowed (no DTDs, no entity declarations)");
}

static void on_external_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                               const xmlChar *system_id)
{
    refuse(ctx, "XML-DTD", "", "an external DTD subset is not allowed");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
    refuse(ctx, "XML-DTD", "", "entity declarations are not allowed");
}

/* Structured error handler of this parser context. */
static void on_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct reader *rd = reader_of(ctx);
    char msg[1024];
    char *path;
    unsigned long line, col;

    if (!e || rd->stopped || e->code == XML_ERR_USER_STOP)
        return;
    kv__memo_clean_message(e->message ? e->message : "XML error", msg, sizeof(msg));
    line = e->line > 0 ? (unsigned long)e->line : 0;
    col = e->int2 > 0 ? (unsigned long)e->int2 : 0;
    if (line == 0)
        position(ctxt, &line, &col);
    path = kv__memo_node_path(ctxt->node);
    if (e->level == XML_ERR_WARNING) {
        kv_memo_diags_add(rd->d, KV_MEMO_WARNING, "XML-WARN", line, col, path, "%s", msg);
    } else {
        kv_memo_diags_add(rd->d, KV_MEMO_ERROR, "XML-WF", line, col, path, "%s", msg);
        rd->n_wf++;
        /* Recovery mode could otherwise report errors for as long as the input lasts. */
        if (rd->n_wf >= KV_MEMO_DIAGS_MAX)
            refuse(ctxt, "XML-WF", "", "too many well-formedness errors; stopped reading");
    }
    free(path);
}

static void silent_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* Finds the end of the first occurrence of needle (n bytes) in [p, end), or NULL. */
static const char *skip_past_n(const char *p, const char *end, const char *needle, size_t n)
{
    const char *q, *hit;

    if ((size_t)(end - p) < n)
        return NULL;
    q = p + (n - 1);

    /* Search for the needle's last character and check the rest before it: the needles are
     * short ("-->", "?>", ">") and their last character is rare in text, which makes this much
     * cheaper than memmem. Occurrences of a fixed-length needle end in the order they start,
     * so the first end found is the end of the first occurrence. */
    while (q < end && (hit = memchr(q, needle[n - 1], (size_t)(end - q))) != NULL) {
        if (memcmp(hit - (n - 1), needle, n - 1) == 0)
            return hit + 1;
        q = hit + 1;
    }
    return NULL;
}

/* skip_past_n with the literal's length known at compile time (no strlen per tag). */
#define skip_past(p, end, lit) skip_past_n((p), (end), (lit), sizeof(lit) - 1)

/* Bounds pre-pass, not a parser: libxml2 2.9 checks attribute and namespace uniqueness with
 * loops quadratic in the number of attributes of one start tag (200,000 attributes in 2.3 MB
 * take minutes), and that happens before any SAX callback could intervene. So before libxml2
 * sees the input, every start tag's "=" signs outside quoted values are counted (an upper bound
 * of its attributes plus namespace declarations), skipping comments, CDATA sections,
 * processing instructions, end tags and declarations. Returns the offset of the first start
 * tag with more than max_attrs, or len when there is none. Malformed input is left to libxml2:
 * whatever this pass cannot follow ends it without a verdict. */
static size_t attr_bomb_at(const char *buf, size_t len, unsigned max_attrs)
{
    const char *p = buf, *end = buf + len, *tag;
    unsigned n;

    while (p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        tag = p;
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0)
            p = skip_past(p + 4, end, "-->");
        else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0)
            p = skip_past(p + 9, end, "]]>");
        else if (end - p >= 2 && p[1] == '?')
            p = skip_past(p + 2, end, "?>");
        else if (end - p >= 2 && (p[1] == '/' || p[1] == '!'))
            p = skip_past(p + 2, end, ">");
        else {
            /* Fast path: most tags have no "=" up to their ">". The search is bounded by the
             * next "<" so that the whole pass stays linear on any input. */
            const char *lt = memchr(p + 1, '<', (size_t)(end - p - 1));
            const char *seg_end = lt ? lt : end;
            const char *gt = memchr(p, '>', (size_t)(seg_end - p));
            if (gt && !memchr(p, '=', (size_t)(gt - p))) {
                p = seg_end; /* the next "<" is already known: do not scan the text again */
                continue;
            }
            for (p++, n = 0; p < end && *p != '>' && *p != '<'; p++) {
                if (*p == '"' || *p == '\'') {
                    const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
                    if (!q)
                        return len;
                    p = q;
                } else if (*p == '=' && ++n > max_attrs) {
                    return (size_t)(tag - buf);
                }
            }
        }
        if (!p)
            return len;
    }
    return len;
}

/* 1-based line and column of byte offset off. */
static void offset_pos(const char *buf, size_t off, unsigned long *line, unsigned long *col)
{
    size_t i, ls = 0;

    *line = 1;
    for (i = 0; i < off; i++)
        if (buf[i] == '\n') {
            (*line)++;
            ls = i + 1;
        }
    *col = (unsigned long)(off - ls + 1);
}

/* 1 for the bytes a document's first character can be, read as one code unit of UTF-16 or
 * UTF-32: '<' or XML white space. */
static int starts_xml(unsigned char c)
{
    return c == '<' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The encoding a document starting with b[0..n) is in when its first four bytes are a UTF-32
 * byte-order mark, or '<' or white space as a code unit of UTF-32 or of UTF-16 without a
 * byte-order mark (a NUL byte, which UTF-8 XML never has), or NULL. libxml2 2.9 names only
 * some of these (UTF-16 with a BOM, "<?" in UTF-16, UTF-32BE "<"): UTF-32LE ended in
 * "switching encoding: encoder error", a UTF-32 BOM in "Document is empty", UTF-16 "<m" in
 * "Char 0x0 out of allowed range", all XML-WF where XML-ENCODING is meant. Anything else with
 * a NUL there (an LZMA archive sent as a letter: 5D 00 00 00 for a 16 MiB dictionary) is not
 * named an encoding and stays libxml2's XML-WF. */
static const char *wide_encoding(const char *buf, size_t n)
{
    const unsigned char *b = (const unsigned char *)buf;

    if (n < 4)
        return NULL;
    if (b[0] == 0 && b[1] == 0 &&
        ((b[2] == 0xFE && b[3] == 0xFF) || (b[2] == 0 && starts_xml(b[3]))))
        return "UTF-32BE";
    if (b[2] == 0 && b[3] == 0 &&
        ((b[0] == 0xFF && b[1] == 0xFE) || (b[1] == 0 && starts_xml(b[0]))))
        return "UTF-32LE";
    if (starts_xml(b[0]) && b[1] == 0 && b[2] != 0 && b[3] == 0) /* 3C 00 6D 00 */
        return "UTF-16LE";
    if (b[0] == 0 && starts_xml(b[1]) && b[2] == 0 && b[3] != 0) /* 00 3C 00 6D */
        return "UTF-16BE";
    return NULL;
}

int kv__memo_parse(const char *buf, size_t len, const struct kv_memo_limits *lim,
                   struct kv_memo_diags *d, struct kv_memo_doc **out_doc, struct kv_err *err)
{
    struct reader rd;
    xmlSAXHandler sax;
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr xml = NULL;
    struct kv_memo_doc *doc;
    xmlGenericErrorFunc old_generic;
    void *old_generic_ctx;
    size_t off;
    int rc = 0, wf;

    *out_doc = NULL;
    if (len > lim->max_bytes || len > (size_t)INT_MAX) {
        kv_memo_diags_add(d, KV_MEMO_ERROR, "XML-SIZE", 1, 1, "",
                          "the document is %zu bytes; the limit is %zu bytes", len,
                          lim->max_bytes < (size_t)INT_MAX ? lim->max_bytes : (size_t)INT_MAX);
        goto out;
    }
    /* Nothing but a UTF-8 byte-order mark and white space: libxml2's push parser reports that
     * as "Extra content at the end of the document" (an empty bulk member, an empty file to
     * kuvert memo validate), which points at content that is not there. */
    off = len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (off < len &&
           (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\n' || buf[off] == '\r'))
        off++;
    if (off == len) {
        unsigned long line, col;
        offset_pos(buf, len, &line, &col);
        kv_memo_diags_add(d, KV_MEMO_ERROR, "XML-WF", line, col, "",
                          "Document is empty: %s", len == 0 ? "there are no bytes"
                          : "there is no root element, only white space (or a byte-order mark)");
        goto out;
    }
    if (wide_encoding(buf, len)) {
        kv_memo_diags_add(d, KV_MEMO_ERROR, "XML-ENCODING", 1, 1, "",
                          "the document is encoded as %s (byte-order mark or byte pattern); "
                          "MeMo messages must be UTF-8",
                          wide_encoding(buf, len));
        goto out;
    }
    off = attr_bomb_at(buf, len, KV_MEMO_MAX_ATTRS);
    if (off < len) {
        unsigned long line, col;
        offset_pos(buf, off, &line, &col);
        kv_memo_diags_add(d, KV_MEMO_ERROR, "XML-ATTRS", line, col, "",
                          "a start tag has more than %u attributes and namespace declarations",
                          KV_MEMO_MAX_ATTRS);
        goto out;
    }
    kv__memo_arena_budget(len); /* an arena scope may hold 8 bytes per input byte more */
    memset(&rd, 0, sizeof(rd));
    rd.lim = lim;
    rd.d = d;

    memset(&sax, 0, sizeof(sax));
    xmlSAXVersion(&sax, 2);
    sax.startDocument = on_start_document;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    /* Both, so that libxml2's own blank heuristics (areBlanks) stay off. */
    sax.characters = on_characters;
    sax.ignorableWhitespace = on_characters;
    sax.internalSubset = on_internal_subset;
    sax.externalSubset = on_external_subset;
    sax.entityDecl = on_entity_decl;
    sax.serror = on_error;

    /* No bytes at creation: everything, encoding detection included, runs after _private is
     * set, so every error reaches on_error. */
    ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
    if (!ctxt) {
        rc = kv_err_set(err, KV_EINTERNAL, "libxml2 could not create a parser");
        goto out;
    }
    ctxt->_private = &rd;
    xmlCtxtUseOptions(ctxt, KV_MEMO_XML_OPTIONS | XML_PARSE_RECOVER);
    /* The few libxml2 errors raised without a parser context (I/O layer, encoders) would go
     * to the generic handler, i.e. stderr; it is per thread, so silence it for this parse. */
    old_generic = xmlGenericError;
    old_generic_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, silent_generic);

    for (off = 0; off < len && !rd.stopped && ctxt->instate != XML_PARSER_EOF;) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        /* A document of one chunk is fed as the final one: libxml2 then parses it straight
         * through instead of first searching ahead for the end of every construct (which it
         * must do while more input may follow). Nothing can be pending past the 4 MB bound
         * with a single chunk, so the check below is unaffected. */
        int last = off == 0 && n == len;
        xmlParseChunk(ctxt, buf + off, (int)n, last);
        off += n;
        /* Text and CDATA are consumed as they arrive; only a single tag, comment or
         * processing instruction makes libxml2 hold input back, and it rescans what it holds
         * on every chunk. Bound it: memory stays linear and time stays linear. */
        if (ctxt->input && ctxt->input->cur && ctxt->input->end &&
            (size_t)(ctxt->input->end - ctxt->input->cur) > MAX_PENDING)
            refuse(ctxt, "XML-SIZE", "",
                   "a single tag, comment or processing instruction is larger than 4 MB");
    }
    if (!rd.stopped && ctxt->instate != XML_PARSER_EOF)
        xmlParseChunk(ctxt, NULL, 0, 1);

    xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
    xml = ctxt->myDoc;
    ctxt->myDoc = NULL;
    wf = !rd.stopped && rd.n_wf == 0 && ctxt->wellFormed && xml && xmlDocGetRootElement(xml);
    if (!wf && !rd.stopped && rd.n_wf == 0) {
        unsigned long line, col;
        position(ctxt, &line, &col);
        kv_memo_diags_add(d, KV_MEMO_ERROR, "XML-WF", line ? line : 1, col, "",
                          "the document is not well-formed XML");
    }
    if (!wf)
        goto out;

    doc = kv_xcalloc(1, sizeof(*doc));
    doc->xml = xml;
    doc->arena = kv__memo_arena_token();
    doc->src = buf;
    doc->src_len = len;
    xml = NULL;
    *out_doc = doc;
out:
    if (xml)
        xmlFreeDoc(xml);
    if (ctxt)
        xmlFreeParserCtxt(ctxt);
    return rc;
}

/* Canonical form of an xs:decimal ("01.10" -> "1.1", "+2" -> "2.0") into out, or 0 when s is
 * not a decimal or does not fit. Surrounding XML whitespace is ignored. */
static int canonical_decimal(const char *s, char *out, size_t outsz)
{
    const char *p = s, *int_start, *int_end, *frac_start = NULL, *frac_end = NULL, *e;
    size_t k = 0;

    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    if (p < e && (*p == '+' || *p == '-')) {
        if (*p == '-') {
            if (k + 1 >= outsz)
                return 0;
            out[k++] = '-';
        }
        p++;
    }
    int_start = p;
    while (p < e && *p >= '0' && *p <= '9')
        p++;
    int_end = p;
    if (p < e && *p == '.') {
        frac_start = ++p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        frac_end = p;
    }
    if (p != e || (int_end == int_start && (!frac_start || frac_end == frac_start)))
        return 0;
    while (int_start + 1 < int_end && *int_start == '0')
        int_start++;
    while (frac_start && frac_end > frac_start && frac_end[-1] == '0')
        frac_end--;
    if (int_start == int_end) {
        if (k + 1 >= outsz)
            return 0;
        out[k++] = '0';
    }
    for (; int_start < int_end; int_start++) {
        if (k + 1 >= outsz)
            return 0;
        out[k++] = *int_start;
    }
    if (k + 1 >= outsz)
        return 0;
    out[k++] = '.';
    if (!frac_start || frac_end == frac_start) {
        if (k + 1 >= outsz)
            return 0;
        out[k++] = '0'; /* canonical xs:decimal keeps one fraction digit: "1.0" */
    }
    for (; frac_start && frac_start < frac_end; frac_start++) {
        if (k + 1 >= outsz)
            return 0;
        out[k++] = *frac_start;
    }
    out[k] = '\0';
    return 1;
}

int kv__memo_select_version(struct kv_memo_doc *doc, struct kv_memo_diags *d)
{
    xmlNodePtr root = xmlDocGetRootElement(doc->xml);
    xmlChar *v;
    int ok = 0;

    doc->version[0] = '\0';
    if (!root || !root->ns || !xmlStrEqual(root->name, BAD_CAST "Message") ||
        !xmlStrEqual(root->ns->href, BAD_CAST KV_MEMO_NS)) {
        kv__memo_diag_node(doc, d, root, KV_MEMO_ERROR, "MEMO-ROOT",
                           "the root element must be memo:Message in namespace %s, not %s%s%s%s",
                           KV_MEMO_NS, root && root->ns ? "{" : "",
                           root && root->ns ? (const char *)root->ns->href : "",
                           root && root->ns ? "}" : "", root ? (const char *)root->name : "");
        return 0;
    }
    v = xmlGetNoNsProp(root, BAD_CAST "memoVersion");
    if (!v) {
        kv__memo_diag_node(doc, d, root, KV_MEMO_ERROR, "MEMO-VERSION",
                           "memo:Message has no memoVersion attribute; only MeMo 1.1 and 1.2 "
                           "are accepted");
        return 0;
    }
    if (!canonical_decimal((const char *)v, doc->version, sizeof(doc->version)))
        snprintf(doc->version, sizeof(doc->version), "%s", (const char *)v);
    if (strcmp(doc->version, "1.1") == 0 || strcmp(doc->version, "1.2") == 0)
        ok = 1;
    else
        kv__memo_diag_node(doc, d, root, KV_MEMO_ERROR, "MEMO-VERSION",
                           "memoVersion \"%.40s\" is not supported: only MeMo 1.1 and 1.2 are "
                           "accepted",
                           (const char *)v);
    xmlFree(v);
    return ok;
}

/* The embedded file registered under url, or NULL. */
static const struct kv_embed_file *find_embedded(const char *url)
{
    const struct kv_embed_file *f;

    if (!url)
        return NULL;
    for (f = kv_embed_files; f->name; f++)
        if (strcmp(f->name, url) == 0)
            return f;
    return NULL;
}

/* Serves the embedded schema files and nothing else: no file system, no network, no
 * catalogs. libxml2 reports a refused resource as "failed to load external entity". */
static xmlParserInputPtr embedded_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    const struct kv_embed_file *f = find_embedded(url);
    xmlParserInputBufferPtr ib;
    xmlParserInputPtr in;

    if (!f || f->len > (size_t)INT_MAX)
        return NULL;
    /* A copy (schemas are small): libxml2 2.9's static input buffers misparse. */
    ib = xmlParserInputBufferCreateMem(f->data, (int)f->len, XML_CHAR_ENCODING_NONE);
    if (!ib)
        return NULL;
    in = xmlNewIOInputStream(ctxt, ib, XML_CHAR_ENCODING_NONE);
    if (!in) {
        xmlFreeParserInputBuffer(ib);
        return NULL;
    }
    /* The schema's base URI, so relative xs:import schemaLocations resolve to embedded files. */
    in->filename = (char *)xmlStrdup(BAD_CAST f->name);
    return in;
}

void kv__memo_loader_install(void)
{
    xmlSetExternalEntityLoader(embedded_loader);
}

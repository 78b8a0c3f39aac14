/* SPDX-License-Identifier: MIT
 *
 * html_check.c: kv_html_check (html_check.h), the pre-check of an HTML body against the way
 * the mailbox shows it. The bytes are first checked as UTF-8 here (libxml2 would quietly read
 * them as Latin-1), then parsed by libxml2's HTML parser with HTML_PARSE_NONET (nothing
 * fetched) and its error output off; the parser's complaints are collected through the
 * calling thread's structured error handler (set for the parse, then restored), so nothing
 * goes to stderr. A parser that stopped early (libxml2 halts past 256 levels of nesting) has
 * not seen the whole body: the body is rejected (HTML-UNREADABLE) rather than approved
 * unread. The tree is bounded too: past KV_HTML_CHECK_MAX_NODES elements, attributes,
 * comments and processing instructions (counted by wrappers of the parser's own SAX
 * callbacks, which build the tree) the parser is stopped, since a body of 10 MB of tiny
 * elements would otherwise take some 370 MB of tree. The tree is then walked without
 * recursion, element by element: the element's name, its attributes (event handlers, URLs
 * of links and of resources, inline style) and the text of <style>. CSS is scanned for
 * url(), @import and expression() after its comments are dropped and its escapes decoded.
 * The checker is a pre-check for senders; what protects
 * the citizen is still the mailbox's sandbox and Content-Security-Policy.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "memo/html_check.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* One parse: the parser's complaints (the structured error handler's context) and the
 * tree's size (ctxt->_private). */
struct parse_errors {
    size_t n;                  /* errors counted (unknown HTML 4 tags and encoding not counted) */
    unsigned long line;        /* the first one's line */
    char message[160];         /* the first one's message (trailing newline dropped) */
    unsigned long last_line;   /* the last error's line (the one that stopped the parser) */
    char last_message[160];    /* and its message */
    size_t nodes;              /* elements, attributes, comments and PIs read so far */
    startElementSAXFunc start; /* the context's own tree builders, wrapped below */
    commentSAXFunc comment;
    processingInstructionSAXFunc pi;
};

void kv_html_result_init(struct kv_html_result *r)
{
    memset(r, 0, sizeof(*r));
    r->approved = 1;
}

void kv_html_result_release(struct kv_html_result *r)
{
    size_t i;

    for (i = 0; r && i < r->n; i++) {
        free(r->items[i].field);
        free(r->items[i].message);
        free(r->items[i].value);
    }
    if (r) {
        free(r->items);
        kv_html_result_init(r);
    }
}

int kv_html_policy_parse(const char *s, enum kv_html_policy *out)
{
    if (s && strcasecmp(s, "LENIENT") == 0)
        *out = KV_HTML_LENIENT;
    else if (s && strcasecmp(s, "STRICT") == 0)
        *out = KV_HTML_STRICT;
    else
        return KV_EINVAL;
    return 0;
}

/* A copy of s cut to at most max bytes at a UTF-8 character boundary (owned). */
static char *cut_copy(const char *s, size_t max)
{
    size_t n = strlen(s);
    char *c;

    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    c = kv_xmalloc(n + 1);
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* Where a finding is: the node's path plus "/@attr" (owned); "" for the document. Only
 * computed for a finding that is kept: libxml2 counts the node's siblings for its index. */
static char *where(xmlNodePtr node, const char *attr)
{
    xmlChar *path;
    char *w;

    if (!node)
        return kv_xstrdup("");
    path = xmlGetNodePath(node);
    w = kv_xasprintf("%s%s%s", path ? (const char *)path : "", attr ? "/@" : "", attr ? attr : "");
    xmlFree(path);
    return w;
}

/* Records a finding of node's attribute attr (node NULL: the whole body; attr NULL: the
 * element); kept while there is room, counted always. */
static void add(struct kv_html_result *r, const char *rule, xmlNodePtr node, const char *attr,
                unsigned long line, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static void add(struct kv_html_result *r, const char *rule, xmlNodePtr node, const char *attr,
                unsigned long line, const char *value, const char *fmt, ...)
{
    struct kv_html_finding *f;
    va_list ap;
    char msg[512];
    int cut;

    r->approved = 0;
    r->total++;
    if (r->n >= KV_HTML_CHECK_MAX_FINDINGS)
        return;
    if (!r->items)
        r->items = kv_xmalloc(KV_HTML_CHECK_MAX_FINDINGS * sizeof(*r->items));
    va_start(ap, fmt);
    cut = vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg);
    va_end(ap);
    /* UTF-8, so the answer's JSON carries them: a message cut inside a quoted value's
     * character, a charset declared with bytes that are not UTF-8 */
    kv_str_utf8_repair(msg, sizeof(msg), cut);
    f = &r->items[r->n++];
    f->rule = rule;
    f->field = where(node, attr);
    f->message = kv_xstrdup(msg);
    f->value = value ? cut_copy(value, KV_HTML_CHECK_MAX_VALUE) : NULL;
    if (f->value)
        kv_str_utf8_repair(f->value, strlen(f->value) + 1, 0);
    f->line = line;
}

/* --- encoding ----------------------------------------------------------------------- */

/* 1 when charset names UTF-8 or US-ASCII (its subset), in any case, quotes dropped. */
static int charset_is_utf8(const char *cs)
{
    char v[32];
    size_t i = 0, o = 0;

    while (cs[i] == ' ' || cs[i] == '\t' || cs[i] == '"' || cs[i] == '\'')
        i++;
    for (; cs[i] && cs[i] != '"' && cs[i] != '\'' && cs[i] != ' ' && cs[i] != ';' &&
           o < sizeof(v) - 1;
         i++)
        v[o++] = cs[i];
    v[o] = '\0';
    return strcasecmp(v, "utf-8") == 0 || strcasecmp(v, "utf8") == 0 ||
           strcasecmp(v, "us-ascii") == 0;
}

/* The offset of the first byte of b[0..n) that is not part of well-formed UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF), or of a NUL; n when none. */
static size_t utf8_bad_at(const unsigned char *b, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = b[i];
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;

        if (c == 0)
            return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else
            return i;
        if (i + k >= n)
            return i;
        if (b[i + 1] < lo || b[i + 1] > hi)
            return i;
        for (size_t j = 2; j <= k; j++)
            if (b[i + j] < 0x80 || b[i + j] > 0xBF)
                return i;
        i += k + 1;
    }
    return n;
}

/* 1-based line of offset off in b. */
static unsigned long line_of(const char *b, size_t off)
{
    unsigned long line = 1;
    size_t i;

    for (i = 0; i < off; i++)
        if (b[i] == '\n')
            line++;
    return line;
}

/* --- URLs ---------------------------------------------------------------------------- */

enum url_kind {
    URL_SCRIPT,   /* javascript:, vbscript: */
    URL_DATA_IMG, /* data:image/... */
    URL_DATA,     /* other data: */
    URL_REMOTE,   /* http:, https:, ftp:, or // (another server) */
    URL_OTHER     /* relative, #fragment, mailto:, tel:, ... */
};

/* The character references of HTML5 that libxml2's HTML 4 parser does not know and leaves in
 * an attribute's value as written, while a browser decodes them: those that can spell a
 * URL's scheme (its colon, a tab or newline the URL parser drops, a slash), so that
 * "javascript&colon;..." and "java&Tab;script:..." are read as the browser reads them. */
static const struct {
    const char *ref;
    char c;
} html5_refs[] = {
    {"&colon;", ':'}, {"&Tab;", '\t'}, {"&NewLine;", '\n'}, {"&sol;", '/'}, {"&bsol;", '\\'}};

/* What a URL attribute's value u points at, read as a browser does: leading and trailing
 * C0 controls and spaces dropped, ASCII tab and newline removed anywhere, scheme in any
 * case, a backslash like a slash, the references of html5_refs decoded. */
static enum url_kind url_kind(const char *u)
{
    char s[24];
    size_t o = 0, i;
    const unsigned char *p = (const unsigned char *)u;

    while (*p && *p <= 0x20)
        p++;
    for (; *p && o < sizeof(s) - 1; p++) {
        unsigned char c = *p;
        for (i = 0; c == '&' && i < sizeof(html5_refs) / sizeof(html5_refs[0]); i++) {
            size_t n = strlen(html5_refs[i].ref);
            if (strncmp((const char *)p, html5_refs[i].ref, n) == 0) {
                c = (unsigned char)html5_refs[i].c;
                p += n - 1;
                break;
            }
        }
        if (c == '\t' || c == '\n' || c == '\r' || (o == 0 && c <= 0x20))
            continue;
        s[o++] = (char)(c == '\\' ? '/' : c);
    }
    s[o] = '\0';
    if (strncasecmp(s, "javascript:", 11) == 0 || strncasecmp(s, "vbscript:", 9) == 0)
        return URL_SCRIPT;
    if (strncasecmp(s, "data:image/", 11) == 0)
        return URL_DATA_IMG;
    if (strncasecmp(s, "data:", 5) == 0)
        return URL_DATA;
    if (strncmp(s, "//", 2) == 0 || strncasecmp(s, "http:", 5) == 0 ||
        strncasecmp(s, "https:", 6) == 0 || strncasecmp(s, "ftp:", 4) == 0)
        return URL_REMOTE;
    return URL_OTHER;
}

static unsigned long node_line(xmlNodePtr node)
{
    long l = xmlGetLineNo(node);

    return l > 0 ? (unsigned long)l : 0;
}

/* A URL u of attribute attr of node (attr NULL: in the text of <style>): a link (resource
 * 0: followed only when the citizen chooses) or a resource the browser would load with the
 * document (resource 1). */
static void check_url(struct kv_html_result *r, xmlNodePtr node, const char *attr, const char *u,
                      int resource)
{
    enum url_kind k = url_kind(u);
    const char *what = attr ? attr : "text";

    if (k == URL_DATA_IMG || (!resource && k != URL_SCRIPT && k != URL_DATA))
        return;
    if (k == URL_SCRIPT)
        add(r, "HTML-SCRIPT-URL", node, attr, node_line(node), u,
            "<%s> %s is a javascript: or vbscript: URL: active content is not allowed", node->name,
            what);
    else if (k == URL_DATA)
        add(r, "HTML-DATA-URL", node, attr, node_line(node), u,
            "<%s> %s is a data: URL that is not an image (data:image/...): not allowed", node->name,
            what);
    else if (k == URL_REMOTE)
        add(r, "HTML-EXTERNAL-RESOURCE", node, attr, node_line(node), u,
            "<%s> %s loads a resource from another server: the mailbox loads nothing from "
            "outside the letter; embed images as data:image/... URLs",
            node->name, what);
    else
        add(r, "HTML-EXTERNAL-RESOURCE", node, attr, node_line(node), u,
            "<%s> %s names a resource that is not part of the body: the mailbox shows only "
            "images embedded as data:image/... URLs",
            node->name, what);
}

/* srcset: candidates "URL [descriptor]" separated by commas (a data: URL holds commas
 * itself, so a URL runs to the next white space, as the HTML standard reads it). */
static void check_srcset(struct kv_html_result *r, xmlNodePtr node, const char *v)
{
    const char *p = v;

    while (*p) {
        const char *start;
        char *u;
        size_t n;
        int depth = 0;

        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == ',')
            p++;
        if (!*p)
            break;
        start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f')
            p++;
        n = (size_t)(p - start);
        while (n > 0 && start[n - 1] == ',')
            n--;
        u = kv_xmalloc(n + 1);
        memcpy(u, start, n);
        u[n] = '\0';
        check_url(r, node, "srcset", u, 1);
        free(u);
        if (p > start && p[-1] == ',')
            continue; /* the URL ended the candidate */
        for (; *p && (*p != ',' || depth > 0); p++)
            depth += *p == '(' ? 1 : *p == ')' && depth > 0 ? -1 : 0;
    }
}

/* --- CSS ----------------------------------------------------------------------------- */

/* css with comments dropped and escapes decoded (a code point past ASCII becomes '?', enough
 * to find url( and its scheme), so "u\72l(" is read as "url(" (owned). */
static char *css_plain(const char *css)
{
    size_t n = strlen(css), o = 0, i = 0;
    char *out = kv_xmalloc(n + 1);

    while (i < n) {
        if (css[i] == '/' && css[i + 1] == '*') {
            const char *end = strstr(css + i + 2, "*/");
            i = end ? (size_t)(end - css) + 2 : n;
            continue;
        }
        if (css[i] == '\\' && i + 1 < n) {
            unsigned long cp = 0;
            size_t j = i + 1;
            int h;
            while (j < n && j < i + 7 && (h = kv_str_hex_digit((unsigned char)css[j])) >= 0) {
                cp = cp * 16 + (unsigned long)h;
                j++;
            }
            if (j > i + 1) {
                if (j < n && (css[j] == ' ' || css[j] == '\t' || css[j] == '\n'))
                    j++;
                out[o++] = cp > 0 && cp < 0x80 ? (char)cp : '?';
                i = j;
            } else {
                out[o++] = css[i + 1];
                i += 2;
            }
            continue;
        }
        out[o++] = css[i++];
    }
    out[o] = '\0';
    return out;
}

/* Inline CSS of node (attr "style", or NULL for a <style> element's text). */
static void check_css(struct kv_html_result *r, xmlNodePtr node, const char *attr, const char *css)
{
    char *plain = css_plain(css);
    const char *p = plain;

    if (strcasestr(plain, "@import")) {
        add(r, "HTML-STYLESHEET", node, attr, node_line(node), attr ? css : NULL,
            "<%s> %s uses @import: the mailbox loads no other stylesheet", node->name,
            attr ? attr : "text");
    }
    if (strcasestr(plain, "expression(")) {
        add(r, "HTML-SCRIPT", node, attr, node_line(node), attr ? css : NULL,
            "<%s> %s uses a CSS expression(), which runs script", node->name, attr ? attr : "text");
    }
    while ((p = strcasestr(p, "url(")) != NULL) {
        const char *s = p + 4, *e;
        char *u;
        size_t n;

        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
            s++;
        if (*s == '"' || *s == '\'') {
            char q = *s++;
            e = strchr(s, q);
        } else {
            e = strchr(s, ')');
        }
        if (!e)
            e = s + strlen(s);
        n = (size_t)(e - s);
        u = kv_xmalloc(n + 1);
        memcpy(u, s, n);
        u[n] = '\0';
        check_url(r, node, attr, u, 1); /* attr NULL: the text of <style> */
        free(u);
        p = *e ? e + 1 : e;
    }
    free(plain);
}

/* --- elements ------------------------------------------------------------------------ */

struct element_rule {
    const char *name;
    const char *rule;
    const char *why;
};

static const struct element_rule element_rules[] = {
    {"script", "HTML-SCRIPT", "a script: the mailbox runs no scripts"},
    {"iframe", "HTML-EMBEDDED", "an embedded document: the mailbox shows none"},
    {"frame", "HTML-EMBEDDED", "an embedded document: the mailbox shows none"},
    {"frameset", "HTML-EMBEDDED", "an embedded document: the mailbox shows none"},
    {"object", "HTML-EMBEDDED", "an embedded object: the mailbox shows none"},
    {"embed", "HTML-EMBEDDED", "an embedded object: the mailbox shows none"},
    {"applet", "HTML-EMBEDDED", "an embedded applet: the mailbox shows none"},
    {"portal", "HTML-EMBEDDED", "an embedded document: the mailbox shows none"},
    {"fencedframe", "HTML-EMBEDDED", "an embedded document: the mailbox shows none"},
    {"form", "HTML-FORM", "a form: the mailbox sends nothing anywhere"},
    {"input", "HTML-FORM", "a form field: the mailbox sends nothing anywhere"},
    {"button", "HTML-FORM", "a form button: the mailbox sends nothing anywhere"},
    {"select", "HTML-FORM", "a form field: the mailbox sends nothing anywhere"},
    {"textarea", "HTML-FORM", "a form field: the mailbox sends nothing anywhere"},
    {"isindex", "HTML-FORM", "a form field: the mailbox sends nothing anywhere"},
    {"keygen", "HTML-FORM", "a form field: the mailbox sends nothing anywhere"},
    {"base", "HTML-BASE", "a base URL would change where every link of the letter goes"},
    {NULL, NULL, NULL},
};

/* Attributes holding a URL the browser loads with the document (resource) or follows when
 * chosen (link). href and xlink:href are decided by the element (below). */
static const char *const resource_attrs[] = {"src",      "background", "poster",  "data",
                                             "codebase", "dynsrc",     "lowsrc",  "manifest",
                                             "ping",     "archive",    "classid", NULL};
static const char *const link_attrs[] = {"action", "formaction", "cite", "longdesc",
                                         "usemap", "profile",    NULL};

static int in_list(const char *const *list, const char *s)
{
    size_t i;

    for (i = 0; list[i]; i++)
        if (strcasecmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* 1 when the whitespace-separated token list v holds tok (any case). */
static int has_token(const char *v, const char *tok)
{
    size_t n = strlen(tok);
    const char *p = v;

    while (*p) {
        const char *s;
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
            p++;
        s = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f')
            p++;
        if ((size_t)(p - s) == n && strncasecmp(s, tok, n) == 0)
            return 1;
    }
    return 0;
}

/* The value of attribute name of node (owned by libxml2: xmlFree), or NULL. */
static xmlChar *attr_of(xmlNodePtr node, const char *name)
{
    return xmlGetNoNsProp(node, (const xmlChar *)name);
}

/* charset=... inside a Content-Type value, or NULL. */
static const char *content_charset(const char *v)
{
    const char *p = strcasestr(v, "charset");

    if (!p)
        return NULL;
    p += 7;
    while (*p == ' ')
        p++;
    return *p == '=' ? p + 1 : NULL;
}

static void check_meta(struct kv_html_result *r, xmlNodePtr node)
{
    xmlChar *equiv = attr_of(node, "http-equiv");
    xmlChar *content = attr_of(node, "content");
    xmlChar *charset = attr_of(node, "charset");
    const char *cs = NULL;

    if (equiv && strcasecmp((const char *)equiv, "refresh") == 0) {
        add(r, "HTML-META-REFRESH", node, "http-equiv", node_line(node),
            content ? (const char *)content : NULL,
            "<meta http-equiv=\"refresh\"> would reload or leave the letter by itself");
    }
    if (charset)
        cs = (const char *)charset;
    else if (equiv && content && strcasecmp((const char *)equiv, "content-type") == 0)
        cs = content_charset((const char *)content);
    if (cs && !charset_is_utf8(cs)) {
        add(r, "HTML-ENCODING", node, charset ? "charset" : "content", node_line(node), cs,
            "<meta> declares the encoding %s: the mailbox shows HTML as UTF-8; write the body "
            "in UTF-8 and declare it so (or not at all)",
            cs);
    }
    xmlFree(equiv);
    xmlFree(content);
    xmlFree(charset);
}

/* SVG <animate> and <set> whose attributeName is href (or xlink:href) write their to, from,
 * by and values (';'-separated) into the link they animate: each is read as that href is,
 * so <a><set attributeName="href" to="javascript:..."> is a script URL as <a href> is. */
static void check_animation(struct kv_html_result *r, xmlNodePtr node)
{
    static const char *const value_attrs[] = {"to", "from", "by", "values", NULL};
    xmlChar *target = attr_of(node, "attributename"); /* the parser lowercases names */
    size_t i;

    if (!target || (strcasecmp((const char *)target, "href") != 0 &&
                    strcasecmp((const char *)target, "xlink:href") != 0)) {
        xmlFree(target);
        return;
    }
    xmlFree(target);
    for (i = 0; value_attrs[i]; i++) {
        xmlChar *v = attr_of(node, value_attrs[i]);
        char *item, *save = NULL;

        for (item = v ? strtok_r((char *)v, ";", &save) : NULL; item;
             item = strtok_r(NULL, ";", &save))
            check_url(r, node, value_attrs[i], item, 0);
        xmlFree(v);
    }
}

static void check_element(struct kv_html_result *r, xmlNodePtr node)
{
    const char *name = (const char *)node->name;
    const struct element_rule *er;
    xmlAttrPtr a;

    for (er = element_rules; er->name; er++) {
        if (strcasecmp(er->name, name) == 0) {
            add(r, er->rule, node, NULL, node_line(node), NULL, "<%s> is %s", name, er->why);
            break;
        }
    }
    if (strcasecmp(name, "meta") == 0)
        check_meta(r, node);
    if (strcasecmp(name, "link") == 0) {
        xmlChar *rel = attr_of(node, "rel");
        if (rel && has_token((const char *)rel, "stylesheet")) {
            add(r, "HTML-STYLESHEET", node, NULL, node_line(node), NULL,
                "<link rel=\"stylesheet\"> loads a stylesheet: the mailbox loads no other "
                "file; put the style in <style> or style attributes");
        }
        xmlFree(rel);
    }
    if (strcasecmp(name, "animate") == 0 || strcasecmp(name, "set") == 0)
        check_animation(r, node);
    if (strcasecmp(name, "style") == 0) {
        xmlChar *text = xmlNodeGetContent(node);
        if (text)
            check_css(r, node, NULL, (const char *)text);
        xmlFree(text);
    }
    for (a = node->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
        const char *vs = v ? (const char *)v : "";
        int is_href = strcasecmp(an, "href") == 0 || strcasecmp(an, "xlink:href") == 0;

        if (strncasecmp(an, "on", 2) == 0) {
            add(r, "HTML-EVENT-HANDLER", node, an, node_line(node), vs,
                "<%s> %s is an event handler: the mailbox runs no scripts", name, an);
        } else if (strcasecmp(an, "style") == 0) {
            check_css(r, node, an, vs);
        } else if (strcasecmp(an, "srcset") == 0 || strcasecmp(an, "imagesrcset") == 0) {
            check_srcset(r, node, vs);
        } else if (in_list(resource_attrs, an)) {
            check_url(r, node, an, vs, 1);
        } else if (is_href) {
            /* a link's href is followed when chosen; that of <link>, <image>, <use> is loaded
             * with the document (a stylesheet <link> is its own finding above) */
            int loaded = strcasecmp(name, "a") != 0 && strcasecmp(name, "area") != 0;
            xmlChar *rel = loaded && strcasecmp(name, "link") == 0 ? attr_of(node, "rel") : NULL;
            if (rel && has_token((const char *)rel, "stylesheet"))
                loaded = 0; /* reported as HTML-STYLESHEET; still no script URL */
            check_url(r, node, an, vs, loaded);
            xmlFree(rel);
        } else if (in_list(link_attrs, an)) {
            check_url(r, node, an, vs, 0);
        }
        xmlFree(v);
    }
}

/* --- parse --------------------------------------------------------------------------- */

static void on_error(void *ctx, xmlErrorPtr e)
{
    struct parse_errors *pe = ctx;
    size_t n;

    if (!e || e->level < XML_ERR_ERROR)
        return;
    /* keep the last one: the reason a halted parser stopped */
    pe->last_line = e->line > 0 ? (unsigned long)e->line : 0;
    snprintf(pe->last_message, sizeof(pe->last_message), "%s", e->message ? e->message : "");
    n = strlen(pe->last_message);
    while (n > 0 && (pe->last_message[n - 1] == '\n' || pe->last_message[n - 1] == ' '))
        pe->last_message[--n] = '\0';
    /* libxml2 knows HTML 4 only: an HTML5 element (<section>, <main>) is no malformation;
     * a bad encoding is reported as HTML-ENCODING already */
    if (e->code == XML_HTML_UNKNOWN_TAG || e->code == XML_ERR_INVALID_ENCODING ||
        e->code == XML_ERR_INVALID_CHAR)
        return;
    if (pe->n++ == 0) {
        pe->line = pe->last_line;
        memcpy(pe->message, pe->last_message, sizeof(pe->message));
    }
}

/* Counts n more nodes of the tree being built; 0 while within the bound, else stops the
 * parser (the check then reports HTML-UNREADABLE with this reason) and returns -1. */
static int count_nodes(htmlParserCtxtPtr ctxt, size_t n)
{
    struct parse_errors *pe = ctxt->_private;

    pe->nodes += n;
    if (pe->nodes <= KV_HTML_CHECK_MAX_NODES)
        return 0;
    pe->last_line = ctxt->input && ctxt->input->line > 0 ? (unsigned long)ctxt->input->line : 0;
    snprintf(pe->last_message, sizeof(pe->last_message),
             "more than %d elements, attributes and comments", KV_HTML_CHECK_MAX_NODES);
    xmlStopParser(ctxt);
    return -1;
}

static void start_element(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    size_t n = 1, i;

    for (i = 0; atts && atts[i]; i += 2)
        n++;
    if (count_nodes(ctx, n) == 0)
        ((struct parse_errors *)((htmlParserCtxtPtr)ctx)->_private)->start(ctx, name, atts);
}

static void comment(void *ctx, const xmlChar *value)
{
    if (count_nodes(ctx, 1) == 0)
        ((struct parse_errors *)((htmlParserCtxtPtr)ctx)->_private)->comment(ctx, value);
}

static void processing_instruction(void *ctx, const xmlChar *target, const xmlChar *data)
{
    if (count_nodes(ctx, 1) == 0)
        ((struct parse_errors *)((htmlParserCtxtPtr)ctx)->_private)->pi(ctx, target, data);
}

static void silent_generic(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    (void)fmt;
}

int kv_html_check(const char *data, size_t len, const char *charset, enum kv_html_policy policy,
                  struct kv_html_result *out, struct kv_err *err)
{
    struct parse_errors pe;
    htmlParserCtxtPtr ctxt = NULL;
    htmlDocPtr doc = NULL;
    xmlStructuredErrorFunc old_serror;
    void *old_sctx;
    xmlGenericErrorFunc old_generic;
    void *old_gctx;
    xmlNodePtr node;
    size_t bad;
    int halted, rc = 0;

    kv_html_result_init(out);
    memset(&pe, 0, sizeof(pe));
    if (len == 0)
        return kv_err_set(err, KV_EINVAL, "the HTML body is empty");
    if (len > KV_HTML_CHECK_MAX_BYTES)
        return kv_err_set(err, KV_ETOOBIG, "the HTML body is larger than %zu bytes",
                          KV_HTML_CHECK_MAX_BYTES);

    if (charset && !charset_is_utf8(charset))
        add(out, "HTML-ENCODING", NULL, NULL, 0, charset,
            "the body is declared as charset %s: the mailbox shows HTML as UTF-8; send it "
            "in UTF-8",
            charset);
    bad = utf8_bad_at((const unsigned char *)data, len);
    if (bad < len)
        add(out, "HTML-ENCODING", NULL, NULL, line_of(data, bad), NULL,
            data[bad] ? "byte %zu (0x%02X) is not valid UTF-8: the mailbox shows HTML as UTF-8"
                      : "byte %zu is a NUL (0x%02X): not allowed in HTML",
            bad, (unsigned)(unsigned char)data[bad]);

    ctxt = htmlNewParserCtxt();
    if (!ctxt) {
        rc = kv_err_set(err, KV_ENOMEM, "libxml2 could not create an HTML parser");
        goto out;
    }
    /* the context's own copy of the HTML SAX handler: its tree builders, counted */
    ctxt->_private = &pe;
    pe.start = ctxt->sax->startElement ? ctxt->sax->startElement : xmlSAX2StartElement;
    pe.comment = ctxt->sax->comment ? ctxt->sax->comment : xmlSAX2Comment;
    pe.pi = ctxt->sax->processingInstruction ? ctxt->sax->processingInstruction
                                             : xmlSAX2ProcessingInstruction;
    ctxt->sax->startElement = start_element;
    ctxt->sax->comment = comment;
    ctxt->sax->processingInstruction = processing_instruction;
    old_serror = xmlStructuredError; /* both per thread in libxml2 */
    old_sctx = xmlStructuredErrorContext;
    old_generic = xmlGenericError;
    old_gctx = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc(&pe, on_error);
    xmlSetGenericErrorFunc(NULL, silent_generic);
    doc = htmlCtxtReadMemory(ctxt, data, (int)len, NULL, "UTF-8",
                             HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    halted = ctxt->disableSAX != 0;
    xmlSetStructuredErrorFunc(old_sctx, old_serror);
    xmlSetGenericErrorFunc(old_gctx, old_generic);

    if (halted || !doc) {
        add(out, "HTML-UNREADABLE", NULL, NULL, pe.last_line, NULL,
            "the HTML parser stopped before the end of the body (%s): a body that cannot be "
            "read to its end is not approved",
            pe.last_message[0] ? pe.last_message : "no document");
    } else if (policy == KV_HTML_STRICT && pe.n > 0)
        add(out, "HTML-MALFORMED", NULL, NULL, pe.line, NULL,
            "the HTML is not well-formed and was repaired by the parser (%zu problem%s; the "
            "first: %s); policy STRICT accepts only HTML that needs no repair",
            pe.n, pe.n == 1 ? "" : "s", pe.message);
    if (!doc)
        goto out;

    /* Every element, in document order, without recursion. */
    node = doc->children;
    while (node) {
        if (node->type == XML_ELEMENT_NODE)
            check_element(out, node);
        if (node->children && node->type == XML_ELEMENT_NODE) {
            node = node->children;
            continue;
        }
        while (node && !node->next)
            node = node->parent == (xmlNodePtr)doc ? NULL : node->parent;
        if (node)
            node = node->next;
    }
out:
    if (doc)
        xmlFreeDoc(doc);
    if (ctxt)
        htmlFreeParserCtxt(ctxt);
    return rc;
}

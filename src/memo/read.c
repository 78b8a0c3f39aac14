/* SPDX-License-Identifier: MIT
 *
 * read.c: kv_memo_read, the parsed libxml2 tree -> struct kv_memo_message. A generic walk over
 * the element tables of model.c: children are matched by namespace URI and local name (input
 * prefixes are arbitrary), in any order; unknown elements, comments and stray text are ignored,
 * a repeated 0..1 element keeps its first occurrence, missing elements stay NULL. Recursion
 * follows the tables, not the input, so its depth is bounded by the model (at most 7 levels).
 * File content is copied with XML whitespace removed and validated as base64 in one pass;
 * KV_MEMO_READ_NO_CONTENT measures it without copying.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "memo/doc_int.h"
#include "memo/model.h"
#include "memo/model_int.h"
#include "util/xmalloc.h"

#define AT(obj, off) ((char *)(obj) + (off))

/* Concatenated text and CDATA children of n (owned). Never NULL: "" for an empty element. */
static char *node_text(const xmlNode *n)
{
    const xmlNode *c;
    size_t total = 0, w = 0;
    char *s;

    for (c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            total += strlen((const char *)c->content);
    s = kv_xmalloc(total + 1);
    for (c = n->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t l = strlen((const char *)c->content);
            memcpy(s + w, c->content, l);
            w += l;
        }
    }
    s[w] = '\0';
    return s;
}

static int is_xml_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* xs:boolean with whitespace collapsed; unknown lexical forms read as absent. */
static enum kv_memo_bool parse_bool(const char *s)
{
    size_t len;

    while (is_xml_ws((unsigned char)*s))
        s++;
    len = strlen(s);
    while (len > 0 && is_xml_ws((unsigned char)s[len - 1]))
        len--;
    if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1'))
        return KV_MEMO_BOOL_TRUE;
    if ((len == 5 && memcmp(s, "false", 5) == 0) || (len == 1 && s[0] == '0'))
        return KV_MEMO_BOOL_FALSE;
    return KV_MEMO_BOOL_ABSENT;
}

/* Character classes for the base64 scan, a table built once (pthread_once). */
enum { C_OTHER = 0, C_WS, C_B64, C_PAD };
static unsigned char b64_class[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void init_classes(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i < sizeof alphabet - 1; i++)
        b64_class[(unsigned char)alphabet[i]] = C_B64;
    b64_class['='] = C_PAD;
    b64_class[' '] = b64_class['\t'] = b64_class['\n'] = b64_class['\r'] = C_WS;
}

/* Reads File/content in one pass over the text children: drops XML whitespace, validates the
 * rest as base64 and, unless no_copy, copies it into a buffer sized by the total text length
 * (an upper bound; the whitespace of wrapped base64 is a few percent). */
static void read_content(const xmlNode *n, struct kv_memo_file *f, int no_copy)
{
    const xmlNode *c;
    size_t count = 0, pads = 0, total = 0;
    int valid = 1;
    unsigned char *s = NULL;

    if (!no_copy) {
        for (c = n->children; c; c = c->next)
            if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
                total += strlen((const char *)c->content);
        s = kv_xmalloc(total + 1);
    }
    for (c = n->children; c; c = c->next) {
        const unsigned char *p;
        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
            continue;
        for (p = c->content; *p; p++) {
            unsigned char k = b64_class[*p];
            if (k == C_B64) {
                if (pads)
                    valid = 0; /* data after padding */
            } else if (k == C_WS) {
                continue;
            } else if (k == C_PAD) {
                pads++;
            } else {
                valid = 0;
            }
            if (s)
                s[count] = *p;
            count++;
        }
    }
    if (pads > 2 || count % 4 != 0)
        valid = 0;
    if (s)
        s[count] = '\0';
    f->content = (char *)s;
    f->content_len = count;
    f->size = valid ? count / 4 * 3 - pads : 0;
}

/* The first byte is compared before the strcmp: read_obj tries every field of a type on
 * every child, and most names differ in it. */
static int name_is(const xmlNode *n, enum kv__memo_ns ns, const char *name)
{
    return n->ns && n->ns->href && n->name[0] == (xmlChar)name[0] &&
           strcmp((const char *)n->name, name) == 0 &&
           strcmp((const char *)n->ns->href, kv__memo_ns_uri[ns]) == 0;
}

static void read_obj(const struct kv__memo_type *t, const xmlNode *parent, void *obj,
                     unsigned flags);

static void read_field(const struct kv__memo_field *f, const xmlNode *n, void *obj,
                       unsigned flags)
{
    switch (f->kind) {
    case KV__K_TEXT: {
        char **slot = (char **)AT(obj, f->off);
        if (!*slot)
            *slot = node_text(n);
        break;
    }
    case KV__K_BOOL: {
        enum kv_memo_bool *slot = (enum kv_memo_bool *)AT(obj, f->off);
        if (*slot == KV_MEMO_BOOL_ABSENT) {
            char *s = node_text(n);
            *slot = parse_bool(s);
            free(s);
        }
        break;
    }
    case KV__K_CONTENT: {
        struct kv_memo_file *file = obj;
        if (!file->content && file->content_len == 0 && file->size == 0)
            read_content(n, file, (flags & KV_MEMO_READ_NO_CONTENT) != 0);
        break;
    }
    case KV__K_INLINE:
        read_obj(f->type, n, AT(obj, f->off), flags);
        break;
    case KV__K_OPT: {
        void **slot = (void **)AT(obj, f->off);
        if (!*slot) {
            *slot = kv_xcalloc(1, f->type->size);
            read_obj(f->type, n, *slot, flags);
        }
        break;
    }
    case KV__K_LIST: {
        void *elem = kv__memo_array_push((void **)AT(obj, f->off),
                                         (size_t *)AT(obj, f->count_off), f->type->size);
        read_obj(f->type, n, elem, flags);
        break;
    }
    default:
        break;
    }
}

static void read_obj(const struct kv__memo_type *t, const xmlNode *parent, void *obj,
                     unsigned flags)
{
    const xmlNode *n;
    size_t i;

    for (n = parent->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (i = 0; i < t->n_fields; i++) {
            const struct kv__memo_field *f = &t->fields[i];
            if (name_is(n, (enum kv__memo_ns)f->ns, f->name)) {
                /* KV_MEMO_READ_ENVELOPE: only the marked fields (an inline part is walked for
                 * its own marked fields) */
                if (!(flags & KV_MEMO_READ_ENVELOPE) || (f->flags & KV__F_ENV) ||
                    f->kind == KV__K_INLINE)
                    read_field(f, n, obj, flags);
                break;
            }
        }
    }
}

/* Attribute value without namespace as an owned string, or NULL. */
static char *attr(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *s;

    if (!v)
        return NULL;
    s = kv_xstrdup((const char *)v);
    xmlFree(v);
    return s;
}

int kv_memo_read(const struct kv_memo_doc *doc, unsigned flags, struct kv_memo_message **out,
                 struct kv_err *err)
{
    struct kv_memo_message *msg;
    const xmlNode *root, *n;
    int have_header = 0, have_body = 0;

    *out = NULL;
    if (!doc || !doc->xml)
        return kv_err_set(err, KV_EINVAL, "no parsed document");
    root = xmlDocGetRootElement(doc->xml);
    if (!root || !name_is(root, KV__NS_MEMO, "Message"))
        return kv_err_set(err, KV_EINVAL, "root element is not memo:Message");
    pthread_once(&b64_once, init_classes);
    msg = kv_memo_message_new();
    msg->memo_version = attr(root, "memoVersion");
    msg->memo_sch_version = attr(root, "memoSchVersion");
    if (msg->memo_sch_version && kv_memo_version_code(msg->memo_version) >= 12) {
        free(msg->memo_sch_version); /* 1.2 dropped it; the model never carries it there */
        msg->memo_sch_version = NULL;
    }
    for (n = root->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!have_header && name_is(n, KV__NS_MEMO, "MessageHeader")) {
            read_obj(&kv__memo_t_header, n, &msg->header, flags);
            have_header = 1;
        } else if (!have_body && !(flags & KV_MEMO_READ_HEADER_ONLY) &&
                   name_is(n, KV__NS_MEMO, "MessageBody")) {
            msg->body = kv_xcalloc(1, sizeof *msg->body);
            read_obj(&kv__memo_t_body, n, msg->body, flags);
            have_body = 1;
        }
    }
    *out = msg;
    return 0;
}

int kv_memo_doc_has_actions(const struct kv_memo_doc *doc)
{
    const xmlNode *root, *body, *d, *a;

    root = doc && doc->xml ? xmlDocGetRootElement(doc->xml) : NULL;
    if (!root || !name_is(root, KV__NS_MEMO, "Message"))
        return 0;
    for (body = root->children; body; body = body->next) {
        if (body->type != XML_ELEMENT_NODE || !name_is(body, KV__NS_MEMO, "MessageBody"))
            continue;
        for (d = body->children; d; d = d->next) {
            if (d->type != XML_ELEMENT_NODE || (!name_is(d, KV__NS_MEMO, "MainDocument") &&
                                                !name_is(d, KV__NS_MEMO, "AdditionalDocument")))
                continue;
            for (a = d->children; a; a = a->next)
                if (a->type == XML_ELEMENT_NODE && name_is(a, KV__NS_MEMO, "Action"))
                    return 1;
        }
    }
    return 0;
}

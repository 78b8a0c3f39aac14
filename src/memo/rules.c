/* SPDX-License-Identifier: MIT
 *
 * rules.c: layer (c) of MeMo validation, the NgDP business rules the XSD does not express
 * (docs/memo-rules.md). This file owns the runner, a single iterative pre-order walk over the
 * element tree that dispatches each element, by namespace URI and local name (prefixes are
 * arbitrary), to the check for its concept in rules_*.c, plus the small helpers those checks
 * share. No XPath engine, no recursion (depth is whatever the reader allowed), and no
 * assumption that the document passed the XSD. Thread safety: uses only its arguments.
 */
#include <string.h>

#include <libxml/tree.h>

#include "memo/doc_int.h"
#include "memo/rules_int.h"

/* ---------------------------------------------------------------- helpers */

int kv__rules_is(const xmlNode *n, const char *ns, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->name, local) == 0 && strcmp((const char *)n->ns->href, ns) == 0;
}

xmlNodePtr kv__rules_child(const xmlNode *parent, const char *ns, const char *local)
{
    xmlNodePtr c;

    if (!parent)
        return NULL;
    for (c = parent->children; c; c = c->next)
        if (kv__rules_is(c, ns, local))
            return c;
    return NULL;
}

unsigned kv__rules_count(const xmlNode *parent, const char *ns, const char *local)
{
    xmlNodePtr c;
    unsigned n = 0;

    if (!parent)
        return 0;
    for (c = parent->children; c; c = c->next)
        if (kv__rules_is(c, ns, local))
            n++;
    return n;
}

void kv__rules_text_get(const xmlNode *el, struct kv__rules_text *t)
{
    xmlNodePtr c = el ? el->children : NULL;

    t->owned = NULL;
    t->s = "";
    t->len = 0;
    if (!c)
        return;
    if (!c->next && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)) {
        if (c->content) {
            t->s = (const char *)c->content;
            t->len = strlen(t->s);
        }
        return;
    }
    t->owned = xmlNodeGetContent(el);
    if (t->owned) {
        t->s = (const char *)t->owned;
        t->len = strlen(t->s);
    }
}

void kv__rules_text_release(struct kv__rules_text *t)
{
    if (t->owned)
        xmlFree(t->owned);
    t->owned = NULL;
    t->s = "";
    t->len = 0;
}

static int is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void kv__rules_trim(const char **s, size_t *len)
{
    while (*len > 0 && is_xml_space((*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_xml_space((*s)[*len - 1]))
        (*len)--;
}

void kv__rules_quote(char *out, size_t out_size, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i, shown = len > 60 ? 60 : len;

    if (out_size < 16) {
        if (out_size)
            out[0] = '\0';
        return;
    }
    /* never cut inside a UTF-8 sequence */
    while (shown < len && shown > 0 && ((unsigned char)s[shown] & 0xC0) == 0x80)
        shown--;
    out[o++] = '"';
    for (i = 0; i < shown && o + 8 < out_size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    /* a multi-byte character cut by the buffer is dropped whole */
    while (i < len && o > 1 && ((unsigned char)s[i] & 0xC0) == 0x80) {
        i--;
        o--;
    }
    out[o++] = '"';
    if (i < len && o + 4 < out_size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

size_t kv__rules_utf8_chars(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* ---------------------------------------------------------------- dispatch */

enum what {
    W_NONE,
    W_MESSAGE,
    W_BODY,
    W_UUID,
    W_DATETIME,
    W_DATE,
    W_SENDER,
    W_RECIPIENT,
    W_REPRESENTATIVE,
    W_FILE,
    W_ACTION,
    W_RESERVATION,
    W_URL,
    W_ADDR_HOLDER
};

/* Check for an element of local name `local` in the MeMo namespace. One switch on the first
 * character narrows the candidates to at most three names, so an element costs a couple of
 * comparisons rather than a scan of every name. */
static enum what classify_memo(const char *local)
{
    switch (local[0]) {
    case 'A':
        if (strcmp(local, "Action") == 0)
            return W_ACTION;
        if (strcmp(local, "AttentionData") == 0)
            return W_ADDR_HOLDER;
        break;
    case 'C':
        if (strcmp(local, "ContentData") == 0)
            return W_ADDR_HOLDER;
        break;
    case 'F':
        if (strcmp(local, "File") == 0)
            return W_FILE;
        break;
    case 'M':
        if (strcmp(local, "Message") == 0)
            return W_MESSAGE;
        if (strcmp(local, "MessageBody") == 0)
            return W_BODY;
        break;
    case 'R':
        if (strcmp(local, "Recipient") == 0)
            return W_RECIPIENT;
        if (strcmp(local, "Representative") == 0)
            return W_REPRESENTATIVE;
        if (strcmp(local, "Reservation") == 0)
            return W_RESERVATION;
        break;
    case 'S':
        if (strcmp(local, "Sender") == 0)
            return W_SENDER;
        break;
    case 'c':
        if (strcmp(local, "createdDateTime") == 0)
            return W_DATETIME;
        break;
    case 'd':
        if (strcmp(local, "doNotDeliverUntilDate") == 0)
            return W_DATE;
        break;
    case 'e':
        if (strcmp(local, "endDateTime") == 0)
            return W_DATETIME;
        break;
    case 'm':
        if (strcmp(local, "messageUUID") == 0)
            return W_UUID;
        break;
    case 'o':
        if (strcmp(local, "originalMessageDateTime") == 0)
            return W_DATETIME;
        break;
    case 'r':
        if (strcmp(local, "replyUUID") == 0 || strcmp(local, "reservationUUID") == 0)
            return W_UUID;
        if (strcmp(local, "replyByDateTime") == 0)
            return W_DATETIME;
        break;
    case 's':
        if (strcmp(local, "startDateTime") == 0)
            return W_DATETIME;
        break;
    case 'u':
        if (strcmp(local, "url") == 0)
            return W_URL;
        break;
    default:
        break;
    }
    return W_NONE;
}

enum ns_kind { NS_OTHER, NS_MEMO, NS_GRD };

/* Namespace kinds of the walk: a document declares each namespace once or a few times, and
 * every element of it points at the same xmlNs, so the href is compared once per xmlNs
 * rather than once per element. The entries are only valid during one walk. */
#define NS_CACHE 4
struct ns_cache {
    const xmlNs *ns[NS_CACHE]; /* borrowed namespace nodes seen last */
    enum ns_kind kind[NS_CACHE]; /* kind of each */
    unsigned next;             /* slot replaced next */
};

static enum ns_kind ns_kind_of(struct ns_cache *c, const xmlNs *ns)
{
    const char *href = (const char *)ns->href;
    enum ns_kind k;
    unsigned i;

    for (i = 0; i < NS_CACHE; i++)
        if (c->ns[i] == ns)
            return c->kind[i];
    if (strcmp(href, KV_GRD_NS) == 0)
        k = NS_GRD;
    else if (strcmp(href, KV_MEMO_NS) == 0)
        k = NS_MEMO;
    else
        k = NS_OTHER;
    c->ns[c->next] = ns;
    c->kind[c->next] = k;
    c->next = (c->next + 1) % NS_CACHE;
    return k;
}

static void visit(struct kv__rules *r, struct ns_cache *nc, xmlNodePtr el, int is_root)
{
    const char *local = (const char *)el->name;
    enum ns_kind kind;

    if (!el->ns || !el->ns->href || !local)
        return;
    kind = ns_kind_of(nc, el->ns);
    if (kind == NS_GRD) {
        if (local[0] == 'c' && strcmp(local, "cprNumber") == 0)
            kv__rules_cpr(r, el, "grd:cprNumber");
        else if (local[0] == 'c' && strcmp(local, "cvrNumber") == 0)
            kv__rules_cvr(r, el, "grd:cvrNumber");
        return;
    }
    if (kind != NS_MEMO)
        return;
    switch (classify_memo(local)) {
    case W_MESSAGE:
        if (is_root)
            kv__rules_message(r, el);
        break;
    case W_BODY:
        if (!r->body)
            r->body = el;
        kv__rules_body(r, el);
        break;
    case W_UUID:
        kv__rules_uuid(r, el);
        break;
    case W_DATETIME:
        kv__rules_datetime(r, el);
        break;
    case W_DATE:
        kv__rules_date(r, el);
        break;
    case W_SENDER:
        kv__rules_party(r, el, "senderID");
        break;
    case W_RECIPIENT:
        kv__rules_party(r, el, "recipientID");
        break;
    case W_REPRESENTATIVE:
        kv__rules_party(r, el, "representativeID");
        break;
    case W_FILE:
        kv__rules_file(r, el);
        break;
    case W_ACTION:
        kv__rules_action(r, el);
        break;
    case W_RESERVATION:
        kv__rules_interval(r, el);
        break;
    case W_URL:
        if (kv__rules_is(el->parent, KV_MEMO_NS, "EntryPoint"))
            kv__rules_url(r, el);
        break;
    case W_ADDR_HOLDER:
        kv__rules_addresses(r, el);
        break;
    case W_NONE:
        break;
    }
}

static xmlNodePtr first_element(xmlNodePtr n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

void kv__memo_rules_run(struct kv_memo_doc *doc, struct kv_memo_diags *d)
{
    struct kv__rules r;
    struct ns_cache nc;
    xmlNodePtr root, n, next;

    if (!doc || !doc->xml || !d)
        return;
    root = xmlDocGetRootElement(doc->xml);
    if (!root)
        return;
    memset(&r, 0, sizeof(r));
    r.doc = doc;
    r.d = d;
    memset(&nc, 0, sizeof(nc));

    /* pre-order walk, iterative: down to the first child element, else to the next sibling
     * element of the nearest ancestor that has one */
    n = root;
    for (;;) {
        visit(&r, &nc, n, n == root);
        next = first_element(n->children);
        if (next) {
            n = next;
            continue;
        }
        while (n != root && !(next = first_element(n->next)))
            n = n->parent;
        if (n == root)
            break;
        n = next;
    }
    kv__rules_finish_files(&r);
}

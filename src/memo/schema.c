/* SPDX-License-Identifier: MIT
 *
 * schema.c: the XSD layer of libmemo (layer b of kv_memo_check). Compiles the embedded MeMo
 * schemas once per process (schemas/memo-1.1, the official one, and schemas/memo-1.2, ours),
 * keeps them shared and read-only, and validates a parsed document with a validation context
 * of its own per call, turning libxml2's messages into plain, located "XSD" diagnostics.
 * kv_memo_global_init/cleanup live here because schema compilation is what they set up.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/catalog.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "memo/check_int.h"
#include "util/xmalloc.h"

/* One schema per accepted memoVersion; the URL names an embedded file (see embed.h). */
struct schema_slot {
    const char *version;  /* canonical memoVersion */
    const char *url;      /* embedded main schema file */
    xmlSchemaPtr schema;  /* owned compiled schema, NULL before init */
};

static struct schema_slot slots[] = {
    {"1.1", "schemas/memo-1.1/MeMo_core.xsd", NULL},
    {"1.2", "schemas/memo-1.2/MeMo_core.xsd", NULL},
};

#define N_SLOTS (sizeof(slots) / sizeof(slots[0]))

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;          /* 0 after a successful init */
static char init_msg[256];        /* why init failed */

/* Schema compile errors: keep the first one for the init failure message. */
static void on_compile_error(void *ctx, xmlErrorPtr e)
{
    if (e && e->level >= XML_ERR_ERROR && init_msg[0] == '\0')
        kv__memo_clean_message(e->message ? e->message : "schema error", init_msg,
                               sizeof(init_msg));
}

static void compile_all(void)
{
    size_t i;

    kv__memo_arena_install();
    xmlInitParser();
    kv__memo_loader_install();
    /* A letter may not name XML catalogs: libxml2 would act on an <?oasis-xml-catalog?>
     * processing instruction in its prolog and set up its process-wide default catalog at
     * that moment, inside the check's arena scope (arena.c), leaving a global pointer into
     * memory the scope takes back. The default catalog is set up here, on the heap, and
     * catalog processing instructions are ignored (no resource is ever resolved through a
     * catalog anyway: kv__memo_loader_install serves only the embedded schemas). */
    xmlCatalogSetDefaults(XML_CATA_ALLOW_NONE);
    xmlInitializeCatalog();
    for (i = 0; i < N_SLOTS; i++) {
        xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(slots[i].url);
        if (!pc) {
            snprintf(init_msg, sizeof(init_msg), "cannot create a schema parser");
            return;
        }
        xmlSchemaSetParserStructuredErrors(pc, on_compile_error, NULL);
        slots[i].schema = xmlSchemaParse(pc);
        xmlSchemaFreeParserCtxt(pc);
        if (!slots[i].schema) {
            char tmp[sizeof(init_msg)];
            snprintf(tmp, sizeof(tmp), "%s", init_msg);
            snprintf(init_msg, sizeof(init_msg), "%.60s: %.180s", slots[i].url,
                     tmp[0] ? tmp : "does not compile");
            return;
        }
    }
    init_rc = 0;
}

int kv_memo_global_init(struct kv_err *err)
{
    pthread_once(&init_once, compile_all);
    if (init_rc != 0)
        return kv_err_set(err, KV_EINTERNAL, "MeMo schemas: %s", init_msg);
    return 0;
}

void kv_memo_global_cleanup(void)
{
    size_t i;

    for (i = 0; i < N_SLOTS; i++) {
        if (slots[i].schema)
            xmlSchemaFree(slots[i].schema);
        slots[i].schema = NULL;
    }
    init_rc = -1;
}

xmlSchemaPtr kv__memo_schema_get(const char *version)
{
    size_t i;

    if (init_rc != 0 || !version)
        return NULL;
    for (i = 0; i < N_SLOTS; i++)
        if (strcmp(slots[i].version, version) == 0)
            return slots[i].schema;
    return NULL;
}

/* Namespaces of the MeMo schemas and the prefixes MeMo documents use for them. */
static const struct {
    const char *uri;
    const char *prefix;
} ns_prefixes[] = {
    {"https://DigitalPost.dk/MeMo-1", "memo"},
    {"https://data.gov.dk/model/core/", "grd"},
    {"https://data.gov.dk/model/dataTypes/", "dt"},
    {"https://www.gs1.dk/gs1-standarder/identifikation/gln-global-location-number/", "gln"},
    {"https://motorregister.skat.dk/", "dmv"},
    {"http://kle-online.dk/", "kle"},
    {"http://www.form-online.dk/", "form"},
    {"https://services.nsi.dk/en/Services/SOR", "sor"},
    {"https://www.dst.dk/da/TilSalg/Forskningsservice/Dokumentation/hoejkvalitetsvariable/"
     "elevregister-2/udd#",
     "udd"},
};

/* Appends one byte if room is left (one byte is always kept for the NUL). */
static void put(char *out, size_t outsz, size_t *k, char c)
{
    if (*k + 1 < outsz)
        out[(*k)++] = c;
}

static void put_str(char *out, size_t outsz, size_t *k, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        put(out, outsz, k, s[i]);
}

void kv__memo_clean_message(const char *in, char *out, size_t outsz)
{
    char tmp[1024];
    size_t k = 0, i, j;
    const char *p = in, *name, *rest;

    if (outsz == 0)
        return;
    /* Pass 1: "{uri}" -> "prefix:" for the known namespaces. */
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            int done = 0;
            if (close) {
                size_t n = (size_t)(close - p - 1);
                for (j = 0; j < sizeof(ns_prefixes) / sizeof(ns_prefixes[0]); j++) {
                    if (strlen(ns_prefixes[j].uri) == n &&
                        memcmp(p + 1, ns_prefixes[j].uri, n) == 0) {
                        put_str(tmp, sizeof(tmp), &k, ns_prefixes[j].prefix,
                                strlen(ns_prefixes[j].prefix));
                        put(tmp, sizeof(tmp), &k, ':');
                        p = close + 1;
                        done = 1;
                        break;
                    }
                }
            }
            if (done)
                continue;
        }
        put(tmp, sizeof(tmp), &k, *p == '\n' || *p == '\r' ? ' ' : *p);
        p++;
    }
    while (k > 0 && (tmp[k - 1] == ' ' || tmp[k - 1] == '\t'))
        k--;
    tmp[k] = '\0';

    /* Pass 2: "Element 'x': rest" -> "x: rest"; "Element 'x', attribute 'y': rest" ->
     * "x/@y: rest". */
    k = 0;
    if (strncmp(tmp, "Element '", 9) == 0 && (rest = strchr(tmp + 9, '\'')) != NULL) {
        name = tmp + 9;
        put_str(out, outsz, &k, name, (size_t)(rest - name));
        rest++;
        if (strncmp(rest, ", attribute '", 13) == 0) {
            const char *a = rest + 13, *ae = strchr(a, '\'');
            if (ae) {
                put_str(out, outsz, &k, "/@", 2);
                put_str(out, outsz, &k, a, (size_t)(ae - a));
                rest = ae + 1;
            }
        }
        if (rest[0] == ':' && rest[1] == ' ')
            rest += 2;
        put_str(out, outsz, &k, ": ", 2);
        i = strlen(rest);
        put_str(out, outsz, &k, rest, i);
    } else {
        put_str(out, outsz, &k, tmp, strlen(tmp));
    }
    out[k] = '\0';
}

/* Where one validation call reports to. */
struct xsd_sink {
    struct kv_memo_doc *doc;   /* borrowed document being validated */
    struct kv_memo_diags *d;   /* borrowed diagnostic sink */
    xmlNodePtr last_node;      /* node of the previous error, to reuse its location */
    unsigned long last_line;   /* its line */
    unsigned long last_col;    /* its column */
};

static void on_xsd_error(void *ctx, xmlErrorPtr e)
{
    struct xsd_sink *s = ctx;
    xmlNodePtr node;
    unsigned long line = 0, col = 0;
    char msg[1024];
    char *path;

    if (!e)
        return;
    if (s->d->n >= KV_MEMO_DIAGS_MAX) { /* only counted from here on: skip the formatting */
        kv_memo_diags_add(s->d, e->level == XML_ERR_WARNING ? KV_MEMO_WARNING : KV_MEMO_ERROR,
                          "XSD", 0, 0, NULL, "%s", "");
        return;
    }
    node = (xmlNodePtr)e->node;
    kv__memo_clean_message(e->message ? e->message : "schema validation error", msg,
                           sizeof(msg));
    if (node && node == s->last_node) { /* many errors on one element: locate it once */
        line = s->last_line;
        col = s->last_col;
    } else if (node) {
        kv__memo_node_loc(s->doc, node, &line, &col);
        s->last_node = node;
        s->last_line = line;
        s->last_col = col;
    }
    if (line == 0 && e->line > 0)
        line = (unsigned long)e->line;
    path = kv__memo_node_path(node);
    kv_memo_diags_add(s->d, e->level == XML_ERR_WARNING ? KV_MEMO_WARNING : KV_MEMO_ERROR, "XSD",
                      line, col, path, "%s", msg);
    free(path);
}

int kv__memo_xsd_validate(struct kv_memo_doc *doc, xmlSchemaPtr schema, struct kv_memo_diags *d,
                          struct kv_err *err)
{
    struct xsd_sink sink = {doc, d, NULL, 0, 0};
    xmlSchemaValidCtxtPtr vc;
    int ret, rc = 0;

    vc = xmlSchemaNewValidCtxt(schema);
    if (!vc)
        return kv_err_set(err, KV_EINTERNAL, "libxml2 could not create a validation context");
    xmlSchemaSetValidStructuredErrors(vc, on_xsd_error, &sink);
    ret = xmlSchemaValidateDoc(vc, doc->xml);
    if (ret < 0)
        rc = kv_err_set(err, KV_EINTERNAL, "libxml2 schema validation failed internally (%d)",
                        ret);
    xmlSchemaFreeValidCtxt(vc);
    return rc;
}

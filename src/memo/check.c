/* SPDX-License-Identifier: MIT
 *
 * check.c: the kv_memo_check() pipeline. Size bound -> hardened parse (parse.c) -> root and
 * version selection -> XSD validation against the schema of that version (schema.c) ->
 * NgDP business rules (rules*.c, only at KV_MEMO_LEVEL_NGDP) -> diagnostics sorted by
 * position. Every layer reports all it finds; a layer only runs when the one before it
 * produced something it can work on (a tree, a known version).
 */
#include <stdlib.h>

#include "memo/check_int.h"

void kv_memo_limits_default(struct kv_memo_limits *lim)
{
    lim->max_bytes = KV_MEMO_DEFAULT_MAX_BYTES;
    lim->max_depth = KV_MEMO_DEFAULT_MAX_DEPTH;
    lim->max_elements = KV_MEMO_DEFAULT_MAX_ELEMENTS;
}

void kv_memo_doc_free(struct kv_memo_doc *doc)
{
    if (!doc)
        return;
    /* A tree built wholly in the current arena scope goes with the scope (arena.c). */
    if (doc->xml && !(doc->arena && kv__memo_arena_holds_all(doc->arena)))
        xmlFreeDoc(doc->xml);
    free(doc->line_starts);
    free(doc);
}

const char *kv_memo_doc_version(const struct kv_memo_doc *doc)
{
    if (!doc || doc->version[0] == '\0')
        return NULL;
    return doc->version;
}

int kv_memo_check(const char *buf, size_t len, enum kv_memo_level level,
                  const struct kv_memo_limits *lim, struct kv_memo_diags *diags,
                  struct kv_memo_doc **out_doc, struct kv_err *err)
{
    struct kv_memo_limits defaults;
    struct kv_memo_doc *doc = NULL;
    xmlSchemaPtr schema;
    int rc;

    if (out_doc)
        *out_doc = NULL;
    if (!diags || (!buf && len > 0))
        return kv_err_set(err, KV_EINVAL, "kv_memo_check: no buffer or no diagnostics list");
    if (level != KV_MEMO_LEVEL_XSD && level != KV_MEMO_LEVEL_NGDP)
        return kv_err_set(err, KV_EINVAL, "kv_memo_check: unknown level %d", (int)level);
    rc = kv_memo_global_init(err);
    if (rc < 0)
        return rc;
    if (!lim) {
        kv_memo_limits_default(&defaults);
        lim = &defaults;
    }

    rc = kv__memo_parse(buf ? buf : "", len, lim, diags, &doc, err);
    if (rc < 0 || !doc)
        goto out;
    if (!kv__memo_select_version(doc, diags))
        goto out;
    schema = kv__memo_schema_get(doc->version);
    if (!schema) {
        rc = kv_err_set(err, KV_EINTERNAL, "no compiled schema for MeMo %s", doc->version);
        goto out;
    }
    rc = kv__memo_xsd_validate(doc, schema, diags, err);
    if (rc < 0)
        goto out;
    if (level == KV_MEMO_LEVEL_NGDP)
        kv__memo_rules_run(doc, diags);
out:
    kv_memo_diags_sort(diags);
    if (out_doc && rc == 0) {
        *out_doc = doc;
        doc = NULL;
    }
    kv_memo_doc_free(doc);
    return rc;
}

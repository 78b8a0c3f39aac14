/* SPDX-License-Identifier: MIT
 *
 * contact_search.c: the search citizens and companies use to find where to write: active,
 * visible contact points that target their audience, filtered by organisation, term (name or search
 * term, case-insensitive substring, also for Æ Ø Å É Ä Ö Ü) and code. See contact_points.h.
 */
#include "hub/contact_points.h"

#include <string.h>

#include "hub/contact_int.h"
#include "store/store.h"
#include "util/buf.h"

#define TERM_MAX 128 /* longest term searched for, in characters */

/* Case folding beyond ASCII. SQLite's lower() and LIKE fold only A-Z, so "ældre" would not
 * find "Ældrepleje". The capitals of Danish (and the few other Latin-1 letters common in
 * Danish names and words) are folded on both sides: FOLD(x) in SQL, fold_latin1() for the
 * term. Both must name the same letters. */
#define FOLD(x)                                                                              \
    "lower(replace(replace(replace(replace(replace(replace(replace(" x ", 'Æ', 'æ'), "        \
    "'Ø', 'ø'), 'Å', 'å'), 'É', 'é'), 'Ä', 'ä'), 'Ö', 'ö'), 'Ü', 'ü'))"

/* The second UTF-8 byte (after 0xC3) of a capital FOLD() folds; 0 otherwise. Its small
 * letter is the same byte + 0x20. */
static int fold_latin1(unsigned char c2)
{
    return c2 == 0x86 /* Æ */ || c2 == 0x98 /* Ø */ || c2 == 0x85 /* Å */ ||
           c2 == 0x89 /* É */ || c2 == 0x84 /* Ä */ || c2 == 0x96 /* Ö */ || c2 == 0x9C /* Ü */;
}

/* "%term%" for LIKE with \ escaping of % _ \, lower-cased (ASCII and the letters of FOLD).
 * 0 or KV_ETOOBIG. */
static int like_pattern(const char *term, struct kv_buf *b)
{
    const char *p;
    int rc = kv_buf_puts(b, "%");

    for (p = term; *p && rc == 0; p++) {
        char c = *p;
        if (c == '%' || c == '_' || c == '\\')
            rc = kv_buf_puts(b, "\\");
        if (rc == 0) {
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if ((unsigned char)c == 0xC3 && fold_latin1((unsigned char)p[1])) {
                char two[2] = {c, (char)((unsigned char)p[1] + 0x20)};
                rc = kv_buf_append(b, two, 2);
                p++;
                continue;
            }
            rc = kv_buf_append(b, &c, 1);
        }
    }
    if (rc == 0)
        rc = kv_buf_puts(b, "%");
    return rc;
}

int kv_contact_points_search(struct kv_db *db, const char *audience, const char *org,
                             const char *term, const char *code, json_t **out,
                             struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_buf pat;
    json_t *arr = NULL, *o;
    size_t i;
    int rc;

    *out = NULL;
    if (!audience || (strcmp(audience, "citizen") != 0 && strcmp(audience, "company") != 0 &&
                      strcmp(audience, "authority") != 0))
        return kv_err_set(err, KV_EINVAL, "audience must be citizen, company or authority");
    kv_buf_init(&pat, 4 * TERM_MAX + 8);
    if (term && term[0] && (kv__cp_utf8_chars(term) > TERM_MAX || like_pattern(term, &pat) < 0)) {
        kv_buf_release(&pat);
        return kv_err_set(err, KV_EINVAL, "term must be at most %d characters", TERM_MAX);
    }
    rc = kv_db_prepare(
        db,
        "SELECT p.id, p.org_cvr, o.name, p.name, p.description, p.memo_size_threshold_mb, "
        "p.allowed_number_of_attachments FROM contact_points p JOIN orgs o ON o.cvr = p.org_cvr "
        "WHERE p.active = 1 AND p.visible = 1 AND (CASE ? WHEN 'citizen' THEN p.visible_citizen "
        "WHEN 'company' THEN p.visible_company ELSE p.visible_authority END) = 1 "
        "AND (? IS NULL OR p.org_cvr = ?) "
        "AND (? IS NULL OR " FOLD("p.name") " LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM "
        "contact_point_terms t WHERE t.point_id = p.id AND " FOLD("t.term") " LIKE ? ESCAPE "
        "'\\')) "
        "AND (? IS NULL OR EXISTS (SELECT 1 FROM contact_point_codes c "
        "WHERE c.point_id = p.id AND c.code = ?)) "
        "ORDER BY p.org_cvr, p.name, p.id LIMIT ?",
        &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, audience, -1);
    kv__cp_bind_opt(s, 2, org);
    kv__cp_bind_opt(s, 3, org);
    for (i = 4; i <= 6; i++)
        kv__cp_bind_opt(s, (int)i, (term && term[0]) ? pat.buf : NULL);
    kv__cp_bind_opt(s, 7, code);
    kv__cp_bind_opt(s, 8, code);
    kv_stmt_bind_int64(s, 9, KV_CP_SEARCH_MAX);
    arr = json_array();
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        o = json_object();
        kv__cp_set_text(o, "id", kv_stmt_col_text(s, 0));
        kv__cp_set_text(o, "organisation", kv_stmt_col_text(s, 1));
        kv__cp_set_text(o, "organisationName", kv_stmt_col_text(s, 2));
        kv__cp_set_text(o, "name", kv_stmt_col_text(s, 3));
        kv__cp_set_text(o, "description", kv_stmt_col_text(s, 4));
        json_object_set_new(o, "memoSizeThresholdMB", json_integer(kv_stmt_col_int64(s, 5)));
        json_object_set_new(o, "allowedNumberOfAttachments",
                            json_integer(kv_stmt_col_int64(s, 6)));
        json_array_append_new(arr, o);
    }
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    json_array_foreach(arr, i, o) {
        rc = kv__cp_add_children(db, json_string_value(json_object_get(o, "id")), o, 0, err);
        if (rc < 0)
            goto out;
    }
    *out = arr;
    arr = NULL;
    rc = 0;
out:
    json_decref(arr);
    kv_buf_release(&pat);
    return rc;
}

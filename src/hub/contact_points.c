/* SPDX-License-Identifier: MIT
 *
 * contact_points.c: contact points of an organisation's contact structure: validation of the
 * NgDP ContactPoint JSON and CRUD with versioning (the ETag). The search is in
 * contact_search.c; groups and the shared helpers are in contact_groups.c.
 * See contact_points.h.
 */
#include "hub/contact_points.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub/contact_int.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"

#define RES "ContactPoint"
#define CODE_MAX 128       /* code, search term */
#define CODE_VERSION_MAX 64

static const char *const CODE_TYPES[] = {"CUSTOM", "FORM", "GLN", "KLE", "SOR", NULL};

/* A validated input; strings and arrays are borrowed from the input object. */
struct point_in {
    const char *name;          /* required */
    const char *description;   /* or NULL */
    const char *internal;      /* internalDescription, or NULL */
    const char *system_id;     /* recipient system (required) */
    int64_t mb;                /* memoSizeThresholdMB */
    int64_t attachments;       /* allowedNumberOfAttachments */
    int active;                /* 1 = active */
    int visible;               /* 1 = shown in the contact point search */
    int vis[3];                /* targets: citizens, companies, authorities may write to it */
    const json_t *codes;       /* contactPointCodes array, or NULL */
    const json_t *terms;       /* searchTerms array, or NULL */
    const json_t *groups;      /* contactGroups array, or NULL */
    char *report_link;         /* reportLink as JSON text to store (owned), or NULL */
    char *recommended;         /* recommendedAttributes as JSON text (owned), or NULL */
    char *translations;        /* translations as JSON text (owned), or NULL */
};

#define LINK_MAX 2000           /* reportLink.externalLink, bytes */
#define ATTRIBUTES_MAX 50       /* recommendedAttributes per point */
#define TRANSLATIONS_MAX 100    /* translations per point */

static void point_in_free(struct point_in *p)
{
    free(p->report_link);
    free(p->recommended);
    free(p->translations);
    p->report_link = p->recommended = p->translations = NULL;
}

/* reportLink: NgDP's ReportLink {externalLink (an http(s) URL), externalLinkText,
 * description, label}; its id and version are the server's and not taken. */
static void read_report_link(const json_t *in, struct point_in *p, json_t *fes)
{
    static const struct {
        const char *name;
        size_t max;
    } m[] = {{"externalLink", LINK_MAX}, {"externalLinkText", KV_CP_NAME_MAX},
             {"description", KV_CP_TEXT_MAX}, {"label", KV_CP_NAME_MAX}};
    json_t *v = json_object_get(in, "reportLink"), *keep;
    const char *text;
    char f[48];
    size_t i;

    if (!v || json_is_null(v))
        return;
    if (!json_is_object(v)) {
        kv__cp_fe(fes, RES, "reportLink", "INVALID",
                  "must be an object {externalLink, externalLinkText, description, label}", v);
        return;
    }
    keep = json_object();
    for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        snprintf(f, sizeof(f), "reportLink.%s", m[i].name);
        kv__cp_text(v, m[i].name, m[i].max, 0, fes, RES, &text);
        if (!text || !text[0])
            continue;
        if (i == 0 && strncasecmp(text, "https://", 8) != 0 &&
            strncasecmp(text, "http://", 7) != 0) {
            kv__cp_fe(fes, RES, f, "INVALID", "must be an http:// or https:// URL",
                      json_object_get(v, m[i].name));
            continue;
        }
        json_object_set_new(keep, m[i].name, json_string(text));
    }
    if (json_object_size(keep) > 0)
        p->report_link = kv__cp_json_text(keep);
    json_decref(keep);
}

/* recommendedAttributes: NgDP's [{name}] (plain strings taken too), names 1..256 characters,
 * at most ATTRIBUTES_MAX. */
static void read_attributes(const json_t *in, struct point_in *p, json_t *fes)
{
    json_t *v = json_object_get(in, "recommendedAttributes"), *e, *keep;
    char f[48];
    size_t i;

    if (!v || json_is_null(v))
        return;
    if (!json_is_array(v) || json_array_size(v) > ATTRIBUTES_MAX) {
        kv__cp_fe(fes, RES, "recommendedAttributes", "INVALID",
                  "must be an array of at most 50 {name} objects", v);
        return;
    }
    keep = json_array();
    json_array_foreach(v, i, e) {
        const char *name = json_is_string(e) ? json_string_value(e)
                                             : json_string_value(json_object_get(e, "name"));
        if (!name || !name[0] || kv__cp_utf8_chars(name) > KV_CP_NAME_MAX ||
            strlen(name) != json_string_length(json_is_string(e) ? e
                                                                  : json_object_get(e, "name"))) {
            snprintf(f, sizeof(f), "recommendedAttributes[%zu]", i);
            kv__cp_fe(fes, RES, f, "INVALID",
                      "must be {\"name\": a non-empty string of at most 256 characters}", e);
            continue;
        }
        json_array_append_new(keep, json_pack("{s:s}", "name", name));
    }
    p->recommended = kv__cp_json_text(keep);
    json_decref(keep);
}

/* translations: NgDP's [{postkasseId, postkasseEmneId}] (longs >= 0; postkasseId required),
 * at most TRANSLATIONS_MAX. */
static void read_translations(const json_t *in, struct point_in *p, json_t *fes)
{
    json_t *v = json_object_get(in, "translations"), *e, *keep;
    char f[48];
    size_t i;

    if (!v || json_is_null(v))
        return;
    if (!json_is_array(v) || json_array_size(v) > TRANSLATIONS_MAX) {
        kv__cp_fe(fes, RES, "translations", "INVALID",
                  "must be an array of at most 100 {postkasseId, postkasseEmneId} objects", v);
        return;
    }
    keep = json_array();
    json_array_foreach(v, i, e) {
        json_t *pk = json_object_get(e, "postkasseId"), *em = json_object_get(e, "postkasseEmneId");
        json_t *t;
        if (!json_is_integer(pk) || json_integer_value(pk) < 0 ||
            (em && !json_is_null(em) && (!json_is_integer(em) || json_integer_value(em) < 0))) {
            snprintf(f, sizeof(f), "translations[%zu]", i);
            kv__cp_fe(fes, RES, f, "INVALID",
                      "must be {\"postkasseId\": a whole number >= 0, \"postkasseEmneId\": "
                      "a whole number >= 0 or absent}",
                      e);
            continue;
        }
        t = json_pack("{s:O}", "postkasseId", pk);
        if (json_is_integer(em))
            json_object_set(t, "postkasseEmneId", em);
        json_array_append_new(keep, t);
    }
    p->translations = kv__cp_json_text(keep);
    json_decref(keep);
}

static const char *const AUDIENCES[] = {"citizen", "company", "authority"};

static void field(char *buf, size_t n, const char *arr, size_t i, const char *member)
{
    if (member)
        snprintf(buf, n, "%s[%zu].%s", arr, i, member);
    else
        snprintf(buf, n, "%s[%zu]", arr, i);
}

/* Checks a string member of an array element; returns it or NULL (fieldError added). */
static const char *elem_text(const json_t *e, const char *arr, size_t i, const char *member,
                             size_t max, int required, json_t *fes)
{
    json_t *v = json_object_get(e, member);
    char f[64], msg[80];

    field(f, sizeof(f), arr, i, member);
    if (!v || json_is_null(v)) {
        if (required)
            kv__cp_fe(fes, RES, f, "REQUIRED", "must be given", NULL);
        return NULL;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        kv__cp_utf8_chars(json_string_value(v)) > max ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(msg, sizeof(msg), "must be a non-empty string of at most %zu characters", max);
        kv__cp_fe(fes, RES, f, "INVALID", msg, v);
        return NULL;
    }
    return json_string_value(v);
}

static void check_codes(const json_t *codes, json_t *fes)
{
    size_t i, k;
    json_t *e;
    char f[64];

    json_array_foreach(codes, i, e) {
        const char *type;
        if (!json_is_object(e)) {
            field(f, sizeof(f), "contactPointCodes", i, NULL);
            kv__cp_fe(fes, RES, f, "INVALID", "must be an object {type, code, codeVersion, name}",
                      e);
            continue;
        }
        type = elem_text(e, "contactPointCodes", i, "type", 16, 1, fes);
        if (type) {
            for (k = 0; CODE_TYPES[k] && strcmp(CODE_TYPES[k], type) != 0; k++)
                ;
            if (!CODE_TYPES[k]) {
                field(f, sizeof(f), "contactPointCodes", i, "type");
                kv__cp_fe(fes, RES, f, "INVALID", "must be CUSTOM, FORM, GLN, KLE or SOR",
                          json_object_get(e, "type"));
            }
        }
        elem_text(e, "contactPointCodes", i, "code", CODE_MAX, 1, fes);
        elem_text(e, "contactPointCodes", i, "codeVersion", CODE_VERSION_MAX, 0, fes);
        elem_text(e, "contactPointCodes", i, "name", KV_CP_NAME_MAX, 0, fes);
    }
}

/* Search terms: [{term}] (plain strings accepted too). */
static const char *term_of(const json_t *e)
{
    return json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "term"));
}

static void check_terms(const json_t *terms, json_t *fes)
{
    size_t i;
    json_t *e;
    char f[64];

    json_array_foreach(terms, i, e) {
        const char *t = term_of(e);
        if (!t || !t[0] || kv__cp_utf8_chars(t) > CODE_MAX) {
            field(f, sizeof(f), "searchTerms", i, NULL);
            kv__cp_fe(fes, RES, f, "INVALID",
                      "must be {\"term\": a non-empty string of at most 128 characters}", e);
        }
    }
}

/* Group references: ["id"] or [{id}]. */
static const char *group_of(const json_t *e)
{
    return json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "id"));
}

static int check_groups(struct kv_db *db, const char *org, const json_t *groups, json_t *fes,
                        struct kv_err *err)
{
    size_t i;
    json_t *e;
    char f[64];
    int rc;

    json_array_foreach(groups, i, e) {
        const char *g = group_of(e);
        json_t *found = NULL;
        field(f, sizeof(f), "contactGroups", i, NULL);
        if (!kv__cp_is_uuid(g)) {
            kv__cp_fe(fes, RES, f, "INVALID", "must be the id of a contact group", e);
            continue;
        }
        rc = kv_contact_group_get(db, org, g, &found, err);
        json_decref(found);
        if (rc == KV_ENOTFOUND)
            kv__cp_fe(fes, RES, f, "UNKNOWN_GROUP", "no such contact group in this organisation",
                      e);
        else if (rc < 0)
            return rc;
    }
    return 0;
}

static int check_system(struct kv_db *db, const char *org, const char *id, const json_t *v,
                        json_t *fes, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv__cp_row(db,
                        "SELECT 1 FROM systems WHERE id = lower(?) AND org_cvr = ? "
                        "AND kind = 'recipient'",
                        id, org, &s, err);

    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        kv__cp_fe(fes, RES, "systemId", "UNKNOWN_SYSTEM",
                  "must be a recipient system of this organisation", v);
    return 0;
}

/* An optional array member of at most max elements; fieldError otherwise. */
static const json_t *opt_array(const json_t *in, const char *name, size_t max, json_t *fes)
{
    json_t *v = json_object_get(in, name);
    char msg[64];

    if (!v || json_is_null(v))
        return NULL;
    if (json_is_array(v) && json_array_size(v) <= max)
        return v;
    snprintf(msg, sizeof(msg), "must be an array of at most %zu elements", max);
    kv__cp_fe(fes, RES, name, "INVALID", msg, v);
    return NULL;
}

/* NgDP's Targets in the enum's order (numbers as the generated client writes them). */
static const char *const TARGETS[] = {"UNKNOWN", "CITIZEN", "COMPANY", "AUTHORITY"};

/* targets: who may write to the point, [CITIZEN|COMPANY|AUTHORITY] by name (any case) or by
 * the enum's number (1, 2, 3: what NgDP's generated client sends); UNKNOWN / 0 is ignored. */
static void read_targets(const json_t *targets, int vis[3], json_t *fes)
{
    size_t i;
    json_t *e;
    char f[32];

    vis[0] = vis[1] = vis[2] = 0;
    if (!json_is_array(targets) || json_array_size(targets) > 8) {
        kv__cp_fe(fes, RES, "targets", "INVALID",
                  "must be an array of CITIZEN, COMPANY, AUTHORITY", targets);
        return;
    }
    json_array_foreach(targets, i, e) {
        int t = -1, k;
        if (json_is_integer(e) && json_integer_value(e) >= 0 && json_integer_value(e) <= 3)
            t = (int)json_integer_value(e);
        for (k = 0; json_is_string(e) && k < 4; k++)
            if (strcasecmp(json_string_value(e), TARGETS[k]) == 0)
                t = k;
        if (t < 0) {
            snprintf(f, sizeof(f), "targets[%zu]", i);
            kv__cp_fe(fes, RES, f, "INVALID", "must be CITIZEN, COMPANY or AUTHORITY (1, 2, 3)",
                      e);
        } else if (t > 0) {
            vis[t - 1] = 1;
        }
    }
}

/* memoSizeThresholdMB: 1..100, default 10. NgDP types it float and its generated client sends
 * 0 when the caller left it unset, so 0 means the default; a fraction is refused. */
static void mb_threshold(const json_t *in, json_t *fes, int64_t *out)
{
    json_t *v = json_object_get(in, "memoSizeThresholdMB");
    double d;

    *out = 10;
    if (!v || json_is_null(v) || (json_is_number(v) && json_number_value(v) == 0))
        return;
    d = json_is_number(v) ? json_number_value(v) : -1;
    if (d >= 1 && d <= KV_CP_MB_MAX && d == (double)(int64_t)d) {
        *out = (int64_t)d;
        return;
    }
    kv__cp_fe(fes, RES, "memoSizeThresholdMB", "INVALID",
              "must be a whole number of megabytes between 1 and 100", v);
}

/* The legal frame of the size limit [NGI S27]: letters from citizens 10 MB, which an
 * authority may raise to 60 MB; from companies 10 MB, raisable to 40 MB. One limit applies to
 * every writer of the point, so it may not exceed the bound of any audience that may write to
 * it (both citizens and companies: 40 MB); a point only authorities write to keeps the hub's
 * 1..100. */
static void legal_size(const json_t *in, const struct point_in *p, json_t *fes)
{
    int64_t bound = p->vis[1] ? KV_CP_MB_COMPANY_MAX : p->vis[0] ? KV_CP_MB_CITIZEN_MAX : 0;
    char msg[160];

    if (!bound || p->mb <= bound)
        return;
    snprintf(msg, sizeof(msg),
             p->vis[1] ? "must be at most %lld MB when companies may write to the point"
                       : "must be at most %lld MB when citizens may write to the point",
             (long long)bound);
    kv__cp_fe(fes, RES, "memoSizeThresholdMB", "ABOVE_LEGAL_LIMIT", msg,
              json_object_get(in, "memoSizeThresholdMB"));
}

static int validate(struct kv_db *db, const char *org, const json_t *in, struct point_in *p,
                    json_t **field_errors, struct kv_err *err)
{
    json_t *fes = json_array(), *vis, *targets;
    int i, rc = 0;

    memset(p, 0, sizeof(*p));
    if (!json_is_object(in)) {
        kv__cp_fe(fes, RES, "", "INVALID", "the body must be a JSON object", NULL);
        goto done;
    }
    kv__cp_text(in, "name", KV_CP_NAME_MAX, 1, fes, RES, &p->name);
    kv__cp_text(in, "description", KV_CP_TEXT_MAX, 0, fes, RES, &p->description);
    kv__cp_text(in, "internalDescription", KV_CP_TEXT_MAX, 0, fes, RES, &p->internal);
    kv__cp_text(in, "systemId", 36, 1, fes, RES, &p->system_id);
    mb_threshold(in, fes, &p->mb);
    kv__cp_int(in, "allowedNumberOfAttachments", 10, 0, KV_CP_ATTACH_MAX, fes, RES,
               &p->attachments);
    kv__cp_bool(in, "active", 1, fes, RES, &p->active);
    kv__cp_bool(in, "visible", 1, fes, RES, &p->visible);
    for (i = 0; i < 3; i++)
        p->vis[i] = 1;
    targets = json_object_get(in, "targets");
    vis = json_object_get(in, "visibility");
    if (targets && !json_is_null(targets)) {
        read_targets(targets, p->vis, fes);
    } else if (vis && !json_is_null(vis)) {
        if (!json_is_object(vis)) {
            kv__cp_fe(fes, RES, "visibility", "INVALID",
                      "must be an object {citizen, company, authority} of booleans", vis);
        } else {
            for (i = 0; i < 3; i++) {
                char f[32];
                snprintf(f, sizeof(f), "visibility.%s", AUDIENCES[i]);
                json_t *v = json_object_get(vis, AUDIENCES[i]);
                if (!v || json_is_null(v))
                    continue;
                if (json_is_boolean(v))
                    p->vis[i] = json_is_true(v);
                else
                    kv__cp_fe(fes, RES, f, "INVALID", "must be true or false", v);
            }
        }
    }
    legal_size(in, p, fes);
    p->codes = opt_array(in, "contactPointCodes", KV_CP_CODES_MAX, fes);
    p->terms = opt_array(in, "searchTerms", KV_CP_TERMS_MAX, fes);
    p->groups = opt_array(in, "contactGroups", KV_CP_GROUPS_MAX, fes);
    read_report_link(in, p, fes);
    read_attributes(in, p, fes);
    read_translations(in, p, fes);
    if (p->codes)
        check_codes(p->codes, fes);
    if (p->terms)
        check_terms(p->terms, fes);
    if (p->groups)
        rc = check_groups(db, org, p->groups, fes, err);
    if (rc == 0 && p->system_id)
        rc = check_system(db, org, p->system_id, json_object_get(in, "systemId"), fes, err);
    if (rc < 0) {
        json_decref(fes);
        point_in_free(p);
        return rc;
    }
done:
    if (json_array_size(fes) == 0) {
        json_decref(fes);
        return 0;
    }
    point_in_free(p);
    *field_errors = fes;
    return kv_err_set(err, KV_EINVAL, "invalid contact point");
}

static int exec1(struct kv_db *db, const char *sql, const char *a, const char *b, const char *c,
                 const char *d, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    kv__cp_bind_opt(s, 1, a);
    if (b || c || d)
        kv__cp_bind_opt(s, 2, b);
    if (c || d)
        kv__cp_bind_opt(s, 3, c);
    if (d)
        kv__cp_bind_opt(s, 4, d);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Replaces the codes, terms and group links of point id. */
static int write_children(struct kv_db *db, const char *id, const struct point_in *p,
                          struct kv_err *err)
{
    size_t i;
    json_t *e;
    int rc;

    rc = exec1(db, "DELETE FROM contact_point_codes WHERE point_id = ?", id, NULL, NULL, NULL, err);
    if (rc == 0)
        rc = exec1(db, "DELETE FROM contact_point_terms WHERE point_id = ?", id, NULL, NULL, NULL,
                   err);
    if (rc == 0)
        rc = exec1(db, "DELETE FROM contact_point_groups WHERE point_id = ?", id, NULL, NULL,
                   NULL, err);
    json_array_foreach(p->codes, i, e) {
        struct kv_stmt *s = NULL;
        if (rc < 0)
            break;
        rc = kv_db_prepare(db,
                           "INSERT INTO contact_point_codes (point_id, type, code, code_version, "
                           "name) VALUES (?, ?, ?, ?, ?)",
                           &s, err);
        if (rc < 0)
            break;
        kv_stmt_bind_text(s, 1, id, -1);
        kv_stmt_bind_text(s, 2, json_string_value(json_object_get(e, "type")), -1);
        kv_stmt_bind_text(s, 3, json_string_value(json_object_get(e, "code")), -1);
        kv__cp_bind_opt(s, 4, json_string_value(json_object_get(e, "codeVersion")));
        kv__cp_bind_opt(s, 5, json_string_value(json_object_get(e, "name")));
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
    }
    json_array_foreach(p->terms, i, e) {
        if (rc < 0)
            break;
        rc = exec1(db, "INSERT INTO contact_point_terms (point_id, term) VALUES (?, ?)", id,
                   term_of(e), NULL, NULL, err);
    }
    json_array_foreach(p->groups, i, e) {
        if (rc < 0)
            break;
        rc = exec1(db,
                   "INSERT INTO contact_point_groups (point_id, group_id) "
                   "VALUES (?, lower(?)) ON CONFLICT DO NOTHING",
                   id, group_of(e), NULL, NULL, err);
    }
    return rc < 0 ? rc : 0;
}

int kv__cp_add_children(struct kv_db *db, const char *id, json_t *o, int with_groups,
                        struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    json_t *codes = json_array(), *terms = json_array(), *groups = json_array();
    int rc;

    json_object_set_new(o, "contactPointCodes", codes);
    json_object_set_new(o, "searchTerms", terms);
    if (with_groups)
        json_object_set_new(o, "contactGroups", groups);
    else
        json_decref(groups);
    rc = kv_db_prepare(db,
                       "SELECT type, code, code_version, name FROM contact_point_codes "
                       "WHERE point_id = ? ORDER BY rowid",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        json_t *c = json_object();
        kv__cp_set_text(c, "type", kv_stmt_col_text(s, 0));
        kv__cp_set_text(c, "code", kv_stmt_col_text(s, 1));
        kv__cp_set_text(c, "codeVersion", kv_stmt_col_text(s, 2));
        kv__cp_set_text(c, "name", kv_stmt_col_text(s, 3));
        json_array_append_new(codes, c);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, "SELECT term FROM contact_point_terms WHERE point_id = ? ORDER BY rowid",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        json_array_append_new(terms, json_pack("{s:s}", "term", kv_stmt_col_text(s, 0)));
    kv_stmt_done(s);
    if (rc < 0 || !with_groups)
        return rc < 0 ? rc : 0;
    rc = kv_db_prepare(db,
                       "SELECT pg.group_id, g.name FROM contact_point_groups pg "
                       "LEFT JOIN contact_groups g ON g.id = pg.group_id WHERE pg.point_id = ? "
                       "ORDER BY pg.group_id",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, id, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        json_t *g = json_object(); /* NgDP's ContactGroup, by id and name */
        kv__cp_set_text(g, "id", kv_stmt_col_text(s, 0));
        kv__cp_set_text(g, "name", kv_stmt_col_text(s, 1));
        json_array_append_new(groups, g);
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

#define POINT_COLS                                                                                 \
    "p.id, p.org_cvr, p.name, p.description, p.internal_description, p.system_id, p.active, "    \
    "p.visible_citizen, p.visible_company, p.visible_authority, p.memo_size_threshold_mb, "      \
    "p.allowed_number_of_attachments, p.version, p.visible, p.created_ms, p.updated_ms, o.uuid, " \
    "p.report_link, p.recommended_attributes, p.translations "                                   \
    "FROM contact_points p JOIN orgs o ON o.cvr = p.org_cvr "

/* NgDP 1.68's ContactPoint (absent values left out); targets as the enum's numbers, which is
 * what the generated client reads (see docs/openapi.yaml), the same by name in kuvert's
 * visibility {citizen, company, authority}, and kuvert's organisationCvr. */
static json_t *row_json(struct kv_stmt *s)
{
    json_t *o = json_object(), *t = json_array();
    int i;

    kv__cp_set_text(o, "id", kv_stmt_col_text(s, 0));
    json_object_set_new(o, "version", json_integer(kv_stmt_col_int64(s, 12)));
    kv__cp_set_time(o, "createdDate", kv_stmt_col_int64(s, 14));
    kv__cp_set_time(o, "lastUpdated", kv_stmt_col_int64(s, 15));
    kv__cp_set_text(o, "name", kv_stmt_col_text(s, 2));
    kv__cp_set_text(o, "description", kv_stmt_col_text(s, 3));
    kv__cp_set_text(o, "internalDescription", kv_stmt_col_text(s, 4));
    for (i = 0; i < 3; i++) {
        if (kv_stmt_col_int64(s, 7 + i))
            json_array_append_new(t, json_integer(i + 1));
    }
    json_object_set_new(o, "targets", t);
    json_object_set_new(o, "memoSizeThresholdMB", json_integer(kv_stmt_col_int64(s, 10)));
    json_object_set_new(o, "allowedNumberOfAttachments", json_integer(kv_stmt_col_int64(s, 11)));
    json_object_set_new(o, "active", json_boolean(kv_stmt_col_int64(s, 6)));
    json_object_set_new(o, "visible", json_boolean(kv_stmt_col_int64(s, 13)));
    kv__cp_set_json(o, "reportLink", kv_stmt_col_text(s, 17));
    kv__cp_set_json(o, "recommendedAttributes", kv_stmt_col_text(s, 18));
    kv__cp_set_json(o, "translations", kv_stmt_col_text(s, 19));
    kv__cp_set_text(o, "organisationId", kv_stmt_col_text(s, 16));
    kv__cp_set_text(o, "systemId", kv_stmt_col_text(s, 5));
    json_object_set_new(o, "visibility",
                        json_pack("{s:b,s:b,s:b}", "citizen", (int)kv_stmt_col_int64(s, 7),
                                  "company", (int)kv_stmt_col_int64(s, 8), "authority",
                                  (int)kv_stmt_col_int64(s, 9)));
    kv__cp_set_text(o, "organisationCvr", kv_stmt_col_text(s, 1));
    return o;
}

int kv_contact_point_get(struct kv_db *db, const char *org, const char *id, json_t **out,
                         struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    json_t *o = NULL;
    int rc;

    *out = NULL;
    rc = kv__cp_row(db, "SELECT " POINT_COLS "WHERE p.id = lower(?) AND p.org_cvr = ?", id,
                    org, &s, err);
    if (rc == KV_ROW)
        o = row_json(s);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (!o)
        return kv_err_set(err, KV_ENOTFOUND, "no such contact point");
    rc = kv__cp_add_children(db, json_string_value(json_object_get(o, "id")), o, 1, err);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* The points of org (all of them), or with all set every organisation's: org's in full and
 * the active, visible points of the others without internalDescription and systemId. */
static int list_points(struct kv_db *db, const char *org, int all, json_t **out,
                       struct kv_err *err)
{
    static const char sql[] = "SELECT " POINT_COLS "WHERE p.org_cvr = ? ORDER BY p.name, p.id";
    static const char sql_all[] = "SELECT " POINT_COLS "WHERE p.org_cvr = ? OR "
                                  "(p.active = 1 AND p.visible = 1) ORDER BY p.name, p.id";
    struct kv_stmt *s = NULL;
    json_t *arr = json_array(), *o;
    size_t i;
    int rc;

    *out = NULL;
    rc = kv_db_prepare(db, all ? sql_all : sql, &s, err);
    if (rc < 0)
        goto fail;
    kv_stmt_bind_text(s, 1, org ? org : "", -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        o = row_json(s);
        if (!org || strcmp(kv_stmt_col_text(s, 1), org) != 0) {
            json_object_del(o, "internalDescription");
            json_object_del(o, "systemId"); /* the non-secret half of a system's token */
        }
        json_array_append_new(arr, o);
    }
    kv_stmt_done(s);
    if (rc < 0)
        goto fail;
    json_array_foreach(arr, i, o) {
        rc = kv__cp_add_children(db, json_string_value(json_object_get(o, "id")), o, 1, err);
        if (rc < 0)
            goto fail;
    }
    *out = arr;
    return 0;
fail:
    json_decref(arr);
    return rc;
}

int kv_contact_points_list(struct kv_db *db, const char *org, json_t **out, struct kv_err *err)
{
    return list_points(db, org, 0, out, err);
}

int kv_contact_points_list_all(struct kv_db *db, const char *viewer_org, json_t **out,
                               struct kv_err *err)
{
    return list_points(db, viewer_org, 1, out, err);
}

static void bind_point(struct kv_stmt *s, const struct point_in *p)
{
    /* parameters 1..11 in the order of the INSERT / UPDATE below */
    kv_stmt_bind_text(s, 1, p->name, -1);
    kv__cp_bind_opt(s, 2, p->description);
    kv__cp_bind_opt(s, 3, p->internal);
    kv_stmt_bind_text(s, 4, p->system_id, -1);
    kv_stmt_bind_int64(s, 5, p->active);
    kv_stmt_bind_int64(s, 6, p->vis[0]);
    kv_stmt_bind_int64(s, 7, p->vis[1]);
    kv_stmt_bind_int64(s, 8, p->vis[2]);
    kv_stmt_bind_int64(s, 9, p->mb);
    kv_stmt_bind_int64(s, 10, p->attachments);
    kv_stmt_bind_int64(s, 11, kv_clock_now_ms());
    kv_stmt_bind_int64(s, 12, p->visible);
    kv__cp_bind_opt(s, 13, p->report_link);
    kv__cp_bind_opt(s, 14, p->recommended);
    kv__cp_bind_opt(s, 15, p->translations);
}

/* The create's (create = 1: under the organisation's lock, kv__cp_lock) or the update's
 * (create = 0: kv__cp_change_check of the expected version) transaction: validate, write the
 * row, its children and the event. */
static int point_write(struct kv_db *db, struct kv__cp_change *c, int create, struct kv_err *err)
{
    struct point_in p;
    struct kv_stmt *s = NULL;
    int rc;

    memset(&p, 0, sizeof(p));
    json_decref(*c->field_errors);
    *c->field_errors = NULL;
    rc = create ? kv__cp_lock(db, c->org, err)
                : kv__cp_change_check(db, 1, c->org, c->id, c->expect, c->out_stale, err);
    if (rc == 0)
        rc = validate(db, c->org, c->in, &p, c->field_errors, err);
    if (rc == 0 && create)
        rc = kv_db_prepare(db,
                           "INSERT INTO contact_points (name, description, "
                           "internal_description, system_id, active, visible_citizen, "
                           "visible_company, visible_authority, memo_size_threshold_mb, "
                           "allowed_number_of_attachments, updated_ms, visible, report_link, "
                           "recommended_attributes, translations, id, org_cvr, created_ms, "
                           "version) "
                           "VALUES (?, ?, ?, lower(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                           "1)",
                           &s, err);
    else if (rc == 0)
        rc = kv_db_prepare(db,
                           "UPDATE contact_points SET name = ?, description = ?, "
                           "internal_description = ?, system_id = lower(?), active = ?, "
                           "visible_citizen = ?, visible_company = ?, visible_authority = ?, "
                           "memo_size_threshold_mb = ?, allowed_number_of_attachments = ?, "
                           "updated_ms = ?, visible = ?, report_link = ?, "
                           "recommended_attributes = ?, translations = ?, version = version + 1 "
                           "WHERE id = lower(?) AND org_cvr = ?",
                           &s, err);
    if (rc == 0) {
        bind_point(s, &p);
        kv_stmt_bind_text(s, 16, c->id, -1);
        kv_stmt_bind_text(s, 17, c->org, -1);
        if (create)
            kv_stmt_bind_int64(s, 18, kv_clock_now_ms());
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
    }
    if (rc == 0)
        rc = write_children(db, c->id, &p, err);
    point_in_free(&p);
    if (rc == 0)
        rc = kv__cp_event(db, 1, create ? "CREATED" : "UPDATED", c->org, c->actor, c->id, err);
    return rc;
}

/* kv_db_run's functions of the create and the update. */
static int point_create_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    return point_write(db, arg, 1, err);
}

static int point_update_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    return point_write(db, arg, 0, err);
}

int kv_contact_point_create(struct kv_db *db, const char *org, const char *actor,
                            const json_t *in, json_t **out, json_t **field_errors,
                            struct kv_err *err)
{
    struct kv__cp_change c = {org, actor, NULL, 0, in, field_errors, NULL};
    char id[37];
    int rc;

    *out = NULL;
    rc = kv__cp_create(db, &c, id, point_create_tx, err);
    if (rc < 0)
        return rc;
    return kv_contact_point_get(db, org, id, out, err);
}

int kv_contact_point_update(struct kv_db *db, const char *org, const char *actor,
                            const char *id, int64_t expect_version, const json_t *in,
                            json_t **out, json_t **field_errors, int *out_stale,
                            struct kv_err *err)
{
    struct kv__cp_change c = {org, actor, NULL, expect_version, in, field_errors, out_stale};
    char lid[37];
    int rc;

    *out = NULL;
    *field_errors = NULL;
    snprintf(lid, sizeof(lid), "%s", id);
    for (char *p = lid; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    c.id = lid;
    rc = kv_db_run(db, 1, point_update_tx, &c, err);
    if (rc < 0)
        return rc;
    return kv_contact_point_get(db, org, lid, out, err);
}

static int point_delete_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct kv__cp_change *c = arg;
    int rc = kv__cp_change_check(db, 1, c->org, c->id, c->expect, c->out_stale, err);

    return rc < 0 ? rc : kv__cp_delete(db, 1, c->org, c->actor, c->id, err);
}

int kv_contact_point_delete(struct kv_db *db, const char *org, const char *actor,
                            const char *id, int64_t expect_version, int *out_stale,
                            struct kv_err *err)
{
    struct kv__cp_change c = {org, actor, id, expect_version, NULL, NULL, out_stale};

    return kv_db_run(db, 1, point_delete_tx, &c, err);
}

/* SPDX-License-Identifier: MIT
 *
 * contact_groups.c: contact groups of an organisation's contact structure (a tree through
 * `parent`), their CRUD with versioning, and the validation helpers shared with
 * contact_points.c (contact_int.h). See contact_points.h.
 */
#include "hub/contact_points.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub/contact_int.h"
#include "hub/events.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"

#define RES "ContactGroup"
#define TREE_DEPTH_MAX 64 /* deepest group tree accepted (guards the cycle walk) */

/* ---- shared helpers (contact_int.h) ---- */

void kv__cp_fe(json_t *fes, const char *resource, const char *field, const char *code,
               const char *message, const json_t *rejected)
{
    json_t *e = json_object();

    json_object_set_new(e, "resource", json_string(resource));
    json_object_set_new(e, "field", json_string(field));
    json_object_set_new(e, "code", json_string(code));
    json_object_set_new(e, "message", json_string(message));
    json_object_set_new(e, "rejectedValue", rejected ? json_deep_copy(rejected) : json_null());
    json_array_append_new(fes, e);
}

size_t kv__cp_utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

void kv__cp_text(const json_t *in, const char *name, size_t max_chars, int required,
                 json_t *fes, const char *resource, const char **out)
{
    json_t *v = json_object_get(in, name);
    char msg[96];

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            kv__cp_fe(fes, resource, name, "REQUIRED", "must be given", NULL);
        return;
    }
    snprintf(msg, sizeof(msg), "must be a string of at most %zu characters", max_chars);
    if (!json_is_string(v) || kv__cp_utf8_chars(json_string_value(v)) > max_chars ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        kv__cp_fe(fes, resource, name, "INVALID", msg, v);
        return;
    }
    if (required && blank(json_string_value(v))) {
        kv__cp_fe(fes, resource, name, "REQUIRED", "must not be empty", v);
        return;
    }
    *out = json_string_value(v);
}

void kv__cp_int(const json_t *in, const char *name, int64_t def, int64_t min, int64_t max,
                json_t *fes, const char *resource, int64_t *out)
{
    json_t *v = json_object_get(in, name);
    char msg[96];

    *out = def;
    if (!v || json_is_null(v))
        return;
    if (json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max) {
        *out = json_integer_value(v);
        return;
    }
    snprintf(msg, sizeof(msg), "must be an integer between %lld and %lld", (long long)min,
             (long long)max);
    kv__cp_fe(fes, resource, name, "INVALID", msg, v);
}

void kv__cp_bool(const json_t *in, const char *name, int def, json_t *fes,
                 const char *resource, int *out)
{
    json_t *v = json_object_get(in, name);

    *out = def;
    if (!v || json_is_null(v))
        return;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return;
    }
    kv__cp_fe(fes, resource, name, "INVALID", "must be true or false", v);
}

void kv__cp_set_text(json_t *o, const char *key, const char *text)
{
    json_t *v = text ? json_string(text) : NULL;

    if (v)
        json_object_set_new(o, key, v);
}

void kv__cp_set_time(json_t *o, const char *key, int64_t ms)
{
    char ts[32];

    if (ms <= 0)
        return;
    kv_clock_format_utc(ms, ts, sizeof(ts));
    json_object_set_new(o, key, json_string(ts));
}

json_t *kv__cp_org_json(const char *uuid, const char *cvr, const char *name, int64_t created_ms)
{
    json_t *o = json_object();

    kv__cp_set_text(o, "id", uuid);
    kv__cp_set_text(o, "cvrNumber", cvr);
    kv__cp_set_text(o, "name", name);
    json_object_set_new(o, "type", json_string("AUTHORITY"));
    kv__cp_set_time(o, "createdDate", created_ms);
    return o;
}

void kv__cp_bind_opt(struct kv_stmt *s, int idx, const char *v)
{
    if (v && v[0])
        kv_stmt_bind_text(s, idx, v, -1);
    else
        kv_stmt_bind_null(s, idx);
}

char *kv__cp_json_text(const json_t *v)
{
    if (!v || (json_is_array(v) && json_array_size(v) == 0))
        return NULL;
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

void kv__cp_set_json(json_t *o, const char *key, const char *text)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

    if (v)
        json_object_set_new(o, key, v);
}

int kv__cp_row(struct kv_db *db, const char *sql, const char *id, const char *org,
               struct kv_stmt **out, struct kv_err *err)
{
    int rc;

    *out = NULL;
    rc = kv_db_prepare(db, sql, out, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(*out, 1, id, -1);
    kv_stmt_bind_text(*out, 2, org, -1);
    return kv_stmt_step(*out, err);
}

int kv__cp_is_uuid(const char *s)
{
    size_t i;

    if (!s || strlen(s) != 36)
        return 0;
    for (i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

/* ---- groups ---- */

#define GROUP_COLS                                                                                 \
    "g.id, g.org_cvr, g.name, g.description, g.organisational_unit, g.parent_id, g.version, "    \
    "g.org_unit, g.created_ms, g.updated_ms, o.uuid, o.name, o.created_ms, p.name, "             \
    "g.postkasse_ids "                                                                           \
    "FROM contact_groups g JOIN orgs o ON o.cvr = g.org_cvr "                                    \
    "LEFT JOIN contact_groups p ON p.id = g.parent_id "

/* NgDP 1.68's ContactGroup: {id, version, createdDate, lastUpdated, name, description,
 * organisationalUnit (bool), organisation (Organisation), parent ({id, name}), postkasseIds}
 * and kuvert's organisationalUnitName (the unit's name, when one was given). */
static json_t *row_json(struct kv_stmt *s)
{
    json_t *o = json_object();

    kv__cp_set_text(o, "id", kv_stmt_col_text(s, 0));
    json_object_set_new(o, "version", json_integer(kv_stmt_col_int64(s, 6)));
    kv__cp_set_time(o, "createdDate", kv_stmt_col_int64(s, 8));
    kv__cp_set_time(o, "lastUpdated", kv_stmt_col_int64(s, 9));
    kv__cp_set_text(o, "name", kv_stmt_col_text(s, 2));
    kv__cp_set_text(o, "description", kv_stmt_col_text(s, 3));
    json_object_set_new(o, "organisationalUnit", json_boolean(kv_stmt_col_int64(s, 7)));
    json_object_set_new(o, "organisation",
                        kv__cp_org_json(kv_stmt_col_text(s, 10), kv_stmt_col_text(s, 1),
                                        kv_stmt_col_text(s, 11), kv_stmt_col_int64(s, 12)));
    if (kv_stmt_col_text(s, 5)) {
        json_t *p = json_object();
        kv__cp_set_text(p, "id", kv_stmt_col_text(s, 5));
        kv__cp_set_text(p, "name", kv_stmt_col_text(s, 13));
        json_object_set_new(o, "parent", p);
    }
    kv__cp_set_json(o, "postkasseIds", kv_stmt_col_text(s, 14));
    kv__cp_set_text(o, "organisationalUnitName", kv_stmt_col_text(s, 4));
    return o;
}

int kv_contact_group_get(struct kv_db *db, const char *org, const char *id, json_t **out,
                         struct kv_err *err)
{
    static const char sql[] = "SELECT " GROUP_COLS "WHERE g.id = lower(?) AND g.org_cvr = ?";
    struct kv_stmt *s = NULL;
    int rc;

    *out = NULL;
    rc = kv__cp_row(db, sql, id, org, &s, err);
    if (rc == KV_ROW)
        *out = row_json(s);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return *out ? 0 : kv_err_set(err, KV_ENOTFOUND, "no such contact group");
}

int kv_contact_groups_list(struct kv_db *db, const char *org, json_t **out, struct kv_err *err)
{
    static const char sql[] = "SELECT " GROUP_COLS "WHERE g.org_cvr = ? ORDER BY g.name, g.id";
    static const char sql_all[] = "SELECT " GROUP_COLS "ORDER BY g.name, g.id";
    struct kv_stmt *s = NULL;
    json_t *arr;
    int rc;

    *out = NULL;
    rc = kv_db_prepare(db, org ? sql : sql_all, &s, err);
    if (rc < 0)
        return rc;
    if (org)
        kv_stmt_bind_text(s, 1, org, -1);
    arr = json_array();
    while ((rc = kv_stmt_step(s, err)) == KV_ROW)
        json_array_append_new(arr, row_json(s));
    kv_stmt_done(s);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* Parent of group id in org into parent (37 bytes, "" = top); KV_ENOTFOUND when no group. */
static int parent_of(struct kv_db *db, const char *org, const char *id, char parent[37],
                     struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv__cp_row(db,
                        "SELECT COALESCE(parent_id, '') FROM contact_groups "
                        "WHERE id = lower(?) AND org_cvr = ?",
                        id, org, &s, err);
    if (rc == KV_ROW)
        snprintf(parent, 37, "%s", kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return rc == KV_ROW ? 0 : KV_ENOTFOUND;
}

/* A validated input; strings are borrowed from the input object. */
struct group_in {
    const char *name;        /* required */
    const char *description; /* or NULL */
    const char *unit;        /* organisationalUnitName (or a string organisationalUnit), or NULL */
    int org_unit;            /* organisationalUnit: 1 when the group is an organisational unit */
    const char *parent;      /* parent group id, or NULL for the top */
    char *postkasse;         /* postkasseIds as JSON text to store (owned), or NULL */
};

#define POSTKASSE_IDS_MAX 100

/* postkasseIds: NgDP's ICollection<long>, DP/DP2 mailbox numbers (>= 0), at most
 * POSTKASSE_IDS_MAX, repeats dropped; into g->postkasse. */
static void read_postkasse(const json_t *in, struct group_in *g, json_t *fes)
{
    json_t *v = json_object_get(in, "postkasseIds"), *e, *keep;
    size_t i, k;

    if (!v || json_is_null(v))
        return;
    if (!json_is_array(v) || json_array_size(v) > POSTKASSE_IDS_MAX) {
        kv__cp_fe(fes, RES, "postkasseIds", "INVALID",
                  "must be an array of at most 100 postkasse numbers", v);
        return;
    }
    keep = json_array();
    json_array_foreach(v, i, e) {
        int dup = 0;
        if (!json_is_integer(e) || json_integer_value(e) < 0) {
            char f[40];
            snprintf(f, sizeof(f), "postkasseIds[%zu]", i);
            kv__cp_fe(fes, RES, f, "INVALID", "must be a whole number >= 0", e);
            continue;
        }
        for (k = 0; k < json_array_size(keep) && !dup; k++)
            dup = json_integer_value(json_array_get(keep, k)) == json_integer_value(e);
        if (!dup)
            json_array_append(keep, e);
    }
    g->postkasse = kv__cp_json_text(keep);
    json_decref(keep);
}

/* Validates in; self is the group being updated (NULL on create) for the cycle check. */
static int validate(struct kv_db *db, const char *org, const char *self, const json_t *in,
                    struct group_in *g, json_t **field_errors, struct kv_err *err)
{
    json_t *fes = json_array();
    char cur[37];
    int depth, rc = 0;

    memset(g, 0, sizeof(*g));
    if (!json_is_object(in)) {
        kv__cp_fe(fes, RES, "", "INVALID", "the body must be a JSON object", NULL);
        goto done;
    }
    kv__cp_text(in, "name", KV_CP_NAME_MAX, 1, fes, RES, &g->name);
    kv__cp_text(in, "description", KV_CP_TEXT_MAX, 0, fes, RES, &g->description);
    /* organisationalUnit is NgDP's boolean; kuvert took a unit name there before, which is
     * still accepted (a named unit is a unit), as is organisationalUnitName */
    if (json_is_string(json_object_get(in, "organisationalUnit"))) {
        kv__cp_text(in, "organisationalUnit", KV_CP_NAME_MAX, 0, fes, RES, &g->unit);
        g->org_unit = g->unit && g->unit[0];
    } else {
        kv__cp_bool(in, "organisationalUnit", 0, fes, RES, &g->org_unit);
        kv__cp_text(in, "organisationalUnitName", KV_CP_NAME_MAX, 0, fes, RES, &g->unit);
    }
    read_postkasse(in, g, fes);
    kv__cp_text(in, "parent", 36, 0, fes, RES, &g->parent);
    if (g->parent) {
        if (!kv__cp_is_uuid(g->parent)) {
            kv__cp_fe(fes, RES, "parent", "INVALID", "must be the id of a contact group",
                      json_object_get(in, "parent"));
        } else {
            snprintf(cur, sizeof(cur), "%s", g->parent);
            for (depth = 0; cur[0]; depth++) {
                if ((self && strcasecmp(cur, self) == 0) || depth > TREE_DEPTH_MAX) {
                    kv__cp_fe(fes, RES, "parent", "CYCLE",
                              "a group cannot be its own ancestor",
                              json_object_get(in, "parent"));
                    break;
                }
                rc = parent_of(db, org, cur, cur, err);
                if (rc == KV_ENOTFOUND) {
                    if (depth == 0)
                        kv__cp_fe(fes, RES, "parent", "UNKNOWN_GROUP",
                                  "no such contact group in this organisation",
                                  json_object_get(in, "parent"));
                    rc = 0;
                    break;
                }
                if (rc < 0) {
                    json_decref(fes);
                    free(g->postkasse);
                    g->postkasse = NULL;
                    return rc;
                }
            }
        }
    }
done:
    if (json_array_size(fes) == 0) {
        json_decref(fes);
        return 0;
    }
    free(g->postkasse);
    g->postkasse = NULL;
    *field_errors = fes;
    return kv_err_set(err, KV_EINVAL, "invalid contact group");
}

int kv__cp_event(struct kv_db *db, int is_point, const char *action, const char *org,
                 const char *actor, const char *id, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_event ev;
    json_t *props = NULL;
    char *txt = NULL, subject[16];
    int rc = kv__cp_row(db,
                        is_point ? "SELECT id, name, version FROM contact_points "
                                   "WHERE id = lower(?) AND org_cvr = ?"
                                 : "SELECT id, name, version FROM contact_groups "
                                   "WHERE id = lower(?) AND org_cvr = ?",
                        id, org, &s, err);

    if (rc == KV_ROW)
        props = json_pack("{s:s,s:s,s:s,s:I}", "action", action,
                          is_point ? "contactPointId" : "contactGroupId", kv_stmt_col_text(s, 0),
                          "name", kv_stmt_col_text(s, 1), "version",
                          (json_int_t)kv_stmt_col_int64(s, 2));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        return kv_err_set(err, KV_ENOTFOUND, "no such %s", is_point ? "contact point"
                                                                     : "contact group");
    txt = props ? json_dumps(props, JSON_COMPACT) : NULL;
    json_decref(props);
    if (!txt)
        return kv_err_set(err, KV_EINTERNAL, "out of memory");
    snprintf(subject, sizeof(subject), "cvr:%s", org);
    memset(&ev, 0, sizeof(ev));
    ev.tag = is_point ? "CONTACT_POINT_CHANGED" : "CONTACT_GROUP_CHANGED";
    ev.actor = actor && actor[0] ? actor : "hub";
    ev.subject = subject;
    ev.props_json = txt;
    rc = kv_events_append(db, &ev, err);
    free(txt);
    return rc;
}

/* A group's change runs on a struct kv__cp_change (contact_int.h). The create's transaction: the parent is judged under the organisation's lock, so a
 * concurrent delete of it (which judges "no child groups" under the same lock) comes wholly
 * before or after. */
static int group_create_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct kv__cp_change *c = arg;
    struct group_in g;
    struct kv_stmt *s = NULL;
    int64_t now = kv_clock_now_ms();
    int rc;

    json_decref(*c->field_errors);
    *c->field_errors = NULL;
    rc = kv__cp_lock(db, c->org, err);
    if (rc == 0)
        rc = validate(db, c->org, NULL, c->in, &g, c->field_errors, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db,
                       "INSERT INTO contact_groups (id, org_cvr, parent_id, name, description, "
                       "organisational_unit, version, created_ms, updated_ms, org_unit, "
                       "postkasse_ids) VALUES (?, ?, lower(?), ?, ?, ?, 1, ?, ?, ?, ?)",
                       &s, err);
    if (rc < 0) {
        free(g.postkasse);
        return rc;
    }
    kv_stmt_bind_text(s, 1, c->id, -1);
    kv_stmt_bind_text(s, 2, c->org, -1);
    kv__cp_bind_opt(s, 3, g.parent);
    kv_stmt_bind_text(s, 4, g.name, -1);
    kv__cp_bind_opt(s, 5, g.description);
    kv__cp_bind_opt(s, 6, g.unit);
    kv_stmt_bind_int64(s, 7, now);
    kv_stmt_bind_int64(s, 8, now);
    kv_stmt_bind_int64(s, 9, g.org_unit);
    kv__cp_bind_opt(s, 10, g.postkasse);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    free(g.postkasse);
    if (rc == 0)
        rc = kv__cp_event(db, 0, "CREATED", c->org, c->actor, c->id, err);
    return rc;
}

int kv__cp_create(struct kv_db *db, struct kv__cp_change *c, char id[37],
                  int (*tx)(struct kv_db *db, void *arg, struct kv_err *err), struct kv_err *err)
{
    int rc;

    *c->field_errors = NULL;
    rc = kv_uuid_v4(id);
    if (rc < 0)
        return kv_err_set(err, rc, "cannot generate an id");
    c->id = id;
    return kv_db_run(db, 1, tx, c, err);
}

int kv_contact_group_create(struct kv_db *db, const char *org, const char *actor,
                            const json_t *in, json_t **out, json_t **field_errors,
                            struct kv_err *err)
{
    struct kv__cp_change c = {org, actor, NULL, 0, in, field_errors, NULL};
    char id[37];
    int rc;

    *out = NULL;
    rc = kv__cp_create(db, &c, id, group_create_tx, err);
    if (rc < 0)
        return rc;
    return kv_contact_group_get(db, org, id, out, err);
}

/* Checks, inside the caller's transaction, that the group or point (is_point) id exists in org
 * and, when expect > 0 (an If-Match version), that its version is still expect. KV_ENOTFOUND,
 * or KV_ECONFLICT with *out_stale = 1 when it was changed meanwhile. */
int kv__cp_check_version(struct kv_db *db, int is_point, const char *org, const char *id,
                         int64_t expect, int *out_stale, struct kv_err *err)
{
    const char *what = is_point ? "contact point" : "contact group";
    struct kv_stmt *s = NULL;
    int64_t cur = 0;
    int rc = kv__cp_row(db,
                        is_point ? "SELECT version FROM contact_points "
                                   "WHERE id = lower(?) AND org_cvr = ?"
                                 : "SELECT version FROM contact_groups "
                                   "WHERE id = lower(?) AND org_cvr = ?",
                        id, org, &s, err);
    if (rc == KV_ROW)
        cur = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    if (rc != KV_ROW)
        return kv_err_set(err, KV_ENOTFOUND, "no such %s", what);
    if (expect > 0 && expect != cur) {
        if (out_stale)
            *out_stale = 1;
        return kv_err_set(err, KV_ECONFLICT, "the %s was changed (version %lld, If-Match %lld)",
                          what, (long long)cur, (long long)expect);
    }
    return 0;
}

int kv__cp_lock(struct kv_db *db, const char *org, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db,
                           "INSERT INTO contact_structure_locks (org_cvr, changes) VALUES (?, 1) "
                           "ON CONFLICT (org_cvr) DO UPDATE SET changes = "
                           "contact_structure_locks.changes + 1",
                           &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, org, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

int kv__cp_change_check(struct kv_db *db, int is_point, const char *org, const char *id,
                        int64_t expect, int *out_stale, struct kv_err *err)
{
    int rc;

    if (out_stale)
        *out_stale = 0;
    /* Concurrent (docs/postgresql.md "Writes without the global lock"): the organisation's
     * lock row first, then the version check reads what the previous change committed. */
    rc = kv__cp_lock(db, org, err);
    if (rc == 0)
        rc = kv__cp_check_version(db, is_point, org, id, expect, out_stale, err);
    return rc;
}

static int group_update_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct kv__cp_change *c = arg;
    struct group_in g;
    struct kv_stmt *s = NULL;
    int rc;

    json_decref(*c->field_errors);
    *c->field_errors = NULL;
    rc = kv__cp_change_check(db, 0, c->org, c->id, c->expect, c->out_stale, err);
    if (rc == 0)
        rc = validate(db, c->org, c->id, c->in, &g, c->field_errors, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db,
                       "UPDATE contact_groups SET parent_id = lower(?), name = ?, "
                       "description = ?, organisational_unit = ?, version = version + 1, "
                       "updated_ms = ?, org_unit = ?, postkasse_ids = ? "
                       "WHERE id = lower(?) AND org_cvr = ?",
                       &s, err);
    if (rc < 0) {
        free(g.postkasse);
        return rc;
    }
    kv__cp_bind_opt(s, 1, g.parent);
    kv_stmt_bind_text(s, 2, g.name, -1);
    kv__cp_bind_opt(s, 3, g.description);
    kv__cp_bind_opt(s, 4, g.unit);
    kv_stmt_bind_int64(s, 5, kv_clock_now_ms());
    kv_stmt_bind_int64(s, 6, g.org_unit);
    kv__cp_bind_opt(s, 7, g.postkasse);
    kv_stmt_bind_text(s, 8, c->id, -1);
    kv_stmt_bind_text(s, 9, c->org, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    free(g.postkasse);
    if (rc == 0)
        rc = kv__cp_event(db, 0, "UPDATED", c->org, c->actor, c->id, err);
    return rc;
}

int kv_contact_group_update(struct kv_db *db, const char *org, const char *actor,
                            const char *id, int64_t expect_version, const json_t *in,
                            json_t **out, json_t **field_errors, int *out_stale,
                            struct kv_err *err)
{
    struct kv__cp_change c = {org, actor, id, expect_version, in, field_errors, out_stale};
    int rc;

    *out = NULL;
    *field_errors = NULL;
    rc = kv_db_run(db, 1, group_update_tx, &c, err);
    if (rc < 0)
        return rc;
    return kv_contact_group_get(db, org, id, out, err);
}

/* Count of rows of a one-parameter COUNT(*) query. */
static int count1(struct kv_db *db, const char *sql, const char *arg, int64_t *out,
                  struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, arg, -1);
    rc = kv_stmt_step(s, err);
    *out = rc == KV_ROW ? kv_stmt_col_int64(s, 0) : 0;
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int group_delete_tx(struct kv_db *db, void *arg, struct kv_err *err)
{
    struct kv__cp_change *c = arg;
    int64_t kids = 0, points = 0;
    int rc;

    rc = kv__cp_change_check(db, 0, c->org, c->id, c->expect, c->out_stale, err);
    if (rc == 0)
        rc = count1(db, "SELECT COUNT(*) FROM contact_groups WHERE parent_id = lower(?)", c->id,
                    &kids, err);
    if (rc == 0)
        rc = count1(db, "SELECT COUNT(*) FROM contact_point_groups WHERE group_id = lower(?)",
                    c->id, &points, err);
    if (rc == 0 && (kids || points))
        rc = kv_err_set(err, KV_ECONFLICT,
                        "the contact group still has %lld child group(s) and %lld contact "
                        "point(s)",
                        (long long)kids, (long long)points);
    if (rc < 0)
        return rc;
    return kv__cp_delete(db, 0, c->org, c->actor, c->id, err);
}

int kv_contact_group_delete(struct kv_db *db, const char *org, const char *actor,
                            const char *id, int64_t expect_version, int *out_stale,
                            struct kv_err *err)
{
    struct kv__cp_change c = {org, actor, id, expect_version, NULL, NULL, out_stale};

    return kv_db_run(db, 1, group_delete_tx, &c, err);
}

int kv__cp_delete(struct kv_db *db, int is_point, const char *org, const char *actor,
                  const char *id, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    int rc;

    rc = kv__cp_event(db, is_point, "DELETED", org, actor, id, err);
    if (rc < 0)
        return rc;
    /* A point's children go by ON DELETE CASCADE (foreign_keys is on in every connection). */
    rc = kv__cp_row(db,
                    is_point ? "DELETE FROM contact_points WHERE id = lower(?) AND org_cvr = ?"
                             : "DELETE FROM contact_groups WHERE id = lower(?) AND org_cvr = ?",
                    id, org, &s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

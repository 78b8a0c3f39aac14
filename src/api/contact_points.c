/* SPDX-License-Identifier: MIT
 *
 * contact_points.c (api): the contact structure of an organisation, for its own systems, and
 * the search for citizens and companies.
 *   GET|POST           /apis/v1/organisations/{orgId}/contact-points/        list | create
 *   GET|PUT|DELETE     /apis/v1/organisations/{orgId}/contact-points/{id}    one
 *   GET|POST           /apis/v1/organisations/{orgId}/contact-groups/        list | create
 *   GET|PUT|DELETE     /apis/v1/organisations/{orgId}/contact-groups/{id}    one
 *   GET                /apis/v1/contact-points/                             every organisation's
 *   GET                /apis/v1/contact-groups/                             every organisation's
 *   GET                /api/contact-points?organisation=&term=&code=        search (Bearer)
 * orgId is the organisation's UUID (NgDP's organisationId) or its CVR. The CRUD routes take a
 * system token (Basic) of that organisation (403 for another's, or an unknown one). Shapes
 * are NgDP 1.68's (see hub/contact_points.h); lists answer ContactPointSearchResult /
 * ContactGroupSearchResult with NgDP's filters isRoot, visibility, contactGroupId,
 * searchTerm, searchTermOrName (one or more terms, comma-joined) and page/size; the
 * organisation-wide lists (NgDP's QueryAllContactPoints / QueryAllContactGroups, any system
 * token) also postkasseId / postkasseEmneId (points) and name (groups), and show other
 * organisations' active, visible points without internalDescription and systemId. "next"
 * carries a keyset cursor (afterName, afterId), so following it is stable while the list
 * changes. A filter given twice is 400. GET one, POST and
 * PUT answer an ETag ("<version>"); PUT needs If-Match (428 without, 412 when it does not
 * match the current version); DELETE honours If-Match when given. If-Match may be weak (W/"N"), unquoted (N)
 * or a list ("1", "2"); "<namespace>.ETag", what NgDP's generated client sends, counts as "*".
 * Validation errors are 400 ErrorMessages with fieldErrors. The search
 * returns the active points visible to the caller's audience: citizen for a CPR token, company
 * for a CVR token. Semantics in docs/recipient-side.md; storage in src/hub/contact_points.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/gate.h"
#include "api/query_view.h"
#include "api/read_util.h"
#include "hub/contact_points.h"
#include "hub/directory.h"
#include "store/store.h"
#include "util/buf.h"

/* The operations of one resource kind. */
struct kind {
    const char *what; /* "contact point", for messages */
    int (*create)(struct kv_db *, const char *, const char *, const json_t *, json_t **,
                  json_t **, struct kv_err *); /* kv_contact_{point,group}_create */
    int (*get)(struct kv_db *, const char *, const char *, json_t **,
               struct kv_err *); /* ..._get */
    int (*update)(struct kv_db *, const char *, const char *, const char *, int64_t,
                  const json_t *, json_t **, json_t **, int *, struct kv_err *); /* ..._update */
    int (*del)(struct kv_db *, const char *, const char *, const char *, int64_t, int *,
               struct kv_err *); /* ..._delete */
    int (*list)(struct kv_db *, const char *, json_t **, struct kv_err *); /* ..._list */
};

static const struct kind POINTS = {"contact point", kv_contact_point_create, kv_contact_point_get,
                                   kv_contact_point_update, kv_contact_point_delete,
                                   kv_contact_points_list};
static const struct kind GROUPS = {"contact group", kv_contact_group_create, kv_contact_group_get,
                                   kv_contact_group_update, kv_contact_group_delete,
                                   kv_contact_groups_list};

/* Authenticates a system of organisation req->params[0] (its UUID, in any case, as NgDP's
 * clients address it, or its CVR) and writes that organisation's CVR into cvr; writes 401/403
 * itself (an unknown organisation is 403 like another's, so ids do not probe). */
static int org_auth(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                    char cvr[9])
{
    struct kv_system sys;
    struct kv_org org;
    struct kv_err err = {0};

    if (kv__read_system_auth(req, resp, db, &sys) < 0)
        return KV_EAUTH;
    if (kv_org_resolve(db, req->params[0], &org, &err) < 0 || strcmp(sys.org_cvr, org.cvr) != 0) {
        kv_http_resp_error(resp, 403, "FORBIDDEN",
                           "a system may only manage its own organisation's contact structure",
                           NULL);
        return KV_EPERM;
    }
    memcpy(cvr, org.cvr, 9);
    return 0;
}

static void set_etag(struct kv_http_resp *resp, const json_t *o)
{
    char tag[32];

    snprintf(tag, sizeof(tag), "\"%lld\"",
             (long long)json_integer_value(json_object_get(o, "version")));
    kv_http_resp_header(resp, "ETag", tag);
}

#define LIST_PAGE_DEFAULT 1000 /* contact points/groups per list page unless size= says */
#define LIST_PAGE_MAX 1000
#define IF_MATCH_TAGS 16 /* entity tags of one If-Match header that are looked at */

/* Parses If-Match: "*", or a comma-separated list of entity tags, each "N" or W/"N" (w/ in
 * any case; a bare N is taken too, as clients that copy the version write it). Returns the
 * number of versions put in v[] (at most IF_MATCH_TAGS), 0 when the header names none we
 * could have issued, -1 when it is absent and -2 for "*". */
static int if_match_tags(const char *h, int64_t v[IF_MATCH_TAGS])
{
    const char *p = h, *e;
    char num[24];
    int n = 0;

    if (!h)
        return -1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (p[0] == '*' && strspn(p + 1, " \t") == strlen(p + 1))
        return -2;
    while (*p && n < IF_MATCH_TAGS) {
        size_t len;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        len = (size_t)(e - p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len >= 2 && (p[0] == 'W' || p[0] == 'w') && p[1] == '/') {
            p += 2;
            len -= 2;
        }
        if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
            p++;
            len -= 2;
        }
        if (len > 0 && len < sizeof(num)) {
            memcpy(num, p, len);
            num[len] = '\0';
            if (kv__read_parse_int(num, 1, INT64_MAX, &v[n]) == 0)
                n++;
        }
        p = e;
    }
    return n;
}

/* 1 when If-Match h is what NgDP's generated C# client sends for it: its ETag class has no
 * members, so ConvertToString writes the class's name, "<namespace>.ETag" (digitalpost.ETag
 * in sjkp/digitalpost). Such a request cannot name a version; it is taken as "*" so that the
 * unchanged client can update and delete (docs/openapi.yaml). Any other value that is no
 * kuvert entity tag still gets 412. */
static int client_etag_class(const char *h)
{
    size_t n;

    while (*h == ' ' || *h == '\t')
        h++;
    n = strcspn(h, " \t");
    if (h[n + strspn(h + n, " \t")] != '\0' || n < 6 || n > 200)
        return 0;
    return strncmp(h + n - 5, ".ETag", 5) == 0 && !memchr(h, '"', n) && !memchr(h, ',', n);
}

/* The version an update or delete must find: -1 when If-Match is absent, 0 for "*", else a
 * version named by the header. When it names several, the current one is chosen if it is
 * among them (the write re-checks it in its transaction). When it names none that kuvert
 * could have issued, the resource is read: 404 when it does not exist, else a 412 naming the
 * current ETag is written and KV_ECONFLICT returned. */
static int if_match(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                    const struct kind *k, const char *org, int64_t *out)
{
    const char *h = kv_http_req_header(req, "If-Match");
    int64_t v[IF_MATCH_TAGS], cur = 0;
    struct kv_err err = {0};
    json_t *o = NULL;
    char msg[256];
    int n = if_match_tags(h, v), rc, i;

    *out = n == -1 ? -1 : 0;
    if (n < 0)
        return 0;
    if (n == 0 && client_etag_class(h)) {
        *out = 0;
        return 0;
    }
    *out = v[0];
    if (n == 1)
        return 0;
    rc = k->get(db, org, req->params[1], &o, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        return rc;
    }
    cur = json_integer_value(json_object_get(o, "version"));
    json_decref(o);
    for (i = 0; i < n; i++) {
        if (v[i] == cur) {
            *out = cur;
            return 0;
        }
    }
    if (n > 0)
        return 0; /* the write answers 412 with both versions */
    snprintf(msg, sizeof(msg),
             "If-Match %.60s%s is not an ETag of this %s; its current ETag is \"%lld\"", h,
             strlen(h) > 60 ? "..." : "", k->what, (long long)cur);
    kv_http_resp_error(resp, 412, "PRECONDITION_FAILED", msg, NULL);
    return KV_ECONFLICT;
}

/* A group's parent as NgDP's ContactGroup model writes it, the parent group object: taken
 * by its "id" ({"id": "…", …} -> "…"). A parent object without a string id is left for
 * validation to refuse. */
static void normalise_parent(json_t *in)
{
    json_t *parent = json_object_get(in, "parent");
    json_t *id = json_object_get(parent, "id");

    if (json_is_object(parent) && json_is_string(id))
        json_object_set_new(in, "parent", json_copy(id));
}

/* Code types in any case ("kle" -> "KLE"): the type names are a closed list, so the case
 * carries nothing. Changes only strings that match a type name case-insensitively; anything
 * else is left for validation to refuse. */
static void normalise_code_types(json_t *in)
{
    static const char *const types[] = {"CUSTOM", "FORM", "GLN", "KLE", "SOR", NULL};
    json_t *codes = json_object_get(in, "contactPointCodes"), *e;
    size_t i;
    int t;

    json_array_foreach(codes, i, e) {
        const char *v = json_string_value(json_object_get(e, "type"));
        for (t = 0; v && types[t]; t++) {
            if (strcasecmp(v, types[t]) == 0 && strcmp(v, types[t]) != 0) {
                json_object_set_new(e, "type", json_string(types[t]));
                break;
            }
        }
    }
}

/* Writes the answer of a failed write: 400 with fieldErrors, 412 when stale, else by code. */
static void write_failure(struct kv_http_resp *resp, int rc, json_t *fes, int stale,
                          const struct kv_err *err)
{
    if (fes) {
        kv_http_resp_error(resp, 400, "VALIDATION_FAILED", err->msg, fes);
        return;
    }
    if (stale) {
        kv_http_resp_error(resp, 412, "PRECONDITION_FAILED", err->msg, NULL);
        return;
    }
    kv_http_resp_from_err(resp, rc, err);
}

static json_t *parse_body(struct kv_http_req *req, struct kv_http_resp *resp)
{
    json_t *in = NULL;

    (void)kv_http_req_json_object(req, resp, NULL, &in);
    return in;
}

/* 1 when point p lists group id among its contactGroups. */
static int in_group(const json_t *p, const char *id)
{
    json_t *g;
    size_t i;

    json_array_foreach(json_object_get(p, "contactGroups"), i, g)
        if (strcasecmp(json_string_value(json_object_get(g, "id")), id) == 0)
            return 1;
    return 0;
}

/* 1 when the n bytes of needle occur in hay, ASCII case folded. */
static int contains_n(const char *hay, const char *needle, size_t n)
{
    for (; hay && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return n == 0;
}

/* 1 when needle occurs in hay, ASCII case folded. */
static int contains(const char *hay, const char *needle)
{
    return contains_n(hay, needle, strlen(needle));
}

/* 1 when one of point p's search terms (or, with names, its name) contains the n bytes of
 * term. */
static int term_match(const json_t *p, const char *term, size_t n, int names)
{
    json_t *t;
    size_t i;

    if (names && contains_n(json_string_value(json_object_get(p, "name")), term, n))
        return 1;
    json_array_foreach(json_object_get(p, "searchTerms"), i, t)
        if (contains_n(json_string_value(json_object_get(t, "term")), term, n))
            return 1;
    return 0;
}

/* term_match for a parameter of one or more terms: NgDP's searchTerm and searchTermOrName
 * take "One or more", which its generated client joins with commas ("bygge,skat"), and a
 * point matches when one of them matches. Blanks around a term are dropped; a list without
 * any term (empty, or only commas) keeps every point, as an empty term does. */
static int terms_match(const json_t *p, const char *list, int names)
{
    const char *s = list, *e;
    int any = 0;

    for (;; s = e + 1) {
        size_t n;
        e = strchr(s, ',');
        n = e ? (size_t)(e - s) : strlen(s);
        while (n > 0 && isspace((unsigned char)*s)) {
            s++;
            n--;
        }
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            n--;
        if (n > 0) {
            any = 1;
            if (term_match(p, s, n, names))
                return 1;
        }
        if (!e)
            break;
    }
    return !any;
}

/* 1 when one of point p's translations has postkasseId pk (>= 0: else any) and
 * postkasseEmneId emne (>= 0: else any). */
static int translated(const json_t *p, int64_t pk, int64_t emne)
{
    json_t *t;
    size_t i;

    json_array_foreach(json_object_get(p, "translations"), i, t) {
        json_t *e = json_object_get(t, "postkasseEmneId");
        if ((pk < 0 || json_integer_value(json_object_get(t, "postkasseId")) == pk) &&
            (emne < 0 || (e && json_integer_value(e) == emne)))
            return 1;
    }
    return 0;
}

/* Keeps the elements of list that pass NgDP's query filters: isRoot (points in no group,
 * groups without a parent), visibility VISIBLE|HIDDEN|ALL (points), contactGroupId,
 * searchTerm and searchTermOrName (points), postkasseId and postkasseEmneId (points: one of
 * their translations), name (groups: contained, ASCII case folded). Writes a 400 and returns
 * KV_EINVAL on a bad value. */
static int filter_list(struct kv_http_req *req, struct kv_http_resp *resp, int points,
                       json_t *list)
{
    const char *vis = kv_http_req_query(req, "visibility");
    const char *group = points ? kv_http_req_query(req, "contactGroupId") : NULL;
    const char *term = points ? kv_http_req_query(req, "searchTerm") : NULL;
    const char *term_name = points ? kv_http_req_query(req, "searchTermOrName") : NULL;
    const char *name = points ? NULL : kv_http_req_query(req, "name");
    int root, want_visible = -1;
    int64_t pk = -1, emne = -1;
    size_t i;

    static const char *const single[] = {"visibility", "contactGroupId", "searchTerm",
                                         "searchTermOrName", "name", NULL};
    size_t k;

    /* a repeated filter would be read by its first value only: refused, as the contacts
     * lookup does (several terms go comma-joined in one) */
    for (k = 0; single[k]; k++)
        if (kv_http_req_query_count(req, single[k]) > 1)
            return kv__read_repeated_param(resp, single[k], kv_http_req_query(req, single[k]));
    if (kv__read_query_bool(req, resp, "isRoot", &root) < 0)
        return KV_EINVAL;
    if (points && (kv__read_query_int(req, resp, "postkasseId", -1, 0, INT64_MAX, &pk) < 0 ||
                   kv__read_query_int(req, resp, "postkasseEmneId", -1, 0, INT64_MAX, &emne) <
                       0))
        return KV_EINVAL;
    if (vis && strcasecmp(vis, "ALL") != 0) {
        if (strcasecmp(vis, "VISIBLE") == 0)
            want_visible = 1;
        else if (strcasecmp(vis, "HIDDEN") == 0)
            want_visible = 0;
        else
            return kv__read_bad_param(resp, "visibility", vis,
                                      "visibility is VISIBLE, HIDDEN or ALL");
    }
    for (i = json_array_size(list); i-- > 0;) {
        json_t *e = json_array_get(list, i);
        int keep = 1;
        if (root == 1)
            keep = points ? json_array_size(json_object_get(e, "contactGroups")) == 0
                          : !json_object_get(e, "parent");
        if (keep && points && want_visible >= 0)
            keep = json_is_true(json_object_get(e, "visible")) == want_visible;
        if (keep && group)
            keep = in_group(e, group);
        if (keep && term)
            keep = terms_match(e, term, 0);
        if (keep && term_name)
            keep = terms_match(e, term_name, 1);
        if (keep && (pk >= 0 || emne >= 0))
            keep = translated(e, pk, emne);
        if (keep && name)
            keep = contains(json_string_value(json_object_get(e, "name")), name);
        if (!keep)
            json_array_remove(list, i);
    }
    return 0;
}

/* 1 when s has the UUID layout (36 characters, hex digits and dashes at 8, 13, 18, 23). */
static int uuid_like(const char *s)
{
    size_t i;

    if (strlen(s) != 36)
        return 0;
    for (i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

/* The query parameters a list's "next" keeps. */
static const char *const LIST_FILTERS[] = {"isRoot", "visibility", "contactGroupId",
                                           "searchTerm", "searchTermOrName", "postkasseId",
                                           "postkasseEmneId", "name", NULL};

/* The members sortFields may name (NgDP's ContactPoint / ContactGroup; dot notation for a
 * nested one). */
static const char *const POINT_SORTABLE[] = {
    "id", "version", "name", "description", "internalDescription", "active", "visible",
    "visibility", "memoSizeThresholdMB", "allowedNumberOfAttachments", "organisationCvr",
    "organisationId", "systemId", NULL};
static const char *const GROUP_SORTABLE[] = {
    "id", "version", "name", "description", "type", "organisationalUnit",
    "organisationalUnitName", "cvrNumber", "organisation", "parent.id", NULL};

/* The sort keys of a list: sortFields, or name; then id (the lists' order, byte order as the
 * store sorts: docs/store.md). */
static int sort_keys(const struct kv__view *v, const char *names[KV_VIEW_SORT_MAX], int desc[])
{
    int i;

    if (v->n_sort == 0) {
        names[0] = "name";
        desc[0] = 0;
        return 1;
    }
    for (i = 0; i < v->n_sort; i++) {
        names[i] = v->sort[i];
        desc[i] = v->desc[i];
    }
    return v->n_sort;
}

/* 1 when element e comes after the keyset cursor (key values, id) in the list's order. */
static int after_cursor(json_t *e, const struct kv__view *v, json_t *key, const char *id)
{
    const char *names[KV_VIEW_SORT_MAX];
    const char *ei = json_string_value(json_object_get(e, "id"));
    int desc[KV_VIEW_SORT_MAX], n = sort_keys(v, names, desc), i, c;

    for (i = 0; i < n; i++) {
        c = kv__view_cmp_member(kv__view_member(e, names[i]), json_array_get(key, (size_t)i));
        if (c)
            return desc[i] ? c < 0 : c > 0;
    }
    return strcmp(ei ? ei : "", id) > 0;
}

/* The keyset cursor of the request: afterName (the default order) or afterKey (a JSON array
 * of the sort key values, with sortFields) and afterId. *key is owned; NULL without a
 * cursor. Writes a 400 for a malformed one. */
static int read_cursor(struct kv_http_req *req, struct kv_http_resp *resp,
                       const struct kv__view *v, json_t **key)
{
    const char *an = kv_http_req_query(req, "afterName"), *ak = kv_http_req_query(req, "afterKey");
    const char *ai = kv_http_req_query(req, "afterId");
    const char *names[KV_VIEW_SORT_MAX];
    int desc[KV_VIEW_SORT_MAX];

    *key = NULL;
    if (!ai)
        return 0;
    if (v->n_sort == 0) {
        *key = json_pack("[s]", an ? an : "");
        return 0;
    }
    *key = ak && strlen(ak) <= 4096 ? json_loads(ak, JSON_DECODE_ANY, NULL) : NULL;
    if (!json_is_array(*key) || json_array_size(*key) != (size_t)sort_keys(v, names, desc)) {
        json_decref(*key);
        *key = NULL;
        return kv__read_bad_param(resp, "afterKey", ak ? ak : "",
                                  "afterKey is the JSON array of the sort values of the last "
                                  "element (what next carries)");
    }
    return 0;
}

/* NgDP's ContactPointSearchResult / ContactGroupSearchResult of page `page` (size `size`) of
 * list (taken, filtered and sorted): {contactPoints|contactGroups, currentPage, totalPages,
 * elementsOnPage, totalElements, next}. With the keyset cursor (afterName or afterKey, and
 * afterId: what "next" carries) the page is the `size` elements after that one in the order
 * rather than those at position page * size, so a walk that follows "next" neither skips nor
 * repeats an element when others are created or deleted meanwhile; page then only numbers
 * it. "next" is the relative URL of the following page (only when there is one) with the
 * request's filters and generic parameters. fields projects the page's elements. */
static json_t *search_result(struct kv_http_req *req, const char *member, json_t *list,
                             const struct kv__view *v, json_t *key, int64_t page, int64_t size)
{
    static const char *const generic[] = {"sortFields", "any", "fields", NULL};
    const char *ai = kv_http_req_query(req, "afterId");
    int64_t total = (int64_t)json_array_size(list), pages = (total + size - 1) / size, i;
    int64_t first = page * size, rest;
    json_t *o = json_object(), *slice = json_array(), *last = NULL;
    size_t k;

    if (ai && key) {
        for (first = 0;
             first < total && !after_cursor(json_array_get(list, (size_t)first), v, key, ai);
             first++)
            ;
    }
    for (i = first; i < total && i < first + size; i++)
        json_array_append(slice, json_array_get(list, (size_t)i));
    rest = total - first - (int64_t)json_array_size(slice);
    last = json_array_size(slice) ? json_array_get(slice, json_array_size(slice) - 1) : NULL;
    if (rest > 0 && last) {
        struct kv_buf b;
        kv_buf_init(&b, 4096);
        kv_buf_printf(&b, "%s?page=%lld&size=%lld", req->path, (long long)(page + 1),
                      (long long)size);
        for (k = 0; LIST_FILTERS[k]; k++)
            kv__read_add_param(&b, LIST_FILTERS[k], kv_http_req_query(req, LIST_FILTERS[k]));
        for (k = 0; generic[k]; k++)
            kv__read_add_param(&b, generic[k], kv_http_req_query(req, generic[k]));
        if (v->n_sort == 0) {
            kv__read_add_param(&b, "afterName", json_string_value(json_object_get(last, "name")));
        } else {
            const char *names[KV_VIEW_SORT_MAX];
            int desc[KV_VIEW_SORT_MAX], n = sort_keys(v, names, desc), j;
            json_t *vals = json_array();
            char *text;
            for (j = 0; j < n; j++) {
                json_t *m = kv__view_member(last, names[j]);
                json_array_append_new(vals, m ? json_deep_copy(m) : json_null());
            }
            text = json_dumps(vals, JSON_COMPACT | JSON_ENCODE_ANY);
            kv__read_add_param(&b, "afterKey", text);
            free(text);
            json_decref(vals);
        }
        kv__read_add_param(&b, "afterId", json_string_value(json_object_get(last, "id")));
        json_object_set_new(o, "next", json_stringn(b.buf, b.len));
        kv_buf_release(&b);
    }
    kv__view_project(v, slice);
    json_object_set_new(o, member, slice);
    json_object_set_new(o, "currentPage", json_integer(page));
    json_object_set_new(o, "totalPages", json_integer(pages));
    json_object_set_new(o, "elementsOnPage", json_integer((json_int_t)json_array_size(slice)));
    json_object_set_new(o, "totalElements", json_integer(total));
    json_decref(list);
    return o;
}

/* Lists: org-scoped (org set: that organisation's points or groups) or organisation-wide
 * (all = 1; NgDP's contact-points/ and contact-groups/, any system token). */
static int list_common(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k,
                       int all)
{
    struct kv_db *db = NULL;
    struct kv_system sys;
    struct kv_err err = {0};
    json_t *out = NULL, *key = NULL;
    struct kv__view view;
    char org[9];
    const char *ai = kv_http_req_query(req, "afterId");
    int64_t page, size;
    int points = k == &POINTS, rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (all ? kv__read_system_auth(req, resp, db, &sys) < 0 : org_auth(req, resp, db, org) < 0)
        goto out;
    if (kv__read_query_int(req, resp, "page", 0, 0, INT32_MAX, &page) < 0 ||
        kv__read_query_int(req, resp, "size", LIST_PAGE_DEFAULT, 1, LIST_PAGE_MAX, &size) < 0)
        goto out;
    if (ai && !uuid_like(ai)) {
        kv__read_bad_param(resp, "afterId", ai, "afterId is the id of a list element");
        goto out;
    }
    if (kv__view_parse(req, resp, points ? POINT_SORTABLE : GROUP_SORTABLE, &view) < 0 ||
        read_cursor(req, resp, &view, &key) < 0)
        goto out;
    if (all)
        rc = points ? kv_contact_points_list_all(db, sys.org_cvr, &out, &err)
                    : kv_contact_groups_list(db, NULL, &out, &err);
    else
        rc = k->list(db, org, &out, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    if (filter_list(req, resp, points, out) < 0)
        goto out;
    kv__view_filter_any(&view, out);
    kv__view_sort(&view, out, "name", "id"); /* sortFields, or name; then id */
    kv_http_resp_json(resp, 200,
                      search_result(req, points ? "contactPoints" : "contactGroups", out, &view,
                                    key, page, size));
    out = NULL;
out:
    json_decref(key);
    json_decref(out);
    kv_db_release(db);
    return 0;
}

static int do_list(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    return list_common(req, resp, k, 0);
}

/* The calling system's id, the actor of the change's event (the gate admitted a system). */
static const char *actor_of(const struct kv_http_req *req)
{
    const struct kv__principal *p = kv__principal(req, KV__PRINCIPAL_SYSTEM);

    return p ? p->system.id : NULL;
}

static int do_create(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    char org[9];
    json_t *in = NULL, *out = NULL, *fes = NULL;
    char loc[160];
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (org_auth(req, resp, db, org) < 0 || !(in = parse_body(req, resp)))
        goto out;
    normalise_code_types(in);
    normalise_parent(in);
    rc = k->create(db, org, actor_of(req), in, &out, &fes, &err);
    if (rc < 0) {
        write_failure(resp, rc, fes, 0, &err);
        goto out;
    }
    set_etag(resp, out);
    rc = snprintf(loc, sizeof(loc), "%s%s%s", req->path,
                  req->path[strlen(req->path) - 1] == '/' ? "" : "/",
                  json_string_value(json_object_get(out, "id")));
    if (rc > 0 && (size_t)rc < sizeof(loc))
        kv_http_resp_header(resp, "Location", loc);
    kv_http_resp_json(resp, 201, out);
out:
    json_decref(in);
    kv_db_release(db);
    return 0;
}

static int do_get(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    char org[9];
    json_t *out = NULL;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (org_auth(req, resp, db, org) == 0) {
        rc = k->get(db, org, req->params[1], &out, &err);
        if (rc < 0) {
            kv_http_resp_from_err(resp, rc, &err);
        } else {
            set_etag(resp, out);
            kv_http_resp_json(resp, 200, out);
        }
    }
    kv_db_release(db);
    return 0;
}

static int do_put(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    char org[9];
    json_t *in = NULL, *out = NULL, *fes = NULL;
    int64_t expect;
    int stale = 0, rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (org_auth(req, resp, db, org) < 0)
        goto out;
    if (!kv_http_req_header(req, "If-Match")) {
        kv_http_resp_error(resp, 428, "PRECONDITION_REQUIRED",
                           "an update needs If-Match with the ETag of the current version", NULL);
        goto out;
    }
    if (if_match(req, resp, db, k, org, &expect) < 0)
        goto out;
    if (!(in = parse_body(req, resp)))
        goto out;
    normalise_code_types(in);
    normalise_parent(in);
    rc = k->update(db, org, actor_of(req), req->params[1], expect, in, &out, &fes, &stale,
                   &err);
    if (rc < 0) {
        write_failure(resp, rc, fes, stale, &err);
        goto out;
    }
    set_etag(resp, out);
    kv_http_resp_json(resp, 200, out);
out:
    json_decref(in);
    kv_db_release(db);
    return 0;
}

static int do_delete(struct kv_http_req *req, struct kv_http_resp *resp, const struct kind *k)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    char org[9];
    int64_t expect;
    int stale = 0, rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (org_auth(req, resp, db, org) < 0)
        goto out;
    if (if_match(req, resp, db, k, org, &expect) < 0)
        goto out;
    rc = k->del(db, org, actor_of(req), req->params[1], expect > 0 ? expect : 0, &stale, &err);
    if (rc < 0)
        write_failure(resp, rc, NULL, stale, &err);
    else
        resp->status = 204;
out:
    kv_db_release(db);
    return 0;
}

static int points_list(struct kv_http_req *q, struct kv_http_resp *r) { return do_list(q, r, &POINTS); }
static int points_create(struct kv_http_req *q, struct kv_http_resp *r) { return do_create(q, r, &POINTS); }
static int points_get(struct kv_http_req *q, struct kv_http_resp *r) { return do_get(q, r, &POINTS); }
static int points_put(struct kv_http_req *q, struct kv_http_resp *r) { return do_put(q, r, &POINTS); }
static int points_delete(struct kv_http_req *q, struct kv_http_resp *r) { return do_delete(q, r, &POINTS); }
static int groups_list(struct kv_http_req *q, struct kv_http_resp *r) { return do_list(q, r, &GROUPS); }
static int all_points_list(struct kv_http_req *q, struct kv_http_resp *r) { return list_common(q, r, &POINTS, 1); }
static int all_groups_list(struct kv_http_req *q, struct kv_http_resp *r) { return list_common(q, r, &GROUPS, 1); }
static int groups_create(struct kv_http_req *q, struct kv_http_resp *r) { return do_create(q, r, &GROUPS); }
static int groups_get(struct kv_http_req *q, struct kv_http_resp *r) { return do_get(q, r, &GROUPS); }
static int groups_put(struct kv_http_req *q, struct kv_http_resp *r) { return do_put(q, r, &GROUPS); }
static int groups_delete(struct kv_http_req *q, struct kv_http_resp *r) { return do_delete(q, r, &GROUPS); }

static int search(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    char type[4], id[11];
    const char *org = kv_http_req_query(req, "organisation");
    const char *term = kv_http_req_query(req, "term");
    const char *code = kv_http_req_query(req, "code");
    json_t *out = NULL;
    int rc;

    if (kv__read_db(req, resp, &db) < 0)
        return 0;
    if (kv__read_user_auth(req, resp, db, type, id) < 0)
        goto out;
    if (org && org[0] && !kv_cvr_valid(org)) {
        kv__read_bad_param(resp, "organisation", org, "organisation must be an 8-digit CVR");
        goto out;
    }
    if (term && strlen(term) > 4 * 128) {
        kv__read_bad_param(resp, "term", NULL, "term must be at most 128 characters");
        goto out;
    }
    if (code && strlen(code) > 128) {
        kv__read_bad_param(resp, "code", NULL, "code must be at most 128 characters");
        goto out;
    }
    rc = kv_contact_points_search(db, strcmp(type, "CPR") == 0 ? "citizen" : "company", org, term,
                                  code, &out, &err);
    if (rc == KV_EINVAL)
        kv__read_bad_param(resp, "term", NULL, err.msg);
    else if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, 200, out);
out:
    kv_db_release(db);
    return 0;
}

const struct kv_http_route kv_api_contact_points_routes[] = {
    {"GET", "/apis/v1/organisations/{orgId}/contact-points/", points_list, "cp_list", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"POST", "/apis/v1/organisations/{orgId}/contact-points/", points_create, "cp_create", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"GET", "/apis/v1/organisations/{orgId}/contact-points/{id}", points_get, "cp_get", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"PUT", "/apis/v1/organisations/{orgId}/contact-points/{id}", points_put, "cp_update", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"DELETE", "/apis/v1/organisations/{orgId}/contact-points/{id}", points_delete, "cp_delete", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"GET", "/apis/v1/organisations/{orgId}/contact-groups/", groups_list, "cg_list", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"POST", "/apis/v1/organisations/{orgId}/contact-groups/", groups_create, "cg_create", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"GET", "/apis/v1/organisations/{orgId}/contact-groups/{id}", groups_get, "cg_get", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"PUT", "/apis/v1/organisations/{orgId}/contact-groups/{id}", groups_put, "cg_update", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"DELETE", "/apis/v1/organisations/{orgId}/contact-groups/{id}", groups_delete, "cg_delete", 0,
     KV_ACCESS_SYSTEM_ORG},
    {"GET", "/apis/v1/contact-points/", all_points_list, "cp_list_all", 0, KV_ACCESS_SYSTEM},
    {"GET", "/apis/v1/contact-groups/", all_groups_list, "cg_list_all", 0, KV_ACCESS_SYSTEM},
    {"GET", "/api/contact-points", search, "cp_search", 0, KV_ACCESS_MAILBOX},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

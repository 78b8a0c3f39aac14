/* SPDX-License-Identifier: MIT
 *
 * query_view.c: NgDP's generic query parameters (sortFields, any, fields, searchParameters)
 * over JSON lists the handlers have read whole (see query_view.h). Everything is bounded: at
 * most KV_VIEW_* names of KV_VIEW_NAME_MAX bytes each, field names of letters, digits, '_'
 * and '.', and the keyword walk of `any` descends at most KV_VIEW_DEPTH levels.
 */
#include "api/query_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/read_util.h"
#include "util/err.h"

#define KV_VIEW_DEPTH 8 /* nesting levels the keyword walk of `any` looks into */

/* Splits value at commas into at most max names of at most KV_VIEW_NAME_MAX bytes, each
 * trimmed of blanks and non-empty; with fieldlike, of letters, digits, '_' and '.' only.
 * Returns the count, or -1 when the value breaks a bound. */
static int split(const char *value, char out[][KV_VIEW_NAME_MAX + 1], int max, int fieldlike)
{
    const char *p = value, *e;
    int n = 0;

    for (; p; p = e ? e + 1 : NULL) {
        size_t len, i;
        e = strchr(p, ',');
        len = e ? (size_t)(e - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0 || len > KV_VIEW_NAME_MAX || n == max)
            return -1;
        for (i = 0; fieldlike && i < len; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.'))
                return -1;
        }
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        n++;
    }
    return n;
}

int kv__view_parse(struct kv_http_req *req, struct kv_http_resp *resp,
                   const char *const *sortable, struct kv__view *v)
{
    const char *sf = kv_http_req_query(req, "sortFields");
    const char *any = kv_http_req_query(req, "any");
    char msg[512];
    size_t used = 0;
    int i, k;

    memset(v, 0, sizeof(*v));
    if (sf && sortable) {
        used = (size_t)snprintf(msg, sizeof(msg), "sortFields is up to %d of ", KV_VIEW_SORT_MAX);
        for (k = 0; sortable[k] && used < sizeof(msg); k++)
            used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", k ? ", " : "",
                                     sortable[k]);
        if (used < sizeof(msg))
            snprintf(msg + used, sizeof(msg) - used, ", each optionally followed by :asc or :desc");
        v->n_sort = split(sf, v->sort, KV_VIEW_SORT_MAX, 0);
        if (v->n_sort < 0)
            return kv__read_bad_param(resp, "sortFields", sf, msg);
        for (i = 0; i < v->n_sort; i++) {
            char *colon = strchr(v->sort[i], ':');
            if (colon) {
                if (strcasecmp(colon + 1, "desc") == 0)
                    v->desc[i] = 1;
                else if (strcasecmp(colon + 1, "asc") != 0)
                    return kv__read_bad_param(resp, "sortFields", sf, msg);
                *colon = '\0';
            }
            for (k = 0; sortable[k]; k++)
                if (strcmp(sortable[k], v->sort[i]) == 0)
                    break;
            if (!sortable[k])
                return kv__read_bad_param(resp, "sortFields", sf, msg);
        }
    }
    if (any) {
        v->n_any = split(any, v->any, KV_VIEW_ANY_MAX, 0);
        if (v->n_any < 0)
            return kv__read_bad_param(resp, "any", any,
                                      "any is up to 10 comma-separated terms of 1..64 bytes");
    }
    return kv__view_parse_fields(req, resp, v);
}

int kv__view_parse_fields(struct kv_http_req *req, struct kv_http_resp *resp,
                          struct kv__view *v)
{
    const char *fields = kv_http_req_query(req, "fields");

    v->n_fields = 0;
    if (fields) {
        v->n_fields = split(fields, v->fields, KV_VIEW_FIELDS_MAX, 1);
        if (v->n_fields < 0) {
            v->n_fields = 0;
            return kv__read_bad_param(resp, "fields", fields,
                                      "fields is up to 32 comma-separated field names (letters, "
                                      "digits, _ and . for a nested member)");
        }
    }
    return 0;
}

json_t *kv__view_member(json_t *o, const char *name)
{
    char head[KV_VIEW_NAME_MAX + 1];
    const char *dot;

    while ((dot = strchr(name, '.')) != NULL && o) {
        size_t n = (size_t)(dot - name);
        if (n > KV_VIEW_NAME_MAX)
            return NULL;
        memcpy(head, name, n);
        head[n] = '\0';
        o = json_object_get(o, head);
        name = dot + 1;
    }
    return o ? json_object_get(o, name) : NULL;
}

int kv__view_cmp_member(json_t *a, json_t *b)
{
    if (json_is_null(a))
        a = NULL;
    if (json_is_null(b))
        b = NULL;
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    if (json_is_boolean(a) && json_is_boolean(b))
        return json_is_true(a) - json_is_true(b);
    if (json_is_number(a) && json_is_number(b))
        return (json_number_value(a) > json_number_value(b)) -
               (json_number_value(a) < json_number_value(b));
    return json_typeof(a) < json_typeof(b) ? -1 : json_typeof(a) > json_typeof(b);
}

/* 1 when one of v's any terms equals a keyword of j (see query_view.h). */
static int any_match(const struct kv__view *v, json_t *j, int depth)
{
    char num[32];
    const char *key, *s = NULL;
    json_t *m;
    size_t i;
    int k;

    if (depth > KV_VIEW_DEPTH)
        return 0;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        json_object_foreach(j, key, m)
            if (any_match(v, m, depth + 1))
                return 1;
        return 0;
    case JSON_ARRAY:
        json_array_foreach(j, i, m)
            if (any_match(v, m, depth + 1))
                return 1;
        return 0;
    case JSON_STRING:
        s = json_string_value(j);
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(j));
        s = num;
        break;
    case JSON_TRUE:
        s = "true";
        break;
    case JSON_FALSE:
        s = "false";
        break;
    default:
        return 0;
    }
    for (k = 0; k < v->n_any; k++)
        if (strcasecmp(s, v->any[k]) == 0)
            return 1;
    return 0;
}

void kv__view_filter_any(const struct kv__view *v, json_t *list)
{
    size_t i;

    if (v->n_any == 0)
        return;
    for (i = json_array_size(list); i-- > 0;)
        if (!any_match(v, json_array_get(list, i), 0))
            json_array_remove(list, i);
}

struct item {
    json_t *e;
    size_t pos;
};

struct sort_spec {
    const char *name[KV_VIEW_SORT_MAX + 1];
    int desc[KV_VIEW_SORT_MAX + 1];
    int n;
};

static int cmp_items(const void *pa, const void *pb, void *arg)
{
    const struct item *a = pa, *b = pb;
    const struct sort_spec *sp = arg;
    int i, c;

    for (i = 0; i < sp->n; i++) {
        c = kv__view_cmp_member(kv__view_member(a->e, sp->name[i]),
                                kv__view_member(b->e, sp->name[i]));
        if (c)
            return sp->desc[i] ? -c : c;
    }
    return (a->pos > b->pos) - (a->pos < b->pos);
}

void kv__view_sort(const struct kv__view *v, json_t *list, const char *def, const char *tiebreak)
{
    size_t n = json_array_size(list), i;
    struct sort_spec sp;
    struct item *items;
    int k;

    memset(&sp, 0, sizeof(sp));
    for (k = 0; k < v->n_sort; k++) {
        sp.name[sp.n] = v->sort[k];
        sp.desc[sp.n++] = v->desc[k];
    }
    if (sp.n == 0 && def)
        sp.name[sp.n++] = def;
    if (tiebreak)
        sp.name[sp.n++] = tiebreak;
    if (n < 2 || sp.n == 0)
        return;
    items = calloc(n, sizeof(*items));
    if (!items)
        abort();
    for (i = 0; i < n; i++) {
        items[i].e = json_incref(json_array_get(list, i));
        items[i].pos = i;
    }
    qsort_r(items, n, sizeof(*items), cmp_items, &sp);
    json_array_clear(list);
    for (i = 0; i < n; i++)
        json_array_append_new(list, items[i].e);
    free(items);
}

/* Copies the member of src at dotted path name into dst, creating the objects on the way. */
static void copy_path(json_t *dst, json_t *src, const char *name)
{
    char head[KV_VIEW_NAME_MAX + 1];
    const char *dot = strchr(name, '.');
    json_t *m, *sub;
    size_t n;

    if (!json_is_object(src))
        return;
    if (!dot) {
        m = json_object_get(src, name);
        if (m)
            json_object_set(dst, name, m);
        return;
    }
    n = (size_t)(dot - name);
    memcpy(head, name, n);
    head[n] = '\0';
    m = json_object_get(src, head);
    if (!json_is_object(m))
        return;
    sub = json_object_get(dst, head);
    if (!json_is_object(sub)) {
        sub = json_object();
        json_object_set_new(dst, head, sub);
    }
    copy_path(sub, m, dot + 1);
}

void kv__view_project(const struct kv__view *v, json_t *list)
{
    size_t i;
    int k;

    if (v->n_fields == 0)
        return;
    for (i = 0; i < json_array_size(list); i++) {
        json_t *e = json_array_get(list, i), *p = json_object();
        for (k = 0; k < v->n_fields; k++)
            copy_path(p, e, v->fields[k]);
        json_array_set_new(list, i, p);
    }
}

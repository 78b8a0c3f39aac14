/* SPDX-License-Identifier: MIT
 *
 * query_view.h: NgDP's generic query parameters over a list the handler holds as JSON
 * objects (contact points and groups, contacts, events):
 *   sortFields  "field[:asc|:desc],..." (up to KV_VIEW_SORT_MAX; dot notation for nested
 *               members); which fields a list may be sorted by is the handler's list;
 *   any         "term,term,..." (up to KV_VIEW_ANY_MAX): keeps the elements where one of the
 *               terms equals one of the element's keywords: a string value anywhere in it
 *               (ASCII case folded), or an integer or boolean written as text;
 *   fields      "field,field,..." (up to KV_VIEW_FIELDS_MAX; dot notation keeps a nested
 *               member): the elements of the answer carry only these members;
 *   searchParameters is, as NgDP's client documents ("searchParameters as query param is
 *               NOT used although specified as name here"), accepted and not used.
 * The parse writes a 400 naming the parameter for a malformed value. docs/openapi.yaml says
 * which endpoint reads which.
 *
 * Ownership: a struct kv__view borrows nothing after kv__view_parse returns (the names are
 * copied); the list functions change the list they are given in place.
 */
#ifndef KV_API_QUERY_VIEW_H
#define KV_API_QUERY_VIEW_H

#include <jansson.h>

#include "http/http.h"

#define KV_VIEW_SORT_MAX 3
#define KV_VIEW_ANY_MAX 10
#define KV_VIEW_FIELDS_MAX 32
#define KV_VIEW_NAME_MAX 64 /* bytes of one field name or any term */

struct kv__view {
    char sort[KV_VIEW_SORT_MAX][KV_VIEW_NAME_MAX + 1];
    int desc[KV_VIEW_SORT_MAX];
    int n_sort;
    char any[KV_VIEW_ANY_MAX][KV_VIEW_NAME_MAX + 1];
    int n_any;
    char fields[KV_VIEW_FIELDS_MAX][KV_VIEW_NAME_MAX + 1];
    int n_fields;
};

/* Reads sortFields (each field one of the NULL-ended sortable, exact case; with sortable
 * NULL sortFields is left to the caller), any and fields of req into v. 0, or a negative
 * code after writing the 400. */
int kv__view_parse(struct kv_http_req *req, struct kv_http_resp *resp,
                   const char *const *sortable, struct kv__view *v);

/* Reads only fields into v (for a list that reads sortFields and any itself). 0, or a
 * negative code after writing the 400. */
int kv__view_parse_fields(struct kv_http_req *req, struct kv_http_resp *resp,
                          struct kv__view *v);

/* The member of o at dotted path name, or NULL. */
json_t *kv__view_member(json_t *o, const char *name);

/* Orders two members as the sort does: absent (or null) first, then by value (numbers,
 * booleans, strings in byte order; the lists' times are fixed-width UTC strings). */
int kv__view_cmp_member(json_t *a, json_t *b);

/* Removes from list the elements no any term matches (nothing without any). */
void kv__view_filter_any(const struct kv__view *v, json_t *list);

/* Sorts list by v's sortFields, then by the member tiebreak (ascending; NULL: ties keep
 * their order). Without sortFields, by the default field def (ascending; NULL: unsorted). */
void kv__view_sort(const struct kv__view *v, json_t *list, const char *def, const char *tiebreak);

/* Replaces every element of list by its projection on v's fields (nothing without fields). */
void kv__view_project(const struct kv__view *v, json_t *list);

#endif

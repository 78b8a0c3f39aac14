/* SPDX-License-Identifier: MIT
 *
 * page.h: the NgDP page shapes shared by paged list endpoints, page numbers zero-based.
 *   kv_page_json       {content, number, size, totalElements, totalPages, previous, next},
 *                      previous/next as relative links "<base>?page=N&size=S" or null (the
 *                      event log, where NgDP's client reads `next` as a string);
 *   kv_page_uuid_json  NgDP's PagingResultUUID (GET /apis/v1/memos/ and /apis/v1/receipts/):
 *                      the same members, but previous/next are PagingArguments objects
 *                      {page, size, ordering: [{property, direction}]} (or null), which the
 *                      generated client reads and turns back into page=, size= and
 *                      sort=property,direction query parameters;
 *   kv_page_parse_sort reads such a sort parameter for a list that has one ordering key.
 * docs/receipts.md ("Paging") documents the shape and the sort parameter.
 */
#ifndef KV_UTIL_PAGE_H
#define KV_UTIL_PAGE_H

#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

/* The order a paged list was cut in: one property, ascending or descending. */
struct kv_page_order {
    const char *property; /* borrowed, e.g. "createdDate" */
    int desc;             /* 0 ASC, 1 DESC */
};

/* Returns an owned page object (json_decref). Takes ownership of content (a JSON array);
 * borrows base, e.g. "/apis/v1/events/". size must be >= 1. */
json_t *kv_page_json(json_t *content, const char *base, int64_t page, int64_t size,
                     int64_t total);

/* Returns an owned PagingResultUUID (json_decref). Takes ownership of content (an array of
 * UUID strings); order (borrowed) is the order the page was cut in and goes into the
 * `ordering` of previous/next. size must be >= 1. */
json_t *kv_page_uuid_json(json_t *content, int64_t page, int64_t size, int64_t total,
                          const struct kv_page_order *order);

/* The same, with a keyset cursor: "next" (when there is a next page: more > 0, or with
 * more < 0 when page + 1 < totalPages) also carries, after the order, the Order
 * {property: "after:<the page's last UUID>", direction}. A client that turns every Order
 * of next back into a sort= parameter (what the generated client's ListAvailable... take)
 * hands the cursor back, and kv_page_parse_after reads it: the next page is then the `size`
 * elements after that one wherever it now stands, so deleting what was read does not make
 * the walk skip. */
#define KV_PAGE_AFTER "after:"
json_t *kv_page_uuid_json_after(json_t *content, int64_t page, int64_t size, int64_t total,
                                const struct kv_page_order *order, int more);

/* The same with the cursor of "previous" too: with prev > 0 (or prev < 0 and page > 0) and
 * page > 0, previous carries, after the order, the Order {property: "before:<the page's
 * first UUID>", direction}: handed back, the page is the `size` elements before that one
 * (kv_page_parse_cursor), so walking back is as stable as walking on. prev 0: no previous. */
#define KV_PAGE_BEFORE "before:"
json_t *kv_page_uuid_json_keyset(json_t *content, int64_t page, int64_t size, int64_t total,
                                 const struct kv_page_order *order, int more, int prev);

/* 1 and the lower-cased UUID in out when value is a cursor sort value "after:<uuid>" or
 * "before:<uuid>" (*before then 1; optionally ",ASC"/",DESC"; prefix in any case); 0 when
 * it is none; KV_EINVAL when it starts with a prefix but is malformed. */
int kv_page_parse_cursor(const char *value, char out[37], int *before);

/* 1 and the lower-cased UUID in out when value is a cursor sort value "after:<uuid>"
 * (optionally ",ASC"/",DESC"; prefix in any case); 0 when it is none; KV_EINVAL when it
 * starts with the prefix but is malformed. */
int kv_page_parse_after(const char *value, char out[37]);

/* Reads a Spring-style sort value "property", "property,ASC" or "property,DESC" (direction
 * in any case, blanks around the parts allowed). When property is one of the NULL-ended list
 * names (case-insensitively), out->desc is set from the direction and 1 is returned, or
 * KV_EINVAL (err set) for a direction other than ASC/DESC. Any other property returns 0 and
 * leaves out alone (the caller keeps its order). value NULL returns 0. */
int kv_page_parse_sort(const char *value, const char *const *names, struct kv_page_order *out,
                       struct kv_err *err);

#endif

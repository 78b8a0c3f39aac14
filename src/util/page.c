/* SPDX-License-Identifier: MIT
 *
 * page.c: builds the NgDP page object. See page.h.
 */
#include "util/page.h"

#include <stdio.h>

static json_t *link(const char *base, int64_t page, int64_t size)
{
    char url[256];
    int n = snprintf(url, sizeof(url), "%s?page=%lld&size=%lld", base, (long long)page,
                     (long long)size);

    if (n < 0 || (size_t)n >= sizeof(url))
        return json_null();
    return json_string(url);
}

json_t *kv_page_json(json_t *content, const char *base, int64_t page, int64_t size,
                     int64_t total)
{
    int64_t pages = (total + size - 1) / size;
    json_t *o = json_object();

    json_object_set_new(o, "content", content);
    json_object_set_new(o, "number", json_integer(page));
    json_object_set_new(o, "size", json_integer(size));
    json_object_set_new(o, "totalElements", json_integer(total));
    json_object_set_new(o, "totalPages", json_integer(pages));
    json_object_set_new(o, "previous", page > 0 ? link(base, page - 1, size) : json_null());
    json_object_set_new(o, "next", page + 1 < pages ? link(base, page + 1, size) : json_null());
    return o;
}

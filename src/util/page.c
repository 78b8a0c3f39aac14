/* SPDX-License-Identifier: MIT
 *
 * page.c: builds the NgDP page objects and reads the sort parameter. See page.h.
 */
#include "util/page.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static json_t *link(const char *base, int64_t page, int64_t size)
{
    char url[256];
    int n = snprintf(url, sizeof(url), "%s?page=%lld&size=%lld", base, (long long)page,
                     (long long)size);

    if (n < 0 || (size_t)n >= sizeof(url))
        return json_null();
    return json_string(url);
}

static int64_t page_count(int64_t total, int64_t size)
{
    return total / size + (total % size != 0);
}

json_t *kv_page_json(json_t *content, const char *base, int64_t page, int64_t size,
                     int64_t total)
{
    int64_t pages = page_count(total, size);
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

/* PagingArguments {page, size, ordering: [{property, direction}]}. */
static json_t *args(int64_t page, int64_t size, const struct kv_page_order *order)
{
    return json_pack("{s:I,s:I,s:[{s:s,s:s}]}", "page", (json_int_t)page, "size",
                     (json_int_t)size, "ordering", "property", order->property, "direction",
                     order->desc ? "DESC" : "ASC");
}

json_t *kv_page_uuid_json(json_t *content, int64_t page, int64_t size, int64_t total,
                          const struct kv_page_order *order)
{
    return kv_page_uuid_json_after(content, page, size, total, order, -1);
}

json_t *kv_page_uuid_json_after(json_t *content, int64_t page, int64_t size, int64_t total,
                                const struct kv_page_order *order, int more)
{
    return kv_page_uuid_json_keyset(content, page, size, total, order, more, -1);
}

/* Appends to PagingArguments a the cursor Order {property: "<prefix><uuid>", direction}. */
static void add_cursor(json_t *a, const char *prefix, const char *uuid,
                       const struct kv_page_order *order)
{
    char prop[64];

    snprintf(prop, sizeof(prop), "%s%s", prefix, uuid);
    json_array_append_new(json_object_get(a, "ordering"),
                          json_pack("{s:s,s:s}", "property", prop, "direction",
                                    order->desc ? "DESC" : "ASC"));
}

json_t *kv_page_uuid_json_keyset(json_t *content, int64_t page, int64_t size, int64_t total,
                                 const struct kv_page_order *order, int more, int prev)
{
    int64_t pages = page_count(total, size);
    size_t n = json_array_size(content);
    json_t *o = json_object(), *next = NULL, *previous = NULL;

    if (more < 0)
        more = page + 1 < pages;
    if (prev < 0)
        prev = page > 0; /* the page before the one asked for, also past the end (Spring) */
    if (more) {
        next = args(page + 1, size, order);
        if (n > 0) /* the keyset cursor: the last element of this page */
            add_cursor(next, KV_PAGE_AFTER, json_string_value(json_array_get(content, n - 1)),
                       order);
    }
    if (prev && page > 0) {
        previous = args(page - 1, size, order);
        if (n > 0) /* the elements before the first of this page */
            add_cursor(previous, KV_PAGE_BEFORE, json_string_value(json_array_get(content, 0)),
                       order);
    }
    json_object_set_new(o, "content", content);
    json_object_set_new(o, "number", json_integer(page));
    json_object_set_new(o, "size", json_integer(size));
    json_object_set_new(o, "totalElements", json_integer(total));
    json_object_set_new(o, "totalPages", json_integer(pages));
    json_object_set_new(o, "previous", previous ? previous : json_null());
    json_object_set_new(o, "next", next ? next : json_null());
    return o;
}

int kv_page_parse_after(const char *value, char out[37])
{
    int before = 0, rc = kv_page_parse_cursor(value, out, &before);

    return rc == 1 && before ? 0 : rc;
}

int kv_page_parse_cursor(const char *value, char out[37], int *before)
{
    size_t i, n;

    *before = 0;
    while (value && (*value == ' ' || *value == '\t'))
        value++;
    if (!value)
        return 0;
    if (strncasecmp(value, KV_PAGE_AFTER, strlen(KV_PAGE_AFTER)) == 0) {
        n = strlen(KV_PAGE_AFTER);
    } else if (strncasecmp(value, KV_PAGE_BEFORE, strlen(KV_PAGE_BEFORE)) == 0) {
        n = strlen(KV_PAGE_BEFORE);
        *before = 1;
    } else {
        return 0;
    }
    value += n;
    for (i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = value[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                                (c >= 'A' && c <= 'F')))
            return KV_EINVAL;
        out[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
    }
    out[36] = '\0';
    value += 36;
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value == ',') { /* the direction the cursor's Order carried: checked, not used */
        value++;
        while (*value == ' ' || *value == '\t')
            value++;
        if (strncasecmp(value, "ASC", 3) == 0)
            value += 3;
        else if (strncasecmp(value, "DESC", 4) == 0)
            value += 4;
        else
            return KV_EINVAL;
        while (*value == ' ' || *value == '\t')
            value++;
    }
    return *value ? KV_EINVAL : 1;
}

/* s[0..n) without surrounding blanks, compared case-insensitively with word. */
static int word_is(const char *s, size_t n, const char *word)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

int kv_page_parse_sort(const char *value, const char *const *names, struct kv_page_order *out,
                       struct kv_err *err)
{
    const char *comma;
    size_t plen;
    int i, desc = 0;

    if (!value)
        return 0;
    comma = strchr(value, ',');
    plen = comma ? (size_t)(comma - value) : strlen(value);
    for (i = 0; names[i] && !word_is(value, plen, names[i]); i++)
        ;
    if (!names[i])
        return 0; /* a property this list is not ordered by: ignored */
    if (comma) {
        const char *dir = comma + 1;
        size_t dlen = strlen(dir);
        if (word_is(dir, dlen, "DESC"))
            desc = 1;
        else if (!word_is(dir, dlen, "ASC"))
            return kv_err_set(err, KV_EINVAL,
                              "sort direction must be ASC or DESC (sort=%s,ASC or sort=%s,DESC)",
                              names[0], names[0]);
    }
    out->desc = desc;
    return 1;
}

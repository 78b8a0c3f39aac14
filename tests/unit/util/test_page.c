/* SPDX-License-Identifier: MIT
 *
 * test_page.c: the NgDP page shapes of util/page.c: PagingResultUUID with PagingArguments
 * previous/next (first, middle, last, past the end, empty, descending), the string-link page
 * of the event log, the sort parameter (property in any case, direction in any case,
 * blanks, other properties ignored, a bad direction refused) and the keyset cursor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/err.h"
#include "util/page.h"

static json_t *args_of(json_t *page, const char *which)
{
    return json_object_get(page, which);
}

static void expect_args(json_t *a, int64_t page, int64_t size, const char *prop,
                        const char *dir)
{
    json_t *o = json_array_get(json_object_get(a, "ordering"), 0);

    assert_non_null(a);
    assert_true(json_integer_value(json_object_get(a, "page")) == page);
    assert_true(json_integer_value(json_object_get(a, "size")) == size);
    assert_int_equal(json_array_size(json_object_get(a, "ordering")), 1);
    assert_string_equal(json_string_value(json_object_get(o, "property")), prop);
    assert_string_equal(json_string_value(json_object_get(o, "direction")), dir);
}

static void test_uuid_page(void **state)
{
    struct kv_page_order asc = {"createdDate", 0}, desc = {"timeStamp", 1};
    json_t *p;

    (void)state;
    p = kv_page_uuid_json(json_array(), 0, 2, 5, &asc);
    assert_true(json_is_null(args_of(p, "previous")));
    expect_args(args_of(p, "next"), 1, 2, "createdDate", "ASC");
    assert_int_equal(json_integer_value(json_object_get(p, "totalPages")), 3);
    assert_int_equal(json_integer_value(json_object_get(p, "totalElements")), 5);
    json_decref(p);

    p = kv_page_uuid_json(json_array(), 1, 2, 5, &desc);
    expect_args(args_of(p, "previous"), 0, 2, "timeStamp", "DESC");
    expect_args(args_of(p, "next"), 2, 2, "timeStamp", "DESC");
    json_decref(p);

    p = kv_page_uuid_json(json_array(), 2, 2, 5, &asc);
    expect_args(args_of(p, "previous"), 1, 2, "createdDate", "ASC");
    assert_true(json_is_null(args_of(p, "next")));
    json_decref(p);

    /* past the end: previous is the page before the one asked for (Spring Data) */
    p = kv_page_uuid_json(json_array(), 7, 2, 5, &asc);
    expect_args(args_of(p, "previous"), 6, 2, "createdDate", "ASC");
    assert_true(json_is_null(args_of(p, "next")));
    json_decref(p);

    p = kv_page_uuid_json(json_array(), 0, 20, 0, &asc);
    assert_int_equal(json_integer_value(json_object_get(p, "totalPages")), 0);
    assert_true(json_is_null(args_of(p, "previous")) && json_is_null(args_of(p, "next")));
    json_decref(p);
}

static void test_link_page(void **state)
{
    json_t *p;

    (void)state;
    p = kv_page_json(json_array(), "/apis/v1/events/", 1, 10, 25);
    assert_string_equal(json_string_value(json_object_get(p, "previous")),
                        "/apis/v1/events/?page=0&size=10");
    assert_string_equal(json_string_value(json_object_get(p, "next")),
                        "/apis/v1/events/?page=2&size=10");
    json_decref(p);
}

static void test_sort(void **state)
{
    static const char *const names[] = {"createdDate", "id", NULL};
    struct kv_page_order o = {"createdDate", 0};
    struct kv_err err = {0};

    (void)state;
    assert_int_equal(kv_page_parse_sort(NULL, names, &o, &err), 0);
    assert_int_equal(kv_page_parse_sort("createdDate,DESC", names, &o, &err), 1);
    assert_int_equal(o.desc, 1);
    assert_int_equal(kv_page_parse_sort("CREATEDDATE", names, &o, &err), 1);
    assert_int_equal(o.desc, 0);
    assert_int_equal(kv_page_parse_sort(" id , desc ", names, &o, &err), 1);
    assert_int_equal(o.desc, 1);
    assert_int_equal(kv_page_parse_sort("id,asc", names, &o, &err), 1);
    assert_int_equal(o.desc, 0);
    /* another property: ignored, order untouched, whatever its direction says */
    o.desc = 1;
    assert_int_equal(kv_page_parse_sort("label,ASC", names, &o, &err), 0);
    assert_int_equal(kv_page_parse_sort("label,sideways", names, &o, &err), 0);
    assert_int_equal(kv_page_parse_sort("", names, &o, &err), 0);
    assert_int_equal(o.desc, 1);
    assert_int_equal(kv_page_parse_sort("createdDate,sideways", names, &o, &err), KV_EINVAL);
    assert_non_null(strstr(err.msg, "ASC or DESC"));
    assert_int_equal(kv_page_parse_sort("createdDate,", names, &o, &err), KV_EINVAL);
    assert_int_equal(o.desc, 1);
}

/* The keyset cursor: next carries the page's last UUID as an Order "after:<uuid>" after the
 * order; with more given, next follows it, not the page count; the cursor reads back. */
static void test_cursor(void **state)
{
    static const char U1[] = "0b9e0c4e-6a54-4c4e-9d1e-3f1d2a7a9b10";
    static const char U2[] = "7d1a3c9e-1b2f-4e5a-8c6d-9e0f1a2b3c4d";
    struct kv_page_order asc = {"createdDate", 0};
    json_t *p, *ord;
    char out[37];

    (void)state;
    p = kv_page_uuid_json_after(json_pack("[s,s]", U1, U2), 0, 2, 5, &asc, -1);
    ord = json_object_get(json_object_get(p, "next"), "ordering");
    assert_int_equal(json_array_size(ord), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ord, 0), "property")),
                        "createdDate");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ord, 1), "property")),
                        "after:7d1a3c9e-1b2f-4e5a-8c6d-9e0f1a2b3c4d");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ord, 1), "direction")),
                        "ASC");
    json_decref(p);
    /* keyset: the caller knows whether more follow */
    p = kv_page_uuid_json_after(json_pack("[s]", U1), 1, 2, 5, &asc, 0);
    assert_true(json_is_null(json_object_get(p, "next")));
    json_decref(p);
    p = kv_page_uuid_json_after(json_pack("[s]", U1), 4, 2, 5, &asc, 1);
    assert_non_null(json_object_get(json_object_get(p, "next"), "ordering"));
    json_decref(p);

    assert_int_equal(kv_page_parse_after(NULL, out), 0);
    assert_int_equal(kv_page_parse_after("createdDate,ASC", out), 0);
    assert_int_equal(kv_page_parse_after("after:7D1A3C9E-1B2F-4E5A-8C6D-9E0F1A2B3C4D,ASC", out),
                     1);
    assert_string_equal(out, U2);
    assert_int_equal(kv_page_parse_after(" AFTER:0b9e0c4e-6a54-4c4e-9d1e-3f1d2a7a9b10 ", out), 1);
    assert_string_equal(out, U1);
    assert_int_equal(kv_page_parse_after("after:nope", out), KV_EINVAL);
    assert_int_equal(kv_page_parse_after("after:0b9e0c4e-6a54-4c4e-9d1e-3f1d2a7a9b10x", out),
                     KV_EINVAL);
    assert_int_equal(kv_page_parse_after("after:0b9e0c4e-6a54-4c4e-9d1e-3f1d2a7a9b10,UP", out),
                     KV_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_page),
        cmocka_unit_test(test_link_page),
        cmocka_unit_test(test_sort),
        cmocka_unit_test(test_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

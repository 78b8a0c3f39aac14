/* SPDX-License-Identifier: MIT
 *
 * test_router.c: unit tests of the HTTP router (src/http/router.c): literal and {param}
 * segments, optional trailing slashes, literal-beats-parameter precedence, 404 vs 405 with the
 * Allow list, HEAD routed as GET, test-only routes hidden without the test clock, and first
 * segments that are a prefix of another (the router skips routes by their first segment),
 * over route tables of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_int.h"
#include "util/err.h"

static int h(struct kv_http_req *req, struct kv_http_resp *resp)
{
    (void)req;
    (void)resp;
    return 0;
}

static const struct kv_http_route table_a[] = {
    {"GET", "/healthz", h, "healthz", 0, "public"},
    {"GET", "/apis/v1/memos/", h, "memos_list", 0, "public"},
    {"POST", "/apis/v1/memos/", h, "memos_send", 0, "public"},
    {"POST", "/apis/v1/memos/{uuid}/recall", h, "memos_recall", 0, "public"},
    {"GET", "/apis/v1/receipts/{id}", h, "receipts_get", 0, "public"},
    {"DELETE", "/apis/v1/receipts/{id}", h, "receipts_delete", 0, "public"},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
static const struct kv_http_route table_b[] = {
    {"GET", "/apis/v1/receipts/latest", h, "receipts_latest", 0, "public"},
    {"GET", "/m/{uuid}/files/{n}", h, "file", 0, "public"},
    {"POST", "/test/clock", h, "test_clock", KV_ROUTE_TEST_ONLY, "public"},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
static const struct kv_http_route *const tables[] = {table_a, table_b, NULL};

struct result {
    int rc;
    struct kv__http_match m;
    const char *params[KV_HTTP_MAX_PARAMS];
    char copy[256];
};

static void route(struct result *r, const char *method, const char *path, int test_clock)
{
    memset(r, 0, sizeof(*r));
    assert_true(strlen(path) < sizeof(r->copy));
    memcpy(r->copy, path, strlen(path) + 1);
    r->rc = kv__http_route(tables, method, path, test_clock, r->copy, r->params, &r->m);
}

static void expect_route(const char *method, const char *path, const char *name)
{
    struct result r;

    route(&r, method, path, 0);
    assert_int_equal(r.rc, 0);
    assert_non_null(r.m.route);
    assert_string_equal(r.m.route->name, name);
}

static void test_literal_and_trailing_slash(void **state)
{
    (void)state;
    expect_route("GET", "/healthz", "healthz");
    expect_route("GET", "/healthz/", "healthz");
    expect_route("GET", "/apis/v1/memos", "memos_list");
    expect_route("GET", "/apis/v1/memos/", "memos_list");
    expect_route("POST", "/apis/v1/memos", "memos_send");
}

static void test_params(void **state)
{
    struct result r;

    (void)state;
    route(&r, "POST", "/apis/v1/memos/AbC-123/recall/", 0);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.m.route->name, "memos_recall");
    assert_string_equal(r.params[0], "AbC-123");
    assert_null(r.params[1]);
    route(&r, "GET", "/m/u1/files/2", 0);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.params[0], "u1");
    assert_string_equal(r.params[1], "2");
    /* a parameter never matches an empty segment or several segments */
    route(&r, "POST", "/apis/v1/memos//recall", 0);
    assert_int_equal(r.rc, KV_ENOTFOUND);
    route(&r, "GET", "/m/a/b/files/2", 0);
    assert_int_equal(r.rc, KV_ENOTFOUND);
}

static void test_literal_beats_param(void **state)
{
    (void)state;
    expect_route("GET", "/apis/v1/receipts/latest", "receipts_latest");
    expect_route("GET", "/apis/v1/receipts/other", "receipts_get");
}

static void test_not_found(void **state)
{
    struct result r;
    static const char *const paths[] = {"/", "/nope", "/healthz/x", "/healthzz", "/healthz//",
                                        "//healthz", "/apis/v1", "/apis/v1/memos/x/recall/y", ""};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        route(&r, "GET", paths[i], 1);
        assert_int_equal(r.rc, KV_ENOTFOUND);
        assert_null(r.m.route);
    }
}

static void test_method_not_allowed(void **state)
{
    struct result r;

    (void)state;
    route(&r, "PUT", "/apis/v1/receipts/7", 0);
    assert_int_equal(r.rc, KV_EINVAL);
    assert_string_equal(r.m.allow, "GET, HEAD, DELETE");
    route(&r, "DELETE", "/healthz", 0);
    assert_int_equal(r.rc, KV_EINVAL);
    assert_string_equal(r.m.allow, "GET, HEAD");
    expect_route("HEAD", "/healthz", "healthz");
}

static void test_test_only(void **state)
{
    struct result r;

    (void)state;
    route(&r, "POST", "/test/clock", 0);
    assert_int_equal(r.rc, KV_ENOTFOUND);
    route(&r, "GET", "/test/clock", 0);
    assert_int_equal(r.rc, KV_ENOTFOUND);
    route(&r, "POST", "/test/clock", 1);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.m.route->name, "test_clock");
    route(&r, "GET", "/test/clock", 1);
    assert_int_equal(r.rc, KV_EINVAL);
    assert_string_equal(r.m.allow, "POST");
}

static const struct kv_http_route table_c[] = {
    {"GET", "/", h, "root", 0, "public"},
    {"GET", "/ab", h, "ab", 0, "public"},
    {"GET", "/abc/d", h, "abc_d", 0, "public"},
    {"GET", "/{slug}/x", h, "slug_x", 0, "public"},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* The route name for GET path over table_c, or NULL (rc in *rc). */
static const char *route_c(const char *path, int *rc)
{
    static const struct kv_http_route *const tc[] = {table_c, NULL};
    struct kv__http_match m;
    const char *params[KV_HTTP_MAX_PARAMS];
    char copy[64];

    assert_true(strlen(path) < sizeof(copy));
    memcpy(copy, path, strlen(path) + 1);
    *rc = kv__http_route(tc, "GET", path, 0, copy, params, &m);
    return m.route ? m.route->name : NULL;
}

static void test_first_segment(void **state)
{
    static const char *const found[][2] = {
        {"/", "root"},         {"/ab", "ab"},         {"/ab/", "ab"},
        {"/abc/d", "abc_d"},   {"/abc/d/", "abc_d"},  {"/ab/x", "slug_x"},
        {"/abc/x", "slug_x"},  {"/q/x/", "slug_x"},
    };
    static const char *const missing[] = {"/a", "/abc", "/abcd/d", "/ab/d", "/x", "", "x"};
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
        const char *name = route_c(found[i][0], &rc);
        assert_int_equal(rc, 0);
        assert_non_null(name);
        assert_string_equal(name, found[i][1]);
    }
    for (i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        assert_null(route_c(missing[i], &rc));
        assert_int_equal(rc, KV_ENOTFOUND);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_and_trailing_slash),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_literal_beats_param),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_test_only),
        cmocka_unit_test(test_first_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

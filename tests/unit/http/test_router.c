/* SPDX-License-Identifier: MIT
 *
 * test_router.c: unit tests of the HTTP router (src/http/router.c): literal and {param}
 * segments, optional trailing slashes, literal-beats-parameter precedence, 404 vs 405 with the
 * Allow list, HEAD routed as GET, test-only routes hidden without the test clock, and first
 * segments that are a prefix of another (the router skips routes by their first segment),
 * over route tables of its own; and the index of literal routes (kv__http_route_indexed)
 * giving what the scan gives, over these tables and the served ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
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

/* Routes method + path over the tables ts into r, through the index ix, or by the scan when
 * ix is NULL; the router cuts r's copy of the path into the parameters. */
static void route_over(struct result *r, const struct kv__http_index *ix,
                       const struct kv_http_route *const *ts, const char *method,
                       const char *path, int test_clock)
{
    memset(r, 0, sizeof(*r));
    assert_true(strlen(path) < sizeof(r->copy));
    memcpy(r->copy, path, strlen(path) + 1);
    if (ix)
        r->rc = kv__http_route_indexed(ix, ts, method, path, test_clock, r->copy, r->params,
                                       &r->m);
    else
        r->rc = kv__http_route(ts, method, path, test_clock, r->copy, r->params, &r->m);
}

static void route(struct result *r, const char *method, const char *path, int test_clock)
{
    route_over(r, NULL, tables, method, path, test_clock);
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
    struct result r;

    route_over(&r, NULL, tc, "GET", path, 0);
    *rc = r.rc;
    return r.m.route ? r.m.route->name : NULL;
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

static const struct kv_http_route table_d[] = {
    {"GET", "/dup", h, "dup_first", 0, "public"},
    {"GET", "/dup/", h, "dup_second", 0, "public"},
    {"GET", "/{x}", h, "param", 0, "public"},
    {"GET", "/a//b", h, "empty_segment", 0, "public"},
    {"GET", "/a/", h, "a", 0, "public"},
    {"GET", "/t", h, "t_test", KV_ROUTE_TEST_ONLY, "public"},
    {"GET", "/t", h, "t_plain", 0, "public"},
    {"POST", "/", h, "root_post", 0, "public"},
    {"GET", "/{x}/{y}", h, "two_params", 0, "public"},
    {"GET", "/b/{y}", h, "b_param", 0, "public"},
    {"GET", "/b/c", h, "b_c", 0, "public"},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* kv__http_route and kv__http_route_indexed agree on method + path: result, route, Allow,
 * parameters. */
static void expect_same(const struct kv__http_index *ix, const struct kv_http_route *const *ts,
                        const char *method, const char *path, int test_clock)
{
    struct result a, b;
    int i;

    route_over(&a, NULL, ts, method, path, test_clock);
    route_over(&b, ix, ts, method, path, test_clock);
    if (a.rc != b.rc || a.m.route != b.m.route)
        fail_msg("%s %s (test clock %d): scan %d %s, index %d %s", method, path, test_clock, a.rc,
                 a.m.route ? a.m.route->name : "-", b.rc, b.m.route ? b.m.route->name : "-");
    assert_string_equal(a.m.allow, b.m.allow);
    for (i = 0; i < KV_HTTP_MAX_PARAMS; i++) {
        if (!a.params[i] || !b.params[i])
            assert_true(a.params[i] == NULL && b.params[i] == NULL);
        else
            assert_string_equal(a.params[i], b.params[i]);
    }
}

/* The route the index gives, or NULL when it is left to the scan. */
static const char *indexed_name(const struct kv__http_index *ix,
                                const struct kv_http_route *const *ts, const char *method,
                                const char *path, int test_clock)
{
    struct result r;

    route_over(&r, ix, ts, method, path, test_clock);
    return r.rc == 0 ? r.m.route->name : NULL;
}

static void test_index_own_tables(void **state)
{
    static const struct kv_http_route *const td[] = {table_d, table_a, table_b, table_c, NULL};
    static const char *const paths[] = {
        "/dup", "/dup/", "/dup//", "/a//b", "/a//b/", "/a/b", "/a", "/a/", "/a//", "/t", "/t/",
        "/", "//", "", "x", "/b/c", "/b/c/", "/b/d", "/healthz", "/healthz/", "/apis/v1/memos",
        "/apis/v1/memos/", "/apis/v1/memos//", "/apis/v1/receipts/latest", "/test/clock",
        "/abc/d", "/ab", "/q/x", "/m/u/files/2",
    };
    static const char *const methods[] = {"GET", "HEAD", "POST", "DELETE", "OPTIONS", "PUT"};
    size_t p, k;
    int tc;

    (void)state;
    for (tc = 0; tc < 2; tc++) {
        struct kv__http_index *ix = kv__http_index_new(td, tc);

        for (p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
            for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++)
                expect_same(ix, td, methods[k], paths[p], tc);
        /* the first of two literal routes, a test-only one only with the test clock, and
         * literal over parameter */
        assert_string_equal(indexed_name(ix, td, "GET", "/dup/", tc), "dup_first");
        assert_string_equal(indexed_name(ix, td, "HEAD", "/dup", tc), "dup_first");
        assert_string_equal(indexed_name(ix, td, "GET", "/t", tc), tc ? "t_test" : "t_plain");
        assert_string_equal(indexed_name(ix, td, "GET", "/b/c", tc), "b_c");
        assert_string_equal(indexed_name(ix, td, "POST", "//", tc), "root_post");
        kv__http_index_free(ix);
    }
    kv__http_index_free(NULL);
}

/* Every served route: its pattern with "x" for each parameter, with and without a trailing
 * slash, under every method. */
static void test_index_served_tables(void **state)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};
    const struct kv_http_route *const *ts = kv_api_route_tables;
    size_t k, n = 0;
    int tc, t;

    (void)state;
    for (tc = 0; tc < 2; tc++) {
        struct kv__http_index *ix = kv__http_index_new(ts, tc);

        for (t = 0; ts[t]; t++) {
            const struct kv_http_route *r;
            for (r = ts[t]; r->method; r++) {
                char path[256], slash[260];
                const char *p = r->pattern;
                size_t o = 0;

                while (*p && o + 2 < sizeof(path)) {
                    if (*p == '{') {
                        while (*p && *p != '}')
                            p++;
                        if (*p)
                            p++;
                        path[o++] = 'x';
                    } else {
                        path[o++] = *p++;
                    }
                }
                path[o] = '\0';
                snprintf(slash, sizeof(slash), "%s/", path);
                for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
                    expect_same(ix, ts, methods[k], path, tc);
                    expect_same(ix, ts, methods[k], slash, tc);
                    n += 2;
                }
            }
        }
        assert_string_equal(indexed_name(ix, ts, "POST", "/apis/v1/memos/", tc), "memos_send");
        kv__http_index_free(ix);
    }
    assert_true(n > 1000);
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
        cmocka_unit_test(test_index_own_tables),
        cmocka_unit_test(test_index_served_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

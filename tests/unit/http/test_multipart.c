/* SPDX-License-Identifier: MIT
 *
 * test_multipart.c: unit tests of src/http/multipart.c: every part of a form in order (fields,
 * several files under one name, a file field left empty, binary data holding the boundary's
 * text without its CRLF), the file name and type of each part, one named part found among
 * them, and refusals: no boundary, a missing closing delimiter, more parts than allowed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/multipart.h"
#include "util/err.h"

#define CT "multipart/form-data; boundary=XyZ"

static const char FORM[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"csrf\"\r\n\r\n"
    "tok\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"fil\"; filename=\"a.pdf\"\r\n"
    "Content-Type: Application/PDF\r\n\r\n"
    "%PDF\x00--XyZ inside\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"fil\"; filename=\"C:\\\\x\\\\b.txt\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "hello\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"fil\"; filename=\"\"\r\n"
    "Content-Type: application/octet-stream\r\n\r\n"
    "\r\n"
    "--XyZ--\r\n";

static void all_parts_in_order(void **state)
{
    struct kv_http_part parts[8];
    struct kv_err err = {0, ""};
    size_t n = 0;

    (void)state;
    assert_int_equal(kv_http_multipart_parts(CT, FORM, sizeof(FORM) - 1, parts, 8, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(parts[0].name, "csrf");
    assert_int_equal(parts[0].is_file, 0);
    assert_int_equal(parts[0].len, 3);
    assert_memory_equal(parts[0].data, "tok", 3);
    assert_string_equal(parts[1].name, "fil");
    assert_int_equal(parts[1].is_file, 1);
    assert_string_equal(parts[1].filename, "a.pdf");
    assert_string_equal(parts[1].type, "application/pdf");
    assert_int_equal(parts[1].len, 17); /* "%PDF\0--XyZ inside": the boundary needs its CRLF */
    assert_memory_equal(parts[1].data, "%PDF\x00--XyZ inside", 17);
    assert_string_equal(parts[2].filename, "C:\\\\x\\\\b.txt");
    assert_memory_equal(parts[2].data, "hello", 5);
    assert_int_equal(parts[3].is_file, 1); /* a file field left empty */
    assert_string_equal(parts[3].filename, "");
    assert_int_equal(parts[3].len, 0);
}

static void one_named_part(void **state)
{
    struct kv_err err = {0, ""};
    const char *d = NULL;
    char type[64];
    size_t len = 0;

    (void)state;
    assert_int_equal(kv_http_multipart_part(CT, FORM, sizeof(FORM) - 1, "fil", &d, &len, type,
                                            sizeof(type), &err),
                     0);
    assert_int_equal(len, 17);
    assert_string_equal(type, "application/pdf");
    assert_int_equal(kv_http_multipart_part(CT, FORM, sizeof(FORM) - 1, "nope", &d, &len, type,
                                            sizeof(type), &err),
                     KV_EINVAL);
}

static void refusals(void **state)
{
    struct kv_http_part parts[2];
    struct kv_err err = {0, ""};
    size_t n = 0;
    static const char cut[] = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end";

    (void)state;
    assert_int_equal(kv_http_multipart_parts("multipart/form-data", FORM, sizeof(FORM) - 1,
                                             parts, 2, &n, &err),
                     KV_EINVAL);
    assert_int_equal(kv_http_multipart_parts(CT, cut, sizeof(cut) - 1, parts, 2, &n, &err),
                     KV_EINVAL);
    assert_int_equal(kv_http_multipart_parts(CT, FORM, sizeof(FORM) - 1, parts, 2, &n, &err),
                     KV_ETOOBIG);
    assert_int_equal(n, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_parts_in_order),
        cmocka_unit_test(one_named_part),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

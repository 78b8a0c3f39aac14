/* SPDX-License-Identifier: MIT
 *
 * test_memos_bulk.c: unit tests of the bulk unpacking of POST /apis/v1/memos/
 * (src/api/memos_bulk.c): tar archives compressed with LZMA "alone", xz or not at all (built
 * here with libarchive's writer), their bounds (entry size, total), unreadable input; the
 * multipart/form-data splitter (quoted and bare boundaries, preamble, several parts, binary
 * data containing CR LF and boundary-like text, missing part, malformed forms); and the media
 * type helper.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "api/memos_bulk.h"
#include "util/err.h"

/* Builds an archive of n entries (names[i], datas[i]) with filter "lzma", "xz" or "none". */
static size_t build(const char *filter, const char **names, const char **datas, int n,
                    char *out, size_t cap)
{
    struct archive *a = archive_write_new();
    size_t used = 0;
    int i;

    archive_write_set_format_ustar(a);
    if (strcmp(filter, "lzma") == 0)
        assert_int_equal(archive_write_add_filter_lzma(a), ARCHIVE_OK);
    else if (strcmp(filter, "xz") == 0)
        assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
    for (i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        size_t len = strlen(datas[i]);
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_size(e, (la_int64_t)len);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, datas[i], len), (la_ssize_t)len);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return used;
}

static void test_archive_filters(void **state)
{
    static const char *filters[] = {"lzma", "xz", "none"};
    const char *names[] = {"a/one.xml", "two.xml"};
    const char *datas[] = {"<memo:Message/>", "second letter\r\nwith CRLF"};
    static char buf[1 << 16];
    struct kv__bulk b;
    size_t i, len;

    (void)state;
    for (i = 0; i < 3; i++) {
        len = build(filters[i], names, datas, 2, buf, sizeof(buf));
        assert_int_equal(kv__bulk_read(buf, len, 1000, &b, NULL), 0);
        assert_int_equal(b.n, 2);
        assert_string_equal(b.e[0].name, "a/one.xml");
        assert_int_equal(b.e[0].len, strlen(datas[0]));
        assert_memory_equal(b.e[0].data, datas[0], b.e[0].len);
        assert_string_equal(b.e[1].name, "two.xml");
        assert_string_equal(b.e[1].data, datas[1]);
        assert_int_equal(b.total, strlen(datas[0]) + strlen(datas[1]));
        kv__bulk_release(&b);
    }
}

static void test_archive_bounds_and_garbage(void **state)
{
    const char *names[] = {"small", "big"};
    const char *datas[] = {"0123456789", "0123456789012345678901234567890123456789"};
    static char buf[1 << 16];
    struct kv__bulk b;
    struct kv_err err = {0};
    size_t len;

    (void)state;
    len = build("xz", names, datas, 2, buf, sizeof(buf));
    assert_int_equal(kv__bulk_read(buf, len, 20, &b, &err), KV_ETOOBIG);
    assert_non_null(strstr(err.msg, "big"));
    assert_int_equal(b.n, 0);
    assert_int_equal(kv__bulk_read(buf, len, 40, &b, NULL), 0);
    kv__bulk_release(&b);
    assert_int_equal(kv__bulk_read("not an archive", 14, 100, &b, NULL), KV_EINVAL);
    assert_int_equal(kv__bulk_read(buf, len / 2, 100, &b, NULL), KV_EINVAL);
    len = build("lzma", names, datas, 0, buf, sizeof(buf));
    assert_int_equal(kv__bulk_read(buf, len, 100, &b, &err), KV_EINVAL);
    assert_non_null(strstr(err.msg, "no files"));
}

static void test_multipart(void **state)
{
    static const char body[] =
        "preamble\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"meta\"\r\n\r\n"
        "ignored\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"l.tar.lzma\"\r\n"
        "Content-Type: Application/X-LZMA\r\n\r\n"
        "bin\r\n--XyZnot-a-delimiter\0data\r\n"
        "--XyZ--\r\n";
    const char *data = NULL;
    size_t len = 0;
    char type[64];

    (void)state;
    assert_int_equal(kv__multipart_file("multipart/form-data; boundary=XyZ", body,
                                        sizeof(body) - 1, &data, &len, type, sizeof(type), NULL),
                     0);
    assert_int_equal(len, 30);
    assert_memory_equal(data, "bin\r\n--XyZnot-a-delimiter\0data", 30);
    assert_string_equal(type, "application/x-lzma");
    assert_int_equal(kv__multipart_file("multipart/form-data; charset=x; boundary=\"XyZ\"", body,
                                        sizeof(body) - 1, &data, &len, type, sizeof(type), NULL),
                     0);
}

static void test_multipart_refusals(void **state)
{
    static const char nofile[] = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
                                 "--b--\r\n";
    static const char unterminated[] = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n"
                                       "\r\nabc";
    static const char noheaders[] = "--b\r\nContent-Disposition: form-data; name=\"file\"";
    const char *data;
    size_t len;
    char type[16];
    struct kv_err err = {0};

    (void)state;
    assert_int_equal(kv__multipart_file("multipart/form-data; boundary=b", nofile,
                                        sizeof(nofile) - 1, &data, &len, type, sizeof(type), &err),
                     KV_EINVAL);
    assert_non_null(strstr(err.msg, "file"));
    assert_int_equal(kv__multipart_file("multipart/form-data; boundary=b", unterminated,
                                        sizeof(unterminated) - 1, &data, &len, type, sizeof(type),
                                        NULL),
                     KV_EINVAL);
    assert_int_equal(kv__multipart_file("multipart/form-data; boundary=b", noheaders,
                                        sizeof(noheaders) - 1, &data, &len, type, sizeof(type),
                                        NULL),
                     KV_EINVAL);
    assert_int_equal(kv__multipart_file("multipart/form-data", nofile, sizeof(nofile) - 1, &data,
                                        &len, type, sizeof(type), NULL),
                     KV_EINVAL);
    assert_int_equal(kv__multipart_file("multipart/form-data; boundary=zz", nofile,
                                        sizeof(nofile) - 1, &data, &len, type, sizeof(type), NULL),
                     KV_EINVAL);
}

static void test_media_type(void **state)
{
    char out[32];

    (void)state;
    kv__media_type(" Text/XML; charset=utf-8", out, sizeof(out));
    assert_string_equal(out, "text/xml");
    kv__media_type(NULL, out, sizeof(out));
    assert_string_equal(out, "");
    kv__media_type("application/xml", out, 5);
    assert_string_equal(out, "appl");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_archive_filters),
        cmocka_unit_test(test_archive_bounds_and_garbage),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_multipart_refusals),
        cmocka_unit_test(test_media_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

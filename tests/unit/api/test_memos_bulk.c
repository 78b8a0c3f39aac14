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
#include <stdio.h>
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

/* Reads the whole archive with the two passes bulk_send.c makes: the scan, then every entry.
 * Returns the scan's result code; on success the entries are in names/datas/lens (owned). */
static int read_all(const char *buf, size_t len, size_t max_entry, struct kv__bulk_scan *scan,
                    char **names, char **datas, size_t *lens, size_t cap_entries,
                    struct kv_err *err)
{
    struct kv__bulk_reader *r = NULL;
    size_t n = 0;
    int rc = kv__bulk_open(buf, len, 1 << 30, &r, err);

    if (rc == 0)
        rc = kv__bulk_scan(r, max_entry, scan, err);
    kv__bulk_close(r);
    if (rc < 0)
        return rc;
    assert_int_equal(kv__bulk_open(buf, len, 0, &r, err), 0);
    while (n < cap_entries &&
           (rc = kv__bulk_next(r, max_entry, &names[n], &datas[n], &lens[n], err)) == 1)
        n++;
    assert_int_equal(rc, n < cap_entries ? 0 : 1);
    assert_int_equal(n, scan->files);
    kv__bulk_close(r);
    return 0;
}

static void test_archive_filters(void **state)
{
    static const char *filters[] = {"lzma", "xz", "none"};
    const char *names[] = {"a/one.xml", "two.xml"};
    const char *datas[] = {"<memo:Message/>", "second letter\r\nwith CRLF"};
    static char buf[1 << 16];
    struct kv__bulk_scan sc;
    char *gn[4], *gd[4];
    size_t gl[4];
    size_t i, j, len;

    (void)state;
    for (i = 0; i < 3; i++) {
        len = build(filters[i], names, datas, 2, buf, sizeof(buf));
        assert_int_equal(read_all(buf, len, 1000, &sc, gn, gd, gl, 4, NULL), 0);
        assert_int_equal(sc.files, 2);
        assert_int_equal(sc.total, strlen(datas[0]) + strlen(datas[1]));
        assert_int_equal(sc.largest, strlen(datas[1]));
        assert_string_equal(gn[0], "a/one.xml");
        assert_int_equal(gl[0], strlen(datas[0]));
        assert_memory_equal(gd[0], datas[0], gl[0]);
        assert_string_equal(gn[1], "two.xml");
        assert_string_equal(gd[1], datas[1]);
        for (j = 0; j < 2; j++) {
            free(gn[j]);
            free(gd[j]);
        }
    }
    /* nothing of the budget is held once the readers are closed */
    assert_int_equal(kv__bulk_budget_used(), 0);
}

static void test_archive_bounds_and_garbage(void **state)
{
    const char *names[] = {"small", "big"};
    const char *datas[] = {"0123456789", "0123456789012345678901234567890123456789"};
    static char buf[1 << 16];
    struct kv__bulk_scan sc;
    struct kv_err err = {0};
    char *gn[4], *gd[4];
    size_t gl[4];
    size_t len;

    (void)state;
    len = build("xz", names, datas, 2, buf, sizeof(buf));
    assert_int_equal(read_all(buf, len, 20, &sc, gn, gd, gl, 4, &err), KV_ETOOBIG);
    assert_non_null(strstr(err.msg, "big"));
    assert_int_equal(read_all(buf, len, 40, &sc, gn, gd, gl, 4, NULL), 0);
    free(gn[0]);
    free(gd[0]);
    free(gn[1]);
    free(gd[1]);
    assert_int_equal(read_all("not an archive", 14, 100, &sc, gn, gd, gl, 4, &err), KV_EINVAL);
    assert_int_equal(read_all(buf, len / 2, 100, &sc, gn, gd, gl, 4, &err), KV_EINVAL);
    assert_non_null(strstr(err.msg, "truncated"));
    len = build("lzma", names, datas, 0, buf, sizeof(buf));
    assert_int_equal(read_all(buf, len, 100, &sc, gn, gd, gl, 4, &err), KV_EINVAL);
    assert_non_null(strstr(err.msg, "no files"));
    assert_int_equal(kv__bulk_budget_used(), 0);
}

/* The decoder's memory is counted in the global budget while a reader is open, and a reader
 * whose decoder does not fit reports the budget (busy), not a bad archive. (The memory of a
 * 4 x 130 MiB archive of zeros is measured end to end in tests/it/test_ngdp_client_bulk.py.) */
static void test_decoder_memory_in_budget(void **state)
{
    const char *names[] = {"a.xml"};
    const char *datas[] = {"<memo:Message/>"};
    static char buf[1 << 16];
    struct kv__bulk_reader *r = NULL;
    struct kv__bulk_scan sc;
    struct kv_err err = {0};
    size_t len;

    (void)state;
    len = build("lzma", names, datas, 1, buf, sizeof(buf));
    assert_int_equal(kv__bulk_open(buf, len, 1 << 30, &r, &err), 0);
    assert_int_equal(kv__bulk_scan(r, 100, &sc, &err), 0);
    assert_true(kv__bulk_decoder_bytes(r) > 0 && kv__bulk_decoder_bytes(r) <= (64u << 20));
    assert_int_equal(kv__bulk_budget_used(), kv__bulk_decoder_bytes(r));
    kv__bulk_close(r);
    assert_int_equal(kv__bulk_budget_used(), 0);
    /* the whole budget taken by others: busy, and nothing more is held */
    assert_true(kv__bulk_budget_take(16 << 20, 16 << 20));
    r = NULL;
    if (kv__bulk_open(buf, len, 16 << 20, &r, &err) == 0)
        assert_int_equal(kv__bulk_scan(r, 100, &sc, &err), KV_EINVAL);
    assert_int_equal(kv__bulk_busy(r), 1);
    kv__bulk_close(r);
    assert_int_equal(kv__bulk_budget_used(), 16 << 20);
    kv__bulk_budget_give(16 << 20, 16 << 20);
    assert_int_equal(kv__bulk_budget_used(), 0);
}

static void test_budget(void **state)
{
    (void)state;
    assert_true(kv__bulk_budget_take(60, 100));
    assert_true(kv__bulk_budget_take(40, 100));
    assert_false(kv__bulk_budget_take(1, 100));
    kv__bulk_budget_give(40, 100);
    assert_false(kv__bulk_budget_take(50, 100));
    /* more than the whole budget: capped, so a lone request always gets through */
    kv__bulk_budget_give(60, 100);
    assert_true(kv__bulk_budget_take(500, 100));
    assert_int_equal(kv__bulk_budget_used(), 100);
    kv__bulk_budget_give(500, 100);
    assert_int_equal(kv__bulk_budget_used(), 0);
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
        cmocka_unit_test(test_decoder_memory_in_budget),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_multipart_refusals),
        cmocka_unit_test(test_media_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

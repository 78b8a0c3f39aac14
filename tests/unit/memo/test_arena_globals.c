/* SPDX-License-Identifier: MIT
 *
 * test_arena_globals.c: nothing libxml2 keeps beyond one check may be cut from a check arena
 * (src/memo/arena.c). libxml2 sets up some process-wide state lazily, at the first letter
 * that needs it: the XML catalog (a letter's <?oasis-xml-catalog?> processing instruction
 * initialises the default catalog), the character-encoding handlers of a letter declaring
 * an unusual encoding (ISO-8859-1, windows-1252, UTF-16 with and without a BOM, EBCDIC).
 * Each such letter is checked first inside an arena scope; after the scope is left
 * (poisoned under ASan and reused by the next scope) libxml2's global state is used and
 * torn down (xmlCleanupParser), which must neither read nor free arena memory. Run under
 * the asan build. Runs from the repository root (or $KUVERT_ROOT).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/catalog.h>
#include <libxml/parser.h>

#include "unit/test_data.h"

#include "memo/check_int.h"
#include "memo/memo.h"
#include "util/buf.h"

#define ITK "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"

static size_t check(const char *buf, size_t len, int in_arena)
{
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_err err = {0};
    size_t n;

    kv_memo_diags_init(&d);
    if (in_arena)
        kv_memo_arena_enter();
    assert_int_equal(kv_memo_check(buf, len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc, &err), 0);
    kv_memo_doc_free(doc);
    if (in_arena)
        kv_memo_arena_leave();
    n = d.n_errors * 2 + (doc != NULL);
    kv_memo_diags_release(&d);
    return n;
}

/* The Minimum example with its XML declaration replaced by decl (may be ""), a PI after it. */
static char *letter(const char *decl, const char *pi, size_t *len)
{
    size_t mlen;
    char *min = kv_test_read_data(ITK "Minimum_Example__memo-1.2.xml", &mlen);
    const char *root = strstr(min, "<memo:Message");
    struct kv_buf b;

    assert_non_null(root);
    kv_buf_init(&b, (size_t)1 << 20);
    assert_int_equal(kv_buf_puts(&b, decl), 0);
    assert_int_equal(kv_buf_puts(&b, pi), 0);
    assert_int_equal(kv_buf_puts(&b, root), 0);
    free(min);
    return kv_buf_detach(&b, len);
}

/* Several scopes in a row, so a global left pointing into the first one's chunk is
 * overwritten by the next ones before it is used again. */
static void churn(void)
{
    size_t len, i;
    char *full = kv_test_read_data(ITK "Full_Example__memo-1.2.xml", &len);

    for (i = 0; i < 3; i++)
        assert_int_equal(check(full, len, 1), 1);
    free(full);
}

static void test_catalog_pi(void **state)
{
    size_t len;
    char *l = letter("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                     "<?oasis-xml-catalog catalog=\"file:///nonexistent/catalog.xml\"?>\n", &len);

    (void)state;
    /* the same verdict in a scope (first: nothing set up yet) and on the heap */
    {
        size_t in_arena = check(l, len, 1);
        assert_int_equal(in_arena, check(l, len, 0));
    }
    churn();
    /* The default catalog, if one was set up, is used after the scope. */
    {
        FILE *devnull = fopen("/dev/null", "w");
        assert_non_null(devnull);
        xmlCatalogDump(devnull);
        fclose(devnull);
    }
    free(l);
}

static void test_encodings(void **state)
{
    static const char *const encs[] = {"ISO-8859-1", "windows-1252", "ISO-8859-15",
                                       "IBM037",     "UTF-16",       "US-ASCII",
                                       "Shift_JIS",  "KOI8-R"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
        char decl[128];
        size_t len;
        char *l;

        snprintf(decl, sizeof(decl), "<?xml version=\"1.0\" encoding=\"%s\"?>\n", encs[i]);
        l = letter(decl, "", &len);
        {
            size_t in_arena = check(l, len, 1);
            assert_int_equal(in_arena, check(l, len, 0));
        }
        free(l);
    }
    /* UTF-16 by byte-order mark (little and big endian), no declaration */
    for (i = 0; i < 2; i++) {
        size_t len, j;
        char *l = letter("", "", &len);
        char *w = malloc(2 * len + 2);

        assert_non_null(w);
        w[0] = i ? '\xfe' : '\xff';
        w[1] = i ? '\xff' : '\xfe';
        for (j = 0; j < len; j++) {
            w[2 + 2 * j + (i ? 1 : 0)] = l[j];
            w[2 + 2 * j + (i ? 0 : 1)] = 0;
        }
        {
            size_t in_arena = check(w, 2 * len + 2, 1);
            assert_int_equal(in_arena, check(w, 2 * len + 2, 0));
        }
        free(w);
        free(l);
    }
    churn();
}

/* A letter of the Full example's first Action repeated n times, each of its start tags with
 * 64 attributes the schema does not allow: ~85,000 XSD errors from 0.7 MB. libxml2 formats,
 * copies and frees every message (past KV_MEMO_DIAGS_MAX the check only counts them); the
 * arena never takes those back, so without a budget the scope grew by ~570 bytes per error
 * (heap 29 MB, arena 78 MB peak). The scope stays within 4 MiB + 8 bytes per input byte and
 * reports the same as the heap. */
static void test_error_flood(void **state)
{
    size_t flen, len, n = 190, i;
    char *full = kv_test_read_data(ITK "Full_Example__memo-1.2.xml", &flen);
    const char *a = strstr(full, "<memo:Action>");
    const char *e = a ? strstr(a, "</memo:Action>") : NULL;
    struct kv_buf b;
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_err err = {0};
    size_t held, heap_errors;
    char *l;

    (void)state;
    assert_non_null(e);
    e += strlen("</memo:Action>");
    kv_buf_init(&b, (size_t)64 << 20);
    assert_int_equal(kv_buf_append(&b, full, (size_t)(e - full)), 0);
    for (i = 0; i < n; i++) {
        const char *p;
        for (p = a; p < e; p++) {
            assert_int_equal(kv_buf_append(&b, p, 1), 0);
            if (*p == '<' && strncmp(p, "<memo:", 6) == 0 && p + 6 + strcspn(p + 6, " />") < e &&
                p[6 + strcspn(p + 6, " />")] == '>') {
                size_t k, nl = 6 + strcspn(p + 6, " />");
                assert_int_equal(kv_buf_append(&b, p + 1, nl - 1), 0);
                for (k = 0; k < 64; k++)
                    assert_int_equal(kv_buf_printf(&b, " z%zu=\"\"", k), 0);
                p += nl - 1;
            }
        }
    }
    assert_int_equal(kv_buf_puts(&b, e), 0);
    l = kv_buf_detach(&b, &len);

    kv_memo_diags_init(&d);
    assert_int_equal(kv_memo_check(l, len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc, &err), 0);
    kv_memo_doc_free(doc);
    heap_errors = d.n_errors;
    assert_true(heap_errors > 50000); /* the flood happens */
    kv_memo_diags_release(&d);

    kv_memo_diags_init(&d);
    doc = NULL;
    kv_memo_arena_enter();
    assert_int_equal(kv_memo_check(l, len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc, &err), 0);
    kv_memo_doc_free(doc);
    held = kv__memo_arena_bytes();
    kv_memo_arena_leave();
    assert_int_equal(d.n_errors, heap_errors);
    kv_memo_diags_release(&d);
    if (held > ((size_t)4 << 20) + 8 * len)
        fail_msg("the arena holds %zu bytes for a letter of %zu bytes", held, len);
    churn();
    free(l);
    free(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_pi),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_error_flood),
    };
    struct kv_err err = {0};
    int rc;

    if (kv_memo_global_init(&err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser(); /* frees libxml2's global state: none of it may be arena memory */
    return rc;
}

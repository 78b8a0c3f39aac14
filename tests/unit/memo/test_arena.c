/* SPDX-License-Identifier: MIT
 *
 * test_arena.c: the check arena (memo.h kv_memo_arena_enter/leave, src/memo/arena.c) changes
 * nothing a check reports. Every example letter, every seed of the reader's fuzz corpus and
 * a few thousand deterministic mutations of the Full example (bytes cut out, overwritten,
 * inserted, the letter truncated) are checked at NGDP level once on the heap and once inside
 * an arena scope: the verdict, every diagnostic (severity, rule, line, column, path,
 * message) and the header read from the tree must be the same. Also: letters whose tree
 * needs several chunks or heap blocks (a 1 MB base64 content, 3,000 elements), scopes that
 * nest, libxml2's last error cleared on leave, and two threads checking at once, each in
 * its own scope. Runs from the repository root (or $KUVERT_ROOT).
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/xmlerror.h>

#include "unit/test_data.h"

#include "memo/memo.h"
#include "memo/model.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define ITK "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"

/* Everything a check reports about buf, as one text: diagnostics, then (when the document
 * was well-formed) the header fields read from the tree. */
static char *report(const char *buf, size_t len, int in_arena)
{
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_memo_message *msg = NULL;
    struct kv_err err = {0};
    struct kv_buf out;
    size_t i;

    kv_buf_init(&out, (size_t)64 << 20);
    kv_memo_diags_init(&d);
    if (in_arena)
        kv_memo_arena_enter();
    assert_int_equal(kv_memo_check(buf, len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc, &err), 0);
    for (i = 0; i < d.n; i++) {
        const struct kv_memo_diag *g = &d.items[i];
        assert_int_equal(kv_buf_printf(&out, "%d %s %lu:%lu %s | %s\n", (int)g->severity,
                                       g->rule, g->line, g->col, g->path ? g->path : "-",
                                       g->message),
                         0);
    }
    assert_int_equal(kv_buf_printf(&out, "errors %zu doc %d\n", d.n_errors, doc != NULL), 0);
    if (doc && kv_memo_read(doc, KV_MEMO_READ_NO_CONTENT | KV_MEMO_READ_HEADER_ONLY, &msg,
                            NULL) == 0) {
        const struct kv_memo_header *h = &msg->header;
        assert_int_equal(kv_buf_printf(&out, "uuid %s label %s sender %s recipient %s version %s "
                                             "actions %d\n",
                                       h->message_uuid ? h->message_uuid : "-",
                                       h->label ? h->label : "-", h->sender.id ? h->sender.id : "-",
                                       h->recipient.id ? h->recipient.id : "-",
                                       msg->memo_version ? msg->memo_version : "-",
                                       kv_memo_doc_has_actions(doc)),
                         0);
    }
    kv_memo_message_free(msg);
    kv_memo_doc_free(doc);
    if (in_arena)
        kv_memo_arena_leave();
    kv_memo_diags_release(&d);
    return kv_buf_detach(&out, NULL);
}

static void same_report(const char *buf, size_t len, const char *what)
{
    char *heap = report(buf, len, 0);
    char *arena = report(buf, len, 1);

    if (strcmp(heap, arena) != 0)
        fail_msg("%s: the check in an arena reports\n%s\nbut on the heap\n%s", what, arena, heap);
    free(heap);
    free(arena);
}

static void test_examples_and_corpus(void **state)
{
    const char *dirs[] = {"tests/data/examples", "tests/fuzz/corpus/memo_reader"};
    const char *root = getenv("KUVERT_ROOT");
    size_t k, files = 0;

    (void)state;
    for (k = 0; k < 2; k++) {
        char path[1024];
        struct dirent *e;
        DIR *dir;

        snprintf(path, sizeof(path), "%s%s%s", root ? root : "", root ? "/" : "", dirs[k]);
        dir = opendir(path);
        assert_non_null(dir);
        while ((e = readdir(dir)) != NULL) {
            char rel[256];
            size_t len;
            char *buf;

            if (e->d_name[0] == '.' || strlen(e->d_name) > 200)
                continue;
            snprintf(rel, sizeof(rel), "%s/%.200s", dirs[k], e->d_name);
            buf = kv_test_read_data(rel, &len);
            same_report(buf, len, rel);
            free(buf);
            files++;
        }
        closedir(dir);
    }
    assert_true(files >= 20);
}

static void test_mutations(void **state)
{
    size_t len, i, refused = 0;
    char *full = kv_test_read_data(ITK "Full_Example__memo-1.2.xml", &len);
    char *m = kv_xmalloc(len + 2);
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    char what[64];

    (void)state;
    for (i = 0; i < 1500; i++) {
        size_t at, n = len;
        unsigned kind;

        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        at = (size_t)(rng >> 11) % len;
        kind = (unsigned)(rng & 3);
        memcpy(m, full, len);
        if (kind == 0) { /* a byte cut out */
            memmove(m + at, m + at + 1, len - at - 1);
            n = len - 1;
        } else if (kind == 1) { /* a byte overwritten */
            m[at] = "<>&x\"'/ 9=\xc3"[(rng >> 40) % 12];
        } else if (kind == 2) { /* a byte inserted */
            memmove(m + at + 1, m + at, len - at);
            m[at] = "<>&x\"'/ 9=\xc3"[(rng >> 40) % 12];
            n = len + 1;
        } else { /* truncated */
            n = at;
        }
        m[n] = '\0';
        snprintf(what, sizeof(what), "mutation %zu (kind %u at %zu)", i, kind, at);
        {
            char *heap = report(m, n, 0);
            char *arena = report(m, n, 1);
            if (strcmp(heap, arena) != 0)
                fail_msg("%s: the check in an arena reports\n%s\nbut on the heap\n%s", what,
                         arena, heap);
            if (strstr(heap, "errors 0 ") == NULL)
                refused++;
            free(heap);
            free(arena);
        }
    }
    assert_true(refused > 500); /* the mutations do reach the refusals */
    free(m);
    free(full);
}

/* The Full example with n extra ContentData-free elements' worth of text: a big base64
 * content (heap blocks in the scope) or many elements (several arena chunks). */
static void test_big_letters(void **state)
{
    size_t len;
    char *full = kv_test_read_data(ITK "Full_Example__memo-1.2.xml", &len);
    const char *c0 = strstr(full, "<memo:content>"), *c1 = c0 ? strstr(c0, "</memo:content>") : NULL;
    struct kv_buf b;
    size_t i;

    (void)state;
    assert_non_null(c1);
    /* 1 MB of base64 in the first File's content */
    kv_buf_init(&b, (size_t)64 << 20);
    assert_int_equal(kv_buf_append(&b, full, (size_t)(c0 - full) + 14), 0);
    for (i = 0; i < 16384; i++)
        assert_int_equal(kv_buf_puts(&b, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xt\n"), 0);
    assert_int_equal(kv_buf_puts(&b, c1), 0);
    same_report(b.buf, b.len, "1 MB content");
    /* and one byte of it made invalid */
    b.buf[(size_t)(c0 - full) + 14 + 500000] = '!';
    same_report(b.buf, b.len, "1 MB content, invalid base64");
    kv_buf_release(&b);

    /* 3,000 elements in the header (a wrong place for them: XSD errors by the hundred) */
    kv_buf_init(&b, (size_t)64 << 20);
    c0 = strstr(full, "</memo:MessageHeader>");
    assert_non_null(c0);
    assert_int_equal(kv_buf_append(&b, full, (size_t)(c0 - full)), 0);
    for (i = 0; i < 3000; i++)
        assert_int_equal(kv_buf_printf(&b, "<memo:label>extra %zu</memo:label>\n", i), 0);
    assert_int_equal(kv_buf_puts(&b, c0), 0);
    same_report(b.buf, b.len, "3,000 extra elements");
    kv_buf_release(&b);
    free(full);
}

static void test_nesting_and_last_error(void **state)
{
    size_t len;
    char *min = kv_test_read_data(ITK "Minimum_Example__memo-1.2.xml", &len);
    char *heap = report(min, len - 20, 0); /* truncated: XML-WF, libxml2 raises errors */
    char *inner;

    (void)state;
    kv_memo_arena_enter();
    inner = report(min, len - 20, 1); /* nested scope: the outer one serves */
    assert_string_equal(inner, heap);
    free(inner);
    inner = report(min, len - 20, 0); /* still in the outer scope */
    assert_string_equal(inner, heap);
    free(inner);
    kv_memo_arena_leave();
    /* libxml2's copy of the last error was cut from the arena: cleared on leave */
    assert_true(xmlGetLastError() == NULL || xmlGetLastError()->message == NULL);
    /* and the heap works on after the scope */
    inner = report(min, len - 20, 0);
    assert_string_equal(inner, heap);
    free(inner);
    free(heap);
    free(min);
}

struct job {
    const char *buf;
    size_t len;
    const char *expect;
    int failures;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    int i;

    for (i = 0; i < 40; i++) {
        char *r = report(j->buf, j->len, 1);
        if (strcmp(r, j->expect) != 0)
            j->failures++;
        free(r);
    }
    return NULL;
}

static void test_threads(void **state)
{
    size_t flen, mlen;
    char *full = kv_test_read_data(ITK "Full_Example__memo-1.2.xml", &flen);
    char *min = kv_test_read_data(ITK "Minimum_Example__memo-1.2.xml", &mlen);
    struct job jobs[2];
    pthread_t th[2];
    int i;

    (void)state;
    jobs[0] = (struct job){full, flen, report(full, flen, 0), 0};
    jobs[1] = (struct job){min, mlen - 30, report(min, mlen - 30, 0), 0};
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(jobs[0].failures, 0);
    assert_int_equal(jobs[1].failures, 0);
    free((char *)jobs[0].expect);
    free((char *)jobs[1].expect);
    free(full);
    free(min);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_and_corpus),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_big_letters),
        cmocka_unit_test(test_nesting_and_last_error),
        cmocka_unit_test(test_threads),
    };
    struct kv_err err = {0};

    if (kv_memo_global_init(&err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

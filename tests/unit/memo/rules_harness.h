/* SPDX-License-Identifier: MIT
 *
 * rules_harness.h: shared harness of the layer (c) rule tests (test_rules.c, test_rules_files.c).
 * A document is parsed with libxml2 straight into a struct kv_memo_doc and kv__memo_rules_run is
 * called on it, so the tests do not depend on kv_memo_check. Helpers build cases by substituting
 * text into the MeMo 1.2 Minimum example and assert a diagnostic's code, severity, line and path.
 * Included by exactly one .c file per test program; all helpers are static.
 */
#ifndef KV_TESTS_MEMO_RULES_HARNESS_H
#define KV_TESTS_MEMO_RULES_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "memo/doc_int.h"
#include "memo/rules_int.h"
#include "util/xmalloc.h"

#define KV_UNUSED __attribute__((unused))

#define EX "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"
#define MIN12 EX "Minimum_Example__memo-1.2.xml"

/* ---------------------------------------------------------------- harness */

struct run {
    char *src;              /* owned document text */
    size_t len;             /* length of src */
    struct kv_memo_doc doc; /* doc.xml owned */
    struct kv_memo_diags d; /* diagnostics of the run */
};

static KV_UNUSED char *read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = kv_xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *out_len = (size_t)n;
    return buf;
}

/* Takes ownership of src (len bytes), parses it and runs the rules. */
static KV_UNUSED void run_src(struct run *r, char *src, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->src = src;
    r->len = len;
    r->doc.xml = xmlReadMemory(src, (int)len, NULL, NULL,
                               XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_HUGE);
    assert_non_null(r->doc.xml);
    r->doc.src = src;
    r->doc.src_len = len;
    kv_memo_diags_init(&r->d);
    kv__memo_rules_run(&r->doc, &r->d);
}

static KV_UNUSED void run_str(struct run *r, const char *xml)
{
    run_src(r, kv_xstrdup(xml), strlen(xml));
}

static KV_UNUSED void run_file(struct run *r, const char *path)
{
    size_t len;
    char *src = read_file(path, &len);

    run_src(r, src, len);
}

static KV_UNUSED void run_free(struct run *r)
{
    kv_memo_diags_release(&r->d);
    xmlFreeDoc(r->doc.xml);
    free(r->doc.line_starts);
    free(r->src);
}

/* Returns base with the first occurrence of from replaced by to (owned). */
static KV_UNUSED char *subst(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    size_t a, f = strlen(from), t = strlen(to), n = strlen(base);
    char *out;

    if (!at)
        fail_msg("substitution target not found: %s", from);
    a = (size_t)(at - base);
    out = kv_xmalloc(n - f + t + 1);
    memcpy(out, base, a);
    memcpy(out + a, to, t);
    memcpy(out + a + t, at + f, n - a - f + 1);
    return out;
}

static KV_UNUSED char *min12(void)
{
    size_t len;

    return read_file(MIN12, &len);
}

/* Minimum 1.2 with one substitution, run. */
static KV_UNUSED void run_min(struct run *r, const char *from, const char *to)
{
    char *base = min12(), *x = subst(base, from, to);

    run_str(r, x);
    free(x);
    free(base);
}

static KV_UNUSED unsigned long line_of(const struct run *r, const char *needle)
{
    const char *at = strstr(r->src, needle), *p;
    unsigned long line = 1;

    if (!at)
        fail_msg("needle not in document: %s", needle);
    for (p = r->src; p < at; p++)
        line += *p == '\n';
    return line;
}

static KV_UNUSED const struct kv_memo_diag *find(const struct run *r, const char *code)
{
    size_t i;

    for (i = 0; i < r->d.n; i++)
        if (strcmp(r->d.items[i].rule, code) == 0)
            return &r->d.items[i];
    return NULL;
}

/* The k-th (0-based) diagnostic with this code, in the order the rules reported them. */
static KV_UNUSED const struct kv_memo_diag *nth(const struct run *r, const char *code, size_t k)
{
    size_t i;

    for (i = 0; i < r->d.n; i++)
        if (strcmp(r->d.items[i].rule, code) == 0 && k-- == 0)
            return &r->d.items[i];
    fail_msg("no diagnostic %s number %zu", code, k);
    return NULL;
}

static KV_UNUSED size_t count(const struct run *r, const char *code)
{
    size_t i, n = 0;

    for (i = 0; i < r->d.n; i++)
        n += strcmp(r->d.items[i].rule, code) == 0;
    return n;
}

static KV_UNUSED void dump(const struct run *r)
{
    size_t i;

    for (i = 0; i < r->d.n; i++)
        print_message("  %s %s %lu:%lu %s: %s\n",
                      r->d.items[i].severity == KV_MEMO_ERROR ? "error" : "warning",
                      r->d.items[i].rule, r->d.items[i].line, r->d.items[i].col, r->d.items[i].path,
                      r->d.items[i].message);
}

/* Asserts a diagnostic with code exists, has severity sev, sits on the line where needle
 * starts and has the given path. */
static KV_UNUSED void expect(const struct run *r, const char *code, enum kv_memo_severity sev,
                             const char *needle, const char *path)
{
    const struct kv_memo_diag *g = find(r, code);

    if (!g) {
        dump(r);
        fail_msg("expected diagnostic %s", code);
    }
    assert_int_equal(g->severity, sev);
    assert_int_equal(g->line, line_of(r, needle));
    assert_true(g->col > 0);
    assert_string_equal(g->path, path);
}

static KV_UNUSED void expect_no_errors(const struct run *r)
{
    if (r->d.n_errors) {
        dump(r);
        fail_msg("expected no errors, got %zu", r->d.n_errors);
    }
}

/* Asserts there is no diagnostic with this code (of either severity). */
static KV_UNUSED void expect_none(const struct run *r, const char *code)
{
    if (find(r, code)) {
        dump(r);
        fail_msg("unexpected diagnostic %s", code);
    }
}

/* Every error carries one of the codes in the NULL-terminated list. */
static KV_UNUSED void errors_only(const struct run *r, const char *const *codes)
{
    size_t i, k;

    for (i = 0; i < r->d.n; i++) {
        int ok = r->d.items[i].severity != KV_MEMO_ERROR;
        for (k = 0; codes[k] && !ok; k++)
            ok = strcmp(r->d.items[i].rule, codes[k]) == 0;
        if (!ok) {
            dump(r);
            fail_msg("unexpected error %s", r->d.items[i].rule);
        }
    }
    assert_int_equal(r->d.n_dropped, 0);
}

#define HDR "/memo:Message/memo:MessageHeader"
#define MAINDOC "/memo:Message/memo:MessageBody/memo:MainDocument"
#define FILE1 MAINDOC "/memo:File"

#endif

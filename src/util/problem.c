/* SPDX-License-Identifier: MIT
 *
 * problem.c: filling and freeing struct kv_problem, the domain's account of a refusal. See
 * problem.h; rendering it for clients is the HTTP layer's job (http/resp.c).
 */
#include "util/problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

void kv_problem_init(struct kv_problem *p)
{
    memset(p, 0, sizeof(*p));
}

static void drop_fields(struct kv_problem *p)
{
    size_t i;

    for (i = 0; i < p->n_fields; i++) {
        struct kv_problem_field *f = &p->fields[i];
        free(f->field);
        free(f->code);
        free(f->message);
        json_decref(f->rejected);
    }
    p->n_fields = 0;
}

void kv_problem_release(struct kv_problem *p)
{
    if (!p)
        return;
    drop_fields(p);
    free(p->fields);
    memset(p, 0, sizeof(*p));
}

int kv_problem_set(struct kv_problem *p, int kind, const char *code, const char *fmt, ...)
{
    va_list ap;

    p->kind = kind;
    snprintf(p->code, sizeof(p->code), "%s", code ? code : "");
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof(p->message), fmt, ap);
    va_end(ap);
    return kind;
}

static struct kv_problem_field *add(struct kv_problem *p, const char *resource,
                                    const char *field, const char *code, const char *message)
{
    struct kv_problem_field *f;

    if (p->n_fields == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->fields = kv_xrealloc(p->fields, p->cap * sizeof(*p->fields));
    }
    f = &p->fields[p->n_fields++];
    memset(f, 0, sizeof(*f));
    f->resource = resource ? resource : "";
    f->field = kv_xstrdup(field ? field : "");
    f->code = kv_xstrdup(code ? code : "");
    f->message = kv_xstrdup(message ? message : "");
    return f;
}

void kv_problem_field(struct kv_problem *p, const char *resource, const char *field,
                      const char *code, const char *message, const char *rejected)
{
    struct kv_problem_field *f = add(p, resource, field, code, message);

    /* json_string refuses text that is not UTF-8: such a value is not shown. */
    f->rejected = rejected ? json_string(rejected) : NULL;
}

void kv_problem_field_json(struct kv_problem *p, const char *resource, const char *field,
                           const char *code, const char *message, const json_t *rejected)
{
    struct kv_problem_field *f = add(p, resource, field, code, message);

    f->rejected = rejected ? json_deep_copy(rejected) : NULL;
}

void kv_problem_field_at(struct kv_problem *p, const char *resource, const char *field,
                         const char *code, const char *message, unsigned long line,
                         unsigned long col)
{
    struct kv_problem_field *f = add(p, resource, field, code, message);

    f->line = line;
    f->col = col;
}

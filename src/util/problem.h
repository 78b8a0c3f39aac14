/* SPDX-License-Identifier: MIT
 *
 * problem.h: a refusal as the domain reports it. When the hub refuses a request (a letter
 * that breaks MeMo rules, a sender outside its scope, a reused messageUUID, a reply after its
 * deadline) it says what kind of refusal it is (a KV_E* code: KV_EINVAL, KV_EPERM,
 * KV_ENOTFOUND, KV_ECONFLICT, KV_ETOOBIG), a stable machine-readable code
 * ("MEMO_VALIDATION_FAILED"), one sentence for a person, and, where it can, which fields of
 * the input were wrong and where in the submitted document (line and column). It never says
 * which HTTP status or body that becomes: the HTTP layer renders a problem as the NgDP
 * ErrorMessage (http.h, kv_http_resp_problem), the CLI prints it.
 *
 * Ownership: a struct kv_problem owns its fields and their strings; the caller owns the
 * struct (usually on its stack) and releases it with kv_problem_release. Not thread-safe;
 * one owner at a time.
 */
#ifndef KV_UTIL_PROBLEM_H
#define KV_UTIL_PROBLEM_H

#include <stddef.h>
#include <stdarg.h>

#include <jansson.h>

/* One wrong field of the input. */
struct kv_problem_field {
    const char *resource;  /* what was wrong: "memo", "request", "MailboxMessage" (static) */
    char *field;           /* owned: the field's name or path, e.g. "/memo:Message/..." */
    char *code;            /* owned: the rule or reason, e.g. "MEMO-001" */
    char *message;         /* owned: what is wrong, without the location */
    json_t *rejected;      /* owned rejected value; NULL when none is shown */
    unsigned long line;    /* 1-based location in the submitted document, 0 when none */
    unsigned long col;     /* 1-based column there, 0 when none */
};

struct kv_problem {
    int kind;                        /* KV_E* class of the refusal, 0 when none is set */
    char code[64];                   /* stable code, e.g. "DUPLICATE_MESSAGE_UUID" */
    char message[512];               /* one sentence for a person */
    struct kv_problem_field *fields; /* owned array of n_fields */
    size_t n_fields;                 /* fields in use */
    size_t cap;                      /* allocated */
};

/* Zeroes p (no problem). */
void kv_problem_init(struct kv_problem *p);
/* Frees what p owns and zeroes it; idempotent. */
void kv_problem_release(struct kv_problem *p);

/* Sets kind, code and the printf-formatted message; fields added before or after are kept
 * (a validator may collect fields first and sum them up last). Returns kind, so a domain
 * function can `return kv_problem_set(p, KV_EPERM, ...)`. */
int kv_problem_set(struct kv_problem *p, int kind, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds a field whose rejected value is text (NULL: none shown). resource must be static. */
void kv_problem_field(struct kv_problem *p, const char *resource, const char *field,
                      const char *code, const char *message, const char *rejected);
/* Adds a field whose rejected value is any JSON value (copied; NULL: none shown). */
void kv_problem_field_json(struct kv_problem *p, const char *resource, const char *field,
                           const char *code, const char *message, const json_t *rejected);
/* Adds a field located at line/col of the submitted document (no rejected value). */
void kv_problem_field_at(struct kv_problem *p, const char *resource, const char *field,
                         const char *code, const char *message, unsigned long line,
                         unsigned long col);

#endif

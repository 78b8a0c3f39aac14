/* SPDX-License-Identifier: MIT
 *
 * html_check.h: the pre-check of an HTML body a sender system means to send in a letter
 * (NgDP `POST /validations/`, kuvert `POST /apis/v1/validations/`, docs/send-api.md
 * "Validating an HTML body"). kv_html_check() parses the bytes with libxml2's HTML parser
 * (no network, no outside entities, errors kept from stderr) and walks the tree against the
 * way the mailbox shows an HTML file (src/web/post_letter.c: a sandboxed document under
 * `sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'`): what would not
 * run or not be seen there, or is active content, is a finding with a rule code, the element
 * or attribute and its line. A document without findings is approved.
 *
 * Rules (docs/send-api.md lists them with examples): HTML-ENCODING, HTML-UNREADABLE,
 * HTML-MALFORMED (policy STRICT only), HTML-SCRIPT, HTML-EMBEDDED, HTML-FORM,
 * HTML-META-REFRESH, HTML-BASE, HTML-STYLESHEET, HTML-EVENT-HANDLER, HTML-SCRIPT-URL,
 * HTML-DATA-URL, HTML-EXTERNAL-RESOURCE.
 *
 * Ownership: a struct kv_html_result is the caller's (usually on its stack); kv_html_check
 * fills it with findings whose strings it owns, freed by kv_html_result_release. The input
 * is borrowed and never changed.
 * Thread safety: kv_memo_global_init (memo.h) must have returned 0 first (it initialises
 * libxml2); then checks may run concurrently. A check sets the calling thread's libxml2
 * error handlers for its parse and restores them.
 */
#ifndef KV_MEMO_HTML_CHECK_H
#define KV_MEMO_HTML_CHECK_H

#include <stddef.h>

#include "util/err.h"

/* The largest body kv_html_check reads (a larger one is refused with KV_ETOOBIG): 10 MB,
 * NgDP's size limit of a letter from a citizen or company, and libxml2's largest text node
 * without XML_PARSE_HUGE, so no text of a body within the bound stops the parser. */
#define KV_HTML_CHECK_MAX_BYTES ((size_t)10 * 1000 * 1000)
/* Nodes of the parsed tree (elements, attributes, comments, processing instructions) a
 * check builds at most; past it the parser is stopped and the body is HTML-UNREADABLE. */
#define KV_HTML_CHECK_MAX_NODES 200000
/* Findings kept per check; more are counted in total only. */
#define KV_HTML_CHECK_MAX_FINDINGS 100
/* Bytes of a rejected value kept (cut at a character boundary). */
#define KV_HTML_CHECK_MAX_VALUE 200

enum kv_html_policy {
    KV_HTML_LENIENT = 0, /* NgDP's default: the rules above but HTML-MALFORMED */
    KV_HTML_STRICT = 1   /* also HTML-MALFORMED: HTML the parser had to repair */
};

struct kv_html_finding {
    const char *rule;   /* static: the rule code, e.g. "HTML-SCRIPT" */
    char *field;        /* owned: where, e.g. "/html/body/p/a/@onclick"; "" for the document */
    char *message;      /* owned: what is wrong and why, without the location */
    char *value;        /* owned: the rejected value (an attribute's, cut), NULL when none */
    unsigned long line; /* 1-based line in the body (libxml2 reports at most 65535), 0 none */
};

struct kv_html_result {
    int approved;                  /* 1 when there is no finding */
    struct kv_html_finding *items; /* owned array of n (at most KV_HTML_CHECK_MAX_FINDINGS) */
    size_t n;                      /* findings kept */
    size_t total;                  /* findings found (n plus those not kept) */
};

void kv_html_result_init(struct kv_html_result *r);
/* Frees what r owns and zeroes it; idempotent. */
void kv_html_result_release(struct kv_html_result *r);

/* "STRICT" or "LENIENT" in any case into *out. 0 or KV_EINVAL. */
int kv_html_policy_parse(const char *s, enum kv_html_policy *out);

/* Checks data[0..len) (any bytes; no NUL terminator needed) as an HTML document. charset is
 * the charset parameter the body was declared with (NULL when none): anything but UTF-8
 * (or its subset US-ASCII) is an HTML-ENCODING finding, as is a document that is not valid
 * UTF-8 or declares another encoding in <meta>. Returns 0 with out filled (approved or
 * not), KV_ETOOBIG when len > KV_HTML_CHECK_MAX_BYTES, KV_EINVAL when len is 0, KV_ENOMEM
 * when libxml2 cannot allocate; out is initialised in every case. */
int kv_html_check(const char *data, size_t len, const char *charset, enum kv_html_policy policy,
                  struct kv_html_result *out, struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * html.h: the one path by which anything reaches an HTML page. A page is built with
 * kv_html(h, TEMPLATE, args...), where TEMPLATE must be a string literal (the macro pastes
 * "" around it, so a variable does not compile) and every dynamic value goes through a typed
 * placeholder that escapes it for its context:
 *
 *   %t  const char *  text content: & < > " ' become entities; invalid UTF-8 becomes U+FFFD;
 *                     control characters other than tab/newline are dropped. NULL prints "".
 *   %a  const char *  attribute value (the template quotes it: value="%a"); same escaping.
 *   %u  const char *  URL in an attribute (href, action, src): only a same-site path ("/x",
 *                     not "//host"), http:, https: or mailto: is kept, anything else
 *                     (javascript:, data:, ...) becomes "#"; then attribute-escaped.
 *   %q  const char *  one URL query or path component: percent-encoded (RFC 3986 unreserved
 *                     characters kept), so it can sit inside a %u-free literal URL.
 *   %m  const char *  a message-catalog id (msgid): translated into the page's language,
 *                     then escaped as text. Catalog text is never trusted as markup.
 *   %d  int           decimal; %D int64_t decimal.
 *   %%                a literal '%'.
 * There is no raw placeholder: markup comes only from literals in C source.
 *
 * Ownership: struct kv_html owns its buffer (kv_html_init / kv_html_release); lang is
 * borrowed and must outlive the builder. A builder is used by one thread.
 */
#ifndef KV_WEB_HTML_H
#define KV_WEB_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct kv_i18n_lang;

struct kv_html {
    struct kv_buf b;                  /* the page so far */
    const struct kv_i18n_lang *lang;  /* language of %m (borrowed) */
    int failed;                       /* 1 once an append failed (page too big or bad template) */
};

#define KV_HTML_MAX ((size_t)4 << 20) /* largest page, bytes */

void kv_html_init(struct kv_html *h, const struct kv_i18n_lang *lang);
void kv_html_release(struct kv_html *h);

/* Appends TEMPLATE with its placeholders filled (see above). */
#define kv_html(h, tmpl, ...) kv__html((h), "" tmpl "", ##__VA_ARGS__)
void kv__html(struct kv_html *h, const char *tmpl, ...);

/* The escaping primitives, exposed for tests: append s escaped for text/attribute context,
 * as a safe URL, or percent-encoded. */
void kv_html_esc_text(struct kv_buf *b, const char *s);
void kv_html_esc_url(struct kv_buf *b, const char *s);
void kv_html_esc_component(struct kv_buf *b, const char *s);

/* 1 when u is a path on this site a browser cannot read as another: it starts with one '/'
 * not followed by '/' or '\\' (a browser reads both as "//host"), and it holds no space or
 * control character -- browsers drop tab, CR and LF anywhere in a URL, so "/<TAB>/evil"
 * would become "//evil". The one rule for links (%u) and for redirects (kv_web_redirect,
 * the sign-in's next). */
int kv_html_same_site_path(const char *u);

#endif

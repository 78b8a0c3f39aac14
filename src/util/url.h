/* SPDX-License-Identifier: MIT
 *
 * url.h: the one check that a configured URL is one the hub may call or link to: an absolute
 * http:// or https:// URL. The scheme compares case-insensitively (RFC 3986 3.1: "HTTPS://"
 * is the same scheme), and a host must follow it. Used for receipt and push URLs (when they
 * are configured and again before each call), the public URL, and identity providers'
 * endpoints.
 *
 * Ownership: nothing is kept; u is only read.
 */
#ifndef KV_UTIL_URL_H
#define KV_UTIL_URL_H

/* 1 when u is "http://" or "https://" (any case) followed by a host (something other than
 * '/'), with no space or control character anywhere; 0 otherwise (NULL included). */
int kv_url_is_http(const char *u);
/* As kv_url_is_http, https only. */
int kv_url_is_https(const char *u);

#endif

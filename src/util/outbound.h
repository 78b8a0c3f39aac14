/* SPDX-License-Identifier: MIT
 *
 * outbound.h: what every request the hub makes to someone else's server has in common: the
 * one libcurl initialisation, the libcurl options of an outbound HTTP(S) call (receipt push to sender systems, letter push to
 * recipient systems) and the lookup in a retry schedule (receipts, letters, e-mails).
 *
 * Ownership: kv_outbound_http_setup borrows easy and url (libcurl copies the URL string).
 */
#ifndef KV_UTIL_OUTBOUND_H
#define KV_UTIL_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "util/err.h"

/* Initialises libcurl once for the whole process (curl_global_init is not thread-safe, so
 * every user of libcurl calls this first, from any thread). Returns 0, or KV_EINTERNAL
 * (err set) when libcurl could not be initialised; later calls give the same answer. */
int kv_outbound_init(struct kv_err *err);

/* Sets URL, http/https only (also for redirects, which are never followed), no signals,
 * TLS peer and host verification on, and the connect and total timeouts in ms. The caller
 * adds the method, body and headers. */
void kv_outbound_http_setup(CURL *easy, const char *url, int64_t connect_ms, int64_t total_ms);

/* The delay after the failures-th failed attempt (1 = the first) from a schedule of n > 0
 * delays in ms; past the end the last delay repeats, below 1 counts as 1. */
int64_t kv_outbound_delay_ms(const int64_t *delays, size_t n, int failures);

#endif

/* SPDX-License-Identifier: MIT
 *
 * read_util.h: small helpers shared by the read-side handlers (receipts, contacts, mailbox,
 * events): taking a database connection, authenticating the caller, and strict parsing of
 * query parameters and ISO-8601 times. Each helper that can fail writes the error response
 * itself and returns a negative code, so a handler just returns 0 on failure.
 *
 * Ownership: connections returned by kv__read_db are borrowed from the store and must be
 * given back with kv_db_release.
 */
#ifndef KV_API_READ_UTIL_H
#define KV_API_READ_UTIL_H

#include <stdint.h>

#include "http/http.h"

struct kv_db;
struct kv_page_order;
struct kv_system;

/* Acquires a connection; on failure writes a 500 response. */
int kv__read_db(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db **out);

/* Authenticates "Authorization: Basic <system token>"; on failure writes the 401. The token's
 * base64 padding may be missing and the scheme may be followed by a tab. */
int kv__read_system_auth(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                         struct kv_system *out);

/* Authenticates "Authorization: Bearer <user token>" (a tab after the scheme is taken as a
 * space); on failure writes the 401. */
int kv__read_user_auth(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                       char owner_type[4], char owner_id[11]);

/* Writes a 400 ErrorMessage naming query parameter name with the rejected value. Returns
 * KV_EINVAL. */
int kv__read_bad_param(struct kv_http_resp *resp, const char *name, const char *value,
                       const char *message);

/* Writes a 400 ErrorMessage for a query parameter given more than once (rejectedValue the
 * first value). Returns KV_EINVAL. */
int kv__read_repeated_param(struct kv_http_resp *resp, const char *name, const char *first);

/* Parses a strictly decimal integer (optional leading '-') in [min, max]. 0 or KV_EINVAL. */
int kv__read_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* Query parameter name as an integer in [min, max], def when absent; 400 otherwise (also
 * when it is given more than once). */
int kv__read_query_int(struct kv_http_req *req, struct kv_http_resp *resp, const char *name,
                       int64_t def, int64_t min, int64_t max, int64_t *out);

/* Query parameter name as a boolean ("true"/"false" in any case); *out = -1 when absent; 400
 * otherwise (also when it is given more than once). */
int kv__read_query_bool(struct kv_http_req *req, struct kv_http_resp *resp, const char *name,
                        int *out);

/* The sort parameter of a list with one order (util/page.h, kv_page_parse_sort): the first
 * sort=property[,ASC|DESC] naming one of names sets order->desc; other properties are
 * ignored; a bad direction is a 400. */
int kv__read_query_sort(struct kv_http_req *req, struct kv_http_resp *resp,
                        const char *const *names, struct kv_page_order *order);

/* Parses an ISO-8601 time: "YYYY-MM-DD" (00:00 Europe/Copenhagen of that date; with
 * date_end non-zero, 00:00 of the next date, so a date-only upper bound includes the whole
 * day) or "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by "Z", "+HH:MM"/"-HH:MM" (also " HH:MM":
 * a '+' left unencoded in a query string arrives as a space), or nothing: a
 * time without a zone (as .NET clients send a DateTime) is Europe/Copenhagen wall-clock
 * time (in the skipped spring hour read as CET; in the repeated autumn hour the later, CET
 * one). 0 or KV_EINVAL. */
int kv__read_parse_time(const char *s, int date_end, int64_t *out_ms);

#endif

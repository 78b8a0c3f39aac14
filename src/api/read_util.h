/* SPDX-License-Identifier: MIT
 *
 * read_util.h: small helpers shared by the read-side handlers (receipts, contacts, mailbox,
 * events): taking a database connection, the caller the gate authenticated, and strict parsing of
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

struct kv_buf;
struct kv_db;
struct kv_page_order;
struct kv_system;

/* Appends "&name=<v percent-encoded>" to b, for the "next" URL of a page that keeps the
 * request's filters; nothing when v is NULL. */
void kv__read_add_param(struct kv_buf *b, const char *name, const char *v);

/* Acquires a connection; on failure writes a 500 response. */
int kv__read_db(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db **out);

/* The system the gate authenticated for this request (api/gate.c: "Basic <system token>",
 * checked before the body was read); writes a 401 when there is none (a route that does not
 * declare system access). db is unused, kept for the callers. */
int kv__read_system_auth(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                         struct kv_system *out);

/* The caller as an active sender system: the gate's principal (checked before the body was
 * read for the route's access key system:sender), borrowed and read in place rather than
 * copied (5 KB); or NULL with 401 (a route that does not declare system access) or 403 (not
 * a sender system) written. The one check of the send routes and of validations. */
const struct kv_system *kv__read_sender_auth(struct kv_http_req *req,
                                             struct kv_http_resp *resp);

/* The citizen or company the gate authenticated ("Bearer <user token>"); writes a 401 when
 * there is none. */
int kv__read_user_auth(struct kv_http_req *req, struct kv_http_resp *resp, struct kv_db *db,
                       char owner_type[4], char owner_id[11]);

/* Writes a 400 ErrorMessage naming query parameter name with the rejected value. Returns
 * KV_EINVAL. */
int kv__read_bad_param(struct kv_http_resp *resp, const char *name, const char *value,
                       const char *message);

/* Writes a 400 ErrorMessage for a query parameter given more than once (rejectedValue the
 * first value). Returns KV_EINVAL. */
int kv__read_repeated_param(struct kv_http_resp *resp, const char *name, const char *first);

/* kv_parse_int64 (util/num.h): a strictly decimal integer in [min, max]. 0 or KV_EINVAL. */
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

/* The keyset cursor of a PagingResultUUID list (util/page.h): the UUID of a sort value
 * "after:<uuid>" (what "next" carries in its ordering) or "before:<uuid>" ("previous"; then
 * *before = 1), or of the kuvert parameter after= or before=, lower-cased into out; *dst
 * NULL when there is none. A malformed one, or both after= and before=, is a 400. */
int kv__read_query_after(struct kv_http_req *req, struct kv_http_resp *resp, char out[37],
                         const char **dst, int *before);

/* Parses an ISO-8601 time: "YYYY-MM-DD" (00:00 Europe/Copenhagen of that date; with
 * date_end non-zero, 00:00 of the next date, so a date-only upper bound includes the whole
 * day) or "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by "Z", "+HH:MM"/"-HH:MM" (also " HH:MM":
 * a '+' left unencoded in a query string arrives as a space), or nothing: a
 * time without a zone (as .NET clients send a DateTime) is Europe/Copenhagen wall-clock
 * time (in the skipped spring hour read as CET; in the repeated autumn hour the later, CET
 * one). 0 or KV_EINVAL. */
int kv__read_parse_time(const char *s, int date_end, int64_t *out_ms);

#endif

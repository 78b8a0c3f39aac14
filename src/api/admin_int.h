/* SPDX-License-Identifier: MIT
 *
 * admin_int.h: what the admin API's files (admin.c, admin_tokens.c) share: the one admin
 * authorisation check and the bounded JSON body reader. Each writes the error answer itself
 * and returns a negative code, so a handler just returns 0 on failure.
 */
#ifndef KV_API_ADMIN_INT_H
#define KV_API_ADMIN_INT_H

#include <jansson.h>

#include "http/http.h"

/* The gate admitted the caller with the admin token (api/gate.c checked `Authorization:
 * Bearer <admin_token>` before the body was read: 403 ADMIN_API_DISABLED when admin_token is
 * unset, 401 otherwise); a 401 when it did not. */
int kv__admin_api_auth(struct kv_http_req *req, struct kv_http_resp *resp);
/* The body as a JSON object (owned on success; at most 64 KiB), else 400/413. */
int kv__admin_api_body(struct kv_http_req *req, struct kv_http_resp *resp, json_t **out);

#endif

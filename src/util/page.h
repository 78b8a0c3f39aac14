/* SPDX-License-Identifier: MIT
 *
 * page.h: the NgDP page shape shared by paged list endpoints:
 * {content, number, size, totalElements, totalPages, previous, next}, page numbers zero-based,
 * previous/next as relative links "<base>?page=N&size=S" or null.
 */
#ifndef KV_UTIL_PAGE_H
#define KV_UTIL_PAGE_H

#include <stdint.h>

#include <jansson.h>

/* Returns an owned page object (json_decref). Takes ownership of content (a JSON array);
 * borrows base, e.g. "/apis/v1/receipts/". size must be >= 1. */
json_t *kv_page_json(json_t *content, const char *base, int64_t page, int64_t size,
                     int64_t total);

#endif

/* SPDX-License-Identifier: MIT
 *
 * xmalloc.h: die-on-OOM allocation wrappers. Every attacker-sized allocation must be bounded
 * by the caller *before* it is made; these wrappers only remove NULL checks. All returned
 * pointers are owned by the caller and freed with free().
 */
#ifndef KV_UTIL_XMALLOC_H
#define KV_UTIL_XMALLOC_H

#include <stddef.h>

void *kv_xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *kv_xcalloc(size_t nmemb, size_t size) __attribute__((malloc, returns_nonnull));
void *kv_xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *kv_xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *kv_xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
char *kv_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc, returns_nonnull));

/* glibc's trim threshold (mallopt M_TRIM_THRESHOLD): the free memory at the top of the heap
 * kept instead of handed back to the kernel. Parts of kuvert ask for what they need (the
 * server, the SQLite store); the largest asked so far stays in effect, so a later, smaller
 * ask never lowers an earlier one. Returns the threshold now in effect. Thread-safe. */
size_t kv_malloc_keep_top(size_t bytes);

#endif

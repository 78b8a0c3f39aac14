/* SPDX-License-Identifier: MIT
 *
 * xmalloc.c: the only place kuvert calls malloc/realloc directly. On failure we log and abort:
 * with every external size bounded before allocation, OOM means the machine is broken.
 */
#include "util/xmalloc.h"

#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "kuvert: out of memory allocating %zu bytes\n", n);
    abort();
}

void *kv_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *kv_xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        oom(nmemb * size);
    return p;
}

void *kv_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *kv_xstrdup(const char *s)
{
    return kv_xstrndup(s, strlen(s));
}

char *kv_xstrndup(const char *s, size_t n)
{
    char *p = kv_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *kv_xasprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom(0);
    p = kv_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static pthread_mutex_t keep_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t keep_top; /* the largest threshold asked for, under keep_mu */

size_t kv_malloc_keep_top(size_t bytes)
{
    size_t now;

    pthread_mutex_lock(&keep_mu);
    if (bytes > keep_top && bytes <= (size_t)0x7fffffff) {
        keep_top = bytes;
        (void)mallopt(M_TRIM_THRESHOLD, (int)bytes);
    }
    now = keep_top;
    pthread_mutex_unlock(&keep_mu);
    return now;
}

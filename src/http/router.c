/* SPDX-License-Identifier: MIT
 *
 * router.c: matches a request's method and path against the route tables. Patterns are
 * '/'-separated segments; "{name}" matches exactly one non-empty segment; a trailing slash is
 * optional on both sides. When several routes match a path, the one with the most literal
 * segments wins (so "/a/b" beats "/a/{x}"), then table order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "util/err.h"
#include "util/xmalloc.h"

/* Length of s without one trailing '/' (but "/" stays "/"). */
static size_t trimmed_len(const char *s, size_t len)
{
    return (len > 1 && s[len - 1] == '/') ? len - 1 : len;
}

/* Matches path (plen bytes, already trimmed) against pattern. Returns the number of literal
 * segments (>= 0) and fills starts/ends with parameter offsets, or -1 on mismatch. */
static int match(const char *pattern, const char *path, size_t plen, size_t starts[],
                 size_t ends[], int *n_params)
{
    const char *p = pattern, *pend = pattern + trimmed_len(pattern, strlen(pattern));
    const char *s = path, *send = path + plen;
    const char *pn, *sn;
    int literals = 0;

    *n_params = 0;
    if (p == pend || s == send || *p != '/' || *s != '/')
        return -1;
    p++;
    s++;
    for (;;) {
        if (p >= pend || s >= send)
            return (p >= pend && s >= send) ? literals : -1;
        pn = memchr(p, '/', (size_t)(pend - p));
        if (!pn)
            pn = pend;
        sn = memchr(s, '/', (size_t)(send - s));
        if (!sn)
            sn = send;
        if (pn - p >= 2 && *p == '{' && pn[-1] == '}') {
            if (sn == s)
                return -1;
            if (*n_params < KV_HTTP_MAX_PARAMS) {
                starts[*n_params] = (size_t)(s - path);
                ends[*n_params] = (size_t)(sn - path);
                (*n_params)++;
            }
        } else {
            if (pn - p != sn - s || memcmp(p, s, (size_t)(pn - p)) != 0)
                return -1;
            literals++;
        }
        /* Step over the separator; a separator at the very end means an empty segment. */
        if ((pn < pend) != (sn < send))
            return -1;
        if (pn < pend) {
            p = pn + 1;
            s = sn + 1;
            if (p >= pend || s >= send)
                return -1;
        } else {
            p = pend;
            s = send;
        }
    }
}

/* 0 when pattern cannot match a path whose first segment is seg (seglen bytes): a literal
 * first segment of the pattern must be exactly seg. Saves match() for most routes (the
 * router scans every route of every table for each request; the Allow list of a 405 is
 * gathered in a second scan only when no route takes the method). */
static int first_segment_may_match(const char *pattern, const char *seg, size_t seglen)
{
    if (pattern[0] != '/' || pattern[1] == '{')
        return 1;
    if (seglen && pattern[1] != seg[0])
        return 0;
    return strncmp(pattern + 1, seg, seglen) == 0 &&
           (pattern[1 + seglen] == '/' || pattern[1 + seglen] == '\0');
}

static void allow_add(char *allow, size_t len, const char *method)
{
    size_t used = strlen(allow);

    if (strstr(allow, method)) /* "GET" listed once even if two tables serve it */
        return;
    snprintf(allow + used, len - used, "%s%s", used ? ", " : "", method);
}

int kv__http_route(const struct kv_http_route *const *tables, const char *method,
                   const char *path, int test_clock, char *path_copy,
                   const char *params[KV_HTTP_MAX_PARAMS], struct kv__http_match *m)
{
    size_t plen = trimmed_len(path, strlen(path));
    size_t starts[KV_HTTP_MAX_PARAMS] = {0}, ends[KV_HTTP_MAX_PARAMS] = {0};
    size_t best_starts[KV_HTTP_MAX_PARAMS] = {0}, best_ends[KV_HTTP_MAX_PARAMS] = {0};
    int best = -1, best_np = 0, path_known = 0, np, score, t, i;
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    const char *seg = path[0] == '/' ? path + 1 : path;
    size_t seglen = strcspn(seg, "/");

    m->route = NULL;
    m->allow[0] = '\0';
    for (t = 0; tables[t]; t++) {
        const struct kv_http_route *r;
        for (r = tables[t]; r->method; r++) {
            if ((r->flags & KV_ROUTE_TEST_ONLY) && !test_clock)
                continue;
            if (!first_segment_may_match(r->pattern, seg, seglen))
                continue;
            score = match(r->pattern, path, plen, starts, ends, &np);
            if (score < 0)
                continue;
            path_known = 1;
            if (strcmp(r->method, want) != 0)
                continue;
            if (score > best) {
                best = score;
                m->route = r;
                best_np = np;
                memcpy(best_starts, starts, sizeof(starts));
                memcpy(best_ends, ends, sizeof(ends));
            }
        }
    }
    if (!m->route && path_known) /* 405: the methods the path takes (Allow) */
        for (t = 0; tables[t]; t++) {
            const struct kv_http_route *r;
            for (r = tables[t]; r->method; r++) {
                if ((r->flags & KV_ROUTE_TEST_ONLY) && !test_clock)
                    continue;
                if (match(r->pattern, path, plen, starts, ends, &np) < 0)
                    continue;
                allow_add(m->allow, sizeof(m->allow), r->method);
                if (strcmp(r->method, "GET") == 0)
                    allow_add(m->allow, sizeof(m->allow), "HEAD");
            }
        }
    for (i = 0; i < KV_HTTP_MAX_PARAMS; i++)
        params[i] = NULL;
    if (m->route) {
        for (i = 0; i < best_np; i++) {
            path_copy[best_ends[i]] = '\0';
            params[i] = path_copy + best_starts[i];
        }
        return 0;
    }
    return path_known ? KV_EINVAL : KV_ENOTFOUND;
}

/* ---- the index of literal routes ---- */

/* One route whose pattern has no parameter, keyed by its method and its pattern without the
 * trailing slash. */
struct lit {
    const char *method;               /* the route's method */
    const char *key;                  /* the pattern (borrowed), key_len bytes of it */
    size_t key_len;                   /* the pattern's trimmed length */
    const struct kv_http_route *route; /* the route (borrowed, static) */
};

struct kv__http_index {
    size_t mask;                      /* slots - 1 (a power of two) */
    struct lit *slots;                /* open addressing; method NULL: empty */
};

static uint64_t lit_hash(const char *method, const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    size_t i;

    for (i = 0; method[i]; i++)
        h = (h ^ (unsigned char)method[i]) * 1099511628211ULL;
    h = (h ^ ' ') * 1099511628211ULL;
    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    return h;
}

static struct lit *lit_slot(const struct kv__http_index *ix, const char *method, const char *key,
                            size_t len)
{
    size_t i = (size_t)lit_hash(method, key, len) & ix->mask;

    for (;; i = (i + 1) & ix->mask) {
        struct lit *l = &ix->slots[i];
        if (!l->method || (l->key_len == len && strcmp(l->method, method) == 0 &&
                           memcmp(l->key, key, len) == 0))
            return l;
    }
}

struct kv__http_index *kv__http_index_new(const struct kv_http_route *const *tables,
                                          int test_clock)
{
    struct kv__http_index *ix = kv_xcalloc(1, sizeof(*ix));
    size_t n = 0, slots = 16;
    size_t starts[KV_HTTP_MAX_PARAMS], ends[KV_HTTP_MAX_PARAMS];
    int t, np;

    for (t = 0; tables[t]; t++) {
        const struct kv_http_route *r;
        for (r = tables[t]; r->method; r++)
            n++;
    }
    while (slots < 2 * n + 2)
        slots *= 2;
    ix->mask = slots - 1;
    ix->slots = kv_xcalloc(slots, sizeof(*ix->slots));
    /* Table order: the first of two routes with one method and one literal pattern is the one
     * kv__http_route chooses (a later one never scores higher), so it keeps the slot. */
    for (t = 0; tables[t]; t++) {
        const struct kv_http_route *r;
        for (r = tables[t]; r->method; r++) {
            size_t len = trimmed_len(r->pattern, strlen(r->pattern));
            struct lit *l;

            if ((r->flags & KV_ROUTE_TEST_ONLY) && !test_clock)
                continue;
            /* Only a pattern that matches its own text without a parameter: a path of the
             * same bytes then matches it with every segment literal, the highest score any
             * route can have for that path (a route with a parameter has fewer literals). */
            if (match(r->pattern, r->pattern, len, starts, ends, &np) < 0 || np != 0)
                continue;
            l = lit_slot(ix, r->method, r->pattern, len);
            if (l->method)
                continue;
            l->method = r->method;
            l->key = r->pattern;
            l->key_len = len;
            l->route = r;
        }
    }
    return ix;
}

void kv__http_index_free(struct kv__http_index *ix)
{
    if (!ix)
        return;
    free(ix->slots);
    free(ix);
}

int kv__http_route_indexed(const struct kv__http_index *ix,
                           const struct kv_http_route *const *tables, const char *method,
                           const char *path, int test_clock, char *path_copy,
                           const char *params[KV_HTTP_MAX_PARAMS], struct kv__http_match *m)
{
    if (ix) {
        const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
        size_t plen = trimmed_len(path, strlen(path));
        const struct lit *l = lit_slot(ix, want, path, plen);
        int i;

        if (l->method) {
            m->route = l->route;
            m->allow[0] = '\0';
            for (i = 0; i < KV_HTTP_MAX_PARAMS; i++)
                params[i] = NULL;
            return 0;
        }
    }
    return kv__http_route(tables, method, path, test_clock, path_copy, params, m);
}

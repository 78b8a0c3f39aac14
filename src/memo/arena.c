/* SPDX-License-Identifier: MIT
 *
 * arena.c: a per-check memory arena for libxml2 (kv_memo_arena_enter / kv_memo_arena_leave,
 * memo.h). libxml2 builds a checked letter's tree out of thousands of small allocations
 * (nodes, names, text, the parser's and the validator's state) and frees each again; for the
 * 17 KB MeMo Full example that malloc/free traffic was a fifth of the check's CPU time. Inside
 * an arena scope the calling thread's libxml2 allocations are cut from a few large chunks
 * instead, freeing them is a no-op, and leaving the scope takes everything back at once.
 *
 * How: kv__memo_arena_install (called once, from kv_memo_global_init, before the first
 * check) sets libxml2's process-wide allocation hooks (xmlMemSetup) to the four functions
 * below. Outside a scope — every other thread, and this one before enter and after leave —
 * they are malloc, free, realloc and strdup themselves, so memory libxml2 handed out before
 * or elsewhere stays ordinary heap memory, and code that frees libxml2 strings with free()
 * keeps working. Inside a scope an allocation of up to KV__ARENA_BIG bytes is cut from the
 * thread's arena (a 16-byte header holding its size, for realloc); a bigger one (a long base64
 * text, the parser's input buffer of a big letter) goes to the heap as before and is freed
 * normally. Freeing a pointer of the arena does nothing (the last block cut is given back);
 * any other pointer is freed by free().
 *
 * The contract: nothing libxml2 allocated inside a scope may be used, freed or reallocated
 * after the scope is left. kv_memo_arena_leave clears libxml2's per-thread last error (whose
 * message libxml2 copies for every error) before it takes the memory back; a document parsed
 * in the scope must be freed (kv_memo_doc_free) before leaving it. Arenas are kept in a small
 * pool between scopes (bounded by KV__ARENA_POOL; each keeps at most KV__ARENA_KEEP bytes), so
 * memory follows the number of checks running at once, not the number of threads. A scope
 * holds at most KV__ARENA_BUDGET bytes of chunks plus 8 per byte of the letters checked in it
 * (kv__memo_arena_budget, from the parser); past that it allocates on the heap.
 *
 * Under AddressSanitizer every cut block is surrounded by poisoned bytes and the whole arena
 * is poisoned again on leave, so overflows and uses after the scope are still reported.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlmemory.h>

#include "memo/check_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define KV__ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KV__ARENA_ASAN 1
#endif
#endif

#ifdef KV__ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define REDZONE ((size_t)32) /* poisoned bytes after each block */
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define REDZONE ((size_t)0)
#endif

#define KV__ARENA_CHUNK ((size_t)256 << 10) /* first chunk; the next ones double */
#define KV__ARENA_CHUNK_MAX ((size_t)4 << 20)
#define KV__ARENA_BIG ((size_t)64 << 10)    /* bigger allocations go to the heap */
#define KV__ARENA_KEEP ((size_t)1 << 20)    /* biggest chunk an arena keeps between scopes */
#define KV__ARENA_POOL 16                   /* arenas kept between scopes */
#define KV__ARENA_BUDGET ((size_t)4 << 20)  /* chunk bytes a scope may hold, plus 8 per input byte */
#define HDR ((size_t)16)                    /* block header: its usable size, 16-aligned */

struct chunk {
    struct chunk *next; /* older chunk, or NULL */
    size_t size;        /* bytes of data[] */
    size_t used;        /* bytes of data[] cut so far */
    size_t pad;         /* keeps data[] 16-aligned */
    unsigned char data[];
};

struct kv_memo_arena {
    struct chunk *head;         /* chunk being cut (newest); older ones follow */
    unsigned char *last;        /* the block cut last (its user pointer), or NULL */
    size_t heap_allocs;         /* heap allocations made in this scope */
    size_t total;               /* bytes of the chunks held */
    size_t budget;              /* chunk bytes this scope may hold (kv__memo_arena_budget) */
    struct kv_memo_arena *next; /* next in the pool */
};

static _Thread_local struct kv_memo_arena *cur; /* this thread's scope's arena, or NULL */
static _Thread_local unsigned depth;              /* enters not yet left on this thread */

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kv_memo_arena *pool;
static unsigned pool_n;

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* 1 when p lies in one of a's chunks. */
static int owns(const struct kv_memo_arena *a, const void *p)
{
    const struct chunk *c;
    const unsigned char *q = p;

    for (c = a->head; c; c = c->next)
        if (q >= c->data && q < c->data + c->size)
            return 1;
    return 0;
}

static size_t block_size(const void *p)
{
    size_t n;

    UNPOISON((const unsigned char *)p - HDR, sizeof(size_t));
    memcpy(&n, (const unsigned char *)p - HDR, sizeof(n));
    POISON((const unsigned char *)p - HDR, sizeof(size_t));
    return n;
}

/* Cuts n bytes (n <= KV__ARENA_BIG) from a; NULL when out of memory. */
static void *cut(struct kv_memo_arena *a, size_t n)
{
    size_t need = HDR + round16(n) + REDZONE;
    struct chunk *c = a->head;
    unsigned char *p;

    if (!c || c->size - c->used < need) {
        size_t size = c ? c->size * 2 : KV__ARENA_CHUNK;

        if (size > KV__ARENA_CHUNK_MAX)
            size = KV__ARENA_CHUNK_MAX;
        /* Over budget (a letter raising errors by the hundred thousand: libxml2 allocates
         * and frees each message, which the arena never takes back), the rest of the scope
         * allocates on the heap, where frees are real. */
        if (a->total + size > a->budget) {
            a->heap_allocs++;
            return malloc(n);
        }
        c = malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        a->total += size;
        c->next = a->head;
        c->size = size;
        c->used = 0;
        POISON(c->data, size);
        a->head = c;
    }
    p = c->data + c->used + HDR;
    c->used += need;
    UNPOISON(p - HDR, HDR + n);
    memcpy(p - HDR, &n, sizeof(n));
    POISON(p - HDR, HDR);
    a->last = p;
    return p;
}

static void *hook_malloc(size_t n)
{
    struct kv_memo_arena *a = cur;

    if (!a)
        return malloc(n);
    if (n > KV__ARENA_BIG) {
        a->heap_allocs++;
        return malloc(n);
    }
    return cut(a, n);
}

static void hook_free(void *p)
{
    struct kv_memo_arena *a = cur;

    if (!p)
        return;
    if (a && owns(a, p)) {
        if (p == a->last) { /* the newest block: give it back */
            unsigned char *q = p;
            size_t n = block_size(p);

            a->head->used = (size_t)(q - HDR - a->head->data);
            POISON(q - HDR, HDR + round16(n) + REDZONE);
            a->last = NULL;
        }
        return;
    }
    free(p);
}

static void *hook_realloc(void *p, size_t n)
{
    struct kv_memo_arena *a = cur;
    size_t old;
    void *q;

    if (!a || !p || !owns(a, p)) {
        if (a && !p && n <= KV__ARENA_BIG)
            return cut(a, n);
        if (a && !p)
            a->heap_allocs++;
        return realloc(p, n);
    }
    old = block_size(p);
    if (p == a->last && n <= KV__ARENA_BIG) { /* the newest block grows or shrinks in place */
        unsigned char *b = p;
        struct chunk *c = a->head;
        size_t start = (size_t)(b - HDR - c->data);

        if (c->size - start >= HDR + round16(n) + REDZONE) {
            c->used = start + HDR + round16(n) + REDZONE;
            POISON(b, round16(old) + REDZONE);
            UNPOISON(b - HDR, HDR + n);
            memcpy(b - HDR, &n, sizeof(n));
            POISON(b - HDR, HDR);
            return p;
        }
    }
    q = hook_malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    return q;
}

static char *hook_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *q = hook_malloc(n);

    if (q)
        memcpy(q, s, n);
    return q;
}

void kv__memo_arena_install(void)
{
    xmlMemSetup(hook_free, hook_malloc, hook_realloc, hook_strdup);
}

void kv_memo_arena_enter(void)
{
    struct kv_memo_arena *a;

    if (depth++ > 0)
        return; /* nested: the outer scope's arena serves until the outer leave */
    /* The schemas are compiled (and the hooks installed) outside any scope: compiled in one,
     * they would be cut from this arena and taken back with it. */
    if (kv_memo_global_init(NULL) < 0)
        return; /* no arena; the check reports the failure */
    pthread_mutex_lock(&pool_mu);
    a = pool;
    if (a) {
        pool = a->next;
        pool_n--;
    }
    pthread_mutex_unlock(&pool_mu);
    if (!a) {
        a = calloc(1, sizeof(*a));
        if (!a)
            return; /* no arena: libxml2 allocates from the heap as usual */
    }
    a->next = NULL;
    a->last = NULL;
    a->heap_allocs = 0;
    a->total = a->head ? a->head->size : 0; /* the one chunk kept from the last scope */
    a->budget = KV__ARENA_BUDGET;
    cur = a;
}

void kv_memo_arena_leave(void)
{
    struct kv_memo_arena *a = cur;
    struct chunk *c, *keep;

    if (depth == 0 || --depth > 0)
        return;
    if (!a)
        return;
    /* libxml2 keeps a copy of the last error (message, file, strings) per thread, cut from
     * the arena when raised in the scope: reset it while its frees still know the arena. */
    xmlResetLastError();
    cur = NULL;
    /* Keep the newest chunk (the biggest: each one doubles) when it is not too big. */
    keep = a->head;
    a->head = NULL;
    if (keep && keep->size > KV__ARENA_KEEP) {
        a->head = keep;
        keep = NULL;
    } else if (keep) {
        a->head = keep->next;
    }
    while ((c = a->head) != NULL) {
        a->head = c->next;
        free(c);
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
        POISON(keep->data, keep->size);
    }
    a->head = keep;
    a->last = NULL;
    pthread_mutex_lock(&pool_mu);
    if (pool_n < KV__ARENA_POOL) {
        a->next = pool;
        pool = a;
        pool_n++;
        a = NULL;
    }
    pthread_mutex_unlock(&pool_mu);
    if (a) {
        free(a->head);
        free(a);
    }
}

void kv__memo_arena_budget(size_t len)
{
    if (cur)
        cur->budget += len > (SIZE_MAX - cur->budget) / 8 ? SIZE_MAX - cur->budget : 8 * len;
}

size_t kv__memo_arena_bytes(void)
{
    return cur ? cur->total : 0;
}

int kv__memo_arena_holds_all(const void *token)
{
    return cur && token == (const void *)cur && cur->heap_allocs == 0;
}

const void *kv__memo_arena_token(void)
{
    return cur;
}

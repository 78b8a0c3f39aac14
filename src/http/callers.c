/* SPDX-License-Identifier: MIT
 *
 * callers.c: the request-body bytes in flight of each signed-in person (http_int.h), so that
 * one person cannot hold the body budget every request shares. The gate names the person a
 * request is counted for (struct kv_http_req.caller); the server takes a body's bytes here
 * and in the global budget before reading it, and gives them back when the body is dropped.
 * Without it, a citizen signed in once could open four connections declaring max_body on any
 * page form and, sending nothing, hold all 512 MiB until body_timeout: every sender's letter
 * and every sign-in meanwhile got 503.
 *
 * A table of one slot per connection the server takes at once (a request holds at most one
 * slot, and only while its body is in flight), searched linearly under a mutex: only
 * requests of people with a body come here, never a sender system's letter.
 */
#include "http/http_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

struct slot {
    char key[sizeof(((struct kv_http_req *)0)->caller)]; /* "" while free */
    uint64_t used;                                           /* bytes held by key */
};

struct kv__http_callers {
    pthread_mutex_t mu; /* guards slots */
    struct slot *slots;
    unsigned n;
};

struct kv__http_callers *kv__http_callers_new(unsigned slots)
{
    struct kv__http_callers *t = kv_xcalloc(1, sizeof(*t));

    pthread_mutex_init(&t->mu, NULL);
    t->n = slots ? slots : 1;
    t->slots = kv_xcalloc(t->n, sizeof(*t->slots));
    return t;
}

void kv__http_callers_free(struct kv__http_callers *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->mu);
    free(t->slots);
    free(t);
}

/* key's slot, or NULL; with free_out, the first free slot too. Under t->mu. */
static struct slot *find(struct kv__http_callers *t, const char *key, struct slot **free_out)
{
    unsigned i;

    if (free_out)
        *free_out = NULL;
    for (i = 0; i < t->n; i++) {
        struct slot *s = &t->slots[i];

        if (s->key[0] == '\0') {
            if (free_out && !*free_out)
                *free_out = s;
        } else if (strncmp(s->key, key, sizeof(s->key) - 1) == 0) { /* as stored: cut */
            return s;
        }
    }
    return NULL;
}

int kv__http_callers_take(struct kv__http_callers *t, const char *key, uint64_t n, uint64_t max)
{
    struct slot *s, *spare;
    int rc = -1;

    if (n == 0)
        return 0;
    pthread_mutex_lock(&t->mu);
    s = find(t, key, &spare);
    if (!s && spare && n <= max) {
        memcpy(spare->key, key, strnlen(key, sizeof(spare->key) - 1));
        spare->key[sizeof(spare->key) - 1] = '\0';
        spare->used = n;
        rc = 0;
    } else if (s && s->used <= max && n <= max - s->used) {
        s->used += n;
        rc = 0;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

void kv__http_callers_give(struct kv__http_callers *t, const char *key, uint64_t n)
{
    struct slot *s;

    if (n == 0)
        return;
    pthread_mutex_lock(&t->mu);
    s = find(t, key, NULL);
    if (s) {
        s->used = s->used > n ? s->used - n : 0;
        if (s->used == 0)
            memset(s, 0, sizeof(*s));
    }
    pthread_mutex_unlock(&t->mu);
}

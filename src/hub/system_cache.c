/* SPDX-License-Identifier: MIT
 *
 * system_cache.c: the gate's cache of system authentications (system_cache.h). A small
 * direct-mapped table by system id under one mutex; an entry holds the system row, its stored
 * secret hash and the credentials generation read before the row was. A look-up copies the
 * entry out under the lock and decides outside it (kv__system_auth_decide, the same decision
 * as an uncached authentication).
 */
#include "hub/system_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hub/directory.h"
#include "hub/directory_int.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/xmalloc.h"

#define SLOTS 64 /* systems of one installation that send at the same time, and then some */

struct slot {
    int used;                          /* 1: holds an entry */
    int64_t gen;                       /* credentials generation read before the row */
    char want[KV_SHA256_HEX_LEN + 1];  /* stored secret hash */
    struct kv_system sys;              /* the row */
};

struct kv_system_cache {
    struct kv_store *st; /* borrowed */
    pthread_mutex_t mu;  /* guards slots and the counters */
    struct slot slots[SLOTS];
    unsigned long long hits, misses;
};

struct kv_system_cache *kv_system_cache_new(struct kv_store *st)
{
    struct kv_system_cache *c = kv_xcalloc(1, sizeof(*c));

    c->st = st;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void kv_system_cache_free(struct kv_system_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    explicit_bzero(c->slots, sizeof(c->slots));
    free(c);
}

static unsigned slot_of(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a of the id's text */

    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h % SLOTS;
}

/* Copies a current entry for id into out/want: 1 when found, 0 when not. */
static int lookup(struct kv_system_cache *c, const char *id, int64_t gen, struct kv_system *out,
                  char *want)
{
    struct slot *s = &c->slots[slot_of(id)];
    int hit;

    pthread_mutex_lock(&c->mu);
    hit = s->used && s->gen == gen && strcmp(s->sys.id, id) == 0;
    if (hit) {
        *out = s->sys;
        memcpy(want, s->want, sizeof(s->want));
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

static void keep(struct kv_system_cache *c, int64_t gen, const struct kv_system *sys,
                 const char *want)
{
    struct slot *s = &c->slots[slot_of(sys->id)];

    pthread_mutex_lock(&c->mu);
    /* A newer generation already kept by another thread is not replaced by an older one. */
    if (!s->used || strcmp(s->sys.id, sys->id) != 0 || s->gen <= gen) {
        s->used = 1;
        s->gen = gen;
        s->sys = *sys;
        memcpy(s->want, want, sizeof(s->want));
    }
    pthread_mutex_unlock(&c->mu);
}

int kv_system_cache_authenticate(struct kv_system_cache *c, const char *authorization,
                                 struct kv_system *out, struct kv_err *err)
{
    char id[37], got[KV_SHA256_HEX_LEN + 1], want[KV_SHA256_HEX_LEN + 1];
    struct kv_db *db = NULL;
    int64_t gen;
    int rc;

    rc = kv__system_token_parse(authorization, id, got, err);
    if (rc < 0) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    /* Read before the row: a change committed after this point advances it again. */
    gen = kv_store_credentials_generation(c->st);
    if (gen >= 0 && lookup(c, id, gen, out, want)) /* the whole row copied into out */
        return kv__system_auth_decide(1, got, want, out, err);
    /* Zeroed only here, not on every request: a hit above overwrites all of out (5 KB). */
    memset(out, 0, sizeof(*out));
    rc = kv_db_acquire(c->st, &db, err);
    if (rc < 0)
        return rc;
    rc = kv__system_get_auth(db, id, out, want, err);
    kv_db_release(db);
    if (rc < 0 && rc != KV_ENOTFOUND)
        return rc;
    if (rc == 0 && gen >= 0 && strlen(want) == KV_SHA256_HEX_LEN)
        keep(c, gen, out, want);
    return kv__system_auth_decide(rc == 0, got, want, out, err);
}

void kv_system_cache_stats(struct kv_system_cache *c, unsigned long long *hits,
                           unsigned long long *misses)
{
    pthread_mutex_lock(&c->mu);
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->mu);
}

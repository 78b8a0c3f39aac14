/* SPDX-License-Identifier: MIT
 *
 * form.c: reading application/x-www-form-urlencoded bodies (the portals' forms post nothing
 * else) and the per-client sign-in rate limit (see web.h).
 *
 * Rate limit: a fixed table of RL_SLOTS fixed-window counters keyed by client address (hashed
 * into a slot; a collision only makes two clients share a budget). A window is one minute.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "http/http.h"
#include "hub/hub.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/str.h"
#include "web/web.h"

#define RL_SLOTS 4096

/* Decodes in[0..n) into out; -1 on a bad escape or an encoded NUL, -2 when too long. */
static int decode(const char *in, size_t n, char *out, size_t outlen)
{
    size_t i, o = 0;
    int hi, lo, c;

    for (i = 0; i < n; i++) {
        c = (unsigned char)in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return -1;
            hi = kv_str_hex_digit((unsigned char)in[i + 1]);
            lo = kv_str_hex_digit((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            if (c == 0)
                return -1;
            i += 2;
        }
        if (o + 1 >= outlen)
            return -2;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

int kv_web_form_get(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
    const char *p = body, *end = body + len, *amp, *eq;
    char key[64];
    int rc;

    if (outlen == 0)
        return KV_ETOOBIG;
    out[0] = '\0';
    while (p < end) {
        amp = memchr(p, '&', (size_t)(end - p));
        if (!amp)
            amp = end;
        eq = memchr(p, '=', (size_t)(amp - p));
        if (eq && decode(p, (size_t)(eq - p), key, sizeof(key)) == 0 && strcmp(key, name) == 0) {
            rc = decode(eq + 1, (size_t)(amp - eq - 1), out, outlen);
            if (rc == -2)
                return KV_ETOOBIG;
            if (rc < 0)
                return KV_EINVAL;
            return 0;
        }
        p = amp + 1;
    }
    return KV_ENOTFOUND;
}

struct rl_slot {
    uint64_t key;     /* hash of the client address */
    int64_t window;   /* minute number */
    int64_t count;    /* attempts in that minute */
};

static struct rl_slot slots[RL_SLOTS];
static pthread_mutex_t rl_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

int kv_web_login_allowed(struct kv_http_req *req)
{
    char client[64];
    uint64_t k;
    int64_t minute = kv_clock_now_ms() / 60000;
    struct rl_slot *s;
    int ok;

    kv_http_req_client(req, client, sizeof(client));
    k = fnv1a(client);
    s = &slots[k % RL_SLOTS];
    pthread_mutex_lock(&rl_mu);
    if (s->key != k || s->window != minute) {
        s->key = k;
        s->window = minute;
        s->count = 0;
    }
    s->count++;
    ok = s->count <= req->hub->conf->login_rate;
    pthread_mutex_unlock(&rl_mu);
    return ok;
}

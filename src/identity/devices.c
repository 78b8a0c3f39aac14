/* SPDX-License-Identifier: MIT
 *
 * devices.c: a person's devices for the Adgangsportal (see devices.h): the list put together
 * from web sessions, mailbox user tokens and push subscriptions, logging one device out, and
 * turning push off for one device. All SQL over these rows for the Adgangsportal is here; push
 * subscriptions are removed through notify/settings.h so that their own events stay theirs.
 */
#include "identity/devices.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/events.h"
#include "notify/settings.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/str.h"

#define HASH_KEY 32 /* hex characters of a hash in a key */

static const char SQL_SESSIONS[] =
    "SELECT id_sha256, device_name, user_agent, created_ms, last_used_ms FROM web_sessions "
    "WHERE subject_type = ? AND subject = ? AND revoked_ms IS NULL AND expires_ms > ? "
    "AND last_used_ms > ? ORDER BY last_used_ms DESC, id_sha256 LIMIT ?";
static const char SQL_TOKENS[] =
    "SELECT id, device_id, device_name, user_agent, created_ms, last_used_ms FROM user_tokens "
    "WHERE owner_type = ? AND owner_id = ? AND revoked_ms IS NULL AND expires_ms > ? "
    "ORDER BY created_ms DESC, id LIMIT ?";
static const char SQL_PUSH[] =
    "SELECT c.id, c.device_id, c.device_name, c.created_ms, s.mailbox_id FROM notify_channels c "
    "JOIN notify_settings s ON s.id = c.settings_id WHERE s.holder = ? AND c.kind = 'PUSH' "
    "ORDER BY c.created_ms, c.id LIMIT ?";

struct list {
    struct kv_device *v;
    char (*devid)[KV_DEVICE_NAME_MAX + 1]; /* app devices: their device id, "" for none */
    size_t n;
};

static void sha_key(char prefix, const char *s, char out[KV_DEVICE_KEY_MAX])
{
    char hex[KV_SHA256_HEX_LEN + 1];

    kv_sha256_hex(s, strlen(s), hex);
    snprintf(out, KV_DEVICE_KEY_MAX, "%c%.*s", prefix, HASH_KEY, hex);
}

static struct kv_device *add(struct list *l)
{
    struct kv_device *d;

    if (l->n >= KV_DEVICE_MAX)
        return NULL;
    d = &l->v[l->n];
    memset(d, 0, sizeof(*d));
    l->devid[l->n][0] = '\0';
    l->n++;
    return d;
}

/* d's name: the one the device gave, else one made from its User-Agent ua. */
static void name_or_ua(struct kv_device *d, const char *name, const char *ua)
{
    if (name && *name)
        kv_str_copy(d->name, sizeof(d->name), name);
    else
        kv_device_name_from_ua(ua, d->name, sizeof(d->name));
}

static int sessions(struct kv_db *db, const struct kv_device_person *p, const char *current,
                    int64_t now, struct list *l, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_device *d;
    int rc;

    rc = kv_db_prepare(db, SQL_SESSIONS, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, p->session_type, -1);
    kv_stmt_bind_text(s, 2, p->session_subject, -1);
    kv_stmt_bind_int64(s, 3, now);
    kv_stmt_bind_int64(s, 4, now - p->idle_ms);
    kv_stmt_bind_int64(s, 5, KV_DEVICE_MAX);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW && (d = add(l))) {
        const char *sha = kv_stmt_col_text(s, 0), *name = kv_stmt_col_text(s, 1);

        snprintf(d->key, sizeof(d->key), "s%.*s", HASH_KEY, sha);
        kv_str_copy(d->kind, sizeof(d->kind), "web");
        name_or_ua(d, name, kv_stmt_col_text(s, 2));
        d->first_ms = kv_stmt_col_int64(s, 3);
        d->last_ms = kv_stmt_col_int64(s, 4);
        d->signed_in = 1;
        d->current = current && strcmp(sha, current) == 0;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* The app device of device id devid, or NULL. */
static struct kv_device *app_of(struct list *l, const char *devid)
{
    size_t i;

    for (i = 0; devid && *devid && i < l->n; i++)
        if (strcmp(l->v[i].kind, "app") == 0 && strcmp(l->devid[i], devid) == 0)
            return &l->v[i];
    return NULL;
}

static int tokens(struct kv_db *db, const struct kv_device_person *p, int64_t now,
                  struct list *l, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_device *d;
    int rc;

    if (!p->token_type)
        return 0;
    rc = kv_db_prepare(db, SQL_TOKENS, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, p->token_type, -1);
    kv_stmt_bind_text(s, 2, p->token_id, -1);
    kv_stmt_bind_int64(s, 3, now);
    kv_stmt_bind_int64(s, 4, KV_DEVICE_MAX);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *devid = kv_stmt_col_text(s, 1), *name = kv_stmt_col_text(s, 2);
        int64_t first = kv_stmt_col_int64(s, 4), last = kv_stmt_col_int64(s, 5);

        d = app_of(l, devid);
        if (d) { /* another token of the same device */
            if (first < d->first_ms)
                d->first_ms = first;
            if (last > d->last_ms)
                d->last_ms = last;
            continue;
        }
        if (!(d = add(l)))
            break;
        snprintf(d->key, sizeof(d->key), "t%.16s", kv_stmt_col_text(s, 0));
        kv_str_copy(d->kind, sizeof(d->kind), "app");
        kv_str_copy(l->devid[l->n - 1], sizeof(l->devid[0]), devid ? devid : "");
        name_or_ua(d, name, kv_stmt_col_text(s, 3));
        d->first_ms = first;
        d->last_ms = last;
        d->signed_in = 1;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int push(struct kv_db *db, const struct kv_device_person *p, struct list *l,
                struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_device *d;
    int rc;

    rc = kv_db_prepare(db, SQL_PUSH, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, p->push_holder, -1);
    kv_stmt_bind_int64(s, 2, KV_DEVICE_MAX);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *devid = kv_stmt_col_text(s, 1), *name = kv_stmt_col_text(s, 2);

        if (!devid)
            devid = "";
        d = app_of(l, devid);
        if (!d) {
            if (!(d = add(l)))
                break;
            sha_key('p', devid, d->key);
            kv_str_copy(d->kind, sizeof(d->kind), "app");
            kv_str_copy(l->devid[l->n - 1], sizeof(l->devid[0]), devid);
            d->first_ms = kv_stmt_col_int64(s, 3);
        }
        if (!d->name[0] && name)
            kv_str_copy(d->name, sizeof(d->name), name);
        d->push++;
    }
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

/* Collects everything; l owns its arrays. */
static int collect(struct kv_db *db, const struct kv_device_person *p, const char *current,
                   int64_t now, struct list *l, struct kv_err *err)
{
    int rc;

    l->n = 0;
    l->v = calloc(KV_DEVICE_MAX, sizeof(*l->v));
    l->devid = calloc(KV_DEVICE_MAX, sizeof(*l->devid));
    if (!l->v || !l->devid)
        return kv_err_set(err, KV_ENOMEM, "out of memory");
    rc = sessions(db, p, current, now, l, err);
    if (rc == 0)
        rc = tokens(db, p, now, l, err);
    if (rc == 0)
        rc = push(db, p, l, err);
    return rc;
}

int kv_devices_list(struct kv_db *db, const struct kv_device_person *p,
                    const char *current_sha256, int64_t now, struct kv_device **out,
                    size_t *out_n, struct kv_err *err)
{
    struct list l = {0};
    int rc;

    *out = NULL;
    *out_n = 0;
    rc = collect(db, p, current_sha256, now, &l, err);
    free(l.devid);
    if (rc < 0) {
        free(l.v);
        return rc;
    }
    *out = l.v;
    *out_n = l.n;
    return 0;
}

/* Collects the person's devices into l (as collect: l owns its arrays, also on error) and
 * puts the index of the one of key in *at; KV_ENOTFOUND when there is none. */
static int collect_find(struct kv_db *db, const struct kv_device_person *p, const char *key,
                        int64_t now, struct list *l, long *at, struct kv_err *err)
{
    size_t i;
    int rc;

    rc = collect(db, p, NULL, now, l, err);
    if (rc < 0)
        return rc;
    for (i = 0; key && i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0) {
            *at = (long)i;
            return 0;
        }
    return kv_err_set(err, KV_ENOTFOUND, "no such device");
}

static int event(struct kv_db *db, const struct kv_device_person *p, const char *tag,
                 const char *props, int64_t now, struct kv_err *err)
{
    struct kv_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.tag = tag;
    ev.actor = p->actor;
    ev.subject = p->actor;
    ev.props_json = props;
    ev.time_ms = now;
    return kv_events_append(db, &ev, err);
}

/* Revokes the person's live tokens of the device (by device id, else the one token). */
static int revoke_tokens(struct kv_db *db, const struct kv_device_person *p, const char *devid,
                         const char *token_id, int64_t now, int *n, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char ids[64][17], props[96];
    int rc, k = 0, i;

    *n = 0;
    if (!p->token_type)
        return 0;
    rc = kv_db_prepare(db,
                       devid[0] ? "SELECT id FROM user_tokens WHERE owner_type = ? AND owner_id = ? "
                                  "AND revoked_ms IS NULL AND device_id = ? LIMIT 64"
                                : "SELECT id FROM user_tokens WHERE owner_type = ? AND owner_id = ? "
                                  "AND revoked_ms IS NULL AND id = ? LIMIT 64",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, p->token_type, -1);
    kv_stmt_bind_text(s, 2, p->token_id, -1);
    kv_stmt_bind_text(s, 3, devid[0] ? devid : token_id, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW && k < 64)
        kv_str_copy(ids[k++], sizeof(ids[0]), kv_stmt_col_text(s, 0));
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    for (i = 0; i < k; i++) {
        rc = kv_db_prepare(db, "UPDATE user_tokens SET revoked_ms = ? WHERE id = ? AND "
                               "revoked_ms IS NULL", &s, err);
        if (rc < 0)
            return rc;
        kv_stmt_bind_int64(s, 1, now);
        kv_stmt_bind_text(s, 2, ids[i], -1);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            return rc;
        snprintf(props, sizeof(props), "{\"tokenId\":\"%.16s\",\"reason\":\"logged-out\"}",
                 ids[i]);
        rc = event(db, p, "USER_TOKEN_REVOKED", props, now, err);
        if (rc < 0)
            return rc;
    }
    *n = k;
    return 0;
}

static int end_session(struct kv_db *db, const struct kv_device_person *p, const char *prefix,
                       int64_t now, int *n, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    char like[HASH_KEY + 2];
    int rc;

    snprintf(like, sizeof(like), "%s%%", prefix);
    rc = kv_db_prepare(db, "UPDATE web_sessions SET revoked_ms = ? WHERE subject_type = ? AND "
                           "subject = ? AND id_sha256 LIKE ? AND revoked_ms IS NULL",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_text(s, 2, p->session_type, -1);
    kv_stmt_bind_text(s, 3, p->session_subject, -1);
    kv_stmt_bind_text(s, 4, like, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    *n = (int)kv_db_changes(db);
    return 0;
}

/* Removes the person's push subscriptions of device id devid (all their accesses) through
 * kv_notify_channel_remove, one transaction each (PUSH_NOTIFICATION_SUBSCRIPTION_DELETED).
 * *n gets how many. */
static int push_remove(struct kv_db *db, const struct kv_device_person *p, const char *devid,
                       int64_t now, int *n, struct kv_err *err)
{
    struct kv_stmt *s = NULL;
    struct kv_notify_access a;
    int64_t ch[64], mb[64];
    int rc, k = 0, j;

    *n = 0;
    if (!devid[0])
        return 0;
    rc = kv_db_prepare(db, "SELECT c.id, s.mailbox_id FROM notify_channels c JOIN "
                           "notify_settings s ON s.id = c.settings_id WHERE s.holder = ? "
                           "AND c.kind = 'PUSH' AND c.device_id = ? LIMIT 64",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, p->push_holder, -1);
    kv_stmt_bind_text(s, 2, devid, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW && k < 64) {
        ch[k] = kv_stmt_col_int64(s, 0);
        mb[k++] = kv_stmt_col_int64(s, 1);
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    for (j = 0; j < k; j++) {
        memset(&a, 0, sizeof(a));
        a.mailbox_id = mb[j];
        kv_str_copy(a.holder, sizeof(a.holder), p->push_holder);
        kv_str_copy(a.actor, sizeof(a.actor), p->actor);
        rc = kv_notify_channel_remove(db, &a, ch[j], now, err);
        if (rc < 0)
            return rc;
        (*n)++;
    }
    return 0;
}

int kv_device_logout(struct kv_db *db, const struct kv_device_person *p, const char *key,
                     int64_t now, int *out_sessions, int *out_tokens, struct kv_err *err)
{
    struct list l = {0};
    struct kv_device *d;
    char props[256];
    int rc, ns = 0, nt = 0, np = 0;
    long i = -1;

    rc = collect_find(db, p, key, now, &l, &i, err);
    if (rc < 0)
        goto out;
    d = &l.v[i];
    /* "Log out and reset" (portals.md section 4): a lost phone must stop receiving notices as
     * well, so its push subscriptions go first; the app registers push again at its next
     * sign-in. */
    rc = push_remove(db, p, l.devid[i], now, &np, err);
    if (rc < 0)
        goto out;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        goto out;
    if (d->key[0] == 's')
        rc = end_session(db, p, d->key + 1, now, &ns, err);
    else
        rc = revoke_tokens(db, p, l.devid[i], d->key[0] == 't' ? d->key + 1 : "", now, &nt,
                           err);
    if (rc == 0) {
        snprintf(props, sizeof(props),
                 "{\"device\":\"%.39s\",\"kind\":\"%.3s\",\"sessions\":%d,\"tokens\":%d,"
                 "\"pushSubscriptions\":%d}",
                 d->key, d->kind, ns, nt, np);
        rc = event(db, p, "DEVICE_LOGGED_OUT", props, now, err);
    }
    rc = kv_db_end(db, rc, err);
    if (rc == 0) {
        if (out_sessions)
            *out_sessions = ns;
        if (out_tokens)
            *out_tokens = nt;
    }
out:
    free(l.v);
    free(l.devid);
    return rc;
}

int kv_device_push_off(struct kv_db *db, const struct kv_device_person *p, const char *key,
                       int64_t now, int *out_n, struct kv_err *err)
{
    struct list l = {0};
    char props[160];
    int rc, k = 0;
    long i = -1;

    rc = collect_find(db, p, key, now, &l, &i, err);
    if (rc < 0)
        goto out;
    if (!l.v[i].push || !l.devid[i][0]) {
        rc = kv_err_set(err, KV_EINVAL, "this device receives no push notices");
        goto out;
    }
    rc = push_remove(db, p, l.devid[i], now, &k, err);
    if (rc < 0)
        goto out;
    rc = kv_db_begin(db, err);
    if (rc < 0)
        goto out;
    snprintf(props, sizeof(props), "{\"device\":\"%.39s\",\"subscriptions\":%d}", l.v[i].key, k);
    rc = kv_db_end(db, event(db, p, "DEVICE_NOTIFICATIONS_OFF", props, now, err), err);
    if (rc == 0 && out_n)
        *out_n = k;
out:
    free(l.v);
    free(l.devid);
    return rc;
}

/* First of the needles found in ua, as its label; NULL for none. */
static const char *first_of(const char *ua, const char *const (*tab)[2])
{
    size_t i;

    for (i = 0; tab[i][0]; i++)
        if (strstr(ua, tab[i][0]))
            return tab[i][1];
    return NULL;
}

void kv_device_name_from_ua(const char *ua, char *out, size_t n)
{
    static const char *const browsers[][2] = {
        {"Edg/", "Edge"},       {"OPR/", "Opera"},   {"Firefox/", "Firefox"},
        {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
        {NULL, NULL}};
    static const char *const systems[][2] = {
        {"iPhone", "iPhone"},   {"iPad", "iPad"},       {"Android", "Android"},
        {"Windows", "Windows"}, {"Mac OS X", "macOS"},  {"CrOS", "ChromeOS"},
        {"Linux", "Linux"},     {NULL, NULL}};
    const char *b, *o;
    size_t i;

    if (n == 0)
        return;
    out[0] = '\0';
    if (!ua || !*ua)
        return;
    b = first_of(ua, browsers);
    o = first_of(ua, systems);
    if (b || o) {
        snprintf(out, n, "%s%s%s", b ? b : "", b && o ? " · " : "", o ? o : "");
        return;
    }
    /* another client: its first product token, printable ASCII only, at most 40 bytes */
    for (i = 0; ua[i] && ua[i] != '/' && ua[i] != ' ' && i < 40 && i + 1 < n; i++)
        out[i] = isprint((unsigned char)ua[i]) ? ua[i] : '?';
    out[i] = '\0';
}

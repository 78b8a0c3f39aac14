/* SPDX-License-Identifier: MIT
 *
 * logo.h: an organisation's logo (table org_logos, migration 035), uploaded in Administrativ
 * Adgang by an ORGANISATION_ADMINISTRATOR and shown beside the organisation's name in
 * recipients' mailboxes. Only a PNG that libpng decodes completely is accepted: at most
 * KV_LOGO_MAX_BYTES, between KV_LOGO_MIN_SIDE and KV_LOGO_MAX_WIDTH x KV_LOGO_MAX_HEIGHT pixels;
 * the file is kept byte for byte (no re-encoding), its SHA-256 is the ETag it is served with.
 * Changes are events (ORGANISATION_LOGO_CHANGED, ORGANISATION_LOGO_DELETED) with the employee
 * as actor and the organisation as subject.
 *
 * Ownership: strings borrowed; kv_logo_get's *png is owned by the caller (free()).
 */
#ifndef KV_HUB_LOGO_H
#define KV_HUB_LOGO_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_db;

#define KV_LOGO_MAX_BYTES (1024 * 1024) /* 1 MB */
#define KV_LOGO_MIN_SIDE 16
#define KV_LOGO_MAX_WIDTH 2000
#define KV_LOGO_MAX_HEIGHT 2000

/* Why a file is refused (kv_logo_check). */
enum kv_logo_problem {
    KV_LOGO_OK = 0,
    KV_LOGO_EMPTY,      /* no file chosen */
    KV_LOGO_TOO_BIG,    /* over KV_LOGO_MAX_BYTES */
    KV_LOGO_NOT_PNG,    /* not a PNG file (whatever its name says) */
    KV_LOGO_DAMAGED,    /* a PNG that cannot be decoded completely */
    KV_LOGO_TOO_SMALL,  /* a side under KV_LOGO_MIN_SIDE */
    KV_LOGO_TOO_LARGE,  /* over KV_LOGO_MAX_WIDTH x KV_LOGO_MAX_HEIGHT */
};

/* Decodes data[0..len) with libpng; KV_LOGO_OK and the dimensions, or the problem. */
enum kv_logo_problem kv_logo_check(const void *data, size_t len, int *out_w, int *out_h);

/* Stores org's logo (replacing one) after kv_logo_check; KV_EINVAL with *out_problem set when
 * refused. Runs its own transaction, event included. */
int kv_logo_set(struct kv_db *db, const char *org_cvr, const void *data, size_t len,
                const char *actor, enum kv_logo_problem *out_problem, struct kv_err *err);
/* Deletes it; KV_ENOTFOUND when there is none. */
int kv_logo_delete(struct kv_db *db, const char *org_cvr, const char *actor, struct kv_err *err);

/* The logo's metadata (png NULL) or also its bytes. KV_ENOTFOUND when org has none. */
struct kv_logo {
    unsigned char *png; /* owned when asked for */
    size_t len;
    int width, height;
    char sha256[65];
    int64_t updated_ms;
};
int kv_logo_get(struct kv_db *db, const char *org_cvr, int with_bytes, struct kv_logo *out,
                struct kv_err *err);

#endif

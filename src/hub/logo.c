/* SPDX-License-Identifier: MIT
 *
 * logo.c: organisations' logos (see logo.h). The check decodes the whole image with libpng's
 * simplified API into a scratch RGBA buffer (bounded by the dimension limits, checked before
 * the buffer is allocated), so a file that only starts like a PNG, or whose data is cut or
 * corrupt (bad CRC, bad zlib stream), is refused rather than stored.
 */
#include "hub/logo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "hub/events.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/xmalloc.h"

enum kv_logo_problem kv_logo_check(const void *data, size_t len, int *out_w, int *out_h)
{
    png_image img;
    void *pixels;
    int ok;

    *out_w = *out_h = 0;
    if (!data || len == 0)
        return KV_LOGO_EMPTY;
    if (len > KV_LOGO_MAX_BYTES)
        return KV_LOGO_TOO_BIG;
    if (len < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0)
        return KV_LOGO_NOT_PNG;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data, len)) {
        png_image_free(&img);
        return KV_LOGO_DAMAGED;
    }
    *out_w = (int)img.width;
    *out_h = (int)img.height;
    if (img.width < KV_LOGO_MIN_SIDE || img.height < KV_LOGO_MIN_SIDE) {
        png_image_free(&img);
        return KV_LOGO_TOO_SMALL;
    }
    if (img.width > KV_LOGO_MAX_WIDTH || img.height > KV_LOGO_MAX_HEIGHT) {
        png_image_free(&img);
        return KV_LOGO_TOO_LARGE;
    }
    img.format = PNG_FORMAT_RGBA;
    pixels = kv_xmalloc(PNG_IMAGE_SIZE(img));
    ok = png_image_finish_read(&img, NULL, pixels, 0, NULL);
    free(pixels);
    png_image_free(&img);
    return ok ? KV_LOGO_OK : KV_LOGO_DAMAGED;
}

static int event(struct kv_db *db, const char *tag, const char *org, const char *actor,
                 const char *props, int64_t now, struct kv_err *err)
{
    struct kv_event ev = {0};
    char subject[16];

    snprintf(subject, sizeof(subject), "cvr:%s", org);
    ev.tag = tag;
    ev.actor = actor;
    ev.subject = subject;
    ev.props_json = props;
    ev.time_ms = now;
    return kv_events_append(db, &ev, err);
}

int kv_logo_set(struct kv_db *db, const char *org_cvr, const void *data, size_t len,
                const char *actor, enum kv_logo_problem *out_problem, struct kv_err *err)
{
    struct kv_stmt *s;
    char sha[KV_SHA256_HEX_LEN + 1], props[160];
    int64_t now = kv_clock_now_ms();
    int w, h, rc;

    *out_problem = kv_logo_check(data, len, &w, &h);
    if (*out_problem != KV_LOGO_OK)
        return kv_err_set(err, KV_EINVAL, "the logo is not a usable PNG (problem %d)",
                          (int)*out_problem);
    kv_sha256_hex(data, len, sha);
    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db,
                       "INSERT INTO org_logos (org_cvr, png, width, height, sha256, updated_ms, "
                       "updated_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_cvr) DO UPDATE "
                       "SET png = excluded.png, width = excluded.width, height = excluded.height, "
                       "sha256 = excluded.sha256, updated_ms = excluded.updated_ms, "
                       "updated_by = excluded.updated_by",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    kv_stmt_bind_blob(s, 2, data, len);
    kv_stmt_bind_int64(s, 3, w);
    kv_stmt_bind_int64(s, 4, h);
    kv_stmt_bind_text(s, 5, sha, -1);
    kv_stmt_bind_int64(s, 6, now);
    kv_stmt_bind_text(s, 7, actor, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    snprintf(props, sizeof(props), "{\"width\":%d,\"height\":%d,\"size\":%zu,\"sha256\":\"%s\"}",
             w, h, len, sha);
    rc = event(db, "ORGANISATION_LOGO_CHANGED", org_cvr, actor, props, now, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc < 0 ? rc : 0;
}

int kv_logo_delete(struct kv_db *db, const char *org_cvr, const char *actor, struct kv_err *err)
{
    struct kv_stmt *s;
    int64_t now = kv_clock_now_ms();
    int rc;

    rc = kv_db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = kv_db_prepare(db, "DELETE FROM org_logos WHERE org_cvr = ?", &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, org_cvr, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (kv_db_changes(db) != 1) {
        rc = kv_err_set(err, KV_ENOTFOUND, "the organisation has no logo");
        goto out;
    }
    rc = event(db, "ORGANISATION_LOGO_DELETED", org_cvr, actor, NULL, now, err);
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
    return rc < 0 ? rc : 0;
}

int kv_logo_get(struct kv_db *db, const char *org_cvr, int with_bytes, struct kv_logo *out,
                struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = kv_db_prepare(db,
                       with_bytes ? "SELECT width, height, sha256, updated_ms, png FROM org_logos "
                                    "WHERE org_cvr = ?"
                                  : "SELECT width, height, sha256, updated_ms FROM org_logos "
                                    "WHERE org_cvr = ?",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, org_cvr ? org_cvr : "", -1);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        out->width = (int)kv_stmt_col_int64(s, 0);
        out->height = (int)kv_stmt_col_int64(s, 1);
        kv_str_copy(out->sha256, sizeof(out->sha256), kv_stmt_col_text(s, 2));
        out->updated_ms = kv_stmt_col_int64(s, 3);
        if (with_bytes) {
            const void *b = kv_stmt_col_blob(s, 4, &out->len);
            out->png = kv_xmalloc(out->len ? out->len : 1);
            if (out->len)
                memcpy(out->png, b, out->len);
        }
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no logo");
    }
    kv_stmt_done(s);
    return rc;
}

/* SPDX-License-Identifier: MIT
 *
 * assets.c: serves DKFDS (npm package dkfds, installed by `npm ci` into node_modules/) from
 * its dist directory, found once at start-up (see kv_web_init in web.h). URLs carry the
 * package version, /assets/dkfds-VERSION/css/dkfds.min.css, so answers can be cached for a
 * year as immutable: a new DKFDS version is a new URL. Only files directly in the few
 * directories DKFDS uses are served; names are checked against a strict alphabet, so no path
 * ever leaves the dist directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "http/http.h"
#include "hub/hub.h"
#include "util/conf.h"
#include "util/log.h"
#include "web/i18n.h"
#include "web/web.h"

#define ASSET_MAX ((long)4 << 20) /* largest file served, bytes */

static char dist[PATH_MAX];        /* the dist directory, "" when not found */
static char prefix[64] = "/assets/dkfds"; /* URL prefix with version */

const char *kv_web_asset_prefix(void)
{
    return prefix;
}

/* 1 when dir/css/dkfds.min.css exists. */
static int is_dist(const char *dir)
{
    char p[PATH_MAX + 32];

    if (snprintf(p, sizeof(p), "%s/css/dkfds.min.css", dir) >= (int)sizeof(p))
        return 0;
    return access(p, R_OK) == 0;
}

/* Reads the version from dist/../package.json. */
static void read_version(void)
{
    char p[PATH_MAX + 32];
    json_t *j;
    json_error_t je;
    const char *v;

    snprintf(p, sizeof(p), "%s/../package.json", dist);
    j = json_load_file(p, 0, &je);
    v = j ? json_string_value(json_object_get(j, "version")) : NULL;
    if (v && strlen(v) < 32 && strspn(v, "0123456789.") == strlen(v))
        snprintf(prefix, sizeof(prefix), "/assets/dkfds-%s", v);
    json_decref(j);
}

int kv_web_init(const struct kv_hub *hub, struct kv_err *err)
{
    char exe[PATH_MAX], cand[PATH_MAX + 64], real[PATH_MAX];
    const char *root = getenv("KUVERT_ROOT");
    ssize_t n;
    char *slash;
    int rc;

    rc = kv_i18n_init(err);
    if (rc < 0)
        return rc;
    dist[0] = '\0';
    if (hub->conf->web_assets[0]) {
        if (!is_dist(hub->conf->web_assets))
            return kv_err_set(err, KV_EINVAL,
                              "web_assets: %s has no css/dkfds.min.css (run npm ci)",
                              hub->conf->web_assets);
        if (snprintf(dist, sizeof(dist), "%s", hub->conf->web_assets) >= (int)sizeof(dist))
            return kv_err_set(err, KV_EINVAL, "web_assets: path too long");
    }
    if (!dist[0] && root && *root) {
        if (snprintf(cand, sizeof(cand), "%s/node_modules/dkfds/dist", root) < (int)sizeof(cand) &&
            is_dist(cand) && realpath(cand, real))
            snprintf(dist, sizeof(dist), "%s", real);
    }
    if (!dist[0]) {
        /* build/<mode>/kuvert inside a checkout: the checkout is two levels up. */
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
            exe[n] = '\0';
            slash = strrchr(exe, '/');
            if (slash) {
                *slash = '\0';
                if (snprintf(cand, sizeof(cand), "%s/../../node_modules/dkfds/dist", exe) <
                        (int)sizeof(cand) &&
                    is_dist(cand) && realpath(cand, real))
                    snprintf(dist, sizeof(dist), "%s", real);
            }
        }
    }
    if (!dist[0] && is_dist("node_modules/dkfds/dist"))
        snprintf(dist, sizeof(dist), "%s", "node_modules/dkfds/dist");
    if (!dist[0]) {
        kv_log(KV_LOG_WARN, "DKFDS not found (run npm ci, or set web_assets): pages are served "
                            "without their style sheet");
        return 0;
    }
    if (realpath(dist, real))
        snprintf(dist, sizeof(dist), "%s", real);
    read_version();
    kv_log(KV_LOG_INFO, "web assets from %s at %s", dist, prefix);
    return 0;
}

static const char *content_type(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        {".css", "text/css; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},            {".png", "image/png"},
        {".woff2", "font/woff2"},             {".woff", "font/woff"},
        {".ttf", "font/ttf"},                 {".eot", "application/vnd.ms-fontobject"},
    };
    const char *dot = strrchr(name, '.');
    size_t i;

    for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n < 128 && s[0] != '.' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int not_found(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_ctx ctx;

    kv_web_ctx_init(&ctx, req, resp);
    kv_web_error(&ctx, 404);
    kv_web_ctx_release(&ctx);
    return 0;
}

/* Serves dist/SUB/FILE for URL /assets/{ver}/.../{file}; sub is the literal directory. */
static int serve(struct kv_http_req *req, struct kv_http_resp *resp, const char *sub,
                 const char *ver, const char *dir2, const char *file)
{
    char path[PATH_MAX + 256];
    const char *type;
    FILE *f = NULL;
    long len;
    char *data = NULL;
    int rc = 0;

    if (!dist[0] || strcmp(ver, prefix + strlen("/assets/")) != 0 || !name_ok(file) ||
        (dir2 && strcmp(dir2, "woff2") != 0 && strcmp(dir2, "woff") != 0 &&
         strcmp(dir2, "ttf") != 0 && strcmp(dir2, "eot") != 0) ||
        !(type = content_type(file)))
        return not_found(req, resp);
    snprintf(path, sizeof(path), "%s/%s/%s%s%s", dist, sub, dir2 ? dir2 : "", dir2 ? "/" : "",
             file);
    f = fopen(path, "rb");
    if (!f)
        return not_found(req, resp);
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || len > ASSET_MAX ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return not_found(req, resp);
    }
    data = malloc((size_t)len + 1);
    if (!data || fread(data, 1, (size_t)len, f) != (size_t)len) {
        rc = KV_EIO;
        goto out;
    }
    kv_http_resp_bytes(resp, 200, type, data, (size_t)len);
    kv_http_resp_header(resp, "Cache-Control", "public, max-age=31536000, immutable");
    kv_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
out:
    free(data);
    fclose(f);
    return rc;
}

static int h_css(struct kv_http_req *r, struct kv_http_resp *o)
{
    return serve(r, o, "css", r->params[0], NULL, r->params[1]);
}
static int h_js(struct kv_http_req *r, struct kv_http_resp *o)
{
    return serve(r, o, "js", r->params[0], NULL, r->params[1]);
}
static int h_img(struct kv_http_req *r, struct kv_http_resp *o)
{
    return serve(r, o, "img", r->params[0], NULL, r->params[1]);
}
static int h_icon(struct kv_http_req *r, struct kv_http_resp *o)
{
    return serve(r, o, "img/svg-icons", r->params[0], NULL, r->params[1]);
}
static int h_font(struct kv_http_req *r, struct kv_http_resp *o)
{
    return serve(r, o, "fonts/IBMPlexSans/complete", r->params[0], r->params[1], r->params[2]);
}

const struct kv_http_route kv_web_asset_routes[] = {
    {"GET", "/assets/{ver}/css/{file}", h_css, "web_assets", KV_ROUTE_PAGE, "public"},
    {"GET", "/assets/{ver}/js/{file}", h_js, "web_assets", KV_ROUTE_PAGE, "public"},
    {"GET", "/assets/{ver}/img/{file}", h_img, "web_assets", KV_ROUTE_PAGE, "public"},
    {"GET", "/assets/{ver}/img/svg-icons/{file}", h_icon, "web_assets", KV_ROUTE_PAGE, "public"},
    {"GET", "/assets/{ver}/fonts/IBMPlexSans/complete/{fmt}/{file}", h_font, "web_assets", KV_ROUTE_PAGE, "public"},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

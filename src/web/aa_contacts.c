/* SPDX-License-Identifier: MIT
 *
 * aa_contacts.c: the contact structure in Administrativ Adgang (issue 11 item 2; access key
 * "contacts", CONTACT_ADMINISTRATOR): the tree of the organisation's contact groups with their
 * contact points, each with links to edit, move (the parent or group fields of its form),
 * delete and add below it; and the form helpers the group and point forms share (aa_contacts.h).
 *
 *   GET /administrativ-adgang/kontaktstruktur     the tree (?ok=created|saved|deleted)
 *
 * The tree reads kv_contact_groups_list and kv_contact_points_list (hub/contact_points.h), so
 * it shows exactly what the contact structure API serves. Nesting is bounded (a cycle written
 * by hand into the database shows its groups once, at the top level).
 */
#include "web/aa_contacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "hub/contact_points.h"
#include "identity/authz.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

#define DEPTH_MAX 32 /* deepest nesting shown */

void kv__cs_field(const struct kv_web_portal_page *pg, const char *name, char *out, size_t n)
{
    const struct kv_http_req *req = pg->ctx.req;
    int rc = kv_web_form_get(req->body, req->body_len, name, out, n);
    char *r, *w;


    if (rc == KV_ETOOBIG) {
        memset(out, 'x', n - 1);
        out[n - 1] = '\0';
    } else if (rc < 0) {
        out[0] = '\0';
    }
    /* a browser sends a textarea's line breaks as CRLF: keep them as LF */
    for (r = w = out; *r; r++)
        if (!(r[0] == '\r' && r[1] == '\n'))
            *w++ = *r;
    *w = '\0';
}

int64_t kv__cs_version(const struct kv_web_portal_page *pg)
{
    char v[24];
    int64_t n = 0;
    size_t i;

    kv__cs_field(pg, "version", v, sizeof(v));
    if (!v[0] || strlen(v) > 15)
        return 0;
    for (i = 0; v[i]; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 0;
        n = n * 10 + (v[i] - '0');
    }
    return n;
}

const char *kv__cs_error(const json_t *fes, const char *name)
{
    size_t i, n = strlen(name);
    json_t *e;

    json_array_foreach(fes, i, e) {
        const char *f = json_string_value(json_object_get(e, "field"));
        if (f && strncmp(f, name, n) == 0 && (f[n] == '\0' || f[n] == '[' || f[n] == '.'))
            return json_string_value(json_object_get(e, "message"));
    }
    return NULL;
}

void kv__cs_summary(struct kv_web_portal_page *pg, const json_t *fes,
                    const char *(*anchor)(const char *field),
                    const char *(*label)(const char *field))
{
    struct kv_html *h = &pg->ctx.h;
    size_t i;
    json_t *e;

    if (json_array_size(fes) == 0)
        return;
    kv_html(h, "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
               "<p class=\"alert-heading\">%m</p><ul class=\"alert-text\">",
            N_("Nothing was saved. Correct the fields marked below."));
    json_array_foreach(fes, i, e) {
        const char *f = json_string_value(json_object_get(e, "field"));
        kv_html(h, "<li><a href=\"#%a\">%m</a>: %m</li>", anchor(f ? f : ""), label(f ? f : ""),
                json_string_value(json_object_get(e, "message")));
    }
    kv_html(h, "</ul></div></div>\n");
}

void kv__cs_conflict_alert(struct kv_web_portal_page *pg)
{
    kv_html(&pg->ctx.h,
            "<div class=\"alert alert-warning\" role=\"alert\" id=\"conflict\"><div "
            "class=\"alert-body\"><p class=\"alert-heading\">%m</p><p class=\"alert-text\">%m"
            "</p></div></div>\n",
            N_("Someone else changed this while you were editing it"),
            N_("Your changes have not been saved. The current version is shown below: make your "
               "changes again on it."));
}

void kv__cs_text(struct kv_web_portal_page *pg, const char *prefix, const char *name,
                 const char *label, const char *hint, const char *value, const char *error,
                 int maxlen, int rows)
{
    struct kv_html *h = &pg->ctx.h;
    char desc[160];

    kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"%a-%a\">%m</label>",
            error ? " form-error" : "", prefix, name, label);
    if (hint)
        kv_html(h, "<span class=\"form-hint\" id=\"%a-%a-hint\">%m</span>", prefix, name, hint);
    if (error)
        kv_html(h, "<span class=\"form-error-message\" id=\"%a-%a-error\"><span "
                   "class=\"sr-only\">%m: </span>%m</span>",
                prefix, name, N_("Error"), error);
    snprintf(desc, sizeof(desc), "%s%s%s%s%s%s%s%s", hint ? prefix : "", hint ? "-" : "",
             hint ? name : "", hint ? "-hint" : "", error ? (hint ? " " : "") : "",
             error ? prefix : "", error ? "-" : "", error ? name : "");
    if (error)
        snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), "-error");
    if (rows > 0)
        kv_html(h, "<textarea class=\"form-input\" rows=\"%d\" id=\"%a-%a\" name=\"%a\" "
                   "maxlength=\"%d\"",
                rows, prefix, name, name, maxlen);
    else
        kv_html(h, "<input class=\"form-input\" type=\"text\" id=\"%a-%a\" name=\"%a\" "
                   "value=\"%a\" maxlength=\"%d\"",
                prefix, name, name, value, maxlen);
    if (desc[0])
        kv_html(h, " aria-describedby=\"%a\"", desc);
    if (error)
        kv_html(h, " aria-invalid=\"true\"");
    if (rows > 0)
        kv_html(h, ">%t</textarea></div>\n", value);
    else
        kv_html(h, "></div>\n");
}

void kv__cs_checkbox(struct kv_web_portal_page *pg, const char *id, const char *name,
                     const char *label, int checked)
{
    kv_html(&pg->ctx.h,
            "<li><input class=\"form-checkbox\" type=\"checkbox\" id=\"%a\" name=\"%a\" "
            "value=\"1\"%t><label for=\"%a\">%m</label></li>",
            id, name, checked ? " checked" : "", id, label);
}

static const char *text_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char *parent_of(const json_t *g)
{
    return json_string_value(json_object_get(json_object_get(g, "parent"), "id"));
}

/* Depth-first from group i (already marked), appending to order. */
static void walk(const json_t *groups, size_t i, int d, char *seen, size_t *order, int *depth,
                 size_t *n)
{
    const char *id = text_of(json_array_get(groups, i), "id");
    size_t j;

    order[*n] = i;
    depth[(*n)++] = d;
    for (j = 0; j < json_array_size(groups); j++) {
        const char *p = parent_of(json_array_get(groups, j));
        if (!seen[j] && p && strcasecmp(p, id) == 0 && d + 1 < DEPTH_MAX) {
            seen[j] = 1;
            walk(groups, j, d + 1, seen, order, depth, n);
        }
    }
}

void kv__cs_tree_order(const json_t *groups, size_t *order, int *depth)
{
    size_t total = json_array_size(groups), i, n = 0;
    char *seen = calloc(total ? total : 1, 1);

    if (!seen) { /* out of memory: flat, in the list's order */
        for (i = 0; i < total; i++) {
            order[i] = i;
            depth[i] = 0;
        }
        return;
    }
    for (i = 0; i < total; i++) /* the roots, in the list's order (by name) */
        if (!parent_of(json_array_get(groups, i))) {
            seen[i] = 1;
            walk(groups, i, 0, seen, order, depth, &n);
        }
    for (i = 0; i < total; i++) /* unreachable: a cycle or a missing parent */
        if (!seen[i]) {
            seen[i] = 1;
            walk(groups, i, 0, seen, order, depth, &n);
        }
    free(seen);
}

/* 1 when point p is placed in group gid ("" = in no group). */
static int in_group(const json_t *p, const char *gid)
{
    const json_t *gs = json_object_get(p, "contactGroups");
    size_t i;
    json_t *g;

    if (!gid[0])
        return json_array_size(gs) == 0;
    json_array_foreach(gs, i, g) {
        const char *id = json_string_value(json_object_get(g, "id"));
        if (id && strcasecmp(id, gid) == 0)
            return 1;
    }
    return 0;
}

static void points_of(struct kv_web_portal_page *pg, const json_t *points, const char *gid)
{
    struct kv_html *h = &pg->ctx.h;
    static const char *const AUD[] = {N_("citizens"), N_("companies"), N_("authorities")};
    size_t i, k, shown = 0;
    json_t *p;

    json_array_foreach(points, i, p) {
        const char *id = text_of(p, "id"), *name = text_of(p, "name");
        const json_t *vis = json_object_get(p, "visibility");
        int any = 0;

        if (!in_group(p, gid))
            continue;
        if (!shown++)
            kv_html(h, "<ul class=\"cs-points\">");
        kv_html(h, "<li class=\"cs-point\"><span class=\"cs-name\">%t</span> <span "
                   "class=\"cs-meta\">(%m",
                name, N_("contact point"));
        if (!json_is_true(json_object_get(p, "active")))
            kv_html(h, ", %m", N_("inactive"));
        for (k = 0; k < 3; k++) {
            static const char *const KEYS[] = {"citizen", "company", "authority"};
            if (json_is_true(json_object_get(vis, KEYS[k]))) {
                kv_html(h, "%t%m", any ? ", " : "; " , AUD[k]);
                any = 1;
            }
        }
        if (!any)
            kv_html(h, "; %m", N_("no one may write to it"));
        kv_html(h, ")</span> <a href=\"" KV__CS_BASE "/kontaktpunkter/%q\">%m<span "
                   "class=\"sr-only\"> %t</span></a> · <a href=\"" KV__CS_BASE
                   "/kontaktpunkter/%q#cp-groups\">%m<span class=\"sr-only\"> %t</span></a> · "
                   "<a href=\"" KV__CS_BASE "/kontaktpunkter/%q/slet\">%m<span "
                   "class=\"sr-only\"> %t</span></a></li>",
                id, N_("Edit"), name, id, N_("Move"), name, id, N_("Delete"), name);
    }
    if (shown)
        kv_html(h, "</ul>");
}

static void group_item(struct kv_web_portal_page *pg, const json_t *g, const json_t *points)
{
    struct kv_html *h = &pg->ctx.h;
    const char *id = text_of(g, "id"), *name = text_of(g, "name");

    kv_html(h, "<li class=\"cs-group\"><strong class=\"cs-name\">%t</strong>", name);
    if (json_is_true(json_object_get(g, "organisationalUnit")))
        kv_html(h, " <span class=\"cs-meta\">(%m)</span>", N_("organisational unit"));
    kv_html(h, " <a href=\"" KV__CS_BASE "/grupper/%q\">%m<span class=\"sr-only\"> %t</span></a>"
               " · <a href=\"" KV__CS_BASE "/grupper/%q#cg-parent\">%m<span class=\"sr-only\"> "
               "%t</span></a> · <a href=\"" KV__CS_BASE "/grupper/%q/slet\">%m<span "
               "class=\"sr-only\"> %t</span></a> · <a href=\"" KV__CS_BASE
               "/kontaktpunkter/ny?gruppe=%q\">%m<span class=\"sr-only\"> (%t)</span></a> · "
               "<a href=\"" KV__CS_BASE "/grupper/ny?overordnet=%q\">%m<span class=\"sr-only\"> "
               "(%t)</span></a>",
            id, N_("Edit"), name, id, N_("Move"), name, id, N_("Delete"), name, id,
            N_("New contact point here"), name, id, N_("New subgroup"), name);
    points_of(pg, points, id);
}

/* GET /administrativ-adgang/kontaktstruktur */
int kv__cs_tree(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""};
    json_t *groups = NULL, *points = NULL;
    const char *ok = kv_http_req_query(req, "ok"), *okmsg = NULL;
    size_t *order = NULL, i, n;
    int *depth = NULL, d, open = 0;
    struct kv_html *h;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_CONTACTS, 0))
        goto out;
    if (kv_contact_groups_list(aa.db, aa.org, &groups, &err) < 0 ||
        kv_contact_points_list(aa.db, aa.org, &points, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: contact structure not read: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    n = json_array_size(groups);
    order = calloc(n ? n : 1, sizeof(*order));
    depth = calloc(n ? n : 1, sizeof(*depth));
    if (!order || !depth) {
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv__cs_tree_order(groups, order, depth);
    if (ok && strcmp(ok, "created") == 0)
        okmsg = N_("Created.");
    else if (ok && strcmp(ok, "saved") == 0)
        okmsg = N_("Saved.");
    else if (ok && strcmp(ok, "deleted") == 0)
        okmsg = N_("Deleted.");
    h = &aa.ctx.h;
    kv__aa_head(&aa, N_("Contact structure"), KV__CS_BASE, okmsg, NULL);
    kv_html(h, "<p>%m</p>\n<p><a class=\"button button-primary\" href=\"" KV__CS_BASE
               "/grupper/ny\">%m</a> <a class=\"button button-secondary\" href=\"" KV__CS_BASE
               "/kontaktpunkter/ny\">%m</a></p>\n",
            N_("The contact groups and contact points citizens, companies and other authorities "
               "write to. Each contact point delivers to one of your recipient systems."),
            N_("New contact group"), N_("New contact point"));
    kv_html(h, "<h2>%m</h2>\n", N_("Contact groups"));
    if (n == 0)
        kv_html(h, "<p>%m</p>\n", N_("There are no contact groups yet."));
    else
        kv_html(h, "<ul class=\"cs-tree\">");
    /* order is depth-first with depths: open and close nested lists as the depth changes */
    for (i = 0; i < n; i++) {
        d = depth[i];
        if (i > 0 && d > depth[i - 1]) {
            kv_html(h, "<ul class=\"cs-tree\">");
            open++;
        } else if (i > 0) {
            kv_html(h, "</li>");
            for (; open > d; open--)
                kv_html(h, "</ul></li>");
        }
        group_item(&aa, json_array_get(groups, order[i]), points);
    }
    if (n > 0) {
        kv_html(h, "</li>");
        for (; open > 0; open--)
            kv_html(h, "</ul></li>");
        kv_html(h, "</ul>\n");
    }
    kv_html(h, "<h2>%m</h2>\n", N_("Contact points in no group"));
    {
        size_t before = aa.ctx.h.b.len;

        points_of(&aa, points, "");
        if (aa.ctx.h.b.len == before)
            kv_html(h, "<p>%m</p>\n", N_("None."));
    }
    kv_web_page_end(&aa.ctx, 200, N_("Contact structure"));
out:
    free(order);
    free(depth);
    json_decref(groups);
    json_decref(points);
    kv_web_portal_end(&aa);
    return 0;
}

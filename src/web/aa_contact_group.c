/* SPDX-License-Identifier: MIT
 *
 * aa_contact_group.c: creating, editing, moving and deleting a contact group in Administrativ
 * Adgang (issue 11 item 2; access key "contacts"). Moving is choosing another parent group
 * (or the top level) in the form. The form's values become a ContactGroupCommand for the
 * contact structure domain (kv_contact_group_create / _update / _delete, hub/contact_points.h:
 * the validation and versions of the API), whose field errors are shown next to the fields.
 * An edit or delete carries the version it was read at; when someone else saved in between,
 * the answer is 409 with the current version, what differs from what was entered, and the
 * form on the current version.
 *
 *   GET  /administrativ-adgang/kontaktstruktur/grupper/ny[?overordnet={id}]  the empty form
 *   POST /administrativ-adgang/kontaktstruktur/grupper/ny                    create
 *   GET  /administrativ-adgang/kontaktstruktur/grupper/{id}                  the group's form
 *   POST /administrativ-adgang/kontaktstruktur/grupper/{id}                  save (and move)
 *   GET  /administrativ-adgang/kontaktstruktur/grupper/{id}/slet             confirm deleting
 *   POST /administrativ-adgang/kontaktstruktur/grupper/{id}/slet             delete
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

#define GBASE KV__CS_BASE "/grupper"

struct gvals {
    char name[2048];
    char description[20000];
    char parent[64];
    int unit;
    int64_t version;
};

static const char *text_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char *anchor(const char *field)
{
    if (strncmp(field, "parent", 6) == 0)
        return "cg-parent";
    if (strncmp(field, "description", 11) == 0)
        return "cg-description";
    if (strncmp(field, "organisationalUnit", 18) == 0)
        return "cg-unit";
    return "cg-name";
}

static const char *label(const char *field)
{
    if (strncmp(field, "parent", 6) == 0)
        return N_("Parent group");
    if (strncmp(field, "description", 11) == 0)
        return N_("Description");
    if (strncmp(field, "organisationalUnit", 18) == 0)
        return N_("The group is an organisational unit");
    return N_("Name");
}

static void vals_of(const json_t *g, struct gvals *v)
{
    const char *p = json_string_value(json_object_get(json_object_get(g, "parent"), "id"));

    memset(v, 0, sizeof(*v));
    snprintf(v->name, sizeof(v->name), "%s", text_of(g, "name"));
    snprintf(v->description, sizeof(v->description), "%s", text_of(g, "description"));
    snprintf(v->parent, sizeof(v->parent), "%s", p ? p : "");
    v->unit = json_is_true(json_object_get(g, "organisationalUnit"));
    v->version = json_integer_value(json_object_get(g, "version"));
}

static void read_vals(const struct kv_web_portal_page *pg, struct gvals *v)
{
    char u[8];

    memset(v, 0, sizeof(*v));
    kv__cs_field(pg, "name", v->name, sizeof(v->name));
    kv__cs_field(pg, "description", v->description, sizeof(v->description));
    kv__cs_field(pg, "parent", v->parent, sizeof(v->parent));
    kv__cs_field(pg, "unit", u, sizeof(u));
    v->unit = strcmp(u, "1") == 0;
    v->version = kv__cs_version(pg);
}

/* The ContactGroupCommand of v (owned); members the form does not show are kept from cur. */
static json_t *command(const struct gvals *v, const json_t *cur)
{
    json_t *in = json_pack("{s:s,s:b}", "name", v->name, "organisationalUnit", v->unit);

    if (v->description[0])
        json_object_set_new(in, "description", json_string(v->description));
    if (v->parent[0])
        json_object_set_new(in, "parent", json_string(v->parent));
    if (cur && v->unit && json_object_get(cur, "organisationalUnitName"))
        json_object_set(in, "organisationalUnitName",
                        json_object_get(cur, "organisationalUnitName"));
    if (cur && json_object_get(cur, "postkasseIds"))
        json_object_set(in, "postkasseIds", json_object_get(cur, "postkasseIds"));
    return in;
}

/* The parent choice: the top level and every group but self and its descendants, in tree
 * order, indented by depth. */
static void parent_select(struct kv_web_portal_page *pg, const json_t *groups, const char *self,
                          const char *selected, const char *error)
{
    struct kv_html *h = &pg->ctx.h;
    size_t n = json_array_size(groups), i;
    size_t *order = calloc(n ? n : 1, sizeof(*order));
    int *depth = calloc(n ? n : 1, sizeof(*depth)), skip_below = -1, k;

    kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cg-parent\">%m"
               "</label><span class=\"form-hint\" id=\"cg-parent-hint\">%m</span>",
            error ? " form-error" : "", N_("Parent group"),
            N_("Move the group by choosing another parent group."));
    if (error)
        kv_html(h, "<span class=\"form-error-message\" id=\"cg-parent-error\"><span "
                   "class=\"sr-only\">%m: </span>%m</span>",
                N_("Error"), error);
    kv_html(h, "<select class=\"form-select\" id=\"cg-parent\" name=\"parent\" "
               "aria-describedby=\"cg-parent-hint%t\"><option value=\"\">%m</option>",
            error ? " cg-parent-error" : "", N_("(top level)"));
    if (order && depth) {
        kv__cs_tree_order(groups, order, depth);
        for (i = 0; i < n; i++) {
            const json_t *g = json_array_get(groups, order[i]);
            const char *id = text_of(g, "id");

            if (skip_below >= 0 && depth[i] > skip_below)
                continue;
            skip_below = -1;
            if (self && strcasecmp(id, self) == 0) {
                skip_below = depth[i];
                continue;
            }
            kv_html(h, "<option value=\"%a\"%t>", id,
                    strcasecmp(id, selected) == 0 ? " selected" : "");
            for (k = 0; k < depth[i] && k < 16; k++)
                kv_html(h, "– ");
            kv_html(h, "%t</option>", text_of(g, "name"));
        }
    }
    kv_html(h, "</select></div>\n");
    free(order);
    free(depth);
}

static void form(struct kv_web_portal_page *pg, const char *id, const struct gvals *v,
                 const json_t *fes, const json_t *groups)
{
    struct kv_html *h = &pg->ctx.h;

    kv__cs_summary(pg, fes, anchor, label);
    if (id)
        kv_html(h, "<form method=\"post\" action=\"" GBASE "/%q\" novalidate>", id);
    else
        kv_html(h, "<form method=\"post\" action=\"" GBASE "/ny\" novalidate>");
    kv__aa_csrf(pg);
    if (id)
        kv_html(h, "<input type=\"hidden\" name=\"version\" value=\"%D\">", v->version);
    kv__cs_text(pg, "cg", "name", N_("Name"), NULL, v->name, kv__cs_error(fes, "name"), 256, 0);
    kv__cs_text(pg, "cg", "description", N_("Description"),
                N_("Shown to those who write to the group's contact points."), v->description,
                kv__cs_error(fes, "description"), 4000, 4);
    kv_html(h, "<div class=\"form-group\"><ul class=\"nobullet-list\">");
    kv__cs_checkbox(pg, "cg-unit", "unit", N_("The group is an organisational unit"), v->unit);
    kv_html(h, "</ul></div>\n");
    parent_select(pg, groups, id, v->parent, kv__cs_error(fes, "parent"));
    kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button> "
               "<a class=\"button button-secondary\" href=\"" KV__CS_BASE "\">%m</a></form>\n",
            id ? N_("Save") : N_("Create contact group"), N_("Cancel"));
}

static const char *group_name(const json_t *groups, const char *id)
{
    size_t i;
    json_t *g;

    json_array_foreach(groups, i, g)
        if (strcasecmp(text_of(g, "id"), id) == 0)
            return text_of(g, "name");
    return id;
}

/* The 409 page of a save that lost the race: the current version, what differs, the form. */
static void conflict(struct kv_web_portal_page *pg, const char *id, const struct gvals *mine,
                     const json_t *groups)
{
    json_t *cur = NULL;
    struct kv_err err = {0, ""};
    struct gvals now;

    if (kv_contact_group_get(pg->db, pg->org, id, &cur, &err) < 0) {
        kv_web_error(&pg->ctx, 404); /* deleted meanwhile */
        return;
    }
    vals_of(cur, &now);
    kv__cs_diff_begin(pg, N_("Edit contact group"));
    kv__cs_diff_row(pg, N_("Name"), now.name, mine->name);
    kv__cs_diff_row(pg, N_("Description"), now.description, mine->description);
    kv__cs_diff_row(pg, N_("Parent group"), now.parent[0] ? group_name(groups, now.parent) : "",
                    mine->parent[0] ? group_name(groups, mine->parent) : "");
    kv__cs_diff_row(pg, N_("The group is an organisational unit"), now.unit ? "✓" : "",
                    mine->unit ? "✓" : "");
    kv__cs_diff_end(pg);
    form(pg, text_of(cur, "id"), &now, NULL, groups);
    kv_web_page_end(&pg->ctx, 409, N_("Edit contact group"));
    json_decref(cur);
}

/* What the shared save answer (kv__cs_save_answer) hands back to this form. */
struct save_arg {
    const char *id;
    const struct gvals *v;
    const json_t *groups;
};

static void show_form(struct kv_web_portal_page *pg, const json_t *fes, void *arg)
{
    const struct save_arg *a = arg;

    form(pg, a->id, a->v, fes, a->groups);
}

static void show_conflict(struct kv_web_portal_page *pg, void *arg)
{
    const struct save_arg *a = arg;

    conflict(pg, a->id, a->v, a->groups);
}

/* new (id NULL) or edit, GET or POST */
static int page(struct kv_http_req *req, struct kv_http_resp *resp, int post, int edit)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""};
    struct gvals *v = calloc(1, sizeof(*v));
    json_t *groups = NULL, *cur = NULL, *in = NULL, *out = NULL, *fes = NULL;
    const char *title = edit ? N_("Edit contact group") : N_("New contact group");
    const char *id = edit ? req->params[0] : NULL;
    struct save_arg sa = {NULL, NULL, NULL};
    const struct kv__cs_save save = {"contact group", title, show_form, show_conflict, &sa};
    int stale = 0, rc;

    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_CONTACTS, post ? KV_WEB_PORTAL_POST : 0))
        goto out;
    if (!v || kv_contact_groups_list(aa.db, aa.org, &groups, &err) < 0) {
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    if (edit) {
        rc = kv_contact_group_get(aa.db, aa.org, id, &cur, &err);
        if (rc < 0) {
            kv_web_error(&aa.ctx, rc == KV_ENOTFOUND ? 404 : 500);
            goto out;
        }
        id = text_of(cur, "id");
    }
    if (!post) {
        if (edit) {
            vals_of(cur, v);
        } else {
            const char *p = kv_http_req_query(req, "overordnet");
            snprintf(v->parent, sizeof(v->parent), "%s", p && strlen(p) < 64 ? p : "");
        }
        kv__aa_head(&aa, title, KV__CS_BASE, NULL, NULL);
        form(&aa, id, v, NULL, groups);
        kv_web_page_end(&aa.ctx, 200, title);
        goto out;
    }
    read_vals(&aa, v);
    if (edit && v->version <= 0) {
        kv_web_error(&aa.ctx, 400);
        goto out;
    }
    in = command(v, cur);
    if (edit)
        rc = kv_contact_group_update(aa.db, aa.org, aa.actor, id, v->version, in, &out, &fes,
                                     &stale, &err);
    else
        rc = kv_contact_group_create(aa.db, aa.org, aa.actor, in, &out, &fes, &err);
    sa.id = id;
    sa.v = v;
    sa.groups = groups;
    kv__cs_save_answer(&aa, &save, rc, fes, stale, edit, out, err.msg);
out:
    json_decref(groups);
    json_decref(cur);
    json_decref(in);
    json_decref(out);
    json_decref(fes);
    free(v);
    kv_web_portal_end(&aa);
    return 0;
}

int kv__cs_group_new(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return page(req, resp, 0, 0);
}

int kv__cs_group_create(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return page(req, resp, 1, 0);
}

int kv__cs_group_edit(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return page(req, resp, 0, 1);
}

int kv__cs_group_save(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return page(req, resp, 1, 1);
}

static const struct kv__cs_remove removal = {
    "contact group",
    GBASE,
    N_("Delete contact group"),
    N_("Delete the contact group"),
    N_("The group still has subgroups or contact points. Move or delete them first."),
    kv_contact_group_get,
    kv_contact_group_delete,
};

int kv__cs_group_delete_ask(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return kv__cs_remove_page(req, resp, 0, &removal);
}

int kv__cs_group_delete(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return kv__cs_remove_page(req, resp, 1, &removal);
}

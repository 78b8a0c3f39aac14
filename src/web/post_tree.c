/* SPDX-License-Identifier: MIT
 *
 * post_tree.c: the owner's own folders at /post/mapper (routes in post_folder.c, state in
 * hub/mailbox_tree.h): the page lists the tree with counts and has a form to create a folder
 * (name, under which folder) and, per folder, forms to rename or move it under another one and
 * to delete it (only when empty: nothing is moved or deleted along with a folder). Also the
 * "move to folder" form of a letter page. Who may: the key mailbox:folders -- the owner, a
 * helper with read access (portals.md §5.4, "creating folders and sorting"), an
 * organisation's employee with MESSAGE_WRITE; moving a letter is mailbox (as deleting to
 * "deleted" always was).
 */
#include "web/post.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/mailbox_folders.h"
#include "hub/mailbox_tree.h"
#include "util/log.h"
#include "web/i18n.h"

/* The hub's refusal as a catalog sentence. */
static const char *refusal(const struct kv_err *err)
{
    static const struct {
        const char *start, *msgid;
    } T[] = {
        {"a folder name has 1", N_("A folder name has 1 to 60 characters.")},
        {"a folder name has no", N_("A folder name cannot contain control characters.")},
        {"a folder name must", N_("A folder name cannot contain control characters.")},
        {"a folder name does not", N_("A folder name cannot start or end with a space.")},
        {"there is already", N_("There is already a folder with that name there.")},
        {"a mailbox has at most", N_("You cannot have more than 100 folders.")},
        {"folders nest", N_("Folders can be nested at most 4 levels deep.")},
        {"a folder cannot be put", N_("A folder cannot be put inside itself.")},
        {"the folder has folders", N_("The folder has folders in it. Delete or move them "
                                      "first.")},
        {"the folder has letters", N_("The folder has letters in it. Move them to another "
                                      "folder first.")},
        {"no such folder", N_("The folder does not exist.")},
    };
    size_t i;

    for (i = 0; i < sizeof(T) / sizeof(T[0]); i++)
        if (strncmp(err->msg, T[i].start, strlen(T[i].start)) == 0)
            return T[i].msgid;
    return N_("The folder could not be changed.");
}

/* <option>s of the folders a folder may go under (top level first); skip and its subtree are
 * left out (a folder cannot go inside itself). */
static void parent_options(struct kv_html *h, const struct kv_mbox_folder *v, size_t n,
                           int64_t selected, int64_t skip)
{
    size_t i;
    int d, skip_depth = 0;

    kv_html(h, "<option value=\"0\">%m</option>", N_("(top level)"));
    for (i = 0; i < n; i++) {
        if (skip_depth && v[i].depth > skip_depth)
            continue;
        skip_depth = 0;
        if (v[i].id == skip) {
            skip_depth = v[i].depth;
            continue;
        }
        if (v[i].depth >= KV_MBOX_FOLDER_DEPTH_MAX)
            continue;
        if (v[i].id == selected)
            kv_html(h, "<option value=\"%D\" selected>", v[i].id);
        else
            kv_html(h, "<option value=\"%D\">", v[i].id);
        for (d = 1; d < v[i].depth; d++)
            kv_html(h, "&#8212; ");
        kv_html(h, "%t</option>", v[i].name);
    }
}

static void page(struct kv__post *pp, int status, const char *error_msgid)
{
    struct kv_html *h = &pp->ctx.h;
    struct kv_err err = {0, ""};
    struct kv_mbox_folder *v = NULL;
    size_t n = 0, i;
    int d;
    char key[24];

    if (kv_mbox_folders(pp->db, &pp->owner, &v, &n, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", pp->ctx.req->request_id, err.msg);
        kv_web_error(&pp->ctx, 500);
        return;
    }
    kv_html(h, "<p><a href=\"/post/\" class=\"back-link\">%m</a></p>\n<h1>%m</h1>\n",
            N_("Back to the post"), N_("Your folders"));
    kv_html(h, "<p>%m</p>\n",
            N_("Sort your letters into folders of your own. A folder can be deleted when it is "
               "empty."));
    if (error_msgid)
        kv_html(h, "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                   "<p class=\"alert-text\">%m</p></div></div>\n",
                error_msgid);
    kv_html(h,
            "<h2>%m</h2>\n<form method=\"post\" action=\"/post/mapper\" class=\"mb-6\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"folder-new\">%m</label>"
            "<input class=\"form-input\" type=\"text\" id=\"folder-new\" name=\"navn\" "
            "maxlength=\"60\" required></div>"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"folder-new-under\">%m"
            "</label><select class=\"form-select\" id=\"folder-new-under\" name=\"under\">",
            N_("New folder"), pp->ctx.sess.csrf, N_("Name"), N_("Put it in"));
    parent_options(h, v, n, 0, 0);
    kv_html(h, "</select></div><button class=\"button button-primary\" type=\"submit\">%m"
               "</button></form>\n",
            N_("Create folder"));
    if (n == 0) {
        kv_html(h, "<p>%m</p>\n", N_("You have no folders of your own yet."));
    } else {
        kv_html(h, "<h2>%m</h2>\n<ul class=\"nobullet-list folder-tree\">\n",
                N_("Folders"));
        for (i = 0; i < n; i++) {
            kv_mbox_folder_key(v[i].id, key);
            kv_html(h, "<li class=\"mb-5\"><h3 class=\"h5\"><a href=\"/post/?mappe=%q\">",
                    key);
            for (d = 1; d < v[i].depth; d++)
                kv_html(h, "&#8212; ");
            kv_html(h, "%t</a> <span class=\"folder-count\">(%D", v[i].name, v[i].total);
            if (v[i].unread)
                kv_html(h, ", %D %m", v[i].unread, N_("unread"));
            kv_html(h,
                    ")</span></h3>"
                    "<form method=\"post\" action=\"/post/mapper/%D\" class=\"inline-form\">"
                    "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                    "<div class=\"form-group\"><label class=\"form-label\" for=\"fn-%D\">%m"
                    "</label><input class=\"form-input\" type=\"text\" id=\"fn-%D\" "
                    "name=\"navn\" value=\"%a\" maxlength=\"60\" required></div>"
                    "<div class=\"form-group\"><label class=\"form-label\" for=\"fu-%D\">%m"
                    "</label><select class=\"form-select\" id=\"fu-%D\" name=\"under\">",
                    v[i].id, pp->ctx.sess.csrf, v[i].id, N_("Name"), v[i].id, v[i].name,
                    v[i].id, N_("Put it in"), v[i].id);
            parent_options(h, v, n, v[i].parent_id, v[i].id);
            kv_html(h,
                    "</select></div><button class=\"button button-secondary\" type=\"submit\">"
                    "%m<span class=\"sr-only\"> %t</span></button></form> "
                    "<form method=\"post\" action=\"/post/mapper/%D/slet\" class=\"inline-form\">"
                    "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
                    "<button class=\"button button-secondary\" type=\"submit\">%m"
                    "<span class=\"sr-only\"> %t</span></button></form></li>\n",
                    N_("Save"), v[i].name, v[i].id, pp->ctx.sess.csrf, N_("Delete folder"),
                    v[i].name);
        }
        kv_html(h, "</ul>\n");
    }
    free(v);
    kv_web_page_end(&pp->ctx, status, N_("Your folders"));
}

int kv__post_folders(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;

    if (kv__post_begin(&pp, req, resp, 0))
        page(&pp, 200, NULL);
    kv__post_end(&pp);
    return 0;
}

/* The parent field: "0" or a folder id; -1 when malformed. */
static int64_t parent_field(struct kv__post *pp)
{
    char v[24];
    char *end;
    long long id;

    kv__post_field(pp, "under", v, sizeof(v));
    if (!v[0])
        return 0;
    id = strtoll(v, &end, 10);
    return *end || id < 0 ? -1 : (int64_t)id;
}

/* The folder id of the path; -1 when malformed. */
static int64_t path_id(struct kv__post *pp)
{
    const char *s = pp->ctx.req->params[0];
    char *end;
    long long id;

    if (!s || !*s || strlen(s) > 18)
        return -1;
    id = strtoll(s, &end, 10);
    return *end || id <= 0 ? -1 : (int64_t)id;
}

enum op { OP_CREATE, OP_UPDATE, OP_DELETE };

static int change(struct kv_http_req *req, struct kv_http_resp *resp, enum op op)
{
    struct kv__post pp;
    struct kv_err err = {0, ""};
    char name[4 * KV_MBOX_FOLDER_NAME_MAX + 1];
    int64_t id = 0, parent = 0;
    int rc = 0;

    if (!kv__post_begin(&pp, req, resp, KV__POST_FORM))
        goto out;
    if (op != OP_CREATE && (id = path_id(&pp)) < 0) {
        kv_web_error(&pp.ctx, 404);
        goto out;
    }
    if (op != OP_DELETE) {
        kv__post_field(&pp, "navn", name, sizeof(name));
        if ((parent = parent_field(&pp)) < 0) {
            kv_web_error(&pp.ctx, 400);
            goto out;
        }
    }
    switch (op) {
    case OP_CREATE:
        rc = kv_mbox_folder_create(pp.db, &pp.owner, parent, name, NULL, &err);
        break;
    case OP_UPDATE:
        rc = kv_mbox_folder_update(pp.db, &pp.owner, id, name, parent, &err);
        break;
    case OP_DELETE:
        rc = kv_mbox_folder_delete(pp.db, &pp.owner, id, &err);
        break;
    }
    if (rc == KV_ENOTFOUND && op != OP_CREATE && strcmp(err.msg, "no such folder") == 0 &&
        kv_mbox_folder_get(pp.db, &pp.owner, id, NULL, &err) == KV_ENOTFOUND) {
        kv_web_error(&pp.ctx, 404); /* the path's folder: not theirs or not there */
        goto out;
    }
    if (rc == KV_EINVAL || rc == KV_ECONFLICT || rc == KV_ENOTFOUND) {
        page(&pp, rc == KV_ECONFLICT ? 409 : 400, refusal(&err));
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    kv_web_redirect(&pp.ctx, "/post/mapper");
out:
    kv__post_end(&pp);
    return 0;
}

int kv__post_folder_create(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return change(req, resp, OP_CREATE);
}

int kv__post_folder_update(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return change(req, resp, OP_UPDATE);
}

int kv__post_folder_delete(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return change(req, resp, OP_DELETE);
}

void kv__post_move_form(struct kv__post *pp, const struct kv_mbox_letter *l)
{
    struct kv_html *h = &pp->ctx.h;
    struct kv_err err = {0, ""};
    struct kv_mbox_folder *v = NULL;
    size_t n = 0, i;
    int d;
    char key[24];

    if (l->sent || kv_mbox_folders(pp->db, &pp->owner, &v, &n, &err) < 0 || n == 0) {
        free(v);
        return; /* no own folders: delete/restore is the only move, a button of its own */
    }
    kv_html(h,
            "<form method=\"post\" action=\"/post/brev/%q/flyt\" class=\"inline-form mb-5\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"move-to\">%m</label>"
            "<select class=\"form-select\" id=\"move-to\" name=\"mappe\">",
            l->message_uuid, pp->ctx.sess.csrf, N_("Move to folder"));
    if (strcmp(l->folder, KV_MBOX_FOLDER_INBOX) != 0)
        kv_html(h, "<option value=\"inbox\">%m</option>", N_("Inbox"));
    for (i = 0; i < n; i++) {
        kv_mbox_folder_key(v[i].id, key);
        if (strcmp(key, l->folder) == 0)
            continue;
        kv_html(h, "<option value=\"%a\">", key);
        for (d = 1; d < v[i].depth; d++)
            kv_html(h, "&#8212; ");
        kv_html(h, "%t</option>", v[i].name);
    }
    kv_html(h, "</select></div><button class=\"button button-secondary\" type=\"submit\">%m"
               "</button></form>\n",
            N_("Move"));
    free(v);
}

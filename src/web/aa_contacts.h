/* SPDX-License-Identifier: MIT
 *
 * aa_contacts.h (web-internal): the contact structure pages of Administrativ Adgang (issue 11
 * item 2; access key "contacts", CONTACT_ADMINISTRATOR) -- the tree of contact groups and
 * points (aa_contacts.c), the group form (aa_contact_group.c) and the contact point form
 * (aa_contact_point.c), with their shared versioned-form flow (aa_versioned_form.c) -- and
 * what they share: reading a form field, showing the domain's
 * field errors next to their fields, and the "someone else changed it" conflict alert.
 *
 * Every write goes through the contact structure domain (hub/contact_points.h), the same
 * validation and the same version (ETag) the API at /apis/v1/organisations/{org}/contact-points
 * uses: a form carries the version it was read at in a hidden field and the save is
 * conditional on it (If-Match).
 *
 * Ownership: the helpers borrow everything they are given; json_t values are the caller's.
 */
#ifndef KV_WEB_AA_CONTACTS_H
#define KV_WEB_AA_CONTACTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "web/portal_page.h"

#define KV__CS_BASE "/administrativ-adgang/kontaktstruktur"

/* A form field into out (n bytes), percent-decoded, CRLF line breaks made LF; "" when absent.
 * A value longer than the buffer becomes n - 1 'x's, so the domain refuses it as too long
 * (nothing is cut silently). */
void kv__cs_field(const struct kv_web_portal_page *pg, const char *name, char *out, size_t n);
/* The hidden version field as a number: > 0, or 0 when absent or malformed. */
int64_t kv__cs_version(const struct kv_web_portal_page *pg);

/* The message of the first field error of fes (a fieldErrors array, may be NULL) whose field
 * is name or starts with name followed by '[' or '.'; NULL when none. */
const char *kv__cs_error(const json_t *fes, const char *name);
/* The error summary at the top of a refused form: each error linked to its control; anchor
 * maps a domain field name to the control's id, label to the field's label (a msgid). */
void kv__cs_summary(struct kv_web_portal_page *pg, const json_t *fes,
                    const char *(*anchor)(const char *field),
                    const char *(*label)(const char *field));
/* The "someone else changed it" alert of a conflicting save or delete. */
void kv__cs_conflict_alert(struct kv_web_portal_page *pg);

/* A text input or (rows > 0) textarea with label, hint, error and aria attributes; id is
 * "<prefix>-<name>". */
void kv__cs_text(struct kv_web_portal_page *pg, const char *prefix, const char *name,
                 const char *label, const char *hint, const char *value, const char *error,
                 int maxlen, int rows);
/* A checkbox (value "1") with its label. */
void kv__cs_checkbox(struct kv_web_portal_page *pg, const char *id, const char *name,
                     const char *label, int checked);

/* The organisation's groups in tree order (each parent before its children, siblings by
 * name), with their depth: order gets indices into groups (a JSON array as
 * kv_contact_groups_list returns), depth their depth; both arrays of json_array_size(groups)
 * entries, owned by the caller. Groups on a cycle or under an unknown parent come last, at
 * depth 0. */
void kv__cs_tree_order(const json_t *groups, size_t *order, int *depth);

/* ---- the versioned form (aa_versioned_form.c): what the group and point forms share ---- */

/* The 409 page of a save that lost the race: kv__cs_diff_begin (head with title, the conflict
 * alert, the "what differs" table opened), one kv__cs_diff_row per field (shown only when cur
 * and mine differ; label a msgid), kv__cs_diff_end (table closed, "Current version" heading),
 * then the caller's form of the current version and kv_web_page_end(.., 409, title). */
void kv__cs_diff_begin(struct kv_web_portal_page *pg, const char *title);
void kv__cs_diff_row(struct kv_web_portal_page *pg, const char *label, const char *cur,
                     const char *mine);
void kv__cs_diff_end(struct kv_web_portal_page *pg);

/* One kind's answers to a save. */
struct kv__cs_save {
    const char *what;  /* "contact group", for the log */
    const char *title; /* the form page's title (msgid) */
    /* The form again, with the domain's field errors (fes). */
    void (*show_form)(struct kv_web_portal_page *pg, const json_t *fes, void *arg);
    /* The whole 409 page of a stale version. */
    void (*show_conflict)(struct kv_web_portal_page *pg, void *arg);
    void *arg;
};
/* Answers a create (edit 0) or update (edit 1) by the domain's outcome rc: field errors ->
 * the form again (400); a stale version -> show_conflict; another failure -> the error page
 * (404 for ENOTFOUND, else 500; errmsg logged); success -> logged, redirect to the tree with
 * ?ok=created / ?ok=saved. out is the saved object. */
void kv__cs_save_answer(struct kv_web_portal_page *pg, const struct kv__cs_save *s, int rc,
                        const json_t *fes, int stale, int edit, const json_t *out,
                        const char *errmsg);

/* One kind's delete flow. */
struct kv__cs_remove {
    const char *what;   /* "contact point", for the log */
    const char *base;   /* URL of the kind: base/{id}/slet is the form's action */
    const char *title;  /* page title (msgid) */
    const char *prompt; /* "Delete the contact point" (msgid), the name follows */
    const char *in_use; /* msgid of a refusal that is not a stale version (the object still in
                           use): the confirmation again with it, 409; NULL: the 409 error page */
    int (*get)(struct kv_db *db, const char *org, const char *id, json_t **out,
               struct kv_err *err);
    int (*del)(struct kv_db *db, const char *org, const char *actor, const char *id,
               int64_t expect_version, int *out_stale, struct kv_err *err);
};
/* GET (post 0): the confirmation with the version read. POST: the delete, conditional on the
 * form's version; a stale version is the confirmation again with the conflict alert (409);
 * done: redirect to the tree with ?ok=deleted. Returns 0 (the page answered). */
int kv__cs_remove_page(struct kv_http_req *req, struct kv_http_resp *resp, int post,
                       const struct kv__cs_remove *k);

/* Handlers. (aa_contacts.c) */
int kv__cs_tree(struct kv_http_req *req, struct kv_http_resp *resp);
/* (aa_contact_group.c) */
int kv__cs_group_new(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_group_create(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_group_edit(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_group_save(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_group_delete_ask(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_group_delete(struct kv_http_req *req, struct kv_http_resp *resp);
/* (aa_contact_point.c) */
int kv__cs_point_new(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_point_create(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_point_edit(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_point_save(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_point_delete_ask(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__cs_point_delete(struct kv_http_req *req, struct kv_http_resp *resp);

#endif

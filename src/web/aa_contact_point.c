/* SPDX-License-Identifier: MIT
 *
 * aa_contact_point.c: creating, editing, moving and deleting a contact point in Administrativ
 * Adgang (issue 11 item 2; access key "contacts"). The form holds every field an employee
 * keeps: name, info text for writers, internal note, search words (one per line), codes (KLE,
 * SOR, GLN, custom, form: one row each), who may write to it (citizens, companies, authorities:
 * three switches), whether the search shows it, the size limit and number of attachments, the
 * recipient system (required) and active; its groups are where it sits in the tree (moving is
 * ticking other groups). The values become a ContactPointCommand for the contact structure
 * domain (kv_contact_point_create / _update / _delete, hub/contact_points.h: the validation,
 * legal size bounds and versions of the API), whose field errors are shown next to their
 * fields. Members the form does not show (reportLink, recommendedAttributes, translations) are
 * kept. A save or delete carries the version it was read at; when someone else saved in
 * between, the answer is 409 with what differs and the form on the current version.
 *
 *   GET  /administrativ-adgang/kontaktstruktur/kontaktpunkter/ny[?gruppe={id}]  empty form
 *   POST /administrativ-adgang/kontaktstruktur/kontaktpunkter/ny                create
 *   GET  /administrativ-adgang/kontaktstruktur/kontaktpunkter/{id}              its form
 *   POST /administrativ-adgang/kontaktstruktur/kontaktpunkter/{id}              save
 *   GET  /administrativ-adgang/kontaktstruktur/kontaktpunkter/{id}/slet         confirm
 *   POST /administrativ-adgang/kontaktstruktur/kontaktpunkter/{id}/slet         delete
 */
#include "web/aa_contacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "hub/contact_points.h"
#include "hub/system_list.h"
#include "identity/authz.h"
#include "util/log.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

#define PBASE KV__CS_BASE "/kontaktpunkter"
#define ROWS_MAX KV_CP_CODES_MAX /* code rows read from one form */
#define ROWS_EXTRA 2             /* empty code rows offered */

/* The domain's field messages (hub/contact_points.c, contact_groups.c), for the catalogs. */
static const char *const DOMAIN_MSGS[] __attribute__((unused)) = {
    N_("must be given"),
    N_("must not be empty"),
    N_("must be a string of at most 256 characters"),
    N_("must be a string of at most 4000 characters"),
    N_("must be a string of at most 36 characters"),
    N_("must be an integer between 0 and 100"),
    N_("must be a whole number of megabytes between 1 and 100"),
    N_("must be at most 60 MB when citizens may write to the point"),
    N_("must be at most 40 MB when companies may write to the point"),
    N_("must be a recipient system of this organisation"),
    N_("must be CUSTOM, FORM, GLN, KLE or SOR"),
    N_("must be a non-empty string of at most 128 characters"),
    N_("must be a non-empty string of at most 256 characters"),
    N_("must be a non-empty string of at most 16 characters"),
    N_("must be a non-empty string of at most 64 characters"),
    N_("must be {\"term\": a non-empty string of at most 128 characters}"),
    N_("no such contact group in this organisation"),
    N_("must be the id of a contact group"),
    N_("a group cannot be its own ancestor"),
    N_("must be an array of at most 100 elements"),
    N_("must be an array of at most 50 elements"),
};

static const char *const CODE_TYPES[] = {"KLE", "SOR", "GLN", "FORM", "CUSTOM"};
static const char *const AUDIENCE[] = {"citizen", "company", "authority"};
static const char *const TARGET[] = {"CITIZEN", "COMPANY", "AUTHORITY"};

struct code_row {
    char type[16], code[520], name[1100], version[300];
};

struct pvals {
    char name[2048], description[20000], internal[20000], terms[20000];
    char system[64], mb[32], attachments[32];
    int target[3], visible, active;
    struct code_row rows[ROWS_MAX];
    size_t nrows;          /* rows in use */
    int row_of[ROWS_MAX];  /* domain code index -> row */
    json_t *groups;        /* ids of the groups it sits in (owned array) */
    int64_t version;
};

static const char *text_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Field name prefixes of the domain -> control id and label. */
static const struct {
    const char *field, *anchor, *label;
} FIELDS[] = {
    {"name", "cp-name", N_("Name")},
    {"description", "cp-description", N_("Info text for writers")},
    {"internalDescription", "cp-internal", N_("Internal note")},
    {"searchTerms", "cp-terms", N_("Search words")},
    {"contactPointCodes", "cp-codes", N_("Codes")},
    {"targets", "cp-target-citizen", N_("Who may write to it")},
    {"visibility", "cp-target-citizen", N_("Who may write to it")},
    {"visible", "cp-visible", N_("Shown in the contact point search")},
    {"memoSizeThresholdMB", "cp-mb", N_("Size limit (MB)")},
    {"allowedNumberOfAttachments", "cp-attachments", N_("Number of attachments")},
    {"systemId", "cp-system", N_("Recipient system")},
    {"active", "cp-active", N_("Active")},
    {"contactGroups", "cp-groups", N_("Groups")},
};

static size_t field_index(const char *f)
{
    size_t i, n;

    for (i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++) {
        n = strlen(FIELDS[i].field);
        if (strncmp(f, FIELDS[i].field, n) == 0 && (f[n] == '\0' || f[n] == '[' || f[n] == '.'))
            return i;
    }
    return 0;
}

static const char *anchor(const char *f)
{
    return FIELDS[field_index(f)].anchor;
}

static const char *label(const char *f)
{
    return FIELDS[field_index(f)].label;
}

static void vals_init(struct pvals *v)
{
    memset(v, 0, sizeof(*v));
    v->groups = json_array();
}

/* The values of a stored contact point (its JSON as the domain returns it). */
static void vals_of(const json_t *p, struct pvals *v)
{
    const json_t *vis = json_object_get(p, "visibility");
    size_t i, used = 0;
    json_t *e;
    int k;

    snprintf(v->name, sizeof(v->name), "%s", text_of(p, "name"));
    snprintf(v->description, sizeof(v->description), "%s", text_of(p, "description"));
    snprintf(v->internal, sizeof(v->internal), "%s", text_of(p, "internalDescription"));
    snprintf(v->system, sizeof(v->system), "%s", text_of(p, "systemId"));
    snprintf(v->mb, sizeof(v->mb), "%lld",
             (long long)json_integer_value(json_object_get(p, "memoSizeThresholdMB")));
    snprintf(v->attachments, sizeof(v->attachments), "%lld",
             (long long)json_integer_value(json_object_get(p, "allowedNumberOfAttachments")));
    for (k = 0; k < 3; k++)
        v->target[k] = json_is_true(json_object_get(vis, AUDIENCE[k]));
    v->visible = json_is_true(json_object_get(p, "visible"));
    v->active = json_is_true(json_object_get(p, "active"));
    v->version = json_integer_value(json_object_get(p, "version"));
    json_array_foreach(json_object_get(p, "searchTerms"), i, e) {
        int n = snprintf(v->terms + used, sizeof(v->terms) - used, "%s%s", used ? "\n" : "",
                         text_of(e, "term"));
        if (n < 0 || (size_t)n >= sizeof(v->terms) - used)
            break;
        used += (size_t)n;
    }
    json_array_foreach(json_object_get(p, "contactPointCodes"), i, e) {
        struct code_row *r;
        if (v->nrows == ROWS_MAX)
            break;
        r = &v->rows[v->nrows++];
        snprintf(r->type, sizeof(r->type), "%s", text_of(e, "type"));
        snprintf(r->code, sizeof(r->code), "%s", text_of(e, "code"));
        snprintf(r->name, sizeof(r->name), "%s", text_of(e, "name"));
        snprintf(r->version, sizeof(r->version), "%s", text_of(e, "codeVersion"));
    }
    json_array_foreach(json_object_get(p, "contactGroups"), i, e)
        json_array_append_new(v->groups, json_string(text_of(e, "id")));
}

static int checked(const struct kv_web_portal_page *pg, const char *name)
{
    char b[8];

    kv__cs_field(pg, name, b, sizeof(b));
    return strcmp(b, "1") == 0;
}

/* The posted values; the group boxes are named group-<id> for the groups of the org. */
static void read_vals(const struct kv_web_portal_page *pg, const json_t *groups,
                      struct pvals *v)
{
    char name[64], n[16];
    size_t i, rows;
    json_t *g;
    int k;

    kv__cs_field(pg, "name", v->name, sizeof(v->name));
    kv__cs_field(pg, "description", v->description, sizeof(v->description));
    kv__cs_field(pg, "internal", v->internal, sizeof(v->internal));
    kv__cs_field(pg, "terms", v->terms, sizeof(v->terms));
    kv__cs_field(pg, "system", v->system, sizeof(v->system));
    kv__cs_field(pg, "mb", v->mb, sizeof(v->mb));
    kv__cs_field(pg, "attachments", v->attachments, sizeof(v->attachments));
    for (k = 0; k < 3; k++) {
        snprintf(name, sizeof(name), "target-%s", AUDIENCE[k]);
        v->target[k] = checked(pg, name);
    }
    v->visible = checked(pg, "visible");
    v->active = checked(pg, "active");
    v->version = kv__cs_version(pg);
    kv__cs_field(pg, "code_rows", n, sizeof(n));
    rows = (size_t)strtoul(n, NULL, 10);
    for (i = 0; i < rows && i < ROWS_MAX; i++) {
        struct code_row *r = &v->rows[v->nrows++];
        snprintf(name, sizeof(name), "code_type_%zu", i);
        kv__cs_field(pg, name, r->type, sizeof(r->type));
        snprintf(name, sizeof(name), "code_%zu", i);
        kv__cs_field(pg, name, r->code, sizeof(r->code));
        snprintf(name, sizeof(name), "code_name_%zu", i);
        kv__cs_field(pg, name, r->name, sizeof(r->name));
        snprintf(name, sizeof(name), "code_version_%zu", i);
        kv__cs_field(pg, name, r->version, sizeof(r->version));
    }
    json_array_foreach(groups, i, g) {
        snprintf(name, sizeof(name), "group-%s", text_of(g, "id"));
        if (checked(pg, name))
            json_array_append_new(v->groups, json_string(text_of(g, "id")));
    }
}

/* A number as typed: absent when empty, an integer when it is one, else the text itself (so
 * the domain refuses it with its reason). */
static void set_number(json_t *in, const char *key, const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0)
        return;
    for (i = 0; i < n && i < 7; i++)
        if (s[i] < '0' || s[i] > '9')
            break;
    if (i == n)
        json_object_set_new(in, key, json_integer(strtoll(s, NULL, 10)));
    else
        json_object_set_new(in, key, json_string(s));
}

static void trim(char *s)
{
    size_t n = strlen(s), b = 0;

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    while (s[b] == ' ' || s[b] == '\t')
        b++;
    memmove(s, s + b, n - b + 1);
}

/* The ContactPointCommand of v (owned); what the form does not show is kept from cur. */
static json_t *command(struct pvals *v, const json_t *cur)
{
    static const char *const KEEP[] = {"reportLink", "recommendedAttributes", "translations"};
    json_t *in = json_object(), *targets = json_array(), *codes = json_array();
    json_t *terms = json_array();
    char *copy = strdup(v->terms), *save = NULL, *t;
    size_t i;
    int k;

    json_object_set_new(in, "name", json_string(v->name));
    if (v->description[0])
        json_object_set_new(in, "description", json_string(v->description));
    if (v->internal[0])
        json_object_set_new(in, "internalDescription", json_string(v->internal));
    json_object_set_new(in, "systemId", json_string(v->system));
    set_number(in, "memoSizeThresholdMB", v->mb);
    set_number(in, "allowedNumberOfAttachments", v->attachments);
    for (k = 0; k < 3; k++)
        if (v->target[k])
            json_array_append_new(targets, json_string(TARGET[k]));
    json_object_set_new(in, "targets", targets);
    json_object_set_new(in, "visible", json_boolean(v->visible));
    json_object_set_new(in, "active", json_boolean(v->active));
    for (t = copy ? strtok_r(copy, "\n,", &save) : NULL; t; t = strtok_r(NULL, "\n,", &save)) {
        trim(t);
        if (t[0])
            json_array_append_new(terms, json_pack("{s:s}", "term", t));
    }
    free(copy);
    json_object_set_new(in, "searchTerms", terms);
    for (i = 0; i < v->nrows; i++) {
        struct code_row *r = &v->rows[i];
        json_t *c;
        trim(r->code);
        trim(r->name);
        if (!r->code[0] && !r->name[0])
            continue; /* an empty row */
        c = json_pack("{s:s,s:s}", "type", r->type, "code", r->code);
        if (r->name[0])
            json_object_set_new(c, "name", json_string(r->name));
        if (r->version[0])
            json_object_set_new(c, "codeVersion", json_string(r->version));
        v->row_of[json_array_size(codes)] = (int)i;
        json_array_append_new(codes, c);
    }
    json_object_set_new(in, "contactPointCodes", codes);
    json_object_set(in, "contactGroups", v->groups);
    for (k = 0; cur && k < 3; k++)
        if (json_object_get(cur, KEEP[k]))
            json_object_set(in, KEEP[k], json_object_get(cur, KEEP[k]));
    return in;
}

/* The error of code row r: the first error of a domain code index that maps to it. */
static const char *row_error(const json_t *fes, const struct pvals *v, size_t r)
{
    size_t i;
    json_t *e;

    json_array_foreach(fes, i, e) {
        const char *f = json_string_value(json_object_get(e, "field"));
        unsigned long idx;
        char *end;
        if (!f || strncmp(f, "contactPointCodes[", 18) != 0)
            continue;
        idx = strtoul(f + 18, &end, 10);
        if (*end == ']' && idx < ROWS_MAX && v->row_of[idx] == (int)r)
            return json_string_value(json_object_get(e, "message"));
    }
    return NULL;
}

static void code_rows(struct kv_web_portal_page *pg, const struct pvals *v, const json_t *fes)
{
    struct kv_html *h = &pg->ctx.h;
    size_t rows = v->nrows + ROWS_EXTRA, r, t;
    const char *e = kv__cs_error(fes, "contactPointCodes");

    if (rows > ROWS_MAX)
        rows = ROWS_MAX;
    kv_html(h, "<fieldset class=\"form-group%t\" id=\"cp-codes\"><legend class=\"form-label\">"
               "%m</legend><span class=\"form-hint\">%m</span>",
            e ? " form-error" : "", N_("Codes"),
            N_("KLE, SOR, GLN, form or your own codes senders can address the contact point "
               "by. Leave a row empty to remove it."));
    kv_html(h, "<input type=\"hidden\" name=\"code_rows\" value=\"%d\">"
               "<table class=\"table table--compact\"><thead><tr><th scope=\"col\">%m</th>"
               "<th scope=\"col\">%m</th><th scope=\"col\">%m</th></tr></thead><tbody>",
            (int)rows, N_("Type"), N_("Code"), N_("Code name"));
    for (r = 0; r < rows; r++) {
        const struct code_row *row = r < v->nrows ? &v->rows[r] : NULL;
        const char *re = row ? row_error(fes, v, r) : NULL;
        int n = (int)r + 1;

        kv_html(h, "<tr><td><label class=\"sr-only\" for=\"cp-code-%d-type\">%m %d</label>"
                   "<select class=\"form-select\" id=\"cp-code-%d-type\" name=\"code_type_%d\">",
                (int)r, N_("Code type, row"), n, (int)r, (int)r);
        for (t = 0; t < sizeof(CODE_TYPES) / sizeof(CODE_TYPES[0]); t++)
            kv_html(h, "<option value=\"%a\"%t>%t</option>", CODE_TYPES[t],
                    row && strcmp(row->type, CODE_TYPES[t]) == 0 ? " selected" : "",
                    CODE_TYPES[t]);
        kv_html(h, "</select></td><td>");
        if (re)
            kv_html(h, "<span class=\"form-error-message\" id=\"cp-code-%d-error\"><span "
                       "class=\"sr-only\">%m: </span>%m</span>",
                    (int)r, N_("Error"), re);
        kv_html(h, "<label class=\"sr-only\" for=\"cp-code-%d-code\">%m %d</label><input "
                   "class=\"form-input\" type=\"text\" id=\"cp-code-%d-code\" name=\"code_%d\" "
                   "value=\"%a\" maxlength=\"128\"",
                (int)r, N_("Code, row"), n, (int)r, (int)r, row ? row->code : "");
        if (re)
            kv_html(h, " aria-invalid=\"true\" aria-describedby=\"cp-code-%d-error\"", (int)r);
        kv_html(h, "></td><td><label class=\"sr-only\" for=\"cp-code-%d-name\">%m %d</label>"
                   "<input class=\"form-input\" type=\"text\" id=\"cp-code-%d-name\" "
                   "name=\"code_name_%d\" value=\"%a\" maxlength=\"256\">"
                   "<input type=\"hidden\" name=\"code_version_%d\" value=\"%a\"></td></tr>",
                (int)r, N_("Code name, row"), n, (int)r, (int)r, row ? row->name : "", (int)r,
                row ? row->version : "");
    }
    kv_html(h, "</tbody></table></fieldset>\n");
}

static int in_list(const json_t *ids, const char *id)
{
    size_t i;
    json_t *e;

    json_array_foreach(ids, i, e)
        if (strcasecmp(json_string_value(e), id) == 0)
            return 1;
    return 0;
}

static void error_span(struct kv_html *h, const char *id, const char *e)
{
    if (e)
        kv_html(h, "<span class=\"form-error-message\" id=\"%a-error\"><span class=\"sr-only\">"
                   "%m: </span>%m</span>",
                id, N_("Error"), e);
}

/* The recipient system choice: the organisation's recipient systems. */
static void system_select(struct kv_web_portal_page *pg, const struct kv_system_summary *sys,
                          size_t n, const char *selected, const char *e)
{
    struct kv_html *h = &pg->ctx.h;
    size_t i;

    kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"cp-system\">%m"
               "</label><span class=\"form-hint\" id=\"cp-system-hint\">%m</span>",
            e ? " form-error" : "", N_("Recipient system"),
            N_("Required: the system letters written to the contact point are delivered to."));
    error_span(h, "cp-system", e);
    kv_html(h, "<select class=\"form-select\" id=\"cp-system\" name=\"system\" "
               "aria-describedby=\"cp-system-hint%t\"%t><option value=\"\">%m</option>",
            e ? " cp-system-error" : "", e ? " aria-invalid=\"true\"" : "",
            N_("Choose a recipient system"));
    for (i = 0; i < n; i++) {
        if (strcmp(sys[i].kind, "recipient") != 0)
            continue;
        kv_html(h, "<option value=\"%a\"%t>%t", sys[i].id,
                strcasecmp(sys[i].id, selected) == 0 ? " selected" : "", sys[i].name);
        if (strcmp(sys[i].status, "active") != 0)
            kv_html(h, " (%m)", N_("deactivated"));
        kv_html(h, "</option>");
    }
    kv_html(h, "</select></div>\n");
}

static void form(struct kv_web_portal_page *pg, const char *id, const struct pvals *v,
                 const json_t *fes, const json_t *groups, const struct kv_system_summary *sys,
                 size_t nsys)
{
    struct kv_html *h = &pg->ctx.h;
    static const char *const WHO[] = {N_("Citizens"), N_("Companies"), N_("Authorities")};
    char bid[64], bname[64];
    size_t i;
    json_t *g;
    const char *e;
    int k;

    kv__cs_summary(pg, fes, anchor, label);
    if (id)
        kv_html(h, "<form method=\"post\" action=\"" PBASE "/%q\" novalidate>", id);
    else
        kv_html(h, "<form method=\"post\" action=\"" PBASE "/ny\" novalidate>");
    kv__aa_csrf(pg);
    if (id)
        kv_html(h, "<input type=\"hidden\" name=\"version\" value=\"%D\">", v->version);
    kv__cs_text(pg, "cp", "name", N_("Name"), N_("The name writers see and search for."),
                v->name, kv__cs_error(fes, "name"), 256, 0);
    kv__cs_text(pg, "cp", "description", N_("Info text for writers"),
                N_("Shown to citizens, companies and authorities when they write to the contact "
                   "point."),
                v->description, kv__cs_error(fes, "description"), 4000, 4);
    kv__cs_text(pg, "cp", "internal", N_("Internal note"),
                N_("Only for your organisation; never shown to writers."), v->internal,
                kv__cs_error(fes, "internalDescription"), 4000, 3);
    kv__cs_text(pg, "cp", "terms", N_("Search words"),
                N_("One per line. Writers find the contact point by its name and these words."),
                v->terms, kv__cs_error(fes, "searchTerms"), 20000, 4);
    code_rows(pg, v, fes);
    e = kv__cs_error(fes, "targets");
    if (!e)
        e = kv__cs_error(fes, "visibility");
    kv_html(h, "<fieldset class=\"form-group%t\"><legend class=\"form-label\">%m</legend>"
               "<span class=\"form-hint\">%m</span>",
            e ? " form-error" : "", N_("Who may write to it"),
            N_("The contact point is offered to these writers."));
    error_span(h, "cp-targets", e);
    kv_html(h, "<ul class=\"nobullet-list\">");
    for (k = 0; k < 3; k++) {
        snprintf(bid, sizeof(bid), "cp-target-%s", AUDIENCE[k]);
        snprintf(bname, sizeof(bname), "target-%s", AUDIENCE[k]);
        kv__cs_checkbox(pg, bid, bname, WHO[k], v->target[k]);
    }
    kv__cs_checkbox(pg, "cp-visible", "visible", N_("Shown in the contact point search"),
                    v->visible);
    kv_html(h, "</ul></fieldset>\n");
    kv__cs_text(pg, "cp", "mb", N_("Size limit (MB)"),
                N_("Largest letter writers may send: 10 MB by default; at most 60 MB when "
                   "citizens and 40 MB when companies may write to it."),
                v->mb, kv__cs_error(fes, "memoSizeThresholdMB"), 6, 0);
    kv__cs_text(pg, "cp", "attachments", N_("Number of attachments"),
                N_("Most attachments in one letter (0 to 100; 10 by default)."), v->attachments,
                kv__cs_error(fes, "allowedNumberOfAttachments"), 6, 0);
    system_select(pg, sys, nsys, v->system, kv__cs_error(fes, "systemId"));
    e = kv__cs_error(fes, "contactGroups");
    kv_html(h, "<fieldset class=\"form-group%t\" id=\"cp-groups\"><legend class=\"form-label\">"
               "%m</legend><span class=\"form-hint\">%m</span>",
            e ? " form-error" : "", N_("Groups"),
            N_("Where the contact point sits in the tree. Move it by ticking other groups; none "
               "puts it at the top level."));
    error_span(h, "cp-groups", e);
    if (json_array_size(groups) == 0)
        kv_html(h, "<p>%m</p>", N_("There are no contact groups yet."));
    kv_html(h, "<ul class=\"nobullet-list\">");
    json_array_foreach(groups, i, g) {
        snprintf(bid, sizeof(bid), "cp-group-%zu", i);
        snprintf(bname, sizeof(bname), "group-%s", text_of(g, "id"));
        kv_html(h, "<li><input class=\"form-checkbox\" type=\"checkbox\" id=\"%a\" name=\"%a\" "
                   "value=\"1\"%t><label for=\"%a\">%t</label></li>",
                bid, bname, in_list(v->groups, text_of(g, "id")) ? " checked" : "", bid,
                text_of(g, "name"));
    }
    kv_html(h, "</ul></fieldset>\n<div class=\"form-group\"><ul class=\"nobullet-list\">");
    kv__cs_checkbox(pg, "cp-active", "active", N_("Active"), v->active);
    kv_html(h, "</ul></div>\n<button type=\"submit\" class=\"button button-primary\">%m</button> "
               "<a class=\"button button-secondary\" href=\"" KV__CS_BASE "\">%m</a></form>\n",
            id ? N_("Save") : N_("Create contact point"), N_("Cancel"));
}

/* A value of v as one line of text for the differences table (into out). */
static void summary_of(const struct pvals *v, int which, char *out, size_t n)
{
    size_t i, used = 0;
    int k;

    out[0] = '\0';
    switch (which) {
    case 0: /* who may write, shown */
        for (k = 0; k < 3; k++)
            if (v->target[k])
                used += (size_t)snprintf(out + used, n - used, "%s%s", used ? ", " : "",
                                         TARGET[k]);
        if (v->visible && used < n)
            snprintf(out + used, n - used, "%sVISIBLE", used ? ", " : "");
        break;
    case 1: /* codes */
        for (i = 0; i < v->nrows && used < n; i++)
            if (v->rows[i].code[0] || v->rows[i].name[0])
                used += (size_t)snprintf(out + used, n - used, "%s%s %s %s", used ? "; " : "",
                                         v->rows[i].type, v->rows[i].code, v->rows[i].name);
        break;
    default: /* groups */
        for (i = 0; i < json_array_size(v->groups) && used < n; i++)
            used += (size_t)snprintf(out + used, n - used, "%s%s", used ? ", " : "",
                                     json_string_value(json_array_get(v->groups, i)));
        break;
    }
}

/* The 409 page of a save that lost the race. */
static void conflict(struct kv_web_portal_page *pg, const char *id, const struct pvals *mine,
                     const json_t *groups, const struct kv_system_summary *sys, size_t nsys)
{
    struct kv_err err = {0, ""};
    struct pvals *now = malloc(sizeof(*now));
    char *a = malloc(8192), *b = malloc(8192);
    json_t *cur = NULL;
    int w;

    if (!now || !a || !b) {
        kv_web_error(&pg->ctx, 500);
        goto out;
    }
    vals_init(now);
    if (kv_contact_point_get(pg->db, pg->org, id, &cur, &err) < 0) {
        kv_web_error(&pg->ctx, 404); /* deleted meanwhile */
        goto out;
    }
    vals_of(cur, now);
    kv__cs_diff_begin(pg, N_("Edit contact point"));
    kv__cs_diff_row(pg, N_("Name"), now->name, mine->name);
    kv__cs_diff_row(pg, N_("Info text for writers"), now->description, mine->description);
    kv__cs_diff_row(pg, N_("Internal note"), now->internal, mine->internal);
    kv__cs_diff_row(pg, N_("Search words"), now->terms, mine->terms);
    for (w = 0; w < 3; w++) {
        summary_of(now, w, a, 8192);
        summary_of(mine, w, b, 8192);
        kv__cs_diff_row(pg, w == 0   ? N_("Who may write to it")
                            : w == 1 ? N_("Codes")
                                     : N_("Groups"),
                        a, b);
    }
    kv__cs_diff_row(pg, N_("Size limit (MB)"), now->mb, mine->mb);
    kv__cs_diff_row(pg, N_("Number of attachments"), now->attachments, mine->attachments);
    kv__cs_diff_row(pg, N_("Recipient system"), now->system, mine->system);
    kv__cs_diff_row(pg, N_("Active"), now->active ? "✓" : "", mine->active ? "✓" : "");
    kv__cs_diff_end(pg);
    form(pg, text_of(cur, "id"), now, NULL, groups, sys, nsys);
    kv_web_page_end(&pg->ctx, 409, N_("Edit contact point"));
out:
    if (now)
        json_decref(now->groups);
    free(now);
    free(a);
    free(b);
    json_decref(cur);
}

/* The organisation's systems (owned array into *out) for the recipient system choice. */
static int systems_of(struct kv_web_portal_page *pg, struct kv_system_summary **out, size_t *n)
{
    struct kv_err err = {0, ""};

    *n = 0;
    *out = calloc(KV_SYSTEM_LIST_MAX, sizeof(**out));
    if (!*out)
        return KV_EINTERNAL;
    return kv_system_list_org(pg->db, pg->org, *out, KV_SYSTEM_LIST_MAX, n, &err);
}

/* What the shared save answer (kv__cs_save_answer) hands back to this form. */
struct save_arg {
    const char *id;
    const struct pvals *v;
    const json_t *groups;
    const struct kv_system_summary *sys;
    size_t nsys;
};

static void show_form(struct kv_web_portal_page *pg, const json_t *fes, void *arg)
{
    const struct save_arg *a = arg;

    form(pg, a->id, a->v, fes, a->groups, a->sys, a->nsys);
}

static void show_conflict(struct kv_web_portal_page *pg, void *arg)
{
    const struct save_arg *a = arg;

    conflict(pg, a->id, a->v, a->groups, a->sys, a->nsys);
}

/* new or edit, GET or POST */
static int page(struct kv_http_req *req, struct kv_http_resp *resp, int post, int edit)
{
    struct kv_web_portal_page aa;
    struct kv_err err = {0, ""};
    struct pvals *v = malloc(sizeof(*v));
    struct kv_system_summary *sys = NULL;
    json_t *groups = NULL, *cur = NULL, *in = NULL, *out = NULL, *fes = NULL;
    const char *title = edit ? N_("Edit contact point") : N_("New contact point");
    const char *id = NULL;
    size_t nsys = 0, i;
    struct save_arg sa = {NULL, NULL, NULL, NULL, 0};
    const struct kv__cs_save save = {"contact point", title, show_form, show_conflict, &sa};
    int stale = 0, rc;

    if (v)
        vals_init(v);
    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_CONTACTS, post ? KV_WEB_PORTAL_POST : 0))
        goto out;
    if (!v || kv_contact_groups_list(aa.db, aa.org, &groups, &err) < 0 ||
        systems_of(&aa, &sys, &nsys) < 0) {
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    if (edit) {
        rc = kv_contact_point_get(aa.db, aa.org, req->params[0], &cur, &err);
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
            const char *g = kv_http_req_query(req, "gruppe");
            v->target[0] = v->target[1] = v->target[2] = v->visible = v->active = 1;
            snprintf(v->mb, sizeof(v->mb), "%d", KV_CP_MB_DEFAULT);
            snprintf(v->attachments, sizeof(v->attachments), "10");
            for (i = 0; i < nsys; i++)
                if (sys[i].is_default && strcmp(sys[i].kind, "recipient") == 0)
                    snprintf(v->system, sizeof(v->system), "%s", sys[i].id);
            if (g && strlen(g) < 64)
                json_array_append_new(v->groups, json_string(g));
        }
        kv__aa_head(&aa, title, KV__CS_BASE, NULL, NULL);
        form(&aa, id, v, NULL, groups, sys, nsys);
        kv_web_page_end(&aa.ctx, 200, title);
        goto out;
    }
    read_vals(&aa, groups, v);
    if (edit && v->version <= 0) {
        kv_web_error(&aa.ctx, 400);
        goto out;
    }
    in = command(v, cur);
    if (edit)
        rc = kv_contact_point_update(aa.db, aa.org, aa.actor, id, v->version, in, &out, &fes,
                                     &stale, &err);
    else
        rc = kv_contact_point_create(aa.db, aa.org, aa.actor, in, &out, &fes, &err);
    sa = (struct save_arg){id, v, groups, sys, nsys};
    kv__cs_save_answer(&aa, &save, rc, fes, stale, edit, out, err.msg);
out:
    if (v)
        json_decref(v->groups);
    free(v);
    free(sys);
    json_decref(groups);
    json_decref(cur);
    json_decref(in);
    json_decref(out);
    json_decref(fes);
    kv_web_portal_end(&aa);
    return 0;
}

int kv__cs_point_new(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return page(req, resp, 0, 0);
}

int kv__cs_point_create(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return page(req, resp, 1, 0);
}

int kv__cs_point_edit(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return page(req, resp, 0, 1);
}

int kv__cs_point_save(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return page(req, resp, 1, 1);
}

static const struct kv__cs_remove removal = {
    "contact point",
    PBASE,
    N_("Delete contact point"),
    N_("Delete the contact point"),
    NULL,
    kv_contact_point_get,
    kv_contact_point_delete,
};

int kv__cs_point_delete_ask(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return kv__cs_remove_page(req, resp, 0, &removal);
}

int kv__cs_point_delete(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return kv__cs_remove_page(req, resp, 1, &removal);
}

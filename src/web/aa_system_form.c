/* SPDX-License-Identifier: MIT
 *
 * aa_system_form.c: creating and editing a sender or recipient system in Administrativ
 * Adgang (issue 11 item 1; access key "systems"). The form's values go through the one
 * validation of a system (hub/directory.h, kv_system_check -- the same function the CLI and
 * the admin API call); each refusal is shown next to its field (DKFDS form-error) and in a
 * summary at the top that links to the fields. Besides the endpoints the form keeps the
 * technical contact, supplier, allowed IP addresses (one textarea; util/cidr.h) and the active
 * window (two date fields). Outside test mode (--test-login or
 * --test-clock) endpoints must be https://. A new system's API token is shown once.
 *
 *   GET  /administrativ-adgang/systemer/ny           the empty form
 *   POST /administrativ-adgang/systemer/ny           create
 *   GET  /administrativ-adgang/systemer/{id}/rediger  the form with the system's values
 *   POST /administrativ-adgang/systemer/{id}/rediger  save (kind, default and status have
 *                                                    their own actions)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/system_list.h"
#include "identity/authz.h"
#include "util/cidr.h"
#include "util/conf.h"
#include "util/log.h"
#include "util/xmalloc.h"
#include "web/aa_portal.h"
#include "web/i18n.h"

#define BASE "/administrativ-adgang/systemer"
#define VAL_MAX 2048 /* longest form value read (the domain's limits are lower) */

/* The domain's field messages (system_fields.c), so the catalogs translate them. */
static const char *const DOMAIN_MSGS[] __attribute__((unused)) = {
    N_("required"),
    N_("too long"),
    N_("must not be empty"),
    N_("must be sender or recipient"),
    N_("must be a CVR number (8 digits)"),
    N_("only a sender system has a receipt URL"),
    N_("must be an http:// or https:// URL"),
    N_("must be an https:// URL"),
    N_("only a recipient system has a protocol"),
    N_("only a recipient system has a push URL"),
    N_("a push recipient system needs a push URL"),
    N_("only a recipient system can be the default"),
    N_("must be an e-mail address"),
    N_("must be pull or push"),
    N_("must not contain control characters"),
    N_("must be a date YYYY-MM-DD"),
    N_("must not be before active from"),
    N_("more than 64 entries"),
};

struct vals {
    char kind[16], name[VAL_MAX], protocol[16], push_url[VAL_MAX], receipt_url[VAL_MAX];
    char contact_email[VAL_MAX], technical_contact[VAL_MAX], supplier[VAL_MAX];
    char allowed_ips[4 * KV_CIDR_TEXT_MAX], active_from[32], active_to[32];
    int is_default;
};

/* One form field: its form name, the domain's field name, its label and hint. */
struct fdef {
    const char *name, *domain, *label, *hint;
};

static const struct fdef F_NAME = {"name", "name", N_("Name"), NULL};
static const struct fdef F_PUSH = {"push_url", "pushUrl", N_("Endpoint"),
                                   N_("Recipient systems with REST push: where the hub sends "
                                      "letters.")};
static const struct fdef F_RECEIPT = {"receipt_url", "receiptUrl", N_("Receipt endpoint"),
                                      N_("Sender systems: where the hub pushes receipts. Leave "
                                         "empty to fetch them.")};
static const struct fdef F_EMAIL = {"contact_email", "contactEmail",
                                    N_("Business contact e-mail"),
                                    N_("Gets the warning e-mails when deliveries fail.")};
static const struct fdef F_TECH = {"technical_contact", "technicalContact",
                                   N_("Technical contact"),
                                   N_("Who to call about the integration: name, phone, "
                                      "e-mail.")};
static const struct fdef F_SUPPLIER = {"supplier", "supplier", N_("Supplier"),
                                       N_("The IT supplier that runs the system.")};
static const struct fdef F_FROM = {"active_from", "activeFrom", N_("Active from"),
                                   N_("First day the system may call the API and receive "
                                      "letters (YYYY-MM-DD). Empty: from now.")};
static const struct fdef F_TO = {"active_to", "activeTo", N_("Active to"),
                                 N_("Last day, inclusive (YYYY-MM-DD). Empty: no end.")};
static const struct fdef F_IPS = {"allowed_ips", "allowedIps", N_("Allowed IP addresses"),
                                  N_("IPv4 and IPv6 addresses and ranges in CIDR notation "
                                     "(192.0.2.0/24, 2001:db8::/32), separated by commas or "
                                     "line breaks. The API refuses calls of this system from "
                                     "any other address. Empty: any address.")};

/* The form control and label of a domain field name. */
static const struct {
    const char *domain, *anchor, *label;
} FIELDS[] = {
    {"kind", "sys-kind-sender", N_("Kind")},
    {"name", "sys-name", N_("Name")},
    {"protocol", "sys-protocol-pull", N_("Protocol")},
    {"pushUrl", "sys-push_url", N_("Endpoint")},
    {"receiptUrl", "sys-receipt_url", N_("Receipt endpoint")},
    {"contactEmail", "sys-contact_email", N_("Business contact e-mail")},
    {"technicalContact", "sys-technical_contact", N_("Technical contact")},
    {"supplier", "sys-supplier", N_("Supplier")},
    {"allowedIps", "sys-allowed_ips", N_("Allowed IP addresses")},
    {"activeFrom", "sys-active_from", N_("Active from")},
    {"activeTo", "sys-active_to", N_("Active to")},
    {"default", "sys-default", N_("Default recipient system")},
};

static const char *anchor(const char *domain)
{
    size_t i;

    for (i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++)
        if (strcmp(FIELDS[i].domain, domain) == 0)
            return FIELDS[i].anchor;
    return "sys-name";
}

static const char *label(const char *domain)
{
    size_t i;

    for (i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++)
        if (strcmp(FIELDS[i].domain, domain) == 0)
            return FIELDS[i].label;
    return N_("System");
}

/* Copies tpl into out with {entry}, {suggestion} and {max} replaced from why. */
static void fill(const char *tpl, const struct kv_cidr_why *why, char *out, size_t n)
{
    char max[16];
    size_t used = 0;

    snprintf(max, sizeof(max), "%d", why->max);
    while (*tpl && used + 1 < n) {
        const char *v = NULL;
        size_t skip = 0;

        if (strncmp(tpl, "{entry}", 7) == 0)
            v = why->entry, skip = 7;
        else if (strncmp(tpl, "{suggestion}", 12) == 0)
            v = why->suggestion, skip = 12;
        else if (strncmp(tpl, "{max}", 5) == 0)
            v = max, skip = 5;
        if (v) {
            used += (size_t)snprintf(out + used, n - used, "%s", v);
            if (used >= n)
                used = n - 1;
            tpl += skip;
        } else {
            out[used++] = *tpl++;
        }
    }
    out[used] = '\0';
}

/* The allowed-IP list's refusal in the page's language. The domain's sentence is English with
 * the wrong entry in it (util/cidr.h), so no catalog holds it: the same check gives the reason
 * as data, and the sentence is made from a translated template. */
static void localise_ips(struct kv_web_portal_page *aa, const struct vals *v, struct kv_problem *p)
{
    char canon[KV_CIDR_TEXT_MAX], text[320];
    struct kv_cidr_why why;
    const char *tpl;
    size_t i;

    for (i = 0; i < p->n_fields; i++) {
        if (strcmp(p->fields[i].field, "allowedIps") != 0 ||
            kv_cidr_list_canon_why(v->allowed_ips, canon, sizeof(canon), &why) == 0)
            continue;
        switch (why.fault) {
        case KV_CIDR_HOST_BITS:
            tpl = N_("Host bits are set in {entry}: did you mean {suggestion}?");
            break;
        case KV_CIDR_PREFIX: tpl = N_("The prefix length in {entry} must be 0-{max}."); break;
        case KV_CIDR_TOO_MANY: tpl = N_("More than {max} addresses or ranges."); break;
        case KV_CIDR_TOO_LONG: tpl = N_("The list is too long."); break;
        default: tpl = N_("Not an IP address or range: {entry}"); break;
        }
        fill(kv_i18n_get(aa->ctx.lang, tpl), &why, text, sizeof(text));
        free(p->fields[i].message);
        p->fields[i].message = kv_xstrdup(text);
    }
}

static const char *field_error(const struct kv_problem *p, const char *domain)
{
    size_t i;

    for (i = 0; p && i < p->n_fields; i++)
        if (strcmp(p->fields[i].field, domain) == 0)
            return p->fields[i].message;
    return NULL;
}

static void text_field(struct kv_html *h, const struct fdef *f, const char *value,
                       const struct kv_problem *p, const char *type, int maxlen)
{
    const char *e = field_error(p, f->domain);

    kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"sys-%a\">%m</label>",
            e ? " form-error" : "", f->name, f->label);
    if (f->hint)
        kv_html(h, "<span class=\"form-hint\" id=\"sys-%a-hint\">%m</span>", f->name, f->hint);
    if (e)
        kv_html(h, "<span class=\"form-error-message\" id=\"sys-%a-error\"><span "
                   "class=\"sr-only\">%m: </span>%m</span>",
                f->name, N_("Error"), e);
    {
        char desc[96];

        snprintf(desc, sizeof(desc), "%s%s%s%s%s", f->hint ? "sys-" : "",
                 f->hint ? f->name : "", f->hint ? "-hint" : "", e ? " sys-" : "",
                 e ? f->name : "");
        if (e)
            snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), "-error");
        if (strcmp(type, "textarea") == 0)
            kv_html(h, "<textarea class=\"form-input\" rows=\"4\" id=\"sys-%a\" name=\"%a\" "
                       "maxlength=\"%d\"",
                    f->name, f->name, maxlen);
        else
            kv_html(h, "<input class=\"form-input\" type=\"%a\" id=\"sys-%a\" name=\"%a\" "
                       "value=\"%a\" maxlength=\"%d\"",
                    type, f->name, f->name, value, maxlen);
        if (desc[0])
            kv_html(h, " aria-describedby=\"%a\"", desc[0] == ' ' ? desc + 1 : desc);
        if (e)
            kv_html(h, " aria-invalid=\"true\"");
    }
    if (strcmp(type, "textarea") == 0)
        kv_html(h, ">%t</textarea></div>\n", value);
    else
        kv_html(h, "></div>\n");
}

static void radio(struct kv_html *h, const char *name, const char *id, const char *value,
                  const char *label, int checked)
{
    kv_html(h, "<li><input class=\"form-radio radio-large\" type=\"radio\" id=\"%a\" "
               "name=\"%a\" value=\"%a\"%t><label for=\"%a\">%m</label></li>",
            id, name, value, checked ? " checked" : "", id, label);
}

/* The whole form; id NULL for a new system. */
static void form(struct kv_web_portal_page *aa, const char *id, const struct vals *v,
                 const struct kv_problem *p)
{
    struct kv_html *h = &aa->ctx.h;
    const char *e;
    size_t i;

    if (p && p->n_fields) {
        kv_html(h, "<div class=\"alert alert-error\" role=\"alert\"><div class=\"alert-body\">"
                   "<p class=\"alert-heading\">%m</p><ul class=\"alert-text\">",
                N_("The system could not be saved. Correct the fields marked below."));
        for (i = 0; i < p->n_fields; i++)
            kv_html(h, "<li><a href=\"#%a\">%m</a>: %m</li>", anchor(p->fields[i].field),
                    label(p->fields[i].field), p->fields[i].message);
        kv_html(h, "</ul></div></div>\n");
    }
    if (id)
        kv_html(h, "<form method=\"post\" action=\"" BASE "/%q/rediger\" novalidate>", id);
    else
        kv_html(h, "<form method=\"post\" action=\"" BASE "/ny\" novalidate>");
    kv__aa_csrf(aa);
    if (!id) {
        e = field_error(p, "kind");
        kv_html(h, "<fieldset class=\"form-group%t\"><legend class=\"form-label\">%m</legend>",
                e ? " form-error" : "", N_("Kind"));
        if (e)
            kv_html(h, "<span class=\"form-error-message\"><span class=\"sr-only\">%m: </span>"
                       "%m</span>", N_("Error"), e);
        kv_html(h, "<ul class=\"nobullet-list\">");
        radio(h, "kind", "sys-kind-sender", "sender", N_("Sender system"),
              strcmp(v->kind, "sender") == 0);
        radio(h, "kind", "sys-kind-recipient", "recipient", N_("Recipient system"),
              strcmp(v->kind, "recipient") == 0);
        kv_html(h, "</ul></fieldset>\n");
    }
    text_field(h, &F_NAME, v->name, p, "text", 256);
    if (!id || strcmp(v->kind, "recipient") == 0) {
        e = field_error(p, "protocol");
        kv_html(h, "<fieldset class=\"form-group%t\"><legend class=\"form-label\">%m</legend>"
                   "<span class=\"form-hint\">%m</span>",
                e ? " form-error" : "", N_("Protocol"), N_("Recipient systems only."));
        if (e)
            kv_html(h, "<span class=\"form-error-message\"><span class=\"sr-only\">%m: </span>"
                       "%m</span>", N_("Error"), e);
        kv_html(h, "<ul class=\"nobullet-list\">");
        radio(h, "protocol", "sys-protocol-pull", "pull", N_("REST pull"),
              strcmp(v->protocol, "push") != 0);
        radio(h, "protocol", "sys-protocol-push", "push", N_("REST push"),
              strcmp(v->protocol, "push") == 0);
        kv_html(h, "</ul></fieldset>\n");
        text_field(h, &F_PUSH, v->push_url, p, "url", 1023);
    }
    if (!id || strcmp(v->kind, "sender") == 0)
        text_field(h, &F_RECEIPT, v->receipt_url, p, "url", 1023);
    text_field(h, &F_EMAIL, v->contact_email, p, "email", 256);
    text_field(h, &F_TECH, v->technical_contact, p, "text", 256);
    text_field(h, &F_SUPPLIER, v->supplier, p, "text", 256);
    text_field(h, &F_IPS, v->allowed_ips, p, "textarea", 4000);
    text_field(h, &F_FROM, v->active_from, p, "text", 10);
    text_field(h, &F_TO, v->active_to, p, "text", 10);
    if (!id) {
        e = field_error(p, "default");
        kv_html(h, "<div class=\"form-group%t\">", e ? " form-error" : "");
        if (e)
            kv_html(h, "<span class=\"form-error-message\"><span class=\"sr-only\">%m: </span>"
                       "%m</span>", N_("Error"), e);
        kv_html(h, "<ul class=\"nobullet-list\"><li><input class=\"form-checkbox\" "
                   "type=\"checkbox\" id=\"sys-default\" name=\"default\" value=\"1\"%t>"
                   "<label for=\"sys-default\">%m</label></li></ul></div>\n",
                v->is_default ? " checked" : "", N_("Make it the default recipient system"));
    }
    if (id)
        kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button> "
                   "<a class=\"button button-secondary\" href=\"" BASE "/%q\">%m</a></form>\n",
                N_("Save"), id, N_("Cancel"));
    else
        kv_html(h, "<button type=\"submit\" class=\"button button-primary\">%m</button> "
                   "<a class=\"button button-secondary\" href=\"" BASE "\">%m</a></form>\n",
                N_("Create system"), N_("Cancel"));
}

static void field(const struct kv_web_portal_page *aa, const char *name, char *out, size_t n)
{
    const struct kv_http_req *req = aa->ctx.req;
    int rc = kv_web_form_get(req->body, req->body_len, name, out, n);

    if (rc == KV_ETOOBIG) { /* longer than any limit: let the domain call it too long */
        memset(out, 'x', n - 1);
        out[n - 1] = '\0';
    } else if (rc < 0) {
        out[0] = '\0';
    }
}

static void read_vals(const struct kv_web_portal_page *aa, struct vals *v)
{
    char d[8];

    field(aa, "kind", v->kind, sizeof(v->kind));
    field(aa, "name", v->name, sizeof(v->name));
    field(aa, "protocol", v->protocol, sizeof(v->protocol));
    field(aa, "push_url", v->push_url, sizeof(v->push_url));
    field(aa, "receipt_url", v->receipt_url, sizeof(v->receipt_url));
    field(aa, "contact_email", v->contact_email, sizeof(v->contact_email));
    field(aa, "technical_contact", v->technical_contact, sizeof(v->technical_contact));
    field(aa, "supplier", v->supplier, sizeof(v->supplier));
    field(aa, "allowed_ips", v->allowed_ips, sizeof(v->allowed_ips));
    field(aa, "active_from", v->active_from, sizeof(v->active_from));
    field(aa, "active_to", v->active_to, sizeof(v->active_to));
    field(aa, "default", d, sizeof(d));
    v->is_default = strcmp(d, "1") == 0;
}

/* 1 when endpoints must be https (not a test server). */
static int https_only(const struct kv_web_portal_page *aa)
{
    const struct kv_conf *c = aa->ctx.req->hub->conf;

    return !(c->test_login || c->test_clock);
}

static void fill_input(const struct kv_web_portal_page *aa, const struct vals *v, const char *kind,
                       struct kv_system_input *in)
{
    int recipient = strcmp(kind, "recipient") == 0;

    memset(in, 0, sizeof(*in));
    in->org = aa->org;
    in->kind = kind;
    in->name = v->name;
    in->protocol = recipient ? v->protocol : NULL;
    in->push_url = recipient ? v->push_url : NULL;
    in->receipt_url = recipient ? NULL : v->receipt_url;
    in->contact_email = v->contact_email;
    in->technical_contact = v->technical_contact;
    in->supplier = v->supplier;
    in->allowed_ips = v->allowed_ips;
    in->active_from = v->active_from;
    in->active_to = v->active_to;
    in->is_default = recipient && v->is_default;
    in->https_only = https_only(aa);
}

/* GET/POST /administrativ-adgang/systemer/ny */
static int create(struct kv_http_req *req, struct kv_http_resp *resp, int post)
{
    struct kv_web_portal_page aa;
    struct vals *v = calloc(1, sizeof(*v));
    struct kv_system_input in;
    struct kv_system sys;
    struct kv_problem problem;
    struct kv_err err = {0, ""};
    char *token = NULL;
    int rc;

    kv_problem_init(&problem);
    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_SYSTEMS, post ? KV_WEB_PORTAL_POST : 0))
        goto out;
    if (!v) {
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    if (!post) {
        snprintf(v->kind, sizeof(v->kind), "recipient");
        kv__aa_head(&aa, N_("New system"), NULL, NULL, NULL);
        form(&aa, NULL, v, NULL);
        kv_web_page_end(&aa.ctx, 200, N_("New system"));
        goto out;
    }
    read_vals(&aa, v);
    fill_input(&aa, v, v->kind, &in);
    if (kv_system_check(&in, &sys, &problem) < 0) {
        localise_ips(&aa, v, &problem);
        kv__aa_head(&aa, N_("New system"), NULL, NULL, NULL);
        form(&aa, NULL, v, &problem);
        kv_web_page_end(&aa.ctx, 400, N_("New system"));
        goto out;
    }
    rc = kv_system_add(aa.db, &sys, &token, &err);
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: system not created: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    kv_log(KV_LOG_INFO, "%s: system %s created by %s", req->request_id, sys.id, aa.actor);
    kv__aa_head(&aa, N_("New API token"), NULL, N_("The system has been created."), NULL);
    kv_html(&aa.ctx.h,
            "<p>%m</p>\n<div class=\"form-group\"><label class=\"form-label\" for=\"token\">%m"
            "</label><input class=\"form-input input-width-xl\" id=\"token\" type=\"text\" "
            "readonly value=\"%a\" autocomplete=\"off\"></div>\n"
            "<p><a href=\"" BASE "/%q\">%m</a></p>\n",
            N_("This is the only time the token is shown. Use it as: Authorization: Basic "
               "<token>."),
            N_("API token"), token, sys.id, N_("Back to the system"));
    kv_web_page_end(&aa.ctx, 201, N_("New API token"));
out:
    if (token) {
        explicit_bzero(token, strlen(token));
        free(token);
    }
    kv_problem_release(&problem);
    free(v);
    kv_web_portal_end(&aa);
    return 0;
}

int kv__aa_system_new(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return create(req, resp, 0);
}

int kv__aa_system_create(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return create(req, resp, 1);
}

/* GET/POST /administrativ-adgang/systemer/{id}/rediger */
static int edit(struct kv_http_req *req, struct kv_http_resp *resp, int post)
{
    struct kv_web_portal_page aa;
    struct vals *v = calloc(1, sizeof(*v));
    struct kv_system_summary cur;
    struct kv_system_input in;
    struct kv_system sys;
    struct kv_problem problem;
    struct kv_err err = {0, ""};
    char to[128];
    int rc;

    kv_problem_init(&problem);
    if (!kv_web_portal_begin(&aa, req, resp, KV_ACCESS_SYSTEMS, post ? KV_WEB_PORTAL_POST : 0))
        goto out;
    rc = kv_system_get_in_org(aa.db, aa.org, req->params[0], &cur, &err);
    if (rc < 0) {
        kv_web_error(&aa.ctx, rc == KV_ENOTFOUND ? 404 : 500);
        goto out;
    }
    if (!v) {
        kv_web_error(&aa.ctx, 500);
        goto out;
    }
    if (!post) {
        snprintf(v->kind, sizeof(v->kind), "%s", cur.kind);
        snprintf(v->name, sizeof(v->name), "%s", cur.name);
        snprintf(v->protocol, sizeof(v->protocol), "%s", kv_protocol_name(cur.protocol));
        snprintf(v->push_url, sizeof(v->push_url), "%s", cur.push_url);
        snprintf(v->receipt_url, sizeof(v->receipt_url), "%s", cur.receipt_url);
        snprintf(v->contact_email, sizeof(v->contact_email), "%s", cur.contact_email);
        snprintf(v->technical_contact, sizeof(v->technical_contact), "%s", cur.technical_contact);
        snprintf(v->supplier, sizeof(v->supplier), "%s", cur.supplier);
        snprintf(v->allowed_ips, sizeof(v->allowed_ips), "%s", cur.allowed_ips);
        snprintf(v->active_from, sizeof(v->active_from), "%s", cur.active_from);
        snprintf(v->active_to, sizeof(v->active_to), "%s", cur.active_to);
        kv__aa_head(&aa, N_("Edit system"), NULL, NULL, NULL);
        form(&aa, cur.id, v, NULL);
        kv_web_page_end(&aa.ctx, 200, N_("Edit system"));
        goto out;
    }
    read_vals(&aa, v);
    snprintf(v->kind, sizeof(v->kind), "%s", cur.kind);
    fill_input(&aa, v, cur.kind, &in);
    in.is_default = 0;
    if (kv_system_check(&in, &sys, &problem) < 0) {
        localise_ips(&aa, v, &problem);
        kv__aa_head(&aa, N_("Edit system"), NULL, NULL, NULL);
        form(&aa, cur.id, v, &problem);
        kv_web_page_end(&aa.ctx, 400, N_("Edit system"));
        goto out;
    }
    snprintf(sys.id, sizeof(sys.id), "%s", cur.id);
    rc = kv_system_update(aa.db, &sys, aa.actor, &err);
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: system not saved: %s", req->request_id, err.msg);
        kv_web_error(&aa.ctx, rc == KV_ENOTFOUND ? 404 : 500);
        goto out;
    }
    snprintf(to, sizeof(to), BASE "/%s?ok=saved", cur.id);
    kv_web_redirect(&aa.ctx, to);
out:
    kv_problem_release(&problem);
    free(v);
    kv_web_portal_end(&aa);
    return 0;
}

int kv__aa_system_edit(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return edit(req, resp, 0);
}

int kv__aa_system_save(struct kv_http_req *req, struct kv_http_resp *resp)
{
    return edit(req, resp, 1);
}

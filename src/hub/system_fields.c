/* SPDX-License-Identifier: MIT
 *
 * system_fields.c: the one validation of a sender or recipient system's fields (directory.h,
 * kv_system_check). The CLI (`kuvert system add`), the admin API (POST /admin/v1/systems) and
 * the web pages hand it what the client gave and get back either a struct kv_system ready for
 * kv_system_add or a refusal that names every wrong field; kv_system_add applies the same
 * rules to whatever it is given. What a protocol needs comes from protocol.h, what a URL must
 * look like from util/url.h.
 */
#include "hub/directory.h"

#include <stdio.h>
#include <string.h>

#include "hub/mail.h"
#include "util/str.h"
#include "util/url.h"

#define RES "System" /* resource of the fields */

static void bad(struct kv_problem *p, const char *field, const char *message,
                const char *rejected)
{
    kv_problem_field(p, RES, field, "INVALID_FIELD", message, rejected);
}

/* Copies a given text into a field of out; a field error when it does not fit. */
static void take(struct kv_problem *p, const char *field, char *dst, size_t dstsz,
                 const char *src)
{
    if (kv_str_copy(dst, dstsz, src) < 0)
        bad(p, field, "too long", NULL);
}

static int finish(struct kv_problem *p, size_t before)
{
    if (p->n_fields == before)
        return 0;
    return kv_problem_set(p, KV_EINVAL, "INVALID_FIELD", "the system is not valid: %s: %s",
                          p->fields[before].field, p->fields[before].message);
}

int kv_system_check_fields(const struct kv_system *sys, struct kv_problem *p)
{
    size_t before = p->n_fields;
    int sender = strcmp(sys->kind, "sender") == 0;
    const struct kv_protocol_info *proto = kv_protocol_info(sys->protocol);

    if (!kv_cvr_valid(sys->org_cvr))
        bad(p, "org", "must be a CVR number (8 digits)", sys->org_cvr);
    if (!sender && strcmp(sys->kind, "recipient") != 0)
        bad(p, "kind", "must be sender or recipient", sys->kind);
    if (!sys->name[0])
        bad(p, "name", "must not be empty", NULL);
    if (sys->receipt_url[0] && !sender)
        bad(p, "receiptUrl", "only a sender system has a receipt URL", sys->receipt_url);
    else if (sys->receipt_url[0] && !kv_url_is_http(sys->receipt_url))
        bad(p, "receiptUrl", "must be an http:// or https:// URL", sys->receipt_url);
    if (sender && sys->protocol != KV_PROTOCOL_NONE)
        bad(p, "protocol", "only a recipient system has a protocol", proto->name);
    if (sender && sys->push_url[0])
        bad(p, "pushUrl", "only a recipient system has a push URL", sys->push_url);
    else if (sys->push_url[0] && !kv_url_is_http(sys->push_url))
        bad(p, "pushUrl", "must be an http:// or https:// URL", sys->push_url);
    else if (!sender && proto->needs_push_url && !sys->push_url[0])
        bad(p, "pushUrl", "a push recipient system needs a push URL", NULL);
    if (sender && sys->is_default)
        bad(p, "default", "only a recipient system can be the default", NULL);
    if (sys->contact_email[0] && !kv_mail_addr_ok(sys->contact_email))
        bad(p, "contactEmail", "must be an e-mail address", sys->contact_email);
    return finish(p, before);
}

int kv_system_check(const struct kv_system_input *in, struct kv_system *out,
                    struct kv_problem *p)
{
    size_t before = p->n_fields;

    memset(out, 0, sizeof(*out));
    if (!in->org || !in->org[0])
        bad(p, "org", "required", NULL);
    if (!in->kind || !in->kind[0])
        bad(p, "kind", "required", NULL);
    if (!in->name || !in->name[0])
        bad(p, "name", "required", NULL);
    if (p->n_fields > before)
        return finish(p, before);
    take(p, "org", out->org_cvr, sizeof(out->org_cvr), in->org);
    take(p, "kind", out->kind, sizeof(out->kind), in->kind);
    take(p, "name", out->name, sizeof(out->name), in->name);
    take(p, "receiptUrl", out->receipt_url, sizeof(out->receipt_url), in->receipt_url);
    take(p, "pushUrl", out->push_url, sizeof(out->push_url), in->push_url);
    take(p, "contactEmail", out->contact_email, sizeof(out->contact_email), in->contact_email);
    if (kv_protocol_parse(in->protocol, &out->protocol) < 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "must be %s", kv_protocol_choices());
        bad(p, "protocol", msg, in->protocol);
    }
    if (in->https_only && out->receipt_url[0] && !kv_url_is_https(out->receipt_url))
        bad(p, "receiptUrl", "must be an https:// URL", out->receipt_url);
    if (in->https_only && out->push_url[0] && !kv_url_is_https(out->push_url))
        bad(p, "pushUrl", "must be an https:// URL", out->push_url);
    if (p->n_fields > before)
        return finish(p, before);
    if (out->protocol == KV_PROTOCOL_NONE && strcmp(out->kind, "recipient") == 0)
        out->protocol = KV_PROTOCOL_PULL;
    out->is_default = in->is_default != 0;
    return kv_system_check_fields(out, p);
}

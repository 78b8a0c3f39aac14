/* SPDX-License-Identifier: MIT
 *
 * system_fields.c: the one validation of a sender or recipient system's fields (directory.h,
 * kv_system_check). The CLI (`kuvert system add`), the admin API (POST /admin/v1/systems) and
 * the web pages hand it what the client gave and get back either a struct kv_system ready for
 * kv_system_add or a refusal that names every wrong field; kv_system_add applies the same
 * rules to whatever it is given. Allowed IP addresses are checked and made canonical by
 * util/cidr.h; active from / to are civil dates (Copenhagen), "to" not before "from".
 * What a protocol needs comes from protocol.h, what a URL must
 * look like from util/url.h.
 */
#include "hub/directory.h"

#include <stdio.h>
#include <string.h>

#include "hub/mail.h"
#include "util/cidr.h"
#include "util/clock.h"
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

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* A date as typed: surrounding spaces dropped; a field error when it is not a date. */
static void take_date(struct kv_problem *p, const char *field, char dst[11], const char *src)
{
    char buf[32];
    size_t n;

    dst[0] = '\0';
    if (!src)
        return;
    while (*src == ' ')
        src++;
    n = strlen(src);
    while (n > 0 && src[n - 1] == ' ')
        n--;
    if (n == 0)
        return;
    if (n >= sizeof(buf)) {
        bad(p, field, "must be a date YYYY-MM-DD", NULL);
        return;
    }
    memcpy(buf, src, n);
    buf[n] = '\0';
    if (!kv_clock_date_valid(buf))
        bad(p, field, "must be a date YYYY-MM-DD", buf);
    else
        memcpy(dst, buf, 11);
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
    if (has_control(sys->technical_contact))
        bad(p, "technicalContact", "must not contain control characters", NULL);
    if (has_control(sys->supplier))
        bad(p, "supplier", "must not contain control characters", NULL);
    if (sys->allowed_ips[0]) {
        char canon[KV_CIDR_TEXT_MAX], msg[160];

        if (kv_cidr_list_canon(sys->allowed_ips, canon, sizeof(canon), msg, sizeof(msg)) < 0)
            bad(p, "allowedIps", msg, sys->allowed_ips);
        else if (strcmp(canon, sys->allowed_ips) != 0)
            bad(p, "allowedIps", "not in canonical form", sys->allowed_ips);
    }
    if (sys->active_from[0] && !kv_clock_date_valid(sys->active_from))
        bad(p, "activeFrom", "must be a date YYYY-MM-DD", sys->active_from);
    if (sys->active_to[0] && !kv_clock_date_valid(sys->active_to))
        bad(p, "activeTo", "must be a date YYYY-MM-DD", sys->active_to);
    else if (sys->active_to[0] && sys->active_from[0] &&
             strcmp(sys->active_to, sys->active_from) < 0)
        bad(p, "activeTo", "must not be before active from", sys->active_to);
    return finish(p, before);
}

void kv_system_input_of(const struct kv_system *sys, struct kv_system_input *in)
{
    memset(in, 0, sizeof(*in));
    in->org = sys->org_cvr;
    in->kind = sys->kind;
    in->name = sys->name;
    in->receipt_url = sys->receipt_url;
    in->protocol = sys->protocol != KV_PROTOCOL_NONE ? kv_protocol_name(sys->protocol) : NULL;
    in->push_url = sys->push_url;
    in->contact_email = sys->contact_email;
    in->technical_contact = sys->technical_contact;
    in->supplier = sys->supplier;
    in->allowed_ips = sys->allowed_ips;
    in->active_from = sys->active_from;
    in->active_to = sys->active_to;
    in->is_default = sys->is_default;
}

int kv_system_in_window(const struct kv_system *sys, int64_t now_ms)
{
    char today[11];

    if (!sys->active_from[0] && !sys->active_to[0])
        return 1; /* no window (most systems): no date to work out on every API call */
    kv_clock_copenhagen_date(now_ms, today);
    if (sys->active_from[0] && strcmp(today, sys->active_from) < 0)
        return 0;
    if (sys->active_to[0] && strcmp(today, sys->active_to) > 0)
        return 0;
    return 1;
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
    take(p, "technicalContact", out->technical_contact, sizeof(out->technical_contact),
         in->technical_contact);
    take(p, "supplier", out->supplier, sizeof(out->supplier), in->supplier);
    if (in->allowed_ips) {
        char msg[160];

        if (strlen(in->allowed_ips) > 8 * KV_CIDR_TEXT_MAX)
            bad(p, "allowedIps", "too long", NULL);
        else if (kv_cidr_list_canon(in->allowed_ips, out->allowed_ips, sizeof(out->allowed_ips),
                                    msg, sizeof(msg)) < 0)
            bad(p, "allowedIps", msg, NULL);
    }
    take_date(p, "activeFrom", out->active_from, in->active_from);
    take_date(p, "activeTo", out->active_to, in->active_to);
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

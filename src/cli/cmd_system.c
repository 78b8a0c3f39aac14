/* SPDX-License-Identifier: MIT
 *
 * cmd_system.c: `kuvert system add|edit|show|deactivate|activate|set-default|rotate-secret`
 * (set-default in system_default.c, rotate-secret in system_secret.c). `system add` creates
 * a sender or recipient system for an organisation and prints its id and API token, the whole
 * credential (clients send `Authorization: Basic <token>`); the token is shown only here,
 * the hub keeps just a hash of its secret. `system show` adds a recipient system's delivery
 * health (system_health.h); `system activate` reactivates it and makes its backlog due.
 * `system edit` changes the fields given as flags and keeps the others; add and edit validate
 * through kv_system_check (directory.h), as the admin API and the web pages do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "cli/system_cmds.h"
#include "hub/directory.h"
#include "hub/system_health.h"
#include "util/clock.h"
#include "util/str.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert system add --org CVR --kind sender|recipient --name NAME\n"
            "                         [--receipt-url URL] [--protocol pull|push] [--push-url URL]\n"
            "                         [--contact-email ADDR] [--technical-contact TEXT]\n"
            "                         [--supplier TEXT] [--allowed-ips LIST]\n"
            "                         [--active-from YYYY-MM-DD] [--active-to YYYY-MM-DD]\n"
            "                         [--default] [--data DIR] [--json]\n"
            "       kuvert system edit ID [--name NAME] [--receipt-url URL]\n"
            "                         [--protocol pull|push]\n"
            "                         [--push-url URL] [--contact-email ADDR]\n"
            "                         [--technical-contact TEXT] [--supplier TEXT]\n"
            "                         [--allowed-ips LIST] [--active-from DATE]\n"
            "                         [--active-to DATE]\n"
            "                         [--data DIR] [--json]\n"
            "       kuvert system show ID [--data DIR] [--json]\n"
            "       kuvert system deactivate|activate ID [--data DIR] [--json]\n"
            "       kuvert system set-default ID [--data DIR] [--json]\n"
            "       kuvert system rotate-secret ID [--data DIR] [--json]   (new API token)\n\n"
            "`show` prints a recipient system's delivery health too: status (active or\n"
            "deactivated), the last successful delivery, the queue length, since when it has\n"
            "been failing, the warning mails sent and when it was deactivated. `activate`\n"
            "makes a deactivated system active again and its whole queue due at once.\n\n"
            "A sender system submits letters for its organisation; --receipt-url makes the hub\n"
            "push receipts there (otherwise they are pulled). A recipient system (--protocol\n"
            "pull|push, --push-url) receives letters for it; --default marks the organisation's\n"
            "default one (`set-default` changes it later). `add` prints the system's id and its\n"
            "API token, shown only once\n"
            "(--json: {\"id\": ..., \"token\": ...}).\n\n"
            "--allowed-ips: the addresses and CIDR ranges (IPv4 and IPv6, separated by commas)\n"
            "the system may call the API from; none means any address. --active-from and\n"
            "--active-to: the first and last day (Copenhagen time, inclusive) it may call the\n"
            "API and receive letters. `edit` changes only the flags given; an empty value\n"
            "(\"\") clears a field.\n\n"
            "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
            "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
            "               none: SQLite DIR/kuvert.db)\n"
            "  --json       print one JSON object on stdout\n");
}

static const char *nn(const char *s)
{
    return s[0] ? s : NULL;
}

static json_t *system_json(const struct kv_system *s)
{
    char ts[32];
    json_t *o;

    kv__admin_time(s->created_ms, ts);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:b,s:s,s:s}", "id", s->id, "org",
                  s->org_cvr, "kind", s->kind, "name", s->name, "receiptUrl",
                  nn(s->receipt_url), "protocol",
                  s->protocol ? kv_protocol_name(s->protocol) : NULL, "pushUrl",
                  nn(s->push_url), "contactEmail", nn(s->contact_email), "default",
                  s->is_default, "status", s->status, "created", ts);
    json_object_set_new(o, "technicalContact",
                        s->technical_contact[0] ? json_string(s->technical_contact) : json_null());
    json_object_set_new(o, "supplier", s->supplier[0] ? json_string(s->supplier) : json_null());
    json_object_set_new(o, "allowedIps", json_array());
    {
        char buf[KV_CIDR_TEXT_MAX], *save = NULL, *tok;

        kv_str_copy(buf, sizeof(buf), s->allowed_ips);
        for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
            json_array_append_new(json_object_get(o, "allowedIps"), json_string(tok));
    }
    json_object_set_new(o, "activeFrom",
                        s->active_from[0] ? json_string(s->active_from) : json_null());
    json_object_set_new(o, "activeTo", s->active_to[0] ? json_string(s->active_to) : json_null());
    return o;
}

/* Adds an ISO-8601 time, or null for 0. */
static void set_time(json_t *o, const char *key, int64_t ms)
{
    char ts[32];

    if (!ms) {
        json_object_set_new(o, key, json_null());
        return;
    }
    kv__admin_time(ms, ts);
    json_object_set_new(o, key, json_string(ts));
}

/* The delivery-health keys of a recipient system (system_health.h). */
static void health_json(json_t *o, const struct kv_system_health *h)
{
    set_time(o, "lastSuccessfulDelivery", h->last_success_ms);
    json_object_set_new(o, "queueLength", json_integer(h->queue_length));
    set_time(o, "failingSince", h->failing_since_ms);
    set_time(o, "lastFailure", h->last_failure_ms);
    json_object_set_new(o, "lastError", h->last_error[0] ? json_string(h->last_error) : json_null());
    set_time(o, "lastFetch", h->last_fetch_ms);
    json_object_set_new(o, "warningsSent", json_integer(h->warnings_sent));
    set_time(o, "deactivatedAt", h->deactivated_ms);
    set_time(o, "activatedAt", h->activated_ms);
}

static void print_time(const char *label, int64_t ms)
{
    char ts[32];

    if (!ms) {
        printf("%-15s-\n", label);
        return;
    }
    kv__admin_time(ms, ts);
    printf("%-15s%s\n", label, ts);
}

static void print_health(const struct kv_system_health *h)
{
    print_time("last-success:", h->last_success_ms);
    printf("queue-length:  %lld\n", (long long)h->queue_length);
    print_time("failing-since:", h->failing_since_ms);
    if (h->last_failure_ms)
        print_time("last-failure:", h->last_failure_ms);
    if (h->last_error[0])
        printf("last-error:    %s\n", h->last_error);
    if (h->last_fetch_ms)
        print_time("last-fetch:", h->last_fetch_ms);
    printf("warnings-sent: %d\n", h->warnings_sent);
    if (h->deactivated_ms)
        print_time("deactivated:", h->deactivated_ms);
    if (h->activated_ms)
        print_time("activated:", h->activated_ms);
}

static void print_system(const struct kv_system *s)
{
    char ts[32];

    kv__admin_time(s->created_ms, ts);
    printf("id:            %s\norg:           %s\nkind:          %s\nname:          %s\n", s->id,
           s->org_cvr, s->kind, s->name);
    if (s->receipt_url[0])
        printf("receipt-url:   %s\n", s->receipt_url);
    if (s->protocol)
        printf("protocol:      %s\n", kv_protocol_name(s->protocol));
    if (s->push_url[0])
        printf("push-url:      %s\n", s->push_url);
    if (s->contact_email[0])
        printf("contact-email: %s\n", s->contact_email);
    if (s->technical_contact[0])
        printf("technical:     %s\n", s->technical_contact);
    if (s->supplier[0])
        printf("supplier:      %s\n", s->supplier);
    printf("allowed-ips:   %s\n", s->allowed_ips[0] ? s->allowed_ips : "any");
    if (s->active_from[0] || s->active_to[0])
        printf("active:        %s to %s\n", s->active_from[0] ? s->active_from : "open",
               s->active_to[0] ? s->active_to : "open");
    if (s->is_default)
        printf("default:       yes\n");
    printf("status:        %s\ncreated:       %s\n", s->status, ts);
}

/* A refusal of kv_system_check: every field, the first in the usage message. */
static int refused(struct kv__admin *a, struct kv_problem *problem)
{
    size_t i;
    int status;

    for (i = 1; i < problem->n_fields; i++)
        kv_cli_errorf(a->cmd, "%s: %s", problem->fields[i].field, problem->fields[i].message);
    status = kv__admin_usage(a, problem->message);
    kv_problem_release(problem);
    return status;
}

static int system_add(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_system sys;
    struct kv_system_input in;
    struct kv_problem problem;
    const char *org = NULL, *kind = NULL, *name = NULL, *rurl = NULL, *proto = NULL;
    const char *purl = NULL, *email = NULL, *tech = NULL, *supplier = NULL, *ips = NULL;
    const char *from = NULL, *to = NULL;
    char *token = NULL;
    int is_default = 0, rc, status;
    const struct kv__admin_opt opts[] = {
        {"--org", &org, NULL},           {"--kind", &kind, NULL},
        {"--name", &name, NULL},         {"--receipt-url", &rurl, NULL},
        {"--protocol", &proto, NULL},    {"--push-url", &purl, NULL},
        {"--contact-email", &email, NULL}, {"--default", NULL, &is_default},
        {"--technical-contact", &tech, NULL}, {"--supplier", &supplier, NULL},
        {"--allowed-ips", &ips, NULL},   {"--active-from", &from, NULL},
        {"--active-to", &to, NULL},      {0}};

    rc = kv__admin_parse(&a, "system add", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (!org || !kind || !name)
        return kv__admin_usage(&a, "--org, --kind and --name are required");
    in.org = org;
    in.kind = kind;
    in.name = name;
    in.receipt_url = rurl;
    in.protocol = proto;
    in.push_url = purl;
    in.contact_email = email;
    in.technical_contact = tech;
    in.supplier = supplier;
    in.allowed_ips = ips;
    in.active_from = from;
    in.active_to = to;
    in.is_default = is_default;
    kv_problem_init(&problem);
    if (kv_system_check(&in, &sys, &problem) < 0)
        return refused(&a, &problem);
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_system_add(a.db, &sys, &token, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json)
            kv__admin_print_json(json_pack("{s:s,s:s}", "id", sys.id, "token", token));
        else
            printf("id: %s\ntoken: %s\n", sys.id, token);
        status = KV_EXIT_OK;
    }
    free(token);
    kv__admin_close(&a);
    return status;
}

/* edit ID [--field value ...]: the flags given replace those fields, the rest stay. */
static int system_edit(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_system cur, sys;
    struct kv_system_input in;
    struct kv_problem problem;
    const char *name = NULL, *rurl = NULL, *proto = NULL, *purl = NULL, *email = NULL;
    const char *tech = NULL, *supplier = NULL, *ips = NULL, *from = NULL, *to = NULL;
    int rc, status;
    const struct kv__admin_opt opts[] = {
        {"--name", &name, NULL},         {"--receipt-url", &rurl, NULL},
        {"--protocol", &proto, NULL},    {"--push-url", &purl, NULL},
        {"--contact-email", &email, NULL}, {"--technical-contact", &tech, NULL},
        {"--supplier", &supplier, NULL}, {"--allowed-ips", &ips, NULL},
        {"--active-from", &from, NULL},  {"--active-to", &to, NULL},
        {0}};

    rc = kv__admin_parse(&a, "system edit", argc, argv, opts, 1, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (a.npos != 1)
        return kv__admin_usage(&a, "give the system's id");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_system_get(a.db, a.pos[0], &cur, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
        kv__admin_close(&a);
        return status;
    }
    kv_system_input_of(&cur, &in);
#define OVERRIDE(field, v)                                                                   \
    if (v)                                                                                   \
        in.field = v;
    OVERRIDE(name, name)
    OVERRIDE(receipt_url, rurl)
    OVERRIDE(protocol, proto)
    OVERRIDE(push_url, purl)
    OVERRIDE(contact_email, email)
    OVERRIDE(technical_contact, tech)
    OVERRIDE(supplier, supplier)
    OVERRIDE(allowed_ips, ips)
    OVERRIDE(active_from, from)
    OVERRIDE(active_to, to)
#undef OVERRIDE
    kv_problem_init(&problem);
    if (kv_system_check(&in, &sys, &problem) < 0) {
        status = refused(&a, &problem);
        kv__admin_close(&a);
        return status;
    }
    kv_str_copy(sys.id, sizeof(sys.id), cur.id);
    rc = kv_system_update(a.db, &sys, NULL, &err); /* "cli" (main) */
    if (rc == 0)
        rc = kv_system_get(a.db, cur.id, &sys, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json)
            kv__admin_print_json(system_json(&sys));
        else
            print_system(&sys);
        status = KV_EXIT_OK;
    }
    kv__admin_close(&a);
    return status;
}

/* show / activate / deactivate ID */
static int system_one(int argc, char **argv, const char *cmd, const char *set_status)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_system sys;
    struct kv_system_health h;
    int64_t backlog = 0;
    int rc, status, recipient;

    rc = kv__admin_parse(&a, cmd, argc, argv, NULL, 1, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (a.npos != 1)
        return kv__admin_usage(&a, "give the system's id");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    if (set_status && strcmp(set_status, "active") == 0)
        rc = kv_system_activate(a.db, a.pos[0], kv_clock_now_ms(), &backlog, &err);
    else if (set_status)
        rc = kv_system_deactivate(a.db, a.pos[0], kv_clock_now_ms(), &err);
    else
        rc = 0;
    if (rc == 0)
        rc = kv_system_get(a.db, a.pos[0], &sys, &err);
    recipient = rc == 0 && strcmp(sys.kind, "recipient") == 0;
    if (recipient)
        rc = kv_system_health_get(a.db, a.pos[0], &h, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json) {
            json_t *o = system_json(&sys);
            if (recipient)
                health_json(o, &h);
            if (set_status && strcmp(set_status, "active") == 0)
                json_object_set_new(o, "backlog", json_integer(backlog));
            kv__admin_print_json(o);
        } else {
            print_system(&sys);
            if (recipient)
                print_health(&h);
            if (set_status && strcmp(set_status, "active") == 0)
                printf("backlog:       %lld letter(s) due now\n", (long long)backlog);
        }
        status = KV_EXIT_OK;
    }
    kv__admin_close(&a);
    return status;
}

static int system_show(int argc, char **argv)
{
    return system_one(argc, argv, "system show", NULL);
}

static int system_deactivate(int argc, char **argv)
{
    return system_one(argc, argv, "system deactivate", "deactivated");
}

static int system_activate(int argc, char **argv)
{
    return system_one(argc, argv, "system activate", "active");
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {
        {"add", system_add},
        {"edit", system_edit},
        {"show", system_show},
        {"deactivate", system_deactivate},
        {"activate", system_activate},
        {"set-default", kv__cli_system_set_default},
        {"rotate-secret", kv__cli_system_rotate_secret},
    };

    return kv_cli_dispatch("system", argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage);
}

const struct kv_cli_cmd kv_cmd_system = {"system", "add and inspect sender/recipient systems",
                                         run};

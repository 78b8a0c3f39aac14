/* SPDX-License-Identifier: MIT
 *
 * cmd_system.c: `kuvert system add|show|deactivate|activate`. `system add` creates a sender
 * or recipient system for an organisation and prints its id and API token, the whole
 * credential (clients send `Authorization: Basic <token>`); the token is shown only here,
 * the hub keeps just a hash of its secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "hub/directory.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert system add --org CVR --kind sender|recipient --name NAME\n"
            "                         [--receipt-url URL] [--protocol pull|push] [--push-url URL]\n"
            "                         [--contact-email ADDR] [--default] [--data DIR] [--json]\n"
            "       kuvert system show ID [--data DIR] [--json]\n"
            "       kuvert system deactivate|activate ID [--data DIR] [--json]\n\n"
            "A sender system submits letters for its organisation; --receipt-url makes the hub\n"
            "push receipts there (otherwise they are pulled). A recipient system (--protocol\n"
            "pull|push, --push-url) receives letters for it; --default marks the organisation's\n"
            "default one. `add` prints the system's id and its API token, shown only once\n"
            "(--json: {\"id\": ..., \"token\": ...}).\n\n"
            "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
            "  --json       print one JSON object on stdout\n");
}

static int http_url(const char *u)
{
    return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

/* Copies src into a fixed field; 0 or -1 when it does not fit. */
static int put(char *dst, size_t n, const char *src)
{
    size_t l = src ? strlen(src) : 0;

    if (l >= n)
        return -1;
    if (l)
        memcpy(dst, src, l);
    dst[l] = '\0';
    return 0;
}

static json_t *system_json(const struct kv_system *s)
{
    char ts[32];

    kv__admin_time(s->created_ms, ts);
    return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:b,s:s,s:s}", "id", s->id, "org",
                     s->org_cvr, "kind", s->kind, "name", s->name, "receiptUrl",
                     s->receipt_url[0] ? s->receipt_url : NULL, "protocol",
                     s->protocol[0] ? s->protocol : NULL, "pushUrl",
                     s->push_url[0] ? s->push_url : NULL, "contactEmail",
                     s->contact_email[0] ? s->contact_email : NULL, "default", s->is_default,
                     "status", s->status, "created", ts);
}

static void print_system(const struct kv_system *s)
{
    char ts[32];

    kv__admin_time(s->created_ms, ts);
    printf("id:            %s\norg:           %s\nkind:          %s\nname:          %s\n", s->id,
           s->org_cvr, s->kind, s->name);
    if (s->receipt_url[0])
        printf("receipt-url:   %s\n", s->receipt_url);
    if (s->protocol[0])
        printf("protocol:      %s\n", s->protocol);
    if (s->push_url[0])
        printf("push-url:      %s\n", s->push_url);
    if (s->contact_email[0])
        printf("contact-email: %s\n", s->contact_email);
    if (s->is_default)
        printf("default:       yes\n");
    printf("status:        %s\ncreated:       %s\n", s->status, ts);
}

static int system_add(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_system sys;
    const char *org = NULL, *kind = NULL, *name = NULL, *rurl = NULL, *proto = NULL;
    const char *purl = NULL, *email = NULL;
    char *token = NULL;
    int is_default = 0, rc, status;
    const struct kv__admin_opt opts[] = {
        {"--org", &org, NULL},           {"--kind", &kind, NULL},
        {"--name", &name, NULL},         {"--receipt-url", &rurl, NULL},
        {"--protocol", &proto, NULL},    {"--push-url", &purl, NULL},
        {"--contact-email", &email, NULL}, {"--default", NULL, &is_default},
        {0}};

    rc = kv__admin_parse(&a, "system add", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (!org || !kind || !name)
        return kv__admin_usage(&a, "--org, --kind and --name are required");
    if (strcmp(kind, "sender") != 0 && strcmp(kind, "recipient") != 0)
        return kv__admin_usage(&a, "--kind must be sender or recipient");
    if (proto && strcmp(proto, "pull") != 0 && strcmp(proto, "push") != 0)
        return kv__admin_usage(&a, "--protocol must be pull or push");
    if ((rurl && !http_url(rurl)) || (purl && !http_url(purl)))
        return kv__admin_usage(&a, "URLs must start with http:// or https://");
    memset(&sys, 0, sizeof(sys));
    if (put(sys.org_cvr, sizeof(sys.org_cvr), org) < 0 || put(sys.kind, sizeof(sys.kind), kind) < 0 ||
        put(sys.name, sizeof(sys.name), name) < 0 ||
        put(sys.receipt_url, sizeof(sys.receipt_url), rurl) < 0 ||
        put(sys.protocol, sizeof(sys.protocol), proto) < 0 ||
        put(sys.push_url, sizeof(sys.push_url), purl) < 0 ||
        put(sys.contact_email, sizeof(sys.contact_email), email) < 0) {
        kv_cli_errorf(a.cmd, "a value is too long (or --org is not an 8-digit CVR)");
        return KV_EXIT_FAIL;
    }
    sys.is_default = is_default;
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

/* show / activate / deactivate ID */
static int system_one(int argc, char **argv, const char *cmd, const char *set_status)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_system sys;
    int rc, status;

    rc = kv__admin_parse(&a, cmd, argc, argv, NULL, 1, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (a.npos != 1)
        return kv__admin_usage(&a, "give the system's id");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = set_status ? kv_system_set_status(a.db, a.pos[0], set_status, &err) : 0;
    if (rc == 0)
        rc = kv_system_get(a.db, a.pos[0], &sys, &err);
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

static int run(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return KV_EXIT_USAGE;
    }
    if (kv_cli_is_help(argv[1])) {
        usage(stdout);
        return KV_EXIT_OK;
    }
    if (strcmp(argv[1], "add") == 0)
        return system_add(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return system_one(argc - 1, argv + 1, "system show", NULL);
    if (strcmp(argv[1], "deactivate") == 0)
        return system_one(argc - 1, argv + 1, "system deactivate", "deactivated");
    if (strcmp(argv[1], "activate") == 0)
        return system_one(argc - 1, argv + 1, "system activate", "active");
    kv_cli_errorf("system", "unknown subcommand \"%s\" (see --help)", argv[1]);
    return KV_EXIT_USAGE;
}

const struct kv_cli_cmd kv_cmd_system = {"system", "add and inspect sender/recipient systems",
                                         run};

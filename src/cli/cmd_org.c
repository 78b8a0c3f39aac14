/* SPDX-License-Identifier: MIT
 *
 * cmd_org.c: `kuvert org add --cvr CVR --name NAME` (register an authority or company that
 * owns systems) and `kuvert org show CVR`. Works while the server runs.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "hub/directory.h"

#define COMMON "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n" \
               "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n" \
               "               none: SQLite DIR/kuvert.db)\n" \
               "  --json       print one JSON object on stdout\n"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert org add --cvr CVR --name NAME [--data DIR] [--json]\n"
               "       kuvert org show CVR|ID [--data DIR] [--json]\n\n"
               "Registers an organisation (authority or company, by its 8-digit CVR number)\n"
               "that can own sender and recipient systems. Each gets a stable UUID (its id, NgDP's\n"
               "organisationId), shown by both commands.\n\n" COMMON);
}

static json_t *org_json(const struct kv_org *o)
{
    return json_pack("{s:s,s:s,s:s}", "id", o->id, "cvr", o->cvr, "name", o->name);
}

static int org_add(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_org org;
    const char *cvr = NULL, *name = NULL;
    const struct kv__admin_opt opts[] = {{"--cvr", &cvr, NULL}, {"--name", &name, NULL}, {0}};
    int rc, status;

    rc = kv__admin_parse(&a, "org add", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (!cvr || !name)
        return kv__admin_usage(&a, "--cvr and --name are required");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_org_add(a.db, cvr, name, &err);
    if (rc == 0)
        rc = kv_org_get(a.db, cvr, &org, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json)
            kv__admin_print_json(org_json(&org));
        else
            printf("created organisation %s (%s), id %s\n", org.cvr, org.name, org.id);
        status = KV_EXIT_OK;
    }
    kv__admin_close(&a);
    return status;
}

static int org_show(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_org org;
    int rc, status;

    rc = kv__admin_parse(&a, "org show", argc, argv, NULL, 1, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (a.npos != 1)
        return kv__admin_usage(&a, "give the organisation's CVR or id");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_org_resolve(a.db, a.pos[0], &org, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json)
            kv__admin_print_json(org_json(&org));
        else
            printf("id:   %s\ncvr:  %s\nname: %s\n", org.id, org.cvr, org.name);
        status = KV_EXIT_OK;
    }
    kv__admin_close(&a);
    return status;
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {{"add", org_add}, {"show", org_show}};

    return kv_cli_dispatch("org", argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage);
}

const struct kv_cli_cmd kv_cmd_org = {"org", "register organisations (authorities, companies)",
                                      run};

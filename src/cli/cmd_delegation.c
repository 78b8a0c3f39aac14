/* SPDX-License-Identifier: MIT
 *
 * cmd_delegation.c: `kuvert delegation add|remove|list`, the record of which organisation may
 * send letters in whose name (hub/delegation.h). `add --org B --delegate A` lets A's sender
 * systems send letters whose Sender is B when they name A as Sender/Representative (MeMo
 * 1.2); without it such letters are refused. Works while the server runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "hub/delegation.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert delegation add --org CVR --delegate CVR [--data DIR] [--json]\n"
            "       kuvert delegation remove --org CVR --delegate CVR [--data DIR] [--json]\n"
            "       kuvert delegation list [--org CVR] [--delegate CVR] [--data DIR] [--json]\n\n"
            "A sender system sends letters in its own organisation's name. `add` lets the\n"
            "systems of organisation --delegate (e.g. a vendor or a joint service) send letters\n"
            "in the name of organisation --org as well: MeMo 1.2 letters whose Sender/senderID\n"
            "is --org and whose Sender/Representative/representativeID is --delegate. Every\n"
            "other letter in another organisation's name is refused (403 SENDER_NOT_ALLOWED).\n"
            "`remove` ends it (letters already sent stay); `list` shows the delegations given\n"
            "by --org and/or to --delegate (all without either).\n\n"
            "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
            "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
            "               none: SQLite DIR/kuvert.db)\n"
            "  --json       print one JSON object on stdout\n");
}

static json_t *delegation_json(const struct kv_delegation *d)
{
    char when[32];

    kv__admin_time(d->created_ms, when);
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "org", d->org_cvr, "orgName", d->org_name, "delegate",
                     d->delegate_cvr, "delegateName", d->delegate_name, "createdAt", when);
}

/* add (remove = 0) or remove (remove = 1). */
static int change(int argc, char **argv, int remove)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_delegation d;
    const char *org = NULL, *delegate = NULL;
    const struct kv__admin_opt opts[] = {
        {"--org", &org, NULL}, {"--delegate", &delegate, NULL}, {0}};
    int rc, status;

    rc = kv__admin_parse(&a, remove ? "delegation remove" : "delegation add", argc, argv, opts, 0,
                         usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (!org || !delegate)
        return kv__admin_usage(&a, "--org and --delegate are required");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = remove ? kv_delegation_remove(a.db, org, delegate, &err)
                : kv_delegation_add(a.db, org, delegate, &d, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json && remove)
            kv__admin_print_json(
                json_pack("{s:s,s:s,s:b}", "org", org, "delegate", delegate, "removed", 1));
        else if (a.json)
            kv__admin_print_json(delegation_json(&d));
        else if (remove)
            printf("%s no longer sends in the name of %s\n", delegate, org);
        else
            printf("%s (%s) may now send in the name of %s (%s)\n", d.delegate_cvr, d.delegate_name,
                   d.org_cvr, d.org_name);
        status = KV_EXIT_OK;
    }
    kv__admin_close(&a);
    return status;
}

static int list(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_delegation *v = NULL;
    const char *org = NULL, *delegate = NULL;
    const struct kv__admin_opt opts[] = {
        {"--org", &org, NULL}, {"--delegate", &delegate, NULL}, {0}};
    size_t n = 0, i;
    int rc, status;

    rc = kv__admin_parse(&a, "delegation list", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_delegation_list(a.db, org, delegate, &v, &n, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else if (a.json) {
        json_t *items = json_array();
        for (i = 0; i < n; i++)
            json_array_append_new(items, delegation_json(&v[i]));
        kv__admin_print_json(json_pack("{s:o}", "items", items));
        status = KV_EXIT_OK;
    } else {
        for (i = 0; i < n; i++)
            printf("%s (%s) sends in the name of %s (%s)\n", v[i].delegate_cvr, v[i].delegate_name,
                   v[i].org_cvr, v[i].org_name);
        status = KV_EXIT_OK;
    }
    free(v);
    kv__admin_close(&a);
    return status;
}

static int add(int argc, char **argv)
{
    return change(argc, argv, 0);
}

static int remove_one(int argc, char **argv)
{
    return change(argc, argv, 1);
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {
        {"add", add}, {"remove", remove_one}, {"list", list}};

    return kv_cli_dispatch("delegation", argc, argv, subs, sizeof(subs) / sizeof(subs[0]),
                           usage);
}

const struct kv_cli_cmd kv_cmd_delegation = {
    "delegation", "record which organisation may send letters in whose name", run};

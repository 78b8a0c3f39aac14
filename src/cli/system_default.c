/* SPDX-License-Identifier: MIT
 *
 * system_default.c: `kuvert system set-default ID`, which makes a recipient system its
 * organisation's default recipient system after creation (the one letters go to when they
 * name no usable contact point; docs/recipient-side.md, "Routing"). The switch is one
 * transaction (kv_system_set_default): the former default loses the flag as this one gets it,
 * so an organisation never has two defaults and never none in between, and the event
 * SYSTEM_DEFAULT_CHANGED is logged. Running it on the default again changes nothing.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "cli/system_cmds.h"
#include "hub/directory.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert system set-default ID [--data DIR] [--json]\n\n"
            "Makes recipient system ID its organisation's default recipient system: letters\n"
            "to the organisation that name no usable contact point go to it. The former\n"
            "default stops being the default in the same transaction. A sender system cannot\n"
            "be the default (exit status 1).\n\n"
            "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
            "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
            "               none: SQLite DIR/kuvert.db)\n"
            "  --json       print {\"id\", \"org\", \"name\", \"default\": true, "
            "\"previousDefault\"}\n");
}

int kv__cli_system_set_default(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_system sys;
    char prev[37] = "", id[37];
    size_t i;
    int rc, status;

    rc = kv__admin_parse(&a, "system set-default", argc, argv, NULL, 1, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (a.npos != 1)
        return kv__admin_usage(&a, "give the recipient system's id");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    /* Ids are lower-case UUIDs; one written in upper case names the same system. */
    for (i = 0; a.pos[0][i] && i < sizeof(id) - 1; i++)
        id[i] = (char)(a.pos[0][i] >= 'A' && a.pos[0][i] <= 'Z' ? a.pos[0][i] - 'A' + 'a'
                                                               : a.pos[0][i]);
    id[i] = '\0';
    if (a.pos[0][i])
        rc = kv_err_set(&err, KV_ENOTFOUND, "no system with id %.40s", a.pos[0]);
    else
        rc = kv_system_set_default(a.db, id, prev, &err);
    if (rc == 0)
        rc = kv_system_get(a.db, id, &sys, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json)
            kv__admin_print_json(json_pack("{s:s,s:s,s:s,s:b,s:s?}", "id", sys.id, "org",
                                           sys.org_cvr, "name", sys.name, "default",
                                           sys.is_default, "previousDefault",
                                           prev[0] ? prev : NULL));
        else
            printf("default:       %s (%s, organisation %s)\nprevious:      %s\n", sys.id,
                   sys.name, sys.org_cvr, prev[0] ? prev : "none");
        status = KV_EXIT_OK;
    }
    kv__admin_close(&a);
    return status;
}

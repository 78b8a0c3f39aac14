/* SPDX-License-Identifier: MIT
 *
 * system_secret.c: `kuvert system rotate-secret ID`, which gives a sender or recipient system a
 * new API secret (kv_system_rotate_secret; NgDP's "renew API token"). The old token stops
 * working at once; the new one is printed here only (the hub keeps the SHA-256 of its secret)
 * and SYSTEM_SECRET_ROTATED is logged. The system keeps its id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "cli/system_cmds.h"
#include "hub/directory.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert system rotate-secret ID [--data DIR] [--json]\n\n"
               "Gives system ID a new API secret and prints its new API token, shown only here.\n"
               "The old token is refused (401) from this moment: configure the new one in the\n"
               "system first-thing. The system keeps its id.\n\n"
               "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
               "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
               "               none: SQLite DIR/kuvert.db)\n"
               "  --json       print {\"id\", \"token\"}\n");
}

int kv__cli_system_rotate_secret(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    char id[37], *token = NULL;
    size_t i;
    int rc, status;

    rc = kv__admin_parse(&a, "system rotate-secret", argc, argv, NULL, 1, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (a.npos != 1)
        return kv__admin_usage(&a, "give the system's id");
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
        rc = kv_system_rotate_secret(a.db, id, &token, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json)
            kv__admin_print_json(json_pack("{s:s,s:s}", "id", id, "token", token));
        else
            printf("id:    %s\ntoken: %s\n", id, token);
        status = KV_EXIT_OK;
    }
    if (token)
        memset(token, 0, strlen(token));
    free(token);
    kv__admin_close(&a);
    return status;
}

/* SPDX-License-Identifier: MIT
 *
 * cmd_user.c: `kuvert user token --cpr CPR | --cvr CVR` issues a bearer token with which the
 * owner of a mailbox reads it through the mailbox API (`Authorization: Bearer <token>`). A
 * stand-in for MitID until real login exists; the token is shown once, only its hash is kept.
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
    fprintf(f, "usage: kuvert user token (--cpr CPR | --cvr CVR) [--data DIR] [--json]\n\n"
               "Prints a new bearer token for the owner of an existing mailbox, for\n"
               "`Authorization: Bearer <token>` on /api/mailbox/... (--json: {\"token\": ...}).\n\n"
               "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
               "  --json       print one JSON object on stdout\n");
}

static int user_token(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *cpr = NULL, *cvr = NULL, *type, *id;
    const struct kv__admin_opt opts[] = {{"--cpr", &cpr, NULL}, {"--cvr", &cvr, NULL}, {0}};
    char *token = NULL;
    int rc, status;

    rc = kv__admin_parse(&a, "user token", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_owner(&a, cpr, cvr, &type, &id) < 0)
        return KV_EXIT_USAGE;
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_user_token_new(a.db, type, id, &token, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json)
            kv__admin_print_json(json_pack("{s:s,s:s,s:s}", "token", token, "ownerType", type,
                                           "ownerId", id));
        else
            printf("%s\n", token);
        status = KV_EXIT_OK;
    }
    free(token);
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
    if (strcmp(argv[1], "token") == 0)
        return user_token(argc - 1, argv + 1);
    kv_cli_errorf("user", "unknown subcommand \"%s\" (see --help)", argv[1]);
    return KV_EXIT_USAGE;
}

const struct kv_cli_cmd kv_cmd_user = {"user", "issue bearer tokens for mailbox owners", run};

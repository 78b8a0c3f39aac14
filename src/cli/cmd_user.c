/* SPDX-License-Identifier: MIT
 *
 * cmd_user.c: `kuvert user ...`. `user token` (issue, list, revoke a mailbox owner's bearer
 * tokens, a stand-in for MitID until real sign-in exists) lives in user_token.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/user_cmds.h"
#include "cli/user_rights.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert user token (--cpr CPR | --cvr CVR) [--ttl DURATION] [--keep-others]\n"
               "       kuvert user token list|revoke ...   (see kuvert user token --help)\n\n"
               "Bearer tokens with which the owner of a mailbox reads it through the mailbox\n"
               "API (`Authorization: Bearer <token>`).\n");
}

static int run(int argc, char **argv)
{
    int rc;

    if (argc < 2) {
        usage(stderr);
        return KV_EXIT_USAGE;
    }
    if (kv_cli_is_help(argv[1])) {
        usage(stdout);
        kv__user_rights_usage(stdout);
        return KV_EXIT_OK;
    }
    if (strcmp(argv[1], "token") == 0)
        return kv__cli_user_token(argc - 1, argv + 1);
    rc = kv__user_rights_run(argv[1], argc - 1, argv + 1); /* add, grant, revoke, list, ... */
    if (rc >= 0)
        return rc;
    kv_cli_errorf("user", "unknown subcommand \"%s\" (see --help)", argv[1]);
    return KV_EXIT_USAGE;
}

const struct kv_cli_cmd kv_cmd_user = {"user",
                                       "employees and their rights; mailbox owners' bearer tokens",
                                       run};

/* SPDX-License-Identifier: MIT
 *
 * cmd_user.c: `kuvert user ...`. `user token` (issue, list, revoke a mailbox owner's bearer
 * tokens, a stand-in for MitID until real sign-in exists) lives in user_token.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/user_cmds.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert user token (--cpr CPR | --cvr CVR) [--ttl DURATION] [--keep-others]\n"
               "       kuvert user token list|revoke ...   (see kuvert user token --help)\n\n"
               "Bearer tokens with which the owner of a mailbox reads it through the mailbox\n"
               "API (`Authorization: Bearer <token>`).\n");
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
        return kv__cli_user_token(argc - 1, argv + 1);
    kv_cli_errorf("user", "unknown subcommand \"%s\" (see --help)", argv[1]);
    return KV_EXIT_USAGE;
}

const struct kv_cli_cmd kv_cmd_user = {"user",
                                       "issue, list and revoke mailbox owners' bearer tokens", run};

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

static void usage_all(FILE *f)
{
    usage(f);
    if (f == stdout)
        kv__user_rights_usage(f);
}

static int run(int argc, char **argv)
{
    struct kv_cli_sub subs[1 + KV__USER_RIGHTS_SUBS];

    subs[0].name = "token";
    subs[0].run = kv__cli_user_token;
    memcpy(subs + 1, kv__user_rights_subs, sizeof(kv__user_rights_subs));
    return kv_cli_dispatch("user", argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage_all);
}

const struct kv_cli_cmd kv_cmd_user = {"user",
                                       "employees and their rights; mailbox owners' bearer tokens",
                                       run};

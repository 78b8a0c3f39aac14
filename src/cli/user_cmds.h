/* SPDX-License-Identifier: MIT
 *
 * user_cmds.h: subcommands of `kuvert user` that live in files of their own (as
 * system_cmds.h); cmd_user.c dispatches to them. Each entry point gets argv starting at the
 * subcommand word and returns the process exit status of cli/cli.h. All arguments are
 * borrowed.
 */
#ifndef KV_CLI_USER_CMDS_H
#define KV_CLI_USER_CMDS_H

/* `user token [list|revoke] ...`: mailbox owners' bearer tokens (user_token.c). */
int kv__cli_user_token(int argc, char **argv);

#endif

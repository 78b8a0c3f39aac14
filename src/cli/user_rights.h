/* SPDX-License-Identifier: MIT
 *
 * user_rights.h: the employee and rights subcommands of `kuvert user` (user_rights.c):
 * add, grant, revoke, list, deactivate, reactivate. cmd_user.c dispatches to them.
 */
#ifndef KV_CLI_USER_RIGHTS_H
#define KV_CLI_USER_RIGHTS_H

#include <stdio.h>

/* Runs subcommand sub with argv[0] == sub; returns the exit status, or -1 when sub is not one
 * of these subcommands. */
int kv__user_rights_run(const char *sub, int argc, char **argv);
/* Prints their usage. */
void kv__user_rights_usage(FILE *f);

#endif

/* SPDX-License-Identifier: MIT
 *
 * user_rights.h: the employee and rights subcommands of `kuvert user` (user_rights.c):
 * add, grant, revoke, list, deactivate, reactivate. cmd_user.c dispatches to them.
 */
#ifndef KV_CLI_USER_RIGHTS_H
#define KV_CLI_USER_RIGHTS_H

#include <stdio.h>

#include "cli/cli.h"

#define KV__USER_RIGHTS_SUBS 6 /* entries of kv__user_rights_subs */

/* The subcommands, for kv_cli_dispatch (static table). */
extern const struct kv_cli_sub kv__user_rights_subs[KV__USER_RIGHTS_SUBS];
/* Prints their usage. */
void kv__user_rights_usage(FILE *f);

#endif

/* SPDX-License-Identifier: MIT
 *
 * system_cmds.h: subcommands of `kuvert system` that live in files of their own (one file
 * each, like memo_cmds.h); cmd_system.c dispatches to them. Each entry point gets argv
 * starting at the subcommand word and returns the process exit status of cli/cli.h. All
 * arguments are borrowed.
 */
#ifndef KV_CLI_SYSTEM_CMDS_H
#define KV_CLI_SYSTEM_CMDS_H

int kv__cli_system_set_default(int argc, char **argv);   /* system_default.c */
int kv__cli_system_rotate_secret(int argc, char **argv); /* system_secret.c */

#endif

/* SPDX-License-Identifier: MIT
 *
 * main.c: the `kuvert` binary. Dispatches `kuvert <command> ...` to the command descriptors
 * listed below; each command is implemented in its own file under src/cli/.
 */
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "cli/cli.h"
#include "hub/event_actor.h"

static const struct kv_cli_cmd *const commands[] = {
    &kv_cmd_memo,
    &kv_cmd_serve,
    &kv_cmd_config,
    &kv_cmd_org,
    &kv_cmd_system,
    &kv_cmd_contact_point,
    &kv_cmd_mailbox,
    &kv_cmd_nemsms,
    &kv_cmd_user,
    &kv_cmd_delegation,
    &kv_cmd_events,
    &kv_cmd_print,
    &kv_cmd_demo,
};

static void usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: kuvert <command> [options]\n\n"
               "kuvert is an open implementation of Danish Digital Post (NgDP).\n\ncommands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nRun `kuvert <command> --help` for the options of a command.\n");
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return KV_EXIT_USAGE;
    }
    if (kv_cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return KV_EXIT_OK;
    }
    if (strcmp(argv[1], "serve") != 0)
        kv_event_actor_set("cli"); /* a command's directory events (hub/event_actor.h) */
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i]->name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    kv_cli_errorf(argv[1], "unknown command (see kuvert --help)");
    return KV_EXIT_USAGE;
}

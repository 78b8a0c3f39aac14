/* SPDX-License-Identifier: MIT
 *
 * cmd_memo.c: the `kuvert memo` command: dispatches to its subcommands (validate, show, new,
 * upgrade; one file each, see memo_cmds.h) and initialises libmemo once around them.
 */
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "cli/cli.h"
#include "cli/memo_cmds.h"
#include "memo/memo.h"

struct memo_sub {
    const char *name;                  /* subcommand word */
    const char *summary;               /* one line for `kuvert memo --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand word */
};

static const struct memo_sub subs[] = {
    {"validate", "check MeMo files (well-formedness, XSD, NgDP rules)", kv__cli_memo_validate},
    {"show", "print a readable summary of a MeMo letter", kv__cli_memo_show},
    {"new", "build a valid MeMo letter from options and write it to stdout", kv__cli_memo_new},
    {"upgrade", "rewrite a MeMo letter as MeMo 1.2 on stdout", kv__cli_memo_upgrade},
    {"recall", "recall a letter before its value date", kv__cli_memo_recall},
};

static void usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: kuvert memo <subcommand> [options]\n\n"
               "Work with MeMo letters (namespace https://DigitalPost.dk/MeMo-1, versions 1.1 "
               "and 1.2).\n\nsubcommands:\n");
    for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
        fprintf(f, "  %-10s %s\n", subs[i].name, subs[i].summary);
    fprintf(f, "\nRun `kuvert memo <subcommand> --help` for the options of a subcommand.\n");
}

static int run(int argc, char **argv)
{
    struct kv_cli_sub table[sizeof(subs) / sizeof(subs[0])];
    struct kv_err err = {0};
    size_t i;
    int status;

    for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        table[i].name = subs[i].name;
        table[i].run = subs[i].run;
    }
    if (argc < 2 || kv_cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0)
        return kv_cli_dispatch("memo", argc, argv, table, i, usage); /* usage only */
    if (kv_memo_global_init(&err) < 0) {
        kv_cli_errorf("memo", "cannot initialise the MeMo checker: %s", err.msg);
        return KV_EXIT_USAGE;
    }
    status = kv_cli_dispatch("memo", argc, argv, table, i, usage);
    kv_memo_global_cleanup();
    return status;
}

const struct kv_cli_cmd kv_cmd_memo = {"memo", "validate, show, build and upgrade MeMo letters",
                                       run};

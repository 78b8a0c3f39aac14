/* SPDX-License-Identifier: MIT
 * cmd_memo.c: placeholder so the binary links; replaced by the CLI work in progress.
 */
#include "util/err.h"
#include "cli/cli.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return KV_EXIT_USAGE;
}

const struct kv_cli_cmd kv_cmd_memo = {"memo", "validate, show, build and upgrade MeMo letters", run};

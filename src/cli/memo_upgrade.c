/* SPDX-License-Identifier: MIT
 *
 * memo_upgrade.c: `kuvert memo upgrade FILE`: writes the same letter as MeMo 1.2 to stdout
 * (memoVersion 1.2, memoSchVersion dropped, canonical XML from kv_memo_write). A letter that
 * is already 1.2 is written back canonical. The input must pass `kuvert memo validate`; an
 * invalid one gets its problems on stderr and exit status 1. The output is checked again
 * before it is written, so it always validates as 1.2.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "cli/cli.h"
#include "cli/memo_cmds.h"
#include "memo/memo.h"
#include "memo/model.h"
#include "util/buf.h"

#define CMD "memo upgrade"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert memo upgrade FILE | -\n\n"
               "Writes the letter in FILE as MeMo 1.2 (canonical XML) to stdout; a 1.2 letter\n"
               "is written back canonical. The letter must be valid: problems are printed to\n"
               "stderr in the `kuvert memo validate` format and the exit status is 1.\n\n"
               "options:\n"
               "  -h, --help   show this help\n");
}

/* Upgrades msg, writes it into xml and re-checks it. Returns the exit status. */
static int convert(const char *path, struct kv_memo_message *msg, struct kv_buf *xml)
{
    struct kv_memo_diags d;
    struct kv_err err = {0};
    int status = KV_EXIT_FAIL;

    kv_memo_diags_init(&d);
    if (kv_memo_upgrade(msg, &err) < 0) {
        kv_cli_errorf(CMD, "%s: cannot upgrade: %s", path, err.msg);
        goto out;
    }
    if (kv_memo_write(msg, 0, xml, &err) < 0) {
        kv_cli_errorf(CMD, "%s: cannot write the upgraded letter: %s", path, err.msg);
        goto out;
    }
    if (kv_memo_check(xml->buf, xml->len, KV_MEMO_LEVEL_NGDP, NULL, &d, NULL, &err) < 0) {
        kv_cli_errorf(CMD, "%s: cannot check the upgraded letter: %s", path, err.msg);
        status = KV_EXIT_USAGE;
        goto out;
    }
    if (d.n_errors > 0) {
        kv__cli_memo_print_diags(stderr, "(upgraded letter)", &d);
        kv_cli_errorf(CMD, "%s: the upgraded letter would not be valid; nothing written", path);
        goto out;
    }
    status = KV_EXIT_OK;
out:
    kv_memo_diags_release(&d);
    return status;
}

int kv__cli_memo_upgrade(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_memo_message *msg = NULL;
    struct kv_err err = {0};
    struct kv_buf xml;
    const char *path;
    char *buf = NULL;
    size_t len = 0;
    int c, status = KV_EXIT_USAGE;

    kv_memo_diags_init(&d);
    kv_buf_init(&xml, KV_MEMO_DEFAULT_MAX_BYTES);
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            status = KV_EXIT_OK;
        } else {
            kv__cli_memo_bad_option(CMD, c, argv);
        }
        goto out;
    }
    if (argc - optind != 1) {
        kv_cli_errorf(CMD, "expected exactly one FILE (use - for standard input)");
        usage(stderr);
        goto out;
    }
    path = argv[optind];
    if (kv__cli_memo_load(CMD, path, KV_MEMO_LEVEL_NGDP, &d, &buf, &len, &doc) < 0)
        goto out;
    kv__cli_memo_print_diags(stderr, path, &d);
    if (d.n_errors > 0 || !doc) {
        status = KV_EXIT_FAIL;
        goto out;
    }
    if (kv_memo_read(doc, 0, &msg, &err) < 0) {
        kv_cli_errorf(CMD, "%s: cannot read the letter: %s", path, err.msg);
        status = KV_EXIT_FAIL;
        goto out;
    }
    /* The tree and the source are no longer needed: free them before the output grows. */
    kv_memo_doc_free(doc);
    doc = NULL;
    free(buf);
    buf = NULL;
    status = convert(path, msg, &xml);
    if (status != KV_EXIT_OK)
        goto out;
    if (fwrite(xml.buf, 1, xml.len, stdout) != xml.len || fflush(stdout) != 0) {
        kv_cli_errorf(CMD, "cannot write to standard output");
        status = KV_EXIT_USAGE;
    }
out:
    kv_buf_release(&xml);
    kv_memo_message_free(msg);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);
    free(buf);
    return status;
}

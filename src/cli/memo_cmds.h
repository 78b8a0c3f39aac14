/* SPDX-License-Identifier: MIT
 *
 * memo_cmds.h: the subcommands of `kuvert memo` (one file each: memo_validate.c, memo_show.c,
 * memo_new.c, memo_upgrade.c) and the few helpers they share. Each entry point gets argv
 * starting at the subcommand word ("validate", ...) and returns the process exit status
 * (KV_EXIT_OK, KV_EXIT_FAIL, KV_EXIT_USAGE from cli/cli.h). All arguments are borrowed.
 */
#ifndef KV_CLI_MEMO_CMDS_H
#define KV_CLI_MEMO_CMDS_H

#include <stdio.h>

#include "memo/diag.h"
#include "memo/memo.h"

int kv__cli_memo_validate(int argc, char **argv);
int kv__cli_memo_show(int argc, char **argv);
int kv__cli_memo_new(int argc, char **argv);
int kv__cli_memo_upgrade(int argc, char **argv);
int kv__cli_memo_recall(int argc, char **argv); /* memo_recall.c (send pipeline) */

/* Writes s[0..len) (UTF-8, borrowed) to f with control characters (C0, DEL and the C1 range
 * U+0080..U+009F, which holds the 8-bit CSI) replaced by '?', so text taken from a letter
 * stays on one line and cannot drive the terminal. */
void kv__cli_memo_put_clean(FILE *f, const char *s, size_t len);

/* Prints every stored diagnostic of d to f in the validate text format, one line each:
 * "NAME:LINE:COL: RULE: message" for errors and "NAME:LINE:COL: warning: RULE: message" for
 * warnings, then a note when some were dropped. Sorts d first. Borrows name and d. */
void kv__cli_memo_print_diags(FILE *f, const char *name, struct kv_memo_diags *d);

/* Reports a getopt_long failure (c is ':' for a missing value, '?' for an unknown option) as
 * "kuvert: CMD: unknown option: --foo (see kuvert CMD --help)" on stderr. Call right after
 * getopt_long returned c, with opterr = 0 and ":" leading the short-option string. */
void kv__cli_memo_bad_option(const char *cmd, int c, char **argv);

/* Reads path ("-" for stdin) bounded by KV_MEMO_DEFAULT_MAX_BYTES and runs kv_memo_check at
 * level into diags (caller-initialised). An input over the size
 * bound is reported as an XML-SIZE error in diags, not as an I/O error.
 * On success returns 0 and *out_buf (owned, free with free()) holds the bytes; *out_doc (if
 * out_doc is non-NULL) receives the parsed document when it was well-formed (owned, free with
 * kv_memo_doc_free; it borrows *out_buf, so free the doc first). Returns KV_EIO after printing
 * "kuvert: memo <cmd>: <why>" to stderr when the file cannot be read or the check cannot run. */
int kv__cli_memo_load(const char *cmd, const char *path, enum kv_memo_level level,
                      struct kv_memo_diags *diags, char **out_buf, size_t *out_len,
                      struct kv_memo_doc **out_doc);

#endif

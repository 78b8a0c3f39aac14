/* SPDX-License-Identifier: MIT
 *
 * cli.h: the `kuvert` command dispatcher. Each top-level command lives in its own file
 * (src/cli/cmd_<name>.c) and exports one descriptor. Handlers get argv starting at the
 * command name and return the process exit status: 0 success, 1 failure (or "invalid" for
 * validators), 2 usage or I/O error. Errors go to stderr as "kuvert: <command>: <message>".
 */
#ifndef KV_CLI_CLI_H
#define KV_CLI_CLI_H

#include <stdio.h>

struct kv_err; /* util/err.h */

#define KV_EXIT_OK 0
#define KV_EXIT_FAIL 1
#define KV_EXIT_USAGE 2

struct kv_cli_cmd {
    const char *name;                     /* command word, e.g. "memo" */
    const char *summary;                  /* one line for `kuvert --help` */
    int (*run)(int argc, char **argv);    /* argv[0] is the command name */
};

/* A sub-command: `kuvert <command> <name> ...`. */
struct kv_cli_sub {
    const char *name;                  /* sub-command word, e.g. "add" */
    int (*run)(int argc, char **argv); /* argv[0] is the sub-command word */
};

/* The one sub-command dispatcher: runs the entry of subs[0..n) named by argv[1] with argv
 * shifted by one. No word: usage to stderr, exit 2; -h, --help or "help": usage to stdout,
 * exit 0; an unknown word: "kuvert: <cmd>: unknown subcommand" on stderr, exit 2. */
int kv_cli_dispatch(const char *cmd, int argc, char **argv, const struct kv_cli_sub *subs,
                    size_t n, void (*usage)(FILE *f));

/* Prints "kuvert: <cmd>: <message>\n" to stderr. */
void kv_cli_errorf(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns 1 when arg is -h or --help. */
int kv_cli_is_help(const char *arg);

/* Reads a whole file (or stdin for "-") into an owned buffer, refusing more than max bytes.
 * Returns 0, KV_ETOOBIG or KV_EIO; *out is NUL-terminated (free with free()). */
int kv_cli_read_file(const char *path, size_t max, char **out, size_t *out_len, struct kv_err *err);

extern const struct kv_cli_cmd kv_cmd_memo;
extern const struct kv_cli_cmd kv_cmd_serve;
extern const struct kv_cli_cmd kv_cmd_config;
extern const struct kv_cli_cmd kv_cmd_org;
extern const struct kv_cli_cmd kv_cmd_system;
extern const struct kv_cli_cmd kv_cmd_contact_point;
extern const struct kv_cli_cmd kv_cmd_mailbox;
extern const struct kv_cli_cmd kv_cmd_nemsms;
extern const struct kv_cli_cmd kv_cmd_user;
extern const struct kv_cli_cmd kv_cmd_delegation;
extern const struct kv_cli_cmd kv_cmd_events;
extern const struct kv_cli_cmd kv_cmd_print;
extern const struct kv_cli_cmd kv_cmd_demo;

#endif

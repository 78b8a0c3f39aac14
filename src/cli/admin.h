/* SPDX-License-Identifier: MIT
 *
 * admin.h: what the administrative commands (org, system, mailbox, user, events, demo) share:
 * option parsing with the common --data/--config/--json/--help flags, opening the store of the
 * configured data directory, JSON output and error reporting with the exit statuses of cli.h
 * (0 ok, 1 failure, 2 usage).
 *
 * Ownership: struct kv__admin borrows argv strings and owns its configuration, store and
 * connection until kv__admin_close.
 */
#ifndef KV_CLI_ADMIN_H
#define KV_CLI_ADMIN_H

#include <jansson.h>

#include "util/conf.h"
#include "util/err.h"

struct kv_store;
struct kv_db;

/* One command-specific option. */
struct kv__admin_opt {
    const char *name;  /* "--cvr" */
    const char **val;  /* receives the argument (borrowed from argv); NULL for a switch */
    int *flag;         /* switch: set to 1 when present; NULL for an option with an argument */
};

struct kv__admin {
    const char *cmd;             /* "org add", for messages */
    struct kv_conf_flags flags;  /* --data, --config, --set ... */
    struct kv_conf *conf;        /* owned once loaded */
    struct kv_store *st;         /* owned once opened */
    struct kv_db *db;            /* borrowed from st while open */
    int json;                    /* --json */
    const char *pos[4];          /* positional arguments (borrowed) */
    int npos;                    /* how many */
};

/* Parses argv[1..argc) (argv[0] is the subcommand word). Positional arguments go to a->pos
 * (at most max_pos). Returns 0, 1 when --help was given (usage printed to stdout), or
 * KV_EUSAGE (message printed). */
int kv__admin_parse(struct kv__admin *a, const char *cmd, int argc, char **argv,
                    const struct kv__admin_opt *opts, int max_pos, void (*usage)(FILE *));
/* Loads the configuration, opens the store (migrations applied) and takes a connection. */
int kv__admin_open(struct kv__admin *a);
void kv__admin_close(struct kv__admin *a);

/* Prints err's message as "kuvert: <cmd>: ..." and returns the exit status for rc. */
int kv__admin_fail(const struct kv__admin *a, int rc, const struct kv_err *err);
/* Prints o (consumed) as one compact JSON line on stdout. */
void kv__admin_print_json(json_t *o);
/* Formats Unix ms as ISO-8601 UTC into a static-size buffer supplied by the caller (32). */
void kv__admin_time(int64_t ms, char out[32]);
/* Parses --cpr / --cvr (exactly one) into type and id; KV_EUSAGE with a message otherwise. */
int kv__admin_owner(const struct kv__admin *a, const char *cpr, const char *cvr,
                    const char **type, const char **id);
/* Prints msg as a usage error; returns KV_EXIT_USAGE. */
int kv__admin_usage(const struct kv__admin *a, const char *msg);

#endif

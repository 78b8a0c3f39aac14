/* SPDX-License-Identifier: MIT
 *
 * admin.c: shared plumbing of the administrative commands (see admin.h): one option parser
 * for "--opt VALUE" and "--opt=VALUE" on top of the configuration flags, store opening from
 * the merged configuration (flags > KUVERT_DATA > ./kuvert-data), and uniform errors.
 */
#include "cli/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/xmalloc.h"

int kv__admin_usage(const struct kv__admin *a, const char *msg)
{
    kv_cli_errorf(a->cmd, "%s (see --help)", msg);
    return KV_EXIT_USAGE;
}

/* Matches argv[*i] against opts; returns 1 when consumed, 0 when not an option of opts,
 * KV_EUSAGE on a missing argument. */
static int match_opt(struct kv__admin *a, const struct kv__admin_opt *opts, int argc, char **argv,
                     int *i)
{
    const char *arg = argv[*i];
    size_t n;

    for (; opts && opts->name; opts++) {
        n = strlen(opts->name);
        if (strncmp(arg, opts->name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
            continue;
        if (opts->flag) {
            if (arg[n] == '=') {
                kv__admin_usage(a, "a switch takes no value");
                return KV_EUSAGE;
            }
            *opts->flag = 1;
            (*i)++;
            return 1;
        }
        if (arg[n] == '=') {
            *opts->val = arg + n + 1;
            (*i)++;
            return 1;
        }
        if (*i + 1 >= argc) {
            kv_cli_errorf(a->cmd, "%s needs a value (see --help)", opts->name);
            return KV_EUSAGE;
        }
        *opts->val = argv[*i + 1];
        *i += 2;
        return 1;
    }
    return 0;
}

int kv__admin_parse(struct kv__admin *a, const char *cmd, int argc, char **argv,
                    const struct kv__admin_opt *opts, int max_pos, void (*usage)(FILE *))
{
    struct kv_err err = {0, ""};
    int i = 1, rc;

    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
    while (i < argc) {
        if (kv_cli_is_help(argv[i])) {
            usage(stdout);
            return 1;
        }
        if (strcmp(argv[i], "--json") == 0) {
            a->json = 1;
            i++;
            continue;
        }
        rc = match_opt(a, opts, argc, argv, &i);
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        rc = kv_conf_parse_flag(&a->flags, argc, argv, &i, &err);
        if (rc < 0) {
            kv_cli_errorf(cmd, "%s", err.msg);
            return KV_EUSAGE;
        }
        if (rc == 1)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            kv_cli_errorf(cmd, "unknown option \"%s\" (see --help)", argv[i]);
            return KV_EUSAGE;
        }
        if (a->npos >= max_pos) {
            kv_cli_errorf(cmd, "unexpected argument \"%s\" (see --help)", argv[i]);
            return KV_EUSAGE;
        }
        a->pos[a->npos++] = argv[i++];
    }
    return 0;
}

int kv__admin_open(struct kv__admin *a)
{
    struct kv_err err = {0, ""};
    int rc;

    a->conf = kv_xcalloc(1, sizeof(*a->conf));
    rc = kv_conf_load(a->conf, &a->flags, &err);
    if (rc == 0)
        rc = kv_store_open_db(a->conf->data, a->conf->db, &a->st, &err);
    if (rc == 0) /* agree with a --test-clock server on the same data about "now" */
        rc = kv_clock_load_offset(a->conf->data, NULL, &err);
    if (rc == 0)
        rc = kv_db_acquire(a->st, &a->db, &err);
    if (rc < 0)
        kv_cli_errorf(a->cmd, "%s", err.msg);
    return rc;
}

void kv__admin_close(struct kv__admin *a)
{
    if (a->db)
        kv_db_release(a->db);
    a->db = NULL;
    kv_store_close(a->st);
    a->st = NULL;
    free(a->conf);
    a->conf = NULL;
}

int kv__admin_fail(const struct kv__admin *a, int rc, const struct kv_err *err)
{
    kv_cli_errorf(a->cmd, "%s", err && err->msg[0] ? err->msg : kv_err_name(rc));
    return rc == KV_EUSAGE ? KV_EXIT_USAGE : KV_EXIT_FAIL;
}

void kv__admin_print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);

    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    json_decref(o);
}

void kv__admin_time(int64_t ms, char out[32])
{
    kv_clock_format_utc(ms, out, 32);
}

int kv__admin_owner(const struct kv__admin *a, const char *cpr, const char *cvr,
                    const char **type, const char **id)
{
    if ((cpr && cvr) || (!cpr && !cvr)) {
        kv__admin_usage(a, "give exactly one of --cpr CPR or --cvr CVR");
        return KV_EUSAGE;
    }
    *type = cpr ? "CPR" : "CVR";
    *id = cpr ? cpr : cvr;
    return 0;
}

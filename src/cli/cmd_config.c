/* SPDX-License-Identifier: MIT
 *
 * cmd_config.c: `kuvert config`: inspecting the configuration and the HTTP routes.
 *
 *   kuvert config show [--json | --markdown] [--data DIR] [--config FILE] [--set k=v] ...
 *       the merged configuration with the source of each value (default, file, env, flag);
 *       secrets redacted. --markdown prints the key reference table used in docs/config.md.
 *   kuvert config routes [--json]
 *       every route the server serves (method, pattern, metrics name, test-only flag); used by
 *       tests/it/test_openapi.py to compare with docs/openapi.yaml.
 *   kuvert config access [--json]
 *       the authorisation rule of every access key (identity/authz.h, docs/rights.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "api/api.h"
#include "identity/authz.h"
#include "util/conf.h"
#include "util/xmalloc.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert config show [--json | --markdown] [--data DIR] [--config FILE]\n"
               "                          [--set key=value ...]\n"
               "       kuvert config routes [--json]\n"
               "       kuvert config access [--json]\n");
}

static int show(int argc, char **argv)
{
    struct kv_conf_flags flags;
    struct kv_conf *conf = kv_xcalloc(1, sizeof(*conf));
    struct kv_err err = {0, ""};
    const char *fmt = "text";
    int i = 1, rc, status = KV_EXIT_USAGE;

    memset(&flags, 0, sizeof(flags));
    while (i < argc) {
        if (strcmp(argv[i], "--json") == 0) {
            fmt = "json";
            i++;
            continue;
        }
        if (strcmp(argv[i], "--markdown") == 0) {
            fmt = "markdown";
            i++;
            continue;
        }
        rc = kv_conf_parse_flag(&flags, argc, argv, &i, &err);
        if (rc < 0) {
            kv_cli_errorf("config", "%s", err.msg);
            goto out;
        }
        if (rc == 0) {
            kv_cli_errorf("config", "unknown argument \"%s\"", argv[i]);
            goto out;
        }
    }
    if (strcmp(fmt, "markdown") == 0) {
        kv_conf_init(conf); /* the reference shows defaults, not this machine's values */
    } else {
        rc = kv_conf_load(conf, &flags, &err);
        if (rc < 0) {
            kv_cli_errorf("config", "%s", err.msg);
            goto out;
        }
    }
    kv_conf_show(conf, stdout, fmt);
    status = KV_EXIT_OK;
out:
    free(conf);
    return status;
}

static int routes(int argc, char **argv)
{
    json_t *arr = json_array(), *root;
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    int t;
    char *text;

    if (argc > 2 || (argc == 2 && !json)) {
        usage(stderr);
        json_decref(arr);
        return KV_EXIT_USAGE;
    }
    for (t = 0; kv_api_route_tables[t]; t++) {
        const struct kv_http_route *r;
        for (r = kv_api_route_tables[t]; r->method; r++) {
            if (json)
                json_array_append_new(
                    arr, json_pack("{s:s,s:s,s:s,s:b,s:b,s:s?}", "method", r->method, "pattern",
                                   r->pattern, "name", r->name, "testOnly",
                                   (r->flags & KV_ROUTE_TEST_ONLY) != 0, "page",
                                   (r->flags & KV_ROUTE_PAGE) != 0, "access", r->access));
            else
                printf("%-7s %-48s %s%s%s\n", r->method, r->pattern, r->name,
                       (r->flags & KV_ROUTE_TEST_ONLY) ? " (test only)" : "",
                       (r->flags & KV_ROUTE_PAGE) ? " (web page)" : "");
        }
    }
    if (json) {
        root = json_pack("{s:o}", "routes", arr);
        text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", text ? text : "{}");
        free(text);
        json_decref(root);
    } else {
        json_decref(arr);
    }
    return KV_EXIT_OK;
}

/* `kuvert config access [--json]`: the authorisation rules behind the routes' access keys
 * (identity/authz.h). */
static int access_rules(int argc, char **argv)
{
    json_t *arr;
    size_t i, n;
    const struct kv_authz_rule *r = kv_authz_rules(&n);
    char *text;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0)) {
        usage(stderr);
        return KV_EXIT_USAGE;
    }
    if (argc == 2) {
        arr = kv_authz_rules_json();
        text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("{\"rules\":%s}\n", text ? text : "[]");
        free(text);
        json_decref(arr);
        return KV_EXIT_OK;
    }
    for (i = 0; i < n; i++)
        printf("%-18s %-34s %s\n", r[i].access,
               r[i].org_priv >= 0 ? kv_priv_table()[r[i].org_priv].code : "-", r[i].what);
    return KV_EXIT_OK;
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {
        {"show", show}, {"routes", routes}, {"access", access_rules}};

    return kv_cli_dispatch("config", argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage);
}

const struct kv_cli_cmd kv_cmd_config = {"config", "show the configuration and HTTP routes", run};

/* SPDX-License-Identifier: MIT
 *
 * cmd_nemsms.c: `kuvert nemsms subscribe|unsubscribe|show`: an operator's scripting of a
 * citizen's NemSMS subscription (notify/nemsms.h, docs/notifications.md). The number is taken
 * as given -- there is no PIN step from the shell -- and every change is an event with actor
 * "cli" (NEM_SMS_CREATED or NEM_SMS_UPDATED plus NEM_SMS_ACTIVATED; NEM_SMS_DELETED).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "notify/nemsms.h"
#include "util/clock.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert nemsms subscribe --cpr CPR --mobile NUMBER [--data DIR] [--json]\n"
            "       kuvert nemsms unsubscribe --cpr CPR [--data DIR] [--json]\n"
            "       kuvert nemsms show --cpr CPR [--data DIR] [--json]\n\n"
            "NemSMS: short messages from authorities to a citizen's mobile phone. NUMBER is a\n"
            "Danish mobile number without country code (8 digits, the first 2-9). The number is\n"
            "active at once (no PIN step from the shell); the change is logged with actor cli.\n\n"
            "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
            "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
            "               none: SQLite DIR/kuvert.db)\n"
            "  --json       print one JSON object on stdout\n");
}

static int nemsms_cmd(int argc, char **argv, const char *cmd, int op)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *cpr = NULL, *mobile = NULL;
    json_t *o = NULL;
    int rc, status;
    const struct kv__admin_opt sub_opts[] = {{"--cpr", &cpr, NULL}, {"--mobile", &mobile, NULL},
                                             {0}};
    const struct kv__admin_opt cpr_opts[] = {{"--cpr", &cpr, NULL}, {0}};

    rc = kv__admin_parse(&a, cmd, argc, argv, op == 's' ? sub_opts : cpr_opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (!cpr)
        return kv__admin_usage(&a, "--cpr CPR is required");
    if (op == 's' && !mobile)
        return kv__admin_usage(&a, "--mobile NUMBER is required");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    if (op == 's')
        rc = kv_nemsms_subscribe(a.db, cpr, mobile, 1, "cli", kv_clock_now_ms(), NULL, &err);
    else if (op == 'u')
        rc = kv_nemsms_unsubscribe(a.db, cpr, "cli", kv_clock_now_ms(), &err);
    else
        rc = 0;
    if (rc == 0)
        rc = kv_nemsms_json(a.db, cpr, &o, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        json_object_set_new(o, "cpr", json_string(cpr));
        if (a.json) {
            kv__admin_print_json(o);
            o = NULL;
        } else if (json_is_true(json_object_get(o, "subscribed"))) {
            printf("NemSMS of %s: %s\n", cpr,
                   json_string_value(json_object_get(o, "mobileNumber")));
        } else {
            printf("NemSMS of %s: not subscribed\n", cpr);
        }
        status = KV_EXIT_OK;
    }
    json_decref(o);
    kv__admin_close(&a);
    return status;
}

static int nemsms_subscribe(int argc, char **argv)
{
    return nemsms_cmd(argc, argv, "nemsms subscribe", 's');
}

static int nemsms_unsubscribe(int argc, char **argv)
{
    return nemsms_cmd(argc, argv, "nemsms unsubscribe", 'u');
}

static int nemsms_show(int argc, char **argv)
{
    return nemsms_cmd(argc, argv, "nemsms show", 'v');
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {{"subscribe", nemsms_subscribe},
                                             {"unsubscribe", nemsms_unsubscribe},
                                             {"show", nemsms_show}};

    return kv_cli_dispatch("nemsms", argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage);
}

const struct kv_cli_cmd kv_cmd_nemsms = {"nemsms", "subscribe and unsubscribe citizens' NemSMS",
                                         run};

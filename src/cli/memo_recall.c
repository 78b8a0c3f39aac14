/* SPDX-License-Identifier: MIT
 *
 * memo_recall.c: `kuvert memo recall [--data DIR] [--json] UUID`, the administrator's recall
 * of a letter before its value date (the same rule as POST /apis/v1/memos/{uuid}/recall, but
 * for any sending organisation; the events name "cli" as the actor). Works while the server
 * runs (the store waits for the write lock). Exit status: 0 recalled (or already recalled),
 * 1 not found / already published / not recallable, 2 usage or store error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/memo_cmds.h"
#include "hub/letters.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/xmalloc.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert memo recall [--data DIR] [--json] MESSAGE-UUID\n\n"
               "Recalls a letter whose value date (doNotDeliverUntilDate) has not yet come.\n"
               "Refused once the letter has been published to its recipient.\n\n"
               "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
               "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
               "               none: SQLite DIR/kuvert.db)\n"
               "  --json       print one JSON object on stdout\n");
}

static void print_result(int json, const char *uuid, int already, int64_t when)
{
    char ts[32];

    kv_clock_format_utc(when ? when : kv_clock_now_ms(), ts, sizeof(ts));
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:b,s:s}", "messageUUID", uuid, "state", "RECALLED",
                              "alreadyRecalled", already, "timeStamp", ts);
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else if (already) {
        printf("letter %s was already recalled\n", uuid);
    } else {
        printf("recalled letter %s at %s\n", uuid, ts);
    }
}

int kv__cli_memo_recall(int argc, char **argv)
{
    struct kv_conf_flags flags;
    struct kv_conf *conf = kv_xcalloc(1, sizeof(*conf));
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    const char *uuid = NULL;
    int64_t when = 0;
    int i = 1, rc, json = 0, already = 0, status = KV_EXIT_USAGE;

    memset(&flags, 0, sizeof(flags));
    while (i < argc) {
        if (kv_cli_is_help(argv[i])) {
            usage(stdout);
            status = KV_EXIT_OK;
            goto out;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
            i++;
            continue;
        }
        rc = kv_conf_parse_flag(&flags, argc, argv, &i, &err);
        if (rc < 0) {
            kv_cli_errorf("memo recall", "%s", err.msg);
            goto out;
        }
        if (rc == 1)
            continue;
        if (argv[i][0] == '-' || uuid) {
            kv_cli_errorf("memo recall", "unexpected argument \"%s\" (see --help)", argv[i]);
            goto out;
        }
        uuid = argv[i++];
    }
    if (!uuid) {
        usage(stderr);
        goto out;
    }
    rc = kv_conf_load(conf, &flags, &err);
    if (rc == 0)
        rc = kv_store_open_db(conf->data, conf->db, &st, &err);
    if (rc == 0)
        rc = kv_db_acquire(st, &db, &err);
    if (rc < 0) {
        kv_cli_errorf("memo recall", "%s", err.msg);
        goto out;
    }
    rc = kv_letter_recall(db, NULL, uuid, "cli", NULL, &when, &already, &err);
    if (rc == KV_ENOTFOUND || rc == KV_ECONFLICT || rc == KV_EPERM) {
        kv_cli_errorf("memo recall", "%s", err.msg);
        status = KV_EXIT_FAIL;
        goto out;
    }
    if (rc < 0) {
        kv_cli_errorf("memo recall", "%s", err.msg);
        goto out;
    }
    print_result(json, uuid, already, when);
    status = KV_EXIT_OK;
out:
    if (db)
        kv_db_release(db);
    if (st)
        kv_store_close(st);
    free(conf);
    return status;
}

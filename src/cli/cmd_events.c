/* SPDX-License-Identifier: MIT
 *
 * cmd_events.c: `kuvert events verify` recomputes the event log's hash chain and reports
 * "ok: N events" (exit 0) or the first broken sequence number (exit 1): an edited, inserted
 * or deleted event breaks the chain there.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "hub/events.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert events verify [--data DIR] [--json]\n\n"
               "Checks the hash chain of the event log. Prints \"ok: N events\" and exits 0, or\n"
               "names the first broken sequence number and exits 1.\n"
               "(--json: {\"ok\": true, \"events\": N} or {\"ok\": false, \"events\": N,\n"
               "\"brokenSeq\": S, \"message\": ...})\n\n"
               "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
               "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
               "               none: SQLite DIR/kuvert.db)\n"
               "  --json       print one JSON object on stdout\n");
}

static int events_verify(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    int64_t n = 0;
    int rc, status;

    rc = kv__admin_parse(&a, "events verify", argc, argv, NULL, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_events_verify(a.db, &n, &err);
    if (rc == 0) {
        if (a.json)
            kv__admin_print_json(json_pack("{s:b,s:I}", "ok", 1, "events", (json_int_t)n));
        else
            printf("ok: %" PRId64 " events\n", n);
        status = KV_EXIT_OK;
    } else if (rc == KV_ECONFLICT) {
        /* the chain is intact up to n events, so the first broken one is n + 1 */
        if (a.json)
            kv__admin_print_json(json_pack("{s:b,s:I,s:I,s:s}", "ok", 0, "events", (json_int_t)n,
                                           "brokenSeq", (json_int_t)(n + 1), "message", err.msg));
        else
            printf("broken: seq %" PRId64 ": %s\n", n + 1, err.msg);
        status = KV_EXIT_FAIL;
    } else {
        status = kv__admin_fail(&a, rc, &err);
    }
    kv__admin_close(&a);
    return status;
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {{"verify", events_verify}};

    return kv_cli_dispatch("events", argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage);
}

const struct kv_cli_cmd kv_cmd_events = {"events", "verify the hash-chained event log", run};

/* SPDX-License-Identifier: MIT
 *
 * cmd_events.c: `kuvert events verify` recomputes the event log's hash chains (one per
 * partition) and their checkpoints and reports "ok: N events" and a line per partition (exit 0)
 * or the sequence number where the log is broken (exit 1): an edited, inserted, deleted or
 * moved event breaks its partition's chain there, a cut tail shows against the partition's
 * head and the newest checkpoint.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "hub/events.h"
#include "util/clock.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert events verify [--data DIR] [--json]\n"
               "       kuvert events checkpoint [--data DIR] [--json]\n\n"
               "Checks the hash chains of the event log (one per partition) and their\n"
               "checkpoints. Prints \"ok: N events\" and a line per partition and exits 0,\n"
               "or names the sequence number where the log is broken and exits 1.\n"
               "(--json: {\"ok\": true, \"events\": N, \"partitions\": [...], \"checkpoint\": ...}\n"
               "or {\"ok\": false, \"events\": N, \"brokenSeq\": S, \"brokenPartition\": P,\n"
               "\"message\": ...})\n"
               "checkpoint writes a checkpoint of every partition's head now (the server\n"
               "writes one a minute) and prints its hash, the value to keep outside the\n"
               "database.\n\n"
               "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
               "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
               "               none: SQLite DIR/kuvert.db)\n"
               "  --json       print one JSON object on stdout\n");
}

/* The report as JSON: partitions and the newest checkpoint (the value to anchor). */
static json_t *report_json(const struct kv_event_chain_report *rep, int ok, const char *msg)
{
    json_t *o = json_pack("{s:b,s:I}", "ok", ok, "events", (json_int_t)rep->events);
    json_t *parts = json_array();
    size_t i;

    for (i = 0; i < rep->n_parts; i++) {
        const struct kv_event_part_report *p = &rep->parts[i];

        json_array_append_new(
            parts, json_pack("{s:I,s:I,s:I,s:I,s:s,s:I}", "partition", (json_int_t)p->part,
                             "events", (json_int_t)p->events, "headPosition",
                             (json_int_t)p->head_pseq, "headSeq", (json_int_t)p->head_seq,
                             "headHash", p->head_hash, "anchoredPosition",
                             (json_int_t)p->anchored_pseq));
    }
    json_object_set_new(o, "partitions", parts);
    json_object_set_new(o, "checkpoints", json_integer(rep->checkpoints));
    json_object_set_new(o, "checkpoint",
                        rep->checkpoint_seq
                            ? json_pack("{s:I,s:I,s:s}", "seq", (json_int_t)rep->checkpoint_seq,
                                        "timeMs", (json_int_t)rep->checkpoint_time_ms, "hash",
                                        rep->checkpoint_hash)
                            : json_null());
    if (!ok) {
        json_object_set_new(o, "brokenSeq", json_integer(rep->broken_seq));
        json_object_set_new(o, "brokenPartition",
                            rep->broken_part >= 0 ? json_integer(rep->broken_part) : json_null());
        json_object_set_new(o, "message", json_string(msg));
    }
    return o;
}

static void report_text(const struct kv_event_chain_report *rep)
{
    size_t i;

    for (i = 0; i < rep->n_parts; i++) {
        const struct kv_event_part_report *p = &rep->parts[i];

        if (p->events || p->head_pseq)
            printf("partition %" PRId64 ": %" PRId64 " events, head position %" PRId64
                   " (seq %" PRId64 ") %s, checkpointed to position %" PRId64 "\n",
                   p->part, p->events, p->head_pseq, p->head_seq, p->head_hash,
                   p->anchored_pseq);
    }
    if (rep->checkpoint_seq)
        printf("checkpoint %" PRId64 " (of %" PRId64 "): %s\n", rep->checkpoint_seq,
               rep->checkpoints, rep->checkpoint_hash);
    else
        printf("checkpoint: none yet\n");
}

static int events_verify(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_event_chain_report *rep;
    int rc, status;

    rc = kv__admin_parse(&a, "events verify", argc, argv, NULL, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rep = calloc(1, sizeof(*rep));
    if (!rep) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_events_verify_chains(a.db, rep, &err);
    if (rc == 0) {
        if (a.json) {
            kv__admin_print_json(report_json(rep, 1, NULL));
        } else {
            printf("ok: %" PRId64 " events\n", rep->events);
            report_text(rep);
        }
        status = KV_EXIT_OK;
    } else if (rc == KV_ECONFLICT) {
        if (a.json)
            kv__admin_print_json(report_json(rep, 0, err.msg));
        else
            printf("broken: seq %" PRId64 ": %s\n", rep->broken_seq, err.msg);
        status = KV_EXIT_FAIL;
    } else {
        status = kv__admin_fail(&a, rc, &err);
    }
    free(rep);
    kv__admin_close(&a);
    return status;
}

static int events_checkpoint(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_event_chain_report *rep;
    int rc, status, written = 0;

    rc = kv__admin_parse(&a, "events checkpoint", argc, argv, NULL, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rep = calloc(1, sizeof(*rep));
    if (!rep) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_events_checkpoint(a.db, kv_clock_now_ms(), 0, &written, &err);
    /* the newest checkpoint (this one, or the last when no head moved since): verified */
    if (rc == 0)
        rc = kv_events_verify_chains(a.db, rep, &err);
    if (rc == 0) {
        if (a.json)
            kv__admin_print_json(json_pack("{s:b,s:I,s:I,s:s}", "written", written, "seq",
                                           (json_int_t)rep->checkpoint_seq, "timeMs",
                                           (json_int_t)rep->checkpoint_time_ms, "hash",
                                           rep->checkpoint_hash));
        else
            printf("checkpoint %" PRId64 ": %s%s\n", rep->checkpoint_seq, rep->checkpoint_hash,
                   written ? "" : " (no event since the newest)");
        status = KV_EXIT_OK;
    } else if (rc == KV_ECONFLICT) {
        fprintf(stderr, "kuvert: events checkpoint: the log does not verify: %s\n", err.msg);
        status = KV_EXIT_FAIL;
    } else {
        status = kv__admin_fail(&a, rc, &err);
    }
    free(rep);
    kv__admin_close(&a);
    return status;
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {{"verify", events_verify},
                                             {"checkpoint", events_checkpoint}};

    return kv_cli_dispatch("events", argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage);
}

const struct kv_cli_cmd kv_cmd_events = {"events", "verify the hash-chained event log", run};

/* SPDX-License-Identifier: MIT
 *
 * cmd_print.c: `kuvert print`, the operator's and print provider's view of the fjernprint
 * spool (docs/print.md, hub/print.h):
 *   list [--state S] [--json]    the jobs, newest first; --json prints one array of
 *                                {id, letter, state, origin, pdf, batch, pages, unprintable,
 *                                error, created, rendered, done}; pdf is the file's absolute
 *                                path, null until rendered
 *   mark-printed JOB             the provider printed and posted job JOB (event
 *                                PRINT_JOB_PRINTED, receipt COMPLETED to the sender)
 *   mark-failed JOB --reason R   it cannot be printed (PRINT_JOB_FAILED, receipt NOT_ALLOWED)
 *   render                       renders the due jobs now (what the server does every second)
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "hub/print.h"
#include "util/clock.h"
#include "util/num.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert print list [--state QUEUED|PRINTED|FAILED] [--json]\n"
            "       kuvert print mark-printed JOB [--json]\n"
            "       kuvert print mark-failed JOB --reason TEXT [--json]\n"
            "       kuvert print render [--json]\n\n"
            "The print spool of letters to recipients exempt from Digital Post (fjernprint).\n"
            "Rendered jobs are PDF files under DATA/print/<batch>/ with a manifest.json per\n"
            "batch; `list` shows each job's id, letter (messageUUID), state and pdf path.\n"
            "mark-printed / mark-failed record the print provider's outcome; the sender\n"
            "system gets a receipt. `render` renders due jobs now (the server does it itself).\n\n"
            "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
            "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB)\n"
            "  --json       print JSON on stdout\n");
}

static json_t *opt_time(int64_t ms)
{
    char t[32];

    if (ms <= 0)
        return json_null();
    kv__admin_time(ms, t);
    return json_string(t);
}

static int print_list(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_print_job *jobs = NULL;
    const char *state = NULL;
    const struct kv__admin_opt opts[] = {{"--state", &state, NULL}, {0}};
    size_t n = 0, i;
    int rc, status = KV_EXIT_OK;

    rc = kv__admin_parse(&a, "print list", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (state && strcmp(state, "QUEUED") != 0 && strcmp(state, "PRINTED") != 0 &&
        strcmp(state, "FAILED") != 0)
        return kv__admin_usage(&a, "--state must be QUEUED, PRINTED or FAILED");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_print_list(a.db, state, &jobs, &n, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
        goto out;
    }
    if (a.json) {
        json_t *arr = json_array();
        for (i = 0; i < n; i++) {
            const struct kv_print_job *j = &jobs[i];
            json_t *o = json_object();
            json_object_set_new(o, "id", json_integer(j->id));
            json_object_set_new(o, "letter", json_string(j->letter));
            json_object_set_new(o, "state", json_string(j->state));
            json_object_set_new(o, "origin", json_string(j->origin));
            json_object_set_new(o, "pdf", j->pdf ? json_string(j->pdf) : json_null());
            json_object_set_new(o, "batch", j->batch[0] ? json_string(j->batch) : json_null());
            json_object_set_new(o, "pages", json_integer(j->pages));
            json_object_set_new(o, "unprintable", json_integer(j->unprintable));
            json_object_set_new(o, "error", j->error ? json_string(j->error) : json_null());
            json_object_set_new(o, "created", opt_time(j->created_ms));
            json_object_set_new(o, "rendered", opt_time(j->rendered_ms));
            json_object_set_new(o, "done", opt_time(j->done_ms));
            json_array_append_new(arr, o);
        }
        kv__admin_print_json(arr);
    } else {
        printf("%-6s %-36s %-8s %-5s %s\n", "ID", "LETTER", "STATE", "PAGES", "PDF");
        for (i = 0; i < n; i++)
            printf("%-6" PRId64 " %-36s %-8s %-5d %s\n", jobs[i].id, jobs[i].letter,
                   jobs[i].state, jobs[i].pages,
                   jobs[i].pdf ? jobs[i].pdf : (jobs[i].error ? jobs[i].error : "-"));
    }
out:
    kv_print_list_free(jobs, n);
    kv__admin_close(&a);
    return status;
}

static int mark(int argc, char **argv, int printed)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *reason = NULL;
    const struct kv__admin_opt opts[] = {{"--reason", &reason, NULL}, {0}};
    const char *cmd = printed ? "print mark-printed" : "print mark-failed";
    int64_t id = 0;
    int rc, status = KV_EXIT_OK;

    rc = kv__admin_parse(&a, cmd, argc, argv, printed ? NULL : opts, 1, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (a.npos != 1 || kv_parse_int64(a.pos[0], 1, INT64_MAX, &id) < 0)
        return kv__admin_usage(&a, "give the job's id (a positive number, see `kuvert print list`)");
    if (!printed && (!reason || !reason[0]))
        return kv__admin_usage(&a, "--reason is required");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_print_mark(a.db, id, printed, reason, "cli", &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else if (a.json) {
        kv__admin_print_json(json_pack("{s:I,s:s}", "id", (json_int_t)id, "state",
                                       printed ? "PRINTED" : "FAILED"));
    } else {
        printf("print job %" PRId64 " %s\n", id, printed ? "PRINTED" : "FAILED");
    }
    kv__admin_close(&a);
    return status;
}

static int mark_printed(int argc, char **argv)
{
    return mark(argc, argv, 1);
}

static int mark_failed(int argc, char **argv)
{
    return mark(argc, argv, 0);
}

static int render(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    char spool[PATH_MAX];
    int rc, n = 0, status = KV_EXIT_OK;

    rc = kv__admin_parse(&a, "print render", argc, argv, NULL, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    snprintf(spool, sizeof(spool), "%s/print", a.conf->data);
    rc = kv_print_render_due(a.st, spool, kv_clock_now_ms(), &n, &err);
    if (rc < 0)
        status = kv__admin_fail(&a, rc, &err);
    else if (a.json)
        kv__admin_print_json(json_pack("{s:i}", "rendered", n));
    else
        printf("rendered %d print job%s\n", n, n == 1 ? "" : "s");
    kv__admin_close(&a);
    return status;
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {{"list", print_list},
                                             {"mark-printed", mark_printed},
                                             {"mark-failed", mark_failed},
                                             {"render", render}};

    return kv_cli_dispatch("print", argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage);
}

const struct kv_cli_cmd kv_cmd_print = {"print", "printed letters for exempt recipients (spool)",
                                        run};

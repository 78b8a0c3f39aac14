/* SPDX-License-Identifier: MIT
 *
 * cmd_mailbox.c: `kuvert mailbox add|close|show`: the Digital Post mailbox of a citizen
 * (--cpr) or company (--cvr). A mailbox is REGISTERED (letters are delivered), EXEMPT
 * (fritaget: letters become print jobs to --address) or CLOSED (letters are refused with
 * receipt NOT_ALLOWED).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "hub/directory.h"
#include "util/str.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert mailbox add (--cpr CPR | --cvr CVR) [--name NAME] [--exempt]\n"
            "                          [--address TEXT] [--data DIR] [--json]\n"
            "       kuvert mailbox close (--cpr CPR | --cvr CVR) [--data DIR] [--json]\n"
            "       kuvert mailbox show (--cpr CPR | --cvr CVR) [--data DIR] [--json]\n\n"
            "CPR: 10 digits whose first six are a real date DDMMYY; CVR: 8 digits.\n"
            "--exempt: the owner is exempt from Digital Post; letters become print jobs sent\n"
            "to --address.\n\n"
            "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
            "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
            "               none: SQLite DIR/kuvert.db)\n"
            "  --json       print one JSON object on stdout\n");
}

static json_t *mailbox_json(const struct kv_mailbox *mb)
{
    char created[32], closed[32];

    kv__admin_time(mb->created_ms, created);
    kv__admin_time(mb->closed_ms, closed);
    return json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s?,s:s,s:s?}", "id", (json_int_t)mb->id,
                     "ownerType", mb->owner_type, "ownerId", mb->owner_id, "name",
                     mb->name[0] ? mb->name : NULL, "status", mb->status, "address",
                     mb->address[0] ? mb->address : NULL, "created", created, "closed",
                     mb->closed_ms ? closed : NULL);
}

static void print_mailbox(const char *verb, const struct kv_mailbox *mb)
{
    if (verb) {
        printf("%s mailbox %s %s (%s)\n", verb, mb->owner_type, mb->owner_id, mb->status);
        return;
    }
    printf("owner:   %s %s\nname:    %s\nstatus:  %s\n", mb->owner_type, mb->owner_id, mb->name,
           mb->status);
    if (mb->address[0])
        printf("address: %s\n", mb->address);
}

static int mailbox_cmd(int argc, char **argv, const char *cmd, int op)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_mailbox mb;
    const char *cpr = NULL, *cvr = NULL, *name = NULL, *address = NULL, *type, *id;
    int exempt = 0, rc, status;
    const struct kv__admin_opt add_opts[] = {{"--cpr", &cpr, NULL},     {"--cvr", &cvr, NULL},
                                             {"--name", &name, NULL},   {"--address", &address, NULL},
                                             {"--exempt", NULL, &exempt}, {0}};
    const struct kv__admin_opt owner_opts[] = {{"--cpr", &cpr, NULL}, {"--cvr", &cvr, NULL}, {0}};

    rc = kv__admin_parse(&a, cmd, argc, argv, op == 'a' ? add_opts : owner_opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_owner(&a, cpr, cvr, &type, &id) < 0)
        return KV_EXIT_USAGE;
    memset(&mb, 0, sizeof(mb));
    if (op == 'a') {
        if (kv_str_copy(mb.owner_type, sizeof(mb.owner_type), type) < 0 ||
            kv_str_copy(mb.owner_id, sizeof(mb.owner_id), id) < 0 ||
            kv_str_copy(mb.name, sizeof(mb.name), name ? name : "") < 0 ||
            kv_str_copy(mb.address, sizeof(mb.address), address ? address : "") < 0) {
            kv_cli_errorf(cmd, "%s", strlen(id) >= sizeof(mb.owner_id)
                                         ? "not a CPR (10 digits) or CVR (8 digits) number"
                                         : "--name or --address is too long");
            return KV_EXIT_FAIL;
        }
        kv_str_copy(mb.status, sizeof(mb.status), exempt ? "EXEMPT" : "REGISTERED");
    }
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    if (op == 'a')
        rc = kv_mailbox_add(a.db, &mb, &err);
    else if (op == 'c')
        rc = kv_mailbox_close(a.db, type, id, &err);
    else
        rc = 0;
    if (rc == 0)
        rc = kv_mailbox_find(a.db, type, id, &mb, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json)
            kv__admin_print_json(mailbox_json(&mb));
        else
            print_mailbox(op == 'a' ? "created" : op == 'c' ? "closed" : NULL, &mb);
        status = KV_EXIT_OK;
    }
    kv__admin_close(&a);
    return status;
}

static int mailbox_add(int argc, char **argv)
{
    return mailbox_cmd(argc, argv, "mailbox add", 'a');
}

static int mailbox_close(int argc, char **argv)
{
    return mailbox_cmd(argc, argv, "mailbox close", 'c');
}

static int mailbox_show(int argc, char **argv)
{
    return mailbox_cmd(argc, argv, "mailbox show", 's');
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {
        {"add", mailbox_add}, {"close", mailbox_close}, {"show", mailbox_show}};

    return kv_cli_dispatch("mailbox", argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage);
}

const struct kv_cli_cmd kv_cmd_mailbox = {"mailbox", "add, close and show citizen/company mailboxes",
                                          run};

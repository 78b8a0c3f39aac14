/* SPDX-License-Identifier: MIT
 *
 * user_token.c (cli): `kuvert user token ...`, the life of a mailbox owner's bearer tokens
 * (hub/user_token.h, docs/mailbox-api.md "Tokens"):
 *   kuvert user token (--cpr CPR | --cvr CVR) [--ttl DURATION] [--keep-others]
 *       issues a token, shown once; earlier tokens of the owner are revoked unless
 *       --keep-others; it expires after --ttl (default 30d, at most 365d);
 *   kuvert user token list (--cpr CPR | --cvr CVR)
 *       the owner's tokens by id with status (active, expired, revoked), never the secret;
 *   kuvert user token revoke (ID | --cpr CPR | --cvr CVR)
 *       revokes one token by id, or every valid token of the owner.
 * cmd_user.c dispatches `user token` here (user_cmds.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "cli/user_cmds.h"
#include "hub/user_token.h"
#include "util/clock.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert user token (--cpr CPR | --cvr CVR) [--ttl DURATION] [--keep-others]\n"
            "                         [--data DIR] [--json]\n"
            "       kuvert user token list (--cpr CPR | --cvr CVR) [--data DIR] [--json]\n"
            "       kuvert user token revoke (ID | --cpr CPR | --cvr CVR) [--data DIR] [--json]\n\n"
            "Bearer tokens for the owner of an existing mailbox, for `Authorization: Bearer\n"
            "<token>` on /api/mailbox/... . Issuing prints a new token (shown only here; the hub\n"
            "keeps its hash) and revokes the owner's earlier tokens, unless --keep-others (a\n"
            "second client). Every token expires: --ttl (e.g. 12h, 30d; default 30d, at most\n"
            "365d). `list` shows the owner's tokens by id with their status (active, expired,\n"
            "revoked); `revoke ID` revokes one, `revoke --cpr/--cvr` every valid one of the\n"
            "owner. An expired or revoked token gets 401.\n\n"
            "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
            "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
            "               none: SQLite DIR/kuvert.db)\n"
            "  --json       print one JSON object on stdout ({\"token\", \"id\", \"expiresAt\",\n"
            "               ...} when issuing)\n");
}

/* JSON of one token's listing. */
static json_t *info_json(const struct kv_user_token_info *t)
{
    char created[32], expires[32], revoked[32];

    kv__admin_time(t->created_ms, created);
    kv__admin_time(t->expires_ms, expires);
    kv__admin_time(t->revoked_ms, revoked);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s}", "id", t->id, "ownerType", t->owner_type,
                     "ownerId", t->owner_id, "createdAt", created, "expiresAt", expires,
                     "revokedAt", t->revoked_ms ? revoked : NULL, "status", t->status);
}

static int token_issue(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_user_token_info info;
    const char *cpr = NULL, *cvr = NULL, *ttl = NULL, *type, *id;
    int keep = 0, revoked = 0, rc, status;
    const struct kv__admin_opt opts[] = {{"--cpr", &cpr, NULL},
                                         {"--cvr", &cvr, NULL},
                                         {"--ttl", &ttl, NULL},
                                         {"--keep-others", NULL, &keep},
                                         {0}};
    int64_t ttl_ms = 0;
    char *token = NULL;

    rc = kv__admin_parse(&a, "user token", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_owner(&a, cpr, cvr, &type, &id) < 0)
        return KV_EXIT_USAGE;
    if (ttl && kv_clock_parse_duration(ttl, &ttl_ms) < 0)
        return kv__admin_usage(&a, "--ttl must be a duration such as 12h, 30d or 1d12h");
    if (ttl && (ttl_ms < KV_USER_TOKEN_TTL_MIN_MS || ttl_ms > KV_USER_TOKEN_TTL_MAX_MS))
        return kv__admin_usage(&a, "--ttl must be between 1m and 365d");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_user_token_issue(a.db, type, id, ttl_ms, keep ? KV_USER_TOKEN_KEEP_OTHERS : 0, &token,
                             &info, &revoked, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json) {
            json_t *o = info_json(&info);
            json_object_set_new(o, "token", json_string(token));
            json_object_set_new(o, "revokedOthers", json_integer(revoked));
            kv__admin_print_json(o);
        } else {
            printf("%s\n", token);
        }
        status = KV_EXIT_OK;
    }
    free(token);
    kv__admin_close(&a);
    return status;
}

static int token_list(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_user_token_info *v = NULL;
    const char *cpr = NULL, *cvr = NULL, *type, *id;
    const struct kv__admin_opt opts[] = {{"--cpr", &cpr, NULL}, {"--cvr", &cvr, NULL}, {0}};
    size_t n = 0, i;
    int rc, status;

    rc = kv__admin_parse(&a, "user token list", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_owner(&a, cpr, cvr, &type, &id) < 0)
        return KV_EXIT_USAGE;
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_user_token_list(a.db, type, id, &v, &n, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else if (a.json) {
        json_t *items = json_array();
        for (i = 0; i < n; i++)
            json_array_append_new(items, info_json(&v[i]));
        kv__admin_print_json(
            json_pack("{s:s,s:s,s:o}", "ownerType", type, "ownerId", id, "items", items));
        status = KV_EXIT_OK;
    } else {
        for (i = 0; i < n; i++) {
            char created[32], expires[32];
            kv__admin_time(v[i].created_ms, created);
            kv__admin_time(v[i].expires_ms, expires);
            printf("%s  %-7s  created %s  expires %s\n", v[i].id, v[i].status, created, expires);
        }
        status = KV_EXIT_OK;
    }
    free(v);
    kv__admin_close(&a);
    return status;
}

static int token_revoke(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_user_token_info info;
    const char *cpr = NULL, *cvr = NULL, *type, *id;
    const struct kv__admin_opt opts[] = {{"--cpr", &cpr, NULL}, {"--cvr", &cvr, NULL}, {0}};
    int rc, status, already = 0, n = 0;

    rc = kv__admin_parse(&a, "user token revoke", argc, argv, opts, 1, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if ((a.npos == 1) == (cpr || cvr))
        return kv__admin_usage(&a, "give a token id, or --cpr/--cvr for all of an owner's");
    if (a.npos == 0 && kv__admin_owner(&a, cpr, cvr, &type, &id) < 0)
        return KV_EXIT_USAGE;
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    if (a.npos == 1)
        rc = kv_user_token_revoke(a.db, a.pos[0], &info, &already, &err);
    else
        rc = kv_user_token_revoke_owner(a.db, type, id, &n, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else if (a.npos == 1) {
        if (a.json) {
            json_t *o = info_json(&info);
            json_object_set_new(o, "alreadyRevoked", json_boolean(already));
            kv__admin_print_json(o);
        } else {
            printf("%s %s\n", already ? "already revoked:" : "revoked:", info.id);
        }
        status = KV_EXIT_OK;
    } else {
        if (a.json)
            kv__admin_print_json(
                json_pack("{s:s,s:s,s:i}", "ownerType", type, "ownerId", id, "revoked", n));
        else
            printf("revoked %d token%s\n", n, n == 1 ? "" : "s");
        status = KV_EXIT_OK;
    }
    kv__admin_close(&a);
    return status;
}

int kv__cli_user_token(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return token_list(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "revoke") == 0)
        return token_revoke(argc - 1, argv + 1);
    return token_issue(argc, argv);
}

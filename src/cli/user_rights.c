/* SPDX-License-Identifier: MIT
 *
 * user_rights.c: the rights subcommands of `kuvert user` (cmd_user.c dispatches here), so a
 * setup stays scriptable (docs/rights.md):
 *
 *   kuvert user add --org CVR --name NAME --email EMAIL [--cpr CPR] [--right TYPE]...
 *   kuvert user grant --org CVR --right TYPE (--email EMAIL | --group NAME | --partner CVR)
 *                     [--until YYYY-MM-DD] [--contact-group ID | --contact-point ID]
 *   kuvert user revoke (--id PRIVILEGE | --org CVR --email EMAIL --right TYPE)
 *   kuvert user list --org CVR [--all]
 *   kuvert user deactivate|reactivate --org CVR --email EMAIL
 *
 * all with --data DIR and --json. --until is the last day the right holds (it lapses at the
 * following midnight, Europe/Copenhagen). Events are recorded with actor "cli".
 */
#include "cli/user_rights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "identity/identity.h"
#include "identity/rights.h"
#include "util/clock.h"

#define MAX_RIGHTS 32
#define ACTOR "cli"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert user add --org CVR --name NAME --email EMAIL [--cpr CPR] [--right TYPE]...\n"
            "       kuvert user grant --org CVR --right TYPE (--email EMAIL | --group NAME | --partner CVR)\n"
            "                         [--until YYYY-MM-DD] [--contact-group ID | --contact-point ID]\n"
            "       kuvert user revoke (--id PRIVILEGE | --org CVR --email EMAIL --right TYPE)\n"
            "       kuvert user list --org CVR [--all]\n"
            "       kuvert user deactivate|reactivate --org CVR --email EMAIL\n"
            "  each also takes [--data DIR] [--json]\n\n"
            "Employees of organisations and their rights (docs/rights.md). TYPE is one of:\n");
    for (int i = 0; i < KV_PRIV__COUNT; i++)
        if (kv_priv_table()[i].flags & KV_PRIV_F_ORG)
            fprintf(f, "  %-32s %s\n", kv_priv_table()[i].code, kv_priv_table()[i].name_da);
    fprintf(f, "--until is the last day the right holds (Europe/Copenhagen).\n");
}

void kv__user_rights_usage(FILE *f)
{
    usage(f);
}

/* Moves every "--right X" / "--right=X" out of argv into rights; returns the new argc. */
static int take_rights(int argc, char **argv, const char **rights, size_t *n, int *bad)
{
    int i, j = 0;

    *n = 0;
    *bad = 0;
    for (i = 0; i < argc; i++) {
        const char *v = NULL;

        if (strcmp(argv[i], "--right") == 0) {
            if (i + 1 >= argc) {
                *bad = 1;
                break;
            }
            v = argv[++i];
        } else if (strncmp(argv[i], "--right=", 8) == 0) {
            v = argv[i] + 8;
        }
        if (v) {
            if (*n >= MAX_RIGHTS) {
                *bad = 2;
                break;
            }
            rights[(*n)++] = v;
            continue;
        }
        argv[j++] = argv[i];
    }
    return j;
}

static int employee_of(struct kv__admin *a, const char *email, const char *org,
                       struct kv_person *p, struct kv_employee *e, struct kv_err *err)
{
    int rc = kv_person_find_email(a->db, email, p, err);

    if (rc == 0)
        rc = kv_employee_find(a->db, p->id, org, e, err);
    return rc;
}

static void print_priv_line(const struct kv_privilege *p)
{
    const struct kv_priv_info *info = &kv_priv_table()[p->type];
    char when[32];

    printf("  %-32s %-30s privilege %lld", info->code, info->name_da, (long long)p->id);
    if (p->narrow_type[0])
        printf(", only %s %s", p->narrow_type, p->narrow_id);
    if (p->active_to_ms) {
        kv__admin_time(p->active_to_ms, when);
        printf(", until %s", when);
    }
    printf("\n");
}

static int cmd_add(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *org = NULL, *name = NULL, *email = NULL, *cpr = NULL, *rights[MAX_RIGHTS];
    const struct kv__admin_opt opts[] = {{"--org", &org, NULL}, {"--name", &name, NULL},
                                         {"--email", &email, NULL}, {"--cpr", &cpr, NULL}, {0}};
    struct kv_person p;
    struct kv_employee e;
    struct kv_privilege pr;
    size_t n = 0, i;
    json_t *arr;
    int rc, bad, status = KV_EXIT_FAIL;

    argc = take_rights(argc, argv, rights, &n, &bad);
    rc = kv__admin_parse(&a, "user add", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (bad)
        return kv__admin_usage(&a, bad == 1 ? "--right needs a value" : "too many --right");
    if (!org || !name || !email)
        return kv__admin_usage(&a, "--org, --name and --email are required");
    if (kv__admin_open(&a) < 0)
        goto out;
    rc = kv_identity_add_employee(a.db, org, name, email, cpr, rights, n, ACTOR, &p, &e, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
        goto out;
    }
    arr = json_array();
    if (!a.json)
        printf("added %s <%s> to %s: person %lld, employee %lld\n", p.name, p.email, org,
               (long long)p.id, (long long)e.id);
    for (i = 0; i < n; i++) {
        if (kv_rights_find_direct(a.db, e.id, org, kv_priv_find(rights[i])->code, &pr, &err) < 0)
            continue;
        if (a.json)
            json_array_append_new(arr, kv_rights_privilege_json(&pr));
        else
            print_priv_line(&pr);
    }
    if (a.json)
        kv__admin_print_json(json_pack("{s:I,s:I,s:s,s:s,s:s,s:o}", "personId", (json_int_t)p.id,
                                       "employeeId", (json_int_t)e.id, "name", p.name, "email",
                                       p.email, "org", org, "rights", arr));
    else
        json_decref(arr);
    status = KV_EXIT_OK;
out:
    kv__admin_close(&a);
    return status;
}

static int cmd_grant(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *org = NULL, *email = NULL, *group = NULL, *partner = NULL, *right = NULL,
               *until = NULL, *cg = NULL, *cp = NULL, *parent = NULL;
    const struct kv__admin_opt opts[] = {
        {"--org", &org, NULL},         {"--email", &email, NULL},
        {"--group", &group, NULL},     {"--partner", &partner, NULL},
        {"--right", &right, NULL},     {"--until", &until, NULL},
        {"--contact-group", &cg, NULL}, {"--contact-point", &cp, NULL},
        {"--parent", &parent, NULL},   {0}};
    struct kv_person p;
    struct kv_employee e;
    struct kv_privilege pr;
    struct kv_grant g;
    int64_t id = 0;
    int rc, status = KV_EXIT_FAIL;

    rc = kv__admin_parse(&a, "user grant", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (!org || !right)
        return kv__admin_usage(&a, "--org and --right are required");
    if ((email != NULL) + (group != NULL) + (partner != NULL) != 1)
        return kv__admin_usage(&a, "give exactly one of --email, --group or --partner");
    if (cg && cp)
        return kv__admin_usage(&a, "give at most one of --contact-group and --contact-point");
    memset(&g, 0, sizeof(g));
    if (until && kv_rights_parse_until(until, &g.active_to_ms) < 0)
        return kv__admin_usage(&a, "--until takes a date YYYY-MM-DD");
    if (parent) {
        char *end;

        g.parent_id = strtoll(parent, &end, 10);
        if (*end || g.parent_id <= 0)
            return kv__admin_usage(&a, "--parent takes a privilege id");
    }
    if (kv__admin_open(&a) < 0)
        goto out;
    g.type = right;
    g.scope_cvr = org;
    g.issuer = ACTOR;
    g.narrow_type = cg ? "CONTACT_GROUP" : cp ? "CONTACT_POINT" : NULL;
    g.narrow_id = cg ? cg : cp;
    g.partner_cvr = partner;
    rc = 0;
    if (email) {
        /* a hand-on names an employee of the partner, who is employed there, not in org */
        rc = kv_person_find_email(a.db, email, &p, &err);
        if (rc == 0 && g.parent_id) {
            struct kv_privilege par;

            rc = kv_rights_get(a.db, g.parent_id, &par, &err);
            if (rc == 0)
                rc = kv_employee_find(a.db, p.id, par.grantee_cvr, &e, &err);
        } else if (rc == 0) {
            rc = kv_employee_find(a.db, p.id, org, &e, &err);
        }
        g.employee_id = rc == 0 ? e.id : 0;
    } else if (group) {
        rc = kv_group_find(a.db, org, group, &g.group_id, &err);
    }
    if (rc == 0)
        rc = kv_rights_grant(a.db, &g, 0, &id, &err);
    if (rc == 0)
        rc = kv_rights_get(a.db, id, &pr, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
        goto out;
    }
    if (a.json) {
        kv__admin_print_json(kv_rights_privilege_json(&pr));
    } else {
        printf("granted in %s to %s:\n", org, email ? email : group ? group : partner);
        print_priv_line(&pr);
    }
    status = KV_EXIT_OK;
out:
    kv__admin_close(&a);
    return status;
}

static int cmd_revoke(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *org = NULL, *email = NULL, *right = NULL, *idtext = NULL;
    const struct kv__admin_opt opts[] = {{"--org", &org, NULL}, {"--email", &email, NULL},
                                         {"--right", &right, NULL}, {"--id", &idtext, NULL},
                                         {0}};
    struct kv_person p;
    struct kv_employee e;
    struct kv_privilege pr;
    int64_t id = 0;
    int rc, status = KV_EXIT_FAIL;

    rc = kv__admin_parse(&a, "user revoke", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (idtext) {
        char *end;

        id = strtoll(idtext, &end, 10);
        if (*end || id <= 0 || org || email || right)
            return kv__admin_usage(&a, "--id takes a privilege id, alone");
    } else if (!org || !email || !right) {
        return kv__admin_usage(&a, "give --id PRIVILEGE, or --org, --email and --right");
    }
    if (kv__admin_open(&a) < 0)
        goto out;
    rc = 0;
    if (!id) {
        if (!kv_priv_find(right))
            rc = kv_err_set(&err, KV_EINVAL, "unknown right \"%.64s\"", right);
        if (rc == 0)
            rc = employee_of(&a, email, org, &p, &e, &err);
        if (rc == 0)
            rc = kv_rights_find_direct(a.db, e.id, org, kv_priv_find(right)->code, &pr, &err);
        id = rc == 0 ? pr.id : 0;
    }
    if (rc == 0)
        rc = kv_rights_revoke(a.db, id, ACTOR, &err);
    if (rc == 0)
        rc = kv_rights_get(a.db, id, &pr, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
        goto out;
    }
    if (a.json) {
        kv__admin_print_json(kv_rights_privilege_json(&pr));
    } else {
        printf("revoked:\n");
        print_priv_line(&pr);
    }
    status = KV_EXIT_OK;
out:
    kv__admin_close(&a);
    return status;
}

static void print_list(const json_t *o)
{
    const json_t *emp, *r, *grp, *m;
    size_t i, j;

    printf("organisation %s\n", json_string_value(json_object_get(o, "org")));
    json_array_foreach(json_object_get(o, "employees"), i, emp) {
        printf("%s <%s> employee %lld%s\n", json_string_value(json_object_get(emp, "name")),
               json_string_value(json_object_get(emp, "email"))
                   ? json_string_value(json_object_get(emp, "email"))
                   : "",
               (long long)json_integer_value(json_object_get(emp, "employeeId")),
               strcmp(json_string_value(json_object_get(emp, "status")), "ACTIVE") == 0
                   ? ""
                   : " (deactivated)");
        json_array_foreach(json_object_get(emp, "rights"), j, r) {
            const json_t *via = json_object_get(r, "via");

            printf("  %-32s %-30s %s%s%s%s\n", json_string_value(json_object_get(r, "type")),
                   json_string_value(json_object_get(r, "nameDa")),
                   json_string_value(json_object_get(r, "status")),
                   json_object_get(r, "activeTo") ? " until " : "",
                   json_object_get(r, "activeTo")
                       ? json_string_value(json_object_get(r, "activeTo"))
                       : "",
                   via ? " (group)" : "");
        }
    }
    json_array_foreach(json_object_get(o, "groups"), i, grp) {
        printf("group %s: %zu member(s)\n", json_string_value(json_object_get(grp, "name")),
               json_array_size(json_object_get(grp, "members")));
        json_array_foreach(json_object_get(grp, "rights"), j, r)
            printf("  %-32s %s\n", json_string_value(json_object_get(r, "type")),
                   json_string_value(json_object_get(r, "nameDa")));
    }
    json_array_foreach(json_object_get(o, "partners"), i, r) {
        m = json_object_get(json_object_get(r, "grantee"), "cvr");
        printf("partner %s: %s (%s)\n", json_string_value(m),
               json_string_value(json_object_get(r, "type")),
               json_string_value(json_object_get(r, "nameDa")));
    }
}

static int cmd_list(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *org = NULL;
    int all = 0;
    const struct kv__admin_opt opts[] = {{"--org", &org, NULL}, {"--all", NULL, &all}, {0}};
    json_t *o = NULL;
    int rc, status = KV_EXIT_FAIL;

    rc = kv__admin_parse(&a, "user list", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (!org)
        return kv__admin_usage(&a, "--org is required");
    if (kv__admin_open(&a) < 0)
        goto out;
    rc = kv_rights_list_org(a.db, org, all, &o, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
        goto out;
    }
    if (a.json) {
        kv__admin_print_json(o);
    } else {
        print_list(o);
        json_decref(o);
    }
    status = KV_EXIT_OK;
out:
    kv__admin_close(&a);
    return status;
}

static int cmd_activate(int argc, char **argv, int active)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *org = NULL, *email = NULL;
    const struct kv__admin_opt opts[] = {{"--org", &org, NULL}, {"--email", &email, NULL}, {0}};
    struct kv_person p;
    struct kv_employee e;
    int rc, status = KV_EXIT_FAIL;

    rc = kv__admin_parse(&a, active ? "user reactivate" : "user deactivate", argc, argv, opts, 0,
                         usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (!org || !email)
        return kv__admin_usage(&a, "--org and --email are required");
    if (kv__admin_open(&a) < 0)
        goto out;
    rc = employee_of(&a, email, org, &p, &e, &err);
    if (rc == 0)
        rc = kv_employee_set_active(a.db, e.id, active, ACTOR, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
        goto out;
    }
    if (a.json)
        kv__admin_print_json(json_pack("{s:I,s:s,s:s}", "employeeId", (json_int_t)e.id, "org",
                                       org, "status", active ? "ACTIVE" : "INACTIVE"));
    else
        printf("%s %s in %s\n", active ? "reactivated" : "deactivated", p.email, org);
    status = KV_EXIT_OK;
out:
    kv__admin_close(&a);
    return status;
}

static int cmd_deactivate(int argc, char **argv)
{
    return cmd_activate(argc, argv, 0);
}

static int cmd_reactivate(int argc, char **argv)
{
    return cmd_activate(argc, argv, 1);
}

const struct kv_cli_sub kv__user_rights_subs[KV__USER_RIGHTS_SUBS] = {
    {"add", cmd_add},        {"grant", cmd_grant},           {"revoke", cmd_revoke},
    {"list", cmd_list},      {"deactivate", cmd_deactivate}, {"reactivate", cmd_reactivate},
};

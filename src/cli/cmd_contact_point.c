/* SPDX-License-Identifier: MIT
 *
 * cmd_contact_point.c: `kuvert contact-point add|list`, the administrator's way to build an
 * organisation's contact structure without the API. `add` builds the same ContactPoint JSON
 * the API takes and goes through the same validation (src/hub/contact_points.c), so the
 * rules and messages are the API's; --code and --term may be repeated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "hub/contact_points.h"
#include "util/xmalloc.h"
#include "util/num.h"

#define REPEAT_MAX 100 /* --code / --term occurrences */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert contact-point add --org CVR --name NAME --system ID\n"
            "                 [--description TEXT] [--internal-description TEXT]\n"
            "                 [--code TYPE:CODE]... [--term TERM]... [--max-mb N]\n"
            "                 [--max-attachments N] [--hidden-for citizen,company,authority]\n"
            "                 [--inactive] [--data DIR] [--json]\n"
            "       kuvert contact-point list --org CVR [--data DIR] [--json]\n\n"
            "A contact point is where citizens, companies and authorities write to an\n"
            "organisation; letters to it go to recipient system ID. TYPE is CUSTOM, FORM, GLN,\n"
            "KLE or SOR. --max-mb (1..100, default 10) and --max-attachments (0..100, default\n"
            "10) limit letters written to it; --hidden-for hides it from those audiences.\n"
            "`add` prints the new point's id (--json: the whole ContactPoint).\n\n"
            "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
            "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
            "               none: SQLite DIR/kuvert.db)\n"
            "  --json       print one JSON object on stdout\n");
}

/* Strictly parses a non-negative decimal integer option into a JSON integer. */
static json_t *int_opt(const char *v)
{
    int64_t n;

    if (kv_parse_int64(v, 0, 1000000, &n) < 0)
        return NULL;
    return json_integer(n);
}

static void print_errors(const struct kv__admin *a, json_t *fes)
{
    size_t i;
    json_t *e;

    json_array_foreach(fes, i, e)
        kv_cli_errorf(a->cmd, "%s: %s", json_string_value(json_object_get(e, "field")),
                      json_string_value(json_object_get(e, "message")));
}

/* Builds the ContactPoint object from the options; KV_EXIT_USAGE printed on a bad value. */
static int build(const struct kv__admin *a, const char *name, const char *sys, const char *desc,
                 const char *idesc, char **codes, int ncodes, char **terms, int nterms,
                 const char *mb, const char *att, const char *hidden, int inactive, json_t **out)
{
    json_t *o = json_object(), *arr, *v;
    int i;

    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "systemId", json_string(sys));
    if (desc)
        json_object_set_new(o, "description", json_string(desc));
    if (idesc)
        json_object_set_new(o, "internalDescription", json_string(idesc));
    json_object_set_new(o, "active", json_boolean(!inactive));
    arr = json_array();
    for (i = 0; i < ncodes; i++) {
        const char *colon = strchr(codes[i], ':');
        if (!colon || colon == codes[i] || !colon[1]) {
            json_decref(arr);
            json_decref(o);
            return kv__admin_usage(a, "--code must be TYPE:CODE, e.g. KLE:32.00.00");
        }
        json_array_append_new(arr, json_pack("{s:s%,s:s}", "type", codes[i],
                                             (size_t)(colon - codes[i]), "code", colon + 1));
    }
    json_object_set_new(o, "contactPointCodes", arr);
    arr = json_array();
    for (i = 0; i < nterms; i++)
        json_array_append_new(arr, json_pack("{s:s}", "term", terms[i]));
    json_object_set_new(o, "searchTerms", arr);
    if (mb) {
        if (!(v = int_opt(mb))) {
            json_decref(o);
            return kv__admin_usage(a, "--max-mb must be a number");
        }
        json_object_set_new(o, "memoSizeThresholdMB", v);
    }
    if (att) {
        if (!(v = int_opt(att))) {
            json_decref(o);
            return kv__admin_usage(a, "--max-attachments must be a number");
        }
        json_object_set_new(o, "allowedNumberOfAttachments", v);
    }
    if (hidden) {
        json_t *vis = json_object();
        const char *p = hidden;
        while (*p) {
            const char *end = strchr(p, ',');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            const char *aud = (n == 7 && strncmp(p, "citizen", 7) == 0)   ? "citizen"
                              : (n == 7 && strncmp(p, "company", 7) == 0) ? "company"
                              : (n == 9 && strncmp(p, "authority", 9) == 0) ? "authority"
                                                                            : NULL;
            if (!aud) {
                json_decref(vis);
                json_decref(o);
                return kv__admin_usage(a, "--hidden-for takes citizen, company and/or authority");
            }
            json_object_set_new(vis, aud, json_false());
            p += n;
            if (*p == ',')
                p++;
        }
        json_object_set_new(o, "visibility", vis);
    }
    *out = o;
    return 0;
}

static int cp_add(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *org = NULL, *name = NULL, *sys = NULL, *desc = NULL, *idesc = NULL;
    const char *mb = NULL, *att = NULL, *hidden = NULL;
    char **rest = kv_xcalloc((size_t)argc + 1, sizeof(char *));
    char *codes[REPEAT_MAX], *terms[REPEAT_MAX];
    int nrest = 0, ncodes = 0, nterms = 0, inactive = 0, i, rc, status = KV_EXIT_USAGE;
    json_t *in = NULL, *out = NULL, *fes = NULL;
    const struct kv__admin_opt opts[] = {
        {"--org", &org, NULL},
        {"--name", &name, NULL},
        {"--system", &sys, NULL},
        {"--description", &desc, NULL},
        {"--internal-description", &idesc, NULL},
        {"--max-mb", &mb, NULL},
        {"--max-attachments", &att, NULL},
        {"--hidden-for", &hidden, NULL},
        {"--inactive", NULL, &inactive},
        {0}};

    /* --code and --term repeat; take them out before the common parser sees argv. */
    for (i = 0; i < argc; i++) {
        int is_code = strcmp(argv[i], "--code") == 0, is_term = strcmp(argv[i], "--term") == 0;
        if ((is_code || is_term) && i + 1 < argc) {
            if ((is_code ? ncodes : nterms) >= REPEAT_MAX) {
                kv_cli_errorf("contact-point add", "at most %d --code and --term each",
                              REPEAT_MAX);
                free(rest);
                return KV_EXIT_USAGE;
            }
            if (is_code)
                codes[ncodes++] = argv[++i];
            else
                terms[nterms++] = argv[++i];
            continue;
        }
        rest[nrest++] = argv[i];
    }
    rc = kv__admin_parse(&a, "contact-point add", nrest, rest, opts, 0, usage);
    if (rc != 0) {
        free(rest);
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    }
    if (!org || !name || !sys) {
        free(rest);
        return kv__admin_usage(&a, "--org, --name and --system are required");
    }
    if (build(&a, name, sys, desc, idesc, codes, ncodes, terms, nterms, mb, att, hidden, inactive,
              &in) != 0)
        goto done;
    if (kv__admin_open(&a) < 0) {
        status = KV_EXIT_FAIL;
        goto done;
    }
    rc = kv_contact_point_create(a.db, org, "cli", in, &out, &fes, &err);
    if (rc < 0) {
        if (fes)
            print_errors(&a, fes);
        else
            kv__admin_fail(&a, rc, &err);
        status = KV_EXIT_FAIL;
    } else {
        if (a.json)
            kv__admin_print_json(json_incref(out));
        else
            printf("id: %s\n", json_string_value(json_object_get(out, "id")));
        status = KV_EXIT_OK;
    }
done:
    json_decref(in);
    json_decref(out);
    json_decref(fes);
    kv__admin_close(&a);
    free(rest);
    return status;
}

static int cp_list(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    const char *org = NULL;
    json_t *out = NULL, *p;
    const struct kv__admin_opt opts[] = {{"--org", &org, NULL}, {0}};
    size_t i;
    int rc, status;

    rc = kv__admin_parse(&a, "contact-point list", argc, argv, opts, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (!org)
        return kv__admin_usage(&a, "--org is required");
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    rc = kv_contact_points_list(a.db, org, &out, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json) {
            kv__admin_print_json(json_pack("{s:O}", "contactPoints", out));
        } else {
            json_array_foreach(out, i, p)
                printf("%s  %s%s\n", json_string_value(json_object_get(p, "id")),
                       json_string_value(json_object_get(p, "name")),
                       json_is_true(json_object_get(p, "active")) ? "" : "  (inactive)");
        }
        status = KV_EXIT_OK;
    }
    json_decref(out);
    kv__admin_close(&a);
    return status;
}

static int run(int argc, char **argv)
{
    static const struct kv_cli_sub subs[] = {{"add", cp_add}, {"list", cp_list}};

    return kv_cli_dispatch("contact-point", argc, argv, subs, sizeof(subs) / sizeof(subs[0]),
                           usage);
}

const struct kv_cli_cmd kv_cmd_contact_point = {"contact-point",
                                                "build an organisation's contact structure", run};

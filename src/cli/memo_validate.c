/* SPDX-License-Identifier: MIT
 *
 * memo_validate.c: `kuvert memo validate [--json] [--level xsd|ngdp] FILE... | -`.
 *
 * Checks each file with kv_memo_check and prints one line per problem
 * ("FILE:LINE:COL: RULE: message", warnings as "FILE:LINE:COL: warning: RULE: message") and
 * "FILE: ok" for every valid file, or one JSON document with --json. Exit status: 0 when every
 * file is valid, 1 when any is invalid, 2 on usage or I/O errors (the other files are still
 * checked). Also holds the loading and printing helpers shared with show and upgrade.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/err.h"
#include "cli/cli.h"
#include "cli/memo_cmds.h"
#include "memo/memo.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define CMD "memo validate"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kuvert memo validate [--json] [--level xsd|ngdp] FILE... | -\n\n"
            "Checks MeMo files in up to three layers: well-formedness (hardened reader), XSD\n"
            "schema for the declared memoVersion, and NgDP business rules.\n\n"
            "options:\n"
            "  --level ngdp   all three layers (default)\n"
            "  --level xsd    well-formedness and schema only\n"
            "  --json         print one JSON document instead of text lines\n"
            "  -h, --help     show this help\n\n"
            "Use - to read standard input. Output: \"FILE: ok\" for a valid file (after any\n"
            "warning lines), else one \"FILE:LINE:COL: RULE: message\" line per problem;\n"
            "warnings read \"FILE:LINE:COL: warning: RULE: message\".\n"
            "Exit status: 0 all valid, 1 some invalid, 2 usage or I/O error.\n");
}

void kv__cli_memo_put_clean(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i;

    for (i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            fputc('?', f);
        } else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
            fputc('?', f);
            i++;
        } else {
            fputc(p[i], f);
        }
    }
}

/* Prints a library message on one line: trailing whitespace (libxml2 messages end in a
 * newline) dropped, control characters replaced. */
static void put_oneline(FILE *f, const char *s)
{
    size_t len = strlen(s);

    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
                       s[len - 1] == '\t'))
        len--;
    kv__cli_memo_put_clean(f, s, len);
}

void kv__cli_memo_print_diags(FILE *f, const char *name, struct kv_memo_diags *d)
{
    size_t i;

    kv_memo_diags_sort(d);
    for (i = 0; i < d->n; i++) {
        const struct kv_memo_diag *g = &d->items[i];

        kv__cli_memo_put_clean(f, name, strlen(name));
        fprintf(f, ":%lu:%lu: %s%s: ", g->line, g->col,
                g->severity == KV_MEMO_WARNING ? "warning: " : "", g->rule);
        put_oneline(f, g->message);
        fputc('\n', f);
    }
    if (d->n_dropped > 0)
        fprintf(f, "%s: %zu further problems not shown\n", name, d->n_dropped);
}

void kv__cli_memo_bad_option(const char *cmd, int c, char **argv)
{
    const char *what = c == ':' ? "option needs a value" : "unknown option";
    const char *word = optind > 0 ? argv[optind - 1] : "";

    /* A long option (unknown, missing or unwanted value) is the last word getopt_long
     * consumed; an unknown short option sets optopt to its letter. */
    if (strncmp(word, "--", 2) == 0 || !(optopt > 0 && optopt < 128))
        kv_cli_errorf(cmd, "%s: %s (see kuvert %s --help)", what, word, cmd);
    else
        kv_cli_errorf(cmd, "%s: -%c (see kuvert %s --help)", what, optopt, cmd);
}

int kv__cli_memo_load(const char *cmd, const char *path, enum kv_memo_level level,
                      struct kv_memo_diags *diags, char **out_buf, size_t *out_len,
                      struct kv_memo_doc **out_doc)
{
    struct kv_err err = {0};
    char *buf = NULL;
    size_t len = 0;
    int rc;

    *out_buf = NULL;
    *out_len = 0;
    if (out_doc)
        *out_doc = NULL;
    rc = kv_cli_read_file(path, KV_MEMO_DEFAULT_MAX_BYTES, &buf, &len, &err);
    if (rc == KV_ETOOBIG) {
        /* A size verdict, not an I/O failure: the input is a message we refuse. */
        /* Same location and wording as the reader's own size check (src/memo/parse.c);
         * the exact size of a stream is not known because reading stopped at the limit. */
        kv_memo_diags_add(diags, KV_MEMO_ERROR, "XML-SIZE", 1, 1, "",
                          "the document is over %zu bytes; the limit is %zu bytes",
                          (size_t)KV_MEMO_DEFAULT_MAX_BYTES, (size_t)KV_MEMO_DEFAULT_MAX_BYTES);
        *out_buf = kv_xstrdup("");
        return 0;
    }
    if (rc < 0) {
        kv_cli_errorf(cmd, "%s", err.msg);
        return KV_EIO;
    }
    rc = kv_memo_check(buf, len, level, NULL, diags, out_doc, &err);
    if (rc < 0) {
        kv_cli_errorf(cmd, "%s: the check could not run: %s", path, err.msg);
        free(buf);
        return KV_EIO;
    }
    *out_buf = buf;
    *out_len = len;
    return 0;
}

/* name as a JSON string: as it is when it is UTF-8, else with every byte outside ASCII shown
 * as '?' (a file name is bytes; jansson refuses a string that is not UTF-8, and the file's
 * whole entry used to be left out of "files" for it). */
static json_t *json_file_name(const char *name)
{
    char *shown = kv_str_utf8_or_ascii(name);
    json_t *v = json_string(shown);

    free(shown);
    return v;
}

/* Appends one file's result to the JSON "files" array (borrows everything). */
static void json_add_file(json_t *files, const char *name, struct kv_memo_diags *d)
{
    json_t *problems = json_array();
    json_t *o;
    size_t i;

    kv_memo_diags_sort(d);
    for (i = 0; i < d->n; i++) {
        const struct kv_memo_diag *g = &d->items[i];

        json_array_append_new(
            problems,
            json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "severity",
                      g->severity == KV_MEMO_WARNING ? "warning" : "error", "rule", g->rule,
                      "line", (json_int_t)g->line, "column", (json_int_t)g->col, "path",
                      g->path ? g->path : "", "message", g->message ? g->message : ""));
    }
    o = json_pack("{s:o, s:b, s:I, s:I, s:o}", "file", json_file_name(name), "valid",
                  d->n_errors == 0, "errors",
                  (json_int_t)d->n_errors, "warnings", (json_int_t)d->n_warnings, "problems",
                  problems);
    if (d->n_dropped > 0)
        json_object_set_new(o, "dropped", json_integer((json_int_t)d->n_dropped));
    json_array_append_new(files, o);
}

/* Checks one file; prints its text result unless files is non-NULL (JSON mode), where it is
 * appended instead. Returns KV_EXIT_OK, KV_EXIT_FAIL or KV_EXIT_USAGE (I/O error). */
static int check_one(const char *path, enum kv_memo_level level, json_t *files)
{
    struct kv_memo_diags d;
    char *buf = NULL;
    size_t len = 0;
    int status;

    kv_memo_diags_init(&d);
    if (kv__cli_memo_load(CMD, path, level, &d, &buf, &len, NULL) < 0) {
        status = KV_EXIT_USAGE;
        goto out;
    }
    status = d.n_errors == 0 ? KV_EXIT_OK : KV_EXIT_FAIL;
    if (files) {
        json_add_file(files, path, &d);
    } else {
        kv__cli_memo_print_diags(stdout, path, &d);
        if (status == KV_EXIT_OK)
            printf("%s: ok\n", path);
    }
out:
    kv_memo_diags_release(&d);
    free(buf);
    return status;
}

int kv__cli_memo_validate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum kv_memo_level level = KV_MEMO_LEVEL_NGDP;
    int json = 0;
    int any_invalid = 0, any_ioerr = 0;
    json_t *root = NULL, *files = NULL;
    int c, i, status;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return KV_EXIT_OK;
        case 'j':
            json = 1;
            break;
        case 'l':
            if (strcmp(optarg, "xsd") == 0) {
                level = KV_MEMO_LEVEL_XSD;
            } else if (strcmp(optarg, "ngdp") == 0) {
                level = KV_MEMO_LEVEL_NGDP;
            } else {
                kv_cli_errorf(CMD, "unknown level '%s' (use xsd or ngdp)", optarg);
                return KV_EXIT_USAGE;
            }
            break;
        default:
            kv__cli_memo_bad_option(CMD, c, argv);
            return KV_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        kv_cli_errorf(CMD, "no file given (use - for standard input)");
        usage(stderr);
        return KV_EXIT_USAGE;
    }
    if (json) {
        root = json_object();
        files = json_array();
        json_object_set(root, "files", files);
    }
    for (i = optind; i < argc; i++) {
        status = check_one(argv[i], level, files);
        if (status == KV_EXIT_FAIL)
            any_invalid = 1;
        else if (status == KV_EXIT_USAGE)
            any_ioerr = 1;
    }
    if (json) {
        json_object_set_new(root, "valid", json_boolean(!any_invalid && !any_ioerr));
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(files);
        json_decref(root);
    }
    if (fflush(stdout) != 0) {
        kv_cli_errorf(CMD, "cannot write the output");
        return KV_EXIT_USAGE;
    }
    if (any_ioerr)
        return KV_EXIT_USAGE;
    return any_invalid ? KV_EXIT_FAIL : KV_EXIT_OK;
}

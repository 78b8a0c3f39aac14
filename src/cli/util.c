/* SPDX-License-Identifier: MIT
 *
 * util.c: small helpers shared by the CLI command files (the sub-command dispatcher, error
 * printing, reading input files with a size bound).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/err.h"
#include "cli/cli.h"
#include "util/buf.h"

void kv_cli_errorf(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "kuvert: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int kv_cli_dispatch(const char *cmd, int argc, char **argv, const struct kv_cli_sub *subs,
                    size_t n, void (*usage)(FILE *f))
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return KV_EXIT_USAGE;
    }
    if (kv_cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return KV_EXIT_OK;
    }
    for (i = 0; i < n; i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
    kv_cli_errorf(cmd, "unknown subcommand \"%s\" (see kuvert %s --help)", argv[1], cmd);
    return KV_EXIT_USAGE;
}

int kv_cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int kv_cli_read_file(const char *path, size_t max, char **out, size_t *out_len, struct kv_err *err)
{
    FILE *f = NULL;
    struct kv_buf b;
    char chunk[65536];
    size_t n;
    int rc = 0;
    struct stat st;

    kv_buf_init(&b, max);
    *out = NULL;
    if (strcmp(path, "-") == 0) {
        f = stdin;
    } else {
        f = fopen(path, "rb");
        if (!f) {
            rc = kv_err_errno(err, "cannot open %s", path);
            goto out;
        }
        if (fstat(fileno(f), &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                rc = kv_err_set(err, KV_EIO, "%s is a directory", path);
                goto out;
            }
            if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
                rc = kv_err_set(err, KV_ETOOBIG, "%s is %lld bytes, over the %zu-byte limit",
                                path, (long long)st.st_size, max);
                goto out;
            }
            /* Reserve once so a big letter is not copied while the buffer grows. */
            if (S_ISREG(st.st_mode) && st.st_size > 0)
                (void)kv_buf_reserve(&b, (size_t)st.st_size);
        }
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = kv_buf_append(&b, chunk, n);
        if (rc < 0) {
            rc = kv_err_set(err, KV_ETOOBIG, "%s is over the %zu-byte limit", path, max);
            goto out;
        }
    }
    if (ferror(f)) {
        rc = kv_err_errno(err, "cannot read %s", path);
        goto out;
    }
    *out = kv_buf_detach(&b, out_len);
out:
    if (f && f != stdin)
        fclose(f);
    kv_buf_release(&b);
    return rc;
}

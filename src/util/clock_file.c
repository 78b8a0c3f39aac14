/* SPDX-License-Identifier: MIT
 *
 * clock_file.c: keeps the test clock's offset in the data directory (see clock.h), so a
 * server restarted during a test (crash tests, kill -9 mid-burst) continues at the moved time
 * instead of jumping back, and the admin CLI acting on the same data directory agrees with
 * the server about "now". The file exists only where --test-clock moved time; production
 * data directories never have one.
 */
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_LEN 32 /* one decimal int64 and a newline */

static int path_of(const char *dir, const char *suffix, char *out, size_t n, struct kv_err *err)
{
    int len = snprintf(out, n, "%s/%s%s", dir, KV_CLOCK_OFFSET_FILE, suffix);

    if (len < 0 || (size_t)len >= n)
        return kv_err_set(err, KV_EINVAL, "data directory path too long");
    return 0;
}

int kv_clock_save_offset(const char *data_dir, struct kv_err *err)
{
    char path[4096], tmp[4096], line[LINE_MAX_LEN];
    int fd = -1, rc, len;

    rc = path_of(data_dir, "", path, sizeof(path), err);
    if (rc == 0)
        rc = path_of(data_dir, ".tmp", tmp, sizeof(tmp), err);
    if (rc < 0)
        return rc;
    len = snprintf(line, sizeof(line), "%lld\n", (long long)kv_clock_offset_ms());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return kv_err_errno(err, "cannot create %s", tmp);
    if (write(fd, line, (size_t)len) != len || fsync(fd) != 0) {
        rc = kv_err_errno(err, "cannot write %s", tmp);
        close(fd);
        unlink(tmp);
        return rc;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        rc = kv_err_errno(err, "cannot rename %s", tmp);
        unlink(tmp);
        return rc;
    }
    return 0;
}

int kv_clock_load_offset(const char *data_dir, int *out_found, struct kv_err *err)
{
    char path[4096], line[LINE_MAX_LEN + 1], *end;
    ssize_t n;
    long long v;
    int fd, rc;

    if (out_found)
        *out_found = 0;
    rc = path_of(data_dir, "", path, sizeof(path), err);
    if (rc < 0)
        return rc;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return kv_err_errno(err, "cannot open %s", path);
    }
    n = read(fd, line, LINE_MAX_LEN);
    close(fd);
    if (n < 0)
        return kv_err_errno(err, "cannot read %s", path);
    line[n] = '\0';
    errno = 0;
    v = strtoll(line, &end, 10);
    if (end == line || errno != 0 || v < 0 || (*end != '\0' && strcmp(end, "\n") != 0))
        return kv_err_set(err, KV_EINVAL, "%s is not a test-clock offset in ms", path);
    kv_clock_advance_ms((int64_t)v - kv_clock_offset_ms());
    if (out_found)
        *out_found = 1;
    return 0;
}

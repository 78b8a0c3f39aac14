/* SPDX-License-Identifier: MIT
 *
 * url.c: the http(s) URL check. See url.h.
 */
#include "util/url.h"

#include <stddef.h>
#include <strings.h>

/* Length of the scheme prefix of u when it is "http://" (allow_http) or "https://", else 0. */
static size_t prefix(const char *u, int allow_http)
{
    if (!u)
        return 0;
    if (strncasecmp(u, "https://", 8) == 0)
        return 8;
    if (allow_http && strncasecmp(u, "http://", 7) == 0)
        return 7;
    return 0;
}

/* A host follows the scheme, and no byte of the URL is a space or a control character. */
static int rest_ok(const char *u, size_t n)
{
    const char *p;

    if (u[n] == '\0' || u[n] == '/')
        return 0;
    for (p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

int kv_url_is_http(const char *u)
{
    size_t n = prefix(u, 1);

    return n > 0 && rest_ok(u, n);
}

int kv_url_is_https(const char *u)
{
    size_t n = prefix(u, 0);

    return n > 0 && rest_ok(u, n);
}

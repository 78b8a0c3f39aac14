/* SPDX-License-Identifier: MIT
 *
 * client_addr.c: the client's address when kuvert runs behind reverse proxies (haproxy,
 * nginx). Only a peer in the configured trusted_proxies list is believed: its forwarding
 * header (X-Forwarded-For, or RFC 7239 Forwarded "for=") is read from the right, hops that are
 * themselves trusted proxies are passed over, and the first address that is not a trusted
 * proxy is the client. Anything a client writes into the header itself stays to the left of
 * what the proxies appended, so it is never reached while an untrusted address comes first.
 * A malformed element ends the walk: the client is then the last hop that was read well (the
 * header's left part cannot be relied on). See http.h and docs/http.md "Behind a proxy".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "util/cidr.h"

#define MAX_HOPS 64 /* elements of one header read at most (a longer chain is malformed) */

/* Parses text (len bytes) as an IP address, optionally "[v6]", "[v6]:port" or "v4:port", into
 * its inet_ntop spelling in out. 0, or -1 when it is not one. */
static int parse_addr(const char *text, size_t len, char *out, size_t outlen)
{
    char buf[INET6_ADDRSTRLEN + 16];
    unsigned char bin[16];
    const char *colon;

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (buf[0] == '[') {
        char *end = strchr(buf, ']');
        if (!end || (end[1] != '\0' && end[1] != ':'))
            return -1;
        *end = '\0';
        if (inet_pton(AF_INET6, buf + 1, bin) != 1)
            return -1;
        return inet_ntop(AF_INET6, bin, out, (socklen_t)outlen) ? 0 : -1;
    }
    if (inet_pton(AF_INET6, buf, bin) == 1)
        return inet_ntop(AF_INET6, bin, out, (socklen_t)outlen) ? 0 : -1;
    colon = strchr(buf, ':');
    if (colon && !strchr(colon + 1, ':'))
        buf[colon - buf] = '\0'; /* "192.0.2.7:4711" */
    if (inet_pton(AF_INET, buf, bin) != 1)
        return -1;
    return inet_ntop(AF_INET, bin, out, (socklen_t)outlen) ? 0 : -1;
}

/* The address of one Forwarded element ("for=...;proto=https;by=..."): the value of its for
 * parameter, unquoted. Points into e; *out_len its length; NULL when there is no for=. */
static const char *forwarded_for(const char *e, size_t n, size_t *out_len)
{
    size_t i = 0;

    while (i < n) {
        size_t start, end;

        while (i < n && (e[i] == ' ' || e[i] == '\t' || e[i] == ';'))
            i++;
        start = i;
        while (i < n && e[i] != ';')
            i++;
        end = i;
        while (end > start && (e[end - 1] == ' ' || e[end - 1] == '\t'))
            end--;
        if (end - start > 4 && strncasecmp(e + start, "for=", 4) == 0) {
            const char *v = e + start + 4;
            size_t vl = end - start - 4;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
                v++;
                vl -= 2;
            }
            *out_len = vl;
            return v;
        }
    }
    return NULL;
}

int kv_http_forwarded_client(const char *peer, const char *trusted, int kind, const char *header,
                             char *out, size_t outlen)
{
    const char *end;
    int hops = 0;

    snprintf(out, outlen, "%s", peer ? peer : "");
    if (!trusted || !trusted[0] || !peer || !peer[0] || !kv_cidr_list_allows(trusted, peer))
        return 0; /* a direct client, or no proxy is trusted: its own address */
    if (!header || !header[0])
        return 0;
    end = header + strlen(header);
    while (end > header) {
        const char *start = end, *v;
        char addr[INET6_ADDRSTRLEN];
        size_t n;

        while (start > header && start[-1] != ',')
            start--;
        v = start;
        n = (size_t)(end - start);
        end = start > header ? start - 1 : header;
        while (n > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            n--;
        }
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n == 0 && end > header)
            continue; /* an empty list element (RFC 9110 5.6.1) */
        if (++hops > MAX_HOPS)
            return -1;
        if (kind == KV_PROXY_FORWARDED && (v = forwarded_for(v, n, &n)) == NULL)
            return -1;
        if (parse_addr(v, n, addr, sizeof(addr)) < 0)
            return -1; /* "unknown", "_hidden", garbage: the last hop read well stands */
        snprintf(out, outlen, "%s", addr);
        if (!kv_cidr_list_allows(trusted, addr))
            return 1; /* the first address that is not one of our proxies */
    }
    return 1; /* every hop a trusted proxy: the leftmost */
}

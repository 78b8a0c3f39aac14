/* SPDX-License-Identifier: MIT
 *
 * cidr.c: allowed-address lists (see cidr.h). Entries are parsed with inet_pton, so nothing
 * here interprets address syntax by hand; a network is compared as the first prefix bits of
 * the 4 or 16 address bytes.
 */
#include "util/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_MAX 64 /* longest entry as typed ("ffff:...:ffff/128" is 43) */

struct net {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char a[16];     /* address bytes (4 used for AF_INET) */
    int prefix;              /* network bits */
};

static int is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';';
}

/* An IPv4-mapped IPv6 address becomes the IPv4 address it carries. */
static void unmap(struct net *n)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    /* a network wider than the mapped block (prefix < 96) stays IPv6 */
    if (n->family == AF_INET6 && n->prefix >= 96 && memcmp(n->a, mapped, 12) == 0) {
        memmove(n->a, n->a + 12, 4);
        memset(n->a + 4, 0, 12);
        n->family = AF_INET;
        n->prefix -= 96;
    }
}

/* Parses one address (with_prefix 0) or address[/prefix] into n; 0, or -1 with why set. */
static int parse(const char *s, int with_prefix, struct net *n, struct kv_cidr_why *why)
{
    char addr[ENTRY_MAX];
    const char *slash = with_prefix ? strchr(s, '/') : NULL;
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    int bits, i;

    memset(n, 0, sizeof(*n));
    if (alen == 0 || alen >= sizeof(addr))
        goto bad;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (inet_pton(AF_INET, addr, n->a) == 1)
        n->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, n->a) == 1)
        n->family = AF_INET6;
    else
        goto bad;
    bits = n->family == AF_INET ? 32 : 128;
    n->prefix = bits;
    if (slash) {
        const char *p = slash + 1;
        int v = 0;

        if (!*p || strlen(p) > 3)
            goto badprefix;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                goto badprefix;
            v = v * 10 + (*p - '0');
        }
        if (v > bits)
            goto badprefix;
        n->prefix = v;
        for (i = 0; i < bits; i++) {
            if (i >= v && (n->a[i / 8] & (0x80 >> (i % 8)))) {
                unsigned char net[16];
                char txt[INET6_ADDRSTRLEN];
                int j;

                memcpy(net, n->a, 16);
                for (j = v; j < bits; j++)
                    net[j / 8] &= (unsigned char)~(0x80 >> (j % 8));
                inet_ntop(n->family, net, txt, sizeof(txt));
                why->fault = KV_CIDR_HOST_BITS;
                snprintf(why->entry, sizeof(why->entry), "%.*s", (int)ENTRY_MAX, s);
                snprintf(why->suggestion, sizeof(why->suggestion), "%s/%d", txt, v);
                return -1;
            }
        }
    }
    return 0;
badprefix:
    why->fault = KV_CIDR_PREFIX;
    snprintf(why->entry, sizeof(why->entry), "%.*s", (int)ENTRY_MAX, s);
    why->max = n->family == AF_INET ? 32 : 128;
    return -1;
bad:
    why->fault = KV_CIDR_NOT_ADDRESS;
    snprintf(why->entry, sizeof(why->entry), "%.*s", (int)ENTRY_MAX, s);
    return -1;
}

static void net_text(const struct net *n, char *out, size_t outlen)
{
    char txt[INET6_ADDRSTRLEN];
    int full = n->family == AF_INET ? 32 : 128;

    inet_ntop(n->family, n->a, txt, sizeof(txt));
    if (n->prefix == full)
        snprintf(out, outlen, "%s", txt);
    else
        snprintf(out, outlen, "%s/%d", txt, n->prefix);
}

static int contains(const struct net *net, const struct net *addr)
{
    int i;

    if (net->family != addr->family)
        return 0;
    for (i = 0; i < net->prefix; i++)
        if ((net->a[i / 8] ^ addr->a[i / 8]) & (0x80 >> (i % 8)))
            return 0;
    return 1;
}

int kv_cidr_list_canon(const char *list, char *out, size_t outlen, char *msg, size_t msglen)
{
    struct kv_cidr_why why;

    if (msglen)
        msg[0] = '\0';
    if (kv_cidr_list_canon_why(list, out, outlen, &why) == 0)
        return 0;
    switch (why.fault) {
    case KV_CIDR_HOST_BITS:
        snprintf(msg, msglen, "host bits set in %s: did you mean %s?", why.entry, why.suggestion);
        break;
    case KV_CIDR_PREFIX:
        snprintf(msg, msglen, "prefix length of %s must be 0-%d", why.entry, why.max);
        break;
    case KV_CIDR_TOO_MANY: snprintf(msg, msglen, "more than %d entries", why.max); break;
    case KV_CIDR_TOO_LONG: snprintf(msg, msglen, "too long"); break;
    default: snprintf(msg, msglen, "not an IP address or range: %s", why.entry); break;
    }
    return -1;
}

int kv_cidr_list_canon_why(const char *list, char *out, size_t outlen, struct kv_cidr_why *why)
{
    struct net nets[KV_CIDR_MAX_ENTRIES];
    char entry[ENTRY_MAX + 1], txt[ENTRY_MAX];
    const char *p = list ? list : "";
    size_t n = 0, used = 0, len, i;

    memset(why, 0, sizeof(*why));
    why->fault = KV_CIDR_TOO_LONG;
    if (outlen == 0)
        return -1;
    out[0] = '\0';
    while (*p) {
        while (is_sep(*p))
            p++;
        if (!*p)
            break;
        for (len = 0; p[len] && !is_sep(p[len]); len++)
            ;
        if (len > ENTRY_MAX) {
            why->fault = KV_CIDR_NOT_ADDRESS;
            snprintf(why->entry, sizeof(why->entry), "%.*s...", 40, p);
            goto fail;
        }
        memcpy(entry, p, len);
        entry[len] = '\0';
        p += len;
        if (n == KV_CIDR_MAX_ENTRIES) {
            why->fault = KV_CIDR_TOO_MANY;
            why->max = KV_CIDR_MAX_ENTRIES;
            goto fail;
        }
        if (parse(entry, 1, &nets[n], why) < 0)
            goto fail;
        for (i = 0; i < n; i++)
            if (nets[i].family == nets[n].family && nets[i].prefix == nets[n].prefix &&
                memcmp(nets[i].a, nets[n].a, 16) == 0)
                break;
        if (i < n)
            continue; /* a duplicate */
        net_text(&nets[n], txt, sizeof(txt));
        len = strlen(txt);
        if (used + (used ? 2 : 0) + len + 1 > outlen) {
            why->fault = KV_CIDR_TOO_LONG;
            goto fail;
        }
        if (used) {
            memcpy(out + used, ", ", 2);
            used += 2;
        }
        memcpy(out + used, txt, len + 1);
        used += len;
        n++;
    }
    return 0;
fail:
    out[0] = '\0';
    return -1;
}

int kv_cidr_list_allows(const char *list, const char *addr)
{
    struct net a, net;
    struct kv_cidr_why why;
    char entry[ENTRY_MAX + 1];
    const char *p = list ? list : "";
    size_t len;
    int any = 0;

    if (addr && parse(addr, 0, &a, &why) == 0)
        unmap(&a);
    else
        a.family = 0;
    while (*p) {
        while (is_sep(*p))
            p++;
        if (!*p)
            break;
        for (len = 0; p[len] && !is_sep(p[len]); len++)
            ;
        any = 1;
        if (len <= ENTRY_MAX && a.family) {
            memcpy(entry, p, len);
            entry[len] = '\0';
            if (parse(entry, 1, &net, &why) == 0) {
                unmap(&net);
                if (contains(&net, &a))
                    return 1;
            }
        }
        p += len;
    }
    return !any;
}

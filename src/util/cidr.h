/* SPDX-License-Identifier: MIT
 *
 * cidr.h: lists of allowed IP addresses and ranges (IPv4 and IPv6, CIDR notation), as a
 * system's "allowed IP addresses" (directory.h) keeps them, and the one test whether a
 * client address is in such a list (the API gate, api/gate.c).
 *
 * A list as a person types it: entries separated by commas, spaces or line breaks; each an
 * address ("192.0.2.7", "2001:db8::1") or a network "address/prefix" ("10.0.0.0/8",
 * "2001:db8::/32") whose host bits are zero. The canonical form is the entries in the order
 * given, duplicates removed, written by inet_ntop (lower-case, IPv6 compressed), a single
 * address without "/prefix", separated by ", ". An empty list means "any address".
 * An IPv4-mapped IPv6 client address (::ffff:192.0.2.7, what a dual-stack socket reports)
 * is matched as the IPv4 address it carries.
 *
 * Ownership: nothing is kept; callers own every buffer.
 */
#ifndef KV_UTIL_CIDR_H
#define KV_UTIL_CIDR_H

#include <stddef.h>

#define KV_CIDR_MAX_ENTRIES 64    /* most entries in one list */
#define KV_CIDR_TEXT_MAX 2048     /* longest canonical list, with its NUL */

/* Checks and canonicalises list (NULL or "" = empty) into out (outlen bytes, at least
 * KV_CIDR_TEXT_MAX for any valid list). 0 on success; -1 with a sentence naming the first
 * wrong entry in msg (msglen bytes) otherwise ("not an IP address or range: x", "host bits
 * set in 10.0.0.1/8: did you mean 10.0.0.0/8?", "prefix length of ... must be 0-32",
 * "more than 64 entries", "too long"). */
int kv_cidr_list_canon(const char *list, char *out, size_t outlen, char *msg, size_t msglen);

/* Why a list was refused, for a message in the reader's language (web/aa_system_form.c). */
enum kv_cidr_fault {
    KV_CIDR_NOT_ADDRESS = 1, /* entry is not an address or address/prefix */
    KV_CIDR_HOST_BITS,       /* entry has host bits set; suggestion is the network meant */
    KV_CIDR_PREFIX,          /* entry's prefix length is not 0-max */
    KV_CIDR_TOO_MANY,        /* more than max entries */
    KV_CIDR_TOO_LONG         /* the canonical list does not fit */
};
struct kv_cidr_why {
    enum kv_cidr_fault fault;
    char entry[80];      /* the wrong entry as typed (a long one cut, with "...") */
    char suggestion[64]; /* KV_CIDR_HOST_BITS: "10.0.0.0/8" */
    int max;             /* KV_CIDR_PREFIX: 32 or 128; KV_CIDR_TOO_MANY: the most entries */
};
/* kv_cidr_list_canon with the reason as data: 0, or -1 with why filled. */
int kv_cidr_list_canon_why(const char *list, char *out, size_t outlen, struct kv_cidr_why *why);

/* 1 when address addr (text, as kv_http_req_client gives it) is in canonical list (or the
 * list is empty); 0 when not, or when addr is not an IP address and the list is not empty. */
int kv_cidr_list_allows(const char *list, const char *addr);

#endif

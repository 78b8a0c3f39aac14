/* SPDX-License-Identifier: MIT
 *
 * system_list.h: an organisation's sender and recipient systems as the Administrativ Adgang
 * pages show them -- a bounded list of one organisation's systems, and one system looked up
 * only within its organisation (so a page can never reach another organisation's system by
 * guessing an id: it is simply not found). Reads only; changes go through directory.h and
 * system_health.h.
 *
 * Ownership: callers own the arrays and structs they pass; nothing is allocated.
 */
#ifndef KV_HUB_SYSTEM_LIST_H
#define KV_HUB_SYSTEM_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "hub/protocol.h"
#include "util/cidr.h"
#include "util/err.h"

struct kv_db;

struct kv_system_summary {
    char id[37];             /* UUID v4, lower case */
    char kind[12];           /* "sender" | "recipient" */
    char name[257];
    enum kv_protocol protocol; /* recipient: how it receives (protocol.h); NONE for senders */
    char receipt_url[1024];  /* sender: receipt endpoint, "" = pull only */
    char push_url[1024];     /* recipient: push endpoint, "" if none */
    char contact_email[257]; /* business contact (warning mails), "" if none */
    int is_default;          /* the organisation's default recipient system */
    char status[16];         /* "active" | "deactivated" */
    int64_t created_ms;
    char technical_contact[257]; /* "" if none */
    char supplier[257];      /* "" if none */
    char allowed_ips[KV_CIDR_TEXT_MAX]; /* canonical list, "" = any address */
    char active_from[11];    /* "YYYY-MM-DD" or "" */
    char active_to[11];      /* "YYYY-MM-DD" (inclusive) or "" */
};

#define KV_SYSTEM_LIST_MAX 500 /* most systems one organisation lists */

/* The systems of organisation org_cvr, recipients first, then by name; at most max (and at
 * most KV_SYSTEM_LIST_MAX) into out; *out_n gets how many. */
int kv_system_list_org(struct kv_db *db, const char *org_cvr, struct kv_system_summary *out,
                       size_t max, size_t *out_n, struct kv_err *err);
/* System id (any case) when it belongs to org_cvr; KV_ENOTFOUND otherwise (also for a
 * malformed id). */
int kv_system_get_in_org(struct kv_db *db, const char *org_cvr, const char *id,
                         struct kv_system_summary *out, struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * protocol.h: how a recipient system receives its letters. The one place that knows what
 * each protocol means; everything else asks this table instead of comparing names:
 *   pull  the system fetches its letters (REST pull: recipient_queue.h, api/recipient_pull.c);
 *         it is failing while letters wait unfetched (system_health.h);
 *   push  the hub POSTs each letter to the system's push URL (recipient_push.h); it is
 *         failing from the first failed push that no success has followed.
 * A new protocol is one entry in protocol.c plus the file that delivers with it. The name is
 * what systems.protocol stores and what the CLI and APIs show and accept.
 *
 * Ownership: the table is static and read-only; names are static strings.
 */
#ifndef KV_HUB_PROTOCOL_H
#define KV_HUB_PROTOCOL_H

enum kv_protocol {
    KV_PROTOCOL_NONE = 0, /* not a recipient system (sender systems) */
    KV_PROTOCOL_PULL,     /* REST pull */
    KV_PROTOCOL_PUSH,     /* REST push */
    KV_PROTOCOL_COUNT
};

struct kv_protocol_info {
    const char *name;         /* "pull", "push"; "" for KV_PROTOCOL_NONE */
    int needs_push_url;       /* 1: the system must have a push URL */
    int hub_delivers;         /* 1: the hub sends the letters and records each failure;
                                 0: the system fetches, failing while letters wait */
    const char *failing_text; /* why a failing system's warning mail says it is failing */
};

/* What protocol p means (KV_PROTOCOL_NONE for anything out of range). */
const struct kv_protocol_info *kv_protocol_info(enum kv_protocol p);
/* p's name ("" for KV_PROTOCOL_NONE). */
const char *kv_protocol_name(enum kv_protocol p);
/* The protocol named name (exact, lower case; NULL or "" = KV_PROTOCOL_NONE). Returns 0, or
 * -1 for a name no protocol has (*out untouched). */
int kv_protocol_parse(const char *name, enum kv_protocol *out);
/* The names a recipient system may have, for messages: "pull or push". */
const char *kv_protocol_choices(void);

#endif

/* SPDX-License-Identifier: MIT
 *
 * protocol.c: the table of recipient-system protocols. See protocol.h.
 */
#include "hub/protocol.h"

#include <string.h>

static const struct kv_protocol_info table[KV_PROTOCOL_COUNT] = {
    [KV_PROTOCOL_NONE] = {"", 0, 0, ""},
    [KV_PROTOCOL_PULL] = {"pull", 0, 0, "they have not been fetched"},
    [KV_PROTOCOL_PUSH] = {"push", 1, 1, "every push attempt has failed"},
};

const struct kv_protocol_info *kv_protocol_info(enum kv_protocol p)
{
    return (int)p > 0 && p < KV_PROTOCOL_COUNT ? &table[p] : &table[KV_PROTOCOL_NONE];
}

const char *kv_protocol_name(enum kv_protocol p)
{
    return kv_protocol_info(p)->name;
}

int kv_protocol_parse(const char *name, enum kv_protocol *out)
{
    int p;

    if (!name || !name[0]) {
        *out = KV_PROTOCOL_NONE;
        return 0;
    }
    for (p = KV_PROTOCOL_NONE + 1; p < KV_PROTOCOL_COUNT; p++)
        if (strcmp(name, table[p].name) == 0) {
            *out = (enum kv_protocol)p;
            return 0;
        }
    return -1;
}

const char *kv_protocol_choices(void)
{
    return "pull or push";
}

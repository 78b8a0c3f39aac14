/* SPDX-License-Identifier: MIT
 *
 * event_actor.c: the calling thread's acting party for events (see event_actor.h).
 */
#include "hub/event_actor.h"

#include "util/str.h"

static _Thread_local char actor[80];

void kv_event_actor_set(const char *a)
{
    /* as snprintf "%s" did, without its formatting machinery (twice per request) */
    (void)kv_str_copy(actor, sizeof(actor), a);
}

const char *kv_event_actor(void)
{
    return actor[0] ? actor : "hub";
}

/* SPDX-License-Identifier: MIT
 *
 * event_actor.c: the calling thread's acting party for events (see event_actor.h).
 */
#include "hub/event_actor.h"

#include <stdio.h>

static _Thread_local char actor[80];

void kv_event_actor_set(const char *a)
{
    snprintf(actor, sizeof(actor), "%s", a ? a : "");
}

const char *kv_event_actor(void)
{
    return actor[0] ? actor : "hub";
}

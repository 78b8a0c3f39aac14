/* SPDX-License-Identifier: MIT
 *
 * reqtrace.c: per-request counters of the calling thread (see reqtrace.h).
 */
#include "util/reqtrace.h"

#include <string.h>

static _Thread_local const char *route_key;
static _Thread_local int own_count, other_count;

void kv_reqtrace_begin(const char *route_access)
{
    route_key = route_access;
    own_count = other_count = 0;
}

void kv_reqtrace_decision(const char *access)
{
    if (route_key && access && strcmp(route_key, access) == 0)
        own_count++;
    else
        other_count++;
}

void kv_reqtrace_other(void)
{
    other_count++;
}

void kv_reqtrace_get(int *own, int *other)
{
    *own = own_count;
    *other = other_count;
}

/* SPDX-License-Identifier: MIT
 *
 * demo_people.h: the employees, rights and persons `kuvert demo` seeds (demo_people.c).
 * Ownership: res is borrowed; the functions add members to it.
 */
#ifndef KV_CLI_DEMO_PEOPLE_H
#define KV_CLI_DEMO_PEOPLE_H

#include <jansson.h>

#include "util/err.h"

struct kv__admin;

/* Seeds them (the demo organisations and mailboxes must exist) and adds "employees" and
 * "persons" to res. */
int kv__demo_people(struct kv__admin *a, json_t *res, struct kv_err *err);
/* Prints the employees of res as text. */
void kv__demo_people_print(json_t *res);

#endif

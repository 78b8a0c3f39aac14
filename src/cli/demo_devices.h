/* SPDX-License-Identifier: MIT
 *
 * demo_devices.h: the devices `kuvert demo` gives the demo citizen Mette Hansen (2211771212)
 * for the Adgangsportal (docs/adgangsportal.md): an iPhone app sign-in that receives push and
 * an iPad app sign-in without push (bearer tokens issued with a device id and name; the push
 * subscription through notify/settings.h), and a name for the demo's own API token.
 * Ownership: res is borrowed; the function adds "devices".
 */
#ifndef KV_CLI_DEMO_DEVICES_H
#define KV_CLI_DEMO_DEVICES_H

#include <jansson.h>

#include "util/err.h"

struct kv__admin;

#define KV__DEMO_DEVICES_CPR "2211771212"

/* Seeds them (the demo mailboxes must exist) and adds "devices" to res. */
int kv__demo_devices(struct kv__admin *a, json_t *res, struct kv_err *err);

#endif

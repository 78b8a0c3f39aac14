/* SPDX-License-Identifier: MIT
 *
 * demo_notify.h: the notification settings `kuvert demo` seeds (demo_notify.c): the demo
 * citizen Mette Hansen (2211771212) with the confirmed e-mail address KV__DEMO_NOTIFY_EMAIL,
 * so the demo's letters to her make notices (sent to the SMTP sink `make run` starts,
 * docs/notifications.md). Ownership: res is borrowed; the function adds "notifications".
 */
#ifndef KV_CLI_DEMO_NOTIFY_H
#define KV_CLI_DEMO_NOTIFY_H

#include <jansson.h>

#include "util/err.h"

struct kv__admin;

#define KV__DEMO_NOTIFY_CPR "2211771212"
#define KV__DEMO_NOTIFY_EMAIL "mette.hansen@example.dk"

/* Seeds it (the demo mailboxes must exist). */
int kv__demo_notify(struct kv__admin *a, json_t *res, struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * demo_devices.c: the demo citizen's devices for the Adgangsportal (see demo_devices.h). The
 * tokens are real ones (kept from the output: an app would hold them); the push subscription
 * has a made-up device token, so notices to it wait for a push gateway like any other.
 */
#include "cli/demo_devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/admin.h"
#include "hub/user_token.h"
#include "notify/settings.h"
#include "util/clock.h"

static const struct {
    const char *id, *name, *push_token; /* push_token NULL: no push */
} DEVICES[] = {
    {"demo-iphone-1", "Mettes iPhone", "demo-apn-device-token-1"},
    {"demo-ipad-1", "Mettes iPad", NULL},
};

int kv__demo_devices(struct kv__admin *a, json_t *res, struct kv_err *err)
{
    struct kv_user_token_info info, *list = NULL;
    struct kv_notify_access acc;
    json_t *out = json_array();
    char *token = NULL;
    size_t i, n = 0;
    int64_t id;
    int rc;

    /* the token the demo prints for curl: named, so it is not an "unknown device" */
    rc = kv_user_token_list(a->db, "CPR", KV__DEMO_DEVICES_CPR, &list, &n, err);
    for (i = 0; rc == 0 && i < n; i++)
        rc = kv_user_token_set_device(a->db, list[i].id, NULL, "API (kuvert demo)", err);
    free(list);
    if (rc == 0)
        rc = kv_notify_access_for(a->db, "CPR", KV__DEMO_DEVICES_CPR, "CPR:" KV__DEMO_DEVICES_CPR,
                                  "cpr:" KV__DEMO_DEVICES_CPR, &acc, err);
    for (i = 0; rc == 0 && i < sizeof(DEVICES) / sizeof(DEVICES[0]); i++) {
        rc = kv_user_token_issue(a->db, "CPR", KV__DEMO_DEVICES_CPR, 0, KV_USER_TOKEN_KEEP_OTHERS,
                                 &token, &info, NULL, err);
        if (rc == 0)
            rc = kv_user_token_set_device(a->db, info.id, DEVICES[i].id, DEVICES[i].name, err);
        if (rc == 0 && DEVICES[i].push_token)
            rc = kv_notify_push_add(a->db, &acc, "APN", DEVICES[i].id, DEVICES[i].name,
                                    DEVICES[i].push_token, kv_clock_now_ms(), &id, err);
        if (rc == 0)
            json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:b}", "ownerId",
                                                 KV__DEMO_DEVICES_CPR, "deviceName",
                                                 DEVICES[i].name, "token", token, "push",
                                                 DEVICES[i].push_token != NULL));
        free(token);
        token = NULL;
    }
    json_object_set_new(res, "devices", out);
    return rc;
}

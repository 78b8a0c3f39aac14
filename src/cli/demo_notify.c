/* SPDX-License-Identifier: MIT
 *
 * demo_notify.c: the demo's notification settings (see demo_notify.h). The address is added
 * and confirmed through the same functions the mailbox uses (notify/settings.h): the link
 * token is taken from the call and redeemed at once, as if the citizen had opened the mail.
 */
#include "cli/demo_notify.h"

#include "cli/admin.h"
#include "notify/settings.h"
#include "util/clock.h"

int kv__demo_notify(struct kv__admin *a, json_t *res, struct kv_err *err)
{
    struct kv_notify_access acc;
    char token[KV_NOTIFY_TOKEN_LEN + 1];
    int64_t now = kv_clock_now_ms();
    int rc;

    rc = kv_notify_access_for(a->db, "CPR", KV__DEMO_NOTIFY_CPR, "CPR:" KV__DEMO_NOTIFY_CPR,
                              "cpr:" KV__DEMO_NOTIFY_CPR, &acc, err);
    if (rc == 0)
        rc = kv_notify_email_add(a->db, &acc, KV__DEMO_NOTIFY_EMAIL, "http://127.0.0.1:8080", now,
                                 NULL, token, err);
    if (rc == 0)
        rc = kv_notify_email_confirm(a->db, token, now, NULL, err);
    if (rc == 0)
        json_object_set_new(res, "notifications",
                            json_pack("{s:s,s:s}", "cpr", KV__DEMO_NOTIFY_CPR, "emailAddress",
                                      KV__DEMO_NOTIFY_EMAIL));
    return rc;
}

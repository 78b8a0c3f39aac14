/* SPDX-License-Identifier: MIT
 *
 * upgrade.c: kv_memo_upgrade, MeMo 1.0/1.1 -> 1.2 on the model (docs/memo-format.md §3).
 * 1.2 only drops memoSchVersion and adds optional elements (Sender/Representative,
 * ForwardData/originalRepresentative) and makes mandatory/legalNotification optional, so every
 * 1.1 message is a 1.2 message once the root attributes change. mandatory and
 * legalNotification are kept as they are (also when absent, which 1.1 writes as "false").
 */
#include <stdlib.h>

#include "memo/model.h"
#include "util/xmalloc.h"

int kv_memo_upgrade(struct kv_memo_message *msg, struct kv_err *err)
{
    int code = kv_memo_version_code(msg->memo_version);

    if (code != 10 && code != 11 && code != 12)
        return kv_err_set(err, KV_EINVAL, "cannot upgrade memoVersion \"%s\" to 1.2",
                          msg->memo_version ? msg->memo_version : "(missing)");
    if (code != 12)
        kv_memo_str_set(&msg->memo_version, "1.2");
    free(msg->memo_sch_version);
    msg->memo_sch_version = NULL;
    return 0;
}

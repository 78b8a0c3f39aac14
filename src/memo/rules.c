/* SPDX-License-Identifier: MIT
 * rules.c: placeholder so the library links; replaced by the business-rules work in progress.
 */
#include "memo/doc_int.h"

void kv__memo_rules_run(struct kv_memo_doc *doc, struct kv_memo_diags *d)
{
    (void)doc;
    (void)d;
}

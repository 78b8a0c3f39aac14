/* SPDX-License-Identifier: MIT
 *
 * rules_message.c: message-level rules of layer (c) that depend on messageType and on header
 * fields together. NemSMS (messageType NEMSMS) is a header-only message whose SMS text is the
 * notification: it needs one (NGDP-NEMSMS-NOTIFICATION), at most 160 Unicode characters long
 * (NGDP-NEMSMS-LENGTH), and no MessageBody (NGDP-NEMSMS-BODY). A DIGITALPOST message needs a
 * MessageBody with its MainDocument (NGDP-DIGITALPOST-BODY). Warnings: a replyByDateTime
 * without reply=true (NGDP-REPLYBY-WITHOUT-REPLY), and an UnstructuredAddress next to a
 * structured Address (NGDP-ADDRESS-UNSTRUCTURED).
 */
#include <string.h>

#include "memo/rules_int.h"

static int text_is(const struct kv__rules_text *t, const char *want)
{
    size_t n = strlen(want);

    return t->len == n && memcmp(t->s, want, n) == 0;
}

static void nemsms(struct kv__rules *r, xmlNodePtr header, xmlNodePtr body)
{
    xmlNodePtr note = kv__rules_child(header, KV_MEMO_NS, "notification");
    struct kv__rules_text t;
    const char *s;
    size_t len, chars;

    if (!note) {
        kv__memo_diag_node(r->doc, r->d, header, KV_MEMO_ERROR, "NGDP-NEMSMS-NOTIFICATION",
                           "a NemSMS message needs a notification: it is the text of the SMS");
    } else {
        kv__rules_text_get(note, &t);
        s = t.s;
        len = t.len;
        kv__rules_trim(&s, &len);
        chars = kv__rules_utf8_chars(t.s, t.len);
        if (len == 0)
            kv__memo_diag_node(r->doc, r->d, note, KV_MEMO_ERROR, "NGDP-NEMSMS-NOTIFICATION",
                               "the notification of a NemSMS message is empty; it is the text "
                               "of the SMS");
        else if (chars > KV_RULES_NEMSMS_MAX_CHARS)
            kv__memo_diag_node(r->doc, r->d, note, KV_MEMO_ERROR, "NGDP-NEMSMS-LENGTH",
                               "the NemSMS text (notification) is %zu characters long; the "
                               "limit is %u",
                               chars, KV_RULES_NEMSMS_MAX_CHARS);
        kv__rules_text_release(&t);
    }
    if (body)
        kv__memo_diag_node(r->doc, r->d, body, KV_MEMO_ERROR, "NGDP-NEMSMS-BODY",
                           "a NemSMS message has no MessageBody; only the notification is sent");
}

static void reply_by(struct kv__rules *r, xmlNodePtr header)
{
    xmlNodePtr by = kv__rules_child(header, KV_MEMO_NS, "replyByDateTime");
    xmlNodePtr reply = kv__rules_child(header, KV_MEMO_NS, "reply");
    struct kv__rules_text t = {"", 0, NULL};
    const char *s;
    size_t len;
    int is_true = 0;

    if (!by)
        return;
    if (reply) {
        kv__rules_text_get(reply, &t);
        s = t.s;
        len = t.len;
        kv__rules_trim(&s, &len); /* xs:boolean collapses whitespace */
        is_true = (len == 4 && memcmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1');
        kv__rules_text_release(&t);
    }
    if (!is_true)
        kv__memo_diag_node(r->doc, r->d, by, KV_MEMO_WARNING, "NGDP-REPLYBY-WITHOUT-REPLY",
                           "replyByDateTime is set but reply is not true, so the recipient "
                           "cannot reply by that time");
}

void kv__rules_message(struct kv__rules *r, xmlNodePtr root)
{
    xmlNodePtr header = kv__rules_child(root, KV_MEMO_NS, "MessageHeader");
    xmlNodePtr body = kv__rules_child(root, KV_MEMO_NS, "MessageBody");
    xmlNodePtr type_el;
    struct kv__rules_text t;

    if (!header)
        return;
    reply_by(r, header);
    type_el = kv__rules_child(header, KV_MEMO_NS, "messageType");
    if (!type_el)
        return;
    kv__rules_text_get(type_el, &t);
    if (text_is(&t, "NEMSMS"))
        nemsms(r, header, body);
    else if (text_is(&t, "DIGITALPOST") && !body)
        kv__memo_diag_node(r->doc, r->d, root, KV_MEMO_ERROR, "NGDP-DIGITALPOST-BODY",
                           "a DIGITALPOST message needs a MessageBody with a MainDocument");
    kv__rules_text_release(&t);
}

void kv__rules_addresses(struct kv__rules *r, xmlNodePtr holder)
{
    xmlNodePtr unstructured = kv__rules_child(holder, KV_GRD_NS, "UnstructuredAddress");

    if (unstructured && kv__rules_child(holder, KV_GRD_NS, "Address"))
        kv__memo_diag_node(r->doc, r->d, unstructured, KV_MEMO_WARNING, "NGDP-ADDRESS-UNSTRUCTURED",
                           "%s has both an Address and an UnstructuredAddress; an "
                           "unstructured address should be used alone",
                           (const char *)holder->name);
}

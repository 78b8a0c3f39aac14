/* SPDX-License-Identifier: MIT
 *
 * rules_ids.c: identifier rules of layer (c): every UUID is an RFC 4122 version 4 UUID
 * (NGDP-UUID-V4); CPR numbers are 10 digits starting with a real DDMMYY date (NGDP-CPR; a test CPR of
 * util/testid.h, day 92..99, passes: the hub decides whether it accepts test data); CVR
 * numbers are 8 digits (NGDP-CVR) and should pass the modulus-11 check (NGDP-CVR-MOD11,
 * warning); Sender, Recipient and Representative ids are checked according to their idType
 * (NGDP-IDTYPE warns about other id types; CPR and CVR are recognised in any case, as NgDP
 * reads them: sjkp/digitalpost's MemoBuilder writes "cvr"). Values are checked exactly as
 * written otherwise: the XSD types are strings, so surrounding whitespace is part of the value
 * and is reported.
 */
#include <string.h>
#include <strings.h>

#include "memo/rules_int.h"
#include "util/testid.h"

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int all_digits(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

void kv__rules_uuid(struct kv__rules *r, xmlNodePtr el)
{
    struct kv__rules_text t;
    char q[96];
    size_t i;
    int shape = 1;

    kv__rules_text_get(el, &t);
    if (t.len != 36)
        shape = 0;
    for (i = 0; shape && i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            shape = t.s[i] == '-';
        else
            shape = is_hex(t.s[i]);
    }
    if (shape && t.s[14] == '4' && strchr("89abAB", t.s[19]))
        goto out; /* the common case: no message, so no quoted excerpt either */
    kv__rules_quote(q, sizeof(q), t.s, t.len);
    if (!shape)
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-UUID-V4",
                           "%s %s is not a UUID: expected 8-4-4-4-12 hexadecimal digits",
                           (const char *)el->name, q);
    else if (t.s[14] != '4')
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-UUID-V4",
                           "%s %s is a version %c UUID; NgDP requires version 4 (random)",
                           (const char *)el->name, q, t.s[14]);
    else if (!strchr("89abAB", t.s[19]))
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-UUID-V4",
                           "%s %s has variant digit '%c'; an RFC 4122 version 4 UUID has "
                           "8, 9, a or b there",
                           (const char *)el->name, q, t.s[19]);
out:
    kv__rules_text_release(&t);
}

void kv__rules_cpr(struct kv__rules *r, xmlNodePtr el, const char *what)
{
    struct kv__rules_text t;
    char q[96];
    int day, month, yy;

    kv__rules_text_get(el, &t);
    if (t.len == 11 && t.s[6] == '-' && all_digits(t.s, 6) && all_digits(t.s + 7, 4)) {
        kv__rules_quote(q, sizeof(q), t.s, t.len);
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-CPR",
                           "%s %s is not a CPR number: write the 10 digits without the hyphen",
                           what, q);
        goto out;
    }
    if (t.len != 10 || !all_digits(t.s, 10)) {
        kv__rules_quote(q, sizeof(q), t.s, t.len);
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-CPR",
                           "%s %s is not a CPR number: expected exactly 10 digits", what, q);
        goto out;
    }
    if (kv_testid_cpr_n(t.s, t.len))
        goto out; /* a test CPR (util/testid.h): whether it is accepted is the hub's decision */
    day = (t.s[0] - '0') * 10 + (t.s[1] - '0');
    month = (t.s[2] - '0') * 10 + (t.s[3] - '0');
    yy = (t.s[4] - '0') * 10 + (t.s[5] - '0');
    /* The century follows from the 7th digit in ways that changed over time; accept any
     * century: 29 February is valid when YY is divisible by 4 (1900, 1800 and 2100 are not
     * leap years but 2000 is, so YY=00 is possible too). */
    if (!kv__rules_valid_ymd(2000 + yy, month, day)) {
        kv__rules_quote(q, sizeof(q), t.s, t.len);
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-CPR",
                           "%s %s is not a CPR number: the first six digits %.6s are not a "
                           "real date DDMMYY",
                           what, q, t.s);
    }
out:
    kv__rules_text_release(&t);
}

void kv__rules_cvr(struct kv__rules *r, xmlNodePtr el, const char *what)
{
    static const int w[8] = {2, 7, 6, 5, 4, 3, 2, 1};
    struct kv__rules_text t;
    char q[96];
    int i, sum = 0;

    kv__rules_text_get(el, &t);
    if (t.len != 8 || !all_digits(t.s, 8)) {
        kv__rules_quote(q, sizeof(q), t.s, t.len);
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-CVR",
                           "%s %s is not a CVR number: expected exactly 8 digits", what, q);
        goto out;
    }
    for (i = 0; i < 8; i++)
        sum += w[i] * (t.s[i] - '0');
    if (sum % 11 != 0) {
        kv__rules_quote(q, sizeof(q), t.s, t.len);
        kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_WARNING, "NGDP-CVR-MOD11",
                           "%s %s fails the CVR modulus-11 check; check the number (new CVR "
                           "numbers are not guaranteed to pass it)",
                           what, q);
    }
out:
    kv__rules_text_release(&t);
}

void kv__rules_party(struct kv__rules *r, xmlNodePtr el, const char *id_local)
{
    xmlNodePtr type_el = kv__rules_child(el, KV_MEMO_NS, "idType");
    xmlNodePtr id_el = kv__rules_child(el, KV_MEMO_NS, id_local);
    struct kv__rules_text t;
    char q[96];

    if (!type_el)
        return; /* missing idType is an XSD error */
    kv__rules_text_get(type_el, &t);
    if (t.len == 3 && strncasecmp(t.s, "CPR", 3) == 0) {
        if (id_el)
            kv__rules_cpr(r, id_el, id_local);
    } else if (t.len == 3 && strncasecmp(t.s, "CVR", 3) == 0) {
        if (id_el)
            kv__rules_cvr(r, id_el, id_local);
    } else {
        kv__rules_quote(q, sizeof(q), t.s, t.len);
        kv__memo_diag_node(r->doc, r->d, type_el, KV_MEMO_WARNING, "NGDP-IDTYPE",
                           "%s idType %s is neither CPR nor CVR; %s was not checked",
                           (const char *)el->name, q, id_local);
    }
    kv__rules_text_release(&t);
}

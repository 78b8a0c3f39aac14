/* SPDX-License-Identifier: MIT
 *
 * test_authz.c: the one authorisation decision (src/identity/authz.c), walked over its whole
 * rule table: nobody gets 401 on every key but "public"; for every key needing a privilege,
 * an employee holding every OTHER privilege is refused and one holding only that privilege is
 * admitted; every principal kind outside a rule's kinds is refused; system kinds and the
 * organisation scope are enforced; unknown and missing keys are refused for everyone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "identity/authz.h"

#define ORG "29189846"

static void employee(struct kv_principal *p, enum kv_principal_kind kind, uint32_t privs)
{
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->person_id = 7;
    snprintf(p->org_cvr, sizeof(p->org_cvr), ORG);
    p->privs = privs;
}

static void test_nobody(void **state)
{
    const struct kv_authz_rule *r;
    size_t n, i;
    struct kv_principal none;

    memset(&none, 0, sizeof(none));
    r = kv_authz_rules(&n);
    assert_true(n >= 20);
    for (i = 0; i < n; i++) {
        enum kv_authz_result want =
            strcmp(r[i].access, KV_ACCESS_PUBLIC) == 0 ? KV_AUTHZ_ALLOW : KV_AUTHZ_UNAUTHENTICATED;

        assert_int_equal(kv_authz_decide(NULL, r[i].access, ORG), want);
        assert_int_equal(kv_authz_decide(&none, r[i].access, ORG), want);
    }
    assert_int_equal(kv_authz_decide(NULL, NULL, NULL), KV_AUTHZ_UNAUTHENTICATED);
    assert_int_equal(kv_authz_decide(NULL, "no-such-key", NULL), KV_AUTHZ_UNAUTHENTICATED);
}

static void test_privileges(void **state)
{
    const struct kv_authz_rule *r;
    struct kv_principal p;
    size_t n, i;
    uint32_t all = (1u << KV_PRIV__COUNT) - 1;

    r = kv_authz_rules(&n);
    for (i = 0; i < n; i++) {
        int k;

        for (k = KV_PRINCIPAL_COMPANY_USER; k <= KV_PRINCIPAL_EMPLOYEE; k++) {
            int admitted = (r[i].kinds & KV_AUTHZ_KIND(k)) != 0;

            if (r[i].org_priv >= 0) {
                employee(&p, k, all & ~KV_PRIV_BIT(r[i].org_priv));
                assert_int_equal(kv_authz_decide(&p, r[i].access, ORG), KV_AUTHZ_FORBIDDEN);
                employee(&p, k, KV_PRIV_BIT(r[i].org_priv));
                assert_int_equal(kv_authz_decide(&p, r[i].access, ORG),
                                 admitted ? KV_AUTHZ_ALLOW : KV_AUTHZ_FORBIDDEN);
                /* no organisation context: never */
                p.org_cvr[0] = '\0';
                if (strcmp(r[i].access, KV_ACCESS_PUBLIC) != 0)
                    assert_int_equal(kv_authz_decide(&p, r[i].access, ORG), KV_AUTHZ_FORBIDDEN);
            } else {
                employee(&p, k, 0);
                assert_int_equal(kv_authz_decide(&p, r[i].access, NULL),
                                 admitted && !r[i].scoped ? KV_AUTHZ_ALLOW : KV_AUTHZ_FORBIDDEN);
            }
        }
    }
}

static void test_kinds(void **state)
{
    const struct kv_authz_rule *r;
    struct kv_principal sys, adm, cit;
    size_t n, i;

    kv_principal_system(&sys, "00000000-0000-4000-8000-000000000001", "sender", ORG);
    kv_principal_admin(&adm);
    kv_principal_mailbox_owner(&cit, "CPR", "0101701234");
    r = kv_authz_rules(&n);
    for (i = 0; i < n; i++) {
        int sys_ok = (r[i].kinds & KV_AUTHZ_KIND(KV_PRINCIPAL_SYSTEM)) &&
                     (!r[i].system_kind || strcmp(r[i].system_kind, "sender") == 0);

        assert_int_equal(kv_authz_decide(&adm, r[i].access, ORG),
                         (r[i].kinds & KV_AUTHZ_KIND(KV_PRINCIPAL_ADMIN)) ? KV_AUTHZ_ALLOW
                                                                          : KV_AUTHZ_FORBIDDEN);
        assert_int_equal(kv_authz_decide(&sys, r[i].access, ORG),
                         sys_ok ? KV_AUTHZ_ALLOW : KV_AUTHZ_FORBIDDEN);
        assert_int_equal(kv_authz_decide(&cit, r[i].access, NULL),
                         (r[i].kinds & KV_AUTHZ_KIND(KV_PRINCIPAL_CITIZEN)) && !r[i].scoped
                             ? KV_AUTHZ_ALLOW
                             : KV_AUTHZ_FORBIDDEN);
    }
    /* the few that matter most, spelled out */
    assert_int_equal(kv_authz_decide(&sys, KV_ACCESS_SENDER, NULL), KV_AUTHZ_ALLOW);
    assert_int_equal(kv_authz_decide(&sys, KV_ACCESS_RECIPIENT, NULL), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&sys, KV_ACCESS_SYSTEM_ORG, ORG), KV_AUTHZ_ALLOW);
    assert_int_equal(kv_authz_decide(&sys, KV_ACCESS_SYSTEM_ORG, "11223344"), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&sys, KV_ACCESS_SYSTEM_ORG, NULL), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&cit, KV_ACCESS_MAILBOX, NULL), KV_AUTHZ_ALLOW);
    assert_int_equal(kv_authz_decide(&cit, KV_ACCESS_RIGHTS, NULL), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&adm, KV_ACCESS_RIGHTS, NULL), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&adm, KV_ACCESS_ADMIN, NULL), KV_AUTHZ_ALLOW);
    /* fail closed */
    assert_int_equal(kv_authz_decide(&adm, NULL, NULL), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&adm, "Admin", NULL), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&sys, "", NULL), KV_AUTHZ_FORBIDDEN);
}

/* A citizen in their own mailbox holds every mailbox bit; a helper who switched to another's
 * mailbox holds only what the access gives and is never the owner. */
static void test_helpers(void **state)
{
    struct kv_principal own, reader, writer;

    (void)state;
    memset(&own, 0, sizeof(own));
    own.kind = KV_PRINCIPAL_CITIZEN;
    snprintf(own.cpr, sizeof(own.cpr), "1502851236");
    own.privs = KV_PRIV_BIT(KV_PRIV_MAILBOX_READ) | KV_PRIV_BIT(KV_PRIV_MAILBOX_READ_WRITE);
    reader = own;
    snprintf(reader.mbox_type, sizeof(reader.mbox_type), "CPR");
    snprintf(reader.mbox_id, sizeof(reader.mbox_id), "0101701234");
    reader.privs = KV_PRIV_BIT(KV_PRIV_MAILBOX_READ);
    writer = reader;
    writer.privs |= KV_PRIV_BIT(KV_PRIV_MAILBOX_READ_WRITE);
    assert_int_equal(kv_authz_decide(&own, KV_ACCESS_MAILBOX, NULL), KV_AUTHZ_ALLOW);
    assert_int_equal(kv_authz_decide(&own, KV_ACCESS_MAILBOX_WRITE, NULL), KV_AUTHZ_ALLOW);
    assert_int_equal(kv_authz_decide(&own, KV_ACCESS_MAILBOX_OWNER, NULL), KV_AUTHZ_ALLOW);
    assert_int_equal(kv_authz_decide(&reader, KV_ACCESS_MAILBOX, NULL), KV_AUTHZ_ALLOW);
    assert_int_equal(kv_authz_decide(&reader, KV_ACCESS_MAILBOX_WRITE, NULL), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&reader, KV_ACCESS_MAILBOX_OWNER, NULL), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&writer, KV_ACCESS_MAILBOX_WRITE, NULL), KV_AUTHZ_ALLOW);
    assert_int_equal(kv_authz_decide(&writer, KV_ACCESS_MAILBOX_OWNER, NULL), KV_AUTHZ_FORBIDDEN);
    assert_int_equal(kv_authz_decide(&reader, KV_ACCESS_CITIZEN, NULL), KV_AUTHZ_ALLOW);
    /* a citizen without any mailbox bit (no access loaded) reads nothing */
    reader.privs = 0;
    assert_int_equal(kv_authz_decide(&reader, KV_ACCESS_MAILBOX, NULL), KV_AUTHZ_FORBIDDEN);
}

static void test_rules_json(void **state)
{
    json_t *a = kv_authz_rules_json();
    size_t n;

    kv_authz_rules(&n);
    assert_int_equal(json_array_size(a), n);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "access")),
                        KV_ACCESS_PUBLIC);
    json_decref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nobody),
        cmocka_unit_test(test_privileges),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_rules_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

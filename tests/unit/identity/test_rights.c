/* SPDX-License-Identifier: MIT
 *
 * test_rights.c: persons, employees, privileges and the rules around them (src/identity/):
 * lookups by e-mail (any case) and CPR, "user add" as one transaction, grant validation,
 * the last-rettighedsadministrator invariant for revoke / end date / deactivation / group
 * removal, the same invariant under two threads revoking each other at once, user groups,
 * external partners handing a right on, requests, mailbox access, principals and contexts,
 * the lapse sweep (expiry events and warning mails), the "last day" dates, and that every
 * change is in the verified event log.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/directory.h"
#include "hub/events.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"

#define ORG "29189846"
#define PARTNER "11223344"
#define ADMIN_T "ORGANISATION_USER_ADMINISTRATOR"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-rights-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0)
        return -1;
    if (kv_org_add(f->db, ORG, "Testkommune", NULL) != 0 ||
        kv_org_add(f->db, PARTNER, "Revisor ApS", NULL) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

/* Adds an employee of org with the given rights (NULL-terminated); returns employee id. */
static int64_t add_emp(struct fx *f, const char *org, const char *name, const char *email,
                       const char *r1, const char *r2)
{
    const char *rights[2] = {r1, r2};
    struct kv_person p;
    struct kv_employee e;
    struct kv_err err = {0, ""};
    size_t n = r2 ? 2 : r1 ? 1 : 0;

    assert_int_equal(
        kv_identity_add_employee(f->db, org, name, email, NULL, rights, n, "test", &p, &e, &err),
        0);
    return e.id;
}

static int64_t direct(struct fx *f, int64_t emp, const char *org, const char *type)
{
    struct kv_privilege p;

    assert_int_equal(kv_rights_find_direct(f->db, emp, org, type, &p, NULL), 0);
    return p.id;
}

static int64_t count_tag(struct fx *f, const char *tag)
{
    struct kv_event_query q;
    json_t *arr = NULL;
    int64_t n;

    memset(&q, 0, sizeof(q));
    q.tag = tag;
    q.limit = 1000;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    n = (int64_t)json_array_size(arr);
    json_decref(arr);
    return n;
}

static void test_persons_and_lookup(void **state)
{
    struct fx *f = *state;
    struct kv_person p, q;
    struct kv_employee e;
    struct kv_err err = {0, ""};

    memset(&p, 0, sizeof(p));
    snprintf(p.name, sizeof(p.name), "Anne Borger");
    snprintf(p.cpr, sizeof(p.cpr), "0101701234");
    assert_int_equal(kv_person_add(f->db, &p, "test", &err), 0);
    assert_true(p.id > 0);
    assert_int_equal(kv_person_find_cpr(f->db, "0101701234", &q, &err), 0);
    assert_int_equal(q.id, p.id);
    assert_int_equal(kv_person_find_cpr(f->db, "0101709999", &q, &err), KV_ENOTFOUND);
    assert_int_equal(kv_person_find_cpr(f->db, "3201701234", &q, &err), KV_ENOTFOUND);
    /* the same CPR twice, no identifying field, bad values */
    assert_int_equal(kv_person_add(f->db, &p, "test", &err), KV_ECONFLICT);
    memset(&p, 0, sizeof(p));
    snprintf(p.name, sizeof(p.name), "Nobody");
    assert_int_equal(kv_person_add(f->db, &p, "test", &err), KV_EINVAL);
    snprintf(p.email, sizeof(p.email), "not an address");
    assert_int_equal(kv_person_add(f->db, &p, "test", &err), KV_EINVAL);
    snprintf(p.email, sizeof(p.email), "a@b.dk");
    p.name[0] = '\0';
    assert_int_equal(kv_person_add(f->db, &p, "test", &err), KV_EINVAL);

    /* "user add": e-mail any case, found again by lookup */
    add_emp(f, ORG, "Bo Ansat", "Bo.Ansat@Kommune.DK", NULL, NULL);
    assert_int_equal(kv_person_find_email(f->db, "bo.ansat@kommune.dk", &q, &err), 0);
    assert_string_equal(q.email, "bo.ansat@kommune.dk");
    assert_int_equal(kv_person_find_email(f->db, "BO.ANSAT@kommune.dk", &q, &err), 0);
    assert_int_equal(kv_employee_find(f->db, q.id, ORG, &e, &err), 0);
    assert_string_equal(e.status, "ACTIVE");
    /* twice in the same organisation: refused; unknown org: refused; nothing half-done */
    {
        const char *r[1] = {"MESSAGE_BASIC"};
        const char *bad[1] = {"NO_SUCH_RIGHT"};

        assert_int_equal(kv_identity_add_employee(f->db, ORG, "Bo", "bo.ansat@kommune.dk", NULL,
                                                  r, 1, "test", NULL, NULL, &err),
                         KV_ECONFLICT);
        assert_int_equal(kv_identity_add_employee(f->db, "99999999", "Cy", "cy@x.dk", NULL, r, 1,
                                                  "test", NULL, NULL, &err),
                         KV_ENOTFOUND);
        assert_int_equal(kv_person_find_email(f->db, "cy@x.dk", &q, NULL), KV_ENOTFOUND);
        assert_int_equal(kv_identity_add_employee(f->db, ORG, "Di", "di@x.dk", NULL, bad, 1,
                                                  "test", NULL, NULL, &err),
                         KV_EINVAL);
        assert_int_equal(kv_person_find_email(f->db, "di@x.dk", &q, NULL), KV_ENOTFOUND);
    }
    /* the same person may work for a second organisation */
    add_emp(f, PARTNER, "Bo Ansat", "bo.ansat@kommune.dk", NULL, NULL);
    assert_int_equal(count_tag(f, "EMPLOYEE_ADDED"), 2);
    assert_int_equal(count_tag(f, "IDENTITY_CREATED"), 2);
}

static void test_grant_validation(void **state)
{
    struct fx *f = *state;
    struct kv_grant g;
    struct kv_err err = {0, ""};
    int64_t a = add_emp(f, ORG, "Anne", "anne@kommune.dk", ADMIN_T, NULL);
    int64_t other = add_emp(f, PARTNER, "Ole", "ole@revisor.dk", NULL, NULL);

    memset(&g, 0, sizeof(g));
    g.scope_cvr = ORG;
    g.employee_id = a;
    g.issuer = "test";
    g.type = "NOPE";
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_EINVAL);
    g.type = "message_basic"; /* codes compare case-insensitively */
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), 0);
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_ECONFLICT); /* duplicate */
    g.type = "SYSTEM_MANAGER";
    g.active_to_ms = kv_clock_now_ms() - 1000;
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_EINVAL); /* past end */
    g.active_to_ms = 0;
    g.employee_id = other; /* works for another organisation */
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_EINVAL);
    g.employee_id = a;
    g.narrow_type = "CONTACT_GROUP"; /* only MESSAGE_* narrow */
    g.narrow_id = "x";
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_EINVAL);
    g.type = "MESSAGE_WRITE"; /* the contact group does not exist */
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_ENOTFOUND);
    g.narrow_type = NULL;
    g.narrow_id = NULL;
    g.employee_id = 0;
    g.partner_cvr = PARTNER;
    g.type = ADMIN_T; /* never to a partner */
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_EINVAL);
    g.partner_cvr = ORG; /* a partner is another organisation */
    g.type = "MESSAGE_BASIC";
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_EINVAL);
    g.employee_id = a; /* two grantees */
    g.partner_cvr = PARTNER;
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_EINVAL);
    assert_int_equal(count_tag(f, "PRIVILEGES_GRANTED"), 2);
}

static void test_last_admin_rule(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    int64_t a = add_emp(f, ORG, "Anne", "anne@kommune.dk", ADMIN_T, NULL);
    int64_t b = add_emp(f, ORG, "Bo", "bo@kommune.dk", NULL, NULL);
    int64_t pa = direct(f, a, ORG, ADMIN_T), pb, n = 0, gid;
    struct kv_grant g;

    assert_int_equal(kv_rights_count_admins(f->db, ORG, &n, NULL), 0);
    assert_int_equal(n, 1);
    /* the only one: revoke, end date, deactivation refused with a clear message */
    assert_int_equal(kv_rights_revoke(f->db, pa, "test", &err), KV_ECONFLICT);
    assert_non_null(strstr(err.msg, "without a rettighedsadministrator"));
    assert_int_equal(
        kv_rights_set_end(f->db, pa, kv_clock_now_ms() + 86400000LL, "test", &err),
        KV_ECONFLICT);
    assert_int_equal(kv_employee_set_active(f->db, a, 0, "test", &err), KV_ECONFLICT);
    /* a second one with an end date does not count */
    memset(&g, 0, sizeof(g));
    g.type = ADMIN_T;
    g.scope_cvr = ORG;
    g.employee_id = b;
    g.active_to_ms = kv_clock_now_ms() + 86400000LL;
    assert_int_equal(kv_rights_grant(f->db, &g, 0, &pb, &err), 0);
    assert_int_equal(kv_rights_revoke(f->db, pa, "test", &err), KV_ECONFLICT);
    /* once it has none, the second is permanent: now the first may go */
    assert_int_equal(kv_rights_set_end(f->db, pb, 0, "test", &err), 0);
    assert_int_equal(kv_rights_revoke(f->db, pa, "test", &err), 0);
    assert_int_equal(kv_rights_revoke(f->db, pa, "test", &err), KV_ECONFLICT); /* not active */
    assert_int_equal(kv_rights_revoke(f->db, pb, "test", &err), KV_ECONFLICT);
    /* through a group: the member holds it; removing the last member is refused */
    assert_int_equal(kv_group_add(f->db, ORG, "Administratorer", NULL, "test", &gid, &err), 0);
    assert_int_equal(kv_group_member_add(f->db, gid, a, "test", &err), 0);
    assert_int_equal(kv_group_member_add(f->db, gid, a, "test", &err), KV_ECONFLICT);
    memset(&g, 0, sizeof(g));
    g.type = ADMIN_T;
    g.scope_cvr = ORG;
    g.group_id = gid;
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), 0);
    assert_int_equal(kv_rights_revoke(f->db, pb, "test", &err), 0); /* a holds it via group */
    assert_int_equal(kv_group_member_remove(f->db, gid, a, "test", &err), KV_ECONFLICT);
    assert_int_equal(kv_rights_count_admins(f->db, ORG, &n, NULL), 0);
    assert_int_equal(n, 1);
    /* the first administrator of an organisation cannot be given an end date */
    {
        int64_t c = add_emp(f, PARTNER, "Cy", "cy@revisor.dk", NULL, NULL);

        memset(&g, 0, sizeof(g));
        g.type = ADMIN_T;
        g.scope_cvr = PARTNER;
        g.employee_id = c;
        g.active_to_ms = kv_clock_now_ms() + 86400000LL;
        assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_ECONFLICT);
    }
    assert_int_equal(kv_events_verify(f->db, &n, &err), 0);
}

/* Two administrators revoke each other at the same moment, on two connections. */
struct racer {
    struct kv_store *st;
    int64_t victim;
    pthread_barrier_t *go;
    int rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};

    if (kv_db_acquire(r->st, &db, &err) != 0) {
        r->rc = -100;
        return NULL;
    }
    pthread_barrier_wait(r->go);
    r->rc = kv_rights_revoke(db, r->victim, "test", &err);
    kv_db_release(db);
    return NULL;
}

static void test_concurrent_revocations(void **state)
{
    struct fx *f = *state;
    pthread_barrier_t go;
    pthread_t t[2];
    struct racer r[2];
    int round, ok, refused, i;
    int64_t n = 0;

    /* Several rounds, each with two fresh administrators revoking each other. */
    for (round = 0; round < 20; round++) {
        char e1[64], e2[64];
        int64_t a, b;

        snprintf(e1, sizeof(e1), "a%d@kommune.dk", round);
        snprintf(e2, sizeof(e2), "b%d@kommune.dk", round);
        a = add_emp(f, ORG, "A", e1, ADMIN_T, NULL);
        b = add_emp(f, ORG, "B", e2, ADMIN_T, NULL);
        if (round > 0) { /* leave only a and b holding the right */
            char prev[64];
            struct kv_person p;
            struct kv_employee e;
            int k;

            for (k = 0; k < 2; k++) {
                snprintf(prev, sizeof(prev), "%c%d@kommune.dk", k ? 'b' : 'a', round - 1);
                assert_int_equal(kv_person_find_email(f->db, prev, &p, NULL), 0);
                assert_int_equal(kv_employee_find(f->db, p.id, ORG, &e, NULL), 0);
                {
                    struct kv_privilege pr;

                    if (kv_rights_find_direct(f->db, e.id, ORG, ADMIN_T, &pr, NULL) == 0)
                        assert_int_equal(kv_rights_revoke(f->db, pr.id, "test", NULL), 0);
                }
            }
        }
        assert_int_equal(kv_rights_count_admins(f->db, ORG, &n, NULL), 0);
        assert_int_equal(n, 2);
        pthread_barrier_init(&go, NULL, 2);
        r[0] = (struct racer){f->st, direct(f, b, ORG, ADMIN_T), &go, 0};
        r[1] = (struct racer){f->st, direct(f, a, ORG, ADMIN_T), &go, 0};
        for (i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
        for (i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&go);
        ok = (r[0].rc == 0) + (r[1].rc == 0);
        refused = (r[0].rc == KV_ECONFLICT) + (r[1].rc == KV_ECONFLICT);
        assert_int_equal(ok, 1);
        assert_int_equal(refused, 1);
        assert_int_equal(kv_rights_count_admins(f->db, ORG, &n, NULL), 0);
        assert_int_equal(n, 1);
    }
}

static void test_partner_hand_on(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_grant g;
    struct kv_principal pr;
    struct kv_person p;
    char ctx[8][9];
    size_t n = 0;
    int64_t appointed, handed;
    int64_t ole;

    add_emp(f, ORG, "Anne", "anne@kommune.dk", ADMIN_T, NULL);
    ole = add_emp(f, PARTNER, "Ole", "ole@revisor.dk", NULL, NULL);
    memset(&g, 0, sizeof(g));
    g.type = "MESSAGE_BASIC";
    g.scope_cvr = ORG;
    g.partner_cvr = PARTNER;
    assert_int_equal(kv_rights_grant(f->db, &g, 0, &appointed, &err), 0);
    assert_int_equal(kv_person_find_email(f->db, "ole@revisor.dk", &p, NULL), 0);
    /* Ole holds nothing in ORG until his own administrator hands it on */
    assert_int_equal(kv_principal_for_person(f->db, p.id, ORG, &pr, &err), KV_EPERM);
    memset(&g, 0, sizeof(g));
    g.type = "MESSAGE_WRITE"; /* not the appointed type */
    g.scope_cvr = ORG;
    g.employee_id = ole;
    g.parent_id = appointed;
    assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, &err), KV_EINVAL);
    g.type = "MESSAGE_BASIC";
    assert_int_equal(kv_rights_grant(f->db, &g, 0, &handed, &err), 0);
    assert_int_equal(kv_principal_contexts(f->db, p.id, ctx, 8, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ctx[0], PARTNER);
    assert_string_equal(ctx[1], ORG);
    assert_int_equal(kv_principal_for_person(f->db, p.id, ORG, &pr, &err), 0);
    assert_int_equal(pr.kind, KV_PRINCIPAL_EMPLOYEE);
    assert_true(pr.privs & KV_PRIV_BIT(KV_PRIV_MESSAGE_BASIC));
    assert_false(pr.privs & KV_PRIV_BIT(KV_PRIV_ORGANISATION_USER_ADMINISTRATOR));
    /* revoking the partner's right takes the handed-on one with it */
    assert_int_equal(kv_rights_revoke(f->db, appointed, "test", &err), 0);
    {
        struct kv_privilege h;

        assert_int_equal(kv_rights_get(f->db, handed, &h, NULL), 0);
        assert_string_equal(h.status, "REVOKED");
    }
    assert_int_equal(kv_principal_for_person(f->db, p.id, ORG, &pr, &err), KV_EPERM);
}

static void test_principal(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_principal pr;
    struct kv_person p;
    int64_t a = add_emp(f, ORG, "Anne", "anne@kommune.dk", ADMIN_T, "SYSTEM_MANAGER");
    char actor[64];

    assert_int_equal(kv_person_find_email(f->db, "anne@kommune.dk", &p, NULL), 0);
    assert_int_equal(kv_principal_for_person(f->db, p.id, NULL, &pr, &err), 0); /* default */
    assert_int_equal(pr.kind, KV_PRINCIPAL_EMPLOYEE);
    assert_string_equal(pr.org_cvr, ORG);
    assert_int_equal(pr.privs, KV_PRIV_BIT(KV_PRIV_ORGANISATION_USER_ADMINISTRATOR) |
                                   KV_PRIV_BIT(KV_PRIV_SYSTEM_MANAGER));
    assert_int_equal(kv_principal_for_person(f->db, p.id, PARTNER, &pr, &err), KV_EPERM);
    kv_principal_actor(&pr, actor, sizeof(actor));
    assert_int_equal(kv_principal_for_person(f->db, p.id, ORG, &pr, &err), 0);
    kv_principal_actor(&pr, actor, sizeof(actor));
    assert_non_null(strstr(actor, "@" ORG));
    assert_int_equal(kv_principal_log_signin(f->db, &pr, "test", 1, &err), 0);
    assert_int_equal(count_tag(f, "USER_SIGNED_IN"), 1);
    /* a revoked right stops at once; a deactivated employee loses the context */
    assert_int_equal(kv_rights_revoke(f->db, direct(f, a, ORG, "SYSTEM_MANAGER"), "t", &err), 0);
    assert_int_equal(kv_principal_for_person(f->db, p.id, ORG, &pr, &err), 0);
    assert_int_equal(pr.privs, KV_PRIV_BIT(KV_PRIV_ORGANISATION_USER_ADMINISTRATOR));
    add_emp(f, ORG, "Bo", "bo@kommune.dk", ADMIN_T, NULL);
    assert_int_equal(kv_employee_set_active(f->db, a, 0, "t", &err), 0);
    assert_int_equal(kv_principal_for_person(f->db, p.id, ORG, &pr, &err), KV_EPERM);
    assert_int_equal(kv_employee_set_active(f->db, a, 1, "t", &err), 0);
    assert_int_equal(kv_principal_for_person(f->db, p.id, ORG, &pr, &err), 0);
}

static void test_requests_and_mailbox_access(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_mailbox mb;
    struct kv_person owner, helper;
    int64_t bo = add_emp(f, ORG, "Bo", "bo@kommune.dk", NULL, NULL), rid, pid;
    struct kv_person bop;
    json_t *list = NULL;
    int level = -1;

    add_emp(f, ORG, "Anne", "anne@kommune.dk", ADMIN_T, NULL);
    (void)bo;
    assert_int_equal(kv_person_find_email(f->db, "bo@kommune.dk", &bop, NULL), 0);
    assert_int_equal(kv_request_submit(f->db, bop.id, "RECALL_ADMINISTRATOR", "CVR", ORG, 0,
                                       "til tilbagekald", &rid, &err),
                     0);
    assert_int_equal(kv_request_submit(f->db, bop.id, "RECALL_ADMINISTRATOR", "CVR", ORG, 0, NULL,
                                       NULL, &err),
                     KV_ECONFLICT);
    assert_int_equal(kv_request_list(f->db, "CVR", ORG, &list, &err), 0);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    assert_int_equal(kv_request_decide(f->db, rid, 1, "employee:1@" ORG, &pid, &err), 0);
    assert_true(pid > 0);
    assert_int_equal(kv_request_decide(f->db, rid, 0, "x", NULL, &err), KV_ECONFLICT);
    assert_int_equal(kv_request_list(f->db, "CVR", ORG, &list, &err), 0);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);

    /* mailbox access: a helper asks, the owner approves, then read access */
    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
    snprintf(mb.owner_id, sizeof(mb.owner_id), "0101701234");
    snprintf(mb.status, sizeof(mb.status), "REGISTERED");
    assert_int_equal(kv_mailbox_add(f->db, &mb, &err), 0);
    memset(&owner, 0, sizeof(owner));
    snprintf(owner.name, sizeof(owner.name), "Ejer");
    snprintf(owner.cpr, sizeof(owner.cpr), "0101701234");
    assert_int_equal(kv_person_add(f->db, &owner, "t", &err), 0);
    memset(&helper, 0, sizeof(helper));
    snprintf(helper.name, sizeof(helper.name), "Hjælper");
    snprintf(helper.cpr, sizeof(helper.cpr), "0202802345");
    assert_int_equal(kv_person_add(f->db, &helper, "t", &err), 0);
    assert_int_equal(kv_rights_mailbox_level(f->db, helper.id, "CPR", "0101701234",
                                             kv_clock_now_ms(), &level, &err),
                     0);
    assert_int_equal(level, 0);
    assert_int_equal(kv_request_submit(f->db, helper.id, "MAILBOX_READ", "CPR", "0101701234",
                                       kv_clock_now_ms() + 30 * 86400000LL, NULL, &rid, &err),
                     0);
    assert_int_equal(kv_request_decide(f->db, rid, 1, "cpr:0101701234", &pid, &err), 0);
    assert_int_equal(kv_rights_mailbox_level(f->db, helper.id, "CPR", "0101701234",
                                             kv_clock_now_ms(), &level, &err),
                     0);
    assert_int_equal(level, 1);
    assert_int_equal(kv_rights_mailbox_level(f->db, owner.id, "CPR", "0101701234",
                                             kv_clock_now_ms(), &level, &err),
                     0);
    assert_int_equal(level, 2);
    /* after the end it is gone even before the sweep runs */
    assert_int_equal(kv_rights_mailbox_level(f->db, helper.id, "CPR", "0101701234",
                                             kv_clock_now_ms() + 31 * 86400000LL, &level, &err),
                     0);
    assert_int_equal(level, 0);
    assert_int_equal(kv_rights_revoke(f->db, pid, "cpr:0101701234", &err), 0);
    assert_int_equal(count_tag(f, "READ_ACCESS_CREATED"), 1);
    assert_int_equal(count_tag(f, "READ_ACCESS_DELETED"), 1);
    assert_int_equal(count_tag(f, "ACCESS_REQUEST_APPROVED"), 2);
}

static void test_sweep(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_grant g;
    struct kv_privilege p;
    struct kv_stmt *s;
    int64_t bo, id, now = kv_clock_now_ms(), mails = 0, n;
    int expired = -1, notified = -1;

    add_emp(f, ORG, "Anne", "anne@kommune.dk", ADMIN_T, NULL);
    bo = add_emp(f, ORG, "Bo", "bo@kommune.dk", NULL, NULL);
    memset(&g, 0, sizeof(g));
    g.type = "STATISTICS_ADMINISTRATOR";
    g.scope_cvr = ORG;
    g.employee_id = bo;
    g.active_to_ms = now + 10LL * 86400000; /* ten days */
    assert_int_equal(kv_rights_grant(f->db, &g, 0, &id, &err), 0);
    assert_int_equal(kv_rights_sweep(f->db, now, &expired, &notified, &err), 0);
    assert_int_equal(expired, 0);
    assert_int_equal(notified, 0);
    /* four days later it is within the 7-day warning window: one mail, once */
    assert_int_equal(kv_rights_sweep(f->db, now + 4LL * 86400000, &expired, &notified, &err), 0);
    assert_int_equal(notified, 1);
    assert_int_equal(kv_rights_sweep(f->db, now + 5LL * 86400000, &expired, &notified, &err), 0);
    assert_int_equal(notified, 0);
    assert_int_equal(kv_db_prepare(f->db,
                                   "SELECT COUNT(*) FROM mail_outbox WHERE to_addr = 'bo@kommune.dk'"
                                   " AND kind = 'PRIVILEGE_EXPIRY'",
                                   &s, NULL),
                     0);
    assert_int_equal(kv_stmt_step(s, NULL), KV_ROW);
    mails = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    assert_int_equal(mails, 1);
    /* after the end: EXPIRED with its event */
    assert_int_equal(kv_rights_sweep(f->db, now + 11LL * 86400000, &expired, &notified, &err), 0);
    assert_int_equal(expired, 1);
    assert_int_equal(kv_rights_get(f->db, id, &p, NULL), 0);
    assert_string_equal(p.status, "EXPIRED");
    assert_int_equal(count_tag(f, "PRIVILEGES_EXPIRED"), 1);
    assert_int_equal(count_tag(f, "PRIVILEGE_EXPIRATION_NOTIFIED"), 1);
    assert_int_equal(kv_events_verify(f->db, &n, &err), 0);
}

/* The sweep loads what is due outside its transaction: a privilege revoked between that load
 * and the sweep's own transaction is not ended a second time and gets no PRIVILEGES_EXPIRED
 * event beside its PRIVILEGES_REVOKED. */
static void test_sweep_after_revoke_logs_nothing(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    struct kv_grant g;
    struct kv_privilege p;
    int64_t bo, id, now = kv_clock_now_ms();

    add_emp(f, ORG, "Anne", "anne@kommune.dk", ADMIN_T, NULL);
    bo = add_emp(f, ORG, "Bo", "bo@kommune.dk", NULL, NULL);
    memset(&g, 0, sizeof(g));
    g.type = "STATISTICS_ADMINISTRATOR";
    g.scope_cvr = ORG;
    g.employee_id = bo;
    g.active_to_ms = now + 86400000LL;
    assert_int_equal(kv_rights_grant(f->db, &g, 0, &id, &err), 0);
    assert_int_equal(kv_rights_get(f->db, id, &p, &err), 0); /* the sweep's load */
    assert_int_equal(kv_rights_revoke(f->db, id, "cli", &err), 0);
    assert_int_equal(count_tag(f, "PRIVILEGES_REVOKED"), 1);
    assert_int_equal(kv_db_begin(f->db, &err), 0);
    assert_int_equal(kv__rights_end(f->db, &p, "EXPIRED", "hub", now + 2 * 86400000LL, &err), 0);
    assert_int_equal(kv_db_commit(f->db, &err), 0);
    assert_int_equal(count_tag(f, "PRIVILEGES_EXPIRED"), 0);
    assert_int_equal(count_tag(f, "PRIVILEGES_REVOKED"), 1);
    assert_int_equal(kv_rights_get(f->db, id, &p, &err), 0);
    assert_string_equal(p.status, "REVOKED");
}

static void test_list_json(void **state)
{
    struct fx *f = *state;
    json_t *o = NULL, *emps;
    int64_t gid;

    int64_t a = add_emp(f, ORG, "Anne", "anne@kommune.dk", ADMIN_T, "MESSAGE_BASIC");
    assert_int_equal(kv_group_add(f->db, ORG, "Post", "læser post", "t", &gid, NULL), 0);
    assert_int_equal(kv_group_member_add(f->db, gid, a, "t", NULL), 0);
    {
        struct kv_grant g;

        memset(&g, 0, sizeof(g));
        g.type = "MESSAGE_WRITE";
        g.scope_cvr = ORG;
        g.group_id = gid;
        assert_int_equal(kv_rights_grant(f->db, &g, 0, NULL, NULL), 0);
    }
    assert_int_equal(kv_rights_list_org(f->db, ORG, 0, &o, NULL), 0);
    emps = json_object_get(o, "employees");
    assert_int_equal(json_array_size(emps), 1);
    assert_int_equal(json_array_size(json_object_get(json_array_get(emps, 0), "rights")), 3);
    assert_int_equal(json_array_size(json_object_get(o, "groups")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(json_array_get(emps, 0), "rights"), 0),
                            "nameDa")),
                        "Rettighedsadministrator");
    json_decref(o);
}

static void test_until_dates(void **state)
{
    static const char *const ok[] = {"2030-06-30", "2028-02-29", "2030-12-31", "2031-01-01",
                                     "2030-03-30", "2030-10-26"};
    static const char *const bad[] = {"2027-02-29", "2030-02-30", "2030-13-01", "2030-00-10",
                                      "30-06-2030", "2030-6-30", "2030-06-30x", "", "1999-12-31",
                                      "2030/06/30", "+030-06-30"};
    char back[11];
    int64_t ms;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(kv_rights_parse_until(ok[i], &ms), 0);
        kv_rights_format_until(ms, back); /* the last day it holds, across DST and new year */
        assert_string_equal(back, ok[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(kv_rights_parse_until(bad[i], &ms), KV_EINVAL);
    assert_int_equal(kv_rights_parse_until(NULL, &ms), KV_EINVAL);
    /* 30 June 2030 holds until 1 July 00:00 in Copenhagen (summer time: 22:00 UTC) */
    assert_int_equal(kv_rights_parse_until("2030-06-30", &ms), 0);
    assert_int_equal(ms, 1909087200000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_persons_and_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_admin_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_revocations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partner_hand_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_principal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_and_mailbox_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_after_revoke_logs_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_json, setup, teardown),
        cmocka_unit_test(test_until_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

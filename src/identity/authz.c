/* SPDX-License-Identifier: MIT
 *
 * authz.c: the rule table behind every route's access key and the one decision function (see
 * authz.h). Keep the table the single place where "who may do what" is written: a new portal
 * function gets a new row here (or reuses one) and a key in its route table, never a check of
 * its own. The decision is fail-closed: no principal -> 401 for anything not public; an
 * unknown or missing key -> 403 for everyone.
 */
#include "identity/authz.h"
#include "util/reqtrace.h"
#include "util/str.h"

#include <string.h>

#define K(x) KV_AUTHZ_KIND(KV_PRINCIPAL_##x)
#define PEOPLE (K(CITIZEN) | K(COMPANY_USER) | K(EMPLOYEE))
#define STAFF (K(COMPANY_USER) | K(EMPLOYEE))
#define ALL (K(NONE) | PEOPLE | K(SYSTEM) | K(ADMIN))

static const struct kv_authz_rule RULES[] = {
    {KV_ACCESS_PUBLIC, ALL, -1, NULL, 0, "anyone, signed in or not", 0, 0},
    {KV_ACCESS_SYSTEM, K(SYSTEM), -1, NULL, 0, "any active sender or recipient system", 0, 0},
    {KV_ACCESS_SENDER, K(SYSTEM), -1, "sender", 0, "a sender system", 0, 0},
    {KV_ACCESS_RECIPIENT, K(SYSTEM), -1, "recipient", 0, "a recipient system", 0, 0},
    {KV_ACCESS_SYSTEM_ORG, K(SYSTEM), -1, NULL, 1,
     "a system of the organisation named in the path", 0, 0},
    {KV_ACCESS_ADMIN, K(ADMIN), -1, NULL, 0, "the operator (admin token)", 0, 0},
    {KV_ACCESS_MAILBOX, PEOPLE, KV_PRIV_MESSAGE_BASIC, NULL, 0,
     "a mailbox's owner; a helper with read access; an organisation's employee with "
     "MESSAGE_BASIC",
     KV_PRIV_BIT(KV_PRIV_MAILBOX_READ), 0},
    {KV_ACCESS_MAILBOX_WRITE, PEOPLE, KV_PRIV_MESSAGE_WRITE, NULL, 0,
     "a mailbox's owner; a helper with read-write access; an organisation's employee with "
     "MESSAGE_WRITE",
     KV_PRIV_BIT(KV_PRIV_MAILBOX_READ_WRITE), 0},
    /* portals.md §5.4: read access includes "creating folders and sorting" and "forwarding to
     * e-mail or another Digital Post recipient"; §3.1: for an organisation those are
     * avanceret adgang (MESSAGE_WRITE: "write, reply, forward, delete, manage folders") */
    {KV_ACCESS_MAILBOX_FOLDERS, PEOPLE, KV_PRIV_MESSAGE_WRITE, NULL, 0,
     "a mailbox's owner; a helper with read access; an organisation's employee with "
     "MESSAGE_WRITE (create, rename, nest, delete own folders)",
     KV_PRIV_BIT(KV_PRIV_MAILBOX_READ), 0},
    {KV_ACCESS_MAILBOX_FORWARD, PEOPLE, KV_PRIV_MESSAGE_WRITE, NULL, 0,
     "a mailbox's owner; a helper with read access; an organisation's employee with "
     "MESSAGE_WRITE (forward a letter)",
     KV_PRIV_BIT(KV_PRIV_MAILBOX_READ), 0},
    {KV_ACCESS_NOTIFY, PEOPLE, KV_PRIV_MESSAGE_BASIC, NULL, 0,
     "a mailbox's owner and each helper with read access, each for their OWN notification "
     "settings of that access (never the owner's); an organisation's employee with "
     "MESSAGE_BASIC",
     KV_PRIV_BIT(KV_PRIV_MAILBOX_READ), 0},
    {KV_ACCESS_NEMSMS, K(CITIZEN), -1, NULL, 0, "a citizen, for their own NemSMS subscription",
     0, 1},
    {KV_ACCESS_MAILBOX_OWNER, K(CITIZEN), -1, NULL, 0,
     "the citizen who owns the mailbox shown (not a helper acting in it)", 0, 1},
    {KV_ACCESS_CITIZEN, K(CITIZEN), -1, NULL, 0, "a person signed in as themself (CPR)", 0, 0},
    {KV_ACCESS_SIGNED_IN, PEOPLE, -1, NULL, 0, "any signed-in person", 0, 0},
    {KV_ACCESS_DEVICES, PEOPLE, -1, NULL, 0,
     "any signed-in person, for their own devices only (Adgangsportal)", 0, 0},
    {KV_ACCESS_EMPLOYEE, STAFF, -1, NULL, 0, "a person acting for an organisation", 0, 0},
    {KV_ACCESS_RIGHTS, STAFF, KV_PRIV_ORGANISATION_USER_ADMINISTRATOR, NULL, 0,
     "rettighedsadministrator of the organisation acted for", 0, 0},
    {KV_ACCESS_SYSTEMS, STAFF, KV_PRIV_SYSTEM_MANAGER, NULL, 0, "systemadministrator", 0, 0},
    {KV_ACCESS_CONTACTS, STAFF, KV_PRIV_CONTACT_ADMINISTRATOR, NULL, 0,
     "kontaktstrukturadministrator", 0, 0},
    {KV_ACCESS_EVENTLOG, STAFF, KV_PRIV_MESSAGE_LOG_ADMINISTRATOR, NULL, 0,
     "hændelseslogadministrator", 0, 0},
    {KV_ACCESS_RECALL, STAFF, KV_PRIV_RECALL_ADMINISTRATOR, NULL, 0,
     "tilbagekaldelsesadministrator", 0, 0},
    {KV_ACCESS_STATISTICS, STAFF, KV_PRIV_STATISTICS_ADMINISTRATOR, NULL, 0,
     "statistikadministrator", 0, 0},
    {KV_ACCESS_ORGANISATION, STAFF, KV_PRIV_ORGANISATION_ADMINISTRATOR, NULL, 0,
     "organisationsadministrator", 0, 0},
    {KV_ACCESS_CITIZEN_SERVICE, K(EMPLOYEE), KV_PRIV_CITIZEN_SERVICE_EMPLOYEE, NULL, 0,
     "borgerservicemedarbejder", 0, 0},
    {KV_ACCESS_BUSINESS_SERVICE, K(EMPLOYEE), KV_PRIV_BUSINESS_SERVICE_EMPLOYEE, NULL, 0,
     "erhvervsservicemedarbejder", 0, 0},
    {KV_ACCESS_TESTPORTAL, STAFF, KV_PRIV_TEST_PORTAL, NULL, 0, "testportalbruger", 0, 0},
};

const struct kv_authz_rule *kv_authz_rules(size_t *out_n)
{
    *out_n = sizeof(RULES) / sizeof(RULES[0]);
    return RULES;
}

const struct kv_authz_rule *kv_authz_rule(const char *access)
{
    size_t i;

    if (!access)
        return NULL;
    for (i = 0; i < sizeof(RULES) / sizeof(RULES[0]); i++)
        if (strcmp(RULES[i].access, access) == 0)
            return &RULES[i];
    return NULL;
}

static enum kv_authz_result decide(const struct kv_principal *p, const char *access,
                                   const char *scope_cvr)
{
    const struct kv_authz_rule *r = kv_authz_rule(access);
    enum kv_principal_kind kind = p ? p->kind : KV_PRINCIPAL_NONE;

    if (r && r->kinds == ALL)
        return KV_AUTHZ_ALLOW;
    if (kind == KV_PRINCIPAL_NONE || (unsigned)kind > KV_PRINCIPAL_ADMIN)
        return KV_AUTHZ_UNAUTHENTICATED;
    if (!r || !(r->kinds & KV_AUTHZ_KIND(kind)))
        return KV_AUTHZ_FORBIDDEN;
    switch (kind) {
    case KV_PRINCIPAL_SYSTEM:
        if (r->system_kind && strcmp(r->system_kind, p->system_kind) != 0)
            return KV_AUTHZ_FORBIDDEN;
        break;
    case KV_PRINCIPAL_EMPLOYEE:
    case KV_PRINCIPAL_COMPANY_USER:
        if (!p->org_cvr[0])
            return KV_AUTHZ_FORBIDDEN;
        if (r->org_priv >= 0 && !(p->privs & KV_PRIV_BIT(r->org_priv)))
            return KV_AUTHZ_FORBIDDEN;
        break;
    case KV_PRINCIPAL_CITIZEN:
        if (r->owner_only && p->mbox_id[0])
            return KV_AUTHZ_FORBIDDEN;
        if (r->mbox_privs && (p->privs & r->mbox_privs) != r->mbox_privs)
            return KV_AUTHZ_FORBIDDEN;
        break;
    case KV_PRINCIPAL_ADMIN:
    case KV_PRINCIPAL_NONE:
        break;
    }
    if (r->scoped && (!scope_cvr || strcmp(scope_cvr, p->org_cvr) != 0))
        return KV_AUTHZ_FORBIDDEN;
    return KV_AUTHZ_ALLOW;
}

enum kv_authz_result kv_authz_decide(const struct kv_principal *p, const char *access,
                                     const char *scope_cvr)
{
    kv_reqtrace_decision(access); /* counted for the tests (util/reqtrace.h) */
    return decide(p, access, scope_cvr);
}

enum kv_authz_result kv_authz_offered(const struct kv_principal *p, const char *access)
{
    kv_reqtrace_other();
    return decide(p, access, NULL);
}

void kv_principal_system(struct kv_principal *out, const char *system_id, const char *kind,
                         const char *org_cvr)
{
    memset(out, 0, sizeof(*out));
    out->kind = KV_PRINCIPAL_SYSTEM;
    kv_str_copy(out->system_id, sizeof(out->system_id), system_id);
    kv_str_copy(out->system_kind, sizeof(out->system_kind), kind);
    kv_str_copy(out->org_cvr, sizeof(out->org_cvr), org_cvr);
}

void kv_principal_admin(struct kv_principal *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = KV_PRINCIPAL_ADMIN;
    kv_str_copy(out->name, sizeof(out->name), "admin");
}

void kv_principal_mailbox_owner(struct kv_principal *out, const char *owner_type,
                                const char *owner_id)
{
    memset(out, 0, sizeof(*out));
    if (owner_type && strcmp(owner_type, "CPR") == 0) {
        out->kind = KV_PRINCIPAL_CITIZEN;
        kv_str_copy(out->cpr, sizeof(out->cpr), owner_id);
        out->privs = KV_PRIV_BIT(KV_PRIV_MAILBOX_READ) | KV_PRIV_BIT(KV_PRIV_MAILBOX_READ_WRITE);
    } else {
        out->kind = KV_PRINCIPAL_COMPANY_USER;
        kv_str_copy(out->org_cvr, sizeof(out->org_cvr), owner_id);
        out->privs = KV_PRIV_BIT(KV_PRIV_MESSAGE_BASIC) | KV_PRIV_BIT(KV_PRIV_MESSAGE_WRITE);
    }
}

int kv_authz_test_login_only(const char *access)
{
    return access && strcmp(access, KV_ACCESS_TESTPORTAL) == 0;
}

json_t *kv_authz_rules_json(void)
{
    json_t *arr = json_array(), *o, *kinds;
    size_t i;
    int k;

    for (i = 0; i < sizeof(RULES) / sizeof(RULES[0]); i++) {
        const struct kv_authz_rule *r = &RULES[i];

        kinds = json_array();
        for (k = KV_PRINCIPAL_NONE; k <= KV_PRINCIPAL_ADMIN; k++)
            if (r->kinds & KV_AUTHZ_KIND(k))
                json_array_append_new(kinds, json_string(kv_principal_kind_name(k)));
        o = json_pack("{s:s,s:o,s:b,s:s}", "access", r->access, "kinds", kinds, "scoped",
                      r->scoped, "what", r->what);
        if (r->org_priv >= 0) {
            json_object_set_new(o, "privilege", json_string(kv_priv_table()[r->org_priv].code));
            json_object_set_new(o, "privilegeDa",
                                json_string(kv_priv_table()[r->org_priv].name_da));
        }
        if (r->system_kind)
            json_object_set_new(o, "systemKind", json_string(r->system_kind));
        for (k = 0; k < KV_PRIV__COUNT; k++)
            if (r->mbox_privs & KV_PRIV_BIT(k))
                json_object_set_new(o, "mailboxPrivilege",
                                    json_string(kv_priv_table()[k].code));
        json_object_set_new(o, "ownerOnly", json_boolean(r->owner_only));
        json_object_set_new(o, "testLoginOnly", json_boolean(kv_authz_test_login_only(r->access)));
        json_array_append_new(arr, o);
    }
    return arr;
}

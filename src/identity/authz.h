/* SPDX-License-Identifier: MIT
 *
 * authz.h: the ONE authorisation decision for every request -- NgDP API, mailbox API, admin
 * API and portal page alike. Every route declares an access key (a string such as "rights" or
 * "system:sender", in its route table); this file's rule table says, for each key, which kinds
 * of principal are admitted and which privilege an employee or company user must hold in the
 * organisation they act for. Route tables x this table = the routes x privileges matrix
 * (docs/rights.md; `kuvert config access --json` prints the rules). The request gate
 * authenticates the caller into a struct kv_principal (identity.h) and calls
 * kv_authz_decide before any body byte is read; handlers then only check the object
 * (whose mailbox, which organisation in the path).
 *
 * A route without a key, or with a key not in the table, is refused for everyone (fail closed).
 */
#ifndef KV_IDENTITY_AUTHZ_H
#define KV_IDENTITY_AUTHZ_H

#include <stddef.h>

#include <jansson.h>

#include "identity/identity.h"
#include "identity/rights.h"

/* The access keys (use these names in route tables). */
#define KV_ACCESS_PUBLIC "public"               /* anyone, signed in or not */
#define KV_ACCESS_SYSTEM "system"               /* any active system (API token) */
#define KV_ACCESS_SENDER "system:sender"        /* a sender system */
#define KV_ACCESS_RECIPIENT "system:recipient"  /* a recipient system */
#define KV_ACCESS_SYSTEM_ORG "system:org"       /* a system of the organisation in the path */
#define KV_ACCESS_ADMIN "admin"                 /* the operator (admin token) */
#define KV_ACCESS_MAILBOX "mailbox"             /* read a mailbox: its owner, MESSAGE_BASIC */
#define KV_ACCESS_MAILBOX_WRITE "mailbox:write" /* write from a mailbox: owner, MESSAGE_WRITE */
#define KV_ACCESS_MAILBOX_FOLDERS "mailbox:folders" /* own folders: owner, read helper,
                                                     MESSAGE_WRITE */
#define KV_ACCESS_MAILBOX_FORWARD "mailbox:forward" /* forward: owner, read helper,
                                                     MESSAGE_WRITE */
#define KV_ACCESS_NOTIFY "notify"               /* own notification settings of a mailbox */
#define KV_ACCESS_NEMSMS "nemsms"               /* a citizen's own NemSMS subscription */
#define KV_ACCESS_MAILBOX_OWNER "mailbox:owner" /* the owner of the mailbox shown, not a helper */
#define KV_ACCESS_CITIZEN "citizen"             /* a person signed in as themself (CPR) */
#define KV_ACCESS_SIGNED_IN "signed-in"         /* any signed-in person */
#define KV_ACCESS_DEVICES "devices"             /* own devices: any signed-in person */
#define KV_ACCESS_EMPLOYEE "employee"           /* a person acting for an organisation */
#define KV_ACCESS_RIGHTS "rights"               /* ORGANISATION_USER_ADMINISTRATOR */
#define KV_ACCESS_SYSTEMS "systems"             /* SYSTEM_MANAGER */
#define KV_ACCESS_CONTACTS "contacts"           /* CONTACT_ADMINISTRATOR */
#define KV_ACCESS_EVENTLOG "eventlog"           /* MESSAGE_LOG_ADMINISTRATOR */
#define KV_ACCESS_RECALL "recall"               /* RECALL_ADMINISTRATOR */
#define KV_ACCESS_STATISTICS "statistics"       /* STATISTICS_ADMINISTRATOR */
#define KV_ACCESS_ORGANISATION "organisation"   /* ORGANISATION_ADMINISTRATOR */
#define KV_ACCESS_CITIZEN_SERVICE "citizen-service"   /* CITIZEN_SERVICE_EMPLOYEE */
#define KV_ACCESS_BUSINESS_SERVICE "business-service" /* BUSINESS_SERVICE_EMPLOYEE */
#define KV_ACCESS_TESTPORTAL "testportal"       /* TEST_PORTAL */

#define KV_AUTHZ_KIND(k) (1u << (unsigned)(k))

struct kv_authz_rule {
    const char *access;  /* the key */
    unsigned kinds;      /* KV_AUTHZ_KIND(kind) of every principal kind admitted */
    int org_priv;        /* enum kv_priv an employee / company user must hold in their
                            context, or -1 for none (citizens, systems, admin need none) */
    const char *system_kind; /* systems: "sender", "recipient", or NULL for any */
    int scoped;          /* 1: the request names an organisation (path); a system or person
                            must belong to / act for it */
    const char *what;    /* one line for docs and `kuvert config access` */
    unsigned mbox_privs; /* KV_PRIV_BIT()s a citizen must hold in the mailbox shown (their own
                            gives all; a helper's read or read-write access, identity.h
                            kv_principal_enter_mailbox, gives less); 0 for none */
    int owner_only;      /* 1: a citizen acting as a helper in another's mailbox is refused */
};

/* The rule table (static) and its length. */
const struct kv_authz_rule *kv_authz_rules(size_t *out_n);
/* The rule of a key; NULL when unknown. */
const struct kv_authz_rule *kv_authz_rule(const char *access);

enum kv_authz_result {
    KV_AUTHZ_ALLOW = 0,
    KV_AUTHZ_UNAUTHENTICATED = 1, /* nobody signed in: 401, or a redirect to sign-in (pages) */
    KV_AUTHZ_FORBIDDEN = 2        /* signed in but not allowed: 403 */
};

/* Decides whether principal p (NULL = nobody) may use a route with this access key.
 * scope_cvr: the organisation the request names (path parameter), or NULL; for scoped rules a
 * system must belong to it and a person must act for it. Pure: reads only p and the table, so
 * it is safe from any thread; the caller loads p for this request (kv_principal_for_person
 * re-reads rights every time). */
enum kv_authz_result kv_authz_decide(const struct kv_principal *p, const char *access,
                                     const char *scope_cvr);

/* The same decision for what a page only offers -- the portals in the menu, a link -- not
 * for the request itself: counted among the other keys' decisions (util/reqtrace.h) even
 * when access is the route's own key, so a request still makes exactly one decision on it. */
enum kv_authz_result kv_authz_offered(const struct kv_principal *p, const char *access);

/* Principals the gate builds from the other credentials. */
/* A sender or recipient system of org_cvr. */
void kv_principal_system(struct kv_principal *out, const char *system_id, const char *kind,
                         const char *org_cvr);
/* The operator. */
void kv_principal_admin(struct kv_principal *out);
/* The owner of a mailbox holding a bearer token (owner_type "CPR" -> citizen, "CVR" -> the
 * company, acting with MESSAGE_BASIC and MESSAGE_WRITE). */
void kv_principal_mailbox_owner(struct kv_principal *out, const char *owner_type,
                                const char *owner_id);

/* 1 when routes with this key exist only on a server started with --test-login (the
 * Testportal, docs/testportal.md): elsewhere the gate answers them 404, as if they were not
 * there. 0 for every other key. */
int kv_authz_test_login_only(const char *access);

/* The rule table as JSON: [{access, kinds: [...], privilege?, privilegeDa?, systemKind?,
 * scoped, what, mailboxPrivilege? (what a citizen must hold in the mailbox shown), ownerOnly,
 * testLoginOnly}]
 * (owned). */
json_t *kv_authz_rules_json(void);

#endif

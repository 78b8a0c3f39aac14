/* SPDX-License-Identifier: MIT
 *
 * who.h: from a sign-in to a person of the identity layer (src/identity) and back again on
 * every request. A citizen signs in by CPR: the person with that CPR, made on first sign-in
 * for a CPR that has a mailbox; an employee signs in by e-mail (test sign-in, or the
 * configured OIDC employee claim): an active person who acts for at least one organisation.
 * The principal of each request is loaded afresh from the session's person and organisation
 * context (kv_principal_for_person), so a revoked right or a deactivated person takes effect
 * on the next request.
 *
 * Ownership: plain values filled by the callee. Thread-safe.
 */
#ifndef KV_WEB_WHO_H
#define KV_WEB_WHO_H

#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"
#include "util/err.h"

struct kv_hub;
struct kv_http_req;
struct kv_http_resp;
struct kv_web_session;

struct kv_web_who {
    int64_t person_id;      /* persons.id */
    char subject_type[16];  /* "CPR" or "EMPLOYEE" */
    char subject[256];      /* the CPR or the e-mail */
    char name[KV_NAME_MAX + 1];
    char org_cvr[9];        /* first organisation context (employees), "" for citizens */
};

/* A citizen by CPR. name_hint names a person made on first sign-in (else the mailbox's name).
 * KV_ENOTFOUND when nobody with that CPR exists and there is no open mailbox for it;
 * KV_EPERM for a deactivated person. */
int kv_web_who_cpr(struct kv_hub *hub, const char *cpr, const char *name_hint,
                   struct kv_web_who *out, struct kv_err *err);
/* An employee by e-mail (case-insensitive). org_cvr (NULL/"" = their first) chooses the
 * context and must be theirs. KV_ENOTFOUND, KV_EPERM (deactivated, or no organisation). */
int kv_web_who_email(struct kv_hub *hub, const char *email, const char *org_cvr,
                     struct kv_web_who *out, struct kv_err *err);

/* The principal of the request's session (the gate calls this for the session cookie):
 * 0 with *out (and *sess when not NULL) filled; KV_EAUTH when there is no live session or
 * its person may no longer act (deactivated, context lost). */
int kv_web_principal(struct kv_http_req *req, struct kv_principal *out,
                     struct kv_web_session *sess, struct kv_err *err);

/* The request gate's step for web pages (KV_ROUTE_PAGE routes): authenticates the browser by
 * its session cookie and decides with the one authorisation function (identity/authz.h) on
 * the route's access key. 0: admitted, *out the principal (KV_PRINCIPAL_NONE when nobody is
 * signed in and the key admits anyone). Otherwise resp is filled: a stranger is sent to
 * sign-in (303 to /login?next=PATH, KV_EAUTH), a signed-in person without the right gets the
 * HTML 403 page (KV_EPERM). */
int kv_web_gate(const char *access, struct kv_http_req *req, struct kv_http_resp *resp,
                struct kv_principal *out);

/* 1 when the request gate admitted this page request (kv_web_gate, the one decision) on
 * exactly `access`, the route's key: the page then does not decide again. 0 otherwise (no
 * gate ran, or the page asks about another key): the caller decides itself. */
int kv_web_gate_admitted(const struct kv_http_req *req, const char *access);

/* The organisations the session's person may act for: up to max CVRs with names. */
struct kv_web_context {
    char cvr[9];
    char name[KV_NAME_MAX + 1];
};
size_t kv_web_contexts(struct kv_hub *hub, int64_t person_id, struct kv_web_context *out,
                       size_t max);

#endif

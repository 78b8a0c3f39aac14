/* SPDX-License-Identifier: MIT
 *
 * gate.h (api-internal): the principal kv_api_gate puts in req->principal, and how handlers
 * read it. Handlers never look at the Authorization header: the helpers of read_util.h
 * (kv__read_system_auth, kv__read_user_auth) and admin.c take the caller from here.
 *
 * Ownership: the principal is owned by the HTTP server (freed after the response) and valid
 * during the handler call; kv__principal returns a borrowed pointer.
 */
#ifndef KV_API_GATE_H
#define KV_API_GATE_H

#include "http/http.h"
#include "hub/directory.h"
#include "identity/identity.h"

enum kv__principal_kind {
    KV__PRINCIPAL_SYSTEM = 1, /* a system token: system is set */
    KV__PRINCIPAL_USER,       /* a user token: owner_type, owner_id are set */
    KV__PRINCIPAL_ADMIN,      /* the admin token */
    KV__PRINCIPAL_PAGE,       /* a web page's session (who); the page reads the gate's
                                 admission through web/who.h kv_web_gate_admitted */
};

struct kv__principal {
    enum kv__principal_kind kind;
    struct kv_principal who;  /* the same caller as identity/authz.h decides on */
    struct kv_system system;  /* KV__PRINCIPAL_SYSTEM */
    char owner_type[4];       /* KV__PRINCIPAL_USER: "CPR" | "CVR" */
    char owner_id[11];        /* KV__PRINCIPAL_USER */
};

/* The caller of req when the gate authenticated one of this kind, else NULL. */
const struct kv__principal *kv__principal(const struct kv_http_req *req,
                                          enum kv__principal_kind kind);

/* Route-specific admission, run by the gate after the decision and still before the body is
 * read (mailbox_send.c): a mailbox write whose Content-Length is more than any destination
 * open to the owner accepts (a reply: where it goes) is refused with 413
 * CONTACT_POINT_SIZE_LIMIT. 0 to admit; negative with resp filled. */
int kv__mailbox_send_admit(struct kv_http_req *req, struct kv_http_resp *resp,
                           const char *owner_type, const char *owner_id);

/* Route-specific admission of POST /apis/v1/validations/ (validations.c), run by the gate
 * after the decision and before the body is read: a Content-Length over the HTML check's
 * bound (memo/html_check.h, 10 MB) is refused with 413 PAYLOAD_TOO_LARGE. 0 to admit;
 * negative with resp filled. */
int kv__validations_admit(struct kv_http_req *req, struct kv_http_resp *resp);

#endif

/* SPDX-License-Identifier: MIT
 *
 * api.h: the API layer as the rest of kuvert sees it: the route tables the HTTP server serves
 * (listed in routes.c), the access keys routes declare, the gate that decides every request
 * before its body is read (gate.c), and the one call that configures an HTTP server for the
 * hub. `kuvert serve` and `kuvert config routes` include this header and no other of src/api.
 *
 * Access keys (struct kv_http_route.access) are those of identity/authz.h (KV_ACCESS_*), whose
 * rule table says who may call a route; `kuvert config access` prints it. The gate
 * authenticates the caller from the Authorization header for the kind of principal the key
 * admits (a system's "Basic <token>", "Bearer <admin_token>", a mailbox owner's
 * "Bearer <user token>") before any body byte is read, then asks kv_authz_decide. Routes
 * flagged KV_ROUTE_PAGE (src/web) are decided by kv_web_gate from the browser's session
 * cookie (303 to sign-in, HTML 403). Finer checks on the object (which mailbox, which
 * letter) stay with the handlers.
 *
 * Ownership: the tables are static; kv_api_http_config fills a config that borrows the hub.
 */
#ifndef KV_API_API_H
#define KV_API_API_H

#include "http/http.h"
#include "http/server.h"
#include "identity/authz.h"

struct kv_hub;

/* The route tables, one per API file, each terminated by an entry with method NULL. */
extern const struct kv_http_route kv_system_routes[];             /* system_routes.c */
extern const struct kv_http_route kv_api_memos_routes[];          /* memos.c */
extern const struct kv_http_route kv_api_receipts_routes[];       /* receipts.c */
extern const struct kv_http_route kv_api_validations_routes[];    /* validations.c */
extern const struct kv_http_route kv_api_contacts_routes[];       /* contacts.c */
extern const struct kv_http_route kv_api_mailbox_routes[];        /* mailbox.c */
extern const struct kv_http_route kv_api_mailbox_send_routes[];   /* mailbox_send.c */
extern const struct kv_http_route kv_api_notify_routes[];         /* notify_api.c */
extern const struct kv_http_route kv_api_events_routes[];         /* events.c */
extern const struct kv_http_route kv_api_recipient_pull_routes[]; /* recipient_pull.c */
extern const struct kv_http_route kv_api_contact_points_routes[]; /* contact_points.c */
extern const struct kv_http_route kv_api_admin_routes[];          /* admin.c */
extern const struct kv_http_route kv_api_admin_tokens_routes[];   /* admin_tokens.c */
extern const struct kv_http_route kv_api_admin_delegations_routes[]; /* admin_delegations.c */
extern const struct kv_http_route kv_web_routes[];                /* web/pages.c */
extern const struct kv_http_route kv_web_rights_routes[];         /* web/rights_common.c */
extern const struct kv_http_route kv_web_aa_routes[];             /* web/aa_common.c */
extern const struct kv_http_route kv_web_post_routes[];           /* web/post_folder.c */
extern const struct kv_http_route kv_web_post_write_routes[];     /* web/post_write.c */
extern const struct kv_http_route kv_web_notify_routes[];         /* web/post_settings.c */
extern const struct kv_http_route kv_web_asset_routes[];          /* web/assets.c */
extern const struct kv_http_route kv_web_devices_routes[];        /* web/adgangsportal.c */
extern const struct kv_http_route kv_web_testportal_routes[];     /* web/testportal.c */

/* Every route table above, NULL-terminated (routes.c). docs/openapi.yaml describes every
 * route (tests/it/test_openapi.py checks it against `kuvert config routes --json`). */
extern const struct kv_http_route *const kv_api_route_tables[];

/* The gate (kv_http_gate_fn; gate_ctx is the hub). Sets req->principal to an owned
 * struct kv__principal (api/gate.h), freed with kv_api_principal_free. */
int kv_api_gate(void *hub, const struct kv_http_route *route, struct kv_http_req *req,
                struct kv_http_resp *resp);
void kv_api_principal_free(void *principal);

/* Fills cfg to serve kv_api_route_tables through kv_api_gate with the hub's configuration. */
void kv_api_http_config(struct kv_hub *hub, struct kv_http_config *cfg);

#endif

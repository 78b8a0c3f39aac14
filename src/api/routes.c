/* SPDX-License-Identifier: MIT
 *
 * routes.c: the list of route tables the HTTP server serves. Each API file exports one table
 * (terminated by an entry with method NULL); add two lines per table: its extern declaration
 * and its entry in kv_api_route_tables. docs/openapi.yaml must describe every route
 * (tests/it/test_openapi.py checks it against `kuvert config routes --json`).
 */
#include <stddef.h>

#include "http/http.h"
#include "web/login.h"

extern const struct kv_http_route kv_system_routes[];
extern const struct kv_http_route kv_api_memos_routes[];
extern const struct kv_http_route kv_api_receipts_routes[];
extern const struct kv_http_route kv_api_contacts_routes[];
extern const struct kv_http_route kv_api_mailbox_routes[];
extern const struct kv_http_route kv_api_mailbox_send_routes[];
extern const struct kv_http_route kv_api_events_routes[];
extern const struct kv_http_route kv_api_recipient_pull_routes[];
extern const struct kv_http_route kv_api_contact_points_routes[];
extern const struct kv_http_route kv_api_admin_routes[];
extern const struct kv_http_route kv_api_admin_tokens_routes[];
extern const struct kv_http_route kv_api_admin_delegations_routes[];
extern const struct kv_http_route kv_web_routes[];
extern const struct kv_http_route kv_web_rights_routes[]; /* web/rights_common.c */
extern const struct kv_http_route kv_web_aa_routes[]; /* web/aa_common.c */
extern const struct kv_http_route kv_web_asset_routes[];

const struct kv_http_route *const kv_api_route_tables[] = {
    kv_system_routes,
    kv_api_memos_routes,
    kv_api_receipts_routes,
    kv_api_contacts_routes,
    kv_api_mailbox_routes,
    kv_api_mailbox_send_routes,
    kv_api_events_routes,
    kv_api_recipient_pull_routes,
    kv_api_contact_points_routes,
    kv_api_admin_routes,
    kv_api_admin_tokens_routes,
    kv_api_admin_delegations_routes,
    kv_web_routes,
    kv_web_rights_routes,
    kv_web_aa_routes,
    kv_web_asset_routes,
    NULL,
};

const kv_http_handler kv_http_page_not_found = kv_web_not_found;

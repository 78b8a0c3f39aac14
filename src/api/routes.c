/* SPDX-License-Identifier: MIT
 *
 * routes.c: the list of route tables the HTTP server serves. Each API file exports one table
 * (terminated by an entry with method NULL, every route declaring its access key); add its
 * declaration to api.h and its entry here. docs/openapi.yaml must describe every route
 * (tests/it/test_openapi.py checks it against `kuvert config routes --json`).
 */
#include <stddef.h>

#include "api/api.h"

const struct kv_http_route *const kv_api_route_tables[] = {
    kv_system_routes,
    kv_api_memos_routes,
    kv_api_receipts_routes,
    kv_api_validations_routes,
    kv_api_contacts_routes,
    kv_api_mailbox_routes,
    kv_api_mailbox_send_routes,
    kv_api_notify_routes,
    kv_api_events_routes,
    kv_api_recipient_pull_routes,
    kv_api_contact_points_routes,
    kv_api_admin_routes,
    kv_api_admin_tokens_routes,
    kv_api_admin_delegations_routes,
    kv_web_routes,
    kv_web_rights_routes,
    kv_web_aa_routes,
    kv_web_post_routes,
    kv_web_post_write_routes,
    kv_web_notify_routes,
    kv_web_asset_routes,
    kv_web_devices_routes,
    kv_web_testportal_routes,
    NULL,
};

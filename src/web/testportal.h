/* SPDX-License-Identifier: MIT
 *
 * testportal.h (web-internal): what the Testportal's pages share (docs/testportal.md):
 * testportal.c (the overview with the list of test data and "sign in as", the test clock, the
 * route table), testportal_identity.c (the forms that create test citizens, companies,
 * authorities and employees) and testportal_letter.c (test messages: the MeMo form and the
 * upload of a MeMo file, both sent through the real send path). Every route has the access
 * key "testportal" (TEST_PORTAL) and exists only on a server with --test-login (the gate
 * answers 404 elsewhere: identity/authz.h kv_authz_test_login_only). Each page starts with
 * kv_web_portal_begin (portal_page.h): sign-in, the decision, the CSRF check of a form.
 *
 * Ownership: the pages borrow everything from their struct kv_web_portal_page.
 */
#ifndef KV_WEB_TESTPORTAL_H
#define KV_WEB_TESTPORTAL_H

#include <stddef.h>

#include "web/portal_page.h"

struct kv_http_req;
struct kv_http_resp;

#define KV__TP "/testportal"

/* The portal heading (organisation acted for), the sub-navigation and the test-data notice. */
void kv__tp_head(struct kv_web_portal_page *pg, const char *title_msgid, const char *current);
/* The hidden csrf field of a form. */
void kv__tp_csrf(struct kv_web_portal_page *pg);
/* One labelled text input with its hint and its error message (DKFDS form-error pattern);
 * id is the control's id, name the form field; hint_msgid and error_msgid may be NULL. */
void kv__tp_input(struct kv_web_portal_page *pg, const char *id, const char *name,
                  const char *label_msgid, const char *hint_msgid, const char *value,
                  const char *error_msgid, const char *type, int maxlength);
/* The error summary at the top of a form with errors (n > 0): one link per field. */
void kv__tp_error_summary(struct kv_web_portal_page *pg, const char *const *ids,
                          const char *const *msgids, size_t n);

/* testportal_identity.c */
int kv__tp_citizen_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__tp_citizen_create(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__tp_company_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__tp_company_create(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__tp_authority_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__tp_authority_create(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__tp_employee_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__tp_employee_create(struct kv_http_req *req, struct kv_http_resp *resp);

/* testportal_letter.c */
int kv__tp_letter_form(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__tp_letter_send(struct kv_http_req *req, struct kv_http_resp *resp);
int kv__tp_memo_upload(struct kv_http_req *req, struct kv_http_resp *resp);

#endif

/* SPDX-License-Identifier: MIT
 *
 * notify_api.c: the mailbox JSON API of notification settings and NemSMS
 * (docs/notifications.md, docs/mailbox-api.md), for the caller's own access to their mailbox
 * ("Authorization: Bearer <user token>"):
 *   GET    /api/mailbox/notifications                    the settings (notify/settings.h)
 *   POST   /api/mailbox/notifications/emails             {"emailAddress"} -> 201, link mailed
 *   POST   /api/mailbox/notifications/emails/confirm     {"token"} (from the link) -> 204
 *   PUT    /api/mailbox/notifications/mobile             {"mobileNumber"} -> 202, PIN by SMS
 *   POST   /api/mailbox/notifications/mobile/confirm     {"pin"} -> 204
 *   POST   /api/mailbox/notifications/push               {"providerType","deviceId",
 *                                                          "deviceName","deviceToken"} -> 201
 *   DELETE /api/mailbox/notifications/channels/{id}      -> 204
 *   PUT    /api/mailbox/notifications/preferences        {"quietHours":{"from","to"}|null,
 *                                                          "optedOut":bool} -> 200 settings
 *   GET    /api/mailbox/nemsms                           the NemSMS subscription (citizens)
 *   PUT    /api/mailbox/nemsms                           {"mobileNumber"} -> 202, PIN by SMS
 *   POST   /api/mailbox/nemsms/confirm                   {"pin"} -> 204
 *   DELETE /api/mailbox/nemsms                           -> 204
 * Logic in src/notify; refusals are NgDP ErrorMessages with the field named. One handler
 * (dispatch) serves every route: each operation is a row of OPS (its body, required members,
 * domain call and answer), found by the route's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/read_util.h"
#include "hub/hub.h"
#include "identity/authz.h"
#include "notify/nemsms.h"
#include "notify/settings.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"

#define BODY_MAX 4096

struct call {
    struct kv_db *db;
    char type[4], id[11];
    struct kv_notify_access acc;
    json_t *in;
};

/* Authenticates, opens the access and parses the JSON body (when want_body). 0 or negative
 * with the answer written. */
static int begin(struct kv_http_req *req, struct kv_http_resp *resp, int want_body,
                 struct call *c)
{
    struct kv_err err = {0};
    char holder[24], actor[24];
    int rc;

    memset(c, 0, sizeof(*c));
    if (kv__read_db(req, resp, &c->db) < 0)
        return KV_EDB;
    rc = kv__read_user_auth(req, resp, c->db, c->type, c->id);
    if (rc < 0)
        return rc;
    snprintf(holder, sizeof(holder), "%s:%s", c->type, c->id);
    snprintf(actor, sizeof(actor), "%s:%s", strcmp(c->type, "CPR") == 0 ? "cpr" : "cvr", c->id);
    rc = kv_notify_access_for(c->db, c->type, c->id, holder, actor, &c->acc, &err);
    if (rc < 0) {
        kv_http_resp_from_err(resp, rc, &err);
        return rc;
    }
    if (want_body) {
        if (req->body_len > BODY_MAX) {
            kv_http_resp_error(resp, 413, "BODY_TOO_LARGE", "the request body is too large",
                               NULL);
            return KV_ETOOBIG;
        }
        if (kv_http_req_json_object(req, resp, NULL, &c->in) < 0)
            return KV_EINVAL;
    }
    return 0;
}

static void end(struct call *c)
{
    json_decref(c->in);
    kv_db_release(c->db);
}

/* The string member name of the body, or NULL after writing a 400 naming it. */
static const char *need(struct kv_http_resp *resp, struct call *c, const char *name)
{
    json_t *v = json_object_get(c->in, name);

    if (!json_is_string(v)) {
        kv_http_resp_field_error(resp, 400, "VALIDATION_FAILED", "a required member is missing",
                                 "request", name, v);
        return NULL;
    }
    return json_string_value(v);
}

/* Answers a domain refusal naming field. */
static void refuse(struct kv_http_resp *resp, int rc, const struct kv_err *err, const char *field,
                   json_t *rejected)
{
    if (rc == KV_EINVAL)
        kv_http_resp_field_error(resp, 400, "VALIDATION_FAILED", err->msg, "request", field,
                                 rejected);
    else
        kv_http_resp_from_err(resp, rc, err);
}

static void settings_answer(struct kv_http_resp *resp, struct call *c, int status)
{
    struct kv_err err = {0};
    json_t *o = NULL;
    int rc = kv_notify_settings_json(c->db, &c->acc, &o, &err);

    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, status, o);
}

/* The base of links in e-mails: public_url, else http://LISTEN. */
static void base_url(const struct kv_http_req *req, char *out, size_t n)
{
    const struct kv_conf *conf = req->hub->conf;

    if (conf->public_url[0])
        snprintf(out, n, "%s", conf->public_url);
    else
        snprintf(out, n, "http://%s", conf->listen);
    if (out[0] && out[strlen(out) - 1] == '/')
        out[strlen(out) - 1] = '\0';
}

/* ---- the operations -------------------------------------------------------------------------
 * Every route runs dispatch(): authenticate and open the caller's access (begin), parse the
 * body and take its required string members, call the domain (run), answer. An operation is a
 * row of OPS, found by the route's name; run returns 0, a negative domain refusal (answered
 * here: a KV_EINVAL names the operation's field, anything else is mapped by its code), or
 * ANSWERED when it wrote the answer itself (a malformed path parameter or preference). */

#define ANSWERED 1
#define MAX_FIELDS 4

enum ok { OK_NO_CONTENT, OK_SETTINGS, OK_NEMSMS, OK_ID, OK_EMAIL };

struct op {
    const char *name;                /* the route's name */
    int body;                        /* 1: a JSON object body */
    const char *fields[MAX_FIELDS];  /* its required string members (NULL-terminated) */
    const char *field;               /* named by a KV_EINVAL refusal (NULL: mapped by code) */
    int echo;                        /* the refusal carries the rejected value */
    int (*run)(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
               const char *const *v, int64_t *id, struct kv_err *err);
    int status;                      /* success status */
    enum ok ok;                      /* and what it answers */
};

static int run_email_add(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                         const char *const *v, int64_t *id, struct kv_err *err)
{
    char base[KV_CONF_STR_MAX + 16];

    (void)resp;
    base_url(req, base, sizeof(base));
    return kv_notify_email_add(c->db, &c->acc, v[0], base, kv_clock_now_ms(), id, NULL, err);
}

static int run_email_confirm(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                             const char *const *v, int64_t *id, struct kv_err *err)
{
    (void)req, (void)resp, (void)id;
    return kv_notify_email_confirm(c->db, v[0], kv_clock_now_ms(), NULL, err);
}

static int run_mobile_set(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                          const char *const *v, int64_t *id, struct kv_err *err)
{
    (void)req, (void)resp, (void)id;
    return kv_notify_mobile_set(c->db, &c->acc, v[0], kv_clock_now_ms(), NULL, err);
}

static int run_mobile_confirm(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                              const char *const *v, int64_t *id, struct kv_err *err)
{
    (void)req, (void)resp, (void)id;
    return kv_notify_mobile_confirm(c->db, &c->acc, v[0], kv_clock_now_ms(), err);
}

static int run_push_add(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                        const char *const *v, int64_t *id, struct kv_err *err)
{
    (void)req, (void)resp;
    return kv_notify_push_add(c->db, &c->acc, v[0], v[1], v[2], v[3], kv_clock_now_ms(), id,
                              err);
}

static int run_channel_remove(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                              const char *const *v, int64_t *id, struct kv_err *err)
{
    (void)v;
    if (kv__read_parse_int(req->params[0], 1, INT64_MAX, id) < 0) {
        kv__read_bad_param(resp, "id", req->params[0], "id must be a positive integer");
        return ANSWERED;
    }
    return kv_notify_channel_remove(c->db, &c->acc, *id, kv_clock_now_ms(), err);
}

static int run_preferences(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                           const char *const *v, int64_t *id, struct kv_err *err)
{
    json_t *q = json_object_get(c->in, "quietHours"), *o = json_object_get(c->in, "optedOut");
    int rc = 0, from = -1, to = -1;

    (void)req, (void)v, (void)id;
    if (o && !json_is_boolean(o)) {
        kv_http_resp_field_error(resp, 400, "VALIDATION_FAILED", "optedOut must be true or false",
                                 "request", "optedOut", o);
        return ANSWERED;
    }
    if (q && !json_is_null(q)) {
        from = kv_notify_parse_hhmm(json_string_value(json_object_get(q, "from")));
        to = kv_notify_parse_hhmm(json_string_value(json_object_get(q, "to")));
        if (!json_is_object(q) || from < 0 || to < 0 || from == to) {
            kv_http_resp_field_error(resp, 400, "VALIDATION_FAILED",
                                     "quietHours must be {\"from\":\"HH:MM\",\"to\":\"HH:MM\"} "
                                     "with two different times, or null",
                                     "request", "quietHours", q);
            return ANSWERED;
        }
    }
    if (q)
        rc = kv_notify_quiet_set(c->db, &c->acc, from, to, kv_clock_now_ms(), err);
    if (rc == 0 && o)
        rc = kv_notify_optout_set(c->db, &c->acc, json_is_true(o), kv_clock_now_ms(), err);
    return rc;
}

static int run_nemsms_put(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                          const char *const *v, int64_t *id, struct kv_err *err)
{
    (void)req, (void)resp, (void)id;
    return kv_nemsms_subscribe(c->db, c->id, v[0], 0, c->acc.actor, kv_clock_now_ms(), NULL,
                               err);
}

static int run_nemsms_confirm(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                              const char *const *v, int64_t *id, struct kv_err *err)
{
    (void)req, (void)resp, (void)id;
    return kv_nemsms_confirm(c->db, c->id, v[0], c->acc.actor, kv_clock_now_ms(), err);
}

static int run_nemsms_delete(struct kv_http_req *req, struct kv_http_resp *resp, struct call *c,
                             const char *const *v, int64_t *id, struct kv_err *err)
{
    (void)req, (void)resp, (void)v, (void)id;
    return kv_nemsms_unsubscribe(c->db, c->id, c->acc.actor, kv_clock_now_ms(), err);
}

static const struct op OPS[] = {
    {"notify_settings", 0, {NULL}, NULL, 0, NULL, 200, OK_SETTINGS},
    {"notify_email_add", 1, {"emailAddress"}, "emailAddress", 1, run_email_add, 201, OK_EMAIL},
    {"notify_email_confirm", 1, {"token"}, "token", 0, run_email_confirm, 204, OK_NO_CONTENT},
    {"notify_mobile_set", 1, {"mobileNumber"}, "mobileNumber", 1, run_mobile_set, 202,
     OK_SETTINGS},
    {"notify_mobile_confirm", 1, {"pin"}, "pin", 0, run_mobile_confirm, 204, OK_NO_CONTENT},
    {"notify_push_add", 1, {"providerType", "deviceId", "deviceName", "deviceToken"},
     "deviceToken", 0, run_push_add, 201, OK_ID},
    {"notify_channel_remove", 0, {NULL}, NULL, 0, run_channel_remove, 204, OK_NO_CONTENT},
    {"notify_preferences", 1, {NULL}, NULL, 0, run_preferences, 200, OK_SETTINGS},
    {"nemsms_get", 0, {NULL}, NULL, 0, NULL, 200, OK_NEMSMS},
    {"nemsms_put", 1, {"mobileNumber"}, "mobileNumber", 1, run_nemsms_put, 202, OK_NEMSMS},
    {"nemsms_confirm", 1, {"pin"}, "pin", 0, run_nemsms_confirm, 204, OK_NO_CONTENT},
    {"nemsms_delete", 0, {NULL}, NULL, 0, run_nemsms_delete, 204, OK_NO_CONTENT},
};

static void nemsms_answer(struct kv_http_resp *resp, struct call *c, int status)
{
    struct kv_err err = {0};
    json_t *o = NULL;
    int rc = kv_nemsms_json(c->db, c->id, &o, &err);

    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, status, o);
}

static int dispatch(struct kv_http_req *req, struct kv_http_resp *resp)
{
    const struct op *op = NULL;
    const char *v[MAX_FIELDS] = {NULL};
    struct kv_err err = {0};
    struct call c;
    int64_t id = 0;
    size_t i;
    int rc = 0;

    for (i = 0; i < sizeof(OPS) / sizeof(OPS[0]) && !op; i++)
        if (req->route_name && strcmp(OPS[i].name, req->route_name) == 0)
            op = &OPS[i];
    if (!op) { /* a route of the table below without its row: a programming error */
        kv_http_resp_error(resp, 500, "INTERNAL_ERROR", "internal error", NULL);
        return 0;
    }
    if (begin(req, resp, op->body, &c) < 0)
        goto out;
    for (i = 0; i < MAX_FIELDS && op->fields[i]; i++)
        if (!(v[i] = need(resp, &c, op->fields[i])))
            goto out;
    if (op->run)
        rc = op->run(req, resp, &c, v, &id, &err);
    if (rc == ANSWERED)
        goto out;
    if (rc < 0) {
        if (op->field)
            refuse(resp, rc, &err, op->field, op->echo ? json_object_get(c.in, op->field) : NULL);
        else
            kv_http_resp_from_err(resp, rc, &err);
        goto out;
    }
    switch (op->ok) {
    case OK_NO_CONTENT:
        resp->status = op->status;
        break;
    case OK_SETTINGS:
        settings_answer(resp, &c, op->status);
        break;
    case OK_NEMSMS:
        nemsms_answer(resp, &c, op->status);
        break;
    case OK_ID:
        kv_http_resp_json(resp, op->status, json_pack("{s:I}", "id", (json_int_t)id));
        break;
    case OK_EMAIL:
        kv_http_resp_json(resp, op->status,
                          json_pack("{s:I,s:s,s:b}", "id", (json_int_t)id, "emailAddress", v[0],
                                    "confirmed", 0));
        break;
    }
out:
    end(&c);
    return 0;
}

const struct kv_http_route kv_api_notify_routes[] = {
    {"GET", "/api/mailbox/notifications", dispatch, "notify_settings", 0, KV_ACCESS_NOTIFY},
    {"POST", "/api/mailbox/notifications/emails", dispatch, "notify_email_add", 0,
     KV_ACCESS_NOTIFY},
    {"POST", "/api/mailbox/notifications/emails/confirm", dispatch, "notify_email_confirm", 0,
     KV_ACCESS_NOTIFY},
    {"PUT", "/api/mailbox/notifications/mobile", dispatch, "notify_mobile_set", 0,
     KV_ACCESS_NOTIFY},
    {"POST", "/api/mailbox/notifications/mobile/confirm", dispatch, "notify_mobile_confirm", 0,
     KV_ACCESS_NOTIFY},
    {"POST", "/api/mailbox/notifications/push", dispatch, "notify_push_add", 0, KV_ACCESS_NOTIFY},
    {"DELETE", "/api/mailbox/notifications/channels/{id}", dispatch, "notify_channel_remove", 0,
     KV_ACCESS_NOTIFY},
    {"PUT", "/api/mailbox/notifications/preferences", dispatch, "notify_preferences", 0,
     KV_ACCESS_NOTIFY},
    {"GET", "/api/mailbox/nemsms", dispatch, "nemsms_get", 0, KV_ACCESS_NEMSMS},
    {"PUT", "/api/mailbox/nemsms", dispatch, "nemsms_put", 0, KV_ACCESS_NEMSMS},
    {"POST", "/api/mailbox/nemsms/confirm", dispatch, "nemsms_confirm", 0, KV_ACCESS_NEMSMS},
    {"DELETE", "/api/mailbox/nemsms", dispatch, "nemsms_delete", 0, KV_ACCESS_NEMSMS},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

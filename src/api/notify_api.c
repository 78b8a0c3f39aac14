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
 * Logic in src/notify; refusals are NgDP ErrorMessages with the field named.
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

static int get_settings(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;

    if (begin(req, resp, 0, &c) == 0)
        settings_answer(resp, &c, 200);
    end(&c);
    return 0;
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

static int add_email(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    const char *addr;
    char base[KV_CONF_STR_MAX + 16];
    int64_t id = 0;
    int rc;

    if (begin(req, resp, 1, &c) < 0 || !(addr = need(resp, &c, "emailAddress")))
        goto out;
    base_url(req, base, sizeof(base));
    rc = kv_notify_email_add(c.db, &c.acc, addr, base, kv_clock_now_ms(), &id, NULL, &err);
    if (rc < 0)
        refuse(resp, rc, &err, "emailAddress", json_object_get(c.in, "emailAddress"));
    else
        kv_http_resp_json(resp, 201,
                          json_pack("{s:I,s:s,s:b}", "id", (json_int_t)id, "emailAddress", addr,
                                    "confirmed", 0));
out:
    end(&c);
    return 0;
}

static int confirm_email(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    const char *token;
    int rc;

    if (begin(req, resp, 1, &c) < 0 || !(token = need(resp, &c, "token")))
        goto out;
    rc = kv_notify_email_confirm(c.db, token, kv_clock_now_ms(), NULL, &err);
    if (rc < 0)
        refuse(resp, rc, &err, "token", NULL);
    else
        resp->status = 204;
out:
    end(&c);
    return 0;
}

static int set_mobile(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    const char *num;
    int rc;

    if (begin(req, resp, 1, &c) < 0 || !(num = need(resp, &c, "mobileNumber")))
        goto out;
    rc = kv_notify_mobile_set(c.db, &c.acc, num, kv_clock_now_ms(), NULL, &err);
    if (rc < 0)
        refuse(resp, rc, &err, "mobileNumber", json_object_get(c.in, "mobileNumber"));
    else
        settings_answer(resp, &c, 202);
out:
    end(&c);
    return 0;
}

static int confirm_mobile(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    const char *pin;
    int rc;

    if (begin(req, resp, 1, &c) < 0 || !(pin = need(resp, &c, "pin")))
        goto out;
    rc = kv_notify_mobile_confirm(c.db, &c.acc, pin, kv_clock_now_ms(), &err);
    if (rc < 0)
        refuse(resp, rc, &err, "pin", NULL);
    else
        resp->status = 204;
out:
    end(&c);
    return 0;
}

static int add_push(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    const char *prov, *dev, *name, *tok;
    int64_t id = 0;
    int rc;

    if (begin(req, resp, 1, &c) < 0 || !(prov = need(resp, &c, "providerType")) ||
        !(dev = need(resp, &c, "deviceId")) || !(name = need(resp, &c, "deviceName")) ||
        !(tok = need(resp, &c, "deviceToken")))
        goto out;
    rc = kv_notify_push_add(c.db, &c.acc, prov, dev, name, tok, kv_clock_now_ms(), &id, &err);
    if (rc < 0)
        refuse(resp, rc, &err, "deviceToken", NULL);
    else
        kv_http_resp_json(resp, 201, json_pack("{s:I}", "id", (json_int_t)id));
out:
    end(&c);
    return 0;
}

static int remove_channel(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    int64_t id;
    int rc;

    if (begin(req, resp, 0, &c) < 0)
        goto out;
    if (kv__read_parse_int(req->params[0], 1, INT64_MAX, &id) < 0) {
        kv__read_bad_param(resp, "id", req->params[0], "id must be a positive integer");
        goto out;
    }
    rc = kv_notify_channel_remove(c.db, &c.acc, id, kv_clock_now_ms(), &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        resp->status = 204;
out:
    end(&c);
    return 0;
}

static int set_preferences(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    json_t *q, *o;
    int rc = 0, from = -1, to = -1;

    if (begin(req, resp, 1, &c) < 0)
        goto out;
    q = json_object_get(c.in, "quietHours");
    o = json_object_get(c.in, "optedOut");
    if (o && !json_is_boolean(o)) {
        kv_http_resp_field_error(resp, 400, "VALIDATION_FAILED", "optedOut must be true or false",
                                 "request", "optedOut", o);
        goto out;
    }
    if (q && !json_is_null(q)) {
        from = kv_notify_parse_hhmm(json_string_value(json_object_get(q, "from")));
        to = kv_notify_parse_hhmm(json_string_value(json_object_get(q, "to")));
        if (!json_is_object(q) || from < 0 || to < 0 || from == to) {
            kv_http_resp_field_error(resp, 400, "VALIDATION_FAILED",
                                     "quietHours must be {\"from\":\"HH:MM\",\"to\":\"HH:MM\"} "
                                     "with two different times, or null",
                                     "request", "quietHours", q);
            goto out;
        }
    }
    if (q)
        rc = kv_notify_quiet_set(c.db, &c.acc, from, to, kv_clock_now_ms(), &err);
    if (rc == 0 && o)
        rc = kv_notify_optout_set(c.db, &c.acc, json_is_true(o), kv_clock_now_ms(), &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        settings_answer(resp, &c, 200);
out:
    end(&c);
    return 0;
}

/* ---- NemSMS ---- */

static int nemsms_answer(struct kv_http_resp *resp, struct call *c, int status)
{
    struct kv_err err = {0};
    json_t *o = NULL;
    int rc = kv_nemsms_json(c->db, c->id, &o, &err);

    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        kv_http_resp_json(resp, status, o);
    return 0;
}

static int nemsms_get(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;

    if (begin(req, resp, 0, &c) == 0)
        nemsms_answer(resp, &c, 200);
    end(&c);
    return 0;
}

static int nemsms_put(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    const char *num;
    int rc;

    if (begin(req, resp, 1, &c) < 0 || !(num = need(resp, &c, "mobileNumber")))
        goto out;
    rc = kv_nemsms_subscribe(c.db, c.id, num, 0, c.acc.actor, kv_clock_now_ms(), NULL, &err);
    if (rc < 0)
        refuse(resp, rc, &err, "mobileNumber", json_object_get(c.in, "mobileNumber"));
    else
        nemsms_answer(resp, &c, 202);
out:
    end(&c);
    return 0;
}

static int nemsms_confirm(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    const char *pin;
    int rc;

    if (begin(req, resp, 1, &c) < 0 || !(pin = need(resp, &c, "pin")))
        goto out;
    rc = kv_nemsms_confirm(c.db, c.id, pin, c.acc.actor, kv_clock_now_ms(), &err);
    if (rc < 0)
        refuse(resp, rc, &err, "pin", NULL);
    else
        resp->status = 204;
out:
    end(&c);
    return 0;
}

static int nemsms_delete(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct call c;
    struct kv_err err = {0};
    int rc;

    if (begin(req, resp, 0, &c) < 0)
        goto out;
    rc = kv_nemsms_unsubscribe(c.db, c.id, c.acc.actor, kv_clock_now_ms(), &err);
    if (rc < 0)
        kv_http_resp_from_err(resp, rc, &err);
    else
        resp->status = 204;
out:
    end(&c);
    return 0;
}

const struct kv_http_route kv_api_notify_routes[] = {
    {"GET", "/api/mailbox/notifications", get_settings, "notify_settings", 0, KV_ACCESS_NOTIFY},
    {"POST", "/api/mailbox/notifications/emails", add_email, "notify_email_add", 0,
     KV_ACCESS_NOTIFY},
    {"POST", "/api/mailbox/notifications/emails/confirm", confirm_email, "notify_email_confirm",
     0, KV_ACCESS_NOTIFY},
    {"PUT", "/api/mailbox/notifications/mobile", set_mobile, "notify_mobile_set", 0,
     KV_ACCESS_NOTIFY},
    {"POST", "/api/mailbox/notifications/mobile/confirm", confirm_mobile, "notify_mobile_confirm",
     0, KV_ACCESS_NOTIFY},
    {"POST", "/api/mailbox/notifications/push", add_push, "notify_push_add", 0,
     KV_ACCESS_NOTIFY},
    {"DELETE", "/api/mailbox/notifications/channels/{id}", remove_channel, "notify_channel_remove",
     0, KV_ACCESS_NOTIFY},
    {"PUT", "/api/mailbox/notifications/preferences", set_preferences, "notify_preferences", 0,
     KV_ACCESS_NOTIFY},
    {"GET", "/api/mailbox/nemsms", nemsms_get, "nemsms_get", 0, KV_ACCESS_NEMSMS},
    {"PUT", "/api/mailbox/nemsms", nemsms_put, "nemsms_put", 0, KV_ACCESS_NEMSMS},
    {"POST", "/api/mailbox/nemsms/confirm", nemsms_confirm, "nemsms_confirm", 0,
     KV_ACCESS_NEMSMS},
    {"DELETE", "/api/mailbox/nemsms", nemsms_delete, "nemsms_delete", 0, KV_ACCESS_NEMSMS},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

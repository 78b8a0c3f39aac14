/* SPDX-License-Identifier: MIT
 *
 * gate.c: the API's gate (api.h): for every routed request, before the HTTP server reads a
 * byte of its body, authenticates the caller from the Authorization header for the kind of
 * principal the route's access key admits (identity/authz.h: system token, admin token or a
 * mailbox owner's bearer token; for web pages the session cookie, through kv_web_gate), asks
 * the one decision kv_authz_decide, and either admits the request with req->principal set
 * (gate.h) or answers 401/403 (pages: 303 to sign-in or the HTML 403) itself. This is the only place
 * that reads credentials; handlers take the caller from the principal. A system is admitted
 * only from one of its allowed IP addresses and within its active period (directory.h): 403
 * IP_ADDRESS_NOT_ALLOWED / SYSTEM_NOT_ACTIVE after its credential was checked. kv_api_http_config
 * wires the gate, the route tables and the hub's configuration into the HTTP server.
 *
 * Credentials as clients send them: "Basic <system token>" (the scheme may be followed by a
 * tab, base64 padding may be left off), "Bearer <user token>" (tab allowed) and
 * "Bearer <admin_token>" (compared in constant time through SHA-256 of both sides).
 */
#include "api/api.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/gate.h"
#include "hub/directory.h"
#include "hub/event_actor.h"
#include "hub/events.h"
#include "hub/hub.h"
#include "hub/system_cache.h"
#include "identity/authz.h"
#include "store/store.h"
#include "util/cidr.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/xmalloc.h"
#include "web/login.h"
#include "web/post_write.h"
#include "web/who.h"

/* A Basic credential as some clients send it, made canonical for kv_system_authenticate: the
 * scheme may be followed by a tab instead of a space, and base64 padding ('=') may be left
 * off. Anything else is passed on unchanged (and refused there with its precise reason).
 * Writes into out (outlen bytes) and returns out, or returns hdr when nothing needed fixing. */
static const char *canonical_basic(const char *hdr, char *out, size_t outlen)
{
    const char *p = hdr, *tok;
    size_t n = 0, eq = 0, pad = 0, i;
    int tab;

    if (!hdr)
        return hdr;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "Basic", 5) != 0 || (p[5] != ' ' && p[5] != '\t'))
        return hdr;
    tab = p[5] == '\t';
    tok = p + 5;
    while (*tok == ' ' || *tok == '\t')
        tok++;
    while ((tok[n] >= 'A' && tok[n] <= 'Z') || (tok[n] >= 'a' && tok[n] <= 'z') ||
           (tok[n] >= '0' && tok[n] <= '9') || tok[n] == '+' || tok[n] == '/')
        n++;
    while (tok[n + eq] == '=')
        eq++;
    for (i = n + eq; tok[i] == ' '; i++)
        ;
    if (n == 0 || tok[i] != '\0')
        return hdr; /* not base64: refused downstream with its reason */
    if (eq == 0) {
        pad = (4 - n % 4) % 4;
        if (pad == 3)
            return hdr;
    }
    if (!tab && pad == 0)
        return hdr; /* already canonical */
    if (6 + n + eq + pad + 1 > outlen)
        return hdr;
    memcpy(out, "Basic ", 6);
    memcpy(out + 6, tok, n + eq);
    memset(out + 6 + n + eq, '=', pad);
    out[6 + n + eq + pad] = '\0';
    return out;
}

/* "Bearer<TAB>token" as "Bearer token" (into out); other headers are returned unchanged. */
static const char *canonical_bearer(const char *hdr, char *out, size_t outlen)
{
    const char *p = hdr;
    size_t n;

    if (!hdr)
        return hdr;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "Bearer\t", 7) != 0)
        return hdr;
    p += 7;
    while (*p == ' ' || *p == '\t')
        p++;
    n = strlen(p);
    if (n + 8 > outlen)
        return hdr;
    memcpy(out, "Bearer ", 7);
    memcpy(out + 7, p, n + 1);
    return out;
}

#define REFUSAL_SLOTS 256 /* systems x addresses whose refusal was logged this minute */

static struct {
    uint64_t key;  /* FNV-1a of "system|address" */
    int64_t minute;
} refusal_seen[REFUSAL_SLOTS];
static pthread_mutex_t refusal_mu = PTHREAD_MUTEX_INITIALIZER;

/* A call refused for its address is an event IP_ADDRESS_NOT_ALLOWED (actor and system the
 * system, subject its organisation, props the address and the route), at most once a minute
 * per system and address: a caller cannot turn refused calls into a write each. A failure to
 * log is logged and does not change the answer. */
static void log_ip_refusal(struct kv_http_req *req, const struct kv_system *sys, const char *ip)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    struct kv_event ev;
    int64_t minute = kv_clock_now_ms() / 60000;
    uint64_t k = 1469598103934665603ULL;
    const char *p;
    char subject[16], *props = NULL;
    json_t *o;
    int fresh, rc;

    for (p = sys->id; *p; p++)
        k = (k ^ (unsigned char)*p) * 1099511628211ULL;
    k = (k ^ '|') * 1099511628211ULL;
    for (p = ip; *p; p++)
        k = (k ^ (unsigned char)*p) * 1099511628211ULL;
    pthread_mutex_lock(&refusal_mu);
    fresh = refusal_seen[k % REFUSAL_SLOTS].key != k ||
            refusal_seen[k % REFUSAL_SLOTS].minute != minute;
    refusal_seen[k % REFUSAL_SLOTS].key = k;
    refusal_seen[k % REFUSAL_SLOTS].minute = minute;
    pthread_mutex_unlock(&refusal_mu);
    if (!fresh)
        return;
    o = json_pack("{s:s, s:s}", "clientAddress", ip[0] ? ip : "(unknown)", "route",
                  req->route_name ? req->route_name : "");
    props = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    snprintf(subject, sizeof(subject), "cvr:%s", sys->org_cvr);
    memset(&ev, 0, sizeof(ev));
    ev.tag = "IP_ADDRESS_NOT_ALLOWED";
    ev.system_id = sys->id;
    ev.actor = sys->id;
    ev.subject = subject;
    ev.props_json = props;
    rc = kv_db_acquire(req->hub->store, &db, &err);
    if (rc == 0) /* one event: safe beside other writers (docs/postgresql.md) */
        rc = kv_db_begin_concurrent(db, &err);
    if (rc == 0)
        rc = kv_db_end(db, kv_events_append(db, &ev, &err), &err);
    if (rc < 0)
        kv_log(KV_LOG_WARN, "%s: refusal of %s not logged as an event: %s", req->request_id,
               sys->id, err.msg);
    if (db)
        kv_db_release(db);
    free(props);
}

/* The authenticated system's own limits: its active window and its allowed IP addresses
 * (directory.h). 0, or -1 with a 403 written. */
static int system_admit(struct kv_http_req *req, struct kv_http_resp *resp,
                        const struct kv_system *sys)
{
    char ip[64], msg[160];

    /* The clock is read only for a system that has an active window (most have none). */
    if ((sys->active_from[0] || sys->active_to[0]) &&
        !kv_system_in_window(sys, kv_clock_now_ms())) {
        snprintf(msg, sizeof(msg), "the system is not active today: its active period is %s to %s",
                 sys->active_from[0] ? sys->active_from : "(open)",
                 sys->active_to[0] ? sys->active_to : "(open)");
        kv_http_resp_error(resp, 403, "SYSTEM_NOT_ACTIVE", msg, NULL);
        return -1;
    }
    kv_http_req_client(req, ip, sizeof(ip));
    if (!kv_cidr_list_allows(sys->allowed_ips, ip)) {
        kv_log(KV_LOG_WARN, "%s: system %s called from %s, not an allowed address",
               req->request_id, sys->id, ip[0] ? ip : "(unknown)");
        snprintf(msg, sizeof(msg), "calls from %s are not allowed for this system (see its allowed "
                 "IP addresses)", ip[0] ? ip : "an unknown address");
        kv_http_resp_error(resp, 403, "IP_ADDRESS_NOT_ALLOWED", msg, NULL);
        log_ip_refusal(req, sys, ip);
        return -1;
    }
    return 0;
}

/* An active system. scope_ref (the path's organisation, a CVR or an organisation UUID, or
 * NULL) is resolved into scope_cvr ("" when unknown). */
static int system_gate(struct kv_hub *hub, struct kv_http_req *req, struct kv_http_resp *resp,
                       struct kv__principal *p, const char *scope_ref, char scope_cvr[9])
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    struct kv_org org;
    char fixed[512];
    int rc;

    rc = kv_system_cache_authenticate(
        hub->syscache,
        canonical_basic(kv_http_req_header(req, "Authorization"), fixed, sizeof(fixed)),
        &p->system, &err);
    if (rc == 0 && scope_ref) {
        rc = kv_db_acquire(hub->store, &db, &err);
        if (rc == 0) {
            struct kv_err ignored = {0};
            if (kv_org_resolve(db, scope_ref, &org, &ignored) == 0)
                memcpy(scope_cvr, org.cvr, 9);
            kv_db_release(db);
        }
    }
    if (rc < 0) {
        if (rc == KV_EAUTH)
            kv_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"kuvert\"");
        kv_http_resp_from_err(resp, rc, &err);
        return rc;
    }
    if (strcmp(p->system.status, "active") != 0) {
        kv_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"kuvert\"");
        kv_http_resp_error(resp, 401, "UNAUTHORIZED", "the system is deactivated", NULL);
        return KV_EAUTH;
    }
    if (system_admit(req, resp, &p->system) < 0)
        return KV_EPERM;
    p->kind = KV__PRINCIPAL_SYSTEM;
    kv_principal_system(&p->who, p->system.id, p->system.kind, p->system.org_cvr);
    return 0;
}

static int user_gate(struct kv_hub *hub, struct kv_http_req *req, struct kv_http_resp *resp,
                     struct kv__principal *p)
{
    struct kv_db *db = NULL;
    struct kv_err err = {0};
    char fixed[512];
    int rc;

    rc = kv_db_acquire(hub->store, &db, &err);
    if (rc == 0) {
        const char *auth =
            canonical_bearer(kv_http_req_header(req, "Authorization"), fixed, sizeof(fixed));
        struct kv_err e2 = {0};

        rc = kv_user_authenticate(db, auth, p->owner_type, p->owner_id, &err);
        /* the app sign-in's last use and user agent, for the Adgangsportal */
        if (rc == 0 && kv_user_token_seen(db, auth, kv_http_req_header(req, "User-Agent"),
                                          kv_clock_now_ms(), &e2) < 0)
            kv_log(KV_LOG_WARN, "%s: token use not recorded: %s", req->request_id, e2.msg);
        kv_db_release(db);
    }
    if (rc < 0) {
        if (rc == KV_EAUTH)
            kv_http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"kuvert\"");
        kv_http_resp_from_err(resp, rc, &err);
        return rc;
    }
    p->kind = KV__PRINCIPAL_USER;
    kv_principal_mailbox_owner(&p->who, p->owner_type, p->owner_id);
    return 0;
}

static int admin_gate(struct kv_hub *hub, struct kv_http_req *req, struct kv_http_resp *resp,
                      struct kv__principal *p)
{
    const char *want = hub->conf->admin_token;
    const char *h = kv_http_req_header(req, "Authorization");
    char a[KV_SHA256_HEX_LEN + 1], b[KV_SHA256_HEX_LEN + 1];

    if (!want[0]) {
        kv_http_resp_error(resp, 403, "ADMIN_API_DISABLED",
                           "the admin API is disabled: set config key admin_token", NULL);
        return KV_EPERM;
    }
    if (!h || strncmp(h, "Bearer ", 7) != 0) {
        kv_http_resp_error(resp, 401, "UNAUTHORIZED", "missing admin bearer token", NULL);
        return KV_EAUTH;
    }
    /* Hash both sides so the comparison is constant-time whatever the lengths. */
    kv_sha256_hex(h + 7, strlen(h + 7), a);
    kv_sha256_hex(want, strlen(want), b);
    if (!kv_ct_equal(a, b, KV_SHA256_HEX_LEN)) {
        kv_http_resp_error(resp, 401, "UNAUTHORIZED", "wrong admin bearer token", NULL);
        return KV_EAUTH;
    }
    p->kind = KV__PRINCIPAL_ADMIN;
    kv_principal_admin(&p->who);
    return 0;
}

/* One principal per thread is kept between requests: it is 5.9 KB (a system's directory
 * entry, 5.2 KB of it), more than glibc's per-thread cache holds, so its calloc and free per
 * request cost a search of the heap's bins plus the zeroing of 5.9 KB (docs/send-api.md "Cuts
 * of session 11"). kv_api_principal_free wipes who the caller was and gives it back here; a
 * thread that ends frees its spare (the key's destructor). */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static int spare_ok;

static void spare_init(void)
{
    spare_ok = pthread_key_create(&spare_key, free) == 0;
}

/* A zeroed principal; with system_fills, all of it but p->system, which the system gate's
 * kv_system_cache_authenticate writes whole on every path (the row, or zeros). */
static struct kv__principal *principal_new(int system_fills)
{
    struct kv__principal *p = NULL;
    const size_t at = offsetof(struct kv__principal, system), after = at + sizeof(p->system);

    pthread_once(&spare_once, spare_init);
    if (spare_ok && (p = pthread_getspecific(spare_key)) != NULL)
        (void)pthread_setspecific(spare_key, NULL);
    if (!p)
        p = kv_xmalloc(sizeof(*p));
    if (system_fills) {
        memset(p, 0, at);
        memset((char *)p + after, 0, sizeof(*p) - after);
    } else {
        memset(p, 0, sizeof(*p));
    }
    return p;
}

/* The admitted caller acts in this request's events (hub/event_actor.h). */
static void acting(const struct kv__principal *p)
{
    char a[80];

    kv_principal_actor(&p->who, a, sizeof(a));
    kv_event_actor_set(a);
}

/* Names the person whose request bodies in flight count together (person_body_memory, the
 * server's per-person budget): a portal session's or a mailbox token's person, or for a token
 * of a mailbox without a person, the mailbox. Systems and the admin token are not counted so:
 * a sender's letters meet only the global budget. */
static void caller_of(const struct kv__principal *p, struct kv_http_req *req)
{
    req->caller[0] = '\0';
    if (p->kind != KV__PRINCIPAL_PAGE && p->kind != KV__PRINCIPAL_USER)
        return;
    if (p->who.person_id > 0)
        snprintf(req->caller, sizeof(req->caller), "person:%lld", (long long)p->who.person_id);
    else if (p->who.cpr[0])
        snprintf(req->caller, sizeof(req->caller), "cpr:%s", p->who.cpr);
    else if (p->kind == KV__PRINCIPAL_USER && p->owner_id[0])
        snprintf(req->caller, sizeof(req->caller), "mailbox:%s:%s", p->owner_type, p->owner_id);
}

/* The 403 of a principal the rule table refused. */
static void forbid(const struct kv_authz_rule *rule, const struct kv__principal *p,
                   struct kv_http_resp *resp)
{
    const char *msg = "not allowed for this caller";

    if (p->kind == KV__PRINCIPAL_SYSTEM && rule->system_kind &&
        strcmp(rule->system_kind, p->system.kind) != 0)
        msg = strcmp(rule->system_kind, "sender") == 0
                  ? "only sender systems may send letters"
                  : "only recipient systems may fetch letters";
    else if (p->kind == KV__PRINCIPAL_SYSTEM && rule->scoped)
        msg = "a system may only act for its own organisation";
    kv_http_resp_error(resp, 403, "FORBIDDEN", msg, NULL);
}

int kv_api_gate(void *ctx, const struct kv_http_route *route, struct kv_http_req *req,
                struct kv_http_resp *resp)
{
    struct kv_hub *hub = ctx;
    const struct kv_authz_rule *rule = kv_authz_rule(route->access);
    const unsigned people = KV_AUTHZ_KIND(KV_PRINCIPAL_CITIZEN) |
                            KV_AUTHZ_KIND(KV_PRINCIPAL_COMPANY_USER);
    struct kv__principal *p;
    enum kv_authz_result d;
    char scope[9] = "";
    int rc;

    kv_event_actor_set(NULL); /* until a caller is admitted: the hub's own */
    if (!rule) {
        /* A route without a known access key is served to no one (fail closed). */
        kv_log(KV_LOG_ERROR, "route %s declares unknown access \"%s\"", route->name,
               route->access ? route->access : "(none)");
        kv_http_resp_error(resp, 500, "INTERNAL_ERROR", "internal error", NULL);
        return KV_EINVAL;
    }
    if (rule->kinds & KV_AUTHZ_KIND(KV_PRINCIPAL_NONE))
        return 0; /* public */
    if (route->flags & KV_ROUTE_PAGE) {
        /* A page: the caller is the browser's session (web/who.h), decided by the same
         * kv_authz_decide; a stranger is sent to sign-in, anyone else refused gets the HTML
         * 403 page. Pages keep checking the objects they show themselves. */
        p = principal_new(0);
        p->kind = KV__PRINCIPAL_PAGE;
        rc = kv_web_gate(route->access, req, resp, &p->who);
        if (rc == 0) /* a letter larger than its contact point takes: 413 before the body */
            rc = kv_web_post_write_admit(req, resp, &p->who);
        if (rc < 0) {
            kv_api_principal_free(p);
            return rc;
        }
        req->principal = p; /* the admission the page relies on: it does not decide again */
        caller_of(p, req);
        acting(p);
        return 0;
    }
    p = principal_new((rule->kinds & KV_AUTHZ_KIND(KV_PRINCIPAL_SYSTEM)) != 0);
    if (rule->kinds & KV_AUTHZ_KIND(KV_PRINCIPAL_SYSTEM))
        rc = system_gate(hub, req, resp, p, rule->scoped ? req->params[0] : NULL, scope);
    else if (rule->kinds & KV_AUTHZ_KIND(KV_PRINCIPAL_ADMIN))
        rc = admin_gate(hub, req, resp, p);
    else if (rule->kinds & people)
        rc = user_gate(hub, req, resp, p);
    else {
        kv_http_resp_error(resp, 403, "FORBIDDEN", "only for people signed in to a portal", NULL);
        rc = KV_EPERM;
    }
    if (rc == 0) {
        /* The one decision (identity/authz.c); the path's first parameter names the
         * organisation of a scoped route (resolved above; "" when unknown: refused). */
        d = kv_authz_decide(&p->who, route->access, rule->scoped ? scope : NULL);
        if (d == KV_AUTHZ_UNAUTHENTICATED) {
            kv_http_resp_error(resp, 401, "UNAUTHORIZED", "credentials required", NULL);
            rc = KV_EAUTH;
        } else if (d != KV_AUTHZ_ALLOW) {
            forbid(rule, p, resp);
            rc = KV_EPERM;
        }
    }
    if (rc == 0 && p->kind == KV__PRINCIPAL_USER && route->access &&
        strcmp(route->access, KV_ACCESS_MAILBOX_WRITE) == 0)
        rc = kv__mailbox_send_admit(req, resp, p->owner_type, p->owner_id);
    if (rc == 0 && route->fn && strcmp(route->name, "validations") == 0)
        rc = kv__validations_admit(req, resp); /* 413 over the HTML check's bound */
    if (rc < 0) {
        kv_api_principal_free(p);
        return rc;
    }
    req->principal = p;
    caller_of(p, req);
    acting(p);
    return 0;
}

void kv_api_principal_free(void *principal)
{
    struct kv__principal *p = principal;

    /* Who the caller was (a person's name, e-mail, CPR) is wiped before the memory goes back.
     * The rest is a copy of a system's directory entry (5 KB), no secret and held by the
     * system cache for the process's life anyway: not wiped on every request. */
    if (!p)
        return;
    explicit_bzero(&p->who, sizeof(p->who));
    explicit_bzero(p->owner_id, sizeof(p->owner_id));
    /* kept as this thread's spare (principal_new) when it has none */
    pthread_once(&spare_once, spare_init);
    if (spare_ok && !pthread_getspecific(spare_key) && pthread_setspecific(spare_key, p) == 0)
        return;
    free(p);
}

const struct kv__principal *kv__principal(const struct kv_http_req *req,
                                          enum kv__principal_kind kind)
{
    const struct kv__principal *p = req->principal;

    return p && p->kind == kind ? p : NULL;
}

void kv_api_http_config(struct kv_hub *hub, struct kv_http_config *cfg)
{
    const struct kv_conf *c = hub->conf;

    memset(cfg, 0, sizeof(*cfg));
    cfg->listen = c->listen;
    cfg->model = c->http_model;
    cfg->threads = (unsigned)c->threads;
    cfg->max_body = (size_t)c->max_body;
    cfg->body_memory = (uint64_t)c->body_memory;
    if (cfg->body_memory < cfg->max_body)
        cfg->body_memory = cfg->max_body; /* one letter of the largest size always fits */
    cfg->person_body_memory = (uint64_t)c->person_body_memory;
    cfg->max_connections = (unsigned)c->max_connections;
    cfg->max_per_ip = (unsigned)c->max_conn_per_ip;
    cfg->trusted_proxies = c->trusted_proxies;
    cfg->proxy_header = strcmp(c->proxy_header, "forwarded") == 0 ? KV_PROXY_FORWARDED
                                                                  : KV_PROXY_XFF;
    cfg->conn_timeout_ms = c->conn_timeout;
    cfg->header_timeout_ms = c->header_timeout;
    cfg->body_timeout_ms = c->body_timeout;
    cfg->access_log = c->access_log;
    cfg->test_routes = hub->test_clock;
    cfg->trace_headers = c->test_login; /* a test server only, like the test sign-in */
    cfg->routes = kv_api_route_tables;
    cfg->gate = kv_api_gate;
    cfg->gate_ctx = hub;
    cfg->principal_free = kv_api_principal_free;
    cfg->app = hub;
    cfg->page_not_found = kv_web_not_found;
    cfg->metrics = hub->metrics;
}

/* SPDX-License-Identifier: MIT
 *
 * conf.c: the configuration table and everything it drives: defaults, the "key value" config
 * file, KUVERT_<NAME> environment variables, command-line flags and `kuvert config show`.
 * See conf.h for the precedence rules.
 */
#include "util/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/cidr.h"
#include "util/clock.h"
#include "util/url.h"

#define OFF(f) offsetof(struct kv_conf, f), sizeof(((struct kv_conf *)0)->f)
#define DAY_MS (24LL * 3600 * 1000)

/* The one table. Keep it sorted by importance: it is also the order of `config show`. */
static const struct kv_conf_entry table[] = {
    {"data", KV_CONF_PATH, "./kuvert-data", OFF(data), 0, 0, NULL, "KUVERT_DATA", "--data", 0,
     "data directory (kuvert.db, optional kuvert.conf)"},
    {"db", KV_CONF_STRING, "", OFF(db), 0, 0, NULL, "KUVERT_DB", "--db", 1,
     "PostgreSQL database URL, postgresql://user:pass@host:port/db (empty: SQLite in the data "
     "directory)"},
    {"listen", KV_CONF_STRING, "127.0.0.1:8080", OFF(listen), 0, 0, NULL, "KUVERT_LISTEN",
     "--listen", 0, "HOST:PORT the HTTP server binds (port 0 picks a free port)"},
    {"max_body", KV_CONF_SIZE, "140000000", OFF(max_body), 1, 4LL << 30, NULL, "KUVERT_MAX_BODY",
     NULL, 0, "largest request body in bytes (k/m/g suffixes allowed); larger gets 413"},
    {"bulk_memory", KV_CONF_SIZE, "512m", OFF(bulk_memory), 16LL << 20, 64LL << 30, NULL,
     "KUVERT_BULK_MEMORY", NULL, 0,
     "memory all bulk sends together may use to unpack archives; beyond it 503 + Retry-After"},
    {"threads", KV_CONF_INT, "0", OFF(threads), 0, 1024, NULL, "KUVERT_THREADS", NULL, 0,
     "HTTP worker threads for http_model pool; 0 = 2 x CPUs"},
    {"http_model", KV_CONF_ENUM, "per-connection", OFF(http_model), 0, 0, "per-connection|pool",
     "KUVERT_HTTP_MODEL", NULL, 0,
     "per-connection: one thread per connection (handlers may block on durable commits); "
     "pool: fixed epoll worker pool"},
    {"max_connections", KV_CONF_INT, "1000", OFF(max_connections), 1, 100000, NULL,
     "KUVERT_MAX_CONNECTIONS", NULL, 0, "concurrent HTTP connections accepted"},
    {"conn_timeout", KV_CONF_DURATION, "60s", OFF(conn_timeout), 1000, DAY_MS, NULL,
     "KUVERT_CONN_TIMEOUT", NULL, 0, "idle HTTP connection timeout"},
    {"max_conn_per_ip", KV_CONF_INT, "256", OFF(max_conn_per_ip), 0, 100000, NULL,
     "KUVERT_MAX_CONN_PER_IP", NULL, 0,
     "concurrent HTTP connections from one client address (0: no limit); behind trusted "
     "proxies, requests at once from one forwarded client"},
    {"trusted_proxies", KV_CONF_CIDR, "", OFF(trusted_proxies), 0, 0, NULL,
     "KUVERT_TRUSTED_PROXIES", "--trusted-proxies", 0,
     "reverse proxies (addresses/CIDR networks) whose forwarding header names the client; "
     "empty: none, the TCP peer is the client (docs/http.md)"},
    {"proxy_header", KV_CONF_ENUM, "x-forwarded-for", OFF(proxy_header), 0, 0,
     "x-forwarded-for|forwarded", "KUVERT_PROXY_HEADER", NULL, 0,
     "the header trusted proxies write: X-Forwarded-For or RFC 7239 Forwarded"},
    {"header_timeout", KV_CONF_DURATION, "30s", OFF(header_timeout), 0, DAY_MS, NULL,
     "KUVERT_HEADER_TIMEOUT", NULL, 0,
     "a request's line and headers must arrive within this of the connection opening or the "
     "previous response (0: no deadline)"},
    {"body_timeout", KV_CONF_DURATION, "300s", OFF(body_timeout), 0, DAY_MS, NULL,
     "KUVERT_BODY_TIMEOUT", NULL, 0,
     "a request's body must arrive within this of its headers (0: no deadline)"},
    {"body_memory", KV_CONF_SIZE, "512m", OFF(body_memory), 1, 64LL << 30, NULL,
     "KUVERT_BODY_MEMORY", NULL, 0,
     "memory all request bodies in flight may take together; beyond it 503 with Retry-After "
     "(at least max_body)"},
    {"person_body_memory", KV_CONF_SIZE, "144m", OFF(person_body_memory), 65536, 64LL << 30,
     NULL, "KUVERT_PERSON_BODY_MEMORY", NULL, 0,
     "memory the request bodies in flight of one signed-in person (a portal session or a "
     "mailbox token) may take together; beyond it 503 with Retry-After"},
    {"log_level", KV_CONF_ENUM, "info", OFF(log_level), 0, 0, "error|warn|info|debug",
     "KUVERT_LOG_LEVEL", NULL, 0, "least severe level logged to stderr"},
    {"access_log", KV_CONF_BOOL, "true", OFF(access_log), 0, 0, NULL, "KUVERT_ACCESS_LOG", NULL,
     0, "one log line per HTTP request (at level info; buffered, written at least every 200 ms: "
        "docs/http.md)"},
    {"test_clock", KV_CONF_BOOL, "false", OFF(test_clock), 0, 0, NULL, "KUVERT_TEST_CLOCK",
     "--test-clock", 0, "serve POST /test/clock (tests only; never in production)"},
    {"smtp", KV_CONF_STRING, "", OFF(smtp), 0, 0, NULL, "KUVERT_SMTP", "--smtp", 1,
     "SMTP URL for notifications, e.g. smtp://user:pass@host:25 (empty: none)"},
    {"smtp_from", KV_CONF_STRING, "kuvert@localhost", OFF(smtp_from), 0, 0, NULL,
     "KUVERT_SMTP_FROM", NULL, 0,
     "From address of the warning and deactivation e-mails to recipient systems"},
    {"sms_gateway", KV_CONF_STRING, "", OFF(sms_gateway), 0, 0, NULL, "KUVERT_SMS_GATEWAY",
     "--sms-gateway", 1,
     "notices: URL kuvert POSTs each SMS to as JSON (docs/notifications.md; empty: none)"},
    {"push_gateway", KV_CONF_STRING, "", OFF(push_gateway), 0, 0, NULL, "KUVERT_PUSH_GATEWAY",
     "--push-gateway", 1,
     "notices: URL kuvert POSTs each push message to as JSON (empty: none)"},
    {"notify_reminder", KV_CONF_DURATION, "7d", OFF(notify_reminder), 0, 365 * DAY_MS, NULL,
     "KUVERT_NOTIFY_REMINDER", NULL, 0,
     "one reminder for a letter still unread this long after its notice (0: none)"},
    {"notify_legal_reminder", KV_CONF_DURATION, "1d", OFF(notify_legal_reminder), 0,
     365 * DAY_MS, NULL, "KUVERT_NOTIFY_LEGAL_REMINDER", NULL, 0,
     "one reminder for an unread legal-notification letter this long after its notice "
     "(0: as other letters)"},
    {"public_url", KV_CONF_STRING, "", OFF(public_url), 0, 0, NULL, "KUVERT_PUBLIC_URL", NULL, 0,
     "externally visible base URL (empty: http://LISTEN)"},
    {"receipt_push_timeout", KV_CONF_DURATION, "10s", OFF(receipt_push_timeout), 100,
     600 * 1000LL, NULL, "KUVERT_RECEIPT_PUSH_TIMEOUT", NULL, 0,
     "timeout of one receipt push to a sender system's receipt URL"},
    {"recipient_push_timeout", KV_CONF_DURATION, "30s", OFF(recipient_push_timeout), 100,
     600 * 1000LL, NULL, "KUVERT_RECIPIENT_PUSH_TIMEOUT", NULL, 0,
     "timeout of one letter push (POST) to a push recipient system, connect included"},
    {"recipient_push_parallel", KV_CONF_INT, "16", OFF(recipient_push_parallel), 1, 256, NULL,
     "KUVERT_RECIPIENT_PUSH_PARALLEL", NULL, 0,
     "letter pushes to recipient systems in flight at once"},
    {"node_name", KV_CONF_STRING, "", OFF(node_name), 0, 0, NULL, "KUVERT_NODE_NAME", NULL, 0,
     "this node's name in the background-work leases of a shared database (empty: "
     "HOSTNAME:DATA; must differ between nodes)"},
    {"lease_ttl", KV_CONF_DURATION, "30s", OFF(lease_ttl), 1000, 3600 * 1000LL, NULL,
     "KUVERT_LEASE_TTL", NULL, 0,
     "lease time of background work: a killed node's share is taken over after at most this"},
    {"db_write_lock", KV_CONF_ENUM, "concurrent", OFF(db_write_lock), 0, 0,
     "concurrent|global", "KUVERT_DB_WRITE_LOCK", NULL, 0,
     "PostgreSQL: concurrent (sends and other audited writes of all nodes run at once; "
     "paged lists read below their sequence's horizon) or global (every write transaction "
     "excludes every other, as before); same on every node"},
    {"pg_credentials_cache", KV_CONF_ENUM, "off", OFF(pg_credentials_cache), 0, 0, "off|notify",
     "KUVERT_PG_CREDENTIALS_CACHE", NULL, 0,
     "PostgreSQL: off (every system authentication reads the database) or notify (kept per "
     "node and dropped on LISTEN/NOTIFY: a change made on another node or by the CLI takes "
     "effect when its notification arrives, milliseconds after its commit; docs/store.md)"},
    {"shutdown_grace", KV_CONF_DURATION, "30s", OFF(shutdown_grace), 0, 3600 * 1000LL, NULL,
     "KUVERT_SHUTDOWN_GRACE", NULL, 0,
     "on SIGTERM, how long in-flight requests may take before the server stops anyway"},
    {"admin_token", KV_CONF_STRING, "", OFF(admin_token), 0, 0, NULL, "KUVERT_ADMIN_TOKEN", NULL,
     1, "bearer token of the HTTP admin API /admin/v1/ (empty: admin API disabled)"},
    {"test_login", KV_CONF_BOOL, "false", OFF(test_login), 0, 0, NULL, "KUVERT_TEST_LOGIN",
     "--test-login", 0, "web: sign in as any test identity at /login/test (demo and tests only)"},
    {"cookie_secure", KV_CONF_ENUM, "auto", OFF(cookie_secure), 0, 0, "auto|on|off",
     "KUVERT_COOKIE_SECURE",
     NULL, 0, "web: Secure + __Host- session cookie: on, off, or auto (on when public_url is "
     "https://, e.g. behind a TLS proxy)"},
    {"session_idle", KV_CONF_DURATION, "30m", OFF(session_idle), 60 * 1000LL, DAY_MS, NULL,
     "KUVERT_SESSION_IDLE", NULL, 0, "web: a session unused this long ends"},
    {"session_lifetime", KV_CONF_DURATION, "8h", OFF(session_lifetime), 60 * 1000LL, 30 * DAY_MS,
     NULL, "KUVERT_SESSION_LIFETIME", NULL, 0, "web: absolute lifetime of a session"},
    {"login_rate", KV_CONF_INT, "20", OFF(login_rate), 1, 100000, NULL, "KUVERT_LOGIN_RATE", NULL,
     0, "web: sign-in attempts allowed per client address per minute (more get 429)"},
    {"web_assets", KV_CONF_PATH, "", OFF(web_assets), 0, 0, NULL, "KUVERT_WEB_ASSETS", NULL, 0,
     "web: DKFDS dist directory (empty: KUVERT_ROOT or the binary's checkout, "
     "node_modules/dkfds/dist)"},
    {"oidc_issuer", KV_CONF_STRING, "", OFF(oidc_issuer), 0, 0, NULL, "KUVERT_OIDC_ISSUER", NULL,
     0, "web: OpenID Connect issuer URL (empty: OIDC sign-in off)"},
    {"oidc_client_id", KV_CONF_STRING, "", OFF(oidc_client_id), 0, 0, NULL,
     "KUVERT_OIDC_CLIENT_ID", NULL, 0, "web: OIDC client id"},
    {"oidc_client_secret", KV_CONF_STRING, "", OFF(oidc_client_secret), 0, 0, NULL,
     "KUVERT_OIDC_CLIENT_SECRET", NULL, 1, "web: OIDC client secret"},
    {"oidc_redirect_url", KV_CONF_STRING, "", OFF(oidc_redirect_url), 0, 0, NULL,
     "KUVERT_OIDC_REDIRECT_URL", NULL, 0,
     "web: OIDC redirect URL (empty: PUBLIC_URL/login/oidc/callback)"},
    {"oidc_claim_cpr", KV_CONF_STRING, "cpr", OFF(oidc_claim_cpr), 0, 0, NULL,
     "KUVERT_OIDC_CLAIM_CPR", NULL, 0, "web: ID-token claim holding a citizen's CPR"},
    {"oidc_claim_cvr", KV_CONF_STRING, "cvr", OFF(oidc_claim_cvr), 0, 0, NULL,
     "KUVERT_OIDC_CLAIM_CVR", NULL, 0, "web: ID-token claim holding the CVR a person acts for"},
    {"oidc_claim_employee", KV_CONF_STRING, "email", OFF(oidc_claim_employee), 0, 0, NULL,
     "KUVERT_OIDC_CLAIM_EMPLOYEE", NULL, 0,
     "web: ID-token claim identifying an employee (matched against employees' e-mail)"},
};

#define N_ENTRIES (sizeof(table) / sizeof(table[0]))
_Static_assert(N_ENTRIES <= KV_CONF_MAX_KEYS, "grow KV_CONF_MAX_KEYS");

static const struct kv_conf_entry *find(const char *key, size_t keylen)
{
    size_t i;

    for (i = 0; i < N_ENTRIES; i++)
        if (strlen(table[i].name) == keylen && memcmp(table[i].name, key, keylen) == 0)
            return &table[i];
    return NULL;
}

static const char *source_name(enum kv_conf_source s)
{
    switch (s) {
    case KV_CONF_SRC_DEFAULT: return "default";
    case KV_CONF_SRC_FILE: return "file";
    case KV_CONF_SRC_ENV: return "env";
    case KV_CONF_SRC_FLAG: return "flag";
    }
    return "?";
}

/* Parses a whole decimal int64 (no trailing garbage). */
static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (!*s || isspace((unsigned char)*s))
        return KV_EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s)
        return KV_EINVAL;
    if (*end)
        return KV_EINVAL;
    *out = v;
    return 0;
}

static int parse_size(const char *s, int64_t *out)
{
    char *end;
    long long v;
    int64_t mul = 1;

    if (!*s || !isdigit((unsigned char)*s))
        return KV_EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s)
        return KV_EINVAL;
    if (*end) {
        switch (tolower((unsigned char)*end)) {
        case 'k': mul = 1024; break;
        case 'm': mul = 1024 * 1024; break;
        case 'g': mul = 1024LL * 1024 * 1024; break;
        default: return KV_EINVAL;
        }
        end++;
        if (*end == 'b' || *end == 'B')
            end++;
        if (*end)
            return KV_EINVAL;
    }
    if (v > INT64_MAX / mul)
        return KV_EINVAL;
    *out = v * mul;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on") || !strcmp(s, "1"))
        *out = 1;
    else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off") ||
             !strcmp(s, "0"))
        *out = 0;
    else
        return KV_EINVAL;
    return 0;
}

static int in_choices(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    const char *p = choices;

    while (*p) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == vl && memcmp(p, v, l) == 0)
            return 1;
        p += l + (bar ? 1 : 0);
    }
    return 0;
}

static int set_entry(struct kv_conf *c, const struct kv_conf_entry *e, const char *value,
                     enum kv_conf_source src, struct kv_err *err)
{
    char *field = (char *)c + e->off;
    int64_t v = 0;
    int b = 0;
    int rc = 0;

    switch (e->type) {
    case KV_CONF_BOOL:
        if (parse_bool(value, &b) < 0)
            return kv_err_set(err, KV_EINVAL, "%s: \"%s\" is not a boolean (true/false)",
                              e->name, value);
        memcpy(field, &b, sizeof(int));
        break;
    case KV_CONF_INT:
    case KV_CONF_SIZE:
    case KV_CONF_DURATION:
        if (e->type == KV_CONF_INT)
            rc = parse_i64(value, &v);
        else if (e->type == KV_CONF_SIZE)
            rc = parse_size(value, &v);
        else if (parse_i64(value, &v) < 0) /* a bare number is milliseconds */
            rc = kv_clock_parse_duration(value, &v);
        if (rc < 0)
            return kv_err_set(err, KV_EINVAL, "%s: \"%s\" is not a valid %s", e->name, value,
                              e->type == KV_CONF_INT    ? "integer"
                              : e->type == KV_CONF_SIZE ? "size (bytes, k/m/g suffix)"
                                                        : "duration (e.g. 30s, 5m, 500ms)");
        if (v < e->min || v > e->max)
            return kv_err_set(err, KV_EINVAL, "%s: %s is out of range [%lld, %lld]", e->name,
                              value, (long long)e->min, (long long)e->max);
        memcpy(field, &v, sizeof(int64_t));
        break;
    case KV_CONF_CIDR: {
        char canon[KV_CIDR_TEXT_MAX], msg[160];
        if (kv_cidr_list_canon(value, canon, sizeof(canon), msg, sizeof(msg)) < 0)
            return kv_err_set(err, KV_EINVAL, "%s: %s", e->name, msg);
        if (strlen(canon) >= e->size)
            return kv_err_set(err, KV_EINVAL, "%s: value longer than %zu bytes", e->name,
                              e->size - 1);
        memcpy(field, canon, strlen(canon) + 1);
        break;
    }
    case KV_CONF_ENUM:
        if (!in_choices(e->choices, value))
            return kv_err_set(err, KV_EINVAL, "%s: \"%s\" is not one of %s", e->name, value,
                              e->choices);
        /* fall through */
    case KV_CONF_STRING:
    case KV_CONF_PATH:
        if (strlen(value) >= e->size)
            return kv_err_set(err, KV_EINVAL, "%s: value longer than %zu bytes", e->name,
                              e->size - 1);
        memcpy(field, value, strlen(value) + 1);
        break;
    }
    c->src[e - table] = src;
    return 0;
}

void kv_conf_init(struct kv_conf *c)
{
    size_t i;
    int rc;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < N_ENTRIES; i++) {
        rc = set_entry(c, &table[i], table[i].def, KV_CONF_SRC_DEFAULT, NULL);
        if (rc < 0) { /* a bad default is a bug in the table */
            fprintf(stderr, "kuvert: BUG: bad default for %s\n", table[i].name);
            abort();
        }
    }
}

int kv_conf_set(struct kv_conf *c, const char *key, const char *value, enum kv_conf_source src,
                struct kv_err *err)
{
    const struct kv_conf_entry *e = find(key, strlen(key));

    if (!e)
        return kv_err_set(err, KV_EINVAL, "unknown configuration key \"%s\"", key);
    return set_entry(c, e, value, src, err);
}

static int conf_load_file(struct kv_conf *c, const char *path, int must_exist, struct kv_err *err)
{
    FILE *f;
    char line[KV_CONF_STR_MAX + 128];
    int lineno = 0;
    int rc = 0;

    f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT && !must_exist)
            return 0;
        return kv_err_errno(err, "cannot open config file %s", path);
    }
    while (fgets(line, sizeof(line), f)) {
        char *p = line, *key, *val, *end;
        size_t keylen, len = strlen(line);
        const struct kv_conf_entry *e;
        struct kv_err e2 = {0, ""};

        lineno++;
        if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f)) {
            rc = kv_err_set(err, KV_EINVAL, "%s:%d: line too long", path, lineno);
            goto out;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                       isspace((unsigned char)line[len - 1])))
            line[--len] = '\0';
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        key = p;
        while (*p && !isspace((unsigned char)*p) && *p != '=')
            p++;
        keylen = (size_t)(p - key);
        while (isspace((unsigned char)*p) || *p == '=')
            p++;
        val = p;
        end = val + strlen(val);
        if (end - val >= 2 && (*val == '"' || *val == '\'') && end[-1] == *val) {
            val++;
            end[-1] = '\0';
        }
        e = find(key, keylen);
        if (!e) {
            rc = kv_err_set(err, KV_EINVAL, "%s:%d: unknown key \"%.*s\"", path, lineno,
                            (int)(keylen > 64 ? 64 : keylen), key);
            goto out;
        }
        rc = set_entry(c, e, val, KV_CONF_SRC_FILE, &e2);
        if (rc < 0) {
            rc = kv_err_set(err, rc, "%s:%d: %s", path, lineno, e2.msg);
            goto out;
        }
    }
    if (ferror(f))
        rc = kv_err_errno(err, "cannot read config file %s", path);
out:
    fclose(f);
    return rc;
}

static int conf_load_env(struct kv_conf *c, struct kv_err *err)
{
    size_t i;
    int rc;

    for (i = 0; i < N_ENTRIES; i++) {
        const char *v = getenv(table[i].env);
        struct kv_err e2 = {0, ""};
        if (!v)
            continue;
        rc = set_entry(c, &table[i], v, KV_CONF_SRC_ENV, &e2);
        if (rc < 0)
            return kv_err_set(err, rc, "environment %s: %s", table[i].env, e2.msg);
    }
    return 0;
}

static int conf_validate(const struct kv_conf *c, struct kv_err *err)
{
    const char *colon = strrchr(c->listen, ':');
    int64_t port;

    if (!c->data[0])
        return kv_err_set(err, KV_EINVAL, "data: must not be empty");
    if (c->db[0] && strncmp(c->db, "postgresql://", 13) != 0 && strncmp(c->db, "postgres://", 11) != 0)
        return kv_err_set(err, KV_EINVAL, "db: must start with postgresql:// (see docs/postgresql.md)");
    if (!colon || colon == c->listen || parse_i64(colon + 1, &port) < 0 || port < 0 ||
        port > 65535)
        return kv_err_set(err, KV_EINVAL, "listen: \"%s\" is not HOST:PORT (port 0-65535)",
                          c->listen);
    if (c->public_url[0] && !kv_url_is_http(c->public_url))
        return kv_err_set(err, KV_EINVAL, "public_url: must be an http:// or https:// URL");
    if (c->sms_gateway[0] && !kv_url_is_http(c->sms_gateway))
        return kv_err_set(err, KV_EINVAL, "sms_gateway: must be an http:// or https:// URL");
    if (c->push_gateway[0] && !kv_url_is_http(c->push_gateway))
        return kv_err_set(err, KV_EINVAL, "push_gateway: must be an http:// or https:// URL");
    if (c->smtp[0] && strncasecmp(c->smtp, "smtp://", 7) != 0 &&
        strncasecmp(c->smtp, "smtps://", 8) != 0)
        return kv_err_set(err, KV_EINVAL, "smtp: must start with smtp:// or smtps://");
    if (!strchr(c->smtp_from, '@') || strpbrk(c->smtp_from, " \t\r\n<>\"(),;:[]\\"))
        return kv_err_set(err, KV_EINVAL, "smtp_from: \"%s\" is not an e-mail address",
                          c->smtp_from);
    return 0;
}

static void conf_format(const struct kv_conf *c, const struct kv_conf_entry *e, int redact, char *out,
                    size_t outlen)
{
    const char *field = (const char *)c + e->off;
    int64_t v;
    int b;

    if (redact && e->secret && (e->type == KV_CONF_STRING || e->type == KV_CONF_PATH) &&
        field[0]) {
        snprintf(out, outlen, "<redacted>");
        return;
    }
    switch (e->type) {
    case KV_CONF_BOOL:
        memcpy(&b, field, sizeof(int));
        snprintf(out, outlen, "%s", b ? "true" : "false");
        break;
    case KV_CONF_INT:
    case KV_CONF_SIZE:
        memcpy(&v, field, sizeof(v));
        snprintf(out, outlen, "%lld", (long long)v);
        break;
    case KV_CONF_DURATION:
        memcpy(&v, field, sizeof(v));
        if (v % 1000 == 0)
            snprintf(out, outlen, "%llds", (long long)(v / 1000));
        else
            snprintf(out, outlen, "%lldms", (long long)v);
        break;
    default:
        snprintf(out, outlen, "%s", field);
        break;
    }
}

static const char *type_name(enum kv_conf_type t)
{
    switch (t) {
    case KV_CONF_BOOL: return "bool";
    case KV_CONF_INT: return "int";
    case KV_CONF_SIZE: return "size";
    case KV_CONF_DURATION: return "duration";
    case KV_CONF_STRING: return "string";
    case KV_CONF_PATH: return "path";
    case KV_CONF_ENUM: return "enum";
    case KV_CONF_CIDR: return "cidr";
    }
    return "?";
}

static void show_json(const struct kv_conf *c, FILE *f)
{
    json_t *root = json_object(), *values = json_object(), *sources = json_object();
    char val[KV_CONF_STR_MAX + 16];
    size_t i;
    char *text;

    for (i = 0; i < N_ENTRIES; i++) {
        const struct kv_conf_entry *e = &table[i];
        const char *field = (const char *)c + e->off;
        int64_t v;
        int b;

        if (e->secret && field[0]) {
            json_object_set_new(values, e->name, json_string("<redacted>"));
        } else if (e->type == KV_CONF_BOOL) {
            memcpy(&b, field, sizeof(int));
            json_object_set_new(values, e->name, json_boolean(b));
        } else if (e->type == KV_CONF_INT || e->type == KV_CONF_SIZE ||
                   e->type == KV_CONF_DURATION) {
            memcpy(&v, field, sizeof(v));
            json_object_set_new(values, e->name, json_integer(v));
        } else {
            conf_format(c, e, 1, val, sizeof(val));
            json_object_set_new(values, e->name, json_string(val));
        }
        json_object_set_new(sources, e->name, json_string(source_name(c->src[i])));
    }
    json_object_set_new(root, "values", values);
    json_object_set_new(root, "sources", sources);
    text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
    fprintf(f, "%s\n", text ? text : "{}");
    free(text);
    json_decref(root);
}

int kv_conf_show(const struct kv_conf *c, FILE *f, const char *fmt)
{
    char val[KV_CONF_STR_MAX + 16];
    size_t i;

    if (strcmp(fmt, "json") == 0) {
        show_json(c, f);
        return 0;
    }
    if (strcmp(fmt, "markdown") == 0) {
        fprintf(f, "| key | type | default | environment | flag | description |\n"
                   "| --- | --- | --- | --- | --- | --- |\n");
        for (i = 0; i < N_ENTRIES; i++) {
            const struct kv_conf_entry *e = &table[i];
            char range[96] = "";
            if (e->type == KV_CONF_INT || e->type == KV_CONF_SIZE)
                snprintf(range, sizeof(range), " %lld–%lld", (long long)e->min,
                         (long long)e->max);
            else if (e->type == KV_CONF_ENUM) {
                size_t k;
                snprintf(range, sizeof(range), ": %s", e->choices);
                for (k = 0; range[k]; k++) /* '|' would split the table cell */
                    if (range[k] == '|')
                        range[k] = '/';
            }
            fprintf(f, "| `%s` | %s%s | %s%s%s | `%s` | %s%s%s | %s%s |\n", e->name,
                    type_name(e->type), range, e->def[0] ? "`" : "",
                    e->def[0] ? e->def : "(empty)", e->def[0] ? "`" : "", e->env,
                    e->flag ? "`" : "",
                    e->flag ? e->flag : "", e->flag ? "`" : "", e->help,
                    e->secret ? " (secret: redacted by `config show`)" : "");
        }
        return 0;
    }
    if (strcmp(fmt, "text") != 0)
        return KV_EINVAL;
    for (i = 0; i < N_ENTRIES; i++) {
        conf_format(c, &table[i], 1, val, sizeof(val));
        fprintf(f, "%-22s %-40s # %s\n", table[i].name, val, source_name(c->src[i]));
    }
    return 0;
}

/* ---- command-line flags ---- */

static int add_flag(struct kv_conf_flags *f, const char *key, const char *value,
                    struct kv_err *err)
{
    if (f->n >= KV_CONF_MAX_SETS)
        return kv_err_set(err, KV_EUSAGE, "too many configuration flags");
    f->keys[f->n] = key;
    f->values[f->n] = value;
    f->n++;
    return 1;
}

int kv_conf_parse_flag(struct kv_conf_flags *f, int argc, char **argv, int *i, struct kv_err *err)
{
    const char *arg = argv[*i], *eq, *val;
    size_t i_e, namelen;
    char *copy;

    if (strncmp(arg, "--", 2) != 0)
        return 0;
    eq = strchr(arg, '=');
    namelen = eq ? (size_t)(eq - arg) : strlen(arg);
    if (namelen == 12 && strncmp(arg, "--test-clock", 12) == 0) {
        if (eq)
            return add_flag(f, "test_clock", eq + 1, err);
        (*i)++;
        return add_flag(f, "test_clock", "true", err);
    }
    if (namelen == 12 && strncmp(arg, "--test-login", 12) == 0) {
        if (eq)
            return add_flag(f, "test_login", eq + 1, err);
        (*i)++;
        return add_flag(f, "test_login", "true", err);
    }
    if (!((namelen == 8 && !strncmp(arg, "--config", 8)) ||
          (namelen == 5 && !strncmp(arg, "--set", 5)))) {
        for (i_e = 0; i_e < N_ENTRIES; i_e++)
            if (table[i_e].flag && strlen(table[i_e].flag) == namelen &&
                !strncmp(table[i_e].flag, arg, namelen))
                break;
        if (i_e == N_ENTRIES)
            return 0;
    }
    if (eq) {
        val = eq + 1;
        (*i)++;
    } else {
        if (*i + 1 >= argc)
            return kv_err_set(err, KV_EUSAGE, "%s needs a value", arg);
        val = argv[*i + 1];
        *i += 2;
    }
    if (namelen == 8 && !strncmp(arg, "--config", 8)) {
        f->config_path = val;
        return 1;
    }
    if (namelen == 5 && !strncmp(arg, "--set", 5)) {
        const char *e2 = strchr(val, '=');
        if (!e2 || e2 == val)
            return kv_err_set(err, KV_EUSAGE, "--set wants key=value, got \"%s\"", val);
        if (f->n >= KV_CONF_MAX_SETS)
            return kv_err_set(err, KV_EUSAGE, "too many configuration flags");
        if (strlen(val) >= sizeof(f->sets[0]))
            return kv_err_set(err, KV_EUSAGE, "--set value too long");
        copy = f->sets[f->n];
        memcpy(copy, val, strlen(val) + 1);
        copy[e2 - val] = '\0';
        return add_flag(f, copy, copy + (e2 - val) + 1, err);
    }
    for (i_e = 0; i_e < N_ENTRIES; i_e++)
        if (table[i_e].flag && strlen(table[i_e].flag) == namelen &&
            !strncmp(table[i_e].flag, arg, namelen))
            return add_flag(f, table[i_e].name, val, err);
    return 0;
}

int kv_conf_load(struct kv_conf *c, const struct kv_conf_flags *f, struct kv_err *err)
{
    char path[KV_CONF_STR_MAX + 32];
    const char *data = NULL;
    int rc, k, n;

    kv_conf_init(c);
    /* The data directory decides where the default config file lives, so resolve it first
     * with the same precedence as everything else (the file itself cannot move it). */
    if (f)
        for (k = 0; k < f->n; k++)
            if (strcmp(f->keys[k], "data") == 0)
                data = f->values[k];
    if (!data)
        data = getenv("KUVERT_DATA");
    if (!data || !*data)
        data = c->data;
    if (f && f->config_path) {
        rc = conf_load_file(c, f->config_path, 1, err);
    } else {
        n = snprintf(path, sizeof(path), "%s/kuvert.conf", data);
        if (n < 0 || (size_t)n >= sizeof(path))
            return kv_err_set(err, KV_EINVAL, "data: path too long");
        rc = conf_load_file(c, path, 0, err);
    }
    if (rc < 0)
        return rc;
    rc = conf_load_env(c, err);
    if (rc < 0)
        return rc;
    if (f)
        for (k = 0; k < f->n; k++) {
            rc = kv_conf_set(c, f->keys[k], f->values[k], KV_CONF_SRC_FLAG, err);
            if (rc < 0)
                return rc;
        }
    return conf_validate(c, err);
}

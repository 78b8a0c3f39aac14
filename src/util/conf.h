/* SPDX-License-Identifier: MIT
 *
 * conf.h: kuvert's table-driven configuration. One table (conf.c) lists every setting with
 * its type, bounds, default, field in struct kv_conf, environment variable (KUVERT_<NAME>),
 * help text and a secret flag. That table drives, in this order of precedence:
 *   defaults < config file (DATA/kuvert.conf, or --config FILE) < environment < flags,
 * and `kuvert config show` (text, --json, --markdown; secrets redacted). Validation (ranges,
 * listen address shape) runs once, after every source is merged.
 *
 * Config file format: one "key value" per line; blank lines and lines starting with # are
 * ignored; unknown keys and bad values are errors naming the file and line.
 *
 * Ownership: struct kv_conf is a plain value (fixed-size fields, nothing to free beyond the
 * struct itself). Not thread-safe to modify; read-only once the server runs.
 */
#ifndef KV_UTIL_CONF_H
#define KV_UTIL_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

#define KV_CONF_STR_MAX 1024 /* longest string/path value, including the NUL */
#define KV_CONF_MAX_KEYS 64  /* room for sources of every key */
#define KV_CONF_MAX_SETS 32  /* --set/flag overrides collected from one command line */

enum kv_conf_source {
    KV_CONF_SRC_DEFAULT = 0, /* built-in default */
    KV_CONF_SRC_FILE,        /* config file */
    KV_CONF_SRC_ENV,         /* KUVERT_<NAME> environment variable */
    KV_CONF_SRC_FLAG         /* command-line flag or --set */
};

enum kv_conf_type {
    KV_CONF_BOOL,     /* true/false, yes/no, on/off, 1/0 */
    KV_CONF_INT,      /* int64 in [min, max] */
    KV_CONF_SIZE,     /* bytes, with optional k/m/g suffix (powers of 1024), in [min, max] */
    KV_CONF_DURATION, /* milliseconds, written as "30s", "5m", "500ms", "1h", in [min, max] */
    KV_CONF_STRING,   /* free text */
    KV_CONF_PATH,     /* file-system path */
    KV_CONF_ENUM,     /* one of a '|'-separated list in the entry's choices */
    KV_CONF_CIDR      /* list of IP addresses and networks, kept canonical (util/cidr.h) */
};

struct kv_conf {
    char data[KV_CONF_STR_MAX];       /* data directory (kuvert.db, kuvert.conf) */
    char db[KV_CONF_STR_MAX];         /* PostgreSQL URL; "" = SQLite DATA/kuvert.db */
    char listen[KV_CONF_STR_MAX];     /* HOST:PORT the server binds; port 0 = ephemeral */
    int64_t max_body;                 /* largest accepted request body in bytes */
    int64_t bulk_memory;              /* bytes all bulk unpacking together may hold */
    int64_t threads;                  /* HTTP worker threads (pool model); 0 = 2 x CPUs */
    char http_model[16];              /* "per-connection" or "pool" */
    int64_t max_connections;          /* concurrent HTTP connections */
    int64_t conn_timeout;             /* idle connection timeout, ms */
    int64_t max_conn_per_ip;          /* concurrent connections from one address, 0 = any */
    char trusted_proxies[KV_CONF_STR_MAX]; /* reverse proxies whose forwarding header names the
                                              client (canonical CIDR list), "" = none */
    char proxy_header[20];            /* "x-forwarded-for" or "forwarded" */
    int64_t header_timeout;           /* request line + headers deadline, ms, 0 = none */
    int64_t body_timeout;             /* request body deadline after the headers, ms, 0 = none */
    int64_t body_memory;              /* request bodies in flight together, bytes */
    int64_t person_body_memory;       /* one person's request bodies in flight, bytes */
    char log_level[16];               /* error|warn|info|debug */
    int access_log;                   /* 1: one log line per HTTP request */
    int test_clock;                   /* 1: POST /test/clock is served */
    char smtp[KV_CONF_STR_MAX];       /* SMTP URL for notifications, "" = none */
    char smtp_from[KV_CONF_STR_MAX];  /* From address of the hub's e-mails */
    char sms_gateway[KV_CONF_STR_MAX];  /* notices: SMS gateway URL, "" = none (src/notify) */
    char push_gateway[KV_CONF_STR_MAX]; /* notices: push gateway URL, "" = none */
    int64_t notify_reminder;          /* unread letters: one reminder after this, ms, 0 = none */
    int64_t notify_legal_reminder;    /* legalNotification letters: reminder after this, ms */
    char public_url[KV_CONF_STR_MAX]; /* externally visible base URL, "" = derived from listen */
    int64_t receipt_push_timeout;     /* receipt push HTTP timeout, ms */
    int64_t recipient_push_timeout;   /* one letter push to a recipient system, ms */
    int64_t recipient_push_parallel;  /* letter pushes in flight at once */
    char node_name[KV_CONF_STR_MAX];  /* lease holder name, "" = HOSTNAME:DATA */
    int64_t lease_ttl;                /* lease time of background work, ms */
    char db_write_lock[16];           /* "concurrent" | "global" (PostgreSQL write lock) */
    char pg_credentials_cache[16];    /* "off" | "notify" (PostgreSQL: the gate's cache) */
    int64_t shutdown_grace;           /* how long in-flight requests may take at shutdown, ms */
    char admin_token[KV_CONF_STR_MAX]; /* bearer token of /admin/v1/, "" = admin API off */
    /* web portals (src/web, docs/web.md) */
    int test_login;                        /* 1: POST /login/test signs in without a password */
    char cookie_secure[8];                 /* "auto" | "on" | "off": Secure + __Host- cookie */
    int64_t session_idle;                  /* web session idle timeout, ms */
    int64_t session_lifetime;              /* web session absolute lifetime, ms */
    int64_t login_rate;                    /* sign-in attempts per client per minute */
    char web_assets[KV_CONF_STR_MAX];      /* DKFDS dist directory, "" = find it */
    char oidc_issuer[KV_CONF_STR_MAX];     /* OpenID provider issuer URL, "" = OIDC off */
    char oidc_client_id[KV_CONF_STR_MAX];
    char oidc_client_secret[KV_CONF_STR_MAX];
    char oidc_redirect_url[KV_CONF_STR_MAX]; /* "" = PUBLIC_URL/login/oidc/callback */
    char oidc_claim_cpr[64];               /* claim holding a citizen's CPR */
    char oidc_claim_cvr[64];               /* claim holding the CVR a person acts for */
    char oidc_claim_employee[64];          /* claim identifying an employee (e-mail) */
    enum kv_conf_source src[KV_CONF_MAX_KEYS]; /* where each table entry's value came from */
};

/* One row of the table; exposed read-only for docs and `config show`. */
struct kv_conf_entry {
    const char *name;         /* key in the file and for --set, e.g. "max_body" */
    enum kv_conf_type type;   /* value type */
    const char *def;          /* default, in the same text form as the file */
    size_t off;               /* offsetof(struct kv_conf, field) */
    size_t size;              /* sizeof the field (strings: buffer size) */
    int64_t min, max;         /* bounds for INT/SIZE/DURATION */
    const char *choices;      /* ENUM: "a|b|c" */
    const char *env;          /* environment variable name */
    const char *flag;         /* dedicated flag such as "--listen", or NULL */
    int secret;               /* 1: redacted by `config show` */
    const char *help;         /* one line */
};

/* Fills c with the defaults. */
void kv_conf_init(struct kv_conf *c);
/* Parses value for key and stores it with source src. KV_EINVAL for unknown keys or bad
 * values (err says which). */
int kv_conf_set(struct kv_conf *c, const char *key, const char *value, enum kv_conf_source src,
                struct kv_err *err);

/* Writes all keys: fmt "text" (key = value  # source), "json" (one object), "markdown" (table
 * for docs/config.md). */
int kv_conf_show(const struct kv_conf *c, FILE *f, const char *fmt);

/* ---- Command-line integration shared by every command that reads the configuration ----
 * Admin commands get --data the same way as serve: call kv_conf_parse_flag on each argument
 * (it consumes --data/--config/--set/...), then kv_conf_load, then use conf.data. */

/* Overrides gathered from a command line, applied by kv_conf_load. Borrows argv strings. */
struct kv_conf_flags {
    const char *config_path;                /* --config FILE, or NULL */
    const char *keys[KV_CONF_MAX_SETS];     /* flag keys, in order */
    const char *values[KV_CONF_MAX_SETS];   /* flag values (NULL for --set pairs: see sets) */
    char sets[KV_CONF_MAX_SETS][KV_CONF_STR_MAX + 64]; /* copies of "key=value" for --set */
    int n;                                  /* overrides in use */
};

/* Recognises a configuration flag at argv[*i]: --data DIR, --listen HOST:PORT, --smtp URL,
 * --test-clock, --test-login, --config FILE, --set key=value (and --opt=value forms). Returns 1 and advances
 * *i past its argument when consumed, 0 when argv[*i] is not a configuration flag, or
 * KV_EUSAGE (err says why). */
int kv_conf_parse_flag(struct kv_conf_flags *f, int argc, char **argv, int *i, struct kv_err *err);
/* Merges defaults, file, environment and flags into c and validates. The config file is
 * f->config_path (must exist) or else DATA/kuvert.conf (optional), DATA being resolved from the
 * flags, KUVERT_DATA, then the default. */
int kv_conf_load(struct kv_conf *c, const struct kv_conf_flags *f, struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * directory.h: the hub's directory of who exists: organisations (authorities, by CVR), their
 * sender and recipient systems with API tokens, mailboxes of citizens (CPR) and companies
 * (CVR), and user bearer tokens for the mailbox API. Used by the admin CLI, the admin HTTP
 * API and request authentication.
 *
 * Tokens: a system's API token is base64("<systemId>:<secret>") and is sent as
 * `Authorization: Basic <token>` (so it is also well-formed HTTP Basic). Only SHA-256 of the
 * secret is stored (the secret is 32 random bytes, so a slow KDF adds nothing); comparison is
 * constant-time. User tokens (`Authorization: Bearer <token>`) are stored the same way; their
 * life (expiry, revocation) is in user_token.h.
 *
 * All functions take a borrowed connection; the write functions run their own transaction
 * unless noted. Structs are plain values filled by the callee.
 */
#ifndef KV_HUB_DIRECTORY_H
#define KV_HUB_DIRECTORY_H

#include <stdint.h>

#include "hub/protocol.h"
#include "hub/user_token.h" /* user bearer tokens: issue, expiry, revocation */
#include "util/cidr.h"
#include "util/err.h"
#include "util/problem.h"

struct kv_db;

struct kv_org {
    char id[37];    /* stable UUID v4 (NgDP's Organisation.id / {organisationId}) */
    char cvr[9];    /* 8 digits */
    char name[257]; /* display name */
    int64_t created_ms;
};

struct kv_system {
    char id[37];             /* UUID v4 */
    char org_cvr[9];         /* owning organisation */
    char kind[12];           /* "sender" | "recipient" */
    char name[257];          /* display name */
    char receipt_url[1024];  /* sender: receipt push URL, "" = pull only */
    enum kv_protocol protocol; /* recipient: how it receives (protocol.h); NONE for senders */
    char push_url[1024];     /* recipient push endpoint, "" if none */
    char contact_email[257]; /* warning e-mail address, "" if none */
    int is_default;          /* 1 = the organisation's default recipient system */
    char status[16];         /* "active" | "deactivated" */
    int64_t created_ms;      /* creation time */
    char technical_contact[257]; /* who to call about the integration, "" if none */
    char supplier[257];      /* the IT supplier, "" if none */
    char allowed_ips[KV_CIDR_TEXT_MAX]; /* canonical list (util/cidr.h); "" = any address */
    char active_from[11];    /* first active day "YYYY-MM-DD" (Copenhagen), "" = open */
    char active_to[11];      /* last active day, inclusive, "" = open */
};

struct kv_mailbox {
    int64_t id;              /* row id */
    char owner_type[4];      /* "CPR" | "CVR" */
    char owner_id[11];       /* 10-digit CPR or 8-digit CVR */
    char name[257];          /* owner's name, "" if unknown */
    char status[12];         /* "REGISTERED" | "EXEMPT" | "CLOSED" */
    char address[512];       /* postal address for print, "" if unknown */
    int64_t created_ms;      /* creation time */
    int64_t closed_ms;       /* 0 unless CLOSED */
    char uuid[37];           /* NgDP Contact.id */
    char subscription_uuid[37]; /* NgDP MailboxSubscription.id */
    int64_t version;         /* 1, +1 per change */
    int64_t updated_ms;      /* last change */
    char transaction_id[37]; /* UUID of the last write (also in its event), "" if unknown */
    int voluntary;           /* 1: REGISTERED by its owner's voluntary registration */
};

/* 1 when cvr is 8 digits; 1 when cpr is 10 digits whose DDMMYY is a real date (the century
 * from the 7th digit, as the CPR office defines it) or is a test CPR (util/testid.h: day
 * 92..99); else 0. (Added by helper E.) */
int kv_cvr_valid(const char *cvr);
int kv_cpr_valid(const char *cpr);

/* Organisations. KV_ECONFLICT if the CVR exists; KV_EINVAL on a malformed CVR or empty name. */
int kv_org_add(struct kv_db *db, const char *cvr, const char *name, struct kv_err *err);
int kv_org_get(struct kv_db *db, const char *cvr, struct kv_org *out, struct kv_err *err);
/* The organisation named by ref: its UUID (any case) or its 8-digit CVR. KV_ENOTFOUND when
 * there is none (also for a ref that is neither). */
int kv_org_resolve(struct kv_db *db, const char *ref, struct kv_org *out, struct kv_err *err);

/* A new system as a client states it (CLI flags, admin API JSON, a web form): borrowed
 * texts, NULL or "" when not given. */
struct kv_system_input {
    const char *org;           /* owning organisation's CVR */
    const char *kind;          /* "sender" | "recipient" */
    const char *name;          /* display name */
    const char *receipt_url;   /* sender: receipt push URL */
    const char *protocol;      /* recipient: a protocol name (protocol.h); none = pull */
    const char *push_url;      /* recipient: push endpoint */
    const char *contact_email; /* warning e-mail address */
    const char *technical_contact; /* free text */
    const char *supplier;      /* free text */
    const char *allowed_ips;   /* addresses and CIDR ranges, separated by commas, spaces or
                                  line breaks (util/cidr.h); none = any address */
    const char *active_from;   /* "YYYY-MM-DD", first active day */
    const char *active_to;     /* "YYYY-MM-DD", last active day (inclusive) */
    int is_default;            /* recipient: becomes the organisation's default */
    int https_only;            /* 1: the URLs must be https:// (the web pages outside test
                                  mode); 0: http:// or https:// */
};

/* The one validation of a system's fields (system_fields.c), for the CLI, the admin API and
 * the web pages alike: every problem becomes a field of p, named as in the admin API (org,
 * kind, name, receiptUrl, protocol, pushUrl, contactEmail, technicalContact, supplier,
 * allowedIps, activeFrom, activeTo, default), p->kind KV_EINVAL and
 * p->code "INVALID_FIELD". On success *out is the system to pass to kv_system_add (zeroed
 * first; a recipient without a protocol pulls). Returns 0 or KV_EINVAL. */
int kv_system_check(const struct kv_system_input *in, struct kv_system *out,
                    struct kv_problem *p);
/* in (zeroed first) as the client would state sys as it is: texts borrowed from sys, so an
 * edit can replace only what it changes and pass the result to kv_system_check. */
void kv_system_input_of(const struct kv_system *sys, struct kv_system_input *in);
/* The rules of kv_system_check for an already filled struct (kv_system_add applies them to
 * whatever it is given): 0, or KV_EINVAL with p's fields set. */
int kv_system_check_fields(const struct kv_system *sys, struct kv_problem *p);

/* 1 when the civil date in Copenhagen at now_ms is within sys's active window (active_from
 * to active_to, both inclusive, either open when ""); 0 otherwise. A system outside its
 * window cannot call the API (api/gate.c) and is no delivery target: routing
 * (recipient_queue.c) and the push drain (recipient_push.c) compare the same columns with
 * kv_clock_copenhagen_date in SQL. */
int kv_system_in_window(const struct kv_system *sys, int64_t now_ms);

/* Creates a system (sys->id is generated and written back) after kv_system_check_fields
 * (KV_EINVAL with the first problem in err). Returns the API token in out_token (owned, free
 * with free(); shown once, never stored). */
int kv_system_add(struct kv_db *db, struct kv_system *sys, char **out_token, struct kv_err *err);
int kv_system_get(struct kv_db *db, const char *id, struct kv_system *out, struct kv_err *err);
/* Changes system sys->id of organisation sys->org_cvr to sys's name, receipt URL, protocol,
 * push URL, contact e-mail, technical contact, supplier, allowed IP addresses and active
 * window (kind, default and status are not changed here), after
 * kv_system_check_fields; event SYSTEM_CHANGED with the new values, actor recorded.
 * KV_ENOTFOUND when the organisation has no such system. (system_edit.c) */
int kv_system_update(struct kv_db *db, const struct kv_system *sys, const char *actor,
                     struct kv_err *err);
/* Authenticates an Authorization header value ("Basic <token>"). KV_EAUTH on anything wrong
 * (missing, malformed, unknown system, wrong secret) with a message safe to return. */
int kv_system_authenticate(struct kv_db *db, const char *authorization, struct kv_system *out,
                           struct kv_err *err);
int kv_system_set_status(struct kv_db *db, const char *id, const char *status, struct kv_err *err);
/* Gives system id (exact id) a new secret: the old API token stops working at once, the new
 * one is returned in out_token (owned, free with free(); shown once, never stored) and
 * SYSTEM_SECRET_ROTATED is logged. KV_ENOTFOUND for an unknown id. (system_secret.c) */
int kv_system_rotate_secret(struct kv_db *db, const char *id, char **out_token,
                            struct kv_err *err);
/* Makes recipient system id (any case) its organisation's one default recipient system: in one
 * transaction every other system of the organisation loses the flag and this one gets it, and
 * the event SYSTEM_DEFAULT_CHANGED {"orgCvr", "default", "previous": id or null} is logged.
 * Nothing changes and nothing is logged when it is the only default already. out_previous
 * (37 bytes, may be NULL) gets the former default's id, "" when there was none or nothing
 * changed. KV_ENOTFOUND for an unknown id; KV_EINVAL for a sender system. */
int kv_system_set_default(struct kv_db *db, const char *id, char out_previous[37],
                          struct kv_err *err);

/* Mailboxes. owner_type "CPR"/"CVR"; validates the number. KV_ECONFLICT if it exists. */
int kv_mailbox_add(struct kv_db *db, struct kv_mailbox *mb, struct kv_err *err);
int kv_mailbox_find(struct kv_db *db, const char *owner_type, const char *owner_id,
                    struct kv_mailbox *out, struct kv_err *err);
/* The mailbox whose NgDP Contact id (mailboxes.uuid, lower case) is uuid; KV_ENOTFOUND. */
int kv_mailbox_find_by_uuid(struct kv_db *db, const char *uuid, struct kv_mailbox *out,
                            struct kv_err *err);
int kv_mailbox_close(struct kv_db *db, const char *owner_type, const char *owner_id,
                     struct kv_err *err);
/* Voluntary registration by the owner (NgDP's UpdateContact): in one transaction the mailbox
 * with Contact id uuid, when EXEMPT, becomes REGISTERED (voluntary = 1, version + 1, a new
 * transaction id) and DIGITAL_POST_REGISTERED is logged with the owner as actor. Already
 * REGISTERED: nothing changes. expect_version > 0 must be the current version, else
 * KV_ECONFLICT with *out_stale = 1 (out_stale may be NULL). KV_ENOTFOUND; KV_EPERM for a
 * CLOSED mailbox. *out gets the mailbox as it is afterwards. */
int kv_mailbox_register(struct kv_db *db, const char *uuid, int64_t expect_version,
                        struct kv_mailbox *out, int *out_stale, struct kv_err *err);

#endif

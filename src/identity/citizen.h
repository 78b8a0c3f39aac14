/* SPDX-License-Identifier: MIT
 *
 * citizen.h: citizen service and business service (borgerservice / erhvervsservice) in
 * Administrativ Adgang, the domain half (citizen.c; pages in web/aa_citizen.c). An employee with
 * CITIZEN_SERVICE_EMPLOYEE (persons, CPR) or BUSINESS_SERVICE_EMPLOYEE (companies, CVR):
 *   - looks an owner up by number AND full name; both must match the mailbox (names compared
 *     case-insensitively with runs of white space as one). Every look-up is logged
 *     (CPR_LOOKED_UP / CVR_LOOKED_UP, actor the employee, props {organisation, matched});
 *   - exempts them from Digital Post (mailboxes.status EXEMPT, the postal address for printed
 *     letters; a row in exemptions with the reason LEFT_THE_COUNTRY | OTHER, the channel
 *     IN_PERSON | PROXY, for a company the last day of a limited exemption) and optionally
 *     sends unopened digital letters made available from a date as paper (print_jobs with
 *     origin FORWARDED, event UNOPENED_MAIL_SENT_AS_PHYSICAL_POST per letter); event
 *     DIGITAL_POST_EXEMPTED;
 *   - re-registers them (REGISTERED, the exemption ended; DIGITAL_POST_REGISTERED);
 *   - grants a helper read or read-write access to a person's mailbox through the rights
 *     model (kv_rights_grant, MAILBOX_READ / MAILBOX_READ_WRITE to the helper as a person,
 *     event READ_ACCESS_CREATED) and keeps the uploaded power of attorney (a PDF by its magic
 *     bytes, at most KV_CS_POA_MAX bytes) in powers_of_attorney.
 * Actions are events whose actor is the employee's organisation ("cvr:<org>") with the
 * employee in props. A company's limited exemption ends by itself (kv_cs_sweep, run by the
 * rights hook).
 *
 * Ownership: strings borrowed; struct kv_cs_status owns nothing beyond its arrays.
 */
#ifndef KV_IDENTITY_CITIZEN_H
#define KV_IDENTITY_CITIZEN_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_db;

#define KV_CS_POA_MAX (5 * 1024 * 1024) /* bytes of a power of attorney */
#define KV_CS_MAX_ACCESS 20             /* accesses shown */
#define KV_CS_FORWARD_MAX 500           /* unopened letters sent as paper per order */

/* Who acts: the employee and the organisation they act for. */
struct kv_cs_actor {
    const char *employee; /* the employee as events record them */
    const char *org_cvr;  /* their organisation */
};

struct kv_cs_access {
    int64_t privilege_id;
    char type[24];           /* MAILBOX_READ | MAILBOX_READ_WRITE */
    char helper_name[257];
    char helper_cpr[11];
    int64_t active_to_ms;    /* 0 = until revoked */
    int has_poa;             /* a power of attorney is kept */
};

struct kv_cs_status {
    int64_t mailbox_id;
    char owner_type[4], owner_id[11];
    char name[257];
    char status[12];         /* REGISTERED | EXEMPT | CLOSED */
    char address[512];
    /* the current exemption (EXEMPT only) */
    char reason[20], channel[12], forward_from[11];
    int64_t exempt_from_ms, exempt_until_ms;
    struct kv_cs_access access[KV_CS_MAX_ACCESS];
    size_t n_access;
};

/* Looks owner_type ("CPR"|"CVR") owner_id up and checks name; logs the look-up either way.
 * *out_match = 1 and out filled when both match; 0 otherwise (no hint which did not). */
int kv_cs_lookup(struct kv_db *db, const struct kv_cs_actor *who, const char *owner_type,
                 const char *owner_id, const char *name, int *out_match,
                 struct kv_cs_status *out, struct kv_err *err);
/* The same check without logging (for the actions after a look-up); KV_ENOTFOUND when the
 * number and name do not match. */
int kv_cs_load(struct kv_db *db, const char *owner_type, const char *owner_id, const char *name,
               struct kv_cs_status *out, struct kv_err *err);

struct kv_cs_exemption {
    const char *reason;        /* LEFT_THE_COUNTRY | OTHER */
    const char *channel;       /* IN_PERSON | PROXY */
    const char *address;       /* postal address for printed letters (required) */
    const char *until;         /* company: last day YYYY-MM-DD (required for CVR, refused
                                  for CPR) */
    const char *forward_from;  /* "" or YYYY-MM-DD: unopened letters from then go as paper */
};

/* Exempts st's owner. KV_EINVAL (with a message naming the field) on a bad value;
 * KV_ECONFLICT when not REGISTERED. *out_forwarded gets how many letters went to print. */
int kv_cs_exempt(struct kv_db *db, const struct kv_cs_actor *who, const struct kv_cs_status *st,
                 const struct kv_cs_exemption *ex, int *out_forwarded, struct kv_err *err);
/* Re-registers an EXEMPT owner; KV_ECONFLICT otherwise. */
int kv_cs_register(struct kv_db *db, const struct kv_cs_actor *who,
                   const struct kv_cs_status *st, struct kv_err *err);

struct kv_cs_helper {
    const char *cpr, *name;    /* the helper (a person is created when unknown) */
    int write;                 /* 1: read and write, 0: read */
    const char *until;         /* YYYY-MM-DD last day, "" = until revoked */
    const void *pdf;           /* the power of attorney */
    size_t pdf_len;
    const char *filename;
};

/* Grants the helper access to st's mailbox (a CPR owner). KV_EINVAL with a message on a bad
 * value (helper CPR, name, date, not a PDF, too big); KV_ECONFLICT when the helper has it. */
int kv_cs_grant_access(struct kv_db *db, const struct kv_cs_actor *who,
                       const struct kv_cs_status *st, const struct kv_cs_helper *h,
                       int64_t *out_privilege_id, struct kv_err *err);

/* Ends companies' limited exemptions whose last day has passed (re-registered, event
 * DIGITAL_POST_REGISTERED with actor "hub"). *out_n (may be NULL) gets how many. */
int kv_cs_sweep(struct kv_db *db, int64_t now_ms, int *out_n, struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * mail.h: the e-mails the hub sends (warning and deactivation mails to recipient systems'
 * contact addresses, docs/recipient-side.md "Deactivation and warning e-mails"). A mail is
 * first a row of table mail_outbox (migration 005), written with kv_mail_queue in the same
 * transaction as the state change it reports, so a crash loses none. The sender
 * (kv_mail_send_due, run by the scheduler through kv_mail_hook) then delivers PENDING rows that
 * are due over SMTP with libcurl to the server of config key `smtp` (`--smtp URL`), From
 * config key `smtp_from`. A failed attempt is retried after 1, 5, 15 minutes, then hourly; after
 * KV_MAIL_MAX_ATTEMPTS attempts the row is FAILED. With `smtp` empty nothing is sent (rows stay
 * PENDING; one warning is logged).
 *
 * Messages are plain text, UTF-8 (Content-Type text/plain; charset=utf-8, base64 transfer
 * encoding), with Date, From, To, Subject (RFC 2047 encoded when not plain ASCII), Message-ID
 * and MIME-Version headers. Ownership: all strings are borrowed.
 */
#ifndef KV_HUB_MAIL_H
#define KV_HUB_MAIL_H

#include <stdint.h>

#include "util/err.h"

struct kv_db;
struct kv_store;
struct kv_hub;

#define KV_MAIL_MAX_ATTEMPTS 20       /* attempts before a mail is FAILED */
#define KV_MAIL_SUBJECT_MAX 512       /* bytes of a subject */
#define KV_MAIL_BODY_MAX (16 * 1024)  /* bytes of a body */
#define KV_MAIL_ADDR_MAX 256          /* bytes of an address */
#define KV_MAIL_BATCH 20              /* mails sent per pass at most */

/* 1 when addr can be used as an envelope and To address: 3..KV_MAIL_ADDR_MAX-1 bytes, one
 * '@' with text on both sides, no spaces, control characters or any of <>()[],;:\" . */
int kv_mail_addr_ok(const char *addr);

/* Queues a mail inside the caller's write transaction: to (checked with kv_mail_addr_ok),
 * subject and body (UTF-8, bounded by the limits above), kind (e.g. "SYSTEM_WARNING"),
 * system_id (may be NULL), due at now_ms. KV_EINVAL on a bad address or KV_ETOOBIG on a too
 * long text. out_id (may be NULL) gets the row id. */
int kv_mail_queue(struct kv_db *db, const char *to, const char *subject, const char *body,
                  const char *kind, const char *system_id, int64_t now_ms, int64_t *out_id,
                  struct kv_err *err);

/* How to send. */
struct kv_mail_opts {
    const char *smtp_url;     /* smtp://host:port or smtps://...; "" or NULL = do not send */
    const char *from;         /* envelope and header From address */
    int64_t timeout_ms;       /* per-mail SMTP timeout (connect is at most this too) */
};

/* Delay before the next attempt after `failures` failed ones (1 min, 5 min, 15 min, then 1 h). */
int64_t kv_mail_retry_delay_ms(int failures);

/* Sends up to KV_MAIL_BATCH due PENDING mails at now_ms. A transport failure (no connection,
 * timeout) ends the pass after recording that mail's failure, so an unreachable server costs
 * one timeout per pass; a refusal of one recipient only fails that mail. *out_sent (may be
 * NULL) gets how many were sent. */
int kv_mail_send_due(struct kv_store *st, const struct kv_mail_opts *opts, int64_t now_ms,
                     int *out_sent, struct kv_err *err);

/* Scheduler hook (arg: struct kv_hub *): kv_mail_send_due with the hub's configuration. */
int kv_mail_hook(void *hub_arg);

/* Registers the gauges kuvert_mail_outbox_pending and kuvert_recipient_systems_deactivated on
 * hub->metrics (read from the store at scrape time). */
void kv_mail_register_gauges(struct kv_hub *hub);

/* Builds the whole RFC 5322 message (headers CRLF, blank line, base64 body) into an owned
 * string (free with free()); message_id_local is the part before '@' of the Message-ID (its
 * domain is from's). For the sender and the tests. */
char *kv_mail_format(const char *from, const char *to, const char *subject, const char *body,
                     int64_t date_ms, const char *message_id_local);

#endif

/* SPDX-License-Identifier: MIT
 *
 * directory_int.h: helpers shared by the directory's files (directory.c: organisations,
 * mailboxes, number validation; system.c: systems and API tokens; user_token.c: bearer
 * tokens). Not for use outside src/hub/.
 */
#ifndef KV_HUB_DIRECTORY_INT_H
#define KV_HUB_DIRECTORY_INT_H

#include <stddef.h>

#include "util/err.h"

struct kv_db;

/* Appends an administrative event (borrowed strings; any may be NULL except tag) inside the
 * caller's transaction. */
int kv__dir_event(struct kv_db *db, const char *tag, const char *system_id, const char *subject,
                  const char *props_json, struct kv_err *err);

/* Hex-encodes len bytes into out (2 * len + 1 bytes). */
void kv__dir_hex(const unsigned char *b, size_t len, char *out);

/* Extracts the credential after "<scheme> " (case-insensitive scheme, spaces allowed) from an
 * Authorization header value; returns a pointer into header or NULL. */
const char *kv__dir_auth_param(const char *header, const char *scheme);

/* A system secret: 32 random bytes as 64 lowercase hex characters. */
#define KV__DIR_SECRET_HEX 64

/* Draws a new system secret into secret (KV__DIR_SECRET_HEX + 1 bytes) and its SHA-256 hex
 * (the stored form) into sha (65 bytes). KV_EINTERNAL without randomness. (system_secret.c) */
int kv__dir_new_secret(char *secret, char *sha, struct kv_err *err);
/* The API token base64("<system id>:<secret>"), owned (free with free()). */
char *kv__dir_system_token(const char *id, const char *secret);

/* kv_system_authenticate in its three steps (system.c), for the authentication cache
 * (system_cache.c): the system id and the hex SHA-256 of the presented secret from an
 * Authorization header (KV_EAUTH with the reason when malformed); the system row and its
 * stored secret hash (0, KV_ENOTFOUND, or a store error); the decision on them (found: the
 * row exists), which clears out and says KV_EAUTH unless the secret matches and the system
 * is active. */
struct kv_system;
int kv__system_token_parse(const char *authorization, char id[37], char got[65],
                           struct kv_err *err);
int kv__system_get_auth(struct kv_db *db, const char *id, struct kv_system *out, char want[65],
                        struct kv_err *err);
int kv__system_auth_decide(int found, const char *got, const char *want, struct kv_system *out,
                           struct kv_err *err);

#endif

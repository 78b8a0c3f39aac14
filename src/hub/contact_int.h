/* SPDX-License-Identifier: MIT
 *
 * contact_int.h: helpers shared by contact_points.c and contact_groups.c (library-internal):
 * collecting ErrorMessage fieldErrors while validating a JSON input object, and small column
 * and JSON conveniences.
 *
 * Ownership: fes is a JSON array owned by the caller; rejected values are copied into it.
 * Returned strings are borrowed from the input object.
 */
#ifndef KV_HUB_CONTACT_INT_H
#define KV_HUB_CONTACT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct kv_db;
struct kv_err;
struct kv_stmt;

/* Appends {resource, field, code, message, rejectedValue} to fes (rejected may be NULL). */
void kv__cp_fe(json_t *fes, const char *resource, const char *field, const char *code,
               const char *message, const json_t *rejected);

/* Reads string member name of in: absent/null -> *out NULL (a fieldError "REQUIRED" when
 * required), not a string or longer than max_chars characters (UTF-8) or blank when required
 * -> fieldError. Never fails otherwise. */
void kv__cp_text(const json_t *in, const char *name, size_t max_chars, int required,
                 json_t *fes, const char *resource, const char **out);

/* Reads integer member name of in into *out (def when absent/null); fieldError when not an
 * integer in [min, max]. */
void kv__cp_int(const json_t *in, const char *name, int64_t def, int64_t min, int64_t max,
                json_t *fes, const char *resource, int64_t *out);

/* Reads boolean member name of in into *out (def when absent/null); fieldError otherwise. */
void kv__cp_bool(const json_t *in, const char *name, int def, json_t *fes,
                 const char *resource, int *out);

/* Characters (UTF-8 code points) in s. */
size_t kv__cp_utf8_chars(const char *s);

/* Sets o[key] to the text; nothing when NULL (absent members are left out, never null). */
void kv__cp_set_text(json_t *o, const char *key, const char *text);
/* Sets o[key] to the UTC ISO-8601 time ms; nothing when ms <= 0. */
void kv__cp_set_time(json_t *o, const char *key, int64_t ms);
/* NgDP's Organisation object {id, cvrNumber, name, type AUTHORITY, createdDate} (owned). */
json_t *kv__cp_org_json(const char *uuid, const char *cvr, const char *name, int64_t created_ms);

/* Binds text, or SQL NULL when v is NULL or "". */
void kv__cp_bind_opt(struct kv_stmt *s, int idx, const char *v);

/* Sets o's contactPointCodes and searchTerms (and contactGroups when with_groups) from the
 * rows of contact point id. 0 or a store error. */
int kv__cp_add_children(struct kv_db *db, const char *id, json_t *o, int with_groups,
                        struct kv_err *err);

/* The compact JSON text of v to store (owned, free()), or NULL when v is NULL or an empty
 * array (nothing to keep). */
char *kv__cp_json_text(const json_t *v);
/* Sets o[key] to the JSON stored as text; nothing when text is NULL or unreadable. */
void kv__cp_set_json(json_t *o, const char *key, const char *text);

/* What a create, update or delete of a contact point or group runs on (kv_db_run's argument):
 * its inputs, and its outputs, set anew by each run of the transaction. Borrowed pointers,
 * all the caller's. */
struct kv__cp_change {
    const char *org, *actor, *id; /* id: lower case */
    int64_t expect;
    const json_t *in;
    json_t **field_errors;
    int *out_stale;
};

/* A create: a new id into id (37 bytes), *field_errors NULL, then tx (the point's or the
 * group's create transaction) on c, with c->id = id, through kv_db_run (concurrent, retried
 * after a deadlock). 0 or the error of the id or of the transaction. (contact_groups.c) */
int kv__cp_create(struct kv_db *db, struct kv__cp_change *c, char id[37],
                  int (*tx)(struct kv_db *db, void *arg, struct kv_err *err), struct kv_err *err);

/* Appends CONTACT_POINT_CHANGED (is_point 1) or CONTACT_GROUP_CHANGED for object id of org
 * inside the caller's transaction: subject "cvr:<org>", actor (NULL or "" is "hub"), props
 * {action, contactPointId | contactGroupId, name, version} with name and version read from the
 * object's row -- so call it after an INSERT or UPDATE and before a DELETE. action: "CREATED",
 * "UPDATED" or "DELETED". (contact_groups.c) */
int kv__cp_event(struct kv_db *db, int is_point, const char *action, const char *org,
                 const char *actor, const char *id, struct kv_err *err);

/* Prepares sql, whose parameters are 1 an object's id and 2 its organisation org, and steps
 * it once: KV_ROW (its columns in *out), KV_DONE or a store error. *out is to be ended with
 * kv_stmt_done in every case (NULL when kv_db_prepare failed). (contact_groups.c) */
int kv__cp_row(struct kv_db *db, const char *sql, const char *id, const char *org,
               struct kv_stmt **out, struct kv_err *err);

/* 1 when s is a lower- or upper-case UUID (36 chars, hex and dashes). */
int kv__cp_is_uuid(const char *s);
/* Existence + If-Match check of a contact point (is_point 1) or group (0) inside the caller's
 * transaction: 0, KV_ENOTFOUND, or KV_ECONFLICT with *out_stale = 1 (defined in contact_groups.c). */
int kv__cp_check_version(struct kv_db *db, int is_point, const char *org, const char *id,
                         int64_t expect, int *out_stale, struct kv_err *err);
/* Takes org's contact-structure lock inside the caller's write transaction (a concurrent one,
 * kv_db_begin_concurrent): upserts its contact_structure_locks row (migration 069), whose row
 * lock orders the changes of one organisation on PostgreSQL. Every change of the contact
 * structure calls it before reading what it checks. 0 or a store error (contact_groups.c). */
int kv__cp_lock(struct kv_db *db, const char *org, struct kv_err *err);
/* Inside the caller's write transaction (a concurrent one, run by kv_db_run so that a
 * deadlock runs it again): the checks of a change of contact point (is_point 1) or group id
 * of org: *out_stale = 0 (when not NULL), kv__cp_lock, and kv__cp_check_version against
 * expect. 0, KV_ENOTFOUND, KV_ECONFLICT (stale) or a store error; the caller's transaction
 * is then rolled back (defined in contact_groups.c). */
int kv__cp_change_check(struct kv_db *db, int is_point, const char *org, const char *id,
                        int64_t expect, int *out_stale, struct kv_err *err);
/* Deletes contact point (is_point 1) or group id of org inside the caller's write
 * transaction: its DELETED event, then the row. 0 or the step's error (defined in
 * contact_groups.c). */
int kv__cp_delete(struct kv_db *db, int is_point, const char *org, const char *actor,
                  const char *id, struct kv_err *err);

#endif

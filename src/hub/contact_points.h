/* SPDX-License-Identifier: MIT
 *
 * contact_points.h: an authority's contact structure (kontaktstruktur, migration 004):
 * contact groups (a tree: each group may have a parent group of the same organisation) and
 * contact points, each delivering to one recipient system of the organisation, with codes
 * (CUSTOM | FORM | GLN | KLE | SOR), search terms, visibility per audience (citizen, company,
 * authority), an active flag and the limits for letters written to it (memoSizeThresholdMB,
 * allowedNumberOfAttachments).
 *
 * The interchange format is NgDP 1.68's JSON (the classes of the client generated from its
 * OpenAPI), used by the CRUD API and the CLI alike, so validation lives in one place. Output
 * leaves absent values out (never null):
 *   ContactPoint {id, version, createdDate, lastUpdated, name, description,
 *                 internalDescription, targets [1|2|3], memoSizeThresholdMB,
 *                 allowedNumberOfAttachments, active, visible, organisationId, systemId,
 *                 contactPointCodes [{type, code, codeVersion, name}],
 *                 contactGroups [{id, name}], searchTerms [{term}],
 *                 and kuvert's visibility {citizen, company, authority} (the targets as
 *                 booleans) and organisationCvr}
 *   ContactGroup {id, version, createdDate, lastUpdated, name, description,
 *                 organisationalUnit (bool), organisation {id, cvrNumber, name, type,
 *                 createdDate}, parent {id, name}, postkasseIds [long], and kuvert's
 *                 organisationalUnitName}
 * A ContactPoint also carries reportLink {externalLink, externalLinkText, description, label},
 * recommendedAttributes [{name}] and translations [{postkasseId, postkasseEmneId}] when it
 * has them (migration 028: stored as the normalised JSON shown).
 * Input (ContactPointCommand / ContactGroupCommand): targets by name or by the enum's number
 * (CITIZEN 1, COMPANY 2, AUTHORITY 3: what the generated client sends) say who may WRITE to
 * the point (kuvert's older visibility {citizen, company, authority} is still read the same
 * way); visible only says whether the search shows it. memoSizeThresholdMB 0 (the generated
 * client's unset float) means the default 10; the limit stays within the legal bounds of the
 * audiences that may write (citizens up to 60 MB, companies up to 40 MB: fieldError
 * ABOVE_LEGAL_LIMIT). A group's organisationalUnit is a boolean (a
 * string is read as a unit name, as kuvert took it before); parent and contactGroups take
 * ids or {id} objects. Create and update (a full replacement, PUT semantics) validate the
 * whole object and report every problem as an ErrorMessage fieldError {resource, field, code,
 * message, rejectedValue}. `version` starts at 1 and grows by one with each update; it is the
 * resource's ETag.
 *
 * Ownership: input json_t objects are borrowed. *out and *field_errors are owned by the caller
 * (json_decref); *field_errors is set only when the function returns KV_EINVAL because of the
 * input. All functions take a borrowed connection and run their own transaction when they
 * write: a concurrent one (kv_db_begin_concurrent) under the organisation's contact-structure
 * lock, run by kv_db_run, so on PostgreSQL a deadlock or serialization failure with another
 * transaction runs it again (bounded, store.h KV_DB_RUN_RETRIES) and the change is made once.
 */
#ifndef KV_HUB_CONTACT_POINTS_H
#define KV_HUB_CONTACT_POINTS_H

#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct kv_db;

#define KV_CP_NAME_MAX 256          /* name, organisationalUnit */
#define KV_CP_TEXT_MAX 4000         /* description, internalDescription */
#define KV_CP_CODES_MAX 100         /* codes per contact point */
#define KV_CP_TERMS_MAX 100         /* search terms per contact point */
#define KV_CP_GROUPS_MAX 50         /* groups per contact point */
#define KV_CP_MB_MAX 100            /* memoSizeThresholdMB range 1..100 (default 10) */
#define KV_CP_MB_CITIZEN_MAX 60     /* legal bound when citizens may write to the point */
#define KV_CP_MB_COMPANY_MAX 40     /* legal bound when companies may write to the point */
#define KV_CP_MB_DEFAULT 10         /* the default limit */
#define KV_CP_ATTACH_MAX 100        /* allowedNumberOfAttachments range 0..100 (default 10) */
#define KV_CP_SEARCH_MAX 200        /* results of one citizen search */

/* Events: every create, update and delete appends CONTACT_POINT_CHANGED or
 * CONTACT_GROUP_CHANGED in its transaction (subject "cvr:<org>", actor as given -- a system
 * id, "employee:...", "cli"; NULL means "hub" -- props {action CREATED | UPDATED | DELETED,
 * contactPointId | contactGroupId, name, version}).
 *
 * Contact points of organisation org. expect_version > 0 makes update/delete conditional
 * (If-Match): on a different current version they return KV_ECONFLICT and set *out_stale = 1
 * (out_stale may be NULL). Other KV_ECONFLICTs leave *out_stale 0. */
int kv_contact_point_create(struct kv_db *db, const char *org, const char *actor,
                            const json_t *in, json_t **out, json_t **field_errors,
                            struct kv_err *err);
int kv_contact_point_get(struct kv_db *db, const char *org, const char *id, json_t **out,
                         struct kv_err *err);
int kv_contact_point_update(struct kv_db *db, const char *org, const char *actor,
                            const char *id, int64_t expect_version, const json_t *in,
                            json_t **out, json_t **field_errors, int *out_stale,
                            struct kv_err *err);
int kv_contact_point_delete(struct kv_db *db, const char *org, const char *actor,
                            const char *id, int64_t expect_version, int *out_stale,
                            struct kv_err *err);
/* All contact points of org, by name (then id), as an owned JSON array. */
int kv_contact_points_list(struct kv_db *db, const char *org, json_t **out, struct kv_err *err);
/* NgDP's organisation-wide contact-points/ as organisation viewer_org sees it, by name (then
 * id): all of viewer_org's points, and every other organisation's active, visible points
 * without internalDescription and systemId (a system id is the non-secret half of its API
 * token). */
int kv_contact_points_list_all(struct kv_db *db, const char *viewer_org, json_t **out,
                               struct kv_err *err);

/* Contact groups of org; same conventions. Deleting a group that has child groups or
 * contact points is KV_ECONFLICT (stale 0). */
int kv_contact_group_create(struct kv_db *db, const char *org, const char *actor,
                            const json_t *in, json_t **out, json_t **field_errors,
                            struct kv_err *err);
int kv_contact_group_get(struct kv_db *db, const char *org, const char *id, json_t **out,
                         struct kv_err *err);
int kv_contact_group_update(struct kv_db *db, const char *org, const char *actor,
                            const char *id, int64_t expect_version, const json_t *in,
                            json_t **out, json_t **field_errors, int *out_stale,
                            struct kv_err *err);
int kv_contact_group_delete(struct kv_db *db, const char *org, const char *actor,
                            const char *id, int64_t expect_version, int *out_stale,
                            struct kv_err *err);
/* The groups of org by name (then id); org NULL: every organisation's (NgDP's
 * organisation-wide contact-groups/; a group names no system). */
int kv_contact_groups_list(struct kv_db *db, const char *org, json_t **out, struct kv_err *err);

/* Search for writers of letters: active contact points visible to audience ("citizen",
 * "company" or "authority"), optionally of one organisation (org), whose name or a search term
 * contains term (case-insensitive, ASCII folding) and/or that carry a code equal to code.
 * NULL or "" means no filter. At most KV_CP_SEARCH_MAX results, by organisation and name, in
 * the public shape {id, organisation, organisationName, name, description,
 * memoSizeThresholdMB, allowedNumberOfAttachments, contactPointCodes, searchTerms} (no
 * internal description, no system). *out is an owned array. */
int kv_contact_points_search(struct kv_db *db, const char *audience, const char *org,
                             const char *term, const char *code, json_t **out,
                             struct kv_err *err);

#endif

/* SPDX-License-Identifier: MIT
 *
 * print_jobs.c: the print spool (print.h). A pass claims due jobs one at a time with a
 * conditional UPDATE (state QUEUED, not rendered, lease free or lapsed), so two nodes on one
 * database never both render a job: on PostgreSQL the second UPDATE waits for the first to
 * commit and then no longer matches. Each claimed job is rendered to
 * SPOOL/<batch>/job-<id>.pdf (written to a .tmp name, renamed when complete), then recorded in
 * one transaction with its event and receipt, but only while the lease is still ours. The
 * batch row (print_batches) is written in that transaction too; its manifest.json is written
 * from the database afterwards, and every pass first writes the manifests a crash left out.
 */
#include "hub/print.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "hub/events.h"
#include "hub/hub.h"
#include "hub/receipts.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/conf.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* What finishing a job needs to tell the sender. */
struct job {
    int64_t id, letter_id, received_ms;
    char uuid[37], system_id[37], transmission_id[37], message_id[257], sender_cvr[9];
    char subject[32];
    int push;
    char *address, *sender_name, *recipient_name;
    char *memo;
    size_t memo_len;
};

static void job_release(struct job *j)
{
    free(j->address);
    free(j->sender_name);
    free(j->recipient_name);
    free(j->memo);
    memset(j, 0, sizeof(*j));
}

static char *dup_col(struct kv_stmt *s, int i)
{
    const char *t = kv_stmt_col_text(s, i);
    return kv_xstrdup(t ? t : "");
}

static const char SQL_JOB[] =
    "SELECT pj.id, pj.letter_id, l.message_uuid, l.sender_system, l.transmission_id, "
    "COALESCE(l.message_id, ''), l.sender_cvr, l.recipient_type, l.recipient_id, "
    "COALESCE(sy.receipt_url, '') <> '', COALESCE(pj.address, ''), COALESCE(o.name, ''), "
    "COALESCE(mb.name, ''), l.created_ms, l.body "
    "FROM print_jobs pj JOIN letters l ON l.id = pj.letter_id "
    "LEFT JOIN systems sy ON sy.id = l.sender_system "
    "LEFT JOIN orgs o ON o.cvr = l.sender_cvr "
    "LEFT JOIN mailboxes mb ON mb.id = l.mailbox_id "
    "WHERE pj.id = ?";

/* Loads job id (with the MeMo when with_body). KV_ENOTFOUND when there is none. */
static int job_load(struct kv_db *db, int64_t id, int with_body, struct job *j, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    memset(j, 0, sizeof(*j));
    rc = kv_db_prepare(db, SQL_JOB, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, id);
    rc = kv_stmt_step(s, err);
    if (rc == KV_ROW) {
        j->id = kv_stmt_col_int64(s, 0);
        j->letter_id = kv_stmt_col_int64(s, 1);
        kv_str_copy(j->uuid, sizeof(j->uuid), kv_stmt_col_text(s, 2));
        kv_str_copy(j->system_id, sizeof(j->system_id), kv_stmt_col_text(s, 3));
        kv_str_copy(j->transmission_id, sizeof(j->transmission_id), kv_stmt_col_text(s, 4));
        kv_str_copy(j->message_id, sizeof(j->message_id), kv_stmt_col_text(s, 5));
        kv_str_copy(j->sender_cvr, sizeof(j->sender_cvr), kv_stmt_col_text(s, 6));
        snprintf(j->subject, sizeof(j->subject), "%s:%s",
                 strcmp(kv_stmt_col_text(s, 7), "CVR") == 0 ? "cvr" : "cpr",
                 kv_stmt_col_text(s, 8));
        j->push = kv_stmt_col_int64(s, 9) != 0;
        j->address = dup_col(s, 10);
        j->sender_name = dup_col(s, 11);
        j->recipient_name = dup_col(s, 12);
        j->received_ms = kv_stmt_col_int64(s, 13);
        if (with_body) {
            size_t len = 0;
            const void *b = kv_stmt_col_blob(s, 14, &len);
            j->memo = kv_xmalloc(len + 1);
            if (len)
                memcpy(j->memo, b, len);
            j->memo[len] = '\0';
            j->memo_len = len;
        }
        rc = 0;
    } else if (rc == KV_DONE) {
        rc = kv_err_set(err, KV_ENOTFOUND, "no print job %" PRId64, id);
    }
    kv_stmt_done(s);
    return rc;
}

/* Event tag + receipt for a job's new state, inside the caller's transaction. */
static int tell(struct kv_db *db, const struct job *j, const char *tag, const char *status,
                const char *code, const char *message, const char *actor, const char *props,
                int64_t now, struct kv_err *err)
{
    struct kv_event ev = {0};
    struct kv_receipt r;
    int rc;

    ev.tag = tag;
    ev.message_uuid = j->uuid;
    ev.system_id = j->system_id[0] ? j->system_id : NULL;
    ev.actor = actor;
    ev.subject = j->subject;
    ev.props_json = props;
    ev.time_ms = now;
    rc = kv_events_append(db, &ev, err);
    if (rc < 0 || !j->system_id[0]) /* a letter written by a user has no sender system */
        return rc;
    memset(&r, 0, sizeof(r));
    kv_str_copy(r.system_id, sizeof(r.system_id), j->system_id);
    kv_str_copy(r.transmission_id, sizeof(r.transmission_id), j->transmission_id);
    kv_str_copy(r.message_uuid, sizeof(r.message_uuid), j->uuid);
    kv_str_copy(r.message_id, sizeof(r.message_id), j->message_id);
    kv_str_copy(r.receipt_status, sizeof(r.receipt_status), status);
    kv_str_copy(r.error_code, sizeof(r.error_code), code ? code : "");
    kv_str_copy(r.error_message, sizeof(r.error_message), message);
    r.time_ms = now;
    return kv_receipt_insert(db, &r, j->push, err);
}

static int claim(struct kv_db *db, int64_t id, const char *owner, int64_t now, int *out_got,
                 struct kv_err *err)
{
    struct kv_stmt *s;
    int rc;

    *out_got = 0;
    rc = kv_db_prepare(db,
                       "UPDATE print_jobs SET claim_owner = ?, claim_until = ? "
                       "WHERE id = ? AND state = 'QUEUED' AND pdf_path IS NULL "
                       "AND (claim_until IS NULL OR claim_until < ?)",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, owner, -1);
    kv_stmt_bind_int64(s, 2, now + KV_PRINT_LEASE_MS);
    kv_stmt_bind_int64(s, 3, id);
    kv_stmt_bind_int64(s, 4, now);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    *out_got = kv_db_changes(db) == 1;
    return 0;
}

/* Ids of due jobs (rendering not started or lease lapsed, letter past its value date). */
static int due_ids(struct kv_db *db, int64_t now, int64_t *ids, int max, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc, n = 0;

    rc = kv_db_prepare(db,
                       "SELECT pj.id FROM print_jobs pj JOIN letters l ON l.id = pj.letter_id "
                       "WHERE pj.state = 'QUEUED' AND pj.pdf_path IS NULL "
                       "AND (pj.claim_until IS NULL OR pj.claim_until < ?1) "
                       "AND l.state IN ('PRINT', 'AVAILABLE') "
                       "AND COALESCE(l.available_ms, 0) <= ?1 ORDER BY pj.id LIMIT ?2",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_int64(s, 2, max);
    while (n < max && (rc = kv_stmt_step(s, err)) == KV_ROW)
        ids[n++] = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return rc < 0 ? rc : n;
}

/* Records a rendered job (pdf set) or a failed one (pdf NULL, error) if the lease is still
 * owner's; *out_ours = 0 when another node took it over meanwhile (nothing written). */
static int finish(struct kv_db *db, const struct job *j, const char *owner, const char *batch,
                  const char *dir, const char *pdf, int pages, int unprintable, const char *error,
                  int64_t now, int *out_ours, struct kv_err *err)
{
    struct kv_stmt *s;
    char props[4096], msg[1024];
    int rc;

    *out_ours = 0;
    /* Concurrent (docs/postgresql.md "Writes without the global lock"): the guarded UPDATE
     * below is the decision; a node whose claim was taken over changes nothing and writes
     * nothing else. The batch row is an insert that ignores a conflict. */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        return rc;
    if (pdf) {
        rc = kv_db_prepare(db,
                           "INSERT INTO print_batches (id, dir, created_ms) VALUES (?, ?, ?) "
                           "ON CONFLICT (id) DO NOTHING",
                           &s, err);
        if (rc < 0)
            goto out;
        kv_stmt_bind_text(s, 1, batch, -1);
        kv_stmt_bind_text(s, 2, dir, -1);
        kv_stmt_bind_int64(s, 3, now);
        rc = kv_stmt_step(s, err);
        kv_stmt_done(s);
        if (rc < 0)
            goto out;
    }
    rc = kv_db_prepare(db,
                       "UPDATE print_jobs SET claim_until = NULL, batch = ?, pdf_path = ?, "
                       "pages = ?, unprintable = ?, rendered_ms = ?, error = ?, "
                       "state = ?, done_ms = ? "
                       "WHERE id = ? AND claim_owner = ? AND state = 'QUEUED' "
                       "AND pdf_path IS NULL",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, pdf ? batch : NULL, -1);
    kv_stmt_bind_text(s, 2, pdf, -1);
    kv_stmt_bind_int64(s, 3, pages);
    kv_stmt_bind_int64(s, 4, unprintable);
    if (pdf)
        kv_stmt_bind_int64(s, 5, now);
    else
        kv_stmt_bind_null(s, 5);
    kv_stmt_bind_text(s, 6, error, -1);
    kv_stmt_bind_text(s, 7, pdf ? "QUEUED" : "FAILED", -1);
    if (pdf)
        kv_stmt_bind_null(s, 8);
    else
        kv_stmt_bind_int64(s, 8, now);
    kv_stmt_bind_int64(s, 9, j->id);
    kv_stmt_bind_text(s, 10, owner, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (kv_db_changes(db) != 1) {
        rc = 0;
        goto out; /* lease lost: the other node's outcome counts */
    }
    if (pdf) {
        json_t *p = json_pack("{s:I,s:s,s:i,s:i}", "printJobId", (json_int_t)j->id, "batch",
                              batch, "pages", pages, "unprintable", unprintable);
        char *t = json_dumps(p, JSON_COMPACT);
        snprintf(props, sizeof(props), "%s", t ? t : "{}");
        free(t);
        json_decref(p);
        snprintf(msg, sizeof(msg),
                 "the letter is rendered for printing (print job %" PRId64 ", %d pages%s) and "
                 "waits for the print provider",
                 j->id, pages, unprintable ? ", some files could not be printed" : "");
        rc = tell(db, j, "PRINT_JOB_QUEUED", "RECEIVED", NULL, msg, "hub", props, now, err);
    } else {
        json_t *p = json_pack("{s:I,s:s}", "printJobId", (json_int_t)j->id, "reason", error);
        char *t = json_dumps(p, JSON_COMPACT);
        snprintf(props, sizeof(props), "%s", t ? t : "{}");
        free(t);
        json_decref(p);
        snprintf(msg, sizeof(msg), "the letter could not be printed: %s", error);
        rc = tell(db, j, "PRINT_JOB_FAILED", "NOT_ALLOWED", "PRINT_FAILED", msg, "hub", props,
                  now, err);
    }
    if (rc == 0)
        rc = kv_db_commit(db, err);
    if (rc == 0)
        *out_ours = 1;
out:
    if (rc < 0 || !*out_ours)
        kv_db_rollback(db);
    return rc;
}

static int mkdir_p(const char *dir, struct kv_err *err)
{
    char tmp[PATH_MAX];
    size_t i, n = strlen(dir);

    if (n == 0 || n >= sizeof(tmp))
        return kv_err_set(err, KV_EINVAL, "bad spool directory");
    memcpy(tmp, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
                return kv_err_set(err, KV_EIO, "cannot create %s: %s", tmp, strerror(errno));
            tmp[i] = c;
        }
    }
    return 0;
}

/* Writes batch's manifest.json from the database (atomically) and records it. */
static int write_manifest(struct kv_db *db, const char *batch, const char *dir, int64_t now,
                          struct kv_err *err)
{
    struct kv_stmt *s;
    json_t *jobs = json_array(), *root;
    char path[PATH_MAX], tmp[PATH_MAX + 8], when[32];
    int rc;

    rc = kv_db_prepare(db,
                       "SELECT pj.id, l.message_uuid, pj.pdf_path, pj.pages, pj.unprintable, "
                       "COALESCE(pj.address, ''), COALESCE(mb.name, ''), pj.origin "
                       "FROM print_jobs pj JOIN letters l ON l.id = pj.letter_id "
                       "LEFT JOIN mailboxes mb ON mb.id = l.mailbox_id "
                       "WHERE pj.batch = ? ORDER BY pj.id",
                       &s, err);
    if (rc < 0) {
        json_decref(jobs);
        return rc;
    }
    kv_stmt_bind_text(s, 1, batch, -1);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        const char *pdf = kv_stmt_col_text(s, 2);
        const char *base = pdf ? strrchr(pdf, '/') : NULL;
        json_array_append_new(
            jobs, json_pack("{s:I,s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "id",
                            (json_int_t)kv_stmt_col_int64(s, 0), "letter", kv_stmt_col_text(s, 1),
                            "pdf", base ? base + 1 : (pdf ? pdf : ""), "pages",
                            (json_int_t)kv_stmt_col_int64(s, 3), "unprintable",
                            (json_int_t)kv_stmt_col_int64(s, 4), "address", kv_stmt_col_text(s, 5),
                            "recipient", kv_stmt_col_text(s, 6), "origin", kv_stmt_col_text(s, 7)));
    }
    kv_stmt_done(s);
    if (rc < 0) {
        json_decref(jobs);
        return rc;
    }
    kv_clock_format_utc(now, when, sizeof(when));
    root = json_pack("{s:s,s:s,s:s,s:o}", "batch", batch, "created", when, "format",
                     "A4 PDF, page 1 address page for a C5 window envelope (DIN 5008 B)", "jobs",
                     jobs);
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (json_dump_file(root, tmp, JSON_INDENT(2)) != 0 || rename(tmp, path) != 0) {
        json_decref(root);
        unlink(tmp);
        return kv_err_set(err, KV_EIO, "cannot write %s", path);
    }
    json_decref(root);
    rc = kv_db_prepare(db, "UPDATE print_batches SET manifest_ms = ? WHERE id = ?", &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_int64(s, 1, now);
    kv_stmt_bind_text(s, 2, batch, -1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int write_missing_manifests(struct kv_db *db, int64_t now, struct kv_err *err)
{
    struct kv_stmt *s;
    char ids[8][64], dirs[8][PATH_MAX];
    int rc, n = 0, i;

    rc = kv_db_prepare(db,
                       "SELECT id, dir FROM print_batches WHERE manifest_ms IS NULL "
                       "ORDER BY created_ms LIMIT 8",
                       &s, err);
    if (rc < 0)
        return rc;
    while (n < 8 && (rc = kv_stmt_step(s, err)) == KV_ROW) {
        kv_str_copy(ids[n], sizeof(ids[n]), kv_stmt_col_text(s, 0));
        kv_str_copy(dirs[n], sizeof(dirs[n]), kv_stmt_col_text(s, 1));
        n++;
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++) {
        if (mkdir_p(dirs[i], err) < 0)
            return KV_EIO;
        rc = write_manifest(db, ids[i], dirs[i], now, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Renders one claimed job into dir; the outcome is recorded by finish. */
static int render_one(struct kv_db *db, int64_t id, const char *owner, const char *batch,
                      const char *dir, int64_t now, int *out_ok, struct kv_err *err)
{
    struct job j;
    struct kv_print_letter pl;
    struct kv_err rerr = {0, ""};
    char path[PATH_MAX + 64], tmp[PATH_MAX + 72];
    int rc, pages = 0, unprintable = 0, ours = 0;

    *out_ok = 0;
    rc = job_load(db, id, 1, &j, err);
    if (rc < 0)
        return rc;
    memset(&pl, 0, sizeof(pl));
    pl.message_uuid = j.uuid;
    pl.sender_name = j.sender_name;
    pl.sender_cvr = j.sender_cvr;
    pl.recipient_name = j.recipient_name;
    pl.address = j.address;
    pl.received_ms = j.received_ms;
    pl.memo = j.memo;
    pl.memo_len = j.memo_len;
    if (snprintf(path, sizeof(path), "%s/job-%" PRId64 ".pdf", dir, id) >= (int)sizeof(path) ||
        snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        rc = kv_err_set(err, KV_EINVAL, "spool path too long");
        goto out;
    }
    rc = kv_print_render(&pl, tmp, &pages, &unprintable, &rerr);
    if (rc == KV_EIO || rc == KV_ENOMEM || rc == KV_EINTERNAL) {
        unlink(tmp); /* a fault of ours, not of the letter: the lease lapses, a later pass retries */
        rc = kv_err_set(err, rc, "print job %" PRId64 ": %s", id, rerr.msg);
        goto out;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        unlink(tmp);
        rc = kv_err_set(err, KV_EIO, "cannot rename %s", tmp);
        goto out;
    }
    if (rc < 0) {
        unlink(tmp);
        rc = finish(db, &j, owner, batch, dir, NULL, 0, 0, rerr.msg, now, &ours, err);
    } else {
        rc = finish(db, &j, owner, batch, dir, path, pages, unprintable, NULL, now, &ours, err);
        if (rc < 0 || !ours)
            unlink(path);
        *out_ok = rc == 0 && ours;
    }
    if (rc == 0)
        kv_log(KV_LOG_INFO, "print job %" PRId64 " (letter %s): %s", id, j.uuid,
               !ours ? "taken over by another node" : *out_ok ? "rendered" : rerr.msg);
out:
    job_release(&j);
    return rc;
}

int kv_print_render_due(struct kv_store *st, const char *spool_dir, int64_t now_ms,
                        int *out_rendered, struct kv_err *err)
{
    struct kv_db *db = NULL;
    int64_t ids[KV_PRINT_BATCH];
    char owner[37], batch[64], dir[PATH_MAX + 80], when[32], abs_spool[PATH_MAX];
    unsigned char rnd[4];
    int rc, n, i, got, ok, rendered = 0;

    if (out_rendered)
        *out_rendered = 0;
    rc = kv_db_acquire(st, &db, err);
    if (rc < 0)
        return rc;
    rc = write_missing_manifests(db, now_ms, err);
    if (rc < 0)
        goto out;
    rc = due_ids(db, now_ms, ids, KV_PRINT_BATCH, err);
    if (rc <= 0)
        goto out;
    n = rc;
    rc = mkdir_p(spool_dir, err);
    if (rc < 0)
        goto out;
    if (!realpath(spool_dir, abs_spool)) {
        rc = kv_err_set(err, KV_EIO, "cannot resolve %s", spool_dir);
        goto out;
    }
    if (kv_uuid_v4(owner) < 0 || kv_random_bytes(rnd, sizeof(rnd)) < 0) {
        rc = kv_err_set(err, KV_EINTERNAL, "no randomness");
        goto out;
    }
    kv_clock_format_utc(now_ms, when, sizeof(when));
    /* 2026-12-04T23:18:00.000Z -> 20261204T231800Z-xxxxxxxx */
    snprintf(batch, sizeof(batch), "%.4s%.2s%.2sT%.2s%.2s%.2sZ-%02x%02x%02x%02x", when, when + 5,
             when + 8, when + 11, when + 14, when + 17, rnd[0], rnd[1], rnd[2], rnd[3]);
    if (snprintf(dir, sizeof(dir), "%s/%s", abs_spool, batch) >= (int)sizeof(dir)) {
        rc = kv_err_set(err, KV_EINVAL, "spool path too long");
        goto out;
    }
    for (i = 0; i < n; i++) {
        rc = claim(db, ids[i], owner, now_ms, &got, err);
        if (rc < 0)
            goto out;
        if (!got)
            continue;
        if (rendered == 0 && (rc = mkdir_p(dir, err)) < 0)
            goto out;
        rc = render_one(db, ids[i], owner, batch, dir, now_ms, &ok, err);
        if (rc < 0)
            goto out;
        rendered += ok;
    }
    if (rendered)
        rc = write_manifest(db, batch, dir, now_ms, err);
out:
    kv_db_release(db);
    if (rc >= 0 && out_rendered)
        *out_rendered = rendered;
    return rc < 0 ? rc : 0;
}

int kv_print_hook(void *hub_arg)
{
    struct kv_hub *hub = hub_arg;
    struct kv_err err = {0, ""};
    char spool[PATH_MAX];
    int rc;

    snprintf(spool, sizeof(spool), "%s/print", hub->conf->data);
    rc = kv_print_render_due(hub->store, spool, kv_clock_now_ms(), NULL, &err);
    if (rc < 0)
        kv_log(KV_LOG_WARN, "print spool: %s", err.msg);
    return rc;
}

int kv_print_list(struct kv_db *db, const char *state, struct kv_print_job **out, size_t *out_n,
                  struct kv_err *err)
{
    struct kv_stmt *s;
    struct kv_print_job *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    *out_n = 0;
    rc = kv_db_prepare(db,
                       "SELECT pj.id, l.message_uuid, pj.state, pj.origin, COALESCE(pj.batch, ''), "
                       "pj.pdf_path, pj.error, COALESCE(pj.pages, 0), pj.unprintable, "
                       "pj.created_ms, COALESCE(pj.rendered_ms, 0), COALESCE(pj.done_ms, 0) "
                       "FROM print_jobs pj JOIN letters l ON l.id = pj.letter_id "
                       "WHERE (?1 = '' OR pj.state = ?1) ORDER BY pj.id DESC LIMIT ?2",
                       &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, state ? state : "", -1);
    kv_stmt_bind_int64(s, 2, KV_PRINT_LIST_MAX);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        struct kv_print_job *j;
        const char *t;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = kv_xrealloc(v, cap * sizeof(*v));
        }
        j = &v[n++];
        memset(j, 0, sizeof(*j));
        j->id = kv_stmt_col_int64(s, 0);
        kv_str_copy(j->letter, sizeof(j->letter), kv_stmt_col_text(s, 1));
        kv_str_copy(j->state, sizeof(j->state), kv_stmt_col_text(s, 2));
        kv_str_copy(j->origin, sizeof(j->origin), kv_stmt_col_text(s, 3));
        kv_str_copy(j->batch, sizeof(j->batch), kv_stmt_col_text(s, 4));
        t = kv_stmt_col_text(s, 5);
        j->pdf = t ? kv_xstrdup(t) : NULL;
        t = kv_stmt_col_text(s, 6);
        j->error = t ? kv_xstrdup(t) : NULL;
        j->pages = (int)kv_stmt_col_int64(s, 7);
        j->unprintable = (int)kv_stmt_col_int64(s, 8);
        j->created_ms = kv_stmt_col_int64(s, 9);
        j->rendered_ms = kv_stmt_col_int64(s, 10);
        j->done_ms = kv_stmt_col_int64(s, 11);
    }
    kv_stmt_done(s);
    if (rc < 0) {
        kv_print_list_free(v, n);
        return rc;
    }
    *out = v;
    *out_n = n;
    return 0;
}

void kv_print_list_free(struct kv_print_job *jobs, size_t n)
{
    size_t i;

    for (i = 0; jobs && i < n; i++) {
        free(jobs[i].pdf);
        free(jobs[i].error);
    }
    free(jobs);
}

int kv_print_mark(struct kv_db *db, int64_t job_id, int printed, const char *reason,
                  const char *actor, struct kv_err *err)
{
    struct kv_stmt *s;
    struct job j;
    char props[4096], msg[700];
    int64_t now = kv_clock_now_ms();
    int rc;

    if (!printed && (!reason || !reason[0] || strlen(reason) > 500))
        return kv_err_set(err, KV_EINVAL, "a failed print needs a reason (1..500 characters)");
    rc = job_load(db, job_id, 0, &j, err);
    if (rc < 0)
        return rc;
    /* Concurrent: the guarded UPDATE decides; a second mark at the same time waits for the
     * first one's row lock, then finds the job no longer QUEUED: 409, no second event or
     * receipt (docs/postgresql.md "Writes without the global lock"). */
    rc = kv_db_begin_concurrent(db, err);
    if (rc < 0)
        goto done;
    rc = kv_db_prepare(db,
                       "UPDATE print_jobs SET state = ?, done_ms = ?, error = ? "
                       "WHERE id = ? AND state = 'QUEUED' AND pdf_path IS NOT NULL",
                       &s, err);
    if (rc < 0)
        goto out;
    kv_stmt_bind_text(s, 1, printed ? "PRINTED" : "FAILED", -1);
    kv_stmt_bind_int64(s, 2, now);
    kv_stmt_bind_text(s, 3, printed ? NULL : reason, -1);
    kv_stmt_bind_int64(s, 4, job_id);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    if (rc < 0)
        goto out;
    if (kv_db_changes(db) != 1) {
        rc = kv_err_set(err, KV_ECONFLICT,
                        "print job %" PRId64 " is not waiting for print (not yet rendered, "
                        "or already printed or failed)",
                        job_id);
        goto out;
    }
    if (printed) {
        snprintf(props, sizeof(props), "{\"printJobId\":%" PRId64 "}", job_id);
        rc = tell(db, &j, "PRINT_JOB_PRINTED", "COMPLETED", NULL,
                  "the letter was printed and handed to the postal service", actor, props, now,
                  err);
    } else {
        json_t *p = json_pack("{s:I,s:s}", "printJobId", (json_int_t)job_id, "reason", reason);
        char *t = json_dumps(p, JSON_COMPACT);
        snprintf(props, sizeof(props), "%s", t ? t : "{}");
        free(t);
        json_decref(p);
        snprintf(msg, sizeof(msg), "the letter could not be printed: %s", reason);
        rc = tell(db, &j, "PRINT_JOB_FAILED", "NOT_ALLOWED", "PRINT_FAILED", msg, actor, props,
                  now, err);
    }
    if (rc == 0)
        rc = kv_db_commit(db, err);
out:
    if (rc < 0)
        kv_db_rollback(db);
done:
    job_release(&j);
    return rc;
}

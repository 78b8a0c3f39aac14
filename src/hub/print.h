/* SPDX-License-Identifier: MIT
 *
 * print.h: fjernprint, printed letters for recipients who do not read Digital Post (docs/print.md).
 * A letter to an exempt recipient gets a row in print_jobs when it is stored (letter_store.c);
 * a citizen-service order to send unopened letters as paper adds rows with origin FORWARDED.
 * The print worker (kv_print_render_due, run by the scheduler through kv_print_hook) claims
 * such rows one by one (a lease in claim_owner/claim_until, so with several nodes on one
 * database a job is rendered by one of them only), renders each into one print-ready PDF
 * (kv_print_render: an address page for a C5 window envelope, then the letter's documents)
 * under DATA/print/<batch>/, records it in the same transaction as its event PRINT_JOB_QUEUED
 * and a receipt to the sending system, and then writes the batch's manifest.json from the
 * database. The print provider fetches a batch by its manifest and reports back through
 * kv_print_mark (CLI `kuvert print mark-printed JOB`): PRINTED (event PRINT_JOB_PRINTED,
 * receipt COMPLETED) or FAILED (event PRINT_JOB_FAILED, receipt NOT_ALLOWED with error code
 * PRINT_FAILED). A job that cannot be rendered at all (no postal address) is FAILED the same
 * way by the worker.
 *
 * Ownership: all strings are borrowed; lists are owned by the caller (kv_print_list_free).
 * Connections are borrowed except in kv_print_render_due, which takes its own from the store.
 */
#ifndef KV_HUB_PRINT_H
#define KV_HUB_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_db;
struct kv_store;

#define KV_PRINT_BATCH 20                 /* jobs rendered per pass (one batch) at most */
#define KV_PRINT_LEASE_MS (10LL * 60 * 1000) /* a claim lapses after this */
#define KV_PRINT_DOC_PAGES_MAX 500        /* pages of one document at most, else not printed */
#define KV_PRINT_TEXT_MAX (4u << 20)      /* bytes of one text/HTML document rendered at most */
#define KV_PRINT_LIST_MAX 10000           /* jobs listed at most */

/* What the address page needs besides the MeMo. */
struct kv_print_letter {
    const char *message_uuid;   /* the letter's messageUUID */
    const char *sender_name;    /* the sending organisation's name ("" if unknown) */
    const char *sender_cvr;     /* its CVR ("" for a letter without one) */
    const char *recipient_name; /* the mailbox owner's name ("" if unknown) */
    const char *address;        /* postal address, lines separated by newlines or ", " */
    int64_t received_ms;        /* when the hub received the letter */
    const char *memo;           /* the MeMo XML as stored */
    size_t memo_len;
};

/* Renders l into a new PDF file at path (overwritten): page 1 is the address page (DIN 5008
 * form B: the recipient's address in the window of a C5 envelope at 20 mm from the left and
 * 45 mm from the top, fold marks), listing the documents and anything that cannot be printed;
 * then every printable file of the main and additional documents in order: PDF pages as they
 * are (poppler), text/plain and text/html rendered (pango). *out_pages gets the page count,
 * *out_unprintable how many files were listed instead of printed. KV_EINVAL when l has no
 * address; KV_EIO when the file cannot be written. */
int kv_print_render(const struct kv_print_letter *l, const char *path, int *out_pages,
                    int *out_unprintable, struct kv_err *err);

/* One job as listed. */
struct kv_print_job {
    int64_t id;
    char letter[37];            /* messageUUID */
    char state[12];             /* QUEUED | PRINTED | FAILED */
    char origin[12];            /* EXEMPT | FORWARDED */
    char batch[64];             /* "" until rendered */
    char *pdf;                  /* owned; NULL until rendered */
    char *error;                /* owned; NULL unless FAILED */
    int pages;                  /* 0 until rendered */
    int unprintable;            /* files listed on the address page instead of printed */
    int64_t created_ms, rendered_ms, done_ms; /* 0 when not (yet) */
};

/* Jobs, newest first (at most KV_PRINT_LIST_MAX); state NULL or "" for all, else one state.
 * *out is owned (kv_print_list_free). */
int kv_print_list(struct kv_db *db, const char *state, struct kv_print_job **out, size_t *out_n,
                  struct kv_err *err);
void kv_print_list_free(struct kv_print_job *jobs, size_t n);

/* Records the print provider's outcome for a rendered QUEUED job: printed (non-zero) -> PRINTED,
 * else FAILED with reason. Event and receipt in the same transaction; actor names who reported
 * it. KV_ENOTFOUND for an unknown job, KV_ECONFLICT when it is not waiting for print (not yet
 * rendered, or already PRINTED/FAILED). Runs its own transaction. */
int kv_print_mark(struct kv_db *db, int64_t job_id, int printed, const char *reason,
                  const char *actor, struct kv_err *err);

/* One pass of the worker at now_ms: renders up to KV_PRINT_BATCH due jobs into a new batch
 * under spool_dir (created when missing) and writes every manifest still missing.
 * *out_rendered (may be NULL) gets how many jobs were rendered. */
int kv_print_render_due(struct kv_store *st, const char *spool_dir, int64_t now_ms,
                        int *out_rendered, struct kv_err *err);

/* Scheduler hook (arg: struct kv_hub *): kv_print_render_due into DATA/print. */
int kv_print_hook(void *hub_arg);

#endif

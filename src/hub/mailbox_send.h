/* SPDX-License-Identifier: MIT
 *
 * mailbox_send.h: letters that citizens (CPR) and companies (CVR) write to authorities through
 * the mailbox API (docs/mailbox-api.md, "Writing to authorities"):
 *   new    a letter to a contact point that is active and visible to the writer's audience
 *          (citizen for CPR, company for CVR), within the point's limits
 *          (allowedNumberOfAttachments, memoSizeThresholdMB counted on decoded file bytes with
 *          MB = 1,000,000 bytes);
 *   reply  an answer to a letter in the writer's mailbox whose header has reply=true, before
 *          its replyByDateTime, to the original Sender organisation (its Sender/ContactPoint
 *          when that point is active, else its default recipient system), with ReplyData
 *          pointing at the original.
 * The hub builds a MeMo 1.2 (fresh messageUUID v4, messageID = messageUUID, Sender = the
 * writer, Recipient = the organisation with ContactPoint when one is used, the text as the
 * MainDocument's text/plain file "brev.txt", one AdditionalDocument per attachment), checks it
 * with kv_memo_check at NgDP level, and stores it through the send pipeline's durable path
 * (the group-commit writer: the answer comes after COMMIT) with letters.sender_mailbox_id set,
 * sender_system '' and no receipt row; the pipeline routes it to the recipient system
 * (kv_recipient_pick + kv_recipient_queue_to, recipient_queue.h) and it is listed in the
 * writer's "sent" folder (mailbox_view.h). Events as for a system's letter
 * (MEMO_SEND_RECEIVED, MEMO_SEND_VALIDATED, MEMO_AVAILABLE_TO_RECIPIENT), actor
 * "cpr:<n>"/"cvr:<n>".
 *
 * Outcome: 0 with *out filled (release with kv_mbox_sent_release) when the letter is stored;
 * a refusal's KV_E* kind with *refusal set (codes in docs/mailbox-api.md: KV_EINVAL for a
 * letter that breaks a rule or a point's attachment limit, KV_ETOOBIG over a size limit,
 * KV_EPERM when the writer's mailbox is not registered, KV_ENOTFOUND for an unknown point or
 * letter, KV_ECONFLICT when the letter cannot go: not reachable, replies not allowed or too
 * late); any other negative code when it could not run at all (err set, *refusal empty).
 * Which HTTP answer each becomes is the API's business (api/mailbox_send.c).
 *
 * Ownership: everything passed in is borrowed for the duration of the call; *out and
 * *refusal are the caller's (released by it).
 */
#ifndef KV_HUB_MAILBOX_SEND_H
#define KV_HUB_MAILBOX_SEND_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"
#include "util/problem.h"

struct kv_db;
struct kv_hub;
struct kv_mbox_owner;
struct kv_memo_forward_data;

#define KV_MBOX_SEND_LABEL_MAX 256          /* label, in UTF-8 characters */
#define KV_MBOX_SEND_TEXT_MAX 1000000       /* text of the main document, bytes */
#define KV_MBOX_SEND_ATTACH_MAX 100         /* attachments in one request (NgDP allows 10) */
#define KV_MBOX_SEND_FILENAME_MAX 255       /* attachment file name, bytes */
#define KV_MBOX_SEND_DECODED_MAX 100000000  /* decoded bytes of all files (largest point limit) */
#define KV_MBOX_SEND_MB 1000000             /* memoSizeThresholdMB unit, bytes */
#define KV_MBOX_SEND_REQUEST_SLACK 1048576  /* JSON around files and text in a request, bytes */

/* One attachment: becomes an AdditionalDocument with one File. */
struct kv_mbox_attachment {
    const char *filename;       /* borrowed file name */
    const char *mime;           /* borrowed MIME type, or NULL: guessed from the extension */
    const unsigned char *data;  /* borrowed decoded bytes */
    size_t len;                 /* bytes in data */
};

/* What the writer wrote. */
struct kv_mbox_draft {
    const char *label;                     /* borrowed title; NULL for a reply: "Re: <orig>" */
    const char *text;                      /* borrowed UTF-8 text of the main document */
    size_t text_len;                       /* bytes in text */
    const struct kv_mbox_attachment *att;  /* borrowed array */
    size_t n_att;                          /* entries in att */
    const struct kv_memo_forward_data *forward; /* borrowed MeMo ForwardData of a forwarded
                                                   letter (copied into it), or NULL */
};

/* A letter that was stored. */
struct kv_mbox_sent {
    char uuid[37];           /* messageUUID (also its messageID) */
    char *label;             /* owned title as stored */
    size_t size;             /* bytes of the MeMo */
    int64_t created_ms;      /* when it was stored */
    char org[9];             /* recipient organisation's CVR */
    char org_label[257];     /* its name */
    char point_id[37];       /* contact point used, "" for the default recipient system */
    char in_reply_to[37];    /* messageUUID of the letter answered, "" for a new letter */
};

/* Frees what s owns; idempotent. */
void kv_mbox_sent_release(struct kv_mbox_sent *s);

/* A contact point as a writer sees it before writing (the limits a form shows). */
struct kv_mbox_point {
    char id[37];           /* contact point id (lower-case UUID) */
    char org[9];           /* its organisation's CVR */
    char org_label[257];   /* the organisation's name */
    char name[257];        /* the point's name */
    int64_t max_mb;        /* memoSizeThresholdMB (MB = KV_MBOX_SEND_MB bytes of decoded files,
                              the text included); 0 = none, KV_MBOX_SEND_DECODED_MAX applies */
    int64_t max_att;       /* allowedNumberOfAttachments */
};

/* Contact point point_id when it is active and open to owner's audience (citizen for CPR,
 * company for CVR), as kv_mbox_send_new finds it: 0 with *out filled, or KV_ENOTFOUND. */
int kv_mbox_send_point(struct kv_db *db, const struct kv_mbox_owner *owner,
                       const char *point_id, struct kv_mbox_point *out, struct kv_err *err);

/* A new letter from owner to contact point point_id. */
int kv_mbox_send_new(struct kv_hub *hub, const struct kv_mbox_owner *owner,
                     const char *point_id, const struct kv_mbox_draft *d,
                     struct kv_mbox_sent *out, struct kv_problem *refusal, struct kv_err *err);

/* A letter from owner to another Digital Post recipient's mailbox (a forwarded letter,
 * hub/mailbox_forward.h): recipient_type "CPR" (10 digits) or "CVR" (8 digits). Refused only
 * for what the writer typed or is: KV_EINVAL for a malformed number (RECIPIENT_INVALID) or
 * owner's own mailbox (RECIPIENT_IS_SENDER), KV_EPERM when owner's mailbox is not registered.
 * Whether the number has an open mailbox is NOT part of the answer: the letter is stored and
 * in owner's "sent" (0, *out filled) for every well-formed number, so the answer cannot be
 * used to learn who has Digital Post (docs/mailbox-web.md). The store delivers it to a
 * registered mailbox (MEMO_AVAILABLE_TO_RECIPIENT); to none, a closed or an exempt one it is
 * kept with state NOT_ALLOWED (errorCode RECIPIENT_UNKNOWN, RECIPIENT_MAILBOX_CLOSED,
 * RECIPIENT_EXEMPT; MEMO_SEND_NOT_ALLOWED in the event log) -- never printed. No contact
 * point, so no point limits: the MeMo's own size limit applies. It goes to the CVR's mailbox
 * even when that CVR is an authority with a recipient system (the letter is marked for the
 * mailbox, kv_letter.to_mailbox, so the store does not route it there; an authority is
 * reached through a contact point, kv_mbox_send_new). */
int kv_mbox_send_person(struct kv_hub *hub, const struct kv_mbox_owner *owner,
                        const char *recipient_type, const char *recipient_id,
                        const struct kv_mbox_draft *d, struct kv_mbox_sent *out,
                        struct kv_problem *refusal, struct kv_err *err);

/* A reply from owner to the letter uuid in owner's mailbox. */
int kv_mbox_send_reply(struct kv_hub *hub, const struct kv_mbox_owner *owner, const char *uuid,
                       const struct kv_mbox_draft *d, struct kv_mbox_sent *out,
                       struct kv_problem *refusal, struct kv_err *err);

/* The size a request may have before it is parsed. A contact point's limit (max_mb MB of
 * decoded file bytes, the text included; 0 = KV_MBOX_SEND_DECODED_MAX) bounds the JSON that
 * can carry such a letter: base64 of the files, the text escaped at worst, plus
 * KV_MBOX_SEND_REQUEST_SLACK. kv_mbox_send_request_max computes it; kv_mbox_send_body_max
 * finds the limit of where a letter goes: contact point point_id (as open to owner's
 * audience) for a new letter, or where a reply to letter reply_uuid goes; with neither (a new
 * letter whose point is not known yet) the largest limit of the points open to the owner's
 * audience. When the target is unknown or unreachable (the send itself refuses that, with its reason) *out_max is the
 * largest any point accepts. *out_max_mb (may be NULL) gets the point's limit, 0 when none
 * applies. The API refuses a larger body with 413 CONTACT_POINT_SIZE_LIMIT before parsing it
 * (api/mailbox_send.c); the exact check on decoded bytes still runs when storing. */
uint64_t kv_mbox_send_request_max(int64_t max_mb);
int kv_mbox_send_body_max(struct kv_hub *hub, const struct kv_mbox_owner *owner,
                          const char *point_id, const char *reply_uuid, uint64_t *out_max,
                          int64_t *out_max_mb, struct kv_err *err);

#endif

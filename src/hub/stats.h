/* SPDX-License-Identifier: MIT
 *
 * stats.h: usage statistics (Anvendelsesstatistik, issue 11 item 9) as aggregate rows kept up
 * to date while letters flow (migration 032). The send path adds the letters of one group
 * commit with ONE upsert into stats_letters per distinct row key (struct kv_stats_batch,
 * written inside the letters' transaction); recipient deliveries add one upsert into
 * stats_deliveries per push attempt or pull fetch. Reading a
 * period never touches the letters table: it sums at most (days x dimension combinations)
 * aggregate rows.
 *
 * The two views of NgDP's statistics API (docs/administrativ-adgang.md):
 *   - overview (EventViewOverview): one row per day and per combination of the dimensions
 *     grouped by (sender, recipient, senderSystemId, recipientSystemId, senderType,
 *     recipientType, sizeRange, typeOfMessage, recipientContactPoint); a dimension not
 *     grouped by collapses into count and is "";
 *   - MeMo usage (EventViewMemoUsage): per sender system and recipient type, how many letters
 *     used each part of MeMo's data markup.
 * An organisation sees the rows it sent (as Sender) and the rows it received (recipient CVR).
 * Only authorities are named as sender or recipient; citizens and companies are counted by
 * type, never one by one (privacy, and the rows stay few: about days x systems x types x
 * sizes x the authorities and contact points written to).
 * Days are Copenhagen calendar days, numbered as days since 1970-01-01.
 *
 * Ownership: rows handed to a callback are borrowed for the call.
 */
#ifndef KV_HUB_STATS_H
#define KV_HUB_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct kv_db;

/* MeMo markup a letter uses (struct kv_letter.memo_flags; set by kv_letter_prepare). */
#define KV_MEMO_USES_CUSTOM_NOTIFICATION 0x001u            /* MessageHeader/notification */
#define KV_MEMO_USES_CUSTOM_ADDITIONAL_NOTIFICATION 0x002u /* additionalNotification */
#define KV_MEMO_USES_ACTIONS 0x004u                        /* an Action in a document */
#define KV_MEMO_USES_RECIPIENT_LABEL 0x008u                /* Recipient/label */
#define KV_MEMO_USES_RECIPIENT_ATTENTION 0x010u            /* Recipient/AttentionData */
#define KV_MEMO_USES_SENDER_ATTENTION 0x020u               /* Sender/AttentionData */
#define KV_MEMO_USES_REPLY 0x040u                          /* reply = true */
#define KV_MEMO_USES_REPLY_DATA 0x080u                     /* ReplyData */
#define KV_MEMO_USES_CONTENT_DATA 0x100u                   /* ContentData */
#define KV_MEMO_USES_SENDER_CONTENT_RESPONSIBLE 0x200u     /* Sender/AttentionData/
                                                              ContentResponsible */

/* One stored letter as the statistics count it (strings borrowed; NULL or "" = none). */
struct kv_stats_letter {
    int64_t time_ms;              /* when it was stored */
    const char *sender;           /* Sender CVR of an authority, else NULL */
    const char *sender_type;      /* AUTHORITY | CITIZEN | COMPANY */
    const char *sender_system;
    const char *recipient_cvr;    /* CVR of an authority recipient, else NULL */
    const char *recipient_type;   /* CITIZEN | COMPANY | AUTHORITY */
    const char *recipient_system; /* an authority's recipient system */
    const char *contact_point;
    const char *message_type;     /* DIGITALPOST | NEMSMS | PHYSICAL_LETTER */
    size_t size;                  /* bytes as submitted */
    unsigned memo_flags;          /* KV_MEMO_USES_* */
};

/* One upsert into stats_letters, inside the caller's transaction. */
int kv_stats_letter_add(struct kv_db *db, const struct kv_stats_letter *l, struct kv_err *err);

/* Letters summed in memory per stats_letters row key (day and the nine dimensions), written
 * by kv_stats_batch_flush with one upsert per key: a group commit of letters to one
 * recipient type from one system is one statement instead of one per letter. The figures
 * are the same as one kv_stats_letter_add per letter, provided the flush runs in the
 * transaction that stores the letters added (then they are counted exactly when stored).
 * Zero-initialise; the batch owns copies of the strings it is given. */
struct kv_stats_batch_entry;
struct kv_stats_batch {
    struct kv_stats_batch_entry *e; /* owned, n entries used of cap */
    size_t n, cap;
};

/* Adds one letter (no database access). */
void kv_stats_batch_add(struct kv_stats_batch *b, const struct kv_stats_letter *l);
/* Writes the sums, one upsert per key, inside the caller's transaction, and empties b (also
 * on error: the caller rolls the transaction back). 0 or a store error. */
int kv_stats_batch_flush(struct kv_db *db, struct kv_stats_batch *b, struct kv_err *err);
/* Empties b without writing (its letters were rolled back); frees what it holds. */
void kv_stats_batch_reset(struct kv_stats_batch *b);

/* One upsert into stats_deliveries for recipient system_id at time_ms, inside the caller's
 * transaction: ok 1 = delivered (push accepted, pull fetched), 0 = a failed push attempt. */
int kv_stats_delivery_add(struct kv_db *db, const char *system_id, int64_t time_ms, int ok,
                          struct kv_err *err);

/* The Copenhagen calendar day of ms (days since 1970-01-01), and "YYYY-MM-DD" of a day. */
int64_t kv_stats_day(int64_t ms);
void kv_stats_day_format(int64_t day, char out[11]);
/* Parses "YYYY-MM-DD" (a real date, 1970..9999) into a day. 0 or KV_EINVAL. */
int kv_stats_day_parse(const char *s, int64_t *out_day);

/* The overview's dimensions, to group by (bits of kv_stats_query.group). */
enum {
    KV_STATS_G_DAY = 1 << 0,
    KV_STATS_G_SENDER = 1 << 1,
    KV_STATS_G_RECIPIENT = 1 << 2,
    KV_STATS_G_SENDER_SYSTEM = 1 << 3,
    KV_STATS_G_RECIPIENT_SYSTEM = 1 << 4,
    KV_STATS_G_SENDER_TYPE = 1 << 5,
    KV_STATS_G_RECIPIENT_TYPE = 1 << 6,
    KV_STATS_G_SIZE = 1 << 7,
    KV_STATS_G_MESSAGE_TYPE = 1 << 8,
    KV_STATS_G_CONTACT_POINT = 1 << 9,
    KV_STATS_G_ALL = (1 << 10) - 1,
};

/* Which letters of the organisation: those it sent, those it received, or both. */
enum kv_stats_dir { KV_STATS_BOTH = 0, KV_STATS_SENT = 1, KV_STATS_RECEIVED = 2 };

struct kv_stats_query {
    const char *org;       /* the organisation's CVR */
    enum kv_stats_dir dir;
    int64_t from_day;      /* inclusive */
    int64_t to_day;        /* inclusive */
    unsigned group;        /* KV_STATS_G_* bits */
};

/* One overview row. Collapsed dimensions are "" (day: -1). System and contact point names
 * are filled when the row names one ("" when unknown). */
struct kv_stats_row {
    int64_t day;
    int64_t count;
    const char *sender, *recipient, *sender_system, *sender_system_name, *recipient_system,
        *recipient_system_name, *sender_type, *recipient_type, *size_range, *message_type,
        *contact_point, *contact_point_name;
};

/* Calls fn for each overview row (ordered by day, then the dimensions); fn returning
 * non-zero stops (that value is returned). KV_EINVAL when the period is reversed or longer
 * than KV_STATS_MAX_DAYS. */
#define KV_STATS_MAX_DAYS 1100
int kv_stats_overview(struct kv_db *db, const struct kv_stats_query *q,
                      int (*fn)(void *arg, const struct kv_stats_row *r), void *arg,
                      struct kv_err *err);

/* One MeMo usage row: the organisation's letters per sender system and recipient type. */
struct kv_stats_memo_row {
    const char *sender, *sender_name, *sender_system, *sender_system_name, *recipient_type;
    int64_t total, custom_notification, custom_additional_notification, standard_notification,
        has_actions, has_recipient_label, has_recipient_attention, has_sender_attention,
        is_replyable, has_reply_data, has_content_data, has_sender_content_responsible;
};

/* Calls fn for each MeMo usage row of the letters q->org sent in the period (q->dir and
 * q->group are ignored). */
int kv_stats_memo_usage(struct kv_db *db, const struct kv_stats_query *q,
                        int (*fn)(void *arg, const struct kv_stats_memo_row *r), void *arg,
                        struct kv_err *err);

/* Delivery figures of the organisation's recipient systems in the period, one call per
 * system that has any. */
struct kv_stats_delivery_row {
    const char *system_id, *system_name;
    int64_t delivered, failed;
};
int kv_stats_deliveries(struct kv_db *db, const struct kv_stats_query *q,
                        int (*fn)(void *arg, const struct kv_stats_delivery_row *r), void *arg,
                        struct kv_err *err);

/* The size range a letter of size bytes counts in ("0-100KB", "100KB-1MB", "1-10MB",
 * "10-40MB", "40-60MB", "60MB+"). Static string. */
const char *kv_stats_size_range(size_t size);

#endif

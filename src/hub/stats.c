/* SPDX-License-Identifier: MIT
 *
 * stats.c: usage statistics as aggregate rows (see stats.h and migration 032). Writing is one
 * upsert per row key of a batch of letters (stats_letters) or per delivery outcome
 * (stats_deliveries), into the slot the column's default gives (migration 056: one slot on
 * SQLite, the session's own on PostgreSQL, so concurrent writers of one key do not wait on
 * one row); reading sums
 * the rows of a period, one statement per direction and grouping (a dimension not grouped by
 * reads as '' and so collapses). Systems of another
 * organisation are shown by name only, as in the event log.
 */
#include "hub/stats.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define MS_PER_DAY 86400000LL

static const char SQL_ADD[] =
    "INSERT INTO stats_letters (sender, day, recipient, sender_system, recipient_system,"
    " sender_type, recipient_type, size_range, message_type, contact_point, n,"
    " custom_notification, custom_additional_notification, has_actions, has_recipient_label,"
    " has_recipient_attention, has_sender_attention, is_replyable, has_reply_data,"
    " has_content_data, has_sender_content_responsible)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?21, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
    " ?18, ?19, ?20)"
    " ON CONFLICT (sender, day, recipient, sender_system, recipient_system, sender_type,"
    " recipient_type, size_range, message_type, contact_point, slot) DO UPDATE SET"
    " n = stats_letters.n + excluded.n,"
    " custom_notification = stats_letters.custom_notification + excluded.custom_notification,"
    " custom_additional_notification = stats_letters.custom_additional_notification"
    " + excluded.custom_additional_notification,"
    " has_actions = stats_letters.has_actions + excluded.has_actions,"
    " has_recipient_label = stats_letters.has_recipient_label + excluded.has_recipient_label,"
    " has_recipient_attention = stats_letters.has_recipient_attention"
    " + excluded.has_recipient_attention,"
    " has_sender_attention = stats_letters.has_sender_attention + excluded.has_sender_attention,"
    " is_replyable = stats_letters.is_replyable + excluded.is_replyable,"
    " has_reply_data = stats_letters.has_reply_data + excluded.has_reply_data,"
    " has_content_data = stats_letters.has_content_data + excluded.has_content_data,"
    " has_sender_content_responsible = stats_letters.has_sender_content_responsible"
    " + excluded.has_sender_content_responsible";

static const char SQL_DELIVERY[] =
    "INSERT INTO stats_deliveries (system_id, day, delivered, failed) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (system_id, day, slot) DO UPDATE SET"
    " delivered = stats_deliveries.delivered + excluded.delivered,"
    " failed = stats_deliveries.failed + excluded.failed";

/* The overview's statements, one per direction and grouping, built on first use and kept
 * for the life of the process (the store caches statements by the address of their text).
 * A grouped dimension is its plain column, so with the Sender's key (sender, day, ...) the
 * per-day figures stream in key order; a collapsed one reads ''. ?1 org, ?2..?3 days. */
static const char *const DIM_COLS[] = {"sender",         "recipient",      "sender_system",
                                       "recipient_system", "sender_type",  "recipient_type",
                                       "size_range",     "message_type",   "contact_point"};
static const char *const DIR_FROM[3] = {
    "(SELECT * FROM stats_letters WHERE sender = ?1 AND day >= ?2 AND day <= ?3 UNION ALL"
    " SELECT * FROM stats_letters WHERE recipient = ?1 AND sender <> ?1 AND day >= ?2"
    " AND day <= ?3) b",
    "stats_letters WHERE sender = ?1 AND day >= ?2 AND day <= ?3",
    "stats_letters WHERE recipient = ?1 AND day >= ?2 AND day <= ?3"};
static char *SQL_OVERVIEW[3][KV_STATS_G_ALL + 1];
static pthread_mutex_t sql_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *overview_sql(enum kv_stats_dir dir, unsigned group)
{
    struct kv_buf b;
    const char *sql;
    size_t i;
    int any = 0;

    group &= KV_STATS_G_ALL;
    pthread_mutex_lock(&sql_lock);
    sql = SQL_OVERVIEW[dir][group];
    if (sql)
        goto out;
    kv_buf_init(&b, 8192);
    kv_buf_printf(&b, "SELECT x.d, x.c, x.s, x.r, x.ss, (SELECT org_cvr FROM systems WHERE id = "
                      "x.ss), (SELECT name FROM systems WHERE id = x.ss), x.rs, (SELECT org_cvr "
                      "FROM systems WHERE id = x.rs), (SELECT name FROM systems WHERE id = "
                      "x.rs), x.st, x.rt, x.sz, x.mt, x.cp, (SELECT name FROM contact_points "
                      "WHERE id = x.cp) FROM (SELECT %s AS d, SUM(n) AS c",
                  (group & KV_STATS_G_DAY) ? "day" : "-1");
    {
        static const char *const AS[] = {"s", "r", "ss", "rs", "st", "rt", "sz", "mt", "cp"};
        for (i = 0; i < 9; i++)
            kv_buf_printf(&b, ", %s AS %s", (group & (2u << i)) ? DIM_COLS[i] : "''", AS[i]);
    }
    kv_buf_printf(&b, " FROM %s", DIR_FROM[dir]);
    if (group & KV_STATS_G_DAY) {
        kv_buf_puts(&b, " GROUP BY day");
        any = 1;
    }
    for (i = 0; i < 9; i++)
        if (group & (2u << i)) {
            kv_buf_printf(&b, "%s%s", any ? ", " : " GROUP BY ", DIM_COLS[i]);
            any = 1;
        }
    if (!any)
        kv_buf_puts(&b, " HAVING COUNT(*) > 0");
    kv_buf_puts(&b, ") x ORDER BY x.d, x.s, x.r, x.ss, x.rs, x.st, x.rt, x.sz, x.mt, x.cp");
    SQL_OVERVIEW[dir][group] = kv_buf_detach(&b, NULL);
    sql = SQL_OVERVIEW[dir][group];
out:
    pthread_mutex_unlock(&sql_lock);
    return sql;
}

static const char SQL_MEMO[] =
    "SELECT x.sender, (SELECT name FROM orgs WHERE cvr = x.sender), x.ss,"
    " (SELECT name FROM systems WHERE id = x.ss), x.rt, x.t, x.cn, x.can, x.ha, x.hrl, x.hra,"
    " x.hsa, x.ir, x.hrd, x.hcd, x.hscr"
    " FROM (SELECT sender, sender_system AS ss, recipient_type AS rt, SUM(n) AS t,"
    " SUM(custom_notification) AS cn, SUM(custom_additional_notification) AS can,"
    " SUM(has_actions) AS ha, SUM(has_recipient_label) AS hrl,"
    " SUM(has_recipient_attention) AS hra, SUM(has_sender_attention) AS hsa,"
    " SUM(is_replyable) AS ir, SUM(has_reply_data) AS hrd, SUM(has_content_data) AS hcd,"
    " SUM(has_sender_content_responsible) AS hscr"
    " FROM stats_letters WHERE sender = ?1 AND day >= ?2 AND day <= ?3"
    " GROUP BY sender, sender_system, recipient_type) x ORDER BY x.ss, x.rt";

static const char SQL_DELIVERIES[] =
    "SELECT d.system_id, s.name, SUM(d.delivered), SUM(d.failed) FROM stats_deliveries d"
    " JOIN systems s ON s.id = d.system_id WHERE s.org_cvr = ?1 AND d.day >= ?2 AND d.day <= ?3"
    " GROUP BY d.system_id, s.name ORDER BY s.name, d.system_id";

const char *kv_stats_size_range(size_t size)
{
    if (size < 100u * 1024)
        return "0-100KB";
    if (size < 1024u * 1024)
        return "100KB-1MB";
    if (size < 10u * 1024 * 1024)
        return "1-10MB";
    if (size < 40u * 1024 * 1024)
        return "10-40MB";
    if (size < 60u * 1024 * 1024)
        return "40-60MB";
    return "60MB+";
}

int64_t kv_stats_day(int64_t ms)
{
    /* Copenhagen is UTC+1 or +2: the UTC day of ms + 2 h is the local day or the next. */
    int64_t day = (ms + 2 * 3600000LL) / MS_PER_DAY;
    time_t t;
    struct tm tm;

    if (ms + 2 * 3600000LL < 0)
        day = (ms + 2 * 3600000LL - MS_PER_DAY + 1) / MS_PER_DAY;
    t = (time_t)(day * 86400);
    if (!gmtime_r(&t, &tm))
        return day;
    if (ms < kv_clock_copenhagen_midnight_ms(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday))
        day--;
    return day;
}

void kv_stats_day_format(int64_t day, char out[11])
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;

    if (!gmtime_r(&t, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) == 0)
        snprintf(out, 11, "?");
}

int kv_stats_day_parse(const char *s, int64_t *out_day)
{
    struct tm tm;
    int y, m, d, i;
    time_t t;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return KV_EINVAL;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return KV_EINVAL;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
        (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return KV_EINVAL;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return KV_EINVAL;
    *out_day = (int64_t)t / 86400;
    return 0;
}

#define N_FLAGS 10 /* the KV_MEMO_USES_* bits, in the column order of SQL_ADD */

/* One stats_letters row key and the sums added to it. */
struct kv_stats_batch_entry {
    int64_t day;
    char *dim[9]; /* owned: SQL_ADD's ?1 and ?3..?10 ("" for none) */
    int64_t n, flags[N_FLAGS];
};

static const unsigned FLAG_BITS[N_FLAGS] = {
    KV_MEMO_USES_CUSTOM_NOTIFICATION, KV_MEMO_USES_CUSTOM_ADDITIONAL_NOTIFICATION,
    KV_MEMO_USES_ACTIONS,             KV_MEMO_USES_RECIPIENT_LABEL,
    KV_MEMO_USES_RECIPIENT_ATTENTION, KV_MEMO_USES_SENDER_ATTENTION,
    KV_MEMO_USES_REPLY,               KV_MEMO_USES_REPLY_DATA,
    KV_MEMO_USES_CONTENT_DATA,        KV_MEMO_USES_SENDER_CONTENT_RESPONSIBLE,
};

/* The nine dimension strings of l, in the order of entry.dim. */
static void letter_dims(const struct kv_stats_letter *l, const char *d[9])
{
    d[0] = l->sender;
    d[1] = l->recipient_cvr;
    d[2] = l->sender_system;
    d[3] = l->recipient_system;
    d[4] = l->sender_type;
    d[5] = l->recipient_type;
    d[6] = kv_stats_size_range(l->size);
    d[7] = l->message_type;
    d[8] = l->contact_point;
    for (int i = 0; i < 9; i++)
        if (!d[i])
            d[i] = "";
}

static int write_entry(struct kv_db *db, const struct kv_stats_batch_entry *e, struct kv_err *err)
{
    struct kv_stmt *s;
    int i, rc = kv_db_prepare(db, SQL_ADD, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, e->dim[0], -1);
    kv_stmt_bind_int64(s, 2, e->day);
    for (i = 1; i < 9; i++)
        kv_stmt_bind_text(s, 2 + i, e->dim[i], -1);
    for (i = 0; i < N_FLAGS; i++)
        kv_stmt_bind_int64(s, 11 + i, e->flags[i]);
    kv_stmt_bind_int64(s, 21, e->n);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

void kv_stats_batch_add(struct kv_stats_batch *b, const struct kv_stats_letter *l)
{
    struct kv_stats_batch_entry *e = NULL;
    const char *d[9];
    int64_t day = kv_stats_day(l->time_ms);
    size_t k;
    int i;

    letter_dims(l, d);
    for (k = 0; k < b->n && !e; k++) {
        e = &b->e[k];
        if (e->day != day)
            e = NULL;
        for (i = 0; e && i < 9; i++)
            if (strcmp(e->dim[i], d[i]) != 0)
                e = NULL;
    }
    if (!e) {
        if (b->n == b->cap) {
            b->cap = b->cap ? 2 * b->cap : 4;
            b->e = kv_xrealloc(b->e, b->cap * sizeof(*b->e));
        }
        e = &b->e[b->n++];
        memset(e, 0, sizeof(*e));
        e->day = day;
        for (i = 0; i < 9; i++)
            e->dim[i] = kv_xstrdup(d[i]);
    }
    e->n++;
    for (i = 0; i < N_FLAGS; i++)
        e->flags[i] += (l->memo_flags & FLAG_BITS[i]) ? 1 : 0;
}

void kv_stats_batch_reset(struct kv_stats_batch *b)
{
    for (size_t k = 0; k < b->n; k++)
        for (int i = 0; i < 9; i++)
            free(b->e[k].dim[i]);
    free(b->e);
    memset(b, 0, sizeof(*b));
}

/* qsort order of entries: by day, then the dimensions (see kv_stats_batch_flush). */
static int entry_cmp(const void *pa, const void *pb)
{
    const struct kv_stats_batch_entry *a = pa, *b = pb;
    int c = 0;

    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    for (int i = 0; i < 9 && c == 0; i++)
        c = strcmp(a->dim[i], b->dim[i]);
    return c;
}

int kv_stats_batch_flush(struct kv_db *db, struct kv_stats_batch *b, struct kv_err *err)
{
    int rc = 0;

    /* in key order: concurrent writers (PostgreSQL) take the rows' locks in one order, so
     * their flushes cannot deadlock on each other */
    if (b->n > 1)
        qsort(b->e, b->n, sizeof(*b->e), entry_cmp);
    for (size_t k = 0; k < b->n && rc == 0; k++)
        rc = write_entry(db, &b->e[k], err);
    kv_stats_batch_reset(b);
    return rc;
}

int kv_stats_letter_add(struct kv_db *db, const struct kv_stats_letter *l, struct kv_err *err)
{
    struct kv_stats_batch b = {0};

    kv_stats_batch_add(&b, l);
    return kv_stats_batch_flush(db, &b, err);
}

int kv_stats_delivery_add(struct kv_db *db, const char *system_id, int64_t time_ms, int ok,
                          struct kv_err *err)
{
    struct kv_stmt *s;
    int rc = kv_db_prepare(db, SQL_DELIVERY, &s, err);

    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, system_id, -1);
    kv_stmt_bind_int64(s, 2, kv_stats_day(time_ms));
    kv_stmt_bind_int64(s, 3, ok ? 1 : 0);
    kv_stmt_bind_int64(s, 4, ok ? 0 : 1);
    rc = kv_stmt_step(s, err);
    kv_stmt_done(s);
    return rc < 0 ? rc : 0;
}

static int check_period(const struct kv_stats_query *q, struct kv_err *err)
{
    if (!q->org || !q->org[0])
        return kv_err_set(err, KV_EINVAL, "no organisation");
    if (q->to_day < q->from_day)
        return kv_err_set(err, KV_EINVAL, "the period ends before it starts");
    if (q->to_day - q->from_day + 1 > KV_STATS_MAX_DAYS)
        return kv_err_set(err, KV_EINVAL, "the period is longer than %d days", KV_STATS_MAX_DAYS);
    return 0;
}

static const char *text_or_empty(struct kv_stmt *s, int col)
{
    const char *v = kv_stmt_col_text(s, col);
    return v ? v : "";
}

/* Runs sql over q's organisation and period (?1 org, ?2 from_day, ?3 to_day, after
 * check_period), calling row(s, ctx) for each result row until one returns nonzero. Returns
 * that value (the caller's stop), 0 at the end, or a negative error. */
static int each_row(struct kv_db *db, const char *sql, const struct kv_stats_query *q,
                    int (*row)(struct kv_stmt *s, void *ctx), void *ctx, struct kv_err *err)
{
    struct kv_stmt *s;
    int rc, stop = 0;

    rc = kv_db_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    kv_stmt_bind_text(s, 1, q->org, -1);
    kv_stmt_bind_int64(s, 2, q->from_day);
    kv_stmt_bind_int64(s, 3, q->to_day);
    while ((rc = kv_stmt_step(s, err)) == KV_ROW) {
        stop = row(s, ctx);
        if (stop)
            break;
    }
    kv_stmt_done(s);
    if (rc < 0)
        return rc;
    return stop;
}

struct overview_ctx {
    const struct kv_stats_query *q;
    int (*fn)(void *arg, const struct kv_stats_row *r);
    void *arg;
};

static int overview_row(struct kv_stmt *s, void *ctx)
{
    const struct overview_ctx *c = ctx;
    struct kv_stats_row r;
    int own_ss = strcmp(text_or_empty(s, 5), c->q->org) == 0;
    int own_rs = strcmp(text_or_empty(s, 8), c->q->org) == 0;

    r.day = kv_stmt_col_int64(s, 0);
    r.count = kv_stmt_col_int64(s, 1);
    r.sender = text_or_empty(s, 2);
    r.recipient = text_or_empty(s, 3);
    r.sender_system = own_ss ? text_or_empty(s, 4) : "";
    r.sender_system_name = text_or_empty(s, 6);
    r.recipient_system = own_rs ? text_or_empty(s, 7) : "";
    r.recipient_system_name = text_or_empty(s, 9);
    r.sender_type = text_or_empty(s, 10);
    r.recipient_type = text_or_empty(s, 11);
    r.size_range = text_or_empty(s, 12);
    r.message_type = text_or_empty(s, 13);
    r.contact_point = text_or_empty(s, 14);
    r.contact_point_name = text_or_empty(s, 15);
    return c->fn(c->arg, &r);
}

int kv_stats_overview(struct kv_db *db, const struct kv_stats_query *q,
                      int (*fn)(void *arg, const struct kv_stats_row *r), void *arg,
                      struct kv_err *err)
{
    struct overview_ctx c = {q, fn, arg};
    const char *sql;
    int rc = check_period(q, err);

    if (rc < 0)
        return rc;
    if ((unsigned)q->dir > KV_STATS_RECEIVED)
        return kv_err_set(err, KV_EINVAL, "bad direction");
    sql = overview_sql(q->dir, q->group);
    if (!sql)
        return kv_err_set(err, KV_ENOMEM, "out of memory");
    return each_row(db, sql, q, overview_row, &c, err);
}

struct memo_ctx {
    int (*fn)(void *arg, const struct kv_stats_memo_row *r);
    void *arg;
};

static int memo_row(struct kv_stmt *s, void *ctx)
{
    const struct memo_ctx *c = ctx;
    struct kv_stats_memo_row r;

    r.sender = text_or_empty(s, 0);
    r.sender_name = text_or_empty(s, 1);
    r.sender_system = text_or_empty(s, 2);
    r.sender_system_name = text_or_empty(s, 3);
    r.recipient_type = text_or_empty(s, 4);
    r.total = kv_stmt_col_int64(s, 5);
    r.custom_notification = kv_stmt_col_int64(s, 6);
    r.custom_additional_notification = kv_stmt_col_int64(s, 7);
    r.standard_notification = r.total - r.custom_notification;
    r.has_actions = kv_stmt_col_int64(s, 8);
    r.has_recipient_label = kv_stmt_col_int64(s, 9);
    r.has_recipient_attention = kv_stmt_col_int64(s, 10);
    r.has_sender_attention = kv_stmt_col_int64(s, 11);
    r.is_replyable = kv_stmt_col_int64(s, 12);
    r.has_reply_data = kv_stmt_col_int64(s, 13);
    r.has_content_data = kv_stmt_col_int64(s, 14);
    r.has_sender_content_responsible = kv_stmt_col_int64(s, 15);
    return c->fn(c->arg, &r);
}

int kv_stats_memo_usage(struct kv_db *db, const struct kv_stats_query *q,
                        int (*fn)(void *arg, const struct kv_stats_memo_row *r), void *arg,
                        struct kv_err *err)
{
    struct memo_ctx c = {fn, arg};
    int rc = check_period(q, err);

    return rc < 0 ? rc : each_row(db, SQL_MEMO, q, memo_row, &c, err);
}

struct delivery_ctx {
    int (*fn)(void *arg, const struct kv_stats_delivery_row *r);
    void *arg;
};

static int delivery_row(struct kv_stmt *s, void *ctx)
{
    const struct delivery_ctx *c = ctx;
    struct kv_stats_delivery_row r;

    r.system_id = text_or_empty(s, 0);
    r.system_name = text_or_empty(s, 1);
    r.delivered = kv_stmt_col_int64(s, 2);
    r.failed = kv_stmt_col_int64(s, 3);
    return c->fn(c->arg, &r);
}

int kv_stats_deliveries(struct kv_db *db, const struct kv_stats_query *q,
                        int (*fn)(void *arg, const struct kv_stats_delivery_row *r), void *arg,
                        struct kv_err *err)
{
    struct delivery_ctx c = {fn, arg};
    int rc = check_period(q, err);

    return rc < 0 ? rc : each_row(db, SQL_DELIVERIES, q, delivery_row, &c, err);
}

/* SPDX-License-Identifier: MIT
 *
 * search_bench.c: the mailbox search by text (hub/mailbox_search.c, the index of migration
 * 017) in a very large mailbox (NOT a test: it prints figures and asserts nothing). A
 * temporary store (SQLite, or the PostgreSQL database of --db URL, whose tables must be
 * empty) gets --letters letters in one citizen's mailbox and --others letters in 1,000
 * other mailboxes, interleaved (one of the mailbox's, then others' in turn, so a posting list
 * of the whole store mixes them as real delivery would). Titles:
 *
 *   the mailbox:  even letters "Faktura nr. <n>", odd ones "Brev om din sag <n>";
 *                 every 200th "Rykker for betaling <n>"; every 100,000th "Bødeforlæg <n>";
 *   the others:   "Faktura Bødeforlæg Årsopgørelse <n>" (every word common there).
 *
 * Then it times --passes times each the first page (20) of the inbox searched for:
 *
 *   common   "faktura": half the mailbox (walks the folder; the page is full at once);
 *   medium   "rykker": 0.5 % of the mailbox (over the probe's cap: walks);
 *   rare     "bødeforlæg": 10 letters of the mailbox, in every other mailbox's letter
 *            (through the index: the other mailboxes' postings are never read);
 *   absent   "årsopgørelse": in no letter of the mailbox, in every other one (index);
 *   short    "ø": one character, in the mailbox's 10 "Bødeforlæg" only (walks at most 5,000
 *            letters and ends the page there);
 *
 * and prints p50/p99/max in ms, the letters on the page, whether it has a next page, and the
 * load average before and after. --rt: the timed part runs with real-time priority
 * (SCHED_FIFO 50, as `chrt -f 50` would; root only; the fill does not), for figures that stand
 * for a quiet machine on a busy one. --pending K (SQLite): the last K letters of the fill are
 * left out of the index as the letter writer leaves its latest letters (letters_search_defer's
 * row put before them, letters.h kv_letters_store_group), so every search also reads them as
 * candidates: a search while letters are being sent.
 *
 *   search_bench [--letters N] [--others M] [--passes P] [--db URL] [--rt] [--pending K]
 */
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "hub/mailbox_view.h"
#include "mailbox_fill.h"
#include "store/store.h"

#define BATCH 20000

static void loadavg(char *out, size_t n)
{
    FILE *f = fopen("/proc/loadavg", "r");

    out[0] = '\0';
    if (f) {
        if (!fgets(out, (int)n, f))
            out[0] = '\0';
        fclose(f);
    }
    out[strcspn(out, " ")] = '\0';
}

static void insert(struct kv_db *db, int64_t seq, int64_t mb, const char *cpr, const char *label,
                   struct kv_err *err)
{
    bench_letter(db, seq, 1700000000000LL + seq * 100, mb, cpr, label, "x", 1, err);
}

/* --pending: at letter number `at` of the fill (none when at is the fill's end), the row that
 * leaves the letters from the next id on out of the index. */
static void defer_at(struct kv_db *db, int64_t seq, int64_t at, struct kv_err *err)
{
    if (seq == at && at >= 0 &&
        kv_db_exec(db, "INSERT INTO letters_search_defer (from_id)"
                       " SELECT COALESCE(MAX(id), 0) + 1 FROM letters", err) < 0)
        bench_die("pending", err);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name, *text;
    } cases[] = {{"common", "faktura"},
                 {"medium", "rykker"},
                 {"rare", "bødeforlæg"},
                 {"absent", "årsopgørelse"},
                 {"short", "ø"}};
    int64_t letters = 1000000, others = 1000000, i, j = 0, seq = 0, mb, boxes[BENCH_OTHER_BOXES];
    int64_t pending = 0;
    int passes = 200, k, c, rt = 0;
    const char *url = NULL;
    struct kv_store *st = NULL;
    struct kv_db *db = NULL;
    struct kv_err err = {0, ""};
    struct kv_mbox_owner owner;
    char dir[] = "/tmp/kuvert-search-bench.XXXXXX", cpr[11], label[96], la0[32], la1[32];
    double *t, tf;

    for (k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--letters") == 0 && k + 1 < argc)
            letters = strtoll(argv[++k], NULL, 10);
        else if (strcmp(argv[k], "--others") == 0 && k + 1 < argc)
            others = strtoll(argv[++k], NULL, 10);
        else if (strcmp(argv[k], "--passes") == 0 && k + 1 < argc)
            passes = atoi(argv[++k]);
        else if (strcmp(argv[k], "--db") == 0 && k + 1 < argc)
            url = argv[++k];
        else if (strcmp(argv[k], "--rt") == 0)
            rt = 1;
        else if (strcmp(argv[k], "--pending") == 0 && k + 1 < argc)
            pending = strtoll(argv[++k], NULL, 10);
        else {
            fprintf(stderr, "usage: search_bench [--letters N] [--others M] [--passes P] "
                            "[--db URL] [--rt] [--pending K]\n");
            return 2;
        }
    }
    if (letters < 100000 || others < 0 || passes < 10 || pending < 0 ||
        pending > letters + others || (pending && url))
        return 2;
    if (!mkdtemp(dir) || kv_store_open_db(dir, url, &st, &err) < 0 ||
        kv_db_acquire(st, &db, &err) < 0)
        bench_die("store", &err);
    tf = bench_ms();
    mb = bench_mailbox(db, BENCH_OWNER, &err);
    for (i = 0; i < BENCH_OTHER_BOXES; i++) {
        snprintf(cpr, sizeof(cpr), "02%08" PRId64, i);
        boxes[i] = bench_mailbox(db, cpr, &err);
    }
    /* interleaved: others/letters of the others after each letter of the mailbox */
    for (i = 0; i < letters; i++) {
        int64_t n_oth = (i + 1) * others / letters - i * others / letters;

        if (i % BATCH == 0 && kv_db_begin(db, &err) < 0)
            bench_die("begin", &err);
        if (i % 100000 == 7)
            snprintf(label, sizeof(label), "Bødeforlæg %" PRId64, i);
        else if (i % 200 == 3)
            snprintf(label, sizeof(label), "Rykker for betaling %" PRId64, i);
        else if (i % 2 == 0)
            snprintf(label, sizeof(label), "Faktura nr. %" PRId64, i);
        else
            snprintf(label, sizeof(label), "Brev om din sag %" PRId64, i);
        defer_at(db, seq, letters + others - pending, &err);
        insert(db, seq++, mb, BENCH_OWNER, label, &err);
        for (; n_oth > 0; n_oth--, j++) {
            snprintf(cpr, sizeof(cpr), "02%08" PRId64, j % BENCH_OTHER_BOXES);
            snprintf(label, sizeof(label), "Faktura Bødeforlæg Årsopgørelse %" PRId64, j);
            defer_at(db, seq, letters + others - pending, &err);
            insert(db, seq++, boxes[j % BENCH_OTHER_BOXES], cpr, label, &err);
        }
        if ((i + 1) % BATCH == 0 || i + 1 == letters) {
            if (kv_db_commit(db, &err) < 0)
                bench_die("commit", &err);
            (void)kv_db_checkpoint(db, KV_CHECKPOINT_PASSIVE, &err);
        }
    }
    if (url)
        (void)kv_db_exec(db, "ANALYZE letters", &err);
    else
        (void)kv_db_checkpoint(db, KV_CHECKPOINT_TRUNCATE, &err);
    printf("search_bench: %s store with %" PRId64 " letters, %" PRId64
           " in one mailbox, interleaved with %" PRId64 " in %d others; filled in %.0f s\n",
           kv_store_backend(st), letters + j, letters, j, BENCH_OTHER_BOXES,
           (bench_ms() - tf) / 1000);
    if (pending)
        printf("  (the last %" PRId64 " letters not indexed yet, as the writer leaves them)\n",
               pending);
    if (rt) {
        struct sched_param sp = {.sched_priority = 50};

        if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
            fprintf(stderr, "search_bench: --rt: cannot set SCHED_FIFO (not root?)\n");
        else
            printf("  (timed part with SCHED_FIFO priority 50)\n");
    }
    memset(&owner, 0, sizeof(owner));
    snprintf(owner.type, sizeof(owner.type), "CPR");
    snprintf(owner.id, sizeof(owner.id), BENCH_OWNER);
    t = calloc((size_t)passes, sizeof(*t));
    for (c = 0; c < (int)(sizeof(cases) / sizeof(cases[0])); c++) {
        struct kv_mbox_query q;
        size_t items = 0;
        int more = 0;

        memset(&q, 0, sizeof(q));
        q.folder = "inbox";
        q.unread = -1;
        q.limit = KV_MBOX_LIST_DEFAULT;
        q.text = cases[c].text;
        loadavg(la0, sizeof(la0));
        for (k = 0; k < passes; k++) {
            json_t *list = NULL;
            double t0 = bench_ms();

            if (kv_mbox_list(db, &owner, &q, &list, &err) < 0)
                bench_die("search", &err);
            t[k] = bench_ms() - t0;
            items = json_array_size(json_object_get(list, "items"));
            more = json_is_string(json_object_get(list, "nextCursor"));
            json_decref(list);
        }
        loadavg(la1, sizeof(la1));
        qsort(t, (size_t)passes, sizeof(*t), bench_cmp_ms);
        printf("  %-7s %-14s p50 %8.3f ms   p99 %8.3f ms   max %8.3f ms   (%d calls; %zu "
               "letters, next page %s; load %s -> %s)\n",
               cases[c].name, cases[c].text, t[passes / 2], t[(passes * 99) / 100], t[passes - 1],
               passes, items, more ? "yes" : "no", la0, la1);
    }
    free(t);
    kv_db_release(db);
    kv_store_close(st);
    bench_rmdir(dir);
    return 0;
}

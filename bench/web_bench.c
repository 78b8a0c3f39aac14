/* SPDX-License-Identifier: MIT
 *
 * web_bench.c: a portal page under load (NOT a test; it prints figures and asserts nothing).
 * It seeds a data directory with `kuvert demo`, starts `kuvert serve --test-login` on
 * 127.0.0.1, signs in N sessions through the real sign-in form (GET /login for the CSRF token,
 * POST /login/test), then has N threads, one per session and each on its own keep-alive
 * connection, fetch the page for S seconds. It prints pages/s, client-side latency p50/p99,
 * the server's own time per page p50/p99 (from its access log) and the bytes of one page
 * (the HTML; DKFDS assets are cached immutable and not fetched again).
 *
 *   web_bench [--kuvert PATH] [--sessions N] [--seconds S] [--path /post/]
 *             [--data DIR [--db URL] --cpr CPR]
 *   web_bench --suite [--kuvert PATH] --data DIR [--db URL] --cpr CPR [--letters N]
 *             [--requests R] [--rt PRIO]
 *
 * --data runs on that existing data directory (and --db database) instead of a demo one, and
 * signs every session in as CPR: growth.sh times the big mailbox's /post/ this way.
 *
 * --suite (issue 12's page speed, growth.sh at each size): one signed-in session on one
 * keep-alive connection asks, R times each (default 1000) after 10 unmeasured requests, one
 * case after the other: the whole /post/ page for the inbox's first page, an own folder's
 * first page, the inbox's page 2 and page 50 (the links the page itself gives), the
 * flagged-only filter; opening a random letter of the mailbox (/post/brev/{uuid}, which marks
 * an unread letter read: a write) and downloading its file 0; and the mailbox JSON API
 * (Bearer token from `kuvert user token`): the inbox list, its unread filter, and the list
 * of every folder. Random letters are the ones growth_bench fill gave the big mailbox (--letters:
 * how many it loaded). It prints per case the server's own time p50/p99/max from its access
 * log (request read to response sent), the client's p50/p99 and the load average before and
 * after. --rt PRIO runs the server with SCHED_FIFO priority PRIO (as root; chrt -f), so the
 * figure stands for a quiet machine on a shared one; every case is bounded by R requests and
 * 300 s (the count timed is printed).
 *
 * Run from the repository root (bench/run.sh does).
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define MAX_SESSIONS 512
#define CASE_MAX_S 300 /* --suite: a case stops after this long, whatever --requests says */
#define MAX_LAT 2000000

struct sess {
    CURL *c;            /* one keep-alive connection, with the session's cookie jar */
    double *lat;        /* latencies, seconds */
    long n, cap, fail;  /* samples, room, failures */
    size_t bytes;       /* body bytes of the last page */
};

static char base[128];
static const char *page_path = "/post/";
static const char *db_url; /* --db */
static int rt_prio;        /* --rt: SCHED_FIFO priority of the server, 0 = none */
static volatile int stop_flag;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct body {
    char *p;
    size_t n;
};

static size_t on_body(char *d, size_t s, size_t n, void *ud)
{
    struct body *b = ud;
    char *np = realloc(b->p, b->n + s * n + 1);

    if (!np)
        return 0;
    b->p = np;
    memcpy(b->p + b->n, d, s * n);
    b->n += s * n;
    b->p[b->n] = '\0';
    return s * n;
}

/* GET (post NULL) or POST url on s's connection; returns status, body in *b. */
static long request(struct sess *s, const char *path, const char *post, struct body *b)
{
    char url[512];
    long status = 0;

    snprintf(url, sizeof(url), "%s%s", base, path);
    b->n = 0;
    curl_easy_setopt(s->c, CURLOPT_URL, url);
    curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->c, CURLOPT_WRITEDATA, b);
    if (post)
        curl_easy_setopt(s->c, CURLOPT_POSTFIELDS, post);
    else
        curl_easy_setopt(s->c, CURLOPT_HTTPGET, 1L);
    if (curl_easy_perform(s->c) != CURLE_OK)
        return -1;
    curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static int sign_in(struct sess *s, const char *cpr)
{
    struct body b = {NULL, 0};
    char form[256], *v, *e;
    long st;

    s->c = curl_easy_init();
    curl_easy_setopt(s->c, CURLOPT_COOKIEFILE, "");   /* in-memory cookie jar */
    curl_easy_setopt(s->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->c, CURLOPT_TCP_NODELAY, 1L);
    st = request(s, "/login", NULL, &b);
    v = (st == 200 && b.p) ? strstr(b.p, "name=\"csrf\" value=\"") : NULL;
    if (!v) {
        free(b.p);
        return -1;
    }
    v += strlen("name=\"csrf\" value=\"");
    e = strchr(v, '"');
    snprintf(form, sizeof(form), "subject=%s&csrf=%.*s", cpr, (int)(e - v), v);
    st = request(s, "/login/test", form, &b);
    free(b.p);
    return st == 303 ? 0 : -1;
}

static void *client(void *arg)
{
    struct sess *s = arg;
    struct body b = {NULL, 0};
    double t0;
    long st;

    while (!stop_flag) {
        t0 = now_s();
        st = request(s, page_path, NULL, &b);
        if (st != 200) {
            s->fail++;
            continue;
        }
        s->bytes = b.n;
        if (s->n < s->cap)
            s->lat[s->n++] = now_s() - t0;
    }
    free(b.p);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static pid_t start_server(const char *kuvert, const char *dir, const char *log, unsigned *port)
{
    int p[2];
    pid_t pid;
    char line[256], *colon;
    FILE *f;

    if (pipe(p) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        FILE *lf = freopen(log, "w", stderr);
        (void)lf;
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        if (rt_prio > 0) { /* chrt -f PRIO: its threads inherit the policy */
            struct sched_param sp = {.sched_priority = rt_prio};

            if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
                perror("web_bench: sched_setscheduler (--rt needs root)");
                _exit(126);
            }
        }
        if (db_url)
            execl(kuvert, kuvert, "serve", "--data", dir, "--db", db_url, "--listen",
                  "127.0.0.1:0", "--test-login", "--set", "login_rate=100000", (char *)NULL);
        else
            execl(kuvert, kuvert, "serve", "--data", dir, "--listen", "127.0.0.1:0",
                  "--test-login", "--set", "login_rate=100000", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    f = fdopen(p[0], "r");
    if (!f || !fgets(line, sizeof(line), f) || !(colon = strrchr(line, ':'))) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    *port = (unsigned)strtoul(colon + 1, NULL, 10);
    return pid;
}

/* Server time per request of page_path from the access log ("... 200 1234B 0.173ms"). */
static void server_times(const char *log, double *p50, double *p99, long *n)
{
    FILE *f = fopen(log, "r");
    char line[1024], *ms;
    double *v = malloc(sizeof(double) * MAX_LAT);
    long k = 0;

    *p50 = *p99 = 0;
    *n = 0;
    while (f && v && fgets(line, sizeof(line), f) && k < MAX_LAT) {
        char pat[160];
        snprintf(pat, sizeof(pat), " GET %s 200 ", page_path);
        if (!strstr(line, pat) || !(ms = strrchr(line, ' ')))
            continue;
        v[k++] = strtod(ms + 1, NULL) / 1000.0;
    }
    if (f)
        fclose(f);
    if (k > 0) {
        qsort(v, (size_t)k, sizeof(double), cmp_d);
        *p50 = v[k / 2];
        *p99 = v[(long)((double)k * 0.99)];
    }
    *n = k;
    free(v);
}

/* ---- --suite: the cases of issue 12's page speed, one after the other ---- */

enum kind { K_PAGE, K_LETTER, K_FILE, K_API };

struct kase {
    const char *name;
    enum kind kind;
    char path[160]; /* K_PAGE, K_API: the path asked */
};

static double loadavg1(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double v = -1;

    if (f) {
        if (fscanf(f, "%lf", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static long file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? (long)sb.st_size : 0;
}

/* The server times (ms) of the access-log lines from offset on, waiting (up to 10 s) until
 * there are want of them, since a line is written after its response is sent; skips the first
 * skip. Returns how many it put into v (room max); *bad: lines with a status other than 200. */
static long suite_times(const char *log, long offset, long want, long skip, double *v, long max,
                        long *bad)
{
    char line[1024];
    long n = 0, k = 0, tries;

    for (tries = 0; tries < 200; tries++) {
        FILE *f = fopen(log, "r");

        n = k = 0;
        *bad = 0;
        if (f && fseek(f, offset, SEEK_SET) == 0)
            while (fgets(line, sizeof(line), f)) {
                char path[600];
                int status;
                unsigned long long bytes;
                double ms;
                const char *g = strstr(line, " GET ");

                if (!g || sscanf(g + 5, "%599s %d %lluB %lfms", path, &status, &bytes, &ms) != 4)
                    continue;
                if (n++ < skip)
                    continue;
                if (status != 200)
                    (*bad)++;
                else if (k < max)
                    v[k++] = ms;
            }
        if (f)
            fclose(f);
        if (n >= want)
            break;
        usleep(50000);
    }
    return k;
}

/* The 32-hex cursor after "side=" in html, or "" */
static void next_cursor(const char *html, char out[33])
{
    const char *p = html ? strstr(html, "side=") : NULL;

    out[0] = '\0';
    if (p && strspn(p + 5, "0123456789abcdef") >= 32)
        snprintf(out, 33, "%.32s", p + 5);
}

/* The page of growth_bench's letter number i (its file 0 with file): its messageUUID is
 * "<8 hex of i * 2654435761 mod 2^32>-b100-4000-8000-<12 hex of i>" (scatter) or, in a store
 * filled before that, "b1000000-0000-4000-8000-<12 hex of i>". */
static void letter_path(char *out, size_t n, int scatter, long i, int file)
{
    if (scatter)
        snprintf(out, n, "/post/brev/%08" PRIx32 "-b100-4000-8000-%012lx%s",
                 (uint32_t)(((uint64_t)i * 2654435761u) % 4294967296u), i, file ? "/fil/0" : "");
    else
        snprintf(out, n, "/post/brev/b1000000-0000-4000-8000-%012lx%s", i, file ? "/fil/0" : "");
}

static int suite(const char *kuvert, const char *data, const char *cpr, long letters,
                 long requests, const char *log)
{
    struct kase cases[] = {
        {"inbox, first page", K_PAGE, "/post/"},
        {"own folder, first page", K_PAGE, ""},
        {"inbox, page 2", K_PAGE, ""},
        {"inbox, page 50", K_PAGE, ""},
        {"inbox, flagged only", K_PAGE, "/post/?mappe=inbox&markeret=1"},
        {"open a letter", K_LETTER, ""},
        {"download its file 0", K_FILE, ""},
        {"API list, inbox", K_API, "/api/mailbox/messages?folder=inbox"},
        {"API list, inbox unread", K_API, "/api/mailbox/messages?folder=inbox&unread=true"},
        {"API list, all folders", K_API, "/api/mailbox/messages"},
    };
    const long warm = 10;
    struct sess s = {0};
    struct body b = {NULL, 0};
    struct curl_slist *auth = NULL;
    CURL *page_c;
    char cmd[700], tok[256] = "", hdr[300], cur[33], *p;
    double *srv = malloc(sizeof(double) * (size_t)requests), *cli = malloc(sizeof(double) * (size_t)requests);
    size_t c;
    long i, k;
    unsigned port = 0, seed;
    int scatter;
    pid_t pid;
    FILE *f;
    int rc = 1;

    if (!srv || !cli)
        return 1;
    /* a Bearer token for the API cases (issued before the server starts); the arguments are
     * single-quoted for the shell of popen (a PostgreSQL URL holds '&') */
    if (strchr(kuvert, '\'') || strchr(cpr, '\'') || strchr(data, '\'') ||
        (db_url && strchr(db_url, '\''))) {
        fprintf(stderr, "web_bench: a path, CPR or URL with a single quote\n");
        return 1;
    }
    snprintf(cmd, sizeof(cmd), "'%s' user token --cpr '%s' --data '%s'%s%s%s 2>/dev/null",
             kuvert, cpr, data, db_url ? " --db '" : "", db_url ? db_url : "", db_url ? "'" : "");
    f = popen(cmd, "r");
    while (f && fgets(hdr, sizeof(hdr), f))
        if (strcspn(hdr, " \r\n") > 20) /* the token is the line that is one long word */
            snprintf(tok, sizeof(tok), "%.*s", (int)strcspn(hdr, "\r\n"), hdr);
    if (f)
        pclose(f);
    if (!tok[0]) {
        fprintf(stderr, "web_bench: no user token from: %s\n", cmd);
        return 1;
    }
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", tok);
    auth = curl_slist_append(NULL, hdr);
    pid = start_server(kuvert, data, log, &port);
    if (pid < 0) {
        fprintf(stderr, "web_bench: server did not start\n");
        return 1;
    }
    snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
    if (sign_in(&s, cpr) < 0) {
        fprintf(stderr, "web_bench: sign-in failed\n");
        goto out;
    }
    /* the paths the inbox page links to: an own folder, page 2, page 50 */
    if (request(&s, "/post/", NULL, &b) != 200)
        goto out;
    p = b.p ? strstr(b.p, "mappe=f") : NULL;
    if (p)
        snprintf(cases[1].path, sizeof(cases[1].path), "/post/?mappe=f%ld", strtol(p + 7, NULL, 10));
    next_cursor(b.p, cur);
    if (cur[0])
        snprintf(cases[2].path, sizeof(cases[2].path), "/post/?mappe=inbox&side=%s", cur);
    for (k = 2; k <= 49 && cur[0]; k++) {
        char path[160];

        snprintf(path, sizeof(path), "/post/?mappe=inbox&side=%s", cur);
        if (request(&s, path, NULL, &b) != 200)
            goto out;
        next_cursor(b.p, cur);
    }
    if (cur[0])
        snprintf(cases[3].path, sizeof(cases[3].path), "/post/?mappe=inbox&side=%s", cur);
    page_c = s.c;
    /* growth_bench's messageUUID scheme: scattered (since 2026-12-05) or b1000000-... */
    letter_path(cmd, sizeof(cmd), 1, 10, 0);
    scatter = request(&s, cmd, NULL, &b) == 200;
    seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    printf("web_bench --suite: %s, signed in as %s, %ld requests per case after %ld unmeasured; "
           "server %s; random letters: seed %u\n",
           data, cpr, requests, warm,
           rt_prio ? "with real-time priority (SCHED_FIFO)" : "at normal priority", seed);
    printf("  %-26s %9s %9s %9s   %9s %9s   %s\n", "case", "srv p50", "srv p99", "srv max",
           "cli p50", "cli p99", "load before/after (timed, bytes)");
    /* a fresh choice of letters per run: a letter opened for the first time (a tenth were
     * unread) is marked read, a write, which a rerun on the same letters would not repeat */
    for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct kase *ks = &cases[c];
        long off, n, bad = 0, fails = 0;
        double la0 = loadavg1(), t0, tc;
        long done;

        if ((ks->kind == K_PAGE && !ks->path[0]) ||
            ((ks->kind == K_LETTER || ks->kind == K_FILE) && letters < 20)) {
            printf("  %-26s (no such case in this store)\n", ks->name);
            continue;
        }
        off = file_size(log);
        tc = now_s();
        for (i = 0; i < warm + requests && now_s() - tc < CASE_MAX_S; i++) {
            char path[200];
            long st;

            if (ks->kind == K_LETTER || ks->kind == K_FILE) {
                /* growth_bench's letter number 10 j is the big mailbox's */
                long j = 1 + (long)((double)rand() / ((double)RAND_MAX + 1) * (double)(letters / 10 - 1));

                letter_path(path, sizeof(path), scatter, 10 * j, ks->kind == K_FILE);
            } else {
                snprintf(path, sizeof(path), "%s", ks->path);
            }
            curl_easy_setopt(page_c, CURLOPT_HTTPHEADER, ks->kind == K_API ? auth : NULL);
            t0 = now_s();
            st = request(&s, path, NULL, &b);
            if (st != 200)
                fails++;
            else if (i >= warm)
                cli[i - warm] = (now_s() - t0) * 1000;
        }
        curl_easy_setopt(page_c, CURLOPT_HTTPHEADER, NULL);
        done = i > warm ? i - warm : 0; /* fewer than requests when CASE_MAX_S ran out */
        n = suite_times(log, off, i, warm, srv, requests, &bad);
        if (n == 0 || done == 0 || fails) {
            printf("  %-26s %ld of %ld requests failed (%s)\n", ks->name, fails, i,
                   ks->path[0] ? ks->path : "letters");
            continue;
        }
        qsort(srv, (size_t)n, sizeof(double), cmp_d);
        qsort(cli, (size_t)done, sizeof(double), cmp_d);
        printf("  %-26s %6.2f ms %6.2f ms %6.2f ms   %6.2f ms %6.2f ms   %.2f/%.2f (%ld, %zu B)\n",
               ks->name, srv[n / 2], srv[(long)((double)n * 0.99)], srv[n - 1],
               cli[done / 2], cli[(long)((double)done * 0.99)], la0, loadavg1(), n, b.n);
        if (getenv("WEB_BENCH_SHOW"))
            printf("%s\n", b.p ? b.p : "");
        fflush(stdout);
    }
    rc = 0;
out:
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (s.c)
        curl_easy_cleanup(s.c);
    curl_slist_free_all(auth);
    free(b.p);
    free(srv);
    free(cli);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *cprs[] = {"2211771212", "0101701234", "1502851236", "0503451239"};
    const char *kuvert = "build/release/kuvert";
    int sessions = 50, i;
    double secs = 3, t0, el, p50, p99, sp50, sp99;
    char dir[] = "/tmp/kuvert-web-bench-XXXXXX", data[160], log[200], cmd[512];
    struct sess *ss;
    pthread_t th[MAX_SESSIONS];
    unsigned port = 0;
    pid_t pid;
    long total = 0, fails = 0, k = 0, sn;
    double *all;
    const char *given = NULL, *cpr = NULL;
    long requests = 1000, letters = 0;
    int is_suite = 0;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kuvert") && i + 1 < argc)
            kuvert = argv[++i];
        else if (!strcmp(argv[i], "--sessions") && i + 1 < argc)
            sessions = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "--path") && i + 1 < argc)
            page_path = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            given = argv[++i];
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db_url = argv[++i];
        else if (!strcmp(argv[i], "--cpr") && i + 1 < argc)
            cpr = argv[++i];
        else if (!strcmp(argv[i], "--suite"))
            is_suite = 1;
        else if (!strcmp(argv[i], "--requests") && i + 1 < argc)
            requests = atol(argv[++i]);
        else if (!strcmp(argv[i], "--letters") && i + 1 < argc)
            letters = atol(argv[++i]);
        else if (!strcmp(argv[i], "--rt") && i + 1 < argc)
            rt_prio = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: web_bench [--kuvert PATH] [--sessions N] [--seconds S] "
                            "[--path /post/] [--data DIR [--db URL] --cpr CPR]\n"
                            "       web_bench --suite [--kuvert PATH] --data DIR [--db URL] "
                            "--cpr CPR [--letters N] [--requests R] [--rt PRIO]\n");
            return 2;
        }
    }
    if (sessions < 1 || sessions > MAX_SESSIONS || secs <= 0 || secs > 600 || (given && !cpr) ||
        (given && strlen(given) >= sizeof(data)))
        return 2;
    if (is_suite && (!given || requests < 10 || requests > 1000000 || rt_prio < 0 || rt_prio > 99))
        return 2;
    if (!mkdtemp(dir))
        return 1;
    snprintf(data, sizeof(data), "%s/data", dir);
    if (given)
        snprintf(data, sizeof(data), "%s", given);
    snprintf(log, sizeof(log), "%s/server.log", dir);
    snprintf(cmd, sizeof(cmd), "%s demo --data %s >/dev/null 2>&1", kuvert, data);
    if (!given && system(cmd) != 0) {
        fprintf(stderr, "web_bench: kuvert demo failed\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (is_suite) {
        int rc = suite(kuvert, data, cpr, letters, requests, log);

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "web_bench: could not remove %s\n", dir);
        curl_global_cleanup();
        return rc;
    }
    pid = start_server(kuvert, data, log, &port);
    if (pid < 0) {
        fprintf(stderr, "web_bench: server did not start\n");
        return 1;
    }
    snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
    ss = calloc((size_t)sessions, sizeof(*ss));
    for (i = 0; i < sessions; i++) {
        ss[i].cap = MAX_LAT / sessions;
        ss[i].lat = malloc(sizeof(double) * (size_t)ss[i].cap);
        if (sign_in(&ss[i], cpr ? cpr : cprs[i % 4]) < 0) {
            fprintf(stderr, "web_bench: sign-in %d failed\n", i);
            kill(pid, SIGTERM);
            return 1;
        }
    }
    /* the server's access log from here on is the measured page only */
    t0 = now_s();
    for (i = 0; i < sessions; i++)
        pthread_create(&th[i], NULL, client, &ss[i]);
    while (now_s() - t0 < secs)
        usleep(20000);
    stop_flag = 1;
    for (i = 0; i < sessions; i++)
        pthread_join(th[i], NULL);
    el = now_s() - t0;
    for (i = 0; i < sessions; i++) {
        total += ss[i].n;
        fails += ss[i].fail;
    }
    all = malloc(sizeof(double) * (size_t)(total ? total : 1));
    for (i = 0; i < sessions; i++) {
        memcpy(all + k, ss[i].lat, sizeof(double) * (size_t)ss[i].n);
        k += ss[i].n;
    }
    qsort(all, (size_t)k, sizeof(double), cmp_d);
    p50 = k ? all[k / 2] : 0;
    p99 = k ? all[(long)((double)k * 0.99)] : 0;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    server_times(log, &sp50, &sp99, &sn);
    printf("web: GET %s, %d signed-in sessions, %.1f s: %.0f pages/s, %ld failed\n", page_path,
           sessions, el, (double)total / el, fails);
    printf("web:   client latency p50 %.2f ms, p99 %.2f ms\n", p50 * 1000, p99 * 1000);
    printf("web:   server time    p50 %.2f ms, p99 %.2f ms (%ld requests in the access log)\n",
           sp50 * 1000, sp99 * 1000, sn);
    printf("web:   page %zu bytes of HTML (assets cached: immutable)\n", ss[0].bytes);
    for (i = 0; i < sessions; i++) {
        curl_easy_cleanup(ss[i].c);
        free(ss[i].lat);
    }
    free(ss);
    free(all);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "web_bench: could not remove %s\n", dir);
    curl_global_cleanup();
    return 0;
}

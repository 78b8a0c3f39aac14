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
 *
 * --data runs on that existing data directory (and --db database) instead of a demo one, and
 * signs every session in as CPR: growth.sh times the big mailbox's /post/ this way.
 *
 * Run from the repository root (bench/run.sh does).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define MAX_SESSIONS 512
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
        else {
            fprintf(stderr, "usage: web_bench [--kuvert PATH] [--sessions N] [--seconds S] "
                            "[--path /post/] [--data DIR [--db URL] --cpr CPR]\n");
            return 2;
        }
    }
    if (sessions < 1 || sessions > MAX_SESSIONS || secs <= 0 || secs > 600 || (given && !cpr) ||
        (given && strlen(given) >= sizeof(data)))
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

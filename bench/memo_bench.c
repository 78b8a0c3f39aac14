/* SPDX-License-Identifier: MIT
 *
 * memo_bench.c: throughput benchmark of kv_memo_check (NOT a test; it prints figures and
 * asserts nothing). For each input it measures, in the same process and with the same
 * compiled schema, our full check and the raw libxml2 floor (xmlReadMemory +
 * xmlSchemaValidateDoc), and prints letters/s, MB/s and our/floor in percent, then the peak
 * RSS. The "hub" column is the NgDP check as the send API runs it: warnings counted, not
 * located or formatted (kv_memo_diags.skip_warnings). Inputs: the Full and Minimum examples
 * of MeMo 1.1 and 1.2 and a generated letter with one big base64 content (50 MB by default).
 *
 *   memo_bench [--seconds S] [--big-mb N]   the benchmark (each case runs about S seconds,
 *                                           in alternating rounds; the best round counts)
 *   memo_bench --check FILE                 check one file once; prints verdict and peak RSS
 *   memo_bench --gen MB FILE                write a generated letter of about MB megabytes
 *   memo_bench --check-gen MB               generate in memory, check once, print peak RSS
 *
 * Run from the repository root (bench/run.sh does); inputs are read by relative path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "memo/check_int.h"
#include "memo/memo.h"
#include "util/xmalloc.h"

#define EX "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"

struct input {
    const char *name; /* label printed in the table */
    char *buf;        /* owned bytes */
    size_t len;       /* length of buf */
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int read_file(const char *path, struct input *in)
{
    FILE *f = fopen(path, "rb");
    long n;

    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    in->buf = kv_xmalloc((size_t)n + 1);
    in->len = fread(in->buf, 1, (size_t)n, f);
    fclose(f);
    return in->len == (size_t)n ? 0 : -1;
}

/* A valid MeMo 1.1 letter of about mb megabytes: the Minimum example's structure with one
 * base64 content filling the rest. Allocated at its exact size (no slack). */
static void gen_letter(size_t mb, struct input *in)
{
    static const char head[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<memo:Message xmlns:memo=\"https://DigitalPost.dk/MeMo-1\" memoVersion=\"1.1\" "
        "memoSchVersion=\"1.1.0\">\n"
        "<memo:MessageHeader>\n<memo:messageType>DIGITALPOST</memo:messageType>\n"
        "<memo:messageUUID>8c2ea15d-61fb-4ba9-9366-42f8b194c114</memo:messageUUID>\n"
        "<memo:label>Stor post</memo:label>\n<memo:mandatory>false</memo:mandatory>\n"
        "<memo:legalNotification>false</memo:legalNotification>\n"
        "<memo:Sender><memo:senderID>12345678</memo:senderID><memo:idType>CVR</memo:idType>"
        "<memo:label>Kommunen</memo:label></memo:Sender>\n"
        "<memo:Recipient><memo:recipientID>2211771212</memo:recipientID>"
        "<memo:idType>CPR</memo:idType></memo:Recipient>\n</memo:MessageHeader>\n"
        "<memo:MessageBody>\n<memo:createdDateTime>2018-05-03T12:00:00Z</memo:createdDateTime>\n"
        "<memo:MainDocument><memo:File><memo:encodingFormat>application/pdf"
        "</memo:encodingFormat><memo:filename>stor.pdf</memo:filename>"
        "<memo:language>da</memo:language><memo:content>";
    static const char tail[] =
        "</memo:content></memo:File></memo:MainDocument>\n</memo:MessageBody>\n"
        "</memo:Message>\n";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t total = mb * 1000 * 1000, body, i;
    unsigned x = 12345;
    char *p;

    if (total < sizeof(head) + sizeof(tail) + 4)
        total = sizeof(head) + sizeof(tail) + 4;
    body = (total - (sizeof(head) - 1) - (sizeof(tail) - 1)) / 4 * 4;
    in->len = (sizeof(head) - 1) + body + (sizeof(tail) - 1);
    in->buf = kv_xmalloc(in->len);
    p = in->buf;
    memcpy(p, head, sizeof(head) - 1);
    p += sizeof(head) - 1;
    for (i = 0; i < body; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = b64[(x >> 16) & 63];
    }
    p += body;
    memcpy(p, tail, sizeof(tail) - 1);
}

/* Level of the "hub" column: NgDP level with warnings counted only (skip_warnings), as the
 * send API checks letters. */
#define LEVEL_HUB ((enum kv_memo_level)1000)

static int check_once(const struct input *in, enum kv_memo_level level, int verbose)
{
    struct kv_memo_diags d;
    struct kv_err err = {0};
    size_t i;
    int rc, bad;

    kv_memo_diags_init(&d);
    if (level == LEVEL_HUB) {
        d.skip_warnings = 1;
        level = KV_MEMO_LEVEL_NGDP;
    }
    rc = kv_memo_check(in->buf, in->len, level, NULL, &d, NULL, &err);
    bad = rc < 0 || d.n_errors > 0;
    if (verbose) {
        if (rc < 0)
            printf("check failed: %s\n", err.msg);
        for (i = 0; i < d.n; i++)
            printf("  %s %lu:%lu %s: %s\n", d.items[i].rule, d.items[i].line, d.items[i].col,
                   d.items[i].path, d.items[i].message);
        printf("%s: %zu bytes, %s (%zu errors, %zu warnings)\n", in->name, in->len,
               bad ? "INVALID" : "valid", d.n_errors, d.n_warnings);
    }
    kv_memo_diags_release(&d);
    return bad;
}

static void silent(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* The floor: libxml2's own parse and validation with our compiled schema, nothing else. */
static int floor_once(const struct input *in, xmlSchemaPtr schema)
{
    xmlDocPtr doc;
    xmlSchemaValidCtxtPtr vc;
    int ret;

    doc = xmlReadMemory(in->buf, (int)in->len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_BIG_LINES |
                            XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return 1;
    vc = xmlSchemaNewValidCtxt(schema);
    xmlSchemaSetValidStructuredErrors(vc, silent, NULL);
    ret = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeDoc(doc);
    return ret != 0;
}

/* Runs our check (which 0) or the floor (which 1) for about `seconds`, at least twice;
 * returns iterations per second. */
static double rate(const struct input *in, int which, enum kv_memo_level level,
                   xmlSchemaPtr schema, double seconds)
{
    double t0 = now(), t;
    long n = 0;

    do {
        if (which == 0)
            check_once(in, level, 0);
        else
            floor_once(in, schema);
        n++;
        t = now() - t0;
    } while (t < seconds || n < 2);
    return (double)n / t;
}

#define ROUNDS 6 /* alternating rounds per side; the best round counts (least disturbed) */

static void bench_case(const struct input *in, const char *version, double seconds)
{
    xmlSchemaPtr schema = kv__memo_schema_get(version);
    double mb = (double)in->len / 1e6, fl = 0, xsd = 0, ngdp = 0, hub = 0, r;
    int k;

    if (check_once(in, KV_MEMO_LEVEL_XSD, 0) || floor_once(in, schema)) {
        printf("%-22s input is not valid; skipped\n", in->name);
        return;
    }
    /* Interleave so drift (frequency, neighbours) hits every side alike. */
    for (k = 0; k < ROUNDS; k++) {
        r = rate(in, 1, KV_MEMO_LEVEL_XSD, schema, seconds / (4 * ROUNDS));
        fl = r > fl ? r : fl;
        r = rate(in, 0, KV_MEMO_LEVEL_XSD, schema, seconds / (4 * ROUNDS));
        xsd = r > xsd ? r : xsd;
        r = rate(in, 0, KV_MEMO_LEVEL_NGDP, schema, seconds / (4 * ROUNDS));
        ngdp = r > ngdp ? r : ngdp;
        r = rate(in, 0, LEVEL_HUB, schema, seconds / (4 * ROUNDS));
        hub = r > hub ? r : hub;
    }
    printf("%-22s %10zu  %10.1f %8.1f  %10.1f %8.1f  %5.1f%%  %10.1f %8.1f  %5.1f%%  %10.1f  "
           "%5.1f%%\n",
           in->name, in->len, fl, fl * mb, xsd, xsd * mb, 100.0 * xsd / fl, ngdp, ngdp * mb,
           100.0 * ngdp / fl, hub, 100.0 * hub / fl);
    fflush(stdout);
}

/* One hostile input: checked once, timed, first rule printed. */
static void hostile(const char *name, const char *buf, size_t len)
{
    struct kv_memo_diags d;
    struct kv_err err = {0};
    long rss0 = peak_rss_kb();
    double t0 = now(), ms;

    kv_memo_diags_init(&d);
    kv_memo_check(buf, len, KV_MEMO_LEVEL_NGDP, NULL, &d, NULL, &err);
    ms = (now() - t0) * 1e3;
    printf("%-34s %10zu bytes  %8.2f ms  %-10s peak RSS +%ld kB\n", name, len, ms,
           d.n ? d.items[0].rule : "(none)", peak_rss_kb() - rss0);
    kv_memo_diags_release(&d);
}

static char *repeat(const char *pre, const char *unit, size_t n, const char *post, size_t *len)
{
    size_t pl = strlen(pre), ul = strlen(unit), ql = strlen(post), i;
    char *b;

    *len = pl + ul * n + ql;
    b = kv_xmalloc(*len);
    memcpy(b, pre, pl);
    for (i = 0; i < n; i++)
        memcpy(b + pl + i * ul, unit, ul);
    memcpy(b + pl + ul * n, post, ql);
    return b;
}

static void bench_hostile(void)
{
    static const char bomb[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
        "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
        "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
        "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
        "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
        "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
        "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>\n"
        "<m>&lol9;</m>\n";
    static const char xxe[] = "<!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><m>&x;</m>";
    size_t len;
    char *b;

    printf("hostile inputs (one check each, default limits):\n");
    hostile("billion laughs (entity bomb)", bomb, sizeof(bomb) - 1);
    hostile("external entity (XXE)", xxe, sizeof(xxe) - 1);
    b = repeat("", "<a>", 10000, "", &len);
    hostile("10,000-deep nesting", b, len);
    free(b);
    b = repeat("<m>", "<a/>", 200000, "</m>", &len);
    hostile("200,000 elements", b, len);
    free(b);
    b = repeat("<m", " a=\"\"", 200000, "/>", &len);
    hostile("200,000 attributes on one tag", b, len);
    free(b);
    len = (size_t)200 * 1000 * 1000;
    b = kv_xcalloc(len, 1); /* pages never touched: refused on size */
    hostile("200 MB body", b, len);
    free(b);
}

int main(int argc, char **argv)
{
    struct kv_err err = {0};
    struct input ex[4] = {
        {"Full 1.1", NULL, 0}, {"Minimum 1.1", NULL, 0}, {"Full 1.2", NULL, 0},
        {"Minimum 1.2", NULL, 0}};
    static const char *const ex_path[4] = {
        EX "Full_Example__memo-1.1.xml", EX "Minimum_Example__memo-1.1.xml",
        EX "Full_Example__memo-1.2.xml", EX "Minimum_Example__memo-1.2.xml"};
    static const char *const ex_ver[4] = {"1.1", "1.1", "1.2", "1.2"};
    struct input big = {"generated", NULL, 0};
    double seconds = 2.0;
    size_t big_mb = 50;
    int i, bad;

    if (kv_memo_global_init(&err) < 0) {
        fprintf(stderr, "init: %s\n", err.msg);
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "--check") == 0) {
        struct input in = {argv[2], NULL, 0};
        if (read_file(argv[2], &in) < 0) {
            perror(argv[2]);
            return 1;
        }
        bad = check_once(&in, KV_MEMO_LEVEL_NGDP, 1);
        printf("peak RSS %ld kB (%.2f x input)\n", peak_rss_kb(),
               (double)peak_rss_kb() * 1024.0 / (double)in.len);
        free(in.buf);
        return bad;
    }
    if (argc == 4 && strcmp(argv[1], "--gen") == 0) {
        FILE *f = fopen(argv[3], "wb");
        gen_letter((size_t)strtoul(argv[2], NULL, 10), &big);
        if (!f || fwrite(big.buf, 1, big.len, f) != big.len || fclose(f) != 0) {
            perror(argv[3]);
            return 1;
        }
        free(big.buf);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--check-gen") == 0) {
        gen_letter((size_t)strtoul(argv[2], NULL, 10), &big);
        bad = check_once(&big, KV_MEMO_LEVEL_NGDP, 1);
        printf("peak RSS %ld kB (%.2f x input)\n", peak_rss_kb(),
               (double)peak_rss_kb() * 1024.0 / (double)big.len);
        free(big.buf);
        return bad;
    }
    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seconds") == 0)
            seconds = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--big-mb") == 0)
            big_mb = (size_t)strtoul(argv[i + 1], NULL, 10);
    }
    if (seconds <= 0 || seconds > 60)
        seconds = 2.0;

    printf("memo_bench: kv_memo_check vs libxml2 floor (xmlReadMemory + xmlSchemaValidateDoc, "
           "same compiled schema)\n");
    bench_hostile();
    printf("\n%-22s %10s  %10s %8s  %10s %8s  %6s  %10s %8s  %6s  %10s  %6s\n", "input",
           "bytes", "floor/s", "MB/s", "xsd/s", "MB/s", "%flr", "ngdp/s", "MB/s", "%flr", "hub/s",
           "%flr");
    for (i = 0; i < 4; i++) {
        if (read_file(ex_path[i], &ex[i]) < 0) {
            printf("%-22s cannot read %s (run from the repository root)\n", ex[i].name,
                   ex_path[i]);
            continue;
        }
        bench_case(&ex[i], ex_ver[i], seconds);
        free(ex[i].buf);
    }
    gen_letter(big_mb, &big);
    {
        char name[32];
        snprintf(name, sizeof(name), "generated %zu MB", big_mb);
        big.name = name;
        bench_case(&big, "1.1", seconds * 2);
    }
    free(big.buf);
    printf("\npeak RSS of the whole run %ld kB\n", peak_rss_kb());
    kv_memo_global_cleanup();
    return 0;
}

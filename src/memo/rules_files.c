/* SPDX-License-Identifier: MIT
 *
 * rules_files.c: file rules of layer (c). For each File: the filename has none of the
 * characters NgDP rejects (NGDP-FILENAME-CHARS); its extension is on the allow-list
 * (NGDP-FILE-EXT) and is not an executable or macro type (NGDP-FILE-EXECUTABLE); the MIME type in
 * encodingFormat is on the allow-list (NGDP-FILE-MIME) and agrees with the extension
 * (NGDP-FILE-TYPE-MISMATCH); the content is valid base64 (NGDP-BASE64). Per message: at most 10
 * documents besides MainDocument (NGDP-ATTACHMENTS-MAX) and at most 99.5 MB of decoded file
 * content (NGDP-SIZE-MAX). The allow-list and the reasons for it are in docs/memo-rules.md.
 *
 * The base64 pass is the only part that touches bulk data (up to ~133 MB of text): kuvert's one
 * base64 validator (util/base64.h kv_b64_scan_*, sixteen bytes at a time, no allocation) is
 * fed the content's text nodes in order.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "memo/model.h"
#include "memo/rules_int.h"
#include "util/base64.h"

/* ---------------------------------------------------------------- allow-list */

struct ftype {
    const char *mime;   /* lower-case type/subtype */
    const char *ext[3]; /* lower-case extensions without the dot, NULL-terminated */
};

static const struct ftype types[] = {
    {"application/pdf", {"pdf", NULL}},
    {"text/plain", {"txt", NULL}},
    {"text/html", {"html", "htm", NULL}},
    {"text/csv", {"csv", NULL}},
    {"text/xml", {"xml", NULL}},
    {"application/xml", {"xml", NULL}},
    {"application/rtf", {"rtf", NULL}},
    {"text/rtf", {"rtf", NULL}},
    {"image/jpeg", {"jpg", "jpeg", NULL}},
    {"image/png", {"png", NULL}},
    {"image/gif", {"gif", NULL}},
    {"image/tiff", {"tif", "tiff", NULL}},
    {"application/msword", {"doc", NULL}},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", {"docx", NULL}},
    {"application/vnd.ms-excel", {"xls", NULL}},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {"xlsx", NULL}},
    {"application/vnd.ms-powerpoint", {"ppt", NULL}},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", {"pptx", NULL}},
    {"application/vnd.oasis.opendocument.text", {"odt", NULL}},
    {"application/vnd.oasis.opendocument.spreadsheet", {"ods", NULL}},
    {"application/vnd.oasis.opendocument.presentation", {"odp", NULL}},
};
#define N_TYPES (sizeof(types) / sizeof(types[0]))

/* Programs, scripts, installers, shortcuts and macro-enabled Office files. */
static const char *const executable_exts[] = {
    "exe",  "com",  "bat",    "cmd",  "js",   "jse",  "vbs", "vbe", "vb",   "wsf",   "wsh",
    "ws",   "msi",  "msp",    "mst",  "dll",  "sys",  "drv", "ocx", "cpl",  "scr",   "pif",
    "ps1",  "psm1", "psd1",   "sh",   "bash", "zsh",  "csh", "ksh", "jar",  "class", "jnlp",
    "app",  "apk",  "appx",   "msix", "dmg",  "pkg",  "deb", "rpm", "hta",  "lnk",   "url",
    "reg",  "inf",  "gadget", "msc",  "py",   "pl",   "rb",  "php", "docm", "dotm",  "xlsm",
    "xltm", "xlam", "pptm",   "potm", "ppam", "sldm", "iso", "img", "vhd",  "vhdx",
};

static int ext_in(const char *ext, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(ext, list[i]) == 0)
            return 1;
    return 0;
}

/* Index of the allow-listed MIME type m[0..len) (case-insensitive), or -1. */
static int find_mime(const char *m, size_t len)
{
    size_t i;

    for (i = 0; i < N_TYPES; i++)
        if (strlen(types[i].mime) == len && strncasecmp(types[i].mime, m, len) == 0)
            return (int)i;
    return -1;
}

static int type_has_ext(int t, const char *ext)
{
    size_t k;

    for (k = 0; types[t].ext[k]; k++)
        if (strcmp(types[t].ext[k], ext) == 0)
            return 1;
    return 0;
}

static int ext_allowed(const char *ext)
{
    size_t i;

    for (i = 0; i < N_TYPES; i++)
        if (type_has_ext((int)i, ext))
            return 1;
    return 0;
}

int kv_memo_file_ext_allowed(const char *filename)
{
    const char *dot = filename ? strrchr(filename, '.') : NULL;
    char ext[16];
    size_t i, n;

    if (!dot || !dot[1] || (n = strlen(dot + 1)) >= sizeof(ext))
        return 0;
    for (i = 0; i <= n; i++) {
        char c = dot[1 + i];
        ext[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    return !ext_in(ext, executable_exts, sizeof(executable_exts) / sizeof(executable_exts[0])) &&
           ext_allowed(ext);
}

void kv_memo_file_ext_list(char *out, size_t n)
{
    size_t i, k, used = 0;

    if (n == 0)
        return;
    out[0] = '\0';
    for (i = 0; i < N_TYPES; i++)
        for (k = 0; types[i].ext[k]; k++) {
            const char *e = types[i].ext[k];
            char dotted[16];
            size_t j, l;
            int seen = 0;

            for (j = 0; j < i && !seen; j++) /* each extension once (xml, rtf twice) */
                seen = type_has_ext((int)j, e);
            if (seen)
                continue;
            l = (size_t)snprintf(dotted, sizeof(dotted), "%s.%s", used ? "," : "", e);
            if (used + l + 1 > n)
                return;
            memcpy(out + used, dotted, l + 1);
            used += l;
        }
}

/* ---------------------------------------------------------------- file names */

/* Length in bytes of a forbidden character at s[i], or 0. Works on UTF-8 bytes. */
static size_t forbidden_at(const unsigned char *s, size_t len, size_t i, unsigned long *out_cp)
{
    unsigned char c = s[i];

    if (c < 0x80) {
        *out_cp = c;
        return strchr("<>:\"/\\|?*\r\n", c) && c ? 1 : 0;
    }
    if (c == 0xC2 && i + 1 < len && s[i + 1] == 0xA0) {
        *out_cp = 0xA0; /* NO-BREAK SPACE */
        return 2;
    }
    if (i + 2 >= len)
        return 0;
    if (c == 0xE2 && s[i + 1] == 0x80 &&
        ((s[i + 2] >= 0x80 && s[i + 2] <= 0x8A) || s[i + 2] == 0xA8)) {
        *out_cp = 0x2000u + (s[i + 2] & 0x3Fu); /* U+2000..U+200A, U+2028 */
        return 3;
    }
    if (c == 0xE2 && s[i + 1] == 0x81 && (s[i + 2] == 0x9F || s[i + 2] == 0xA0)) {
        *out_cp = 0x2040u + (s[i + 2] & 0x3Fu); /* U+205F, U+2060 */
        return 3;
    }
    if (c == 0xE3 && s[i + 1] == 0x80 && s[i + 2] == 0x80) {
        *out_cp = 0x3000; /* IDEOGRAPHIC SPACE */
        return 3;
    }
    return 0;
}

static void check_filename_chars(struct kv__rules *r, xmlNodePtr el, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n_bad = 0, first_pos = 0, chars = 0, k;
    unsigned long cp, first_cp = 0;
    char q[96], what[24];

    while (i < len) {
        k = forbidden_at(u, len, i, &cp);
        if (k) {
            if (!n_bad) {
                first_cp = cp;
                first_pos = chars + 1;
            }
            n_bad++;
        } else {
            k = 1;
            while (i + k < len && (u[i + k] & 0xC0) == 0x80)
                k++;
        }
        i += k;
        chars++;
    }
    if (!n_bad)
        return;
    if (first_cp == '\r')
        snprintf(what, sizeof(what), "CR");
    else if (first_cp == '\n')
        snprintf(what, sizeof(what), "LF");
    else if (first_cp < 0x80)
        snprintf(what, sizeof(what), "'%c'", (char)first_cp);
    else
        snprintf(what, sizeof(what), "U+%04lX", first_cp);
    kv__rules_quote(q, sizeof(q), s, len);
    kv__memo_diag_node(r->doc, r->d, el, KV_MEMO_ERROR, "NGDP-FILENAME-CHARS",
                       "filename %s contains %zu forbidden character%s, the first is %s at "
                       "position %zu; NgDP rejects < > : \" / \\ | ? *, CR, LF and unusual "
                       "Unicode spaces",
                       q, n_bad, n_bad == 1 ? "" : "s", what, first_pos);
}

/* Lower-case extension of name into out ("" when none or not plausible). */
static void extension_of(const char *s, size_t len, char *out, size_t out_size)
{
    size_t i = len, n, k;

    out[0] = '\0';
    while (i > 0 && s[i - 1] != '.')
        i--;
    if (i == 0)
        return;
    n = len - i;
    if (n == 0 || n >= out_size)
        return;
    for (k = 0; k < n; k++) {
        char c = s[i + k];
        out[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
}

/* ---------------------------------------------------------------- base64 */

/* Checks content's text (possibly split over several text/CDATA nodes) and adds its decoded
 * size to the message total. */
static void check_content(struct kv__rules *r, xmlNodePtr file, xmlNodePtr content)
{
    struct kv_b64_scan b;
    xmlNodePtr c;
    uint64_t size;

    kv_b64_scan_init(&b, KV_B64_XML_SPACE);
    for (c = content->children; c && !b.why; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            kv_b64_scan_feed(&b, c->content, strlen((const char *)c->content));
        else if (c->type == XML_ELEMENT_NODE || c->type == XML_ENTITY_REF_NODE)
            kv_b64_scan_fail(&b, "markup inside the content");
    }
    if (kv_b64_scan_end(&b, &size) < 0) {
        kv__memo_diag_node(r->doc, r->d, content, KV_MEMO_ERROR, "NGDP-BASE64",
                           "content is not valid base64: %s at offset %llu", b.why,
                           (unsigned long long)b.bad_at);
        return;
    }
    r->total_bytes += size;
    if (r->total_bytes > KV_RULES_MAX_TOTAL_BYTES && !r->size_crossed)
        r->size_crossed = file;
}

/* ---------------------------------------------------------------- per File */

void kv__rules_file(struct kv__rules *r, xmlNodePtr file)
{
    xmlNodePtr fmt_el = kv__rules_child(file, KV_MEMO_NS, "encodingFormat");
    xmlNodePtr name_el = kv__rules_child(file, KV_MEMO_NS, "filename");
    xmlNodePtr content_el = kv__rules_child(file, KV_MEMO_NS, "content");
    struct kv__rules_text name = {"", 0, NULL}, fmt = {"", 0, NULL};
    char ext[24], q[96];
    const char *m;
    size_t mlen, k;
    int t = -1, ext_ok = 0, exec;

    r->n_files++;
    if (name_el) {
        kv__rules_text_get(name_el, &name);
        check_filename_chars(r, name_el, name.s, name.len);
        extension_of(name.s, name.len, ext, sizeof(ext));
        exec = ext_in(ext, executable_exts, sizeof(executable_exts) / sizeof(executable_exts[0]));
        ext_ok = !exec && ext[0] && ext_allowed(ext);
        if (!ext_ok)
            kv__rules_quote(q, sizeof(q), name.s, name.len); /* a message follows */
        if (exec)
            kv__memo_diag_node(r->doc, r->d, name_el, KV_MEMO_ERROR, "NGDP-FILE-EXECUTABLE",
                               "filename %s has the extension .%s of an executable, script or "
                               "macro-enabled file; Digital Post never accepts these",
                               q, ext);
        else if (!ext[0])
            kv__memo_diag_node(r->doc, r->d, name_el, KV_MEMO_ERROR, "NGDP-FILE-EXT",
                               "filename %s has no file extension; use one of the allowed "
                               "types (e.g. .pdf)",
                               q);
        else if (!ext_ok)
            kv__memo_diag_node(r->doc, r->d, name_el, KV_MEMO_ERROR, "NGDP-FILE-EXT",
                               "filename %s has the extension .%s, which is not an allowed "
                               "file type in Digital Post",
                               q, ext);
    }
    if (fmt_el) {
        kv__rules_text_get(fmt_el, &fmt);
        m = fmt.s;
        mlen = fmt.len;
        for (k = 0; k < mlen; k++)
            if (m[k] == ';')
                break; /* parameters such as "; charset=utf-8" do not change the type */
        mlen = k;
        kv__rules_trim(&m, &mlen);
        t = find_mime(m, mlen);
        if (t < 0) {
            kv__rules_quote(q, sizeof(q), fmt.s, fmt.len);
            kv__memo_diag_node(r->doc, r->d, fmt_el, KV_MEMO_ERROR, "NGDP-FILE-MIME",
                               "encodingFormat %s is not an allowed file type in Digital Post", q);
        }
    }
    if (t >= 0 && ext_ok && !type_has_ext(t, ext)) {
        kv__rules_quote(q, sizeof(q), name.s, name.len);
        kv__memo_diag_node(r->doc, r->d, file, KV_MEMO_ERROR, "NGDP-FILE-TYPE-MISMATCH",
                           "encodingFormat %s does not match filename %s: expected the "
                           "extension .%s",
                           types[t].mime, q, types[t].ext[0]);
    }
    kv__rules_text_release(&name);
    kv__rules_text_release(&fmt);
    if (content_el)
        check_content(r, file, content_el);
}

/* ---------------------------------------------------------------- per message */

void kv__rules_body(struct kv__rules *r, xmlNodePtr body)
{
    xmlNodePtr c;
    unsigned n = 0;

    for (c = body->children; c; c = c->next) {
        if (!kv__rules_is(c, KV_MEMO_NS, "AdditionalDocument") &&
            !kv__rules_is(c, KV_MEMO_NS, "TechnicalDocument"))
            continue;
        if (++n == KV_RULES_MAX_ATTACHMENTS + 1)
            kv__memo_diag_node(r->doc, r->d, c, KV_MEMO_ERROR, "NGDP-ATTACHMENTS-MAX",
                               "MessageBody has %u attachments (AdditionalDocument and "
                               "TechnicalDocument); at most %u are allowed besides the "
                               "MainDocument",
                               kv__rules_count(body, KV_MEMO_NS, "AdditionalDocument") +
                                   kv__rules_count(body, KV_MEMO_NS, "TechnicalDocument"),
                               KV_RULES_MAX_ATTACHMENTS);
    }
}

void kv__rules_finish_files(struct kv__rules *r)
{
    xmlNodePtr at = r->body ? r->body : r->size_crossed;

    if (r->total_bytes <= KV_RULES_MAX_TOTAL_BYTES || !at)
        return;
    kv__memo_diag_node(r->doc, r->d, at, KV_MEMO_ERROR, "NGDP-SIZE-MAX",
                       "the files of this message decode to %llu bytes in total; the limit is "
                       "%llu bytes (99.5 MB, MB = 1,000,000 bytes)",
                       (unsigned long long)r->total_bytes,
                       (unsigned long long)KV_RULES_MAX_TOTAL_BYTES);
}

/* SPDX-License-Identifier: MIT
 *
 * print_pdf.c: kv_print_render (print.h), one letter as one print-ready A4 PDF. cairo writes
 * the PDF; pango lays out text (DejaVu Sans, fonts-dejavu-core); poppler draws the pages of a
 * PDF document onto the same cairo surface (as vectors, with their text), so the output is one
 * file with no PDF writing of our own. HTML is reduced to its text with libxml2's HTML parser
 * (blocks become paragraphs, li bullets, script/style dropped) and laid out like text.
 *
 * The address page follows DIN 5008 form B for a C5/C6 window envelope: the address field is
 * 85 x 45 mm at 20 mm from the left and 45 mm from the top of the sheet; its first 17.7 mm hold
 * the return address in small print, the recipient's name and address follow from 62.7 mm.
 * Fold marks at 105 and 210 mm and the punch mark at 148.5 mm are drawn in the left margin.
 * What cannot be printed (images, other file types, damaged or encrypted PDFs, over-long
 * documents, technical documents) is listed on the address page with the reason.
 */
#include "hub/print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <libxml/HTMLparser.h>
#include <pango/pangocairo.h>
#include <poppler.h>

#include "memo/memo.h"
#include "memo/model.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define MM(x) ((x) * 72.0 / 25.4)
#define A4_W MM(210.0)
#define A4_H MM(297.0)
#define MARGIN_L MM(25.0)
#define MARGIN_R MM(20.0)
#define MARGIN_T MM(20.0)
#define MARGIN_B MM(20.0)
#define BODY_W (A4_W - MARGIN_L - MARGIN_R)
#define BODY_H (A4_H - MARGIN_T - MARGIN_B - MM(6.0)) /* room for the footer */
#define FONT "DejaVu Sans"
#define MAX_FILES 64 /* files considered per letter; the rest are listed as not printed */

enum kind { K_SKIP, K_PDF, K_TEXT };

struct doc {
    enum kind kind;
    const char *name;     /* borrowed from the model */
    const char *doc_label;
    const char *why;      /* K_SKIP: the reason, a static string */
    PopplerDocument *pdf; /* K_PDF */
    PangoLayout *layout;  /* K_TEXT */
    int pages;
};

static int starts_with_ci(const char *s, const char *prefix)
{
    return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Appends s (len bytes) to b with runs of white space collapsed to one space. */
static void append_collapsed(struct kv_buf *b, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            if (b->len > 0 && b->buf[b->len - 1] != ' ' && b->buf[b->len - 1] != '\n')
                (void)kv_buf_append(b, " ", 1);
        } else {
            (void)kv_buf_append(b, &c, 1);
        }
    }
}

static void newline(struct kv_buf *b, int n)
{
    int have = 0;

    while (b->len > 0 && b->buf[b->len - 1] == ' ')
        b->buf[--b->len] = '\0';
    while (have < (int)b->len && have < n && b->buf[b->len - 1 - have] == '\n')
        have++;
    if (b->len == 0)
        return;
    for (; have < n; have++)
        (void)kv_buf_append(b, "\n", 1);
}

static int is_block(const char *n)
{
    static const char *const blocks[] = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6",
                                         "ul", "ol", "table", "tr", "section", "article",
                                         "header", "footer", "blockquote", "pre", "address",
                                         "dl", "dt", "dd", "main", "nav", "form", "hr", NULL};
    size_t i;

    for (i = 0; blocks[i]; i++)
        if (strcmp(n, blocks[i]) == 0)
            return 1;
    return 0;
}

static void html_walk(xmlNode *n, struct kv_buf *b, int depth)
{
    for (; n && depth < 200; n = n->next) {
        const char *name = (const char *)n->name;
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                append_collapsed(b, (const char *)n->content, strlen((const char *)n->content));
            continue;
        }
        if (n->type != XML_ELEMENT_NODE || !name)
            continue;
        if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
            strcmp(name, "head") == 0 || strcmp(name, "noscript") == 0 ||
            strcmp(name, "template") == 0)
            continue;
        if (strcmp(name, "br") == 0) {
            newline(b, 1);
            continue;
        }
        if (strcmp(name, "li") == 0) {
            newline(b, 1);
            (void)kv_buf_puts(b, "\xe2\x80\xa2 ");
        } else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
            (void)kv_buf_puts(b, "  ");
        } else if (is_block(name)) {
            newline(b, name[0] == 'p' || name[0] == 'h' ? 2 : 1);
        }
        html_walk(n->children, b, depth + 1);
        if (is_block(name))
            newline(b, name[0] == 'p' || name[0] == 'h' ? 2 : 1);
    }
}

/* The text of an HTML document (owned), or NULL when it cannot be parsed. */
static char *html_text(const unsigned char *data, size_t len)
{
    htmlDocPtr d;
    struct kv_buf b;

    d = htmlReadMemory((const char *)data, (int)len, NULL, NULL,
                       HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                           HTML_PARSE_NONET);
    if (!d)
        return NULL;
    kv_buf_init(&b, KV_PRINT_TEXT_MAX + 1024);
    html_walk(xmlDocGetRootElement(d), &b, 0);
    xmlFreeDoc(d);
    return kv_buf_detach(&b, NULL);
}

/* Text as valid UTF-8 (owned): as it is when valid, else read as ISO-8859-1. */
static char *utf8_text(const unsigned char *data, size_t len)
{
    gsize w = 0;
    char *t;

    if (g_utf8_validate((const char *)data, (gssize)len, NULL)) {
        t = kv_xmalloc(len + 1);
        memcpy(t, data, len);
        t[len] = '\0';
        return t;
    }
    t = g_convert((const char *)data, (gssize)len, "UTF-8", "ISO-8859-1", NULL, &w, NULL);
    if (!t)
        return NULL;
    {
        char *copy = kv_xstrdup(t);
        g_free(t);
        return copy;
    }
}

/* Each rendering has its own font map and pango context (kept as user data of the cairo
 * context), released when it ends, rather than pango's per-thread default. */
static const cairo_user_data_key_t PANGO_KEY;

static PangoLayout *new_layout(cairo_t *cr, const char *font, double width)
{
    PangoLayout *lay = pango_layout_new(cairo_get_user_data(cr, &PANGO_KEY));
    PangoFontDescription *fd = pango_font_description_from_string(font);

    pango_layout_set_font_description(lay, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(lay, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
    return lay;
}

/* Pages of a text layout (stops counting past KV_PRINT_DOC_PAGES_MAX), drawn when draw is
 * non-zero. */
static int text_pages(cairo_t *cr, PangoLayout *lay, int draw)
{
    PangoLayoutIter *it = pango_layout_get_iter(lay);
    double top = 0;
    int pages = 1;

    do {
        PangoRectangle log;
        double y, h;

        pango_layout_iter_get_line_extents(it, NULL, &log);
        y = (double)log.y / PANGO_SCALE;
        h = (double)log.height / PANGO_SCALE;
        if (y + h - top > BODY_H && y > top) {
            if (draw)
                cairo_show_page(cr);
            pages++;
            top = y;
            if (!draw && pages > KV_PRINT_DOC_PAGES_MAX)
                break;
        }
        if (draw) {
            double base = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE;
            cairo_move_to(cr, MARGIN_L + (double)log.x / PANGO_SCALE, MARGIN_T + base - top);
            pango_cairo_show_layout_line(cr, pango_layout_iter_get_line_readonly(it));
        }
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    if (draw)
        cairo_show_page(cr);
    return pages;
}

/* Classifies and prepares one file. */
static void prepare(cairo_t *cr, const struct kv_memo_file *f, struct doc *d)
{
    unsigned char *data = NULL;
    size_t len = 0;
    const char *mime = f->encoding_format ? f->encoding_format : "";
    char *text = NULL;

    d->kind = K_SKIP;
    d->name = f->filename ? f->filename : "";
    if (!f->content || kv_b64_decode(f->content, f->content_len, (size_t)-1, &data, &len) < 0) {
        d->why = "filens indhold er beskadiget";
        return;
    }
    if (starts_with_ci(mime, "application/pdf")) {
        GBytes *bytes = g_bytes_new(data, len);
        GError *ge = NULL;
        d->pdf = poppler_document_new_from_bytes(bytes, NULL, &ge);
        g_bytes_unref(bytes);
        if (!d->pdf) {
            d->why = ge && ge->code == POPPLER_ERROR_ENCRYPTED ? "PDF-filen er beskyttet med adgangskode"
                                                                : "PDF-filen kan ikke l\xc3\xa6ses";
            if (ge)
                g_error_free(ge);
        } else if (poppler_document_get_n_pages(d->pdf) < 1 ||
                   poppler_document_get_n_pages(d->pdf) > KV_PRINT_DOC_PAGES_MAX) {
            d->why = "PDF-filen har ingen eller for mange sider";
            g_object_unref(d->pdf);
            d->pdf = NULL;
        } else {
            d->kind = K_PDF;
            d->pages = poppler_document_get_n_pages(d->pdf);
        }
        free(data);
        return;
    }
    if (starts_with_ci(mime, "text/plain") || starts_with_ci(mime, "text/html") ||
        starts_with_ci(mime, "application/xhtml")) {
        if (len > KV_PRINT_TEXT_MAX) {
            d->why = "dokumentet er for langt til at blive printet";
        } else {
            text = starts_with_ci(mime, "text/plain") ? utf8_text(data, len) : html_text(data, len);
            if (!text || !g_utf8_validate(text, -1, NULL)) {
                d->why = "teksten kan ikke l\xc3\xa6ses";
            } else {
                d->layout = new_layout(cr, FONT " 10", BODY_W);
                pango_layout_set_text(d->layout, text, -1);
                d->pages = text_pages(cr, d->layout, 0);
                if (d->pages > KV_PRINT_DOC_PAGES_MAX) {
                    d->why = "dokumentet er for langt til at blive printet";
                    g_object_unref(d->layout);
                    d->layout = NULL;
                } else {
                    d->kind = K_TEXT;
                }
            }
        }
        free(text);
        free(data);
        return;
    }
    d->why = starts_with_ci(mime, "image/") ? "billeder printes ikke"
                                            : "filtypen kan ikke printes";
    free(data);
}

/* Draws text at (x, y) in font, width w; returns its height. */
static double put(cairo_t *cr, double x, double y, double w, const char *font, const char *text,
                  int one_line)
{
    PangoLayout *lay = new_layout(cr, font, w);
    int ph = 0;

    if (one_line)
        pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
    pango_layout_set_text(lay, text, -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, lay);
    pango_layout_get_size(lay, NULL, &ph);
    g_object_unref(lay);
    return (double)ph / PANGO_SCALE;
}

/* The address lines: split at newlines, else at ", ". */
static size_t address_lines(const char *addr, char lines[6][160])
{
    const char *sep = strchr(addr, '\n') ? "\n" : ", ";
    const char *p = addr;
    size_t n = 0;

    while (*p && n < 6) {
        const char *e = strstr(p, sep);
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l >= 160)
            l = 159;
        memcpy(lines[n], p, l);
        lines[n][l] = '\0';
        while (l > 0 && (lines[n][l - 1] == '\r' || lines[n][l - 1] == ' '))
            lines[n][--l] = '\0';
        if (l > 0)
            n++;
        if (!e)
            break;
        p = e + strlen(sep);
    }
    return n;
}

static void address_page(cairo_t *cr, const struct kv_print_letter *l, const char *title,
                         const struct doc *docs, size_t n, size_t n_technical, int total)
{
    char lines[6][160], buf[512], when[32];
    size_t i, nl;
    double y;
    int skipped = 0;

    cairo_set_source_rgb(cr, 0, 0, 0);
    /* fold marks (105 mm, 210 mm) and punch mark (148.5 mm) */
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, MM(3), MM(105));
    cairo_line_to(cr, MM(8), MM(105));
    cairo_move_to(cr, MM(3), MM(210));
    cairo_line_to(cr, MM(8), MM(210));
    cairo_move_to(cr, MM(3), MM(148.5));
    cairo_line_to(cr, MM(10), MM(148.5));
    cairo_stroke(cr);
    /* sender block, top right */
    put(cr, MM(125), MM(20), MM(65), FONT " Bold 10", l->sender_name[0] ? l->sender_name
                                                                         : "Digital Post", 0);
    if (l->sender_cvr[0]) {
        snprintf(buf, sizeof(buf), "CVR %s", l->sender_cvr);
        put(cr, MM(125), MM(26), MM(65), FONT " 9", buf, 1);
    }
    kv_clock_copenhagen_date(l->received_ms, when); /* the Danish date of receipt */
    snprintf(buf, sizeof(buf), "Dato %.10s", when);
    put(cr, MM(125), MM(31), MM(65), FONT " 9", buf, 1);
    /* address field: return line in the Vermerkzone, then the recipient */
    snprintf(buf, sizeof(buf), "Afsender: %s", l->sender_name[0] ? l->sender_name : "Digital Post");
    put(cr, MM(25), MM(57), MM(75), FONT " 6.5", buf, 1);
    y = MM(62.7);
    if (l->recipient_name[0])
        y += put(cr, MM(25), y, MM(75), FONT " 10", l->recipient_name, 1);
    nl = address_lines(l->address, lines);
    for (i = 0; i < nl; i++)
        if (strcmp(lines[i], l->recipient_name) != 0) /* the name is often the first line */
            y += put(cr, MM(25), y, MM(75), FONT " 10", lines[i], 1);
    /* what the letter is */
    y = MM(105);
    y += put(cr, MARGIN_L, y, BODY_W, FONT " Bold 14", title[0] ? title : "Brev", 0) + MM(3);
    snprintf(buf, sizeof(buf),
             "Dette brev er sendt til dig som Digital Post. Da du er fritaget for Digital Post, "
             "f\xc3\xa5r du det med posten.");
    y += put(cr, MARGIN_L, y, BODY_W, FONT " 9", buf, 0);
    snprintf(buf, sizeof(buf), "Brevets id: %s", l->message_uuid);
    y += put(cr, MARGIN_L, y, BODY_W, FONT " 9", buf, 1) + MM(5);
    y += put(cr, MARGIN_L, y, BODY_W, FONT " Bold 10", "Indhold", 0) + MM(1);
    for (i = 0; i < n; i++) {
        if (docs[i].kind == K_SKIP) {
            skipped++;
            continue;
        }
        snprintf(buf, sizeof(buf), "%s \xe2\x80\x93 %d %s", docs[i].name, docs[i].pages,
                 docs[i].pages == 1 ? "side" : "sider");
        y += put(cr, MARGIN_L + MM(3), y, BODY_W - MM(3), FONT " 9", buf, 1);
    }
    if (skipped || n_technical) {
        y += MM(4);
        y += put(cr, MARGIN_L, y, BODY_W, FONT " Bold 10",
                 "Kan ikke printes (findes i den digitale udgave)", 0) + MM(1);
        for (i = 0; i < n && y < A4_H - MARGIN_B - MM(10); i++) {
            if (docs[i].kind != K_SKIP)
                continue;
            snprintf(buf, sizeof(buf), "%s \xe2\x80\x93 %s", docs[i].name, docs[i].why);
            y += put(cr, MARGIN_L + MM(3), y, BODY_W - MM(3), FONT " 9", buf, 1);
        }
        if (n_technical) {
            snprintf(buf, sizeof(buf), "%zu teknisk%s dokument%s \xe2\x80\x93 til systemer, "
                     "printes ikke", n_technical, n_technical == 1 ? "" : "e",
                     n_technical == 1 ? "" : "er");
            put(cr, MARGIN_L + MM(3), y, BODY_W - MM(3), FONT " 9", buf, 1);
        }
    }
    snprintf(buf, sizeof(buf), "%d %s i alt", total, total == 1 ? "side" : "sider");
    put(cr, MARGIN_L, A4_H - MARGIN_B, BODY_W, FONT " 7", buf, 1);
    cairo_show_page(cr);
}

static cairo_status_t write_file(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, (FILE *)closure) == len ? CAIRO_STATUS_SUCCESS
                                                       : CAIRO_STATUS_WRITE_ERROR;
}

static void add_docs(cairo_t *cr, const struct kv_memo_document *d, struct doc *docs, size_t *n)
{
    size_t i;

    for (i = 0; i < d->n_files; i++) {
        if (*n >= MAX_FILES)
            return;
        memset(&docs[*n], 0, sizeof(docs[*n]));
        docs[*n].doc_label = d->label;
        prepare(cr, &d->files[i], &docs[*n]);
        (*n)++;
    }
}

int kv_print_render(const struct kv_print_letter *l, const char *path, int *out_pages,
                    int *out_unprintable, struct kv_err *err)
{
    struct kv_memo_diags diags;
    struct kv_memo_doc *mdoc = NULL;
    struct kv_memo_message *m = NULL;
    struct doc *docs = NULL;
    cairo_surface_t *surf = NULL;
    cairo_t *cr = NULL;
    PangoFontMap *fontmap = NULL;
    PangoContext *pc = NULL;
    FILE *f = NULL;
    size_t n = 0, i, n_technical = 0;
    int rc, total = 1, skipped = 0, p;

    *out_pages = 0;
    *out_unprintable = 0;
    if (!l->address || !l->address[0])
        return kv_err_set(err, KV_EINVAL, "the recipient has no postal address");
    rc = kv_memo_global_init(err);
    if (rc < 0)
        return rc;
    kv_memo_diags_init(&diags);
    rc = kv_memo_check(l->memo, l->memo_len, KV_MEMO_LEVEL_XSD, NULL, &diags, &mdoc, err);
    if (rc == 0 && !mdoc)
        rc = kv_err_set(err, KV_EINVAL, "letter %s cannot be parsed", l->message_uuid);
    if (rc == 0)
        rc = kv_memo_read(mdoc, 0, &m, err);
    kv_memo_doc_free(mdoc);
    kv_memo_diags_release(&diags);
    if (rc < 0)
        return rc;
    f = fopen(path, "wb");
    if (!f) {
        rc = kv_err_set(err, KV_EIO, "cannot write %s", path);
        goto out;
    }
    surf = cairo_pdf_surface_create_for_stream(write_file, f, A4_W, A4_H);
    cr = cairo_create(surf);
    fontmap = pango_cairo_font_map_new();
    pc = pango_font_map_create_context(fontmap);
    pango_cairo_update_context(cr, pc);
    cairo_set_user_data(cr, &PANGO_KEY, pc, NULL);
    docs = kv_xcalloc(MAX_FILES, sizeof(*docs));
    if (m->body) {
        add_docs(cr, &m->body->main, docs, &n);
        for (i = 0; i < m->body->n_additional; i++)
            add_docs(cr, &m->body->additional[i], docs, &n);
        for (i = 0; i < m->body->n_technical; i++)
            n_technical += m->body->technical[i].n_files;
    }
    for (i = 0; i < n; i++) {
        if (docs[i].kind == K_SKIP)
            skipped++;
        else
            total += docs[i].pages;
    }
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE,
                                   m->header.label ? m->header.label : "");
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "kuvert fjernprint");
    address_page(cr, l, m->header.label ? m->header.label : "", docs, n, n_technical, total);
    for (i = 0; i < n; i++) {
        if (docs[i].kind == K_TEXT) {
            cairo_pdf_surface_set_size(surf, A4_W, A4_H);
            text_pages(cr, docs[i].layout, 1);
        } else if (docs[i].kind == K_PDF) {
            for (p = 0; p < docs[i].pages; p++) {
                PopplerPage *pg = poppler_document_get_page(docs[i].pdf, p);
                double w = A4_W, h = A4_H;
                if (pg)
                    poppler_page_get_size(pg, &w, &h);
                cairo_pdf_surface_set_size(surf, w, h);
                cairo_save(cr);
                if (pg)
                    poppler_page_render_for_printing(pg, cr);
                cairo_restore(cr);
                cairo_show_page(cr);
                if (pg)
                    g_object_unref(pg);
            }
            cairo_pdf_surface_set_size(surf, A4_W, A4_H);
        }
    }
    cairo_destroy(cr);
    cr = NULL;
    cairo_surface_finish(surf);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        rc = kv_err_set(err, KV_EIO, "cannot write %s: %s", path,
                        cairo_status_to_string(cairo_surface_status(surf)));
        goto out;
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = kv_err_set(err, KV_EIO, "cannot write %s", path);
        goto out;
    }
    *out_pages = total;
    *out_unprintable = skipped;
out:
    if (cr)
        cairo_destroy(cr);
    if (surf)
        cairo_surface_destroy(surf);
    if (f && fclose(f) != 0 && rc == 0)
        rc = kv_err_set(err, KV_EIO, "cannot write %s", path);
    for (i = 0; docs && i < n; i++) {
        if (docs[i].pdf)
            g_object_unref(docs[i].pdf);
        if (docs[i].layout)
            g_object_unref(docs[i].layout);
    }
    free(docs);
    if (pc)
        g_object_unref(pc);
    if (fontmap)
        g_object_unref(fontmap);
    kv_memo_message_free(m);
    return rc;
}

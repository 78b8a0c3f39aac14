/* SPDX-License-Identifier: MIT
 *
 * test_print_logo.c: unit tests of two checks that need no store: the print PDF renderer
 * (src/hub/print_pdf.c) and the logo check (src/hub/logo.c). The rendered PDF is read back with
 * poppler: page count (address page + text), the recipient's address inside the envelope window
 * of page 1, the unprintable image listed, a letter without an address refused. The logo
 * check: a real PNG is accepted with its size; a non-PNG, a cut PNG, a PNG with a broken CRC,
 * too small and too large images, an empty and a too big file are refused with their reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <png.h>
#include <poppler.h>

#include "hub/logo.h"
#include "hub/print.h"
#include "util/base64.h"

static char *memo_with(const char *text, const void *png, size_t png_len)
{
    char *t64 = NULL, *p64 = NULL, *xml;
    size_t n;

    assert_int_equal(kv_b64_encode(text, strlen(text), 1 << 20, &t64, &n), 0);
    assert_int_equal(kv_b64_encode(png, png_len, 1 << 20, &p64, &n), 0);
    n = strlen(t64) + strlen(p64) + 4096;
    xml = malloc(n);
    assert_non_null(xml);
    snprintf(xml, n,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
             "<memo:Message xmlns:memo=\"https://DigitalPost.dk/MeMo-1\" memoVersion=\"1.2\">"
             "<memo:MessageHeader><memo:messageType>DIGITALPOST</memo:messageType>"
             "<memo:messageUUID>8e4f1f0a-5b1e-4e2a-9c55-0d3b1c2a7e11</memo:messageUUID>"
             "<memo:label>Afgørelse</memo:label>"
             "<memo:Sender><memo:senderID>12345678</memo:senderID><memo:idType>CVR</memo:idType>"
             "<memo:label>Kommunen</memo:label></memo:Sender>"
             "<memo:Recipient><memo:recipientID>0101701234</memo:recipientID>"
             "<memo:idType>CPR</memo:idType></memo:Recipient></memo:MessageHeader>"
             "<memo:MessageBody><memo:createdDateTime>2024-05-03T12:00:00Z</memo:createdDateTime>"
             "<memo:MainDocument><memo:File><memo:encodingFormat>text/plain</memo:encodingFormat>"
             "<memo:filename>brev.txt</memo:filename><memo:language>da</memo:language>"
             "<memo:content>%s</memo:content></memo:File></memo:MainDocument>"
             "<memo:AdditionalDocument><memo:File><memo:encodingFormat>image/png"
             "</memo:encodingFormat><memo:filename>foto.png</memo:filename>"
             "<memo:language>da</memo:language><memo:content>%s</memo:content></memo:File>"
             "</memo:AdditionalDocument></memo:MessageBody></memo:Message>",
             t64, p64);
    free(t64);
    free(p64);
    return xml;
}

/* A w x h RGB PNG (owned, free()). */
static unsigned char *make_png(int w, int h, size_t *len)
{
    png_image img;
    unsigned char *px = calloc((size_t)w * h * 3, 1), *out;
    png_alloc_size_t n = 0;

    assert_non_null(px);
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_RGB;
    assert_true(png_image_write_to_memory(&img, NULL, &n, 0, px, 0, NULL));
    out = malloc(n);
    assert_non_null(out);
    assert_true(png_image_write_to_memory(&img, out, &n, 0, px, 0, NULL));
    free(px);
    *len = n;
    return out;
}

static void test_render(void **state)
{
    char path[] = "/tmp/kuvert-print-XXXXXX";
    char uri[64];
    struct kv_print_letter l;
    struct kv_err err = {0, ""};
    size_t png_len;
    unsigned char *png = make_png(20, 20, &png_len);
    char *memo = memo_with("Kære Jens\n\nDette er brevet.", png, png_len);
    PopplerDocument *doc;
    PopplerPage *p1;
    PopplerRectangle win;
    char *all, *window;
    double w, h;
    int fd, pages = 0, unprintable = 0;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    memset(&l, 0, sizeof(l));
    l.message_uuid = "8e4f1f0a-5b1e-4e2a-9c55-0d3b1c2a7e11";
    l.sender_name = "Kommunen";
    l.sender_cvr = "12345678";
    l.recipient_name = "Jens Jensen";
    l.address = "Jens Jensen\nVestergade 3\n8000 Aarhus C";
    l.received_ms = 1733356800000LL;
    l.memo = memo;
    l.memo_len = strlen(memo);
    assert_int_equal(kv_print_render(&l, path, &pages, &unprintable, &err), 0);
    assert_int_equal(pages, 2);
    assert_int_equal(unprintable, 1);
    snprintf(uri, sizeof(uri), "file://%s", path);
    doc = poppler_document_new_from_file(uri, NULL, NULL);
    assert_non_null(doc);
    assert_int_equal(poppler_document_get_n_pages(doc), 2);
    p1 = poppler_document_get_page(doc, 0);
    poppler_page_get_size(p1, &w, &h);
    assert_true(w > 594 && w < 596 && h > 841 && h < 843); /* A4 */
    all = poppler_page_get_text(p1);
    assert_non_null(strstr(all, "foto.png"));
    assert_non_null(strstr(all, "Kan ikke printes"));
    /* DIN 5008 B window: 20 mm from the left, 45 mm from the top, 85 x 45 mm */
    win.x1 = 20 * 72 / 25.4;
    win.y1 = 45 * 72 / 25.4;
    win.x2 = win.x1 + 85 * 72 / 25.4;
    win.y2 = win.y1 + 45 * 72 / 25.4;
    window = poppler_page_get_text_for_area(p1, &win);
    assert_non_null(strstr(window, "Vestergade 3"));
    assert_non_null(strstr(window, "8000 Aarhus C"));
    /* (that nothing else is in the window is checked with pdftotext's exact crop in
     * tests/it/test_print.py; poppler-glib's area selection follows the reading flow) */
    g_free(all);
    g_free(window);
    g_object_unref(p1);
    g_object_unref(doc);
    l.address = "";
    assert_int_equal(kv_print_render(&l, path, &pages, &unprintable, &err), KV_EINVAL);
    unlink(path);
    free(memo);
    free(png);
}

/* A long text is paginated: every line appears once, on a page after the address page. */
static void test_long_text_pages(void **state)
{
    char path[] = "/tmp/kuvert-print-XXXXXX", uri[64], line[32];
    struct kv_print_letter l;
    struct kv_err err = {0, ""};
    char *text = calloc(200 * 32, 1), *memo, *t;
    size_t png_len;
    unsigned char *png = make_png(20, 20, &png_len);
    PopplerDocument *doc;
    int fd, pages = 0, unprintable = 0, i, p, found;
    size_t off;

    (void)state;
    assert_non_null(text);
    for (i = 0, off = 0; i < 200; i++)
        off += (size_t)snprintf(text + off, 200 * 32 - off, "Linje nummer %03d\n", i);
    memo = memo_with(text, png, png_len);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    memset(&l, 0, sizeof(l));
    l.message_uuid = "8e4f1f0a-5b1e-4e2a-9c55-0d3b1c2a7e11";
    l.sender_name = "";
    l.sender_cvr = "";
    l.recipient_name = "";
    l.address = "Vestergade 3, 8000 Aarhus C";
    l.memo = memo;
    l.memo_len = strlen(memo);
    assert_int_equal(kv_print_render(&l, path, &pages, &unprintable, &err), 0);
    assert_true(pages >= 4); /* 200 lines at 10 pt do not fit on two A4 pages */
    snprintf(uri, sizeof(uri), "file://%s", path);
    doc = poppler_document_new_from_file(uri, NULL, NULL);
    assert_non_null(doc);
    assert_int_equal(poppler_document_get_n_pages(doc), pages);
    for (i = 0; i < 200; i += 13) {
        snprintf(line, sizeof(line), "Linje nummer %03d", i);
        found = 0;
        for (p = 1; p < pages; p++) {
            PopplerPage *pg = poppler_document_get_page(doc, p);
            t = poppler_page_get_text(pg);
            found += strstr(t, line) != NULL;
            g_free(t);
            g_object_unref(pg);
        }
        assert_int_equal(found, 1);
    }
    g_object_unref(doc);
    unlink(path);
    free(memo);
    free(png);
    free(text);
}

static void test_logo_check(void **state)
{
    size_t len;
    unsigned char *ok = make_png(64, 32, &len), *big;
    int w = 0, h = 0;

    (void)state;
    assert_int_equal(kv_logo_check(ok, len, &w, &h), KV_LOGO_OK);
    assert_int_equal(w, 64);
    assert_int_equal(h, 32);
    assert_int_equal(kv_logo_check("GIF89a....", 10, &w, &h), KV_LOGO_NOT_PNG);
    assert_int_equal(kv_logo_check(ok, 40, &w, &h), KV_LOGO_DAMAGED);
    ok[len - 20] ^= 0xff; /* inside IDAT or its CRC */
    assert_int_equal(kv_logo_check(ok, len, &w, &h), KV_LOGO_DAMAGED);
    assert_int_equal(kv_logo_check(ok, 0, &w, &h), KV_LOGO_EMPTY);
    free(ok);
    ok = make_png(8, 64, &len);
    assert_int_equal(kv_logo_check(ok, len, &w, &h), KV_LOGO_TOO_SMALL);
    free(ok);
    ok = make_png(2001, 16, &len);
    assert_int_equal(kv_logo_check(ok, len, &w, &h), KV_LOGO_TOO_LARGE);
    free(ok);
    big = calloc(KV_LOGO_MAX_BYTES + 1, 1);
    assert_non_null(big);
    assert_int_equal(kv_logo_check(big, KV_LOGO_MAX_BYTES + 1, &w, &h), KV_LOGO_TOO_BIG);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_long_text_pages),
        cmocka_unit_test(test_logo_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

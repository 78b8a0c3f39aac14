/* SPDX-License-Identifier: MIT
 *
 * test_model.c: unit tests of the MeMo model (src/memo/model.c, read.c, write.c, build.c,
 * upgrade.c) and the base64 codec (src/util/base64.c). Documents go through the real
 * kv_memo_check, so "valid" below means: no errors at KV_MEMO_LEVEL_XSD, and at
 * KV_MEMO_LEVEL_NGDP no more errors than the input had. Covered: read -> write -> read
 * round trip of every valid example with equal models and byte-identical re-writes, prefix
 * independence of the reader, the builder producing a valid letter, 1.1 -> 1.2 upgrade,
 * equality detecting changes, KV_MEMO_READ_NO_CONTENT, writer strictness and escaping, the
 * tolerant reader, base64 vectors and bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memo/memo.h"
#include "memo/model.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define EX "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"
#define FULL11 EX "Full_Example__memo-1.1.xml"
#define FULL12 EX "Full_Example__memo-1.2.xml"
#define MIN11 EX "Minimum_Example__memo-1.1.xml"
#define MIN12 EX "Minimum_Example__memo-1.2.xml"
#define SMS11 EX "NemSMS__memo-1.1.xml"
#define SMS12 EX "NemSMS__memo-1.2.xml"
#define ATT11 EX "with_attachment__memo-1.1.xml"
#define ATT12 EX "with_attachment__memo-1.2.xml"

#define OUT_MAX ((size_t)16 << 20)

static const char *const examples[] = {FULL11, FULL12, MIN11, MIN12,
                                       SMS11,  SMS12,  ATT11, ATT12};

/* ---------------------------------------------------------------- harness */

static char *read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = kv_xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *out_len = (size_t)n;
    return buf;
}

/* Checks xml at level; returns the error count. */
static size_t n_errors(const char *xml, size_t len, enum kv_memo_level level, int print)
{
    struct kv_memo_diags d;
    struct kv_err err = {0};
    size_t n, i;

    kv_memo_diags_init(&d);
    assert_int_equal(kv_memo_check(xml, len, level, NULL, &d, NULL, &err), 0);
    n = d.n_errors;
    if (print && n)
        for (i = 0; i < d.n; i++)
            fprintf(stderr, "  %s %lu: %s: %s\n", d.items[i].rule, d.items[i].line,
                    d.items[i].path, d.items[i].message);
    kv_memo_diags_release(&d);
    return n;
}

/* Parses xml (any well-formed document) and reads its model with flags. */
static struct kv_memo_message *model_of(const char *xml, size_t len, unsigned flags)
{
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_memo_message *msg = NULL;
    struct kv_err err = {0};

    kv_memo_diags_init(&d);
    assert_int_equal(kv_memo_check(xml, len, KV_MEMO_LEVEL_XSD, NULL, &d, &doc, &err), 0);
    assert_non_null(doc);
    assert_int_equal(kv_memo_read(doc, flags, &msg, &err), 0);
    assert_non_null(msg);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);
    return msg;
}

static struct kv_memo_message *model_of_file(const char *path, unsigned flags)
{
    size_t len;
    char *src = read_file(path, &len);
    struct kv_memo_message *msg = model_of(src, len, flags);

    free(src);
    return msg;
}

/* Writes msg strictly; returns the owned XML. */
static char *xml_of(const struct kv_memo_message *msg, size_t *out_len)
{
    struct kv_buf b;
    struct kv_err err = {0};
    int rc;

    kv_buf_init(&b, OUT_MAX);
    rc = kv_memo_write(msg, 0, &b, &err);
    if (rc != 0)
        fprintf(stderr, "kv_memo_write: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return kv_buf_detach(&b, out_len);
}

static void assert_models_equal(const struct kv_memo_message *a,
                                const struct kv_memo_message *b)
{
    char where[256];
    int eq = kv_memo_message_diff(a, b, where, sizeof where);

    if (!eq)
        fprintf(stderr, "models differ at %s\n", where);
    assert_true(eq);
    assert_true(kv_memo_message_equal(a, b));
}

/* ---------------------------------------------------------------- round trip */

static void test_roundtrip_examples(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        size_t len, len1, len2;
        char *src = read_file(examples[i], &len);
        struct kv_memo_message *m1 = model_of(src, len, 0), *m2;
        char *x1 = xml_of(m1, &len1), *x2;

        assert_int_equal(n_errors(src, len, KV_MEMO_LEVEL_XSD, 1), 0);
        assert_int_equal(n_errors(x1, len1, KV_MEMO_LEVEL_XSD, 1), 0);
        assert_true(n_errors(x1, len1, KV_MEMO_LEVEL_NGDP, 0) <=
                    n_errors(src, len, KV_MEMO_LEVEL_NGDP, 0));
        m2 = model_of(x1, len1, 0);
        assert_models_equal(m1, m2);
        x2 = xml_of(m2, &len2); /* canonical: writing again gives the same bytes */
        assert_int_equal(len1, len2);
        assert_memory_equal(x1, x2, len1);
        assert_true(strncmp(x1, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<memo:Message "
                                "xmlns:memo=\"https://DigitalPost.dk/MeMo-1\"",
                            95) == 0);
        if (kv_memo_version_code(m1->memo_version) == 11)
            assert_non_null(strstr(x1, " memoSchVersion=\"1.1.0\""));
        else
            assert_null(strstr(x1, "memoSchVersion"));
        kv_memo_message_free(m1);
        kv_memo_message_free(m2);
        free(src);
        free(x1);
        free(x2);
    }
}

/* The full 1.2 example exercises almost every element: spot-check the reader's mapping. */
static void test_read_full_fields(void **state)
{
    struct kv_memo_message *m = model_of_file(FULL12, 0);
    const struct kv_memo_header *h = &m->header;
    const struct kv_memo_body *b = m->body;

    (void)state;
    assert_string_equal(m->memo_version, "1.2");
    assert_null(m->memo_sch_version);
    assert_string_equal(h->message_type, "DIGITALPOST");
    assert_string_equal(h->message_uuid, "8C2EA15D-61FB-4BA9-9366-42F8B194C114");
    assert_int_equal(h->reply, KV_MEMO_BOOL_TRUE);
    assert_int_equal(h->mandatory, KV_MEMO_BOOL_TRUE);
    assert_int_equal(h->legal_notification, KV_MEMO_BOOL_FALSE);
    assert_string_equal(h->do_not_deliver_until, "2025-09-15");
    assert_string_equal(h->sender.attention->gln->number, "5798000012345");
    assert_string_equal(h->sender.attention->address->point->easting, "557501.23");
    assert_string_equal(h->sender.attention->sor_data->entry_name, "tekst");
    assert_string_equal(h->sender.attention->unstructured->unstructured,
                        "Bakketoppen 6, 9000 Aalborg");
    assert_int_equal(h->sender.contact_point->n_info, 2);
    assert_string_equal(h->sender.contact_point->info[1].value, "Emilie Hansen");
    assert_string_equal(h->sender.representative->id, "87654321");
    assert_null(h->recipient.attention->generating_system);
    assert_string_equal(h->content_data->kle_data->version, "Maj 2018");
    assert_string_equal(h->content_data->form_data->activity_facet, "Tekst]");
    assert_string_equal(h->content_data->motor_vehicle->license_number, "AB12345");
    assert_string_equal(h->content_data->education->code, "123ABC");
    assert_int_equal(h->content_data->n_additional, 2);
    assert_string_equal(h->content_data->additional[1].value, "Værdi 2");
    assert_string_equal(h->forward_data->original_representative, "Repræsentant Kommune");
    assert_int_equal(h->n_reply_data, 2);
    assert_int_equal(h->reply_data[1].n_additional, 4);
    assert_string_equal(h->reply_data[1].additional[3].label, "Att");
    assert_null(h->reply_data[0].reply_uuid);
    assert_string_equal(b->created, "2018-05-03T12:00:00Z");
    assert_string_equal(b->main.id, "456");
    assert_int_equal(b->main.n_files, 2);
    assert_int_equal(b->main.n_actions, 2);
    assert_string_equal(b->main.actions[0].entry_point->url,
                        "https://www.tusindfryd.dk/spørgeskema.html");
    assert_null(b->main.actions[0].reservation);
    assert_string_equal(b->main.actions[1].reservation->organizer_name, "Jette Hansen");
    assert_int_equal(b->n_additional, 2);
    assert_string_equal(b->additional[1].actions[0].entry_point->url,
                        "https://registration.nemhandel.dk/NemHandelRegisterWeb/public/"
                        "participant/info?key=5798009811578&keytype=GLN");
    assert_int_equal(b->n_technical, 1);
    assert_int_equal(b->technical[0].n_actions, 0);
    assert_string_equal(b->technical[0].files[0].content, "VGhpcyBpcyBhIHRlc3Q=");
    assert_int_equal(b->technical[0].files[0].size, 14);
    kv_memo_message_free(m);
}

/* Prefixes in the input are arbitrary: a default namespace reads the same. */
static void test_reader_prefix_independent(void **state)
{
    size_t len, i, w = 0;
    char *src = read_file(MIN12, &len);
    char *alt = kv_xmalloc(len + 1);
    struct kv_memo_message *a, *b;

    (void)state;
    /* "memo:" -> "" (elements), "xmlns:memo=" -> "xmlns=" (declaration) */
    for (i = 0; i < len;) {
        if (strncmp(src + i, "xmlns:memo=", 11) == 0) {
            memcpy(alt + w, "xmlns=", 6);
            w += 6;
            i += 11;
        } else if (strncmp(src + i, "memo:", 5) == 0) {
            i += 5;
        } else {
            alt[w++] = src[i++];
        }
    }
    alt[w] = '\0';
    assert_null(strstr(alt, "memo:"));
    a = model_of(src, len, 0);
    b = model_of(alt, w, 0);
    assert_models_equal(a, b);
    assert_non_null(b->header.label);
    kv_memo_message_free(a);
    kv_memo_message_free(b);
    free(src);
    free(alt);
}

/* ---------------------------------------------------------------- builder */

static struct kv_memo_message *build_letter(const char *version)
{
    static const char pdf[] =
        "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    static const char txt[] = "Bilag: praktiske oplysninger\n";
    struct kv_memo_message *m = NULL;
    struct kv_err err = {0};

    assert_int_equal(kv_memo_build_new(version, KV_MEMO_DIGITALPOST, "Besked fra kommunen", &m,
                                       &err),
                     0);
    assert_int_equal(kv_memo_build_sender(m, "12345674", "CVR", "Kommunen", &err), 0);
    assert_int_equal(kv_memo_build_recipient(m, "2211771212", "CPR", "Mette Hansen", &err), 0);
    assert_int_equal(kv_memo_build_value_date(m, "2030-02-28", &err), 0);
    assert_int_equal(kv_memo_build_main_file(m, "Brev.PDF", pdf, sizeof pdf - 1, NULL, NULL,
                                             &err),
                     0);
    assert_int_equal(kv_memo_build_attachment(m, NULL, "bilag.txt", txt, sizeof txt - 1, NULL,
                                              "da", &err),
                     0);
    assert_int_equal(kv_memo_build_action(m, "Svar", "SELVBETJENING",
                                          "https://kommune.example/svar?id=1&x=2", &err),
                     0);
    kv_memo_str_set(&m->header.notification, "Du har fået post");
    return m;
}

static void test_builder_valid_letter(void **state)
{
    const char *versions[] = {"1.2", "1.1"};
    size_t v;

    (void)state;
    for (v = 0; v < 2; v++) {
        struct kv_memo_message *m = build_letter(versions[v]), *back;
        const struct kv_memo_file *f = &m->body->main.files[0];
        unsigned char *bytes = NULL;
        size_t len, blen;
        char *x;
        struct kv_err err = {0};

        assert_string_equal(m->memo_version, versions[v]);
        assert_string_equal(f->encoding_format, "application/pdf");
        assert_string_equal(f->language, "da");
        assert_string_equal(m->body->additional[0].files[0].encoding_format, "text/plain");
        assert_string_equal(m->body->additional[0].label, "bilag.txt");
        assert_int_equal(strlen(m->header.message_uuid), 36);
        assert_int_equal(m->header.message_uuid[14], '4');
        assert_int_equal(strlen(m->body->created), 20);
        assert_int_equal(m->body->created[19], 'Z');
        x = xml_of(m, &len);
        assert_int_equal(n_errors(x, len, KV_MEMO_LEVEL_XSD, 1), 0);
        assert_int_equal(n_errors(x, len, KV_MEMO_LEVEL_NGDP, 1), 0);
        back = model_of(x, len, 0);
        assert_models_equal(m, back);
        /* the file bytes survive encode -> XML -> decode */
        assert_int_equal(kv_memo_file_decode(&back->body->main.files[0], 1 << 20, &bytes, &blen,
                                             &err),
                         0);
        assert_int_equal(blen, f->size);
        assert_memory_equal(bytes, "%PDF-1.4\n", 9);
        free(bytes);
        if (v == 1) /* 1.1 writes the required booleans with their default */
            assert_non_null(strstr(x, "<memo:mandatory>false</memo:mandatory>"));
        else
            assert_null(strstr(x, "<memo:mandatory>"));
        kv_memo_message_free(m);
        kv_memo_message_free(back);
        free(x);
    }
}

static void test_builder_errors(void **state)
{
    struct kv_memo_message *m = NULL;
    struct kv_err err = {0};
    char u1[37], u2[37];

    (void)state;
    assert_int_equal(kv_memo_build_new("1.3", KV_MEMO_DIGITALPOST, "x", &m, &err), KV_EINVAL);
    assert_null(m);
    assert_int_equal(kv_memo_build_new(NULL, "LETTER", "x", &m, &err), KV_EINVAL);
    assert_int_equal(kv_memo_build_new(NULL, KV_MEMO_DIGITALPOST, "", &m, &err), KV_EINVAL);
    assert_int_equal(kv_memo_build_new(NULL, KV_MEMO_NEMSMS, "SMS", &m, &err), 0);
    assert_string_equal(m->memo_version, "1.2");
    assert_null(m->body);
    assert_int_equal(kv_memo_build_main_file(m, "a.pdf", "x", 1, NULL, NULL, &err), KV_EINVAL);
    assert_int_equal(kv_memo_build_value_date(m, "2025-02-29", &err), KV_EINVAL);
    assert_int_equal(kv_memo_build_value_date(m, "2024-02-29", &err), 0);
    assert_int_equal(kv_memo_build_value_date(m, "2024-2-29", &err), KV_EINVAL);
    assert_int_equal(kv_memo_build_value_date(m, "2024-13-01", &err), KV_EINVAL);
    assert_string_equal(m->header.do_not_deliver_until, "2024-02-29");
    kv_memo_message_free(m);

    assert_string_equal(kv_memo_guess_mime("x.docx"),
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    assert_string_equal(kv_memo_guess_mime("A.JPEG"), "image/jpeg");
    assert_string_equal(kv_memo_guess_mime("noext"), "application/octet-stream");
    assert_string_equal(kv_memo_guess_mime("dir.pdf/file"), "application/octet-stream");
    assert_int_equal(kv_memo_uuid_v4(u1, &err), 0);
    assert_int_equal(kv_memo_uuid_v4(u2, &err), 0);
    assert_string_not_equal(u1, u2);
    assert_true(strchr("89ab", u1[19]) != NULL);
}

/* ---------------------------------------------------------------- upgrade */

static void test_upgrade_full_11(void **state)
{
    size_t i, len;
    const char *in[] = {FULL11, MIN11, SMS11, ATT11};

    (void)state;
    for (i = 0; i < 4; i++) {
        struct kv_memo_message *m = model_of_file(in[i], 0), *orig = model_of_file(in[i], 0);
        struct kv_memo_message *back;
        struct kv_err err = {0};
        char *x;
        char where[200];

        assert_int_equal(kv_memo_upgrade(m, &err), 0);
        assert_string_equal(m->memo_version, "1.2");
        assert_null(m->memo_sch_version);
        assert_int_equal(m->header.mandatory, orig->header.mandatory);
        assert_int_equal(m->header.legal_notification, orig->header.legal_notification);
        x = xml_of(m, &len);
        assert_non_null(strstr(x, "memoVersion=\"1.2\""));
        assert_null(strstr(x, "memoSchVersion"));
        assert_int_equal(n_errors(x, len, KV_MEMO_LEVEL_XSD, 1), 0);
        back = model_of(x, len, 0);
        assert_models_equal(m, back);
        /* only the root attributes changed */
        assert_false(kv_memo_message_diff(m, orig, where, sizeof where));
        assert_string_equal(where, "/@memoVersion");
        kv_memo_str_set(&orig->memo_version, "1.2");
        kv_memo_str_set(&orig->memo_sch_version, NULL);
        assert_models_equal(m, orig);
        /* idempotent */
        assert_int_equal(kv_memo_upgrade(m, &err), 0);
        assert_models_equal(m, orig);
        kv_memo_message_free(m);
        kv_memo_message_free(orig);
        kv_memo_message_free(back);
        free(x);
    }
    /* Every spelling of 1.1 that the check accepts (xs:decimal: blanks, leading zeros,
     * trailing zeros, a plus sign) is 1.1 to the model too: "+1.1" passed the check and was
     * then "not a MeMo version" to kv_memo_upgrade and kv_memo_write. */
    {
        static const char *const spelled[] = {"1.1", " 1.1 ", "01.1", "1.10", "+1.1", "+01.100"};
        char *min = read_file(MIN11, &len);
        for (i = 0; i < sizeof(spelled) / sizeof(spelled[0]); i++) {
            struct kv_memo_message *m;
            struct kv_err err = {0};
            char attr[40], *x, *v, *hit = strstr(min, "memoVersion=\"1.1\"");
            size_t xlen, pre;

            assert_non_null(hit);
            assert_int_equal(kv_memo_version_code(spelled[i]), 11);
            snprintf(attr, sizeof(attr), "memoVersion=\"%s\"", spelled[i]);
            pre = (size_t)(hit - min);
            v = kv_xasprintf("%.*s%s%s", (int)pre, min, attr, hit + strlen("memoVersion=\"1.1\""));
            assert_int_equal(n_errors(v, strlen(v), KV_MEMO_LEVEL_NGDP, 1), 0);
            m = model_of(v, strlen(v), 0);
            assert_int_equal(kv_memo_upgrade(m, &err), 0);
            x = xml_of(m, &xlen);
            assert_int_equal(n_errors(x, xlen, KV_MEMO_LEVEL_XSD, 1), 0);
            kv_memo_message_free(m);
            free(x);
            free(v);
        }
        free(min);
        assert_int_equal(kv_memo_version_code("-1.1"), -1);
        assert_int_equal(kv_memo_version_code("++1.1"), -1);
    }
    {
        struct kv_memo_message *m = kv_memo_message_new();
        struct kv_err err = {0};
        kv_memo_str_set(&m->memo_version, "2.0");
        assert_int_equal(kv_memo_upgrade(m, &err), KV_EINVAL);
        kv_memo_message_free(m);
    }
}

/* ---------------------------------------------------------------- equality */

static void test_equal_detects_changes(void **state)
{
    struct kv_memo_message *a = model_of_file(FULL12, 0), *b = model_of_file(FULL12, 0);
    char where[200];

    (void)state;
    assert_models_equal(a, b);

    kv_memo_str_set(&b->header.sender.attention->email->address, "x@example.dk");
    assert_false(kv_memo_message_diff(a, b, where, sizeof where));
    assert_string_equal(where, "/MessageHeader/Sender/AttentionData/EMail/emailAddress");
    kv_memo_str_set(&b->header.sender.attention->email->address, "info@tusindfryd.dk");
    assert_true(kv_memo_message_equal(a, b));

    b->header.legal_notification = KV_MEMO_BOOL_ABSENT;
    assert_false(kv_memo_message_diff(a, b, where, sizeof where));
    assert_string_equal(where, "/MessageHeader/legalNotification");
    b->header.legal_notification = KV_MEMO_BOOL_FALSE;

    b->header.reply_data[1].additional[2].value[0] = 'T';
    assert_false(kv_memo_message_diff(a, b, where, sizeof where));
    assert_string_equal(where, "/MessageHeader/ReplyData[2]/AdditionalReplyData[3]/value");
    b->header.reply_data[1].additional[2].value[0] = 't';

    b->body->main.files[1].content[0] = 'W';
    assert_false(kv_memo_message_diff(a, b, where, sizeof where));
    assert_string_equal(where, "/MessageBody/MainDocument/File[2]/content");
    b->body->main.files[1].content[0] = 'V';

    b->body->n_technical = 0; /* the element stays allocated; free() still releases it */
    assert_false(kv_memo_message_equal(a, b));
    b->body->n_technical = 1;

    kv_memo_str_set(&b->header.forward_data->original_representative, NULL);
    assert_false(kv_memo_message_diff(a, b, where, sizeof where));
    assert_string_equal(where, "/MessageHeader/ForwardData/originalRepresentative");
    kv_memo_message_free(b);

    b = model_of_file(FULL11, 0); /* a different message altogether */
    assert_false(kv_memo_message_equal(a, b));
    assert_false(kv_memo_message_equal(a, NULL));
    assert_true(kv_memo_message_equal(NULL, NULL));
    kv_memo_message_free(a);
    kv_memo_message_free(b);
}

/* ---------------------------------------------------------------- NO_CONTENT, content */

static void test_no_content_keeps_sizes(void **state)
{
    struct kv_memo_message *full = model_of_file(FULL12, 0);
    struct kv_memo_message *lite = model_of_file(FULL12, KV_MEMO_READ_NO_CONTENT);
    struct kv_buf b;
    struct kv_err err = {0};
    unsigned char *bytes = NULL;
    size_t n, i;

    (void)state;
    for (i = 0; i < full->body->main.n_files; i++) {
        const struct kv_memo_file *f = &full->body->main.files[i], *l = &lite->body->main.files[i];
        assert_non_null(f->content);
        assert_null(l->content);
        assert_int_equal(l->content_len, f->content_len);
        assert_int_equal(l->size, f->size);
        assert_int_equal(l->size, 14);
        assert_string_equal(l->filename, f->filename);
    }
    assert_int_equal(lite->body->technical[0].files[0].size, 14);
    assert_false(kv_memo_message_equal(full, lite));
    assert_int_equal(kv_memo_file_decode(&lite->body->main.files[0], 100, &bytes, &n, &err),
                     KV_EINVAL);
    kv_buf_init(&b, OUT_MAX);
    assert_int_equal(kv_memo_write(lite, 0, &b, &err), KV_EINVAL);
    assert_non_null(strstr(err.msg, "content"));
    assert_int_equal(b.len, 0);
    kv_buf_release(&b);
    assert_int_equal(kv_memo_file_decode(&full->body->main.files[0], 100, &bytes, &n, &err), 0);
    assert_int_equal(n, 14);
    assert_memory_equal(bytes, "This is a test", 14);
    free(bytes);
    assert_int_equal(kv_memo_file_decode(&full->body->main.files[0], 13, &bytes, &n, &err),
                     KV_ETOOBIG);
    kv_memo_message_free(full);
    kv_memo_message_free(lite);
}

/* Content spread over lines with whitespace (as base64 wrapped at 76 columns) is joined. */
static void test_content_whitespace(void **state)
{
    size_t len, w = 0, i, xlen;
    char *src = read_file(MIN12, &len);
    const char *needle = "<memo:content>";
    char *at = strstr(src, needle), *end, *alt, *x;
    const char *wrapped = "\n  VGhp\r\n\tcyBp cyBh\nIHRl<![CDATA[c3Q=]]>  \n";
    struct kv_memo_message *m, *lite;

    (void)state;
    assert_non_null(at);
    at += strlen(needle);
    end = strstr(at, "</memo:content>");
    assert_non_null(end);
    alt = kv_xmalloc(len + strlen(wrapped) + 1);
    memcpy(alt, src, (size_t)(at - src));
    w = (size_t)(at - src);
    memcpy(alt + w, wrapped, strlen(wrapped));
    w += strlen(wrapped);
    i = (size_t)(end - src);
    memcpy(alt + w, src + i, len - i);
    w += len - i;
    alt[w] = '\0';
    m = model_of(alt, w, 0);
    lite = model_of(alt, w, KV_MEMO_READ_NO_CONTENT);
    assert_string_equal(m->body->main.files[0].content, "VGhpcyBpcyBhIHRlc3Q=");
    assert_int_equal(m->body->main.files[0].size, 14);
    assert_int_equal(lite->body->main.files[0].size, 14);
    assert_int_equal(lite->body->main.files[0].content_len, 20);
    x = xml_of(m, &xlen);
    assert_non_null(strstr(x, "<memo:content>VGhpcyBpcyBhIHRlc3Q=</memo:content>"));
    free(x);
    kv_memo_message_free(m);
    kv_memo_message_free(lite);
    free(src);
    free(alt);
}

/* ---------------------------------------------------------------- writer */

static void test_writer_strict_and_lenient(void **state)
{
    struct kv_memo_message *m = model_of_file(MIN11, 0);
    struct kv_buf b;
    struct kv_err err = {0};

    (void)state;
    kv_buf_init(&b, OUT_MAX);
    assert_int_equal(kv_buf_puts(&b, "prefix"), 0);

    /* a 1.2-only element in a 1.1 message */
    m->header.sender.representative = kv_xcalloc(1, sizeof *m->header.sender.representative);
    kv_memo_str_set(&m->header.sender.representative->id, "87654321");
    kv_memo_str_set(&m->header.sender.representative->id_type, "CVR");
    kv_memo_str_set(&m->header.sender.representative->label, "R");
    assert_int_equal(kv_memo_write(m, 0, &b, &err), KV_EINVAL);
    assert_non_null(strstr(err.msg, "Representative"));
    assert_string_equal(b.buf, "prefix"); /* restored */
    assert_int_equal(kv_memo_upgrade(m, &err), 0);
    kv_buf_reset(&b);
    assert_int_equal(kv_memo_write(m, 0, &b, &err), 0);
    assert_int_equal(n_errors(b.buf, b.len, KV_MEMO_LEVEL_XSD, 1), 0);

    /* a required element missing */
    kv_memo_str_set(&m->header.sender.label, NULL);
    kv_buf_reset(&b);
    assert_int_equal(kv_memo_write(m, 0, &b, &err), KV_EINVAL);
    assert_string_equal(err.msg, "/MessageHeader/Sender/label is required but missing");
    assert_int_equal(kv_memo_write(m, KV_MEMO_WRITE_LENIENT, &b, &err), 0);
    assert_true(n_errors(b.buf, b.len, KV_MEMO_LEVEL_XSD, 0) > 0);
    kv_memo_str_set(&m->header.sender.label, "Afsender");

    /* a required list empty */
    m->body->main.n_files = 0;
    kv_buf_reset(&b);
    assert_int_equal(kv_memo_write(m, 0, &b, &err), KV_EINVAL);
    assert_non_null(strstr(err.msg, "MainDocument/File"));
    m->body->main.n_files = 1;

    /* Reservation and EntryPoint together */
    {
        struct kv_memo_action *a = kv_memo_document_add_action(&m->body->main);
        kv_memo_str_set(&a->label, "a");
        kv_memo_str_set(&a->action_code, "INFORMATION");
        a->entry_point = kv_xcalloc(1, sizeof *a->entry_point);
        kv_memo_str_set(&a->entry_point->url, "https://example.dk/");
        kv_buf_reset(&b);
        assert_int_equal(kv_memo_write(m, 0, &b, &err), 0);
        a->reservation = kv_xcalloc(1, sizeof *a->reservation);
        assert_int_equal(kv_memo_write(m, 0, &b, &err), KV_EINVAL);
        assert_non_null(strstr(err.msg, "Reservation and EntryPoint"));
    }

    /* characters XML cannot carry, and bad UTF-8 */
    kv_memo_str_set(&m->body->main.actions[0].label, "bell\x07");
    kv_memo_str_set(&m->body->main.actions[0].reservation->description, "d");
    assert_int_equal(kv_memo_write(m, KV_MEMO_WRITE_LENIENT, &b, &err), KV_EINVAL);
    kv_memo_str_set(&m->body->main.actions[0].label, "bad \xc3(");
    assert_int_equal(kv_memo_write(m, KV_MEMO_WRITE_LENIENT, &b, &err), KV_EINVAL);
    kv_memo_str_set(&m->body->main.actions[0].label, "ok");
    assert_int_equal(kv_memo_write(m, KV_MEMO_WRITE_LENIENT, &b, &err), 0);

    /* output bound */
    kv_buf_release(&b);
    kv_buf_init(&b, 300);
    assert_int_equal(kv_memo_write(m, KV_MEMO_WRITE_LENIENT, &b, &err), KV_ETOOBIG);
    assert_int_equal(b.len, 0);
    kv_buf_release(&b);

    /* no version at all */
    kv_memo_str_set(&m->memo_version, NULL);
    kv_buf_init(&b, OUT_MAX);
    assert_int_equal(kv_memo_write(m, KV_MEMO_WRITE_LENIENT, &b, &err), KV_EINVAL);
    kv_buf_release(&b);
    kv_memo_message_free(m);
}

static void test_writer_escaping(void **state)
{
    struct kv_memo_message *m = model_of_file(MIN12, 0), *back;
    const char *tricky = "A & B <c> \"d\" 'e' ]]> \r\n\tæøå €";
    size_t len;
    char *x;

    (void)state;
    kv_memo_str_set(&m->header.label, tricky);
    kv_memo_str_set(&m->header.sender.label, "]]>&amp;");
    x = xml_of(m, &len);
    assert_null(strstr(x, "<c>"));
    assert_non_null(strstr(x, "&amp;amp;"));
    assert_int_equal(n_errors(x, len, KV_MEMO_LEVEL_XSD, 1), 0);
    back = model_of(x, len, 0);
    assert_string_equal(back->header.label, tricky);
    assert_models_equal(m, back);
    kv_memo_message_free(m);
    kv_memo_message_free(back);
    free(x);
}

/* ---------------------------------------------------------------- tolerant reader */

static void test_reader_tolerant(void **state)
{
    static const char odd[] =
        "<?xml version=\"1.0\"?>\n"
        "<x:Message xmlns:x=\"https://DigitalPost.dk/MeMo-1\""
        " xmlns:g=\"https://data.gov.dk/model/core/\""
        " memoVersion=\"1.2\" memoSchVersion=\"1.1.0\">\n"
        " <x:Unknown><x:label>no</x:label></x:Unknown>\n"
        " <x:MessageHeader>\n"
        "  <x:label>first<x:nested>ignored</x:nested> part<!-- c --></x:label>\n"
        "  <x:label>second</x:label>\n"
        "  <label>no namespace</label>\n"
        "  <x:mandatory> true </x:mandatory><x:reply>maybe</x:reply>\n"
        "  <x:Sender><x:AttentionData><g:Address><g:city>Aarhus</g:city></g:Address>"
        "<x:Address><g:city>wrong ns</g:city></x:Address></x:AttentionData></x:Sender>\n"
        "  <x:ContentData><g:CPRdata/><x:AdditionalContentData/>"
        "<x:AdditionalContentData/></x:ContentData>\n"
        " </x:MessageHeader>\n"
        " <x:MessageBody><x:MainDocument><x:File><x:content>!!!!</x:content></x:File>"
        "<x:File><x:content/></x:File></x:MainDocument></x:MessageBody>\n"
        " <x:MessageHeader><x:label>second header</x:label></x:MessageHeader>\n"
        "</x:Message>\n";
    static const char wrong_root[] = "<memo:Letter xmlns:memo=\"https://DigitalPost.dk/MeMo-1\"/>";
    struct kv_memo_message *m = model_of(odd, sizeof odd - 1, 0);
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_err err = {0};
    struct kv_memo_message *none = (struct kv_memo_message *)1;
    struct kv_buf b;

    (void)state;
    assert_null(m->memo_sch_version); /* dropped for 1.2 */
    assert_string_equal(m->header.label, "first part");
    assert_int_equal(m->header.mandatory, KV_MEMO_BOOL_TRUE);
    assert_int_equal(m->header.reply, KV_MEMO_BOOL_ABSENT);
    assert_string_equal(m->header.sender.attention->address->city, "Aarhus");
    assert_null(m->header.sender.id);
    assert_non_null(m->header.content_data->cpr_data);
    assert_null(m->header.content_data->cpr_data->cpr_number);
    assert_int_equal(m->header.content_data->n_additional, 2);
    assert_int_equal(m->body->main.n_files, 2);
    assert_int_equal(m->body->main.files[0].size, 0); /* not base64 */
    assert_string_equal(m->body->main.files[0].content, "!!!!");
    assert_string_equal(m->body->main.files[1].content, "");
    /* strict writing refuses it, lenient writing copes */
    kv_buf_init(&b, OUT_MAX);
    assert_int_equal(kv_memo_write(m, 0, &b, &err), KV_EINVAL);
    assert_int_equal(kv_memo_write(m, KV_MEMO_WRITE_LENIENT, &b, &err), 0);
    assert_non_null(strstr(b.buf, "<memo:content>!!!!</memo:content>"));
    kv_buf_release(&b);
    kv_memo_message_free(m);

    kv_memo_diags_init(&d);
    assert_int_equal(kv_memo_check(wrong_root, sizeof wrong_root - 1, KV_MEMO_LEVEL_XSD, NULL,
                                   &d, &doc, &err),
                     0);
    assert_non_null(doc);
    assert_int_equal(kv_memo_read(doc, 0, &none, &err), KV_EINVAL);
    assert_null(none);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);
}

/* ---------------------------------------------------------------- base64 */

static void test_base64(void **state)
{
    static const struct {
        const char *raw, *enc;
    } v[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
             {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
             {"foobar", "Zm9vYmFy"}};
    static const char *const bad[] = {"Zg=",  "Zg",   "Z===", "Zg=a", "Zm9v!A==", "=Zg=",
                                      "Zm 9v", "Zm9v\n", "====", "Zg==Zg==", "Zm9-", "Zm9_"};
    unsigned char bin[256], *out;
    char *enc;
    size_t i, n, size;
    int ov;

    (void)state;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t rl = strlen(v[i].raw), el = strlen(v[i].enc);
        assert_int_equal(kv_b64_encode(v[i].raw, rl, 100, &enc, &n), 0);
        assert_string_equal(enc, v[i].enc);
        assert_int_equal(n, el);
        free(enc);
        assert_true(kv_b64_valid(v[i].enc, el, &size));
        assert_int_equal(size, rl);
        assert_int_equal(kv_b64_decode(v[i].enc, el, 100, &out, &n), 0);
        assert_int_equal(n, rl);
        assert_memory_equal(out, v[i].raw, rl);
        free(out);
        assert_int_equal(kv_b64_encoded_len(rl, &ov), el);
        assert_int_equal(ov, 0);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(kv_b64_valid(bad[i], strlen(bad[i]), NULL));
        assert_int_equal(kv_b64_decode(bad[i], strlen(bad[i]), 100, &out, &n), KV_EINVAL);
    }
    /* all byte values round-trip */
    for (i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(255 - i);
    assert_int_equal(kv_b64_encode(bin, sizeof bin, 1000, &enc, &n), 0);
    assert_int_equal(n, 344);
    assert_int_equal(kv_b64_decode(enc, n, sizeof bin, &out, &size), 0);
    assert_int_equal(size, sizeof bin);
    assert_memory_equal(out, bin, sizeof bin);
    free(out);
    /* bounds: checked before allocating */
    assert_int_equal(kv_b64_decode(enc, n, sizeof bin - 1, &out, &size), KV_ETOOBIG);
    free(enc);
    assert_int_equal(kv_b64_encode(bin, sizeof bin, 343, &enc, &n), KV_ETOOBIG);
    kv_b64_encoded_len(SIZE_MAX - 1, &ov);
    assert_int_equal(ov, 1);
}

static int setup(void **state)
{
    (void)state;
    return kv_memo_global_init(NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    kv_memo_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_examples),
        cmocka_unit_test(test_read_full_fields),
        cmocka_unit_test(test_reader_prefix_independent),
        cmocka_unit_test(test_builder_valid_letter),
        cmocka_unit_test(test_builder_errors),
        cmocka_unit_test(test_upgrade_full_11),
        cmocka_unit_test(test_equal_detects_changes),
        cmocka_unit_test(test_no_content_keeps_sizes),
        cmocka_unit_test(test_content_whitespace),
        cmocka_unit_test(test_writer_strict_and_lenient),
        cmocka_unit_test(test_writer_escaping),
        cmocka_unit_test(test_reader_tolerant),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
